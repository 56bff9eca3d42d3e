/* report_eval.c - what `sincprobe eval` left in a run directory, read
 * back for the report: each eval-TAG-confusion.tsv, its PER recounted
 * from the matrix, the matrix drawn; and the stamp naming the version
 * and date that made the page. See report_parts.h. */
#include "config.h"
#include "plot/report_parts.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char PREFIX[] = "eval-", SUFFIX[] = "-confusion.tsv";

static void out_free(sp_eval_out *o)
{
    for (int i = 0; i < o->nphones; i++) free(o->phone[i]);
    free(o->phone);
    free(o->count);
    free(o->tag);
    free(o->file);
}

void sp_eval_outs_free(sp_eval_outs *e)
{
    for (int i = 0; i < e->n; i++) out_free(&e->v[i]);
    free(e->v);
    e->n = 0, e->v = NULL;
}

/* The matrix's shape: header "ref P1 .. Pn <del>", rows P1 .. Pn then
 * "<ins>", n + 1 counts each. */
static int check_shape(const sp_table *t, sp_error *err)
{
    int n = t->ncols - 2;
    if (n < 1 || strcmp(t->names[0], "ref") || strcmp(t->names[t->ncols - 1], "<del>"))
        return sp_fail(err, "'%s' line 1: not a confusion matrix of sincprobe eval (header 'ref', the phones, '<del>')",
                       t->path);
    if (t->nrows != n + 1)
        return sp_fail(err, "'%s': %ld rows, a matrix of %d phones has %d (the phones, then '<ins>')", t->path,
                       t->nrows, n, n + 1);
    for (long r = 0; r < t->nrows; r++) {
        const char *want = r < n ? t->names[r + 1] : "<ins>";
        if (strcmp(sp_table_cell(t, r, 0), want))
            return sp_fail(err, "'%s' line %ld: row '%s', expected '%s'", t->path, t->line[r], sp_table_cell(t, r, 0),
                           want);
    }
    return 0;
}

/* One matrix into o, its counts recounted: see sp_eval_out. */
static int read_matrix(sp_eval_out *o, const char *path, sp_error *err)
{
    sp_table t;
    int rc = sp_table_read(&t, path, err);
    if (rc != 0) return rc > 0 ? sp_fail(err, "'%s': no such file", path) : -1; /* gone since readdir */
    rc = check_shape(&t, err);
    int n = t.ncols - 2;
    if (rc == 0) {
        o->nphones = n;
        o->phone = sp_xcalloc((size_t)n, sizeof *o->phone);
        o->count = sp_xcalloc((size_t)(n + 1) * (n + 1), sizeof *o->count);
        for (int i = 0; i < n; i++) o->phone[i] = sp_xstrdup(t.names[i + 1]);
    }
    for (long r = 0; rc == 0 && r <= n; r++)
        for (int h = 0; rc == 0 && h <= n; h++) {
            double v;
            rc = sp_table_num(&t, r, h + 1, &v, err);
            if (rc == 0 && !(v >= 0 && v == floor(v)))
                rc = sp_fail(err, "'%s' line %ld: column '%s': '%s' is not a count", path, t.line[r], t.names[h + 1],
                             sp_table_cell(&t, r, h + 1));
            if (rc != 0) break;
            o->count[(size_t)r * (n + 1) + h] = v;
            long c = (long)v;
            if (r < n) o->ref += c;
            if (r < n && h < n && h != r) o->sub += c;
            if (r < n && h == n) o->del += c;
            if (r == n && h < n) o->ins += c;
        }
    o->per = o->ref > 0 ? (double)(o->sub + o->del + o->ins) / (double)o->ref : NAN;
    sp_table_free(&t);
    return rc;
}

static int tag_cmp(const void *a, const void *b)
{
    return strcmp(((const sp_eval_out *)a)->tag, ((const sp_eval_out *)b)->tag);
}

int sp_eval_outs_read(const char *run, sp_eval_outs *e, sp_error *err)
{
    memset(e, 0, sizeof *e);
    DIR *d = opendir(run);
    if (!d) return sp_fail(err, "cannot open '%s': %s", run, strerror(errno));
    struct dirent *de;
    int rc = 0;
    size_t lp = strlen(PREFIX), ls = strlen(SUFFIX);
    while (rc == 0 && (de = readdir(d))) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (l <= lp + ls || strncmp(nm, PREFIX, lp) || strcmp(nm + l - ls, SUFFIX)) continue;
        e->v = sp_xrealloc(e->v, (size_t)(e->n + 1) * sizeof *e->v);
        sp_eval_out *o = &e->v[e->n++];
        memset(o, 0, sizeof *o);
        o->tag = sp_xasprintf("%.*s", (int)(l - lp - ls), nm + lp);
        o->file = sp_xstrdup(nm);
        char *path = sp_path_join(run, nm);
        rc = read_matrix(o, path, err);
        free(path);
    }
    closedir(d);
    if (rc != 0) {
        sp_eval_outs_free(e);
        return -1;
    }
    if (e->n) qsort(e->v, (size_t)e->n, sizeof *e->v, tag_cmp);
    return 0;
}

