/* watch.c - `sincprobe live --watch`: a training's AFR and filter
 * trajectories, redrawn as its epochs end. See watch.h. */
#include "config.h"
#include "live/watch.h"
#include "live/view_impl.h"
#include "base/npy.h"
#include "base/util.h"
#include "plot/draw.h"
#include "plot/manifest.h"
#include "plot/plot.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The files looked at, by index. */
enum { F_AFR, F_FREQS, F_BANDS, F_MANIFEST, F_LOG, NFILES };
static const char *const file_name[NFILES] = { "afr.npy", "freqs.npy", "bands.npy", SP_MANIFEST_FILE, "log.tsv" };

typedef struct {
    long long ino, size, mtime_ns; /* all 0: absent */
} file_sig;

struct sp_live_watcher {
    char *run;
    sp_view_kind kind;
    sp_live_view_opts o;
    sp_live_win *win;
    sp_live_term *term;
    double next_look;
    char *id, *dir;          /* the afr probe's ID and folder, once found */
    file_sig sig[NFILES];
    /* what was read */
    float *afr, *freqs;      /* [E][B], [B] */
    long E;
    int B;
    double *bands;           /* [nb][2][F]: centres, bandwidths (Hz) by epoch 0 .. nb-1 */
    long nb;
    int F;
    sp_manifest man;
    int have_man;
    char *log_head, *log_last; /* log.tsv's header and last complete row */
    long log_rows;
    /* the picture */
    int dirty, paused;
    long draws;
    char updated[16], note[SP_ERRLEN + 64], msg[SP_ERRLEN + 64];
};

// ----------------------------------------------------------------------------
// reading the run directory

static file_sig sig_of(const char *path)
{
    struct stat st;
    file_sig s = { 0, 0, 0 };
    if (stat(path, &st) == 0)
        s.ino = (long long)st.st_ino, s.size = (long long)st.st_size,
        s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return s;
}

static char *file_path(const sp_live_watcher *w, int k)
{
    return k == F_LOG ? sp_path_join(w->run, file_name[k]) : sp_path_join(w->dir, file_name[k]);
}

/* The first probe folder (by name) that holds afr.npy. */
static void find_probe(sp_live_watcher *w)
{
    char *probes = sp_path_join(w->run, "probes");
    struct dirent **ent;
    int n = scandir(probes, &ent, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char *dir = sp_path_join(probes, ent[i]->d_name), *afr = sp_path_join(dir, "afr.npy");
        if (!w->dir && ent[i]->d_name[0] != '.' && sp_is_file(afr)) {
            w->dir = dir, dir = NULL;
            w->id = sp_xstrdup(ent[i]->d_name);
        }
        free(dir);
        free(afr);
        free(ent[i]);
    }
    if (n >= 0) free(ent);
    free(probes);
}

/* afr.npy and freqs.npy: 0 read, -1 not (yet) a matching pair (the old
 * ones kept, the reason in w->msg). */
static int read_afr(sp_live_watcher *w)
{
    char *pa = file_path(w, F_AFR), *pf = file_path(w, F_FREQS);
    sp_npy_dtype ta, tf;
    int ra = 0, rf = 0, rc = -1;
    long sa[SP_NPY_MAXRANK], sf[SP_NPY_MAXRANK];
    sp_error e;
    float *a = sp_npy_read(pa, &ta, &ra, sa, &e), *f = a ? sp_npy_read(pf, &tf, &rf, sf, &e) : NULL;
    if (!a || !f) snprintf(w->msg, sizeof w->msg, "%s", e.msg);
    else if (ta != SP_NPY_F32 || ra != 2 || tf != SP_NPY_F32 || rf != 1 || sf[0] != sa[1] || sa[1] < 2)
        snprintf(w->msg, sizeof w->msg, "'%s' is not float32 [epochs][bins] matching '%s'", pa, pf);
    else rc = 0;
    if (rc == 0) {
        free(w->afr);
        free(w->freqs);
        w->afr = a, w->freqs = f, w->E = sa[0], w->B = (int)sa[1];
        a = f = NULL;
    }
    free(a);
    free(f);
    free(pa);
    free(pf);
    return rc;
}

