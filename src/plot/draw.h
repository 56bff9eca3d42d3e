/* draw.h - the drawing helpers every cairo figure shares: text placed by
 * its ink (left, centred or right aligned), text turned a quarter to the
 * left for a y axis label, and the viridis colour map. Cairo and libc
 * only, nothing of the engine: the probe modules that draw (afr, tsne)
 * compile it in, so it must not call into libsincprobe. */
#ifndef SP_DRAW_H
#define SP_DRAW_H

#include <cairo.h>

/* s on the baseline y; halign 0 puts the left edge of its ink at x, 0.5
 * its middle, 1 its right edge. Uses the current font, size and source. */
void sp_draw_text(cairo_t *cr, double x, double y, double halign, const char *s);

/* s rotated by -90 degrees (read bottom to top), its baseline on the
 * vertical x and its middle at y: a y axis label. */
void sp_draw_vtext(cairo_t *cr, double x, double y, const char *s);

/* The viridis colour map (9 control points, linear between them) at x,
 * clamped to [0, 1] (NaN: 0): dark blue at 0, yellow at 1, perceptually
 * ordered. */
void sp_draw_viridis(double x, double *r, double *g, double *b);

/* A marked range (a band of frequencies, say) over a plot: the rectangle
 * x0..x1 by y0..y1 (pixels, clipped to clip[4] = x, y, width, height)
 * filled translucently and hatched with diagonal lines, with a thin edge
 * line along each of its long sides (vertical: at x0 and x1; else at y0
 * and y1). on_image: light strokes, for over a heatmap; else dark ones,
 * for over a white plot. Leaves the source and line width as it found
 * them (cairo_save/restore). */
void sp_draw_mark(cairo_t *cr, double x0, double x1, double y0, double y1, int vertical, int on_image,
                  const double clip[4]);

#endif
