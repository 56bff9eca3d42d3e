/* report.h - the figures and report.html of a run directory (the
 * `sincprobe report` command, also run at the end of a training).
 *
 * Reads RUN/log.tsv (required), RUN/config.conf and every probe folder
 * RUN/probes/ID/ (optional), draws RUN/plots/NAME.png and NAME.svg
 * (plot.h) and writes RUN/report.html: the run's numbers, the learning
 * curves, each probe folder's panels (figures, its own images, tables) as
 * its report manifest says (manifest.h: the probe's report.manifest, or
 * else the built-in probes' manifests whose files the folder holds; the
 * report knows no probe by name), the sections manifests place after the
 * probes, and the config; self-contained otherwise (no network, no
 * external script or style).
 *
 * A TSV is read by its header's column names (extra columns are ignored,
 * the needed ones must be there); a row with another number of fields
 * than the header, a needed field that is not a number, or a mistake in
 * a manifest is an error naming the file and line. A missing optional
 * file is not an error.
 * Every output is written to a temporary file and renamed, so a failure
 * leaves report.html whole or as it was. */
#ifndef SP_REPORT_H
#define SP_REPORT_H

#include "base/error.h"

/* 0, or -1 with a one-line message in err (base/error.h). Unless quiet,
 * a notice (base/log.h) names the report written. */
int sp_report_write(const char *run_dir, int quiet, sp_error *err);

/* Several runs side by side, into the directory out (made when absent):
 * out/report.html with a table of the runs' numbers (epochs, best and
 * final dev FER, the PER of each eval), a table of only the config.conf
 * keys whose values differ between the runs, the learning curves with a
 * line per run (train loss, dev FER, lr), and, a column per run, the
 * built-in afr and mi panels: the AFR heatmap (every run's on one colour
 * scale), the cut-off trajectories (bands.tsv) and the information
 * planes, from the first probe folder of the run holding the file; a run
 * without it gets a note. The figures go to out/plots (out/plots/runK
 * for the K-th run's panels); out/summary.tsv (a row per run: run, path,
 * epochs, best_epoch, best_dev_fer, final_dev_fer, final_train_loss,
 * per_dev, per_core, per_test; nan when unknown) and out/summary.json
 * hold the numbers. A run that is not a run directory (no log.tsv) is an
 * error naming it. */
int sp_report_runs_write(const char *const *runs, int n, const char *out, int quiet, sp_error *err);

#endif
