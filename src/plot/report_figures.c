/* report_figures.c - the manifest panels drawn as figures (plot.h):
 * heatmaps of an .npy matrix or of a table, line plots of table
 * columns, and bands (centre +- half width) of table rows over x. The
 * keys are in sincprobe-probe(3), Report manifests. See
 * report_parts.h. */
#include "config.h"
#include "plot/report_parts.h"
#include "base/npy.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* plots/ID_NAME, or ID_NAME_GROUP (file names from free text). */
static char *figure_name(const char *id, const sp_panel *p, const char *group)
{
    char *sid = sp_safe_name(id), *sg = group ? sp_safe_name(group) : NULL;
    char *name = sg ? sp_xasprintf("%s_%s_%s", sid, p->name, sg) : sp_xasprintf("%s_%s", sid, p->name);
    free(sid);
    free(sg);
    return name;
}

/* The figure's title: the title template with {id} and {group}. */
static char *figure_title(const sp_manifest *m, const sp_panel *p, const char *id, const char *group, sp_error *err)
{
    sp_tvar v[] = { { "id", id, 0 }, { "group", group ? group : "", 0 } };
    return sp_template(sp_panel_get(m, p, "title"), v, 2, 0, m->path, sp_panel_line(m, p, "title"), err);
}

static double num_key(const sp_manifest *m, const sp_panel *p, const char *key, double dflt)
{
    const char *v = sp_panel_get(m, p, key);
    return v ? strtod(v, NULL) : dflt;
}

/* The caption cap (HTML, new) with a note of the marks lohi[n][2] on
 * axis ("x", "y") appended; cap freed. */
static char *marks_note(char *cap, const char *axis, const double *lohi, int n)
{
    if (!cap || n == 0) return cap;
    char *note = sp_xasprintf("%s (hatched: the marked %s range%s", cap, axis, n > 1 ? "s" : "");
    for (int k = 0; k < n; k++) {
        char *t = sp_xasprintf("%s%s %g .. %g", note, k ? "," : "", lohi[2 * k], lohi[2 * k + 1]);
        free(note);
        note = t;
    }
    char *t = sp_xasprintf("%s)", note);
    free(note);
    free(cap);
    return t;
}

/* range = LO HI, else NaN NaN (the data's range). */
static void colour_range(const sp_manifest *m, const sp_panel *p, double *lo, double *hi)
{
    const char *v = sp_panel_get(m, p, "range");
    *lo = *hi = NAN;
    if (v) sscanf(v, "%lf %lf", lo, hi);
}

/* KEY = LO HI into lohi[2] and lohi, else NULL (the data's range). */
static const double *axis_range(const sp_manifest *m, const sp_panel *p, const char *key, double *lohi)
{
    const char *v = sp_panel_get(m, p, key);
    return v && sscanf(v, "%lf %lf", &lohi[0], &lohi[1]) == 2 ? lohi : NULL;
}

// ----------------------------------------------------------------------------
// heatmap of an .npy matrix: npy float32 [rows][cols], x float32 [cols]

