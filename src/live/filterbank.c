/* filterbank.c - see filterbank.h.
 *
 * Alignment: the model's layers correlate (PyTorch conv1d, no kernel
 * flip: out[t] = sum_k h[k] inp[t + k]), so here, with ext = the K - 1
 * samples before the hop followed by its H samples,
 *     y_c[j] = b_c + sum_k h_c[k] ext[j + k],   j = 0 .. H-1,
 * the model's own output for the window of K samples that ends at the
 * hop's sample j (filterbank.h's sum_k h_c[k] x[t - k] with the taps
 * reversed; for the sinc layer, whose taps are symmetric, the same thing).
 * b_c is conv1's bias for a conv first layer, so the energies are of the
 * layer's outputs as the model computes them, bias included; the sinc
 * layer has none (b = 0).
 *
 * GEMM: with cols[k][j] = ext[j + k] (K rows, each a contiguous copy of
 * ext from k on: a Hankel matrix, which BLAS cannot stride over directly),
 *     Y[F][H] = taps[F][K] cols[K][H]
 * is one cblas_sgemm, and the hop energy of filter c is
 *     e_c = sum_j y_c[j]^2.
 * The window's energy is a running sum over the last n = W/H hop energies,
 * kept in double and recomputed from the n stored ones each time the ring
 * of them wraps, so rounding cannot drift over hours of audio. Until W
 * samples have come the mean is over the samples seen (the stream starts
 * at its first sample, not after W samples of silence). */
#include "config.h"
#include "live/filterbank.h"
#include "analysis/afr.h"
#include "base/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sp_filterbank {
    int F, K, H, nh;      /* filters, taps, hop, hops per window (W = nh H) */
    double fs;
    float *taps;          /* [F][K] model order */
    float *bias;          /* [F] model order, or NULL */
    float *ext;           /* [K-1+H] the history, then the hop */
    float *cols;          /* [K][H] im2col of ext */
    float *y;             /* [F][H] */
    double *hist;         /* [nh][F] hop energies, a ring */
    double *sum;          /* [F] the sum of hist */
    int pos, seen;        /* next ring slot; hops seen (at most nh) */
    int *order;           /* [F] display index -> model filter */
    float *centre, *low, *high; /* [F] display order */
};

/* Transforms for the conv layer's bands: at least 4096 points and 4 K
 * (zero padding samples |H| finely: on 1024 points a broadband filter's
 * centroid moves by ~10 Hz). */
static int band_nfft(int K)
{
    int n = 4096;
    while (n < 4 * K) n *= 2;
    return n;
}

/* A sinc first layer: taps from the learned cut-offs; the band is
 * [f1, f2], the centre their mean. */
static void sinc_layer(sp_filterbank *fb, const sp_model *m, double *centre, double *lo, double *hi)
{
    float *f1 = sp_xmalloc((size_t)fb->F * sizeof *f1), *f2 = sp_xmalloc((size_t)fb->F * sizeof *f2);
    sp_sinc_taps(fb->taps, m->param.sinc_low_p, m->param.sinc_band_p, &m->sinc);
    sp_sinc_cutoffs(f1, f2, m->param.sinc_low_p, m->param.sinc_band_p, &m->sinc);
    for (int c = 0; c < fb->F; c++) {
        lo[c] = f1[c];
        hi[c] = f2[c];
        centre[c] = 0.5 * ((double)f1[c] + f2[c]);
    }
    free(f1);
    free(f2);
}

/* A conv first layer: conv1's taps and bias; centre and band from |H|
 * (afr.h: the power-weighted centroid and sqrt(12) x RMS bandwidth, which
 * give an ideal band-pass its own edges), edges centre -+ band/2 clipped
 * to [0, fs/2]. */
static int conv_layer(sp_filterbank *fb, const sp_model *m, double *centre, double *lo, double *hi, sp_error *err)
{
    int F = fb->F, K = fb->K, nfft = band_nfft(K), bins = sp_afr_bins(nfft);
    memcpy(fb->taps, m->param.conv_w[0], (size_t)F * K * sizeof *fb->taps);
    fb->bias = sp_xmalloc((size_t)F * sizeof *fb->bias);
    memcpy(fb->bias, m->param.conv_b[0], (size_t)F * sizeof *fb->bias);
    sp_afr *a = sp_afr_new(nfft, err);
    if (!a) return -1;
    float *mag = sp_xmalloc((size_t)F * bins * sizeof *mag), *afr = sp_xmalloc((size_t)bins * sizeof *afr);
    double *band = sp_xmalloc((size_t)F * sizeof *band);
    int rc = sp_afr_compute(a, fb->taps, F, K, SP_AFR_NORM_NONE, 0, mag, afr, err);
    if (rc == 0) {
        sp_afr_bands(mag, F, bins, fb->fs, centre, band);
        for (int c = 0; c < F; c++) {
            lo[c] = fmax(0.0, centre[c] - 0.5 * band[c]);
            hi[c] = fmin(0.5 * fb->fs, centre[c] + 0.5 * band[c]);
        }
    }
    free(band);
    free(afr);
    free(mag);
    sp_afr_free(a);
    return rc;
}

