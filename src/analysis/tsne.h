/* tsne.h - t-distributed stochastic neighbour embedding (van der Maaten and
 * Hinton 2008) in 2 dimensions, exact and Barnes-Hut (van der Maaten 2014),
 * and the quality measures the tsne probe reports.
 *
 * Input affinities. For each point i, p_{j|i} = exp(-beta_i d_ij^2) /
 * sum_{l != i} exp(-beta_i d_il^2), with beta_i found by bisection so that
 * the row's entropy H_i = -sum_j p_{j|i} ln p_{j|i} equals ln(perplexity).
 * Exact: over all j != i. Barnes-Hut: over the k = min(N - 1,
 * floor(3 perplexity)) nearest neighbours (a vantage-point tree), 0
 * elsewhere. Then p_ij = (p_{j|i} + p_{i|j}) / (2N), summing to 1.
 *
 * Output affinities: q_ij = w_ij / Z, w_ij = 1 / (1 + |y_i - y_j|^2),
 * Z = sum_{k != l} w_kl. The cost KL(P || Q) = sum p_ij ln(p_ij / q_ij)
 * has the gradient
 *     dC/dy_i = 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j)
 *            = 4 [ sum_j p_ij w_ij (y_i - y_j)  -  (1/Z) sum_j w_ij^2 (y_i - y_j) ],
 * the attractive term over P's nonzeros, the repulsive one over all pairs:
 * Barnes-Hut summarises a quadtree cell of n_c points at centre of mass
 * y_c by n_c w_ic (and n_c w_ic^2 (y_i - y_c)) when its width / |y_i - y_c|
 * < theta (theta = 0: every pair exactly). Early exaggeration multiplies P
 * by `exaggeration` for the first `exaggeration_iterations` iterations.
 *
 * Optimisation (as in the reference implementations): gradient descent
 * with momentum (0.5 during exaggeration, 0.8 after) and per-coordinate
 * gains (+0.2 when the gradient changes sign against the update, x0.8
 * otherwise, floor 0.01); learning rate max(200, N / 12) unless given;
 * initialisation: the first 2 principal components scaled so that the
 * first has standard deviation 1e-4.
 *
 * Determinism: the OpenMP loops each write their own point's outputs, and
 * every sum over points is done serially in index order afterwards, so
 * the result is bit-identical for any thread count. Self-contained (BLAS,
 * LAPACK, OpenMP, libc): compiled into the probe module.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_TSNE_H
#define SP_TSNE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct {
    double perplexity;           /* 30 */
    int iterations;              /* 1000 */
    double theta;                /* 0.5; 0: exact */
    double exaggeration;         /* 12 */
    int exaggeration_iterations; /* 250 */
    double learning_rate;        /* 0: max(200, N / 12) */
    uint64_t seed;               /* ties in the vantage-point tree's choice */
} sp_tsne_params;

void sp_tsne_defaults(sp_tsne_params *p);

/* A sparse symmetric matrix by rows (CSR): row i's entries are
 * col[row[i] .. row[i+1]) with values val[..], columns ascending. */
typedef struct {
    long N;
    long *row; /* [N + 1] */
    long *col; /* [row[N]] */
    double *val;
} sp_tsne_sparse;

void sp_tsne_sparse_free(sp_tsne_sparse *P);

/* ---- nearest neighbours (Euclidean). idx [N][k], dist [N][k]: the k
 * nearest other points of each point by increasing distance, ties by index. */
int sp_tsne_knn_vptree(const double *X, long N, int D, int k, uint64_t seed, long *idx, double *dist, sp_error *err);
int sp_tsne_knn_brute(const double *X, long N, int D, int k, long *idx, double *dist, sp_error *err);

/* ---- input affinities */
/* One row: d2 [n] squared distances -> p [n] summing to 1 with entropy
 * ln(perplexity) (to 1e-10 nats, or the closest 200 bisections reach).
 * Returns beta. */
double sp_tsne_calibrate(const double *d2, int n, double perplexity, double *p);
/* Exact joint P [N][N] (zero diagonal). */
int sp_tsne_p_exact(const double *X, long N, int D, double perplexity, double *P, sp_error *err);
/* Sparse joint P over the k = min(N - 1, floor(3 perplexity)) nearest
 * neighbours (k_override > 0: that many instead). */
int sp_tsne_p_sparse(const double *X, long N, int D, double perplexity, int k_override, uint64_t seed,
                     sp_tsne_sparse *P, sp_error *err);

/* ---- gradients of KL(exaggeration P || Q) with respect to Y [N][2];
 * return KL(P || Q) when kl is nonzero (else 0). */
double sp_tsne_grad_exact(const double *P, const double *Y, long N, double exaggeration, double *grad, int kl);
int sp_tsne_grad_bh(const sp_tsne_sparse *P, const double *Y, long N, double theta, double exaggeration,
                    double *grad, double *kl, sp_error *err);

/* ---- the whole embedding: X [N][D] (already reduced, e.g. by PCA to 50)
 * -> Y [N][2]; *kl the final KL(P || Q) (Barnes-Hut: its approximation).
 * init [N][2] or NULL (PCA of X scaled to std 1e-4). */
int sp_tsne_run(const double *X, long N, int D, const double *init, const sp_tsne_params *p, double *Y, double *kl,
                sp_error *err);

/* ---- quality of an embedding Y [N][d] of X [N][D]:
 * trustworthiness (Venna and Kaski 2001) with k neighbours,
 *   T = 1 - 2 / (N k (2N - 3k - 1)) sum_i sum_{j in U_i} (r(i, j) - k),
 * U_i the k nearest of i in Y that are not among its k nearest in X, r(i,j)
 * the rank of j among i's neighbours in X (1 = nearest); and k-NN
 * preservation, the mean over i of |kNN_X(i) and kNN_Y(i)| / k. Ties by
 * index. O(N^2 (D + d)), parallel over i. Needs N > 3k + 1 (trust) and
 * N > knn. */
int sp_tsne_quality(const double *X, long N, int D, const double *Y, int d, int k_trust, int k_nn, double *trust,
                    double *knn_pres, sp_error *err);

#endif
