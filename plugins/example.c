/* example.c - an example probe: a template for writing probes against
 * <sincprobe/probe.h> (see sincprobe-probe(3)). It changes nothing; it
 * logs what it sees and writes, in its folder runs/NAME/probes/ID/:
 *
 *   epochs.tsv   one row per epoch: epoch, step, lr, train_loss, dev_fer,
 *                train and dev batches seen, mean gradient norm, mean
 *                |activation| of `layer` on the probe set
 *   epochs.npy   the same as a float64 array (read back on resume)
 *   partial.npy  when a training is interrupted: the tallies of the
 *                unfinished epoch, tagged with the step (read back on
 *                resume, so the epoch's row counts all its steps)
 *   filters.npy  the first layer's taps [F][K] at the last epoch's end
 *   cutoffs.tsv  filter, f1, f2 in Hz (sinc first layers)
 *   acts.npy     [N][out_n] activations of `layer` on the probe set, and
 *   labels.npy   [N] their classes (int32), when `layer` is set
 *   batches.tsv  in eval mode: batches and chunks seen per role
 *   report.manifest  in train mode: its panel in report.html (the mean
 *                gradient norm by epoch), see sincprobe-probe(3)
 *
 * Options: every (log batch statistics every N training steps; 0: never),
 * layer (a layer name, "" for none), filters (yes|no), stat (rms|peak). */
#include <sincprobe/probe.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_EVERY, OPT_LAYER, OPT_FILTERS, OPT_STAT, NOPT };
enum { STAT_RMS, STAT_PEAK };

static const sp_probe_option options[NOPT] = {
    { .name = "every", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1e9,
      .help = "log batch statistics every N training steps (0: never)" },
    { .name = "layer", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "layer whose probe-set activations to save (\"\": none)" },
    { .name = "filters", .type = SP_PROBE_OPT_BOOL, .default_value = "yes",
      .help = "write the first layer's taps and cut-offs each epoch" },
    { .name = "stat", .type = SP_PROBE_OPT_ENUM, .default_value = "rms", .choices = "rms|peak",
      .help = "the batch statistic logged" },
};

#define NCOLS 9
static const char *const columns[NCOLS] = { "epoch", "step", "lr", "train_loss", "dev_fer", "train_batches",
                                            "dev_batches", "grad_norm", "mean_abs_act" };

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    long every;
    const char *layer;        /* ctx->values text: valid until destroy */
    int filters, stat;
    long batches[SP_PROBE_NROLES], chunks[SP_PROBE_NROLES];
    double grad_sum;          /* this epoch: sum of gradient norms */
    long grad_n;
    double *rows;             /* [nrows][NCOLS] */
    long nrows;
} example;

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    example *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return -1;
    }
    x->ctx = ctx;
    x->h = ctx->host;
    x->every = (long)ctx->values[OPT_EVERY].i;
    x->layer = ctx->values[OPT_LAYER].text;
    x->filters = (int)ctx->values[OPT_FILTERS].i;
    x->stat = (int)ctx->values[OPT_STAT].i;
    *self = x;
    return 0;
}

/* The tallies of an unfinished epoch's training steps, saved when a run
 * is interrupted: [steps_done, train batches, gradient-norm sum, count].
 * (Dev batches are not kept: an interrupted dev evaluation runs again.) */
#define NPARTIAL 4

static int save_partial(const example *x, long steps_done, sp_probe_error *err)
{
    double p[NPARTIAL] = { (double)steps_done, (double)x->batches[SP_PROBE_TRAIN], x->grad_sum, (double)x->grad_n };
    long shape[1] = { NPARTIAL };
    return x->h->write_npy(x->ctx, "partial.npy", SP_PROBE_F64, p, 1, shape, err);
}

/* Take the tallies back when they were saved at the position the run
 * resumes from. Saved at another step, they are stale (the process was
 * killed and the run resumes from an older checkpoint): a resume inside
 * an epoch then says that the epoch's row misses its first steps. */
static void load_partial(example *x, const sp_probe_run *run)
{
    sp_probe_dtype t;
    int rank;
    long shape[SP_PROBE_NPY_MAXRANK];
    sp_probe_error ignore;
    double *p = x->h->read_npy(x->ctx, "partial.npy", &t, &rank, shape, &ignore);
    int ok = p && t == SP_PROBE_F64 && rank == 1 && shape[0] == NPARTIAL && p[0] == (double)run->steps_done;
    if (ok) {
        x->batches[SP_PROBE_TRAIN] = (long)p[1];
        x->grad_sum = p[2];
        x->grad_n = (long)p[3];
    }
    x->h->release(p);
    long into = run->steps_done - (long)run->epochs_done * run->steps_per_epoch;
    if (!ok && into > 0)
        x->h->log(x->ctx, SP_PROBE_WARN, "no tallies saved at step %ld: epoch %d's row leaves out its first %ld steps",
                  run->steps_done, run->epochs_done + 1, into);
}

