/* test_layers.c - every layer of src/layers.h checked three ways:
 *
 * 1. Reference implementations. The GEMM conv and the folded sinc
 *    filtering against the naive loops, element by element within the
 *    worst-case bound of a float sum, n FLT_EPSILON sum|terms| (rigorous,
 *    so never flaky); the sinc taps against the textbook double formula;
 *    layer norm, batch norm (and its running statistics) and dense against
 *    direct loops.
 * 2. Gradients by central finite differences, for every layer and every
 *    parameter kind, on small random sizes: with fixed random R the scalar
 *    L = sum(out * R) (accumulated in double from the float outputs) is
 *    differenced, and backward gets dout = R. The error of a gradient is
 *        max_i |analytic_i - fd_i| / max_i |fd_i|   (max-normalised)
 *    and must stay below FD_TOL. Steps are 1e-3 of each quantity's scale
 *    (Hz parameters: 1e-3 of fs/8), or 0.5 where L is linear in the
 *    quantity (the quotient is then exact and a long step only shrinks the
 *    rounding noise); the quotient divides by the step actually taken after
 *    rounding to float. Inputs are drawn away from kinks (|x| >= 0.1 at abs
 *    and the activations, distinct values 0.05 apart under max-pool) so no
 *    step crosses one. Every backward is also run twice, to check that it
 *    ADDS into its gradient buffers.
 * 3. A whole tiny network (input LN -> sinc -> abs -> pool -> LN -> leaky
 *    -> conv -> pool -> LN -> tanh -> LN -> dense -> BN -> leaky ->
 *    dropout -> dense -> log-softmax/NLL): a few entries of every parameter
 *    against Richardson-extrapolated differences of the NLL. The input is
 *    drawn until every kink is at least MIN_MARGIN away; each perturbed
 *    forward records which side of every kink it is on (signs of the abs
 *    inputs max-pool selects, pool argmaxes, leaky signs), and where a step
 *    changes that pattern the quotient is not defined, so the step is
 *    halved (up to 3 times) or the entry replaced. The loss's own rounding
 *    noise is measured and allowed for (see test_network). Biases that a
 *    following normalisation removes (conv bias before LN, the flat LN's
 *    beta and dense1's bias before BN) have gradient exactly 0: checked to
 *    sit at the float noise floor instead.
 * The sinc checks of 2. and the network of 3. run twice: with the cut-off
 * parameters in Hz and divided by the sample rate ([model] sinc_param =
 * normalised, whose gradients are fs times the Hz ones).
 *
 * Everything is seeded, so the run is deterministic; SP_TEST_SEED=N runs it
 * with other random draws (2000 seeds pass). Exit status non-zero, with a
 * message naming the layer, when any check fails. */
#include "config.h"
#include "nn/layers.h"
#include "base/rng.h"
#include "base/util.h"
#include "testlib.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define FD_TOL 1e-2  /* finite differences vs backward, max-normalised */
#define REF_TOL 1e-5 /* float results vs double references, max-normalised */
#define ADD_TOL 1e-5 /* second backward must add: |g2 - 2 g1| / max|g1| */
/* Steps: 1e-3 where L is curved; where L is linear in the quantity (conv,
 * dense and sinc inputs and weights, dropout) the quotient is exact for any
 * step, and a large one only shrinks the rounding noise. */
#define H_CURVED 1e-3
#define H_LINEAR 0.5
#define TEST_SEED 20240601 /* the fixed seed; SP_TEST_SEED=N in the
                              * environment runs the suite with another */

static sp_rng trng;

// ----------------------------------------------------------------------------
// helpers

static float *fnew(size_t n)
{
    return sp_xcalloc(n, sizeof(float));
}

static double urand(double lo, double hi)
{
    return lo + (hi - lo) * sp_rng_uniform(&trng);
}

static void fill(float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)urand(lo, hi);
}

/* Magnitudes in [lo, hi], random sign: away from the kink at 0. */
static void fill_away(float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        x[i] = (float)(sp_rng_uniform(&trng) < 0.5 ? -v : v);
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static double maxabs(const float *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

/* max |a - ref| / max |ref| (0 when both are all zero). */
static double maxrel(const float *a, const float *ref, size_t n)
{
    double d = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (fabs((double)a[i] - ref[i]) > d) d = fabs((double)a[i] - ref[i]);
        if (fabs(ref[i]) > m) m = fabs(ref[i]);
    }
    return m > 0.0 ? d / m : d;
}

// the per-layer summary printed at the end
#define MAX_ROWS 256
static struct {
    char layer[64], what[128];
    double err;
} rows[MAX_ROWS];
static int n_rows;

static void record(const char *layer, const char *what, double err)
{
    if (n_rows < MAX_ROWS) {
        snprintf(rows[n_rows].layer, sizeof rows[n_rows].layer, "%s", layer);
        snprintf(rows[n_rows].what, sizeof rows[n_rows].what, "%s", what);
        rows[n_rows].err = err;
        n_rows++;
    }
}

static void expect_close(const char *layer, const char *what, const float *a, const float *ref,
                         size_t n, double tol)
{
    double e = maxrel(a, ref, n);
    record(layer, what, e);
    CHECK_MSG(e <= tol, "layer %s: %s: max rel err %.3g > %.3g", layer, what, e, tol);
}

/* A float sum of n terms, in any order and blocking (a GEMM), is within
 * n u sum|terms| of the exact sum (u = FLT_EPSILON / 2; Higham's gamma_n).
 * scale[i] = sum of |terms| of element i, from the same reference run on
 * absolute values; the check is |a - ref| <= n FLT_EPSILON scale (twice the
 * bound) and the recorded error is max |a - ref| / scale. Rigorous, so
 * never flaky; an indexing bug gives errors of order 1. */
static void expect_bounded(const char *layer, const char *what, const float *a,
                           const float *ref, const float *scale, size_t n, int nterms)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - ref[i]);
        double r = scale[i] > 0 ? d / scale[i] : (d > 0 ? INFINITY : 0.0);
        if (r > e) e = r;
    }
    record(layer, what, e);
    CHECK_MSG(e <= nterms * (double)FLT_EPSILON,
              "layer %s: %s: error %.3g x sum|terms| > %d terms x FLT_EPSILON", layer, what, e,
              nterms);
}

static float *abs_copy(const float *x, size_t n)
{
    float *y = fnew(n);
    for (size_t i = 0; i < n; i++) y[i] = fabsf(x[i]);
    return y;
}

// ----------------------------------------------------------------------------
// the finite-difference harness

typedef struct {
    const char *layer;
    double (*loss)(void *ctx);    // forward, then L (in double)
    void (*backward)(void *ctx);  // backward with dout = dL/dout, adding into the gradients
    void *ctx;
} fd_case;

typedef struct {
    const char *what;
    float *x;     // the quantity perturbed (parameter or input)
    float *g;     // the gradient buffer backward adds into
    size_t n;
    double h;     // step
} fd_param;

static void check_case(const fd_case *c, fd_param *ps, int np)
{
    float *g1[8];
    for (int p = 0; p < np; p++) memset(ps[p].g, 0, ps[p].n * sizeof(float));
    c->loss(c->ctx);
    c->backward(c->ctx);
    for (int p = 0; p < np; p++) {
        g1[p] = fnew(ps[p].n);
        memcpy(g1[p], ps[p].g, ps[p].n * sizeof(float));
    }
    c->backward(c->ctx); // must add: g = 2 g1
    for (int p = 0; p < np; p++) {
        double d = 0.0, m = maxabs(g1[p], ps[p].n);
        for (size_t i = 0; i < ps[p].n; i++) {
            double e = fabs(ps[p].g[i] - 2.0 * g1[p][i]);
            if (e > d) d = e;
        }
        CHECK_MSG(d <= ADD_TOL * (m > 0 ? m : 1.0),
                  "layer %s: backward does not add into the %s gradient (%.3g)", c->layer,
                  ps[p].what, d);
    }
    for (int p = 0; p < np; p++) {
        float *fd = fnew(ps[p].n);
        for (size_t i = 0; i < ps[p].n; i++) {
            float save = ps[p].x[i];
            ps[p].x[i] = (float)(save + ps[p].h);
            double xp = ps[p].x[i], lp = c->loss(c->ctx);
            ps[p].x[i] = (float)(save - ps[p].h);
            double xm = ps[p].x[i], lm = c->loss(c->ctx);
            ps[p].x[i] = save;
            fd[i] = (float)((lp - lm) / (xp - xm));
        }
        double e = maxrel(g1[p], fd, ps[p].n);
        char what[64];
        snprintf(what, sizeof what, "d/d %s (fd)", ps[p].what);
        record(c->layer, what, e);
        CHECK_MSG(e <= FD_TOL, "layer %s: gradient of %s: max rel err %.3g > %g (max|g| %.3g)",
                  c->layer, ps[p].what, e, FD_TOL, maxabs(fd, ps[p].n));
        free(fd);
        free(g1[p]);
    }
    c->loss(c->ctx); // leave the caches consistent with the unperturbed values
}

// ----------------------------------------------------------------------------
// sinc

/* The textbook form (the SincConv docstring), in double:
 *     h(t) = w (2 f2 sinc(2 pi f2 t) - 2 f1 sinc(2 pi f1 t)) / (2 (f2 - f1)),
 * sinc(x) = sin(x)/x, sinc(0) = 1. */
static double sinc_tap_ref(double f1, double f2, int k, int K, double fs)
{
    int half = (K - 1) / 2;
    double t = (k - half) / fs;
    double w = 0.54 - 0.46 * cos(2.0 * M_PI * k / (K - 1));
    double a = 2.0 * M_PI * f1 * t, b = 2.0 * M_PI * f2 * t;
    double s1 = a == 0.0 ? 1.0 : sin(a) / a, s2 = b == 0.0 ? 1.0 : sin(b) / b;
    return w * (2.0 * f2 * s2 - 2.0 * f1 * s1) / (2.0 * (f2 - f1));
}

/* Filters with every branch: mel init, a negative low, a negative band, and
 * one filter clamped at fs/2 (its band gradient is exactly 0). Values in
 * Hz, divided by the spec's param_scale (1, or fs when normalised). */
static void sinc_params(float *low, float *band, const sp_sinc_spec *s)
{
    float c = s->param_scale;
    sp_sinc_init(low, band, s);
    if (s->F > 2) low[1] = -low[1];
    if (s->F > 3) band[2] = -band[2] - 20.0f / c;
    if (s->F > 4) {
        low[s->F - 1] = 6000.0f / c;   // f1 = 6050
        band[s->F - 1] = -2500.0f / c; // f2 raw = 8600 > fs/2: clamped
    }
}

static void test_sinc_init_and_taps(void)
{
    sp_sinc_spec s = sp_sinc_spec_make(80, 251, 16000.0f);
    float low[80], band[80], f1[80], f2[80];
    sp_sinc_init(low, band, &s);
    CHECK(fabsf(low[0] - 30.0f) < 1e-3f);
    CHECK(fabsf(low[79] + band[79] - 7900.0f) < 0.01f); // fs/2 - (50 + 50)
    for (int f = 1; f < 80; f++) {
        CHECK(band[f] > band[f - 1]); // mel spacing widens
        CHECK(low[f] == low[f - 1] + band[f - 1]);
    }
    sp_sinc_cutoffs(f1, f2, low, band, &s);
    CHECK(f1[0] == 80.0f && fabsf(f2[0] - (80.0f + 50.0f + band[0])) < 1e-3f);
    // the top filter starts exactly on the clamp (in float32, as torch
    // computes it), where torch.clamp passes the gradient: so must we
    CHECK((50.0f + low[79] + 50.0f) + band[79] == 8000.0f);
    float *dt = fnew((size_t)80 * 251), dl[80] = { 0 }, db[80] = { 0 };
    fill(dt, (size_t)80 * 251, -1, 1);
    sp_sinc_taps_backward(dl, db, dt, low, band, &s);
    CHECK(db[79] != 0.0f && f2[79] == 8000.0f);
    free(dt);

    // taps against the textbook formula, mel init and the odd cases
    int F = 8, Ks[] = { 251, 129, 31, 3 };
    for (int ki = 0; ki < 4; ki++) {
        sp_sinc_spec t = sp_sinc_spec_make(F, Ks[ki], 16000.0f);
        float lo[8], ba[8];
        sinc_params(lo, ba, &t);
        float *taps = fnew((size_t)F * t.K), *ref = fnew((size_t)F * t.K);
        sp_sinc_taps(taps, lo, ba, &t);
        for (int f = 0; f < F; f++) {
            double a = 50.0 + fabs(lo[f]), b = a + 50.0 + fabs(ba[f]);
            if (b > 8000.0) b = 8000.0;
            for (int k = 0; k < t.K; k++) {
                ref[f * t.K + k] = (float)sinc_tap_ref(a, b, k, t.K, 16000.0);
                CHECK(taps[f * t.K + k] == taps[f * t.K + t.K - 1 - k]);
            }
        }
        char what[48];
        snprintf(what, sizeof what, "taps vs formula K=%d", t.K);
        expect_close("sinc", what, taps, ref, (size_t)F * t.K, 1e-6);
        free(taps);
        free(ref);
    }
}

