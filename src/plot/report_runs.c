/* report_runs.c - several runs side by side in one page (`sincprobe
 * report RUN1 RUN2 ... --out DIR`): their numbers, the config keys whose
 * values differ, the learning curves with a line per run, and per run
 * (a column each) the AFR heatmap on one colour scale, the cut-off
 * trajectories and the information planes; summary.tsv and summary.json
 * for numpy and gnuplot. See report.h. */
#include "config.h"
#include "plot/report.h"
#include "plot/report_parts.h"
#include "base/json.h"
#include "base/log.h"
#include "base/npy.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    char *label;        /* the directory's name; the path when names repeat */
    sp_run_log log;
    sp_eval_outs ev;
    sp_ini ini;         /* config.conf */
    int have_ini;
    sp_strset ids;      /* probe folders, in name order */
} run_in;

typedef struct {
    int n;
    run_in *run;
    const char *out;
    sp_strset keys;     /* "SECTION\tKEY" of every config, first seen first */
    sp_strset differ;   /* those whose values are not all the same */
    /* the information planes' common axes: the mi panel's x and y columns
     * and their ranges LO HI; have_mi_axes 0 when no run has a point */
    int have_mi_axes;
    char *mi_col[2], *mi_label[2]; /* label: the axis's, HTML */
    double mi_axes[2][2];
} runs_ctx;

// ----------------------------------------------------------------------------
// reading the runs

static int run_open(run_in *r, const char *path, sp_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    char *log = sp_path_join(path, "log.tsv"), *conf = sp_path_join(path, "config.conf");
    int rc = -1;
    if (!sp_is_dir(path) || !sp_is_file(log)) {
        sp_fail(err, "'%s': not a run directory (no log.tsv in it)", path);
        goto out;
    }
    if (sp_run_log_read(path, &r->log, err) != 0) goto out;
    if (sp_eval_outs_read(path, &r->ev, err) != 0) goto out;
    if (sp_is_file(conf)) {
        sp_diag d;
        sp_diag_init(&d, 1);
        int bad = sp_ini_load(&r->ini, conf, &d) != 0;
        if (bad && d.n) sp_problem_fail(&d.v[0], err);
        else if (bad) sp_fail(err, "cannot read '%s'", conf);
        sp_diag_free(&d);
        if (bad) goto out;
        r->have_ini = 1;
    }
    sp_report_probe_ids(path, &r->ids);
    rc = 0;
out:
    free(log);
    free(conf);
    return rc;
}

static void run_close(run_in *r)
{
    sp_run_log_free(&r->log);
    sp_eval_outs_free(&r->ev);
    if (r->have_ini) sp_ini_free(&r->ini);
    sp_strset_free(&r->ids);
    free(r->label);
}

/* The directory's last name ("runs/a/" -> "a"), new. */
static char *dir_name(const char *path)
{
    size_t l = strlen(path);
    while (l > 1 && path[l - 1] == '/') l--;
    size_t b = l;
    while (b > 0 && path[b - 1] != '/') b--;
    return sp_xasprintf("%.*s", (int)(l - b), path + b);
}

static void label_runs(runs_ctx *x)
{
    int repeat = 0;
    for (int i = 0; i < x->n; i++) x->run[i].label = dir_name(x->run[i].path);
    for (int i = 0; i < x->n; i++)
        for (int j = 0; j < i; j++) repeat |= !strcmp(x->run[i].label, x->run[j].label);
    for (int i = 0; repeat && i < x->n; i++) {
        free(x->run[i].label);
        x->run[i].label = sp_xstrdup(x->run[i].path);
    }
}

/* A config's value of "SECTION\tKEY", or NULL. */
static const char *conf_value(const run_in *r, const char *sk)
{
    if (!r->have_ini) return NULL;
    const char *tab = strchr(sk, '\t');
    char *section = sp_xasprintf("%.*s", (int)(tab - sk), sk);
    const sp_ini_entry *e = sp_ini_get(&r->ini, section, tab + 1);
    free(section);
    return e ? e->value : NULL;
}

/* Every key of every config, and those whose value is not the same in
 * every run (a key one config lacks differs). */
