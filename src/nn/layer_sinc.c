/* layer_sinc.c - the sinc filterbank, SincNet's first layer (the math is in
 * layers.h).
 *
 * Three parts: taps from the parameters (sp_sinc_taps), the filtering of the
 * batch by the taps, and the chain rule from the taps gradient back through
 * the cut-offs f1, f2 to the parameters low_p, band_p
 * (sp_sinc_taps_backward). The filtering sees only taps, input and
 * output, and has two implementations, chosen per call by a cost model of
 * the sizes (use_fft, at the end):
 *
 * - folded im2col + GEMM (sinc_filter_forward / sinc_filter_backward). It
 *   exploits the linear phase of the filters, h[k] = h[K-1-k]:
 *       out[t] = h[half] x[t+half] + sum_{k<half} h[k] (x[t+k] + x[t+K-1-k])
 *   so one GEMM per chunk of examples against a "folded" im2col matrix of
 *   half+1 rows does half the multiply-adds of a plain convolution. The
 *   taps gradient comes out folded the same way, dL/dh[k] + dL/dh[K-1-k],
 *   which is all the chain rule needs because mirrored taps are the same
 *   function of f1, f2. Cost ~ (K+1)/2 multiply-adds per output sample:
 *   best for short filters, and the fallback.
 * - FFT (sinc_fft_forward / sinc_fft_backward, FFTW): cost ~ N log N per
 *   example and filter whatever K; 2-4x faster than the GEMM at the sincnet
 *   preset (K 251, T 3200). See "filtering by FFT" below.
 *
 * The two round differently (both ~1e-7 relative to the naive sums); the
 * choice depends only on the sizes, so a run is reproducible. */
#include "config.h"
#include "base/conf.h"
#include "nn/layers.h"
#include "nn/simd.h"

#include <cblas.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const double PI = 3.14159265358979323846;

// ----------------------------------------------------------------------------
// parameters -> cut-offs -> taps

sp_sinc_spec sp_sinc_spec_make(int F, int K, float fs)
{
    sp_sinc_spec s = { F, K, fs, (float)SP_DEFAULT_MIN_LOW_HZ, (float)SP_DEFAULT_MIN_BAND_HZ, 1.0f };
    return s;
}

static double hz_to_mel(double f)
{
    return 2595.0 * log10(1.0 + f / 700.0);
}

static double mel_to_hz(double m)
{
    return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
}

void sp_sinc_init(float *low_p, float *band_p, const sp_sinc_spec *s)
{
    double lo = 30.0;
    double hi = s->fs / 2.0 - ((double)s->min_low_hz + s->min_band_hz);
    double m_lo = hz_to_mel(lo), m_hi = hz_to_mel(hi);
    // edges are float32 in the reference; band is their float difference
    float prev = (float)mel_to_hz(m_lo);
    for (int f = 0; f < s->F; f++) {
        float next = (float)mel_to_hz(m_lo + (m_hi - m_lo) * (f + 1) / s->F);
        // stored in units of param_scale Hz (x / 1 is exact: Hz unchanged)
        low_p[f] = prev / s->param_scale;
        band_p[f] = (next - prev) / s->param_scale;
        prev = next;
    }
}

/* With c = param_scale (1, or fs when normalised):
 * f1 = min(min_low + |c low_p|, fs/2 - min_band); f2raw = f1 + min_band +
 * |c band_p|; f2 = clamp(f2raw, min_low, fs/2), in double. Returns the
 * clamp's pass mask, 1 when f2raw is inside [min_low, fs/2] (edges
 * included, as torch.clamp's gradient), decided in float32 arithmetic in
 * the reference's order so it is the same decision as torch's: the mel
 * initialisation puts the top filter's f2raw on fs/2 exactly (in float32),
 * right at the kink, where double arithmetic could fall on the other side.
 * *capped (unless NULL) is 1 when f1 was capped: the cap keeps the band at
 * least min_band wide (the reference lets f1 pass fs/2 and then divides by
 * f2 - f1 <= 0); it never binds on Hz-valued parameters in practice, but
 * normalised ones move ~fs lr per step and the top filter can reach it.
 * With c = 1 the products are exact, so Hz-valued parameters below the
 * cap give the bits they gave before param_scale existed. */
static int cutoffs(double *f1, double *f2, int *capped, float low_p, float band_p, const sp_sinc_spec *s)
{
    double lo = s->min_low_hz, nyq = s->fs / 2.0, c = s->param_scale;
    double a = lo + fabs(c * low_p), cap = nyq - s->min_band_hz;
    int k = a > cap;
    if (k) a = cap;
    if (capped) *capped = k;
    double raw = a + s->min_band_hz + fabs(c * band_p);
    *f1 = a;
    *f2 = raw < lo ? lo : raw > nyq ? nyq : raw;
    float raw32 = (s->min_low_hz + fabsf(s->param_scale * low_p) + s->min_band_hz) + fabsf(s->param_scale * band_p);
    return raw32 >= s->min_low_hz && raw32 <= s->fs / 2.0f;
}

void sp_sinc_cutoffs(float *f1, float *f2, const float *low_p, const float *band_p,
                     const sp_sinc_spec *s)
{
    for (int f = 0; f < s->F; f++) {
        double a, b;
        cutoffs(&a, &b, NULL, low_p[f], band_p[f], s);
        if (f1) f1[f] = (float)a;
        if (f2) f2[f] = (float)b;
    }
}

// symmetric Hamming window of length K, tap k
static double hamming(int k, int K)
{
    return 0.54 - 0.46 * cos(2.0 * PI * k / (K - 1));
}

void sp_sinc_taps(float *taps, const float *low_p, const float *band_p, const sp_sinc_spec *s)
{
    int K = s->K, half = (K - 1) / 2;
    for (int f = 0; f < s->F; f++) {
        double f1, f2;
        cutoffs(&f1, &f2, NULL, low_p[f], band_p[f], s);
        double norm = 1.0 / (2.0 * (f2 - f1));
        float *h = taps + (size_t)f * K;
        for (int k = 0; k < half; k++) {
            double t = (double)(k - half) / s->fs;
            // h = w (sin(2 pi f2 t) - sin(2 pi f1 t)) / (pi t) / (2 (f2 - f1))
            double v = hamming(k, K) * (sin(2.0 * PI * f2 * t) - sin(2.0 * PI * f1 * t))
                       / (PI * t) * norm;
            h[k] = h[K - 1 - k] = (float)v;
        }
        h[half] = 1.0f;
    }
}

/* The chain rule for filter f given g[k] = dL/dh[k] + dL/dh[K-1-k] for the
 * left half k < half (the centre tap is constant, so its gradient is
 * dropped). g is read as g[f*ldg + k]; when `mirrored` it is a full [F][K]
 * taps gradient and the fold is done here. */
