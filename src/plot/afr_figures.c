/* afr_figures.c - the AFR figures of the afr probe and `sincprobe afr`,
 * drawn with cairo: a heatmap of AFR rows over frequency, and curves of
 * chosen rows. See afr_figures.h. */
#include "plot/afr_figures.h"
#include "plot/draw.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frequency ticks every 1 kHz (2 kHz above 8 kHz span) along [x0, x0+w]. */
static void freq_axis(cairo_t *cr, double x0, double y0, double w, double fs)
{
    double nyq = fs / 2, step = nyq > 8000 ? 2000 : 1000;
    char buf[32];
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (double f = 0; f <= nyq + 1e-9; f += step) {
        double x = x0 + w * f / nyq;
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y0 + 5);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", f / 1000);
        sp_draw_text(cr, x, y0 + 18, 0.5, buf);
    }
    sp_draw_text(cr, x0 + w / 2, y0 + 36, 0.5, "frequency (kHz)");
}

/* Write the surface to a temporary file beside path, then rename. */
static int save_png(cairo_surface_t *s, const char *path, sp_error *err)
{
    size_t n = strlen(path) + 64;
    char *tmp = malloc(n);
    if (!tmp) return sp_fail_oom(err, 0);
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, n, "%.*s.%s.tmp%ld", dirlen, path, slash ? slash + 1 : path, (long)getpid());
    cairo_status_t st = cairo_surface_write_to_png(s, tmp);
    if (st != CAIRO_STATUS_SUCCESS) {
        unlink(tmp);
        free(tmp);
        return sp_fail(err, "'%s': %s", path, cairo_status_to_string(st));
    }
    if (rename(tmp, path) != 0) {
        sp_fail(err, "'%s': cannot rename '%s' onto it", path, tmp);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static void range(const float *v, size_t n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < *lo) *lo = v[i];
            if (v[i] > *hi) *hi = v[i];
        }
    if (!(*lo <= *hi)) *lo = 0, *hi = 1;
    if (*hi - *lo < 1e-12) *hi = *lo + 1;
}

enum { ML = 70, MR = 100, MT = 30, MB = 60, PW = 640 };

/* The marks (Hz) as vertical stripes over the plot area of height ph. */
static void draw_marks(cairo_t *cr, const double *marks, int nmarks, double fs, double ph, int on_image)
{
    const double clip[4] = { ML, MT, PW, ph };
    double nyq = fs / 2;
    for (int k = 0; k < nmarks; k++)
        sp_draw_mark(cr, ML + PW * marks[2 * k] / nyq, ML + PW * marks[2 * k + 1] / nyq, MT, MT + ph, 1, on_image,
                     clip);
}

