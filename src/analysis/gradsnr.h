/* gradsnr.h - the gradient signal-to-noise ratio of one tensor over the
 * mini-batches of an epoch, accumulated online (no gradient is stored).
 *
 * For the gradients g_1 .. g_B (each n elements) of B batches:
 *
 *   mean_i = (1/B) sum_b g_b,i
 *   std_i  = sqrt((1/B) sum_b (g_b,i - mean_i)^2)     population std
 *   mean_norm = ||mean||_2,  std_norm = ||std||_2,  snr = mean_norm / std_norm
 *
 * (per layer: ibsgd's gradmean / gradstd, and the per-layer numbers of
 * Shwartz-Ziv & Tishby's IDNNs, whose plot then shows
 * (sum_{l<=L} mean_norm_l)^2 / sum_{l<=L} std_norm_l), and apart from it
 * the statistic of the talks, Mean(||grad W||) / STD(||grad W||), on the
 * norms of the batch gradients,
 *
 *   norm_mean = (1/B) sum_b ||g_b||,  norm_std = population std of ||g_b||,
 *   norm_snr = norm_mean / norm_std.
 *
 * Accumulation is Welford's update in double per element (2 doubles per
 * element: mean and the sum of squared deviations), numerically stable
 * also when |mean| >> std. With fewer than 2 batches the std columns and
 * both ratios are NaN; a zero std with a non-zero mean gives +inf. */
#ifndef SP_GRADSNR_H
#define SP_GRADSNR_H

#include <stddef.h>

#include "base/error.h"

typedef struct {
    unsigned long n;     /* elements per gradient */
    long count;          /* batches added since the last reset */
    double *mean, *m2;   /* [n] running mean, sum of squared deviations */
    double nmean, nm2;   /* the same for ||g_b||_2 */
} sp_gradsnr_acc;

typedef struct {
    long batches;
    double mean_norm, std_norm, snr;
    double norm_mean, norm_std, norm_snr;
} sp_gradsnr_stats;

/* Allocate for n elements (count 0). Returns 0, or -1 with err
 * (base/error.h) when out of memory. Free with sp_gradsnr_free. */
int sp_gradsnr_init(sp_gradsnr_acc *a, unsigned long n, sp_error *err);
void sp_gradsnr_free(sp_gradsnr_acc *a);
/* Forget every batch (count 0). */
void sp_gradsnr_reset(sp_gradsnr_acc *a);
/* Add one batch's gradient g[n]. */
void sp_gradsnr_add(sp_gradsnr_acc *a, const float *g);
/* The statistics of the batches added so far. */
void sp_gradsnr_get(const sp_gradsnr_acc *a, sp_gradsnr_stats *s);

/* The drift-to-diffusion transition of a series snr[0..n-1] (one value
 * per epoch, in order): the index e >= 1 minimising the finite
 * difference snr[e] - snr[e-1], skipping non-finite differences. Returns
 * that index and sets *min_d to the difference; -1 (and *min_d NaN) when
 * n < 2 or no difference is finite. */
long sp_gradsnr_transition(const double *snr, long n, double *min_d);

#endif
