/* report.c - the figures and report.html of a run directory. See report.h. */
#include "config.h"
#include "plot/report.h"
#include "base/log.h"
#include "base/npy.h"
#include "plot/plot.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// ----------------------------------------------------------------------------
// TSV tables, read by column name

typedef struct {
    char *path;
    int ncols;
    char **names;  /* [ncols], into buf */
    long nrows;
    char **cell;   /* [nrows][ncols], into buf */
    long *line;    /* [nrows]: the row's line number in the file */
    char *buf;
} table;

static void table_free(table *t)
{
    free(t->path);
    free(t->names);
    free(t->cell);
    free(t->line);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* Split s at tabs in place into at most max fields; returns the count
 * (more than max: max + 1). */
static int split_tabs(char *s, char **f, int max)
{
    int n = 0;
    for (;;) {
        if (n < max) f[n] = s;
        n++;
        char *tab = strchr(s, '\t');
        if (!tab) break;
        *tab = 0;
        s = tab + 1;
        if (n > max) break;
    }
    return n > max ? max + 1 : n;
}

/* 1: the file does not exist (t untouched); 0: read; -1: err. */
static int table_read(table *t, const char *path, sp_error *err)
{
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) return 1;
    size_t len;
    char *buf = sp_read_file(path, &len, err);
    if (!buf) return -1;
    if (strlen(buf) != len) {
        free(buf);
        return sp_fail(err, "'%s': not a text file (a NUL byte)", path);
    }
    t->path = sp_xstrdup(path);
    t->buf = buf;
    /* lines */
    long nlines = 1;
    for (char *p = buf; *p; p++)
        if (*p == '\n') nlines++;
    char **lines = sp_xcalloc((size_t)nlines, sizeof *lines);
    long n = 0;
    for (char *p = buf; p;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = 0;
        p = nl ? nl + 1 : NULL;
    }
    if (n == 0 || !lines[0][0]) {
        free(lines);
        sp_fail(err, "'%s' line 1: no header", path);
        table_free(t);
        return -1;
    }
    int ncols = 1;
    for (char *p = lines[0]; *p; p++)
        if (*p == '\t') ncols++;
    t->ncols = ncols;
    t->names = sp_xcalloc((size_t)ncols, sizeof *t->names);
    split_tabs(lines[0], t->names, ncols);
    t->cell = sp_xcalloc((size_t)n * ncols, sizeof *t->cell);
    t->line = sp_xcalloc((size_t)n, sizeof *t->line);
    char **f = sp_xcalloc((size_t)ncols + 1, sizeof *f);
    for (long i = 1; i < n; i++) {
        if (!lines[i][0]) continue; /* the final newline, blank lines */
        int got = split_tabs(lines[i], f, ncols);
        if (got != ncols) {
            sp_fail(err, "'%s' line %ld: %s%d fields, the header has %d", path, i + 1, got > ncols ? "more than " : "",
                    got > ncols ? ncols : got, ncols);
            free(f);
            free(lines);
            table_free(t);
            return -1;
        }
        memcpy(t->cell + (size_t)t->nrows * ncols, f, (size_t)ncols * sizeof *f);
        t->line[t->nrows++] = i + 1;
    }
    free(f);
    free(lines);
    return 0;
}

static int table_col(const table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

/* The columns names[n] (NULL-terminated); -1 with err naming the first
 * missing one. */
static int table_need(const table *t, const char *const *names, int *idx, sp_error *err)
{
    for (int i = 0; names[i]; i++) {
        idx[i] = table_col(t, names[i]);
        if (idx[i] < 0)
            return sp_fail(err, "'%s' line 1: no column '%s' in the header", t->path, names[i]);
    }
    return 0;
}

static const char *cellv(const table *t, long r, int c)
{
    return t->cell[(size_t)r * t->ncols + c];
}

/* A number (nan and inf accepted); -1 with err naming file, line, column. */
static int table_num(const table *t, long r, int c, double *v, sp_error *err)
{
    const char *s = cellv(t, r, c);
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end) {
        return sp_fail(err, "'%s' line %ld: column '%s': '%s' is not a number", t->path, t->line[r], t->names[c], s);
    }
    return 0;
}

// ----------------------------------------------------------------------------
// HTML

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A relative URL: bytes outside [A-Za-z0-9._/-] percent-encoded. */
static void url(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._/-", *p))
            fputc(*p, f);
        else fprintf(f, "%%%02X", *p);
    }
}