/* Display order: increasing centre, a filter without one (NaN: no
 * energy at all) last, ties in model order. An insertion sort (F is at
 * most a few hundred, once), stable, and free of qsort's global context. */
static int before(const double *centre, int a, int b)
{
    double ca = centre[a], cb = centre[b];
    if (isnan(ca) || isnan(cb)) return !isnan(ca) && isnan(cb);
    return ca < cb;
}

static void set_order(sp_filterbank *fb, const double *centre, const double *lo, const double *hi)
{
    for (int i = 0; i < fb->F; i++) {
        int c = i, j = i;
        for (; j > 0 && before(centre, c, fb->order[j - 1]); j--) fb->order[j] = fb->order[j - 1];
        fb->order[j] = c;
    }
    for (int i = 0; i < fb->F; i++) {
        int c = fb->order[i];
        fb->centre[i] = (float)centre[c];
        fb->low[i] = (float)lo[c];
        fb->high[i] = (float)hi[c];
    }
}

static void alloc_buffers(sp_filterbank *fb)
{
    size_t F = (size_t)fb->F, K = (size_t)fb->K, H = (size_t)fb->H;
    fb->taps = sp_xmalloc(F * K * sizeof *fb->taps);
    fb->ext = sp_xcalloc(K - 1 + H, sizeof *fb->ext);
    fb->cols = sp_xmalloc(K * H * sizeof *fb->cols);
    fb->y = sp_xmalloc(F * H * sizeof *fb->y);
    fb->hist = sp_xcalloc((size_t)fb->nh * F, sizeof *fb->hist);
    fb->sum = sp_xcalloc(F, sizeof *fb->sum);
    fb->order = sp_xmalloc(F * sizeof *fb->order);
    fb->centre = sp_xmalloc(F * sizeof *fb->centre);
    fb->low = sp_xmalloc(F * sizeof *fb->low);
    fb->high = sp_xmalloc(F * sizeof *fb->high);
}

sp_filterbank *sp_filterbank_new(const sp_model *m, int hop, int window, sp_error *err)
{
    const sp_conf *c = &m->conf;
    int conv = strcmp(c->first_layer, "conv") == 0;
    if (hop < 1 || window < hop || window % hop) {
        sp_fail(err, "filterbank: window of %d samples is not a positive multiple of the hop of %d", window, hop);
        return NULL;
    }
    if (c->filters < 1 || c->taps < 1 || (conv ? !m->param.conv_w[0] : !m->param.sinc_low_p)) {
        sp_fail(err, "filterbank: the model has no %s first layer", conv ? "conv" : "sinc");
        return NULL;
    }
    sp_filterbank *fb = sp_xcalloc(1, sizeof *fb);
    fb->F = c->filters;
    fb->K = c->taps;
    fb->H = hop;
    fb->nh = window / hop;
    fb->fs = SP_SAMPLE_RATE;
    alloc_buffers(fb);
    double *centre = sp_xmalloc((size_t)fb->F * 3 * sizeof *centre), *lo = centre + fb->F, *hi = lo + fb->F;
    int rc = 0;
    if (conv)
        rc = conv_layer(fb, m, centre, lo, hi, err);
    else
        sinc_layer(fb, m, centre, lo, hi);
    if (rc == 0) set_order(fb, centre, lo, hi);
    free(centre);
    if (rc != 0) {
        sp_filterbank_free(fb);
        return NULL;
    }
    return fb;
}

void sp_filterbank_free(sp_filterbank *fb)
{
    if (!fb) return;
    free(fb->taps);
    free(fb->bias);
    free(fb->ext);
    free(fb->cols);
    free(fb->y);
    free(fb->hist);
    free(fb->sum);
    free(fb->order);
    free(fb->centre);
    free(fb->low);
    free(fb->high);
    free(fb);
}

int sp_filterbank_size(const sp_filterbank *fb)
{
    return fb->F;
}

int sp_filterbank_taps(const sp_filterbank *fb)
{
    return fb->K;
}

