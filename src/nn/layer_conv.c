/* layer_conv.c - conv1d (nn.Conv1d, stride 1, valid), the math is in
 * layers.h. Fast path: for a chunk of examples, im2col into the workspace,
 *     col[(c K + k)][e T' + t] = inp_e[c][t + k]     (Cin*K x n T')
 * then one cblas_sgemm each for the output, the weight gradient and the
 * input gradient, the chunks shared among threads (see below). The naive loops at the end are the reference the tests
 * compare against. */
#include "config.h"
#include "nn/layers.h"
#include "nn/simd.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <xmmintrin.h>
#endif
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
// inference (sp_conv1d_infer): each output row of the convolution goes
// straight through the block's tail (sp_block_tail_row) while in cache, so
// the convolution's output is never stored. Two ways to the rows, both
// over chunks of examples shared among threads as above:
// - im2col + one GEMM per chunk (infer_chunk), the forward's own arithmetic;
// - Winograd's minimal filtering (wino_chunk, below) for kernels of 2 to 7
//   taps, 2.3-4x fewer multiplications (SincNet's 5 taps: 2.5x).

/* One chunk's GEMM as forward_chunk's, then each row through the tail. */
static void infer_chunk(float *out, float *slot, const float *inp, const float *w, const float *bias,
                        int b0, int n, int Cin, int Cout, int T, int K, int nb, const sp_block_tail *t)
{
    int Tout = T - K + 1, CK = Cin * K, Tp = Tout / t->P;
    float *col = slot, *y = slot + (size_t)CK * nb * Tout;
    size_t ld = (size_t)n * Tout;
    for (int e = 0; e < n; e++)
        im2col(col + (size_t)e * Tout, ld, inp + (size_t)(b0 + e) * Cin * T, Cin, T, K, Tout);
    // y (Cout x n T') = w (Cout x CK) @ col (CK x n T')
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)ld, CK, 1.0f, w, CK, col,
                (int)ld, 0.0f, y, (int)ld);
    for (int e = 0; e < n; e++)
        for (int o = 0; o < Cout; o++)
            sp_block_tail_row(out + ((size_t)(b0 + e) * Cout + o) * Tp, y + (size_t)o * ld + (size_t)e * Tout,
                              bias ? bias[o] : 0.0f, Tout, o, t);
}

// Winograd's minimal filtering F(m, K) (Winograd 1980; Lavin & Gray 2016):
// m outputs of a K-tap correlation from a tile of A = m + K - 1 inputs,
//     y = A^T [(G g) . (B^T d)]          (. element-wise)
// with A^T m x A, G A x K, B^T A x A: A multiplications where the direct
// sum takes m K. Over channels, for each of the A points xi one GEMM:
//     M_xi (Cout x tiles) = U_xi (Cout x Cin) @ V_xi (Cin x tiles),
//     U_xi[o][c] = (G w[o][c][.])_xi,    V_xi[c][tile] = (B^T d_c(tile))_xi,
//     y[o][tile m + i] = sum_xi A^T[i][xi] M_xi[o][tile].
// The matrices come from Toom-Cook: a linear convolution of u (m
// coefficients) and g (K) is L [(E_m u) . (E_K g)], where E_n[j][i] = p_j^i
// evaluates at the points p_j (the point at infinity takes the leading
// coefficient) and L interpolates back from the A values; the correlation
// is the transpose of that convolution in u, so A^T = E_m^T, G = E_K and
// B^T = L^T. Here A = 8 with the points 0, 1, -1, 2, -2, 1/2, -1/2 and
// infinity, the usual choice for small errors: at SincNet's conv2 sizes
// (80 channels, 5 taps) the outputs are within 3e-6 of the exact sums, the
// im2col GEMM's within 8e-7 (|y| up to 1.6). The transforms run on rows of
// tiles with the input split into its m phases, D_p[t] = d[t m + p], so
// that every loop runs along contiguous tiles.

#define WINO_A 8
#define WINO_MAX_K 7 /* m = WINO_A + 1 - K >= 2 */

typedef struct {
    int m, K;
    float AT[WINO_A][WINO_A]; /* [i < m][xi] */
    float BT[WINO_A][WINO_A]; /* [xi][j] */
    double G[WINO_A][WINO_A]; /* [xi][k < K] */
} wino_mats;

/* p (degree d) *= (x - a) */
static void poly_mul_linear(double *p, int d, double a)
{
    p[d + 1] = 0.0;
    for (int i = d + 1; i > 0; i--) p[i] = p[i - 1] - a * p[i];
    p[0] = -a * p[0];
}

/* The matrices of F(WINO_A + 1 - K, K). The interpolation matrix L: a
 * polynomial of degree A - 1 with values v_j at the A - 1 finite points and
 * leading coefficient v_inf is sum_j v_j l_j(x) + v_inf prod_j (x - p_j),
 * l_j the Lagrange basis; L[n][j] is the coefficient of x^n there. */