/* bands.npy: float64 [epochs + 1][2][F]. */
static void read_bands(sp_live_watcher *w)
{
    char *p = file_path(w, F_BANDS);
    sp_npy_dtype t;
    int r = 0;
    long s[SP_NPY_MAXRANK];
    sp_error e;
    double *b = sp_is_file(p) ? sp_npy_read(p, &t, &r, s, &e) : NULL;
    if (b && t == SP_NPY_F64 && r == 3 && s[1] == 2 && s[2] > 0) {
        free(w->bands);
        w->bands = b, w->nb = s[0], w->F = (int)s[2];
    } else {
        free(b);
    }
    free(p);
}

static void read_manifest(sp_live_watcher *w)
{
    char *p = file_path(w, F_MANIFEST);
    sp_error e;
    if (w->have_man) sp_manifest_free(&w->man);
    w->have_man = sp_is_file(p) && sp_manifest_load(&w->man, p, &e) == 0;
    free(p);
}

/* log.tsv's header and its last complete line (the training appends). */
static void read_log(sp_live_watcher *w)
{
    char *p = file_path(w, F_LOG);
    size_t len = 0;
    sp_error e;
    char *text = sp_read_file(p, &len, &e);
    free(p);
    if (!text) return;
    while (len > 0 && text[len - 1] != '\n') len--; /* a line being written */
    text[len] = '\0';
    long lines = 0;
    char *last = NULL, *head = NULL;
    for (char *s = text; *s;) {
        char *nl = strchr(s, '\n');
        *nl = '\0';
        if (lines++ == 0) head = s;
        else last = s;
        s = nl + 1;
    }
    free(w->log_head);
    free(w->log_last);
    w->log_head = head ? sp_xstrdup(head) : NULL;
    w->log_last = last ? sp_xstrdup(last) : NULL;
    w->log_rows = lines > 0 ? lines - 1 : 0;
    free(text);
}

/* Look at the files; read those that changed. 1 when something did. */
static int look(sp_live_watcher *w)
{
    if (!w->dir) find_probe(w);
    if (!w->dir) {
        char was[sizeof w->msg];
        memcpy(was, w->msg, sizeof was);
        if (sp_is_dir(w->run))
            snprintf(w->msg, sizeof w->msg, "waiting for %s/probes/*/afr.npy (a training with an afr probe: "
                     "[probe afr] use = afr)", w->run);
        else snprintf(w->msg, sizeof w->msg, "waiting for '%s' (no such directory yet)", w->run);
        return strcmp(was, w->msg) != 0;
    }
    int changed[NFILES], any = 0;
    for (int k = 0; k < NFILES; k++) {
        char *p = file_path(w, k);
        file_sig s = sig_of(p);
        free(p);
        changed[k] = memcmp(&s, &w->sig[k], sizeof s) != 0;
        w->sig[k] = s;
        any |= changed[k];
    }
    if (!any) return 0;
    w->msg[0] = '\0';
    if ((changed[F_AFR] || changed[F_FREQS]) && read_afr(w) != 0) w->sig[F_AFR].ino = -1; /* again next time */
    if (changed[F_BANDS]) read_bands(w);
    if (changed[F_MANIFEST]) read_manifest(w);
    if (changed[F_LOG]) read_log(w);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(w->updated, sizeof w->updated, "%H:%M:%S", &tm);
    return 1;
}

// ----------------------------------------------------------------------------
// the figures, as the report draws them (the probe's manifest's titles,
// labels and marks; its defaults when the folder has no manifest)

static const sp_panel *panel(const sp_live_watcher *w, sp_panel_type t, const char *name)
{
    for (int i = 0; w->have_man && i < w->man.npanels; i++)
        if (w->man.panel[i].type == t && !strcmp(w->man.panel[i].name, name)) return &w->man.panel[i];
    return NULL;
}

static const char *key(const sp_live_watcher *w, const sp_panel *p, const char *k, const char *dflt)
{
    const char *v = p ? sp_panel_get(&w->man, p, k) : NULL;
    return v ? v : dflt;
}

/* tpl with each {id} replaced by the probe's ID (new). */
static char *with_id(const char *tpl, const char *id)
{
    const char *at = strstr(tpl, "{id}");
    if (!at) return sp_xstrdup(tpl);
    char *rest = with_id(at + 4, id), *s = sp_xasprintf("%.*s%s%s", (int)(at - tpl), tpl, id, rest);
    free(rest);
    return s;
}

