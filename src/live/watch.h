/* watch.h - `sincprobe live --watch RUNDIR`: follow a training in
 * progress and redraw what its afr probe has written each time an epoch
 * ends: the AFR heatmap (epoch x frequency) and the first-layer filters'
 * trajectories (centre +- half bandwidth by epoch), the same figures as
 * report.html (plot.h's sp_plot_heatmap_draw / sp_plot_bands_draw, with
 * the titles, labels and marks of the probe folder's report.manifest),
 * in a window; or in a terminal the AFR as coloured rows, one per epoch,
 * and the latest epoch's numbers.
 *
 * It reads RUNDIR/probes/ID/{afr.npy, freqs.npy, bands.npy,
 * report.manifest} of the first probe folder (by name) holding afr.npy,
 * and RUNDIR/log.tsv (its complete lines). The afr probe writes each
 * file whole (a temporary file renamed onto it, base/npy.h), so a file
 * read is never half-written; the files are looked at every 0.5 s (inode,
 * size, modification time) and read again when one changed. A run
 * directory that does not exist yet, or has no afr probe yet, is waited
 * for (the picture says so).
 *
 * Keys: q (or Escape, closing the window, SIGINT, SIGTERM) quits, space
 * stops and resumes reading, s saves the picture as
 * live-watch-YYYYmmdd-HHMMSS.png in the current directory.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_LIVE_WATCH_H
#define SP_LIVE_WATCH_H

#include "base/error.h"
#include "live/view.h"

/* Until q or, when seconds > 0, that many seconds. o->kind "window" or
 * "term" (o->width, o->height, o->color as for the live view). After a
 * SIGINT or SIGTERM sp_live_view_interrupted() names it. */
int sp_live_watch(const char *rundir, const sp_live_view_opts *o, double seconds, sp_error *err);

/* The steps of sp_live_watch, for callers with a loop of their own (and
 * tests). */
typedef struct sp_live_watcher sp_live_watcher;
sp_live_watcher *sp_live_watcher_open(const char *rundir, const sp_live_view_opts *o, sp_error *err);
/* One turn (never blocks): the next key into *key (the watcher acts on
 * space and s itself), the files read again when due and changed, the
 * picture redrawn when they changed or the window or terminal needs it. */
int sp_live_watcher_step(sp_live_watcher *w, sp_live_key *key, sp_error *err);
/* The epochs of AFR read so far (rows of afr.npy), and how many times the
 * picture was drawn. */
long sp_live_watcher_epochs(const sp_live_watcher *w);
long sp_live_watcher_draws(const sp_live_watcher *w);
/* The picture as a PNG: the window's, or for a terminal the window's
 * layout at o->width x o->height (0: 1100 x 600). Atomic. */
int sp_live_watcher_save_png(sp_live_watcher *w, const char *path, sp_error *err);
void sp_live_watcher_close(sp_live_watcher *w);

#endif
