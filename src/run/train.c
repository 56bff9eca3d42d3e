/* train.c - see train.h. */
#include "config.h"
#include "run/train.h"
#include "nn/checkpoint.h"
#include "corpus/dataset.h"
#include "run/evaluate.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "corpus/phoneset.h"
#include "probe/probe_host.h"
#include "corpus/timit.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int sp_train_interrupted(void)
{
    return interrupted != 0;
}

/* ---- the run directory */

typedef struct {
    char *dir, *ckdir, *last, *best, *log, *conf;
} run_paths;

static void paths_make(run_paths *p, const char *dir)
{
    p->dir = sp_xstrdup(dir);
    p->ckdir = sp_path_join(dir, "checkpoints");
    p->last = sp_path_join(p->ckdir, "last.ckpt");
    p->best = sp_path_join(p->ckdir, "best.ckpt");
    p->log = sp_path_join(dir, "log.tsv");
    p->conf = sp_path_join(dir, "config.conf");
}

static void paths_free(run_paths *p)
{
    free(p->dir);
    free(p->ckdir);
    free(p->last);
    free(p->best);
    free(p->log);
    free(p->conf);
}

static const char LOG_HEADER[] = "epoch\tlr\ttrain_loss\ttrain_fer\tdev_loss\tdev_fer\tseconds\texamples_per_s\n";

/* log.tsv keeping only the header and the rows of epochs <= keep (a
 * resumed run rewrites what an interrupted epoch may have left). */
static int log_rewrite(const char *path, int keep, char *err)
{
    size_t len = 0;
    char *old = sp_is_file(path) ? sp_read_file(path, &len, err) : NULL;
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) {
        free(old);
        return -1;
    }
    fputs(LOG_HEADER, af.f);
    if (old) {
        char *save = NULL;
        int first = 1;
        for (char *line = strtok_r(old, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (first) {
                first = 0;
                continue;
            }
            if (atoi(line) >= 1 && atoi(line) <= keep) fprintf(af.f, "%s\n", line);
        }
        free(old);
    }
    return sp_atomic_commit(&af, err);
}

static int log_append(const char *path, const char *row, char *err)
{
    /* Append by rewriting atomically: a crash never leaves half a row. */
    size_t len = 0;
    char *old = sp_read_file(path, &len, err);
    if (!old) return -1;
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) {
        free(old);
        return -1;
    }
    fwrite(old, 1, len, af.f);
    fputs(row, af.f);
    free(old);
    return sp_atomic_commit(&af, err);
}

static int write_config(const char *path, const sp_conf *c, char *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    sp_conf_write(af.f, c);
    return sp_atomic_commit(&af, err);
}

/* ---- numerical trouble */

/* The first layer whose output or parameter gradient is not finite. */
static const char *first_bad_layer(const sp_model *m, int grads)
{
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        if (grads) {
            for (int j = 0; j < l->np; j++)
                for (size_t k = 0; k < l->p_len[j]; k++)
                    if (!isfinite(m->grads[l->p_off[j] + k])) return l->name;
        } else {
            size_t n = (size_t)m->B * l->out_n;
            for (size_t k = 0; k < n; k++)
                if (!isfinite(l->out[k])) return l->name;
        }
    }
    return NULL;
}

static int grads_finite(const sp_model *m)
{
    float s = 0;
    for (size_t i = 0; i < m->nparams; i++) s += m->grads[i] * 0.0f;
    return s == 0.0f; /* NaN * 0 and Inf * 0 are NaN */
}

/* ---- progress */

static void show_progress(int tty, int epoch, int epochs, int step, int steps, double loss, double exs, double eta)
{
    if (tty) {
        fprintf(stderr, "\repoch %d/%d  step %d/%d  loss %.4f  %.0f ex/s  eta %.0fs   ", epoch, epochs, step, steps,
                loss, exs, eta);
    } else {
        fprintf(stderr, "epoch %d/%d step %d/%d loss %.4f %.0f ex/s eta %.0fs\n", epoch, epochs, step, steps, loss,
                exs, eta);
    }
    fflush(stderr);
}

/* ---- the loop */

