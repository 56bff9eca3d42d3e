/* layer_pool.c - non-overlapping 1-D max-pool along the last axis
 * (F.max_pool1d(x, P)); the math is in layers.h. */
#include "config.h"
#include "nn/layers.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Max-pool of one row, of |x| when abs_: the first maximum wins, and the
 * first NaN wins and stays (as PyTorch): a candidate v replaces the
 * running maximum m when v > m, or when v is NaN and m is not; ties keep
 * the earlier index. Written without branches on the data (a select per
 * candidate), since the comparisons of a signal are unpredictable; with
 * P == 3 (SincNet's pools) and SSE2, four windows at a time (pool3_sse). */
static inline float pool_val(float v, int abs_)
{
    return abs_ ? fabsf(v) : v;
}

#ifdef __SSE2__
/* P == 3 with SSE2, four windows at a time: the 12 floats x[12 q ..]
 * are loaded as a, b, c and deinterleaved by shuffles into w0 = x[3 j],
 * w1 = x[3 j + 1], w2 = x[3 j + 2] for the four j (of |x| when abs_). */
static inline void load3(const float *p, int abs_, __m128 *w0, __m128 *w1, __m128 *w2)
{
    const __m128 sign = _mm_set1_ps(-0.0f);
    __m128 a = _mm_loadu_ps(p), b = _mm_loadu_ps(p + 4), c = _mm_loadu_ps(p + 8);
    __m128 u = _mm_shuffle_ps(b, c, _MM_SHUFFLE(1, 0, 3, 2));  // x6 x7 x8 x9
    *w0 = _mm_shuffle_ps(a, u, _MM_SHUFFLE(3, 0, 3, 0));       // x0 x3 x6 x9
    __m128 u1 = _mm_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 2, 1)); // x1 x2 x4 x5
    __m128 u2 = _mm_shuffle_ps(b, c, _MM_SHUFFLE(2, 2, 3, 3)); // x7 x7 x10 x10
    *w1 = _mm_shuffle_ps(u1, u2, _MM_SHUFFLE(2, 0, 2, 0));     // x1 x4 x7 x10
    __m128 u3 = _mm_shuffle_ps(c, c, _MM_SHUFFLE(3, 0, 3, 0)); // x8 x11 x8 x11
    *w2 = _mm_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 3, 1));     // x2 x5 x8 x11
    if (abs_) {
        *w0 = _mm_andnot_ps(sign, *w0);
        *w1 = _mm_andnot_ps(sign, *w1);
        *w2 = _mm_andnot_ps(sign, *w2);
    }
}

/* The scalar code's select, lane by lane: t = v > m, or v is NaN and m
 * is not. */
static inline __m128 take(__m128 v, __m128 m)
{
    return _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_and_ps(_mm_cmpunord_ps(v, v), _mm_cmpord_ps(m, m)));
}

/* Four windows at a time (load3), then the same selects as the scalar
 * code (so the same results). */
static int pool3_sse(float *y, int *am, const float *x, int Tout, int abs_)
{
    const __m128i four = _mm_set1_epi32(12), one = _mm_set1_epi32(1);
    __m128i i0 = _mm_setr_epi32(0, 3, 6, 9);
    int j = 0;
    for (; j + 4 <= Tout; j += 4) {
        __m128 w0, w1, w2;
        load3(x + 3 * j, abs_, &w0, &w1, &w2);
        __m128 m = w0;
        __m128i best = i0;
        __m128 t = take(w1, m);
        m = _mm_or_ps(_mm_and_ps(t, w1), _mm_andnot_ps(t, m));
        __m128i ti = _mm_castps_si128(t), i1 = _mm_add_epi32(i0, one);
        best = _mm_or_si128(_mm_and_si128(ti, i1), _mm_andnot_si128(ti, best));
        t = take(w2, m);
        m = _mm_or_ps(_mm_and_ps(t, w2), _mm_andnot_ps(t, m));
        ti = _mm_castps_si128(t);
        best = _mm_or_si128(_mm_and_si128(ti, _mm_add_epi32(i1, one)), _mm_andnot_si128(ti, best));
        _mm_storeu_ps(y + j, m);
        _mm_storeu_si128((__m128i *)(void *)(am + j), best);
        i0 = _mm_add_epi32(i0, four);
    }
    return j;
}

