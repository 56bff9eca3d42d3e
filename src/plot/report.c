/* report.c - the figures and report.html of a run directory: the page
 * around the probes' panels, which their manifests describe (manifest.h,
 * report_parts.h). See report.h. */
#include "config.h"
#include "plot/report.h"
#include "plot/report_parts.h"
#include "base/log.h"
#include "base/npy.h"
#include "base/util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table panel with a section, drawn after the probes. */
struct sp_report_section {
    const sp_manifest *m;
    const sp_panel *p;
    char *id, *dir;
};

/* The manifests read, kept until the sections are drawn. */
typedef struct {
    int n;
    sp_manifest **m;
    int nbuiltin;
    sp_manifest **builtin; /* parsed when a folder first needs them */
} manifests;

// ----------------------------------------------------------------------------
// learning curves

void sp_run_log_free(sp_run_log *c)
{
    free(c->epoch);
    free(c->lr);
    free(c->tl);
    free(c->tf);
    free(c->dl);
    free(c->df);
    free(c->sec);
    memset(c, 0, sizeof *c);
}

long sp_run_log_best(const sp_run_log *c)
{
    long best = c->n ? 0 : -1;
    for (long i = 1; i < c->n; i++)
        if (c->df[i] < c->df[best]) best = i;
    return best;
}

int sp_run_log_read(const char *run, sp_run_log *c, sp_error *err)
{
    memset(c, 0, sizeof *c);
    char *path = sp_path_join(run, "log.tsv");
    sp_table t;
    int rc = sp_table_read(&t, path, err);
    if (rc == 1) sp_fail(err, "'%s': no such file (is '%s' a run directory?)", path, run);
    free(path);
    if (rc != 0) return -1;
    static const char *const need[] = { "epoch", "train_loss", "train_fer", "dev_loss", "dev_fer", NULL };
    int idx[5];
    if (sp_table_need(&t, need, idx, err) != 0) {
        sp_table_free(&t);
        return -1;
    }
    /* optional columns: NaN in each row when absent */
    int opt[2] = { sp_table_col(&t, "seconds"), sp_table_col(&t, "lr") };
    c->n = t.nrows;
    double **dst[5] = { &c->epoch, &c->tl, &c->tf, &c->dl, &c->df }, **odst[2] = { &c->sec, &c->lr };
    for (int k = 0; k < 5; k++) *dst[k] = sp_xcalloc((size_t)(t.nrows + 1), sizeof(double));
    for (int k = 0; k < 2; k++) *odst[k] = sp_xcalloc((size_t)(t.nrows + 1), sizeof(double));
    for (long i = 0; i < t.nrows; i++) {
        for (int k = 0; k < 5; k++)
            if (sp_table_num(&t, i, idx[k], &(*dst[k])[i], err) != 0) goto bad;
        for (int k = 0; k < 2; k++) {
            if (opt[k] < 0) (*odst[k])[i] = NAN;
            else if (sp_table_num(&t, i, opt[k], &(*odst[k])[i], err) != 0) goto bad;
        }
    }
    sp_table_free(&t);
    return 0;
bad:
    sp_table_free(&t);
    sp_run_log_free(c);
    return -1;
}

/* The learning-rate schedule, lr by epoch, as a small figure (the rate
 * each epoch trained at, after any decay of the epoch before). */
static int lr_figure(sp_report *r, const sp_run_log *c)
{
    if (!isfinite(c->lr[0])) {
        fputs("<p class=\"empty\" id=\"no-lr\">No lr column in log.tsv: no learning-rate figure.</p>\n", r->h);
        return 0;
    }
    sp_plot_series s = { .name = "lr", .n = (int)c->n, .x = c->epoch, .y = c->lr };
    sp_plot_lines p = { 0 };
    p.title = "learning rate", p.xlabel = "epoch", p.ylabel = "lr", p.markers = 1, p.xinteger = 1;
    p.nseries = 1, p.series = &s;
    char *base = sp_report_plot_base(r, "learning_lr");
    int rc = sp_plot_lines_write(base, &p, r->err);
    free(base);
    if (rc == 1) return sp_report_nothing(r, "learning rate");
    if (rc != 0) return -1;
    char *ax = sp_report_axes(&p), *cap = sp_xasprintf("learning rate by epoch (log.tsv's lr): %s", ax);
    fputs("<div class=\"small\">", r->h);
    sp_report_figure(r, "learning_lr", cap);
    fputs("</div>\n", r->h);
    free(ax);
    free(cap);
    return 0;
}

