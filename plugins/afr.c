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
 * and, in train mode, how far the first layer moved (the seed's question
 * is whether its gradients vanish):
 *
 *   bands.tsv        epoch filter centre_hz band_hz, epoch 0 the state
 *                    before the first step: (f1 + f2) / 2 and f2 - f1 of
 *                    a sinc filter, the centroid and sqrt(12) x RMS
 *                    bandwidth of a conv filter's |H| (analysis/afr.h);
 *                    bands.npy float64 [1 + epochs][2][F] the same
 *   movement.tsv     per epoch: step, mean and max |change| of centre and
 *                    bandwidth since the previous epoch (d_) and since
 *                    epoch 0 (d0_), and the mean and max over the epoch's
 *                    steps of ||g||_2, the gradient of all the first
 *                    layer's parameters (grad_steps: how many steps);
 *                    movement.npy float64 [epochs][13] the same
 *   grad_state.npy   float64 [5] epoch, next step, steps, sum and max of
 *                    ||g|| of an epoch cut short, so that a resume
 *                    continues its gradient statistics
 *
 * In eval mode it writes the AFR files for the evaluated model, as one
 * row (epoch 0). On resume it keeps the rows of the epochs (and steps)
 * already done and continues them, epoch 0 of bands.npy included.
 * Options: nfft, every, normalise, db, and mark: frequency bands (the
 * ones a noise probe corrupted, say) drawn as hatched stripes on its
 * PNGs and, through the marks key of report.manifest, on the report's
 * AFR heatmap and filter bands. */
#include <sincprobe/probe.h>
#include "report_manifest.h"
#include "resume_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/afr.h"
#include "base/error.h"
#include "plot/afr_figures.h"

enum { OPT_NFFT, OPT_EVERY, OPT_NORMALISE, OPT_DB, OPT_MARK, NOPT };
enum { MAX_MARKS = 32 };

/* The host's sample rate: create checks the marks against its Nyquist
 * frequency before on_start says the rate (which checks them again). */
#define RATE 16000

static const sp_probe_option options[NOPT] = {
    { .name = "nfft", .type = SP_PROBE_OPT_INT, .default_value = "1024", .min = 16, .max = 1048576,
      .help = "transform length (even, >= the filters' taps); bins = nfft/2 + 1" },
    { .name = "every", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1e9,
      .help = "also take the AFR every N training steps (0: epoch ends only)" },
    { .name = "normalise", .type = SP_PROBE_OPT_ENUM, .default_value = "none", .choices = "none|peak",
      .help = "peak: divide each filter's |H| by its maximum before averaging" },
    { .name = "db", .type = SP_PROBE_OPT_BOOL, .default_value = "no",
      .help = "report 20 log10 of the magnitudes (floor -120 dB)" },
    { .name = "mark", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "bands to mark on the figures: f_lo-f_hi in Hz, or a comma list of them in increasing order" },
};

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    sp_afr *afr;
    int nfft, bins, every, db;
    sp_afr_norm norm;
    int F, K, sinc, fs;
    int nmarks;
    double marks[2 * MAX_MARKS]; /* [nmarks][2] f_lo f_hi in Hz */
    float *resp_now, *afr_now;  /* [F][bins], [bins] */
    /* epoch rows */
    long E;
    float *rows, *resp, *cut;   /* [E][bins], [E][F][bins], [E][F][2] */
    int *epoch;                 /* [E] */
    /* step snapshots */
    long S;
    float *srows;               /* [S][bins] */
    int *sidx;                  /* [S][2] step, epoch */
    /* movement (train mode) */
    int first;                  /* the first layer's index in the layer list */
    float *mag;                 /* [F][bins] linear |H| (conv centres) */
    double *bands;              /* [1 + E][2][F] centres, bandwidths; row 0 the start */
    long M;
    double *mv;                 /* [M][NMV] movement.tsv's rows */
    /* ||g|| over the current epoch's steps */
    int gepoch;
    long gnext, gn;
    double gsum, gmax;
} afr_probe;

