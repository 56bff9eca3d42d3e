/* sweep_report.h - `sincprobe sweep report DIR`: the finished runs of a
 * sweep (sincprobe-sweep(1)) gathered into one table and a figure per
 * varied key.
 *
 * Reads DIR/sweep.tsv (run, name, a column per varied key, seed: written
 * by `sincprobe sweep`); a run is finished when DIR/NAME/finished.tsv
 * exists (sincprobe-train(1)); unfinished runs are left out (a notice
 * says how many). Of each finished run:
 *   best_dev_fer          the least dev FER of its log.tsv
 *   per_dev, per_core, per_test  the PER that `sincprobe eval` left for the
 *                         split (eval-SPLIT-confusion.tsv, recounted as
 *                         the report does); absent when not evaluated
 *   snr_transition_epoch  the gradsnr probe's transition epoch of its
 *                         first tracked tensor (the first row of
 *                         transition.tsv in the first probe folder, by
 *                         name, that holds one); absent without gradsnr
 * Runs are grouped by their values of the varied keys (every seed of a
 * combination in one group, groups in the sweep's order), and each
 * quantity's mean and sample standard deviation (n - 1 in the
 * denominator; nan with fewer than 2 values) over the group's finite
 * values go to DIR/sweep-report.tsv (columns: the keys, runs, then
 * NAME_mean NAME_std for best_dev_fer and each other quantity some run
 * has) and DIR/sweep-report.json. For each varied key K,
 * DIR/plots/fer_by_K.png and .svg plot the mean best dev FER against K's
 * values (a numeric axis when every value is a number, log when they are
 * positive and span a factor of 100 or more; else the values as
 * categories), a line per combination of the other keys, error bars one
 * standard deviation over the seeds. */
#ifndef SP_SWEEP_REPORT_H
#define SP_SWEEP_REPORT_H

#include "base/error.h"

/* 0 with *table the table as text, aligned for a terminal (the caller
 * frees it), or -1 with err (no sweep.tsv, no finished run, a malformed
 * file named by path and line). */
int sp_sweep_report_write(const char *dir, char **table, sp_error *err);

#endif
