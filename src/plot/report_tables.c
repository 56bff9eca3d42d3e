/* report_tables.c - the manifest panels drawn as HTML: a grid of the
 * probe's own images (rows by columns of a table, with that table's other
 * columns beneath each image), and a table of a TSV's columns that may
 * join another probe folder's table (the epoch at which one of its
 * columns peaks, per matching row). The keys are in sincprobe-probe(3),
 * Report manifests. See report_parts.h. */
#include "config.h"
#include "plot/report_parts.h"
#include "base/util.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ----------------------------------------------------------------------------
// images: PREFIX_ROW_eCOL.png of the folder in a grid

/* The images PREFIX_ROW_eN.png of dir: their row and column values. */
typedef struct {
    int n;
    char **row;
    double *col;
    char **file;
} imglist;

static void imglist_scan(imglist *L, const char *dir, const char *prefix)
{
    memset(L, 0, sizeof *L);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    size_t pl = strlen(prefix);
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (l < pl + 8 || strncmp(nm, prefix, pl) || nm[pl] != '_' || strcmp(nm + l - 4, ".png")) continue;
        /* the last "_e" followed by digits only up to ".png" */
        const char *e = NULL;
        for (const char *p = nm + pl + 1; p + 2 < nm + l - 4; p++)
            if (p[0] == '_' && p[1] == 'e') {
                const char *q = p + 2;
                while (*q >= '0' && *q <= '9') q++;
                if (q > p + 2 && q == nm + l - 4) e = p;
            }
        if (!e || e == nm + pl + 1) continue;
        L->row = sp_xrealloc(L->row, (size_t)(L->n + 1) * sizeof *L->row);
        L->col = sp_xrealloc(L->col, (size_t)(L->n + 1) * sizeof *L->col);
        L->file = sp_xrealloc(L->file, (size_t)(L->n + 1) * sizeof *L->file);
        L->row[L->n] = sp_xasprintf("%.*s", (int)(e - (nm + pl + 1)), nm + pl + 1);
        L->col[L->n] = strtod(e + 2, NULL);
        L->file[L->n] = sp_xstrdup(nm);
        L->n++;
    }
    closedir(d);
}

static void imglist_free(imglist *L)
{
    for (int i = 0; i < L->n; i++) free(L->row[i]), free(L->file[i]);
    free(L->row);
    free(L->col);
    free(L->file);
}

/* The image of a cell (linked to its SVG when there is one). */
static void grid_image(sp_report *r, const char *id, const char *dir, const char *file)
{
    char *rel = sp_xasprintf("probes/%s/%s", id, file);
    char *svg = sp_xasprintf("%.*s.svg", (int)strlen(file) - 4, file), *svgpath = sp_path_join(dir, svg);
    int has_svg = sp_is_file(svgpath);
    if (has_svg) {
        fputs("<a href=\"", r->h);
        char *rs = sp_xasprintf("probes/%s/%s", id, svg);
        sp_html_url(r->h, rs);
        free(rs);
        fputs("\">", r->h);
    }
    fputs("<img class=\"thumb\" src=\"", r->h);
    sp_html_url(r->h, rel);
    fputs("\" alt=\"", r->h);
    sp_html_esc(r->h, file);
    fputs("\">", r->h);
    if (has_svg) fputs("</a>", r->h);
    free(rel);
    free(svg);
    free(svgpath);
}

/* Row l's cells: the image, then the table rows' other columns. */
static void grid_row(sp_report *r, const char *id, const char *dir, const sp_table *t, const int *idx,
                     const double *tc, const imglist *L, const char *row, const double *cols, int E)
{
    fputs("<tr><th>", r->h);
    sp_html_esc(r->h, row);
    fputs("</th>", r->h);
    for (int e = 0; e < E; e++) {
        fputs("<td>", r->h);
        for (int i = 0; i < L->n; i++)
            if (!strcmp(L->row[i], row) && L->col[i] == cols[e]) {
                grid_image(r, id, dir, L->file[i]);
                break;
            }
        for (long i = 0; i < t->nrows; i++) {
            if (strcmp(sp_table_cell(t, i, idx[0]), row) || tc[i] != cols[e]) continue;
            fputs("<div class=\"metrics\">", r->h);
            for (int c = 0; c < t->ncols; c++) {
                if (c == idx[0] || c == idx[1]) continue;
                sp_html_esc(r->h, t->names[c]);
                fputs(" ", r->h);
                sp_html_esc(r->h, sp_table_cell(t, i, c));
                fputs("<br>", r->h);
            }
            fputs("</div>", r->h);
        }
        fputs("</td>", r->h);
    }
    fputs("</tr>\n", r->h);
}