static int heatmap_npy(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    char *pa = sp_path_join(dir, sp_panel_get(m, p, "npy")), *pf = sp_path_join(dir, sp_panel_get(m, p, "x"));
    sp_npy_dtype ta, tf;
    int ra, rf, rc = 0;
    long sa[SP_NPY_MAXRANK], sf[SP_NPY_MAXRANK];
    float *a = NULL, *fr = NULL;
    if (!sp_is_file(pa) || !sp_is_file(pf)) goto out; /* not written (yet) */
    rc = -1;
    a = sp_npy_read(pa, &ta, &ra, sa, r->err);
    fr = a ? sp_npy_read(pf, &tf, &rf, sf, r->err) : NULL;
    if (!a || !fr) goto out;
    if (ta != SP_NPY_F32 || ra != 2 || tf != SP_NPY_F32 || rf != 1 || sf[0] != sa[1] || sa[1] < 2) {
        sp_fail(r->err, "'%s': not float32 [rows][columns] matching '%s' [columns]", pa, pf);
        goto out;
    }
    rc = 2;
    if (sa[0] == 0) goto out;
    long E = sa[0], B = sa[1];
    double *v = sp_xmalloc((size_t)E * B * sizeof *v), div = num_key(m, p, "x_divisor", 1);
    for (long i = 0; i < E * B; i++) v[i] = a[i];
    char **lab = sp_xcalloc((size_t)E, sizeof *lab);
    for (long e = 0; e < E; e++) lab[e] = sp_xasprintf("%ld", e + 1);
    sp_plot_heatmap h = { 0 };
    char *title = figure_title(m, p, id, NULL, r->err), *name = figure_name(id, p, NULL);
    char *base = sp_report_plot_base(r, name), *cap = NULL;
    h.title = title, h.xlabel = sp_panel_get(m, p, "xlabel"), h.ylabel = sp_panel_get(m, p, "ylabel");
    h.clabel = sp_panel_get(m, p, "clabel");
    h.rows = (int)E, h.cols = (int)B, h.v = v, h.row_label = (const char *const *)lab;
    h.x0 = fr[0] / div, h.x1 = fr[B - 1] / div;
    double *marks;
    h.nmarks = sp_panel_marks(m, p, &marks), h.marks = marks;
    colour_range(m, p, &h.vmin, &h.vmax);
    rc = title ? sp_plot_heatmap_write(base, &h, r->err) : -1;
    if (rc == 0) {
        char rows[32], x0[32], x1[32];
        snprintf(rows, sizeof rows, "%ld", E);
        snprintf(x0, sizeof x0, "%g", (double)fr[0]);
        snprintf(x1, sizeof x1, "%g", (double)fr[B - 1]);
        sp_tvar tv[] = { { "id", id, 0 }, { "title", title, 0 }, { "rows", rows, 0 }, { "x0", x0, 0 }, { "x1", x1, 0 } };
        cap = sp_template(sp_panel_get(m, p, "caption"), tv, 5, 1, m->path, sp_panel_line(m, p, "caption"), r->err);
        cap = marks_note(cap, "x", marks, h.nmarks);
        if (cap) sp_report_figure(r, name, cap);
        else rc = -1;
    }
    free(marks);
    for (long e = 0; e < E; e++) free(lab[e]);
    free(lab);
    free(v);
    free(title);
    free(name);
    free(base);
    free(cap);
out:
    free(a);
    free(fr);
    free(pa);
    free(pf);
    return rc;
}

// ----------------------------------------------------------------------------
// heatmap of a table: rows x cols (numeric, sorted) of value, per group

typedef struct {
    const sp_manifest *m;
    const sp_panel *p;
    const char *id;
    sp_table t;
    int crow, cgroup;        /* columns (cgroup -1: group_default for all) */
    const char *dflt;        /* group_default */
    double *col, *val, *mean;
} tsv_heat;

static const char *heat_group(const tsv_heat *c, long i)
{
    return c->cgroup >= 0 ? sp_table_cell(&c->t, i, c->cgroup) : c->dflt;
}

