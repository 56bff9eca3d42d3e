/* plot.c - line plots and heatmaps with cairo, to PNG and SVG. See plot.h. */
#include "config.h"
#include "plot/plot.h"
#include "plot/draw.h"
#include "base/util.h"

#include <cairo.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Categorical colours for the series (distinguishable, colour-blind
 * tolerant order). */
static void series_colour(int i, double *r, double *g, double *b)
{
    static const double pal[10][3] = {
        { 0.122, 0.467, 0.706 }, { 1.000, 0.498, 0.055 }, { 0.173, 0.627, 0.173 },
        { 0.839, 0.153, 0.157 }, { 0.580, 0.404, 0.741 }, { 0.549, 0.337, 0.294 },
        { 0.890, 0.467, 0.761 }, { 0.498, 0.498, 0.498 }, { 0.737, 0.741, 0.133 },
        { 0.090, 0.745, 0.812 },
    };
    const double *c = pal[i % 10];
    *r = c[0], *g = c[1], *b = c[2];
}

// ----------------------------------------------------------------------------
// axes

/* A "nice" step (1, 2, 2.5 or 5 x 10^k) for about 5 intervals over span. */
static double nice_step(double span)
{
    double raw = span / 5, p = pow(10, floor(log10(raw))), m = raw / p;
    double s = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return s * p;
}

void sp_plot_axis_range(double min, double max, int log, double *lo, double *hi, double *step)
{
    if (log) {
        if (!(min > 0) || !(max >= min)) min = max = 1;
        double a = floor(log10(min)), b = ceil(log10(max));
        if (b <= a) b = a + 1;
        *lo = pow(10, a);
        *hi = pow(10, b);
        *step = 1 + floor((b - a) / 8); /* decades between ticks */
        return;
    }
    if (!isfinite(min) || !isfinite(max) || max < min) min = 0, max = 1;
    if (max - min <= 1e-12 * fmax(fabs(min), fabs(max))) {
        double d = min == 0 ? 1 : fabs(min) * 0.1;
        min -= d;
        max += d;
    }
    double s = nice_step(max - min);
    *lo = floor(min / s + 1e-9) * s;
    *hi = ceil(max / s - 1e-9) * s;
    if (*hi <= *lo) *hi = *lo + s;
    *step = s;
}

/* A fixed range[2] (NULL: none) for an axis: when it is LO < HI (LO > 0
 * on a log axis), lo and hi exactly and the rule's step for them. */
static void fixed_range(const double *range, int log, double *lo, double *hi, double *step)
{
    if (!range || !(range[0] < range[1]) || !isfinite(range[1]) || (log && !(range[0] > 0))) return;
    sp_plot_axis_range(range[0], range[1], log, lo, hi, step);
    *lo = range[0], *hi = range[1]; /* exactly; the ticks from LO by the step */
}

typedef struct {
    double lo, hi, step;
    int log;
    double p0, len; /* pixels: p0 + len * fraction */
    int flip;       /* y: up is larger */
} axis;