int sp_train(const sp_conf *cin, const sp_train_opts *o, char *err)
{
    int rc = -1;
    sp_conf c = *cin;
    sp_model m;
    sp_optim opt;
    sp_train_pos pos;
    sp_dataset train, dev;
    sp_phoneset ps;
    int have_model = 0, have_train = 0, have_dev = 0;
    int *targets = NULL;
    /* probe chain: the chain, and where each chunk of a batch came from */
    sp_probe_chain *chain = NULL;
    long *src_utt = NULL, *src_start = NULL;
    float *src_gain = NULL;
    run_paths rp;
    memset(&rp, 0, sizeof rp);
    memset(&train, 0, sizeof train);
    memset(&dev, 0, sizeof dev);

    if (sp_phoneset_load_default(&ps, err) != 0) return -1;
    if (o->resume_dir) {
        paths_make(&rp, o->resume_dir);
        if (!sp_is_file(rp.last)) {
            sp_fail(err, "cannot resume '%s': no checkpoint '%s'", o->resume_dir, rp.last);
            goto out;
        }
        if (sp_checkpoint_load(rp.last, &m, 1, NULL, NULL, err) != 0) goto out;
        c = m.conf;
        sp_model_free(&m);
        snprintf(c.dir, sizeof c.dir, "%s", o->resume_dir);
    } else {
        paths_make(&rp, c.dir);
        if (sp_is_file(rp.last)) {
            sp_fail(err, "run directory '%s' already holds a run; continue it with --resume '%s' or set another [run] dir",
                    c.dir, c.dir);
            goto out;
        }
    }

    /* ---- probe chain (begin): resolve and create before anything is
     * loaded or written; c then carries every option's value. */
    {
        sp_diag pd;
        sp_diag_init(&pd, 0);
        chain = sp_probe_chain_from_conf(&c, &pd);
        int bad = !chain ? sp_probe_diag_fail(&pd, err) : 0;
        sp_diag_free(&pd);
        if (bad || sp_probe_chain_store(chain, &c, err) != 0) goto out;
        char *probes_dir = sp_path_join(rp.dir, "probes");
        int crc = sp_probe_chain_create(chain, SP_PROBE_MODE_TRAIN, probes_dir, (uint64_t)c.seed, err);
        free(probes_dir);
        if (crc != 0) goto out;
    }
    /* ---- probe chain (end) */
    sp_set_threads(c.threads);

    /* Data. */
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = stderr;
    fprintf(stderr, "loading %s split of '%s'\n", c.train_split, c.corpus);
    int rc_train = sp_dataset_load(&train, c.corpus, sp_split_parse(c.train_split), c.include_sa, (size_t)c.train_utterances, &ps,
                                   &d, err);
    if (rc_train != 0) {
        sp_diag_free(&d);
        goto out;
    }
    have_train = 1;
    int rc_dev = sp_dataset_load(&dev, c.corpus, sp_split_parse(c.dev_split), c.include_sa, (size_t)c.dev_utterances,
                                 &ps, &d, err);
    sp_diag_free(&d);
    if (rc_dev != 0) goto out;
    have_dev = 1;
    fprintf(stderr, "train: %zu utterances, %.2f h, %ld frames; dev (%s): %zu utterances, %ld frames\n", train.n,
            (double)train.samples / SP_SAMPLE_RATE / 3600.0, train.frames, c.dev_split, dev.n, dev.frames);

    /* Model, optimizer, position. */
    if (o->resume_dir) {
        if (sp_checkpoint_load(rp.last, &m, c.batch, &opt, &pos, err) != 0) goto out;
        have_model = 1;
        fprintf(stderr, "resuming '%s' at epoch %d, step %d\n", rp.dir, pos.epoch + 1, pos.step);
    } else {
        if (sp_model_init(&m, &c, c.batch, err) != 0) goto out;
        have_model = 1;
        if (sp_optim_init(&opt, &c, m.nparams, err) != 0) goto out;
        memset(&pos, 0, sizeof pos);
        pos.lr = c.lr;
        pos.best_dev_fer = 2.0;
        sp_rng_seed(&pos.sampler, (uint64_t)c.seed, 3);
        pos.dropout = m.dropout_rng;
        if (sp_mkdirs(rp.ckdir, err) != 0) goto out;
        if (write_config(rp.conf, &c, err) != 0) goto out;
    }
    fprintf(stderr, "model: %s, %zu parameters, %.2f per training frame; batch %d, %s lr %g, %d threads\n", c.preset,
            m.nparams, (double)m.nparams / (double)(train.frames ? train.frames : 1), c.batch, c.optimizer, pos.lr,
            c.threads);
    if (log_rewrite(rp.log, pos.epoch, err) != 0) goto out;

    targets = sp_xmalloc((size_t)c.batch * sizeof *targets);
    src_utt = sp_xmalloc((size_t)c.batch * sizeof *src_utt);
    src_start = sp_xmalloc((size_t)c.batch * sizeof *src_start);
    src_gain = sp_xmalloc((size_t)c.batch * sizeof *src_gain);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int tty = !o->quiet && isatty(fileno(stderr));
    long steps_done = 0;
    {
        sp_probe_start ps_start = {
            .run_dir = rp.dir, .model = &m, .data = { &train, &dev, NULL },
            .split = { c.train_split, c.dev_split, NULL }, .ps = &ps, .epochs = c.epochs,
            .steps_per_epoch = c.steps_per_epoch, .epochs_done = pos.epoch, .steps_done = pos.global_step,
            .resumed = o->resume_dir != NULL,
        };
        if (sp_probe_chain_start(chain, &ps_start, err) != 0) goto stop;
    }
    while (pos.epoch < c.epochs) {
        int epoch = pos.epoch + 1;
        double t0 = sp_now(), tlast = t0;
        int step0 = pos.step;
        opt.lr = pos.lr;
        while (pos.step < c.steps_per_epoch) {
            for (int b = 0; b < c.batch; b++)
                targets[b] = sp_dataset_sample_at(&train, &pos.sampler, m.T, c.gain_jitter, m.input + (size_t)b * m.T,
                                                  &src_utt[b], &src_start[b], &src_gain[b]);
            if (sp_probe_chain_train_batch(chain, m.input, targets, c.batch, src_utt, src_start, src_gain,
                                           pos.global_step, epoch, err) != 0)
                goto stop;
            sp_model_forward(&m, c.batch, 1);
            double loss = sp_model_loss(&m, targets, c.batch);
            if (!isfinite(loss)) {
                const char *bad = first_bad_layer(&m, 0);
                sp_fail(err, "loss is %s at step %ld (epoch %d): the output of layer '%s' is not finite",
                        isnan(loss) ? "NaN" : "Inf", pos.global_step + 1, epoch, bad ? bad : "out");
                goto stop;
            }
            sp_model_backward(&m, targets);
            if (!grads_finite(&m)) {
                const char *bad = first_bad_layer(&m, 1);
                sp_fail(err, "a gradient is not finite at step %ld (epoch %d), in layer '%s'", pos.global_step + 1,
                        epoch, bad ? bad : "?");
                goto stop;
            }
            if (sp_probe_chain_gradients(chain, pos.global_step, epoch, c.batch, loss, err) != 0) goto stop;
            sp_optim_step(&opt, m.params, m.grads);
            for (int b = 0; b < c.batch; b++)
                if (sp_argmax(m.logp + (size_t)b * SP_NCLASSES, SP_NCLASSES) == targets[b]) pos.correct++;
            pos.count += c.batch;
            pos.loss_sum += loss;
            pos.step++;
            pos.global_step++;
            steps_done++;
            if (pos.step < c.steps_per_epoch &&
                sp_probe_chain_step_done(chain, pos.global_step, epoch, opt.lr, err) != 0)
                goto stop;
            double now = sp_now();
            if (!o->quiet && (now - tlast > (tty ? 0.5 : 30.0) || pos.step == c.steps_per_epoch)) {
                tlast = now;
                double exs = (double)(pos.step - step0) * c.batch / (now - t0);
                show_progress(tty, epoch, c.epochs, pos.step, c.steps_per_epoch, pos.loss_sum / pos.step, exs,
                              (double)(c.steps_per_epoch - pos.step) * c.batch / exs);
            }
            if (interrupted || (o->stop_after_steps && steps_done >= o->stop_after_steps)) {
                interrupted = 1;
                pos.dropout = m.dropout_rng;
                pos.elapsed += sp_now() - t0;
                if (tty) fputc('\n', stderr);
                if (sp_checkpoint_save(rp.last, &m, &opt, &pos, err) != 0) goto stop;
                fprintf(stderr, "interrupted at epoch %d, step %d: saved '%s'; continue with 'sincprobe train --resume %s'\n",
                        epoch, pos.step, rp.last, rp.dir);
                rc = 0;
                goto stop;
            }
        }
        if (tty) fputc('\n', stderr);
        double train_seconds = sp_now() - t0;
        double exs = (double)(pos.step - step0) * c.batch / train_seconds;

        /* End of epoch: dev evaluation, log row, lr schedule, checkpoints. */
        sp_eval_result ev;
        sp_probe_chain_eval_begin(chain, SP_PROBE_DEV, epoch);
        if (sp_evaluate_with(&m, &dev, sp_probe_chain_eval_batch, chain, NULL, NULL, o->quiet ? NULL : "dev", &ev) != 0) {
            sp_fail(err, "%s", sp_probe_chain_error(chain));
            goto stop;
        }
        double seconds = sp_now() - t0;
        double train_loss = pos.loss_sum / pos.step, train_fer = 1.0 - (double)pos.correct / (double)pos.count;
        char row[512];
        snprintf(row, sizeof row, "%d\t%.6g\t%.6f\t%.6f\t%.6f\t%.6f\t%.1f\t%.1f\n", epoch, pos.lr, train_loss,
                 train_fer, ev.loss, ev.fer, seconds, exs);
        fprintf(stderr, "epoch %d: lr %g  train loss %.4f fer %.4f  dev loss %.4f fer %.4f  %.0fs\n", epoch, pos.lr,
                train_loss, train_fer, ev.loss, ev.fer, seconds);
        if (log_append(rp.log, row, err) != 0) goto stop;
        sp_probe_epoch_stats pst = { epoch, pos.global_step, pos.lr, train_loss, train_fer, ev.loss, ev.fer };
        if (sp_probe_chain_epoch_end(chain, &pst, err) != 0) goto stop;
        int improved = ev.fer < pos.best_dev_fer;
        if (c.lr_halving && pos.best_dev_fer <= 1.0 &&
            (pos.best_dev_fer - ev.fer) / pos.best_dev_fer < c.lr_halving_threshold)
            pos.lr /= 2;
        if (improved) {
            pos.best_dev_fer = ev.fer;
            pos.best_epoch = epoch;
        }
        pos.epoch = epoch;
        pos.step = 0;
        pos.loss_sum = 0;
        pos.correct = pos.count = 0;
        pos.elapsed += seconds;
        pos.dropout = m.dropout_rng;
        if (sp_checkpoint_save(rp.last, &m, &opt, &pos, err) != 0) goto stop;
        if (improved && sp_checkpoint_save(rp.best, &m, &opt, &pos, err) != 0) goto stop;
    }
    fprintf(stderr, "done: best dev FER %.4f at epoch %d; run directory '%s'\n", pos.best_dev_fer, pos.best_epoch,
            rp.dir);
    rc = 0;
stop:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    {
        sp_probe_status st = rc != 0 ? SP_PROBE_FAILED : interrupted ? SP_PROBE_INTERRUPTED : SP_PROBE_COMPLETED;
        char ferr[SP_ERRLEN];
        if (sp_probe_chain_finish(chain, st, pos.epoch, pos.global_step, ferr) != 0) {
            if (rc == 0) snprintf(err, SP_ERRLEN, "%s", ferr);
            else fprintf(stderr, "sincprobe: %s\n", ferr);
            rc = -1;
        }
    }
    if (rc == 0 && o->run_dir_out) snprintf(o->run_dir_out, o->run_dir_size, "%s", rp.dir);
out:
    sp_probe_chain_free(chain);
    free(src_utt);
    free(src_start);
    free(src_gain);
    free(targets);
    if (have_model) {
        sp_model_free(&m);
        sp_optim_free(&opt);
    }
    if (have_train) sp_dataset_free(&train);
    if (have_dev) sp_dataset_free(&dev);
    paths_free(&rp);
    return rc;
}
