/* sweep_report.c - a sweep's finished runs in one table, grouped by the
 * varied keys, and a figure per key. See sweep_report.h. */
#include "config.h"
#include "plot/sweep_report.h"
#include "plot/report_parts.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The quantities of a run, in the table's order. */
enum { Q_FER, Q_PER_DEV, Q_PER_CORE, Q_PER_TEST, Q_SNR, NQ };
static const char *const QNAME[NQ] = { "best_dev_fer", "per_dev", "per_core", "per_test", "snr_transition_epoch" };

typedef struct {
    sp_table t;
    int nkeys;         /* the varied keys: columns 2 .. 2 + nkeys - 1 */
    const char *dir;
    int nrun;          /* finished runs */
    int *row;          /* [nrun]: its row of sweep.tsv */
    int *group;        /* [nrun] */
    double (*q)[NQ];   /* [nrun][NQ] */
    sp_strset groups;  /* the keys' values joined by tabs */
    int *grow;         /* [groups.n]: a row of the group, for its values */
    int have[NQ];      /* some run has the quantity */
    double (*mean)[NQ], (*sd)[NQ];
    int *count;        /* [groups.n]: finished runs */
} sweep_in;

/* ---- one run's numbers */

/* The transition epoch of the first row of the first probes/ID/transition.tsv. */
static double snr_transition(const char *run)
{
    char *probes = sp_path_join(run, "probes");
    struct dirent **ids = NULL;
    int n = scandir(probes, &ids, NULL, alphasort);
    double v = NAN;
    for (int i = 0; i < n; i++) {
        char *f = sp_xasprintf("%s/%s/transition.tsv", probes, ids[i]->d_name);
        sp_table t;
        sp_error ignore;
        int c;
        if (isnan(v) && ids[i]->d_name[0] != '.' && sp_table_read(&t, f, &ignore) == 0) {
            if ((c = sp_table_col(&t, "transition_epoch")) >= 0 && t.nrows > 0 && sp_table_num(&t, 0, c, &v, &ignore) != 0)
                v = NAN;
            sp_table_free(&t);
        }
        free(f);
        free(ids[i]);
    }
    free(ids);
    free(probes);
    return v;
}

static int run_numbers(const char *run, double *q, sp_error *err)
{
    sp_run_log log;
    if (sp_run_log_read(run, &log, err) != 0) return -1;
    long b = sp_run_log_best(&log);
    q[Q_FER] = b >= 0 ? log.df[b] : NAN;
    sp_run_log_free(&log);
    sp_eval_outs e;
    if (sp_eval_outs_read(run, &e, err) != 0) return -1;
    static const char *const split[] = { "dev", "core", "test" };
    for (int s = 0; s < 3; s++) {
        const sp_eval_out *o = sp_eval_outs_find(&e, split[s]);
        q[Q_PER_DEV + s] = o ? o->per : NAN;
    }
    sp_eval_outs_free(&e);
    q[Q_SNR] = snr_transition(run);
    return 0;
}

/* ---- reading the sweep */

static char *group_key(const sweep_in *x, long r)
{
    char *k = sp_xstrdup("");
    for (int a = 0; a < x->nkeys; a++) {
        char *n = sp_xasprintf("%s%s%s", k, a ? "\t" : "", sp_table_cell(&x->t, r, 2 + a));
        free(k);
        k = n;
    }
    return k;
}