static void config_keys(runs_ctx *x)
{
    for (int i = 0; i < x->n; i++)
        for (size_t k = 0; x->run[i].have_ini && k < x->run[i].ini.n; k++) {
            const sp_ini_entry *e = &x->run[i].ini.v[k];
            char *sk = sp_xasprintf("%s\t%s", e->section, e->key);
            sp_strset_add(&x->keys, sk);
            free(sk);
        }
    for (int k = 0; k < x->keys.n; k++) {
        const char *v0 = conf_value(&x->run[0], x->keys.s[k]);
        int same = 1;
        for (int i = 1; i < x->n && same; i++) {
            const char *v = conf_value(&x->run[i], x->keys.s[k]);
            same = v && v0 ? !strcmp(v, v0) : v == v0;
        }
        if (!same) sp_strset_push(&x->differ, x->keys.s[k]);
    }
}

// ----------------------------------------------------------------------------
// the tables

static void html_key(FILE *h, const char *sk)
{
    const char *tab = strchr(sk, '\t');
    fputc('[', h);
    char *section = sp_xasprintf("%.*s", (int)(tab - sk), sk);
    sp_html_esc(h, section);
    free(section);
    fputs("] ", h);
    sp_html_esc(h, tab + 1);
}

static void runs_table(FILE *h, const runs_ctx *x)
{
    fputs("<h2 id=\"runs\">Runs</h2>\n<table class=\"nums\" id=\"runs-table\">\n<tr><th>run</th><th>directory</th>"
          "<th>epochs</th><th>best dev FER (epoch)</th><th>final dev FER</th><th>PER</th><th>probes</th></tr>\n",
          h);
    for (int i = 0; i < x->n; i++) {
        const run_in *r = &x->run[i];
        const sp_run_log *c = &r->log;
        long b = sp_run_log_best(c);
        fputs("<tr><td class=\"run\">", h);
        sp_html_esc(h, r->label);
        fputs("</td><td>", h);
        sp_html_esc(h, r->path);
        if (b >= 0)
            fprintf(h, "</td><td>%g</td><td class=\"best-dev-fer\">%.4f (%g)</td><td>%.4f</td><td>", c->epoch[c->n - 1],
                    c->df[b], c->epoch[b], c->df[c->n - 1]);
        else fputs("</td><td>0</td><td class=\"best-dev-fer\">&mdash;</td><td>&mdash;</td><td>", h);
        char *per = sp_eval_outs_per(&r->ev);
        fputs(per ? per : "no eval yet", h);
        free(per);
        fputs("</td><td>", h);
        for (int k = 0; k < r->ids.n; k++) {
            if (k) fputs(", ", h);
            sp_html_esc(h, r->ids.s[k]);
        }
        fputs(r->ids.n ? "</td></tr>\n" : "none</td></tr>\n", h);
    }
    fputs("</table>\n", h);
}

/* Only the keys whose values differ; a cell unlike the first run's is
 * highlighted. */
static void config_table(FILE *h, const runs_ctx *x)
{
    fputs("<h2 id=\"config\">Configuration differences</h2>\n", h);
    for (int i = 0; i < x->n; i++)
        if (!x->run[i].have_ini) {
            fputs("<p class=\"missing\">", h);
            sp_html_esc(h, x->run[i].label);
            fputs(": no config.conf (every key counts as absent).</p>\n", h);
        }
    if (!x->differ.n) {
        fputs("<p id=\"config-same\">Every config key has the same value in every run.</p>\n", h);
        return;
    }
    fputs("<p>Only the keys whose values differ between the runs; highlighted: unlike the first run's.</p>\n"
          "<table class=\"nums\" id=\"config-diff\">\n<tr><th>key</th>",
          h);
    for (int i = 0; i < x->n; i++) {
        fputs("<th>", h);
        sp_html_esc(h, x->run[i].label);
        fputs("</th>", h);
    }
    fputs("</tr>\n", h);
    for (int k = 0; k < x->differ.n; k++) {
        fputs("<tr><th>", h);
        html_key(h, x->differ.s[k]);
        fputs("</th>", h);
        const char *v0 = conf_value(&x->run[0], x->differ.s[k]);
        for (int i = 0; i < x->n; i++) {
            const char *v = conf_value(&x->run[i], x->differ.s[k]);
            int unlike = i > 0 && (v && v0 ? strcmp(v, v0) != 0 : v != v0);
            fputs(unlike ? "<td class=\"diff\">" : "<td>", h);
            if (v) sp_html_esc(h, v);
            else fputs("&mdash;", h);
            fputs("</td>", h);
        }
        fputs("</tr>\n", h);
    }
    fputs("</table>\n", h);
}