/* One group's figure: the later row for a cell wins. */
static int heatmap_group(sp_report *r, tsv_heat *c, const char *group)
{
    const sp_manifest *m = c->m;
    const sp_panel *p = c->p;
    long n = c->t.nrows;
    sp_strset rows = { 0 };
    double *cols = sp_xcalloc((size_t)n + 1, sizeof *cols), mean = 0, best = -INFINITY;
    int k = 0, nmean = 0, bl = 0, be = 0;
    for (long i = 0; i < n; i++)
        if (!strcmp(heat_group(c, i), group)) {
            sp_strset_add(&rows, sp_table_cell(&c->t, i, c->crow));
            cols[k++] = c->col[i];
        }
    int E = sp_uniq_sorted(cols, k), R = rows.n;
    double *v = sp_xmalloc((size_t)R * E * sizeof *v);
    for (long i = 0; i < (long)R * E; i++) v[i] = NAN;
    for (long i = 0; i < n; i++) {
        if (strcmp(heat_group(c, i), group)) continue;
        int l = sp_strset_add(&rows, sp_table_cell(&c->t, i, c->crow)), e = sp_find_d(cols, E, c->col[i]);
        v[(size_t)l * E + e] = c->val[i];
        if (isfinite(c->mean[i])) mean += c->mean[i], nmean++;
    }
    for (int l = 0; l < R; l++)
        for (int e = 0; e < E; e++)
            if (v[(size_t)l * E + e] > best) best = v[(size_t)l * E + e], bl = l, be = e;
    char **cl = sp_xcalloc((size_t)E, sizeof *cl);
    for (int e = 0; e < E; e++) cl[e] = sp_xasprintf("%g", cols[e]);
    const char *gname = sp_panel_get(m, p, "group") ? group : NULL;
    char *title = figure_title(m, p, c->id, group, r->err), *name = figure_name(c->id, p, gname);
    char *base = sp_report_plot_base(r, name), *cap = NULL;
    sp_plot_heatmap h = { 0 };
    h.title = title, h.xlabel = sp_panel_get(m, p, "xlabel"), h.ylabel = sp_panel_get(m, p, "ylabel");
    h.clabel = sp_panel_get(m, p, "clabel");
    h.rows = R, h.cols = E, h.v = v, h.row_label = (const char *const *)rows.s;
    h.col_label = (const char *const *)cl, h.annotate = sp_panel_flag(m, p, "annotate");
    colour_range(m, p, &h.vmin, &h.vmax);
    int rc = title ? sp_plot_heatmap_write(base, &h, r->err) : -1;
    if (rc == 0) {
        /* {best}: the largest cell, "ROW COLS VALUE: V"; {mean}: "; NAME M" */
        char *row = sp_html_text_str(rows.s[bl]), *cname = sp_html_text_str(sp_panel_get(m, p, "cols"));
        char *bs = sp_xasprintf("<span class=\"best\">%s %s %g: %.4g</span>", row, cname, cols[be], best);
        char *ms = nmean ? sp_xasprintf("; %s %.4g", sp_panel_get(m, p, "mean"), mean / nmean) : sp_xstrdup("");
        sp_tvar tv[] = { { "id", c->id, 0 }, { "group", group, 0 }, { "title", title, 0 }, { "best", bs, 1 },
                         { "mean", ms, 0 } };
        cap = sp_template(sp_panel_get(m, p, "caption"), tv, 5, 1, m->path, sp_panel_line(m, p, "caption"), r->err);
        if (cap) sp_report_figure(r, name, cap);
        else rc = -1;
        free(row);
        free(cname);
        free(bs);
        free(ms);
    }
    for (int e = 0; e < E; e++) free(cl[e]);
    free(cl);
    free(title);
    free(name);
    free(base);
    free(cap);
    free(v);
    free(cols);
    sp_strset_free(&rows);
    return rc;
}

static int heatmap_tsv(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    tsv_heat c = { m, p, id, { 0 }, -1, -1, sp_panel_get(m, p, "group_default"), NULL, NULL, NULL };
    char *path = sp_path_join(dir, sp_panel_get(m, p, "file"));
    int got = sp_table_read(&c.t, path, r->err);
    free(path);
    if (got != 0) return got > 0 ? 0 : -1;
    const char *group = sp_panel_get(m, p, "group"), *mean = sp_panel_get(m, p, "mean");
    const char *need[5] = { sp_panel_get(m, p, "rows"), sp_panel_get(m, p, "cols"), sp_panel_get(m, p, "value"),
                            group && !c.dflt ? group : NULL, NULL };
    int idx[4], rc = -1;
    long n = c.t.nrows;
    c.col = sp_xcalloc((size_t)n + 1, sizeof *c.col);
    c.val = sp_xcalloc((size_t)n + 1, sizeof *c.val);
    c.mean = sp_xcalloc((size_t)n + 1, sizeof *c.mean);
    if (sp_table_need(&c.t, need, idx, r->err) != 0) goto out;
    c.crow = idx[0];
    c.cgroup = group ? sp_table_col(&c.t, group) : -1;
    if (!c.dflt) c.dflt = "";
    if (sp_table_nums(&c.t, idx[1], 0, c.col, r->err) || sp_table_nums(&c.t, idx[2], 0, c.val, r->err) ||
        sp_table_nums(&c.t, mean ? sp_table_col(&c.t, mean) : -1, NAN, c.mean, r->err))
        goto out;
    rc = 2;
    if (n == 0) goto out;
    sp_strset groups = { 0 };
    for (long i = 0; i < n; i++) sp_strset_add(&groups, heat_group(&c, i));
    rc = 0;
    for (int g = 0; g < groups.n && rc == 0; g++) rc = heatmap_group(r, &c, groups.s[g]);
    sp_strset_free(&groups);
out:
    free(c.col);
    free(c.val);
    free(c.mean);
    sp_table_free(&c.t);
    return rc;
}

