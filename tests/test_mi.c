/* test_mi.c - the information-plane estimators (src/mi.c) against known
 * answers: hand-worked discrete distributions (exact), clamping of
 * out-of-range values to the end bins, adaptive edges at quantiles of the
 * unique values, ebab's edges and its bins of their own for the zeros and
 * the maximum, saturation at log2 N, the IDNNs-style 12-bit toy
 * (I(X;Y) = H(Y)), the GEMM distances against a double loop, and the KDE
 * bounds bracketing a Gaussian mixture's I(X;T) computed by Monte Carlo. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sincprobe/splitmix.h>

#include "analysis/mi.h"
#include "testlib.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static uint64_t rs = 0x2545F4914F6CDD1DULL;
static double unif(void) { return (double)(sp_splitmix64_next(&rs) >> 11) * 0x1.0p-53; }
static double gauss(void)
{
    double u = unif(), v = unif();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* The hand-worked case: 8 frames, patterns a a a a b b c d (scalar
 * activations, one per bin), labels 0 0 1 1 0 0 1 1.
 *   H(T) = 4/8 log2 2 + 2/8 log2 4 + 2 (1/8 log2 8) = 0.5 + 0.5 + 0.75 = 1.75
 *   Y=0: frames 0 1 4 5 = a a b b: H = 1;  Y=1: frames 2 3 6 7 = a a c d: 1.5
 *   H(T|Y) = (1 + 1.5)/2 = 1.25, I(T;Y) = 0.5 */
static void test_hand(void)
{
    const float x[8] = { -0.9f, -0.9f, -0.9f, -0.85f, 0.1f, 0.15f, 0.5f, 0.95f };
    const int y[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };
    sp_mi_est e;
    sp_error err;
    /* 5 edges on [-1, 1]: intervals [-1,-.5) [-.5,0) [0,.5) [.5,1] */
    CHECK(sp_mi_binned(x, 8, 1, y, 2, SP_MI_FIXED, 5, -1, 1, 0, &e, &err) == 0);
    /* 0.5 and 0.95 share [.5, 1]: patterns a a a a b b c c */
    /* H(T) = 0.5 + 2 * (1/4 log2 4) = 1.5; Y=0: a a b b -> 1; Y=1: a a c c -> 1 */
    CHECK_MSG(NEAR(e.h_t, 1.5, 1e-12), "h_t %.15g", e.h_t);
    CHECK_MSG(NEAR(e.i_ty, 0.5, 1e-12), "i_ty %.15g", e.i_ty);
    CHECK(e.patterns == 3);
    /* 9 edges: width 0.25; -0.9, -0.85 in [-1,-.75); .1,.15 in [0,.25);
     * .5 in [.5,.75); .95 in [.75,1]: a a a a b b c d as above */
    CHECK(sp_mi_binned(x, 8, 1, y, 2, SP_MI_FIXED, 9, -1, 1, 0, &e, &err) == 0);
    CHECK_MSG(NEAR(e.h_t, 1.75, 1e-12), "h_t %.15g", e.h_t);
    CHECK_MSG(NEAR(e.i_xt, 1.75, 1e-12), "i_xt %.15g", e.i_xt);
    CHECK_MSG(NEAR(e.h_t_y, 1.25, 1e-12), "h_t_y %.15g", e.h_t_y);
    CHECK_MSG(NEAR(e.i_ty, 0.5, 1e-12), "i_ty %.15g", e.i_ty);
    CHECK(e.patterns == 4);
    /* width binning, binsize 0.5: floor(v/0.5) = -2 -2 -2 -2 0 0 1 1 */
    CHECK(sp_mi_binned(x, 8, 1, y, 2, SP_MI_WIDTH, 0, 0, 0, 0.5, &e, &err) == 0);
    CHECK_MSG(NEAR(e.h_t, 1.5, 1e-12), "width h_t %.15g", e.h_t);
    /* the ids directly: two units, T = (u1, u2) joint patterns */
    const long id[6] = { 0, 1, 2, 0, 1, 2 };
    const int y3[6] = { 0, 0, 0, 1, 1, 1 };
    CHECK(sp_mi_discrete(id, 6, y3, 2, &e, &err) == 0);
    CHECK(NEAR(e.h_t, log2(3.0), 1e-12) && NEAR(e.i_ty, 0.0, 1e-12));
    const int yb[6] = { 0, 1, 2, 0, 1, 2 }; /* Y = T: I(T;Y) = H(T) */
    CHECK(sp_mi_discrete(id, 6, yb, 3, &e, &err) == 0);
    CHECK(NEAR(e.i_ty, log2(3.0), 1e-12));
    const int bad[6] = { 0, 1, 2, 0, 1, 5 };
    CHECK(sp_mi_discrete(id, 6, bad, 3, &e, &err) == -1 && strstr(err.msg, "label 5"));
}