static int learning_curves(sp_report *r, const sp_run_log *c)
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
        sp_plot_series s[2] = { { .name = "train", .n = (int)c->n, .x = c->epoch, .y = f[k].a },
                                { .name = "dev", .n = (int)c->n, .x = c->epoch, .y = f[k].b } };
        sp_plot_lines p = { 0 };
        p.title = f[k].title, p.xlabel = "epoch", p.ylabel = f[k].ylabel, p.markers = 1, p.xinteger = 1;
        p.nseries = 2, p.series = s;
        char *base = sp_report_plot_base(r, f[k].name);
        int rc = sp_plot_lines_write(base, &p, r->err);
        free(base);
        if (rc == 1) {
            sp_report_nothing(r, f[k].title);
            continue;
        }
        if (rc != 0) return -1;
        char *ax = sp_report_axes(&p), *cap = sp_xasprintf("%s, train and dev, by epoch: %s", f[k].title, ax);
        sp_report_figure(r, f[k].name, cap);
        free(ax);
        free(cap);
    }
    return lr_figure(r, c);
}

// ----------------------------------------------------------------------------
// the probe folders, drawn as their manifests say

static int exists_in(const char *dir, const char *name)
{
    char *p = sp_path_join(dir, name);
    int e = sp_is_file(p);
    free(p);
    return e;
}

static void manifests_free(manifests *ms)
{
    for (int i = 0; i < ms->n; i++) sp_manifest_free(ms->m[i]), free(ms->m[i]);
    for (int i = 0; i < ms->nbuiltin; i++) sp_manifest_free(ms->builtin[i]), free(ms->builtin[i]);
    free(ms->m);
    free(ms->builtin);
}

static int builtin_manifests(manifests *ms, sp_error *err)
{
    if (ms->builtin) return 0;
    int n = 0;
    while (sp_manifest_builtin[n]) n++;
    ms->builtin = sp_xcalloc((size_t)n + 1, sizeof *ms->builtin);
    for (int i = 0; i < n; i++) {
        char name[48];
        snprintf(name, sizeof name, "built-in manifest %d", i + 1);
        ms->builtin[i] = sp_xcalloc(1, sizeof **ms->builtin);
        if (sp_manifest_parse(ms->builtin[i], name, sp_manifest_builtin[i], err) != 0) {
            free(ms->builtin[i]);
            return -1;
        }
        ms->nbuiltin = i + 1;
    }
    return 0;
}

/* A table panel with a section: drawn after the probes, once, from the
 * first probe folder (in name order) that holds its file. */
static void queue_section(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir)
{
    if (!exists_in(dir, sp_panel_get(m, p, "file"))) return;
    for (int i = 0; i < r->nsections; i++)
        if (!strcmp(r->section[i].p->name, p->name)) return;
    r->section = sp_xrealloc(r->section, (size_t)(r->nsections + 1) * sizeof *r->section);
    r->section[r->nsections++] = (sp_report_section){ m, p, sp_xstrdup(id), sp_xstrdup(dir) };
}

/* One manifest's panels under its heading, when the folder holds its
 * files; its kind joins the folder's kinds. */
