/* afr.c - filter frequency responses by FFTW and their average (AFR).
 * See afr.h; the figures are drawn by plot/afr_figures.c. */
#include "config.h"
#include "analysis/afr.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sp_afr {
    int nfft, bins;
    float *in;              /* [nfft] */
    fftwf_complex *out;     /* [bins] */
    double *mag;            /* [bins] */
    fftwf_plan plan;
};

int sp_afr_bins(int nfft)
{
    return nfft / 2 + 1;
}

sp_afr *sp_afr_new(int nfft, sp_error *err)
{
    if (nfft < 16 || nfft > 1048576 || nfft % 2) {
        sp_fail(err, "nfft: %d is not an even number in [16, 1048576]", nfft);
        return NULL;
    }
    sp_afr *a = calloc(1, sizeof *a);
    if (!a) goto oom;
    a->nfft = nfft;
    a->bins = sp_afr_bins(nfft);
    a->in = fftwf_alloc_real((size_t)nfft);
    a->out = fftwf_alloc_complex((size_t)a->bins);
    a->mag = malloc((size_t)a->bins * sizeof *a->mag);
    if (!a->in || !a->out || !a->mag) goto oom;
    a->plan = fftwf_plan_dft_r2c_1d(nfft, a->in, a->out, FFTW_ESTIMATE);
    if (!a->plan) {
        sp_afr_free(a);
        sp_fail(err, "nfft %d: FFTW could not make a plan", nfft);
        return NULL;
    }
    return a;
oom:
    sp_afr_free(a);
    sp_fail_oom(err, 0);
    return NULL;
}

void sp_afr_free(sp_afr *a)
{
    if (!a) return;
    if (a->plan) fftwf_destroy_plan(a->plan);
    fftwf_free(a->in);
    fftwf_free(a->out);
    free(a->mag);
    free(a);
}

int sp_afr_nfft(const sp_afr *a)
{
    return a->nfft;
}

static double to_db(double v)
{
    double d = v > 0 ? 20.0 * log10(v) : SP_AFR_DB_FLOOR;
    return d < SP_AFR_DB_FLOOR ? SP_AFR_DB_FLOOR : d;
}

int sp_afr_compute(sp_afr *a, const float *taps, int F, int K, sp_afr_norm norm, int db, float *resp,
                   float *afr, sp_error *err)
{
    if (K < 1 || K > a->nfft)
        return sp_fail(err, "filters of %d taps need nfft >= %d (nfft is %d)", K, K, a->nfft);
    if (F < 1) return sp_fail(err, "no filters");
    int bins = a->bins;
    double *sum = calloc((size_t)bins, sizeof *sum);
    if (!sum) return sp_fail_oom(err, 0);
    for (int c = 0; c < F; c++) {
        memcpy(a->in, taps + (size_t)c * K, (size_t)K * sizeof *a->in);
        memset(a->in + K, 0, (size_t)(a->nfft - K) * sizeof *a->in);
        fftwf_execute(a->plan);
        double peak = 0;
        for (int j = 0; j < bins; j++) {
            double re = a->out[j][0], im = a->out[j][1];
            a->mag[j] = sqrt(re * re + im * im);
            if (a->mag[j] > peak) peak = a->mag[j];
        }
        double scale = norm == SP_AFR_NORM_PEAK && peak > 0 ? 1.0 / peak : 1.0;
        for (int j = 0; j < bins; j++) {
            double m = a->mag[j] * scale;
            sum[j] += m;
            if (resp) resp[(size_t)c * bins + j] = (float)(db ? to_db(m) : m);
        }
    }
    for (int j = 0; j < bins; j++) {
        double m = sum[j] / F;
        afr[j] = (float)(db ? to_db(m) : m);
    }
    free(sum);
    return 0;
}

void sp_afr_freqs(float *freqs, int nfft, double fs)
{
    for (int j = 0; j < sp_afr_bins(nfft); j++) freqs[j] = (float)(j * fs / nfft);
}

void sp_afr_bands(const float *mag, int F, int bins, double fs, double *centre, double *band)
{
    double df = fs / (2.0 * (bins - 1)); /* bins = nfft/2 + 1: bin j at j fs / nfft */
    for (int c = 0; c < F; c++) {
        const float *m = mag + (size_t)c * bins;
        double sp = 0, sfp = 0;
        for (int j = 0; j < bins; j++) {
            double p = (double)m[j] * m[j];
            sp += p;
            sfp += j * df * p;
        }
        if (!(sp > 0)) {
            centre[c] = band[c] = NAN;
            continue;
        }
        double mu = sfp / sp, var = 0;
        for (int j = 0; j < bins; j++) {
            double d = j * df - mu;
            var += d * d * ((double)m[j] * m[j]);
        }
        centre[c] = mu;
        band[c] = sqrt(12.0 * var / sp);
    }
}

void sp_afr_movement(const double *centre_a, const double *band_a, const double *centre_b, const double *band_b,
                     int F, double out[4])
{
    double sc = 0, mc = 0, sb = 0, mb = 0;
    for (int c = 0; c < F; c++) {
        double dc = fabs(centre_b[c] - centre_a[c]), db = fabs(band_b[c] - band_a[c]);
        if (isnan(dc) || isnan(db)) {
            out[0] = out[1] = out[2] = out[3] = NAN;
            return;
        }
        sc += dc;
        sb += db;
        if (dc > mc) mc = dc;
        if (db > mb) mb = db;
    }
    out[0] = F > 0 ? sc / F : NAN;
    out[1] = F > 0 ? mc : NAN;
    out[2] = F > 0 ? sb / F : NAN;
    out[3] = F > 0 ? mb : NAN;
}

/* One item f_lo-f_hi of a marks list, [a, b) of the string: both
 * non-negative, so the first '-' separates them. */
static int parse_mark(const char *a, const char *b, double nyq, double *lo, double *hi)
{
    char item[64], *end;
    if (b - a <= 0 || (size_t)(b - a) >= sizeof item) return -1;
    memcpy(item, a, (size_t)(b - a));
    item[b - a] = '\0';
    char *dash = strchr(item, '-');
    if (!dash || dash == item) return -1;
    *dash = '\0';
    *lo = strtod(item, &end);
    if (*end != '\0') return -1;
    *hi = strtod(dash + 1, &end);
    if (dash[1] == '\0' || *end != '\0') return -1;
    return *lo >= 0 && *lo < *hi && *hi <= nyq ? 0 : -1;
}

int sp_afr_parse_marks(const char *s, double fs, double *lohi, int max, sp_error *err)
{
    double nyq = fs / 2;
    int n = 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        if (n == max) return sp_fail(err, "'%s' is not a comma list of at most %d bands f_lo-f_hi", s, max);
        if (parse_mark(a, b, nyq, &lohi[2 * n], &lohi[2 * n + 1]) != 0)
            return sp_fail(err, "'%.*s'%s is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= %g", (int)(b - a), a,
                           p == s && p[len] == '\0' ? "" : " (in a comma list)", nyq);
        if (n > 0 && lohi[2 * n] <= lohi[2 * n - 1])
            return sp_fail(err, "'%s': %g-%g does not start above the end of %g-%g (bands go in increasing order, "
                           "without overlap)", s, lohi[2 * n], lohi[2 * n + 1], lohi[2 * n - 2], lohi[2 * n - 1]);
        n++;
        if (p[len] == '\0') return n;
        p += len;
    }
}