// ----------------------------------------------------------------------------
// learning curves: a line per run

static int curves(sp_report *rep, const runs_ctx *x)
{
    fputs("<h2 id=\"learning\">Learning curves</h2>\n", rep->h);
    struct {
        const char *name, *title, *ylabel;
        size_t off;
    } f[] = {
        { "runs_train_loss", "train loss (cross-entropy per frame)", "loss", offsetof(sp_run_log, tl) },
        { "runs_dev_fer", "dev frame error rate", "FER", offsetof(sp_run_log, df) },
        { "runs_lr", "learning rate", "lr", offsetof(sp_run_log, lr) },
    };
    sp_plot_series *s = sp_xcalloc((size_t)x->n, sizeof *s);
    int rc = 0;
    for (size_t k = 0; k < sizeof f / sizeof f[0] && rc == 0; k++) {
        for (int i = 0; i < x->n; i++) {
            const sp_run_log *c = &x->run[i].log;
            s[i] = (sp_plot_series){ .name = x->run[i].label, .n = (int)c->n, .x = c->epoch,
                                     .y = *(double *const *)((const char *)c + f[k].off), .marker = i % 4 };
        }
        sp_plot_lines p = { 0 };
        p.title = f[k].title, p.xlabel = "epoch", p.ylabel = f[k].ylabel, p.markers = 1, p.xinteger = 1;
        p.nseries = x->n, p.series = s;
        char *base = sp_report_plot_base(rep, f[k].name);
        rc = sp_plot_lines_write(base, &p, rep->err);
        free(base);
        if (rc == 1) rc = sp_report_nothing(rep, f[k].title);
        else if (rc == 0) {
            char *ax = sp_report_axes(&p), *cap = sp_xasprintf("%s by epoch, a line per run: %s", f[k].title, ax);
            sp_report_figure(rep, f[k].name, cap);
            free(ax);
            free(cap);
        }
    }
    free(s);
    return rc;
}

// ----------------------------------------------------------------------------
// per-run panels, side by side: the built-in manifests' panels

/* The built-in manifest of kind, parsed from its text with extra (a
 * line) added to its section [section]; 0, or -1 with err. */
static int builtin(sp_manifest *m, const char *kind, const char *section, const char *extra, sp_error *err)
{
    for (int i = 0; sp_manifest_builtin[i]; i++) {
        const char *t = sp_manifest_builtin[i];
        char *want = sp_xasprintf("\nkind = %s\n", kind), *head = sp_xasprintf("[%s]\n", section);
        const char *at = strstr(t, want) ? strstr(t, head) : NULL;
        char *text = at ? sp_xasprintf("%.*s%s\n%s", (int)(at - t + strlen(head)), t, extra ? extra : "",
                                       at + strlen(head))
                        : NULL;
        free(want);
        free(head);
        if (!text) continue;
        char *name = sp_xasprintf("built-in manifest '%s'", kind);
        int rc = sp_manifest_parse(m, name, text, err);
        free(name);
        free(text);
        return rc;
    }
    return sp_fail(err, "no built-in manifest of kind '%s'", kind);
}

/* The first probe folder of r holding file, or NULL; *id its name. */
static char *probe_with(const run_in *r, const char *file, const char **id)
{
    for (int k = 0; k < r->ids.n; k++) {
        char *f = sp_xasprintf("%s/probes/%s/%s", r->path, r->ids.s[k], file);
        int e = sp_is_file(f);
        free(f);
        if (e) {
            *id = r->ids.s[k];
            return sp_xasprintf("%s/probes/%s", r->path, r->ids.s[k]);
        }
    }
    return NULL;
}

/* The range of every run's afr.npy: one colour scale for all. */
static void afr_range(const runs_ctx *x, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < x->n; i++) {
        const char *id;
        char *dir = probe_with(&x->run[i], "afr.npy", &id);
        if (!dir) continue;
        char *p = sp_path_join(dir, "afr.npy");
        sp_npy_dtype t;
        int rank;
        long shape[SP_NPY_MAXRANK];
        sp_error err;
        float *a = sp_npy_read(p, &t, &rank, shape, &err);
        long n = a && t == SP_NPY_F32 ? 1 : 0;
        for (int d = 0; n && d < rank; d++) n *= shape[d];
        for (long k = 0; k < n; k++)
            if (isfinite(a[k])) *lo = fmin(*lo, a[k]), *hi = fmax(*hi, a[k]);
        free(a);
        free(p);
        free(dir);
    }
}