typedef struct {
    sp_sinc_spec s;
    int B, T;
    float *inp, *low, *band, *taps, *ws, *out, *R, *Rt;
    float *dinp, *dlow, *dband;
} sinc_ctx;

static size_t sinc_nout(const sinc_ctx *c)
{
    return (size_t)c->B * c->s.F * (c->T - c->s.K + 1);
}

static double sinc_loss(void *v)
{
    sinc_ctx *c = v;
    sp_sinc_forward(c->out, c->taps, c->ws, c->inp, c->low, c->band, &c->s, c->B, c->T);
    return dot(c->out, c->R, sinc_nout(c));
}

static void sinc_backward(void *v)
{
    sinc_ctx *c = v;
    sp_sinc_backward(c->dinp, c->dlow, c->dband, c->ws, c->R, c->inp, c->taps, c->low, c->band,
                     &c->s, c->B, c->T);
}

static double taps_loss(void *v)
{
    sinc_ctx *c = v;
    sp_sinc_taps(c->taps, c->low, c->band, &c->s);
    return dot(c->taps, c->Rt, (size_t)c->s.F * c->s.K);
}

static void taps_backward(void *v)
{
    sinc_ctx *c = v;
    sp_sinc_taps_backward(c->dlow, c->dband, c->Rt, c->low, c->band, &c->s);
}

/* scale: the spec's param_scale (1: Hz-valued parameters; fs: normalised). */
static void sinc_ctx_init(sinc_ctx *c, int F, int K, int B, int T, float scale)
{
    c->s = sp_sinc_spec_make(F, K, 16000.0f);
    c->s.param_scale = scale;
    c->B = B;
    c->T = T;
    size_t no = (size_t)B * F * (T - K + 1);
    c->inp = fnew((size_t)B * T);
    c->dinp = fnew((size_t)B * T);
    c->low = fnew(F);
    c->band = fnew(F);
    c->dlow = fnew(F);
    c->dband = fnew(F);
    c->taps = fnew((size_t)F * K);
    c->Rt = fnew((size_t)F * K);
    c->out = fnew(no);
    c->R = fnew(no);
    c->ws = fnew(sp_sinc_workspace(&c->s, B, T));
    fill(c->inp, (size_t)B * T, -1, 1);
    fill(c->R, no, -1, 1);
    fill(c->Rt, (size_t)F * K, -1, 1);
    sinc_params(c->low, c->band, &c->s);
}

static void sinc_ctx_free(sinc_ctx *c)
{
    free(c->inp), free(c->dinp), free(c->low), free(c->band), free(c->dlow), free(c->dband);
    free(c->taps), free(c->Rt), free(c->out), free(c->R), free(c->ws);
}

/* scale 1: parameters in Hz ([model] sinc_param = hz); scale fs: divided
 * by the sample rate (normalised), whose gradients are fs times larger. */
static void test_sinc_grad(float scale)
{
    sinc_ctx c;
    sinc_ctx_init(&c, 6, 31, 2, 90, scale);
    double hz = 1e-3 * c.s.fs / 8 / scale; // 2 Hz, in the parameters' units
    const char *low = scale == 1.0f ? "low_hz" : "low (/fs)", *band = scale == 1.0f ? "band_hz" : "band (/fs)";
    {
        fd_case fc = { scale == 1.0f ? "sinc taps" : "sinc taps, normalised", taps_loss, taps_backward, &c };
        fd_param ps[] = { { low, c.low, c.dlow, 6, hz },
                          { band, c.band, c.dband, 6, hz } };
        check_case(&fc, ps, 2);
    }
    {
        fd_case fc = { scale == 1.0f ? "sinc" : "sinc, normalised", sinc_loss, sinc_backward, &c };
        fd_param ps[] = { { low, c.low, c.dlow, 6, hz },
                          { band, c.band, c.dband, 6, hz },
                          { "input", c.inp, c.dinp, (size_t)c.B * c.T, H_LINEAR } };
        check_case(&fc, ps, 3);
    }
    // the clamped filter: band gradient exactly 0
    CHECK(c.dband[5] == 0.0f && c.dlow[5] != 0.0f);
    // dinp = NULL gives the same parameter gradients
    float dl[6], db[6];
    memcpy(dl, c.dlow, sizeof dl);
    memcpy(db, c.dband, sizeof db);
    memset(c.dlow, 0, sizeof dl);
    memset(c.dband, 0, sizeof db);
    sp_sinc_backward(NULL, c.dlow, c.dband, c.ws, c.R, c.inp, c.taps, c.low, c.band, &c.s, c.B,
                     c.T);
    for (int f = 0; f < 6; f++) {
        CHECK(fabsf(2 * c.dlow[f] - dl[f]) <= 1e-5f * fabsf(dl[f]));
        CHECK(fabsf(2 * c.dband[f] - db[f]) <= 1e-5f * fabsf(db[f]) + 1e-30f);
    }
    sinc_ctx_free(&c);
}

/* The folded GEMM filtering against a plain convolution with the taps, at a
 * realistic kernel length. */
static void test_sinc_vs_naive(void)
{
    // this per-element bound is the GEMM's (the FFT path: test_sinc_fft)
    setenv("SP_SINC_FILTER", "gemm", 1);
    sinc_ctx c;
    sinc_ctx_init(&c, 8, 251, 2, 700, 1.0f);
    int F = 8, K = 251, B = 2, T = 700, Tout = T - K + 1;
    size_t no = (size_t)B * F * Tout;
    float *ref = fnew(no), *dinp_ref = fnew((size_t)B * T), *dtaps = fnew((size_t)F * K);
    float *dlow_ref = fnew(F), *dband_ref = fnew(F);
    float *s_out = fnew(no), *s_dinp = fnew((size_t)B * T), *s_dtaps = fnew((size_t)F * K);
    sinc_loss(&c);
    float *ai = abs_copy(c.inp, (size_t)B * T), *ah = abs_copy(c.taps, (size_t)F * K);
    float *ar = abs_copy(c.R, no);
    sp_conv1d_forward_naive(s_out, ai, ah, NULL, B, 1, F, T, K);
    sp_conv1d_backward_naive(s_dinp, s_dtaps, NULL, ar, ai, ah, B, 1, F, T, K);
    sp_conv1d_forward_naive(ref, c.inp, c.taps, NULL, B, 1, F, T, K);
    expect_bounded("sinc", "filtering vs naive conv", c.out, ref, s_out, no, K + 1);

    memset(c.dinp, 0, (size_t)B * T * sizeof(float));
    memset(c.dlow, 0, F * sizeof(float));
    memset(c.dband, 0, F * sizeof(float));
    sinc_backward(&c);
    sp_conv1d_backward_naive(dinp_ref, dtaps, NULL, c.R, c.inp, c.taps, B, 1, F, T, K);
    sp_sinc_taps_backward(dlow_ref, dband_ref, dtaps, c.low, c.band, &c.s);
    expect_bounded("sinc", "dinp vs naive conv", c.dinp, dinp_ref, s_dinp, (size_t)B * T,
                   F * K + K);
    // the chain rule runs in double on both sides; what differs is the float
    // taps gradient (folded GEMM vs naive), so max-normalised over filters
    expect_close("sinc", "dlow vs naive dtaps", c.dlow, dlow_ref, F, REF_TOL);
    expect_close("sinc", "dband vs naive dtaps", c.dband, dband_ref, F, REF_TOL);
    free(ref), free(dinp_ref), free(dtaps), free(dlow_ref), free(dband_ref);
    free(s_out), free(s_dinp), free(s_dtaps), free(ai), free(ah), free(ar);
    sinc_ctx_free(&c);
    unsetenv("SP_SINC_FILTER");
}

// ----------------------------------------------------------------------------
// conv1d

typedef struct {
    int B, Cin, Cout, T, K;
    float *inp, *w, *bias, *ws, *out, *R, *dinp, *dw, *dbias;
} conv_ctx;

static size_t conv_nout(const conv_ctx *c)
{
    return (size_t)c->B * c->Cout * (c->T - c->K + 1);
}

static double conv_loss(void *v)
{
    conv_ctx *c = v;
    sp_conv1d_forward(c->out, c->ws, c->inp, c->w, c->bias, c->B, c->Cin, c->Cout, c->T, c->K);
    return dot(c->out, c->R, conv_nout(c));
}

static void conv_backward(void *v)
{
    conv_ctx *c = v;
    sp_conv1d_backward(c->dinp, c->dw, c->dbias, c->ws, c->R, c->inp, c->w, c->B, c->Cin,
                       c->Cout, c->T, c->K);
}