/* A file name from free text: [A-Za-z0-9._-] kept, the rest '_'. */
static char *safe_name(const char *s)
{
    char *r = sp_xstrdup(s);
    for (char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            *p = '_';
    if (r[0] == '.') r[0] = '_';
    return r;
}

typedef struct {
    const char *run;
    char *plots;    /* RUN/plots */
    FILE *h;        /* the HTML body being built */
    int figures, images;
    sp_error *err;
    /* for the transition table */
    table trans;    /* gradsnr's transition.tsv (path NULL: none) */
    char *trans_id;
    table mi;       /* mi.tsv */
    char *mi_id;
} report;

/* Draw-side helper: the path RUN/plots/NAME (no extension). */
static char *plot_base(report *r, const char *name)
{
    return sp_path_join(r->plots, name);
}

/* A figure: plots/NAME.png linking to its SVG, and a caption (raw HTML). */
static void html_figure(report *r, const char *name, const char *caption)
{
    fputs("<figure><a href=\"plots/", r->h);
    url(r->h, name);
    fputs(".svg\"><img src=\"plots/", r->h);
    url(r->h, name);
    fputs(".png\" alt=\"", r->h);
    esc(r->h, name);
    fputs("\"></a><figcaption>", r->h);
    fputs(caption, r->h);
    fputs("</figcaption></figure>\n", r->h);
    r->figures++;
    r->images++;
}

/* A figure with no finite point (all NaN, or none > 0 on a log axis). */
static int nothing(report *r, const char *what)
{
    fputs("<p class=\"empty\">", r->h);
    esc(r->h, what);
    fputs(": no finite values to draw.</p>\n", r->h);
    return 0;
}

static char *fmt_axes(const sp_plot_lines *p)
{
    return sp_xasprintf("x <span class=\"range\" data-axis=\"x\">%g .. %g</span>, y <span class=\"range\" "
                        "data-axis=\"y\">%g .. %g</span>",
                        p->xlo, p->xhi, p->ylo, p->yhi);
}

// ----------------------------------------------------------------------------
// learning curves

typedef struct {
    long n;
    double *epoch, *tl, *tf, *dl, *df, *sec;
} curves;

static void curves_free(curves *c)
{
    free(c->epoch);
    free(c->tl);
    free(c->tf);
    free(c->dl);
    free(c->df);
    free(c->sec);
}

static int read_log(const char *run, curves *c, sp_error *err)
{
    memset(c, 0, sizeof *c);
    char *path = sp_path_join(run, "log.tsv");
    table t;
    int rc = table_read(&t, path, err);
    if (rc == 1) sp_fail(err, "'%s': no such file (is '%s' a run directory?)", path, run);
    free(path);
    if (rc != 0) return -1;
    static const char *const need[] = { "epoch", "train_loss", "train_fer", "dev_loss", "dev_fer", NULL };
    int idx[5];
    if (table_need(&t, need, idx, err) != 0) {
        table_free(&t);
        return -1;
    }
    int sc = table_col(&t, "seconds");
    c->n = t.nrows;
    double **dst[5] = { &c->epoch, &c->tl, &c->tf, &c->dl, &c->df };
    for (int k = 0; k < 5; k++) *dst[k] = sp_xcalloc((size_t)(t.nrows + 1), sizeof(double));
    c->sec = sp_xcalloc((size_t)(t.nrows + 1), sizeof(double));
    for (long i = 0; i < t.nrows; i++) {
        for (int k = 0; k < 5; k++)
            if (table_num(&t, i, idx[k], &(*dst[k])[i], err) != 0) goto bad;
        if (sc >= 0 && table_num(&t, i, sc, &c->sec[i], err) != 0) goto bad;
        if (sc < 0) c->sec[i] = NAN;
    }
    table_free(&t);
    return 0;
bad:
    table_free(&t);
    curves_free(c);
    return -1;
}

static int learning_curves(report *r, const curves *c)
{
    fputs("<h2 id=\"learning\">Learning curves</h2>\n", r->h);
    if (c->n == 0) {
        fputs("<p>No epoch finished yet.</p>\n", r->h);
        return 0;
    }
    struct {
        const char *name, *title, *ylabel;
        const double *a, *b;
    } f[2] = {
        { "learning_loss", "loss (cross-entropy per frame)", "loss", c->tl, c->dl },
        { "learning_fer", "frame error rate", "FER", c->tf, c->df },
    };
    for (int k = 0; k < 2; k++) {
        sp_plot_series s[2] = { { "train", (int)c->n, c->epoch, f[k].a, NULL, 0, 0 },
                                { "dev", (int)c->n, c->epoch, f[k].b, NULL, 0, 0 } };
        sp_plot_lines p = { 0 };
        p.title = f[k].title, p.xlabel = "epoch", p.ylabel = f[k].ylabel, p.markers = 1, p.xinteger = 1;
        p.nseries = 2, p.series = s;
        char *base = plot_base(r, f[k].name);
        int rc = sp_plot_lines_write(base, &p, r->err);
        free(base);
        if (rc == 1) {
            nothing(r, f[k].title);
            continue;
        }
        if (rc != 0) return -1;
        char *ax = fmt_axes(&p), *cap = sp_xasprintf("%s, train and dev, by epoch: %s", f[k].title, ax);
        html_figure(r, f[k].name, cap);
        free(ax);
        free(cap);
    }
    return 0;
}

// ----------------------------------------------------------------------------
// probes

static int exists_in(const char *dir, const char *name)
{
    char *p = sp_path_join(dir, name);
    int e = sp_is_file(p);
    free(p);
    return e;
}

/* afr: afr.npy [epochs][bins] and freqs.npy [bins] -> a heatmap. */
static int probe_afr(report *r, const char *id, const char *dir)
{
    char *pa = sp_path_join(dir, "afr.npy"), *pf = sp_path_join(dir, "freqs.npy");
    sp_npy_dtype ta, tf;
    int ra, rf;
    long sa[SP_NPY_MAXRANK], sf[SP_NPY_MAXRANK];
    float *a = sp_npy_read(pa, &ta, &ra, sa, r->err), *fr = a ? sp_npy_read(pf, &tf, &rf, sf, r->err) : NULL;
    int rc = -1;
    if (!a || !fr) goto out;
    if (ta != SP_NPY_F32 || ra != 2 || tf != SP_NPY_F32 || rf != 1 || sf[0] != sa[1] || sa[1] < 2) {
        sp_fail(r->err, "'%s': not float32 [epochs][bins] matching '%s' [bins]", pa, pf);
        goto out;
    }
    fprintf(r->h, "<h3>AFR</h3>\n");
    if (sa[0] == 0) {
        fputs("<p>No epoch recorded.</p>\n", r->h);
        rc = 0;
        goto out;
    }
    long E = sa[0], B = sa[1];
    double *v = sp_xmalloc((size_t)E * B * sizeof *v);
    for (long i = 0; i < E * B; i++) v[i] = a[i];
    char **lab = sp_xcalloc((size_t)E, sizeof *lab);
    for (long e = 0; e < E; e++) lab[e] = sp_xasprintf("%ld", e + 1);
    sp_plot_heatmap h = { 0 };
    char *title = sp_xasprintf("AFR over training (probe %s)", id);
    h.title = title, h.xlabel = "frequency (kHz)", h.ylabel = "epoch", h.clabel = "AFR";
    h.rows = (int)E, h.cols = (int)B, h.v = v, h.row_label = (const char *const *)lab;
    h.x0 = fr[0] / 1000.0, h.x1 = fr[B - 1] / 1000.0, h.vmin = NAN, h.vmax = NAN;
    char *sid = safe_name(id), *name = sp_xasprintf("%s_afr", sid), *base = plot_base(r, name);
    rc = sp_plot_heatmap_write(base, &h, r->err);
    if (rc == 0) {
        char *cap = sp_xasprintf("average frequency response of the first layer, epochs 1 .. %ld by frequency "
                                 "%g .. %g Hz",
                                 E, (double)fr[0], (double)fr[B - 1]);
        html_figure(r, name, cap);
        free(cap);
    }
    for (long e = 0; e < E; e++) free(lab[e]);
    free(lab);
    free(v);
    free(title);
    free(sid);
    free(name);
    free(base);
out:
    free(a);
    free(fr);
    free(pa);
    free(pf);
    return rc;
}

/* Distinct strings in order of first appearance. */
typedef struct {
    int n;
    char **s;
} strset;

static int strset_add(strset *s, const char *v)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->s[i], v)) return i;
    s->s = sp_xrealloc(s->s, (size_t)(s->n + 1) * sizeof *s->s);
    s->s[s->n] = sp_xstrdup(v);
    return s->n++;
}

