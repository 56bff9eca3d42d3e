/* test_gradsnr.c - the online gradient SNR (src/gradsnr.c) against known
 * answers:
 * - the online accumulator equals a direct two-pass computation on stored
 *   gradients (mean, population std per element, their norms, the norms'
 *   mean and std), on random gradients with a large common offset (where
 *   a naive sum-of-squares loses digits);
 * - constructed gradients with a known SNR: g_b = m + s_b d with
 *   s_b = +-1 alternating (B even) gives mean m, std |d| per element, so
 *   snr = ||m|| / ||d|| exactly;
 * - fewer than 2 batches: std and snr NaN; zero variance: snr +inf;
 * - reset; the transition (argmin of the finite difference). */
#include "analysis/gradsnr.h"
#include "base/rng.h"
#include "testlib.h"

#include <math.h>

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1e-300, fmax(fabs(a), fabs(b)));
}

static void two_pass(void)
{
    enum { N = 257, B = 37 };
    static float g[B][N];
    sp_rng r;
    sp_rng_seed(&r, 42, 0);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) g[b][i] = (float)(100.0 + 3.0 * sin(i) + 0.01 * sp_rng_normal(&r));
    sp_gradsnr_acc a;
    sp_error err;
    CHECK(sp_gradsnr_init(&a, N, &err) == 0);
    for (int b = 0; b < B; b++) sp_gradsnr_add(&a, g[b]);
    sp_gradsnr_stats s;
    sp_gradsnr_get(&a, &s);
    /* the direct computation */
    double mm = 0, vv = 0, nrm[B], nm = 0, nv = 0;
    for (int i = 0; i < N; i++) {
        double m = 0, v = 0;
        for (int b = 0; b < B; b++) m += g[b][i];
        m /= B;
        for (int b = 0; b < B; b++) v += (g[b][i] - m) * (g[b][i] - m);
        mm += m * m;
        vv += v / B;
    }
    for (int b = 0; b < B; b++) {
        double q = 0;
        for (int i = 0; i < N; i++) q += (double)g[b][i] * g[b][i];
        nrm[b] = sqrt(q);
        nm += nrm[b];
    }
    nm /= B;
    for (int b = 0; b < B; b++) nv += (nrm[b] - nm) * (nrm[b] - nm);
    double mean_norm = sqrt(mm), std_norm = sqrt(vv), norm_std = sqrt(nv / B);
    CHECK(s.batches == B);
    CHECK_MSG(close_rel(s.mean_norm, mean_norm, 1e-12), "mean_norm %.15g vs %.15g", s.mean_norm, mean_norm);
    CHECK_MSG(close_rel(s.std_norm, std_norm, 1e-8), "std_norm %.15g vs %.15g", s.std_norm, std_norm);
    CHECK_MSG(close_rel(s.snr, mean_norm / std_norm, 1e-8), "snr %.15g vs %.15g", s.snr, mean_norm / std_norm);
    CHECK_MSG(close_rel(s.norm_mean, nm, 1e-12), "norm_mean %.15g vs %.15g", s.norm_mean, nm);
    CHECK_MSG(close_rel(s.norm_std, norm_std, 1e-6), "norm_std %.15g vs %.15g", s.norm_std, norm_std);
    CHECK_MSG(close_rel(s.norm_snr, nm / norm_std, 1e-6), "norm_snr %.15g vs %.15g", s.norm_snr, nm / norm_std);
    printf("gradsnr two-pass: snr %.12g (direct %.12g), norm_snr %.12g (direct %.12g)\n", s.snr,
           mean_norm / std_norm, s.norm_snr, nm / norm_std);
    /* reset, then the same batches again: the same numbers */
    sp_gradsnr_reset(&a);
    CHECK(a.count == 0);
    for (int b = 0; b < B; b++) sp_gradsnr_add(&a, g[b]);
    sp_gradsnr_stats s2;
    sp_gradsnr_get(&a, &s2);
    CHECK(s2.snr == s.snr && s2.norm_snr == s.norm_snr);
    sp_gradsnr_free(&a);
}

