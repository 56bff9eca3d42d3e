/* afr_figures.h - the figures of the afr probe (plugins/afr.c) and of
 * `sincprobe afr --format png` (cli/cmd_afr.c): AFR rows as computed by
 * analysis/afr.h, drawn with cairo as PNG. Cairo and libc only (and
 * plot/draw.c): compiled into the afr probe module too, so it calls
 * nothing of libsincprobe.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_AFR_FIGURES_H
#define SP_AFR_FIGURES_H

#include <stddef.h>

#include "base/error.h"

/* PNG figures drawn with cairo, written to a temporary file in the same
 * directory and renamed onto path (the file is whole or as it was).
 * The heatmap: afr [rows][bins], x = frequency (0 .. fs/2), y = row
 * (first at the bottom), colour = value (min..max of the data, dB or
 * linear). row_label[rows] labels the y axis ("epoch" values); NULL:
 * 1 .. rows. Both figures draw marks [nmarks][2], frequency ranges
 * f_lo f_hi in Hz (the bands a noise corrupted, say), as hatched stripes
 * (plot/draw.h, sp_draw_mark); nmarks 0: none. */
int sp_afr_png_heatmap(const char *path, const float *afr, long rows, int bins, double fs, int db,
                       const int *row_label, const char *ylabel, const double *marks, int nmarks, sp_error *err);
/* Curves: ncurves rows of afr [..][bins] chosen by which[ncurves]
 * (indices into afr's rows), labelled label[ncurves] in the legend. */
int sp_afr_png_curves(const char *path, const float *afr, int bins, double fs, int db, int ncurves,
                      const long *which, const char *const *label, const double *marks, int nmarks, sp_error *err);

#endif