/* Append without looking for a duplicate. */
static void strset_push(strset *s, const char *v)
{
    s->s = sp_xrealloc(s->s, (size_t)(s->n + 1) * sizeof *s->s);
    s->s[s->n++] = sp_xstrdup(v);
}

static void strset_free(strset *s)
{
    for (int i = 0; i < s->n; i++) free(s->s[i]);
    free(s->s);
    s->n = 0, s->s = NULL;
}

/* Sorted distinct doubles. */
static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int uniq_sorted(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dcmp);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1]) v[m++] = v[i];
    return m;
}

static int find_d(const double *v, int n, double x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return i;
    return -1;
}

/* mi: one information-plane figure per estimator (per scale when an
 * estimator has several), one trajectory per layer, coloured by epoch
 * (by step when some epoch has several steps). */
static int probe_mi(report *r, const char *id, const char *dir, table *t)
{
    static const char *const need[] = { "epoch", "layer", "estimator", "i_xt", "i_ty", NULL };
    int idx[5];
    if (table_need(t, need, idx, r->err) != 0) return -1;
    int cstep = table_col(t, "step"), cscale = table_col(t, "scale");
    long n = t->nrows;
    double *ep = sp_xcalloc((size_t)n + 1, sizeof *ep), *st = sp_xcalloc((size_t)n + 1, sizeof *st);
    double *x = sp_xcalloc((size_t)n + 1, sizeof *x), *y = sp_xcalloc((size_t)n + 1, sizeof *y);
    int rc = -1;
    for (long i = 0; i < n; i++) {
        if (table_num(t, i, idx[0], &ep[i], r->err) || table_num(t, i, idx[3], &x[i], r->err) ||
            table_num(t, i, idx[4], &y[i], r->err) || (cstep >= 0 && table_num(t, i, cstep, &st[i], r->err)))
            goto out;
    }
    fputs("<h3>Information plane</h3>\n", r->h);
    if (n == 0) {
        fputs("<p>No rows in mi.tsv.</p>\n", r->h);
        rc = 0;
        goto out;
    }
    strset est = { 0 };
    for (long i = 0; i < n; i++) strset_add(&est, cellv(t, i, idx[2]));
    /* order of the rows: by (epoch, step), stable */
    long *ord = sp_xmalloc((size_t)n * sizeof *ord);
    for (long i = 0; i < n; i++) ord[i] = i;
    for (long i = 1; i < n; i++) { /* insertion sort: the file is nearly ordered */
        long k = ord[i], j = i - 1;
        while (j >= 0 && (ep[ord[j]] > ep[k] || (ep[ord[j]] == ep[k] && st[ord[j]] > st[k]))) {
            ord[j + 1] = ord[j];
            j--;
        }
        ord[j + 1] = k;
    }
    char *sid = safe_name(id);
    rc = 0;
    for (int e = 0; e < est.n && rc == 0; e++) {
        strset scales = { 0 }, keys = { 0 };
        /* colour by step when an epoch of this estimator has rows at
         * several steps (mid-epoch measurements): in (epoch, step) order
         * such rows are neighbours */
        int by_step = 0;
        for (long k = 0, prev = -1; k < n && !by_step; k++) {
            long i = ord[k];
            if (strcmp(cellv(t, i, idx[2]), est.s[e])) continue;
            if (prev >= 0 && ep[prev] == ep[i] && st[prev] != st[i]) by_step = 1;
            prev = i;
        }
        for (long i = 0; i < n; i++)
            if (!strcmp(cellv(t, i, idx[2]), est.s[e])) strset_add(&scales, cscale >= 0 ? cellv(t, i, cscale) : "");
        for (long k = 0; k < n; k++) {
            long i = ord[k];
            if (strcmp(cellv(t, i, idx[2]), est.s[e])) continue;
            char *key = scales.n > 1 ? sp_xasprintf("%s (scale %s)", cellv(t, i, idx[1]), cellv(t, i, cscale))
                                     : sp_xstrdup(cellv(t, i, idx[1]));
            strset_add(&keys, key);
            free(key);
        }
        int S = keys.n;
        sp_plot_series *se = sp_xcalloc((size_t)S, sizeof *se);
        double *bx = sp_xcalloc((size_t)n * 3, sizeof *bx);
        long used = 0;
        for (int s = 0; s < S; s++) {
            se[s].name = keys.s[s];
            se[s].x = bx + used, se[s].y = bx + n + used, se[s].c = bx + 2 * n + used;
            for (long k = 0; k < n; k++) {
                long i = ord[k];
                if (strcmp(cellv(t, i, idx[2]), est.s[e])) continue;
                char *key = scales.n > 1 ? sp_xasprintf("%s (scale %s)", cellv(t, i, idx[1]), cellv(t, i, cscale))
                                         : sp_xstrdup(cellv(t, i, idx[1]));
                int match = !strcmp(key, keys.s[s]);
                free(key);
                if (!match) continue;
                bx[used] = x[i], bx[n + used] = y[i], bx[2 * n + used] = by_step ? st[i] : ep[i];
                used++, se[s].n++;
            }
        }
        sp_plot_lines p = { 0 };
        char *title = sp_xasprintf("information plane, %s (probe %s)", est.s[e], id);
        p.title = title, p.xlabel = "I(X;T) (bits)", p.ylabel = "I(T;Y) (bits)";
        p.clabel = by_step ? "step" : "epoch", p.nseries = S, p.series = se;
        char *sest = safe_name(est.s[e]), *name = sp_xasprintf("%s_mi_%s", sid, sest), *base = plot_base(r, name);
        rc = sp_plot_lines_write(base, &p, r->err);
        if (rc == 1) rc = nothing(r, title);
        else if (rc == 0) {
            char *ax = fmt_axes(&p);
            char *cap = sp_xasprintf("estimator %s: one trajectory per layer, %s from %g to %g; %s", est.s[e],
                                     p.clabel, p.clo, p.chi, ax);
            html_figure(r, name, cap);
            free(ax);
            free(cap);
        }
        free(title);
        free(sest);
        free(name);
        free(base);
        free(bx);
        free(se);
        strset_free(&scales);
        strset_free(&keys);
    }
    free(sid);
    free(ord);
    strset_free(&est);
out:
    free(ep);
    free(st);
    free(x);
    free(y);
    return rc;
}