static double divisor(const sp_live_watcher *w, const sp_panel *p, const char *k)
{
    double d = atof(key(w, p, k, "1000"));
    return d > 0 ? d : 1;
}

/* The AFR heatmap: epochs x frequency (the report's [heatmap afr]). */
static int fig_heatmap(const sp_live_watcher *w, cairo_t *cr, double W, double H)
{
    if (!w->afr || w->E < 1) return 1;
    const sp_panel *p = panel(w, SP_PANEL_HEATMAP, "afr");
    long E = w->E, B = w->B;
    double div = divisor(w, p, "x_divisor"), *v = sp_xmalloc((size_t)E * B * sizeof *v), *marks = NULL;
    char **lab = sp_xcalloc((size_t)E, sizeof *lab);
    for (long i = 0; i < E * B; i++) v[i] = w->afr[i];
    for (long e = 0; e < E; e++) lab[e] = sp_xasprintf("%ld", e + 1);
    char *title = with_id(key(w, p, "title", "AFR over training (probe {id})"), w->id);
    sp_plot_heatmap h = { 0 };
    h.title = title, h.xlabel = key(w, p, "xlabel", "frequency (kHz)"), h.ylabel = key(w, p, "ylabel", "epoch");
    h.clabel = key(w, p, "clabel", "AFR");
    h.rows = (int)E, h.cols = (int)B, h.v = v, h.row_label = (const char *const *)lab;
    h.x0 = w->freqs[0] / div, h.x1 = w->freqs[B - 1] / div;
    h.nmarks = p ? sp_panel_marks(&w->man, p, &marks) : 0, h.marks = marks;
    h.vmin = h.vmax = NAN;
    if (p && sp_panel_get(&w->man, p, "range")) sscanf(sp_panel_get(&w->man, p, "range"), "%lf %lf", &h.vmin, &h.vmax);
    int rc = sp_plot_heatmap_draw(cr, W, H, &h);
    for (long e = 0; e < E; e++) free(lab[e]);
    free(lab);
    free(v);
    free(marks);
    free(title);
    return rc;
}

/* The filters by epoch: centre +- half bandwidth (the report's [bands
 * bands], from bands.npy, which holds what bands.tsv lists). */
static int fig_bands(const sp_live_watcher *w, cairo_t *cr, double W, double H)
{
    if (!w->bands || w->nb < 1) return 1;
    const sp_panel *p = panel(w, SP_PANEL_BANDS, "bands");
    long nb = w->nb, F = w->F, n = nb * F;
    double div = divisor(w, p, "y_divisor"), *buf = sp_xmalloc(((size_t)n * 3 + (size_t)F) * sizeof *buf);
    double *x = buf, *c = buf + n, *wd = buf + 2 * n, *val = buf + 3 * n, *marks = NULL, yr[2];
    long *start = sp_xmalloc(((size_t)F + 1) * sizeof *start);
    for (long f = 0; f <= F; f++) start[f] = f * nb;
    for (long f = 0; f < F; f++) {
        val[f] = (double)f;
        for (long e = 0; e < nb; e++) {
            x[f * nb + e] = (double)e;
            c[f * nb + e] = w->bands[(size_t)(e * 2) * F + f] / div;
            wd[f * nb + e] = w->bands[(size_t)(e * 2 + 1) * F + f] / div;
        }
    }
    char *title = with_id(key(w, p, "title", "first-layer filters over training (probe {id})"), w->id);
    sp_plot_bands b = { 0 };
    b.title = title, b.xlabel = key(w, p, "xlabel", "epoch (0: before the first step)");
    b.ylabel = key(w, p, "ylabel", "frequency (kHz)"), b.clabel = key(w, p, "clabel", "filter");
    b.logy = !strcmp(key(w, p, "log", "none"), "y"), b.xinteger = 1;
    b.rows = (int)F, b.start = start, b.x = x, b.centre = c, b.width = wd, b.value = val;
    if (p && sp_panel_get(&w->man, p, "y_range") && sscanf(sp_panel_get(&w->man, p, "y_range"), "%lf %lf", &yr[0], &yr[1]) == 2)
        b.yrange = yr;
    else if (w->freqs) yr[0] = 0, yr[1] = w->freqs[w->B - 1] / div, b.yrange = yr;
    b.nmarks = p ? sp_panel_marks(&w->man, p, &marks) : 0, b.marks = marks;
    int rc = sp_plot_bands_draw(cr, W, H, &b);
    free(title);
    free(marks);
    free(buf);
    free(start);
    return rc;
}

