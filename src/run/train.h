/* train.h - the training loop of `sincprobe train`: random labelled
 * chunks, forward/backward, the optimizer; at each epoch's end a dev
 * evaluation, a row of log.tsv, lr halving on a plateau and checkpoints;
 * SIGINT/SIGTERM finish the step, save and return; --resume continues
 * bit for bit. See sincprobe-train(1). */
#ifndef SP_TRAIN_H
#define SP_TRAIN_H

#include "base/conf.h"

#include <stddef.h>
#include "base/error.h"

typedef struct {
    const char *resume_dir;  /* continue the run in this directory */
    int quiet;               /* no progress display */
    long stop_after_steps;   /* testing: behave as if interrupted after this many steps (0: never) */
    char *run_dir_out;       /* when non-NULL, gets the run directory on success (run_dir_size bytes) */
    size_t run_dir_size;
} sp_train_opts;

/* Train c (ignored when resuming: the run's checkpoint carries its
 * config). Returns 0 on success or a clean interruption, -1 with err. */
int sp_train(const sp_conf *c, const sp_train_opts *o, sp_error *err);

/* 1 once SIGINT or SIGTERM arrived during sp_train. */
int sp_train_interrupted(void);

#endif
