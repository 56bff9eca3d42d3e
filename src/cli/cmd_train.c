/* cmd_train.c - `sincprobe train`: train a model from a config. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "base/conf.h"
#include "plot/report.h"
#include "run/train.h"
#include "run/dist.h"
#include "base/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = {
    "sincprobe train CONFIG [--dir DIR] [--quiet]",
    "   or: sincprobe train --resume RUNDIR [--epochs N] [--quiet]",
    "",
    "  --dir DIR        run directory (overrides [run] dir)",
    "  --resume RUNDIR  continue an interrupted or finished run from its last checkpoint",
    "  --epochs N       with --resume: train to N epochs in all (extends a finished run)",
    "  --quiet          no progress display",
    NULL,
};

/* ---- what the run reports, through base/log.h (on stderr) */

typedef struct {
    int quiet; /* no progress: neither steps nor dev evaluations */
    int tty;   /* the log is a terminal and progress is shown: a line redrawn with '\r' */
    int done;  /* SP_TRAIN_DONE came: every epoch trained */
    int epochs, best_epoch;
    double best_dev_fer;
} display;

static void show_step(const display *d, const sp_train_event *ev)
{
    const sp_conf *c = ev->conf;
    if (d->tty)
        sp_log_progress("\repoch %d/%d  step %d/%d  loss %.4f  %.0f ex/s  eta %.0fs   ", ev->step.epoch, c->epochs,
                        ev->step.step, c->steps_per_epoch, ev->step.loss, ev->step.examples_per_s, ev->step.eta);
    else
        sp_log_info("epoch %d/%d step %d/%d loss %.4f %.0f ex/s eta %.0fs", ev->step.epoch, c->epochs, ev->step.step,
                    c->steps_per_epoch, ev->step.loss, ev->step.examples_per_s, ev->step.eta);
}

/* RUN/finished.tsv, the mark of a run whose every epoch was trained and
 * whose `sincprobe train` ended (report included): a header and one row,
 * epochs best_epoch best_dev_fer. Written atomically last, so a run killed
 * at any earlier point has none; `sincprobe sweep` skips the runs that
 * have it. A resume that extends the run (--epochs) removes it first. */
static int write_finished(const char *run_dir, const display *d, sp_error *err)
{
    char *path = sp_path_join(run_dir, "finished.tsv");
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        fprintf(af.f, "epochs\tbest_epoch\tbest_dev_fer\n%d\t%d\t%.6f\n", d->epochs, d->best_epoch, d->best_dev_fer);
        rc = sp_atomic_commit(&af, err);
    }
    free(path);
    return rc;
}