int sp_panel_images(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    sp_table t;
    char *path = sp_path_join(dir, sp_panel_get(m, p, "file"));
    int rc = sp_table_read(&t, path, r->err);
    free(path);
    if (rc != 0) return rc > 0 ? 0 : -1;
    const char *need[3] = { sp_panel_get(m, p, "rows"), sp_panel_get(m, p, "cols"), NULL };
    int idx[2];
    long n = t.nrows;
    double *tc = sp_xcalloc((size_t)n + 1, sizeof *tc);
    if (sp_table_need(&t, need, idx, r->err) != 0 || sp_table_nums(&t, idx[1], 0, tc, r->err) != 0) {
        free(tc);
        sp_table_free(&t);
        return -1;
    }
    imglist L;
    imglist_scan(&L, dir, sp_panel_get(m, p, "images"));
    sp_strset rows = { 0 };
    for (long i = 0; i < n; i++) sp_strset_add(&rows, sp_table_cell(&t, i, idx[0]));
    for (int i = 0; i < L.n; i++) sp_strset_add(&rows, L.row[i]);
    double *cols = sp_xcalloc((size_t)(n + L.n) + 1, sizeof *cols);
    memcpy(cols, tc, (size_t)n * sizeof *cols);
    memcpy(cols + n, L.col, (size_t)L.n * sizeof *cols);
    int E = sp_uniq_sorted(cols, (int)n + L.n);
    rc = rows.n ? 0 : 2;
    if (rows.n) {
        fputs("<table class=\"grid\"><tr><th>", r->h);
        sp_html_text(r->h, need[0]);
        fputs(" \\ ", r->h);
        sp_html_text(r->h, need[1]);
        fputs("</th>", r->h);
        for (int e = 0; e < E; e++) fprintf(r->h, "<th>%g</th>", cols[e]);
        fputs("</tr>\n", r->h);
        for (int l = 0; l < rows.n; l++) grid_row(r, id, dir, &t, idx, tc, &L, rows.s[l], cols, E);
        fputs("</table>\n", r->h);
    }
    sp_strset_free(&rows);
    imglist_free(&L);
    free(cols);
    free(tc);
    sp_table_free(&t);
    return rc;
}

// ----------------------------------------------------------------------------
// table: columns of a TSV, optionally joined with another folder's table

/* columns = NAME[?][:CLASS]...: '?' an optional column (an empty cell
 * when the table lacks it), CLASS the cells' class attribute. */
typedef struct {
    int n;
    char **name, **cls;
    int *optional, *col;
} colspec;

static void colspec_parse(colspec *cs, const char *s)
{
    sp_strset w = { 0 };
    sp_split(s, 0, &w);
    cs->n = w.n;
    cs->name = sp_xcalloc((size_t)w.n + 1, sizeof *cs->name);
    cs->cls = sp_xcalloc((size_t)w.n + 1, sizeof *cs->cls);
    cs->optional = sp_xcalloc((size_t)w.n + 1, sizeof *cs->optional);
    cs->col = sp_xcalloc((size_t)w.n + 1, sizeof *cs->col);
    for (int i = 0; i < w.n; i++) {
        char *colon = strchr(w.s[i], ':');
        if (colon) *colon = 0, cs->cls[i] = sp_xstrdup(colon + 1);
        size_t l = strlen(w.s[i]);
        if (l && w.s[i][l - 1] == '?') cs->optional[i] = 1, w.s[i][l - 1] = 0;
        cs->name[i] = sp_xstrdup(w.s[i]);
    }
    sp_strset_free(&w);
}

static void colspec_free(colspec *cs)
{
    for (int i = 0; i < cs->n; i++) free(cs->name[i]), free(cs->cls[i]);
    free(cs->name);
    free(cs->cls);
    free(cs->optional);
    free(cs->col);
}

static void td(FILE *h, const char *cls)
{
    if (cls) {
        fputs("<td class=\"", h);
        sp_html_esc(h, cls);
        fputs("\">", h);
    } else {
        fputs("<td>", h);
    }
}

/* The joined table: join_key, join_group, join_by (BY [WITHIN]) and
 * join_max columns of the first probe folder, in name order, holding the
 * file `join`. */
typedef struct {
    sp_table t;
    int ckey, cgroup, cby, cwithin, cmax;
    sp_strset groups, keys; /* distinct, in file order */
} join_tab;

static void join_free(join_tab *j)
{
    sp_table_free(&j->t);
    sp_strset_free(&j->groups);
    sp_strset_free(&j->keys);
}

