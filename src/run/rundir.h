/* rundir.h - guards of a training's run directory: the lock that keeps a
 * second training out, the removal of the temporary files a killed write
 * left, and the repair of a best.ckpt left behind by a kill between the
 * two checkpoint writes of an epoch's end. See sincprobe-train(1). */
#ifndef SP_RUNDIR_H
#define SP_RUNDIR_H

#include "base/error.h"

/* Create dir if needed and take an exclusive flock on dir/lock without
 * waiting; the lock file then holds "PID<TAB>COMMAND\n" of this process.
 * Returns the descriptor holding the lock (the lock lasts until it is
 * closed, or the process ends), or -1 with err naming the holder's pid
 * and command when another process holds it. *created is set to 1 when
 * this call created dir. */
int sp_rundir_lock(const char *dir, int *created, sp_error *err);

/* Release the lock taken by sp_rundir_lock (fd < 0: nothing). */
void sp_rundir_unlock(int fd);

/* Remove the temporary files (NAME.tmp.PID, base/util.h's atomic files)
 * that a killed write left in dir, dir/checkpoints and dir/probes/ANY,
 * unless process PID is still alive. Returns how many were removed. */
int sp_rundir_remove_tmp(const char *dir);

/* Remove dir and everything in it (links themselves, never what they
 * point to): for a directory this process made for a new run (the
 * lock's *created) that failed before its first step, so that it leaves
 * nothing behind (config.conf, log.tsv, the probes' folders and what
 * their on_start wrote). Entries that cannot be removed stay. */
void sp_rundir_remove_new(const char *dir);

/* last.ckpt records the best epoch so far; best.ckpt must be that
 * epoch's state. After a kill between the epoch's end writing last.ckpt
 * and best.ckpt, last.ckpt is that state: copy it onto best.ckpt.
 * Returns 1 when best.ckpt was repaired, 0 when it was right, -1 with
 * err when it is stale and cannot be repaired or a file cannot be read. */
int sp_rundir_repair_best(const char *last, const char *best, sp_error *err);

#endif