static void taps_backward(float *dlow_p, float *dband_p, const float *g, int ldg,
                          int mirrored, const float *low_p, const float *band_p,
                          const sp_sinc_spec *s)
{
    int K = s->K, half = (K - 1) / 2;
    double c = s->param_scale;
    for (int f = 0; f < s->F; f++) {
        double f1, f2;
        int capped, pass = cutoffs(&f1, &f2, &capped, low_p[f], band_p[f], s);
        double inv_band = 1.0 / (f2 - f1);
        const float *gf = g + (size_t)f * ldg;
        double g1 = 0.0, g2 = 0.0; // dL/df1, dL/df2 through the taps
        for (int k = 0; k < half; k++) {
            double gk = mirrored ? (double)gf[k] + gf[K - 1 - k] : gf[k];
            double t = (double)(k - half) / s->fs;
            double w = hamming(k, K);
            double s1 = sin(2.0 * PI * f1 * t), c1 = cos(2.0 * PI * f1 * t);
            double s2 = sin(2.0 * PI * f2 * t), c2 = cos(2.0 * PI * f2 * t);
            double h = w * (s2 - s1) / (PI * t) * 0.5 * inv_band;
            // dh/df2 = (w cos(2 pi f2 t) - h) / (f2 - f1)
            // dh/df1 = (h - w cos(2 pi f1 t)) / (f2 - f1)
            g2 += gk * (w * c2 - h) * inv_band;
            g1 += gk * (h - w * c1) * inv_band;
        }
        // f2 = clamp(f1 + min_band + |band_p|): df2/df1 = df2/d|band_p| = pass
        double df2 = pass ? g2 : 0.0;
        double df1 = g1 + df2;
        // f1 = min_low + |c low_p|: d/dlow_p = c sign(low_p), sign(0) = 0
        // (c = param_scale: a step of the stored value moves f1 c times as far);
        // 0 where f1 is capped (f1 constant; f2 = fs/2 then, so df2 = 0 too)
        double sl = capped ? 0.0 : (low_p[f] > 0) - (low_p[f] < 0);
        double sb = (band_p[f] > 0) - (band_p[f] < 0);
        dlow_p[f] += (float)(sl * df1 * c);
        dband_p[f] += (float)(sb * df2 * c);
    }
}

void sp_sinc_taps_backward(float *dlow_p, float *dband_p, const float *dtaps,
                           const float *low_p, const float *band_p, const sp_sinc_spec *s)
{
    taps_backward(dlow_p, dband_p, dtaps, s->K, 1, low_p, band_p, s);
}

// ----------------------------------------------------------------------------
// filtering: folded im2col + one sgemm per chunk of examples

/* col: [half+1][Tout], col[k][t] = x[t+k] + x[t+K-1-k] for k < half,
 * col[half][t] = x[t+half]. */
static void fold_im2col(float *col, size_t ld, const float *x, int K, int Tout)
{
    int half = (K - 1) / 2;
    for (int k = 0; k < half; k++) {
        float *c = col + (size_t)k * ld;
        const float *a = x + k, *b = x + (K - 1 - k);
        for (int t = 0; t < Tout; t++) c[t] = a[t] + b[t];
    }
    memcpy(col + (size_t)half * ld, x + half, (size_t)Tout * sizeof(float));
}

/* The adjoint of fold_im2col, added into dx. */
static void fold_col2im_add(float *dx, const float *col, size_t ld, int K, int Tout)
{
    int half = (K - 1) / 2;
    for (int k = 0; k < half; k++) {
        const float *c = col + (size_t)k * ld;
        float *a = dx + k, *b = dx + (K - 1 - k);
        for (int t = 0; t < Tout; t++) a[t] += c[t];
        for (int t = 0; t < Tout; t++) b[t] += c[t];
    }
    const float *c = col + (size_t)half * ld;
    float *a = dx + half;
    for (int t = 0; t < Tout; t++) a[t] += c[t];
}

static size_t gemm_workspace(const sp_sinc_spec *s, int B, int T)
{
    size_t rows = (size_t)(s->K - 1) / 2 + 1;
    size_t Tout = (size_t)(T - s->K + 1), n = (size_t)sp_gemm_chunk((int)Tout, B);
    return rows * n * Tout      // folded im2col of a chunk (or its gradient)
           + (size_t)s->F * n * Tout  // the chunk's output (or its gradient)
           + (size_t)s->F * rows;     // folded taps gradient (backward)
}

/* For a chunk of n examples side by side (columns e T' + t):
 * y (F x n T') = taps[:, :half+1] (F x half+1, ld K) @ col (half+1 x n T'),
 * scattered into out [B][F][T']. */
static void sinc_filter_forward(float *out, float *ws, const float *inp, const float *taps,
                                int F, int K, int B, int T)
{
    int Tout = T - K + 1, rows = (K - 1) / 2 + 1, nb = sp_gemm_chunk(Tout, B);
    float *col = ws, *y = ws + (size_t)rows * nb * Tout;
    for (int b0 = 0; b0 < B; b0 += nb) {
        int n = B - b0 < nb ? B - b0 : nb;
        size_t ld = (size_t)n * Tout;
        for (int e = 0; e < n; e++) fold_im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * T, K, Tout);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, F, (int)ld, rows, 1.0f, taps, K, col, (int)ld,
                    0.0f, y, (int)ld);
        for (int e = 0; e < n; e++)
            for (int f = 0; f < F; f++)
                memcpy(out + ((size_t)(b0 + e) * F + f) * Tout, y + (size_t)f * ld + (size_t)e * Tout,
                       (size_t)Tout * sizeof(float));
    }
}

/* dfold (F x half+1) += dy (F x n T') @ col^T per chunk, dy gathered from
 * dout; when dinp, dcol = taps[:, :half+1]^T @ dy, unfolded into dinp. */
static void sinc_filter_backward(float *dinp, float *dfold, float *ws, const float *dout,
                                 const float *inp, const float *taps, int F, int K, int B,
                                 int T)
{
    int Tout = T - K + 1, rows = (K - 1) / 2 + 1, nb = sp_gemm_chunk(Tout, B);
    float *col = ws, *dy = ws + (size_t)rows * nb * Tout;
    for (int b0 = 0; b0 < B; b0 += nb) {
        int n = B - b0 < nb ? B - b0 : nb;
        size_t ld = (size_t)n * Tout;
        for (int e = 0; e < n; e++) {
            fold_im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * T, K, Tout);
            for (int f = 0; f < F; f++)
                memcpy(dy + (size_t)f * ld + (size_t)e * Tout, dout + ((size_t)(b0 + e) * F + f) * Tout,
                       (size_t)Tout * sizeof(float));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, F, rows, (int)ld, 1.0f, dy, (int)ld, col, (int)ld,
                    1.0f, dfold, rows);
        if (dinp) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, (int)ld, F, 1.0f, taps, K, dy, (int)ld,
                        0.0f, col, (int)ld);
            for (int e = 0; e < n; e++)
                fold_col2im_add(dinp + (size_t)(b0 + e) * T, col + (size_t)e * Tout, ld, K, Tout);
        }
    }
}