static void conv_ctx_init(conv_ctx *c, int B, int Cin, int Cout, int T, int K)
{
    *c = (conv_ctx){ B, Cin, Cout, T, K, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
    size_t ni = (size_t)B * Cin * T, nw = (size_t)Cout * Cin * K;
    c->inp = fnew(ni), c->dinp = fnew(ni);
    c->w = fnew(nw), c->dw = fnew(nw);
    c->bias = fnew(Cout), c->dbias = fnew(Cout);
    c->out = fnew(conv_nout(c)), c->R = fnew(conv_nout(c));
    c->ws = fnew(sp_conv1d_workspace(B, Cin, Cout, T, K));
    fill(c->inp, ni, -1, 1);
    fill(c->w, nw, -1, 1);
    fill(c->bias, Cout, -1, 1);
    fill(c->R, conv_nout(c), -1, 1);
}

static void conv_ctx_free(conv_ctx *c)
{
    free(c->inp), free(c->dinp), free(c->w), free(c->dw), free(c->bias), free(c->dbias);
    free(c->out), free(c->R), free(c->ws);
}

static void test_conv_grad(int B, int Cin, int Cout, int T, int K, const char *name)
{
    conv_ctx c;
    conv_ctx_init(&c, B, Cin, Cout, T, K);
    fd_case fc = { name, conv_loss, conv_backward, &c };
    fd_param ps[] = { { "w", c.w, c.dw, (size_t)Cout * Cin * K, H_LINEAR },
                      { "bias", c.bias, c.dbias, (size_t)Cout, H_LINEAR },
                      { "input", c.inp, c.dinp, (size_t)B * Cin * T, H_LINEAR } };
    check_case(&fc, ps, 3);
    conv_ctx_free(&c);
}

static void test_conv_vs_naive(int B, int Cin, int Cout, int T, int K)
{
    conv_ctx c;
    conv_ctx_init(&c, B, Cin, Cout, T, K);
    int Tout = T - K + 1;
    size_t no = conv_nout(&c), ni = (size_t)B * Cin * T, nw = (size_t)Cout * Cin * K;
    float *out = fnew(no), *dinp = fnew(ni), *dw = fnew(nw), *db = fnew(Cout);
    char what[96];
    // both gradients start from the same non-zero values: backward adds
    fill(c.dinp, ni, -1, 1), fill(c.dw, nw, -1, 1), fill(c.dbias, Cout, -1, 1);
    memcpy(dinp, c.dinp, ni * sizeof(float));
    memcpy(dw, c.dw, nw * sizeof(float));
    memcpy(db, c.dbias, Cout * sizeof(float));
    // the size of the terms of every sum: the naive code on |.|
    float *ai = abs_copy(c.inp, ni), *aw = abs_copy(c.w, nw), *ab = abs_copy(c.bias, Cout);
    float *ar = abs_copy(c.R, no), *s_out = fnew(no);
    float *s_dinp = abs_copy(c.dinp, ni), *s_dw = abs_copy(c.dw, nw);
    float *s_db = abs_copy(c.dbias, Cout);
    sp_conv1d_forward_naive(s_out, ai, aw, ab, B, Cin, Cout, T, K);
    sp_conv1d_backward_naive(s_dinp, s_dw, s_db, ar, ai, aw, B, Cin, Cout, T, K);

    conv_loss(&c);
    conv_backward(&c);
    sp_conv1d_forward_naive(out, c.inp, c.w, c.bias, B, Cin, Cout, T, K);
    sp_conv1d_backward_naive(dinp, dw, db, c.R, c.inp, c.w, B, Cin, Cout, T, K);
    snprintf(what, sizeof what, "gemm vs naive %dx%dx%d T=%d K=%d: out", B, Cin, Cout, T, K);
    expect_bounded("conv1d", what, c.out, out, s_out, no, Cin * K + 1);
    snprintf(what, sizeof what, "gemm vs naive %dx%dx%d T=%d K=%d: dw", B, Cin, Cout, T, K);
    expect_bounded("conv1d", what, c.dw, dw, s_dw, nw, B * Tout + 1);
    snprintf(what, sizeof what, "gemm vs naive %dx%dx%d T=%d K=%d: dbias", B, Cin, Cout, T, K);
    expect_bounded("conv1d", what, c.dbias, db, s_db, Cout, B * Tout + 1);
    snprintf(what, sizeof what, "gemm vs naive %dx%dx%d T=%d K=%d: dinp", B, Cin, Cout, T, K);
    expect_bounded("conv1d", what, c.dinp, dinp, s_dinp, ni, Cout * K + 1);
    // no bias
    sp_conv1d_forward(c.out, c.ws, c.inp, c.w, NULL, B, Cin, Cout, T, K);
    sp_conv1d_forward_naive(out, c.inp, c.w, NULL, B, Cin, Cout, T, K);
    sp_conv1d_forward_naive(s_out, ai, aw, NULL, B, Cin, Cout, T, K);
    snprintf(what, sizeof what, "gemm vs naive %dx%dx%d T=%d K=%d: out, no bias", B, Cin, Cout,
             T, K);
    expect_bounded("conv1d", what, c.out, out, s_out, no, Cin * K);
    free(out), free(dinp), free(dw), free(db);
    free(ai), free(aw), free(ab), free(ar), free(s_out), free(s_dinp), free(s_dw), free(s_db);
    conv_ctx_free(&c);
}

/* The fused conv + max-pool forward against the two calls it replaces:
 * the same conv output, pooled output and arg-max, bit for bit (ties and a
 * NaN included, whose first occurrence wins as in sp_maxpool_forward). */
static void test_conv_maxpool_fused(int B, int Cin, int Cout, int T, int K, int P)
{
    conv_ctx c;
    conv_ctx_init(&c, B, Cin, Cout, T, K);
    int Tout = T - K + 1, Tp = Tout / P;
    size_t no = conv_nout(&c), np = (size_t)B * Cout * Tp;
    float *out = fnew(no), *pool = fnew(np), *pool2 = fnew(np);
    int *am = calloc(np, sizeof *am), *am2 = calloc(np, sizeof *am2);
    // ties: equal weights for two output channels give equal rows
    if (Cout > 1) memcpy(c.w + (size_t)Cin * K, c.w, (size_t)Cin * K * sizeof(float)), c.bias[1] = c.bias[0];
    sp_conv1d_forward(c.out, c.ws, c.inp, c.w, c.bias, B, Cin, Cout, T, K);
    sp_maxpool_forward(pool, am, c.out, B * Cout, Tout, P);
    sp_conv1d_maxpool_forward(out, pool2, am2, P, c.ws, c.inp, c.w, c.bias, B, Cin, Cout, T, K);
    CHECK_MSG(!memcmp(out, c.out, no * sizeof(float)), "conv+pool %dx%dx%d T=%d K=%d P=%d: conv output differs", B,
              Cin, Cout, T, K, P);
    CHECK_MSG(!memcmp(pool, pool2, np * sizeof(float)), "conv+pool %dx%dx%d T=%d K=%d P=%d: pooled output differs",
              B, Cin, Cout, T, K, P);
    CHECK_MSG(!memcmp(am, am2, np * sizeof(int)), "conv+pool %dx%dx%d T=%d K=%d P=%d: arg-max differs", B, Cin, Cout,
              T, K, P);
    // a NaN in the input spreads to the outputs it touches, in both
    c.inp[K / 2] = NAN;
    sp_conv1d_forward(c.out, c.ws, c.inp, c.w, c.bias, B, Cin, Cout, T, K);
    sp_maxpool_forward(pool, am, c.out, B * Cout, Tout, P);
    sp_conv1d_maxpool_forward(out, pool2, am2, P, c.ws, c.inp, c.w, c.bias, B, Cin, Cout, T, K);
    int same = 1;
    for (size_t i = 0; i < np; i++)
        same &= (isnan(pool[i]) ? isnan(pool2[i]) : pool[i] == pool2[i]) && am[i] == am2[i];
    CHECK_MSG(same, "conv+pool %dx%dx%d T=%d K=%d P=%d: with a NaN input, fused and separate differ", B, Cin, Cout,
              T, K, P);
    free(out), free(pool), free(pool2), free(am), free(am2);
    conv_ctx_free(&c);
}

// ----------------------------------------------------------------------------
// abs, activations

typedef struct {
    size_t N;
    int kind; // -1: abs
    float *inp, *out, *R, *dinp;
} ew_ctx;

static double ew_loss(void *v)
{
    ew_ctx *c = v;
    if (c->kind < 0) sp_abs_forward(c->out, c->inp, c->N);
    else sp_act_forward(c->out, c->inp, c->N, (sp_act_kind)c->kind);
    return dot(c->out, c->R, c->N);
}

static void ew_backward(void *v)
{
    ew_ctx *c = v;
    if (c->kind < 0) sp_abs_backward(c->dinp, c->R, c->inp, c->N);
    else sp_act_backward(c->dinp, c->R, c->out, c->N, (sp_act_kind)c->kind);
}

static void test_elementwise(void)
{
    enum { N = 48 };
    float inp[N], out[N], R[N], dinp[N];
    for (int kind = -1; kind <= SP_ACT_SIGMOID; kind++) {
        ew_ctx c = { N, kind, inp, out, R, dinp };
        fill_away(inp, N, 0.1, 2.0);
        fill(R, N, -1, 1);
        const char *name = kind < 0 ? "abs" : sp_act_name((sp_act_kind)kind);
        fd_case fc = { name, ew_loss, ew_backward, &c };
        fd_param ps[] = { { "input", inp, dinp, N, kind == SP_ACT_LINEAR ? H_LINEAR : H_CURVED } };
        check_case(&fc, ps, 1);
        if (kind >= 0) {
            CHECK(sp_act_parse(name) == kind);
            // in place gives the same output
            float tmp[N];
            memcpy(tmp, inp, sizeof tmp);
            sp_act_forward(tmp, tmp, N, (sp_act_kind)kind);
            sp_act_forward(out, inp, N, (sp_act_kind)kind);
            CHECK(memcmp(tmp, out, sizeof tmp) == 0);
        }
    }
    CHECK(sp_act_parse("swish") == -1);
    CHECK(sp_act_name((sp_act_kind)99) == NULL);
    // the kink conventions: x = 0 takes the x <= 0 branch; |x|' = 0 at 0
    float z = 0.0f, y, one = 1.0f, d = 0.0f;
    sp_act_forward(&y, &z, 1, SP_ACT_LEAKY_RELU);
    sp_act_backward(&d, &one, &y, 1, SP_ACT_LEAKY_RELU);
    CHECK(y == 0.0f && d == SP_LEAKY_SLOPE);
    d = 0.0f;
    sp_abs_backward(&d, &one, &z, 1);
    CHECK(d == 0.0f);
}

// ----------------------------------------------------------------------------
// max-pool

typedef struct {
    int R_, T, P;
    float *inp, *out, *R, *dinp;
    int *am;
} pool_ctx;

static double pool_loss(void *v)
{
    pool_ctx *c = v;
    sp_maxpool_forward(c->out, c->am, c->inp, c->R_, c->T, c->P);
    return dot(c->out, c->R, (size_t)c->R_ * (c->T / c->P));
}

static void pool_backward(void *v)
{
    pool_ctx *c = v;
    sp_maxpool_backward(c->dinp, c->R, c->am, c->R_, c->T, c->P);
}

static void test_pool(void)
{
    enum { RR = 3, T = 14, P = 3, TO = T / P };
    float inp[RR * T], out[RR * TO], R[RR * TO], dinp[RR * T];
    int am[RR * TO];
    // each row a shuffle of distinct values 0.05 apart: no step of 1e-3
    // changes an argmax
    for (int r = 0; r < RR; r++) {
        for (int t = 0; t < T; t++) inp[r * T + t] = (float)(0.05 * t - 0.3);
        for (int t = T - 1; t > 0; t--) {
            int j = (int)sp_rng_below(&trng, (uint64_t)t + 1);
            float tmp = inp[r * T + t];
            inp[r * T + t] = inp[r * T + j];
            inp[r * T + j] = tmp;
        }
    }
    fill(R, RR * TO, -1, 1);
    pool_ctx c = { RR, T, P, inp, out, R, dinp, am };
    fd_case fc = { "maxpool", pool_loss, pool_backward, &c };
    fd_param ps[] = { { "input", inp, dinp, RR * T, H_CURVED } };
    check_case(&fc, ps, 1);
    // the dropped remainder (T % P samples) gets no gradient
    for (int r = 0; r < RR; r++)
        for (int t = TO * P; t < T; t++) CHECK(dinp[r * T + t] == 0.0f);
    // ties: the first maximum wins
    float tie[6] = { 1, 3, 3, 2, 2, 2 }, o[2];
    int a[2];
    sp_maxpool_forward(o, a, tie, 1, 6, 3);
    CHECK(a[0] == 1 && a[1] == 3 && o[0] == 3 && o[1] == 2);
}

// ----------------------------------------------------------------------------
// layer norm

typedef struct {
    int B, G, N;
    float *inp, *gamma, *beta, *out, *mean, *sd, *R, *dinp, *dgamma, *dbeta;
} ln_ctx;

static double ln_loss(void *v)
{
    ln_ctx *c = v;
    sp_layernorm_forward(c->out, c->mean, c->sd, c->inp, c->gamma, c->beta, c->B, c->G, c->N,
                         SP_LAYERNORM_EPS);
    return dot(c->out, c->R, (size_t)c->B * c->G * c->N);
}

static void ln_backward(void *v)
{
    ln_ctx *c = v;
    sp_layernorm_backward(c->dinp, c->dgamma, c->dbeta, c->R, c->inp, c->mean, c->sd, c->gamma,
                          c->B, c->G, c->N, SP_LAYERNORM_EPS);
}

static void test_layernorm(int B, int G, int N, const char *name)
{
    size_t n = (size_t)B * G * N, np = (size_t)G * N;
    ln_ctx c = { B, G, N, fnew(n), fnew(np), fnew(np), fnew(n), fnew((size_t)B * G),
                 fnew((size_t)B * G), fnew(n), fnew(n), fnew(np), fnew(np) };
    fill(c.inp, n, -2, 2);
    fill(c.gamma, np, 0.5, 1.5);
    fill(c.beta, np, -0.5, 0.5);
    fill(c.R, n, -1, 1);
    // forward against RefLayerNorm's formula in double
    float *ref = fnew(n);
    ln_loss(&c);
    for (int r = 0; r < B * G; r++) {
        const float *x = c.inp + (size_t)r * N;
        double mu = 0, q = 0;
        for (int i = 0; i < N; i++) mu += x[i];
        mu /= N;
        for (int i = 0; i < N; i++) q += (x[i] - mu) * (x[i] - mu);
        double sd = sqrt(q / (N - 1)); // unbiased, as torch.std
        for (int i = 0; i < N; i++) {
            size_t gi = (size_t)(r % G) * N + i;
            ref[(size_t)r * N + i] = (float)(c.gamma[gi] * (x[i] - mu) / (sd + 1e-6) + c.beta[gi]);
        }
    }
    expect_close(name, "forward vs formula", c.out, ref, n, REF_TOL);
    free(ref);
    fd_case fc = { name, ln_loss, ln_backward, &c };
    fd_param ps[] = { { "input", c.inp, c.dinp, n, H_CURVED },
                      { "gamma", c.gamma, c.dgamma, np, H_CURVED },
                      { "beta", c.beta, c.dbeta, np, H_CURVED } };
    check_case(&fc, ps, 3);
    // a constant row: finite output (beta) and finite gradient
    for (int i = 0; i < N; i++) c.inp[i] = 0.25f;
    ln_loss(&c);
    memset(c.dinp, 0, n * sizeof(float));
    ln_backward(&c);
    for (int i = 0; i < N; i++) CHECK(isfinite(c.dinp[i]) && c.out[i] == c.beta[i]);
    free(c.inp), free(c.gamma), free(c.beta), free(c.out), free(c.mean), free(c.sd), free(c.R);
    free(c.dinp), free(c.dgamma), free(c.dbeta);
}

// ----------------------------------------------------------------------------
// batch norm

typedef struct {
    int B, D, training;
    float *inp, *gamma, *beta, *out, *mean, *rstd, *rm, *rv, *rm0, *rv0, *R, *dinp, *dgamma,
        *dbeta;
} bn_ctx;

static double bn_loss(void *v)
{
    bn_ctx *c = v;
    // the same running statistics every time (training moves them)
    memcpy(c->rm, c->rm0, c->D * sizeof(float));
    memcpy(c->rv, c->rv0, c->D * sizeof(float));
    sp_batchnorm_forward(c->out, c->mean, c->rstd, c->rm, c->rv, c->inp, c->gamma, c->beta, c->B,
                         c->D, SP_BATCHNORM_MOMENTUM, SP_BATCHNORM_EPS, c->training);
    return dot(c->out, c->R, (size_t)c->B * c->D);
}

static void bn_backward(void *v)
{
    bn_ctx *c = v;
    sp_batchnorm_backward(c->dinp, c->dgamma, c->dbeta, c->R, c->inp, c->mean, c->rstd, c->gamma,
                          c->B, c->D, c->training);
}

static void test_batchnorm(int B, int D)
{
    size_t n = (size_t)B * D;
    bn_ctx c = { B, D, 1, fnew(n), fnew(D), fnew(D), fnew(n), fnew(D), fnew(D), fnew(D),
                 fnew(D), fnew(D), fnew(D), fnew(n), fnew(n), fnew(D), fnew(D) };
    fill(c.inp, n, -2, 3);
    fill(c.gamma, D, 0.5, 1.5);
    fill(c.beta, D, -0.5, 0.5);
    fill(c.rm0, D, -0.5, 0.5);
    fill(c.rv0, D, 0.5, 2.0);
    fill(c.R, n, -1, 1);
    float *ref = fnew(n), *rm_ref = fnew(D), *rv_ref = fnew(D);
    for (int training = 1; training >= 0; training--) {
        c.training = training;
        bn_loss(&c);
        for (int d = 0; d < D; d++) {
            double mu = 0, q = 0;
            for (int b = 0; b < B; b++) mu += c.inp[b * D + d];
            mu /= B;
            for (int b = 0; b < B; b++) q += pow(c.inp[b * D + d] - mu, 2);
            // torch: running = (1 - 0.05) running + 0.05 stat, unbiased var
            rm_ref[d] = (float)(0.95 * c.rm0[d] + 0.05 * mu);
            rv_ref[d] = (float)(0.95 * c.rv0[d] + 0.05 * q / (B - 1));
            double m = training ? mu : c.rm0[d], var = training ? q / B : c.rv0[d];
            for (int b = 0; b < B; b++)
                ref[b * D + d] = (float)(c.gamma[d] * (c.inp[b * D + d] - m) / sqrt(var + 1e-5)
                                         + c.beta[d]);
        }
        const char *name = training ? "batchnorm train" : "batchnorm eval";
        expect_close(name, "forward vs formula", c.out, ref, n, REF_TOL);
        if (training) {
            expect_close(name, "running mean", c.rm, rm_ref, D, REF_TOL);
            expect_close(name, "running var (unbiased)", c.rv, rv_ref, D, REF_TOL);
        } else {
            CHECK(memcmp(c.rm, c.rm0, D * sizeof(float)) == 0);
            CHECK(memcmp(c.rv, c.rv0, D * sizeof(float)) == 0);
        }
        fd_case fc = { name, bn_loss, bn_backward, &c };
        fd_param ps[] = { { "input", c.inp, c.dinp, n, H_CURVED },
                          { "gamma", c.gamma, c.dgamma, (size_t)D, H_CURVED },
                          { "beta", c.beta, c.dbeta, (size_t)D, H_CURVED } };
        check_case(&fc, ps, 3);
    }
    free(ref), free(rm_ref), free(rv_ref);
    free(c.inp), free(c.gamma), free(c.beta), free(c.out), free(c.mean), free(c.rstd);
    free(c.rm), free(c.rv), free(c.rm0), free(c.rv0), free(c.R), free(c.dinp), free(c.dgamma);
    free(c.dbeta);
}

// ----------------------------------------------------------------------------
// dropout

typedef struct {
    size_t N;
    float p;
    float *inp, *out, *mask, *R, *dinp;
} drop_ctx;

static double drop_loss(void *v)
{
    drop_ctx *c = v;
    sp_rng r;
    sp_rng_seed(&r, 1234, 7); // the same mask every call
    sp_dropout_forward(c->out, c->mask, c->inp, c->N, c->p, &r, 1);
    return dot(c->out, c->R, c->N);
}

static void drop_backward(void *v)
{
    drop_ctx *c = v;
    sp_dropout_backward(c->dinp, c->R, c->mask, c->N);
}

static void test_dropout(void)
{
    enum { N = 64, NBIG = 20000 };
    float inp[N], out[N], mask[N], R[N], dinp[N];
    fill(inp, N, -1, 1);
    fill(R, N, -1, 1);
    drop_ctx c = { N, 0.3f, inp, out, mask, R, dinp };
    fd_case fc = { "dropout", drop_loss, drop_backward, &c };
    fd_param ps[] = { { "input", inp, dinp, N, H_LINEAR } };
    check_case(&fc, ps, 1);

    float *x = fnew(NBIG), *y = fnew(NBIG), *m = fnew(NBIG);
    sp_rng r;
    sp_rng_seed(&r, 99, 0);
    fill(x, NBIG, 0.5, 1.0);
    sp_dropout_forward(y, m, x, NBIG, 0.3f, &r, 1);
    int kept = 0, bad = 0;
    for (int i = 0; i < NBIG; i++) {
        if (m[i] != 0.0f) kept++;
        if (m[i] != 0.0f && m[i] != 1.0f / 0.7f) bad++;
        if (y[i] != x[i] * m[i]) bad++;
    }
    // kept ~ Binomial(20000, 0.7): sd 65, so +-400 is > 6 sd
    CHECK(bad == 0 && kept > 14000 - 400 && kept < 14000 + 400);
    sp_rng before = r;
    sp_dropout_forward(y, m, x, NBIG, 0.3f, &r, 0); // eval: identity, rng untouched
    CHECK(memcmp(y, x, NBIG * sizeof(float)) == 0 && memcmp(&r, &before, sizeof r) == 0);
    CHECK(m[0] == 1.0f && m[NBIG - 1] == 1.0f);
    sp_dropout_forward(y, m, x, NBIG, 1.0f, &r, 1); // p = 1: all dropped
    CHECK(maxabs(y, NBIG) == 0.0);
    memcpy(y, x, NBIG * sizeof(float));
    sp_rng_seed(&r, 5, 0);
    sp_dropout_forward(y, m, y, NBIG, 0.5f, &r, 1); // in place
    for (int i = 0; i < NBIG; i++) bad += y[i] != x[i] * m[i];
    CHECK(bad == 0);
    free(x), free(y), free(m);
}

// ----------------------------------------------------------------------------
// dense

typedef struct {
    int B, Din, Dout;
    float *inp, *w, *bias, *out, *R, *dinp, *dw, *dbias;
} dense_ctx;

static double dense_loss(void *v)
{
    dense_ctx *c = v;
    sp_dense_forward(c->out, c->inp, c->w, c->bias, c->B, c->Din, c->Dout);
    return dot(c->out, c->R, (size_t)c->B * c->Dout);
}

static void dense_backward(void *v)
{
    dense_ctx *c = v;
    sp_dense_backward(c->dinp, c->dw, c->dbias, c->R, c->inp, c->w, c->B, c->Din, c->Dout);
}

static void test_dense(int B, int Din, int Dout)
{
    size_t ni = (size_t)B * Din, nw = (size_t)Dout * Din, no = (size_t)B * Dout;
    dense_ctx c = { B, Din, Dout, fnew(ni), fnew(nw), fnew(Dout), fnew(no), fnew(no),
                    fnew(ni), fnew(nw), fnew(Dout) };
    fill(c.inp, ni, -1, 1);
    sp_rng r;
    sp_rng_seed(&r, 3, 3);
    sp_init_uniform_fan_in(c.w, nw, Din, &r);
    sp_init_uniform_fan_in(c.bias, Dout, Din, &r);
    CHECK(maxabs(c.w, nw) <= 1.0 / sqrt(Din) && maxabs(c.w, nw) > 0.5 / sqrt(Din));
    fill(c.R, no, -1, 1);
    float *ref = fnew(no);
    dense_loss(&c);
    for (int b = 0; b < B; b++)
        for (int o = 0; o < Dout; o++) {
            double s = c.bias[o];
            for (int i = 0; i < Din; i++) s += (double)c.inp[b * Din + i] * c.w[o * Din + i];
            ref[b * Dout + o] = (float)s;
        }
    expect_close("dense", "forward vs loop", c.out, ref, no, REF_TOL);
    free(ref);
    fd_case fc = { "dense", dense_loss, dense_backward, &c };
    fd_param ps[] = { { "w", c.w, c.dw, nw, H_LINEAR },
                      { "bias", c.bias, c.dbias, (size_t)Dout, H_LINEAR },
                      { "input", c.inp, c.dinp, ni, H_LINEAR } };
    check_case(&fc, ps, 3);
    free(c.inp), free(c.w), free(c.bias), free(c.out), free(c.R), free(c.dinp), free(c.dw);
    free(c.dbias);
}

// ----------------------------------------------------------------------------
// log-softmax + NLL

typedef struct {
    int B, V;
    const int *target;
    float dloss;
    float *logits, *logp, *dlogits;
} nll_ctx;

static double nll_loss(void *v)
{
    nll_ctx *c = v;
    return c->dloss * sp_logsoftmax_nll_forward(c->logp, c->logits, c->target, c->B, c->V);
}

static void nll_backward(void *v)
{
    nll_ctx *c = v;
    sp_logsoftmax_nll_backward(c->dlogits, c->logp, c->target, c->B, c->V, c->dloss);
}

static void test_nll(void)
{
    enum { B = 4, V = 6 };
    const int target[B] = { 0, 5, 2, 2 };
    float logits[B * V], logp[B * V], dlogits[B * V];
    fill(logits, B * V, -3, 3);
    logits[V] = 80.0f; // large logits stay finite
    nll_ctx c = { B, V, target, 0.75f, logits, logp, dlogits };
    double loss = sp_logsoftmax_nll_forward(logp, logits, target, B, V), ref = 0.0;
    for (int b = 0; b < B; b++) {
        double s = 0.0, z = 0.0;
        for (int v = 0; v < V; v++) s += exp(logp[b * V + v]);
        CHECK(fabs(s - 1.0) < 1e-5);
        for (int v = 0; v < V; v++) z += exp((double)logits[b * V + v] - 80.0);
        ref -= logits[b * V + target[b]] - (80.0 + log(z));
    }
    CHECK(fabs(loss - ref / B) < 1e-5 * fabs(ref / B));
    CHECK(sp_logsoftmax_nll_forward(logp, logits, NULL, B, V) == 0.0);
    logits[V] = 2.0f;
    fd_case fc = { "logsoftmax+nll", nll_loss, nll_backward, &c };
    fd_param ps[] = { { "logits", logits, dlogits, B * V, H_CURVED } };
    check_case(&fc, ps, 1);
}

// ----------------------------------------------------------------------------
// a whole tiny network

typedef struct {
    const char *name;
    float *p, *g;
    size_t n;
    double h;
    int zero; // > 0: gradient structurally 0 (a following norm removes a
              // constant shift); its analytic gradient must sit at the float
              // noise floor of the gradient of parameter zero - 1
} net_param;

enum {
    P_LN0_G, P_LN0_B, P_LOW, P_BAND, P_LN1_G, P_LN1_B, P_CW, P_CB, P_LN2_G, P_LN2_B,
    P_LN3_G, P_LN3_B, P_W1, P_B1, P_BN_G, P_BN_B, P_W2, P_B2, N_PARAMS
};

typedef struct {
    int B, T, P, K2, C2, D1, V;
    int T1, T1p, T2, T2p, D0;
    sp_sinc_spec s;
    float p_drop;
    net_param prm[N_PARAMS];
    const int *y;
    float *x, *a0, *m0, *s0, *s1, *taps, *a1, *p1, *l1, *m1, *v1, *r1, *c2, *p2, *l2, *m2, *v2,
        *r2, *l3, *m3, *v3, *h1, *n1, *bnm, *bnr, *rm, *rv, *r3, *d3, *mask, *z, *logp;
    int *am1, *am2;
    float *ws;
    // activation gradients
    float *da0, *ds1, *da1, *dp1, *dl1, *dr1, *dc2, *dp2, *dl2, *dr2, *dl3, *dh1, *dn1, *dr3,
        *dd3, *dz;
    uint64_t sig;  // which side of every kink the last forward was on
    double margin; // and how far from the nearest one it was
} net;

static float *P_(net *n, int i)
{
    return n->prm[i].p;
}

static float *G_(net *n, int i)
{
    return n->prm[i].g;
}

static void net_param_add(net *n, int i, const char *name, size_t size, double lo, double hi,
                          double h, int zero)
{
    net_param *p = &n->prm[i];
    p->name = name;
    p->n = size;
    p->p = fnew(size);
    p->g = fnew(size);
    p->h = h;
    p->zero = zero;
    if (hi > lo) fill(p->p, size, lo, hi);
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *c = data;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t sign_sig(uint64_t h, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char s = x[i] > 0.0f;
        h = fnv(h, &s, 1);
    }
    return h;
}

static double min_abs(double m, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) < m) m = fabs(x[i]);
    return m;
}

