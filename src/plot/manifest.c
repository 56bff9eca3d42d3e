/* manifest.c - report manifests, parsed and checked. See manifest.h. */
#include "config.h"
#include "plot/manifest.h"
#include "base/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys of each panel type; a leading '*' marks a required one. */
static const char *const heatmap_keys[] = { "npy", "x", "x_divisor", "file", "rows", "cols", "value", "group",
                                            "group_default", "range", "annotate", "mean", "marks", "title",
                                            "xlabel", "ylabel", "clabel", "caption", "empty", NULL };
static const char *const lines_keys[] = { "*file", "*x", "*y", "series", "split", "split_name", "group",
                                          "group_default", "colour", "only", "only_note", "log", "markers",
                                          "xinteger", "optional", "x_range", "y_range", "title", "xlabel", "ylabel", "caption",
                                          "empty", NULL };
static const char *const bands_keys[] = { "*file", "*x", "*row", "*centre", "*width", "y_divisor", "y_range",
                                          "log", "group", "group_default", "xinteger", "marks", "title", "xlabel",
                                          "ylabel", "clabel", "caption", "empty", NULL };
static const char *const images_keys[] = { "*file", "*images", "*rows", "*cols", "empty", NULL };
static const char *const table_keys[] = { "*file", "*columns", "labels", "section", "intro", "join", "join_key",
                                          "join_group", "join_by", "join_max", "join_unit", "join_class",
                                          "join_labels", "join_intro", NULL };
static const char *const report_keys[] = { "*kind", "heading", "files", NULL };

static const struct {
    const char *name;
    sp_panel_type type;
    const char *const *keys;
} types[] = {
    { "heatmap", SP_PANEL_HEATMAP, heatmap_keys },
    { "lines", SP_PANEL_LINES, lines_keys },
    { "bands", SP_PANEL_BANDS, bands_keys },
    { "images", SP_PANEL_IMAGES, images_keys },
    { "table", SP_PANEL_TABLE, table_keys },
};
enum { NTYPES = sizeof types / sizeof types[0] };

static int mfail(sp_error *err, const char *path, long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int mfail(sp_error *err, const char *path, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_failv(err, fmt, ap);
    va_end(ap);
    return sp_error_prefix(err, "'%s' line %ld: ", path, line);
}

static const char *get(const sp_manifest *m, const char *section, const char *key)
{
    const sp_ini_entry *e = sp_ini_get(&m->ini, section, key);
    return e ? e->value : NULL;
}

const char *sp_panel_get(const sp_manifest *m, const sp_panel *p, const char *key)
{
    return get(m, p->section, key);
}

long sp_panel_line(const sp_manifest *m, const sp_panel *p, const char *key)
{
    const sp_ini_entry *e = sp_ini_get(&m->ini, p->section, key);
    return e ? e->line : p->line;
}

/* 1, 0, or -1 when v is not a flag. */
static int flag_value(const char *v)
{
    static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (!strcmp(v, yes[i])) return 1;
        if (!strcmp(v, no[i])) return 0;
    }
    return -1;
}

int sp_panel_flag(const sp_manifest *m, const sp_panel *p, const char *key)
{
    const char *v = sp_panel_get(m, p, key);
    return v && flag_value(v) == 1;
}

/* Every key of section in keys[], every required one there. */
static int check_keys(const sp_manifest *m, const char *section, long line, const char *const *keys, sp_error *err)
{
    for (size_t i = 0; i < m->ini.n; i++) {
        const sp_ini_entry *e = &m->ini.v[i];
        if (strcmp(e->section, section)) continue;
        int known = 0;
        for (int k = 0; keys[k] && !known; k++) known = !strcmp(keys[k] + (keys[k][0] == '*'), e->key);
        if (!known) return mfail(err, m->path, e->line, "[%s]: no key '%s' in this section", section, e->key);
    }
    for (int k = 0; keys[k]; k++)
        if (keys[k][0] == '*' && !get(m, section, keys[k] + 1))
            return mfail(err, m->path, line, "[%s]: no '%s'", section, keys[k] + 1);
    return 0;
}

/* marks = LO-HI LO-HI ...: the ranges into lohi[2 n] (NULL: only
 * counted); their count, or -1 with the first bad word in bad[64]. A
 * number may be negative, so LO ends where strtod stops. */