/* gradsnr: SNR and gradient norms per layer by epoch, log y. */
static int probe_gradsnr(report *r, const char *id, const char *dir, table *t)
{
    static const char *const need[] = { "epoch", "layer", "snr", NULL };
    int idx[3];
    if (table_need(t, need, idx, r->err) != 0) return -1;
    (void)dir;
    int cp = table_col(t, "param"), cm = table_col(t, "mean_norm"), cs = table_col(t, "std_norm");
    long n = t->nrows;
    double *v = sp_xcalloc((size_t)n * 4 + 1, sizeof *v); /* epoch, snr, mean, std */
    for (long i = 0; i < n; i++) {
        v[4 * i + 2] = v[4 * i + 3] = NAN;
        if (table_num(t, i, idx[0], &v[4 * i], r->err) || table_num(t, i, idx[2], &v[4 * i + 1], r->err) ||
            (cm >= 0 && table_num(t, i, cm, &v[4 * i + 2], r->err)) ||
            (cs >= 0 && table_num(t, i, cs, &v[4 * i + 3], r->err))) {
            free(v);
            return -1;
        }
    }
    fputs("<h3>Gradient signal-to-noise ratio</h3>\n", r->h);
    if (n == 0) {
        fputs("<p>No rows in gradsnr.tsv.</p>\n", r->h);
        free(v);
        return 0;
    }
    /* The SNR per layer is about the weights (IDNNs, ibsgd): when the table
     * has weight rows ("w", and the sinc cut-offs), only those are drawn;
     * biases and norm gains stay in gradsnr.tsv. */
    int weights_only = 0;
    for (long i = 0; cp >= 0 && i < n; i++) weights_only |= !strcmp(cellv(t, i, cp), "w");
#define IS_WEIGHT(p) (!strcmp(p, "w") || !strcmp(p, "low_hz") || !strcmp(p, "band_hz"))
    strset keys = { 0 }, params = { 0 };
    for (long i = 0; i < n; i++)
        if (!weights_only || IS_WEIGHT(cellv(t, i, cp))) strset_add(&params, cp >= 0 ? cellv(t, i, cp) : "");
    long *key = sp_xmalloc((size_t)n * sizeof *key);
    for (long i = 0; i < n; i++) {
        if (weights_only && !IS_WEIGHT(cellv(t, i, cp))) {
            key[i] = -1;
            continue;
        }
        char *k = params.n > 1 ? sp_xasprintf("%s/%s", cellv(t, i, idx[1]), cellv(t, i, cp))
                               : sp_xstrdup(cellv(t, i, idx[1]));
        key[i] = strset_add(&keys, k);
        free(k);
    }
    int S = keys.n;
    double *cols = sp_xcalloc((size_t)n * 4 + 1, sizeof *cols);
    sp_plot_series *snr = sp_xcalloc((size_t)S, sizeof *snr), *nrm = sp_xcalloc((size_t)S * 2, sizeof *nrm);
    long used = 0;
    for (int s = 0; s < S; s++) {
        double *ex = cols + used, *sy = cols + n + used, *my = cols + 2 * n + used, *dy = cols + 3 * n + used;
        int m = 0;
        for (long i = 0; i < n; i++)
            if (key[i] == s) {
                ex[m] = v[4 * i], sy[m] = v[4 * i + 1], my[m] = v[4 * i + 2], dy[m] = v[4 * i + 3];
                m++;
            }
        used += m;
        snr[s] = (sp_plot_series){ keys.s[s], m, ex, sy, NULL, 0, 0 };
        nrm[s] = (sp_plot_series){ keys.s[s], m, ex, my, NULL, 0, 0 };
        nrm[S + s] = (sp_plot_series){ NULL, m, ex, dy, NULL, 1, s + 1 };
    }
    char *sid = safe_name(id);
    int rc = 0;
    struct {
        const char *suffix, *title, *ylabel;
        sp_plot_series *s;
        int ns;
    } fig[2] = {
        { "snr", "gradient SNR per layer", "SNR = |mean g| / std g", snr, S },
        { "norms", "gradient norms: mean (solid), std (dashed)", "norm", nrm, 2 * S },
    };
    for (int k = 0; k < (cm >= 0 && cs >= 0 ? 2 : 1) && rc == 0; k++) {
        sp_plot_lines p = { 0 };
        p.title = fig[k].title, p.xlabel = "epoch", p.ylabel = fig[k].ylabel, p.logy = 1, p.markers = 1, p.xinteger = 1;
        p.nseries = fig[k].ns, p.series = fig[k].s;
        char *name = sp_xasprintf("%s_gradsnr_%s", sid, fig[k].suffix), *base = plot_base(r, name);
        rc = sp_plot_lines_write(base, &p, r->err);
        if (rc == 1) rc = nothing(r, fig[k].title);
        else if (rc == 0) {
            char *ax = fmt_axes(&p), *cap = sp_xasprintf("%s (log axis%s), by epoch: %s", fig[k].title,
                                                          weights_only ? "; weights and sinc cut-offs only" : "", ax);
            html_figure(r, name, cap);
            free(ax);
            free(cap);
        }
        free(name);
        free(base);
    }
    free(sid);
    free(snr);
    free(nrm);
    free(cols);
    free(key);
    free(v);
    strset_free(&keys);
    strset_free(&params);
    return rc;
}