// ----------------------------------------------------------------------------
// the picture: a window's (or a PNG's), a terminal's

/* log.tsv's last row as "name value" pairs (numbers to 4 digits). */
static void log_numbers(const sp_live_watcher *w, char *out, size_t n)
{
    out[0] = '\0';
    if (!w->log_head || !w->log_last) return;
    char *h = sp_xstrdup(w->log_head), *r = sp_xstrdup(w->log_last), *hs, *rs;
    size_t at = 0;
    for (char *a = strtok_r(h, "\t", &hs), *b = strtok_r(r, "\t", &rs); a && b && at < n;
         a = strtok_r(NULL, "\t", &hs), b = strtok_r(NULL, "\t", &rs)) {
        char *end;
        double v = strtod(b, &end);
        int k = *end == '\0' && end != b ? snprintf(out + at, n - at, "%s%s %.4g", at ? "   " : "", a, v)
                                         : snprintf(out + at, n - at, "%s%s %s", at ? "   " : "", a, b);
        at += k > 0 ? (size_t)k : 0;
    }
    free(h);
    free(r);
}

static void draw_picture(sp_live_watcher *w, cairo_t *cr, int W, int H)
{
    char line[640], nums[512];
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 14);
    snprintf(line, sizeof line, "sincprobe live --watch %s%s%s%s", w->run, w->id ? " (probe " : "", w->id ? w->id : "",
             w->id ? ")" : "");
    sp_draw_text(cr, 12, 22, 0, line);
    cairo_set_font_size(cr, 12);
    log_numbers(w, nums, sizeof nums);
    sp_draw_text(cr, 12, 42, 0, nums);
    double top = 52, fh = H - top - 24;
    cairo_save(cr);
    cairo_translate(cr, 0, top);
    int drawn = fig_heatmap(w, cr, W / 2.0, fh) == 0;
    cairo_translate(cr, W / 2.0, 0);
    drawn += fig_bands(w, cr, W / 2.0, fh) == 0;
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 12);
    if (!drawn) sp_draw_text(cr, W / 2.0, top + fh / 2, 0.5, w->msg[0] ? w->msg : "no epoch recorded yet");
    snprintf(line, sizeof line, "updated %s   space pause, s save PNG, q quit%s%s%.300s%s", w->updated[0] ? w->updated : "-",
             w->paused ? "   PAUSED" : "", w->note[0] ? "   " : "", w->note, drawn && w->msg[0] ? "   (reading: " : "");
    if (drawn && w->msg[0]) snprintf(line + strlen(line), sizeof line - strlen(line), "%.300s)", w->msg);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    sp_draw_text(cr, 12, H - 8, 0, line);
}

/* Line 2: kHz at their columns over the AFR's cw columns from column 6. */
static void term_axis(const sp_live_watcher *w, sp_live_term *t, int cw)
{
    char line[1024], lab[16];
    memset(line, ' ', sizeof line);
    double f0 = w->freqs[0], f1 = w->freqs[w->B - 1], step = f1 - f0 > 8000 ? 2000 : 1000;
    int end = 0;
    for (double f = ceil(f0 / step) * step; f <= f1 && cw > 0; f += step) {
        int x = 5 + (int)((f - f0) / (f1 - f0) * (cw - 1) + 0.5);
        int n = snprintf(lab, sizeof lab, "%gk", f / 1000);
        if (x < end + 1 || x + n >= (int)sizeof line || x + n > 5 + cw) continue;
        memcpy(line + x, lab, (size_t)n);
        end = x + n;
    }
    sp_live_term_printf(t, "\x1b[2;1H%.*s\x1b[K", end, line);
}

/* Epoch e's AFR across cw columns: the mean of the bins under each. */
static void term_row(const sp_live_watcher *w, sp_live_term *t, long e, int cw, double lo, double hi)
{
    const float *a = w->afr + (size_t)e * w->B;
    sp_live_term_printf(t, "%4ld ", e + 1);
    for (int x = 0; x < cw; x++) {
        long b0 = (long)x * w->B / cw, b1 = (long)(x + 1) * w->B / cw;
        double s = 0;
        int k = 0;
        for (long b = b0; b < (b1 > b0 ? b1 : b0 + 1); b++)
            if (isfinite(a[b])) s += a[b], k++;
        sp_live_term_cell(t, k ? (s / k - lo) / (hi - lo) : NAN);
    }
    sp_live_term_row_end(t);
}