typedef struct {
    const char *id, *heading, *kind, *file, *section, *missing;
} side_panel;

/* The built-in manifest of sp's kind (with extra, as builtin()) and in
 * *p its panel sp->section (NULL when it has none); 0, or -1 with err. */
static int side_manifest(sp_manifest *m, const side_panel *sp, const char *extra, const sp_panel **p, sp_error *err)
{
    int rc = builtin(m, sp->kind, sp->section, extra, err);
    *p = NULL;
    for (int k = 0; rc == 0 && k < m->npanels; k++)
        if (!strcmp(m->panel[k].section, sp->section)) *p = &m->panel[k];
    return rc;
}

/* One panel kind for every run, a column each; a run without the file
 * gets a note instead. note: HTML under the heading, or NULL. */
static int side_by_side(sp_report *rep, const runs_ctx *x, const side_panel *sp, const char *extra, const char *note)
{
    fprintf(rep->h, "<h2 id=\"%s\">%s</h2>\n", sp->id, sp->heading);
    if (note) fputs(note, rep->h);
    fputs("<div class=\"side\">\n", rep->h);
    sp_manifest m = { 0 };
    const sp_panel *p;
    int rc = side_manifest(&m, sp, extra, &p, rep->err);
    for (int i = 0; rc == 0 && p && i < x->n; i++) {
        const run_in *r = &x->run[i];
        fputs("<div><h3>", rep->h);
        sp_html_esc(rep->h, r->label);
        fputs("</h3>\n", rep->h);
        const char *id = NULL;
        char *dir = probe_with(r, sp->file, &id);
        char *plots = sp_xasprintf("%s/plots/run%d", x->out, i + 1), *href = sp_xasprintf("plots/run%d", i + 1);
        rep->plots = plots, rep->href = href;
        if (dir) rc = sp_mkdirs(plots, rep->err);
        if (dir && rc == 0) {
            switch (p->type) {
            case SP_PANEL_HEATMAP: rc = sp_panel_heatmap(rep, &m, p, id, dir); break;
            case SP_PANEL_BANDS: rc = sp_panel_bands(rep, &m, p, id, dir); break;
            default: rc = sp_panel_lines(rep, &m, p, id, dir);
            }
        }
        if (!dir || rc == 2) {
            fputs("<p class=\"missing\">", rep->h);
            sp_html_esc(rep->h, r->label);
            fprintf(rep->h, ": %s (%s %s).</p>\n", sp->missing, dir ? "no rows in" : "no probe folder with", sp->file);
            rc = 0;
        }
        fputs("</div>\n", rep->h);
        rep->plots = NULL, rep->href = NULL;
        free(plots);
        free(href);
        free(dir);
    }
    fputs("</div>\n", rep->h);
    if (m.path) sp_manifest_free(&m);
    return rc;
}

/* Every finite value of column col of RUN/probes/ID/file, for the first
 * probe folder of each run holding the file (the one drawn), into
 * [*lo, *hi] (widened, not reset). A table that cannot be read or lacks
 * the column adds nothing: its panel reports the error. */
static void column_span(const runs_ctx *x, const char *file, const char *col, double *lo, double *hi)
{
    for (int i = 0; i < x->n; i++) {
        const char *id;
        char *dir = probe_with(&x->run[i], file, &id), *path = dir ? sp_path_join(dir, file) : NULL;
        sp_table t;
        sp_error err;
        int c = path && sp_table_read(&t, path, &err) == 0 ? sp_table_col(&t, col) : -2;
        for (long r = 0; c >= 0 && r < t.nrows; r++) {
            double v;
            if (sp_table_num(&t, r, c, &v, &err) == 0 && isfinite(v)) *lo = fmin(*lo, v), *hi = fmax(*hi, v);
        }
        if (c > -2) sp_table_free(&t);
        free(path);
        free(dir);
    }
}

