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