/* The smallest gap between the largest and second largest value of a
 * max-pool window: how far its argmax is from changing. */
static double pool_gap(double m, const float *x, int R, int T, int P)
{
    for (int r = 0; r < R; r++)
        for (int j = 0; j + P <= T; j += P) {
            const float *w = x + (size_t)r * T + j;
            double a = -INFINITY, b = -INFINITY;
            for (int i = 0; i < P; i++) {
                if (w[i] > a) b = a, a = w[i];
                else if (w[i] > b) b = w[i];
            }
            if (a - b < m) m = a - b;
        }
    return m;
}

static double net_forward(net *n)
{
    int B = n->B, F = n->s.F;
    sp_layernorm_forward(n->a0, n->m0, n->s0, n->x, P_(n, P_LN0_G), P_(n, P_LN0_B), B, 1, n->T,
                         SP_LAYERNORM_EPS);
    sp_sinc_forward(n->s1, n->taps, n->ws, n->a0, P_(n, P_LOW), P_(n, P_BAND), &n->s, B, n->T);
    sp_abs_forward(n->a1, n->s1, (size_t)B * F * n->T1);
    sp_maxpool_forward(n->p1, n->am1, n->a1, B * F, n->T1, n->P);
    sp_layernorm_forward(n->l1, n->m1, n->v1, n->p1, P_(n, P_LN1_G), P_(n, P_LN1_B), B, F, n->T1p,
                         SP_LAYERNORM_EPS);
    sp_act_forward(n->r1, n->l1, (size_t)B * F * n->T1p, SP_ACT_LEAKY_RELU);
    sp_conv1d_forward(n->c2, n->ws, n->r1, P_(n, P_CW), P_(n, P_CB), B, F, n->C2, n->T1p, n->K2);
    sp_maxpool_forward(n->p2, n->am2, n->c2, B * n->C2, n->T2, n->P);
    sp_layernorm_forward(n->l2, n->m2, n->v2, n->p2, P_(n, P_LN2_G), P_(n, P_LN2_B), B, n->C2,
                         n->T2p, SP_LAYERNORM_EPS);
    sp_act_forward(n->r2, n->l2, (size_t)B * n->D0, SP_ACT_TANH);
    sp_layernorm_forward(n->l3, n->m3, n->v3, n->r2, P_(n, P_LN3_G), P_(n, P_LN3_B), B, 1, n->D0,
                         SP_LAYERNORM_EPS);
    sp_dense_forward(n->h1, n->l3, P_(n, P_W1), P_(n, P_B1), B, n->D0, n->D1);
    sp_batchnorm_forward(n->n1, n->bnm, n->bnr, n->rm, n->rv, n->h1, P_(n, P_BN_G),
                         P_(n, P_BN_B), B, n->D1, SP_BATCHNORM_MOMENTUM, SP_BATCHNORM_EPS, 1);
    sp_act_forward(n->r3, n->n1, (size_t)B * n->D1, SP_ACT_LEAKY_RELU);
    sp_rng r;
    sp_rng_seed(&r, 77, 1); // the same dropout mask every forward
    sp_dropout_forward(n->d3, n->mask, n->r3, (size_t)B * n->D1, n->p_drop, &r, 1);
    sp_dense_forward(n->z, n->d3, P_(n, P_W2), P_(n, P_B2), B, n->D1, n->V);
    double loss = sp_logsoftmax_nll_forward(n->logp, n->z, n->y, B, n->V);

    /* Only the abs inputs a pool window selects matter: the others do not
     * reach the output, on either side of their kink. */
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t np1 = (size_t)B * F * n->T1p;
    double m = INFINITY;
    for (size_t i = 0; i < np1; i++) {
        float v = n->s1[i / n->T1p * n->T1 + n->am1[i]];
        unsigned char sg = v > 0.0f;
        h = fnv(h, &sg, 1);
        if (fabs(v) < m) m = fabs(v);
    }
    h = fnv(h, n->am1, np1 * sizeof(int));
    h = sign_sig(h, n->l1, (size_t)B * F * n->T1p);
    h = fnv(h, n->am2, (size_t)B * n->C2 * n->T2p * sizeof(int));
    h = sign_sig(h, n->n1, (size_t)B * n->D1);
    n->sig = h;
    m = pool_gap(m, n->a1, B * F, n->T1, n->P);
    m = min_abs(m, n->l1, (size_t)B * F * n->T1p);
    m = pool_gap(m, n->c2, B * n->C2, n->T2, n->P);
    n->margin = min_abs(m, n->n1, (size_t)B * n->D1);
    return loss;
}