/* Images PREFIX_LAYER_eN.png of dir: their layer and epoch. */
typedef struct {
    int n;
    char **layer;
    double *epoch;
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
        L->layer = sp_xrealloc(L->layer, (size_t)(L->n + 1) * sizeof *L->layer);
        L->epoch = sp_xrealloc(L->epoch, (size_t)(L->n + 1) * sizeof *L->epoch);
        L->file = sp_xrealloc(L->file, (size_t)(L->n + 1) * sizeof *L->file);
        L->layer[L->n] = sp_xasprintf("%.*s", (int)(e - (nm + pl + 1)), nm + pl + 1);
        L->epoch[L->n] = strtod(e + 2, NULL);
        L->file[L->n] = sp_xstrdup(nm);
        L->n++;
    }
    closedir(d);
}

static void imglist_free(imglist *L)
{
    for (int i = 0; i < L->n; i++) free(L->layer[i]), free(L->file[i]);
    free(L->layer);
    free(L->epoch);
    free(L->file);
}

/* tsne / pca: a grid layer x epoch of the probe's own images with the
 * rows' other columns as metrics. */
static int probe_embed(report *r, const char *id, const char *dir, table *t, const char *kind)
{
    static const char *const need[] = { "epoch", "layer", NULL };
    int idx[2];
    if (table_need(t, need, idx, r->err) != 0) return -1;
    long n = t->nrows;
    double *ep = sp_xcalloc((size_t)n + 1, sizeof *ep);
    for (long i = 0; i < n; i++)
        if (table_num(t, i, idx[0], &ep[i], r->err) != 0) {
            free(ep);
            return -1;
        }
    imglist L;
    imglist_scan(&L, dir, kind);
    strset layers = { 0 };
    for (long i = 0; i < n; i++) strset_add(&layers, cellv(t, i, idx[1]));
    for (int i = 0; i < L.n; i++) strset_add(&layers, L.layer[i]);
    double *eps = sp_xcalloc((size_t)(n + L.n) + 1, sizeof *eps);
    memcpy(eps, ep, (size_t)n * sizeof *eps);
    memcpy(eps + n, L.epoch, (size_t)L.n * sizeof *eps);
    int E = uniq_sorted(eps, (int)n + L.n);
    fprintf(r->h, "<h3>%s embeddings</h3>\n", !strcmp(kind, "tsne") ? "t-SNE" : "PCA");
    if (layers.n == 0) fputs("<p>Nothing recorded.</p>\n", r->h);
    else {
        fputs("<table class=\"grid\"><tr><th>layer \\ epoch</th>", r->h);
        for (int e = 0; e < E; e++) fprintf(r->h, "<th>%g</th>", eps[e]);
        fputs("</tr>\n", r->h);
    }
    for (int l = 0; l < layers.n; l++) {
        fputs("<tr><th>", r->h);
        esc(r->h, layers.s[l]);
        fputs("</th>", r->h);
        for (int e = 0; e < E; e++) {
            fputs("<td>", r->h);
            for (int i = 0; i < L.n; i++) {
                if (strcmp(L.layer[i], layers.s[l]) || L.epoch[i] != eps[e]) continue;
                char *rel = sp_xasprintf("probes/%s/%s", id, L.file[i]);
                char *svg = sp_xasprintf("%.*s.svg", (int)strlen(L.file[i]) - 4, L.file[i]);
                int has_svg = exists_in(dir, svg);
                if (has_svg) {
                    fputs("<a href=\"", r->h);
                    char *rs = sp_xasprintf("probes/%s/%s", id, svg);
                    url(r->h, rs);
                    free(rs);
                    fputs("\">", r->h);
                }
                fputs("<img class=\"thumb\" src=\"", r->h);
                url(r->h, rel);
                fputs("\" alt=\"", r->h);
                esc(r->h, L.file[i]);
                fputs("\">", r->h);
                if (has_svg) fputs("</a>", r->h);
                r->images++;
                free(rel);
                free(svg);
                break;
            }
            for (long i = 0; i < n; i++) {
                if (strcmp(cellv(t, i, idx[1]), layers.s[l]) || ep[i] != eps[e]) continue;
                fputs("<div class=\"metrics\">", r->h);
                for (int c = 0; c < t->ncols; c++) {
                    if (c == idx[0] || c == idx[1]) continue;
                    esc(r->h, t->names[c]);
                    fputs(" ", r->h);
                    esc(r->h, cellv(t, i, c));
                    fputs("<br>", r->h);
                }
                fputs("</div>", r->h);
            }
            fputs("</td>", r->h);
        }
        fputs("</tr>\n", r->h);
    }
    if (layers.n) fputs("</table>\n", r->h);
    strset_free(&layers);
    imglist_free(&L);
    free(eps);
    free(ep);
    return 0;
}