/* What report.html shows of this probe's folder (sincprobe-probe(3),
 * Report manifests): one line plot from epochs.tsv. The report assembles
 * the panels it finds in the manifests; it knows no probe by name. */
static const char manifest[] =
    "[report]\n"
    "kind = example\n"
    "heading = Example probe\n"
    "files = epochs.tsv\n"
    "\n"
    "[lines example_grad_norm]\n"
    "file = epochs.tsv\n"
    "x = epoch\n"
    "y = grad_norm\n"
    "markers = yes\n"
    "xinteger = yes\n"
    "title = mean gradient norm\n"
    "xlabel = epoch\n"
    "ylabel = norm\n"
    "caption = {title} by epoch\n";

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    example *x = self;
    if (run->mode == SP_PROBE_MODE_TRAIN &&
        x->h->write_text(x->ctx, "report.manifest", manifest, sizeof manifest - 1, err) != 0)
        return -1;
    x->h->log(x->ctx, SP_PROBE_INFO, "%s run in '%s': chunks of %d samples, batches of up to %d, %d layers, "
              "first layer '%s' (%d x %d)", run->mode == SP_PROBE_MODE_TRAIN ? "train" : "eval", run->run_dir,
              run->T, run->max_batch, run->nlayers, run->filters->layer, run->filters->F, run->filters->K);
    if (run->mode == SP_PROBE_MODE_TRAIN && x->layer[0] &&
        x->h->want_activations(x->ctx, x->layer, err) != 0)
        return -1;
    /* A resumed run: keep the rows of the epochs already done. */
    if (run->resumed && run->epochs_done > 0) {
        sp_probe_dtype t;
        int rank;
        long shape[SP_PROBE_NPY_MAXRANK];
        sp_probe_error ignore;
        double *old = x->h->read_npy(x->ctx, "epochs.npy", &t, &rank, shape, &ignore);
        if (old && t == SP_PROBE_F64 && rank == 2 && shape[1] == NCOLS) {
            x->nrows = shape[0] < run->epochs_done ? shape[0] : run->epochs_done;
            x->rows = malloc((size_t)(x->nrows ? x->nrows : 1) * NCOLS * sizeof *x->rows);
            if (x->rows) memcpy(x->rows, old, (size_t)x->nrows * NCOLS * sizeof *x->rows);
            else x->nrows = 0;
        }
        x->h->release(old);
    }
    if (run->resumed) load_partial(x, run);
    return 0;
}

static int on_batch(void *self, sp_probe_batch *b, sp_probe_error *err)
{
    (void)err;
    example *x = self;
    x->batches[b->role]++;
    x->chunks[b->role] += b->B;
    if (b->role != SP_PROBE_TRAIN || x->every <= 0 || b->step % x->every != 0) return 0;
    double s = 0;
    size_t n = (size_t)b->B * (size_t)b->T;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(b->audio[i]);
        if (x->stat == STAT_PEAK) s = a > s ? a : s;
        else s += a * a;
    }
    if (x->stat == STAT_RMS) s = sqrt(s / (double)(n ? n : 1));
    x->h->log(x->ctx, SP_PROBE_INFO, "step %ld: %s %.4f over %d chunks", b->step, x->stat == STAT_PEAK ? "peak" : "rms",
              s, b->B);
    return 0;
}

