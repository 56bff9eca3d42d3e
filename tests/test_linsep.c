/* test_linsep.c - the logistic-regression probe (src/linsep.c) against
 * known answers:
 * - linearly separable classes (4 well-apart clusters): held-out
 *   accuracy 1;
 * - random labels on Gaussian features: accuracy near chance;
 * - two classes N(-mu e1, I) and N(+mu e1, I) in 2-D, mu = 1, equal
 *   priors: the Bayes rate Phi(1) = 0.8413; the probe's held-out accuracy
 *   must be within 0.04 of it (1000 test rows: sd 0.012);
 * - the objective's analytic gradient against central finite differences;
 * - chance = the test accuracy of the most frequent training class;
 *   unlabelled rows (-1) left out; the split is deterministic; refusals. */
#include "analysis/linsep.h"
#include "base/rng.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>

static void separable(void)
{
    enum { N = 400, D = 5, C = 4 };
    static float X[N * D];
    static int y[N];
    sp_rng r;
    sp_rng_seed(&r, 1, 0);
    for (int i = 0; i < N; i++) {
        y[i] = i % C;
        for (int d = 0; d < D; d++) X[i * D + d] = (float)((d == y[i] ? 5.0 : 0.0) + 0.3 * sp_rng_normal(&r));
    }
    sp_linsep_opts o;
    sp_linsep_defaults(&o);
    sp_linsep_result res;
    sp_error err;
    CHECK_MSG(sp_linsep_eval(X, N, D, y, C, &o, &res, &err) == 0, "%s", err.msg);
    printf("linsep separable: accuracy %.4f train %.4f chance %.4f (%ld/%ld)\n", res.accuracy, res.train_accuracy,
           res.chance, res.n_train, res.n_test);
    CHECK(res.n_test == 100 && res.n_train == 300);
    CHECK_MSG(res.accuracy == 1.0 && res.train_accuracy == 1.0, "separable: accuracy %.4f", res.accuracy);
    CHECK(res.chance > 0.1 && res.chance < 0.4);
    /* determinism: the same call, the same numbers; another seed, another split */
    sp_linsep_result r2;
    CHECK(sp_linsep_eval(X, N, D, y, C, &o, &r2, &err) == 0);
    CHECK(r2.accuracy == res.accuracy && r2.chance == res.chance);
}

static void random_labels(void)
{
    enum { N = 1200, D = 10, C = 4 };
    static float X[N * D];
    static int y[N];
    sp_rng r;
    sp_rng_seed(&r, 2, 0);
    for (int i = 0; i < N; i++) {
        y[i] = (int)sp_rng_below(&r, C);
        for (int d = 0; d < D; d++) X[i * D + d] = (float)sp_rng_normal(&r);
    }
    sp_linsep_opts o;
    sp_linsep_defaults(&o);
    sp_linsep_result res;
    sp_error err;
    CHECK_MSG(sp_linsep_eval(X, N, D, y, C, &o, &res, &err) == 0, "%s", err.msg);
    printf("linsep random labels: accuracy %.4f train %.4f chance %.4f\n", res.accuracy, res.train_accuracy,
           res.chance);
    /* 300 test rows at p = 0.25: sd 0.025; allow +-0.1 */
    CHECK_MSG(fabs(res.accuracy - 0.25) < 0.1, "random labels: accuracy %.4f, want ~0.25", res.accuracy);
    CHECK(fabs(res.chance - 0.25) < 0.1);
}