/* The filters at the last epoch: their centres' span, and how far they
 * moved since epoch 0 (mean and max |change| of the centre). */
static void filters_line(const sp_live_watcher *w, char *out, size_t n)
{
    out[0] = '\0';
    if (!w->bands || w->nb < 1) return;
    const double *now = w->bands + (size_t)(w->nb - 1) * 2 * w->F, *start = w->bands;
    double lo = INFINITY, hi = -INFINITY, sum = 0, mx = 0;
    for (int f = 0; f < w->F; f++) {
        double c = now[f], d = fabs(now[f] - start[f]);
        if (!isfinite(c)) continue;
        lo = fmin(lo, c), hi = fmax(hi, c);
        if (isfinite(d)) sum += d, mx = fmax(mx, d);
    }
    if (lo <= hi)
        snprintf(out, n, "%d filters: centres %.0f .. %.0f Hz, moved since the start %.1f Hz on average, %.1f at most",
                 w->F, lo, hi, sum / w->F, mx);
}

static int term_draw(sp_live_watcher *w, sp_error *err)
{
    sp_live_term *t = w->term;
    int rows, cols;
    char line[1024];
    sp_live_term_size(t, &rows, &cols);
    snprintf(line, sizeof line, "sincprobe live --watch %s%s%s%s   q quit, space pause, s save PNG", w->run,
             w->id ? " (probe " : "", w->id ? w->id : "", w->id ? ")" : "");
    sp_live_term_printf(t, "%s\x1b[H\x1b[2J%.*s", sp_live_term_color(t) ? "\x1b[0m" : "", cols - 1, line);
    int cw = cols - 6, nrow = rows - 5;
    if (w->afr && w->E > 0 && cw > 4 && nrow > 0) {
        double lo = INFINITY, hi = -INFINITY;
        for (long i = 0; i < w->E * w->B; i++)
            if (isfinite(w->afr[i])) lo = fmin(lo, w->afr[i]), hi = fmax(hi, w->afr[i]);
        if (!(hi > lo)) hi = lo + 1;
        term_axis(w, t, cw);
        long first = w->E > nrow ? w->E - nrow : 0;
        for (long e = first; e < w->E; e++) {
            sp_live_term_printf(t, "\x1b[%ld;1H", 3 + e - first);
            term_row(w, t, e, cw, lo, hi);
        }
        log_numbers(w, line, sizeof line);
        sp_live_term_printf(t, "\x1b[%d;1H%.*s", rows - 2, cols - 1, line);
        filters_line(w, line, sizeof line);
        sp_live_term_printf(t, "\x1b[%d;1H%.*s", rows - 1, cols - 1, line);
        snprintf(line, sizeof line, "AFR %.3g (dark) .. %.3g (bright) by epoch (rows) and frequency; ", lo, hi);
    } else {
        sp_live_term_printf(t, "\x1b[3;1H%.*s", cols - 1, w->msg[0] ? w->msg : "no epoch recorded yet");
        line[0] = '\0';
    }
    snprintf(line + strlen(line), sizeof line - strlen(line), "updated %s%s%s%.300s", w->updated[0] ? w->updated : "-",
             w->paused ? " | PAUSED" : "", w->note[0] ? " | " : "", w->note);
    sp_live_term_printf(t, "\x1b[%d;1H%.*s", rows, cols - 1, line);
    return sp_live_term_flush(t) == 0 ? 0 : sp_fail(err, "cannot write to the terminal");
}

