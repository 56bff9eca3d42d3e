/* layer_conv.c - conv1d (nn.Conv1d, stride 1, valid), the math is in
 * layers.h. Fast path: per example, im2col into the workspace,
 *     col[(c K + k)][t] = inp[c][t + k]            (Cin*K x T')
 * then one cblas_sgemm each for the output, the weight gradient and the
 * input gradient. The naive loops at the end are the reference the tests
 * compare against. */
#include "config.h"
#include "layers.h"

#include <cblas.h>
#include <string.h>

// ----------------------------------------------------------------------------
// im2col and its adjoint

static void im2col(float *col, const float *x, int Cin, int T, int K, int Tout)
{
    for (int c = 0; c < Cin; c++)
        for (int k = 0; k < K; k++)
            memcpy(col + ((size_t)c * K + k) * Tout, x + (size_t)c * T + k,
                   (size_t)Tout * sizeof(float));
}

static void col2im_add(float *dx, const float *col, int Cin, int T, int K, int Tout)
{
    for (int c = 0; c < Cin; c++)
        for (int k = 0; k < K; k++) {
            const float *s = col + ((size_t)c * K + k) * Tout;
            float *d = dx + (size_t)c * T + k;
            for (int t = 0; t < Tout; t++) d[t] += s[t];
        }
}

// ----------------------------------------------------------------------------
// fast path

size_t sp_conv1d_workspace(int B, int Cin, int T, int K)
{
    (void)B;
    return (size_t)Cin * K * (size_t)(T - K + 1);
}

void sp_conv1d_forward(float *out, float *ws, const float *inp, const float *w,
                       const float *bias, int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, CK = Cin * K;
    for (int b = 0; b < B; b++) {
        float *out_b = out + (size_t)b * Cout * Tout;
        im2col(ws, inp + (size_t)b * Cin * T, Cin, T, K, Tout);
        // out_b (Cout x T') = w (Cout x CK) @ col (CK x T')
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, Tout, CK, 1.0f, w, CK, ws,
                    Tout, 0.0f, out_b, Tout);
        if (bias)
            for (int o = 0; o < Cout; o++) {
                float *r = out_b + (size_t)o * Tout, v = bias[o];
                for (int t = 0; t < Tout; t++) r[t] += v;
            }
    }
}

void sp_conv1d_backward(float *dinp, float *dw, float *dbias, float *ws, const float *dout,
                        const float *inp, const float *w, int B, int Cin, int Cout, int T,
                        int K)
{
    int Tout = T - K + 1, CK = Cin * K;
    for (int b = 0; b < B; b++) {
        const float *dout_b = dout + (size_t)b * Cout * Tout;
        if (dbias)
            for (int o = 0; o < Cout; o++) {
                const float *r = dout_b + (size_t)o * Tout;
                float sum = 0.0f;
                for (int t = 0; t < Tout; t++) sum += r[t];
                dbias[o] += sum;
            }
        // dw (Cout x CK) += dout_b (Cout x T') @ col^T (T' x CK)
        im2col(ws, inp + (size_t)b * Cin * T, Cin, T, K, Tout);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout, CK, Tout, 1.0f, dout_b, Tout,
                    ws, Tout, 1.0f, dw, CK);
        if (dinp) {
            // dcol (CK x T') = w^T (CK x Cout) @ dout_b (Cout x T'), then col2im
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, Tout, Cout, 1.0f, w, CK,
                        dout_b, Tout, 0.0f, ws, Tout);
            col2im_add(dinp + (size_t)b * Cin * T, ws, Cin, T, K, Tout);
        }
    }
}

// ----------------------------------------------------------------------------
// naive reference

void sp_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *bias,
                             int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < Cout; o++)
            for (int t = 0; t < Tout; t++) {
                double acc = bias ? bias[o] : 0.0;
                for (int c = 0; c < Cin; c++)
                    for (int k = 0; k < K; k++)
                        acc += (double)w[((size_t)o * Cin + c) * K + k]
                               * inp[((size_t)b * Cin + c) * T + t + k];
                out[((size_t)b * Cout + o) * Tout + t] = (float)acc;
            }
}

void sp_conv1d_backward_naive(float *dinp, float *dw, float *dbias, const float *dout,
                              const float *inp, const float *w, int B, int Cin, int Cout,
                              int T, int K)
{
    int Tout = T - K + 1;
    for (int o = 0; o < Cout; o++) {
        if (dbias) {
            double acc = 0.0;
            for (int b = 0; b < B; b++)
                for (int t = 0; t < Tout; t++) acc += dout[((size_t)b * Cout + o) * Tout + t];
            dbias[o] += (float)acc;
        }
        for (int c = 0; c < Cin; c++)
            for (int k = 0; k < K; k++) {
                double acc = 0.0;
                for (int b = 0; b < B; b++)
                    for (int t = 0; t < Tout; t++)
                        acc += (double)dout[((size_t)b * Cout + o) * Tout + t]
                               * inp[((size_t)b * Cin + c) * T + t + k];
                dw[((size_t)o * Cin + c) * K + k] += (float)acc;
            }
    }
    if (!dinp) return;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < Cin; c++)
            for (int i = 0; i < T; i++) {
                // inp[b][c][i] feeds out[b][o][t] through tap k = i - t
                double acc = 0.0;
                for (int o = 0; o < Cout; o++)
                    for (int k = 0; k < K; k++) {
                        int t = i - k;
                        if (t < 0 || t >= Tout) continue;
                        acc += (double)w[((size_t)o * Cin + c) * K + k]
                               * dout[((size_t)b * Cout + o) * Tout + t];
                    }
                dinp[((size_t)b * Cin + c) * T + i] += (float)acc;
            }
}
