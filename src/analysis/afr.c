/* afr.c - filter frequency responses by FFTW, their average (AFR), and
 * the two figures, drawn with cairo. See afr.h. */
#include "config.h"
#include "analysis/afr.h"

#include <cairo.h>
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sp_afr {
    int nfft, bins;
    float *in;              /* [nfft] */
    fftwf_complex *out;     /* [bins] */
    double *mag;            /* [bins] */
    fftwf_plan plan;
};

int sp_afr_bins(int nfft)
{
    return nfft / 2 + 1;
}

sp_afr *sp_afr_new(int nfft, sp_error *err)
{
    if (nfft < 16 || nfft > 1048576 || nfft % 2) {
        sp_fail(err, "nfft: %d is not an even number in [16, 1048576]", nfft);
        return NULL;
    }
    sp_afr *a = calloc(1, sizeof *a);
    if (!a) goto oom;
    a->nfft = nfft;
    a->bins = sp_afr_bins(nfft);
    a->in = fftwf_alloc_real((size_t)nfft);
    a->out = fftwf_alloc_complex((size_t)a->bins);
    a->mag = malloc((size_t)a->bins * sizeof *a->mag);
    if (!a->in || !a->out || !a->mag) goto oom;
    a->plan = fftwf_plan_dft_r2c_1d(nfft, a->in, a->out, FFTW_ESTIMATE);
    if (!a->plan) {
        sp_afr_free(a);
        sp_fail(err, "nfft %d: FFTW could not make a plan", nfft);
        return NULL;
    }
    return a;
oom:
    sp_afr_free(a);
    sp_fail_oom(err, 0);
    return NULL;
}

void sp_afr_free(sp_afr *a)
{
    if (!a) return;
    if (a->plan) fftwf_destroy_plan(a->plan);
    fftwf_free(a->in);
    fftwf_free(a->out);
    free(a->mag);
    free(a);
}

int sp_afr_nfft(const sp_afr *a)
{
    return a->nfft;
}

static double to_db(double v)
{
    double d = v > 0 ? 20.0 * log10(v) : SP_AFR_DB_FLOOR;
    return d < SP_AFR_DB_FLOOR ? SP_AFR_DB_FLOOR : d;
}

int sp_afr_compute(sp_afr *a, const float *taps, int F, int K, sp_afr_norm norm, int db, float *resp,
                   float *afr, sp_error *err)
{
    if (K < 1 || K > a->nfft)
        return sp_fail(err, "filters of %d taps need nfft >= %d (nfft is %d)", K, K, a->nfft);
    if (F < 1) return sp_fail(err, "no filters");
    int bins = a->bins;
    double *sum = calloc((size_t)bins, sizeof *sum);
    if (!sum) return sp_fail_oom(err, 0);
    for (int c = 0; c < F; c++) {
        memcpy(a->in, taps + (size_t)c * K, (size_t)K * sizeof *a->in);
        memset(a->in + K, 0, (size_t)(a->nfft - K) * sizeof *a->in);
        fftwf_execute(a->plan);
        double peak = 0;
        for (int j = 0; j < bins; j++) {
            double re = a->out[j][0], im = a->out[j][1];
            a->mag[j] = sqrt(re * re + im * im);
            if (a->mag[j] > peak) peak = a->mag[j];
        }
        double scale = norm == SP_AFR_NORM_PEAK && peak > 0 ? 1.0 / peak : 1.0;
        for (int j = 0; j < bins; j++) {
            double m = a->mag[j] * scale;
            sum[j] += m;
            if (resp) resp[(size_t)c * bins + j] = (float)(db ? to_db(m) : m);
        }
    }
    for (int j = 0; j < bins; j++) {
        double m = sum[j] / F;
        afr[j] = (float)(db ? to_db(m) : m);
    }
    free(sum);
    return 0;
}