static int on_gradients(void *self, const sp_probe_gradients *g, sp_probe_error *err)
{
    (void)err;
    example *x = self;
    double ss = 0;
    for (int i = 0; i < g->nlayers; i++)
        for (int j = 0; j < g->layers[i].nparams; j++) {
            const sp_probe_param *p = &g->layers[i].param[j];
            for (unsigned long k = 0; k < p->n; k++) ss += (double)p->grad[k] * p->grad[k];
        }
    x->grad_sum += sqrt(ss);
    x->grad_n++;
    return 0;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    example *x = self;
    const sp_probe_layer *l = NULL;
    for (int i = 0; i < v->nlayers; i++)
        if (x->layer[0] && !strcmp(v->layers[i].name, x->layer)) l = &v->layers[i];
    double mean_abs = NAN;
    if (l && l->act && v->N > 0) {
        double s = 0;
        size_t n = (size_t)v->N * l->out_n;
        for (size_t i = 0; i < n; i++) s += fabs(l->act[i]);
        mean_abs = s / (double)n;
        long shape[2] = { v->N, (long)l->out_n };
        if (x->h->write_npy(x->ctx, "acts.npy", SP_PROBE_F32, l->act, 2, shape, err) != 0) return -1;
        int *lab = malloc((size_t)v->N * sizeof *lab);
        if (!lab) {
            snprintf(err->message, sizeof err->message, "out of memory");
            return -1;
        }
        for (long i = 0; i < v->N; i++) lab[i] = v->labels[i];
        int rc = x->h->write_npy(x->ctx, "labels.npy", SP_PROBE_I32, lab, 1, shape, err);
        free(lab);
        if (rc != 0) return -1;
    }
    double *rows = realloc(x->rows, (size_t)(x->nrows + 1) * NCOLS * sizeof *rows);
    if (!rows) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return -1;
    }
    x->rows = rows;
    double *r = rows + (size_t)x->nrows * NCOLS;
    r[0] = v->epoch;
    r[1] = (double)v->step;
    r[2] = v->lr;
    r[3] = v->train_loss;
    r[4] = v->dev_fer;
    r[5] = (double)x->batches[SP_PROBE_TRAIN];
    r[6] = (double)x->batches[SP_PROBE_DEV];
    r[7] = x->grad_n ? x->grad_sum / (double)x->grad_n : NAN;
    r[8] = mean_abs;
    x->nrows++;
    x->batches[SP_PROBE_TRAIN] = x->batches[SP_PROBE_DEV] = 0;
    x->grad_sum = 0;
    x->grad_n = 0;
    long shape[2] = { x->nrows, NCOLS };
    if (x->h->write_tsv(x->ctx, "epochs.tsv", NCOLS, columns, x->nrows, x->rows, err) != 0 ||
        x->h->write_npy(x->ctx, "epochs.npy", SP_PROBE_F64, x->rows, 2, shape, err) != 0)
        return -1;
    if (x->filters) {
        const sp_probe_filters *f = v->filters;
        long fs[2] = { f->F, f->K };
        if (x->h->write_npy(x->ctx, "filters.npy", SP_PROBE_F32, f->taps, 2, fs, err) != 0) return -1;
        if (f->f1) {
            double *c = malloc((size_t)f->F * 3 * sizeof *c);
            if (!c) {
                snprintf(err->message, sizeof err->message, "out of memory");
                return -1;
            }
            for (int i = 0; i < f->F; i++) {
                c[3 * i] = i;
                c[3 * i + 1] = f->f1[i];
                c[3 * i + 2] = f->f2[i];
            }
            static const char *const head[3] = { "filter", "f1_hz", "f2_hz" };
            int rc = x->h->write_tsv(x->ctx, "cutoffs.tsv", 3, head, f->F, c, err);
            free(c);
            if (rc != 0) return -1;
        }
    }
    x->h->log(x->ctx, SP_PROBE_INFO, "epoch %d: dev FER %.4f", v->epoch, v->dev_fer);
    return 0;
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    example *x = self;
    static const char *const status[] = { "completed", "interrupted", "failed" };
    x->h->log(x->ctx, SP_PROBE_INFO, "finished (%s)", status[run->status]);
    if (run->mode == SP_PROBE_MODE_TRAIN && run->status == SP_PROBE_INTERRUPTED)
        return save_partial(x, run->steps_done, err);
    if (run->mode != SP_PROBE_MODE_EVAL) return 0;
    static const char *const head[3] = { "role", "batches", "chunks" };
    double rows[SP_PROBE_NROLES * 3];
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        rows[3 * r] = r;
        rows[3 * r + 1] = (double)x->batches[r];
        rows[3 * r + 2] = (double)x->chunks[r];
    }
    return x->h->write_tsv(x->ctx, "batches.tsv", 3, head, SP_PROBE_NROLES, rows, err);
}

static void destroy(void *self)
{
    example *x = self;
    free(x->rows);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "example",
    .name = "Example probe",
    .version = "1.0",
    .summary = "logs what the chain shows a probe and writes a table per epoch (a template)",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_batch = on_batch,
    .on_gradients = on_gradients,
    .on_epoch_end = on_epoch_end,
    .on_finish = on_finish,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
