/* layer_conv.c - conv1d (nn.Conv1d, stride 1, valid), the math is in
 * layers.h. Fast path: for a chunk of examples, im2col into the workspace,
 *     col[(c K + k)][e T' + t] = inp_e[c][t + k]     (Cin*K x n T')
 * then one cblas_sgemm each for the output, the weight gradient and the
 * input gradient, the chunks shared among threads (see below). The naive loops at the end are the reference the tests
 * compare against. */
#include "config.h"
#include "nn/layers.h"

#include <cblas.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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
// fast path: the batch is cut into chunks of nb examples (sp_gemm_chunk),
// so the matrix products are wide (n T' columns). The chunks are shared
// among threads (OpenMP), each thread with its own slice of the workspace
// and single-threaded BLAS: OpenBLAS does not speed up GEMMs with only
// Cout ~ 60 rows on several threads, and im2col / col2im are then threaded
// too. The chunking depends on B and T' only, never on the thread count,
// and each chunk's weight gradient goes to its own slot, summed in chunk
// order afterwards: the results are the same for every thread count and
// every run.
//
// Workspace: SLOTS thread slices of [col (CK x nb T') | y (Cout x nb T')],
// then, for backward, one [Cout*CK + Cout] partial gradient per chunk.

#define CONV_MAX_THREADS 4

static int conv_chunks(int Tout, int B)
{
    int nb = sp_gemm_chunk(Tout, B);
    return (B + nb - 1) / nb;
}

static int conv_slots(int Tout, int B)
{
    int nc = conv_chunks(Tout, B);
    return nc < CONV_MAX_THREADS ? nc : CONV_MAX_THREADS;
}

/* Threads for nc chunks: the caller's OpenBLAS thread count (what
 * sp_set_threads sets), capped by the slots. */
static int conv_threads(int Tout, int B)
{
    int nt = openblas_get_num_threads(), ns = conv_slots(Tout, B);
    if (nt > ns) nt = ns;
    return nt < 1 ? 1 : nt;
}

static size_t slot_floats(int CK, int Cout, int nb, int Tout)
{
    return ((size_t)CK + (size_t)Cout) * (size_t)nb * (size_t)Tout;
}

int sp_gemm_chunk(int Tout, int B)
{
    int n = (SP_GEMM_COLUMNS + Tout - 1) / Tout;
    return n < 1 ? 1 : n > B ? B : n;
}

size_t sp_conv1d_workspace(int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, CK = Cin * K, nb = sp_gemm_chunk(Tout, B);
    return (size_t)conv_slots(Tout, B) * slot_floats(CK, Cout, nb, Tout)
           + (size_t)conv_chunks(Tout, B) * ((size_t)Cout * CK + (size_t)Cout);
}

/* Run the chunks with single-threaded BLAS on nt OpenMP threads. With
 * OpenBLAS's pthread build, openblas_set_num_threads(1) keeps it from
 * starting its own threads under ours; the OpenMP build runs single-
 * threaded inside a parallel region anyway, but its set_num_threads also
 * sets OpenMP's count, hence num_threads(nt) taken before. */
#ifdef _OPENMP
#define CONV_PARALLEL_BEGIN(nt)                                                                   \
    int blas_threads_ = openblas_get_num_threads();                                               \
    if ((nt) > 1) openblas_set_num_threads(1);
#define CONV_PARALLEL_END(nt)                                                                     \
    if ((nt) > 1) openblas_set_num_threads(blas_threads_);
#else
#define CONV_PARALLEL_BEGIN(nt)
#define CONV_PARALLEL_END(nt)
#endif

