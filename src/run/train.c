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
#include "run/rundir.h"
#include "nn/modelio.h"
#include "decode/phonedecoder.h"
#include "run/dist.h"
#include "run/shardstep.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* interrupted: stop at the next step's end (a signal, or stop_after_steps);
 * stop_signal: the signal that asked for it; signals: how many arrived.
 * The first signal is acknowledged through signal_ack and lets the run
 * save its position; the second ends the process at once, as the
 * signal's default action would, without saving (exit status 128 + sig). */
static volatile sig_atomic_t interrupted, stop_signal, signals;
static void (*signal_ack)(int sig, int count);

static void on_signal(int sig)
{
    signals++;
    interrupted = 1;
    stop_signal = sig;
    if (signal_ack) signal_ack(sig, signals);
    if (signals >= 2) _exit(128 + sig);
}

int sp_train_interrupted(void)
{
    return interrupted != 0;
}

int sp_train_stop_signal(void)
{
    return stop_signal;
}

/* ---- the run directory */

typedef struct {
    char *dir, *ckdir, *last, *best, *log, *conf, *steps;
} run_paths;

static void paths_make(run_paths *p, const char *dir)
{
    p->dir = sp_xstrdup(dir);
    p->ckdir = sp_path_join(dir, "checkpoints");
    p->last = sp_path_join(p->ckdir, "last.ckpt");
    p->best = sp_path_join(p->ckdir, "best.ckpt");
    p->log = sp_path_join(dir, "log.tsv");
    p->conf = sp_path_join(dir, "config.conf");
    p->steps = sp_path_join(dir, "steps.tsv");
}

static void paths_free(run_paths *p)
{
    free(p->dir);
    free(p->ckdir);
    free(p->last);
    free(p->best);
    free(p->log);
    free(p->conf);
    free(p->steps);
}

/* ranks is last so that the columns before it keep their indices (it came later). */
static const char LOG_HEADER[] = "epoch\tlr\ttrain_loss\ttrain_fer\tdev_loss\tdev_fer\tseconds\texamples_per_s\tranks\n";
static const char STEPS_HEADER[] = "step\tepoch\tloss\tlr\tseconds\n";

/* Whether a row [line, eol) of a TSV file survives a resume: its first
 * column is a number in 1..keep (a header or blank line is not), and with
 * fields > 0 it has exactly that many columns and ends in a newline
 * (complete: a kill may have cut the last row short); with fields = 0 the
 * width is not checked and a last row without its newline is kept. */
static int row_kept(const char *line, const char *eol, int complete, long keep, int fields)
{
    if (fields > 0) {
        int tabs = 0;
        for (const char *q = line; q < eol; q++) tabs += *q == '\t';
        if (!complete || tabs != fields - 1) return 0;
    }
    char *end;
    long v = strtol(line, &end, 10);
    return end <= eol && v >= 1 && v <= keep; /* end past eol: a number read from a later row */
}

/* Rewrite the TSV file at path atomically as header followed by the rows
 * of the old file that row_kept passes, each ending in a newline: a resumed
 * run drops what it will write again (rows past its checkpoint), so none
 * appears twice, and what an interrupted run may have left half written. */
static int tsv_rewrite(const char *path, const char *header, long keep, int fields, sp_error *err)
{
    size_t len = 0;
    char *old = sp_is_file(path) ? sp_read_file(path, &len, err) : NULL;
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) {
        free(old);
        return -1;
    }
    fputs(header, af.f);
    const char *end = old ? old + len : NULL;
    for (const char *line = old, *next; old && line < end; line = next) {
        const char *nl = memchr(line, '\n', (size_t)(end - line)), *eol = nl ? nl : end;
        next = nl ? nl + 1 : end;
        if (!row_kept(line, eol, nl != NULL, keep, fields)) continue;
        fwrite(line, 1, (size_t)(eol - line), af.f);
        fputc('\n', af.f);
    }
    free(old);
    return sp_atomic_commit(&af, err);
}

static int log_append(const char *path, const char *row, sp_error *err)
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

static int write_config(const char *path, const sp_conf *c, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    sp_conf_write(af.f, c);
    return sp_atomic_commit(&af, err);
}

/* 1 when the line at p (ending before end) sets key: "key" [blanks] "=". */
static int key_is(const char *p, const char *end, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(p, key, n) != 0) return 0;
    const char *eq = p + n + strspn(p + n, " \t");
    return eq < end && *eq == '=';
}

/* config.conf with [train] epochs and ranks set to c's (a run extended
 * by --epochs, resumed on another number of ranks), every other line as
 * it was; a run from before the ranks key gets it after epochs. A run
 * without config.conf gets c written. */
