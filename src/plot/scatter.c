/* scatter.c - scatter plots with cairo, PNG and SVG. See scatter.h. */
#include "plot/scatter.h"
#include "plot/draw.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sp_scatter_colour(int g, int ngroups, double *r, double *gr, double *b)
{
    /* a qualitative palette (in the manner of matplotlib's tab10) */
    static const double pal[10][3] = {
        { 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 }, { 0.84, 0.15, 0.16 },
        { 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
        { 0.74, 0.74, 0.13 }, { 0.09, 0.75, 0.81 },
    };
    if (ngroups <= 10) {
        int i = g < 0 ? 7 : g % 10;
        *r = pal[i][0], *gr = pal[i][1], *b = pal[i][2];
        return;
    }
    /* HSV with hue g / ngroups, alternating value for neighbours */
    double h = 6.0 * g / ngroups, s = 0.8, v = g % 2 ? 0.65 : 0.9;
    int i = (int)h % 6;
    double f = h - floor(h), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double rgb[6][3] = { { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q } };
    *r = rgb[i][0], *gr = rgb[i][1], *b = rgb[i][2];
}

enum { W = 760, H = 600, ML = 20, MT = 34, MB = 20, PLOT = 546 };

static void draw(cairo_t *cr, const float *xy, long n, const int *group, int ngroups, const char *const *names,
                 const char *title)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (long i = 0; i < n; i++) {
        if (group[i] < 0 || !isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) continue;
        x0 = fmin(x0, xy[2 * i]), x1 = fmax(x1, xy[2 * i]);
        y0 = fmin(y0, xy[2 * i + 1]), y1 = fmax(y1, xy[2 * i + 1]);
    }
    if (!(x0 <= x1)) x0 = y0 = 0, x1 = y1 = 1;
    double span = fmax(fmax(x1 - x0, y1 - y0), 1e-30) * 1.1, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    double sc = PLOT / span;
    /* frame */
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, ML + 0.5, MT + 0.5, PLOT, PLOT);
    cairo_stroke(cr);
    if (title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 14);
        sp_draw_text(cr, ML, MT - 12, 0, title);
    }
    /* points, in index order (later points on top) */
    double rad = n > 5000 ? 1.4 : n > 1000 ? 2.0 : 3.0;
    for (long i = 0; i < n; i++) {
        int g = group[i];
        if (g < 0 || g >= ngroups || !isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) continue;
        double r, gr, b;
        sp_scatter_colour(g, ngroups, &r, &gr, &b);
        cairo_set_source_rgba(cr, r, gr, b, 0.75);
        double px = ML + PLOT / 2.0 + (xy[2 * i] - cx) * sc, py = MT + PLOT / 2.0 - (xy[2 * i + 1] - cy) * sc;
        cairo_arc(cr, px, py, rad, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    /* legend: the groups present, in columns of up to 40 */
    int *seen = calloc((size_t)(ngroups > 0 ? ngroups : 1), sizeof *seen);
    if (!seen) return;
    for (long i = 0; i < n; i++)
        if (group[i] >= 0 && group[i] < ngroups) seen[group[i]] = 1;
    int row = 0, col = 0, lx = ML + PLOT + 14;
    double fs = ngroups > 20 ? 9 : 12, step = fs + 3;
    cairo_set_font_size(cr, fs);
    for (int g = 0; g < ngroups; g++) {
        if (!seen[g]) continue;
        double r, gr, b;
        sp_scatter_colour(g, ngroups, &r, &gr, &b);
        double ly = MT + 6 + row * step;
        double x = lx + col * 90;
        cairo_set_source_rgb(cr, r, gr, b);
        cairo_arc(cr, x + 4, ly + 4, 4, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        sp_draw_text(cr, x + 12, ly + fs * 0.75, 0, names && names[g] ? names[g] : "?");
        if (++row == 36) row = 0, col++;
    }
    free(seen);
}

/* path's temporary sibling ".NAME.tmpPID" */
static char *tmp_name(const char *path)
{
    size_t len = strlen(path) + 64;
    char *tmp = malloc(len);
    if (!tmp) return NULL;
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, len, "%.*s.%s.tmp%ld", dirlen, path, slash ? slash + 1 : path, (long)getpid());
    return tmp;
}

static int commit(char *tmp, const char *path, cairo_status_t st, sp_error *err)
{
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) rc = sp_fail(err, "'%s': %s", path, cairo_status_to_string(st));
    else if (rename(tmp, path) != 0) rc = sp_fail(err, "'%s': cannot rename '%s' onto it", path, tmp);
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

int sp_scatter_write(const char *png_path, const char *svg_path, const float *xy, long n, const int *group,
                     int ngroups, const char *const *names, const char *title, sp_error *err)
{
    if (png_path) {
        char *tmp = tmp_name(png_path);
        if (!tmp) return sp_fail_oom(err, 0);
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
        cairo_t *cr = cairo_create(s);
        draw(cr, xy, n, group, ngroups, names, title);
        cairo_status_t st = cairo_status(cr);
        cairo_destroy(cr);
        if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_write_to_png(s, tmp);
        cairo_surface_destroy(s);
        if (commit(tmp, png_path, st, err) != 0) return -1;
    }
    if (svg_path) {
        char *tmp = tmp_name(svg_path);
        if (!tmp) return sp_fail_oom(err, 0);
        cairo_surface_t *s = cairo_svg_surface_create(tmp, W, H);
        cairo_t *cr = cairo_create(s);
        draw(cr, xy, n, group, ngroups, names, title);
        cairo_status_t st = cairo_status(cr);
        cairo_destroy(cr);
        cairo_surface_finish(s);
        if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(s);
        cairo_surface_destroy(s);
        if (commit(tmp, svg_path, st, err) != 0) return -1;
    }
    return 0;
}