// ----------------------------------------------------------------------------
// filtering by FFT
//
// With N >= T (the smallest even 2^a 3^b 5^c, N = T = 3200 at the sincnet
// preset), X = rfft(x) and H = rfft(h) of the taps zero-padded to N:
//     out  = irfft(X conj(H)) / N         first T' samples (no wrap-around:
//                                          t + k <= T - 1 < N)
//     dh   = irfft(sum_b X_b conj(DY_b)) / N   first K lags (t + k < T)
//     dinp = irfft(sum_f DY_f H_f) / N    first T samples (a full linear
//                                          convolution, T' + K - 1 = T <= N)
// with DY = rfft(dy zero-padded to N). Per example and filter that is one
// inverse FFT (forward) or one forward FFT and two complex multiply-adds
// (backward), instead of (K+1)/2 multiply-adds per output sample; the
// parameter and input gradients are summed in the frequency domain, so
// backward needs only F + B inverse FFTs more. The taps need not be
// symmetric here; the gradient is the full [F][K] one.
//
// Exceptions to the layers.h rules (no allocation, locks or state), both
// outside the arithmetic: FFTW plans are made at the first call for each N
// and kept for the process in a static table, under a mutex (FFTW's planner
// is not thread-safe; it allocates); and without OpenMP the threads are
// started per call. Everything a transform reads or writes is in the
// caller's workspace: the plans run on it through the new-array execute
// functions, on rows aligned to 64 bytes like the planning arrays (should a
// workspace ever not allow that, the GEMM path runs instead).
//
// The plans are FFTW_ESTIMATE ones on purpose: FFTW_MEASURE picks the
// algorithm by timing, so two runs could round differently, and training
// runs are bit-reproducible for a seed (tests/train.sh checks it). At the
// sincnet preset FFTW_MEASURE plans were no faster in the layer (within 3%).
//
// Threads: the batch is split into equal contiguous slices, one per thread
// (as many as the caller's OpenBLAS thread count, at most FFT_MAX_THREADS),
// run on OpenMP's threads (or pthreads in a build without OpenMP, which is
// slower in the model: its threads then contend with OpenMP's spinning
// ones). FFTW's own threads are no use here: one 3200-point transform on
// two threads took 6x longer, a batch of 8 no less. Each output element
// and each example's input gradient is computed by one thread; the taps
// gradient is summed per slice and the slices added in order, so results
// are the same from run to run for a thread count (and differ by rounding
// between thread counts).

#define FFT_MAX_THREADS 4
#define FFT_ROWS 8    /* examples per block (reuse of each filter's spectrum) */
#define FFT_ALIGN 16  /* floats: rows start on 64-byte boundaries */
#define FFT_MAX_PLANS 16

static size_t round_up(size_t n)
{
    return (n + FFT_ALIGN - 1) / FFT_ALIGN * FFT_ALIGN;
}

/* The transform length for T samples: the smallest even N >= T with no
 * prime factor above 5 (FFTW is fastest on those). */
static int fft_length(int T)
{
    for (int n = T + (T & 1);; n += 2) {
        int m = n;
        while (m % 2 == 0) m /= 2;
        while (m % 3 == 0) m /= 3;
        while (m % 5 == 0) m /= 5;
        if (m == 1) return n;
    }
}

typedef struct {
    int N, nc;       /* length, complex bins N/2+1 */
    size_t ldr, ldc; /* floats per real row, per complex row (16-multiples) */
} fft_geom;

static fft_geom geometry_of(int N)
{
    fft_geom g;
    g.N = N;
    g.nc = g.N / 2 + 1;
    g.ldr = round_up((size_t)g.N);
    g.ldc = round_up((size_t)g.nc * 2);
    return g;
}

static fft_geom fft_geometry(int T)
{
    return geometry_of(fft_length(T));
}

/* Per-thread floats: input spectra, input-gradient spectra and scratch
 * spectra of a block, a block of real rows, and the slice's taps-gradient
 * spectra. */
static size_t fft_thread_floats(const fft_geom *g, int F)
{
    return 3 * FFT_ROWS * g->ldc + FFT_ROWS * g->ldr + (size_t)F * g->ldc;
}

/* Slack to align the start, the taps' spectra, the taps gradient, the
 * threads' parts. */
static size_t fft_workspace(const sp_sinc_spec *s, int T)
{
    fft_geom g = fft_geometry(T);
    return FFT_ALIGN + (size_t)s->F * g.ldc + round_up((size_t)s->F * s->K)
           + FFT_MAX_THREADS * fft_thread_floats(&g, s->F);
}

typedef struct {
    int N;
    fftwf_plan r2c, c2r;
    fftwf_plan half; /* complex backward transform of N/2 points (inference), or NULL */
} fft_plans;

static fft_plans plan_table[FFT_MAX_PLANS];
static int plan_count;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

/* The complex backward transform of N/2 points of sp_sinc_infer (one
 * row, out of place, on 64-byte aligned arrays), or NULL. */
static fftwf_plan plan_half(int N)
{
    int h = N / 2;
    fftwf_plan p = NULL;
    fftwf_complex *a = fftwf_alloc_complex((size_t)h), *b = fftwf_alloc_complex((size_t)h);
    if (a && b && fftwf_alignment_of((float *)a) == 0 && fftwf_alignment_of((float *)b) == 0)
        p = fftwf_plan_many_dft(1, &h, 1, a, NULL, 1, 0, b, NULL, 1, 0, FFTW_BACKWARD,
                                FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    fftwf_free(a);
    fftwf_free(b);
    return p;
}

/* The plans for length N (one row, out of place, on 64-byte aligned
 * arrays), made at the first call for N; NULL when FFTW cannot plan or the
 * table is full. */
static const fft_plans *get_plans(int N)
{
    const fft_plans *p = NULL;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < plan_count; i++)
        if (plan_table[i].N == N) p = &plan_table[i];
    if (!p && plan_count < FFT_MAX_PLANS) {
        size_t nc = (size_t)N / 2 + 1;
        float *r = fftwf_alloc_real(round_up((size_t)N));
        fftwf_complex *c = fftwf_alloc_complex(nc);
        if (r && c && fftwf_alignment_of(r) == 0 && fftwf_alignment_of((float *)c) == 0) {
            int n = N;
            unsigned flags = FFTW_ESTIMATE;
            fftwf_plan f = fftwf_plan_many_dft_r2c(1, &n, 1, r, NULL, 1, 0, c, NULL, 1, 0, flags);
            fftwf_plan b = fftwf_plan_many_dft_c2r(1, &n, 1, c, NULL, 1, 0, r, NULL, 1, 0,
                                                   flags | FFTW_DESTROY_INPUT);
            if (f && b) {
                plan_table[plan_count].N = N;
                plan_table[plan_count].r2c = f;
                plan_table[plan_count].c2r = b;
                plan_table[plan_count].half = plan_half(N);
                p = &plan_table[plan_count++];
            } else {
                if (f) fftwf_destroy_plan(f);
                if (b) fftwf_destroy_plan(b);
            }
        }
        fftwf_free(r);
        fftwf_free(c);
    }
    pthread_mutex_unlock(&plan_lock);
    return p;
}

