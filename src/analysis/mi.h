/* mi.h - mutual information of a layer's activations with the input and
 * the labels, the "information plane" of Shwartz-Ziv & Tishby (2017), as
 * the mi probe (plugins/mi.c) computes it. Pure computation: no I/O, no
 * sincprobe state (libc, libm and OpenBLAS only), so it is compiled into
 * libsincprobe for the tests and into the mi probe module.
 *
 * Setting. N probe frames x_i (all distinct), their labels y_i in
 * [0, nclasses), and a layer's activations t_i = f(x_i) in R^D ([N][D]
 * row-major float32). X is uniform over the N frames.
 *
 * Binning estimators. Each activation is replaced by a bin index, each
 * frame by its pattern of D indices, and T by that discrete pattern. The
 * net is deterministic, so H(T|X) = 0 and
 *     I(X;T) = H(T) = -sum_k p_k log2 p_k          (p_k: share of frames
 *                                                  with pattern k)
 *     I(T;Y) = H(T) - H(T|Y),  H(T|Y) = sum_y p(y) H(T | Y = y)
 * both in bits, 0 <= I(T;Y) <= I(X;T) <= log2 N. With N frames there are
 * at most N patterns: a wide layer whose patterns are all distinct sits
 * at the ceiling log2 N (binning saturates; sp_mi_est.patterns == N).
 * Four binnings:
 *   fixed     (IDNNs): `bins` = n edges equally spaced on [lo, hi], so
 *             n - 1 intervals [e_k, e_k+1) (the last closed); values
 *             below lo go to the first interval and values above hi to
 *             the last (clamping: IDNNs' np.digitize indexing sends
 *             values below the first edge to the LAST bin, which we do
 *             not reproduce).
 *   width     (Saxe et al. 2018): index floor(t / binsize), unbounded.
 *   adaptive  (a variant of Chelombiev et al. 2019; ebab is theirs): as
 *             fixed, but the n edges are the
 *             quantiles 0, 1/(n-1), ..., 1 of the layer's UNIQUE
 *             activation values (all units pooled) at this call, with
 *             linear interpolation between order statistics (numpy's
 *             default quantile): edge_k = u[floor(p)] + frac(p) (u[floor(p)
 *             + 1] - u[floor(p)]), p = k (M - 1) / (n - 1), u the M sorted
 *             unique values. Each interval thus holds about M / (n - 1)
 *             unique values.
 *   ebab      (entropy-based adaptive binning, Chelombiev, Houghton &
 *             O'Donnell 2019, as their reference code bins ReLU layers):
 *             a low edge L fixed in advance (0 for ReLU; the value is
 *             rounded to float32, as their edges are), then, with u the
 *             M sorted unique finite values of the layer that are not L
 *             (all units pooled, this call) and n = `bins`, the edges
 *                 L, u[floor(k (M / n))] for k = 0 .. n - 1, u[M - 1]
 *             (M / n in double, as Python's int(k * (M / n))). A value v
 *             goes to the last edge <= v, so [L, u[0]) holds exactly the
 *             values equal to L (a ReLU's zeros: their own bin), the next
 *             n intervals about M / n unique values each, and the maximum
 *             u[M - 1] its own bin: up to n + 2 bins. Repeated edges (M <
 *             n) are one edge. Values below L are refused (the reference
 *             cannot bin them: its edges stop being increasing), and
 *             non-finite ones set no edge. `adaptive` differs in three
 *             ways: no fixed low edge (zeros share the first quantile
 *             interval), the maximum shares the last interval, and its
 *             quantiles interpolate; on ReLU layers the two give I(X;T)
 *             a few to tens of per cent apart.
 * Patterns are compared by a 64-bit hash of the row of indices, sorted,
 * then exactly (memcmp) within runs of equal hashes: no string keys, and
 * a hash collision cannot merge two patterns.
 *
 * KDE estimators (Kolchinsky & Tracey 2017; Kolchinsky, Tracey & Wolpert
 * 2019; the estimator of Saxe et al.'s code). T = t_X + Z with Gaussian
 * noise Z ~ N(0, sigma2 I_D): T is a mixture of N Gaussians of covariance
 * sigma2 I centred on the t_i with weights 1/N. Its entropy is bracketed
 * by the pairwise-distance bounds
 *     H_u(T) = H(T|X) - (1/N) sum_i ln (1/N) sum_j exp(-KL(p_i || p_j))
 *     H_l(T) = H(T|X) - (1/N) sum_i ln (1/N) sum_j exp(-BD(p_i, p_j))
 * where H(T|X) = D/2 ln(2 pi e sigma2) (the entropy of one component),
 * KL(p_i || p_j) = ||t_i - t_j||^2 / (2 sigma2) the Kullback-Leibler and
 * BD(p_i, p_j) = ||t_i - t_j||^2 / (8 sigma2) the Bhattacharyya distance
 * of two Gaussians of covariance sigma2 I. (Saxe et al. write the lower
 * bound as the KL form with variance 4 sigma2 plus D/2 ln(1/4); that is
 * the same number.) Hence, in nats,
 *     I_u(X;T) = H_u(T) - H(T|X) = -(1/N) sum_i ln (1/N) sum_j e^{-d_ij/(2 sigma2)}
 *     I_l(X;T) = -(1/N) sum_i ln (1/N) sum_j e^{-d_ij/(8 sigma2)}
 * with d_ij = ||t_i - t_j||^2, and I_l <= I(X;T) <= I_u, both in
 * [0, ln N] (the j = i term is 1). For the labels the same bounds are
 * applied to each class's sub-mixture (N_y frames):
 *     H_u(T|Y) = sum_y (N_y/N) [H(T|X) - (1/N_y) sum_{i: y_i = y} ln (1/N_y)
 *                                 sum_{j: y_j = y} e^{-d_ij/(2 sigma2)}]
 *     I_u(T;Y) = H_u(T) - H_u(T|Y)
 *              = I_u(X;T) + (1/N) sum_i ln( (1/N_{y_i}) sum_{j: y_j = y_i} e^{-d_ij/(2 sigma2)} )
 * and likewise with 8 sigma2 for the lower one. (A difference of two
 * upper bounds is not itself a bound: I_u(T;Y) and I_l(T;Y) are the
 * conventional estimates and usually bracket the truth, but need not.)
 * Everything is converted from nats to bits (divided by ln 2).
 *
 * Distances go through one GEMM: after centring the columns (which
 * leaves distances unchanged and keeps |a|^2 small, against cancellation)
 * in double precision, d_ij = |a_i|^2 + |a_j|^2 - 2 a_i . a_j, with the
 * Gram rows a_i . a_j from cblas_dgemm in blocks of rows (memory
 * O(block x N), not N^2), clamped at 0, d_ii = 0 exactly.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_MI_H
#define SP_MI_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef enum { SP_MI_FIXED = 0, SP_MI_WIDTH = 1, SP_MI_ADAPTIVE = 2, SP_MI_EBAB = 3 } sp_mi_binning;

/* One estimate, in bits. KDE: h_t and h_t_y are the differential
 * entropy bounds of T and T given Y (any sign). */
