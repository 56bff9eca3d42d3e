/* view_draw.c - the live picture, drawn with cairo: the window's content
 * and the PNG the terminal view saves. See view_impl.h.
 *
 *   +-------------------------------------------------------------------+
 *   | title                                                    PAUSED   |
 *   | Hz +------------------------+ c  |H| +------------------+ dB  +-+ |
 *   |    | learned spectrogram    | o      | responses, AFR,  |     |m| |
 *   |    | (filters by centre x   | l      | band energies as |     |e| |
 *   |    |  time, newest right)   | o      | bars at centres  |     |t| |
 *   |    |                        | u      +------------------+     |e| |
 *   |    |                        | r      top phones               |r| |
 *   |    +------------------------+                                 +-+ |
 *   | status: time, level, overruns, keys, the last save                |
 *   +-------------------------------------------------------------------+
 *
 * Fast redraws (the aim: a 1100 x 600 picture in a few ms): what does not
 * change from frame to frame (axes, labels, the filters' responses, the
 * colour bar) is drawn once into a cached image per size and dB scale;
 * a frame paints it, then the spectrogram (one pixel per frame and
 * filter, coloured through a 256-entry viridis table, scaled onto its
 * area without smoothing), the energy bars, the meter and the text. */
#include "config.h"
#include "live/view_impl.h"
#include "plot/draw.h"
#include "plot/plot.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOP = 40, BOT = 62, MW = 14 };

typedef struct {
    double sx, sy, sw, sh; /* the spectrogram's area */
    double cbx;            /* its colour bar's left edge */
    double rx, ry, rw, rh; /* the responses' area */
    double mx, my, mh;     /* the level meter (MW wide) */
    double px, py;         /* the top phones' first baseline */
    double fmax;           /* the responses' frequency axis, 0 .. fmax Hz */
} layout;

static layout layout_of(const sp_live_view *v, int w, int h)
{
    layout L;
    L.sx = 74, L.sy = TOP, L.sh = h - TOP - BOT;
    L.sw = floor((w - 74) * 0.48);
    L.cbx = L.sx + L.sw + 10;
    L.rx = L.cbx + 12 + 100; /* colour bar labels, then the |H| ticks and label */
    L.mx = w - 30 - MW;      /* tick labels right of the meter */
    L.rw = L.mx - 48 - L.rx; /* the dB ticks between responses and meter */
    if (L.rw < 0.22 * w) {   /* a narrow window: the spectrogram gives way */
        double d = 0.22 * w - L.rw;
        L.sw -= d, L.cbx -= d, L.rx -= d, L.rw += d;
    }
    L.ry = TOP;
    L.rh = v->sc.ntop > 0 ? floor(L.sh * 0.6) : L.sh;
    L.my = TOP, L.mh = L.sh;
    L.px = L.rx, L.py = L.ry + L.rh + 72; /* below the frequency label */
    L.fmax = v->sc.nfreq > 1 ? v->sc.freq_hz[v->sc.nfreq - 1] : 0;
    for (int f = 0; f < v->sc.nfilt; f++)
        if (v->sc.high_hz[f] > L.fmax) L.fmax = v->sc.high_hz[f];
    if (!(L.fmax > 0)) L.fmax = 8000;
    return L;
}

static void make_lut(sp_live_view *v)
{
    for (int i = 0; i < 256; i++) {
        double r, g, b;
        sp_draw_viridis(i / 255.0, &r, &g, &b);
        v->lut[i] = (uint32_t)(r * 255 + 0.5) << 16 | (uint32_t)(g * 255 + 0.5) << 8 | (uint32_t)(b * 255 + 0.5);
    }
}

/* x in [0, 1] (clamped; NaN 0) on the viridis map, as cairo's source. */
static void set_viridis(cairo_t *cr, double x, double alpha)
{
    double r, g, b;
    sp_draw_viridis(x, &r, &g, &b);
    cairo_set_source_rgba(cr, r, g, b, alpha);
}