/* P > 0: each output row is also max-pooled into pool_out / argmax. */
static void forward_chunk(float *out, float *pool_out, int *argmax, int P, float *slot,
                          const float *inp, const float *w, const float *bias, int b0, int n,
                          int Cin, int Cout, int T, int K, int nb)
{
    int Tout = T - K + 1, CK = Cin * K;
    float *col = slot, *y = slot + (size_t)CK * nb * Tout;
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
#pragma omp simd
            for (int t = 0; t < Tout; t++) r[t] = src[t] + v;
            if (P) {
                size_t Tp = (size_t)(Tout / P), row = (size_t)(b0 + e) * Cout + o;
                sp_maxpool_forward_row(pool_out + row * Tp, argmax + row * Tp, r, Tout, P);
            }
        }
}

void sp_conv1d_forward(float *out, float *ws, const float *inp, const float *w,
                       const float *bias, int B, int Cin, int Cout, int T, int K)
{
    sp_conv1d_maxpool_forward(out, NULL, NULL, 0, ws, inp, w, bias, B, Cin, Cout, T, K);
}

void sp_conv1d_maxpool_forward(float *out, float *pool_out, int *argmax, int P, float *ws,
                               const float *inp, const float *w, const float *bias, int B,
                               int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, nb = sp_gemm_chunk(Tout, B), nc = conv_chunks(Tout, B);
    int nt = conv_threads(Tout, B);
    size_t sf = slot_floats(Cin * K, Cout, nb, Tout);
    (void)sf, (void)nt;
    CONV_PARALLEL_BEGIN(nt)
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        float *slot = ws + (size_t)omp_get_thread_num() * sf;
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < nc; c++) {
            int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
            forward_chunk(out, pool_out, argmax, P, slot, inp, w, bias, b0, n, Cin, Cout, T, K, nb);
        }
    }
#else
    for (int c = 0; c < nc; c++) {
        int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
        forward_chunk(out, pool_out, argmax, P, ws, inp, w, bias, b0, n, Cin, Cout, T, K, nb);
    }
#endif
    CONV_PARALLEL_END(nt)
}

/* Inference: one chunk's GEMM, then each output row straight through the
 * block's tail into out [B][Cout][T'/P] (the row in the workspace never
 * goes to memory as a layer output). */
static void infer_chunk(float *out, float *slot, const float *inp, const float *w, const float *bias,
                        int b0, int n, int Cin, int Cout, int T, int K, int nb, const sp_block_tail *t)
{
    int Tout = T - K + 1, CK = Cin * K, Tp = Tout / t->P;
    float *col = slot, *y = slot + (size_t)CK * nb * Tout;
    size_t ld = (size_t)n * Tout;
    for (int e = 0; e < n; e++)
        im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * Cin * T, Cin, T, K, Tout);
    // y (Cout x n T') = w (Cout x CK) @ col (CK x n T'), as forward_chunk
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)ld, CK, 1.0f, w, CK, col,
                (int)ld, 0.0f, y, (int)ld);
    for (int e = 0; e < n; e++)
        for (int o = 0; o < Cout; o++)
            sp_block_tail_row(out + ((size_t)(b0 + e) * Cout + o) * Tp, y + (size_t)o * ld + (size_t)e * Tout,
                              bias ? bias[o] : 0.0f, Tout, o, t);
}

size_t sp_conv1d_infer_workspace(int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, nb = sp_gemm_chunk(Tout, B);
    return (size_t)conv_slots(Tout, B) * slot_floats(Cin * K, Cout, nb, Tout);
}

void sp_conv1d_infer(float *out, float *ws, const float *inp, const float *w, const float *bias,
                     int B, int Cin, int Cout, int T, int K, const sp_block_tail *t)
{
    int Tout = T - K + 1, nb = sp_gemm_chunk(Tout, B), nc = conv_chunks(Tout, B);
    int nt = conv_threads(Tout, B);
    size_t sf = slot_floats(Cin * K, Cout, nb, Tout);
    (void)sf, (void)nt;
    CONV_PARALLEL_BEGIN(nt)
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        float *slot = ws + (size_t)omp_get_thread_num() * sf;
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < nc; c++) {
            int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
            infer_chunk(out, slot, inp, w, bias, b0, n, Cin, Cout, T, K, nb, t);
        }
    }
