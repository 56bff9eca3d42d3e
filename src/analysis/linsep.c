/* linsep.c - held-out accuracy of an L2 multinomial logistic regression
 * (see linsep.h for the procedure). */
#include "analysis/linsep.h"

#include <sincprobe/splitmix.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LBFGS_M 10
#define GRAD_TOL 1e-6

void sp_linsep_defaults(sp_linsep_opts *o)
{
    o->l2 = 1e-3;
    o->iterations = 200;
    o->test_fraction = 0.25;
    o->seed = 1;
}

/* "linsep: out of memory[ for N x D features]" (error.h's message). */
static int oom(sp_error *err, long n, long D)
{
    sp_fail_oom(err, 0);
    sp_error_prefix(err, "linsep: ");
    return n ? sp_error_append(err, " for %ld x %ld features", n, D) : -1;
}

/* Work buffers of one objective evaluation. */
typedef struct {
    float *Wf; /* [C][D] W in single precision for sgemm */
    float *Z;  /* [n][C] logits, then (P - Y) / n */
    float *Gf; /* [C][D] (P - Y)^T X / n */
} work;

/* L(theta) and its gradient (linsep.h). Logits z_i = W x_i + b; with
 * p_i = softmax(z_i) and Y the one-hot labels,
 *   dL/dW = (1/n) (P - Y)^T X + l2 W,   dL/db = (1/n) sum_i (p_i - y_i). */
static double objective(const float *X, long n, long D, const int *y, int C, double l2, const double *theta,
                        double *g, work *w)
{
    const double *b = theta + (size_t)C * (size_t)D;
    double reg = 0;
    for (size_t k = 0; k < (size_t)C * (size_t)D; k++) {
        w->Wf[k] = (float)theta[k];
        reg += theta[k] * theta[k];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, C, (int)D, 1.0f, X, (int)D, w->Wf, (int)D, 0.0f,
                w->Z, C);
    double loss = 0;
    double *gb = g + (size_t)C * (size_t)D;
    for (int c = 0; c < C; c++) gb[c] = 0;
    for (long i = 0; i < n; i++) {
        float *z = w->Z + (size_t)i * (size_t)C;
        double zmax = -INFINITY;
        for (int c = 0; c < C; c++) {
            double v = (double)z[c] + b[c];
            if (v > zmax) zmax = v;
        }
        double se = 0;
        for (int c = 0; c < C; c++) se += exp((double)z[c] + b[c] - zmax);
        double lse = zmax + log(se);
        loss += lse - ((double)z[y[i]] + b[y[i]]);
        for (int c = 0; c < C; c++) {
            double p = exp((double)z[c] + b[c] - lse);
            double r = (p - (c == y[i] ? 1.0 : 0.0)) / (double)n;
            gb[c] += r;
            z[c] = (float)r;
        }
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, (int)D, (int)n, 1.0f, w->Z, C, X, (int)D, 0.0f, w->Gf,
                (int)D);
    for (size_t k = 0; k < (size_t)C * (size_t)D; k++) g[k] = (double)w->Gf[k] + l2 * theta[k];
    return loss / (double)n + 0.5 * l2 * reg;
}

static int work_alloc(work *w, long n, long D, int C)
{
    w->Wf = malloc((size_t)C * (size_t)D * sizeof *w->Wf);
    w->Gf = malloc((size_t)C * (size_t)D * sizeof *w->Gf);
    w->Z = malloc((size_t)(n > 0 ? n : 1) * (size_t)C * sizeof *w->Z);
    return w->Wf && w->Gf && w->Z ? 0 : -1;
}

static void work_free(work *w)
{
    free(w->Wf);
    free(w->Gf);
    free(w->Z);
}

