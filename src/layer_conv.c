/* layer_conv.c - conv1d (nn.Conv1d, stride 1, valid), the math is in
 * layers.h. Fast path: for a chunk of examples, im2col into the workspace,
 *     col[(c K + k)][e T' + t] = inp_e[c][t + k]     (Cin*K x n T')
 * then one cblas_sgemm each for the output, the weight gradient and the
 * input gradient. The naive loops at the end are the reference the tests
 * compare against. */
#include "config.h"
#include "layers.h"

#include <cblas.h>
#include <string.h>

// ----------------------------------------------------------------------------
// im2col and its adjoint, for a chunk of examples side by side:
//     col[(c K + k)][e T' + t] = x_e[c][t + k]     (Cin*K x n T', row stride ld)

static void im2col(float *col, size_t ld, const float *x, int Cin, int T, int K, int Tout)
{
    for (int c = 0; c < Cin; c++)
        for (int k = 0; k < K; k++)
            memcpy(col + ((size_t)c * K + k) * ld, x + (size_t)c * T + k,
                   (size_t)Tout * sizeof(float));
}

static void col2im_add(float *dx, const float *col, size_t ld, int Cin, int T, int K, int Tout)
{
    for (int c = 0; c < Cin; c++)
        for (int k = 0; k < K; k++) {
            const float *s = col + ((size_t)c * K + k) * ld;
            float *d = dx + (size_t)c * T + k;
            for (int t = 0; t < Tout; t++) d[t] += s[t];
        }
}

// ----------------------------------------------------------------------------
// fast path: chunks of n examples per GEMM (sp_gemm_chunk), so the matrix
// products are wide (n T' columns) and OpenBLAS's threads share real work;
// the output is gathered from / scattered to the [B][Cout][T'] layout.

int sp_gemm_chunk(int Tout, int B)
{
    int n = (SP_GEMM_COLUMNS + Tout - 1) / Tout;
    return n < 1 ? 1 : n > B ? B : n;
}

size_t sp_conv1d_workspace(int B, int Cin, int Cout, int T, int K)
{
    size_t Tout = (size_t)(T - K + 1), n = (size_t)sp_gemm_chunk((int)Tout, B);
    /* a chunk's columns, and its output (or output gradient) */
    return (size_t)Cin * K * n * Tout + (size_t)Cout * n * Tout;
}

void sp_conv1d_forward(float *out, float *ws, const float *inp, const float *w,
                       const float *bias, int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, CK = Cin * K, nb = sp_gemm_chunk(Tout, B);
    float *col = ws, *y = ws + (size_t)CK * nb * Tout;
    for (int b0 = 0; b0 < B; b0 += nb) {
        int n = B - b0 < nb ? B - b0 : nb;
        size_t ld = (size_t)n * Tout;
        for (int e = 0; e < n; e++)
            im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * Cin * T, Cin, T, K, Tout);
        // y (Cout x n T') = w (Cout x CK) @ col (CK x n T')
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)ld, CK, 1.0f, w, CK, col,
                    (int)ld, 0.0f, y, (int)ld);
        for (int e = 0; e < n; e++)
            for (int o = 0; o < Cout; o++) {
                float *r = out + ((size_t)(b0 + e) * Cout + o) * Tout;
                const float *src = y + (size_t)o * ld + (size_t)e * Tout;
                float v = bias ? bias[o] : 0.0f;
                for (int t = 0; t < Tout; t++) r[t] = src[t] + v;
            }
    }
}

void sp_conv1d_backward(float *dinp, float *dw, float *dbias, float *ws, const float *dout,
                        const float *inp, const float *w, int B, int Cin, int Cout, int T,
                        int K)
{
    int Tout = T - K + 1, CK = Cin * K, nb = sp_gemm_chunk(Tout, B);
    float *col = ws, *dy = ws + (size_t)CK * nb * Tout;
    for (int b0 = 0; b0 < B; b0 += nb) {
        int n = B - b0 < nb ? B - b0 : nb;
        size_t ld = (size_t)n * Tout;
        // gather dy (Cout x n T') from dout [B][Cout][T']
        for (int e = 0; e < n; e++)
            for (int o = 0; o < Cout; o++)
                memcpy(dy + (size_t)o * ld + (size_t)e * Tout, dout + ((size_t)(b0 + e) * Cout + o) * Tout,
                       (size_t)Tout * sizeof(float));
        if (dbias)
            for (int o = 0; o < Cout; o++) {
                const float *r = dy + (size_t)o * ld;
                float sum = 0.0f;
                for (size_t t = 0; t < ld; t++) sum += r[t];
                dbias[o] += sum;
            }
        for (int e = 0; e < n; e++)
            im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * Cin * T, Cin, T, K, Tout);
        // dw (Cout x CK) += dy (Cout x n T') @ col^T (n T' x CK)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout, CK, (int)ld, 1.0f, dy, (int)ld, col,
                    (int)ld, 1.0f, dw, CK);
        if (dinp) {
            // dcol (CK x n T') = w^T (CK x Cout) @ dy (Cout x n T'), then col2im
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, (int)ld, Cout, 1.0f, w, CK, dy,
                        (int)ld, 0.0f, col, (int)ld);
            for (int e = 0; e < n; e++)
                col2im_add(dinp + (size_t)(b0 + e) * Cin * T, col + (size_t)e * Tout, ld, Cin, T, K, Tout);
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