static int read_sweep(sweep_in *x, sp_error *err)
{
    char *path = sp_path_join(x->dir, "sweep.tsv");
    int rc = sp_table_read(&x->t, path, err);
    if (rc > 0) rc = sp_fail(err, "'%s' is not a sweep directory (no sweep.tsv): sincprobe sweep makes one", x->dir);
    free(path);
    if (rc != 0) return -1;
    if (x->t.ncols < 3 || strcmp(x->t.names[0], "run") || strcmp(x->t.names[1], "name") ||
        strcmp(x->t.names[x->t.ncols - 1], "seed"))
        return sp_fail(err, "'%s' line 1: expected the columns run, name, the varied keys, seed", x->t.path);
    x->nkeys = x->t.ncols - 3;
    x->row = sp_xcalloc((size_t)x->t.nrows + 1, sizeof *x->row);
    x->group = sp_xcalloc((size_t)x->t.nrows + 1, sizeof *x->group);
    x->q = sp_xcalloc((size_t)x->t.nrows + 1, sizeof *x->q);
    for (long r = 0; r < x->t.nrows; r++) {
        char *run = sp_path_join(x->dir, sp_table_cell(&x->t, r, 1));
        char *fin = sp_path_join(run, "finished.tsv");
        int done = sp_is_file(fin);
        free(fin);
        if (done && run_numbers(run, x->q[x->nrun], err) != 0) {
            free(run);
            return -1;
        }
        free(run);
        if (!done) continue;
        char *k = group_key(x, r);
        int g = sp_strset_add(&x->groups, k);
        free(k);
        x->grow = sp_xrealloc(x->grow, (size_t)x->groups.n * sizeof *x->grow);
        if (g == x->groups.n - 1) x->grow[g] = (int)r;
        x->row[x->nrun] = (int)r;
        x->group[x->nrun++] = g;
    }
    if (x->nrun == 0) return sp_fail(err, "no finished run in '%s' (%ld runs listed in sweep.tsv)", x->dir, x->t.nrows);
    if (x->nrun < x->t.nrows)
        sp_log_info("%ld of %ld runs of '%s' are not finished: left out", x->t.nrows - x->nrun, x->t.nrows, x->dir);
    return 0;
}

/* Each group's mean and sample standard deviation of each quantity,
 * over its finite values. */
static void aggregate(sweep_in *x)
{
    int G = x->groups.n;
    x->mean = sp_xcalloc((size_t)G, sizeof *x->mean);
    x->sd = sp_xcalloc((size_t)G, sizeof *x->sd);
    x->count = sp_xcalloc((size_t)G, sizeof *x->count);
    for (int i = 0; i < x->nrun; i++) x->count[x->group[i]]++;
    for (int g = 0; g < G; g++)
        for (int k = 0; k < NQ; k++) {
            double s = 0, ss = 0;
            int n = 0;
            for (int i = 0; i < x->nrun; i++)
                if (x->group[i] == g && isfinite(x->q[i][k])) s += x->q[i][k], n++;
            double m = n ? s / n : NAN;
            for (int i = 0; i < x->nrun; i++)
                if (x->group[i] == g && isfinite(x->q[i][k])) ss += (x->q[i][k] - m) * (x->q[i][k] - m);
            x->mean[g][k] = m;
            x->sd[g][k] = n >= 2 ? sqrt(ss / (n - 1)) : NAN;
            if (n) x->have[k] = 1;
        }
    x->have[Q_FER] = 1;
}

/* ---- the table: TSV, JSON, text */

static void num(FILE *f, const char *sep, double v)
{
    if (isfinite(v)) fprintf(f, "%s%.9g", sep, v);
    else fprintf(f, "%snan", sep);
}