static void on_event(void *ctx, const sp_train_event *ev)
{
    display *d = ctx;
    const sp_conf *c = ev->conf;
    switch (ev->kind) {
    case SP_TRAIN_LOADING:
        sp_log_info("loading %s split of '%s'", c->train_split, c->corpus);
        break;
    case SP_TRAIN_DATA:
        sp_log_info("train: %zu utterances, %.2f h, %ld frames; dev (%s): %zu utterances, %ld frames", ev->train->n,
                    (double)ev->train->samples / SP_SAMPLE_RATE / 3600.0, ev->train->frames, c->dev_split, ev->dev->n,
                    ev->dev->frames);
        break;
    case SP_TRAIN_RESUMING:
        sp_log_info("resuming '%s' at epoch %d, step %d", ev->run_dir, ev->resuming.epoch, ev->resuming.step);
        if (ev->resuming.epochs != ev->resuming.was) {
            char *mark = sp_path_join(ev->run_dir, "finished.tsv");
            remove(mark); /* no longer finished: more epochs to go */
            free(mark);
        }
        if (ev->resuming.epochs != ev->resuming.was)
            sp_log_info("epochs: %d in all (was %d), recorded in '%s/config.conf'", ev->resuming.epochs,
                        ev->resuming.was, ev->run_dir);
        break;
    case SP_TRAIN_MODEL: {
        long frames = ev->train->frames;
        sp_log_info("model: %s, %zu parameters, %.2f per training frame; batch %d, %s lr %g, %d threads", c->preset,
                    ev->model.nparams, (double)ev->model.nparams / (double)(frames ? frames : 1), c->batch,
                    c->optimizer, ev->model.lr, c->threads);
        if (ev->model.init_from)
            sp_log_info("weights from '%s'%s", ev->model.init_from,
                        c->freeze_first_layer ? "; the first layer frozen" : "");
        break;
    }
    case SP_TRAIN_STEP:
        if (!d->quiet) show_step(d, ev);
        break;
    case SP_TRAIN_STEPS_END:
        if (d->tty) sp_log_progress("\n");
        break;
    case SP_TRAIN_EPOCH:
        sp_log_info("epoch %d: lr %g  train loss %.4f fer %.4f  dev loss %.4f fer %.4f  %.0fs", ev->epoch.epoch,
                    ev->epoch.lr, ev->epoch.train_loss, ev->epoch.train_fer, ev->epoch.dev_loss, ev->epoch.dev_fer,
                    ev->epoch.seconds);
        break;
    case SP_TRAIN_INTERRUPTED:
        sp_log_info("interrupted at epoch %d, step %d: saved '%s'; continue with 'sincprobe train --resume %s'",
                    ev->interrupted.epoch, ev->interrupted.step, ev->interrupted.checkpoint, ev->run_dir);
        break;
    case SP_TRAIN_DONE:
        d->done = 1;
        d->epochs = c->epochs;
        d->best_epoch = ev->done.best_epoch;
        d->best_dev_fer = ev->done.best_dev_fer;
        sp_log_info("done: best dev FER %.4f at epoch %d; run directory '%s'", ev->done.best_dev_fer,
                    ev->done.best_epoch, ev->run_dir);
        break;
    case SP_TRAIN_NOTE:
        sp_log_warn("%s", ev->message);
        break;
    case SP_TRAIN_ALSO_FAILED:
        sp_errorf("%s", ev->message);
        break;
    }
}

/* The acknowledgement of SIGINT/SIGTERM, at once, from the handler:
 * write(2) only (async-signal-safe), on a line of its own. */
static void signal_ack(int sig, int count)
{
    static const char first_int[] = "\nsincprobe: stopping after the current step; Ctrl-C again to stop now\n";
    static const char first_term[] = "\nsincprobe: stopping after the current step; send the signal again to stop now\n";
    static const char second[] = "\nsincprobe: stopped now, nothing saved; 'train --resume' goes on from the last checkpoint\n";
    const char *msg = count >= 2 ? second : sig == SIGINT ? first_int : first_term;
    size_t n = count >= 2 ? sizeof second - 1 : sig == SIGINT ? sizeof first_int - 1 : sizeof first_term - 1;
    ssize_t w = write(STDERR_FILENO, msg, n);
    (void)w;
}

/* Load the config and train; the report after. Under mpirun every rank
 * trains and rank 0 alone reports (the others print nothing but errors);
 * a rank that fails ends the whole job (sp_dist_abort) rather than leave
 * the others waiting: rank 0's last good checkpoint stays as it was. */