void sp_afr_freqs(float *freqs, int nfft, double fs)
{
    for (int j = 0; j < sp_afr_bins(nfft); j++) freqs[j] = (float)(j * fs / nfft);
}

// ----------------------------------------------------------------------------
// figures

/* A perceptually ordered colour map (viridis, 9 control points). */
static void colour(double x, double *r, double *g, double *b)
{
    static const double cm[9][3] = {
        { 0.267, 0.005, 0.329 }, { 0.278, 0.175, 0.483 }, { 0.231, 0.322, 0.546 },
        { 0.173, 0.449, 0.558 }, { 0.128, 0.567, 0.551 }, { 0.153, 0.681, 0.506 },
        { 0.361, 0.785, 0.388 }, { 0.667, 0.862, 0.196 }, { 0.993, 0.906, 0.144 },
    };
    if (!(x > 0)) x = 0;
    if (x > 1) x = 1;
    double p = x * 8;
    int i = (int)p;
    if (i > 7) i = 7;
    double t = p - i;
    *r = cm[i][0] + t * (cm[i + 1][0] - cm[i][0]);
    *g = cm[i][1] + t * (cm[i + 1][1] - cm[i][1]);
    *b = cm[i][2] + t * (cm[i + 1][2] - cm[i][2]);
}

static void text(cairo_t *cr, double x, double y, double halign, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - halign * e.width - e.x_bearing, y);
    cairo_show_text(cr, s);
}

static void vtext(cairo_t *cr, double x, double y, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_save(cr);
    cairo_move_to(cr, x, y + e.width / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

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
        text(cr, x, y0 + 18, 0.5, buf);
    }
    text(cr, x0 + w / 2, y0 + 36, 0.5, "frequency (kHz)");
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

int sp_afr_png_heatmap(const char *path, const float *afr, long rows, int bins, double fs, int db,
                       const int *row_label, const char *ylabel, sp_error *err)
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
            colour((afr[(size_t)r * bins + j] - lo) / (hi - lo), &R, &G, &B);
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
        text(cr, ML - 8, y + 4, 1, buf);
    }
    vtext(cr, 20, MT + ph / 2.0, ylabel ? ylabel : "epoch");
    /* colour bar */
    double bx = ML + PW + 20, bw = 16;
    for (int i = 0; i < ph; i++) {
        double R, G, B;
        colour(1.0 - (double)i / (ph - 1), &R, &G, &B);
        cairo_set_source_rgb(cr, R, G, B);
        cairo_rectangle(cr, bx, MT + i, bw, 1.5);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx, MT, bw, ph);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%.3g", hi);
    text(cr, bx + bw + 4, MT + 10, 0, buf);
    snprintf(buf, sizeof buf, "%.3g", lo);
    text(cr, bx + bw + 4, MT + ph, 0, buf);
    text(cr, bx + bw + 4, MT + ph / 2.0, 0, db ? "dB" : "|H|");
    text(cr, ML + PW / 2.0, 20, 0.5, db ? "AFR (dB) over training" : "AFR over training");
    cairo_destroy(cr);
    int rc = save_png(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}

int sp_afr_png_curves(const char *path, const float *afr, int bins, double fs, int db, int ncurves,
                      const long *which, const char *const *label, sp_error *err)
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
        text(cr, ML - 8, y + 4, 1, buf);
    }
    vtext(cr, 20, MT + ph / 2.0, db ? "AFR (dB)" : "AFR (|H| averaged over filters)");
    cairo_set_line_width(cr, 1.5);
    for (int i = 0; i < ncurves; i++) {
        double R, G, B;
        colour(ncurves > 1 ? 0.85 * i / (ncurves - 1) : 0.0, &R, &G, &B);
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
        text(cr, ML + PW + 34, ly, 0, label ? label[i] : "");
    }
    text(cr, ML + PW / 2.0, 20, 0.5, "average frequency response of the first layer");
    cairo_destroy(cr);
    int rc = save_png(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}