int sp_panel_heatmap(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    return sp_panel_get(m, p, "npy") ? heatmap_npy(r, m, p, id, dir) : heatmap_tsv(r, m, p, id, dir);
}

// ----------------------------------------------------------------------------
// line plots of a table: y against x, a series per value of the series
// column (and of split, when it takes several values), per group

typedef struct {
    const sp_manifest *m;
    const sp_panel *p;
    const char *id;
    sp_table t;
    sp_strset y, colour, only; /* the keys' words */
    int cx, cseries, cgroup, csplit, conly, cc[2];
    int *cy;
    long n;
    double *x, **vy, *c[2];  /* [n] each; c[1] 0 when absent */
    long *ord;               /* rows by (colour columns), stable */
    char *keep;              /* [n]: passes the `only` filter */
    int filtered;            /* the filter applied */
} lines_ctx;

static void lines_free(lines_ctx *c)
{
    for (int j = 0; c->vy && j < c->y.n; j++) free(c->vy[j]);
    free(c->vy);
    free(c->cy);
    free(c->x);
    free(c->c[0]);
    free(c->c[1]);
    free(c->ord);
    free(c->keep);
    sp_strset_free(&c->y);
    sp_strset_free(&c->colour);
    sp_strset_free(&c->only);
    sp_table_free(&c->t);
}

/* The columns: 0, 1 when an optional panel lacks one (skip it), -1. */
static int lines_columns(lines_ctx *c, sp_error *err)
{
    const sp_manifest *m = c->m;
    const sp_panel *p = c->p;
    sp_split(sp_panel_get(m, p, "y"), 0, &c->y);
    if (sp_panel_get(m, p, "colour")) sp_split(sp_panel_get(m, p, "colour"), 0, &c->colour);
    if (sp_panel_get(m, p, "only")) sp_split(sp_panel_get(m, p, "only"), 0, &c->only);
    const char *group = sp_panel_get(m, p, "group");
    /* the columns that must be there: x, y..., series, group, colour 1 */
    const char **need = sp_xcalloc((size_t)c->y.n + 5, sizeof *need);
    int nn = 0, *idx = sp_xcalloc((size_t)c->y.n + 5, sizeof *idx);
    need[nn++] = sp_panel_get(m, p, "x");
    for (int j = 0; j < c->y.n; j++) need[nn++] = c->y.s[j];
    if (sp_panel_get(m, p, "series")) need[nn++] = sp_panel_get(m, p, "series");
    if (group && !sp_panel_get(m, p, "group_default")) need[nn++] = group;
    if (c->colour.n) need[nn++] = c->colour.s[0];
    int rc = 0;
    for (int i = 0; i < nn && rc == 0; i++)
        if (sp_table_col(&c->t, need[i]) < 0) rc = sp_panel_flag(m, p, "optional") ? 1 : -1;
    if (rc < 0) sp_table_need(&c->t, need, idx, err);
    free(need);
    free(idx);
    if (rc != 0) return rc;
    c->cx = sp_table_col(&c->t, sp_panel_get(m, p, "x"));
    c->cy = sp_xcalloc((size_t)c->y.n, sizeof *c->cy);
    for (int j = 0; j < c->y.n; j++) c->cy[j] = sp_table_col(&c->t, c->y.s[j]);
    c->cseries = sp_panel_get(m, p, "series") ? sp_table_col(&c->t, sp_panel_get(m, p, "series")) : -1;
    c->cgroup = group ? sp_table_col(&c->t, group) : -1;
    c->csplit = sp_panel_get(m, p, "split") ? sp_table_col(&c->t, sp_panel_get(m, p, "split")) : -1;
    c->conly = c->only.n ? sp_table_col(&c->t, c->only.s[0]) : -1;
    for (int k = 0; k < 2; k++) c->cc[k] = k < c->colour.n ? sp_table_col(&c->t, c->colour.s[k]) : -1;
    return 0;
}