static int config_update(const char *path, const sp_conf *c, sp_error *err)
{
    if (!sp_is_file(path)) return write_config(path, c, err);
    size_t len = 0;
    char *old = sp_read_file(path, &len, err);
    if (!old) return -1;
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) {
        free(old);
        return -1;
    }
    int in_train = 0, had_ranks = strstr(old, "\nranks") != NULL;
    for (char *line = old, *next; line < old + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(old + len - line));
        next = nl ? nl + 1 : old + len;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '[') in_train = !strncmp(p, "[train]", 7);
        if (in_train && key_is(p, next, "epochs")) {
            fprintf(af.f, "epochs = %d\n", c->epochs);
            if (!had_ranks) fprintf(af.f, "ranks = %d\n", c->ranks);
        } else if (in_train && key_is(p, next, "ranks")) {
            fprintf(af.f, "ranks = %d\n", c->ranks);
        } else {
            fwrite(line, 1, (size_t)(next - line), af.f);
        }
    }
    free(old);
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

/* ---- one run: what it holds, from open to close */

typedef struct {
    const sp_train_opts *o;
    sp_conf c;
    sp_model m;
    sp_optim opt;
    sp_train_pos pos;
    sp_dataset train, dev;
    sp_phoneset ps;
    int have_model, have_train, have_dev;
    int *targets;                     /* [batch] */
    /* probe chain: the chain, and where each chunk of a batch came from */
    sp_probe_chain *chain;
    long *src_utt, *src_start;        /* [batch] */
    float *src_gain;                  /* [batch] */
    run_paths rp;
    int started;                      /* signal handlers set: close restores them and finishes the chain */
    int opened;                       /* run_open succeeded: the first step may have run */
    int lock_fd, created_dir;         /* the run directory's lock (-1: none); made by this run */
    struct sigaction old_int, old_term;
    long steps_done;                  /* by this process */
    FILE *steps_f;                    /* steps.tsv, appended every log_every steps; NULL: none */
    double step_loss;                 /* the last step's batch loss */
    /* data parallel (run/dist.h): this process's rank of nranks; the
     * batch in K shards, K / nranks of them on each rank (sharded: K > 1
     * or nranks > 1, else the single-process step of old) */
    int rank, nranks, sharded;
    int bcast_batch;                  /* rank 0's probes rewrite batches: it sends them */
    int stop_agreed;                  /* sharded: some rank was asked to stop at the last step */
    float *batch_in;                  /* [batch][T]: the global batch */
    sp_shard_step shard;              /* sharded: the step's gradient (run/shardstep.h) */
} train_run;

/* Fill in what every event carries and hand it to the caller. */
static void report(const train_run *r, sp_train_event *ev)
{
    if (!r->o->on_event) return;
    ev->conf = &r->c;
    ev->run_dir = r->rp.dir;
    ev->train = r->have_train ? &r->train : NULL;
    ev->dev = r->have_dev ? &r->dev : NULL;
    r->o->on_event(r->o->event_ctx, ev);
}

static void report_kind(const train_run *r, sp_train_event_kind kind)
{
    sp_train_event ev = { .kind = kind };
    report(r, &ev);
}

static void report_note(const train_run *r, const char *message)
{
    sp_train_event ev = { .kind = SP_TRAIN_NOTE, .message = message };
    report(r, &ev);
}

/* Lock the run directory against a second training, remove what killed
 * writes left and, resuming, make best.ckpt agree with last.ckpt. */
static int guard_dir(train_run *r, sp_error *err)
{
    r->lock_fd = sp_rundir_lock(r->rp.dir, &r->created_dir, err);
    if (r->lock_fd < 0) return -1;
    char msg[4400];
    int n = sp_rundir_remove_tmp(r->rp.dir);
    if (n > 0) {
        snprintf(msg, sizeof msg, "removed %d temporary file%s left by an interrupted write in '%s'", n,
                 n == 1 ? "" : "s", r->rp.dir);
        report_note(r, msg);
    }
    if (!r->o->resume_dir || !sp_is_file(r->rp.last)) return 0;
    int rc = sp_rundir_repair_best(r->rp.last, r->rp.best, err);
    if (rc == 1) {
        snprintf(msg, sizeof msg, "'%s' was stale (stopped between the checkpoint writes): rebuilt from '%s'",
                 r->rp.best, r->rp.last);
        report_note(r, msg);
    }
    return rc < 0 ? -1 : 0;
}

/* The config (a resumed run's from its last checkpoint) and the run
 * directory's paths, locked; a new run refuses a directory that holds one. */
