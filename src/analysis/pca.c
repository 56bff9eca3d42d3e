/* pca.c - PCA by covariance (dsyrk) and symmetric eigen-decomposition
 * (dsyevr). See pca.h. */
#include "analysis/pca.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's Fortran entry (OpenBLAS exports it): the selected eigenvalues
 * and eigenvectors of a symmetric matrix by relatively robust
 * representations. Column-major; trailing hidden lengths of the character
 * arguments are passed as 1 (gfortran's calling convention). */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
                    const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
                    const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t l1,
                    size_t l2, size_t l3);

/* The k largest eigenpairs of the symmetric n x n matrix A (row-major,
 * upper triangle; column-major lower, destroyed): w [k] descending, Z [k][n]
 * the unit eigenvectors as rows, in the same order. */
static int top_eigen(double *A, int n, int k, double *w, double *Z, sp_error *err)
{
    double *wa = malloc((size_t)n * sizeof *wa), *za = malloc((size_t)n * k * sizeof *za), *work = NULL;
    int *isuppz = malloc((size_t)2 * k * sizeof *isuppz), *iwork = NULL;
    int rc = -1;
    if (!wa || !za || !isuppz) {
        sp_fail_oom(err, 0);
        goto out;
    }
    /* the k largest: indices n-k+1 .. n (1-based, ascending) */
    int lda = n, il = n - k + 1, iu = n, m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double vl = 0, vu = 0, abstol = 0, wq = 0;
    dsyevr_("V", "I", "L", &n, A, &lda, &vl, &vu, &il, &iu, &abstol, &m, wa, za, &lda, isuppz, &wq, &lwork, &iwq,
            &liwork, &info, 1, 1, 1);
    if (info == 0) {
        lwork = (int)wq + 1;
        liwork = iwq + 1;
        work = malloc((size_t)lwork * sizeof *work);
        iwork = malloc((size_t)liwork * sizeof *iwork);
        if (!work || !iwork) {
            sp_fail_oom(err, 0);
            goto out;
        }
        dsyevr_("V", "I", "L", &n, A, &lda, &vl, &vu, &il, &iu, &abstol, &m, wa, za, &lda, isuppz, work, &lwork,
                iwork, &liwork, &info, 1, 1, 1);
    }
    if (info != 0 || m != k) {
        sp_fail(err, "pca: the eigen-decomposition failed (dsyevr info %d, %d of %d eigenvalues)", info, m, k);
        goto out;
    }
    for (int j = 0; j < k; j++) {
        w[j] = wa[k - 1 - j];
        memcpy(Z + (size_t)j * n, za + (size_t)(k - 1 - j) * n, (size_t)n * sizeof *Z);
    }
    rc = 0;
out:
    free(wa);
    free(za);
    free(isuppz);
    free(work);
    free(iwork);
    return rc;
}

/* The sign that makes v's entry of largest magnitude positive. */
static double sign_of(const double *v, int D)
{
    int arg = 0;
    for (int i = 1; i < D; i++)
        if (fabs(v[i]) > fabs(v[arg])) arg = i;
    return v[arg] < 0 ? -1.0 : 1.0;
}

/* Xc [N][D] centred, then the rest of the analysis. With D <= N the
 * covariance C = Xc^T Xc / (N-1) [D][D] is decomposed; with D > N the Gram
 * matrix G = Xc Xc^T [N][N] instead (same nonzero spectrum times N-1): for
 * G u = g u, v = Xc^T u / sqrt(g) is the unit component and the scores
 * are Xc v = sqrt(g) u. */
