/* layer_sinc.c - the sinc filterbank, SincNet's first layer (the math is in
 * layers.h).
 *
 * Three parts: taps from the parameters (sp_sinc_taps), the filtering of the
 * batch by the taps (sinc_filter_forward / sinc_filter_backward, static),
 * and the chain rule from the taps gradient back to the cut-offs
 * (sp_sinc_taps_backward). The filtering sees only taps, input and output:
 * it is the place to swap in a faster formulation (FFT overlap-save, one
 * batched GEMM, threads over the batch) without touching anything else.
 *
 * The filtering exploits the linear phase of the filters, h[k] = h[K-1-k]:
 *     out[t] = h[half] x[t+half] + sum_{k<half} h[k] (x[t+k] + x[t+K-1-k])
 * so one GEMM per example against a "folded" im2col matrix of half+1 rows
 * does half the multiply-adds of a plain convolution. The taps gradient
 * comes out folded the same way, dL/dh[k] + dL/dh[K-1-k], which is all the
 * chain rule needs because mirrored taps are the same function of f1, f2. */
#include "config.h"
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

// ----------------------------------------------------------------------------
// parameters -> cut-offs -> taps

sp_sinc_spec sp_sinc_spec_make(int F, int K, float fs)
{
    sp_sinc_spec s = { F, K, fs, 50.0f, 50.0f };
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

void sp_sinc_init(float *low_hz, float *band_hz, const sp_sinc_spec *s)
{
    double lo = 30.0;
    double hi = s->fs / 2.0 - ((double)s->min_low_hz + s->min_band_hz);
    double m_lo = hz_to_mel(lo), m_hi = hz_to_mel(hi);
    // edges are float32 in the reference; band is their float difference
    float prev = (float)mel_to_hz(m_lo);
    for (int f = 0; f < s->F; f++) {
        float next = (float)mel_to_hz(m_lo + (m_hi - m_lo) * (f + 1) / s->F);
        low_hz[f] = prev;
        band_hz[f] = next - prev;
        prev = next;
    }
}

/* f1 = min_low + |low|; f2raw = f1 + min_band + |band|;
 * f2 = clamp(f2raw, min_low, fs/2), in double. Returns the clamp's pass
 * mask, 1 when f2raw is inside [min_low, fs/2] (edges included, as
 * torch.clamp's gradient), decided in float32 arithmetic in the reference's
 * order so it is the same decision as torch's: the mel initialisation puts
 * the top filter's f2raw on fs/2 exactly (in float32), right at the kink,
 * where double arithmetic could fall on the other side. */
static int cutoffs(double *f1, double *f2, float low, float band, const sp_sinc_spec *s)
{
    double lo = s->min_low_hz, nyq = s->fs / 2.0;
    double a = lo + fabs((double)low);
    double raw = a + s->min_band_hz + fabs((double)band);
    *f1 = a;
    *f2 = raw < lo ? lo : raw > nyq ? nyq : raw;
    float raw32 = (s->min_low_hz + fabsf(low) + s->min_band_hz) + fabsf(band);
    return raw32 >= s->min_low_hz && raw32 <= s->fs / 2.0f;
}

void sp_sinc_cutoffs(float *f1, float *f2, const float *low_hz, const float *band_hz,
                     const sp_sinc_spec *s)
{
    for (int f = 0; f < s->F; f++) {
        double a, b;
        cutoffs(&a, &b, low_hz[f], band_hz[f], s);
        if (f1) f1[f] = (float)a;
        if (f2) f2[f] = (float)b;
    }
}

// symmetric Hamming window of length K, tap k
static double hamming(int k, int K)
{
    return 0.54 - 0.46 * cos(2.0 * PI * k / (K - 1));
}

void sp_sinc_taps(float *taps, const float *low_hz, const float *band_hz, const sp_sinc_spec *s)
{
    int K = s->K, half = (K - 1) / 2;
    for (int f = 0; f < s->F; f++) {
        double f1, f2;
        cutoffs(&f1, &f2, low_hz[f], band_hz[f], s);
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
static void taps_backward(float *dlow_hz, float *dband_hz, const float *g, int ldg,
                          int mirrored, const float *low_hz, const float *band_hz,
                          const sp_sinc_spec *s)
{
    int K = s->K, half = (K - 1) / 2;
    for (int f = 0; f < s->F; f++) {
        double f1, f2;
        int pass = cutoffs(&f1, &f2, low_hz[f], band_hz[f], s);
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
        // f2 = clamp(f1 + min_band + |band|): df2/df1 = df2/d|band| = pass
        double df2 = pass ? g2 : 0.0;
        double df1 = g1 + df2;
        // f1 = min_low + |low|: d/dlow = sign(low), sign(0) = 0
        double sl = (low_hz[f] > 0) - (low_hz[f] < 0);
        double sb = (band_hz[f] > 0) - (band_hz[f] < 0);
        dlow_hz[f] += (float)(sl * df1);
        dband_hz[f] += (float)(sb * df2);
    }
}

void sp_sinc_taps_backward(float *dlow_hz, float *dband_hz, const float *dtaps,
                           const float *low_hz, const float *band_hz, const sp_sinc_spec *s)
{
    taps_backward(dlow_hz, dband_hz, dtaps, s->K, 1, low_hz, band_hz, s);
}

// ----------------------------------------------------------------------------
// filtering: folded im2col + one sgemm per example

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

size_t sp_sinc_workspace(const sp_sinc_spec *s, int B, int T)
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
// the layer

void sp_sinc_forward(float *out, float *taps, float *ws, const float *inp,
                     const float *low_hz, const float *band_hz, const sp_sinc_spec *s,
                     int B, int T)
{
    sp_sinc_taps(taps, low_hz, band_hz, s);
    sinc_filter_forward(out, ws, inp, taps, s->F, s->K, B, T);
}

void sp_sinc_backward(float *dinp, float *dlow_hz, float *dband_hz, float *ws,
                      const float *dout, const float *inp, const float *taps,
                      const float *low_hz, const float *band_hz, const sp_sinc_spec *s,
                      int B, int T)
{
    int rows = (s->K - 1) / 2 + 1;
    float *dfold = ws + sp_sinc_workspace(s, B, T) - (size_t)s->F * rows;
    memset(dfold, 0, (size_t)s->F * rows * sizeof(float));
    sinc_filter_backward(dinp, dfold, ws, dout, inp, taps, s->F, s->K, B, T);
    taps_backward(dlow_hz, dband_hz, dfold, rows, 0, low_hz, band_hz, s);
}