static int probe_kind(sp_report *r, const sp_manifest *m, const char *id, const char *dir, sp_strset *kinds)
{
    for (int i = 0; i < m->nfiles; i++)
        if (!exists_in(dir, m->files[i])) return 0;
    sp_strset_add(kinds, m->kind);
    fputs("<h3>", r->h);
    sp_html_text(r->h, m->heading);
    fputs("</h3>\n", r->h);
    int empty_done = 0;
    for (int k = 0; k < m->npanels; k++) {
        const sp_panel *p = &m->panel[k];
        int rc;
        switch (p->type) {
        case SP_PANEL_HEATMAP: rc = sp_panel_heatmap(r, m, p, id, dir); break;
        case SP_PANEL_LINES: rc = sp_panel_lines(r, m, p, id, dir); break;
        case SP_PANEL_BANDS: rc = sp_panel_bands(r, m, p, id, dir); break;
        case SP_PANEL_IMAGES: rc = sp_panel_images(r, m, p, id, dir); break;
        default:
            if (sp_panel_get(m, p, "section")) {
                queue_section(r, m, p, id, dir);
                rc = 0;
            } else {
                rc = sp_panel_table(r, m, p, id, dir);
            }
        }
        if (rc < 0) return -1;
        if (rc == 2 && !empty_done) { /* nothing to show: said once per kind */
            const char *empty = sp_panel_get(m, p, "empty");
            const char *file = sp_panel_get(m, p, "npy") ? sp_panel_get(m, p, "npy") : sp_panel_get(m, p, "file");
            char *text = empty ? sp_xstrdup(empty) : sp_xasprintf("No rows in %s.", file);
            fputs("<p>", r->h);
            sp_html_text(r->h, text);
            fputs("</p>\n", r->h);
            free(text);
            empty_done = 1;
        }
    }
    return 0;
}

/* A probe folder: its own manifest, or else every built-in one whose
 * files it holds (a run from before manifests, or made by hand). */
static int probe_dir(sp_report *r, manifests *ms, const char *id, const char *dir, sp_strset *kinds)
{
    fputs("<section class=\"probe\"><h2>Probe ", r->h);
    sp_html_esc(r->h, id);
    fputs("</h2>\n", r->h);
    sp_manifest **list = NULL;
    int n = 0;
    if (exists_in(dir, SP_MANIFEST_FILE)) {
        char *path = sp_path_join(dir, SP_MANIFEST_FILE);
        sp_manifest *m = sp_xcalloc(1, sizeof *m);
        int rc = sp_manifest_load(m, path, r->err);
        free(path);
        if (rc != 0) {
            free(m);
            return -1;
        }
        ms->m = sp_xrealloc(ms->m, (size_t)(ms->n + 1) * sizeof *ms->m);
        ms->m[ms->n++] = m;
        list = &ms->m[ms->n - 1], n = 1;
    } else {
        if (builtin_manifests(ms, r->err) != 0) return -1;
        list = ms->builtin, n = ms->nbuiltin;
    }
    for (int i = 0; i < n; i++)
        if (probe_kind(r, list[i], id, dir, kinds) != 0) return -1;
    if (kinds->n == 0) fputs("<p>No output this report knows how to show.</p>\n", r->h);
    fputs("</section>\n", r->h);
    return 0;
}

void sp_report_probe_ids(const char *run, sp_strset *ids)
{
    char *pd = sp_path_join(run, "probes");
    struct dirent **ents = NULL;
    int ne = sp_is_dir(pd) ? scandir(pd, &ents, NULL, alphasort) : 0;
    for (int i = 0; i < ne; i++) {
        char *dir = sp_path_join(pd, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && sp_is_dir(dir)) sp_strset_push(ids, ents[i]->d_name);
        free(dir);
        free(ents[i]);
    }
    free(ents);
    free(pd);
}

/* Every folder of RUN/probes in name order, then the sections; kinds_of
 * gets "KIND, KIND" per folder for the summary. */