static int pca_centred(double *Xc, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
                       sp_error *err)
{
    int gram = (long)D > N, n = gram ? (int)N : D;
    int rc = -1;
    double *A = malloc((size_t)n * n * sizeof *A), *w = malloc((size_t)k * sizeof *w);
    double *Z = malloc((size_t)n * k * sizeof *Z), *V = malloc((size_t)D * k * sizeof *V);
    if (!A || !w || !Z || !V) {
        sp_fail_oom(err, 0);
        goto out;
    }
    int nthreads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    if (gram)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, D, 1.0, Xc, D, 0.0, A, n);
    else /* row-major upper triangle = column-major lower */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, D, (int)N, 1.0 / (double)(N - 1), Xc, D, 0.0, A, D);
    double tr = 0;
    for (int i = 0; i < n; i++) tr += A[(size_t)i * n + i];
    if (gram) tr /= (double)(N - 1);
    int e = top_eigen(A, n, k, w, Z, err);
    if (e == 0) {
        for (int j = 0; j < k; j++) {
            double *v = V + (size_t)j * D; /* components as rows [k][D] */
            const double *z = Z + (size_t)j * n;
            if (gram) {
                double g = w[j] > 0 ? w[j] : 0;
                cblas_dgemv(CblasRowMajor, CblasTrans, (int)N, D, g > 0 ? 1.0 / sqrt(g) : 0.0, Xc, D, z, 1, 0.0, v, 1);
                w[j] = g / (double)(N - 1);
            } else {
                memcpy(v, z, (size_t)D * sizeof *v);
            }
            double s = sign_of(v, D);
            for (int i = 0; i < D; i++) v[i] *= s;
            if (eigval) eigval[j] = w[j] > 0 ? w[j] : 0.0;
            if (comp) memcpy(comp + (size_t)j * D, v, (size_t)D * sizeof *v);
        }
        /* Y = Xc V^T */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, k, D, 1.0, Xc, D, V, D, 0.0, Y, k);
    }
    openblas_set_num_threads(nthreads);
    if (e != 0) goto out;
    if (total) *total = tr;
    rc = 0;
out:
    free(A);
    free(w);
    free(Z);
    free(V);
    return rc;
}

static int check(long N, int D, int k, sp_error *err)
{
    if (N < 2) return sp_fail(err, "pca: %ld rows, need at least 2", N);
    if (D < 1 || k < 1 || k > D) return sp_fail(err, "pca: %d components of %d dimensions", k, D);
    if (N > 2147483647L) return sp_fail(err, "pca: %ld rows is too many", N);
    return 0;
}

/* Column means in double, summed in row order. */
#define CENTRE(X)                                                                                  \
    do {                                                                                           \
        for (long r = 0; r < N; r++)                                                               \
            for (int c = 0; c < D; c++) mean[c] += (double)X[(size_t)r * D + c];                   \
        for (int c = 0; c < D; c++) mean[c] /= (double)N;                                          \
        for (long r = 0; r < N; r++)                                                               \
            for (int c = 0; c < D; c++) Xc[(size_t)r * D + c] = (double)X[(size_t)r * D + c] - mean[c]; \
    } while (0)

int sp_pca_f(const float *X, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
             sp_error *err)
{
    if (check(N, D, k, err) != 0) return -1;
    double *Xc = malloc((size_t)N * D * sizeof *Xc), *mean = calloc((size_t)D, sizeof *mean);
    int rc = -1;
    if (Xc && mean) {
        CENTRE(X);
        rc = pca_centred(Xc, N, D, k, Y, eigval, total, comp, err);
    } else {
        sp_fail_oom(err, 0);
    }
    free(Xc);
    free(mean);
    return rc;
}

int sp_pca_d(const double *X, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
             sp_error *err)
{
    if (check(N, D, k, err) != 0) return -1;
    double *Xc = malloc((size_t)N * D * sizeof *Xc), *mean = calloc((size_t)D, sizeof *mean);
    int rc = -1;
    if (Xc && mean) {
        CENTRE(X);
        rc = pca_centred(Xc, N, D, k, Y, eigval, total, comp, err);
    } else {
        sp_fail_oom(err, 0);
    }
    free(Xc);
    free(mean);
    return rc;
}