static int train(const char *config, const char *dir, int quiet, sp_train_opts *po)
{
    sp_train_opts o = *po;
    sp_conf c;
    sp_error err;
    if (config) {
        sp_diag d;
        sp_diag_init(&d, 0);
        if (sp_conf_load(&c, config, &d) != 0) {
            for (size_t i = 0; i < d.n; i++) sp_problem_log(SP_LOG_ERROR, &d.v[i]);
            sp_diag_free(&d);
            /* a config refused is a usage error; one that cannot be read, an I/O error */
            int code = access(config, R_OK) == 0 ? SP_EXIT_USAGE : SP_EXIT_FAIL;
            sp_dist_abort(code);
            return code;
        }
        sp_diag_free(&d);
        if (dir) { /* the command line's, relative to the current directory */
            snprintf(c.dir, sizeof c.dir, "%s", dir);
            c.dir_at[0] = '\0';
        }
    } else {
        sp_conf_defaults(&c);
    }
    char run_dir[4096];
    o.run_dir_out = run_dir;
    o.run_dir_size = sizeof run_dir;
    display d = { .quiet = quiet, .tty = !quiet && sp_log_tty() };
    int rank = sp_dist_rank();
    o.on_event = rank == 0 ? on_event : NULL;
    o.signal_ack = rank == 0 ? signal_ack : NULL;
    o.event_ctx = &d;
    /* off a terminal (a batch job's log): a step line every
     * SINCPROBE_PROGRESS_INTERVAL seconds, 10 by default */
    o.progress_interval = d.tty ? 0.5 : sp_progress_interval();
    sp_cli_bar bar;
    o.dev_progress = quiet || rank > 0 ? NULL : sp_cli_bar_init(&bar, "dev");
    int config_refused = 0;
    o.config_refused = &config_refused;
    if (sp_train(&c, &o, &err) != 0) {
        if (sp_dist_size() > 1) sp_errorf("rank %d of %d: %s", rank, sp_dist_size(), err.msg);
        else sp_errorf("%s", err.msg);
        int code = config_refused ? SP_EXIT_USAGE : SP_EXIT_FAIL;
        sp_dist_abort(code);
        return code;
    }
    if (rank > 0) return SP_EXIT_OK; /* rank 0 owns the run directory */
    /* The run's figures and report.html (also after an interruption, to
     * show the epochs so far). A report that cannot be drawn is a warning:
     * the training's results stand. */
    if (sp_report_write(run_dir, quiet, &err) != 0) sp_errorf("report not written: %s", err.msg);
    if (d.done && !sp_train_interrupted() && write_finished(run_dir, &d, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    /* stopped by a signal: 128 + its number, as a shell reports a process
     * the signal ended, so that 'train && eval' does not go on */
    return sp_train_stop_signal() ? 128 + sp_train_stop_signal() : SP_EXIT_OK;
}

/* ---- the command */

/* An unknown option that names a config key ('--epochs', '--epohcs'):
 * point at the key, which goes in the CONFIG file (opt.h's SP_OPT_HINT). */
static const char *config_key_hint(const char *arg, char *buf, size_t size)
{
    char word[128];
    snprintf(word, sizeof word, "%s", arg + strspn(arg, "-"));
    for (char *p = word; *p; p++)
        if (*p == '-') *p = '_';
    const char *section = NULL, *key = sp_conf_find_key(word, &section);
    if (!key) snprintf(buf, size, "%s", "");
    else if (!strcmp(key, word))
        snprintf(buf, size, "; '%s' is a key of [%s] in the CONFIG file (sincprobe.conf(5)), not an option", key, section);
    else
        snprintf(buf, size, "; did you mean '%s', a key of [%s] in the CONFIG file (sincprobe.conf(5))?", key, section);
    return buf;
}

int cmd_train(int argc, char **argv)
{
    const char *dir = NULL;
    int quiet = 0;
    sp_train_opts o = { 0 };
    sp_opt opts[] = {
        SP_OPT_STRING("--dir", &dir),
        SP_OPT_STRING("--resume", &o.resume_dir),
        SP_OPT_INT("--epochs", &o.epochs, 1, 100000),
        SP_OPT_FLAG("--quiet", &quiet),
        /* for tests of resuming; not in the usage */
        SP_OPT_LONG("--stop-after-steps", &o.stop_after_steps, 1, 1L << 40),
        SP_OPT_HINT(config_key_hint),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    const char *config = nargs ? argv[1] : NULL;
    if (!config == !o.resume_dir) return sp_usage_error(usage, "give a CONFIG, or --resume RUNDIR");
    if (o.resume_dir && dir) return sp_usage_error(usage, "'--dir' does not go with '--resume'");
    if (o.epochs && !o.resume_dir)
        return sp_usage_error(usage, "'--epochs' goes with '--resume' (a new run takes [train] epochs from its CONFIG)");

    /* under mpirun: one rank of a data-parallel run (run/dist.h) */
    sp_dist_init(&argc, &argv);
    int rc = train(config, dir, quiet, &o);
    sp_dist_finalize();
    return rc;
}