static void net_backward(net *n)
{
    int B = n->B, F = n->s.F;
    float *acts[] = { n->da0, n->ds1, n->da1, n->dp1, n->dl1, n->dr1, n->dc2, n->dp2,
                      n->dl2, n->dr2, n->dl3, n->dh1, n->dn1, n->dr3, n->dd3, n->dz };
    size_t sizes[] = { (size_t)B * n->T, (size_t)B * F * n->T1, (size_t)B * F * n->T1,
                       (size_t)B * F * n->T1p, (size_t)B * F * n->T1p, (size_t)B * F * n->T1p,
                       (size_t)B * n->C2 * n->T2, (size_t)B * n->D0, (size_t)B * n->D0,
                       (size_t)B * n->D0, (size_t)B * n->D0, (size_t)B * n->D1,
                       (size_t)B * n->D1, (size_t)B * n->D1, (size_t)B * n->D1,
                       (size_t)B * n->V };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        memset(acts[i], 0, sizes[i] * sizeof(float));
    for (int i = 0; i < N_PARAMS; i++) memset(n->prm[i].g, 0, n->prm[i].n * sizeof(float));

    sp_logsoftmax_nll_backward(n->dz, n->logp, n->y, B, n->V, 1.0f);
    sp_dense_backward(n->dd3, G_(n, P_W2), G_(n, P_B2), n->dz, n->d3, P_(n, P_W2), B, n->D1,
                      n->V);
    sp_dropout_backward(n->dr3, n->dd3, n->mask, (size_t)B * n->D1);
    sp_act_backward(n->dn1, n->dr3, n->r3, (size_t)B * n->D1, SP_ACT_LEAKY_RELU);
    sp_batchnorm_backward(n->dh1, G_(n, P_BN_G), G_(n, P_BN_B), n->dn1, n->h1, n->bnm, n->bnr,
                          P_(n, P_BN_G), B, n->D1, 1);
    sp_dense_backward(n->dl3, G_(n, P_W1), G_(n, P_B1), n->dh1, n->l3, P_(n, P_W1), B, n->D0,
                      n->D1);
    sp_layernorm_backward(n->dr2, G_(n, P_LN3_G), G_(n, P_LN3_B), n->dl3, n->r2, n->m3, n->v3,
                          P_(n, P_LN3_G), B, 1, n->D0, SP_LAYERNORM_EPS);
    sp_act_backward(n->dl2, n->dr2, n->r2, (size_t)B * n->D0, SP_ACT_TANH);
    sp_layernorm_backward(n->dp2, G_(n, P_LN2_G), G_(n, P_LN2_B), n->dl2, n->p2, n->m2, n->v2,
                          P_(n, P_LN2_G), B, n->C2, n->T2p, SP_LAYERNORM_EPS);
    sp_maxpool_backward(n->dc2, n->dp2, n->am2, B * n->C2, n->T2, n->P);
    sp_conv1d_backward(n->dr1, G_(n, P_CW), G_(n, P_CB), n->ws, n->dc2, n->r1, P_(n, P_CW), B, F,
                       n->C2, n->T1p, n->K2);
    sp_act_backward(n->dl1, n->dr1, n->r1, (size_t)B * F * n->T1p, SP_ACT_LEAKY_RELU);
    sp_layernorm_backward(n->dp1, G_(n, P_LN1_G), G_(n, P_LN1_B), n->dl1, n->p1, n->m1, n->v1,
                          P_(n, P_LN1_G), B, F, n->T1p, SP_LAYERNORM_EPS);
    sp_maxpool_backward(n->da1, n->dp1, n->am1, B * F, n->T1, n->P);
    sp_abs_backward(n->ds1, n->da1, n->s1, (size_t)B * F * n->T1);
    sp_sinc_backward(n->da0, G_(n, P_LOW), G_(n, P_BAND), n->ws, n->ds1, n->a0, n->taps,
                     P_(n, P_LOW), P_(n, P_BAND), &n->s, B, n->T);
    sp_layernorm_backward(NULL, G_(n, P_LN0_G), G_(n, P_LN0_B), n->da0, n->x, n->m0, n->s0,
                          P_(n, P_LN0_G), B, 1, n->T, SP_LAYERNORM_EPS);
}