static void wino_make(wino_mats *w, int K)
{
    static const double pts[WINO_A - 1] = { 0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5 };
    const int A = WINO_A, nf = WINO_A - 1, m = WINO_A + 1 - K;
    double L[WINO_A][WINO_A], p[WINO_A + 1];
    for (int j = 0; j <= nf; j++) {
        double den = 1.0;
        int d = 0;
        p[0] = 1.0;
        for (int i = 0; i < nf; i++)
            if (i != j) {
                poly_mul_linear(p, d++, pts[i]);
                if (j < nf) den *= pts[j] - pts[i];
            }
        for (int n = 0; n < A; n++) { /* j == nf: prod (x - p_i) */
            L[n][j] = n <= d ? p[n] / den : 0.0;
            if (fabs(L[n][j]) < 1e-12) L[n][j] = 0.0; /* exact zeros, not rounding residue */
        }
    }
    w->m = m, w->K = K;
    for (int xi = 0; xi < A; xi++) {
        for (int i = 0; i < A; i++) {
            w->BT[xi][i] = (float)L[i][xi];
            w->AT[i][xi] = i >= m ? 0.0f : xi < nf ? (float)pow(pts[xi], i) : (float)(i == m - 1);
        }
        for (int k = 0; k < A; k++) w->G[xi][k] = k >= K ? 0.0 : xi < nf ? pow(pts[xi], k) : (double)(k == K - 1);
    }
}

/* Tiles per example (the last ones reach past T': their outputs are
 * dropped) and floats per phase row of the input (tile t reads phases up
 * to t + (A - 1)/m). */
static int wino_tiles(int Tout, int m)
{
    return (Tout + m - 1) / m;
}

static size_t wino_ldd(int Tout, int m)
{
    return (size_t)wino_tiles(Tout, m) + (WINO_A - 1) / m + 1;
}

/* Examples per chunk: the transformed chunk V, M (A (Cin + Cout) floats per
 * tile) kept near 1 MiB, within a core's L2 on the machines measured. */
static int wino_chunk_examples(int Cin, int Cout, int Tout, int m, int B)
{
    size_t per = (size_t)WINO_A * (size_t)(Cin + Cout) * (size_t)wino_tiles(Tout, m) * sizeof(float);
    int n = (int)((1u << 20) / (per ? per : 1));
    return n < 1 ? 1 : n > B ? B : n;
}

/* Per-thread floats: V, M, the phases of one input row, one output row. */
static size_t wino_slot_floats(int Cin, int Cout, int Tout, int m, int nb)
{
    size_t nt = (size_t)wino_tiles(Tout, m), ncol = (size_t)nb * nt;
    return (size_t)WINO_A * ((size_t)Cin + (size_t)Cout) * ncol + (size_t)m * wino_ldd(Tout, m) + (size_t)m * nt;
}

/* The transforms: y_a[t] = sum_j c[a][j] x_j[t] for t < n, where
 * x_j = x + (j % q) ld + j / q (the input phase j % q shifted by j / q
 * tiles; q = WINO_A makes x_j the j-th row of ld floats), y_a = y + a ldy,
 * added in the order of j. All A terms are added, zeros too (a fixed
 * order, vectorised along t). */

_Static_assert(WINO_A == 8, "the transforms below are written out for tiles of 8");

/* The 8 sources, in locals the vectoriser keeps apart. */
#define WINO_SOURCES(x, q, ld)                                                                     \
    const float *restrict x0 = (x), *restrict x1 = (x) + (1 % (q)) * (ld) + 1 / (q);              \
    const float *restrict x2 = (x) + (2 % (q)) * (ld) + 2 / (q), *restrict x3 = (x) + (3 % (q)) * (ld) + 3 / (q); \
    const float *restrict x4 = (x) + (4 % (q)) * (ld) + 4 / (q), *restrict x5 = (x) + (5 % (q)) * (ld) + 5 / (q); \
    const float *restrict x6 = (x) + (6 % (q)) * (ld) + 6 / (q), *restrict x7 = (x) + (7 % (q)) * (ld) + 7 / (q)
#define WINO_DOT(c, v0, v1, v2, v3, v4, v5, v6, v7)                                                \
    ((((((((c)[0] * (v0) + (c)[1] * (v1)) + (c)[2] * (v2)) + (c)[3] * (v3)) + (c)[4] * (v4))     \
        + (c)[5] * (v5)) + (c)[6] * (v6)) + (c)[7] * (v7))

