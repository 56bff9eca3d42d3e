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
#include "nn/layers.h"
#include "nn/simd.h"

#include <math.h>

/* One row in two passes: the statistics, then y = gamma xhat + beta and
 * (when act_out) the activation of y in the same loop.
 * The statistics in one pass, shifted by k = x[0] so that a mean far from
 * zero does not cancel: with d = x - k,
 *     mu = k + sum(d) / N,  (N - 1) var = sum(d^2) - sum(d)^2 / N,
 * accumulated in double over LN_LANES interleaved partial sums (element n
 * goes to lane n % LN_LANES; independent chains, so the loop is not bound
 * by the latency of one add), added up in lane order: the same order for
 * every row, thread count and run. */
#define LN_LANES 8

static SP_INLINE void row_stats(double *mu, double *dev, const float *x, int N)
{
    double s[LN_LANES] = {0}, q[LN_LANES] = {0};
    double k = x[0];
    int n = 0;
    for (; n + LN_LANES <= N; n += LN_LANES)
        for (int l = 0; l < LN_LANES; l++) {
            double d = (double)x[n + l] - k;
            s[l] += d;
            q[l] += d * d;
        }
    for (int l = 0; n < N; n++, l++) {
        double d = (double)x[n] - k;
        s[l] += d;
        q[l] += d * d;
    }
    double st = 0.0, qt = 0.0;
    for (int l = 0; l < LN_LANES; l++) {
        st += s[l];
        qt += q[l];
    }
    double v = (qt - st * st / N) / (N - 1);
    *mu = k + st / N;
    *dev = v > 0.0 ? sqrt(v) : 0.0;
}

static SP_INLINE void forward_row(float *y, float *act_out, sp_act_kind kind, float *mean, float *sd,
                        const float *x, const float *ga, const float *be, int N, float eps)
{
    double mu, dev;
    row_stats(&mu, &dev, x, N);
    float m = (float)mu, r = (float)(1.0 / (dev + eps));
    *mean = m;
    *sd = (float)dev;
#pragma omp simd
    for (int n = 0; n < N; n++) y[n] = ga[n] * ((x[n] - m) * r) + be[n];
    if (!act_out) return;
    /* the row is in L1 now; the common activations as vector selects
     * (the same values as sp_act_forward_serial's) */
    if (kind == SP_ACT_LEAKY_RELU) {
#pragma omp simd
        for (int n = 0; n < N; n++) {
            // slope < 1: (v > 0 ? v : slope v) == (v > slope v ? v : slope v),
            // also for +-0 and NaN; a select of two computed values
            float v = y[n], lv = SP_LEAKY_SLOPE * v;
            act_out[n] = v > lv ? v : lv;
        }
    } else if (kind == SP_ACT_RELU) {
#pragma omp simd
        for (int n = 0; n < N; n++) act_out[n] = y[n] > 0.0f ? y[n] : 0.0f;
    } else
        sp_act_forward_serial(act_out, y, (size_t)N, kind);
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

/* In place is safe in forward_row: each element is read before it is
 * written, at the same index, in both of its loops. Inlined into each
 * SP_CLONES version (the same arithmetic in the same order: the same
 * bits as the training forward's rows). */
SP_CLONES void sp_layernorm_act_row(float *x, const float *gamma, const float *beta, int N, float eps,
                          sp_act_kind kind)
{
    float mean, sd;
    forward_row(x, x, kind, &mean, &sd, x, gamma, beta, N, eps);
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
            /* the two sums over LN_LANES interleaved double lanes, added
             * in lane order (as row_stats: a fixed order, no latency chain) */
            double sg[LN_LANES] = {0}, sgx[LN_LANES] = {0};
            int n = 0;
            for (; n + LN_LANES <= N; n += LN_LANES)
                for (int l = 0; l < LN_LANES; l++) {
                    float xhat = (x[n + l] - m) * r;
                    float gn = dy[n + l] * ga[n + l];
                    sg[l] += gn;
                    sgx[l] += (double)gn * xhat;
                }
            for (int l = 0; n < N; n++, l++) {
                float xhat = (x[n] - m) * r;
                float gn = dy[n] * ga[n];
                sg[l] += gn;
                sgx[l] += (double)gn * xhat;
            }
            double sum_g = 0.0, sum_gx = 0.0;
            for (int l = 0; l < LN_LANES; l++) {
                sum_g += sg[l];
                sum_gx += sgx[l];
            }
#pragma omp simd
            for (n = 0; n < N; n++) {
                float xhat = (x[n] - m) * r;
                dga[n] += dy[n] * xhat;
                dbe[n] += dy[n];
            }
            if (!dinp) continue;
            float *dx = dinp + row * N;
            float mean_g = (float)(sum_g / N);
            float c = sd[row] > 0.0f ? (float)(sum_gx / ((double)(N - 1) * sd[row])) : 0.0f;
#pragma omp simd
            for (n = 0; n < N; n++) {
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