/* The information planes' common axes into x: for the panel's x column
 * and its (first) y column, the axis rule of one run's figure (plot.h)
 * applied to the union of every run's values (as one run's figure
 * applies it to its own), so every run's trajectory lies within them.
 * Estimators are not told apart: one pair of axes for every figure. As
 * "x_range = LO HI\ny_range = LO HI" for the panel
 * (new), or NULL when no run has a point. */
static char *mi_axes(runs_ctx *x, const side_panel *sp, sp_error *err)
{
    sp_manifest m = { 0 };
    const sp_panel *p;
    if (side_manifest(&m, sp, NULL, &p, err) != 0 || !p) {
        if (m.path) sp_manifest_free(&m);
        return NULL;
    }
    sp_strset y = { 0 };
    sp_split(sp_panel_get(&m, p, "y"), 0, &y);
    x->mi_col[0] = sp_xstrdup(sp_panel_get(&m, p, "x"));
    x->mi_col[1] = sp_xstrdup(y.n ? y.s[0] : "");
    sp_strset_free(&y);
    for (int a = 0; a < 2; a++) {
        const char *label = sp_panel_get(&m, p, a ? "ylabel" : "xlabel");
        x->mi_label[a] = sp_html_text_str(label ? label : x->mi_col[a]);
    }
    const char *log = sp_panel_get(&m, p, "log");
    x->have_mi_axes = 1;
    for (int a = 0; a < 2; a++) {
        double lo = INFINITY, hi = -INFINITY, step;
        column_span(x, sp->file, x->mi_col[a], &lo, &hi);
        x->have_mi_axes &= lo <= hi;
        sp_plot_axis_range(lo, hi, log && strchr(log, "xy"[a]), &x->mi_axes[a][0], &x->mi_axes[a][1], &step);
    }
    sp_manifest_free(&m);
    if (!x->have_mi_axes) return NULL;
    return sp_xasprintf("x_range = %.17g %.17g\ny_range = %.17g %.17g", x->mi_axes[0][0], x->mi_axes[0][1],
                        x->mi_axes[1][0], x->mi_axes[1][1]);
}

/* The cut-off trajectories' note: their y axis is the manifest's
 * y_range in every run (new), or NULL when the panel has none. */
static char *bands_note(const side_panel *sp, sp_error *err)
{
    sp_manifest m = { 0 };
    const sp_panel *p;
    char *note = NULL;
    double r[2];
    if (side_manifest(&m, sp, NULL, &p, err) == 0 && p && sp_panel_get(&m, p, "y_range") &&
        sscanf(sp_panel_get(&m, p, "y_range"), "%lf %lf", &r[0], &r[1]) == 2) {
        const char *label = sp_panel_get(&m, p, "ylabel");
        char *html = sp_html_text_str(label ? label : "y");
        note = sp_xasprintf("<p id=\"cutoffs-axes\">The cut-off trajectories share one y axis in every run, %s "
                            "%g .. %g.</p>\n", html, r[0], r[1]);
        free(html);
    }
    if (m.path) sp_manifest_free(&m);
    return note;
}

static int panels(sp_report *rep, runs_ctx *x)
{
    static const side_panel afr = { "afr", "AFR", "afr", "afr.npy", "heatmap afr", "no AFR" };
    static const side_panel bands = { "cutoffs", "Cut-off trajectories", "afr", "bands.tsv", "bands bands",
                                      "no cut-off trajectories" };
    static const side_panel mi = { "mi", "Information planes", "mi", "mi.tsv", "lines mi", "no information plane" };
    double lo, hi;
    afr_range(x, &lo, &hi);
    char *range = lo < hi ? sp_xasprintf("range = %.9g %.9g", lo, hi) : NULL;
    char *note = range ? sp_xasprintf("<p id=\"afr-scale\">The AFR heatmaps share one colour scale, %g .. %g.</p>\n",
                                      lo, hi)
                       : NULL;
    int rc = side_by_side(rep, x, &afr, range, note);
    free(range);
    free(note);
    if (rc == 0) {
        note = bands_note(&bands, rep->err);
        rc = side_by_side(rep, x, &bands, NULL, note);
        free(note);
    }
    if (rc != 0) return rc;
    range = mi_axes(x, &mi, rep->err);
    note = range ? sp_xasprintf("<p id=\"mi-axes\">The information planes share their axes, spanning every "
                                "run's points: %s %g .. %g across, %s %g .. %g up.</p>\n",
                                x->mi_label[0], x->mi_axes[0][0], x->mi_axes[0][1], x->mi_label[1], x->mi_axes[1][0],
                                x->mi_axes[1][1])
                 : NULL;
    rc = side_by_side(rep, x, &mi, range, note);
    free(range);
    free(note);
    return rc;
}