double sp_linsep_objective(const float *X, long n, long D, const int *y, int C, double l2, const double *theta,
                           double *g)
{
    work w;
    if (work_alloc(&w, n, D, C) != 0) {
        work_free(&w);
        return NAN;
    }
    double f = objective(X, n, D, y, C, l2, theta, g, &w);
    work_free(&w);
    return f;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Minimise the objective by L-BFGS from theta = 0 (theta [P] out).
 * Returns 0, or -1 when out of memory. */
static int lbfgs(const float *X, long n, long D, const int *y, int C, double l2, int iters, double *theta)
{
    size_t P = (size_t)C * ((size_t)D + 1);
    work w;
    double *g = malloc(P * sizeof *g), *gn = malloc(P * sizeof *gn), *xn = malloc(P * sizeof *xn);
    double *d = malloc(P * sizeof *d), *S = malloc(LBFGS_M * P * sizeof *S), *Yv = malloc(LBFGS_M * P * sizeof *Yv);
    double rho[LBFGS_M], alpha[LBFGS_M];
    int ok = work_alloc(&w, n, D, C) == 0 && g && gn && xn && d && S && Yv;
    if (ok) {
        memset(theta, 0, P * sizeof *theta);
        double f = objective(X, n, D, y, C, l2, theta, g, &w);
        int m = 0, head = 0; /* pairs stored; the next slot */
        for (int it = 0; it < iters; it++) {
            double gmax = 0;
            for (size_t k = 0; k < P; k++) gmax = fmax(gmax, fabs(g[k]));
            if (gmax < GRAD_TOL) break;
            /* Two-loop recursion: d = -H g, H0 = (s'y / y'y) I. */
            for (size_t k = 0; k < P; k++) d[k] = -g[k];
            for (int j = 0; j < m; j++) {
                int s = (head - 1 - j + LBFGS_M) % LBFGS_M;
                alpha[s] = rho[s] * dot(S + (size_t)s * P, d, P);
                for (size_t k = 0; k < P; k++) d[k] -= alpha[s] * Yv[(size_t)s * P + k];
            }
            double t = 1;
            if (m > 0) {
                int s = (head - 1 + LBFGS_M) % LBFGS_M;
                double gam = dot(S + (size_t)s * P, Yv + (size_t)s * P, P) / dot(Yv + (size_t)s * P, Yv + (size_t)s * P, P);
                for (size_t k = 0; k < P; k++) d[k] *= gam;
            } else {
                t = fmin(1.0, 1.0 / sqrt(dot(g, g, P)));
            }
            for (int j = m - 1; j >= 0; j--) {
                int s = (head - 1 - j + LBFGS_M) % LBFGS_M;
                double beta = rho[s] * dot(Yv + (size_t)s * P, d, P);
                for (size_t k = 0; k < P; k++) d[k] += (alpha[s] - beta) * S[(size_t)s * P + k];
            }
            double gd = dot(g, d, P);
            if (!(gd < 0)) { /* not a descent direction: restart from -g */
                m = 0;
                for (size_t k = 0; k < P; k++) d[k] = -g[k];
                gd = -dot(g, g, P);
                t = fmin(1.0, 1.0 / sqrt(-gd));
            }
            /* Backtracking until the Armijo condition f(x + t d) <= f + 1e-4 t g'd. */
            double fn = NAN;
            int found = 0;
            for (int ls = 0; ls < 40; ls++, t *= 0.5) {
                for (size_t k = 0; k < P; k++) xn[k] = theta[k] + t * d[k];
                fn = objective(X, n, D, y, C, l2, xn, gn, &w);
                if (fn <= f + 1e-4 * t * gd) {
                    found = 1;
                    break;
                }
            }
            if (!found) break;
            double *s = S + (size_t)head * P, *yy = Yv + (size_t)head * P;
            for (size_t k = 0; k < P; k++) {
                s[k] = xn[k] - theta[k];
                yy[k] = gn[k] - g[k];
            }
            double sy = dot(s, yy, P);
            if (sy > 1e-12) {
                rho[head] = 1.0 / sy;
                head = (head + 1) % LBFGS_M;
                if (m < LBFGS_M) m++;
            }
            memcpy(theta, xn, P * sizeof *theta);
            memcpy(g, gn, P * sizeof *g);
            f = fn;
        }
    }
    work_free(&w);
    free(g);
    free(gn);
    free(xn);
    free(d);
    free(S);
    free(Yv);
    return ok ? 0 : -1;
}

/* The fraction of rows whose argmax_c (W x + b)_c is y. */
static double accuracy(const float *X, long n, long D, const int *y, int C, const double *theta, float *Wf, float *Z)
{
    if (n <= 0) return NAN;
    for (size_t k = 0; k < (size_t)C * (size_t)D; k++) Wf[k] = (float)theta[k];
    const double *b = theta + (size_t)C * (size_t)D;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, C, (int)D, 1.0f, X, (int)D, Wf, (int)D, 0.0f, Z, C);
    long right = 0;
    for (long i = 0; i < n; i++) {
        int best = 0;
        double bv = -INFINITY;
        for (int c = 0; c < C; c++) {
            double v = (double)Z[(size_t)i * (size_t)C + (size_t)c] + b[c];
            if (v > bv) bv = v, best = c;
        }
        right += best == y[i];
    }
    return (double)right / (double)n;
}