int sp_afr_png_heatmap(const char *path, const float *afr, long rows, int bins, double fs, int db,
                       const int *row_label, const char *ylabel, const double *marks, int nmarks, sp_error *err)
{
    if (rows < 1 || bins < 2) return sp_fail(err, "'%s': nothing to draw", path);
    int ph = rows * 12 < 200 ? 200 : rows * 12 > 600 ? 600 : (int)rows * 12;
    int W = ML + PW + MR, H = MT + ph + MB;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    double lo, hi;
    range(afr, (size_t)rows * bins, &lo, &hi);
    double ch = (double)ph / rows;
    /* The data as an image of bins x nr pixels (row 0 at the bottom; at
     * most one image row per output pixel row, each the nearest data
     * row), scaled onto the plot area without smoothing. */
    int nr = rows > ph ? ph : (int)rows;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, bins, nr);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        return sp_fail(err, "'%s': cannot make a %d x %d image", path, bins, nr);
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < nr; y++) {
        long r = (long)((double)(nr - 1 - y) * rows / nr);
        uint32_t *line = (uint32_t *)(void *)(px + (size_t)y * stride);
        for (int j = 0; j < bins; j++) {
            double R, G, B;
            sp_draw_viridis((afr[(size_t)r * bins + j] - lo) / (hi - lo), &R, &G, &B);
            line[j] = (uint32_t)(R * 255 + 0.5) << 16 | (uint32_t)(G * 255 + 0.5) << 8 | (uint32_t)(B * 255 + 0.5);
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, ML, MT);
    cairo_scale(cr, (double)PW / bins, (double)ph / nr);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, bins, nr);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    draw_marks(cr, marks, nmarks, fs, ph, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, ML, MT, PW, ph);
    cairo_stroke(cr);
    freq_axis(cr, ML, MT + ph, PW, fs);
    /* y ticks: up to ~10 labelled rows */
    long every = rows / 10 + 1;
    char buf[64];
    for (long r = 0; r < rows; r += every) {
        double y = MT + ph - (r + 0.5) * ch;
        snprintf(buf, sizeof buf, "%ld", row_label ? (long)row_label[r] : r + 1);
        cairo_move_to(cr, ML - 5, y);
        cairo_line_to(cr, ML, y);
        cairo_stroke(cr);
        sp_draw_text(cr, ML - 8, y + 4, 1, buf);
    }
    sp_draw_vtext(cr, 20, MT + ph / 2.0, ylabel ? ylabel : "epoch");
    /* colour bar */
    double bx = ML + PW + 20, bw = 16;
    for (int i = 0; i < ph; i++) {
        double R, G, B;
        sp_draw_viridis(1.0 - (double)i / (ph - 1), &R, &G, &B);
        cairo_set_source_rgb(cr, R, G, B);
        cairo_rectangle(cr, bx, MT + i, bw, 1.5);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx, MT, bw, ph);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%.3g", hi);
    sp_draw_text(cr, bx + bw + 4, MT + 10, 0, buf);
    snprintf(buf, sizeof buf, "%.3g", lo);
    sp_draw_text(cr, bx + bw + 4, MT + ph, 0, buf);
    sp_draw_text(cr, bx + bw + 4, MT + ph / 2.0, 0, db ? "dB" : "|H|");
    sp_draw_text(cr, ML + PW / 2.0, 20, 0.5, db ? "AFR (dB) over training" : "AFR over training");
    cairo_destroy(cr);
    int rc = save_png(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}

int sp_afr_png_curves(const char *path, const float *afr, int bins, double fs, int db, int ncurves,
                      const long *which, const char *const *label, const double *marks, int nmarks, sp_error *err)
{
    if (ncurves < 1 || bins < 2) return sp_fail(err, "'%s': nothing to draw", path);
    int ph = 360, W = ML + PW + MR + 40, H = MT + ph + MB;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < ncurves; i++) {
        double l, h;
        range(afr + (size_t)which[i] * bins, (size_t)bins, &l, &h);
        if (l < lo) lo = l;
        if (h > hi) hi = h;
    }
    if (!db) lo = 0;
    double pad = (hi - lo) * 0.05;
    hi += pad;
    if (db) lo -= pad;
    draw_marks(cr, marks, nmarks, fs, ph, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, ML, MT, PW, ph);
    cairo_stroke(cr);
    freq_axis(cr, ML, MT + ph, PW, fs);
    char buf[64];
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4, y = MT + ph - ph * (double)t / 4;
        snprintf(buf, sizeof buf, "%.3g", v);
        cairo_move_to(cr, ML - 5, y);
        cairo_line_to(cr, ML, y);
        cairo_stroke(cr);
        sp_draw_text(cr, ML - 8, y + 4, 1, buf);
    }
    sp_draw_vtext(cr, 20, MT + ph / 2.0, db ? "AFR (dB)" : "AFR (|H| averaged over filters)");
    cairo_set_line_width(cr, 1.5);
    for (int i = 0; i < ncurves; i++) {
        double R, G, B;
        sp_draw_viridis(ncurves > 1 ? 0.85 * i / (ncurves - 1) : 0.0, &R, &G, &B);
        cairo_set_source_rgb(cr, R, G, B);
        const float *v = afr + (size_t)which[i] * bins;
        for (int j = 0; j < bins; j++) {
            double x = ML + PW * (double)j / (bins - 1);
            double val = isfinite(v[j]) ? v[j] : lo;
            double y = MT + ph - ph * (val - lo) / (hi - lo);
            if (j == 0) cairo_move_to(cr, x, y);
            else cairo_line_to(cr, x, y);
        }
        cairo_stroke(cr);
        double ly = MT + 12 + 18 * i;
        cairo_move_to(cr, ML + PW + 10, ly - 4);
        cairo_line_to(cr, ML + PW + 30, ly - 4);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        sp_draw_text(cr, ML + PW + 34, ly, 0, label ? label[i] : "");
    }
    sp_draw_text(cr, ML + PW / 2.0, 20, 0.5, "average frequency response of the first layer");
    cairo_destroy(cr);
    int rc = save_png(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}