/* The numbers, the row order and the filter. */
static int lines_rows(lines_ctx *c, sp_error *err)
{
    long n = c->n = c->t.nrows;
    c->x = sp_xcalloc((size_t)n + 1, sizeof *c->x);
    c->vy = sp_xcalloc((size_t)c->y.n, sizeof *c->vy);
    for (int k = 0; k < 2; k++) c->c[k] = sp_xcalloc((size_t)n + 1, sizeof *c->c[k]);
    if (sp_table_nums(&c->t, c->cx, 0, c->x, err)) return -1;
    for (int j = 0; j < c->y.n; j++) {
        c->vy[j] = sp_xcalloc((size_t)n + 1, sizeof *c->vy[j]);
        if (sp_table_nums(&c->t, c->cy[j], 0, c->vy[j], err)) return -1;
    }
    for (int k = 0; k < 2; k++)
        if (sp_table_nums(&c->t, c->cc[k], 0, c->c[k], err)) return -1;
    /* by (colour 1, colour 2), stable: insertion sort, the file is nearly
     * ordered; without colour, file order */
    c->ord = sp_xmalloc(((size_t)n + 1) * sizeof *c->ord);
    for (long i = 0; i < n; i++) c->ord[i] = i;
    for (long i = 1; c->colour.n && i < n; i++) {
        long k = c->ord[i], j = i - 1;
        const double *a = c->c[0], *b = c->c[1];
        while (j >= 0 && (a[c->ord[j]] > a[k] || (a[c->ord[j]] == a[k] && b[c->ord[j]] > b[k]))) {
            c->ord[j + 1] = c->ord[j];
            j--;
        }
        c->ord[j + 1] = k;
    }
    /* only = COL V1 V2...: when some row has V1, only the rows of one of them */
    c->keep = sp_xmalloc((size_t)n + 1);
    memset(c->keep, 1, (size_t)n + 1);
    for (long i = 0; c->conly >= 0 && c->only.n > 1 && i < n; i++)
        c->filtered |= !strcmp(sp_table_cell(&c->t, i, c->conly), c->only.s[1]);
    for (long i = 0; c->filtered && i < n; i++) {
        int in = 0;
        for (int k = 1; k < c->only.n && !in; k++) in = !strcmp(sp_table_cell(&c->t, i, c->conly), c->only.s[k]);
        c->keep[i] = (char)in;
    }
    return 0;
}

static int in_group(const lines_ctx *c, long i, const char *group)
{
    return c->keep[i] && (c->cgroup < 0 || !strcmp(sp_table_cell(&c->t, i, c->cgroup), group));
}

/* The series of one group's rows R[nr] (in order): keys[s] names them,
 * key[k] is row R[k]'s series. */
static int lines_keys(const lines_ctx *c, const long *R, long nr, sp_strset *keys, int *key, sp_error *err)
{
    const sp_manifest *m = c->m;
    sp_strset splits = { 0 };
    for (long k = 0; c->csplit >= 0 && c->cseries >= 0 && k < nr; k++) sp_strset_add(&splits, sp_table_cell(&c->t, R[k], c->csplit));
    int many = splits.n > 1, rc = 0;
    sp_strset_free(&splits);
    for (long k = 0; k < nr && rc == 0; k++) {
        /* without a series column, one series named after the first y */
        const char *series = c->cseries >= 0 ? sp_table_cell(&c->t, R[k], c->cseries) : c->y.s[0];
        if (!many) {
            key[k] = sp_strset_add(keys, series);
            continue;
        }
        sp_tvar tv[] = { { "series", series, 0 }, { "split", sp_table_cell(&c->t, R[k], c->csplit), 0 } };
        char *name = sp_template(sp_panel_get(m, c->p, "split_name"), tv, 2, 0, m->path,
                                 sp_panel_line(m, c->p, "split_name"), err);
        if (!name) rc = -1;
        else key[k] = sp_strset_add(keys, name);
        free(name);
    }
    return rc;
}

