/* afr.c - the afr probe: the frequency response of every first-layer
 * filter and their average, AFR(w) = (1/F) sum_c |H_c(w)|, at each
 * epoch's end (and every N steps), by FFTW (src/analysis/afr.c, compiled
 * into this module, as is src/plot/afr_figures.c that draws the figures).
 * Writes, in its folder runs/NAME/probes/ID/:
 *
 *   afr.npy          [epochs][bins] float32
 *   responses.npy    [epochs][F][bins] float32, |H| of every filter
 *   cutoffs.tsv      epoch filter low_hz high_hz (sinc first layers; a
 *                    header only for a conv first layer): the effective
 *                    cut-offs in Hz, f1 = min_low_hz + |low_p| and f2 =
 *                    min(f1 + min_band_hz + |band_p|, fs/2), from the
 *                    view's filters; not the learnable low_p, band_p
 *                    (the sinc layer's "low_hz", "band_hz" tensors), and
 *   cutoffs.npy      [epochs][F][2] float32, the same (read on resume)
 *   freqs.npy, freqs.tsv  the bins' frequencies in Hz (bins = nfft/2+1)
 *   afr_heatmap.png  AFR over epochs (x frequency, y epoch)
 *   afr_curves.png   AFR at the first, middle and last epochs
 *   afr_steps.npy    [snapshots][bins] and steps.tsv / steps.npy (step,
 *                    epoch), afr_steps_heatmap.png: with every = N > 0,
 *                    the AFR of the filters after 0, N, 2N, ... steps
 *
 * In eval mode it writes the same for the evaluated model, as one row
 * (epoch 0). On resume it keeps the rows of the epochs (and steps)
 * already done and continues them. Options: nfft, every, normalise, db. */
#include <sincprobe/probe.h>
#include "report_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/afr.h"
#include "base/error.h"
#include "plot/afr_figures.h"

enum { OPT_NFFT, OPT_EVERY, OPT_NORMALISE, OPT_DB, NOPT };

static const sp_probe_option options[NOPT] = {
    { .name = "nfft", .type = SP_PROBE_OPT_INT, .default_value = "1024", .min = 16, .max = 1048576,
      .help = "transform length (even, >= the filters' taps); bins = nfft/2 + 1" },
    { .name = "every", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1e9,
      .help = "also take the AFR every N training steps (0: epoch ends only)" },
    { .name = "normalise", .type = SP_PROBE_OPT_ENUM, .default_value = "none", .choices = "none|peak",
      .help = "peak: divide each filter's |H| by its maximum before averaging" },
    { .name = "db", .type = SP_PROBE_OPT_BOOL, .default_value = "no",
      .help = "report 20 log10 of the magnitudes (floor -120 dB)" },
};

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    sp_afr *afr;
    int nfft, bins, every, db;
    sp_afr_norm norm;
    int F, K, sinc, fs;
    float *resp_now, *afr_now;  /* [F][bins], [bins] */
    /* epoch rows */
    long E;
    float *rows, *resp, *cut;   /* [E][bins], [E][F][bins], [E][F][2] */
    int *epoch;                 /* [E] */
    /* step snapshots */
    long S;
    float *srows;               /* [S][bins] */
    int *sidx;                  /* [S][2] step, epoch */
} afr_probe;

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    afr_probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    x->nfft = (int)ctx->values[OPT_NFFT].i;
    x->every = (int)ctx->values[OPT_EVERY].i;
    x->norm = ctx->values[OPT_NORMALISE].i ? SP_AFR_NORM_PEAK : SP_AFR_NORM_NONE;
    x->db = (int)ctx->values[OPT_DB].i;
    sp_error e;
    x->afr = sp_afr_new(x->nfft, &e);
    if (!x->afr) {
        sp_error_put(&e, err->message, sizeof err->message);
        err->option = OPT_NFFT;
        free(x);
        return -1;
    }
    x->bins = sp_afr_bins(x->nfft);
    *self = x;
    return 0;
}

/* Grow an array to hold n rows of `row` elements of size sz. */
static int grow(void *pp, long n, size_t row, size_t sz)
{
    void **p = pp;
    void *q = realloc(*p, (size_t)n * row * sz);
    if (!q) return -1;
    *p = q;
    return 0;
}