int sp_linsep_eval(const float *X, long N, long D, const int *y, int nclasses, const sp_linsep_opts *o,
                   sp_linsep_result *r, sp_error *err)
{
    if (nclasses < 2) return sp_fail(err, "linsep: %d classes, need at least 2", nclasses);
    if (D < 1) return sp_fail(err, "linsep: %ld features, need at least 1", D);
    if (!(o->test_fraction > 0 && o->test_fraction < 1))
        return sp_fail(err, "linsep: test_fraction '%g' is not in (0, 1)", o->test_fraction);
    if (!(o->l2 >= 0) || o->iterations < 0) return sp_fail(err, "linsep: l2 '%g' or iterations '%d' negative", o->l2, o->iterations);
    long n = 0;
    for (long i = 0; i < N; i++) n += y[i] >= 0 && y[i] < nclasses;
    if (n < 2) return sp_fail(err, "linsep: %ld labelled rows, need at least 2", n);
    int C = nclasses;
    long *idx = malloc((size_t)n * sizeof *idx);
    long *cnt = calloc((size_t)C, sizeof *cnt);
    double *mu = calloc((size_t)D, sizeof *mu), *sd = calloc((size_t)D, sizeof *sd);
    if (!idx || !cnt || !mu || !sd) {
        free(idx), free(cnt), free(mu), free(sd);
        return oom(err, 0, 0);
    }
    for (long i = 0, k = 0; i < N; i++)
        if (y[i] >= 0 && y[i] < nclasses) idx[k++] = i;
    uint64_t st = o->seed;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(sp_splitmix64_next(&st) % (uint64_t)(i + 1));
        long t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    long nte = lround(o->test_fraction * (double)n);
    if (nte < 1) nte = 1;
    if (nte > n - 1) nte = n - 1;
    long ntr = n - nte;
    /* Training rows first: idx[0 .. ntr-1] train, the rest test. */
    for (long k = 0; k < ntr; k++) {
        const float *x = X + (size_t)idx[k] * (size_t)D;
        for (long d = 0; d < D; d++) mu[d] += x[d];
    }
    for (long d = 0; d < D; d++) mu[d] /= (double)ntr;
    for (long k = 0; k < ntr; k++) {
        const float *x = X + (size_t)idx[k] * (size_t)D;
        for (long d = 0; d < D; d++) sd[d] += (x[d] - mu[d]) * (x[d] - mu[d]);
    }
    for (long d = 0; d < D; d++) {
        sd[d] = sqrt(sd[d] / (double)ntr);
        sd[d] = sd[d] > 0 ? 1.0 / sd[d] : 0.0;
    }
    size_t P = (size_t)C * ((size_t)D + 1);
    float *Xs = malloc((size_t)n * (size_t)D * sizeof *Xs);
    int *ys = malloc((size_t)n * sizeof *ys);
    double *theta = malloc(P * sizeof *theta);
    float *Wf = malloc((size_t)C * (size_t)D * sizeof *Wf), *Z = malloc((size_t)n * (size_t)C * sizeof *Z);
    int rc = -1;
    if (!Xs || !ys || !theta || !Wf || !Z) {
        oom(err, n, D);
        goto out;
    }
    for (long k = 0; k < n; k++) {
        const float *x = X + (size_t)idx[k] * (size_t)D;
        float *xs = Xs + (size_t)k * (size_t)D;
        for (long d = 0; d < D; d++) xs[d] = (float)((x[d] - mu[d]) * sd[d]);
        ys[k] = y[idx[k]];
    }
    if (lbfgs(Xs, ntr, D, ys, C, o->l2, o->iterations, theta) != 0) {
        oom(err, n, D);
        goto out;
    }
    r->n_train = ntr;
    r->n_test = nte;
    r->train_accuracy = accuracy(Xs, ntr, D, ys, C, theta, Wf, Z);
    r->accuracy = accuracy(Xs + (size_t)ntr * (size_t)D, nte, D, ys + ntr, C, theta, Wf, Z);
    int major = 0;
    for (long k = 0; k < ntr; k++) cnt[ys[k]]++;
    for (int c = 1; c < C; c++)
        if (cnt[c] > cnt[major]) major = c;
    long hit = 0;
    for (long k = ntr; k < n; k++) hit += ys[k] == major;
    r->chance = (double)hit / (double)nte;
    rc = 0;
out:
    free(idx), free(cnt), free(mu), free(sd), free(Xs), free(ys), free(theta), free(Wf), free(Z);
    return rc;
}