// ----------------------------------------------------------------------------
// summary.tsv, summary.json

static const char *const PER_SPLITS[] = { "dev", "core", "test", NULL };

static void tsv_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "\t%.9g", v);
    else fputs("\tnan", f);
}

static int summary_tsv(const runs_ctx *x, sp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return sp_fail_oom(err, 0);
    fputs("run\tpath\tepochs\tbest_epoch\tbest_dev_fer\tfinal_dev_fer\tfinal_train_loss", f);
    for (int s = 0; PER_SPLITS[s]; s++) fprintf(f, "\tper_%s", PER_SPLITS[s]);
    fputc('\n', f);
    for (int i = 0; i < x->n; i++) {
        const sp_run_log *c = &x->run[i].log;
        long b = sp_run_log_best(c), l = c->n - 1;
        /* tabs and newlines in a name would break the row */
        char *label = sp_safe_name(x->run[i].label), *path = sp_xstrdup(x->run[i].path);
        for (char *p = path; *p; p++)
            if (*p == '\t' || *p == '\n') *p = ' ';
        fprintf(f, "%s\t%s\t%ld", label, path, c->n ? (long)c->epoch[l] : 0L);
        tsv_num(f, b >= 0 ? c->epoch[b] : NAN);
        tsv_num(f, b >= 0 ? c->df[b] : NAN);
        tsv_num(f, l >= 0 ? c->df[l] : NAN);
        tsv_num(f, l >= 0 ? c->tl[l] : NAN);
        for (int s = 0; PER_SPLITS[s]; s++) {
            const sp_eval_out *o = sp_eval_outs_find(&x->run[i].ev, PER_SPLITS[s]);
            tsv_num(f, o ? o->per : NAN);
        }
        fputc('\n', f);
        free(label);
        free(path);
    }
    fclose(f);
    char *out = sp_path_join(x->out, "summary.tsv");
    int rc = sp_text_write(out, text, len, err);
    free(out);
    free(text);
    return rc;
}

static void json_run(sp_json *j, const runs_ctx *x, const run_in *r)
{
    const sp_run_log *c = &r->log;
    long b = sp_run_log_best(c), l = c->n - 1;
    sp_json_begin_object(j, NULL);
    sp_json_string(j, "run", r->label);
    sp_json_string(j, "path", r->path);
    sp_json_long(j, "epochs", c->n ? (long)c->epoch[l] : 0);
    sp_json_double(j, "best_epoch", b >= 0 ? c->epoch[b] : NAN);
    sp_json_double(j, "best_dev_fer", b >= 0 ? c->df[b] : NAN);
    sp_json_double(j, "final_dev_fer", l >= 0 ? c->df[l] : NAN);
    sp_json_double(j, "final_train_loss", l >= 0 ? c->tl[l] : NAN);
    sp_json_begin_object(j, "per");
    for (int e = 0; e < r->ev.n; e++) sp_json_double(j, r->ev.v[e].tag, r->ev.v[e].per);
    sp_json_end_object(j);
    sp_json_begin_array(j, "dev_fer");
    for (long e = 0; e < c->n; e++) sp_json_double(j, NULL, c->df[e]);
    sp_json_end_array(j);
    sp_json_begin_object(j, "config");
    for (int k = 0; k < x->differ.n; k++) {
        const char *v = conf_value(r, x->differ.s[k]);
        char *key = sp_xstrdup(x->differ.s[k]);
        *strchr(key, '\t') = '.';
        if (v) sp_json_string(j, key, v);
        else sp_json_double(j, key, NAN);
        free(key);
    }
    sp_json_end_object(j);
    sp_json_end_object(j);
}