/* Read back name as float32 [n][d1][d2] (d2 = 0: rank 2) keeping at most
 * keep rows; returns the rows kept, 0 when absent or of another shape. */
static long read_rows(afr_probe *x, const char *name, long d1, long d2, long keep, float **out)
{
    sp_probe_dtype t;
    int rank;
    long shape[SP_PROBE_NPY_MAXRANK];
    sp_probe_error ignore;
    float *old = x->h->read_npy(x->ctx, name, &t, &rank, shape, &ignore);
    long n = 0;
    if (old && t == SP_PROBE_F32 && rank == (d2 ? 3 : 2) && shape[1] == d1 && (!d2 || shape[2] == d2)) {
        n = shape[0] < keep ? shape[0] : keep;
        size_t row = (size_t)d1 * (size_t)(d2 ? d2 : 1);
        if (n > 0 && grow(out, n, row, sizeof **out) == 0) memcpy(*out, old, (size_t)n * row * sizeof **out);
        else n = 0;
    }
    x->h->release(old);
    return n;
}

static void resume(afr_probe *x, const sp_probe_run *run)
{
    long keep = run->epochs_done;
    long n = read_rows(x, "afr.npy", x->bins, 0, keep, &x->rows);
    if (n > 0) n = read_rows(x, "responses.npy", x->F, x->bins, n, &x->resp) == n ? n : 0;
    if (n > 0) n = read_rows(x, "cutoffs.npy", x->F, 2, n, &x->cut) == n ? n : 0;
    if (n > 0 && grow(&x->epoch, n, 1, sizeof *x->epoch) == 0) {
        for (long i = 0; i < n; i++) x->epoch[i] = (int)(i + 1);
        x->E = n;
    }
    if (x->E < keep)
        x->h->log(x->ctx, SP_PROBE_WARN, "resumed after %ld epochs but only %ld rows of earlier output were usable; "
                  "afr.npy starts again from epoch %ld", keep, x->E, x->E + 1);
    /* step snapshots: those taken before the resumed step */
    if (x->every > 0) {
        sp_probe_dtype t;
        int rank;
        long shape[SP_PROBE_NPY_MAXRANK];
        sp_probe_error ignore;
        int *idx = x->h->read_npy(x->ctx, "steps.npy", &t, &rank, shape, &ignore);
        if (idx && t == SP_PROBE_I32 && rank == 2 && shape[1] == 2) {
            long m = 0;
            while (m < shape[0] && idx[2 * m] < run->steps_done) m++;
            long got = read_rows(x, "afr_steps.npy", x->bins, 0, m, &x->srows);
            if (got == m && m > 0 && grow(&x->sidx, m, 2, sizeof *x->sidx) == 0) {
                memcpy(x->sidx, idx, (size_t)m * 2 * sizeof *idx);
                x->S = m;
            }
        }
        x->h->release(idx);
    }
}

static int write_epochs(afr_probe *x, sp_probe_error *err);

static int take(afr_probe *x, const sp_probe_filters *f, sp_probe_error *err)
{
    if (f->F != x->F || f->K != x->K) {
        snprintf(err->message, sizeof err->message, "the first layer changed shape (%d x %d, was %d x %d)", f->F, f->K,
                 x->F, x->K);
        return -1;
    }
    sp_error e;
    if (sp_afr_compute(x->afr, f->taps, f->F, f->K, x->norm, x->db, x->resp_now, x->afr_now, &e) != 0)
        return sp_error_put(&e, err->message, sizeof err->message);
    return 0;
}

/* Append the current response as an epoch row. */
static int add_epoch(afr_probe *x, const sp_probe_filters *f, int epoch, sp_probe_error *err)
{
    if (take(x, f, err) != 0) return -1;
    long n = x->E + 1;
    if (grow(&x->rows, n, (size_t)x->bins, sizeof *x->rows) || grow(&x->resp, n, (size_t)x->F * x->bins, sizeof *x->resp) ||
        grow(&x->cut, n, (size_t)x->F * 2, sizeof *x->cut) || grow(&x->epoch, n, 1, sizeof *x->epoch))
        return oom(err);
    memcpy(x->rows + (size_t)x->E * x->bins, x->afr_now, (size_t)x->bins * sizeof *x->rows);
    memcpy(x->resp + (size_t)x->E * x->F * x->bins, x->resp_now, (size_t)x->F * x->bins * sizeof *x->resp);
    float *c = x->cut + (size_t)x->E * x->F * 2;
    for (int i = 0; i < x->F; i++) {
        c[2 * i] = f->f1 ? f->f1[i] : 0.0f;
        c[2 * i + 1] = f->f2 ? f->f2[i] : 0.0f;
    }
    x->epoch[x->E] = epoch;
    x->E = n;
    return write_epochs(x, err);
}