static char *table_tsv(const sweep_in *x)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) sp_oom(0);
    for (int a = 0; a < x->nkeys; a++) fprintf(f, "%s\t", x->t.names[2 + a]);
    fputs("runs", f);
    for (int k = 0; k < NQ; k++)
        if (x->have[k]) fprintf(f, "\t%s_mean\t%s_std", QNAME[k], QNAME[k]);
    fputc('\n', f);
    for (int g = 0; g < x->groups.n; g++) {
        for (int a = 0; a < x->nkeys; a++) fprintf(f, "%s\t", sp_table_cell(&x->t, x->grow[g], 2 + a));
        fprintf(f, "%d", x->count[g]);
        for (int k = 0; k < NQ; k++)
            if (x->have[k]) num(f, "\t", x->mean[g][k]), num(f, "\t", x->sd[g][k]);
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

static char *table_json(const sweep_in *x)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) sp_oom(0);
    sp_json j;
    sp_json_init(&j, f, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_begin_array(&j, "keys");
    for (int a = 0; a < x->nkeys; a++) sp_json_string(&j, NULL, x->t.names[2 + a]);
    sp_json_end_array(&j);
    sp_json_begin_array(&j, "groups");
    for (int g = 0; g < x->groups.n; g++) {
        sp_json_begin_object(&j, NULL);
        sp_json_begin_object(&j, "values");
        for (int a = 0; a < x->nkeys; a++)
            sp_json_string(&j, x->t.names[2 + a], sp_table_cell(&x->t, x->grow[g], 2 + a));
        sp_json_end_object(&j);
        sp_json_long(&j, "runs", x->count[g]);
        for (int k = 0; k < NQ; k++) {
            if (!x->have[k]) continue;
            sp_json_begin_object(&j, QNAME[k]);
            sp_json_double(&j, "mean", x->mean[g][k]);
            sp_json_double(&j, "std", x->sd[g][k]);
            sp_json_end_object(&j);
        }
        sp_json_end_object(&j);
    }
    sp_json_end_array(&j);
    sp_json_end_object(&j);
    sp_json_finish(&j);
    fclose(f);
    return text;
}

/* The TSV with its columns padded to their widest cell, two spaces apart. */
static char *table_text(const char *tsv)
{
    int w[64] = { 0 };
    for (const char *p = tsv; *p;) {
        for (int c = 0; *p && *p != '\n'; c++) {
            size_t n = strcspn(p, "\t\n");
            if (c < 64 && (int)n > w[c]) w[c] = (int)n;
            p += n + (p[n] == '\t');
        }
        if (*p) p++;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) sp_oom(0);
    for (const char *p = tsv; *p;) {
        for (int c = 0; *p && *p != '\n'; c++) {
            size_t n = strcspn(p, "\t\n");
            int last = p[n] != '\t';
            if (last) fprintf(f, "%.*s", (int)n, p);
            else fprintf(f, "%-*.*s  ", c < 64 ? w[c] : 0, (int)n, p);
            p += n + !last;
        }
        fputc('\n', f);
        if (*p) p++;
    }
    fclose(f);
    return text;
}

static int write_file(const char *dir, const char *name, const char *text, sp_error *err)
{
    char *path = sp_path_join(dir, name);
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        fputs(text, af.f);
        rc = sp_atomic_commit(&af, err);
    }
    free(path);
    return rc;
}

/* ---- a figure per key */

/* Key a's distinct values, in the sweep's order, into v; 1 when all are
 * numbers (their values into num). */
static int key_values(const sweep_in *x, int a, sp_strset *v, double **num)
{
    for (long r = 0; r < x->t.nrows; r++) sp_strset_add(v, sp_table_cell(&x->t, r, 2 + a));
    *num = sp_xcalloc((size_t)v->n, sizeof **num);
    int numeric = 1;
    for (int i = 0; i < v->n; i++) {
        char *end;
        (*num)[i] = strtod(v->s[i], &end);
        if (end == v->s[i] || *end || !isfinite((*num)[i])) numeric = 0;
    }
    return numeric;
}

/* "k1=v1, k2=v2" of group g's values of the keys other than a (NULL
 * when there are none). New. */
static char *others(const sweep_in *x, int g, int a)
{
    char *s = NULL;
    for (int b = 0; b < x->nkeys; b++) {
        if (b == a) continue;
        char *n = sp_xasprintf("%s%s%s=%s", s ? s : "", s ? ", " : "", x->t.names[2 + b],
                               sp_table_cell(&x->t, x->grow[g], 2 + b));
        free(s);
        s = n;
    }
    return s;
}

