/* ini.h - the INI syntax of sincprobe's configs, without meaning:
 *
 *   # comment            ; comment
 *   [section]            [probe ID]
 *   key = value          (white space around key and value is trimmed)
 *
 * A section header is one word ("train") or two ("probe noise1"). Every
 * entry remembers its file and line so that later checks (an unknown key,
 * a bad value) can name them. */
#ifndef SP_INI_H
#define SP_INI_H

#include <stddef.h>
#include "base/diag.h"

typedef struct {
    char *section;   /* "train", or "probe noise1" */
    char *key;
    char *value;
    long line;
} sp_ini_entry;

typedef struct {
    char *section;   /* as in the header, inner spaces collapsed */
    long line;
} sp_ini_section;

typedef struct {
    char *path;
    sp_ini_entry *v;
    size_t n;
    sp_ini_section *sections; /* in file order */
    size_t nsections;
} sp_ini;

/* Parse text (the contents of path, for messages). Syntax errors (a line
 * that is neither a comment, a [section] nor key = value; a key before
 * any section; a section or key given twice) go to d with their line.
 * Returns 0 when there were none. */
int sp_ini_parse(sp_ini *ini, const char *path, const char *text, sp_diag *d);
int sp_ini_load(sp_ini *ini, const char *path, sp_diag *d);
void sp_ini_free(sp_ini *ini);

/* The entry for section/key, or NULL. */
const sp_ini_entry *sp_ini_get(const sp_ini *ini, const char *section, const char *key);

#endif
