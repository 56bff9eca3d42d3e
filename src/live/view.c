/* view.c - the view of `sincprobe live`: the frame history and the
 * dispatch to the window (view_window.c), the terminal (view_term.c) or
 * nothing. See view.h; the shared internals are in view_impl.h. */
#include "config.h"
#include "live/view_impl.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// ----------------------------------------------------------------------------
// the history

void sp_live_hist_init(sp_live_hist *h, int F, int cap, int ntop)
{
    memset(h, 0, sizeof *h);
    h->F = F, h->cap = cap, h->ntop = ntop < 0 ? 0 : ntop > SP_LIVE_TOPMAX ? SP_LIVE_TOPMAX : ntop;
    if (cap < 1) return;
    h->energy = sp_xcalloc((size_t)cap * F, sizeof *h->energy);
    h->level = sp_xcalloc((size_t)cap, sizeof *h->level);
    h->t = sp_xcalloc((size_t)cap, sizeof *h->t);
    h->overruns = sp_xcalloc((size_t)cap, sizeof *h->overruns);
    h->phone = sp_xcalloc((size_t)cap * (h->ntop + 1), SP_LIVE_PHONELEN);
    h->prob = sp_xcalloc((size_t)cap * (h->ntop + 1), sizeof *h->prob);
}

void sp_live_hist_free(sp_live_hist *h)
{
    free(h->energy);
    free(h->level);
    free(h->t);
    free(h->overruns);
    free(h->phone);
    free(h->prob);
    memset(h, 0, sizeof *h);
}

void sp_live_hist_push(sp_live_hist *h, const sp_live_frame *f)
{
    if (h->cap < 1) return;
    long s = h->n % h->cap;
    memcpy(h->energy + (size_t)s * h->F, f->energy_db, (size_t)h->F * sizeof *h->energy);
    h->level[s] = f->level_db;
    h->t[s] = f->t_s;
    h->overruns[s] = f->overruns;
    for (int k = 0; k < h->ntop; k++) {
        char *p = h->phone + ((size_t)s * h->ntop + k) * SP_LIVE_PHONELEN;
        int have = k < f->ntop && f->top_phone && f->top_phone[k];
        snprintf(p, SP_LIVE_PHONELEN, "%s", have ? f->top_phone[k] : "");
        h->prob[(size_t)s * h->ntop + k] = have && f->top_prob ? f->top_prob[k] : NAN;
    }
    h->n++;
}

void sp_live_hist_copy(sp_live_hist *dst, const sp_live_hist *src)
{
    size_t c = (size_t)src->cap;
    dst->n = src->n;
    memcpy(dst->energy, src->energy, c * src->F * sizeof *src->energy);
    memcpy(dst->level, src->level, c * sizeof *src->level);
    memcpy(dst->t, src->t, c * sizeof *src->t);
    memcpy(dst->overruns, src->overruns, c * sizeof *src->overruns);
    memcpy(dst->phone, src->phone, c * src->ntop * SP_LIVE_PHONELEN);
    memcpy(dst->prob, src->prob, c * src->ntop * sizeof *src->prob);
}

long sp_live_hist_slot(const sp_live_hist *h, long k)
{
    if (k < 0 || k >= h->n || k >= h->cap) return -1;
    return (h->n - 1 - k) % h->cap;
}

// ----------------------------------------------------------------------------
// small shared helpers

double sp_live_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const sp_live_hist *sp_live_view_shown(const sp_live_view *v)
{
    return v->paused ? &v->frozen : &v->live;
}

void sp_live_view_db_range(const sp_live_view *v, const sp_live_hist *h, double *lo, double *hi)
{
    if (v->sc.db_hi > v->sc.db_lo) {
        *lo = v->sc.db_lo, *hi = v->sc.db_hi;
        return;
    }
    double top = -INFINITY;
    for (long k = 0; k < h->cap && k < h->n; k++) {
        const float *e = h->energy + (size_t)sp_live_hist_slot(h, k) * h->F;
        for (int f = 0; f < h->F; f++)
            if (isfinite(e[f]) && e[f] > top) top = e[f];
    }
    /* up to the next 10 dB, so that the scale (and the cached axis)
     * changes only now and then */
    top = isfinite(top) ? 10 * ceil(top / 10) : 0;
    *hi = top, *lo = top - 60;
}