static void rfft(const fft_plans *p, float *in, float *out)
{
    fftwf_execute_dft_r2c(p->r2c, in, (fftwf_complex *)out);
}

/* out = irfft(in) unnormalised; in is destroyed. */
static void irfft(const fft_plans *p, float *in, float *out)
{
    fftwf_execute_dft_c2r(p->c2r, (fftwf_complex *)in, out);
}

/* The frequency-domain products, on interleaved complex rows (64-byte
 * aligned). Two complex values per SSE vector where the compiler targets
 * x86-64 (SSE2 is part of it); plain loops elsewhere. */
#if defined(__SSE2__)
#define CPAIRS(nc) ((nc) / 2 * 2) /* complex values done by the vector loops */

/* [ar, ai, ...] * conj([br, bi, ...]) = [ar br + ai bi, ai br - ar bi, ...] */
static inline __m128 v_mul_conj(__m128 a, __m128 b)
{
    const __m128 sign = _mm_set_ps(-0.0f, 0.0f, -0.0f, 0.0f); // flips the imaginary lanes
    __m128 bre = _mm_shuffle_ps(b, b, _MM_SHUFFLE(2, 2, 0, 0));
    __m128 bim = _mm_xor_ps(_mm_shuffle_ps(b, b, _MM_SHUFFLE(3, 3, 1, 1)), sign);
    __m128 asw = _mm_shuffle_ps(a, a, _MM_SHUFFLE(2, 3, 0, 1));
    return _mm_add_ps(_mm_mul_ps(a, bre), _mm_mul_ps(asw, bim));
}

/* [ar, ai, ...] * [br, bi, ...] = [ar br - ai bi, ai br + ar bi, ...] */
static inline __m128 v_mul(__m128 a, __m128 b)
{
    const __m128 sign = _mm_set_ps(0.0f, -0.0f, 0.0f, -0.0f); // flips the real lanes
    __m128 bre = _mm_shuffle_ps(b, b, _MM_SHUFFLE(2, 2, 0, 0));
    __m128 bim = _mm_xor_ps(_mm_shuffle_ps(b, b, _MM_SHUFFLE(3, 3, 1, 1)), sign);
    __m128 asw = _mm_shuffle_ps(a, a, _MM_SHUFFLE(2, 3, 0, 1));
    return _mm_add_ps(_mm_mul_ps(a, bre), _mm_mul_ps(asw, bim));
}
#else
#define CPAIRS(nc) 0
#endif

/* y = a conj(b), nc complex values. */
static void cmul_conj(float *restrict y, const float *restrict a, const float *restrict b, int nc)
{
    int i = 0;
#if defined(__SSE2__)
    for (; i < 2 * CPAIRS(nc); i += 4) _mm_store_ps(y + i, v_mul_conj(_mm_load_ps(a + i), _mm_load_ps(b + i)));
#endif
    for (; i < 2 * nc; i += 2) {
        float ar = a[i], ai = a[i + 1], br = b[i], bi = b[i + 1];
        y[i] = ar * br + ai * bi;
        y[i + 1] = ai * br - ar * bi;
    }
}

/* g += a conj(d); x += d h (the two backward sums, sharing d). x may be
 * NULL. */
static void cmac_backward(float *restrict g, float *restrict x, const float *restrict a,
                          const float *restrict d, const float *restrict h, int nc)
{
    int i = 0;
#if defined(__SSE2__)
    if (x)
        for (; i < 2 * CPAIRS(nc); i += 4) {
            __m128 dv = _mm_load_ps(d + i);
            _mm_store_ps(g + i, _mm_add_ps(_mm_load_ps(g + i), v_mul_conj(_mm_load_ps(a + i), dv)));
            _mm_store_ps(x + i, _mm_add_ps(_mm_load_ps(x + i), v_mul(dv, _mm_load_ps(h + i))));
        }
    else
        for (; i < 2 * CPAIRS(nc); i += 4)
            _mm_store_ps(g + i, _mm_add_ps(_mm_load_ps(g + i),
                                           v_mul_conj(_mm_load_ps(a + i), _mm_load_ps(d + i))));
#endif
    for (; i < 2 * nc; i += 2) {
        float ar = a[i], ai = a[i + 1], dr = d[i], di = d[i + 1];
        g[i] += ar * dr + ai * di;
        g[i + 1] += ai * dr - ar * di;
        if (x) {
            float hr = h[i], hi = h[i + 1];
            x[i] += dr * hr - di * hi;
            x[i + 1] += dr * hi + di * hr;
        }
    }
}

typedef struct {
    const fft_plans *p;
    fft_geom g;
    int F, K, T, Tout;
    const float *H; /* [F][ldc] spectra of the taps, scaled by 1/N */
    float *out;              /* forward */
    const float *inp;
    const float *dout;       /* backward */
    float *dinp;
    /* The |.| + max-pool after the layer, fused (sp_sinc_absmaxpool_*):
     * forward pools each output row while in cache; backward builds each
     * row of dout from the pool's gradient instead of reading it. */
    int P, Tp;               /* pool width, pooled length; P = 0: no pool */
    float *pool_out;         /* forward: [B][F][Tp] */
    int *argmax;             /* forward: written; backward: read */
    const float *pool_dout;  /* backward: [B][F][Tp] */
    const float *sinc_out;   /* backward: the forward's out (the signs) */
    /* Inference (sp_sinc_infer): out is the tail's output [B][F][Tp]. */
    const float *PQ;         /* [F][P, Q][re, im][ldm]: each filter's P and Q */
    const sp_block_tail *tail;
} fft_job;

typedef struct {
    const fft_job *job;
    int b0, b1;
    float *ws; /* fft_thread_floats, aligned */
} fft_slice;

/* Spectra of examples b0..b0+n-1 into X (rows of ldc), through R. */
static void input_spectra(float *X, float *R, const fft_job *j, int b0, int n)
{
    const fft_geom *g = &j->g;
    for (int e = 0; e < n; e++) {
        float *r = R + (size_t)e * g->ldr;
        memcpy(r, j->inp + (size_t)(b0 + e) * j->T, (size_t)j->T * sizeof(float));
        memset(r + j->T, 0, (size_t)(g->N - j->T) * sizeof(float));
        rfft(j->p, r, X + (size_t)e * g->ldc);
    }
}