/* Out-of-range values clamp to the end bins, never wrap around. */
static void test_clamp(void)
{
    const float x[8] = { -5.0f, -1.0f, -0.99f, -1.5f, 5.0f, 1.0f, 0.99f, 1.5f };
    int32_t idx[8];
    sp_mi_bin_fixed(x, 8, 30, -1, 1, idx);
    for (int i = 0; i < 4; i++) CHECK_MSG(idx[i] == 0, "x %g -> %d, want 0", x[i], idx[i]);
    for (int i = 4; i < 8; i++) CHECK_MSG(idx[i] == 28, "x %g -> %d, want 28", x[i], idx[i]);
    /* 3 edges: [-1, 0) and [0, 1] */
    const float z[4] = { -0.5f, 0.0f, 0.5f, -100.0f };
    sp_mi_bin_fixed(z, 4, 3, -1, 1, idx);
    CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 1 && idx[3] == 0);
    /* a frame at -5 and one at +5 are distinct patterns */
    const float w[2] = { -5.0f, 5.0f };
    const int y[2] = { 0, 1 };
    sp_mi_est e;
    sp_error err;
    CHECK(sp_mi_binned(w, 2, 1, y, 2, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK(e.patterns == 2 && NEAR(e.i_xt, 1.0, 1e-12));
    /* width: floor, negative values included */
    const float v[5] = { -0.1f, -0.5f, 0.0f, 0.49f, 1.2f };
    sp_mi_bin_width(v, 5, 0.5, idx);
    CHECK(idx[0] == -1 && idx[1] == -1 && idx[2] == 0 && idx[3] == 0 && idx[4] == 2);
}

/* Adaptive: edges at quantiles of the UNIQUE values. */
static void test_adaptive(void)
{
    /* unique values 0..12 (13 of them), each repeated a different number
     * of times: repetition must not move the edges. 5 edges: quantiles
     * 0, .25, .5, .75, 1 of 0..12 = 0, 3, 6, 9, 12. */
    float x[13 * 7];
    size_t n = 0;
    for (int v = 0; v <= 12; v++)
        for (int r = 0; r < (v == 2 ? 7 : 1); r++) x[n++] = (float)v;
    double edges[5];
    sp_error err;
    CHECK(sp_mi_adaptive_edges(x, n, 5, edges, &err) == 0);
    const double want[5] = { 0, 3, 6, 9, 12 };
    for (int k = 0; k < 5; k++) CHECK_MSG(NEAR(edges[k], want[k], 1e-12), "edge %d = %g", k, edges[k]);
    /* interpolation: 0..3 (4 values), 3 edges: 0, 1.5, 3 */
    const float y[6] = { 3, 2, 1, 0, 0, 3 };
    CHECK(sp_mi_adaptive_edges(y, 6, 3, edges, &err) == 0);
    CHECK(NEAR(edges[0], 0, 1e-12) && NEAR(edges[1], 1.5, 1e-12) && NEAR(edges[2], 3, 1e-12));
    /* intervals [0,3) [3,6) [6,9) [9,12]: 3 unique values each but the
     * last (4); out-of-range values clamp */
    double e5[5] = { 0, 3, 6, 9, 12 };
    const float q[7] = { 0, 2.9f, 3, 8.99f, 9, 12, 40 };
    int32_t idx[7];
    sp_mi_bin_edges(q, 7, e5, 5, idx);
    const int32_t wq[7] = { 0, 0, 1, 2, 3, 3, 3 };
    for (int i = 0; i < 7; i++) CHECK_MSG(idx[i] == wq[i], "%g -> %d, want %d", q[i], idx[i], wq[i]);
    const float neg[1] = { -40 };
    sp_mi_bin_edges(neg, 1, e5, 5, idx);
    CHECK(idx[0] == 0);
    /* a heavy-tailed layer: adaptive spreads the frames where fixed
     * binning on [min, max] puts nearly all of them in one bin. 64 frames,
     * one unit: values i^4, unique; 33 adaptive edges make 32 intervals of
     * exactly two values each (edge k at position 63 k / 32), so I(X;T) =
     * 5 bits; 33 fixed edges on [0, 63^4] put i < 26.5 (i^4 below the
     * first width 63^4 / 32) all in the first interval. */
    float h[64];
    int lab[64];
    for (int i = 0; i < 64; i++) {
        h[i] = (float)((double)i * i * i * i);
        lab[i] = i % 2;
    }
    sp_mi_est e;
    CHECK(sp_mi_binned(h, 64, 1, lab, 2, SP_MI_ADAPTIVE, 33, 0, 0, 0, &e, &err) == 0);
    CHECK_MSG(e.patterns == 32 && NEAR(e.i_xt, 5.0, 1e-12), "adaptive patterns %ld", e.patterns);
    CHECK(sp_mi_binned(h, 64, 1, lab, 2, SP_MI_FIXED, 33, 0, 63.0 * 63 * 63 * 63, 0, &e, &err) == 0);
    CHECK_MSG(e.patterns <= 64 - 26, "fixed patterns %ld", e.patterns); /* i = 0..26 share one */
}

/* ebab (Chelombiev et al.'s reference binning): zeros and the maximum in
 * bins of their own. Values 0 0 0 1 2 .. 8 and bins 3: u = 1..8 (M = 8,
 * the zeros left out), M / n = 8/3, positions int(0), int(2.67) = 2,
 * int(5.33) = 5: edges 0, u[0] = 1, u[2] = 3, u[5] = 6, u[7] = 8, so the
 * bins are {0} [1,3) [3,6) [6,8) {8}: 5 patterns of sizes 3 2 3 2 1. */
static void test_ebab(void)
{
    const float x[11] = { 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    double edges[12]; /* bins + 2 for the largest bins below (10) */
    int ne;
    sp_error err;
    CHECK(sp_mi_ebab_edges(x, 11, 3, 0, edges, &ne, &err) == 0);
    const double want[5] = { 0, 1, 3, 6, 8 };
    CHECK_MSG(ne == 5, "ebab: %d edges, want 5", ne);
    for (int k = 0; k < 5 && k < ne; k++) CHECK_MSG(edges[k] == want[k], "ebab edge %d = %g", k, edges[k]);
    int lab[11] = { 0 };
    sp_mi_est e;
    CHECK(sp_mi_binned(x, 11, 1, lab, 1, SP_MI_EBAB, 3, 0, 0, 0, &e, &err) == 0);
    /* H = log2 11 - (2 (3 log2 3) + 2 (2 log2 2)) / 11 */
    double h = log2(11.0) - (6 * log2(3.0) + 4) / 11;
    CHECK_MSG(e.patterns == 5 && NEAR(e.i_xt, h, 1e-12), "ebab: %ld patterns, H %.15g want %.15g", e.patterns, e.i_xt,
              h);
    /* adaptive on the same values: 4 edges at quantiles of 0..8, no bin of
     * its own for 0 or 8: 3 patterns */
    CHECK(sp_mi_binned(x, 11, 1, lab, 1, SP_MI_ADAPTIVE, 4, 0, 0, 0, &e, &err) == 0);
    CHECK_MSG(e.patterns == 3, "adaptive: %ld patterns", e.patterns);
    /* fewer unique values than bins: repeated edges are one */
    const float f[4] = { 0, 2, 2, 5 };
    CHECK(sp_mi_ebab_edges(f, 4, 10, 0, edges, &ne, &err) == 0);
    CHECK_MSG(ne == 3 && edges[0] == 0 && edges[1] == 2 && edges[2] == 5, "ebab few: %d edges", ne);
    /* all at the low edge: one bin; below it: refused */
    const float z[3] = { 0, 0, 0 };
    CHECK(sp_mi_ebab_edges(z, 3, 10, 0, edges, &ne, &err) == 0 && ne == 1);
    const float neg[2] = { 1, -0.5f };
    CHECK(sp_mi_ebab_edges(neg, 2, 10, 0, edges, &ne, &err) == -1 && strstr(err.msg, "below the low edge"));
}

/* Saturation: a wide random layer gives N distinct patterns, I = log2 N;
 * equal rows give 0. */
static void test_saturation(void)
{
    enum { N = 512, D = 64 };
    float *x = malloc(sizeof(float) * N * D);
    int *y = malloc(sizeof(int) * N);
    for (int i = 0; i < N * D; i++) x[i] = (float)(2 * unif() - 1);
    for (int i = 0; i < N; i++) y[i] = i % 4;
    sp_mi_est e;
    sp_error err;
    CHECK(sp_mi_binned(x, N, D, y, 4, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK(e.patterns == N && NEAR(e.i_xt, log2((double)N), 1e-12) && NEAR(e.i_ty, 2.0, 1e-12));
    CHECK(sp_mi_binned(x, N, D, y, 4, SP_MI_ADAPTIVE, 30, 0, 0, 0, &e, &err) == 0);
    CHECK(e.patterns == N && NEAR(e.i_xt, log2((double)N), 1e-12));
    CHECK(sp_mi_binned(x, N, D, y, 4, SP_MI_WIDTH, 0, 0, 0, 0.5, &e, &err) == 0);
    CHECK(e.patterns == N);
    for (int i = 0; i < N * D; i++) x[i] = 0.25f;
    CHECK(sp_mi_binned(x, N, D, y, 4, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK(e.patterns == 1 && e.i_xt == 0 && e.i_ty == 0);
    /* rows that differ only in their last unit are distinct patterns */
    for (int i = 0; i < N; i++) x[(size_t)i * D + D - 1] = (i % 2) ? 0.9f : -0.9f;
    CHECK(sp_mi_binned(x, N, D, y, 4, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK(e.patterns == 2 && NEAR(e.i_xt, 1.0, 1e-12) && NEAR(e.i_ty, 1.0, 1e-12));
    free(x);
    free(y);
}

/* The IDNNs-style toy: 4096 distinct 12-bit inputs, a deterministic label
 * Y = f(X): I(X;Y) = H(Y). T = X itself (12 units of 0/1) keeps all of
 * it; T = the first 4 bits keeps 4 bits of X and what they say about Y. */
static void test_toy(void)
{
    enum { N = 4096, D = 12 };
    float *x = malloc(sizeof(float) * N * D);
    float *t4 = malloc(sizeof(float) * N * 4);
    int *y = malloc(sizeof(int) * N), *yx = malloc(sizeof(int) * N);
    long ones[13] = { 0 };
    for (int i = 0; i < N; i++) {
        int c = 0;
        for (int b = 0; b < D; b++) {
            int bit = (i >> b) & 1;
            x[i * D + b] = (float)bit;
            c += bit;
        }
        for (int b = 0; b < 4; b++) t4[i * 4 + b] = x[i * D + b];
        y[i] = c >= 7;                     /* at least 7 of 12 bits set */
        yx[i] = (i & 1) ^ ((i >> 1) & 1); /* XOR of the first two bits */
        ones[c]++;
    }
    /* H(Y): p = sum_{c>=7} C(12,c) / 4096 = (792+495+220+66+12+1)/4096 */
    long k = 0;
    for (int c = 7; c <= 12; c++) k += ones[c];
    CHECK(k == 1586);
    double p = (double)k / N, hy = -p * log2(p) - (1 - p) * log2(1 - p);
    sp_mi_est e;
    sp_error err;
    CHECK(sp_mi_binned(x, N, D, y, 2, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK_MSG(NEAR(e.i_xt, 12.0, 1e-12), "toy i_xt %.15g", e.i_xt);
    CHECK_MSG(NEAR(e.i_ty, hy, 1e-12), "toy i_ty %.15g, H(Y) %.15g", e.i_ty, hy);
    CHECK(e.patterns == N);
    CHECK(sp_mi_binned(x, N, D, y, 2, SP_MI_ADAPTIVE, 30, 0, 0, 0, &e, &err) == 0);
    CHECK(NEAR(e.i_xt, 12.0, 1e-12) && NEAR(e.i_ty, hy, 1e-12));
    CHECK(sp_mi_binned(t4, N, 4, yx, 2, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK(NEAR(e.i_xt, 4.0, 1e-12) && NEAR(e.i_ty, 1.0, 1e-12));
    /* the first 4 bits and the count rule: I(T;Y) = H(Y) - H(Y|T), with
     * Y|T (j ones among the 4) ~ [at least 7-j of the other 8 set] */
    double hyt = 0;
    for (int j = 0; j <= 4; j++) {
        double cnt = 0;
        for (int m = 7 - j; m <= 8; m++) {
            if (m < 0) continue;
            double c = 1;
            for (int r = 0; r < m; r++) c = c * (8 - r) / (r + 1);
            cnt += c;
        }
        double q = cnt / 256.0, w = 1;
        for (int r = 0; r < j; r++) w = w * (4 - r) / (r + 1);
        w /= 16.0;
        if (q > 0 && q < 1) hyt += w * (-q * log2(q) - (1 - q) * log2(1 - q));
    }
    CHECK(sp_mi_binned(t4, N, 4, y, 2, SP_MI_FIXED, 30, -1, 1, 0, &e, &err) == 0);
    CHECK_MSG(NEAR(e.i_ty, hy - hyt, 1e-12), "toy t4 i_ty %.15g want %.15g", e.i_ty, hy - hyt);
    /* KDE on the toy with tiny noise: every frame its own component,
     * I(X;T) = log2 N = 12 for both bounds and I(T;Y) = H(Y) */
    sp_mi_est up, lo;
    CHECK(sp_mi_kde(x, N, D, y, 2, 1e-4, &up, &lo, &err) == 0);
    CHECK_MSG(NEAR(up.i_xt, 12.0, 1e-9) && NEAR(lo.i_xt, 12.0, 1e-9), "kde toy %.12g %.12g", up.i_xt, lo.i_xt);
    CHECK_MSG(NEAR(up.i_ty, hy, 1e-9) && NEAR(lo.i_ty, hy, 1e-9), "kde toy i_ty %.12g %.12g", up.i_ty, lo.i_ty);
    free(x);
    free(t4);
    free(y);
    free(yx);
}

/* The GEMM distances equal the direct double loop. */
static void test_dist(void)
{
    enum { N = 300, D = 37 };
    float *x = malloc(sizeof(float) * N * D);
    double *a = malloc(sizeof(double) * N * N), *b = malloc(sizeof(double) * N * N);
    for (int i = 0; i < N * D; i++) x[i] = (float)(10.0 + 3.0 * gauss()); /* offset: cancellation */
    sp_error err;
    CHECK(sp_mi_sqdist(x, N, D, a, &err) == 0);
    sp_mi_sqdist_direct(x, N, D, b);
    double worst = 0;
    for (int i = 0; i < N * N; i++) {
        double r = fabs(a[i] - b[i]) / (1.0 + b[i]);
        if (r > worst) worst = r;
    }
    CHECK_MSG(worst < 1e-10, "gemm vs direct: relative error %g", worst);
    for (int i = 0; i < N; i++) CHECK(a[(size_t)i * N + i] == 0);
    free(x);
    free(a);
    free(b);
}

/* KDE: the centres t_i of a Gaussian mixture T = t_X + N(0, s2 I) with X
 * uniform over them. Truth by Monte Carlo:
 *   I(X;T) = H(T) - D/2 ln(2 pi e s2),  H(T) = -E ln p(T),
 *   p(t) = (1/M) sum_j N(t; t_j, s2 I);
 * and likewise I(T;Y) = H(T) - sum_y p(y) H(T|Y=y) with each class's
 * sub-mixture. Bits. */
static void mixture_truth(const float *c, int M, int D, const int *lab, int ncl, double s2, long S, double *ixt,
                          double *se, double *ity)
{
    double *t = malloc(sizeof(double) * D);
    double sum = 0, sum2 = 0, cond = 0;
    int *ny = calloc((size_t)ncl, sizeof *ny);
    for (int i = 0; i < M; i++) ny[lab[i]]++;
    double lognorm = -0.5 * D * log(2 * M_PI * s2);
    for (long s = 0; s < S; s++) {
        int i = (int)(unif() * M);
        for (int k = 0; k < D; k++) t[k] = c[i * D + k] + sqrt(s2) * gauss();
        /* log p(t) by log-sum-exp over components, and log p(t | y_i) */
        double mx = -INFINITY;
        double *l = malloc(sizeof(double) * M);
        for (int j = 0; j < M; j++) {
            double d = 0;
            for (int k = 0; k < D; k++) d += (t[k] - c[j * D + k]) * (t[k] - c[j * D + k]);
            l[j] = -d / (2 * s2);
            if (l[j] > mx) mx = l[j];
        }
        double a = 0, ay = 0;
        for (int j = 0; j < M; j++) {
            a += exp(l[j] - mx);
            if (lab[j] == lab[i]) ay += exp(l[j] - mx);
        }
        free(l);
        double lp = lognorm + mx + log(a / M), lpy = lognorm + mx + log(ay / ny[lab[i]]);
        sum += -lp;
        sum2 += lp * lp;
        cond += -lpy;
    }
    double h = sum / S, var = sum2 / S - h * h;
    double htx = 0.5 * D * log(2 * M_PI * M_E * s2);
    *ixt = (h - htx) / M_LN2;
    *se = sqrt(var / S) / M_LN2;
    *ity = (h - cond / S) / M_LN2;
    free(t);
    free(ny);
}

static void test_kde(void)
{
    sp_error err;
    sp_mi_est up, lo;
    /* limits: far-apart centres -> both = log2 M; equal centres -> 0 */
    float far[4 * 2] = { 0, 0, 100, 0, 0, 100, 100, 100 };
    const int y4[4] = { 0, 0, 1, 1 };
    CHECK(sp_mi_kde(far, 4, 2, y4, 2, 1.0, &up, &lo, &err) == 0);
    CHECK(NEAR(up.i_xt, 2.0, 1e-12) && NEAR(lo.i_xt, 2.0, 1e-12));
    CHECK(NEAR(up.i_ty, 1.0, 1e-12) && NEAR(lo.i_ty, 1.0, 1e-12));
    /* H(T) bound = log2 M + D/2 log2(2 pi e s2) */
    CHECK(NEAR(up.h_t, 2.0 + log2(2 * M_PI * M_E), 1e-12));
    float same[4 * 2] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    CHECK(sp_mi_kde(same, 4, 2, y4, 2, 1.0, &up, &lo, &err) == 0);
    CHECK(NEAR(up.i_xt, 0.0, 1e-12) && NEAR(lo.i_xt, 0.0, 1e-12) && NEAR(up.i_ty, 0.0, 1e-12));
    /* two points at distance^2 d: upper = 1 - log2(1 + e^{-d/2s2}), by hand */
    float two[2] = { 0, 1.5f };
    const int y2[2] = { 0, 1 };
    CHECK(sp_mi_kde(two, 2, 1, y2, 2, 0.5, &up, &lo, &err) == 0);
    CHECK(NEAR(up.i_xt, 1.0 - log2(1.0 + exp(-2.25 / 1.0)), 1e-12));
    CHECK(NEAR(lo.i_xt, 1.0 - log2(1.0 + exp(-2.25 / 4.0)), 1e-12));
    CHECK(sp_mi_kde(two, 2, 1, y2, 2, 0.0, &up, &lo, &err) == -1 && strstr(err.msg, "sigma2"));
    /* bracket: overlapping mixtures in 2 and 6 dimensions */
    const struct {
        int M, D;
        double box, s2;
    } cases[3] = { { 32, 2, 4.0, 0.5 }, { 64, 6, 3.0, 0.6 }, { 48, 3, 2.0, 0.05 } };
    for (int q = 0; q < 3; q++) {
        int M = cases[q].M, D = cases[q].D;
        float *c = malloc(sizeof(float) * M * D);
        int *lab = malloc(sizeof(int) * M);
        for (int i = 0; i < M * D; i++) c[i] = (float)(cases[q].box * unif());
        for (int i = 0; i < M; i++) lab[i] = c[i * D] > cases[q].box / 2 ? 1 : 0; /* a label tied to position */
        CHECK(sp_mi_kde(c, M, D, lab, 2, cases[q].s2, &up, &lo, &err) == 0);
        double ixt, se, ity;
        mixture_truth(c, M, D, lab, 2, cases[q].s2, 40000, &ixt, &se, &ity);
        CHECK_MSG(lo.i_xt <= ixt + 4 * se && ixt <= up.i_xt + 4 * se,
                  "case %d: I(X;T) %.4f (se %.4f) not in [%.4f, %.4f]", q, ixt, se, lo.i_xt, up.i_xt);
        CHECK_MSG(up.i_xt - lo.i_xt > 8 * se, "case %d: bounds %.4f %.4f too close to test (se %.4f)", q, lo.i_xt,
                  up.i_xt, se);
        /* I(T;Y): not a guaranteed bracket (mi.h), but it holds here */
        CHECK_MSG(lo.i_ty <= ity + 4 * se && ity <= up.i_ty + 4 * se, "case %d: I(T;Y) %.4f not in [%.4f, %.4f]", q,
                  ity, lo.i_ty, up.i_ty);
        CHECK_MSG(lo.i_xt >= 0 && up.i_xt <= log2((double)M) + 1e-12, "case %d: range", q);
        if (getenv("MI_VERBOSE"))
            printf("case %d: I(X;T) lower %.4f true %.4f (se %.4f) upper %.4f; I(T;Y) %.4f %.4f %.4f\n", q, lo.i_xt,
                   ixt, se, up.i_xt, lo.i_ty, ity, up.i_ty);
        free(c);
        free(lab);
    }
}

int main(void)
{
    test_hand();
    test_clamp();
    test_adaptive();
    test_ebab();
    test_saturation();
    test_toy();
    test_dist();
    test_kde();
    return sp_test_result("test_mi");
}