static double axis_frac(const axis *a, double v)
{
    if (a->log) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

static double axis_px(const axis *a, double v)
{
    double f = axis_frac(a, v);
    return a->flip ? a->p0 + a->len * (1 - f) : a->p0 + a->len * f;
}

static int valid(const axis *a, double v)
{
    return isfinite(v) && (!a->log || v > 0);
}

// ----------------------------------------------------------------------------
// tick labels and output

static void tick_label(char *buf, size_t n, double v, int log)
{
    if (log) {
        double e = round(log10(v));
        if (e >= -3 && e <= 4) snprintf(buf, n, "%g", v);
        else snprintf(buf, n, "1e%d", (int)e);
    } else {
        if (fabs(v) < 1e-12) v = 0;
        snprintf(buf, n, "%.4g", v);
    }
}

/* Ticks and labels of a (non-flipped) x axis at y, or a flipped y axis at x. */
static void draw_ticks(cairo_t *cr, const axis *a, int is_x, double at)
{
    char buf[48];
    cairo_set_source_rgb(cr, 0, 0, 0);
    int n = a->log ? (int)round((log10(a->hi) - log10(a->lo)) / a->step)
                   : (int)round((a->hi - a->lo) / a->step);
    for (int i = 0; i <= n; i++) {
        double v = a->log ? pow(10, log10(a->lo) + i * a->step) : a->lo + i * a->step;
        double p = axis_px(a, v);
        if (is_x) {
            cairo_move_to(cr, p, at);
            cairo_line_to(cr, p, at + 5);
        } else {
            cairo_move_to(cr, at - 5, p);
            cairo_line_to(cr, at, p);
        }
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, a->log);
        if (is_x) sp_draw_text(cr, p, at + 18, 0.5, buf);
        else sp_draw_text(cr, at - 8, p + 4, 1, buf);
        /* 2 and 5 times the power of ten on short log axes */
        for (int m = 2; a->log && n <= 3 && i < n && m <= 5; m += 3) {
            double p2 = axis_px(a, v * m);
            if (is_x) {
                cairo_move_to(cr, p2, at);
                cairo_line_to(cr, p2, at + 3);
            } else {
                cairo_move_to(cr, at - 3, p2);
                cairo_line_to(cr, at, p2);
            }
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, v * m, 1);
            if (is_x) sp_draw_text(cr, p2, at + 18, 0.5, buf);
            else sp_draw_text(cr, at - 8, p2 + 4, 1, buf);
        }
    }
}

/* A categorical x axis at y: a tick and its label at each x = 0 .. n-1. */
static void draw_xticks(cairo_t *cr, const axis *a, const char *const *labels, int n, double at)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int i = 0; i < n; i++) {
        double p = axis_px(a, i);
        cairo_move_to(cr, p, at);
        cairo_line_to(cr, p, at + 5);
        cairo_stroke(cr);
        sp_draw_text(cr, p, at + 18, 0.5, labels[i]);
    }
}

typedef void (*draw_fn)(cairo_t *cr, const void *ctx);

static char *tmp_beside(const char *path)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    return sp_xasprintf("%.*s.%s.tmp%ld", dirlen, path, slash ? slash + 1 : path, (long)getpid());
}

static void setup(cairo_t *cr)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
}

/* Draw the figure on an image surface (BASE.png) and on an SVG surface
 * (BASE.svg), each through a temporary file and a rename. */
static int render(const char *base, int W, int H, draw_fn fn, const void *ctx, sp_error *err)
{
    char *png = sp_xasprintf("%s.png", base), *svg = sp_xasprintf("%s.svg", base);
    char *tpng = tmp_beside(png), *tsvg = tmp_beside(svg);
    int rc = -1;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    setup(cr);
    fn(cr, ctx);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_write_to_png(s, tpng);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        sp_fail(err, "'%s': %s", png, cairo_status_to_string(st));
        goto out;
    }
    if (rename(tpng, png) != 0) {
        sp_fail(err, "'%s': cannot rename '%s' onto it", png, tpng);
        goto out;
    }
    s = cairo_svg_surface_create(tsvg, W, H);
    cr = cairo_create(s);
    setup(cr);
    fn(cr, ctx);
    st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        sp_fail(err, "'%s': %s", svg, cairo_status_to_string(st));
        goto out;
    }
    if (rename(tsvg, svg) != 0) {
        sp_fail(err, "'%s': cannot rename '%s' onto it", svg, tsvg);
        goto out;
    }
    rc = 0;
out:
    unlink(tpng);
    unlink(tsvg);
    free(png);
    free(svg);
    free(tpng);
    free(tsvg);
    return rc;
}

/* Draw the figure of natural size W x H on cr, scaled uniformly to fit
 * w x h at the current origin and centred in it, on white. */
static void draw_fitted(cairo_t *cr, double w, double h, int W, int H, draw_fn fn, const void *ctx)
{
    double k = fmin(w / W, h / H);
    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill(cr);
    cairo_translate(cr, (w - k * W) / 2, (h - k * H) / 2);
    cairo_scale(cr, k, k);
    cairo_rectangle(cr, 0, 0, W, H);
    cairo_clip(cr);
    setup(cr);
    fn(cr, ctx);
    cairo_restore(cr);
}

// ----------------------------------------------------------------------------
// line plots