static void forward_slice(const fft_slice *sl)
{
    const fft_job *j = sl->job;
    const fft_geom *g = &j->g;
    float *X = sl->ws, *Y = X + FFT_ROWS * g->ldc, *R = Y + FFT_ROWS * g->ldc;
    for (int b0 = sl->b0; b0 < sl->b1; b0 += FFT_ROWS) {
        int n = sl->b1 - b0 < FFT_ROWS ? sl->b1 - b0 : FFT_ROWS;
        input_spectra(X, R, j, b0, n);
        for (int f = 0; f < j->F; f++) {
            const float *H = j->H + (size_t)f * g->ldc;
            for (int e = 0; e < n; e++) {
                float *y = Y + (size_t)e * g->ldc, *r = R + (size_t)e * g->ldr;
                cmul_conj(y, X + (size_t)e * g->ldc, H, g->nc);
                irfft(j->p, y, r);
                size_t row = (size_t)(b0 + e) * j->F + f;
                memcpy(j->out + row * j->Tout, r, (size_t)j->Tout * sizeof(float));
                if (j->P)
                    sp_absmaxpool_forward_row(j->pool_out + row * j->Tp, j->argmax + row * j->Tp, r, j->Tout, j->P);
            }
        }
    }
}

/* The slice's taps-gradient spectra G (F rows of ldc, written) and its
 * examples' input gradients (added into dinp). */
static void backward_slice(const fft_slice *sl)
{
    const fft_job *j = sl->job;
    const fft_geom *g = &j->g;
    float *X = sl->ws, *D = X + FFT_ROWS * g->ldc, *DX = D + FFT_ROWS * g->ldc;
    float *R = DX + FFT_ROWS * g->ldc, *G = R + FFT_ROWS * g->ldr;
    memset(G, 0, (size_t)j->F * g->ldc * sizeof(float));
    for (int b0 = sl->b0; b0 < sl->b1; b0 += FFT_ROWS) {
        int n = sl->b1 - b0 < FFT_ROWS ? sl->b1 - b0 : FFT_ROWS;
        input_spectra(X, R, j, b0, n);
        if (j->dinp) memset(DX, 0, (size_t)n * g->ldc * sizeof(float));
        for (int e = 0; e < n; e++) // the rows of dy are zero-padded from T'
            memset(R + (size_t)e * g->ldr + j->Tout, 0, (size_t)(g->N - j->Tout) * sizeof(float));
        for (int f = 0; f < j->F; f++) {
            const float *H = j->H + (size_t)f * g->ldc;
            float *Gf = G + (size_t)f * g->ldc;
            for (int e = 0; e < n; e++) {
                float *r = R + (size_t)e * g->ldr, *d = D + (size_t)e * g->ldc;
                size_t row = (size_t)(b0 + e) * j->F + f;
                if (j->P)
                    sp_absmaxpool_backward_row(r, j->pool_dout + row * j->Tp, j->argmax + row * j->Tp,
                                               j->sinc_out + row * j->Tout, j->Tout, j->P);
                else
                    memcpy(r, j->dout + row * j->Tout, (size_t)j->Tout * sizeof(float));
                rfft(j->p, r, d);
                cmac_backward(Gf, j->dinp ? DX + (size_t)e * g->ldc : NULL, X + (size_t)e * g->ldc,
                              d, H, g->nc);
            }
        }
        if (j->dinp)
            for (int e = 0; e < n; e++) {
                float *r = R + (size_t)e * g->ldr, *dx = j->dinp + (size_t)(b0 + e) * j->T;
                irfft(j->p, DX + (size_t)e * g->ldc, r);
                for (int t = 0; t < j->T; t++) dx[t] += r[t];
            }
    }
}

static void *forward_thread(void *arg)
{
    forward_slice(arg);
    return NULL;
}

static void *backward_thread(void *arg)
{
    backward_slice(arg);
    return NULL;
}

/* Run fn over nt equal slices of the batch. With OpenMP, on its threads
 * (the element-wise layers' pool: no more threads than cores spinning at
 * once); otherwise with pthreads, slice 0 on this thread, and a thread that
 * cannot be started has its slice run here. Either way each slice is one
 * thread's, so the results do not depend on which. */
static void run_slices(fft_slice *sl, int nt, void *(*fn)(void *))
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int i = 0; i < nt; i++) fn(&sl[i]);
#else
    pthread_t tid[FFT_MAX_THREADS];
    int started[FFT_MAX_THREADS] = { 0 };
    for (int i = 1; i < nt; i++) started[i] = pthread_create(&tid[i], NULL, fn, &sl[i]) == 0;
    fn(&sl[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn(&sl[i]);
    }
#endif
}

/* Threads for a batch of B: the caller's OpenBLAS thread count, capped. */
static int fft_threads(int B)
{
    int nt = openblas_get_num_threads();
    if (nt > FFT_MAX_THREADS) nt = FFT_MAX_THREADS;
    if (nt > B) nt = B;
    return nt < 1 ? 1 : nt;
}

/* Sets up the job (plans, aligned workspace, spectra of the taps, scaled by
 * 1/N) and the slices; returns the thread count, or 0 when the FFT path
 * cannot run (no plan, or a workspace FFTW's plans cannot use). */
static int fft_setup(fft_job *j, fft_slice *sl, float **rest, float *ws, const float *taps,
                     int F, int K, int B, int T)
{
    j->g = fft_geometry(T);
    j->p = get_plans(j->g.N);
    if (!j->p) return 0;
    j->F = F, j->K = K, j->T = T, j->Tout = T - K + 1;
    const fft_geom *g = &j->g;
    size_t mis = ((uintptr_t)ws / sizeof(float)) % FFT_ALIGN;
    float *w = ws + (mis ? FFT_ALIGN - mis : 0);
    if ((uintptr_t)w % (FFT_ALIGN * sizeof(float)) != 0 || fftwf_alignment_of(w) != 0) return 0;
    float *H = w, *scratch = H + (size_t)F * g->ldc + round_up((size_t)F * K);
    *rest = H + (size_t)F * g->ldc;
    float inv = 1.0f / (float)g->N;
    float *r = scratch; // the first thread's real rows are free until the slices run
    for (int f = 0; f < F; f++) {
        memcpy(r, taps + (size_t)f * K, (size_t)K * sizeof(float));
        memset(r + K, 0, (size_t)(g->N - K) * sizeof(float));
        float *h = H + (size_t)f * g->ldc;
        rfft(j->p, r, h);
        for (int i = 0; i < 2 * g->nc; i++) h[i] *= inv;
    }
    j->H = H;
    int nt = fft_threads(B);
    for (int i = 0; i < nt; i++) {
        sl[i].job = j;
        sl[i].b0 = (int)((long)B * i / nt);
        sl[i].b1 = (int)((long)B * (i + 1) / nt);
        sl[i].ws = scratch + (size_t)i * fft_thread_floats(g, F);
    }
    return nt;
}