#else
    for (int c = 0; c < nc; c++) {
        int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
        infer_chunk(out, ws, inp, w, bias, b0, n, Cin, Cout, T, K, nb, t);
    }
#endif
    CONV_PARALLEL_END(nt)
}

/* One chunk's backward: its weight (and bias) gradient WRITTEN to part
 * ([Cout][CK] then [Cout]), its input gradient added into dinp (the
 * chunk's own examples, so chunks never write the same place). */
static void backward_chunk(float *dinp, float *part, float *slot, const float *dout,
                           const float *inp, const float *w, int b0, int n, int Cin, int Cout,
                           int T, int K, int nb)
{
    int Tout = T - K + 1, CK = Cin * K;
    float *col = slot, *dy = slot + (size_t)CK * nb * Tout, *pbias = part + (size_t)Cout * CK;
    size_t ld = (size_t)n * Tout;
    // gather dy (Cout x n T') from dout [B][Cout][T']
    for (int e = 0; e < n; e++)
        for (int o = 0; o < Cout; o++)
            memcpy(dy + (size_t)o * ld + (size_t)e * Tout, dout + ((size_t)(b0 + e) * Cout + o) * Tout,
                   (size_t)Tout * sizeof(float));
    for (int o = 0; o < Cout; o++) {
        const float *r = dy + (size_t)o * ld;
        float sum = 0.0f;
        for (size_t t = 0; t < ld; t++) sum += r[t];
        pbias[o] = sum;
    }
    for (int e = 0; e < n; e++)
        im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * Cin * T, Cin, T, K, Tout);
    // part (Cout x CK) = dy (Cout x n T') @ col^T (n T' x CK)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout, CK, (int)ld, 1.0f, dy, (int)ld, col,
                (int)ld, 0.0f, part, CK);
    if (dinp) {
        // dcol (CK x n T') = w^T (CK x Cout) @ dy (Cout x n T'), then col2im
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, (int)ld, Cout, 1.0f, w, CK, dy,
                    (int)ld, 0.0f, col, (int)ld);
        for (int e = 0; e < n; e++)
            col2im_add(dinp + (size_t)(b0 + e) * Cin * T, col + (size_t)e * Tout, ld, Cin, T, K, Tout);
    }
}

void sp_conv1d_backward(float *dinp, float *dw, float *dbias, float *ws, const float *dout,
                        const float *inp, const float *w, int B, int Cin, int Cout, int T,
                        int K)
{
    int Tout = T - K + 1, CK = Cin * K, nb = sp_gemm_chunk(Tout, B), nc = conv_chunks(Tout, B);
    int nt = conv_threads(Tout, B);
    size_t sf = slot_floats(CK, Cout, nb, Tout), np = (size_t)Cout * CK + (size_t)Cout;
    float *parts = ws + (size_t)conv_slots(Tout, B) * sf;
    (void)nt;
    CONV_PARALLEL_BEGIN(nt)
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        float *slot = ws + (size_t)omp_get_thread_num() * sf;
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < nc; c++) {
            int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
            backward_chunk(dinp, parts + (size_t)c * np, slot, dout, inp, w, b0, n, Cin, Cout, T, K, nb);
        }
    }
#else
    for (int c = 0; c < nc; c++) {
        int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
        backward_chunk(dinp, parts + (size_t)c * np, ws, dout, inp, w, b0, n, Cin, Cout, T, K, nb);
    }
#endif
    CONV_PARALLEL_END(nt)
    // dw += sum_c part_c, in chunk order for every element (deterministic)
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && np * nc > SP_OMP_MIN)
    for (size_t j = 0; j < np; j++) {
        float s = parts[j];
        for (int c = 1; c < nc; c++) s += parts[(size_t)c * np + j];
        if (j < (size_t)Cout * CK)
            dw[j] += s;
        else if (dbias)
            dbias[j - (size_t)Cout * CK] += s;
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
