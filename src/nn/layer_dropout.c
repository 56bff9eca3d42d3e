/* layer_dropout.c - inverted dropout (the math is in layers.h). The mask
 * holds the scale each element was multiplied by, 0 or 1/(1 - p), so the
 * backward pass is one multiply. */
#include "config.h"
#include "nn/layers.h"

void sp_dropout_forward(float *out, float *mask, const float *inp, size_t N, float p,
                        sp_rng *rng, int training)
{
    if (!training || p <= 0.0f) {
        for (size_t i = 0; i < N; i++) {
            out[i] = inp[i];
            mask[i] = 1.0f;
        }
        return;
    }
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (size_t i = 0; i < N; i++) {
        mask[i] = sp_rng_uniform(rng) >= p ? scale : 0.0f;
        out[i] = inp[i] * mask[i];
    }
}

void sp_dropout_backward(float *dinp, const float *dout, const float *mask, size_t N)
{
    for (size_t i = 0; i < N; i++) dinp[i] += dout[i] * mask[i];
}
