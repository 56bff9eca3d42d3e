/* fir.c - the real-time FIR filter of the sincprobe LADSPA plugins: direct
 * form or FFT overlap-save (fir.h has the math and the latencies). */
#include "ladspa/fir.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* direct form: outputs computed per chunk of at most CHUNK samples */
enum { CHUNK = 256, LANES = 8 };

struct sp_fir {
    int K;
    sp_fir_path path;
    float *h; /* [K] the taps as given */
    /* direct: x holds the last K-1 inputs then the current chunk */
    float *x; /* [K - 1 + CHUNK] */
    /* FFT: xin the last N inputs (K-1 old, then the block being filled),
     * y the previous block's outputs, t/T the transform buffers, G the
     * spectrum of h reversed, scaled by 1/N (FFTW's transforms are
     * unnormalised) */
    int N, L, pos;
    float *xin, *y, *t;
    fftwf_complex *T, *G;
    fftwf_plan fwd, inv, taps;
};

static pthread_mutex_t plan_mutex = PTHREAD_MUTEX_INITIALIZER;

void sp_fir_plan_lock(void)
{
    pthread_mutex_lock(&plan_mutex);
}

void sp_fir_plan_unlock(void)
{
    pthread_mutex_unlock(&plan_mutex);
}

static int fft_size(int K)
{
    long n = 256;
    while (n < 4L * K) n *= 2;
    return (int)n;
}

static int fft_alloc(sp_fir *f)
{
    int N = f->N = fft_size(f->K), bins = N / 2 + 1;
    f->L = N - f->K + 1;
    f->xin = fftwf_malloc(sizeof(float) * (size_t)N);
    f->y = fftwf_malloc(sizeof(float) * (size_t)f->L);
    f->t = fftwf_malloc(sizeof(float) * (size_t)N);
    f->T = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bins);
    f->G = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bins);
    if (!f->xin || !f->y || !f->t || !f->T || !f->G) return -1;
    sp_fir_plan_lock();
    f->fwd = fftwf_plan_dft_r2c_1d(N, f->t, f->T, FFTW_ESTIMATE);
    f->inv = fftwf_plan_dft_c2r_1d(N, f->T, f->t, FFTW_ESTIMATE);
    f->taps = fftwf_plan_dft_r2c_1d(N, f->t, f->G, FFTW_ESTIMATE);
    sp_fir_plan_unlock();
    return f->fwd && f->inv && f->taps ? 0 : -1;
}

sp_fir *sp_fir_new(int K, sp_fir_path path, sp_error *err)
{
    if (K < 1 || K > 65535) {
        sp_fail(err, "%d taps: expected 1 to 65535", K);
        return NULL;
    }
    sp_fir *f = calloc(1, sizeof *f);
    if (!f) {
        sp_fail_oom(err, sizeof *f);
        return NULL;
    }
    f->K = K;
    f->path = path != SP_FIR_AUTO ? path : K < SP_FIR_FFT_MIN_TAPS ? SP_FIR_DIRECT : SP_FIR_FFT;
    f->h = calloc((size_t)K, sizeof *f->h);
    int bad = !f->h;
    if (!bad && f->path == SP_FIR_DIRECT) bad = !(f->x = calloc((size_t)(K - 1 + CHUNK), sizeof *f->x));
    if (!bad && f->path == SP_FIR_FFT) bad = fft_alloc(f) != 0;
    if (bad) {
        sp_fir_free(f);
        sp_fail_oom(err, 0);
        return NULL;
    }
    sp_fir_set_taps(f, f->h);
    sp_fir_reset(f);
    return f;
}

void sp_fir_free(sp_fir *f)
{
    if (!f) return;
    sp_fir_plan_lock();
    if (f->fwd) fftwf_destroy_plan(f->fwd);
    if (f->inv) fftwf_destroy_plan(f->inv);
    if (f->taps) fftwf_destroy_plan(f->taps);
    sp_fir_plan_unlock();
    fftwf_free(f->xin);
    fftwf_free(f->y);
    fftwf_free(f->t);
    fftwf_free(f->T);
    fftwf_free(f->G);
    free(f->x);
    free(f->h);
    free(f);
}