/* The caption of a drawn figure (HTML), or NULL with err. */
static char *lines_caption(const lines_ctx *c, const sp_plot_lines *pl, const char *group, sp_error *err)
{
    char *ax = sp_report_axes(pl), clo[32], chi[32];
    snprintf(clo, sizeof clo, "%g", pl->clo);
    snprintf(chi, sizeof chi, "%g", pl->chi);
    const char *only = c->filtered && sp_panel_get(c->m, c->p, "only_note") ? sp_panel_get(c->m, c->p, "only_note") : "";
    sp_tvar tv[] = { { "id", c->id, 0 },         { "group", group, 0 },        { "title", pl->title, 0 },
                     { "axes", ax, 1 },          { "clabel", pl->clabel ? pl->clabel : "", 0 },
                     { "clo", clo, 0 },          { "chi", chi, 0 },            { "only", only, 0 } };
    char *cap = sp_template(sp_panel_get(c->m, c->p, "caption"), tv, 8, 1, c->m->path,
                            sp_panel_line(c->m, c->p, "caption"), err);
    free(ax);
    return cap;
}

/* One group's figure. */
static int lines_group(sp_report *r, const lines_ctx *c, const char *group)
{
    const sp_manifest *m = c->m;
    const sp_panel *p = c->p;
    long n = c->n, nr = 0, *R = sp_xmalloc(((size_t)n + 1) * sizeof *R);
    for (long k = 0; k < n; k++)
        if (in_group(c, c->ord[k], group)) R[nr++] = c->ord[k];
    /* colour by the second colour column when one value of the first has
     * rows at several of it (in the sorted order they are neighbours) */
    int within = 0;
    for (long k = 1; c->cc[1] >= 0 && k < nr && !within; k++)
        within = c->c[0][R[k]] == c->c[0][R[k - 1]] && c->c[1][R[k]] != c->c[1][R[k - 1]];
    sp_strset keys = { 0 };
    int *key = sp_xcalloc((size_t)nr + 1, sizeof *key), rc = lines_keys(c, R, nr, &keys, key, r->err);
    int S = keys.n, NY = c->y.n;
    sp_plot_series *se = sp_xcalloc((size_t)S * NY + 1, sizeof *se);
    double *buf = sp_xcalloc((size_t)nr * (2 + NY) + 1, sizeof *buf), *bx = buf, *bc = buf + nr;
    long used = 0;
    for (int s = 0; s < S; s++) {
        long m0 = used;
        for (long k = 0; k < nr; k++) {
            if (key[k] != s) continue;
            bx[used] = c->x[R[k]];
            bc[used] = c->c[within][R[k]];
            for (int j = 0; j < NY; j++) buf[(2 + j) * nr + used] = c->vy[j][R[k]];
            used++;
        }
        /* the first y solid and named, the others dashed in its colour */
        for (int j = 0; j < NY; j++)
            se[j * S + s] = (sp_plot_series){ .name = j ? NULL : keys.s[s], .n = (int)(used - m0), .x = bx + m0,
                                              .y = buf + (2 + j) * nr + m0, .c = c->colour.n ? bc + m0 : NULL,
                                              .dashed = j > 0, .colour = j ? s + 1 : 0 };
    }
    const char *log = sp_panel_get(m, p, "log");
    char *title = rc == 0 ? figure_title(m, p, c->id, group, r->err) : NULL;
    char *name = figure_name(c->id, p, sp_panel_get(m, p, "group") ? group : NULL), *base = sp_report_plot_base(r, name);
    sp_plot_lines pl = { 0 };
    pl.title = title, pl.xlabel = sp_panel_get(m, p, "xlabel"), pl.ylabel = sp_panel_get(m, p, "ylabel");
    pl.clabel = c->colour.n ? c->colour.s[within] : NULL;
    pl.logx = log && strchr(log, 'x'), pl.logy = log && strchr(log, 'y');
    pl.markers = sp_panel_flag(m, p, "markers"), pl.xinteger = sp_panel_flag(m, p, "xinteger");
    pl.nseries = S * NY, pl.series = se;
    double xr[2], yr[2];
    pl.xrange = axis_range(m, p, "x_range", xr), pl.yrange = axis_range(m, p, "y_range", yr);
    rc = title ? sp_plot_lines_write(base, &pl, r->err) : -1;
    if (rc == 1) rc = sp_report_nothing(r, title);
    else if (rc == 0) {
        char *cap = lines_caption(c, &pl, group, r->err);
        if (cap) sp_report_figure(r, name, cap);
        else rc = -1;
        free(cap);
    }
    free(title);
    free(name);
    free(base);
    free(se);
    free(buf);
    free(key);
    free(R);
    sp_strset_free(&keys);
    return rc;
}