static int open_dir(train_run *r, const sp_conf *cin, sp_error *err)
{
    const sp_train_opts *o = r->o;
    r->c = *cin;
    paths_make(&r->rp, o->resume_dir ? o->resume_dir : r->c.dir);
    r->c.ranks = r->nranks;
    if (o->resume_dir && !sp_is_dir(o->resume_dir))
        return sp_fail(err, "cannot resume '%s': no such directory", o->resume_dir);
    /* rank 0 owns the run directory; the others only read the checkpoint */
    if (r->rank == 0 && guard_dir(r, err) != 0) return -1;
    if (!o->resume_dir) {
        if (r->rank > 0) return 0;
        if (sp_is_file(r->rp.last))
            return sp_fail(err,
                           "run directory '%s' already holds a run; continue it with --resume '%s' or set another [run] dir",
                           r->c.dir, r->c.dir);
        return 0;
    }
    if (!sp_is_file(r->rp.last))
        return sp_fail(err, "cannot resume '%s': no checkpoint '%s'", o->resume_dir, r->rp.last);
    sp_model m;
    sp_train_pos pos;
    if (sp_checkpoint_load(r->rp.last, &m, 1, NULL, &pos, err) != 0) return -1;
    r->c = m.conf;
    sp_model_free(&m);
    snprintf(r->c.dir, sizeof r->c.dir, "%s", o->resume_dir);
    r->c.ranks = r->nranks;
    if (o->epochs && o->epochs <= pos.epoch)
        return sp_fail(err, "cannot train '%s' to %d epochs: it has done %d; give --epochs more than %d", o->resume_dir,
                       o->epochs, pos.epoch, pos.epoch);
    if (o->epochs) r->c.epochs = o->epochs;
    return 0;
}

/* ---- probe chain (begin): resolve and create before anything is
 * loaded or written; c then carries every option's value. */

/* The layers options against the network c describes (a model for a
 * batch of 1, made and dropped: only its layer names count). */
static int check_layers(const train_run *r, sp_error *err)
{
    if (!sp_probe_chain_size(r->chain)) return 0;
    sp_model m;
    if (sp_model_init(&m, &r->c, 1, err) != 0) return -1;
    int rc = sp_probe_chain_check_layers(r->chain, &m, err);
    sp_model_free(&m);
    return rc;
}

static int open_probes(train_run *r, sp_error *err)
{
    if (r->rank > 0) return 0; /* the chain runs once, on rank 0 */
    sp_diag pd;
    sp_diag_init(&pd, 0);
    r->chain = sp_probe_chain_from_conf(&r->c, &pd);
    int bad = !r->chain ? sp_probe_diag_fail(&pd, err) : 0;
    sp_diag_free(&pd);
    if (!bad && check_layers(r, err) != 0) bad = -1;
    if (!bad && sp_probe_chain_store(r->chain, &r->c, err) != 0) bad = -1;
    char *probes_dir = sp_path_join(r->rp.dir, "probes");
    if (!bad) bad = sp_probe_chain_create(r->chain, SP_PROBE_MODE_TRAIN, probes_dir, (uint64_t)r->c.seed, err);
    free(probes_dir);
    /* a resumed run's sections were accepted once: refused now, a probe changed, not the config */
    if (bad && r->o->config_refused && !r->o->resume_dir) *r->o->config_refused = 1;
    return bad ? -1 : 0;
}
/* ---- probe chain (end) */

/* The train and dev sets. */
static int open_data(train_run *r, sp_error *err)
{
    const sp_conf *c = &r->c;
    /* a corpus a config named: the message points at its line */
    if (c->corpus_at[0] && !sp_is_dir(c->corpus)) {
        struct stat st;
        return sp_fail(err, "%s: [data] corpus: '%s' %s", c->corpus_at, c->corpus,
                       stat(c->corpus, &st) != 0 ? "does not exist" : "is not a directory");
    }
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    report_kind(r, SP_TRAIN_LOADING);
    int rc = sp_dataset_load(&r->train, c->corpus, sp_split_parse(c->train_split), c->include_sa,
                             (size_t)c->train_utterances, &r->ps, &d, err);
    if (rc == 0) {
        r->have_train = 1;
        rc = sp_dataset_load(&r->dev, c->corpus, sp_split_parse(c->dev_split), c->include_sa,
                             (size_t)c->dev_utterances, &r->ps, &d, err);
        if (rc == 0) r->have_dev = 1;
    }
    sp_diag_free(&d);
    if (rc != 0) return -1;
    report_kind(r, SP_TRAIN_DATA);
    return 0;
}

/* [train] init_from: the weights of another model (an export .npz, a
 * checkpoint, or a run directory: its best checkpoint, else its last) in
 * place of the initialisation, tensor by tensor; names and shapes must be
 * this config's (nn/modelio.h names every one that is not). */
static int init_from(train_run *r, sp_error *err)
{
    const char *from = r->c.init_from;
    int rc;
    if (sp_endswith_ci(from, ".npz")) {
        rc = sp_model_load_npz(&r->m, from, err);
    } else {
        char *rundir = NULL, *ckpt = sp_resolve_model(from, &rundir, err);
        free(rundir);
        if (!ckpt) return sp_error_prefix(err, "[train] init_from: ");
        sp_model src;
        rc = sp_checkpoint_load(ckpt, &src, 1, NULL, NULL, err);
        if (rc == 0) {
            rc = sp_model_copy_tensors(&r->m, &src, ckpt, err);
            sp_model_free(&src);
        }
        free(ckpt);
    }
    return rc != 0 ? sp_error_prefix(err, "[train] init_from: ") : 0;
}