enum { ML = 80, MT = 36, MB = 56, PW = 560, PH = 340, LEGW = 180, CBW = 70 };

/* The x label under a plot area of width pw at (ml, MT), the y label at
 * its left, the title above it: the same places in every figure. */
static void draw_labels(cairo_t *cr, double ml, double pw, double ph, const char *xlabel, const char *ylabel,
                        const char *title)
{
    if (xlabel) sp_draw_text(cr, ml + pw / 2.0, MT + ph + 40, 0.5, xlabel);
    if (ylabel) sp_draw_vtext(cr, 18, MT + ph / 2.0, ylabel);
    if (title) {
        cairo_set_font_size(cr, 14);
        sp_draw_text(cr, ml + pw / 2.0, 22, 0.5, title);
        cairo_set_font_size(cr, 12);
    }
}

static void colour_bar(cairo_t *cr, double bx, double y0, double h, double lo, double hi, const char *label)
{
    double bw = 16;
    for (int i = 0; i < (int)h; i++) {
        double R, G, B;
        sp_draw_viridis(1.0 - (double)i / (h - 1), &R, &G, &B);
        cairo_set_source_rgb(cr, R, G, B);
        cairo_rectangle(cr, bx, y0 + i, bw, 1.5);
        cairo_fill(cr);
    }
    char buf[48];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx, y0, bw, h);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%.4g", hi);
    sp_draw_text(cr, bx + bw + 4, y0 + 10, 0, buf);
    snprintf(buf, sizeof buf, "%.4g", lo);
    sp_draw_text(cr, bx + bw + 4, y0 + h, 0, buf);
    if (label) sp_draw_text(cr, bx, y0 - 6, 0, label);
}

static int has_colour(const sp_plot_lines *p)
{
    for (int s = 0; s < p->nseries; s++)
        if (p->series[s].c) return 1;
    return 0;
}

static void lines_axes(const sp_plot_lines *p, axis *ax, axis *ay)
{
    ax->log = p->logx, ax->lo = p->xlo, ax->hi = p->xhi, ax->p0 = ML, ax->len = PW, ax->flip = 0;
    ay->log = p->logy, ay->lo = p->ylo, ay->hi = p->yhi, ay->p0 = MT, ay->len = PH, ay->flip = 1;
    ax->step = p->xstep, ay->step = p->ystep;
}

/* The outline of a point's marker at (x, y): a dot, square, triangle or
 * diamond of about the same area. */
static void marker_path(cairo_t *cr, int marker, double x, double y)
{
    switch (marker % 4) {
    case 1: cairo_rectangle(cr, x - 3, y - 3, 6, 6); break;
    case 2:
        cairo_move_to(cr, x, y - 4);
        cairo_line_to(cr, x + 3.8, y + 2.7);
        cairo_line_to(cr, x - 3.8, y + 2.7);
        cairo_close_path(cr);
        break;
    case 3:
        cairo_move_to(cr, x, y - 4);
        cairo_line_to(cr, x + 4, y);
        cairo_line_to(cr, x, y + 4);
        cairo_line_to(cr, x - 4, y);
        cairo_close_path(cr);
        break;
    default: cairo_arc(cr, x, y, 3, 0, 2 * M_PI);
    }
}

/* The series' error bars: y - e .. y + e with 8-pixel caps. */
static void error_bars(cairo_t *cr, const sp_plot_series *se, const axis *ax, const axis *ay)
{
    cairo_set_line_width(cr, 1.2);
    for (int i = 0; i < se->n; i++) {
        double e = se->yerr[i], lo = se->y[i] - e, hi = se->y[i] + e;
        if (!(e > 0) || !valid(ax, se->x[i]) || !valid(ay, lo) || !valid(ay, hi)) continue;
        double x = axis_px(ax, se->x[i]), y0 = axis_px(ay, lo), y1 = axis_px(ay, hi);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y1);
        cairo_move_to(cr, x - 4, y0);
        cairo_line_to(cr, x + 4, y0);
        cairo_move_to(cr, x - 4, y1);
        cairo_line_to(cr, x + 4, y1);
        cairo_stroke(cr);
    }
}