static int summary_json(const runs_ctx *x, sp_error *err)
{
    char *text = NULL, date[40];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return sp_fail_oom(err, 0);
    sp_report_date(date, sizeof date);
    sp_json j;
    sp_json_init(&j, f, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_string(&j, "sincprobe", PACKAGE_VERSION);
    sp_json_string(&j, "date", date);
    sp_json_begin_array(&j, "config_differs");
    for (int k = 0; k < x->differ.n; k++) {
        char *key = sp_xstrdup(x->differ.s[k]);
        *strchr(key, '\t') = '.';
        sp_json_string(&j, NULL, key);
        free(key);
    }
    sp_json_end_array(&j);
    if (x->have_mi_axes) {
        sp_json_begin_object(&j, "infoplane_axes");
        for (int a = 0; a < 2; a++) {
            sp_json_begin_array(&j, x->mi_col[a]);
            sp_json_double(&j, NULL, x->mi_axes[a][0]);
            sp_json_double(&j, NULL, x->mi_axes[a][1]);
            sp_json_end_array(&j);
        }
        sp_json_end_object(&j);
    } else sp_json_double(&j, "infoplane_axes", NAN);
    sp_json_begin_array(&j, "runs");
    for (int i = 0; i < x->n; i++) json_run(&j, x, &x->run[i]);
    sp_json_end_array(&j);
    sp_json_end_object(&j);
    sp_json_finish(&j);
    fclose(f);
    char *out = sp_path_join(x->out, "summary.json");
    int rc = sp_text_write(out, text, len, err);
    free(out);
    free(text);
    return rc;
}

// ----------------------------------------------------------------------------
// the page

static int page(const runs_ctx *x, const char *body, size_t body_len, int figures, int quiet, sp_error *err)
{
    char *html = NULL;
    size_t html_len = 0;
    FILE *h = open_memstream(&html, &html_len);
    if (!h) return sp_fail_oom(err, 0);
    fprintf(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sincprobe report: %d runs"
               "</title>\n<style>%s</style></head>\n<body data-images=\"pending\">\n<h1>sincprobe report: %d runs side "
               "by side</h1>\n<table class=\"nums\" id=\"summary-table\">\n",
            x->n, sp_report_css, x->n);
    fprintf(h, "<tr><th>runs</th><td id=\"run-count\">%d</td></tr>\n<tr><th>figures</th><td id=\"figures\">%d</td>"
               "</tr>\n<tr><th>numbers</th><td><a href=\"summary.tsv\">summary.tsv</a>, <a href=\"summary.json\">"
               "summary.json</a></td></tr>\n",
            x->n, figures);
    sp_report_stamp(h);
    fputs("</table>\n", h);
    runs_table(h, x);
    config_table(h, x);
    fwrite(body, 1, body_len, h);
    fputs(sp_report_script, h);
    fputs("</body></html>\n", h);
    fclose(h);
    char *out = sp_path_join(x->out, "report.html");
    int rc = sp_text_write(out, html, html_len, err);
    if (rc == 0 && !quiet) sp_log_note("report: %s (%d runs, %d figures)", out, x->n, figures);
    free(out);
    free(html);
    return rc;
}

int sp_report_runs_write(const char *const *runs, int n, const char *out, int quiet, sp_error *err)
{
    runs_ctx x = { 0 };
    x.n = n, x.out = out;
    x.run = sp_xcalloc((size_t)n, sizeof *x.run);
    int opened = 0, rc = -1;
    for (; opened < n; opened++)
        if (run_open(&x.run[opened], runs[opened], err) != 0) break;
    char *body = NULL;
    size_t body_len = 0;
    sp_report rep = { 0 };
    rep.run = out, rep.err = err;
    rep.plots = sp_path_join(out, "plots");
    char *plots = rep.plots;
    if (opened < n || sp_mkdirs(plots, err) != 0) goto done;
    label_runs(&x);
    config_keys(&x);
    rep.h = open_memstream(&body, &body_len);
    if (!rep.h) {
        sp_fail_oom(err, 0);
        goto done;
    }
    int drawn = curves(&rep, &x) == 0 && (rep.plots = plots, panels(&rep, &x) == 0);
    fclose(rep.h);
    if (drawn && summary_tsv(&x, err) == 0 && summary_json(&x, err) == 0)
        rc = page(&x, body, body_len, rep.figures, quiet, err);
done:
    for (int i = 0; i < opened; i++) run_close(&x.run[i]);
    if (opened < n) run_close(&x.run[opened]);
    free(x.run);
    free(body);
    free(plots);
    sp_strset_free(&x.keys);
    sp_strset_free(&x.differ);
    for (int a = 0; a < 2; a++) free(x.mi_col[a]), free(x.mi_label[a]);
    return rc;
}