/* Model, optimizer and position: a resumed run's from its last
 * checkpoint; a new run's fresh, with its directory and config.conf. */
static int open_model(train_run *r, sp_error *err)
{
    const sp_conf *c = &r->c;
    sp_train_pos *pos = &r->pos;
    if (r->o->resume_dir) {
        if (sp_checkpoint_load(r->rp.last, &r->m, c->batch, &r->opt, pos, err) != 0) return -1;
        r->have_model = 1;
        int was = r->m.conf.epochs;
        if (was != c->epochs || r->m.conf.ranks != c->ranks) {
            /* extended (or shortened) by --epochs, or resumed on another
             * number of ranks: the checkpoints and config.conf from now
             * on record the new total and ranks */
            r->m.conf.epochs = c->epochs;
            r->m.conf.ranks = c->ranks;
            if (r->rank == 0 && config_update(r->rp.conf, &r->m.conf, err) != 0) return -1;
        }
        sp_train_event ev = { .kind = SP_TRAIN_RESUMING, .resuming = { pos->epoch + 1, pos->step, c->epochs, was } };
        report(r, &ev);
    } else {
        if (sp_model_init(&r->m, c, c->batch, err) != 0) return -1;
        r->have_model = 1;
        if (c->init_from[0] && init_from(r, err) != 0) return -1;
        if (sp_optim_init(&r->opt, c, &r->m, err) != 0) return -1;
        sp_train_pos_fresh(pos, &r->m);
        if (r->rank == 0 && (sp_mkdirs(r->rp.ckdir, err) != 0 || write_config(r->rp.conf, c, err) != 0)) return -1;
    }
    const char *from = !r->o->resume_dir && c->init_from[0] ? c->init_from : NULL;
    sp_train_event ev = { .kind = SP_TRAIN_MODEL, .model = { r->m.nparams, pos->lr, from } };
    report(r, &ev);
    return 0;
}

/* ---- data parallel: the shards of a batch and the ranks' agreement */

/* K = [train] shards (0: one per rank); each rank takes K / N of them.
 * With K = 1 on one rank the step is the single-process one of old. */
static int open_shards(train_run *r, sp_error *err)
{
    const sp_conf *c = &r->c;
    int N = r->nranks, K = c->shards ? c->shards : N;
    if (K % N != 0)
        return sp_fail(err, "[train] shards = %d cannot be shared by %d ranks: give a multiple of %d (or 0, one per rank)",
                       K, N, N);
    if (c->batch % K != 0)
        return sp_fail(err, "[train] batch = %d cannot be cut in %d equal shards (%s): give a multiple of %d", c->batch,
                       K, c->shards ? "[train] shards" : "one per rank", K);
    if (K / N > SP_SHARD_MAX_PER)
        return sp_fail(err, "[train] shards = %d makes %d per rank: at most %d", K, K / N, SP_SHARD_MAX_PER);
    r->sharded = K > 1 || N > 1;
    int nprobes = sp_probe_chain_size(r->chain);
    sp_dist_bcast(&nprobes, sizeof nprobes, 0);
    r->bcast_batch = N > 1 && nprobes > 0;
    if (!r->sharded) return 0;
    r->batch_in = sp_xmalloc((size_t)c->batch * (size_t)r->m.T * sizeof *r->batch_in);
    sp_shard_init(&r->shard, &r->m, c->batch, K, c->overlap, (uint64_t)c->seed, sp_train_interrupted);
    return 0;
}

/* Every rank's CRC-32 of its parameters and state against rank 0's: the
 * ranks must hold the same model (they step the same sums); a difference
 * is a bug or a broken node, and the run stops (when: "after epoch 3"). */
static int ranks_agree(train_run *r, const char *when, sp_error *err)
{
    if (r->nranks < 2) return 0;
    uint32_t crc = sp_crc32(0, r->m.params, r->m.nparams * sizeof *r->m.params);
    crc = sp_crc32(crc, r->m.state, r->m.nstate * sizeof *r->m.state);
    uint32_t *all = sp_xmalloc((size_t)r->nranks * sizeof *all);
    sp_dist_allgather(&crc, all, sizeof crc);
    int bad = 0;
    for (int k = 1; k < r->nranks && !bad; k++)
        if (all[k] != all[0]) bad = k;
    uint32_t c0 = all[0], ck = all[bad];
    free(all);
    if (!bad) return 0;
    return sp_fail(err, "ranks disagree %s: rank %d's parameters have CRC-32 %08x, rank 0's %08x; stopping the job",
                   when, bad, (unsigned)ck, (unsigned)c0);
}