/* d NLL / d *x by central differences at steps h and h/2, combined by
 * Richardson extrapolation (with the steps actually taken after rounding
 * to float): D(s) = D + c s^2 + O(s^4), so
 *     fd = (D(s2) s1^2 - D(s1) s2^2) / (s1^2 - s2^2).
 * Returns 0 (no fd) when any of the four forwards is on another side of a
 * kink than the unperturbed one (signature sig0). */
static int net_fd(net *n, float *x, double h, uint64_t sig0, double *fd)
{
    double d[2], st[2];
    float save = *x;
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++, h /= 2) {
        *x = (float)(save + h);
        double xp = *x, lp = net_forward(n);
        ok = n->sig == sig0;
        *x = (float)(save - h);
        double xm = *x, lm = net_forward(n);
        ok = ok && n->sig == sig0;
        *x = save;
        d[k] = (lp - lm) / (xp - xm);
        st[k] = (xp - xm) / 2;
    }
    if (!ok) return 0;
    double a = st[0] * st[0], b = st[1] * st[1];
    *fd = (d[1] * a - d[0] * b) / (a - b);
    return 1;
}

#define MIN_MARGIN 1e-3
#define MAX_DRAWS 200

/* Every activation, cache and gradient buffer of test_network's net. */
static void net_alloc(net *n)
{
    int B = n->B, F = n->s.F;
    size_t bt = (size_t)B * n->T, s1 = (size_t)B * F * n->T1, p1 = (size_t)B * F * n->T1p;
    size_t c2 = (size_t)B * n->C2 * n->T2, d0 = (size_t)B * n->D0, d1 = (size_t)B * n->D1;
    n->x = fnew(bt), n->a0 = fnew(bt), n->m0 = fnew(B), n->s0 = fnew(B);
    n->s1 = fnew(s1), n->taps = fnew((size_t)F * n->s.K), n->a1 = fnew(s1);
    n->p1 = fnew(p1), n->l1 = fnew(p1), n->m1 = fnew((size_t)B * F), n->v1 = fnew((size_t)B * F);
    n->r1 = fnew(p1), n->c2 = fnew(c2), n->p2 = fnew(d0), n->l2 = fnew(d0);
    n->m2 = fnew((size_t)B * n->C2), n->v2 = fnew((size_t)B * n->C2), n->r2 = fnew(d0);
    n->l3 = fnew(d0), n->m3 = fnew(B), n->v3 = fnew(B), n->h1 = fnew(d1), n->n1 = fnew(d1);
    n->bnm = fnew(n->D1), n->bnr = fnew(n->D1), n->rm = fnew(n->D1), n->rv = fnew(n->D1);
    n->r3 = fnew(d1), n->d3 = fnew(d1), n->mask = fnew(d1), n->z = fnew((size_t)B * n->V);
    n->logp = fnew((size_t)B * n->V);
    n->am1 = sp_xcalloc(p1, sizeof(int)), n->am2 = sp_xcalloc(d0, sizeof(int));
    size_t ws1 = sp_sinc_workspace(&n->s, B, n->T), ws2 = sp_conv1d_workspace(B, F, n->C2, n->T1p, n->K2);
    n->ws = fnew(ws1 > ws2 ? ws1 : ws2);
    n->da0 = fnew(bt), n->ds1 = fnew(s1), n->da1 = fnew(s1), n->dp1 = fnew(p1), n->dl1 = fnew(p1);
    n->dr1 = fnew(p1), n->dc2 = fnew(c2), n->dp2 = fnew(d0), n->dl2 = fnew(d0), n->dr2 = fnew(d0);
    n->dl3 = fnew(d0), n->dh1 = fnew(d1), n->dn1 = fnew(d1), n->dr3 = fnew(d1), n->dd3 = fnew(d1);
    n->dz = fnew((size_t)B * n->V);
}

static void net_free(net *n)
{
    for (int i = 0; i < N_PARAMS; i++) free(n->prm[i].p), free(n->prm[i].g);
    float *bufs[] = { n->x, n->a0, n->m0, n->s0, n->s1, n->taps, n->a1, n->p1, n->l1, n->m1, n->v1,
                      n->r1, n->c2, n->p2, n->l2, n->m2, n->v2, n->r2, n->l3, n->m3, n->v3, n->h1,
                      n->n1, n->bnm, n->bnr, n->rm, n->rv, n->r3, n->d3, n->mask, n->z, n->logp,
                      n->ws, n->da0, n->ds1, n->da1, n->dp1, n->dl1, n->dr1, n->dc2, n->dp2, n->dl2,
                      n->dr2, n->dl3, n->dh1, n->dn1, n->dr3, n->dd3, n->dz };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(n->am1), free(n->am2);
}

/* One parameter tensor of test_network against finite differences (see
 * the comment in test_network). */
static void net_check_param(net *n, net_param *p, uint64_t sig0, double sigma, int *skipped, int *halved)
{
    enum { PER_PARAM = 4, MAX_TRIES = 40, HALVINGS = 3 };
    double dmax = 0.0, fmax = 0.0, gall = maxabs(p->g, p->n);
    double ent_d[PER_PARAM], ent_noise[PER_PARAM];
    size_t top = 0;
    for (size_t j = 1; j < p->n; j++)
        if (fabsf(p->g[j]) > fabsf(p->g[top])) top = j;
    int done = 0;
    for (int tries = 0; done < PER_PARAM && tries < MAX_TRIES; tries++) {
        if (p->n <= PER_PARAM && tries >= (int)p->n) break;
        size_t j = p->n <= PER_PARAM ? (size_t)tries
                   : tries == 0      ? top
                                     : (size_t)sp_rng_below(&trng, p->n);
        double fd = 0.0, h = p->h;
        int ok = 0;
        for (int k = 0; k <= HALVINGS; k++, h /= 2) {
            ok = net_fd(n, &p->p[j], h, sig0, &fd);
            if (ok) break;
            (*halved)++;
        }
        if (!ok) {
            (*skipped)++;
            continue;
        }
        double g = p->g[j];
        ent_d[done] = fabs(g - fd);
        ent_noise[done] = 2 * 3 * sigma / h;
        if (fabs(g - fd) > dmax) dmax = fabs(g - fd);
        if (fabs(fd) > fmax) fmax = fabs(fd);
        done++;
    }
    CHECK_MSG(done > 0, "network: no kink-free entry of %s", p->name);
    char what[64];
    if (p->zero) {
        net_param *ref = &n->prm[p->zero - 1];
        double fl = 1e-5 * maxabs(ref->g, ref->n);
        snprintf(what, sizeof what, "%s (zero)", p->name);
        record("network", what, gall);
        CHECK_MSG(gall <= fl && fmax <= 1e-3,
                  "network: %s gradient should vanish: analytic %.3g (floor %.3g), fd %.3g",
                  p->name, gall, fl, fmax);
    } else {
        double scale = fmax > gall ? fmax : gall;
        double e = scale > 0 ? dmax / scale : dmax;
        snprintf(what, sizeof what, "d loss/d %s", p->name);
        record("network", what, e);
        int bad = 0;
        for (int k = 0; k < done; k++) bad += ent_d[k] > FD_TOL * scale + ent_noise[k];
        CHECK_MSG(!bad,
                  "network: gradient of %s: max rel err %.3g > %g (max|g| %.3g) beyond the "
                  "rounding noise (sigma %.2g)", p->name, e, FD_TOL, scale, sigma);
    }
}

/* scale: the sinc layer's param_scale, 1 (Hz) or fs (normalised). */
static void test_network(float scale)
{
    static const int labels[4] = { 3, 0, 4, 1 };
    net n;
    memset(&n, 0, sizeof n);
    n.B = 4, n.T = 64, n.P = 2, n.K2 = 3, n.C2 = 3, n.D1 = 8, n.V = 5;
    n.s = sp_sinc_spec_make(4, 31, 16000.0f);
    n.s.param_scale = scale;
    n.p_drop = 0.25f;
    n.y = labels;
    n.T1 = n.T - n.s.K + 1, n.T1p = n.T1 / n.P;
    n.T2 = n.T1p - n.K2 + 1, n.T2p = n.T2 / n.P;
    n.D0 = n.C2 * n.T2p;
    int B = n.B, F = n.s.F;
    /* Steps: the NLL carries float rounding noise of ~1e-7 (measured
     * below), so steps of 4e-3 (and 2 Hz for the cut-offs, whose gradients
     * per Hz are small) keep its share of the difference quotient small,
     * and Richardson extrapolation removes the curvature error; halvings
     * (below) shrink the steps where a kink is near. */
    double hz = 1e-3 * n.s.fs / 8 / scale, hn = 4e-3; /* hz: 2 Hz in the parameters' units */
    net_param_add(&n, P_LN0_G, "input LN gamma", n.T, 0.5, 1.5, hn, 0);
    net_param_add(&n, P_LN0_B, "input LN beta", n.T, -0.3, 0.3, hn, 0);
    net_param_add(&n, P_LOW, scale == 1.0f ? "sinc low_hz" : "sinc low (/fs)", F, 0, 0, hz, 0);
    net_param_add(&n, P_BAND, scale == 1.0f ? "sinc band_hz" : "sinc band (/fs)", F, 0, 0, hz, 0);
    sp_sinc_init(P_(&n, P_LOW), P_(&n, P_BAND), &n.s);
    P_(&n, P_BAND)[F - 1] -= 500.0f / scale; // mel init puts it on the clamp's kink
    P_(&n, P_LOW)[1] = -P_(&n, P_LOW)[1];
    net_param_add(&n, P_LN1_G, "LN1 gamma", (size_t)F * n.T1p, 0.5, 1.5, hn, 0);
    net_param_add(&n, P_LN1_B, "LN1 beta", (size_t)F * n.T1p, -0.3, 0.3, hn, 0);
    net_param_add(&n, P_CW, "conv w", (size_t)n.C2 * F * n.K2, -0.5, 0.5, hn, 0);
    net_param_add(&n, P_CB, "conv bias", n.C2, -0.5, 0.5, hn, 1 + P_CW); // LN2 removes it
    net_param_add(&n, P_LN2_G, "LN2 gamma", (size_t)n.C2 * n.T2p, 0.5, 1.5, hn, 0);
    net_param_add(&n, P_LN2_B, "LN2 beta", (size_t)n.C2 * n.T2p, -0.3, 0.3, hn, 0);
    net_param_add(&n, P_LN3_G, "flat LN gamma", n.D0, 0.5, 1.5, hn, 0);
    net_param_add(&n, P_LN3_B, "flat LN beta", n.D0, -0.3, 0.3, hn, 1 + P_LN3_G); // BN does
    net_param_add(&n, P_W1, "dense1 w", (size_t)n.D1 * n.D0, -0.3, 0.3, hn, 0);
    net_param_add(&n, P_B1, "dense1 bias", n.D1, -0.3, 0.3, hn, 1 + P_W1); // BN removes it
    net_param_add(&n, P_BN_G, "BN gamma", n.D1, 0.5, 1.5, hn, 0);
    net_param_add(&n, P_BN_B, "BN beta", n.D1, -0.3, 0.3, hn, 0);
    net_param_add(&n, P_W2, "dense2 w", (size_t)n.V * n.D1, -0.5, 0.5, hn, 0);
    net_param_add(&n, P_B2, "dense2 bias", n.V, -0.3, 0.3, hn, 0);

    net_alloc(&n);
    /* A waveform: a few tones plus noise, different per example, drawn
     * again until every kink is at least MIN_MARGIN away (abs and leaky
     * inputs, the gap between a pool window's two largest values): then
     * the finite-difference steps below rarely cross one. */
    double loss = 0.0;
    int draws = 0;
    do {
        for (int b = 0; b < B; b++)
            for (int t = 0; t < n.T; t++)
                n.x[b * n.T + t] = (float)(0.5 * sin(2 * M_PI * (300 + 500 * b) * t / 16000.0)
                                           + 0.3 * sin(2 * M_PI * (2500 + 900 * b) * t / 16000.0)
                                           + 0.2 * urand(-1, 1));
        loss = net_forward(&n);
        draws++;
    } while (n.margin < MIN_MARGIN && draws < MAX_DRAWS);
    CHECK_MSG(n.margin >= MIN_MARGIN, "network: no input with kinks %g away in %d draws",
              MIN_MARGIN, draws);
    uint64_t sig0 = n.sig;
    net_backward(&n);
    CHECK(isfinite(loss));
    printf("network (sinc parameters %s): loss %.4f, %d-%d-%d-%d-%d, kink margin %.2g (input draw %d)\n",
           scale == 1.0f ? "in Hz" : "/ fs", loss, n.T,
           F * n.T1p, n.D0, n.D1, n.V, n.margin, draws);

    /* Up to PER_PARAM entries per parameter: the one with the largest
     * analytic gradient (so the scale is checked where it is largest) and
     * random others. The difference quotient is Richardson-extrapolated
     * from steps h and h/2 (error O(h^4)), since batch norm over 4 examples
     * is strongly curved. When a step crosses a kink (the kink signature
     * changes) h is halved, down to h/8, and failing that the entry is
     * skipped. The error reported is
     *     max |analytic - fd| / max(max |fd|, max |analytic over all entries|)
     * i.e. relative to the scale of that parameter's gradient. */
    /* The difference quotient's rounding noise: the loss is a float
     * computation, so it jitters by some sigma under any perturbation;
     * sigma is measured as the largest change of the loss when parameters
     * whose gradient is exactly 0 are moved (mathematically nothing
     * changes). The Richardson quotient from steps s and s/2 carries at
     * most 3 sigma / s of it; each entry may differ from the analytic
     * gradient by FD_TOL of the gradient's scale plus twice that. */
    double sigma = 0.0;
    for (int i = 0; i < N_PARAMS; i++) {
        net_param *p = &n.prm[i];
        if (!p->zero) continue;
        for (size_t j = 0; j < p->n; j++) {
            float save = p->p[j];
            for (int k = -2; k <= 2; k++) {
                p->p[j] = (float)(save + k * p->h / 2);
                double l = net_forward(&n);
                if (fabs(l - loss) > sigma) sigma = fabs(l - loss);
            }
            p->p[j] = save;
        }
    }
    net_forward(&n);
    int skipped = 0, halved = 0;
    for (int i = 0; i < N_PARAMS; i++) net_check_param(&n, &n.prm[i], sig0, sigma, &skipped, &halved);
    printf("network: loss rounding noise %.2g; %d steps halved, %d entries skipped (a kink "
           "within +-h)\n", sigma, halved, skipped);
    net_forward(&n);
    CHECK(n.sig == sig0);

    net_free(&n);
}