static int draw(sp_live_watcher *w, sp_error *err)
{
    w->draws++;
    if (w->kind == SP_VIEW_TERM) return term_draw(w, err);
    cairo_surface_t *s = sp_live_win_canvas(w->win);
    cairo_t *cr = cairo_create(s);
    draw_picture(w, cr, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
    cairo_destroy(cr);
    return sp_live_win_show(w->win, err);
}

// ----------------------------------------------------------------------------
// the watcher

sp_live_watcher *sp_live_watcher_open(const char *rundir, const sp_live_view_opts *o, sp_error *err)
{
    sp_view_kind kind = SP_VIEW_NONE;
    if (o->kind && !strcmp(o->kind, "window")) kind = SP_VIEW_WINDOW;
    else if (o->kind && !strcmp(o->kind, "term")) kind = SP_VIEW_TERM;
    else {
        sp_fail(err, "--watch draws in a window or a terminal, not on display '%s'", o->kind ? o->kind : "none");
        return NULL;
    }
    if (sp_is_file(rundir)) {
        sp_fail(err, "'%s' is a file, not a run directory", rundir);
        return NULL;
    }
    sp_live_watcher *w = sp_xcalloc(1, sizeof *w);
    w->run = sp_xstrdup(rundir);
    w->kind = kind;
    w->o = *o;
    if (w->o.width < 1 || w->o.height < 1) w->o.width = 1100, w->o.height = 600;
    w->dirty = 1;
    if (kind == SP_VIEW_WINDOW) {
        char *title = sp_xasprintf("sincprobe live --watch %s", rundir);
        w->win = sp_live_win_open(title, w->o.width, w->o.height, err);
        free(title);
    } else {
        const char *nc = getenv("NO_COLOR");
        int color = o->color < 0 ? sp_live_view_term_color() : o->color;
        w->term = sp_live_term_open(nc && nc[0] ? 0 : color, err);
    }
    if (!w->win && !w->term) {
        sp_live_watcher_close(w);
        return NULL;
    }
    return w;
}

static void save_now(sp_live_watcher *w)
{
    char name[96];
    sp_error e;
    sp_live_png_name("live-watch", name, sizeof name);
    int rc = sp_live_watcher_save_png(w, name, &e);
    sp_live_note_saved(w->note, sizeof w->note, name, rc, &e);
    w->dirty = 1;
}

int sp_live_watcher_step(sp_live_watcher *w, sp_live_key *key, sp_error *err)
{
    int dirty = 0, rows, cols;
    *key = w->win ? sp_live_win_key(w->win, &dirty) : sp_live_term_key(w->term);
    if (w->term && sp_live_term_size(w->term, &rows, &cols)) dirty = 1;
    if (*key == SP_LIVE_PAUSE) w->paused = !w->paused, dirty = 1;
    if (*key == SP_LIVE_SAVE) save_now(w);
    double now = sp_live_now();
    if (!w->paused && now >= w->next_look) {
        w->next_look = now + 0.5;
        dirty |= look(w);
    }
    if (!(dirty || w->dirty)) return 0;
    w->dirty = 0;
    return draw(w, err);
}

long sp_live_watcher_epochs(const sp_live_watcher *w)
{
    return w->E;
}

long sp_live_watcher_draws(const sp_live_watcher *w)
{
    return w->draws;
}

static void draw_watch(void *w, cairo_t *cr, int W, int H) { draw_picture(w, cr, W, H); }

int sp_live_watcher_save_png(sp_live_watcher *w, const char *path, sp_error *err)
{
    if (w->win) return sp_live_png_write(sp_live_win_canvas(w->win), path, err);
    return sp_live_png_render(w->o.width, w->o.height, draw_watch, w, path, err);
}

void sp_live_watcher_close(sp_live_watcher *w)
{
    if (!w) return;
    if (w->win) sp_live_win_close(w->win);
    if (w->term) sp_live_term_close(w->term);
    if (w->have_man) sp_manifest_free(&w->man);
    free(w->run);
    free(w->id);
    free(w->dir);
    free(w->afr);
    free(w->freqs);
    free(w->bands);
    free(w->log_head);
    free(w->log_last);
    free(w);
}

int sp_live_watch(const char *rundir, const sp_live_view_opts *o, double seconds, sp_error *err)
{
    sp_live_watcher *w = sp_live_watcher_open(rundir, o, err);
    if (!w) return -1;
    double end = seconds > 0 ? sp_live_now() + seconds : INFINITY;
    sp_live_key k = SP_LIVE_NONE;
    int rc = 0;
    while (rc == 0 && k != SP_LIVE_QUIT && sp_live_now() < end) {
        rc = sp_live_watcher_step(w, &k, err);
        struct timespec nap = { 0, 20 * 1000 * 1000 }; /* keys within 20 ms */
        nanosleep(&nap, NULL);
    }
    sp_live_watcher_close(w);
    return rc;
}