/* Open a run: everything up to the first step. -1 with err; a run that
 * got as far as its signal handlers is then still closed by run_close. */
static int run_open(train_run *r, const sp_conf *cin, sp_error *err)
{
    if (sp_phoneset_load_default(&r->ps, err) != 0) return -1;
    if (open_dir(r, cin, err) != 0 || open_probes(r, err) != 0) return -1;
    sp_set_threads(r->c.threads);
    if (open_data(r, err) != 0 || open_model(r, err) != 0) return -1;
    /* log.tsv: any width (older runs' rows lack ranks), rows are appended whole */
    if (r->rank == 0 && tsv_rewrite(r->rp.log, LOG_HEADER, r->pos.epoch, 0, err) != 0) return -1;
    if (r->rank == 0 && r->c.log_every > 0) {
        if (tsv_rewrite(r->rp.steps, STEPS_HEADER, r->pos.global_step, 5, err) != 0) return -1;
        r->steps_f = fopen(r->rp.steps, "a");
        if (!r->steps_f) return sp_fail(err, "cannot open '%s': %s", r->rp.steps, strerror(errno));
    }

    int B = r->c.batch;
    r->targets = sp_xmalloc((size_t)B * sizeof *r->targets);
    r->src_utt = sp_xmalloc((size_t)B * sizeof *r->src_utt);
    r->src_start = sp_xmalloc((size_t)B * sizeof *r->src_start);
    r->src_gain = sp_xmalloc((size_t)B * sizeof *r->src_gain);
    if (open_shards(r, err) != 0 || ranks_agree(r, "at the start", err) != 0) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted = stop_signal = signals = 0;
    signal_ack = r->o->signal_ack;
    sigaction(SIGINT, &sa, &r->old_int);
    sigaction(SIGTERM, &sa, &r->old_term);
    r->started = 1;

    sp_probe_start ps_start = {
        .run_dir = r->rp.dir, .model = &r->m, .data = { &r->train, &r->dev, NULL },
        .split = { r->c.train_split, r->c.dev_split, NULL }, .ps = &r->ps, .epochs = r->c.epochs,
        .steps_per_epoch = r->c.steps_per_epoch, .epochs_done = r->pos.epoch, .steps_done = r->pos.global_step,
        .resumed = r->o->resume_dir != NULL,
    };
    if (sp_probe_chain_start(r->chain, &ps_start, err) == 0) return 0;
    /* a probe that refused an option's value in on_start (one it can
     * check only against the run) refuses the config, as create does */
    if (sp_probe_chain_refused(r->chain) && r->o->config_refused && !r->o->resume_dir) *r->o->config_refused = 1;
    return -1;
}

/* ---- one step: a batch of random chunks, forward, backward, update */

/* After the optimiser step: the epoch's sums, the counters, the probes. */
static int step_done(train_run *r, int epoch, double loss, sp_error *err)
{
    sp_train_pos *pos = &r->pos;
    pos->count += r->c.batch;
    pos->loss_sum += loss;
    pos->step++;
    pos->global_step++;
    r->steps_done++;
    if (pos->step < r->c.steps_per_epoch &&
        sp_probe_chain_step_done(r->chain, pos->global_step, epoch, r->opt.lr, err) != 0)
        return -1;
    return 0;
}

static int train_step(train_run *r, int epoch, sp_error *err)
{
    const sp_conf *c = &r->c;
    sp_model *m = &r->m;
    sp_train_pos *pos = &r->pos;
    for (int b = 0; b < c->batch; b++)
        r->targets[b] = sp_dataset_sample_at(&r->train, &pos->sampler, m->T, c->gain_jitter, m->input + (size_t)b * m->T,
                                             &r->src_utt[b], &r->src_start[b], &r->src_gain[b]);
    if (sp_probe_chain_train_batch(r->chain, m->input, r->targets, c->batch, r->src_utt, r->src_start, r->src_gain,
                                   pos->global_step, epoch, err) != 0)
        return -1;
    sp_model_forward(m, c->batch, 1);
    double loss = sp_model_loss(m, r->targets, c->batch);
    r->step_loss = loss;
    if (!isfinite(loss)) {
        const char *bad = first_bad_layer(m, 0);
        return sp_fail(err, "loss is %s at step %ld (epoch %d): the output of layer '%s' is not finite",
                       isnan(loss) ? "NaN" : "Inf", pos->global_step + 1, epoch, bad ? bad : "out");
    }
    sp_model_backward(m, r->targets);
    if (!grads_finite(m)) {
        const char *bad = first_bad_layer(m, 1);
        return sp_fail(err, "a gradient is not finite at step %ld (epoch %d), in layer '%s'", pos->global_step + 1,
                       epoch, bad ? bad : "?");
    }
    if (sp_probe_chain_gradients(r->chain, pos->global_step, epoch, c->batch, loss, err) != 0) return -1;
    sp_optim_step(&r->opt, m->params, m->grads);
    for (int b = 0; b < c->batch; b++)
        if (sp_argmax(m->logp + (size_t)b * SP_NCLASSES, SP_NCLASSES) == r->targets[b]) pos->correct++;
    return step_done(r, epoch, loss, err);
}