static int sinc_fft_forward(float *out, float *ws, const float *inp, const float *taps, int F,
                            int K, int B, int T, float *pool_out, int *argmax, int P)
{
    fft_job j = { 0 };
    fft_slice sl[FFT_MAX_THREADS];
    float *rest;
    int nt = fft_setup(&j, sl, &rest, ws, taps, F, K, B, T);
    if (!nt) return -1;
    j.out = out;
    j.inp = inp;
    if (pool_out) {
        j.P = P, j.Tp = j.Tout / P;
        j.pool_out = pool_out;
        j.argmax = argmax;
    }
    run_slices(sl, nt, forward_thread);
    return 0;
}

/* Adds the input gradient into dinp (when not NULL); returns the taps
 * gradient [F][K] (in the workspace), or NULL when the FFT path cannot run
 * (nothing done then). */
static const float *sinc_fft_backward(float *dinp, float *ws, const float *dout,
                                      const float *inp, const float *taps, int F, int K, int B,
                                      int T, const float *pool_dout, const int *argmax, int P,
                                      const float *sinc_out)
{
    fft_job j = { 0 };
    fft_slice sl[FFT_MAX_THREADS];
    float *rest;
    int nt = fft_setup(&j, sl, &rest, ws, taps, F, K, B, T);
    if (!nt) return NULL;
    j.inp = inp;
    j.dout = dout;
    j.dinp = dinp;
    if (pool_dout) {
        j.P = P, j.Tp = j.Tout / P;
        j.pool_dout = pool_dout;
        j.argmax = (int *)argmax; /* only read in backward */
        j.sinc_out = sinc_out;
    }
    run_slices(sl, nt, backward_thread);
    const fft_geom *g = &j.g;
    size_t goff = 3 * FFT_ROWS * g->ldc + FFT_ROWS * g->ldr;
    float *G = sl[0].ws + goff, *r = sl[0].ws + 3 * FFT_ROWS * g->ldc;
    for (int i = 1; i < nt; i++) {
        const float *Gi = sl[i].ws + goff;
        for (size_t k = 0; k < (size_t)F * g->ldc; k++) G[k] += Gi[k];
    }
    float inv = 1.0f / (float)g->N;
    for (int f = 0; f < F; f++) {
        irfft(j.p, G + (size_t)f * g->ldc, r);
        for (int k = 0; k < K; k++) rest[(size_t)f * K + k] = r[k] * inv;
    }
    return rest;
}

// ----------------------------------------------------------------------------
// inference: the FFT path with a half-length complex inverse transform
//
// A real row y of even length N = 2M, read as complex numbers, is
// z[n] = y[2n] + i y[2n+1], n < M: the same floats in memory. With
// W = exp(-2 pi i/N) and Y the N-point spectrum of y (bins 0..M kept),
// the even and odd samples have the M-point spectra
//     Ye[k] = (Y[k] + conj Y[M-k]) / 2,   Yo[k] = (Y[k] - conj Y[M-k]) W^-k / 2
// (from Y[k] = Ye[k] + W^k Yo[k] and Y[k+M] = Ye[k] - W^k Yo[k] = conj Y[M-k]),
// and z = ifft_M(Ye + i Yo). With Y = X conj(H), H already scaled by 1/N,
// the unnormalised M-point backward transform of
//     Z[k] = 2 (Ye[k] + i Yo[k]) = X[k] P[k] + conj(X[M-k]) Q[k],
//     P[k] = conj(H[k]) (1 + i W^-k),   Q[k] = H[M-k] (1 - i W^-k)
// is y itself. P and Q are made once per call for each filter, conj(X[M-k])
// once per example, all four kept split into rows of real and of imaginary
// parts (so the product pass runs along contiguous rows at any vector
// width, SP_CLONES); each output row is then that pass and one M-point
// complex transform, which FFTW_ESTIMATE plans well: at N = 3200 it took
// 3.1 us against 5.5 us for the N-point c2r on the development machine
// (Xeon with AVX-512, FFTW 3.3.10's AVX codelets), and N is chosen for
// FFTW's speed (infer_geometry: 4096 at T = 3200). The row is pooled,
// normalised and activated while in cache (sp_block_tail_row) and never
// stored. The threads and their slices are those of the training path
// (run_slices); each output row is one thread's work, so the results do
// not depend on the thread count.

/* The inference path's length: the power of two N >= T when it is at most
 * 4/3 of fft_length(T), else fft_length(T). FFTW plans powers of two
 * best: with FFTW_ESTIMATE plans the M = N/2-point transform took 2.0 us
 * at M = 2048 against 3.1 us at 1600 (T = 3200, the sincnet preset), and
 * 0.97 us at 1024 against 1.4 us at 800, on the development machine;
 * the product pass grows with M, the pooling does not. */
static fft_geom infer_geometry(int T)
{
    int n = fft_length(T), p = 2;
    while (p < T) p *= 2;
    return geometry_of(3 * p <= 4 * n ? p : n);
}

/* A split complex row of M values: M reals, then M imaginary parts, each
 * part on ldm floats. */
static size_t split_ld(const fft_geom *g)
{
    return round_up((size_t)g->N / 2);
}

/* Floats per thread: X and Xr (conj X[M-k]) split, for FFT_ROWS examples;
 * one input row and its interleaved spectrum; one row each of Z and of
 * the transform's output. */
static size_t infer_thread_floats(const fft_geom *g)
{
    size_t ldm = split_ld(g);
    return FFT_ROWS * 4 * ldm + g->ldr + g->ldc + 4 * ldm;
}

/* Slack to align, P and Q of every filter, the twiddles, the threads. */
static size_t infer_fft_workspace(const sp_sinc_spec *s, int T)
{
    fft_geom g = infer_geometry(T);
    size_t ldm = split_ld(&g);
    return FFT_ALIGN + 4 * (size_t)s->F * ldm + 2 * ldm + FFT_MAX_THREADS * infer_thread_floats(&g);
}

/* z = a p + b q for n complex values, a, p, b, q split into real and
 * imaginary rows (ar, ai, ...), z interleaved (the transform's input):
 * plain C along contiguous rows, which each SP_CLONES version vectorises
 * at its width. */
SP_CLONES static void cmac2(float *restrict z, const float *restrict ar, const float *restrict ai,
                            const float *restrict pr, const float *restrict pi, const float *restrict br,
                            const float *restrict bi, const float *restrict qr, const float *restrict qi, int n)
{
#pragma omp simd
    for (int k = 0; k < n; k++) {
        z[2 * k] = (ar[k] * pr[k] - ai[k] * pi[k]) + (br[k] * qr[k] - bi[k] * qi[k]);
        z[2 * k + 1] = (ar[k] * pi[k] + ai[k] * pr[k]) + (br[k] * qi[k] + bi[k] * qr[k]);
    }
}