/* movement.tsv's columns */
enum { NMV = 13 };
static const char *const mv_head[NMV] = { "epoch",          "step",           "d_centre_mean",  "d_centre_max",
                                          "d_band_mean",    "d_band_max",     "d0_centre_mean", "d0_centre_max",
                                          "d0_band_mean",   "d0_band_max",    "grad_norm_mean", "grad_norm_max",
                                          "grad_steps" };

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
    const char *mark = ctx->values[OPT_MARK].text;
    if (mark && mark[0] && (x->nmarks = sp_afr_parse_marks(mark, RATE, x->marks, MAX_MARKS, &e)) < 0) {
        sp_error_prefix(&e, "mark: ");
        sp_error_put(&e, err->message, sizeof err->message);
        err->option = OPT_MARK;
        free(x);
        return -1;
    }
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
        rc = sp_afr_png_heatmap(path, rows, n, x->bins, x->fs, x->db, label, ylabel, x->marks, x->nmarks, &e);
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
        rc = sp_afr_png_curves(path, rows, x->bins, x->fs, x->db, nc, which, labs, x->marks, x->nmarks, &e);
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

// ----------------------------------------------------------------------------
// how far the first layer moved (train mode): bands.*, movement.*

/* The filters' centres [F] then bandwidths [F] in Hz into row (analysis/
 * afr.h): from the cut-offs of a sinc layer, from |H| of a conv layer. */
static int bands_of(afr_probe *x, const sp_probe_filters *f, double *row, sp_probe_error *err)
{
    int F = x->F;
    if (x->sinc) {
        for (int i = 0; i < F; i++) {
            row[i] = ((double)f->f1[i] + f->f2[i]) / 2;
            row[F + i] = (double)f->f2[i] - f->f1[i];
        }
        return 0;
    }
    /* linear and not normalised whatever the options; the AFR itself
     * goes to the scratch row after the responses */
    sp_error e;
    if (sp_afr_compute(x->afr, f->taps, F, x->K, SP_AFR_NORM_NONE, 0, x->mag, x->mag + (size_t)F * x->bins, &e) != 0)
        return sp_error_put(&e, err->message, sizeof err->message);
    sp_afr_bands(x->mag, F, x->bins, x->fs, row, row + F);
    return 0;
}

/* bands.npy and bands.tsv (epoch 0 and the E epochs), and with rows
 * movement.npy and movement.tsv. */
static int write_motion(afr_probe *x, int rows, sp_probe_error *err)
{
    long nb = x->E + 1, F = x->F, s3[3] = { nb, 2, F }, s2[2] = { x->M, NMV };
    if (x->h->write_npy(x->ctx, "bands.npy", SP_PROBE_F64, x->bands, 3, s3, err) != 0) return -1;
    if (rows && (x->h->write_npy(x->ctx, "movement.npy", SP_PROBE_F64, x->mv, 2, s2, err) != 0 ||
                 x->h->write_tsv(x->ctx, "movement.tsv", NMV, mv_head, x->M, x->mv, err) != 0))
        return -1;
    static const char *const head[4] = { "epoch", "filter", "centre_hz", "band_hz" };
    double *t = malloc((size_t)(nb * F) * 4 * sizeof *t);
    if (!t) return oom(err);
    for (long e = 0; e < nb; e++) {
        const double *b = x->bands + (size_t)e * 2 * F;
        for (long i = 0; i < F; i++) {
            double *r = t + (size_t)(e * F + i) * 4;
            r[0] = e ? x->epoch[e - 1] : 0;
            r[1] = (double)i;
            r[2] = b[i];
            r[3] = b[F + i];
        }
    }
    int rc = x->h->write_tsv(x->ctx, "bands.tsv", 4, head, nb * F, t, err);
    free(t);
    return rc;
}

/* After add_epoch: the state of epoch row E-1 as bands row E, and its
 * movement row (the gradient statistics of the epoch's steps start
 * again). */