/* All 8 rows in one pass: the 8 inputs of a tile loaded once (B^T). */
SP_CLONES static void transform8(float *restrict y, size_t ldy, const float (*c)[WINO_A], const float *x, size_t q,
                                 size_t ld, int n)
{
    WINO_SOURCES(x, q, ld);
#pragma omp simd
    for (int t = 0; t < n; t++) {
        float v0 = x0[t], v1 = x1[t], v2 = x2[t], v3 = x3[t], v4 = x4[t], v5 = x5[t], v6 = x6[t], v7 = x7[t];
        /* spelt out: eight stores, each along t */
#define WINO_ROW(a) y[(a) * ldy + (size_t)t] = WINO_DOT(c[a], v0, v1, v2, v3, v4, v5, v6, v7)
        WINO_ROW(0);
        WINO_ROW(1);
        WINO_ROW(2);
        WINO_ROW(3);
        WINO_ROW(4);
        WINO_ROW(5);
        WINO_ROW(6);
        WINO_ROW(7);
#undef WINO_ROW
    }
}

/* rows < 8 of them, one pass each (A^T). */
SP_CLONES static void transform_rows(float *restrict y, size_t ldy, int rows, const float (*c)[WINO_A], const float *x,
                                     size_t q, size_t ld, int n)
{
    WINO_SOURCES(x, q, ld);
    for (int a = 0; a < rows; a++) {
        const float *ca = c[a];
        float *restrict ya = y + (size_t)a * ldy;
#pragma omp simd
        for (int t = 0; t < n; t++) ya[t] = WINO_DOT(ca, x0[t], x1[t], x2[t], x3[t], x4[t], x5[t], x6[t], x7[t]);
    }
}

/* The m phases of a row of T samples, D[p][t] = d[t m + p], zero past T,
 * rows of ld >= ceil(T/m) floats. With 4 phases (SincNet's) and SSE2,
 * blocks of 4 x 4 transposed in registers. */
static void split_phases(float *D, size_t ld, const float *d, int T, int m)
{
    size_t full = (size_t)T / (size_t)m, t = 0;
#ifdef __SSE2__
    if (m == 4)
        for (; t + 4 <= full; t += 4) {
            __m128 r0 = _mm_loadu_ps(d + 4 * t), r1 = _mm_loadu_ps(d + 4 * t + 4);
            __m128 r2 = _mm_loadu_ps(d + 4 * t + 8), r3 = _mm_loadu_ps(d + 4 * t + 12);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(D + t, r0);
            _mm_storeu_ps(D + ld + t, r1);
            _mm_storeu_ps(D + 2 * ld + t, r2);
            _mm_storeu_ps(D + 3 * ld + t, r3);
        }
#endif
    size_t t0 = t;
    for (int p = 0; p < m; p++)
        for (t = t0; t < ld; t++) {
            size_t i = t * (size_t)m + (size_t)p;
            D[(size_t)p * ld + t] = i < (size_t)T ? d[i] : 0.0f;
        }
}

/* The inverse for nt tiles: row[t m + i] = Y[i][t], Y rows of nt. */
static void join_phases(float *row, const float *Y, int nt, int m)
{
    int t = 0;
#ifdef __SSE2__
    if (m == 4)
        for (; t + 4 <= nt; t += 4) {
            __m128 r0 = _mm_loadu_ps(Y + t), r1 = _mm_loadu_ps(Y + nt + t);
            __m128 r2 = _mm_loadu_ps(Y + 2 * nt + t), r3 = _mm_loadu_ps(Y + 3 * nt + t);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(row + 4 * t, r0);
            _mm_storeu_ps(row + 4 * t + 4, r1);
            _mm_storeu_ps(row + 4 * t + 8, r2);
            _mm_storeu_ps(row + 4 * t + 12, r3);
        }
#endif
    for (; t < nt; t++)
        for (int i = 0; i < m; i++) row[t * m + i] = Y[(size_t)i * nt + t];
}

/* V_xi[c][e nt + t] for the chunk's example e: the phases of each input
 * row, then B^T over the tiles, A fixed terms per output (zeros included:
 * a fixed order, vectorised along t). */
static void wino_input(float *V, float *D, const wino_mats *w, const float *x, int Cin, int T, int nt,
                       size_t ncol, size_t ldd)
{
    const int m = w->m;
    for (int c = 0; c < Cin; c++) {
        const float *d = x + (size_t)c * T;
        split_phases(D, ldd, d, T, m);
        transform8(V + (size_t)c * ncol, (size_t)Cin * ncol, w->BT, D, (size_t)m, ldd, nt);
    }
}

