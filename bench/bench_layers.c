/* bench_layers.c - time each layer of the big preset (batch 128, 3200
 * samples, 80 x 251 sinc, conv 60 x 5 twice, 3 x 2048 dense, 48 classes)
 * forward and backward, one training step's worth, to see where the time
 * goes. Not part of make check. Build by hand (from a configured build dir
 * for config.h):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -I$SRC/src -I$BUILD bench/bench_layers.c \
 *       $SRC/src/layer_*.c $SRC/src/rng.c $(pkg-config --cflags --libs openblas) -lm
 * and run under ../shared/bench/torch-env to compare with the PyTorch
 * reference (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set the threads). */
#include "config.h"
#include "nn/blas_core.h"
#include "base/conf.h"
#include "nn/layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static float *fnew(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        fprintf(stderr, "bench_layers: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u % 1000) / 500.0 - 1.0);
    return p;
}

#define TIME(label, reps, stmt)                                                   \
    do {                                                                          \
        stmt;                                                                     \
        double t0 = now();                                                        \
        for (int r_ = 0; r_ < (reps); r_++) stmt;                                 \
        double dt = (now() - t0) / (reps) * 1e3;                                  \
        total += dt;                                                              \
        printf("  %-34s %8.2f ms\n", label, dt);                                  \
    } while (0)

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    int B = argc > 1 ? atoi(argv[1]) : 128, reps = argc > 2 ? atoi(argv[2]) : 3;
    int T = 3200, P = 3;
    sp_sinc_spec s = sp_sinc_spec_make(80, 251, (float)SP_SAMPLE_RATE);
    int F = s.F, T1 = T - s.K + 1, T1p = T1 / P;           // 2950 -> 983
    int C = 60, K = 5, T2 = T1p - K + 1, T2p = T2 / P;     // 979 -> 326
    int T3 = T2p - K + 1, T3p = T3 / P, D0 = C * T3p;      // 322 -> 107, 6420
    int D = 2048, V = 48;
    double total = 0.0;

    float *x = fnew((size_t)B * T), *low = fnew(F), *band = fnew(F), *taps = fnew((size_t)F * s.K);
    sp_sinc_init(low, band, &s);
    size_t ws_n = sp_sinc_workspace(&s, B, T);
    if (sp_conv1d_workspace(B, F, C, T1p, K) > ws_n) ws_n = sp_conv1d_workspace(B, F, C, T1p, K);
    float *ws = fnew(ws_n);
    float *s1 = fnew((size_t)B * F * T1), *a1 = fnew((size_t)B * F * T1);
    float *p1 = fnew((size_t)B * F * T1p), *l1 = fnew((size_t)B * F * T1p);
    float *m1 = fnew((size_t)B * F), *v1 = fnew((size_t)B * F), *g1 = fnew((size_t)F * T1p);
    int *am1 = calloc((size_t)B * F * T1p, sizeof(int));
    float *cw = fnew((size_t)C * F * K), *cb = fnew(C), *dcw = fnew((size_t)C * F * K),
          *dcb = fnew(C);
    float *c2 = fnew((size_t)B * C * T2), *dr1 = fnew((size_t)B * F * T1p);
    float *w1 = fnew((size_t)D * D0), *b1 = fnew(D), *dw1 = fnew((size_t)D * D0), *db1 = fnew(D);
    float *h0 = fnew((size_t)B * D0), *h1 = fnew((size_t)B * D), *dh0 = fnew((size_t)B * D0);
    float *w2 = fnew((size_t)D * D), *dw2 = fnew((size_t)D * D), *h2 = fnew((size_t)B * D);
    float *dh1 = fnew((size_t)B * D), *bm = fnew(D), *br = fnew(D), *rm = fnew(D), *rv = fnew(D);
    float *n1 = fnew((size_t)B * D), *dlow = fnew(F), *dband = fnew(F);
    float *wo = fnew((size_t)V * D), *dwo = fnew((size_t)V * D), *z = fnew((size_t)B * V);
    float *lp = fnew((size_t)B * V), *dz = fnew((size_t)B * V);
    int *y = calloc(B, sizeof(int));

    printf("big preset, batch %d, ms per call (mean of %d)\n", B, reps);
    printf("forward\n");
    TIME("sinc 80x251 (taps + folded GEMM)", reps,
         sp_sinc_forward(s1, taps, ws, x, low, band, &s, B, T));
    TIME("abs", reps, sp_abs_forward(a1, s1, (size_t)B * F * T1));
    TIME("maxpool 3", reps, sp_maxpool_forward(p1, am1, a1, B * F, T1, P));
    TIME("layernorm [80][983]", reps,
         sp_layernorm_forward(l1, m1, v1, p1, g1, g1, B, F, T1p, SP_LAYERNORM_EPS));
    TIME("leaky_relu", reps, sp_act_forward(l1, l1, (size_t)B * F * T1p, SP_ACT_LEAKY_RELU));
    TIME("  fused: sinc + |.| + maxpool 3", reps,
         sp_sinc_absmaxpool_forward(s1, p1, am1, P, taps, ws, x, low, band, &s, B, T));
    TIME("  fused: layernorm + leaky_relu", reps,
         sp_layernorm_act_forward(l1, a1, m1, v1, p1, g1, g1, B, F, T1p, SP_LAYERNORM_EPS,
                                  SP_ACT_LEAKY_RELU));
    TIME("conv 80->60 x5 (T 983)", reps,
         sp_conv1d_forward(c2, ws, l1, cw, cb, B, F, C, T1p, K));
    TIME("conv 60->60 x5 (T 326)", reps,
         sp_conv1d_forward(c2, ws, l1, cw, cb, B, C, C, T2p, K));
    TIME("dense 6420->2048", reps, sp_dense_forward(h1, h0, w1, b1, B, D0, D));
    TIME("dense 2048->2048 (x2 in the model)", reps, sp_dense_forward(h2, h1, w2, b1, B, D, D));
    TIME("batchnorm 2048", reps,
         sp_batchnorm_forward(n1, bm, br, rm, rv, h1, b1, b1, B, D, 0.05f, 1e-5f, 1));
    TIME("dense 2048->48 + logsoftmax/nll", reps,
         (sp_dense_forward(z, h2, wo, NULL, B, D, V), sp_logsoftmax_nll_forward(lp, z, y, B, V)));
    printf("backward\n");
    TIME("sinc 80x251 (no input gradient)", reps,
         sp_sinc_backward(NULL, dlow, dband, ws, s1, x, taps, low, band, &s, B, T));
    TIME("abs", reps, sp_abs_backward(a1, s1, s1, (size_t)B * F * T1));
    TIME("maxpool 3", reps, sp_maxpool_backward(a1, p1, am1, B * F, T1, P));
    TIME("layernorm [80][983]", reps,
         sp_layernorm_backward(a1, g1, g1, l1, p1, m1, v1, g1, B, F, T1p, SP_LAYERNORM_EPS));
    TIME("leaky_relu", reps,
         sp_act_backward(l1, l1, l1, (size_t)B * F * T1p, SP_ACT_LEAKY_RELU));
    TIME("  fused: sinc + |.| + maxpool 3", reps,
         sp_sinc_absmaxpool_backward(NULL, dlow, dband, ws, a1, p1, am1, P, s1, x, taps, low, band,
                                     &s, B, T));
    TIME("  fused: layernorm + leaky_relu", reps,
         sp_layernorm_act_backward(dr1, g1, g1, l1, s1, a1, p1, m1, v1, g1, B, F, T1p,
                                   SP_LAYERNORM_EPS, SP_ACT_LEAKY_RELU));
    TIME("conv 80->60 x5 (T 983)", reps,
         sp_conv1d_backward(dr1, dcw, dcb, ws, c2, l1, cw, B, F, C, T1p, K));
    TIME("conv 60->60 x5 (T 326)", reps,
         sp_conv1d_backward(dr1, dcw, dcb, ws, c2, l1, cw, B, C, C, T2p, K));
    TIME("dense 6420->2048", reps, sp_dense_backward(dh0, dw1, db1, dh1, h0, w1, B, D0, D));
    TIME("dense 2048->2048 (x2 in the model)", reps,
         sp_dense_backward(dh1, dw2, db1, h2, h1, w2, B, D, D));
    TIME("batchnorm 2048", reps,
         sp_batchnorm_backward(dh1, b1, b1, n1, h1, bm, br, b1, B, D, 1));
    TIME("dense 2048->48 + logsoftmax/nll", reps,
         (sp_logsoftmax_nll_backward(dz, lp, y, B, V, 1.0f),
          sp_dense_backward(dh1, dwo, NULL, dz, h2, wo, B, D, V)));
    printf("sum of the rows above: %.1f ms (the model runs some of them more than once, and\n"
           "the fused rows instead of the rows they replace)\n",
           total);

    float *bufs[] = { x, low, band, taps, ws, s1, a1, p1, l1, m1, v1, g1, cw, cb, dcw, dcb, c2,
                      dr1, w1, b1, dw1, db1, h0, h1, dh0, w2, dw2, h2, dh1, bm, br, rm, rv, n1,
                      dlow, dband, wo, dwo, z, lp, dz };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(am1), free(y);
    return 0;
}