static int add_motion(afr_probe *x, const sp_probe_view *v, sp_probe_error *err)
{
    size_t row = 2 * (size_t)x->F;
    if (grow(&x->bands, x->E + 1, row, sizeof *x->bands) || grow(&x->mv, x->M + 1, NMV, sizeof *x->mv))
        return oom(err);
    double *now = x->bands + (size_t)x->E * row, *prev = now - row, *m = x->mv + (size_t)x->M * NMV;
    if (bands_of(x, v->filters, now, err) != 0) return -1;
    m[0] = v->epoch;
    m[1] = (double)v->step;
    /* since the previous epoch: unknown when rows are missing between */
    int prev_epoch = x->E >= 2 ? x->epoch[x->E - 2] : 0;
    sp_afr_movement(prev, prev + x->F, now, now + x->F, x->F, m + 2);
    if (prev_epoch != v->epoch - 1) m[2] = m[3] = m[4] = m[5] = NAN;
    sp_afr_movement(x->bands, x->bands + x->F, now, now + x->F, x->F, m + 6);
    m[10] = x->gn ? x->gsum / (double)x->gn : NAN;
    m[11] = x->gn ? x->gmax : NAN;
    m[12] = (double)x->gn;
    x->M++;
    x->gn = 0;
    x->gsum = x->gmax = 0;
    return write_motion(x, 1, err);
}

/* On resume: epoch 0 and the kept epochs' states from bands.npy (NaN
 * where it has no row), movement.npy's rows of those epochs, and the
 * gradient statistics of an epoch cut short when they end where the
 * checkpoint does. */
static void resume_motion(afr_probe *x, const sp_probe_run *run)
{
    const sp_probe_host *h = x->h;
    size_t row = 2 * (size_t)x->F;
    long nb = x->E + 1, got = 0;
    for (size_t i = 0; i < (size_t)nb * row; i++) x->bands[i] = NAN;
    sp_probe_dtype t;
    int rank;
    long shape[SP_PROBE_NPY_MAXRANK];
    sp_probe_error ignore;
    double *old = h->read_npy(x->ctx, "bands.npy", &t, &rank, shape, &ignore);
    if (old && t == SP_PROBE_F64 && rank == 3 && shape[1] == 2 && shape[2] == x->F) {
        got = shape[0] < nb ? shape[0] : nb;
        memcpy(x->bands, old, (size_t)got * row * sizeof *old);
    }
    h->release(old);
    if (got < nb)
        h->log(x->ctx, SP_PROBE_WARN, "bands.npy holds %ld of the %ld states to resume from; movement from the "
               "missing ones is NaN", got, nb);
    double *rows = NULL;
    long n = sp_resume_rows(x->ctx, "movement.npy", NMV, run, NULL, &rows), k = 0;
    for (long i = 0; i < n; i++)
        if (rows[(size_t)i * NMV] <= x->E && grow(&x->mv, k + 1, NMV, sizeof *x->mv) == 0)
            memcpy(x->mv + (size_t)k++ * NMV, rows + (size_t)i * NMV, NMV * sizeof *rows);
    free(rows);
    x->M = k;
    double *g = h->read_npy(x->ctx, "grad_state.npy", &t, &rank, shape, &ignore);
    if (g && t == SP_PROBE_F64 && rank == 1 && shape[0] == 5 && g[0] == run->epochs_done + 1 &&
        g[1] == (double)run->steps_done) {
        x->gepoch = (int)g[0];
        x->gnext = (long)g[1];
        x->gn = (long)g[2];
        x->gsum = g[3];
        x->gmax = g[4];
    }
    h->release(g);
}

/* on_start in train mode: the state before the first step (or, resumed,
 * the states read back), written at once so that a run stopped in its
 * first epoch keeps it. */
static int start_motion(afr_probe *x, const sp_probe_run *run, sp_probe_error *err)
{
    x->first = -1;
    for (int i = 0; i < run->nlayers && x->first < 0; i++)
        if (!strcmp(run->layers[i].name, run->filters->layer)) x->first = i;
    x->mag = malloc((size_t)(x->F + 1) * x->bins * sizeof *x->mag);
    if (!x->mag || grow(&x->bands, x->E + 1, 2 * (size_t)x->F, sizeof *x->bands)) return oom(err);
    if (run->resumed) resume_motion(x, run);
    else if (bands_of(x, run->filters, x->bands, err) != 0) return -1;
    return write_motion(x, x->M > 0, err);
}

/* ||g||_2 over every parameter tensor of the first layer, for this
 * epoch's mean and max. */
