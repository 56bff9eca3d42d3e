/* plot.h - the report's figures, drawn with cairo: line plots (linear or
 * log axes, optionally points coloured by a third value with a colour
 * bar: trajectories such as the information plane) and heatmaps (a
 * numeric or a categorical x axis, values optionally printed in the
 * cells). Each figure is drawn twice, on an image surface written as
 * BASE.png and on an SVG surface written as BASE.svg; each file goes to a
 * temporary name in its directory and is renamed onto its path, so it is
 * whole or as it was.
 *
 * Axis ranges (reported back in the spec's out fields, for captions and
 * tests): a linear axis spans the data [min, max] widened to the
 * multiples of its tick step around it, the step being 1, 2, 2.5 or 5
 * times a power of ten chosen for about 5 intervals (error bars
 * included); a log axis spans
 * the decades around the positive data, [10^floor(log10 min),
 * 10^ceil(log10 max)] (non-positive values are not drawn and break the
 * line); a log axis of at most 3 decades also gets ticks at 2 and 5
 * times each power of ten. An axis with no spread is widened by 1 each way (by 10% of the
 * value when it is not 0).
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_PLOT_H
#define SP_PLOT_H

#include <cairo.h>

#include "base/error.h"

typedef struct {
    const char *name;  /* in the legend; NULL: none */
    int n;             /* points */
    const double *x, *y;
    const double *c;   /* a colour value per point, or NULL */
    int dashed;
    int colour;        /* 1 + palette index; 0: the series' position */
    int marker;        /* with markers: 0 dot, 1 square, 2 triangle, 3 diamond */
    const double *yerr; /* a vertical error bar y - yerr .. y + yerr per
                           point (with caps; NaN or 0: none), or NULL */
} sp_plot_series;

typedef struct {
    const char *title, *xlabel, *ylabel;
    const char *clabel; /* the colour bar's label, when series carry c */
    int logx, logy;
    int xinteger;       /* linear x ticks at whole numbers (epochs) */
    int markers;        /* a dot at every point (always with c) */
    int nxticks;        /* > 0: a categorical x axis, x = 0 .. nxticks-1
                           labelled xticks[], spanning -0.5 .. nxticks-0.5 */
    const char *const *xticks;
    int nseries;
    const sp_plot_series *series;
    /* [2]: the axis from LO to HI exactly, its ticks from LO by the step
     * the rule above gives that range, what lies beyond clipped (several
     * figures on common axes); NULL: the data's. Ignored unless LO < HI
     * (and LO > 0 on a log axis), and xrange on a categorical x axis. */
    const double *xrange, *yrange;
    /* out: the axes' ranges, and the colour's [clo, chi] */
    double xlo, xhi, ylo, yhi, clo, chi;
    double xstep, ystep; /* tick steps (log: decades) */
} sp_plot_lines;

/* BASE.png and BASE.svg of the series. Series with c draw their line in
 * grey-tinted series colour and each point as a dot coloured by c on the
 * viridis map over [min c, max c], with a colour bar. Returns 1, writing
 * nothing, when no point can be drawn (none finite, or none > 0 on a log
 * axis). */
int sp_plot_lines_write(const char *base, sp_plot_lines *p, sp_error *err);

/* Bands over x: for each of R rows (the filters of a layer, say) a line
 * of its centre across x over a shaded band from centre - width/2 to
 * centre + width/2, in a colour along the viridis map by the row's value
 * (with a colour bar); every band is drawn beneath every line, so the
 * centres stay visible where bands overlap. Of more than 12 rows only
 * every sp_plot_bands_stride(rows)-th band is shaded (the last row's and
 * every stride-th one below it), so that about 10 bands cover each other
 * less; every row's line is drawn. A row of one point is drawn
 * as a dot on a bar from its lower to its upper edge. On a log y axis a
 * lower edge <= 0 is drawn at the axis's bottom and does not set the
 * range. Returns 1, writing nothing, when no point can be drawn. */
typedef struct {
    const char *title, *xlabel, *ylabel, *clabel;
    int logy;
    int xinteger;                  /* x ticks at whole numbers (epochs) */
    int rows;
    const long *start;             /* [rows + 1]: row r's points are
                                      start[r] .. start[r+1] - 1, by x */
    const double *x, *centre, *width; /* [start[rows]]; NaN breaks a row */
    const double *value;           /* [rows]: each row's colour value */
    const double *yrange;          /* [2]: the y axis from LO to HI, what
                                      lies beyond clipped; NULL: the data's */
    int nmarks;
    const double *marks;           /* [nmarks][2]: y ranges LO HI drawn as
                                      hatched stripes across the plot
                                      (sp_draw_mark); they do not set the
                                      range, what lies beyond is clipped */
    /* out: the axes' ranges and tick steps, the colour range */
    double xlo, xhi, ylo, yhi, xstep, ystep, clo, chi;
} sp_plot_bands;

int sp_plot_bands_write(const char *base, sp_plot_bands *p, sp_error *err);
/* 1 up to 12 rows, else ceil(rows / 10). */
int sp_plot_bands_stride(int rows);

typedef struct {
    const char *title, *xlabel, *ylabel, *clabel;
    int rows, cols;
    const double *v;               /* [rows][cols]; NaN: an empty cell */
    const char *const *row_label;  /* [rows], the first row at the bottom */
    const char *const *col_label;  /* [cols], or NULL for a numeric x axis */
    double x0, x1;                 /* the numeric x axis: column 0 .. cols-1 centres */
    int annotate;                  /* print each value in its cell, %.2f */
    double vmin, vmax;             /* colour scale; NaN: the data's range */
    int nmarks;
    const double *marks;           /* [nmarks][2]: ranges LO HI of the numeric
                                      x axis drawn as hatched stripes over
                                      the cells (sp_draw_mark), clipped to
                                      it; ignored with col_label */
} sp_plot_heatmap;

int sp_plot_heatmap_write(const char *base, sp_plot_heatmap *h, sp_error *err);

/* The same figures drawn on cr instead of written (`sincprobe live
 * --watch` shows what the report shows): the picture of BASE.png, scaled
 * uniformly to fit w x h at cr's current origin, centred there on white.
 * 0 drawn; 1 nothing drawn (no point, no cell, or too many cells). */
int sp_plot_bands_draw(cairo_t *cr, double w, double h, sp_plot_bands *p);
int sp_plot_heatmap_draw(cairo_t *cr, double w, double h, sp_plot_heatmap *hm);

/* The axis range rule above, for tests: lo, hi from the data's
 * [min, max] (log: both > 0). */
void sp_plot_axis_range(double min, double max, int log, double *lo, double *hi, double *step);

#endif