static int write_png(afr_probe *x, const char *name, int heat, const float *rows, long n, const int *label,
                     const char *ylabel, sp_probe_error *err)
{
    size_t len = strlen(x->ctx->dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) return oom(err);
    snprintf(path, len, "%s/%s", x->ctx->dir, name);
    int rc;
    sp_error e;
    if (heat) {
        rc = sp_afr_png_heatmap(path, rows, n, x->bins, x->fs, x->db, label, ylabel, &e);
    } else {
        long which[3] = { 0, (n - 1) / 2, n - 1 };
        int nc = n >= 3 ? 3 : (int)n;
        if (n == 2) which[1] = 1;
        char lab[3][48];
        const char *labs[3];
        for (int i = 0; i < nc; i++) {
            snprintf(lab[i], sizeof lab[i], "%s %d", ylabel, label[which[i]]);
            labs[i] = lab[i];
        }
        rc = sp_afr_png_curves(path, rows, x->bins, x->fs, x->db, nc, which, labs, &e);
    }
    free(path);
    return rc ? sp_error_put(&e, err->message, sizeof err->message) : 0;
}

static int write_epochs(afr_probe *x, sp_probe_error *err)
{
    long s2[2] = { x->E, x->bins }, s3[3] = { x->E, x->F, x->bins }, c3[3] = { x->E, x->F, 2 };
    if (x->h->write_npy(x->ctx, "afr.npy", SP_PROBE_F32, x->rows, 2, s2, err) != 0 ||
        x->h->write_npy(x->ctx, "responses.npy", SP_PROBE_F32, x->resp, 3, s3, err) != 0 ||
        x->h->write_npy(x->ctx, "cutoffs.npy", SP_PROBE_F32, x->cut, 3, c3, err) != 0)
        return -1;
    /* low_hz, high_hz: the cut-offs f1, f2 (not the parameters low_p, band_p) */
    static const char *const head[4] = { "epoch", "filter", "low_hz", "high_hz" };
    long nr = x->sinc ? x->E * x->F : 0;
    double *t = malloc((size_t)(nr ? nr : 1) * 4 * sizeof *t);
    if (!t) return oom(err);
    for (long r = 0; r < nr; r++) {
        long e = r / x->F, i = r % x->F;
        t[4 * r] = x->epoch[e];
        t[4 * r + 1] = (double)i;
        t[4 * r + 2] = x->cut[2 * r];
        t[4 * r + 3] = x->cut[2 * r + 1];
    }
    int rc = x->h->write_tsv(x->ctx, "cutoffs.tsv", 4, head, nr, t, err);
    free(t);
    if (rc != 0) return -1;
    return write_png(x, "afr_heatmap.png", 1, x->rows, x->E, x->epoch, "epoch", err) != 0 ||
                   write_png(x, "afr_curves.png", 0, x->rows, x->E, x->epoch, "epoch", err) != 0
               ? -1
               : 0;
}

static int write_steps(afr_probe *x, int png, sp_probe_error *err)
{
    if (x->S == 0) return 0;
    long s2[2] = { x->S, x->bins }, i2[2] = { x->S, 2 };
    if (x->h->write_npy(x->ctx, "afr_steps.npy", SP_PROBE_F32, x->srows, 2, s2, err) != 0 ||
        x->h->write_npy(x->ctx, "steps.npy", SP_PROBE_I32, x->sidx, 2, i2, err) != 0)
        return -1;
    static const char *const head[2] = { "step", "epoch" };
    double *t = malloc((size_t)x->S * 2 * sizeof *t);
    if (!t) return oom(err);
    for (long i = 0; i < 2 * x->S; i++) t[i] = x->sidx[i];
    int rc = x->h->write_tsv(x->ctx, "steps.tsv", 2, head, x->S, t, err);
    free(t);
    if (rc != 0 || !png) return rc;
    int *lab = malloc((size_t)x->S * sizeof *lab);
    if (!lab) return oom(err);
    for (long i = 0; i < x->S; i++) lab[i] = x->sidx[2 * i];
    rc = write_png(x, "afr_steps_heatmap.png", 1, x->srows, x->S, lab, "step", err);
    free(lab);
    return rc;
}