// ----------------------------------------------------------------------------
// sinc filtering by FFT: layer_sinc.c filters by FFT or by the folded GEMM,
// whichever its cost model says is faster for the sizes; SP_SINC_FILTER=fft
// or =gemm in the environment forces one, which these tests use to check
// both at realistic and odd sizes (N, the FFT length, is T or the next
// 2^a 3^b 5^c). An FFT's rounding error is spread evenly over its outputs
// (of order FLT_EPSILON log N times the norms), not bounded per element by
// that element's own terms as a direct sum's is, so the comparison with
// the naive loops is max-normalised: ~1e-6 expected, FFT_TOL allowed.
#define FFT_TOL 1e-5

/* Forward, then backward from zero gradients (dout = R), with the path
 * forced. */
static void sinc_run_path(sinc_ctx *c, const char *path)
{
    setenv("SP_SINC_FILTER", path, 1);
    memset(c->dinp, 0, (size_t)c->B * c->T * sizeof(float));
    memset(c->dlow, 0, (size_t)c->s.F * sizeof(float));
    memset(c->dband, 0, (size_t)c->s.F * sizeof(float));
    sinc_loss(c);
    sinc_backward(c);
    unsetenv("SP_SINC_FILTER");
}

static void test_sinc_fft(int F, int K, int B, int T)
{
    sinc_ctx c;
    sinc_ctx_init(&c, F, K, B, T, 1.0f);
    int Tout = T - K + 1, threads = openblas_get_num_threads();
    size_t no = (size_t)B * F * Tout, ni = (size_t)B * T;
    float *ref = fnew(no), *dinp_ref = fnew(ni), *dtaps = fnew((size_t)F * K);
    float *dlow_ref = fnew(F), *dband_ref = fnew(F);
    float *out_g = fnew(no), *dinp_g = fnew(ni), *out1 = fnew(no), *dinp1 = fnew(ni);
    float *dlow1 = fnew(F), *dband1 = fnew(F);
    // the naive loops with the same taps, and the taps gradient through the
    // same chain rule
    sp_sinc_taps(c.taps, c.low, c.band, &c.s);
    sp_conv1d_forward_naive(ref, c.inp, c.taps, NULL, B, 1, F, T, K);
    sp_conv1d_backward_naive(dinp_ref, dtaps, NULL, c.R, c.inp, c.taps, B, 1, F, T, K);
    sp_sinc_taps_backward(dlow_ref, dband_ref, dtaps, c.low, c.band, &c.s);
    sinc_run_path(&c, "gemm");
    memcpy(out_g, c.out, no * sizeof(float));
    memcpy(dinp_g, c.dinp, ni * sizeof(float));
    for (int nt = 1; nt <= 2; nt++) {
        char what[128];
        openblas_set_num_threads(nt); // the FFT path's thread count too
        sinc_run_path(&c, "fft");
#define SINC_FFT_WHAT(x) (snprintf(what, sizeof what, "%s T=%d K=%d B=%d thr=%d", x, T, K, B, nt), what)
        expect_close("sinc fft", SINC_FFT_WHAT("forward vs naive"), c.out, ref, no, FFT_TOL);
        expect_close("sinc fft", SINC_FFT_WHAT("forward vs gemm"), c.out, out_g, no, FFT_TOL);
        expect_close("sinc fft", SINC_FFT_WHAT("dinp vs naive"), c.dinp, dinp_ref, ni, FFT_TOL);
        expect_close("sinc fft", SINC_FFT_WHAT("dinp vs gemm"), c.dinp, dinp_g, ni, FFT_TOL);
        // the taps gradient, seen through the cut-offs (max-normalised)
        expect_close("sinc fft", SINC_FFT_WHAT("dlow vs naive dtaps"), c.dlow, dlow_ref, F, FFT_TOL);
        expect_close("sinc fft", SINC_FFT_WHAT("dband vs naive dtaps"), c.dband, dband_ref, F,
                     FFT_TOL);
        // the same bits again for the same thread count
        memcpy(out1, c.out, no * sizeof(float));
        memcpy(dinp1, c.dinp, ni * sizeof(float));
        memcpy(dlow1, c.dlow, F * sizeof(float));
        memcpy(dband1, c.dband, F * sizeof(float));
        sinc_run_path(&c, "fft");
        CHECK_MSG(!memcmp(out1, c.out, no * sizeof(float)) && !memcmp(dinp1, c.dinp, ni * sizeof(float))
                      && !memcmp(dlow1, c.dlow, F * sizeof(float))
                      && !memcmp(dband1, c.dband, F * sizeof(float)),
                  "sinc fft: %s: a second run differs", SINC_FFT_WHAT("determinism"));
        // NULL dinp: the same parameter gradients
        setenv("SP_SINC_FILTER", "fft", 1);
        memset(c.dlow, 0, F * sizeof(float));
        memset(c.dband, 0, F * sizeof(float));
        sp_sinc_backward(NULL, c.dlow, c.dband, c.ws, c.R, c.inp, c.taps, c.low, c.band, &c.s, B, T);
        unsetenv("SP_SINC_FILTER");
        CHECK_MSG(!memcmp(dlow1, c.dlow, F * sizeof(float)) && !memcmp(dband1, c.dband, F * sizeof(float)),
                  "sinc fft: %s: NULL dinp changes the cut-off gradients", SINC_FFT_WHAT("dinp NULL"));
#undef SINC_FFT_WHAT
    }
    openblas_set_num_threads(threads);
    free(ref), free(dinp_ref), free(dtaps), free(dlow_ref), free(dband_ref);
    free(out_g), free(dinp_g), free(out1), free(dinp1), free(dlow1), free(dband1);
    sinc_ctx_free(&c);
}

/* Finite differences through the FFT path (and that its backward adds),
 * on a small batch split unevenly over two threads. */
static void test_sinc_fft_grad(void)
{
    int threads = openblas_get_num_threads();
    openblas_set_num_threads(2);
    setenv("SP_SINC_FILTER", "fft", 1);
    sinc_ctx c;
    sinc_ctx_init(&c, 6, 65, 3, 151, 1.0f); // 6 filters: every branch of sinc_params, none on a kink
    double hz = 1e-3 * c.s.fs / 8;
    fd_case fc = { "sinc fft", sinc_loss, sinc_backward, &c };
    fd_param ps[] = { { "low_hz", c.low, c.dlow, 6, hz },
                      { "band_hz", c.band, c.dband, 6, hz },
                      { "input", c.inp, c.dinp, (size_t)c.B * c.T, H_LINEAR } };
    check_case(&fc, ps, 3);
    CHECK(c.dband[5] == 0.0f && c.dlow[5] != 0.0f); // the clamped filter
    sinc_ctx_free(&c);
    unsetenv("SP_SINC_FILTER");
    openblas_set_num_threads(threads);
}

/* The cap f1 <= fs/2 - min_band_hz: a filter whose low_p asks for more
 * passes fs/2 - 50 .. fs/2, with finite taps and zero gradients, under both
 * parameterisations; one just below the cap is unchanged. */
static void test_sinc_cap(float scale)
{
    sp_sinc_spec s = sp_sinc_spec_make(3, 31, 16000.0f);
    s.param_scale = scale;
    float low[3] = { 9000.0f / scale, -7960.0f / scale, 7890.0f / scale }, band[3] = { 100.0f / scale, 0.0f, 5.0f / scale };
    float f1[3], f2[3], taps[3 * 31], dtaps[3 * 31], dl[3] = { 0 }, db[3] = { 0 };
    sp_sinc_cutoffs(f1, f2, low, band, &s);
    CHECK_MSG(f1[0] == 7950.0f && f2[0] == 8000.0f && f1[1] == 7950.0f && f2[1] == 8000.0f,
              "cap (scale %g): f1 %g %g, f2 %g %g", scale, f1[0], f1[1], f2[0], f2[1]);
    CHECK_MSG(fabsf(f1[2] - 7940.0f) < 1e-3f && fabsf(f2[2] - 7995.0f) < 1e-3f, "below the cap (scale %g): %g-%g Hz", scale,
              f1[2], f2[2]);
    sp_sinc_taps(taps, low, band, &s);
    int finite = 1;
    for (int k = 0; k < 3 * 31; k++) finite &= isfinite(taps[k]);
    CHECK_MSG(finite, "cap (scale %g): taps not finite", scale);
    fill(dtaps, 3 * 31, -1, 1);
    sp_sinc_taps_backward(dl, db, dtaps, low, band, &s);
    CHECK(dl[0] == 0.0f && db[0] == 0.0f && dl[1] == 0.0f && db[1] == 0.0f && dl[2] != 0.0f && db[2] != 0.0f);
}

// ----------------------------------------------------------------------------

// ----------------------------------------------------------------------------
// inference kernels against the training layers one after the other

/* Equal as values, NaN where the reference has NaN. */
static int same_values(const float *a, const float *ref, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != ref[i] && !(a[i] != a[i] && ref[i] != ref[i])) return 0;
    return 1;
}