/* linsep: per input kind, an accuracy heatmap layers x epochs. */
static int probe_linsep(report *r, const char *id, const char *dir, table *t)
{
    static const char *const need[] = { "epoch", "layer", "accuracy", NULL };
    int idx[3];
    (void)dir;
    if (table_need(t, need, idx, r->err) != 0) return -1;
    int ci = table_col(t, "input"), cc = table_col(t, "chance");
    long n = t->nrows;
    double *ep = sp_xcalloc((size_t)n + 1, sizeof *ep), *acc = sp_xcalloc((size_t)n + 1, sizeof *acc);
    double *ch = sp_xcalloc((size_t)n + 1, sizeof *ch);
    int rc = -1;
    for (long i = 0; i < n; i++) {
        ch[i] = NAN;
        if (table_num(t, i, idx[0], &ep[i], r->err) || table_num(t, i, idx[2], &acc[i], r->err) ||
            (cc >= 0 && table_num(t, i, cc, &ch[i], r->err)))
            goto out;
    }
    fputs("<h3>Linear probe accuracy</h3>\n", r->h);
    if (n == 0) fputs("<p>No rows in linsep.tsv.</p>\n", r->h);
    strset inputs = { 0 };
    for (long i = 0; i < n; i++) strset_add(&inputs, ci >= 0 ? cellv(t, i, ci) : "all");
    char *sid = safe_name(id);
    rc = 0;
    for (int k = 0; k < inputs.n && rc == 0; k++) {
        strset layers = { 0 };
        double *eps = sp_xcalloc((size_t)n + 1, sizeof *eps);
        int m = 0;
        for (long i = 0; i < n; i++)
            if (!strcmp(ci >= 0 ? cellv(t, i, ci) : "all", inputs.s[k])) {
                strset_add(&layers, cellv(t, i, idx[1]));
                eps[m++] = ep[i];
            }
        int E = uniq_sorted(eps, m), R = layers.n;
        double *v = sp_xmalloc((size_t)R * E * sizeof *v), chance = 0, best = -INFINITY;
        int nch = 0, bl = 0, be = 0;
        for (long i = 0; i < (long)R * E; i++) v[i] = NAN;
        for (long i = 0; i < n; i++) {
            if (strcmp(ci >= 0 ? cellv(t, i, ci) : "all", inputs.s[k])) continue;
            int l = strset_add(&layers, cellv(t, i, idx[1])), e = find_d(eps, E, ep[i]);
            v[(size_t)l * E + e] = acc[i]; /* a later row for the same cell wins */
            if (isfinite(ch[i])) chance += ch[i], nch++;
        }
        for (int l = 0; l < R; l++)
            for (int e = 0; e < E; e++)
                if (v[(size_t)l * E + e] > best) best = v[(size_t)l * E + e], bl = l, be = e;
        char **cl = sp_xcalloc((size_t)E, sizeof *cl);
        for (int e = 0; e < E; e++) cl[e] = sp_xasprintf("%g", eps[e]);
        sp_plot_heatmap h = { 0 };
        char *title = sp_xasprintf("linear probe accuracy, input %s (probe %s)", inputs.s[k], id);
        h.title = title, h.xlabel = "epoch", h.ylabel = "layer", h.clabel = "accuracy";
        h.rows = R, h.cols = E, h.v = v, h.row_label = (const char *const *)layers.s;
        h.col_label = (const char *const *)cl, h.annotate = 1, h.vmin = 0, h.vmax = 1;
        char *sin = safe_name(inputs.s[k]), *name = sp_xasprintf("%s_linsep_%s", sid, sin), *base = plot_base(r, name);
        rc = sp_plot_heatmap_write(base, &h, r->err);
        if (rc == 0) {
            char *chs = nch ? sp_xasprintf("; chance %.4g", chance / nch) : sp_xstrdup("");
            char *cap = sp_xasprintf("test accuracy of a linear classifier on each layer (input %s)%s; best "
                                     "<span class=\"best\">%s epoch %g: %.4g</span>",
                                     inputs.s[k], chs, layers.s[bl], eps[be], best);
            html_figure(r, name, cap);
            free(chs);
            free(cap);
        }
        for (int e = 0; e < E; e++) free(cl[e]);
        free(cl);
        free(title);
        free(sin);
        free(name);
        free(base);
        free(v);
        free(eps);
        strset_free(&layers);
    }
    free(sid);
    strset_free(&inputs);
out:
    free(ep);
    free(acc);
    free(ch);
    return rc;
}

// ----------------------------------------------------------------------------
// the transition table: gradsnr's transition epochs beside the epoch of
// the largest I(X;T) per layer and estimator

/* Two layer names "match" when equal, or when one contains the other
 * (e.g. "conv1" and "conv1/w"): the probes may name layers differently. */
static int layer_match(const char *a, const char *b)
{
    return !strcmp(a, b) || (*a && *b && (strstr(a, b) || strstr(b, a)));
}

/* argmax over epochs of I(X;T), per mi row group (layer, estimator): the
 * latest step of each epoch stands for the epoch. */
static int mi_argmax(const table *t, const char *layer, const char *est, double *epoch, double *val)
{
    int cl = table_col(t, "layer"), ce = table_col(t, "estimator"), cx = table_col(t, "i_xt"),
        cep = table_col(t, "epoch"), cs = table_col(t, "step");
    double best = -INFINITY, bep = NAN, lastep = NAN, laststep = -INFINITY, lastx = NAN;
    for (long i = 0; i <= t->nrows; i++) {
        double e = NAN, s = 0, x = NAN;
        if (i < t->nrows) {
            if (strcmp(cellv(t, i, cl), layer) || strcmp(cellv(t, i, ce), est)) continue;
            e = strtod(cellv(t, i, cep), NULL);
            x = strtod(cellv(t, i, cx), NULL);
            s = cs >= 0 ? strtod(cellv(t, i, cs), NULL) : 0;
        }
        if (isfinite(lastep) && (i == t->nrows || e != lastep)) {
            if (lastx > best) best = lastx, bep = lastep;
            laststep = -INFINITY;
        }
        if (i == t->nrows) break;
        if (e != lastep || s >= laststep) lastx = x, laststep = s;
        lastep = e;
    }
    *epoch = bep;
    *val = best;
    return isfinite(bep);
}