/* A step over shards: every rank draws the same global batch (the same
 * sampler from the same seed), rank 0's probes may rewrite it and send it
 * to the others, each rank computes its shards, the sums are taken in a
 * fixed order (run/shardstep.h), and every rank makes the same optimiser
 * step. */
static int train_step_sharded(train_run *r, int epoch, sp_error *err)
{
    const sp_conf *c = &r->c;
    sp_model *m = &r->m;
    sp_train_pos *pos = &r->pos;
    for (int b = 0; b < c->batch; b++)
        r->targets[b] = sp_dataset_sample_at(&r->train, &pos->sampler, m->T, c->gain_jitter,
                                             r->batch_in + (size_t)b * m->T, &r->src_utt[b], &r->src_start[b],
                                             &r->src_gain[b]);
    if (sp_probe_chain_train_batch(r->chain, r->batch_in, r->targets, c->batch, r->src_utt, r->src_start,
                                   r->src_gain, pos->global_step, epoch, err) != 0)
        return -1;
    if (r->bcast_batch) {
        sp_dist_bcast(r->batch_in, (size_t)c->batch * m->T * sizeof *r->batch_in, 0);
        sp_dist_bcast(r->targets, (size_t)c->batch * sizeof *r->targets, 0);
    }
    sp_shard_result res;
    if (sp_shard_gradient(&r->shard, r->batch_in, r->targets, pos->global_step, &res, NULL) != 0) {
        const char *bad = first_bad_layer(m, 0); /* the job ends (sp_dist_abort) */
        return sp_fail(err, "loss is %s at step %ld (epoch %d, shard %d): the output of layer '%s' is not finite",
                       isnan(res.loss) ? "NaN" : "Inf", pos->global_step + 1, epoch, res.bad_shard, bad ? bad : "out");
    }
    r->stop_agreed = res.stop;
    double loss = res.loss;
    r->step_loss = loss;
    if (!grads_finite(m)) {
        const char *bad = first_bad_layer(m, 1);
        return sp_fail(err, "a gradient is not finite at step %ld (epoch %d), in layer '%s'", pos->global_step + 1,
                       epoch, bad ? bad : "?");
    }
    if (sp_probe_chain_gradients(r->chain, pos->global_step, epoch, c->batch, loss, err) != 0) return -1;
    sp_optim_step(&r->opt, m->params, m->grads);
    pos->correct += res.correct;
    return step_done(r, epoch, loss, err);
}


/* A row of steps.tsv after every log_every-th step (of the whole run, so
 * a resumed run writes the rows an uninterrupted one would): the step,
 * its epoch, its batch's loss, the learning rate and the run's seconds so
 * far (those of earlier processes included). Flushed at once, so that a
 * reader follows the run; a row cut by a kill is dropped on resume. */
static int log_step(train_run *r, int epoch, double t0, sp_error *err)
{
    const sp_train_pos *pos = &r->pos;
    if (!r->steps_f || pos->global_step % r->c.log_every != 0) return 0;
    fprintf(r->steps_f, "%ld\t%d\t%.6f\t%.6g\t%.1f\n", pos->global_step, epoch, r->step_loss, r->opt.lr,
            pos->elapsed + (sp_now() - t0));
    if (fflush(r->steps_f) != 0 || ferror(r->steps_f))
        return sp_fail(err, "cannot write '%s': %s", r->rp.steps, strerror(errno));
    return 0;
}

/* Stopped in the middle of an epoch begun at t0: save the position. */
static int save_interrupted(train_run *r, int epoch, double t0, sp_error *err)
{
    interrupted = 1;
    r->pos.dropout = r->m.dropout_rng;
    r->pos.elapsed += sp_now() - t0;
    report_kind(r, SP_TRAIN_STEPS_END);
    if (r->rank > 0) return 0; /* rank 0 saves */
    if (sp_checkpoint_save(r->rp.last, &r->m, &r->opt, &r->pos, err) != 0) return -1;
    sp_train_event ev = { .kind = SP_TRAIN_INTERRUPTED, .interrupted = { epoch, r->pos.step, r->rp.last } };
    report(r, &ev);
    return 0;
}

/* ---- an epoch's end: dev evaluation, log row, lr schedule, checkpoints */

/* The dev evaluation's batch hook: the probes', then a stop when a signal
 * asked for one (EVAL_STOPPED), so that Ctrl-C does not wait for the
 * whole dev split. */