/* g_b = m + (+-1) d: per element mean m_i, population std |d_i|. */
static void known_snr(double want)
{
    enum { N = 100, B = 64 };
    float g[N], m[N], d[N];
    double m2 = 0, d2 = 0;
    for (int i = 0; i < N; i++) {
        m[i] = (float)(0.5 + 0.01 * i);
        d[i] = (float)(1.0 - 0.005 * i);
        m2 += (double)m[i] * m[i];
        d2 += (double)d[i] * d[i];
    }
    /* scale m so that ||m|| / ||d|| = want */
    double k = want * sqrt(d2 / m2);
    for (int i = 0; i < N; i++) m[i] = (float)(k * m[i]);
    m2 = 0;
    for (int i = 0; i < N; i++) m2 += (double)m[i] * m[i];
    double exact = sqrt(m2 / d2);
    sp_gradsnr_acc a;
    sp_error err;
    CHECK(sp_gradsnr_init(&a, N, &err) == 0);
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < N; i++) g[i] = (float)((double)m[i] + (b % 2 ? -1.0 : 1.0) * d[i]);
        sp_gradsnr_add(&a, g);
    }
    sp_gradsnr_stats s;
    sp_gradsnr_get(&a, &s);
    CHECK_MSG(close_rel(s.snr, exact, 1e-6), "constructed snr %.10g, want %.10g", s.snr, exact);
    CHECK_MSG(close_rel(s.mean_norm, sqrt(m2), 1e-6), "mean_norm %.10g, want %.10g", s.mean_norm, sqrt(m2));
    CHECK_MSG(close_rel(s.std_norm, sqrt(d2), 1e-6), "std_norm %.10g, want %.10g", s.std_norm, sqrt(d2));
    printf("gradsnr constructed: want %.6g, got %.10g\n", exact, s.snr);
    sp_gradsnr_free(&a);
}

static void edges(void)
{
    float g[3] = { 1, 2, 2 };
    sp_gradsnr_acc a;
    sp_error err;
    CHECK(sp_gradsnr_init(&a, 3, &err) == 0);
    sp_gradsnr_stats s;
    sp_gradsnr_get(&a, &s);
    CHECK(s.batches == 0 && isnan(s.mean_norm) && isnan(s.snr));
    sp_gradsnr_add(&a, g);
    sp_gradsnr_get(&a, &s);
    CHECK(s.batches == 1 && fabs(s.mean_norm - 3) < 1e-12 && isnan(s.std_norm) && isnan(s.snr) && isnan(s.norm_snr));
    sp_gradsnr_add(&a, g); /* identical batches: zero spread */
    sp_gradsnr_get(&a, &s);
    CHECK(s.std_norm == 0 && isinf(s.snr) && s.snr > 0 && fabs(s.norm_mean - 3) < 1e-12 && isinf(s.norm_snr));
    sp_gradsnr_free(&a);
}

static void transition(void)
{
    double md;
    double one[1] = { 5 };
    CHECK(sp_gradsnr_transition(one, 1, &md) == -1 && isnan(md));
    CHECK(sp_gradsnr_transition(one, 0, &md) == -1);
    /* rises, then the largest drop from index 3 to 4 (-7), then smaller drops */
    double s[7] = { 1, 3, 6, 9, 2, 1.5, 1 };
    CHECK(sp_gradsnr_transition(s, 7, &md) == 4 && md == -7);
    double n[4] = { 1, NAN, 4, 2 };
    CHECK(sp_gradsnr_transition(n, 4, &md) == 3 && md == -2);
    double allnan[3] = { NAN, 1, NAN };
    CHECK(sp_gradsnr_transition(allnan, 3, &md) == -1 && isnan(md));
}

int main(void)
{
    two_pass();
    known_snr(0.1);
    known_snr(1.0);
    known_snr(25.0);
    edges();
    transition();
    return sp_test_result("test_gradsnr");
}