static void draw_lines(cairo_t *cr, const void *ctx)
{
    const sp_plot_lines *p = ctx;
    axis ax, ay;
    lines_axes(p, &ax, &ay);
    int col = has_colour(p);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, ML, MT, PW, PH);
    cairo_stroke(cr);
    if (p->nxticks > 0) draw_xticks(cr, &ax, p->xticks, p->nxticks, MT + PH);
    else draw_ticks(cr, &ax, 1, MT + PH);
    draw_ticks(cr, &ay, 0, ML);
    draw_labels(cr, ML, PW, PH, p->xlabel, p->ylabel, p->title);
    /* no clip when the axes span all the data (a dot on the frame stays
     * whole); with a fixed range, clipped a dot's width outside the frame */
    cairo_save(cr);
    if ((p->xrange && p->nxticks <= 0) || p->yrange) {
        cairo_rectangle(cr, ML - 6, MT - 6, PW + 12, PH + 12);
        cairo_clip(cr);
    }
    for (int s = 0; s < p->nseries; s++) {
        const sp_plot_series *se = &p->series[s];
        double R, G, B;
        series_colour(se->colour ? se->colour - 1 : s, &R, &G, &B);
        cairo_set_source_rgba(cr, R, G, B, se->c ? 0.7 : 1.0);
        cairo_set_line_width(cr, se->c ? 1.2 : 1.8);
        if (se->dashed) {
            double d[2] = { 6, 4 };
            cairo_set_dash(cr, d, 2, 0);
        }
        int pen = 0;
        for (int i = 0; i < se->n; i++) {
            if (!valid(&ax, se->x[i]) || !valid(&ay, se->y[i])) {
                pen = 0;
                continue;
            }
            double x = axis_px(&ax, se->x[i]), y = axis_px(&ay, se->y[i]);
            if (pen) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        if (se->yerr) error_bars(cr, se, &ax, &ay);
        if (!se->c && !p->markers) continue;
        for (int i = 0; i < se->n; i++) {
            if (!valid(&ax, se->x[i]) || !valid(&ay, se->y[i])) continue;
            double x = axis_px(&ax, se->x[i]), y = axis_px(&ay, se->y[i]);
            cairo_new_path(cr);
            if (se->c) cairo_arc(cr, x, y, 4.5, 0, 2 * M_PI);
            else marker_path(cr, se->marker, x, y);
            if (se->c) {
                double cr_, cg, cb, span = p->chi - p->clo;
                sp_draw_viridis(span > 0 ? (se->c[i] - p->clo) / span : 0.5, &cr_, &cg, &cb);
                cairo_set_source_rgb(cr, cr_, cg, cb);
                cairo_fill_preserve(cr);
                cairo_set_source_rgb(cr, R, G, B);
                cairo_set_line_width(cr, 1.5);
                cairo_stroke(cr);
            } else {
                cairo_set_source_rgb(cr, R, G, B);
                cairo_fill(cr);
            }
        }
    }
    cairo_restore(cr);
    double lx = ML + PW + 16;
    if (col) {
        colour_bar(cr, lx, MT + 14, PH - 14, p->clo, p->chi, p->clabel);
        lx += CBW;
    }
    cairo_set_line_width(cr, 1.8);
    for (int s = 0; s < p->nseries; s++) {
        const sp_plot_series *se = &p->series[s];
        if (!se->name) continue;
        double R, G, B, ly = MT + 12 + 18 * s;
        series_colour(se->colour ? se->colour - 1 : s, &R, &G, &B);
        cairo_set_source_rgb(cr, R, G, B);
        if (se->dashed) {
            double d[2] = { 6, 4 };
            cairo_set_dash(cr, d, 2, 0);
        }
        cairo_move_to(cr, lx, ly - 4);
        cairo_line_to(cr, lx + 22, ly - 4);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        if (p->markers && !se->c) {
            marker_path(cr, se->marker, lx + 11, ly - 4);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        sp_draw_text(cr, lx + 28, ly, 0, se->name);
    }
}

/* The legend's width: LEGW, or wider when a series' name needs it (the
 * line sample and gap take 28 px before the text). */
static int legend_width(const sp_plot_lines *p)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    setup(cr);
    double w = 0;
    for (int i = 0; i < p->nseries; i++) {
        if (!p->series[i].name) continue;
        cairo_text_extents_t e;
        cairo_text_extents(cr, p->series[i].name, &e);
        w = fmax(w, e.x_advance);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return (int)fmax(LEGW, 16 + 28 + ceil(w) + 12);
}

int sp_plot_lines_write(const char *base, sp_plot_lines *p, sp_error *err)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    double cmin = INFINITY, cmax = -INFINITY;
    long pts = 0;
    for (int s = 0; s < p->nseries; s++) {
        const sp_plot_series *se = &p->series[s];
        for (int i = 0; i < se->n; i++) {
            double x = se->x[i], y = se->y[i];
            if (!isfinite(x) || !isfinite(y) || (p->logx && !(x > 0)) || (p->logy && !(y > 0))) continue;
            pts++;
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymin = fmin(ymin, y), ymax = fmax(ymax, y);
            double e = se->yerr ? se->yerr[i] : NAN;
            if (e > 0 && isfinite(e) && (!p->logy || y - e > 0)) ymin = fmin(ymin, y - e), ymax = fmax(ymax, y + e);
            if (se->c && isfinite(se->c[i])) cmin = fmin(cmin, se->c[i]), cmax = fmax(cmax, se->c[i]);
        }
    }
    if (!pts) return 1;
    sp_plot_axis_range(xmin, xmax, p->logx, &p->xlo, &p->xhi, &p->xstep);
    if (p->nxticks > 0) p->xlo = -0.5, p->xhi = p->nxticks - 0.5, p->xstep = 1;
    else if (p->xinteger && !p->logx && p->xstep < 1) {
        p->xstep = 1;
        p->xlo = floor(xmin + 1e-9);
        p->xhi = ceil(xmax - 1e-9);
        if (p->xhi <= p->xlo) p->xlo -= 1, p->xhi += 1;
    }
    if (p->nxticks <= 0) fixed_range(p->xrange, p->logx, &p->xlo, &p->xhi, &p->xstep);
    sp_plot_axis_range(ymin, ymax, p->logy, &p->ylo, &p->yhi, &p->ystep);
    fixed_range(p->yrange, p->logy, &p->ylo, &p->yhi, &p->ystep);
    if (cmin > cmax) cmin = cmax = 0;
    p->clo = cmin, p->chi = cmax;
    int W = ML + PW + legend_width(p) + (has_colour(p) ? CBW : 0), H = MT + PH + MB;
    return render(base, W, H, draw_lines, p, err);
}