static void bayes(void)
{
    enum { N = 4000, D = 2 };
    static float X[N * D];
    static int y[N];
    sp_rng r;
    sp_rng_seed(&r, 3, 0);
    for (int i = 0; i < N; i++) {
        y[i] = i & 1;
        X[i * D] = (float)((y[i] ? 1.0 : -1.0) + sp_rng_normal(&r));
        X[i * D + 1] = (float)sp_rng_normal(&r);
    }
    sp_linsep_opts o;
    sp_linsep_defaults(&o);
    sp_linsep_result res;
    sp_error err;
    CHECK_MSG(sp_linsep_eval(X, N, D, y, 2, &o, &res, &err) == 0, "%s", err.msg);
    double rate = 0.5 * (1 + erf(1 / sqrt(2.0)));
    printf("linsep 2 gaussians: accuracy %.4f (bayes rate %.4f) train %.4f chance %.4f\n", res.accuracy, rate,
           res.train_accuracy, res.chance);
    CHECK_MSG(fabs(res.accuracy - rate) < 0.04, "2 gaussians: accuracy %.4f, bayes %.4f", res.accuracy, rate);
    CHECK(res.n_test == 1000);
}

static void gradient(void)
{
    enum { N = 30, D = 4, C = 3, P = C * (D + 1) };
    float X[N * D];
    int y[N];
    double th[P], g[P], g2[P];
    sp_rng r;
    sp_rng_seed(&r, 4, 0);
    for (int i = 0; i < N * D; i++) X[i] = (float)sp_rng_normal(&r);
    for (int i = 0; i < N; i++) y[i] = (int)sp_rng_below(&r, C);
    for (int k = 0; k < P; k++) th[k] = 0.5 * sp_rng_normal(&r);
    double l2 = 0.1;
    sp_linsep_objective(X, N, D, y, C, l2, th, g);
    double worst = 0;
    for (int k = 0; k < P; k++) {
        double h = 1e-3, keep = th[k];
        th[k] = keep + h;
        double fp = sp_linsep_objective(X, N, D, y, C, l2, th, g2);
        th[k] = keep - h;
        double fm = sp_linsep_objective(X, N, D, y, C, l2, th, g2);
        th[k] = keep;
        double fd = (fp - fm) / (2 * h), e = fabs(fd - g[k]);
        if (e > worst) worst = e;
        CHECK_MSG(e < 1e-4 + 1e-3 * fabs(fd), "d/dtheta[%d]: analytic %.8g, finite difference %.8g", k, g[k], fd);
    }
    printf("linsep gradient vs central differences: worst absolute error %.2e\n", worst);
}

static void chance_and_unlabelled(void)
{
    enum { N = 200, D = 3, C = 5 };
    static float X[N * D];
    static int y[N];
    sp_rng r;
    sp_rng_seed(&r, 5, 0);
    long labelled = 0;
    for (int i = 0; i < N; i++) {
        y[i] = i % 10 == 9 ? -1 : (i % 4 ? 2 : 4); /* 3/4 class 2 */
        labelled += y[i] >= 0;
        for (int d = 0; d < D; d++) X[i * D + d] = (float)sp_rng_normal(&r);
    }
    sp_linsep_opts o;
    sp_linsep_defaults(&o);
    o.test_fraction = 0.5;
    o.seed = 99;
    sp_linsep_result res;
    sp_error err;
    CHECK_MSG(sp_linsep_eval(X, N, D, y, C, &o, &res, &err) == 0, "%s", err.msg);
    CHECK_MSG(res.n_train + res.n_test == labelled, "%ld + %ld rows, want %ld", res.n_train, res.n_test, labelled);
    /* chance: the share of class 2 among the test rows */
    CHECK_MSG(res.chance > 0.6 && res.chance < 0.9, "chance %.4f, want ~0.75", res.chance);
    CHECK(res.accuracy >= res.chance - 0.1);
    o.test_fraction = 1.5;
    CHECK(sp_linsep_eval(X, N, D, y, C, &o, &res, &err) == -1 && strstr(err.msg, "test_fraction"));
    sp_linsep_defaults(&o);
    CHECK(sp_linsep_eval(X, N, D, y, 1, &o, &res, &err) == -1 && strstr(err.msg, "classes"));
    int none[3] = { -1, -1, 7 };
    CHECK(sp_linsep_eval(X, 3, D, none, C, &o, &res, &err) == -1 && strstr(err.msg, "labelled rows"));
}

int main(void)
{
    separable();
    random_labels();
    bayes();
    gradient();
    chance_and_unlabelled();
    return sp_test_result("test_linsep");
}
