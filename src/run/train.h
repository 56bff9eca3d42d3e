/* train.h - the training loop of `sincprobe train`: random labelled
 * chunks, forward/backward, the optimizer; at each epoch's end a dev
 * evaluation, a row of log.tsv, lr halving on a plateau and checkpoints;
 * SIGINT/SIGTERM finish the step (or stop the dev evaluation), save and
 * return, a second one ends the process at once; --resume continues bit
 * for bit. The run directory is locked while training (run/rundir.h).
 * See sincprobe-train(1).
 *
 * The loop prints nothing: what it has to tell (the data and model it
 * set up, progress, each epoch's results, an interruption) it reports as
 * events to the caller, who decides what to show (cmd_train.c). */
#ifndef SP_TRAIN_H
#define SP_TRAIN_H

#include "base/conf.h"
#include "corpus/dataset.h"
#include "run/evaluate.h"

#include <stddef.h>
#include "base/error.h"

/* ---- what a run reports, in the order it happens */

typedef enum {
    SP_TRAIN_LOADING,     /* about to read the data (conf: train_split, corpus) */
    SP_TRAIN_DATA,        /* the train and dev sets are read (train, dev) */
    SP_TRAIN_RESUMING,    /* resuming: at .resuming */
    SP_TRAIN_MODEL,       /* the model and optimizer are ready: .model */
    SP_TRAIN_STEP,        /* progress in an epoch: .step; at most one per
                             progress_interval seconds, and at its last step */
    SP_TRAIN_STEPS_END,   /* an epoch's steps are over, done or interrupted:
                             before its dev evaluation or the checkpoint of
                             an interruption */
    SP_TRAIN_EPOCH,       /* an epoch ended: .epoch, its row of log.tsv */
    SP_TRAIN_INTERRUPTED, /* stopped (signal or stop_after_steps), the
                             position saved: .interrupted */
    SP_TRAIN_DONE,        /* every epoch done: .done */
    SP_TRAIN_NOTE,        /* something repaired or cleaned up in the run
                             directory before training: .message */
    SP_TRAIN_ALSO_FAILED, /* after the run failed (its error is sp_train's
                             err), finishing the probes failed too: .message */
} sp_train_event_kind;

/* One event. Pointers are valid during the call only. */
typedef struct {
    sp_train_event_kind kind;
    const sp_conf *conf;          /* the run's config (a resumed run's: its checkpoint's) */
    const char *run_dir;
    const sp_dataset *train, *dev; /* once read (from SP_TRAIN_DATA on), else NULL */
    union {
        struct {
            int epoch, step;      /* where it goes on: epoch 1-based, steps done in it */
            int epochs, was;      /* epochs in all; was: before --epochs changed it (else = epochs) */
        } resuming;
        struct {
            size_t nparams;
            double lr;            /* the learning rate now (halved on plateaus so far) */
            const char *init_from; /* a new run started from [train] init_from: that model; else NULL */
        } model;
        struct {
            int epoch, step;      /* epoch 1-based, steps done in it */
            double loss;          /* mean training loss of the epoch so far */
            double examples_per_s; /* since this process began the epoch */
            double eta;           /* seconds to the epoch's last step at that rate */
        } step;
        struct {
            int epoch;
            double lr, train_loss, train_fer, dev_loss, dev_fer;
            double seconds;       /* training and dev evaluation */
            double examples_per_s;
        } epoch;
        struct {
            int epoch, step;
            const char *checkpoint; /* where the position was saved */
        } interrupted;
        struct {
            double best_dev_fer;
            int best_epoch;
        } done;
        const char *message;
    };
} sp_train_event;

typedef struct {
    const char *resume_dir;  /* continue the run in this directory */
    int epochs;              /* resuming: train to this many epochs in all, recorded in
                                config.conf and the checkpoints (0: the run's own); more
                                than the epochs done, else sp_train refuses */
    long stop_after_steps;   /* testing: behave as if interrupted after this many steps (0: never) */
    char *run_dir_out;       /* when non-NULL, gets the run directory on success (run_dir_size bytes) */
    size_t run_dir_size;
    /* Reporting; each may be unset (NULL, 0). */
    void (*on_event)(void *ctx, const sp_train_event *ev);
    void *event_ctx;
    double progress_interval;             /* seconds between SP_TRAIN_STEP events (0: every step) */
    const sp_eval_progress *dev_progress; /* progress of each dev evaluation */
    /* Called from the SIGINT/SIGTERM handler, so async-signal-safe only
     * (write(2), no stdio): count 1 for the first signal (the run stops
     * after the current step), 2 for the second (the process exits with
     * 128 + sig right after, saving nothing). May be NULL. */
    void (*signal_ack)(int sig, int count);
    /* When non-NULL, set to 1 when a new run is refused for its config's
     * [probe ID] sections (a probe, option or value refused, a layer the
     * network lacks) before anything is written, or an option's value
     * refused by a probe's on_start (its run directory is then removed):
     * the CLI's usage error. */
    int *config_refused;
} sp_train_opts;

/* Train c (ignored when resuming: the run's checkpoint carries its
 * config). Returns 0 on success or a clean interruption, -1 with err. */
int sp_train(const sp_conf *c, const sp_train_opts *o, sp_error *err);

/* 1 once the last sp_train stopped early (a signal or stop_after_steps). */
int sp_train_interrupted(void);

/* The signal (SIGINT, SIGTERM) that stopped the last sp_train, 0 if none:
 * the caller exits with 128 + it, as a shell expects of a process a
 * signal stopped. */
int sp_train_stop_signal(void);

#endif
