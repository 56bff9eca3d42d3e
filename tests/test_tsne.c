/* test_tsne.c - pca.h, tsne.h, scatter.h and phoneclass.h against known
 * answers: PCA of data with an exactly known covariance recovers its
 * eigenvalues, eigenvectors (signs fixed) and explained variance;
 * perplexity calibration gives rows of entropy ln(perplexity); the
 * vantage-point tree's neighbours equal brute force (ties included); the
 * exact gradient equals finite differences of the KL divergence;
 * Barnes-Hut with theta 0 and all neighbours equals exact t-SNE (P,
 * gradient, KL) and with theta 0.5 is close; trustworthiness and 10-NN
 * preservation of an isometry are 1 and of a random map low; separated
 * Gaussian clusters stay separated; the result is bit-identical on 1 and
 * 2 threads; the scatter plot writes a PNG and an SVG; the 48 phones all
 * have a broad class; and both probes in analyse mode, through the host's
 * chain: their files, summary rows and numbers (the pca probe's equal
 * sp_pca_f's, the tsne map of clusters is trustworthy). */
#include "config.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/npy.h"
#include "analysis/pca.h"
#include "probe/probe_host.h"
#include "base/util.h"
#include "analysis/phoneclass.h"
#include "plot/scatter.h"
#include "testlib.h"
#include "analysis/tsne.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static uint64_t rs = 12345;
static double unif(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}
static double gauss(void)
{
    double u = unif(), v = unif();
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* Columns of A [N][D] made orthogonal, centred, each of variance 1. */
static void whiten(double *A, long N, int D)
{
    for (int c = 0; c < D; c++) {
        double m = 0;
        for (long i = 0; i < N; i++) m += A[i * D + c];
        for (long i = 0; i < N; i++) A[i * D + c] -= m / N;
    }
    for (int c = 0; c < D; c++) {
        for (int b = 0; b < c; b++) {
            double dot = 0;
            for (long i = 0; i < N; i++) dot += A[i * D + c] * A[i * D + b];
            for (long i = 0; i < N; i++) A[i * D + c] -= dot * A[i * D + b] / (N - 1);
        }
        double ss = 0;
        for (long i = 0; i < N; i++) ss += A[i * D + c] * A[i * D + c];
        double s = sqrt((N - 1) / ss);
        for (long i = 0; i < N; i++) A[i * D + c] *= s;
    }
}

static void test_pca(void)
{
    enum { N = 400, D = 5 };
    static const double l[D] = { 9, 4, 1, 0.25, 0.04 };
    double *Z = malloc(sizeof(double) * N * D), R[D][D], *X = malloc(sizeof(double) * N * D);
    for (long i = 0; i < (long)N * D; i++) Z[i] = gauss();
    whiten(Z, N, D);
    /* R: a random orthogonal matrix (Gram-Schmidt of random rows) */
    for (int a = 0; a < D; a++) {
        for (int c = 0; c < D; c++) R[a][c] = gauss();
        for (int b = 0; b < a; b++) {
            double dot = 0;
            for (int c = 0; c < D; c++) dot += R[a][c] * R[b][c];
            for (int c = 0; c < D; c++) R[a][c] -= dot * R[b][c];
        }
        double n = 0;
        for (int c = 0; c < D; c++) n += R[a][c] * R[a][c];
        for (int c = 0; c < D; c++) R[a][c] /= sqrt(n);
    }
    /* X = 3 + Z diag(sqrt l) R: covariance sum_a l_a r_a r_a^T exactly */
    for (long i = 0; i < N; i++)
        for (int c = 0; c < D; c++) {
            double v = 3;
            for (int a = 0; a < D; a++) v += Z[i * D + a] * sqrt(l[a]) * R[a][c];
            X[i * D + c] = v;
        }
    double Y[N * 2], ev[2], total, comp[2 * D];
    sp_error err;
    CHECK(sp_pca_d(X, N, D, 2, Y, ev, &total, comp, &err) == 0);
    CHECK_MSG(fabs(ev[0] - 9) < 1e-9 && fabs(ev[1] - 4) < 1e-9, "eigenvalues %.12g %.12g", ev[0], ev[1]);
    CHECK_MSG(fabs(total - 14.29) < 1e-9, "total %.12g", total);
    CHECK(fabs((ev[0] + ev[1]) / total - 13 / 14.29) < 1e-10);
    for (int j = 0; j < 2; j++) {
        double dot = 0;
        int arg = 0;
        for (int c = 0; c < D; c++) {
            dot += comp[j * D + c] * R[j][c];
            if (fabs(comp[j * D + c]) > fabs(comp[j * D + arg])) arg = c;
        }
        CHECK_MSG(fabs(fabs(dot) - 1) < 1e-9, "component %d . r = %g", j, dot);
        CHECK_MSG(comp[j * D + arg] > 0, "component %d's largest entry is negative", j);
        double m = 0, v = 0;
        for (long i = 0; i < N; i++) m += Y[i * 2 + j];
        for (long i = 0; i < N; i++) v += (Y[i * 2 + j] - m / N) * (Y[i * 2 + j] - m / N);
        CHECK_MSG(fabs(m / N) < 1e-9 && fabs(v / (N - 1) - l[j]) < 1e-9, "score %d mean %g var %g", j, m / N, v / (N - 1));
    }
    /* float input agrees; a sign flip of the data flips no component */
    float *Xf = malloc(sizeof(float) * N * D);
    for (long i = 0; i < (long)N * D; i++) Xf[i] = (float)X[i];
    double Yf[N * 2], evf[2];
    CHECK(sp_pca_f(Xf, N, D, 2, Yf, evf, NULL, NULL, &err) == 0);
    CHECK(fabs(evf[0] - 9) < 1e-4 && fabs(evf[1] - 4) < 1e-4);
    for (long i = 0; i < (long)N * D; i++) X[i] = -X[i];
    double Y2[N * 2], comp2[2 * D];
    CHECK(sp_pca_d(X, N, D, 2, Y2, NULL, NULL, comp2, &err) == 0);
    CHECK(memcmp(comp, comp2, sizeof comp) == 0 || fabs(comp[0] - comp2[0]) < 1e-12);
    /* more dimensions than rows (the Gram path): X isometrically in 2N
     * dimensions, X E with E [D][2N] of orthonormal rows (unit vectors of
     * a random permutation of axes with random signs, mixed by R) has the
     * same spectrum, and scores equal up to each column's sign */
    {
        int W = 2 * N;
        double *E = calloc((size_t)D * W, sizeof *E), *XW = malloc(sizeof(double) * N * W);
        for (int a = 0; a < D; a++) E[(size_t)a * W + (a * 37 + 11) % W] = a % 2 ? -1 : 1;
        for (long i = 0; i < N; i++)
            for (int c = 0; c < W; c++) {
                double v = 0;
                for (int a = 0; a < D; a++) v += X[i * D + a] * E[(size_t)a * W + c];
                XW[i * W + c] = v;
            }
        double YW[N * 2], evw[2], totw;
        CHECK(sp_pca_d(XW, N, W, 2, YW, evw, &totw, NULL, &err) == 0);
        CHECK_MSG(fabs(evw[0] - 9) < 1e-9 && fabs(evw[1] - 4) < 1e-9 && fabs(totw - 14.29) < 1e-9,
                  "gram: eigenvalues %.12g %.12g total %.12g", evw[0], evw[1], totw);
        double e = 0;
        for (int j = 0; j < 2; j++) {
            double sg = YW[j] * Y2[j] < 0 ? -1 : 1;
            for (long i = 0; i < N; i++) e = fmax(e, fabs(YW[i * 2 + j] - sg * Y2[i * 2 + j]));
        }
        CHECK_MSG(e < 1e-9, "gram scores differ by %g", e);
        free(E), free(XW);
    }
    CHECK(sp_pca_d(X, 1, D, 2, Y2, NULL, NULL, NULL, &err) == -1 && strstr(err.msg, "rows"));
    CHECK(sp_pca_d(X, N, D, 6, Y2, NULL, NULL, NULL, &err) == -1);
    free(Z), free(X), free(Xf);
}

static void test_calibrate(void)
{
    double d2[200], p[200];
    for (int r = 0; r < 5; r++) {
        int n = 50 + 30 * r;
        for (int j = 0; j < n; j++) d2[j] = (r + 1) * 10 * unif();
        double perp = 5 + 5 * r;
        sp_tsne_calibrate(d2, n, perp, p);
        double H = 0, s = 0;
        for (int j = 0; j < n; j++) {
            s += p[j];
            if (p[j] > 0) H -= p[j] * log(p[j]);
        }
        CHECK_MSG(fabs(H - log(perp)) < 1e-8 && fabs(s - 1) < 1e-12, "row %d: H %.12g, ln perp %.12g", r, H, log(perp));
    }
}

static void test_knn(void)
{
    enum { N = 600, D = 4, K = 12 };
    double *X = malloc(sizeof(double) * N * D);
    for (long i = 0; i < (long)N * D; i++) X[i] = gauss();
    /* exact duplicates and a grid make ties */
    for (int i = 0; i < 40; i++) memcpy(X + (size_t)(100 + i) * D, X + (size_t)i * D, sizeof(double) * D);
    for (int i = 200; i < 300; i++)
        for (int c = 0; c < D; c++) X[(size_t)i * D + c] = (double)((i + c) % 3);
    long *a = malloc(sizeof(long) * N * K), *b = malloc(sizeof(long) * N * K);
    double *da = malloc(sizeof(double) * N * K), *db = malloc(sizeof(double) * N * K);
    sp_error err;
    CHECK(sp_tsne_knn_vptree(X, N, D, K, 7, a, da, &err) == 0);
    CHECK(sp_tsne_knn_brute(X, N, D, K, b, db, &err) == 0);
    long diff = 0;
    for (long i = 0; i < (long)N * K; i++) diff += a[i] != b[i] || da[i] != db[i];
    CHECK_MSG(diff == 0, "%ld of %d neighbours differ", diff, N * K);
    CHECK(sp_tsne_knn_vptree(X, N, D, N, 7, a, da, &err) == -1);
    free(X), free(a), free(b), free(da), free(db);
}

static void test_gradients(void)
{
    enum { N = 40, D = 4 };
    double X[N * D], Y[N * 2], g[N * 2], gb[N * 2], *P = malloc(sizeof(double) * N * N);
    for (int i = 0; i < N * D; i++) X[i] = gauss();
    for (int i = 0; i < N * 2; i++) Y[i] = gauss();
    sp_error err;
    CHECK(sp_tsne_p_exact(X, N, D, 8, P, &err) == 0);
    double s = 0;
    for (int i = 0; i < N * N; i++) s += P[i];
    CHECK(fabs(s - 1) < 1e-12);
    double kl = sp_tsne_grad_exact(P, Y, N, 1.0, g, 1);
    /* central differences of KL */
    double emax = 0, gmax = 0, tmp[N * 2];
    for (int c = 0; c < N * 2; c++) {
        double h = 1e-5, y0 = Y[c];
        Y[c] = y0 + h;
        double kp = sp_tsne_grad_exact(P, Y, N, 1.0, tmp, 1);
        Y[c] = y0 - h;
        double km = sp_tsne_grad_exact(P, Y, N, 1.0, tmp, 1);
        Y[c] = y0;
        double fd = (kp - km) / (2 * h);
        emax = fmax(emax, fabs(fd - g[c]));
        gmax = fmax(gmax, fabs(g[c]));
    }
    CHECK_MSG(emax < 1e-6 * gmax, "gradient vs finite differences: %g of %g", emax, gmax);
    CHECK(kl > 0);
    /* Barnes-Hut with every neighbour and theta 0 is exact */
    sp_tsne_sparse S;
    CHECK(sp_tsne_p_sparse(X, N, D, 8, N - 1, 3, &S, &err) == 0);
    double pe = 0;
    for (long i = 0; i < N; i++) {
        CHECK(S.row[i + 1] - S.row[i] == N - 1);
        for (long e = S.row[i]; e < S.row[i + 1]; e++) pe = fmax(pe, fabs(S.val[e] - P[i * N + S.col[e]]));
    }
    CHECK_MSG(pe < 1e-15, "sparse P vs exact: %g", pe);
    double klb = 0, kle = sp_tsne_grad_exact(P, Y, N, 12.0, g, 1);
    CHECK(sp_tsne_grad_bh(&S, Y, N, 0.0, 12.0, gb, &klb, &err) == 0);
    double ge = 0;
    gmax = 0;
    for (int c = 0; c < N * 2; c++) ge = fmax(ge, fabs(g[c] - gb[c])), gmax = fmax(gmax, fabs(g[c]));
    CHECK_MSG(ge < 1e-12 * gmax, "BH theta 0 vs exact gradient: %g of %g", ge, gmax);
    CHECK_MSG(fabs(klb - kle) < 1e-12, "BH KL %.15g exact %.15g", klb, kle);
    /* theta 0.5: an approximation, close */
    CHECK(sp_tsne_grad_bh(&S, Y, N, 0.5, 1.0, gb, NULL, &err) == 0);
    sp_tsne_grad_exact(P, Y, N, 1.0, g, 0);
    double num = 0, den = 0;
    for (int c = 0; c < N * 2; c++) num += (g[c] - gb[c]) * (g[c] - gb[c]), den += g[c] * g[c];
    CHECK_MSG(sqrt(num / den) < 0.05, "BH theta 0.5 relative error %g", sqrt(num / den));
    sp_tsne_sparse_free(&S);
    free(P);
}

static void test_quality(void)
{
    enum { N = 300 };
    double X[N * 2], Y[N * 2], R[N * 2];
    for (int i = 0; i < N * 2; i++) X[i] = gauss(), R[i] = gauss();
    double c = cos(0.7), s = sin(0.7);
    for (int i = 0; i < N; i++) {
        Y[2 * i] = 5 + 2 * (c * X[2 * i] - s * X[2 * i + 1]);
        Y[2 * i + 1] = -1 + 2 * (s * X[2 * i] + c * X[2 * i + 1]);
    }
    double t, k;
    sp_error err;
    CHECK(sp_tsne_quality(X, N, 2, Y, 2, 5, 10, &t, &k, &err) == 0);
    CHECK_MSG(fabs(t - 1) < 1e-12 && fabs(k - 1) < 1e-12, "isometry: T %g, kNN %g", t, k);
    CHECK(sp_tsne_quality(X, N, 2, R, 2, 5, 10, &t, &k, &err) == 0);
    CHECK_MSG(t < 0.65 && k < 0.1, "random map: T %g, kNN %g", t, k);
    CHECK(sp_tsne_quality(X, 10, 2, R, 2, 5, 10, &t, &k, &err) == -1);
}

/* 5 clusters of 60 points in 10 dimensions, 10 sigma apart. */
static void clusters(double *X, int *lab, long N, int D)
{
    double mu[5][10];
    for (int c = 0; c < 5; c++)
        for (int d = 0; d < D; d++) mu[c][d] = 10 * gauss();
    for (long i = 0; i < N; i++) {
        lab[i] = (int)(i % 5);
        for (int d = 0; d < D; d++) X[i * D + d] = mu[lab[i]][d] + gauss();
    }
}

static double label_agreement(const double *Y, const int *lab, long N)
{
    long *idx = malloc(sizeof(long) * N * 10);
    double *dd = malloc(sizeof(double) * N * 10);
    sp_error err;
    sp_tsne_knn_brute(Y, N, 2, 10, idx, dd, &err);
    long same = 0;
    for (long i = 0; i < N * 10; i++) same += lab[idx[i]] == lab[i / 10];
    free(idx), free(dd);
    return (double)same / (N * 10);
}

static void test_embedding(void)
{
    enum { N = 300, D = 10 };
    double *X = malloc(sizeof(double) * N * D), Y[N * 2], Y2[N * 2], kl, kl2;
    int lab[N];
    clusters(X, lab, N, D);
    sp_tsne_params p;
    sp_tsne_defaults(&p);
    p.iterations = 300;
    p.exaggeration_iterations = 100;
    p.seed = 5;
    sp_error err;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK(sp_tsne_run(X, N, D, NULL, &p, Y, &kl, &err) == 0);
    double agree = label_agreement(Y, lab, N);
    CHECK_MSG(agree > 0.98, "BH clusters: 10-NN label agreement %g", agree);
    CHECK_MSG(kl > 0 && kl < 2, "BH KL %g", kl);
    double t, k;
    CHECK(sp_tsne_quality(X, N, D, Y, 2, 5, 10, &t, &k, &err) == 0);
    CHECK_MSG(t > 0.85, "trustworthiness %g", t);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    CHECK(sp_tsne_run(X, N, D, NULL, &p, Y2, &kl2, &err) == 0);
    CHECK_MSG(memcmp(Y, Y2, sizeof Y) == 0 && kl == kl2, "BH differs on 1 and 2 threads");
    /* exact */
    p.theta = 0;
    CHECK(sp_tsne_run(X, N, D, NULL, &p, Y2, &kl2, &err) == 0);
    agree = label_agreement(Y2, lab, N);
    CHECK_MSG(agree > 0.98, "exact clusters: 10-NN label agreement %g", agree);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK(sp_tsne_run(X, N, D, NULL, &p, Y, &kl, &err) == 0);
    CHECK_MSG(memcmp(Y, Y2, sizeof Y) == 0 && kl == kl2, "exact differs on 1 and 2 threads");
    p.perplexity = 400;
    CHECK(sp_tsne_run(X, N, D, NULL, &p, Y, &kl, &err) == -1 && strstr(err.msg, "perplexity"));
    free(X);
}

static void test_scatter(void)
{
    char *dir = sp_test_tmpdir();
    enum { N = 200 };
    float xy[N * 2];
    int g[N];
    for (int i = 0; i < N; i++) xy[2 * i] = (float)gauss(), xy[2 * i + 1] = (float)gauss(), g[i] = i % 7 - 1;
    const char *names[6] = { "vowels", "stops", "fricatives", "nasals", "semivowels and glides", "silence" };
    char png[4200], svg[4200];
    sp_error err;
    snprintf(png, sizeof png, "%s/s.png", dir);
    snprintf(svg, sizeof svg, "%s/s.svg", dir);
    CHECK(sp_scatter_write(png, svg, xy, N, g, 6, names, "test", &err) == 0);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    CHECK(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width(s) > 100);
    cairo_surface_destroy(s);
    FILE *f = fopen(svg, "r");
    char head[64] = { 0 };
    CHECK(f && fread(head, 1, 40, f) > 0 && strstr(head, "<?xml"));
    if (f) fclose(f);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/nosuch/s.png", dir);
    CHECK(sp_scatter_write(bad, NULL, xy, N, g, 6, names, NULL, &err) == -1);
    sp_test_rmtree(dir);
    free(dir);
}

static void test_phoneclass(void)
{
    static const char *const phones48[48] = {
        "aa", "ae", "ah", "ao", "aw", "ax", "er", "ay", "b", "vcl", "ch", "d", "dh", "dx", "eh", "el",
        "m", "en", "ng", "epi", "sil", "f", "g", "hh", "ih", "ix", "iy", "jh", "k", "cl", "l", "n",
        "ow", "oy", "p", "r", "s", "sh", "t", "th", "uh", "uw", "v", "w", "y", "z", "zh", "ey",
    };
    int count[SP_PC_N] = { 0 };
    for (int i = 0; i < 48; i++) {
        int c = sp_phoneclass_of(phones48[i]);
        CHECK_MSG(c >= 0, "'%s' has no class", phones48[i]);
        if (c >= 0) count[c]++;
    }
    CHECK(count[SP_PC_VOWEL] == 17 && count[SP_PC_STOP] == 9 && count[SP_PC_FRICATIVE] == 8 &&
          count[SP_PC_NASAL] == 4 && count[SP_PC_SEMIVOWEL] == 6 && count[SP_PC_SILENCE] == 4);
    CHECK(sp_phoneclass_of("0") == -1 && strcmp(sp_phoneclass_name(-1), "other") == 0);
    CHECK(strcmp(sp_phoneclass_name(sp_phoneclass_of("iy")), "vowels") == 0);
}

#define STARTS(t, lit) (strncmp((t), lit, sizeof lit - 1) == 0)

/* Run probe `text` in analyse mode on X [N][D] named `layer`; 0 or -1. */
static int analyse(const char *text, const char *out, const float *X, long N, long D, const int *lab, int nc,
                   const char *const *classes, sp_error *err)
{
    sp_diag d;
    sp_ini ini;
    sp_diag_init(&d, 0);
    if (sp_ini_parse(&ini, "t.conf", text, &d) != 0) {
        sp_ini_free(&ini);
        sp_diag_free(&d);
        return sp_fail(err, "ini");
    }
    sp_probe_chain *ch = sp_probe_chain_resolve(&ini, &d);
    sp_ini_free(&ini);
    if (!ch) {
        sp_fail(err, "%s", d.n ? d.v[0].message : "refused");
        sp_diag_free(&d);
        return -1;
    }
    sp_diag_free(&d);
    int rc = sp_probe_chain_create(ch, SP_PROBE_MODE_ANALYSE, out, 9, err);
    if (rc == 0) {
        sp_probe_analysis a = { "feat", out, X, N, D, lab, nc, classes };
        rc = sp_probe_chain_analyse(ch, &a, err);
    }
    sp_probe_chain_free(ch);
    return rc;
}

static char *slurp(const char *dir, const char *name)
{
    char *p = sp_path_join(dir, name);
    sp_error err;
    size_t n;
    char *t = sp_read_file(p, &n, &err);
    free(p);
    return t;
}

static void test_analyse(void)
{
    const char *top = getenv("top_builddir");
    char real[4096];
    sp_error err;
    char *pd = sp_xasprintf("%s/plugins/.libs", top ? top : ".");
    if (realpath(pd, real)) setenv("SINCPROBE_PLUGIN_PATH", real, 1);
    free(pd);
    enum { N = 300, D = 10 };
    double *Xd = malloc(sizeof(double) * N * D);
    float *X = malloc(sizeof(float) * N * D);
    int lab[N];
    clusters(Xd, lab, N, D);
    for (long i = 0; i < (long)N * D; i++) X[i] = (float)Xd[i];
    static const char *const cls[5] = { "0", "1", "2", "3", "4" };
    char *dir = sp_test_tmpdir();
    int rc = analyse("[probe t]\nuse = tsne\niterations = 300\nexaggeration_iterations = 100\n", dir, X, N, D, lab, 5, cls, &err);
    CHECK_MSG(rc == 0, "analyse tsne: %s", err.msg);
    static const char *const files[] = { "tsne_feat_e0.npy", "tsne_feat_e0.tsv", "tsne_feat_e0.png", "tsne_feat_e0.svg",
                                         "tsne.tsv" };
    for (int i = 0; i < 5; i++) {
        char *p = sp_path_join(dir, files[i]);
        CHECK_MSG(sp_is_file(p), "analyse tsne wrote no '%s'", files[i]);
        free(p);
    }
    char *t = slurp(dir, "tsne.tsv");
    CHECK(t && STARTS(t, "epoch\tlayer\tn\tkl\ttrustworthiness\tknn_preservation\tseconds\tlinsep_accuracy\tlinsep_chance\n0\tfeat\t300\t"));
    double kl = 0, tr = 0, kn = 0;
    if (t) {
        const char *row = strchr(t, '\n') + 1;
        CHECK(sscanf(row, "0\tfeat\t300\t%lf\t%lf\t%lf", &kl, &tr, &kn) == 3);
        CHECK_MSG(kl > 0 && kl < 2 && tr > 0.9 && kn > 0.2, "analyse tsne: kl %g trust %g knn %g", kl, tr, kn);
    }
    free(t);
    t = slurp(dir, "tsne_feat_e0.tsv");
    CHECK(t && STARTS(t, "x\ty\tlabel\tphone\tclass\n") && strstr(t, "\t3\t3\tother\n"));
    free(t);
    /* the map separates the clusters */
    char *p = sp_path_join(dir, "tsne_feat_e0.npy");
    sp_npy_dtype dt;
    int rank;
    long shape[SP_NPY_MAXRANK];
    float *Y = sp_npy_read(p, &dt, &rank, shape, &err);
    free(p);
    CHECK(Y && dt == SP_NPY_F32 && rank == 2 && shape[0] == N && shape[1] == 2);
    if (Y) {
        double Yd[N * 2];
        for (int i = 0; i < N * 2; i++) Yd[i] = Y[i];
        CHECK(label_agreement(Yd, lab, N) > 0.98);
    }
    free(Y);
    /* pca: the same numbers as sp_pca_f */
    rc = analyse("[probe p]\nuse = pca\ncolour = pair\npair = 1,3\n", dir, X, N, D, lab, 5, cls, &err);
    CHECK_MSG(rc == 0, "analyse pca: %s", err.msg);
    double Yp[N * 2], ev[2], tot;
    CHECK(sp_pca_f(X, N, D, 2, Yp, ev, &tot, NULL, &err) == 0);
    t = slurp(dir, "pca.tsv");
    CHECK(t && STARTS(t, "epoch\tlayer\tn\texplained_variance\tev1\tev2\tlinsep_accuracy\tlinsep_chance\n0\tfeat\t300\t"));
    if (t) {
        double e = 0, e1 = 0, e2 = 0;
        CHECK(sscanf(strchr(t, '\n') + 1, "0\tfeat\t300\t%lf\t%lf\t%lf", &e, &e1, &e2) == 3);
        CHECK_MSG(fabs(e1 - ev[0] / tot) < 1e-9 && fabs(e2 - ev[1] / tot) < 1e-9 && fabs(e - e1 - e2) < 1e-9,
                  "pca.tsv %g %g %g vs %g %g", e, e1, e2, ev[0] / tot, ev[1] / tot);
    }
    free(t);
    p = sp_path_join(dir, "pca_feat_e0.npy");
    Y = sp_npy_read(p, &dt, &rank, shape, &err);
    free(p);
    CHECK(Y && shape[0] == N && shape[1] == 2);
    double e = 0;
    for (int i = 0; Y && i < N * 2; i++) e = fmax(e, fabs(Y[i] - Yp[i]));
    CHECK_MSG(Y && e < 1e-4, "pca map vs sp_pca_f: %g", e);
    free(Y);
    rc = analyse("[probe p]\nuse = pca\ncolour = pair\npair = 1,7\n", dir, X, N, D, lab, 5, cls, &err);
    CHECK_MSG(rc == -1 && strstr(err.msg, "pair: '7' is not one of the 5 classes"), "bad pair: %s", err.msg);
    sp_test_rmtree(dir);
    free(dir);
    free(X), free(Xd);
}

int main(void)
{
    test_pca();
    test_calibrate();
    test_knn();
    test_gradients();
    test_quality();
    test_embedding();
    test_scatter();
    test_phoneclass();
    test_analyse();
    return sp_test_result("test_tsne");
}
