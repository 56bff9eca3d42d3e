/* randomize.c - the randomize probe: the randomisation test of Zhang et
 * al. ("Understanding deep learning requires rethinking generalization")
 * for frame classifiers. It rewrites TRAINING batches only (dev and test
 * are never touched), in one of three modes:
 *
 *   labels   each chunk is chosen with probability p and its target
 *            replaced by a class drawn uniformly from the nclasses (48),
 *            so about 1/48 of the chosen keep their class by chance;
 *   permute  each chosen chunk's target c becomes pi(c), pi a fixed
 *            random permutation of the classes drawn from the seed
 *            (Fisher-Yates; it may have fixed points, ~1 on average);
 *   noise    each chosen chunk's audio is replaced by Gaussian noise of
 *            equal power: N(0, 1) samples rescaled so that their mean
 *            square equals the chunk's (sigma^2 = the chunk's mean
 *            power, exactly); a silent chunk stays silent; labels stay.
 *
 * Every decision is a function of (seed, utterance, centre frame): the
 * choice u < p with u = H(seed, utt, frame, 1) / 2^64, the random class
 * H(..., 2) mod 48, the noise from the host RNG seeded with (seed,
 * H(..., 3)). So a frame keeps its random label and its noise across
 * epochs (memorisation needs that), and a resumed run does the same as
 * an uninterrupted one. The centre frame is (start + T/2) / 160.
 *
 * Writes randomize.tsv (epoch chunks chosen changed: training chunks
 * seen in the epoch, chosen ones, and those whose label (labels,
 * permute) or audio (noise) actually changed), rewritten at each epoch's
 * end, and randomize_rows.npy [epochs][4] float64, the same, for resume
 * (rows of the first epochs_done epochs are kept; counts of a resumed
 * epoch cover the batches from the resumed step on). */
#include <sincprobe/probe.h>
#include <sincprobe/splitmix.h>
#include "resume_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

enum { OPT_MODE, OPT_P, OPT_SEED, NOPT };
enum { MODE_LABELS, MODE_PERMUTE, MODE_NOISE };

static const sp_probe_option options[NOPT] = {
    { .name = "mode", .type = SP_PROBE_OPT_ENUM, .default_value = "labels", .choices = "labels|permute|noise",
      .help = "labels: random classes; permute: a fixed permutation of the classes; noise: gaussian audio of "
              "equal power" },
    { .name = "p", .type = SP_PROBE_OPT_FLOAT, .default_value = "1", .min = 0, .max = 1,
      .help = "fraction of training chunks randomised" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 9.2e18,
      .help = "seed of every random decision (0: the run's seed)" },
};

#define NCOL 4
#define MAXC 256

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int mode;
    double p;
    uint64_t seed;
    int nclasses;
    int perm[MAXC];
    sp_probe_rng *rng;
    float *noise;        /* [T] */
    int T;
    double cur[NCOL];    /* the current epoch's counts */
    long R;
    double *rows;        /* [R][NCOL] */
} rnd_probe;

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

/* One splitmix64 step from state z (z + gamma, then the finaliser): a
 * bijective 64-bit mixer. */
static uint64_t mix(uint64_t z)
{
    return sp_splitmix64_mix(z + SP_SPLITMIX64_GAMMA);
}

/* H(seed, utt, frame, salt). */
static uint64_t hash4(uint64_t seed, uint64_t utt, uint64_t frame, uint64_t salt)
{
    return mix(mix(mix(mix(seed) ^ utt) ^ frame) ^ salt);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    rnd_probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    x->mode = (int)ctx->values[OPT_MODE].i;
    x->p = ctx->values[OPT_P].f;
    x->seed = ctx->values[OPT_SEED].i ? (uint64_t)ctx->values[OPT_SEED].i : ctx->seed;
    *self = x;
    return 0;
}