static double frac(double x, double lo, double hi)
{
    double f = (x - lo) / (hi - lo);
    return isfinite(f) ? (f < 0 ? 0 : f > 1 ? 1 : f) : 0;
}

static void tick(cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

// ----------------------------------------------------------------------------
// the static layer

/* The spectrogram's frame, its y axis (Hz at the centres of every few
 * filters, low at the bottom) and x axis (seconds before now). */
static void spectro_axes(const sp_live_view *v, cairo_t *cr, const layout *L)
{
    int F = v->sc.nfilt;
    double rowh = L->sh / F;
    int every = (int)ceil(14 / rowh);
    char buf[32];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L->sx - 0.5, L->sy - 0.5, L->sw + 1, L->sh + 1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 11);
    for (int f = 0; f < F; f += every < 1 ? 1 : every) {
        double y = L->sy + L->sh - (f + 0.5) * rowh;
        tick(cr, L->sx - 5, y, L->sx, y);
        snprintf(buf, sizeof buf, "%.0f", v->sc.centre_hz[f]);
        sp_draw_text(cr, L->sx - 7, y + 4, 1, buf);
    }
    double span = v->live.cap * v->sc.hop_s;
    if (span > 0) {
        double lo, hi, step;
        sp_plot_axis_range(0, span, 0, &lo, &hi, &step);
        for (double t = 0; t <= span + 1e-9; t += step) {
            double x = L->sx + L->sw * (1 - t / span);
            tick(cr, x, L->sy + L->sh, x, L->sy + L->sh + 5);
            snprintf(buf, sizeof buf, "%g", t > 0 ? -t : 0.0);
            sp_draw_text(cr, x, L->sy + L->sh + 17, 0.5, buf);
        }
    }
    cairo_set_font_size(cr, 12);
    sp_draw_text(cr, L->sx + L->sw / 2, L->sy + L->sh + 34, 0.5, "time (s)");
    sp_draw_vtext(cr, 16, L->sy + L->sh / 2, "filter centre (Hz)");
}

/* The colour bar of the energies, lo .. hi dB. */
static void colour_bar(cairo_t *cr, const layout *L, double lo, double hi)
{
    char buf[32];
    for (int i = 0; i < (int)L->sh; i++) {
        set_viridis(cr, 1 - i / (L->sh - 1), 1);
        cairo_rectangle(cr, L->cbx, L->sy + i, 12, 1.5);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 11);
    snprintf(buf, sizeof buf, "%.0f", hi);
    sp_draw_text(cr, L->cbx + 16, L->sy + 9, 0, buf);
    snprintf(buf, sizeof buf, "%.0f", lo);
    sp_draw_text(cr, L->cbx + 16, L->sy + L->sh, 0, buf);
    sp_draw_text(cr, L->cbx + 16, L->sy + L->sh / 2, 0, "dB");
    cairo_set_font_size(cr, 12);
}

static double freq_x(const layout *L, double hz)
{
    return L->rx + L->rw * hz / L->fmax;
}

/* The responses' axes: frequency (kHz), |H| on the left, the energies'
 * dB on the right. */
static void response_axes(cairo_t *cr, const layout *L, double lo, double hi)
{
    char buf[32];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L->rx - 0.5, L->ry - 0.5, L->rw + 1, L->rh + 1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 11);
    double step = L->fmax > 8000 ? 2000 : 1000;
    for (double f = 0; f <= L->fmax + 1e-9; f += step) {
        double x = freq_x(L, f);
        tick(cr, x, L->ry + L->rh, x, L->ry + L->rh + 5);
        snprintf(buf, sizeof buf, "%g", f / 1000);
        sp_draw_text(cr, x, L->ry + L->rh + 17, 0.5, buf);
    }
    for (int i = 0; i <= 4; i++) {
        double y = L->ry + L->rh * (1 - i / 4.0);
        tick(cr, L->rx - 5, y, L->rx, y);
        snprintf(buf, sizeof buf, "%g", i / 4.0);
        sp_draw_text(cr, L->rx - 7, y + 4, 1, buf);
        tick(cr, L->rx + L->rw, y, L->rx + L->rw + 5, y);
        snprintf(buf, sizeof buf, "%.0f", lo + (hi - lo) * i / 4);
        sp_draw_text(cr, L->rx + L->rw + 7, y + 4, 0, buf);
    }
    cairo_set_font_size(cr, 12);
    sp_draw_text(cr, L->rx + L->rw / 2, L->ry + L->rh + 34, 0.5, "frequency (kHz)");
    sp_draw_vtext(cr, L->rx - 34, L->ry + L->rh / 2, "|H|, AFR (red) (peak 1)");
    sp_draw_text(cr, L->rx + L->rw + 7, L->ry - 8, 0, "dB");
}

