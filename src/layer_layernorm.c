/* layer_layernorm.c - the SincNet reference layer norm (RefLayerNorm in
 * torch_sincnet.py): statistics over the last axis, unbiased standard
 * deviation, eps added to the deviation (not the variance), gain and bias
 * of the full per-example shape. The math is in layers.h; the derivation
 * of the input gradient, with r = 1/(sd + eps), xhat = (x - mu) r:
 *     d sd / dx_j   = (x_j - mu) / ((N - 1) sd)
 *     d xhat_i/dx_j = r (delta_ij - 1/N) - (x_i - mu) r^2 d sd/dx_j
 *     dx_j = sum_i g_i d xhat_i/dx_j
 *          = r (g_j - mean g) - xhat_j sum_i(g_i xhat_i) / ((N - 1) sd) */
#include "config.h"
#include "layers.h"

#include <math.h>

/* One row: statistics, y = gamma xhat + beta, then (when act_out) the
 * activation of y, while the row is still in cache. */
static void forward_row(float *y, float *act_out, sp_act_kind kind, float *mean, float *sd,
                        const float *x, const float *ga, const float *be, int N, float eps)
{
    double s = 0.0;
    for (int n = 0; n < N; n++) s += x[n];
    double mu = s / N;
    double q = 0.0;
    for (int n = 0; n < N; n++) q += (x[n] - mu) * (x[n] - mu);
    double dev = sqrt(q / (N - 1));
    float m = (float)mu, r = (float)(1.0 / (dev + eps));
    for (int n = 0; n < N; n++) y[n] = ga[n] * ((x[n] - m) * r) + be[n];
    *mean = m;
    *sd = (float)dev;
    if (act_out) sp_act_forward_serial(act_out, y, (size_t)N, kind);
}

static void forward(float *out, float *act_out, sp_act_kind kind, float *mean, float *sd,
                    const float *inp, const float *gamma, const float *beta, int B, int G, int N,
                    float eps)
{
    /* Rows are independent: split them over the threads. */
#pragma omp parallel for schedule(static) if ((size_t)B * G * N > SP_OMP_MIN)
    for (long row = 0; row < (long)B * G; row++) {
        int g = (int)(row % G);
        forward_row(out + (size_t)row * N, act_out ? act_out + (size_t)row * N : NULL, kind, mean + row,
                    sd + row, inp + (size_t)row * N, gamma + (size_t)g * N, beta + (size_t)g * N, N, eps);
    }
}

void sp_layernorm_forward(float *out, float *mean, float *sd, const float *inp,
                          const float *gamma, const float *beta, int B, int G, int N, float eps)
{
    forward(out, NULL, SP_ACT_LINEAR, mean, sd, inp, gamma, beta, B, G, N, eps);
}

void sp_layernorm_act_forward(float *out, float *act_out, float *mean, float *sd,
                              const float *inp, const float *gamma, const float *beta, int B,
                              int G, int N, float eps, sp_act_kind kind)
{
    forward(out, act_out, kind, mean, sd, inp, gamma, beta, B, G, N, eps);
}

/* dact != NULL: first dout_row = act'(act_out) dact (written), the
 * activation's backward, then the layer norm's on the row while cached. */
static void backward(float *dinp, float *dgamma, float *dbeta, float *dout, const float *dact,
                     const float *act_out, sp_act_kind kind, const float *inp, const float *mean,
                     const float *sd, const float *gamma, int B, int G, int N, float eps)
{
    /* Threads split the G rows of gain/bias, so each accumulates its own
     * dgamma/dbeta rows over the batch in the order b = 0..B-1 (the same
     * sums for any thread count). */
#pragma omp parallel for schedule(static) if (G > 1 && (size_t)B * G * N > SP_OMP_MIN)
    for (int g = 0; g < G; g++)
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)b * G + g;
            const float *x = inp + row * N, *dy = dout + row * N;
            if (dact) sp_act_backward_write_serial(dout + row * N, dact + row * N, act_out + row * N, (size_t)N, kind);
            const float *ga = gamma + (size_t)g * N;
            float *dga = dgamma + (size_t)g * N, *dbe = dbeta + (size_t)g * N;
            float m = mean[row], r = 1.0f / (sd[row] + eps);
            double sum_g = 0.0, sum_gx = 0.0;
            for (int n = 0; n < N; n++) {
                float xhat = (x[n] - m) * r;
                float gn = dy[n] * ga[n];
                sum_g += gn;
                sum_gx += (double)gn * xhat;
                dga[n] += dy[n] * xhat;
                dbe[n] += dy[n];
            }
            if (!dinp) continue;
            float *dx = dinp + row * N;
            float mean_g = (float)(sum_g / N);
            float c = sd[row] > 0.0f ? (float)(sum_gx / ((double)(N - 1) * sd[row])) : 0.0f;
            for (int n = 0; n < N; n++) {
                float xhat = (x[n] - m) * r;
                dx[n] += r * (dy[n] * ga[n] - mean_g) - xhat * c;
            }
        }
}

void sp_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *mean, const float *sd,
                           const float *gamma, int B, int G, int N, float eps)
{
    /* dout is only read when dact is NULL */
    backward(dinp, dgamma, dbeta, (float *)dout, NULL, NULL, SP_ACT_LINEAR, inp, mean, sd, gamma, B, G,
             N, eps);
}

void sp_layernorm_act_backward(float *dinp, float *dgamma, float *dbeta, float *dout,
                               const float *dact, const float *act_out, const float *inp,
                               const float *mean, const float *sd, const float *gamma, int B,
                               int G, int N, float eps, sp_act_kind kind)
{
    backward(dinp, dgamma, dbeta, dout, dact, act_out, kind, inp, mean, sd, gamma, B, G, N, eps);
}