/* P and Q (split rows, ld ldm) of the filter spectrum h (interleaved, M+1
 * bins, scaled by 1/N), with the twiddles W^-k = exp(2 pi i k/N) = c + i s
 * (split): 1 + i W^-k = (1 - s) + i c, 1 - i W^-k = (1 + s) - i c. */
static void make_pq(float *P, float *Q, size_t ldm, const float *h, const float *tw, int M)
{
    for (int k = 0; k < M; k++) {
        float c = tw[k], sn = tw[ldm + k];
        float ur = 1.0f - sn, ui = c, vr = 1.0f + sn, vi = -c;
        float hr = h[2 * k], hi = -h[2 * k + 1]; // conj H[k]
        float mr = h[2 * (M - k)], mi = h[2 * (M - k) + 1];
        P[k] = hr * ur - hi * ui;
        P[ldm + k] = hr * ui + hi * ur;
        Q[k] = mr * vr - mi * vi;
        Q[ldm + k] = mr * vi + mi * vr;
    }
}

/* The split X[k] and conj X[M-k], k < M, of example b (as rows of ldm). */
static void split_spectrum(float *xs, float *xr, float *r, float *x, const fft_job *j, int b, size_t ldm)
{
    const fft_geom *g = &j->g;
    int M = g->N / 2;
    memcpy(r, j->inp + (size_t)b * j->T, (size_t)j->T * sizeof(float));
    memset(r + j->T, 0, (size_t)(g->N - j->T) * sizeof(float));
    rfft(j->p, r, x);
    for (int k = 0; k < M; k++) {
        xs[k] = x[2 * k];
        xs[ldm + k] = x[2 * k + 1];
        xr[k] = x[2 * (M - k)];
        xr[ldm + k] = -x[2 * (M - k) + 1];
    }
}

static void infer_slice(const fft_slice *sl)
{
    const fft_job *j = sl->job;
    const fft_geom *g = &j->g;
    int M = g->N / 2, Tp = j->Tout / j->tail->P;
    size_t ldm = split_ld(g);
    float *XS = sl->ws, *XR = XS + FFT_ROWS * 2 * ldm, *r = XR + FFT_ROWS * 2 * ldm, *x = r + g->ldr;
    float *Z = x + g->ldc, *Y = Z + 2 * ldm;
    for (int b0 = sl->b0; b0 < sl->b1; b0 += FFT_ROWS) {
        int n = sl->b1 - b0 < FFT_ROWS ? sl->b1 - b0 : FFT_ROWS;
        for (int e = 0; e < n; e++)
            split_spectrum(XS + (size_t)e * 2 * ldm, XR + (size_t)e * 2 * ldm, r, x, j, b0 + e, ldm);
        for (int f = 0; f < j->F; f++) {
            const float *P = j->PQ + 4 * (size_t)f * ldm, *Q = P + 2 * ldm;
            for (int e = 0; e < n; e++) {
                const float *xs = XS + (size_t)e * 2 * ldm, *xr = XR + (size_t)e * 2 * ldm;
                cmac2(Z, xs, xs + ldm, P, P + ldm, xr, xr + ldm, Q, Q + ldm, M);
                fftwf_execute_dft(j->p->half, (fftwf_complex *)Z, (fftwf_complex *)Y);
                size_t row = (size_t)(b0 + e) * j->F + f;
                sp_block_tail_row(j->out + row * Tp, Y, 0.0f, j->Tout, f, j->tail);
            }
        }
    }
}

static void *infer_thread(void *arg)
{
    infer_slice(arg);
    return NULL;
}

/* The inference path's job: plans, aligned workspace, P and Q of each
 * filter, the slices. Returns the thread count, or 0 when it cannot run
 * (no plan, or a workspace FFTW's plans cannot use). */
static int infer_setup(fft_job *j, fft_slice *sl, float *ws, const float *taps, int F, int K, int B, int T)
{
    j->g = infer_geometry(T);
    j->p = get_plans(j->g.N);
    if (!j->p || !j->p->half) return 0;
    j->F = F, j->K = K, j->T = T, j->Tout = T - K + 1;
    const fft_geom *g = &j->g;
    int M = g->N / 2;
    size_t ldm = split_ld(g), mis = ((uintptr_t)ws / sizeof(float)) % FFT_ALIGN;
    float *w = ws + (mis ? FFT_ALIGN - mis : 0);
    if ((uintptr_t)w % (FFT_ALIGN * sizeof(float)) != 0 || fftwf_alignment_of(w) != 0) return 0;
    float *PQ = w, *tw = PQ + 4 * (size_t)F * ldm, *scratch = tw + 2 * ldm;
    for (int k = 0; k < M; k++) {
        tw[k] = (float)cos(2.0 * PI * k / g->N);
        tw[ldm + k] = (float)sin(2.0 * PI * k / g->N);
    }
    int nt = fft_threads(B);
    for (int i = 0; i < nt; i++) {
        sl[i].job = j;
        sl[i].b0 = (int)((long)B * i / nt);
        sl[i].b1 = (int)((long)B * (i + 1) / nt);
        sl[i].ws = scratch + (size_t)i * infer_thread_floats(g);
    }
    // each filter's spectrum (in its thread's slice, free until the slices
    // run), then its P and Q
    float inv = 1.0f / (float)g->N;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int f = 0; f < F; f++) {
#ifdef _OPENMP
        float *h = sl[omp_get_thread_num()].ws;
#else
        float *h = sl[0].ws;
#endif
        float *r = h + g->ldc;
        memcpy(r, taps + (size_t)f * K, (size_t)K * sizeof(float));
        memset(r + K, 0, (size_t)(g->N - K) * sizeof(float));
        rfft(j->p, r, h);
        for (int i = 0; i < 2 * g->nc; i++) h[i] *= inv;
        float *P = PQ + 4 * (size_t)f * ldm;
        make_pq(P, P + 2 * ldm, ldm, h, tw, M);
    }
    j->PQ = PQ;
    return nt;
}

static int sinc_fft_infer(float *out, float *ws, const float *inp, const float *taps, int F, int K,
                          int B, int T, const sp_block_tail *t)
{
    fft_job j = { 0 };
    fft_slice sl[FFT_MAX_THREADS];
    int nt = infer_setup(&j, sl, ws, taps, F, K, B, T);
    if (!nt) return -1;
    j.out = out;
    j.inp = inp;
    j.tail = t;
    run_slices(sl, nt, infer_thread);
    return 0;
}

// ----------------------------------------------------------------------------
// the layer

size_t sp_sinc_workspace(const sp_sinc_spec *s, int B, int T)
{
    size_t a = gemm_workspace(s, B, T), b = fft_workspace(s, T);
    return a > b ? a : b;
}