static int parse_marks(const char *v, double *lohi, char *bad)
{
    char *copy = sp_xstrdup(v), *save = NULL;
    int n = 0;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save), n++) {
        char *end;
        double lo = strtod(w, &end), hi = NAN;
        if (end != w && *end == '-') {
            char *b = end + 1;
            hi = strtod(b, &end);
            if (end == b || *end) hi = NAN;
        }
        if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
            snprintf(bad, 64, "%s", w);
            n = -1;
            break;
        }
        if (lohi) lohi[2 * n] = lo, lohi[2 * n + 1] = hi;
    }
    free(copy);
    return n;
}

int sp_panel_marks(const sp_manifest *m, const sp_panel *p, double **lohi)
{
    const char *v = sp_panel_get(m, p, "marks");
    char bad[64];
    int n = v ? parse_marks(v, NULL, bad) : 0;
    *lohi = NULL;
    if (n <= 0) return 0;
    *lohi = sp_xmalloc((size_t)n * 2 * sizeof **lohi);
    return parse_marks(v, *lohi, bad);
}

/* The values a panel's keys may take, beyond being given. */
static int check_values(const sp_manifest *m, const sp_panel *p, sp_error *err)
{
    static const char *const flags[] = { "annotate", "markers", "xinteger", "optional" };
    for (int i = 0; i < 4; i++) {
        const char *v = sp_panel_get(m, p, flags[i]);
        if (v && flag_value(v) < 0)
            return mfail(err, m->path, sp_panel_line(m, p, flags[i]), "%s: '%s' is not yes or no", flags[i], v);
    }
    const char *v = sp_panel_get(m, p, "log");
    if (v && strcmp(v, "x") && strcmp(v, "y") && strcmp(v, "xy") && strcmp(v, "none"))
        return mfail(err, m->path, sp_panel_line(m, p, "log"), "log: '%s' is not x, y, xy or none", v);
    double a, b;
    char c;
    if ((v = sp_panel_get(m, p, "range")) && sscanf(v, "%lf %lf %c", &a, &b, &c) != 2)
        return mfail(err, m->path, sp_panel_line(m, p, "range"), "range: '%s' is not two numbers LO HI", v);
    static const char *const ranges[] = { "x_range", "y_range" };
    for (int i = 0; i < 2; i++)
        if ((v = sp_panel_get(m, p, ranges[i])) &&
            (sscanf(v, "%lf %lf %c", &a, &b, &c) != 2 || !(a < b) || !isfinite(b)))
            return mfail(err, m->path, sp_panel_line(m, p, ranges[i]), "%s: '%s' is not two numbers LO < HI",
                         ranges[i], v);
    static const char *const divisors[] = { "x_divisor", "y_divisor" };
    for (int i = 0; i < 2; i++)
        if ((v = sp_panel_get(m, p, divisors[i])) && (sscanf(v, "%lf %c", &a, &c) != 1 || !(a != 0) || !isfinite(a)))
            return mfail(err, m->path, sp_panel_line(m, p, divisors[i]), "%s: '%s' is not a number other than 0",
                         divisors[i], v);
    char bad[64];
    if ((v = sp_panel_get(m, p, "marks")) && parse_marks(v, NULL, bad) < 0)
        return mfail(err, m->path, sp_panel_line(m, p, "marks"),
                     "marks: '%s' is not LO-HI with LO < HI (ranges in the axis's units, separated by spaces)", bad);
    if (v && p->type == SP_PANEL_HEATMAP && !sp_panel_get(m, p, "npy"))
        return mfail(err, m->path, sp_panel_line(m, p, "marks"),
                     "marks: only on a heatmap of an .npy matrix (its x axis is numeric)");
    if (p->type == SP_PANEL_BANDS && (v = sp_panel_get(m, p, "log")) && strcmp(v, "y") && strcmp(v, "none"))
        return mfail(err, m->path, sp_panel_line(m, p, "log"), "log: '%s' is not y or none (bands have a linear x)", v);
    if (p->type == SP_PANEL_HEATMAP) {
        int npy = sp_panel_get(m, p, "npy") != NULL, tsv = sp_panel_get(m, p, "file") != NULL;
        if (npy == tsv) return mfail(err, m->path, p->line, "[%s]: give either npy (and x) or file", p->section);
        static const char *const need_npy[] = { "x", NULL }, *const need_tsv[] = { "rows", "cols", "value", NULL };
        for (const char *const *k = npy ? need_npy : need_tsv; *k; k++)
            if (!sp_panel_get(m, p, *k))
                return mfail(err, m->path, p->line, "[%s]: no '%s' (a heatmap of %s needs it)", p->section, *k,
                             npy ? "an .npy matrix" : "a table");
    }
    if (p->type == SP_PANEL_TABLE && sp_panel_get(m, p, "join")) {
        static const char *const need[] = { "join_key", "join_group", "join_by", "join_max", NULL };
        for (int k = 0; need[k]; k++)
            if (!sp_panel_get(m, p, need[k]))
                return mfail(err, m->path, p->line, "[%s]: no '%s' (join needs it)", p->section, need[k]);
    }
    return 0;
}