/* 0 (j->t.path NULL: no folder holds the file, or no join), -1. */
static int join_read(sp_report *r, const sp_manifest *m, const sp_panel *p, join_tab *j)
{
    memset(j, 0, sizeof *j);
    const char *file = sp_panel_get(m, p, "join");
    int got = 1;
    for (int i = 0; file && i < r->ids.n && got == 1; i++) {
        char *path = sp_report_probe_file(r, r->ids.s[i], file);
        got = sp_table_read(&j->t, path, r->err);
        free(path);
    }
    if (got < 0) return -1;
    if (got == 1) return 0;
    sp_strset by = { 0 };
    sp_split(sp_panel_get(m, p, "join_by"), 0, &by);
    const char *need[5] = { sp_panel_get(m, p, "join_key"), sp_panel_get(m, p, "join_group"), by.s[0],
                            sp_panel_get(m, p, "join_max"), NULL };
    int idx[4], rc = sp_table_need(&j->t, need, idx, r->err);
    j->ckey = idx[0], j->cgroup = idx[1], j->cby = idx[2], j->cmax = idx[3];
    j->cwithin = by.n > 1 ? sp_table_col(&j->t, by.s[1]) : -1;
    sp_strset_free(&by);
    for (long i = 0; rc == 0 && i < j->t.nrows; i++) {
        sp_strset_add(&j->groups, sp_table_cell(&j->t, i, j->cgroup));
        sp_strset_add(&j->keys, sp_table_cell(&j->t, i, j->ckey));
    }
    return rc;
}

/* Two keys "match" when equal, or when one contains the other (e.g.
 * "conv1" and "conv1/w"): probes may name layers differently. */
static int key_match(const char *a, const char *b)
{
    return !strcmp(a, b) || (*a && *b && (strstr(a, b) || strstr(b, a)));
}

/* argmax over BY of MAX among the rows of (key, group): the latest WITHIN
 * of each run of rows with one BY value stands for it. */
static int join_argmax(const join_tab *j, const char *key, const char *group, double *by, double *val)
{
    const sp_table *t = &j->t;
    double best = -INFINITY, bby = NAN, lastby = NAN, lastw = -INFINITY, lastx = NAN;
    for (long i = 0; i <= t->nrows; i++) {
        double e = NAN, s = 0, x = NAN;
        if (i < t->nrows) {
            if (strcmp(sp_table_cell(t, i, j->ckey), key) || strcmp(sp_table_cell(t, i, j->cgroup), group)) continue;
            e = strtod(sp_table_cell(t, i, j->cby), NULL);
            x = strtod(sp_table_cell(t, i, j->cmax), NULL);
            s = j->cwithin >= 0 ? strtod(sp_table_cell(t, i, j->cwithin), NULL) : 0;
        }
        if (isfinite(lastby) && (i == t->nrows || e != lastby)) {
            if (lastx > best) best = lastx, bby = lastby;
            lastw = -INFINITY;
        }
        if (i == t->nrows) break;
        if (e != lastby || s >= lastw) lastx = x, lastw = s;
        lastby = e;
    }
    *by = bby;
    *val = best;
    return isfinite(bby);
}

/* The join's cells of a row whose key matched join key k (-1: none). */
static void join_cells(sp_report *r, const sp_manifest *m, const sp_panel *p, const join_tab *j, int k)
{
    const char *unit = sp_panel_get(m, p, "join_unit"), *cls = sp_panel_get(m, p, "join_class");
    for (int g = 0; g < j->groups.n; g++) {
        double by, val;
        fputs("<td>", r->h);
        if (k >= 0) sp_html_esc(r->h, j->keys.s[k]);
        fputs("</td>", r->h);
        td(r->h, cls);
        if (k >= 0 && join_argmax(j, j->keys.s[k], j->groups.s[g], &by, &val)) {
            fprintf(r->h, "%g (%.4g", by, val);
            if (unit) fputc(' ', r->h), sp_html_text(r->h, unit);
            fputs(")", r->h);
        } else {
            fputs("&mdash;", r->h);
        }
        fputs("</td>", r->h);
    }
}