/* A curve over the frequency bins, |H| from 0 at the bottom to 1. */
static void curve(cairo_t *cr, const layout *L, const float *freq, const float *y, int n)
{
    for (int j = 0; j < n; j++) {
        double v = isfinite(y[j]) ? fmin(fmax(y[j], 0), 1.05) : 0;
        double x = freq_x(L, freq[j]), py = L->ry + L->rh * (1 - v);
        if (j == 0) cairo_move_to(cr, x, py);
        else cairo_line_to(cr, x, py);
    }
    cairo_stroke(cr);
}

static void responses(const sp_live_view *v, cairo_t *cr, const layout *L)
{
    const sp_live_scene *s = &v->sc;
    cairo_save(cr);
    cairo_rectangle(cr, L->rx, L->ry, L->rw, L->rh);
    cairo_clip(cr);
    cairo_set_line_width(cr, 0.8);
    cairo_set_source_rgb(cr, 0.72, 0.72, 0.72);
    for (int f = 0; s->response && f < s->nfilt; f++)
        curve(cr, L, s->freq_hz, s->response + (size_t)f * s->nfreq, s->nfreq);
    if (s->afr) { /* scaled to its peak: its shape is what tells */
        float peak = 0, *a = sp_xmalloc((size_t)s->nfreq * sizeof *a);
        for (int j = 0; j < s->nfreq; j++)
            if (s->afr[j] > peak) peak = s->afr[j];
        for (int j = 0; j < s->nfreq; j++) a[j] = peak > 0 ? s->afr[j] / peak : 0;
        cairo_set_line_width(cr, 2.2);
        cairo_set_source_rgb(cr, 0.84, 0.15, 0.16);
        curve(cr, L, s->freq_hz, a, s->nfreq);
        free(a);
    }
    cairo_restore(cr);
}

/* The level meter's frame and its scale, -60 .. 0 dBFS. */
static void meter_axes(cairo_t *cr, const layout *L)
{
    char buf[16];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L->mx - 0.5, L->my - 0.5, MW + 1, L->mh + 1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 10);
    for (int db = -60; db <= 0; db += 10) {
        double y = L->my + L->mh * (-db / 60.0);
        tick(cr, L->mx + MW, y, L->mx + MW + 4, y);
        snprintf(buf, sizeof buf, "%d", db);
        sp_draw_text(cr, L->mx + MW + 5, y + 4, 0, buf);
    }
    sp_draw_text(cr, L->mx + MW / 2.0, L->my - 8, 0.5, "dBFS");
    cairo_set_font_size(cr, 12);
}

static void title(const sp_live_view *v, cairo_t *cr, int w)
{
    char buf[512];
    const char *t = v->sc.title;
    size_t len = strlen(t), cut = 0;
    cairo_text_extents_t e;
    cairo_set_font_size(cr, 14);
    /* a long title (a path) keeps its end */
    for (;;) {
        snprintf(buf, sizeof buf, "sincprobe live%s%s%s", len ? ": " : "", cut ? "..." : "", t + cut);
        cairo_text_extents(cr, buf, &e);
        if (e.width <= w - 260 || len - cut <= 16) break;
        cut += 4;
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    sp_draw_text(cr, 12, 24, 0, buf);
    cairo_set_font_size(cr, 12);
}

static void draw_static(const sp_live_view *v, cairo_t *cr, const layout *L, int w, double lo, double hi)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    title(v, cr, w);
    spectro_axes(v, cr, L);
    colour_bar(cr, L, lo, hi);
    response_axes(cr, L, lo, hi);
    responses(v, cr, L);
    meter_axes(cr, L);
    if (v->sc.ntop > 0) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        sp_draw_text(cr, L->px, L->py - 18, 0, "top phones");
    }
}