// ----------------------------------------------------------------------------
// bands: a centre line over a shaded band per row

int sp_plot_bands_stride(int rows)
{
    return rows <= 12 ? 1 : (rows + 9) / 10;
}

/* The y of a band edge: on a log axis a value <= 0 sits on the bottom. */
static double edge_px(const axis *a, double v)
{
    return a->log && !(v > 0) ? a->p0 + a->len : axis_px(a, v);
}

/* The points i0 .. i1-1 of a run of valid points of one row. */
static void band_run(cairo_t *cr, const sp_plot_bands *p, const axis *ax, const axis *ay, long i0, long i1, int shade)
{
    if (i1 - i0 == 1) { /* one point: a bar and a dot */
        double x = axis_px(ax, p->x[i0]), c = p->centre[i0], w = p->width[i0] / 2;
        if (shade) {
            cairo_move_to(cr, x, edge_px(ay, c - w));
            cairo_line_to(cr, x, edge_px(ay, c + w));
            cairo_stroke(cr);
        } else {
            cairo_new_path(cr);
            cairo_arc(cr, x, axis_px(ay, c), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        return;
    }
    if (shade) { /* the upper edge forwards, the lower one back */
        for (long i = i0; i < i1; i++) {
            double x = axis_px(ax, p->x[i]), y = edge_px(ay, p->centre[i] + p->width[i] / 2);
            if (i == i0) cairo_move_to(cr, x, y);
            else cairo_line_to(cr, x, y);
        }
        for (long i = i1 - 1; i >= i0; i--)
            cairo_line_to(cr, axis_px(ax, p->x[i]), edge_px(ay, p->centre[i] - p->width[i] / 2));
        cairo_close_path(cr);
        cairo_fill(cr);
        return;
    }
    for (long i = i0; i < i1; i++) {
        double x = axis_px(ax, p->x[i]), y = axis_px(ay, p->centre[i]);
        if (i == i0) cairo_move_to(cr, x, y);
        else cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
}

static int band_point_ok(const sp_plot_bands *p, const axis *ay, long i)
{
    return isfinite(p->x[i]) && valid(ay, p->centre[i]) && isfinite(p->width[i]);
}

static void draw_bands(cairo_t *cr, const void *ctx)
{
    const sp_plot_bands *p = ctx;
    axis ax = { p->xlo, p->xhi, p->xstep, 0, ML, PW, 0 }, ay = { p->ylo, p->yhi, p->ystep, p->logy, MT, PH, 1 };
    /* many rows: the bands of every stride-th row only, which cover
     * each other less (the lines are all drawn) */
    int stride = sp_plot_bands_stride(p->rows);
    double span = p->chi - p->clo;
    /* the marks beneath the data */
    const double clip[4] = { ML, MT, PW, PH };
    for (int k = 0; k < p->nmarks; k++) {
        double lo = p->marks[2 * k], hi = p->marks[2 * k + 1];
        if (!ay.log || hi > 0) sp_draw_mark(cr, ML, ML + PW, edge_px(&ay, lo), axis_px(&ay, hi), 0, 0, clip);
    }
    cairo_save(cr);
    cairo_rectangle(cr, ML, MT, PW, PH);
    cairo_clip(cr);
    for (int pass = 1; pass >= 0; pass--) { /* the shades, then the lines */
        cairo_set_line_width(cr, pass ? 3 : 1.4);
        for (int r = pass ? (p->rows - 1) % stride : 0; r < p->rows; r += pass ? stride : 1) {
            double R, G, B;
            sp_draw_viridis(span > 0 ? (p->value[r] - p->clo) / span : 0.5, &R, &G, &B);
            cairo_set_source_rgba(cr, R, G, B, pass ? 0.25 : 1.0);
            for (long i = p->start[r]; i < p->start[r + 1];) {
                long j = i;
                while (j < p->start[r + 1] && band_point_ok(p, &ay, j)) j++;
                if (j > i) band_run(cr, p, &ax, &ay, i, j, pass);
                i = j > i ? j : j + 1;
            }
        }
    }
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, ML, MT, PW, PH);
    cairo_stroke(cr);
    draw_ticks(cr, &ax, 1, MT + PH);
    draw_ticks(cr, &ay, 0, ML);
    draw_labels(cr, ML, PW, PH, p->xlabel, p->ylabel, p->title);
    colour_bar(cr, ML + PW + 16, MT + 14, PH - 14, p->clo, p->chi, p->clabel);
}

/* The axes' ranges of p (its out fields); 1 when no point can be drawn. */
static int bands_ranges(sp_plot_bands *p)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    double cmin = INFINITY, cmax = -INFINITY;
    for (int r = 0; r < p->rows; r++)
        for (long i = p->start[r]; i < p->start[r + 1]; i++) {
            double x = p->x[i], c = p->centre[i], w = p->width[i] / 2;
            if (!isfinite(x) || !isfinite(c) || !isfinite(w) || (p->logy && !(c > 0))) continue;
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymax = fmax(ymax, fmax(c + w, c - w));
            ymin = fmin(ymin, c);
            if (!p->logy || fmin(c + w, c - w) > 0) ymin = fmin(ymin, fmin(c + w, c - w));
            if (isfinite(p->value[r])) cmin = fmin(cmin, p->value[r]), cmax = fmax(cmax, p->value[r]);
        }
    if (!(xmin <= xmax)) return 1;
    sp_plot_axis_range(xmin, xmax, 0, &p->xlo, &p->xhi, &p->xstep);
    if (p->xinteger && p->xstep < 1) {
        p->xstep = 1;
        p->xlo = floor(xmin + 1e-9);
        p->xhi = ceil(xmax - 1e-9);
        if (p->xhi <= p->xlo) p->xlo -= 1, p->xhi += 1;
    }
    if (p->yrange) ymin = p->yrange[0], ymax = p->yrange[1];
    sp_plot_axis_range(ymin, ymax, p->logy, &p->ylo, &p->yhi, &p->ystep);
    if (p->yrange && p->yrange[0] < p->yrange[1] && (!p->logy || p->yrange[0] > 0))
        p->ylo = p->yrange[0], p->yhi = p->yrange[1]; /* exactly; the ticks from LO by the step */
    if (cmin > cmax) cmin = cmax = 0;
    p->clo = cmin, p->chi = cmax;
    return 0;
}

enum { BANDS_W = ML + PW + 16 + CBW + 20, BANDS_H = MT + PH + MB };

int sp_plot_bands_write(const char *base, sp_plot_bands *p, sp_error *err)
{
    if (bands_ranges(p)) return 1;
    return render(base, BANDS_W, BANDS_H, draw_bands, p, err);
}

int sp_plot_bands_draw(cairo_t *cr, double w, double h, sp_plot_bands *p)
{
    if (bands_ranges(p)) return 1;
    draw_fitted(cr, w, h, BANDS_W, BANDS_H, draw_bands, p);
    return 0;
}

// ----------------------------------------------------------------------------
// heatmaps

typedef struct {
    const sp_plot_heatmap *h;
    double lo, hi;
    int pw, ph, ml;
} hm_ctx;

static void draw_heatmap(cairo_t *cr, const void *ctx)
{
    const hm_ctx *c = ctx;
    const sp_plot_heatmap *h = c->h;
    int R = h->rows, C = h->cols, ml = c->ml, pw = c->pw, ph = c->ph;
    double cw = (double)pw / C, rh = (double)ph / R, span = c->hi - c->lo;
    /* The cells as an image of C x R pixels (row 0 at the bottom), scaled
     * onto the plot area without smoothing. */
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, C, R);
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; px && y < R; y++) {
        int r = R - 1 - y;
        uint32_t *line = (uint32_t *)(void *)(px + (size_t)y * stride);
        for (int j = 0; j < C; j++) {
            double v = h->v[(size_t)r * C + j], cr_ = 0.85, cg = 0.85, cb = 0.85;
            if (isfinite(v)) sp_draw_viridis(span > 0 ? (v - c->lo) / span : 0.5, &cr_, &cg, &cb);
            line[j] = (uint32_t)(cr_ * 255 + 0.5) << 16 | (uint32_t)(cg * 255 + 0.5) << 8 | (uint32_t)(cb * 255 + 0.5);
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, ml, MT);
    cairo_scale(cr, cw, rh);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, C, R);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    /* marks over the cells: column j's centre is at x0 + j (x1 - x0) / (C - 1) */
    const double clip[4] = { ml, MT, pw, ph };
    for (int k = 0; !h->col_label && C > 1 && h->x1 > h->x0 && k < h->nmarks; k++) {
        double f0 = (h->marks[2 * k] - h->x0) / (h->x1 - h->x0), f1 = (h->marks[2 * k + 1] - h->x0) / (h->x1 - h->x0);
        sp_draw_mark(cr, ml + (f0 * (C - 1) + 0.5) * cw, ml + (f1 * (C - 1) + 0.5) * cw, MT, MT + ph, 1, 1, clip);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, ml, MT, pw, ph);
    cairo_stroke(cr);
    char buf[64];
    if (h->annotate && cw >= 34 && rh >= 14) {
        cairo_set_font_size(cr, 11);
        for (int r = 0; r < R; r++)
            for (int j = 0; j < C; j++) {
                double v = h->v[(size_t)r * C + j];
                if (!isfinite(v)) continue;
                double f = span > 0 ? (v - c->lo) / span : 0.5;
                if (f < 0.6) cairo_set_source_rgb(cr, 1, 1, 1);
                else cairo_set_source_rgb(cr, 0, 0, 0);
                snprintf(buf, sizeof buf, "%.2f", v);
                sp_draw_text(cr, ml + (j + 0.5) * cw, MT + ph - (r + 0.5) * rh + 4, 0.5, buf);
            }
        cairo_set_font_size(cr, 12);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    /* y: up to ~20 labelled rows */
    int every = R / 20 + 1;
    for (int r = 0; r < R; r += every) {
        double y = MT + ph - (r + 0.5) * rh;
        cairo_move_to(cr, ml - 5, y);
        cairo_line_to(cr, ml, y);
        cairo_stroke(cr);
        sp_draw_text(cr, ml - 8, y + 4, 1, h->row_label ? h->row_label[r] : "");
    }
    if (h->col_label) {
        every = C / 16 + 1;
        for (int j = 0; j < C; j += every) {
            double x = ml + (j + 0.5) * cw;
            cairo_move_to(cr, x, MT + ph);
            cairo_line_to(cr, x, MT + ph + 5);
            cairo_stroke(cr);
            sp_draw_text(cr, x, MT + ph + 18, 0.5, h->col_label[j]);
        }
    } else if (C > 1 && h->x1 > h->x0) {
        /* column j's centre is at x0 + j (x1 - x0) / (C - 1) */
        double lo, hi, step;
        sp_plot_axis_range(h->x0, h->x1, 0, &lo, &hi, &step);
        for (double v = lo; v <= h->x1 + 1e-9 * step; v += step) {
            if (v < h->x0 - 1e-9 * step) continue;
            double x = ml + ((v - h->x0) / (h->x1 - h->x0) * (C - 1) + 0.5) * cw;
            cairo_move_to(cr, x, MT + ph);
            cairo_line_to(cr, x, MT + ph + 5);
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, v, 0);
            sp_draw_text(cr, x, MT + ph + 18, 0.5, buf);
        }
    }
    draw_labels(cr, ml, pw, ph, h->xlabel, h->ylabel, h->title);
    colour_bar(cr, ml + pw + 20, MT + 14, ph - 14, c->lo, c->hi, h->clabel);
}