/* <h2> (with a section), the intro and the header row. */
static void table_head(sp_report *r, const sp_manifest *m, const sp_panel *p, const colspec *cs, const join_tab *j)
{
    const char *section = sp_panel_get(m, p, "section"), *intro = sp_panel_get(m, p, "intro");
    if (section) {
        fputs("<h2 id=\"", r->h);
        sp_html_esc(r->h, p->name);
        fputs("\">", r->h);
        sp_html_text(r->h, section);
        fputs("</h2>\n", r->h);
    }
    if (intro) {
        fputs("<p>", r->h);
        sp_html_text(r->h, intro);
        if (j->groups.n && sp_panel_get(m, p, "join_intro")) {
            fputs(" ", r->h);
            sp_html_text(r->h, sp_panel_get(m, p, "join_intro"));
        }
        fputs(".</p>\n", r->h);
    }
    fputs("<table class=\"nums\"", r->h);
    if (section) {
        fputs(" id=\"", r->h);
        sp_html_esc(r->h, p->name);
        fputs("-table\"", r->h);
    }
    fputs("><tr>", r->h);
    sp_strset labels = { 0 }, jl = { 0 };
    if (sp_panel_get(m, p, "labels")) sp_split(sp_panel_get(m, p, "labels"), 1, &labels);
    if (sp_panel_get(m, p, "join_labels")) sp_split(sp_panel_get(m, p, "join_labels"), 1, &jl);
    for (int i = 0; i < cs->n; i++) {
        fputs("<th>", r->h);
        sp_html_text(r->h, i < labels.n ? labels.s[i] : cs->name[i]);
        fputs("</th>", r->h);
    }
    for (int g = 0; g < j->groups.n; g++) {
        fputs("<th>", r->h);
        sp_html_text(r->h, jl.n > 0 ? jl.s[0] : sp_panel_get(m, p, "join_key"));
        fputs("</th><th>", r->h);
        sp_html_text(r->h, jl.n > 1 ? jl.s[1] : sp_panel_get(m, p, "join_max"));
        fputs(", ", r->h);
        sp_html_esc(r->h, j->groups.s[g]);
        fputs("</th>", r->h);
    }
    fputs("</tr>\n", r->h);
    sp_strset_free(&labels);
    sp_strset_free(&jl);
}

/* The rows: the table's, each beside the join key matching its first
 * column (equal, else containing or contained); then a row of dashes for
 * each join key no row matched. */
static void table_rows(sp_report *r, const sp_manifest *m, const sp_panel *p, const sp_table *t, const colspec *cs,
                       const join_tab *j)
{
    int *matched = sp_xcalloc((size_t)j->keys.n + 1, sizeof *matched);
    for (long i = 0; i < t->nrows; i++) {
        fputs("<tr>", r->h);
        for (int c = 0; c < cs->n; c++) {
            td(r->h, cs->cls[c]);
            sp_html_esc(r->h, cs->col[c] >= 0 ? sp_table_cell(t, i, cs->col[c]) : "");
            fputs("</td>", r->h);
        }
        const char *key = cs->col[0] >= 0 ? sp_table_cell(t, i, cs->col[0]) : "";
        int k = -1;
        for (int q = 0; q < j->keys.n && k < 0; q++)
            if (!strcmp(j->keys.s[q], key)) k = q;
        for (int q = 0; q < j->keys.n && k < 0; q++)
            if (key_match(j->keys.s[q], key)) k = q;
        if (k >= 0) matched[k] = 1;
        join_cells(r, m, p, j, k);
        fputs("</tr>\n", r->h);
    }
    for (int k = 0; j->groups.n && k < j->keys.n; k++) {
        if (matched[k]) continue;
        fputs("<tr>", r->h);
        for (int c = 0; c < cs->n; c++) {
            td(r->h, cs->cls[c]);
            fputs(cs->optional[c] ? "</td>" : "&mdash;</td>", r->h);
        }
        join_cells(r, m, p, j, k);
        fputs("</tr>\n", r->h);
    }
    free(matched);
}

int sp_panel_table(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    sp_table t;
    char *path = sp_path_join(dir, sp_panel_get(m, p, "file"));
    int rc = sp_table_read(&t, path, r->err);
    free(path);
    (void)id;
    if (rc != 0) return rc > 0 ? 0 : -1;
    colspec cs = { 0 };
    colspec_parse(&cs, sp_panel_get(m, p, "columns"));
    const char **need = sp_xcalloc((size_t)cs.n + 1, sizeof *need);
    int nn = 0, *idx = sp_xcalloc((size_t)cs.n + 1, sizeof *idx);
    for (int c = 0; c < cs.n; c++) {
        cs.col[c] = sp_table_col(&t, cs.name[c]);
        if (!cs.optional[c]) need[nn++] = cs.name[c];
    }
    join_tab j;
    rc = sp_table_need(&t, need, idx, r->err);
    if (rc == 0) rc = join_read(r, m, p, &j);
    else memset(&j, 0, sizeof j);
    if (rc == 0) {
        table_head(r, m, p, &cs, &j);
        table_rows(r, m, p, &t, &cs, &j);
        fputs("</table>\n", r->h);
    }
    join_free(&j);
    free(need);
    free(idx);
    colspec_free(&cs);
    sp_table_free(&t);
    return rc;
}
