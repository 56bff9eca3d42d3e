/* manifest.h - report manifests: what a probe's folder contributes to
 * report.html, so that the report knows no probe by name.
 *
 * A probe writes its manifest into its folder as report.manifest
 * (SP_MANIFEST_FILE), usually in on_start with the host's write_text; the
 * built-in probes compile theirs in from plugins/NAME.manifest. A probe
 * folder without one (a run from before manifests, or made by hand) is
 * shown with every built-in manifest whose files it holds
 * (sp_manifest_builtin, generated from the same plugins/NAME.manifest).
 *
 * The syntax is that of sincprobe.conf (base/ini.h): one [report] section
 * (kind, heading, files) and then one section per panel, [TYPE NAME] with
 * TYPE heatmap, lines, bands, images or table, in the order of the page. The keys
 * of each type are in sincprobe-probe(3), Report manifests; parsing checks
 * the sections, that every key belongs to its type, the required keys and
 * the values of flags and numbers. plot/report_panels.c draws the panels.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err naming
 * the manifest and line. */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include "base/ini.h"

/* The name of a manifest in a probe's folder. */
#define SP_MANIFEST_FILE "report.manifest"

typedef enum { SP_PANEL_HEATMAP, SP_PANEL_LINES, SP_PANEL_IMAGES, SP_PANEL_TABLE, SP_PANEL_BANDS } sp_panel_type;

typedef struct {
    sp_panel_type type;
    const char *section;      /* the INI section, "heatmap afr" */
    const char *name;         /* "afr": the figures' plots/ID_NAME[_GROUP] */
    long line;                /* of its [TYPE NAME] header */
} sp_panel;

typedef struct {
    char *path;               /* the file (or "built-in manifest N"), for messages */
    sp_ini ini;
    const char *kind;         /* [report] kind: the name in the summary */
    const char *heading;      /* [report] heading (default: kind) */
    int nfiles;
    char **files;             /* [report] files: the panels are drawn
                                 when every one is in the folder */
    int npanels;
    sp_panel *panel;          /* in file order */
} sp_manifest;

/* Parse text, the contents of path (for messages). */
int sp_manifest_parse(sp_manifest *m, const char *path, const char *text, sp_error *err);
/* Read and parse the file path. */
int sp_manifest_load(sp_manifest *m, const char *path, sp_error *err);
void sp_manifest_free(sp_manifest *m);

/* The value of key in panel p, or NULL when not given. */
const char *sp_panel_get(const sp_manifest *m, const sp_panel *p, const char *key);
/* The line of key in p, or of p's header when key is not given. */
long sp_panel_line(const sp_manifest *m, const sp_panel *p, const char *key);
/* A flag of p (checked yes|no, true|false, on|off, 1|0 when parsed): 1
 * or 0; 0 when not given. */
int sp_panel_flag(const sp_manifest *m, const sp_panel *p, const char *key);

/* The ranges of p's marks key (checked when parsed: LO-HI words, LO <
 * HI) into a new array *lohi [n][2] (NULL when none); returns n. */
int sp_panel_marks(const sp_manifest *m, const sp_panel *p, double **lohi);

/* The built-in probes' manifests, NULL-terminated, in the order a probe
 * folder without a manifest is shown with them (generated from
 * plugins/NAME.manifest at build time: src/plot/manifests.c). */
extern const char *const sp_manifest_builtin[];

#endif