/* The colour range and the layout of h's figure into c; 1 when h has
 * no cell, 2 when too many to draw. */
static int heatmap_layout(sp_plot_heatmap *h, hm_ctx *out)
{
    if (h->rows < 1 || h->cols < 1) return 1;
    if (h->rows > 32767 || h->cols > 32767) return 2;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < (size_t)h->rows * h->cols; i++)
        if (isfinite(h->v[i])) lo = fmin(lo, h->v[i]), hi = fmax(hi, h->v[i]);
    if (isfinite(h->vmin)) lo = h->vmin;
    if (isfinite(h->vmax)) hi = h->vmax;
    if (!(lo <= hi)) lo = 0, hi = 1;
    hm_ctx c = { h, lo, hi, 0, 0, 0 };
    /* the left margin fits the longest row label (about 7 px a character) */
    size_t longest = 0;
    for (int r = 0; h->row_label && r < h->rows; r++)
        if (strlen(h->row_label[r]) > longest) longest = strlen(h->row_label[r]);
    c.ml = 50 + (int)(longest > 30 ? 30 : longest) * 7;
    if (h->col_label) {
        c.pw = h->cols * 48;
        c.pw = c.pw < 240 ? 240 : c.pw > 1200 ? 1200 : c.pw;
        c.ph = h->rows * 28;
    } else {
        c.pw = 640;
        c.ph = h->rows * 12;
    }
    c.ph = c.ph < 120 ? 120 : c.ph > 600 ? 600 : c.ph;
    *out = c;
    return 0;
}

int sp_plot_heatmap_write(const char *base, sp_plot_heatmap *h, sp_error *err)
{
    hm_ctx c;
    int rc = heatmap_layout(h, &c);
    if (rc == 1) return sp_fail(err, "'%s': nothing to draw", base);
    if (rc == 2) return sp_fail(err, "'%s': %d x %d cells is too many to draw", base, h->rows, h->cols);
    return render(base, c.ml + c.pw + 110, MT + c.ph + MB, draw_heatmap, &c, err);
}

int sp_plot_heatmap_draw(cairo_t *cr, double w, double h, sp_plot_heatmap *hm)
{
    hm_ctx c;
    if (heatmap_layout(hm, &c) != 0) return 1;
    draw_fitted(cr, w, h, c.ml + c.pw + 110, MT + c.ph + MB, draw_heatmap, &c);
    return 0;
}