static int probes(sp_report *r, sp_strset *kinds_of)
{
    sp_report_probe_ids(r->run, &r->ids);
    char *pd = sp_path_join(r->run, "probes");
    manifests ms = { 0 };
    int rc = 0;
    for (int i = 0; i < r->ids.n && rc == 0; i++) {
        char *dir = sp_path_join(pd, r->ids.s[i]);
        sp_strset kinds = { 0 };
        rc = probe_dir(r, &ms, r->ids.s[i], dir, &kinds);
        size_t len = 1;
        for (int k = 0; k < kinds.n; k++) len += strlen(kinds.s[k]) + 2;
        char *ks = sp_xcalloc(len, 1);
        for (int k = 0; k < kinds.n; k++) {
            if (k) strcat(ks, ", ");
            strcat(ks, kinds.s[k]);
        }
        sp_strset_push(kinds_of, ks);
        free(ks);
        sp_strset_free(&kinds);
        free(dir);
    }
    for (int i = 0; i < r->nsections && rc == 0; i++) {
        const sp_report_section *s = &r->section[i];
        rc = sp_panel_table(r, s->m, s->p, s->id, s->dir);
    }
    for (int i = 0; i < r->nsections; i++) free(r->section[i].id), free(r->section[i].dir);
    free(r->section);
    r->section = NULL, r->nsections = 0;
    manifests_free(&ms);
    free(pd);
    return rc;
}

// ----------------------------------------------------------------------------
// the page

const char sp_report_css[] =
    "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}"
    "figure{display:inline-block;margin:.5em;vertical-align:top}"
    "figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;max-width:760px}"
    "table.nums,table.grid{border-collapse:collapse;font-size:.9em}"
    "table.nums td,table.nums th,table.grid td,table.grid th{border:1px solid #ccc;padding:.25em .5em;"
    "text-align:left;vertical-align:top}"
    "img.thumb{width:220px}div.metrics{font-size:.8em;color:#444}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto}div.small{display:inline-block;max-width:420px}"
    "td.diff{background:#fff3b0;font-weight:bold}div.side{display:flex;flex-wrap:wrap;gap:1em}"
    "div.side>div{flex:1 1 0;min-width:320px}p.missing{color:#777;font-style:italic}";

const char sp_report_script[] =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, bad = [];\n"
    "  for (var i = 0; i < imgs.length; i++)\n"
    "    if (!imgs[i].complete || !(imgs[i].naturalWidth > 0)) bad.push(imgs[i].getAttribute('src'));\n"
    "  document.body.dataset.images = bad.length ? 'broken ' + bad.join(' ') : 'ok ' + imgs.length;\n"
    "});\n"
    "</script>\n";

/* The summary table: the run's numbers, the probes and their kinds. */
static void summary(FILE *h, const sp_run_log *c, const sp_eval_outs *ev, const char *run, const sp_strset *ids,
                    const sp_strset *kinds, int figures)
{
    fputs("<h2 id=\"summary\">Summary</h2>\n<table class=\"nums\" id=\"summary-table\">\n", h);
    if (c->n > 0) {
        long last = c->n - 1, best = 0;
        double secs = 0;
        int have_secs = 1;
        for (long i = 0; i < c->n; i++) {
            if (c->df[i] < c->df[best]) best = i;
            if (isfinite(c->sec[i])) secs += c->sec[i];
            else have_secs = 0;
        }
        fprintf(h, "<tr><th>epochs</th><td id=\"epochs\">%g</td></tr>\n", c->epoch[last]);
        fprintf(h, "<tr><th>final dev FER</th><td id=\"final-dev-fer\">%.4f</td></tr>\n", c->df[last]);
        fprintf(h, "<tr><th>best dev FER</th><td id=\"best-dev-fer\">%.4f (epoch %g)</td></tr>\n", c->df[best],
                c->epoch[best]);
        fprintf(h, "<tr><th>final train FER</th><td>%.4f</td></tr>\n", c->tf[last]);
        fprintf(h, "<tr><th>final train / dev loss</th><td>%.4f / %.4f</td></tr>\n", c->tl[last], c->dl[last]);
        if (have_secs) fprintf(h, "<tr><th>training time</th><td>%.1f s</td></tr>\n", secs);
    } else {
        fputs("<tr><th>epochs</th><td id=\"epochs\">0</td></tr>\n", h);
    }
    fputs("<tr><th>probes</th><td id=\"probes\">", h);
    if (!ids->n) fputs("none", h);
    for (int i = 0; i < ids->n; i++) {
        if (i) fputs("; ", h);
        sp_html_esc(h, ids->s[i]);
        fputs(" (", h);
        sp_html_esc(h, kinds->s[i][0] ? kinds->s[i] : "no known outputs");
        fputs(")", h);
    }
    fputs("</td></tr>\n", h);
    char *per = sp_eval_outs_per(ev);
    fputs("<tr><th>PER</th><td id=\"per\">", h);
    if (per) fputs(per, h);
    else {
        fputs("no eval yet (<code>sincprobe eval ", h);
        sp_html_esc(h, run);
        fputs("</code> makes one)", h);
    }
    fputs("</td></tr>\n", h);
    free(per);
    fprintf(h, "<tr><th>figures</th><td id=\"figures\">%d</td></tr>\n", figures);
    sp_report_stamp(h);
    fputs("</table>\n", h);
}