void sp_fir_set_taps(sp_fir *f, const float *h)
{
    if (h != f->h) memcpy(f->h, h, sizeof(float) * (size_t)f->K);
    if (f->path != SP_FIR_FFT) return;
    /* g[j] = h[K-1-j] / N, zero-padded to N: y = g * x (convolution) */
    float scale = 1.0f / (float)f->N;
    memset(f->t, 0, sizeof(float) * (size_t)f->N);
    for (int j = 0; j < f->K; j++) f->t[j] = f->h[f->K - 1 - j] * scale;
    fftwf_execute(f->taps);
}

void sp_fir_reset(sp_fir *f)
{
    if (f->path == SP_FIR_DIRECT) {
        memset(f->x, 0, sizeof(float) * (size_t)(f->K - 1 + CHUNK));
        return;
    }
    memset(f->xin, 0, sizeof(float) * (size_t)f->N);
    memset(f->y, 0, sizeof(float) * (size_t)f->L);
    f->pos = 0;
}

sp_fir_path sp_fir_path_of(const sp_fir *f)
{
    return f->path;
}

int sp_fir_block(const sp_fir *f)
{
    return f->path == SP_FIR_FFT ? f->L : 0;
}

int sp_fir_latency(const sp_fir *f)
{
    return (f->K - 1) / 2 + sp_fir_block(f);
}

// ----------------------------------------------------------------------------
// direct form

/* y[i] = sum_k h[k] x[i + k] for i < n, LANES outputs at a time: the
 * inner loop over the lanes has no dependence between iterations, so the
 * compiler vectorises it without reordering any sum. */
static void correlate(const float *h, int K, const float *x, float *y, int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        float acc[LANES] = { 0 };
        for (int k = 0; k < K; k++) {
            float hk = h[k];
            const float *xp = x + i + k;
            for (int j = 0; j < LANES; j++) acc[j] += hk * xp[j];
        }
        memcpy(y + i, acc, sizeof acc);
    }
    for (; i < n; i++) {
        float acc = 0.0f;
        for (int k = 0; k < K; k++) acc += h[k] * x[i + k];
        y[i] = acc;
    }
}

static void run_direct(sp_fir *f, const float *in, float *out, unsigned long n)
{
    int K = f->K;
    while (n > 0) {
        int m = n < CHUNK ? (int)n : CHUNK;
        memcpy(f->x + K - 1, in, sizeof(float) * (size_t)m); /* before out is written: in may be out */
        correlate(f->h, K, f->x, out, m);
        memmove(f->x, f->x + m, sizeof(float) * (size_t)(K - 1));
        in += m;
        out += m;
        n -= (unsigned long)m;
    }
}

// ----------------------------------------------------------------------------
// FFT overlap-save

/* The block in xin[K-1 .. N) is complete: y <- its outputs; then the last
 * K-1 inputs move to the front for the next block. */
static void fft_block(sp_fir *f)
{
    int N = f->N, K = f->K, bins = N / 2 + 1;
    memcpy(f->t, f->xin, sizeof(float) * (size_t)N);
    fftwf_execute(f->fwd);
    for (int j = 0; j < bins; j++) {
        float a = f->T[j][0], b = f->T[j][1], c = f->G[j][0], d = f->G[j][1];
        f->T[j][0] = a * c - b * d;
        f->T[j][1] = a * d + b * c;
    }
    fftwf_execute(f->inv);
    /* circular convolution: samples K-1 .. N-1 have no wrap-around */
    memcpy(f->y, f->t + K - 1, sizeof(float) * (size_t)f->L);
    memmove(f->xin, f->xin + f->L, sizeof(float) * (size_t)(K - 1));
}

static void run_fft(sp_fir *f, const float *in, float *out, unsigned long n)
{
    while (n > 0) {
        int m = f->L - f->pos;
        if ((unsigned long)m > n) m = (int)n;
        memcpy(f->xin + f->K - 1 + f->pos, in, sizeof(float) * (size_t)m); /* before out: in may be out */
        memcpy(out, f->y + f->pos, sizeof(float) * (size_t)m);
        f->pos += m;
        if (f->pos == f->L) {
            fft_block(f);
            f->pos = 0;
        }
        in += m;
        out += m;
        n -= (unsigned long)m;
    }
}

void sp_fir_run(sp_fir *f, const float *in, float *out, unsigned long n)
{
#if defined(__SSE__)
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040); /* FTZ (bit 15) and DAZ (bit 6) */
#endif
    if (f->path == SP_FIR_DIRECT) run_direct(f, in, out, n);
    else run_fft(f, in, out, n);
#if defined(__SSE__)
    _mm_setcsr(csr);
#endif
}