int sp_live_png_render(int w, int h, void (*draw)(void *ctx, cairo_t *cr, int w, int h), void *ctx,
                       const char *path, sp_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    draw(ctx, cr, w, h);
    cairo_destroy(cr);
    int rc = sp_live_png_write(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}

int sp_live_png_write(cairo_surface_t *s, const char *path, sp_error *err)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    char *tmp = sp_xasprintf("%.*s.%s.tmp%ld", dirlen, path, slash ? slash + 1 : path, (long)getpid());
    cairo_surface_flush(s);
    cairo_status_t st = cairo_surface_write_to_png(s, tmp);
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) rc = sp_fail(err, "cannot write '%s': %s", path, cairo_status_to_string(st));
    else if (rename(tmp, path) != 0) rc = sp_fail(err, "cannot rename '%s' onto '%s'", tmp, path);
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

void sp_live_note_saved(char *note, size_t n, const char *name, int rc, const sp_error *e)
{
    if (rc != 0) {
        snprintf(note, n, "%s", e->msg);
        return;
    }
    char *cwd = getcwd(NULL, 0);
    snprintf(note, n, "saved %s/%s", cwd ? cwd : ".", name);
    free(cwd);
}

void sp_live_png_name(const char *prefix, char *buf, size_t n)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, n, "%s-%s.png", prefix, stamp);
    for (int k = 2; k < 100 && access(buf, F_OK) == 0; k++) snprintf(buf, n, "%s-%s-%d.png", prefix, stamp, k);
}

// ----------------------------------------------------------------------------
// the view

static float *dup_floats(const float *p, size_t n)
{
    if (!p || n == 0) return NULL;
    float *q = sp_xmalloc(n * sizeof *q);
    memcpy(q, p, n * sizeof *q);
    return q;
}

static int check_scene(const sp_live_scene *s, sp_error *err)
{
    if (s->nfilt < 1) return sp_fail(err, "live view: the scene has %d filters", s->nfilt);
    if (!s->centre_hz || !s->low_hz || !s->high_hz) return sp_fail(err, "live view: the scene has no filter centres or edges");
    if ((s->response || s->afr) && (s->nfreq < 2 || !s->freq_hz))
        return sp_fail(err, "live view: responses given on %d frequencies", s->nfreq);
    return 0;
}

/* The view's own copy of the scene (the caller's arrays may go away). */
static void copy_scene(sp_live_view *v, const sp_live_scene *s)
{
    size_t F = (size_t)s->nfilt, B = s->freq_hz ? (size_t)s->nfreq : 0;
    v->sc = *s;
    v->sc.nfreq = (int)B;
    v->sc.centre_hz = dup_floats(s->centre_hz, F);
    v->sc.low_hz = dup_floats(s->low_hz, F);
    v->sc.high_hz = dup_floats(s->high_hz, F);
    v->sc.freq_hz = dup_floats(s->freq_hz, B);
    v->sc.response = B ? dup_floats(s->response, F * B) : NULL;
    v->sc.afr = B ? dup_floats(s->afr, B) : NULL;
    v->sc.title = sp_xstrdup(s->title ? s->title : "");
    v->sc.ntop = s->ntop < 0 ? 0 : s->ntop > SP_LIVE_TOPMAX ? SP_LIVE_TOPMAX : s->ntop;
}

static void free_scene(sp_live_scene *s)
{
    free((void *)s->centre_hz);
    free((void *)s->low_hz);
    free((void *)s->high_hz);
    free((void *)s->freq_hz);
    free((void *)s->response);
    free((void *)s->afr);
    free((void *)s->title);
}

static int kind_of(const char *k, sp_view_kind *out, sp_error *err)
{
    if (!k || !strcmp(k, "none")) *out = SP_VIEW_NONE;
    else if (!strcmp(k, "window")) *out = SP_VIEW_WINDOW;
    else if (!strcmp(k, "term")) *out = SP_VIEW_TERM;
    else return sp_fail(err, "unknown display '%s': use window, term or none", k);
    return 0;
}