typedef struct {
    double i_xt, i_ty;
    double h_t, h_t_y;
    long patterns;      /* binning: distinct patterns (N: saturated); KDE 0 */
} sp_mi_est;

/* Bin indices of n values. fixed: bins >= 2 edges on [lo, hi], lo < hi,
 * index in [0, bins - 2], clamped. width: floor(v / binsize), binsize >
 * 0, saturating at the int32 range (NaN: INT32_MIN). */
void sp_mi_bin_fixed(const float *x, size_t n, int bins, double lo, double hi, int32_t *idx);
void sp_mi_bin_width(const float *x, size_t n, double binsize, int32_t *idx);

/* adaptive: edges[bins] at the quantiles of the unique values of x[n]
 * (see above); sp_mi_bin_edges then gives each value the index of its
 * interval, 0 .. bins - 2, clamped. -1 only when out of memory or n = 0. */
int sp_mi_adaptive_edges(const float *x, size_t n, int bins, double *edges, sp_error *err);
void sp_mi_bin_edges(const float *x, size_t n, const double *edges, int bins, int32_t *idx);

/* ebab: the distinct edges, *nedges of them (at most bins + 2, so
 * edges[bins + 2]), from the low edge low (see above); a value's index is
 * then the number of edges <= it, less one. -1 when a finite value is
 * below low (err names it), when no value is finite, or out of memory. */
int sp_mi_ebab_edges(const float *x, size_t n, int bins, double low, double *edges, int *nedges, sp_error *err);

/* Number the distinct rows of idx [N][D]: id[i] in [0, K), equal rows
 * equal ids; returns K, or -1 when out of memory. */
long sp_mi_patterns(const int32_t *idx, long N, long D, long *id);

/* I(X;T), I(T;Y) of a discrete T given as ids (from sp_mi_patterns),
 * labels[N] in [0, nclasses). */
int sp_mi_discrete(const long *id, long N, const int *labels, int nclasses, sp_mi_est *out, sp_error *err);

/* Bin x [N][D] (kind, with bins/lo/hi or binsize; ebab: lo is its low
 * edge L) and estimate. */
int sp_mi_binned(const float *x, long N, long D, const int *labels, int nclasses, sp_mi_binning kind, int bins,
                 double lo, double hi, double binsize, sp_mi_est *out, sp_error *err);

/* Squared distances out[N][N] by the GEMM path above, and by a direct
 * double loop (for tests). */
int sp_mi_sqdist(const float *x, long N, long D, double *out, sp_error *err);
void sp_mi_sqdist_direct(const float *x, long N, long D, double *out);

/* The KDE upper (KL) and lower (Bhattacharyya) estimates for noise
 * variance sigma2 > 0. */
int sp_mi_kde(const float *x, long N, long D, const int *labels, int nclasses, double sigma2, sp_mi_est *upper,
              sp_mi_est *lower, sp_error *err);

#endif