/* The words of s (space separated) as new strings; returns the count. */
static int split_words(const char *s, char ***out)
{
    char *copy = sp_xstrdup(s), *save = NULL;
    int n = 0;
    *out = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        *out = sp_xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        (*out)[n++] = sp_xstrdup(w);
    }
    free(copy);
    return n;
}

/* The panel of ini section s, or -1 with err (an unknown type). */
static int add_panel(sp_manifest *m, const sp_ini_section *s, sp_error *err)
{
    const char *sp = strchr(s->section, ' ');
    size_t tl = sp ? (size_t)(sp - s->section) : strlen(s->section);
    for (int t = 0; t < NTYPES; t++) {
        if (strlen(types[t].name) != tl || strncmp(types[t].name, s->section, tl)) continue;
        if (!sp) return mfail(err, m->path, s->line, "[%s] needs a name: [%s NAME]", s->section, s->section);
        m->panel = sp_xrealloc(m->panel, (size_t)(m->npanels + 1) * sizeof *m->panel);
        sp_panel *p = &m->panel[m->npanels++];
        p->type = types[t].type;
        p->section = s->section;
        p->name = sp + 1;
        p->line = s->line;
        if (check_keys(m, s->section, s->line, types[t].keys, err) != 0) return -1;
        return check_values(m, p, err);
    }
    return mfail(err, m->path, s->line, "[%s]: not [report] nor a panel (heatmap, lines, bands, images or table)",
                 s->section);
}

int sp_manifest_parse(sp_manifest *m, const char *path, const char *text, sp_error *err)
{
    memset(m, 0, sizeof *m);
    m->path = sp_xstrdup(path);
    sp_diag d;
    sp_diag_init(&d, 1);
    int rc = sp_ini_parse(&m->ini, path, text, &d);
    if (rc != 0) mfail(err, path, d.v[0].line, "%s", d.v[0].message);
    sp_diag_free(&d);
    if (rc != 0) goto bad;
    long report_line = 0;
    for (size_t i = 0; i < m->ini.nsections; i++) {
        const sp_ini_section *s = &m->ini.sections[i];
        if (!strcmp(s->section, "report")) {
            report_line = s->line;
            if (check_keys(m, "report", s->line, report_keys, err) != 0) goto bad;
        } else if (add_panel(m, s, err) != 0) {
            goto bad;
        }
    }
    if (!report_line) {
        mfail(err, path, 1, "no [report] section (its kind names the probe's outputs)");
        goto bad;
    }
    m->kind = get(m, "report", "kind");
    m->heading = get(m, "report", "heading");
    if (!m->heading) m->heading = m->kind;
    const char *files = get(m, "report", "files");
    if (files) m->nfiles = split_words(files, &m->files);
    return 0;
bad:
    sp_manifest_free(m);
    return -1;
}

int sp_manifest_load(sp_manifest *m, const char *path, sp_error *err)
{
    memset(m, 0, sizeof *m);
    size_t len;
    char *text = sp_read_file(path, &len, err);
    if (!text) return -1;
    if (strlen(text) != len) {
        free(text);
        return sp_fail(err, "'%s': not a text file (a NUL byte)", path);
    }
    int rc = sp_manifest_parse(m, path, text, err);
    free(text);
    return rc;
}

void sp_manifest_free(sp_manifest *m)
{
    free(m->path);
    sp_ini_free(&m->ini);
    for (int i = 0; i < m->nfiles; i++) free(m->files[i]);
    free(m->files);
    free(m->panel);
    memset(m, 0, sizeof *m);
}
