/* scatter.h - a 2-D scatter plot drawn with cairo, written as PNG
 * (cairo_image_surface) and SVG (cairo_svg_surface), for the tsne and pca
 * probes. Points are coloured by group (a broad phone class, a phone, one
 * of a pair) with a legend; the axes span the points' range with a 5%
 * margin, equal scales on both axes (an embedding's distances are what
 * matters). Self-contained (cairo, libc): compiled into the probe module.
 * Files are written to a temporary name beside the path and renamed, so
 * each is whole or as it was. Errors (base/error.h): 0, or -1 with a
 * one-line message in err. */
#ifndef SP_SCATTER_H
#define SP_SCATTER_H

#include <stddef.h>

#include "base/error.h"

/* xy [n][2]; group [n] in 0 .. ngroups-1, or -1 for a point not drawn;
 * names [ngroups] for the legend (groups with no point are left out of
 * it). png_path or svg_path may be NULL (not written). title may be NULL. */
int sp_scatter_write(const char *png_path, const char *svg_path, const float *xy, long n, const int *group,
                     int ngroups, const char *const *names, const char *title, sp_error *err);

/* The colour of group g of ngroups: ngroups <= 10 a qualitative palette,
 * else hues spread around the circle. */
void sp_scatter_colour(int g, int ngroups, double *r, double *gr, double *b);

#endif
