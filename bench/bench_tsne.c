/* bench_tsne.c - time t-SNE (src/tsne.c, the tsne probe's code) on a seeded
 * Gaussian mixture (default 10,000 points of 50 dimensions, 10 clusters),
 * or on a float32 [N][D] .npy, and report the KL divergence,
 * trustworthiness (k = 5) and 10-NN preservation beside scikit-learn's
 * Barnes-Hut TSNE on the same data (bench/tsne_sklearn.py). Not part of
 * make check; build with `make bench/bench_tsne`.
 *
 *   bench/bench_tsne [--n N] [--d D] [--data X.npy] [--save X.npy]
 *                    [--out Y.npy] [--iterations 1000] [--perplexity 30]
 *                    [--theta 0.5] [--no-quality]
 *
 * --save writes the generated data (for tsne_sklearn.py); OMP_NUM_THREADS
 * sets the threads. Prints one line: n d threads seconds kl trust knn. */
#include "config.h"
#include "nn/blas_core.h"
#include "base/npy.h"
#include "analysis/tsne.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t st = 0x243f6a8885a308d3ULL;
static double unif(void)
{
    st ^= st << 13;
    st ^= st >> 7;
    st ^= st << 17;
    return ((double)(st >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    long N = 10000;
    int D = 50, quality = 1;
    const char *data = NULL, *save = NULL, *out = NULL;
    sp_tsne_params p;
    sp_tsne_defaults(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-quality") == 0) quality = 0;
        else if (!v) goto usage;
        else if (strcmp(a, "--n") == 0) N = atol(v), i++;
        else if (strcmp(a, "--d") == 0) D = atoi(v), i++;
        else if (strcmp(a, "--data") == 0) data = v, i++;
        else if (strcmp(a, "--save") == 0) save = v, i++;
        else if (strcmp(a, "--out") == 0) out = v, i++;
        else if (strcmp(a, "--iterations") == 0) p.iterations = atoi(v), i++;
        else if (strcmp(a, "--perplexity") == 0) p.perplexity = atof(v), i++;
        else if (strcmp(a, "--theta") == 0) p.theta = atof(v), i++;
        else goto usage;
    }
    sp_error err;
    float *Xf = NULL;
    if (data) {
        sp_npy_dtype t;
        int rank;
        long shape[8];
        Xf = sp_npy_read(data, &t, &rank, shape, &err);
        if (!Xf || t != SP_NPY_F32 || rank != 2) {
            fprintf(stderr, "bench_tsne: '%s': %s\n", data, Xf ? "not float32 [N][D]" : err.msg);
            return 1;
        }
        N = shape[0], D = (int)shape[1];
    } else {
        /* 10 clusters, centres N(0, 4^2 I), unit spread */
        Xf = malloc(sizeof(float) * (size_t)N * D);
        double *mu = malloc(sizeof(double) * 10 * D);
        for (int i = 0; i < 10 * D; i++) mu[i] = 4 * gauss();
        for (long i = 0; i < N; i++)
            for (int c = 0; c < D; c++) Xf[(size_t)i * D + c] = (float)(mu[(i % 10) * D + c] + gauss());
        free(mu);
    }
    if (save) {
        long shape[2] = { N, D };
        if (sp_npy_write(save, SP_NPY_F32, Xf, 2, shape, &err) != 0) {
            fprintf(stderr, "bench_tsne: %s\n", err.msg);
            return 1;
        }
    }
    double *X = malloc(sizeof(double) * (size_t)N * D), *Y = malloc(sizeof(double) * (size_t)N * 2), kl = NAN;
    for (size_t i = 0; i < (size_t)N * D; i++) X[i] = Xf[i];
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    double t0 = now();
    if (sp_tsne_run(X, N, D, NULL, &p, Y, &kl, &err) != 0) {
        fprintf(stderr, "bench_tsne: %s\n", err.msg);
        return 1;
    }
    double secs = now() - t0, trust = NAN, knn = NAN;
    if (quality && sp_tsne_quality(X, N, D, Y, 2, 5, 10, &trust, &knn, &err) != 0) {
        fprintf(stderr, "bench_tsne: %s\n", err.msg);
        return 1;
    }
    if (out) {
        float *Yf = malloc(sizeof(float) * (size_t)N * 2);
        for (long i = 0; i < 2 * N; i++) Yf[i] = (float)Y[i];
        long shape[2] = { N, 2 };
        if (sp_npy_write(out, SP_NPY_F32, Yf, 2, shape, &err) != 0) fprintf(stderr, "bench_tsne: %s\n", err.msg);
        free(Yf);
    }
    printf("sincprobe n %ld d %d threads %d seconds %.2f kl %.4f trust %.4f knn %.4f\n", N, D, threads, secs, kl,
           trust, knn);
    free(X), free(Y), free(Xf);
    return 0;
usage:
    fprintf(stderr, "usage: bench_tsne [--n N] [--d D] [--data X.npy] [--save X.npy] [--out Y.npy] "
                    "[--iterations N] [--perplexity P] [--theta T] [--no-quality]\n");
    return 2;
}