enum { EVAL_STOPPED = 2 };
static int dev_batch(void *ctx, size_t utt, long frame0, int nb, float *input, int T, sp_error *err)
{
    train_run *r = ctx;
    int rc = sp_probe_chain_eval_batch(r->chain, utt, frame0, nb, input, T, err);
    if (rc == 0 && interrupted && stop_signal) return EVAL_STOPPED;
    return rc;
}

/* 0 when the epoch ended, 1 when a signal stopped its dev evaluation
 * (the position saved: its steps done, evaluated again on resume), -1
 * with err. */
static int epoch_end(train_run *r, int epoch, double t0, double exs, sp_error *err)
{
    const sp_conf *c = &r->c;
    sp_train_pos *pos = &r->pos;
    sp_eval_result ev;
    sp_probe_chain_eval_begin(r->chain, SP_PROBE_DEV, epoch);
    int erc = sp_evaluate_with(&r->m, &r->dev, dev_batch, r, NULL, NULL, r->o->dev_progress, &ev, err);
    if (erc == EVAL_STOPPED) return save_interrupted(r, epoch, t0, err) != 0 ? -1 : 1;
    if (erc != 0) return -1;
    double seconds = sp_now() - t0;
    double train_loss = pos->loss_sum / pos->step, train_fer = 1.0 - (double)pos->correct / (double)pos->count;
    char row[512];
    snprintf(row, sizeof row, "%d\t%.6g\t%.6f\t%.6f\t%.6f\t%.6f\t%.1f\t%.1f\t%d\n", epoch, pos->lr, train_loss,
             train_fer, ev.loss, ev.fer, seconds, exs, r->nranks);
    sp_train_event e = { .kind = SP_TRAIN_EPOCH,
                         .epoch = { epoch, pos->lr, train_loss, train_fer, ev.loss, ev.fer, seconds, exs } };
    report(r, &e);
    if (log_append(r->rp.log, row, err) != 0) return -1;
    sp_probe_epoch_stats pst = { epoch, pos->global_step, pos->lr, train_loss, train_fer, ev.loss, ev.fer };
    if (sp_probe_chain_epoch_end(r->chain, &pst, err) != 0) return -1;
    int improved = ev.fer < pos->best_dev_fer;
    if (c->lr_halving && pos->best_dev_fer <= 1.0 &&
        (pos->best_dev_fer - ev.fer) / pos->best_dev_fer < c->lr_halving_threshold)
        pos->lr /= 2;
    if (improved) {
        pos->best_dev_fer = ev.fer;
        pos->best_epoch = epoch;
    }
    pos->epoch = epoch;
    pos->step = 0;
    pos->loss_sum = 0;
    pos->correct = pos->count = 0;
    pos->elapsed += seconds;
    pos->dropout = r->m.dropout_rng;
    if (sp_checkpoint_save(r->rp.last, &r->m, &r->opt, &r->pos, err) != 0) return -1;
    if (improved && sp_checkpoint_save(r->rp.best, &r->m, &r->opt, &r->pos, err) != 0) return -1;
    return 0;
}

/* A test hook, for tests/mpi.sh only: with SINCPROBE_TEST_PERTURB_RANK=R
 * in the environment, rank R flips the lowest bit of its first parameter
 * after epoch 1, as a faulty node would, so that the ranks' CRC check
 * below must stop the job (sincprobe-train(1), ENVIRONMENT). */
static void test_perturb(train_run *r, int epoch)
{
    const char *env = getenv("SINCPROBE_TEST_PERTURB_RANK");
    if (!env || epoch != 1 || atoi(env) != r->rank || r->m.nparams == 0) return;
    uint32_t bits;
    memcpy(&bits, &r->m.params[0], sizeof bits);
    bits ^= 1u;
    memcpy(&r->m.params[0], &bits, sizeof bits);
}

/* The epoch's end with several ranks: rank 0 evaluates, logs, runs the
 * probes and saves while the others wait for its outcome and position
 * (the learning rate it may have halved, the best FER); then every rank
 * checks that they all hold the same parameters. */
static int epoch_end_ranks(train_run *r, int epoch, double t0, double exs, sp_error *err)
{
    int rc = r->rank == 0 ? epoch_end(r, epoch, t0, exs, err) : 0;
    if (r->nranks < 2 || rc < 0) return rc; /* rank 0's failure ends the job (sp_dist_abort) */
    sp_dist_bcast(&rc, sizeof rc, 0);
    sp_dist_bcast(&r->pos, sizeof r->pos, 0);
    if (rc == 1) {
        interrupted = 1;
        return 1;
    }
    test_perturb(r, epoch);
    char when[40];
    snprintf(when, sizeof when, "after epoch %d", epoch);
    return ranks_agree(r, when, err);
}

/* ---- an epoch: its remaining steps, then its end. 0 when done, 1 when
 * stopped (position saved), -1 with err. */