sp_live_view *sp_live_view_open(const sp_live_view_opts *o, const sp_live_scene *s, sp_error *err)
{
    sp_view_kind kind = SP_VIEW_NONE;
    if (kind_of(o->kind, &kind, err) != 0 || check_scene(s, err) != 0) return NULL;
    sp_live_view *v = sp_xcalloc(1, sizeof *v);
    v->kind = kind;
    v->o = *o;
    if (v->o.width < 1 || v->o.height < 1) v->o.width = 1100, v->o.height = 600;
    v->interval = 1.0 / (o->fps > 0 ? o->fps : 60);
    v->last = -INFINITY;
    v->dirty = 1;
    copy_scene(v, s);
    /* frames kept: as many as the window is wide (one pixel column each
     * at the start), or a terminal's worth of rows and more */
    int cap = o->columns > 0 ? o->columns : kind == SP_VIEW_TERM ? 1024 : v->o.width;
    sp_live_hist_init(&v->live, s->nfilt, cap, v->sc.ntop);
    int rc = 0;
    if (kind == SP_VIEW_WINDOW) rc = sp_live_window_open(v, err);
    else if (kind == SP_VIEW_TERM) rc = sp_live_termview_open(v, err);
    if (rc != 0) {
        sp_live_view_close(v);
        return NULL;
    }
    return v;
}

void sp_live_view_push(sp_live_view *v, const sp_live_frame *f)
{
    if (v->kind == SP_VIEW_NONE) return;
    sp_live_hist_push(&v->live, f);
    if (!v->paused) v->dirty = 1;
}

int sp_live_view_present(sp_live_view *v, int force, sp_error *err)
{
    if (v->kind == SP_VIEW_NONE) return 0;
    double now = sp_live_now();
    if (!force && (!v->dirty || now - v->last < v->interval)) return 0;
    int rc = v->kind == SP_VIEW_WINDOW ? sp_live_window_draw(v, err) : sp_live_termview_draw(v, err);
    if (rc != 0) return -1;
    v->last = now;
    v->dirty = 0;
    return 1;
}

/* space: freeze the picture on a copy of the history (frames still
 * arrive in the live one), or let it go. */
static void toggle_pause(sp_live_view *v)
{
    v->paused = !v->paused;
    if (v->paused) {
        sp_live_hist_init(&v->frozen, v->live.F, v->live.cap, v->live.ntop);
        sp_live_hist_copy(&v->frozen, &v->live);
    } else {
        sp_live_hist_free(&v->frozen);
    }
    v->dirty = 1;
}

static void save_now(sp_live_view *v)
{
    char name[96];
    sp_error e;
    sp_live_png_name("live", name, sizeof name);
    int rc = sp_live_view_save_png(v, name, &e);
    sp_live_note_saved(v->note, sizeof v->note, name, rc, &e);
    v->dirty = 1;
}

sp_live_key sp_live_view_poll(sp_live_view *v)
{
    sp_live_key k = SP_LIVE_NONE;
    if (v->kind == SP_VIEW_WINDOW) k = sp_live_window_key(v);
    else if (v->kind == SP_VIEW_TERM) k = sp_live_termview_key(v);
    if (k == SP_LIVE_PAUSE) toggle_pause(v);
    else if (k == SP_LIVE_SAVE) save_now(v);
    return k;
}

static void draw_view(void *v, cairo_t *cr, int w, int h) { sp_live_draw(v, cr, w, h); }

int sp_live_view_save_png(sp_live_view *v, const char *path, sp_error *err)
{
    if (v->kind == SP_VIEW_WINDOW) {
        cairo_surface_t *s = sp_live_win_canvas(v->win);
        if (v->last == -INFINITY) { /* nothing drawn yet */
            cairo_t *cr = cairo_create(s);
            sp_live_draw(v, cr, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
            cairo_destroy(cr);
        }
        return sp_live_png_write(s, path, err);
    }
    /* the terminal (or nothing): the window's layout at its default size */
    return sp_live_png_render(v->o.width, v->o.height, draw_view, v, path, err);
}

void sp_live_view_close(sp_live_view *v)
{
    if (!v) return;
    if (v->kind == SP_VIEW_WINDOW && v->win) sp_live_window_close(v);
    if (v->kind == SP_VIEW_TERM && v->term) sp_live_termview_close(v);
    sp_live_draw_free(v);
    sp_live_hist_free(&v->live);
    sp_live_hist_free(&v->frozen);
    free_scene(&v->sc);
    free(v);
}

int sp_live_view_paused(const sp_live_view *v)
{
    return v->paused;
}

const char *sp_live_view_note(const sp_live_view *v)
{
    return v->note[0] ? v->note : NULL;
}

int sp_live_view_interrupted(void)
{
    return sp_live_signal_caught();
}

int sp_live_view_term_color(void)
{
    const char *nc = getenv("NO_COLOR"), *ct = getenv("COLORTERM");
    if (nc && nc[0]) return 0;
    if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit"))) return 2;
    return 1;
}