/* The values of pool3_sse without the arg-max (inference). */
static int pool3_values_sse(float *y, const float *x, int Tout, int abs_)
{
    int j = 0;
    for (; j + 4 <= Tout; j += 4) {
        __m128 w0, w1, w2;
        load3(x + 3 * j, abs_, &w0, &w1, &w2);
        __m128 m = w0, t = take(w1, m);
        m = _mm_or_ps(_mm_and_ps(t, w1), _mm_andnot_ps(t, m));
        t = take(w2, m);
        m = _mm_or_ps(_mm_and_ps(t, w2), _mm_andnot_ps(t, m));
        _mm_storeu_ps(y + j, m);
    }
    return j;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define SP_POOL_AVX512 1
/* pool3_values_sse with AVX-512 (when the CPU has it: pool_row_values asks),
 * 16 windows at a time: the 48 floats x[48 q ..] as a, b, c, and each of
 * w0, w1, w2 gathered from them by two two-source permutes; then the same
 * selects as the scalar code, lane by lane (so the same values). */
__attribute__((target("avx512f"))) static int pool3_values_avx512(float *y, const float *x, int Tout, int abs_)
{
    __m512i ab[3], cc[3];
    for (int p = 0; p < 3; p++) {
        int32_t i1[16], i2[16];
        for (int j = 0; j < 16; j++) {
            int k = 3 * j + p;            /* the window's element in a|b|c */
            i1[j] = k < 32 ? k : 0;       /* from a|b */
            i2[j] = k < 32 ? j : k - 16;  /* keep lane j, or take c[k - 32] */
        }
        ab[p] = _mm512_loadu_si512(i1);
        cc[p] = _mm512_loadu_si512(i2);
    }
    int j = 0;
    for (; j + 16 <= Tout; j += 16) {
        const float *q = x + 3 * j;
        __m512 a = _mm512_loadu_ps(q), b = _mm512_loadu_ps(q + 16), c = _mm512_loadu_ps(q + 32), w[3];
        for (int p = 0; p < 3; p++) {
            w[p] = _mm512_permutex2var_ps(_mm512_permutex2var_ps(a, ab[p], b), cc[p], c);
            if (abs_) w[p] = _mm512_abs_ps(w[p]);
        }
        __m512 m = w[0];
        for (int p = 1; p < 3; p++) { /* take v when v > m, or v is NaN and m is not */
            __mmask16 t = _mm512_cmp_ps_mask(w[p], m, _CMP_GT_OQ)
                          | (_mm512_cmp_ps_mask(w[p], w[p], _CMP_UNORD_Q) & _mm512_cmp_ps_mask(m, m, _CMP_ORD_Q));
            m = _mm512_mask_blend_ps(t, m, w[p]);
        }
        _mm512_storeu_ps(y + j, m);
    }
    return j;
}
#endif
#endif

static inline void pool_row(float *y, int *am, const float *x, int T, int P, int abs_)
{
    int Tout = T / P, j0 = 0;
#ifdef __SSE2__
    if (P == 3) j0 = pool3_sse(y, am, x, Tout, abs_);
#endif
    for (int j = j0; j < Tout; j++) {
        int best = j * P;
        float m = pool_val(x[best], abs_);
        for (int i = j * P + 1; i < j * P + P; i++) {
            float v = pool_val(x[i], abs_);
            int t = (v > m) | ((v != v) & (m == m));
            m = t ? v : m;
            best = t ? i : best;
        }
        y[j] = m;
        am[j] = best;
    }
}

/* pool_row's values without the arg-max (inference). */
static void pool_row_values(float *y, const float *x, int T, int P, int abs_)
{
    int Tout = T / P, j0 = 0;
#ifdef SP_POOL_AVX512
    if (P == 3 && __builtin_cpu_supports("avx512f")) j0 = pool3_values_avx512(y, x, Tout, abs_);
#endif
#ifdef __SSE2__
    if (P == 3) j0 += pool3_values_sse(y + j0, x + 3 * j0, Tout - j0, abs_);
#endif
    for (int j = j0; j < Tout; j++) {
        float m = pool_val(x[j * P], abs_);
        for (int i = j * P + 1; i < j * P + P; i++) {
            float v = pool_val(x[i], abs_);
            m = (v > m) | ((v != v) & (m == m)) ? v : m;
        }
        y[j] = m;
    }
}

void sp_block_tail_row(float *out, const float *x, float bias, int T, int c, const sp_block_tail *t)
{
    int Tp = T / t->P;
    pool_row_values(out, x, T, t->P, t->abs_);
    if (!t->abs_)
        for (int j = 0; j < Tp; j++) out[j] += bias;
    if (t->gamma)
        sp_layernorm_act_row(out, t->gamma + (size_t)c * Tp, t->beta + (size_t)c * Tp, Tp, t->eps, t->act);
    else
        sp_act_forward_serial(out, out, (size_t)Tp, t->act);
}

void sp_maxpool_forward_row(float *out, int *argmax, const float *x, int T, int P)
{
    pool_row(out, argmax, x, T, P, 0);
}

void sp_maxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P)
{
    int Tout = T / P;
#pragma omp parallel for schedule(static) if ((size_t)R * T > SP_OMP_MIN)
    for (int r = 0; r < R; r++)
        pool_row(out + (size_t)r * Tout, argmax + (size_t)r * Tout, inp + (size_t)r * T, T, P, 0);
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
    pool_row(out, argmax, x, T, P, 1);
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