/* The page: head, summary, the body built, the config. */
static int page(const char *run_dir, const sp_run_log *c, const sp_eval_outs *ev, const sp_report *r,
                const sp_strset *kinds, const char *body, size_t body_len, const char *conf, int quiet, sp_error *err)
{
    char *html = NULL;
    size_t html_len = 0;
    FILE *h = open_memstream(&html, &html_len);
    if (!h) return sp_fail_oom(err, 0);
    fprintf(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sincprobe report: ");
    sp_html_esc(h, run_dir);
    fprintf(h, "</title>\n<style>%s</style></head>\n<body data-images=\"pending\">\n<h1>sincprobe report: ", sp_report_css);
    sp_html_esc(h, run_dir);
    fputs("</h1>\n", h);
    summary(h, c, ev, run_dir, &r->ids, kinds, r->figures);
    fwrite(body, 1, body_len, h);
    fputs("<h2 id=\"config\">Configuration</h2>\n", h);
    if (conf) {
        fputs("<pre id=\"config-text\">", h);
        sp_html_esc(h, conf);
        fputs("</pre>\n", h);
    } else {
        fputs("<p>No config.conf in the run directory.</p>\n", h);
    }
    fputs(sp_report_script, h);
    fputs("</body></html>\n", h);
    fclose(h);
    char *out = sp_path_join(run_dir, "report.html");
    int rc = sp_text_write(out, html, html_len, err);
    if (rc == 0 && !quiet) sp_log_note("report: %s (%d figures)", out, r->figures);
    free(out);
    free(html);
    return rc;
}

int sp_report_write(const char *run_dir, int quiet, sp_error *err)
{
    sp_run_log c;
    if (sp_run_log_read(run_dir, &c, err) != 0) return -1;
    sp_eval_outs ev;
    if (sp_eval_outs_read(run_dir, &ev, err) != 0) {
        sp_run_log_free(&c);
        return -1;
    }
    sp_report r = { 0 };
    r.run = run_dir;
    r.err = err;
    r.plots = sp_path_join(run_dir, "plots");
    char *body = NULL;
    size_t body_len = 0;
    sp_strset kinds = { 0 };
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
    int drawn = learning_curves(&r, &c) == 0 && sp_report_eval(&r, &ev, run_dir) == 0 && probes(&r, &kinds) == 0;
    fclose(r.h);
    if (drawn) rc = page(run_dir, &c, &ev, &r, &kinds, body, body_len, conf, quiet, err);
out:
    free(body);
    free(conf);
    free(confpath);
    free(r.plots);
    sp_strset_free(&r.ids);
    sp_strset_free(&kinds);
    sp_run_log_free(&c);
    sp_eval_outs_free(&ev);
    return rc;
}