static int transition_table(report *r)
{
    if (!r->trans.path) return 0;
    const table *t = &r->trans;
    static const char *const need[] = { "layer", "transition_epoch", NULL };
    int idx[2];
    if (table_need(t, need, idx, r->err) != 0) return -1;
    int cp = table_col(t, "param"), cd = table_col(t, "min_dsnr");
    strset est = { 0 }, milayers = { 0 };
    if (r->mi.path) {
        int ce = table_col(&r->mi, "estimator"), cl = table_col(&r->mi, "layer");
        for (long i = 0; i < r->mi.nrows; i++) {
            strset_add(&est, cellv(&r->mi, i, ce));
            strset_add(&milayers, cellv(&r->mi, i, cl));
        }
    }
    fputs("<h2 id=\"transition\">Transition and compression</h2>\n<p>The epoch at which each layer's gradient "
          "SNR changes most (gradsnr's transition.tsv)",
          r->h);
    if (est.n) fputs(" beside the epoch of the largest I(X;T) of the matching layer in mi.tsv, per estimator", r->h);
    fputs(".</p>\n<table class=\"nums\" id=\"transition-table\"><tr><th>layer</th><th>param</th><th>transition "
          "epoch</th><th>min dSNR</th>",
          r->h);
    for (int e = 0; e < est.n; e++) {
        fputs("<th>mi layer</th><th>argmax I(X;T) epoch, ", r->h);
        esc(r->h, est.s[e]);
        fputs("</th>", r->h);
    }
    fputs("</tr>\n", r->h);
    int *matched = sp_xcalloc((size_t)milayers.n + 1, sizeof *matched);
    for (long i = 0; i < t->nrows; i++) {
        const char *layer = cellv(t, i, idx[0]);
        fputs("<tr><td>", r->h);
        esc(r->h, layer);
        fputs("</td><td>", r->h);
        esc(r->h, cp >= 0 ? cellv(t, i, cp) : "");
        fputs("</td><td class=\"te\">", r->h);
        esc(r->h, cellv(t, i, idx[1]));
        fputs("</td><td>", r->h);
        esc(r->h, cd >= 0 ? cellv(t, i, cd) : "");
        fputs("</td>", r->h);
        int ml = -1;
        for (int m = 0; m < milayers.n && ml < 0; m++)
            if (!strcmp(milayers.s[m], layer)) ml = m;
        for (int m = 0; m < milayers.n && ml < 0; m++)
            if (layer_match(milayers.s[m], layer)) ml = m;
        if (ml >= 0) matched[ml] = 1;
        for (int e = 0; e < est.n; e++) {
            double ae, av;
            fputs("<td>", r->h);
            if (ml >= 0) esc(r->h, milayers.s[ml]);
            fputs("</td><td class=\"am\">", r->h);
            if (ml >= 0 && mi_argmax(&r->mi, milayers.s[ml], est.s[e], &ae, &av))
                fprintf(r->h, "%g (%.4g bits)", ae, av);
            else fputs("&mdash;", r->h);
            fputs("</td>", r->h);
        }
        fputs("</tr>\n", r->h);
    }
    /* mi layers without a transition row: their argmax alone */
    for (int m = 0; m < milayers.n; m++) {
        if (matched[m]) continue;
        fputs("<tr><td>&mdash;</td><td></td><td class=\"te\">&mdash;</td><td></td>", r->h);
        for (int e = 0; e < est.n; e++) {
            double ae, av;
            fputs("<td>", r->h);
            esc(r->h, milayers.s[m]);
            fputs("</td><td class=\"am\">", r->h);
            if (mi_argmax(&r->mi, milayers.s[m], est.s[e], &ae, &av)) fprintf(r->h, "%g (%.4g bits)", ae, av);
            else fputs("&mdash;", r->h);
            fputs("</td>", r->h);
        }
        fputs("</tr>\n", r->h);
    }
    fputs("</table>\n", r->h);
    free(matched);
    strset_free(&est);
    strset_free(&milayers);
    return 0;
}

// ----------------------------------------------------------------------------
// the probe folders

static int probe_dir(report *r, const char *id, const char *dir, strset *kinds)
{
    char *path = NULL;
    table t;
    int rc = 0;
    fputs("<section class=\"probe\"><h2>Probe ", r->h);
    esc(r->h, id);
    fputs("</h2>\n", r->h);
    if (exists_in(dir, "afr.npy") && exists_in(dir, "freqs.npy")) {
        strset_add(kinds, "afr");
        if (probe_afr(r, id, dir) != 0) return -1;
    }
    static const char *const tsv[] = { "mi", "gradsnr", "tsne", "pca", "linsep" };
    for (int k = 0; k < 5 && rc == 0; k++) {
        char *name = sp_xasprintf("%s.tsv", tsv[k]);
        path = sp_path_join(dir, name);
        free(name);
        int got = table_read(&t, path, r->err);
        free(path);
        if (got == 1) continue;
        if (got < 0) return -1;
        strset_add(kinds, tsv[k]);
        switch (k) {
        case 0:
            rc = probe_mi(r, id, dir, &t);
            if (rc == 0 && !r->mi.path) {
                r->mi = t;
                r->mi_id = sp_xstrdup(id);
                continue;
            }
            break;
        case 1:
            rc = probe_gradsnr(r, id, dir, &t);
            if (rc == 0 && !r->trans.path) {
                char *tp = sp_path_join(dir, "transition.tsv");
                table tr;
                int g = table_read(&tr, tp, r->err);
                free(tp);
                if (g < 0) rc = -1;
                else if (g == 0) {
                    r->trans = tr;
                    r->trans_id = sp_xstrdup(id);
                }
            }
            break;
        case 2: rc = probe_embed(r, id, dir, &t, "tsne"); break;
        case 3: rc = probe_embed(r, id, dir, &t, "pca"); break;
        default: rc = probe_linsep(r, id, dir, &t); break;
        }
        table_free(&t);
    }
    if (kinds->n == 0) fputs("<p>No output this report knows how to show.</p>\n", r->h);
    fputs("</section>\n", r->h);
    return rc;
}

static int probes(report *r, strset *ids, strset *kinds_of)
{
    char *pd = sp_path_join(r->run, "probes");
    struct dirent **ents = NULL;
    int ne = sp_is_dir(pd) ? scandir(pd, &ents, NULL, alphasort) : 0;
    int rc = 0;
    for (int i = 0; i < ne; i++) {
        const char *nm = ents[i]->d_name;
        char *dir = sp_path_join(pd, nm);
        if (rc == 0 && nm[0] != '.' && sp_is_dir(dir)) {
            strset kinds = { 0 };
            rc = probe_dir(r, nm, dir, &kinds);
            strset_push(ids, nm);
            /* "ID (kinds)" for the summary */
            size_t len = 1;
            for (int k = 0; k < kinds.n; k++) len += strlen(kinds.s[k]) + 2;
            char *ks = sp_xcalloc(len, 1);
            for (int k = 0; k < kinds.n; k++) {
                if (k) strcat(ks, ", ");
                strcat(ks, kinds.s[k]);
            }
            strset_push(kinds_of, ks);
            free(ks);
            strset_free(&kinds);
        }
        free(dir);
        free(ents[i]);
    }
    free(ents);
    free(pd);
    return rc;
}

