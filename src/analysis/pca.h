/* pca.h - principal component analysis through BLAS and LAPACK (OpenBLAS),
 * for the pca probe (2 components as its output) and the tsne probe (to 50
 * dimensions before t-SNE, and its initialisation).
 *
 * For X [N][D] with column means m, the centred Xc = X - 1 m^T and the
 * covariance C = Xc^T Xc / (N - 1) [D][D] (cblas_dsyrk), C = V L V^T by
 * LAPACK's dsyevr (the k largest eigenvalues l_1 >= ... >= l_k and their
 * unit eigenvectors v_j), the scores Y = Xc V [N][k] (cblas_dgemm). An
 * eigenvector's sign is arbitrary, so each v_j is flipped to make its
 * component of largest magnitude (the first such on a tie) positive: the
 * same data always give the same Y. With more dimensions than rows the
 * N x N Gram matrix Xc Xc^T is decomposed instead (the same nonzero
 * spectrum, times N - 1; v_j = Xc^T u_j / |Xc^T u_j|). The fraction of the total variance
 * (trace C) component j carries is l_j / trace C.
 *
 * Determinism: BLAS and LAPACK run on one OpenBLAS thread here (restored
 * afterwards), so the result does not depend on the thread count.
 * Self-contained (BLAS, LAPACK, libc): compiled into the probe module.
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_PCA_H
#define SP_PCA_H

#include <stddef.h>

#include "base/error.h"

/* X [N][D] (float, ld D) -> Y [N][k] (k <= D, N >= 2), eigval [k] (may be
 * NULL) the variances of the components, *total (may be NULL) trace C.
 * comp [k][D] (may be NULL): the components v_j as rows. */
int sp_pca_f(const float *X, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
             sp_error *err);

/* Likewise for double X. */
int sp_pca_d(const double *X, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
             sp_error *err);

#endif
