/* layer_pool.c - non-overlapping 1-D max-pool along the last axis
 * (F.max_pool1d(x, P)); the math is in layers.h. */
#include "config.h"
#include "layers.h"

void sp_maxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P)
{
    int Tout = T / P;
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
    for (int r = 0; r < R; r++) {
        float *dx = dinp + (size_t)r * T;
        const float *dy = dout + (size_t)r * Tout;
        const int *am = argmax + (size_t)r * Tout;
        for (int j = 0; j < Tout; j++) dx[am[j]] += dy[j];
    }
}
