/* layer_dense.c - nn.Linear through cblas_sgemm (the math is in layers.h),
 * and PyTorch's default fan-in initialisation for dense and conv weights. */
#include "config.h"
#include "nn/layers.h"

#include <cblas.h>
#include <math.h>

void sp_dense_forward(float *out, const float *inp, const float *w, const float *bias, int B,
                      int Din, int Dout)
{
    // out (B x Dout) = inp (B x Din) @ w^T (Din x Dout) [+ bias]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, Dout, Din, 1.0f, inp, Din, w, Din,
                0.0f, out, Dout);
    if (bias)
        for (int b = 0; b < B; b++) {
            float *y = out + (size_t)b * Dout;
            for (int o = 0; o < Dout; o++) y[o] += bias[o];
        }
}

void sp_dense_backward(float *dinp, float *dw, float *dbias, const float *dout,
                       const float *inp, const float *w, int B, int Din, int Dout)
{
    // dw (Dout x Din) += dout^T (Dout x B) @ inp (B x Din)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Dout, Din, B, 1.0f, dout, Dout, inp, Din,
                1.0f, dw, Din);
    if (dbias)
        for (int b = 0; b < B; b++) {
            const float *dy = dout + (size_t)b * Dout;
            for (int o = 0; o < Dout; o++) dbias[o] += dy[o];
        }
    // dinp (B x Din) += dout (B x Dout) @ w (Dout x Din)
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Din, Dout, 1.0f, dout, Dout, w,
                    Din, 1.0f, dinp, Din);
}

void sp_dense_infer(float *out, const float *inp, const float *w, const float *scale,
                    const float *shift, int B, int Din, int Dout, sp_act_kind act)
{
    // out (B x Dout) = inp (B x Din) @ w^T (Din x Dout), as sp_dense_forward;
    // one example (sincprobe live's posteriors every hop) is w @ inp, a
    // GEMV: OpenBLAS 0.3.21's sgemm packs all of w first even for one
    // row, which doubles the memory traffic of this memory-bound product
    // (the sincnet preset's dense1, 2048 x 6420: 6.6 -> 4.0 ms in
    // bench_infer --batch 1; the whole pass 14.0 -> 9.9 ms)
    if (B == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Dout, Din, 1.0f, w, Din, inp, 1, 0.0f, out, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, Dout, Din, 1.0f, inp, Din, w, Din,
                    0.0f, out, Dout);
    // then act(scale out + shift) row by row, while the row is in cache
#pragma omp parallel for schedule(static) if ((size_t)B * Dout > SP_OMP_MIN)
    for (int b = 0; b < B; b++) {
        float *y = out + (size_t)b * Dout;
        if (scale)
            for (int o = 0; o < Dout; o++) y[o] = scale[o] * y[o] + shift[o];
        else if (shift)
            for (int o = 0; o < Dout; o++) y[o] += shift[o];
        sp_act_forward_serial(y, y, (size_t)Dout, act);
    }
}

void sp_init_uniform_fan_in(float *x, size_t N, int fan_in, sp_rng *rng)
{
    // kaiming_uniform_(a=sqrt(5)) for weights and the bias rule both give
    // bound 1/sqrt(fan_in)
    double bound = 1.0 / sqrt((double)fan_in);
    for (size_t i = 0; i < N; i++) x[i] = (float)((2.0 * sp_rng_uniform(rng) - 1.0) * bound);
}
