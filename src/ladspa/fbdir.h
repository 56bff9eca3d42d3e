/* fbdir.h - where exported filterbanks live, which of them the sincprobe
 * LADSPA library loads, and their LADSPA UniqueIDs.
 *
 * The search path, in order:
 *   1. each directory of $SINCPROBE_LADSPA_PATH (a colon-separated list;
 *      empty entries are skipped), left to right;
 *   2. the per-user directory, $XDG_DATA_HOME/sincprobe/ladspa when
 *      XDG_DATA_HOME is set to an absolute path, else
 *      $HOME/.local/share/sincprobe/ladspa (none when HOME is unset too).
 * A directory that is missing or unreadable is skipped. In each
 * directory, the regular files whose names end in ".spfb" are read in
 * byte order of their names (strcmp), so the order is the same on every
 * machine.
 *
 * Loading (the catalog): a file is loaded unless
 *   - it cannot be read or is not a valid version-1 file (fbfile.h): it is
 *     skipped with the reader's message;
 *   - a file loaded before it has the same model name (so the same
 *     labels): the earlier one in the search order wins, the later one
 *     is skipped ("name already loaded from FILE");
 *   - one of its two IDs is an ID of a file loaded before it: skipped the
 *     same way.
 * The library never prints; `sincprobe export-ladspa --list` shows the
 * catalog with the reason for each skipped file.
 *
 * UniqueIDs. LADSPA hosts may assume IDs below 0x1000000; each exported
 * model takes two consecutive IDs in SP_FB_ID_BASE .. SP_FB_ID_BASE +
 * 2 SP_FB_ID_SLOTS - 1 (0x5C0000 .. 0x5CFFFF): slot s gives the bank
 * plugin SP_FB_ID_BASE + 2 s and the single-filter plugin
 * SP_FB_ID_BASE + 2 s + 1. A name's home slot is the FNV-1a hash (32-bit)
 * of the name modulo SP_FB_ID_SLOTS, so the same name gets the same IDs
 * on any machine. sp_fb_assign_ids avoids collisions: it takes the IDs a
 * file of the same name already has when no file of another name uses
 * them, else the first slot from the home slot on (wrapping) whose IDs
 * no file of another name uses. The IDs chosen are written in the file,
 * and the library uses the file's IDs, so they never change after
 * export. */
#ifndef SP_LADSPA_FBDIR_H
#define SP_LADSPA_FBDIR_H

#include <stddef.h>

#include "base/error.h"
#include "ladspa/fbfile.h"

#define SP_FB_ID_BASE 0x5C0000ul
#define SP_FB_ID_SLOTS 32768ul
#define SP_FB_ID_MAX 0xFFFFFFl /* any ID in a file must be 1 .. this */

/* 1 when id is 1 .. SP_FB_ID_MAX. */
int sp_fb_id_valid(unsigned long id);
/* The home slot of name: FNV-1a-32(name) mod SP_FB_ID_SLOTS. */
unsigned long sp_fb_home_slot(const char *name);

/* The directories of the search path (above), in order, each a malloc'd
 * string, in *dirs (malloc'd; free with sp_fb_dirs_free). 0, or -1 with
 * err (out of memory). */
int sp_fb_search_path(char ***dirs, int *n, sp_error *err);
/* The per-user directory, malloc'd, or NULL (no HOME, or out of memory). */
char *sp_fb_user_dir(void);
void sp_fb_dirs_free(char **dirs, int n);

/* One file the catalog saw. */
typedef struct {
    char *path;
    int readable;   /* fb holds the file */
    int loaded;     /* readable and not skipped */
    sp_fbfile fb;   /* when readable */
    char why[SP_ERRLEN]; /* why it was skipped, when not loaded */
} sp_fb_entry;

typedef struct {
    sp_fb_entry *e;
    int n;
} sp_fb_catalog;

/* Read every .spfb file of the n directories, in order, applying the
 * loading rules above. 0, or -1 with err only when out of memory (the
 * catalog is then empty). */
int sp_fb_catalog_load(sp_fb_catalog *cat, char *const *dirs, int n, sp_error *err);
void sp_fb_catalog_free(sp_fb_catalog *cat);

/* The IDs for a model named name given the readable files in cat (see
 * above). 0, or -1 with err when every slot is taken. */
int sp_fb_assign_ids(const sp_fb_catalog *cat, const char *name, unsigned long *id_bank, unsigned long *id_filter,
                     sp_error *err);

#endif
