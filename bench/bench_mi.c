/* bench_mi.c - how long the mi probe's estimators take on one wide layer:
 * N x D random activations (default 4096 x 2048, the probe set on a
 * SincNet dense layer), tanh of Gaussians so they fill (-1, 1), labels
 * uniform over 48 classes. Times each estimator once (wall clock) and
 * prints its estimates.
 *
 *   make bench/bench_mi && bench/bench_mi [N [D [sigma2]]]
 *
 * The KDE estimator's cost is one GEMM of N x D by D x N (N^2 D
 * multiply-adds, OpenBLAS dgemm in blocks of rows) plus N^2 exp(); the
 * binnings are O(N D) (adaptive also sorts the N D values). Threads: as
 * OpenBLAS is configured (OPENBLAS_NUM_THREADS). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sincprobe/splitmix.h>

#include "analysis/mi.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t state = 12345;
static double unif(void)
{
    uint64_t z = sp_splitmix64_next(&state);
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

int main(int argc, char **argv)
{
    long N = argc > 1 ? atol(argv[1]) : 4096, D = argc > 2 ? atol(argv[2]) : 2048;
    double sigma2 = argc > 3 ? atof(argv[3]) : 0.1;
    if (N < 2 || D < 1 || !(sigma2 > 0)) {
        fprintf(stderr, "usage: bench_mi [N >= 2 [D >= 1 [sigma2 > 0]]]\n");
        return 2;
    }
    float *x = malloc((size_t)N * (size_t)D * sizeof *x);
    int *y = malloc((size_t)N * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "bench_mi: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)N * (size_t)D; i++) {
        double g = sqrt(-2.0 * log(unif())) * cos(2.0 * M_PI * unif());
        x[i] = (float)tanh(g);
    }
    for (long i = 0; i < N; i++) y[i] = (int)(unif() * 48);
    printf("layer %ld x %ld, 48 classes, sigma2 %g\n", N, D, sigma2);
    printf("%-10s %9s %9s %9s\n", "estimator", "seconds", "i_xt", "i_ty");
    sp_error err;
    static const char *const name[3] = { "fixed", "width", "adaptive" };
    for (int k = 0; k < 3; k++) {
        sp_mi_est e;
        double t0 = now();
        if (sp_mi_binned(x, N, D, y, 48, (sp_mi_binning)k, 30, -1, 1, 0.5, &e, &err) != 0) {
            fprintf(stderr, "bench_mi: %s\n", err.msg);
            return 1;
        }
        printf("%-10s %9.3f %9.4f %9.4f\n", name[k], now() - t0, e.i_xt, e.i_ty);
    }
    sp_mi_est up, lo;
    double t0 = now();
    if (sp_mi_kde(x, N, D, y, 48, sigma2, &up, &lo, &err) != 0) {
        fprintf(stderr, "bench_mi: %s\n", err.msg);
        return 1;
    }
    double t = now() - t0;
    printf("%-10s %9.3f %9.4f %9.4f\n", "kde_upper", t, up.i_xt, up.i_ty);
    printf("%-10s %9s %9.4f %9.4f\n", "kde_lower", "(same)", lo.i_xt, lo.i_ty);
    printf("kde: %.3g GFLOP in the GEMM, %.2f GFLOP/s overall\n", 2.0 * N * N * D * 1e-9, 2.0 * N * N * D * 1e-9 / t);
    free(x);
    free(y);
    return 0;
}
