/* pca.c - PCA by covariance (dsyrk) and symmetric eigen-decomposition
 * (dsyevr). See pca.h. */
#include "pca.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
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

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Xc [N][D] centred (in place), then the rest of the analysis. */
static int pca_centred(double *Xc, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
                       char *err, size_t errlen)
{
    int rc = -1;
    double *C = malloc((size_t)D * D * sizeof *C);
    double *w = malloc((size_t)D * sizeof *w);
    double *Z = malloc((size_t)D * k * sizeof *Z);
    int *isuppz = malloc((size_t)2 * (k > 0 ? k : 1) * sizeof *isuppz);
    double *work = NULL;
    int *iwork = NULL;
    if (!C || !w || !Z || !isuppz) {
        fail(err, errlen, "out of memory");
        goto out;
    }
    int nthreads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    /* C = Xc^T Xc / (N - 1): row-major upper triangle = column-major lower. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, D, (int)N, 1.0 / (double)(N - 1), Xc, D, 0.0, C, D);
    double tr = 0;
    for (int i = 0; i < D; i++) tr += C[(size_t)i * D + i];
    /* The k largest: indices D-k+1 .. D (1-based, ascending order). */
    int n = D, lda = D, il = D - k + 1, iu = D, m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double vl = 0, vu = 0, abstol = 0, wq = 0;
    dsyevr_("V", "I", "L", &n, C, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, Z, &lda, isuppz, &wq, &lwork, &iwq,
            &liwork, &info, 1, 1, 1);
    if (info == 0) {
        lwork = (int)wq + 1;
        liwork = iwq + 1;
        work = malloc((size_t)lwork * sizeof *work);
        iwork = malloc((size_t)liwork * sizeof *iwork);
        if (!work || !iwork) {
            openblas_set_num_threads(nthreads);
            fail(err, errlen, "out of memory");
            goto out;
        }
        dsyevr_("V", "I", "L", &n, C, &lda, &vl, &vu, &il, &iu, &abstol, &m, w, Z, &lda, isuppz, work, &lwork,
                iwork, &liwork, &info, 1, 1, 1);
    }
    if (info != 0 || m != k) {
        openblas_set_num_threads(nthreads);
        fail(err, errlen, "pca: the eigen-decomposition failed (dsyevr info %d, %d of %d eigenvalues)", info, m, k);
        goto out;
    }
    /* Descending order, columns of V [D][k] row-major, signs fixed. */
    double *V = C; /* C is consumed: reuse it for V */
    for (int j = 0; j < k; j++) {
        const double *z = Z + (size_t)(k - 1 - j) * D;
        int arg = 0;
        for (int i = 1; i < D; i++)
            if (fabs(z[i]) > fabs(z[arg])) arg = i;
        double s = z[arg] < 0 ? -1.0 : 1.0;
        for (int i = 0; i < D; i++) V[(size_t)i * k + j] = s * z[i];
        if (eigval) eigval[j] = w[k - 1 - j] > 0 ? w[k - 1 - j] : 0.0;
        if (comp)
            for (int i = 0; i < D; i++) comp[(size_t)j * D + i] = s * z[i];
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, k, D, 1.0, Xc, D, V, k, 0.0, Y, k);
    openblas_set_num_threads(nthreads);
    if (total) *total = tr;
    rc = 0;
out:
    free(C);
    free(w);
    free(Z);
    free(isuppz);
    free(work);
    free(iwork);
    return rc;
}

static int check(long N, int D, int k, char *err, size_t errlen)
{
    if (N < 2) return fail(err, errlen, "pca: %ld rows, need at least 2", N);
    if (D < 1 || k < 1 || k > D) return fail(err, errlen, "pca: %d components of %d dimensions", k, D);
    if (N > 2147483647L) return fail(err, errlen, "pca: %ld rows is too many", N);
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
             char *err, size_t errlen)
{
    if (check(N, D, k, err, errlen) != 0) return -1;
    double *Xc = malloc((size_t)N * D * sizeof *Xc), *mean = calloc((size_t)D, sizeof *mean);
    int rc = -1;
    if (Xc && mean) {
        CENTRE(X);
        rc = pca_centred(Xc, N, D, k, Y, eigval, total, comp, err, errlen);
    } else {
        fail(err, errlen, "out of memory");
    }
    free(Xc);
    free(mean);
    return rc;
}

int sp_pca_d(const double *X, long N, int D, int k, double *Y, double *eigval, double *total, double *comp,
             char *err, size_t errlen)
{
    if (check(N, D, k, err, errlen) != 0) return -1;
    double *Xc = malloc((size_t)N * D * sizeof *Xc), *mean = calloc((size_t)D, sizeof *mean);
    int rc = -1;
    if (Xc && mean) {
        CENTRE(X);
        rc = pca_centred(Xc, N, D, k, Y, eigval, total, comp, err, errlen);
    } else {
        fail(err, errlen, "out of memory");
    }
    free(Xc);
    free(mean);
    return rc;
}