static void add_grad_norm(afr_probe *x, const sp_probe_gradients *g)
{
    if (x->first < 0 || x->first >= g->nlayers) return;
    const sp_probe_layer *l = &g->layers[x->first];
    double ss = 0;
    for (int j = 0; j < l->nparams; j++)
        for (unsigned long i = 0; l->param[j].grad && i < l->param[j].n; i++)
            ss += (double)l->param[j].grad[i] * l->param[j].grad[i];
    double norm = sqrt(ss);
    if (g->epoch != x->gepoch) {
        x->gepoch = g->epoch;
        x->gn = 0;
        x->gsum = x->gmax = 0;
    }
    x->gsum += norm;
    if (norm > x->gmax) x->gmax = norm;
    x->gn++;
    x->gnext = g->step + 1;
}

// ----------------------------------------------------------------------------
// the marks in report.manifest

/* afr.manifest's panels whose axis is frequency in kHz (their x_divisor,
 * y_divisor = 1000): the marks go there, in kHz. */
static const char *const mark_sections[] = { "[heatmap afr]\n", "[bands bands]\n" };

/* The manifest with "marks = LO-HI ..." (kHz) after the header of each
 * of mark_sections; NULL when out of memory. */
static char *manifest_with_marks(const afr_probe *x)
{
    char line[48 * MAX_MARKS + 16];
    size_t n = (size_t)snprintf(line, sizeof line, "marks =");
    for (int k = 0; k < x->nmarks; k++)
        n += (size_t)snprintf(line + n, sizeof line - n, " %g-%g", x->marks[2 * k] / 1000, x->marks[2 * k + 1] / 1000);
    snprintf(line + n, sizeof line - n, "\n");
    size_t len = strlen(sp_manifest_afr), add = strlen(line);
    char *out = malloc(len + 2 * add + 1);
    if (!out) return NULL;
    const char *from = sp_manifest_afr;
    char *to = out;
    /* each section once, in the order they come in the file */
    for (size_t i = 0; i < 2; i++) {
        const char *at = strstr(from, mark_sections[i]);
        if (!at) continue;
        at += strlen(mark_sections[i]);
        memcpy(to, from, (size_t)(at - from));
        to += at - from;
        memcpy(to, line, add);
        to += add;
        from = at;
    }
    strcpy(to, from);
    return out;
}

static int write_manifest(afr_probe *x, const sp_probe_run *run, sp_probe_error *err)
{
    if (x->nmarks == 0) return sp_write_manifest(x->ctx, run, sp_manifest_afr, err);
    char *m = manifest_with_marks(x);
    if (!m) return oom(err);
    int rc = sp_write_manifest(x->ctx, run, m, err);
    free(m);
    return rc;
}

// ----------------------------------------------------------------------------
// the hooks

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
    for (int k = 0; k < x->nmarks; k++)
        if (x->marks[2 * k + 1] > x->fs / 2.0) {
            err->option = OPT_MARK;
            snprintf(err->message, sizeof err->message, "mark: %g-%g Hz is above the Nyquist frequency %g Hz",
                     x->marks[2 * k], x->marks[2 * k + 1], x->fs / 2.0);
            return -1;
        }
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
        x->h->log(x->ctx, SP_PROBE_INFO, "first layer '%s' is free-form conv: cutoffs.tsv has no rows; bands.tsv "
                  "takes centres and bandwidths from |H|", f->layer);
    if (write_manifest(x, run, err) != 0) return -1;
    if (run->mode == SP_PROBE_MODE_EVAL) return add_epoch(x, f, 0, err);
    if (run->resumed && run->epochs_done > 0) resume(x, run);
    return start_motion(x, run, err);
}

static int on_gradients(void *self, const sp_probe_gradients *g, sp_probe_error *err)
{
    afr_probe *x = self;
    add_grad_norm(x, g);
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
    if (add_epoch(x, v->filters, v->epoch, err) != 0 || add_motion(x, v, err) != 0) return -1;
    return write_steps(x, 0, err);
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    afr_probe *x = self;
    if (run->mode != SP_PROBE_MODE_TRAIN) return write_steps(x, 1, err);
    /* the gradient statistics of an epoch cut short, for a resume */
    double st[5] = { x->gepoch, (double)x->gnext, (double)x->gn, x->gsum, x->gmax };
    long s1[1] = { 5 };
    if (x->h->write_npy(x->ctx, "grad_state.npy", SP_PROBE_F64, st, 1, s1, err) != 0) return -1;
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
    free(x->mag);
    free(x->bands);
    free(x->mv);
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