int sp_panel_lines(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    lines_ctx c = { 0 };
    c.m = m, c.p = p, c.id = id;
    char *path = sp_path_join(dir, sp_panel_get(m, p, "file"));
    int rc = sp_table_read(&c.t, path, r->err);
    free(path);
    if (rc != 0) return rc > 0 ? 0 : -1;
    rc = lines_columns(&c, r->err);
    if (rc == 0) rc = lines_rows(&c, r->err);
    if (rc == 0 && c.n == 0) rc = 2;
    if (rc == 0) {
        const char *dflt = sp_panel_get(m, p, "group_default");
        sp_strset groups = { 0 };
        for (long i = 0; i < c.n; i++)
            if (c.keep[i]) sp_strset_add(&groups, c.cgroup >= 0 ? sp_table_cell(&c.t, i, c.cgroup) : dflt ? dflt : "");
        for (int g = 0; g < groups.n && rc == 0; g++) rc = lines_group(r, &c, groups.s[g]);
        sp_strset_free(&groups);
    }
    if (rc == 1) rc = 0; /* an optional panel without its columns */
    lines_free(&c);
    return rc;
}

// ----------------------------------------------------------------------------
// bands: per value of the row column, its centre across x over a shaded
// band centre +- width/2, per group

typedef struct {
    double row, x;
    long i;
} band_point;