static int run_epoch(train_run *r, sp_error *err)
{
    const sp_conf *c = &r->c;
    const sp_train_opts *o = r->o;
    sp_train_pos *pos = &r->pos;
    int epoch = pos->epoch + 1;
    double t0 = sp_now(), tlast = t0;
    int step0 = pos->step;
    r->opt.lr = pos->lr;
    while (pos->step < c->steps_per_epoch) {
        int src = r->sharded ? train_step_sharded(r, epoch, err) : train_step(r, epoch, err);
        if (src != 0 || log_step(r, epoch, t0, err) != 0) return -1;
        double now = sp_now();
        if (o->on_event && (now - tlast > o->progress_interval || pos->step == c->steps_per_epoch)) {
            tlast = now;
            double exs = (double)(pos->step - step0) * c->batch / (now - t0);
            sp_train_event ev = { .kind = SP_TRAIN_STEP,
                                  .step = { epoch, pos->step, pos->loss_sum / pos->step, exs,
                                            (double)(c->steps_per_epoch - pos->step) * c->batch / exs } };
            report(r, &ev);
        }
        /* sharded, the ranks stop together, at the step they agreed on */
        int stop = r->sharded ? r->stop_agreed : interrupted;
        if (stop || (o->stop_after_steps && r->steps_done >= o->stop_after_steps))
            return save_interrupted(r, epoch, t0, err) != 0 ? -1 : 1;
    }
    report_kind(r, SP_TRAIN_STEPS_END);
    double exs = (double)(pos->step - step0) * c->batch / (sp_now() - t0);
    return epoch_end_ranks(r, epoch, t0, exs, err);
}

/* ---- close: the probes told how the run ended, everything freed */

static int run_close(train_run *r, int rc, sp_error *err)
{
    if (r->started) {
        sigaction(SIGINT, &r->old_int, NULL);
        sigaction(SIGTERM, &r->old_term, NULL);
        sp_probe_status st = rc != 0 ? SP_PROBE_FAILED : interrupted ? SP_PROBE_INTERRUPTED : SP_PROBE_COMPLETED;
        sp_error ferr;
        if (sp_probe_chain_finish(r->chain, st, r->pos.epoch, r->pos.global_step, &ferr) != 0) {
            if (rc == 0) {
                sp_fail(err, "%s", ferr.msg);
            } else {
                sp_train_event ev = { .kind = SP_TRAIN_ALSO_FAILED, .message = ferr.msg };
                report(r, &ev);
            }
            rc = -1;
        }
        if (rc == 0 && r->o->run_dir_out) snprintf(r->o->run_dir_out, r->o->run_dir_size, "%s", r->rp.dir);
    }
    if (r->steps_f && fclose(r->steps_f) != 0 && rc == 0)
        rc = sp_fail(err, "cannot write '%s': %s", r->rp.steps, strerror(errno));
    sp_probe_chain_free(r->chain);
    free(r->src_utt);
    free(r->src_start);
    free(r->src_gain);
    free(r->targets);
    free(r->batch_in);
    sp_shard_free(&r->shard); /* nothing when not sharded (zeros) */
    if (r->have_model) {
        sp_model_free(&r->m);
        sp_optim_free(&r->opt);
    }
    if (r->have_train) sp_dataset_free(&r->train);
    if (r->have_dev) sp_dataset_free(&r->dev);
    if (r->lock_fd >= 0 && rc != 0 && r->created_dir && !r->opened) {
        /* a new run that failed before its first step (a probe's on_start
         * included) leaves no directory behind: nothing in it is a result */
        sp_rundir_remove_new(r->rp.dir);
    } else if (r->lock_fd >= 0 && rc != 0 && r->created_dir && !sp_is_file(r->rp.last)) {
        /* one that failed before its first checkpoint, when it wrote
         * nothing else there */
        char *lock = sp_path_join(r->rp.dir, "lock");
        remove(lock);
        rmdir(r->rp.dir);
        free(lock);
    }
    sp_rundir_unlock(r->lock_fd);
    paths_free(&r->rp);
    return rc;
}

/* ---- the loop */

int sp_train(const sp_conf *c, const sp_train_opts *o, sp_error *err)
{
    train_run *r = sp_xcalloc(1, sizeof *r);
    r->o = o;
    r->lock_fd = -1;
    r->rank = sp_dist_rank();
    r->nranks = sp_dist_size();
    int rc = run_open(r, c, err), stopped = 0;
    r->opened = rc == 0;
    while (rc == 0 && !stopped && r->pos.epoch < r->c.epochs) {
        int e = run_epoch(r, err);
        if (e < 0) rc = -1;
        else stopped = e;
    }
    if (rc == 0 && !stopped) {
        sp_train_event ev = { .kind = SP_TRAIN_DONE, .done = { r->pos.best_dev_fer, r->pos.best_epoch } };
        report(r, &ev);
    }
    rc = run_close(r, rc, err);
    free(r);
    return rc;
}
