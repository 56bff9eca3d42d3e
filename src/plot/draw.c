/* draw.c - the drawing helpers every cairo figure shares. See draw.h. */
#include "plot/draw.h"

#include <math.h>

void sp_draw_text(cairo_t *cr, double x, double y, double halign, const char *s)
{
    /* the ink spans x_bearing .. x_bearing + width from the origin */
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - halign * e.width - e.x_bearing, y);
    cairo_show_text(cr, s);
}

void sp_draw_vtext(cairo_t *cr, double x, double y, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_save(cr);
    cairo_move_to(cr, x, y + e.width / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

void sp_draw_viridis(double x, double *r, double *g, double *b)
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

void sp_draw_mark(cairo_t *cr, double x0, double x1, double y0, double y1, int vertical, int on_image,
                  const double clip[4])
{
    if (x1 < x0) {
        double t = x0;
        x0 = x1, x1 = t;
    }
    if (y1 < y0) {
        double t = y0;
        y0 = y1, y1 = t;
    }
    double ink = on_image ? 1.0 : 0.15;
    cairo_save(cr);
    cairo_rectangle(cr, clip[0], clip[1], clip[2], clip[3]);
    cairo_clip(cr);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_clip(cr);
    /* a faint wash (none over an image: its colours are the data) */
    cairo_set_source_rgba(cr, ink, ink, ink, on_image ? 0.0 : 0.08);
    cairo_paint(cr);
    /* hatching: lines x - y = const, 8 px apart, over the rectangle */
    cairo_set_source_rgba(cr, ink, ink, ink, on_image ? 0.35 : 0.30);
    cairo_set_line_width(cr, 1);
    for (double d = x0 - (y1 - y0); d < x1; d += 8) {
        cairo_move_to(cr, d, y1);
        cairo_line_to(cr, d + (y1 - y0), y0);
    }
    cairo_stroke(cr);
    cairo_reset_clip(cr);
    cairo_rectangle(cr, clip[0], clip[1], clip[2], clip[3]);
    cairo_clip(cr);
    /* the edges: over an image a thin light line on a dark halo, readable
     * on any colour; on white a thin dashed grey line, told apart from
     * the plot's own solid lines drawn over it */
    static const double dash[2] = { 4, 3 };
    if (!on_image) cairo_set_dash(cr, dash, 2, 0);
    for (int pass = !on_image; pass < 2; pass++) {
        double c = pass ? (on_image ? 1.0 : 0.35) : 0.0;
        cairo_set_source_rgba(cr, c, c, c, pass ? 1.0 : 0.6);
        cairo_set_line_width(cr, pass ? 1.1 : 3.0);
        if (vertical) {
            cairo_move_to(cr, x0, y0);
            cairo_line_to(cr, x0, y1);
            cairo_move_to(cr, x1, y0);
            cairo_line_to(cr, x1, y1);
        } else {
            cairo_move_to(cr, x0, y0);
            cairo_line_to(cr, x1, y0);
            cairo_move_to(cr, x0, y1);
            cairo_line_to(cr, x1, y1);
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}
