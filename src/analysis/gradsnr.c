/* gradsnr.c - online gradient SNR (see gradsnr.h for the definitions). */
#include "analysis/gradsnr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int sp_gradsnr_init(sp_gradsnr_acc *a, unsigned long n, sp_error *err)
{
    a->n = n;
    a->count = 0;
    a->nmean = a->nm2 = 0;
    a->mean = calloc(n ? n : 1, sizeof *a->mean);
    a->m2 = calloc(n ? n : 1, sizeof *a->m2);
    if (!a->mean || !a->m2) {
        free(a->mean);
        free(a->m2);
        a->mean = a->m2 = NULL;
        sp_fail_oom(err, 0);
        return sp_error_append(err, " for the gradient statistics of %lu elements (%.1f MB)", n,
                               16.0 * (double)n / 1e6);
    }
    return 0;
}

void sp_gradsnr_free(sp_gradsnr_acc *a)
{
    free(a->mean);
    free(a->m2);
    a->mean = a->m2 = NULL;
}

void sp_gradsnr_reset(sp_gradsnr_acc *a)
{
    for (unsigned long i = 0; i < a->n; i++) a->mean[i] = a->m2[i] = 0;
    a->count = 0;
    a->nmean = a->nm2 = 0;
}

/* Welford: with k = count after adding x,
 *   d = x - mean;  mean += d / k;  m2 += d (x - mean_new). */
void sp_gradsnr_add(sp_gradsnr_acc *a, const float *g)
{
    long k = ++a->count;
    double inv = 1.0 / (double)k, sq = 0;
    double *mean = a->mean, *m2 = a->m2;
    for (unsigned long i = 0; i < a->n; i++) {
        double x = g[i];
        double d = x - mean[i];
        mean[i] += d * inv;
        m2[i] += d * (x - mean[i]);
        sq += x * x;
    }
    double nx = sqrt(sq), d = nx - a->nmean;
    a->nmean += d * inv;
    a->nm2 += d * (nx - a->nmean);
}

static double ratio(double m, double s)
{
    if (isnan(m) || isnan(s)) return NAN;
    if (s == 0) return m > 0 ? INFINITY : NAN;
    return m / s;
}

void sp_gradsnr_get(const sp_gradsnr_acc *a, sp_gradsnr_stats *s)
{
    s->batches = a->count;
    double mm = 0, vv = 0;
    for (unsigned long i = 0; i < a->n; i++) {
        mm += a->mean[i] * a->mean[i];
        vv += a->m2[i];
    }
    /* ||std||_2^2 = sum_i m2_i / B: the population variances summed. */
    s->mean_norm = a->count > 0 ? sqrt(mm) : NAN;
    s->std_norm = a->count > 1 ? sqrt(vv / (double)a->count) : NAN;
    s->snr = ratio(s->mean_norm, s->std_norm);
    s->norm_mean = a->count > 0 ? a->nmean : NAN;
    s->norm_std = a->count > 1 ? sqrt(a->nm2 / (double)a->count) : NAN;
    s->norm_snr = ratio(s->norm_mean, s->norm_std);
}

long sp_gradsnr_transition(const double *snr, long n, double *min_d)
{
    long best = -1;
    double bd = NAN;
    for (long e = 1; e < n; e++) {
        double d = snr[e] - snr[e - 1];
        if (!isfinite(d)) continue;
        if (best < 0 || d < bd) {
            best = e;
            bd = d;
        }
    }
    *min_d = bd;
    return best;
}