/* sp_block_tail_row against (|.| +) max-pool, then layer norm and the
 * activation: the same values (NaN included), rows long enough for the
 * vector loops and a remainder. Rows get ties, negative zeros and NaN. */
static void test_block_tail(int T, int P, int abs_, int norm, sp_act_kind act)
{
    const int C = 3, Tp = T / P;
    float *x = fnew((size_t)C * T), *xb = fnew((size_t)C * T), *ref = fnew((size_t)C * Tp), *ln = fnew((size_t)C * Tp);
    float *act_ref = fnew((size_t)C * Tp), *got = fnew((size_t)C * Tp), *mean = fnew(C), *sd = fnew(C);
    float *gamma = fnew((size_t)C * Tp), *beta = fnew((size_t)C * Tp), bias[3] = { 0.25f, -1.5f, 0.0f };
    int *am = sp_xcalloc((size_t)C * Tp, sizeof(int));
    fill(x, (size_t)C * T, -2, 2);
    fill(gamma, (size_t)C * Tp, 0.5, 1.5);
    fill(beta, (size_t)C * Tp, -0.5, 0.5);
    for (int i = 0; i + 1 < T; i += 7) x[i + 1] = x[i];          /* ties */
    for (int i = 3; i < T; i += 11) x[i] = -0.0f;                 /* signed zeros */
    x[(size_t)2 * T + T / 2] = NAN;                               /* the last row gets a NaN */
    for (int c = 0; c < C; c++)
        for (int t = 0; t < T; t++) xb[(size_t)c * T + t] = x[(size_t)c * T + t] + (abs_ ? 0.0f : bias[c]);
    if (abs_)
        sp_absmaxpool_forward(ref, am, xb, C, T, P);
    else
        sp_maxpool_forward(ref, am, xb, C, T, P);
    if (norm)
        sp_layernorm_act_forward(ln, act_ref, mean, sd, ref, gamma, beta, 1, C, Tp, SP_LAYERNORM_EPS, act);
    else
        sp_act_forward(act_ref, ref, (size_t)C * Tp, act);
    sp_block_tail t = { P, abs_, norm ? gamma : NULL, norm ? beta : NULL, SP_LAYERNORM_EPS, act };
    for (int c = 0; c < C; c++)
        sp_block_tail_row(got + (size_t)c * Tp, x + (size_t)c * T, abs_ ? 0.0f : bias[c], T, c, &t);
    char what[96];
    snprintf(what, sizeof what, "T %d P %d%s%s %s: the same values", T, P, abs_ ? " |.|" : "", norm ? " norm" : "",
             sp_act_name(act));
    record("block tail row", what, same_values(got, act_ref, (size_t)C * Tp) ? 0.0 : 1.0);
    CHECK_MSG(same_values(got, act_ref, (size_t)C * Tp), "block tail row: %s", what);
    free(x), free(xb), free(ref), free(ln), free(act_ref), free(got), free(mean), free(sd), free(gamma), free(beta);
    free(am);
}

/* sp_conv1d_infer (Winograd for 2-7 taps, im2col otherwise) against
 * sp_conv1d_maxpool_forward then layer norm and activation. */
static void test_conv_infer(int B, int Cin, int Cout, int T, int K, int P)
{
    int Tout = T - K + 1, Tp = Tout / P;
    size_t no = (size_t)B * Cout * Tp;
    float *x = fnew((size_t)B * Cin * T), *w = fnew((size_t)Cout * Cin * K), *bias = fnew(Cout);
    float *y = fnew((size_t)B * Cout * Tout), *pool = fnew(no), *ln = fnew(no), *ref = fnew(no), *got = fnew(no);
    float *gamma = fnew((size_t)Cout * Tp), *beta = fnew((size_t)Cout * Tp), *mean = fnew((size_t)B * Cout);
    float *sd = fnew((size_t)B * Cout);
    int *am = sp_xcalloc(no, sizeof(int));
    size_t wn = sp_conv1d_workspace(B, Cin, Cout, T, K), wi = sp_conv1d_infer_workspace(B, Cin, Cout, T, K);
    float *ws = fnew(wn > wi ? wn : wi);
    fill(x, (size_t)B * Cin * T, -1, 1);
    fill(w, (size_t)Cout * Cin * K, -0.3, 0.3);
    fill(bias, Cout, -0.5, 0.5);
    fill(gamma, (size_t)Cout * Tp, 0.5, 1.5);
    fill(beta, (size_t)Cout * Tp, -0.5, 0.5);
    sp_conv1d_maxpool_forward(y, pool, am, P, ws, x, w, bias, B, Cin, Cout, T, K);
    sp_layernorm_act_forward(ln, ref, mean, sd, pool, gamma, beta, B, Cout, Tp, SP_LAYERNORM_EPS, SP_ACT_TANH);
    sp_block_tail t = { P, 0, gamma, beta, SP_LAYERNORM_EPS, SP_ACT_TANH };
    sp_conv1d_infer(got, ws, x, w, bias, B, Cin, Cout, T, K, &t);
    char what[96];
    snprintf(what, sizeof what, "B %d %d -> %d x %d, T %d, pool %d (%s)", B, Cin, Cout, K, T, P,
             K >= 2 && K <= 7 ? "Winograd" : "im2col");
    /* tanh of a layer norm: values within [-1, 1]; Winograd's sums are
     * within ~1e-6 relative, the norm divides by the rows' deviation */
    expect_close("conv1d infer", what, got, ref, no, 1e-4);
    free(x), free(w), free(bias), free(y), free(pool), free(ln), free(ref), free(got), free(gamma), free(beta);
    free(mean), free(sd), free(am), free(ws);
}

/* sp_sinc_infer against sp_sinc_absmaxpool_forward then layer norm and
 * activation (without the norm: the pooled values, relative to their
 * largest). */
static void test_sinc_infer(int F, int K, int B, int T, int norm)
{
    sp_sinc_spec s = sp_sinc_spec_make(F, K, 16000.0f);
    int Tout = T - K + 1, Tp = Tout / 3;
    size_t no = (size_t)B * F * Tp;
    float *x = fnew((size_t)B * T), *low = fnew(F), *band = fnew(F), *taps = fnew((size_t)F * K);
    float *full = fnew((size_t)B * F * Tout), *pool = fnew(no), *ln = fnew(no), *ref = fnew(no), *got = fnew(no);
    float *gamma = fnew((size_t)F * Tp), *beta = fnew((size_t)F * Tp), *mean = fnew((size_t)B * F);
    float *sd = fnew((size_t)B * F);
    int *am = sp_xcalloc(no, sizeof(int));
    size_t wn = sp_sinc_workspace(&s, B, T), wi = sp_sinc_infer_workspace(&s, B, T);
    float *ws = fnew(wn > wi ? wn : wi);
    fill(x, (size_t)B * T, -1, 1);
    fill(gamma, (size_t)F * Tp, 0.5, 1.5);
    fill(beta, (size_t)F * Tp, -0.5, 0.5);
    sp_sinc_init(low, band, &s);
    sp_sinc_absmaxpool_forward(full, pool, am, 3, taps, ws, x, low, band, &s, B, T);
    if (norm)
        sp_layernorm_act_forward(ln, ref, mean, sd, pool, gamma, beta, B, F, Tp, SP_LAYERNORM_EPS, SP_ACT_LEAKY_RELU);
    else
        memcpy(ref, pool, no * sizeof *ref);
    sp_block_tail t = { 3, 1, norm ? gamma : NULL, norm ? beta : NULL, SP_LAYERNORM_EPS,
                        norm ? SP_ACT_LEAKY_RELU : SP_ACT_LINEAR };
    sp_sinc_infer(got, full, ws, x, taps, &s, B, T, &t);
    char what[96];
    snprintf(what, sizeof what, "F %d K %d B %d T %d%s", F, K, B, T, norm ? ", norm, leaky" : ", pooled |.|");
    expect_close("sinc infer", what, got, ref, no, norm ? 1e-4 : 1e-5);
    free(x), free(low), free(band), free(taps), free(full), free(pool), free(ln), free(ref), free(got);
    free(gamma), free(beta), free(mean), free(sd), free(am), free(ws);
}

static void test_infer_kernels(void)
{
    static const sp_act_kind acts[] = { SP_ACT_LINEAR, SP_ACT_RELU, SP_ACT_LEAKY_RELU, SP_ACT_TANH, SP_ACT_SIGMOID };
    for (int a = 0; a < 5; a++) {
        test_block_tail(2950, 3, 1, 1, acts[a]);
        test_block_tail(979, 3, 0, a % 2, acts[a]);
        test_block_tail(101, 2, a % 2, 1, acts[a]);
    }
    test_block_tail(47, 3, 1, 0, SP_ACT_LINEAR);
    for (int K = 2; K <= 9; K++) test_conv_infer(3, 5, 4, 60 + K, K, 3);
    test_conv_infer(5, 80, 60, 983, 5, 3); /* conv2 of the sincnet preset, several chunks */
    test_conv_infer(2, 1, 6, 300, 65, 3);  /* a first layer: im2col */
    test_sinc_infer(8, 251, 3, 3200, 1);
    test_sinc_infer(8, 251, 3, 3200, 0);
    test_sinc_infer(6, 129, 5, 1600, 1);
    test_sinc_infer(5, 31, 3, 257, 0);
    setenv("SP_SINC_FILTER", "gemm", 1);
    test_sinc_infer(6, 129, 2, 1600, 1);
    unsetenv("SP_SINC_FILTER");
}

int main(void)
{
    // each test draws from its own seeded stream: adding a test changes no other
    const char *env = getenv("SP_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : TEST_SEED;
    int stream = 0;
#define RUN(call) (sp_rng_seed(&trng, seed, stream++), call)
    RUN(test_sinc_init_and_taps());
    RUN(test_sinc_grad(1.0f));
    RUN(test_sinc_vs_naive());

    RUN(test_conv_grad(2, 3, 4, 12, 3, "conv1d"));
    RUN(test_conv_grad(2, 1, 3, 20, 5, "conv1d first layer (Cin 1)"));
    RUN(test_conv_vs_naive(3, 5, 7, 40, 5));
    RUN(test_conv_vs_naive(2, 1, 8, 300, 65));
    RUN(test_conv_vs_naive(2, 16, 12, 60, 5));
    RUN(test_conv_vs_naive(1, 2, 1, 5, 5));
    RUN(test_conv_maxpool_fused(3, 4, 5, 40, 5, 3));
    RUN(test_conv_maxpool_fused(9, 80, 60, 120, 5, 3));
    RUN(test_conv_maxpool_fused(2, 3, 2, 31, 3, 2));

    RUN(test_elementwise());
    RUN(test_pool());
    RUN(test_layernorm(2, 3, 7, "layernorm [B][C][T]"));
    RUN(test_layernorm(3, 1, 20, "layernorm [B][T]"));
    RUN(test_batchnorm(5, 6));
    RUN(test_dropout());
    RUN(test_dense(3, 5, 4));
    RUN(test_nll());
    RUN(test_network(1.0f));
    RUN(test_sinc_fft(8, 251, 3, 3200));
    RUN(test_sinc_fft(8, 129, 3, 1600));
    RUN(test_sinc_fft(8, 65, 3, 800));
    RUN(test_sinc_fft(3, 251, 2, 701)); // N = 720 > T: zero padding
    RUN(test_sinc_fft(5, 31, 5, 257));  // odd T, N = 270; 5 examples over 2 threads
    RUN(test_sinc_fft_grad());
    // [model] sinc_param = normalised: parameters stored divided by fs
    RUN(test_sinc_grad(16000.0f));
    RUN(test_network(16000.0f));
    RUN(test_sinc_cap(1.0f));
    RUN(test_sinc_cap(16000.0f));
    RUN(test_infer_kernels());

    printf("\n%-28s %-44s %s\n", "layer", "check", "max rel err");
    for (int i = 0; i < n_rows; i++)
        printf("%-28s %-44s %.2e\n", rows[i].layer, rows[i].what, rows[i].err);
    return sp_test_result("test_layers");
}