/* FFT or GEMM: SP_SINC_FILTER=gemm or =fft in the environment forces one
 * (for tests and benchmarks); otherwise whichever this cost model of the
 * sizes says is faster. Fitted to timings at B 128, F 80, T 800-3200, K
 * 33-251 on the development machine (2-core AMD EPYC, OpenBLAS 0.3.21,
 * FFTW 3.3.10), in ns on one thread:
 *   GEMM forward: B F T' (0.153 + 0.0287 (K+1)/2); backward 2.2x that with
 *        the input gradient, 1.05x without. Over n threads about 1 + 0.3
 *        (n-1) times faster: only the sgemm is threaded, and at these sizes
 *        it is short of memory bandwidth.
 *   FFT: u = 0.13 N log2 N per transform; forward B F of them (+ F for
 *        the taps' spectra), backward 1.2 B F (+ 2 F) with the input
 *        gradient and 1.1 B F (+ 2 F) without; the B F part n times faster
 *        on n threads.
 * Measured crossovers: one thread, forward, K ~ 100 at T 3200 (K 65 at T
 * 800 is a tie); backward with the input gradient K ~ 40; on two threads
 * the FFT wins both ways from K ~ 65 at T 3200. At the sincnet preset (T
 * 3200, K 251) it is 3x (forward) and 7x (backward) faster on two threads.
 * The choice depends on the sizes and the thread count only, never on
 * timings, so it is the same in every run (the two paths round
 * differently). */
static int use_fft(const sp_sinc_spec *s, int B, int T, int backward, int dinp)
{
    const char *e = getenv("SP_SINC_FILTER");
    if (e && !strcmp(e, "gemm")) return 0;
    if (e && !strcmp(e, "fft")) return 1;
    int nb = openblas_get_num_threads(), nf = fft_threads(B);
    double N = fft_length(T), BF = (double)B * s->F, F = s->F;
    double u = 0.13 * N * log2(N);
    double gemm = BF * (T - s->K + 1) * (0.153 + 0.0287 * (s->K + 1) / 2);
    double fft = (BF / nf + F) * u;
    if (backward) {
        gemm *= dinp ? 2.2 : 1.05;
        fft = ((dinp ? 1.2 : 1.1) * BF / nf + 2 * F) * u;
    }
    gemm /= 1.0 + 0.3 * ((nb > 1 ? nb : 1) - 1);
    return fft < gemm;
}

void sp_sinc_forward(float *out, float *taps, float *ws, const float *inp,
                     const float *low_p, const float *band_p, const sp_sinc_spec *s,
                     int B, int T)
{
    sp_sinc_taps(taps, low_p, band_p, s);
    if (use_fft(s, B, T, 0, 0) && sinc_fft_forward(out, ws, inp, taps, s->F, s->K, B, T, NULL, NULL, 0) == 0)
        return;
    sinc_filter_forward(out, ws, inp, taps, s->F, s->K, B, T);
}

void sp_sinc_backward(float *dinp, float *dlow_p, float *dband_p, float *ws,
                      const float *dout, const float *inp, const float *taps,
                      const float *low_p, const float *band_p, const sp_sinc_spec *s,
                      int B, int T)
{
    if (use_fft(s, B, T, 1, dinp != NULL)) {
        const float *dtaps = sinc_fft_backward(dinp, ws, dout, inp, taps, s->F, s->K, B, T, NULL, NULL, 0, NULL);
        if (dtaps) {
            taps_backward(dlow_p, dband_p, dtaps, s->K, 1, low_p, band_p, s);
            return;
        }
    }
    int rows = (s->K - 1) / 2 + 1;
    float *dfold = ws + gemm_workspace(s, B, T) - (size_t)s->F * rows;
    memset(dfold, 0, (size_t)s->F * rows * sizeof(float));
    sinc_filter_backward(dinp, dfold, ws, dout, inp, taps, s->F, s->K, B, T);
    taps_backward(dlow_p, dband_p, dfold, rows, 0, low_p, band_p, s);
}

void sp_sinc_absmaxpool_forward(float *out, float *pool_out, int *argmax, int P, float *taps,
                                float *ws, const float *inp, const float *low_p,
                                const float *band_p, const sp_sinc_spec *s, int B, int T)
{
    int Tout = T - s->K + 1;
    sp_sinc_taps(taps, low_p, band_p, s);
    if (use_fft(s, B, T, 0, 0)
        && sinc_fft_forward(out, ws, inp, taps, s->F, s->K, B, T, pool_out, argmax, P) == 0)
        return;
    sinc_filter_forward(out, ws, inp, taps, s->F, s->K, B, T);
    sp_absmaxpool_forward(pool_out, argmax, out, B * s->F, Tout, P);
}

void sp_sinc_absmaxpool_backward(float *dinp, float *dlow_p, float *dband_p, float *ws,
                                 float *dout, const float *pool_dout, const int *argmax, int P,
                                 const float *out, const float *inp, const float *taps,
                                 const float *low_p, const float *band_p,
                                 const sp_sinc_spec *s, int B, int T)
{
    int Tout = T - s->K + 1;
    if (use_fft(s, B, T, 1, dinp != NULL)) {
        const float *dtaps = sinc_fft_backward(dinp, ws, NULL, inp, taps, s->F, s->K, B, T, pool_dout,
                                               argmax, P, out);
        if (dtaps) {
            taps_backward(dlow_p, dband_p, dtaps, s->K, 1, low_p, band_p, s);
            return;
        }
    }
    sp_absmaxpool_backward(dout, pool_dout, argmax, out, B * s->F, Tout, P);
    sp_sinc_backward(dinp, dlow_p, dband_p, ws, dout, inp, taps, low_p, band_p, s, B, T);
}

size_t sp_sinc_infer_workspace(const sp_sinc_spec *s, int B, int T)
{
    size_t a = gemm_workspace(s, B, T), b = infer_fft_workspace(s, T);
    return a > b ? a : b;
}

void sp_sinc_infer(float *out, float *full, float *ws, const float *inp, const float *taps,
                   const sp_sinc_spec *s, int B, int T, const sp_block_tail *t)
{
    if (use_fft(s, B, T, 0, 0) && sinc_fft_infer(out, ws, inp, taps, s->F, s->K, B, T, t) == 0) return;
    int Tout = T - s->K + 1, Tp = Tout / t->P;
    sinc_filter_forward(full, ws, inp, taps, s->F, s->K, B, T);
#pragma omp parallel for schedule(static) if ((size_t)B * s->F * Tout > SP_OMP_MIN)
    for (long row = 0; row < (long)B * s->F; row++)
        sp_block_tail_row(out + (size_t)row * Tp, full + (size_t)row * Tout, 0.0f, Tout, (int)(row % s->F), t);
}
