/* layer_pool.c - non-overlapping 1-D max-pool along the last axis
 * (F.max_pool1d(x, P)); the math is in layers.h. */
#include "config.h"
#include "layers.h"

#include <math.h>
#include <string.h>

void sp_maxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++) {
        const float *x = inp + (size_t)r * T;
        float *y = out + (size_t)r * Tout;
        int *am = argmax + (size_t)r * Tout;
        for (int j = 0; j < Tout; j++) {
            int best = j * P;
            float m = x[best];
            // the first maximum wins; a NaN wins (and stays), as PyTorch
            for (int i = j * P + 1; i < j * P + P; i++)
                if (x[i] > m || (x[i] != x[i] && m == m)) {
                    m = x[i];
                    best = i;
                }
            y[j] = m;
            am[j] = best;
        }
    }
}

void sp_maxpool_backward(float *dinp, const float *dout, const int *argmax, int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++) {
        float *dx = dinp + (size_t)r * T;
        const float *dy = dout + (size_t)r * Tout;
        const int *am = argmax + (size_t)r * Tout;
        for (int j = 0; j < Tout; j++) dx[am[j]] += dy[j];
    }
}

/* The same backward, writing every element of dinp (zero off the
 * arg-max positions): the buffer needs no clearing first. */
void sp_maxpool_backward_write(float *dinp, const float *dout, const int *argmax, int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++) {
        float *dx = dinp + (size_t)r * T;
        const float *dy = dout + (size_t)r * Tout;
        const int *am = argmax + (size_t)r * Tout;
        memset(dx, 0, (size_t)T * sizeof *dx);
        for (int j = 0; j < Tout; j++) dx[am[j]] = dy[j];
    }
}

void sp_absmaxpool_forward_row(float *out, int *argmax, const float *x, int T, int P)
{
    int Tout = T / P;
    for (int j = 0; j < Tout; j++) {
        int best = j * P;
        float m = fabsf(x[best]);
        for (int i = j * P + 1; i < j * P + P; i++) {
            float a = fabsf(x[i]);
            if (a > m || (a != a && m == m)) {
                m = a;
                best = i;
            }
        }
        out[j] = m;
        argmax[j] = best;
    }
}

void sp_absmaxpool_backward_row(float *dx, const float *dy, const int *am, const float *x, int T,
                                int P)
{
    int Tout = T / P;
    memset(dx, 0, (size_t)T * sizeof *dx);
    for (int j = 0; j < Tout; j++) {
        float v = x[am[j]];
        /* d|x|/dx = sign(x), 0 at 0 (as torch.abs) */
        dx[am[j]] = v > 0.0f ? dy[j] : v < 0.0f ? -dy[j] : 0.0f;
    }
}

void sp_absmaxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++)
        sp_absmaxpool_forward_row(out + (size_t)r * Tout, argmax + (size_t)r * Tout, inp + (size_t)r * T, T, P);
}

void sp_absmaxpool_backward(float *dinp, const float *dout, const int *argmax, const float *inp,
                            int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++)
        sp_absmaxpool_backward_row(dinp + (size_t)r * T, dout + (size_t)r * Tout, argmax + (size_t)r * Tout,
                                   inp + (size_t)r * T, T, P);
}