// ----------------------------------------------------------------------------

static const char CSS[] =
    "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}"
    "figure{display:inline-block;margin:.5em;vertical-align:top}"
    "figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;max-width:760px}"
    "table.nums,table.grid{border-collapse:collapse;font-size:.9em}"
    "table.nums td,table.nums th,table.grid td,table.grid th{border:1px solid #ccc;padding:.25em .5em;"
    "text-align:left;vertical-align:top}"
    "img.thumb{width:220px}div.metrics{font-size:.8em;color:#444}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto}";

static const char SCRIPT[] =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, bad = [];\n"
    "  for (var i = 0; i < imgs.length; i++)\n"
    "    if (!imgs[i].complete || !(imgs[i].naturalWidth > 0)) bad.push(imgs[i].getAttribute('src'));\n"
    "  document.body.dataset.images = bad.length ? 'broken ' + bad.join(' ') : 'ok ' + imgs.length;\n"
    "});\n"
    "</script>\n";

int sp_report_write(const char *run_dir, int quiet, sp_error *err)
{
    curves c;
    if (read_log(run_dir, &c, err) != 0) return -1;
    report r = { 0 };
    r.run = run_dir;
    r.err = err;
    r.plots = sp_path_join(run_dir, "plots");
    char *body = NULL, *html = NULL;
    size_t body_len = 0, html_len = 0;
    strset ids = { 0 }, kinds = { 0 };
    int rc = -1;
    char *conf = NULL, *confpath = sp_path_join(run_dir, "config.conf");
    if (sp_is_file(confpath)) {
        size_t len;
        conf = sp_read_file(confpath, &len, err);
        if (!conf) goto out;
    }
    if (sp_mkdirs(r.plots, err) != 0) goto out;
    r.h = open_memstream(&body, &body_len);
    if (!r.h) {
        sp_fail_oom(err, 0);
        goto out;
    }
    if (learning_curves(&r, &c) != 0 || probes(&r, &ids, &kinds) != 0 || transition_table(&r) != 0) {
        fclose(r.h);
        goto out;
    }
    fclose(r.h);
    FILE *h = open_memstream(&html, &html_len);
    if (!h) {
        sp_fail_oom(err, 0);
        goto out;
    }
    fprintf(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sincprobe report: ");
    esc(h, run_dir);
    fprintf(h, "</title>\n<style>%s</style></head>\n<body data-images=\"pending\">\n<h1>sincprobe report: ", CSS);
    esc(h, run_dir);
    fputs("</h1>\n<h2 id=\"summary\">Summary</h2>\n<table class=\"nums\" id=\"summary-table\">\n", h);
    if (c.n > 0) {
        long last = c.n - 1, best = 0;
        double secs = 0;
        int have_secs = 1;
        for (long i = 0; i < c.n; i++) {
            if (c.df[i] < c.df[best]) best = i;
            if (isfinite(c.sec[i])) secs += c.sec[i];
            else have_secs = 0;
        }
        fprintf(h, "<tr><th>epochs</th><td id=\"epochs\">%g</td></tr>\n", c.epoch[last]);
        fprintf(h, "<tr><th>final dev FER</th><td id=\"final-dev-fer\">%.4f</td></tr>\n", c.df[last]);
        fprintf(h, "<tr><th>best dev FER</th><td id=\"best-dev-fer\">%.4f (epoch %g)</td></tr>\n", c.df[best],
                c.epoch[best]);
        fprintf(h, "<tr><th>final train FER</th><td>%.4f</td></tr>\n", c.tf[last]);
        fprintf(h, "<tr><th>final train / dev loss</th><td>%.4f / %.4f</td></tr>\n", c.tl[last], c.dl[last]);
        if (have_secs) fprintf(h, "<tr><th>training time</th><td>%.1f s</td></tr>\n", secs);
    } else {
        fputs("<tr><th>epochs</th><td id=\"epochs\">0</td></tr>\n", h);
    }
    fputs("<tr><th>probes</th><td id=\"probes\">", h);
    if (!ids.n) fputs("none", h);
    for (int i = 0; i < ids.n; i++) {
        if (i) fputs("; ", h);
        esc(h, ids.s[i]);
        fputs(" (", h);
        esc(h, kinds.s[i][0] ? kinds.s[i] : "no known outputs");
        fputs(")", h);
    }
    fputs("</td></tr>\n", h);
    fprintf(h, "<tr><th>figures</th><td id=\"figures\">%d</td></tr>\n</table>\n", r.figures);
    fwrite(body, 1, body_len, h);
    fputs("<h2 id=\"config\">Configuration</h2>\n", h);
    if (conf) {
        fputs("<pre id=\"config-text\">", h);
        esc(h, conf);
        fputs("</pre>\n", h);
    } else {
        fputs("<p>No config.conf in the run directory.</p>\n", h);
    }
    fputs(SCRIPT, h);
    fputs("</body></html>\n", h);
    fclose(h);
    char *out = sp_path_join(run_dir, "report.html");
    rc = sp_text_write(out, html, html_len, err);
    if (rc == 0 && !quiet) sp_log_note("report: %s (%d figures)", out, r.figures);
    free(out);
out:
    free(body);
    free(html);
    free(conf);
    free(confpath);
    free(r.plots);
    if (r.mi.path) table_free(&r.mi);
    if (r.trans.path) table_free(&r.trans);
    free(r.mi_id);
    free(r.trans_id);
    strset_free(&ids);
    strset_free(&kinds);
    curves_free(&c);
    return rc;
}
