/* linsep.c - the linsep probe: linear separability of layers' activations
 * on the probe set, per epoch. For each chosen layer at each epoch's end,
 * an L2-regularised multinomial logistic regression (src/linsep.c,
 * compiled into this module) is trained on a seeded part of the probe set
 * and scored on the rest; its held-out accuracy measures how linearly
 * separable the 48 classes are in that layer. Writes, in its folder:
 *
 *   linsep.tsv       epoch layer input n_train n_test accuracy
 *                    train_accuracy chance (input = "act"; one row per
 *                    layer per epoch, rewritten atomically each epoch)
 *   linsep_rows.npy  [rows][8] float64, the same numbers (epoch, layer
 *                    index, 0, n_train, n_test, accuracy, train_accuracy,
 *                    chance), read back on resume
 *
 * The split is the same every epoch (seed), so epochs are comparable.
 * Layers wider than max_features are scored on a seeded random subset of
 * max_features of their units (the same subset every epoch).
 * In `sincprobe analyse linsep ACT LABELS` mode the one layer (named after
 * the file) is scored once as epoch 0. Eval mode: nothing. */
#include <sincprobe/probe.h>
#include <sincprobe/splitmix.h>
#include <sincprobe/layers.h>
#include "report_manifest.h"
#include "resume_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/linsep.h"
#include "base/error.h"

enum { OPT_LAYERS, OPT_L2, OPT_ITER, OPT_TEST, OPT_SEED, OPT_MAXF, NOPT };

static const sp_probe_option options[NOPT] = {
    { .name = "layers", .type = SP_PROBE_OPT_STRING, .default_value = "dense",
      .help = "comma list of layer names, all, or dense (the dense activations dact1.. and out)" },
    { .name = "l2", .type = SP_PROBE_OPT_FLOAT, .default_value = "1e-3", .min = 0, .max = 1e6,
      .help = "weight of the penalty (l2/2) ||w||^2 on the weights (not the biases)" },
    { .name = "iterations", .type = SP_PROBE_OPT_INT, .default_value = "200", .min = 1, .max = 100000,
      .help = "l-bfgs iterations per fit" },
    { .name = "test_fraction", .type = SP_PROBE_OPT_FLOAT, .default_value = "0.25", .min = 0.01, .max = 0.99,
      .help = "share of the probe set held out for scoring" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 9.2e18,
      .help = "seed of the split and feature subset (0: the run's seed)" },
    { .name = "max_features", .type = SP_PROBE_OPT_INT, .default_value = "4096", .min = 0, .max = 1e9,
      .help = "wider layers use a seeded random subset of this many units (0: all)" },
};

#define NCOL 8

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    sp_linsep_opts o;
    long maxf;
    int nsel, *sel;      /* chosen layer indices */
    long **cols;         /* [nsel] the kept units (NULL: all) */
    long *ncols;         /* [nsel] */
    char **names;        /* [nlayers] copies of the layer names */
    int nlayers, nclasses;
    long R;
    double *rows;        /* [R][NCOL] */
    float *buf;          /* gathered features */
    size_t bufn;
} linsep_probe;

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    linsep_probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    sp_linsep_defaults(&x->o);
    x->o.l2 = ctx->values[OPT_L2].f;
    x->o.iterations = (int)ctx->values[OPT_ITER].i;
    x->o.test_fraction = ctx->values[OPT_TEST].f;
    x->o.seed = ctx->values[OPT_SEED].i ? (uint64_t)ctx->values[OPT_SEED].i : ctx->seed;
    x->maxf = (long)ctx->values[OPT_MAXF].i;
    *self = x;
    return 0;
}

/* Resolve the layers option against the run's layers into x->sel (in
 * analyse mode, the one layer shown, whatever the option says). */
static int choose(linsep_probe *x, const sp_probe_run *run, sp_probe_error *err)
{
    const char *spec = x->ctx->values[OPT_LAYERS].text;
    x->sel = calloc((size_t)run->nlayers + 1, sizeof *x->sel);
    if (!x->sel) return oom(err);
    x->nsel = sp_probe_layers_select(run->layers, run->nlayers, run->mode == SP_PROBE_MODE_ANALYSE ? "all" : spec,
                                     SP_PROBE_LAYERS_ALL | SP_PROBE_LAYERS_DENSE, x->sel, NULL, err);
    if (x->nsel < 0) {
        x->nsel = 0;
        err->option = OPT_LAYERS;
        return -1;
    }
    if (x->nsel == 0) {
        err->option = OPT_LAYERS;
        snprintf(err->message, sizeof err->message, "layers: '%s' names no layer", spec);
        return -1;
    }
    return 0;
}

