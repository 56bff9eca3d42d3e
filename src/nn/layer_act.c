/* layer_act.c - element-wise layers: |x| (after the sinc layer) and the
 * activation functions, one layer with a kind (the math is in layers.h). */
#include "config.h"
#include "nn/layers.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// ----------------------------------------------------------------------------
// abs

void sp_abs_forward(float *out, const float *inp, size_t N)
{
#pragma omp parallel for schedule(static) if (N > SP_OMP_MIN)
    for (size_t i = 0; i < N; i++) out[i] = fabsf(inp[i]);
}

void sp_abs_backward(float *dinp, const float *dout, const float *inp, size_t N)
{
    // d|x|/dx = sign(x), 0 at 0
#pragma omp parallel for schedule(static) if (N > SP_OMP_MIN)
    for (size_t i = 0; i < N; i++)
        dinp[i] += inp[i] > 0.0f ? dout[i] : inp[i] < 0.0f ? -dout[i] : 0.0f;
}

// ----------------------------------------------------------------------------
// activations

static const char *const act_names[] = {
    [SP_ACT_LINEAR] = "linear",
    [SP_ACT_RELU] = "relu",
    [SP_ACT_LEAKY_RELU] = "leaky_relu",
    [SP_ACT_TANH] = "tanh",
    [SP_ACT_SIGMOID] = "sigmoid",
};
#define N_ACT (int)(sizeof act_names / sizeof act_names[0])

int sp_act_parse(const char *name)
{
    for (int i = 0; i < N_ACT; i++)
        if (strcmp(name, act_names[i]) == 0) return i;
    return -1;
}

const char *sp_act_name(sp_act_kind kind)
{
    return (int)kind >= 0 && (int)kind < N_ACT ? act_names[kind] : NULL;
}

/* The serial kernels: the public functions run them over blocks of
 * ACT_BLOCK elements on OpenMP's threads; fused layers call them on rows
 * from their own threads. Element by element, so the results do not
 * depend on the split. */
#define ACT_BLOCK 16384

void sp_act_forward_serial(float *out, const float *inp, size_t N, sp_act_kind kind)
{
    switch (kind) {
    case SP_ACT_LINEAR:
        if (out != inp) memmove(out, inp, N * sizeof(float));
        break;
    case SP_ACT_RELU:
        for (size_t i = 0; i < N; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    case SP_ACT_LEAKY_RELU:
        /* slope < 1: (x > 0 ? x : slope x) == (x > slope x ? x : slope x), also
         * for +-0 and NaN; a select of two computed values, which the
         * compiler vectorises (the first form becomes a branch) */
#pragma omp simd
        for (size_t i = 0; i < N; i++) {
            float v = inp[i], lv = SP_LEAKY_SLOPE * v;
            out[i] = v > lv ? v : lv;
        }
        break;
    case SP_ACT_TANH:
        for (size_t i = 0; i < N; i++) out[i] = tanhf(inp[i]);
        break;
    case SP_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++) out[i] = 1.0f / (1.0f + expf(-inp[i]));
        break;
    }
}

/* (y > 0 ? g : slope g), both computed and chosen by a bit mask: with
 * a plain ?: the compiler branches (it will not speculate the multiply),
 * and the signs of the activations are unpredictable. The same value. */
static inline float leaky_grad(float y, float g)
{
    float s = SP_LEAKY_SLOPE * g, r;
    uint32_t gb, sb, mask = -(uint32_t)(y > 0.0f), rb;
    memcpy(&gb, &g, sizeof gb);
    memcpy(&sb, &s, sizeof sb);
    rb = (gb & mask) | (sb & ~mask);
    memcpy(&r, &rb, sizeof r);
    return r;
}

/* accumulate: dinp += act'(x) dout; otherwise dinp = act'(x) dout */
static void act_backward_serial(float *dinp, const float *dout, const float *out, size_t N,
                                sp_act_kind kind, int accumulate)
{
    if (!accumulate) {
        sp_act_backward_write_serial(dinp, dout, out, N, kind);
        return;
    }
    switch (kind) {
    case SP_ACT_LINEAR:
        for (size_t i = 0; i < N; i++) dinp[i] += dout[i];
        break;
    case SP_ACT_RELU:
        // y > 0 exactly when x > 0
        for (size_t i = 0; i < N; i++) dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case SP_ACT_LEAKY_RELU:
#pragma omp simd
        for (size_t i = 0; i < N; i++) dinp[i] += leaky_grad(out[i], dout[i]);
        break;
    case SP_ACT_TANH:
        // d tanh x / dx = 1 - y^2
        for (size_t i = 0; i < N; i++) dinp[i] += (1.0f - out[i] * out[i]) * dout[i];
        break;
    case SP_ACT_SIGMOID:
        // d sigma / dx = y (1 - y)
        for (size_t i = 0; i < N; i++) dinp[i] += out[i] * (1.0f - out[i]) * dout[i];
        break;
    }
}

void sp_act_backward_write_serial(float *dinp, const float *dout, const float *out, size_t N,
                                  sp_act_kind kind)
{
    switch (kind) {
    case SP_ACT_LINEAR:
        memcpy(dinp, dout, N * sizeof(float));
        break;
    case SP_ACT_RELU:
        for (size_t i = 0; i < N; i++) dinp[i] = out[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case SP_ACT_LEAKY_RELU:
#pragma omp simd
        for (size_t i = 0; i < N; i++) dinp[i] = leaky_grad(out[i], dout[i]);
        break;
    case SP_ACT_TANH:
        for (size_t i = 0; i < N; i++) dinp[i] = (1.0f - out[i] * out[i]) * dout[i];
        break;
    case SP_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++) dinp[i] = out[i] * (1.0f - out[i]) * dout[i];
        break;
    }
}

void sp_act_forward(float *out, const float *inp, size_t N, sp_act_kind kind)
{
    size_t nb = (N + ACT_BLOCK - 1) / ACT_BLOCK;
#pragma omp parallel for schedule(static) if (N > SP_OMP_MIN)
    for (size_t k = 0; k < nb; k++) {
        size_t i = k * ACT_BLOCK, n = N - i < ACT_BLOCK ? N - i : ACT_BLOCK;
        sp_act_forward_serial(out + i, inp + i, n, kind);
    }
}

void sp_act_backward(float *dinp, const float *dout, const float *out, size_t N,
                     sp_act_kind kind)
{
    size_t nb = (N + ACT_BLOCK - 1) / ACT_BLOCK;
#pragma omp parallel for schedule(static) if (N > SP_OMP_MIN)
    for (size_t k = 0; k < nb; k++) {
        size_t i = k * ACT_BLOCK, n = N - i < ACT_BLOCK ? N - i : ACT_BLOCK;
        act_backward_serial(dinp + i, dout + i, out + i, n, kind, 1);
    }
}
