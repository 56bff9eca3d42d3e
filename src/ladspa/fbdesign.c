/* fbdesign.c - sinc band-passes, response summaries and the bank filter of
 * exported filterbanks (fbdesign.h has the math). */
#include "ladspa/fbdesign.h"
#include "ladspa/fir.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

void sp_fbd_sinc(float *h, int K, double fs, double f1, double f2)
{
    int half = (K - 1) / 2;
    double norm = 1.0 / (2.0 * (f2 - f1));
    for (int k = 0; k < half; k++) {
        double t = (double)(k - half) / fs;
        double w = 0.54 - 0.46 * cos(2.0 * PI * k / (K - 1));
        double v = w * (sin(2.0 * PI * f2 * t) - sin(2.0 * PI * f1 * t)) / (PI * t) * norm;
        h[k] = h[K - 1 - k] = (float)v;
    }
    h[half] = 1.0f;
}

int sp_fbd_grid(int K)
{
    long want = 8L * K > 4096 ? 8L * K : 4096, n = 1;
    while (n < want) n *= 2;
    return (int)n;
}

/* The -3 dB crossing walking from bin p by step (-1 or +1) in mag[bins],
 * in Hz (df Hz per bin). */
static double crossing(const float *mag, int bins, int p, int step, double thr, double df)
{
    int j = p;
    while (j + step >= 0 && j + step < bins && mag[j + step] >= thr) j += step;
    if (j + step < 0) return 0.0;
    if (j + step >= bins) return (bins - 1) * df;
    double a = mag[j], b = mag[j + step]; /* a >= thr > b */
    double frac = (a - thr) / (a - b);
    return (j + step * frac) * df;
}

/* peak (and band) of one filter from its magnitudes mag[bins]. */
static void summarise(const float *mag, int bins, double df, float *peak, float *f1, float *f2)
{
    int p = 0;
    for (int j = 1; j < bins; j++)
        if (mag[j] > mag[p]) p = j;
    *peak = mag[p];
    if (!f1) return;
    if (mag[p] <= 0) {
        *f1 = *f2 = 0.0f;
        return;
    }
    double thr = mag[p] / sqrt(2.0);
    *f1 = (float)crossing(mag, bins, p, -1, thr, df);
    *f2 = (float)crossing(mag, bins, p, +1, thr, df);
}

int sp_fbd_response(const float *taps, int C, int K, double fs, float *peak, float *f1, float *f2, sp_error *err)
{
    int N = sp_fbd_grid(K), bins = N / 2 + 1;
    float *x = fftwf_malloc(sizeof(float) * (size_t)N);
    fftwf_complex *X = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bins);
    float *mag = malloc(sizeof(float) * (size_t)bins);
    fftwf_plan plan = NULL;
    if (x && X && mag) {
        sp_fir_plan_lock();
        plan = fftwf_plan_dft_r2c_1d(N, x, X, FFTW_ESTIMATE);
        sp_fir_plan_unlock();
    }
    if (!plan) {
        fftwf_free(x);
        fftwf_free(X);
        free(mag);
        return sp_fail_oom(err, 0);
    }
    for (int c = 0; c < C; c++) {
        memset(x, 0, sizeof(float) * (size_t)N);
        memcpy(x, taps + (size_t)c * K, sizeof(float) * (size_t)K);
        fftwf_execute(plan);
        for (int j = 0; j < bins; j++) mag[j] = hypotf(X[j][0], X[j][1]);
        summarise(mag, bins, fs / N, &peak[c], f1 ? &f1[c] : NULL, f2 ? &f2[c] : NULL);
    }
    sp_fir_plan_lock();
    fftwf_destroy_plan(plan);
    sp_fir_plan_unlock();
    fftwf_free(x);
    fftwf_free(X);
    free(mag);
    return 0;
}

void sp_fbd_bank(float *b, const float *taps, const float *peak, int C, int K)
{
    for (int k = 0; k < K; k++) {
        double s = 0.0;
        for (int c = 0; c < C; c++)
            if (peak[c] > 0) s += (double)taps[(size_t)c * K + k] / peak[c];
        b[k] = (float)(s / C);
    }
}

int sp_fbd_redesign_taps(int K, double fs_from, double fs_to)
{
    long k = lround(K * fs_to / fs_from);
    if (k % 2 == 0) k++;
    if (k < 3) k = 3;
    if (k > 65535) k = 65535;
    return (int)k;
}