/* By row, then x, then file order. */
static int band_point_cmp(const void *a, const void *b)
{
    const band_point *p = a, *q = b;
    if (p->row != q->row) return p->row < q->row ? -1 : 1;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

typedef struct {
    const sp_manifest *m;
    const sp_panel *p;
    const char *id;
    sp_table t;
    int cgroup;
    double *row, *x, *centre, *width; /* [n] each */
} bands_ctx;

static const char *band_group(const bands_ctx *c, long i)
{
    const char *dflt = sp_panel_get(c->m, c->p, "group_default");
    return c->cgroup >= 0 ? sp_table_cell(&c->t, i, c->cgroup) : dflt ? dflt : "";
}

/* The caption of a drawn figure (HTML), or NULL with err. */
static char *bands_caption(const bands_ctx *c, const sp_plot_bands *b, const char *group, sp_error *err)
{
    sp_plot_lines axes = { 0 };
    axes.xlo = b->xlo, axes.xhi = b->xhi, axes.ylo = b->ylo, axes.yhi = b->yhi;
    char *ax = sp_report_axes(&axes), rows[32], clo[32], chi[32];
    snprintf(rows, sizeof rows, "%d", b->rows);
    snprintf(clo, sizeof clo, "%g", b->clo);
    snprintf(chi, sizeof chi, "%g", b->chi);
    sp_tvar tv[] = { { "id", c->id, 0 },   { "group", group, 0 }, { "title", b->title, 0 }, { "axes", ax, 1 },
                     { "rows", rows, 0 }, { "clo", clo, 0 },     { "chi", chi, 0 } };
    char *cap = sp_template(sp_panel_get(c->m, c->p, "caption"), tv, 7, 1, c->m->path,
                            sp_panel_line(c->m, c->p, "caption"), err);
    free(ax);
    return cap;
}

/* One group's figure. */
static int bands_group(sp_report *r, const bands_ctx *c, const char *group)
{
    const sp_manifest *m = c->m;
    const sp_panel *p = c->p;
    long n = c->t.nrows, np = 0;
    band_point *pt = sp_xmalloc(((size_t)n + 1) * sizeof *pt);
    for (long i = 0; i < n; i++)
        if (!strcmp(band_group(c, i), group)) pt[np++] = (band_point){ c->row[i], c->x[i], i };
    qsort(pt, (size_t)np, sizeof *pt, band_point_cmp);
    double div = num_key(m, p, "y_divisor", 1);
    double *buf = sp_xmalloc(((size_t)np * 4 + 1) * sizeof *buf), *bx = buf, *bc = buf + np, *bw = buf + 2 * np,
           *val = buf + 3 * np;
    long *start = sp_xmalloc(((size_t)np + 2) * sizeof *start);
    int R = 0;
    for (long k = 0; k < np; k++) {
        if (k == 0 || pt[k].row != pt[k - 1].row) {
            start[R] = k;
            val[R++] = pt[k].row;
        }
        bx[k] = pt[k].x;
        bc[k] = c->centre[pt[k].i] / div;
        bw[k] = c->width[pt[k].i] / div;
    }
    start[R] = np;
    const char *log = sp_panel_get(m, p, "log");
    char *title = figure_title(m, p, c->id, group, r->err);
    char *name = figure_name(c->id, p, sp_panel_get(m, p, "group") ? group : NULL), *base = sp_report_plot_base(r, name);
    sp_plot_bands b = { 0 };
    b.title = title, b.xlabel = sp_panel_get(m, p, "xlabel"), b.ylabel = sp_panel_get(m, p, "ylabel");
    b.clabel = sp_panel_get(m, p, "clabel") ? sp_panel_get(m, p, "clabel") : sp_panel_get(m, p, "row");
    b.logy = log && !strcmp(log, "y"), b.xinteger = sp_panel_flag(m, p, "xinteger");
    b.rows = R, b.start = start, b.x = bx, b.centre = bc, b.width = bw, b.value = val;
    double yr[2];
    b.yrange = axis_range(m, p, "y_range", yr);
    double *marks;
    b.nmarks = sp_panel_marks(m, p, &marks), b.marks = marks;
    int rc = title ? sp_plot_bands_write(base, &b, r->err) : -1;
    if (rc == 1) rc = sp_report_nothing(r, title);
    else if (rc == 0) {
        char *cap = marks_note(bands_caption(c, &b, group, r->err), "y", marks, b.nmarks);
        if (cap) sp_report_figure(r, name, cap);
        else rc = -1;
        free(cap);
    }
    free(title);
    free(name);
    free(base);
    free(marks);
    free(buf);
    free(start);
    free(pt);
    return rc;
}

int sp_panel_bands(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    bands_ctx c = { m, p, id, { 0 }, -1, NULL, NULL, NULL, NULL };
    char *path = sp_path_join(dir, sp_panel_get(m, p, "file"));
    int rc = sp_table_read(&c.t, path, r->err);
    free(path);
    if (rc != 0) return rc > 0 ? 0 : -1;
    const char *group = sp_panel_get(m, p, "group");
    const char *need[6] = { sp_panel_get(m, p, "x"), sp_panel_get(m, p, "row"), sp_panel_get(m, p, "centre"),
                            sp_panel_get(m, p, "width"), group && !sp_panel_get(m, p, "group_default") ? group : NULL,
                            NULL };
    int idx[5];
    long n = c.t.nrows;
    double **col[4] = { &c.x, &c.row, &c.centre, &c.width };
    for (int k = 0; k < 4; k++) *col[k] = sp_xcalloc((size_t)n + 1, sizeof **col[k]);
    rc = sp_table_need(&c.t, need, idx, r->err);
    for (int k = 0; k < 4 && rc == 0; k++) rc = sp_table_nums(&c.t, idx[k], 0, *col[k], r->err);
    if (rc == 0 && n == 0) rc = 2;
    if (rc == 0) {
        c.cgroup = group ? sp_table_col(&c.t, group) : -1;
        sp_strset groups = { 0 };
        for (long i = 0; i < n; i++) sp_strset_add(&groups, band_group(&c, i));
        for (int g = 0; g < groups.n && rc == 0; g++) rc = bands_group(r, &c, groups.s[g]);
        sp_strset_free(&groups);
    }
    for (int k = 0; k < 4; k++) free(*col[k]);
    sp_table_free(&c.t);
    return rc;
}