/* One chunk by F(m, K): U [A][Cout][Cin] the transformed weights. */
static void wino_chunk(float *out, float *slot, const float *inp, const float *U, const wino_mats *w,
                       const float *bias, int b0, int n, int Cin, int Cout, int T, int K, int nb,
                       const sp_block_tail *t)
{
    int Tout = T - K + 1, m = w->m, nt = wino_tiles(Tout, m), Tp = Tout / t->P;
    size_t ncol = (size_t)n * nt, cap = (size_t)nb * nt, ldd = wino_ldd(Tout, m);
    float *V = slot, *M = V + (size_t)WINO_A * Cin * cap, *D = M + (size_t)WINO_A * Cout * cap;
    float *row = D + (size_t)m * ldd;
    for (int e = 0; e < n; e++)
        wino_input(V + (size_t)e * nt, D, w, inp + (size_t)(b0 + e) * Cin * T, Cin, T, nt, ncol, ldd);
    for (int xi = 0; xi < WINO_A; xi++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)ncol, Cin, 1.0f,
                    U + (size_t)xi * Cout * Cin, Cin, V + (size_t)xi * Cin * ncol, (int)ncol, 0.0f,
                    M + (size_t)xi * Cout * ncol, (int)ncol);
    for (int e = 0; e < n; e++)
        for (int o = 0; o < Cout; o++) {
            // phase i: y_i[t] = sum_xi A^T[i][xi] M_xi[o][e nt + t] (in the
            // phases' space, free now), then row[t m + i] = y_i[t]
            const float *mo = M + (size_t)o * ncol + (size_t)e * nt;
            transform_rows(D, (size_t)nt, m, w->AT, mo, WINO_A, (size_t)Cout * ncol, nt);
            join_phases(row, D, nt, m);
            sp_block_tail_row(out + ((size_t)(b0 + e) * Cout + o) * Tp, row, bias ? bias[o] : 0.0f, Tout, o, t);
        }
}


static int use_wino(int K)
{
    return K >= 2 && K <= WINO_MAX_K;
}

/* The threads' slots of the chosen way, after (Winograd) the shared U. */
static size_t infer_slot_floats(int Cin, int Cout, int Tout, int K, int nb)
{
    return use_wino(K) ? wino_slot_floats(Cin, Cout, Tout, WINO_A + 1 - K, nb)
                       : slot_floats(Cin * K, Cout, nb, Tout);
}

static int infer_chunk_examples(int Cin, int Cout, int Tout, int K, int B)
{
    return use_wino(K) ? wino_chunk_examples(Cin, Cout, Tout, WINO_A + 1 - K, B) : sp_gemm_chunk(Tout, B);
}

size_t sp_conv1d_infer_workspace(int B, int Cin, int Cout, int T, int K)
{
    int Tout = T - K + 1, nb = infer_chunk_examples(Cin, Cout, Tout, K, B), nc = (B + nb - 1) / nb;
    size_t u = use_wino(K) ? (size_t)WINO_A * Cout * Cin : 0;
    return u + (size_t)(nc < CONV_MAX_THREADS ? nc : CONV_MAX_THREADS) * infer_slot_floats(Cin, Cout, Tout, K, nb);
}

void sp_conv1d_infer(float *out, float *ws, const float *inp, const float *w, const float *bias,
                     int B, int Cin, int Cout, int T, int K, const sp_block_tail *t)
{
    int Tout = T - K + 1, nb = infer_chunk_examples(Cin, Cout, Tout, K, B), nc = (B + nb - 1) / nb;
    int nt = openblas_get_num_threads(), wino = use_wino(K);
    if (nt > nc) nt = nc;
    if (nt > CONV_MAX_THREADS) nt = CONV_MAX_THREADS;
    if (nt < 1) nt = 1;
    wino_mats wm;
    float *U = ws, *slots = ws;
    if (wino) { // U_xi[o][c] = sum_k G[xi][k] w[o][c][k]
        wino_make(&wm, K);
        for (int xi = 0; xi < WINO_A; xi++)
            for (int oc = 0; oc < Cout * Cin; oc++) {
                double acc = 0.0;
                for (int k = 0; k < K; k++) acc += wm.G[xi][k] * w[(size_t)oc * K + k];
                U[(size_t)xi * Cout * Cin + oc] = (float)acc;
            }
        slots = U + (size_t)WINO_A * Cout * Cin;
    }
    size_t sf = infer_slot_floats(Cin, Cout, Tout, K, nb);
    CONV_PARALLEL_BEGIN(nt)
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int c = 0; c < nc; c++) {
        int b0 = c * nb, n = B - b0 < nb ? B - b0 : nb;
#ifdef _OPENMP
        float *slot = slots + (size_t)omp_get_thread_num() * sf;
#else
        float *slot = slots;
#endif
        if (wino)
            wino_chunk(out, slot, inp, U, &wm, bias, b0, n, Cin, Cout, T, K, nb, t);
        else
            infer_chunk(out, slot, inp, w, bias, b0, n, Cin, Cout, T, K, nb, t);
    }
    CONV_PARALLEL_END(nt)
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