void sp_filterbank_bands(const sp_filterbank *fb, float *centre_hz, float *low_hz, float *high_hz)
{
    size_t n = (size_t)fb->F * sizeof(float);
    if (centre_hz) memcpy(centre_hz, fb->centre, n);
    if (low_hz) memcpy(low_hz, fb->low, n);
    if (high_hz) memcpy(high_hz, fb->high, n);
}

void sp_filterbank_order(const sp_filterbank *fb, int *order)
{
    memcpy(order, fb->order, (size_t)fb->F * sizeof *order);
}

/* One hop's energies e_c = sum_j (b_c + y_c[j])^2 into the ring of hop
 * energies and the running sum (recomputed whole when the ring wraps). */
static void add_hop_energies(sp_filterbank *fb)
{
    int F = fb->F, H = fb->H;
    double *e = fb->hist + (size_t)fb->pos * F;
    for (int c = 0; c < F; c++) {
        const float *y = fb->y + (size_t)c * H;
        float b = fb->bias ? fb->bias[c] : 0.0f;
        double s = 0;
        for (int j = 0; j < H; j++) {
            double v = (double)y[j] + b;
            s += v * v;
        }
        fb->sum[c] += s - e[c];
        e[c] = s;
    }
    if (++fb->pos == fb->nh) {
        fb->pos = 0;
        for (int c = 0; c < F; c++) fb->sum[c] = 0;
        for (int h = 0; h < fb->nh; h++)
            for (int c = 0; c < F; c++) fb->sum[c] += fb->hist[(size_t)h * F + c];
    }
    if (fb->seen < fb->nh) fb->seen++;
}

void sp_filterbank_hop(sp_filterbank *fb, const float *x, float *energy_db)
{
    int F = fb->F, K = fb->K, H = fb->H;
    memcpy(fb->ext + K - 1, x, (size_t)H * sizeof *x);
    for (int k = 0; k < K; k++) memcpy(fb->cols + (size_t)k * H, fb->ext + k, (size_t)H * sizeof *x);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, F, H, K, 1.0f, fb->taps, K, fb->cols, H, 0.0f, fb->y,
                H);
    add_hop_energies(fb);
    double inv = 1.0 / ((double)fb->seen * H);
    for (int i = 0; i < F; i++) energy_db[i] = (float)(10.0 * log10(fb->sum[fb->order[i]] * inv + 1e-10));
    /* the last K - 1 samples are the next hop's history (they overlap
     * when H < K - 1) */
    memmove(fb->ext, fb->ext + H, (size_t)(K - 1) * sizeof *fb->ext);
}

void sp_filterbank_reset(sp_filterbank *fb)
{
    memset(fb->ext, 0, (size_t)(fb->K - 1 + fb->H) * sizeof *fb->ext);
    memset(fb->hist, 0, (size_t)fb->nh * fb->F * sizeof *fb->hist);
    memset(fb->sum, 0, (size_t)fb->F * sizeof *fb->sum);
    fb->pos = fb->seen = 0;
}

int sp_filterbank_response(const sp_filterbank *fb, int nfft, float *freq_hz, float *resp, float *afr,
                           float *peak, sp_error *err)
{
    int F = fb->F, bins = sp_afr_bins(nfft);
    sp_afr *a = sp_afr_new(nfft, err);
    if (!a) return -1;
    float *r = sp_xmalloc((size_t)F * bins * sizeof *r), *avg = afr ? afr : sp_xmalloc((size_t)bins * sizeof *avg);
    /* unnormalised first for the gains, then normalised */
    int rc = peak ? sp_afr_compute(a, fb->taps, F, fb->K, SP_AFR_NORM_NONE, 0, r, avg, err) : 0;
    for (int i = 0; rc == 0 && peak && i < F; i++) {
        const float *ri = r + (size_t)fb->order[i] * bins;
        peak[i] = 0;
        for (int j = 0; j < bins; j++) peak[i] = ri[j] > peak[i] ? ri[j] : peak[i];
    }
    if (rc == 0) rc = sp_afr_compute(a, fb->taps, F, fb->K, SP_AFR_NORM_PEAK, 0, r, avg, err);
    if (rc == 0) {
        if (freq_hz) sp_afr_freqs(freq_hz, nfft, fb->fs);
        if (resp)
            for (int i = 0; i < F; i++)
                memcpy(resp + (size_t)i * bins, r + (size_t)fb->order[i] * bins, (size_t)bins * sizeof *r);
    }
    if (avg != afr) free(avg);
    free(r);
    sp_afr_free(a);
    return rc;
}