/* The cached static layer for w x h and lo .. hi dB, drawn when stale. */
static cairo_surface_t *static_layer(sp_live_view *v, const layout *L, int w, int h, double lo, double hi)
{
    if (v->bg && v->bg_w == w && v->bg_h == h && v->bg_lo == lo && v->bg_hi == hi) return v->bg;
    if (v->bg) cairo_surface_destroy(v->bg);
    v->bg = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(v->bg);
    draw_static(v, cr, L, w, lo, hi);
    cairo_destroy(cr);
    v->bg_w = w, v->bg_h = h, v->bg_lo = lo, v->bg_hi = hi;
    return v->bg;
}

// ----------------------------------------------------------------------------
// what changes with every frame

/* The spectrogram image, cap x F pixels: column c is the (cap-1-c)-th
 * newest frame (dark grey before the first), row 0 the highest filter. */
static void spectro(sp_live_view *v, cairo_t *cr, const layout *L, const sp_live_hist *h, double lo, double hi)
{
    int C = h->cap, F = h->F;
    if (v->spec && cairo_image_surface_get_width(v->spec) != C) {
        cairo_surface_destroy(v->spec);
        v->spec = NULL;
    }
    if (!v->spec) v->spec = cairo_image_surface_create(CAIRO_FORMAT_RGB24, C, F);
    cairo_surface_flush(v->spec);
    unsigned char *px = cairo_image_surface_get_data(v->spec);
    int stride = cairo_image_surface_get_stride(v->spec);
    if (!px) return;
    double k = 255 / (hi - lo);
    for (int c = 0; c < C; c++) {
        long s = sp_live_hist_slot(h, C - 1 - c);
        const float *e = s >= 0 ? h->energy + (size_t)s * F : NULL;
        for (int f = 0; f < F; f++) {
            uint32_t *p = (uint32_t *)(void *)(px + (size_t)(F - 1 - f) * stride) + c;
            double q = e ? (e[f] - lo) * k : 0;
            *p = !e ? 0x202020 : v->lut[q > 0 ? (q < 255 ? (int)q : 255) : 0];
        }
    }
    cairo_surface_mark_dirty(v->spec);
    cairo_save(cr);
    cairo_translate(cr, L->sx, L->sy);
    cairo_scale(cr, L->sw / C, L->sh / F);
    cairo_set_source_surface(cr, v->spec, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, C, F);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* The newest frame's band energies: a bar per filter at its centre, as
 * high as its dB on the right axis, as wide as half its band (2 .. 10 px). */
static void energy_bars(const sp_live_view *v, cairo_t *cr, const layout *L, const float *e, double lo, double hi)
{
    const sp_live_scene *s = &v->sc;
    for (int f = 0; f < s->nfilt; f++) {
        double fr = frac(e[f], lo, hi), bw = L->rw * (s->high_hz[f] - s->low_hz[f]) / L->fmax * 0.5;
        bw = bw < 2 ? 2 : bw > 10 ? 10 : bw;
        set_viridis(cr, fr, 0.85);
        cairo_rectangle(cr, freq_x(L, s->centre_hz[f]) - bw / 2, L->ry + L->rh * (1 - fr), bw, L->rh * fr);
        cairo_fill(cr);
    }
}

/* The input level, -60 .. 0 dBFS: green, then yellow above -12 and red
 * above -3. */
static void meter(cairo_t *cr, const layout *L, double level)
{
    static const double seg[3][5] = {
        { -60, -12, 0.20, 0.70, 0.25 }, { -12, -3, 0.95, 0.80, 0.10 }, { -3, 0, 0.90, 0.15, 0.15 }
    };
    for (int i = 0; i < 3 && isfinite(level); i++) {
        double a = seg[i][0], b = fmin(seg[i][1], level);
        if (b <= a) break;
        cairo_set_source_rgb(cr, seg[i][2], seg[i][3], seg[i][4]);
        cairo_rectangle(cr, L->mx, L->my + L->mh * (-b / 60), MW, L->mh * (b - a) / 60);
        cairo_fill(cr);
    }
}

static void phones(const sp_live_hist *h, cairo_t *cr, const layout *L, long s)
{
    char buf[32];
    for (int k = 0; k < h->ntop; k++) {
        const char *ph = h->phone + ((size_t)s * h->ntop + k) * SP_LIVE_PHONELEN;
        float p = h->prob[(size_t)s * h->ntop + k];
        if (!ph[0]) continue;
        double y = L->py + 18 * k, bar = (L->rw - 110) * frac(p, 0, 1);
        cairo_set_source_rgb(cr, 0, 0, 0);
        sp_draw_text(cr, L->px, y, 0, ph);
        cairo_set_source_rgb(cr, 0.173, 0.449, 0.558);
        cairo_rectangle(cr, L->px + 50, y - 10, bar, 12);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(buf, sizeof buf, "%.2f", p);
        sp_draw_text(cr, L->px + 56 + bar, y, 0, buf);
    }
}

/* The status line (time, level, overruns in red when any, the keys, the
 * last save) and PAUSED at the top right. */
static void status(const sp_live_view *v, cairo_t *cr, int w, int h, const sp_live_hist *hi, long s)
{
    char buf[512];
    double x = 12, y = h - 8;
    cairo_text_extents_t e;
    if (s >= 0) snprintf(buf, sizeof buf, "t %.2f s   level %.1f dBFS   ", hi->t[s], hi->level[s]);
    else snprintf(buf, sizeof buf, "waiting for the first frame   ");
    cairo_set_source_rgb(cr, 0, 0, 0);
    sp_draw_text(cr, x, y, 0, buf);
    cairo_text_extents(cr, buf, &e);
    x += e.x_advance;
    uint64_t over = s >= 0 ? hi->overruns[s] : 0;
    snprintf(buf, sizeof buf, "overruns %llu   ", (unsigned long long)over);
    if (over) cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
    sp_draw_text(cr, x, y, 0, buf);
    cairo_text_extents(cr, buf, &e);
    x += e.x_advance;
    snprintf(buf, sizeof buf, "space pause, s save PNG, q quit%s%.300s", v->note[0] ? "   " : "", v->note);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    sp_draw_text(cr, x, y, 0, buf);
    if (v->paused) {
        cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
        cairo_set_font_size(cr, 14);
        sp_draw_text(cr, w - 12, 24, 1, "PAUSED (space resumes)");
        cairo_set_font_size(cr, 12);
    }
}

void sp_live_draw(sp_live_view *v, cairo_t *cr, int w, int h)
{
    if (!v->lut[0]) make_lut(v);
    const sp_live_hist *hist = sp_live_view_shown(v);
    layout L = layout_of(v, w, h);
    double lo, hi;
    sp_live_view_db_range(v, hist, &lo, &hi);
    cairo_save(cr);
    cairo_set_source_surface(cr, static_layer(v, &L, w, h, lo, hi), 0, 0);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    if (L.sw > 0 && L.sh > 0) spectro(v, cr, &L, hist, lo, hi);
    long s = sp_live_hist_slot(hist, 0);
    if (s >= 0 && L.rw > 0) {
        energy_bars(v, cr, &L, hist->energy + (size_t)s * hist->F, lo, hi);
        meter(cr, &L, hist->level[s]);
        phones(hist, cr, &L, s);
    }
    status(v, cr, w, h, hist, s);
}

void sp_live_draw_free(sp_live_view *v)
{
    if (v->bg) cairo_surface_destroy(v->bg);
    if (v->spec) cairo_surface_destroy(v->spec);
    v->bg = v->spec = NULL;
}