const sp_eval_out *sp_eval_outs_find(const sp_eval_outs *e, const char *tag)
{
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].tag, tag)) return &e->v[i];
    return NULL;
}

char *sp_eval_outs_per(const sp_eval_outs *e)
{
    if (!e->n) return NULL;
    char *s = sp_xstrdup("");
    for (int i = 0; i < e->n; i++) {
        char *tag = sp_html_text_str(e->v[i].tag);
        char *t = sp_xasprintf("%s%s%s %.2f%%", s, i ? "; " : "", tag, 100 * e->v[i].per);
        free(tag);
        free(s);
        s = t;
    }
    return s;
}

/* The matrix as a heatmap: reference phones up, hypotheses and <del>
 * across, each row divided by its total (the share of that phone's
 * occurrences recognised as each), so frequent and rare phones read on
 * one scale 0 .. 1. */
static int confusion_figure(sp_report *r, const sp_eval_out *o)
{
    int n = o->nphones;
    double *v = sp_xmalloc((size_t)n * (n + 1) * sizeof *v);
    for (int i = 0; i < n; i++) {
        double tot = 0;
        for (int h = 0; h <= n; h++) tot += o->count[(size_t)i * (n + 1) + h];
        for (int h = 0; h <= n; h++) v[(size_t)i * (n + 1) + h] = tot > 0 ? o->count[(size_t)i * (n + 1) + h] / tot : NAN;
    }
    const char **cols = sp_xcalloc((size_t)n + 1, sizeof *cols);
    for (int h = 0; h < n; h++) cols[h] = o->phone[h];
    cols[n] = "<del>";
    char *safe = sp_safe_name(o->tag), *name = sp_xasprintf("confusion_%s", safe);
    char *title = sp_xasprintf("phone confusions, eval %s (each row / its total)", o->tag);
    char *base = sp_report_plot_base(r, name);
    sp_plot_heatmap h = { 0 };
    h.title = title, h.xlabel = "recognised as", h.ylabel = "reference phone", h.clabel = "share of the row";
    h.rows = n, h.cols = n + 1, h.v = v, h.row_label = (const char *const *)o->phone, h.col_label = cols;
    h.vmin = 0, h.vmax = 1;
    int rc = sp_plot_heatmap_write(base, &h, r->err);
    if (rc == 0) {
        char *tag = sp_html_text_str(o->tag), *file = sp_html_text_str(o->file);
        char *cap = sp_xasprintf("confusion matrix of eval %s (%s), each reference phone's row divided by its "
                                 "count; the diagonal is what was recognised right",
                                 tag, file);
        sp_report_figure(r, name, cap);
        free(cap);
        free(tag);
        free(file);
    }
    free(v);
    free(cols);
    free(safe);
    free(name);
    free(title);
    free(base);
    return rc == 1 ? 0 : rc;
}

int sp_report_eval(sp_report *r, const sp_eval_outs *e, const char *run)
{
    fputs("<h2 id=\"eval\">Evaluation</h2>\n", r->h);
    if (!e->n) {
        fputs("<p id=\"no-eval\">No eval yet: <code>sincprobe eval ", r->h);
        sp_html_esc(r->h, run);
        fputs("</code> scores the best checkpoint on the config's test split and writes "
              "<code>eval-SPLIT-confusion.tsv</code> here, from which this report takes the PER.</p>\n",
              r->h);
        return 0;
    }
    fputs("<p>From the confusion matrices <code>sincprobe eval</code> wrote (39 phones; PER = (S + D + I) / N)."
          "</p>\n<table class=\"nums\" id=\"eval-table\"><tr><th>eval</th><th>N</th><th>S</th><th>D</th><th>I</th>"
          "<th>PER</th></tr>\n",
          r->h);
    for (int i = 0; i < e->n; i++) {
        const sp_eval_out *o = &e->v[i];
        fputs("<tr><td>", r->h);
        sp_html_esc(r->h, o->tag);
        fprintf(r->h, "</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td><td class=\"per\">%.2f%%</td></tr>\n",
                o->ref, o->sub, o->del, o->ins, 100 * o->per);
    }
    fputs("</table>\n", r->h);
    for (int i = 0; i < e->n; i++)
        if (confusion_figure(r, &e->v[i]) != 0) return -1;
    return 0;
}

void sp_report_date(char *buf, size_t size)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long s = sde ? strtoll(sde, &end, 10) : 0;
    time_t t = sde && *sde && end && !*end ? (time_t)s : time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm)) snprintf(buf, size, "unknown");
}

void sp_report_stamp(FILE *h)
{
    char date[40];
    sp_report_date(date, sizeof date);
    fprintf(h, "<tr><th>made by</th><td id=\"made-by\">sincprobe %s, <time datetime=\"%s\">%s</time> (UTC)</td></tr>\n",
            PACKAGE_VERSION, date, date);
}