/* A seeded random subset of k of n units, in increasing order. */
static long *subset(long n, long k, uint64_t seed)
{
    long *p = malloc((size_t)n * sizeof *p);
    if (!p) return NULL;
    for (long i = 0; i < n; i++) p[i] = i;
    uint64_t s = seed ^ 0x6c696e736570ull;
    for (long i = 0; i < k; i++) {
        uint64_t z = sp_splitmix64_next(&s);
        long j = i + (long)(z % (uint64_t)(n - i));
        long t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    /* sort the chosen k (insertion sort is fine for a one-time setup) */
    for (long i = 1; i < k; i++) {
        long v = p[i], j = i - 1;
        while (j >= 0 && p[j] > v) p[j + 1] = p[j], j--;
        p[j + 1] = v;
    }
    return p;
}

static int write_out(linsep_probe *x, sp_probe_error *err)
{
    long shape[2] = { x->R, NCOL };
    if (x->h->write_npy(x->ctx, "linsep_rows.npy", SP_PROBE_F64, x->rows, 2, shape, err) != 0) return -1;
    size_t cap = 128 + (size_t)x->R * 256, len = 0;
    char *t = malloc(cap);
    if (!t) return oom(err);
    len += (size_t)snprintf(t, cap, "epoch\tlayer\tinput\tn_train\tn_test\taccuracy\ttrain_accuracy\tchance\n");
    for (long r = 0; r < x->R; r++) {
        const double *v = x->rows + (size_t)r * NCOL;
        len += (size_t)snprintf(t + len, cap - len, "%.10g\t%s\tact\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\n", v[0],
                                x->names[(int)v[1]], v[3], v[4], v[5], v[6], v[7]);
    }
    int rc = x->h->write_text(x->ctx, "linsep.tsv", t, len, err);
    free(t);
    return rc;
}

/* A kept row's layer must exist in this network. */
static int row_ok(const double *v, const sp_probe_run *run)
{
    return v[1] >= 0 && v[1] < run->nlayers;
}

static void resume(linsep_probe *x, const sp_probe_run *run)
{
    x->R = sp_resume_rows(x->ctx, "linsep_rows.npy", NCOL, run, row_ok, &x->rows);
    if (x->R < 0) {
        x->R = 0;
        x->h->log(x->ctx, SP_PROBE_WARN, "resumed, but linsep_rows.npy was not usable: linsep.tsv starts again");
    }
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    linsep_probe *x = self;
    if (run->mode == SP_PROBE_MODE_EVAL) return 0;
    x->nlayers = run->nlayers;
    x->nclasses = run->nclasses;
    x->names = calloc((size_t)run->nlayers, sizeof *x->names);
    if (!x->names) return oom(err);
    for (int i = 0; i < run->nlayers; i++)
        if (!(x->names[i] = strdup(run->layers[i].name))) return oom(err);
    if (choose(x, run, err) != 0) return -1;
    x->cols = calloc((size_t)x->nsel, sizeof *x->cols);
    x->ncols = calloc((size_t)x->nsel, sizeof *x->ncols);
    if (!x->cols || !x->ncols) return oom(err);
    size_t list = 1;
    for (int i = 0; i < x->nsel; i++) list += strlen(run->layers[x->sel[i]].name) + 1;
    char *names = calloc(list, 1);
    if (!names) return oom(err);
    for (int i = 0; i < x->nsel; i++) {
        const sp_probe_layer *l = &run->layers[x->sel[i]];
        long n = (long)l->out_n;
        if (i) strcat(names, ",");
        strcat(names, l->name);
        x->ncols[i] = n;
        if (x->maxf > 0 && n > x->maxf) {
            x->ncols[i] = x->maxf;
            if (!(x->cols[i] = subset(n, x->maxf, x->o.seed + (uint64_t)i))) {
                free(names);
                return oom(err);
            }
            x->h->log(x->ctx, SP_PROBE_INFO, "layer '%s': %ld units, scored on a random subset of %ld (max_features)",
                      l->name, n, x->maxf);
        }
    }
    int rc = x->h->want_activations(x->ctx, names, err);
    free(names);
    if (rc != 0 || sp_write_manifest(x->ctx, run, sp_manifest_linsep, err) != 0) return -1;
    if (run->resumed && run->epochs_done > 0) resume(x, run);
    return 0;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    linsep_probe *x = self;
    if (x->h->abi_version >= 2 && v->at_step) return 0;
    if (v->N < 2) return 0;
    for (int i = 0; i < x->nsel; i++) {
        const sp_probe_layer *l = &v->layers[x->sel[i]];
        if (!l->act) continue;
        long D = x->ncols[i], n = (long)l->out_n;
        const float *X = l->act;
        if (x->cols[i]) {
            size_t need = (size_t)v->N * (size_t)D;
            if (need > x->bufn) {
                float *b = realloc(x->buf, need * sizeof *b);
                if (!b) return oom(err);
                x->buf = b;
                x->bufn = need;
            }
            for (long r = 0; r < v->N; r++)
                for (long c = 0; c < D; c++)
                    x->buf[(size_t)r * (size_t)D + (size_t)c] = l->act[(size_t)r * (size_t)n + (size_t)x->cols[i][c]];
            X = x->buf;
        }
        sp_linsep_result res;
        sp_error why;
        if (sp_linsep_eval(X, v->N, D, v->labels, x->nclasses, &x->o, &res, &why) != 0) {
            snprintf(err->message, sizeof err->message, "layer '%s': %.400s", l->name, why.msg);
            return -1;
        }
        double *row = realloc(x->rows, (size_t)(x->R + 1) * NCOL * sizeof *row);
        if (!row) return oom(err);
        x->rows = row;
        double *w = row + (size_t)x->R++ * NCOL;
        w[0] = v->epoch;
        w[1] = x->sel[i];
        w[2] = 0;
        w[3] = (double)res.n_train;
        w[4] = (double)res.n_test;
        w[5] = res.accuracy;
        w[6] = res.train_accuracy;
        w[7] = res.chance;
        x->h->log(x->ctx, SP_PROBE_INFO, "epoch %d '%s': held-out accuracy %.4f (train %.4f, chance %.4f)", v->epoch,
                  l->name, res.accuracy, res.train_accuracy, res.chance);
    }
    return write_out(x, err);
}

static void destroy(void *self)
{
    linsep_probe *x = self;
    for (int i = 0; x->cols && i < x->nsel; i++) free(x->cols[i]);
    for (int i = 0; x->names && i < x->nlayers; i++) free(x->names[i]);
    free(x->cols);
    free(x->ncols);
    free(x->names);
    free(x->sel);
    free(x->rows);
    free(x->buf);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "linsep",
    .name = "Linear separability",
    .version = "1.0",
    .summary = "held-out accuracy of an l2 logistic-regression probe per layer per epoch",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_epoch_end = on_epoch_end,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