/* The points of each series sorted by x: order[] of the values. */
static void sort_order(const double *xv, int n, int numeric, int *order)
{
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; numeric && i < n; i++)
        for (int j = i; j > 0 && xv[order[j]] < xv[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
}

static int key_figure(const sweep_in *x, int a, const char *plots, sp_error *err)
{
    sp_strset vals = { 0 }, series = { 0 };
    double *num;
    int numeric = key_values(x, a, &vals, &num), nv = vals.n;
    for (int g = 0; g < x->groups.n; g++) {
        char *o = others(x, g, a);
        sp_strset_add(&series, o ? o : "");
        free(o);
    }
    int S = series.n, *order = sp_xcalloc((size_t)nv, sizeof *order);
    sort_order(num, nv, numeric, order);
    double *px = sp_xcalloc((size_t)S * nv, sizeof *px), *py = sp_xcalloc((size_t)S * nv, sizeof *py);
    double *pe = sp_xcalloc((size_t)S * nv, sizeof *pe), lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < S * nv; i++) py[i] = pe[i] = NAN;
    for (int i = 0; i < nv; i++) {
        px[i] = numeric ? num[order[i]] : order[i];
        lo = fmin(lo, px[i]), hi = fmax(hi, px[i]);
        for (int s = 1; s < S; s++) px[s * nv + i] = px[i];
    }
    for (int g = 0; g < x->groups.n; g++) {
        char *o = others(x, g, a);
        int s = sp_strset_add(&series, o ? o : ""), v = sp_strset_add(&vals, sp_table_cell(&x->t, x->grow[g], 2 + a));
        free(o);
        for (int i = 0; i < nv; i++)
            if (order[i] == v) py[s * nv + i] = x->mean[g][Q_FER], pe[s * nv + i] = x->sd[g][Q_FER];
    }
    sp_plot_series *se = sp_xcalloc((size_t)S, sizeof *se);
    for (int s = 0; s < S; s++)
        se[s] = (sp_plot_series){ .name = S > 1 ? series.s[s] : NULL, .n = nv, .x = px + s * nv, .y = py + s * nv,
                                  .yerr = pe + s * nv, .marker = s };
    const char *key = x->t.names[2 + a];
    char *title = sp_xasprintf("best dev FER by %s (error bars: std over seeds)", key);
    sp_plot_lines p = { .title = title, .xlabel = key, .ylabel = "best dev FER", .markers = 1, .nseries = S,
                        .series = se, .logx = numeric && lo > 0 && hi / lo >= 100,
                        .nxticks = numeric ? 0 : nv, .xticks = numeric ? NULL : (const char *const *)vals.s };
    char *safe = sp_safe_name(key), *base = sp_xasprintf("%s/fer_by_%s", plots, safe);
    int rc = sp_plot_lines_write(base, &p, err);
    free(safe), free(base), free(title), free(se), free(px), free(py), free(pe), free(order), free(num);
    sp_strset_free(&vals);
    sp_strset_free(&series);
    return rc < 0 ? -1 : 0;
}

/* ---- the whole */

static void sweep_free(sweep_in *x)
{
    sp_table_free(&x->t);
    sp_strset_free(&x->groups);
    free(x->row), free(x->group), free(x->q), free(x->grow), free(x->mean), free(x->sd), free(x->count);
}

int sp_sweep_report_write(const char *dir, char **table, sp_error *err)
{
    sweep_in x = { .dir = dir };
    *table = NULL;
    int rc = read_sweep(&x, err);
    char *plots = sp_path_join(dir, "plots");
    if (rc == 0) {
        aggregate(&x);
        char *tsv = table_tsv(&x), *json = table_json(&x);
        rc = write_file(dir, "sweep-report.tsv", tsv, err);
        if (rc == 0) rc = write_file(dir, "sweep-report.json", json, err);
        if (rc == 0) rc = sp_mkdirs(plots, err);
        for (int a = 0; a < x.nkeys && rc == 0; a++) rc = key_figure(&x, a, plots, err);
        if (rc == 0) *table = table_text(tsv);
        free(tsv);
        free(json);
    }
    free(plots);
    sweep_free(&x);
    return rc;
}