static int next_pow2(int k)
{
    int p = 16;
    while (p < k) p *= 2;
    return p;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    afr_probe *x = self;
    const sp_probe_filters *f = run->filters;
    x->F = f->F;
    x->K = f->K;
    x->fs = f->sample_rate;
    x->sinc = f->f1 != NULL;
    if (f->K > x->nfft) {
        err->option = OPT_NFFT;
        snprintf(err->message, sizeof err->message,
                 "nfft: %d is shorter than the first layer's filters ('%s', %d taps); set nfft = %d, or any even "
                 "number >= %d", x->nfft, f->layer, f->K, next_pow2(f->K), f->K);
        return -1;
    }
    x->resp_now = malloc((size_t)x->F * x->bins * sizeof *x->resp_now);
    x->afr_now = malloc((size_t)x->bins * sizeof *x->afr_now);
    float *freqs = malloc((size_t)x->bins * sizeof *freqs);
    double *ft = malloc((size_t)x->bins * sizeof *ft);
    if (!x->resp_now || !x->afr_now || !freqs || !ft) {
        free(freqs);
        free(ft);
        return oom(err);
    }
    sp_afr_freqs(freqs, x->nfft, x->fs);
    for (int j = 0; j < x->bins; j++) ft[j] = freqs[j];
    long shape[1] = { x->bins };
    static const char *const head[1] = { "freq_hz" };
    int rc = x->h->write_npy(x->ctx, "freqs.npy", SP_PROBE_F32, freqs, 1, shape, err) != 0 ||
             x->h->write_tsv(x->ctx, "freqs.tsv", 1, head, x->bins, ft, err) != 0;
    free(freqs);
    free(ft);
    if (rc) return -1;
    if (!x->sinc)
        x->h->log(x->ctx, SP_PROBE_INFO, "first layer '%s' is free-form conv: cutoffs.tsv has no rows", f->layer);
    if (sp_write_manifest(x->ctx, run, sp_manifest_afr, err) != 0) return -1;
    if (run->mode == SP_PROBE_MODE_EVAL) return add_epoch(x, f, 0, err);
    if (run->resumed && run->epochs_done > 0) resume(x, run);
    return 0;
}

static int on_gradients(void *self, const sp_probe_gradients *g, sp_probe_error *err)
{
    afr_probe *x = self;
    if (x->every <= 0 || g->step % x->every != 0) return 0;
    if (take(x, g->filters, err) != 0) return -1;
    long n = x->S + 1;
    if (grow(&x->srows, n, (size_t)x->bins, sizeof *x->srows) || grow(&x->sidx, n, 2, sizeof *x->sidx)) return oom(err);
    memcpy(x->srows + (size_t)x->S * x->bins, x->afr_now, (size_t)x->bins * sizeof *x->srows);
    x->sidx[2 * x->S] = (int)g->step;
    x->sidx[2 * x->S + 1] = g->epoch;
    x->S = n;
    return 0;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    afr_probe *x = self;
    if (add_epoch(x, v->filters, v->epoch, err) != 0) return -1;
    return write_steps(x, 0, err);
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    afr_probe *x = self;
    (void)run;
    return write_steps(x, 1, err);
}

static void destroy(void *self)
{
    afr_probe *x = self;
    sp_afr_free(x->afr);
    free(x->resp_now);
    free(x->afr_now);
    free(x->rows);
    free(x->resp);
    free(x->cut);
    free(x->epoch);
    free(x->srows);
    free(x->sidx);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "afr",
    .name = "Average frequency response",
    .version = "1.0",
    .summary = "frequency responses of the first layer's filters and their average (AFR), per epoch",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
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