static void resume(rnd_probe *x, const sp_probe_run *run)
{
    x->R = sp_resume_rows(x->ctx, "randomize_rows.npy", NCOL, run, NULL, &x->rows);
    if (x->R < 0) x->R = 0; /* the counts start again; they are only a log */
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    rnd_probe *x = self;
    if (run->nclasses < 2 || run->nclasses > MAXC) {
        snprintf(err->message, sizeof err->message, "%d classes: randomize handles 2..%d", run->nclasses, MAXC);
        return -1;
    }
    x->nclasses = run->nclasses;
    /* pi: Fisher-Yates driven by the hash of (seed, i). */
    for (int c = 0; c < x->nclasses; c++) x->perm[c] = c;
    for (int i = x->nclasses - 1; i > 0; i--) {
        int j = (int)(hash4(x->seed, 0x7065726dull, (uint64_t)i, 4) % (uint64_t)(i + 1));
        int t = x->perm[i];
        x->perm[i] = x->perm[j];
        x->perm[j] = t;
    }
    x->T = run->T;
    if (x->mode == MODE_NOISE) {
        x->rng = x->h->rng_new(x->ctx, x->seed, 0);
        if (!(x->noise = malloc((size_t)(run->T > 0 ? run->T : 1) * sizeof *x->noise))) return oom(err);
    }
    if (run->mode == SP_PROBE_MODE_TRAIN && run->resumed && run->epochs_done > 0) resume(x, run);
    return 0;
}

static int on_batch(void *self, sp_probe_batch *b, sp_probe_error *err)
{
    rnd_probe *x = self;
    (void)err;
    if (b->role != SP_PROBE_TRAIN) return 0;
    x->cur[0] = b->epoch;
    for (int k = 0; k < b->B; k++) {
        uint64_t utt = (uint64_t)b->utterance[k];
        uint64_t frame = (uint64_t)((b->start[k] + b->T / 2) / 160);
        x->cur[1] += 1;
        double u = (double)(hash4(x->seed, utt, frame, 1) >> 11) * 0x1.0p-53;
        if (!(u < x->p)) continue;
        x->cur[2] += 1;
        int *lab = &b->labels[k];
        if (x->mode == MODE_LABELS) {
            int c = (int)(hash4(x->seed, utt, frame, 2) % (uint64_t)x->nclasses);
            x->cur[3] += c != *lab;
            *lab = c;
        } else if (x->mode == MODE_PERMUTE) {
            if (*lab < 0 || *lab >= x->nclasses) continue;
            int c = x->perm[*lab];
            x->cur[3] += c != *lab;
            *lab = c;
        } else {
            float *a = b->audio + (size_t)k * (size_t)b->T;
            double pa = 0, pn = 0;
            for (int t = 0; t < b->T; t++) pa += (double)a[t] * a[t];
            if (pa == 0) continue;
            x->h->rng_seed(x->rng, x->seed, hash4(x->seed, utt, frame, 3));
            for (int t = 0; t < b->T; t++) {
                x->noise[t] = (float)x->h->rng_normal(x->rng);
                pn += (double)x->noise[t] * x->noise[t];
            }
            double g = sqrt(pa / pn);
            for (int t = 0; t < b->T; t++) a[t] = (float)(g * x->noise[t]);
            x->cur[3] += 1;
        }
    }
    return 0;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    rnd_probe *x = self;
    if (x->h->abi_version >= 2 && v->at_step) return 0;
    if (x->cur[1] == 0) return 0;
    double *rows = realloc(x->rows, (size_t)(x->R + 1) * NCOL * sizeof *rows);
    if (!rows) return oom(err);
    x->rows = rows;
    x->cur[0] = v->epoch;
    memcpy(x->rows + (size_t)x->R++ * NCOL, x->cur, sizeof x->cur);
    memset(x->cur, 0, sizeof x->cur);
    static const char *const head[NCOL] = { "epoch", "chunks", "chosen", "changed" };
    long shape[2] = { x->R, NCOL };
    if (x->h->write_npy(x->ctx, "randomize_rows.npy", SP_PROBE_F64, x->rows, 2, shape, err) != 0) return -1;
    return x->h->write_tsv(x->ctx, "randomize.tsv", NCOL, head, x->R, x->rows, err);
}

static void destroy(void *self)
{
    rnd_probe *x = self;
    if (x->rng) x->h->rng_free(x->rng);
    free(x->noise);
    free(x->rows);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "randomize",
    .name = "Randomisation test",
    .version = "1.0",
    .summary = "replace training labels at random, permute them, or replace the audio by noise of equal power",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_batch = on_batch,
    .on_epoch_end = on_epoch_end,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
