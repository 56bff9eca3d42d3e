/* mi.c - mutual information estimators of the information plane; the
 * math is stated in mi.h. */
#include "analysis/mi.h"

#include <sincprobe/splitmix.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- binning */

void sp_mi_bin_fixed(const float *x, size_t n, int bins, double lo, double hi, int32_t *idx)
{
    /* n edges e_k = lo + k w, w = (hi - lo) / (n - 1): interval k is
     * [e_k, e_k+1), k = 0 .. n - 2. Clamp, never wrap: below lo (and NaN)
     * is interval 0, hi and above the last. */
    int last = bins - 2;
    double w = (hi - lo) / (bins - 1);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        int32_t k;
        if (!(v > lo)) k = 0;
        else if (v >= hi) k = last;
        else {
            double f = floor((v - lo) / w);
            k = f < 0 ? 0 : f > last ? last : (int32_t)f;
        }
        idx[i] = k;
    }
}

void sp_mi_bin_width(const float *x, size_t n, double binsize, int32_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        double f = floor(x[i] / binsize);
        if (f != f) idx[i] = INT32_MIN;
        else if (f <= (double)INT32_MIN + 1) idx[i] = INT32_MIN + 1;
        else if (f >= (double)INT32_MAX) idx[i] = INT32_MAX;
        else idx[i] = (int32_t)f;
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int sp_mi_adaptive_edges(const float *x, size_t n, int bins, double *edges, sp_error *err)
{
    if (n == 0) return sp_fail(err, "adaptive binning of no values");
    float *u = malloc(n * sizeof *u);
    if (!u) return sp_fail_oom(err, 0);
    /* the finite values, sorted, then unique */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) u[m++] = x[i];
    if (m == 0) {
        free(u);
        return sp_fail(err, "adaptive binning: no finite activations");
    }
    qsort(u, m, sizeof *u, cmp_float);
    size_t M = 1;
    for (size_t i = 1; i < m; i++)
        if (u[i] != u[M - 1]) u[M++] = u[i];
    /* edge_k: quantile k / (n - 1) with linear interpolation */
    for (int k = 0; k < bins; k++) {
        double p = (double)k * (double)(M - 1) / (double)(bins - 1);
        size_t f = (size_t)floor(p);
        if (f >= M - 1) edges[k] = u[M - 1];
        else edges[k] = u[f] + (p - (double)f) * ((double)u[f + 1] - (double)u[f]);
    }
    free(u);
    return 0;
}

void sp_mi_bin_edges(const float *x, size_t n, const double *edges, int bins, int32_t *idx)
{
    /* index = number of interior edges e_1 .. e_{n-2} that are <= v, so
     * interval k is [e_k, e_k+1) and values beyond either end clamp */
    int last = bins - 2;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        int a = 0, b = last; /* answer in [a, b] */
        if (v != v) {
            idx[i] = 0;
            continue;
        }
        while (a < b) {
            int mid = a + (b - a + 1) / 2; /* is e_mid <= v? */
            if (edges[mid] <= v) a = mid;
            else b = mid - 1;
        }
        idx[i] = a;
    }
}

/* The sorted unique finite values of x[n] other than skip, into a new
 * array (*m of them; *any: whether any value was finite). NULL when out
 * of memory. */
static float *unique_except(const float *x, size_t n, float skip, size_t *m, int *any)
{
    float *u = malloc((n ? n : 1) * sizeof *u);
    if (!u) return NULL;
    size_t k = 0;
    *any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        *any = 1;
        if (x[i] != skip) u[k++] = x[i];
    }
    qsort(u, k, sizeof *u, cmp_float);
    size_t M = k ? 1 : 0;
    for (size_t i = 1; i < k; i++)
        if (u[i] != u[M - 1]) u[M++] = u[i];
    *m = M;
    return u;
}

int sp_mi_ebab_edges(const float *x, size_t n, int bins, double low, double *edges, int *nedges, sp_error *err)
{
    if (n == 0) return sp_fail(err, "ebab binning of no values");
    float L = (float)low;
    for (size_t i = 0; i < n; i++)
        if (x[i] < L)
            return sp_fail(err, "value %.9g (element %zu) is below the low edge %.9g: ebab bins values >= its low edge "
                           "(0 for ReLU layers; set the low edge at or below the layer's minimum)", x[i], i, L);
    size_t M;
    int any;
    float *u = unique_except(x, n, L, &M, &any);
    if (!u) return sp_fail_oom(err, 0);
    if (!any) {
        free(u);
        return sp_fail(err, "ebab binning: no finite activations");
    }
    /* L, u[floor(k (M / n))] for k < n, u[M - 1]; then repeats dropped */
    int k = 0;
    edges[k++] = L;
    if (M > 0) {
        double step = (double)M / (double)bins;
        for (int j = 0; j < bins; j++) edges[k++] = u[(size_t)((double)j * step)];
        edges[k++] = u[M - 1];
    }
    free(u);
    int d = 1;
    for (int j = 1; j < k; j++)
        if (edges[j] != edges[d - 1]) edges[d++] = edges[j];
    *nedges = d;
    return 0;
}

/* ---- distinct patterns */

typedef struct {
    uint64_t h;
    long row;
} hrow;

static int cmp_hrow(const void *a, const void *b)
{
    const hrow *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

long sp_mi_patterns(const int32_t *idx, long N, long D, long *id)
{
    if (N <= 0) return 0;
    hrow *r = malloc((size_t)N * sizeof *r);
    long *rep = malloc((size_t)N * sizeof *rep); /* representatives of a run */
    if (!r || !rep) {
        free(r);
        free(rep);
        return -1;
    }
    /* Each row's hash: h = G ^ D, then h = mix(h ^ p[j]) + j over its
     * entries, with splitmix64's finaliser as the mixer (G its gamma,
     * only a fixed start value here). Equal hashes are checked below. */
    for (long i = 0; i < N; i++) {
        const int32_t *p = idx + (size_t)i * D;
        uint64_t h = SP_SPLITMIX64_GAMMA ^ (uint64_t)D;
        for (long j = 0; j < D; j++) h = sp_splitmix64_mix(h ^ (uint32_t)p[j]) + (uint64_t)j;
        r[i].h = h;
        r[i].row = i;
    }
    qsort(r, (size_t)N, sizeof *r, cmp_hrow);
    long K = 0;
    size_t rowbytes = (size_t)D * sizeof *idx;
    for (long s = 0; s < N;) {
        long e = s + 1;
        while (e < N && r[e].h == r[s].h) e++;
        /* rows s..e-1 share a hash: equal rows get one id, compared
         * exactly against this run's distinct rows so far */
        long nrep = 0, first = K;
        for (long t = s; t < e; t++) {
            const int32_t *p = idx + (size_t)r[t].row * D;
            long k = 0;
            while (k < nrep && memcmp(p, idx + (size_t)rep[k] * D, rowbytes) != 0) k++;
            if (k == nrep) rep[nrep++] = r[t].row;
            id[r[t].row] = first + k;
        }
        K += nrep;
        s = e;
    }
    free(r);
    free(rep);
    return K;
}

/* ---- discrete entropies */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* sum over the distinct values of sorted keys[n] of c log2 c (c their
 * counts) */
static double sum_clogc(const int64_t *keys, long n)
{
    double s = 0;
    for (long i = 0; i < n;) {
        long j = i + 1;
        while (j < n && keys[j] == keys[i]) j++;
        double c = (double)(j - i);
        s += c * log2(c);
        i = j;
    }
    return s;
}

int sp_mi_discrete(const long *id, long N, const int *labels, int nclasses, sp_mi_est *out, sp_error *err)
{
    if (N <= 0) return sp_fail(err, "no frames");
    int64_t *k = malloc((size_t)N * sizeof *k);
    if (!k) return sp_fail_oom(err, 0);
    for (long i = 0; i < N; i++) {
        if (labels[i] < 0 || labels[i] >= nclasses) {
            free(k);
            return sp_fail(err, "frame %ld has label %d, not in [0, %d)", i, labels[i], nclasses);
        }
    }
    /* H(T) = log2 N - (1/N) sum_k c_k log2 c_k */
    long K = 0;
    for (long i = 0; i < N; i++) {
        k[i] = id[i];
        if (id[i] + 1 > K) K = id[i] + 1;
    }
    qsort(k, (size_t)N, sizeof *k, cmp_i64);
    double n = (double)N;
    double ht = log2(n) - sum_clogc(k, N) / n;
    long patterns = 0;
    for (long i = 0; i < N; i++)
        if (i == 0 || k[i] != k[i - 1]) patterns++;
    /* H(T|Y) = sum_y (N_y/N) [log2 N_y - (1/N_y) sum_k c_yk log2 c_yk]
     *        = (1/N) [sum_y N_y log2 N_y - sum_yk c_yk log2 c_yk] */
    for (long i = 0; i < N; i++) k[i] = (int64_t)labels[i];
    qsort(k, (size_t)N, sizeof *k, cmp_i64);
    double sy = sum_clogc(k, N);
    for (long i = 0; i < N; i++) k[i] = (int64_t)labels[i] * (int64_t)K + id[i];
    qsort(k, (size_t)N, sizeof *k, cmp_i64);
    double syk = sum_clogc(k, N);
    free(k);
    double hty = (sy - syk) / n;
    out->h_t = ht;
    out->h_t_y = hty;
    out->i_xt = ht;
    out->i_ty = ht - hty < 0 ? 0 : ht - hty; /* >= 0 but for rounding */
    out->patterns = patterns;
    return 0;
}

int sp_mi_binned(const float *x, long N, long D, const int *labels, int nclasses, sp_mi_binning kind, int bins,
                 double lo, double hi, double binsize, sp_mi_est *out, sp_error *err)
{
    if (N <= 0 || D <= 0) return sp_fail(err, "empty activations (%ld x %ld)", N, D);
    if (kind != SP_MI_WIDTH && bins < 2) return sp_fail(err, "bins: %d is fewer than 2 edges", bins);
    if (kind == SP_MI_FIXED && !(lo < hi)) return sp_fail(err, "lo %g is not below hi %g", lo, hi);
    if (kind == SP_MI_WIDTH && !(binsize > 0)) return sp_fail(err, "binsize %g is not positive", binsize);
    size_t n = (size_t)N * (size_t)D;
    int32_t *idx = malloc(n * sizeof *idx);
    long *id = malloc((size_t)N * sizeof *id);
    int edged = kind == SP_MI_ADAPTIVE || kind == SP_MI_EBAB;
    double *edges = edged ? malloc(((size_t)bins + 3) * sizeof *edges) : NULL;
    int rc = -1, nedges;
    if (!idx || !id || (edged && !edges)) {
        sp_fail_oom(err, 0);
        goto done;
    }
    if (kind == SP_MI_FIXED) sp_mi_bin_fixed(x, n, bins, lo, hi, idx);
    else if (kind == SP_MI_WIDTH) sp_mi_bin_width(x, n, binsize, idx);
    else if (kind == SP_MI_ADAPTIVE) {
        if (sp_mi_adaptive_edges(x, n, bins, edges, err) != 0) goto done;
        sp_mi_bin_edges(x, n, edges, bins, idx);
    } else {
        /* closed by +inf, sp_mi_bin_edges gives v >= e_0 the number of
         * ebab edges <= v, less one: the maximum is an interval of its own */
        if (sp_mi_ebab_edges(x, n, bins, lo, edges, &nedges, err) != 0) goto done;
        edges[nedges] = INFINITY;
        sp_mi_bin_edges(x, n, edges, nedges + 1, idx);
    }
    if (sp_mi_patterns(idx, N, D, id) < 0) {
        sp_fail_oom(err, 0);
        goto done;
    }
    rc = sp_mi_discrete(id, N, labels, nclasses, out, err);
done:
    free(idx);
    free(id);
    free(edges);
    return rc;
}

/* ---- distances */

/* Rows to a GEMM block: the Gram block is [SP_MI_BLOCK][N] doubles. */
#define SP_MI_BLOCK 256

/* The centred activations in double, a[N][D], and their squared norms. */
static int centre(const float *x, long N, long D, double **a_out, double **norm_out)
{
    double *a = malloc((size_t)N * (size_t)D * sizeof *a);
    double *mean = calloc((size_t)D, sizeof *mean);
    double *norm = malloc((size_t)N * sizeof *norm);
    if (!a || !mean || !norm) {
        free(a);
        free(mean);
        free(norm);
        return -1;
    }
    for (long i = 0; i < N; i++)
        for (long j = 0; j < D; j++) mean[j] += x[(size_t)i * D + j];
    for (long j = 0; j < D; j++) mean[j] /= (double)N;
    for (long i = 0; i < N; i++) {
        double s = 0;
        for (long j = 0; j < D; j++) {
            double v = x[(size_t)i * D + j] - mean[j];
            a[(size_t)i * D + j] = v;
            s += v * v;
        }
        norm[i] = s;
    }
    free(mean);
    *a_out = a;
    *norm_out = norm;
    return 0;
}

/* d[r][j] = ||a_{r0+r} - a_j||^2 for r < nr, from the Gram block. */
static void dist_block(const double *a, const double *norm, long N, long D, long r0, long nr, double *d)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)N, (int)D, -2.0, a + (size_t)r0 * D, (int)D,
                a, (int)D, 0.0, d, (int)N);
    for (long r = 0; r < nr; r++) {
        long i = r0 + r;
        double *row = d + (size_t)r * N;
        for (long j = 0; j < N; j++) {
            double v = row[j] + norm[i] + norm[j];
            row[j] = v > 0 ? v : 0;
        }
        row[i] = 0;
    }
}

int sp_mi_sqdist(const float *x, long N, long D, double *out, sp_error *err)
{
    double *a, *norm;
    if (N <= 0 || D <= 0) return sp_fail(err, "empty activations (%ld x %ld)", N, D);
    if (centre(x, N, D, &a, &norm) != 0) return sp_fail_oom(err, 0);
    for (long r0 = 0; r0 < N; r0 += SP_MI_BLOCK) {
        long nr = N - r0 < SP_MI_BLOCK ? N - r0 : SP_MI_BLOCK;
        dist_block(a, norm, N, D, r0, nr, out + (size_t)r0 * N);
    }
    free(a);
    free(norm);
    return 0;
}

void sp_mi_sqdist_direct(const float *x, long N, long D, double *out)
{
    for (long i = 0; i < N; i++)
        for (long j = 0; j < N; j++) {
            double s = 0;
            for (long k = 0; k < D; k++) {
                double v = (double)x[(size_t)i * D + k] - (double)x[(size_t)j * D + k];
                s += v * v;
            }
            out[(size_t)i * N + j] = s;
        }
}

/* ---- KDE */

int sp_mi_kde(const float *x, long N, long D, const int *labels, int nclasses, double sigma2, sp_mi_est *upper,
              sp_mi_est *lower, sp_error *err)
{
    if (N <= 0 || D <= 0) return sp_fail(err, "empty activations (%ld x %ld)", N, D);
    if (!(sigma2 > 0) || !isfinite(sigma2)) return sp_fail(err, "sigma2 %g is not positive", sigma2);
    for (long i = 0; i < N; i++)
        if (labels[i] < 0 || labels[i] >= nclasses)
            return sp_fail(err, "frame %ld has label %d, not in [0, %d)", i, labels[i], nclasses);
    double *a = NULL, *norm = NULL;
    long nb = N < SP_MI_BLOCK ? N : SP_MI_BLOCK;
    double *d = malloc((size_t)nb * (size_t)N * sizeof *d);
    long *ny = calloc((size_t)nclasses, sizeof *ny);
    if (!d || !ny || centre(x, N, D, &a, &norm) != 0) {
        free(d);
        free(ny);
        return sp_fail_oom(err, 0);
    }
    for (long i = 0; i < N; i++) ny[labels[i]]++;
    /* Per row i: S_all = sum_j e^{-d_ij/c}, S_same = the same over j of
     * i's class, for c = 2 sigma2 (KL, upper) and 8 sigma2 (BD, lower).
     * Accumulate (in nats)
     *   ixt = -(1/N) sum_i ln(S_all / N)
     *   ity =  ixt + (1/N) sum_i ln(S_same / N_{y_i})          (mi.h) */
    double ixt[2] = { 0, 0 }, ity[2] = { 0, 0 };
    double inv8 = 1.0 / (8.0 * sigma2);
    for (long r0 = 0; r0 < N; r0 += SP_MI_BLOCK) {
        long nr = N - r0 < SP_MI_BLOCK ? N - r0 : SP_MI_BLOCK;
        dist_block(a, norm, N, D, r0, nr, d);
        for (long r = 0; r < nr; r++) {
            long i = r0 + r;
            const double *row = d + (size_t)r * N;
            double all[2] = { 0, 0 }, same[2] = { 0, 0 };
            int yi = labels[i];
            for (long j = 0; j < N; j++) {
                /* e^{-d/(2 s2)} = (e^{-d/(8 s2)})^4: one exp */
                double e1 = exp(-row[j] * inv8), e0 = e1 * e1;
                e0 *= e0;
                all[0] += e0;
                all[1] += e1;
                if (labels[j] == yi) {
                    same[0] += e0;
                    same[1] += e1;
                }
            }
            for (int b = 0; b < 2; b++) {
                ixt[b] -= log(all[b] / (double)N);
                ity[b] += log(same[b] / (double)ny[yi]);
            }
        }
    }
    free(d);
    free(ny);
    free(a);
    free(norm);
    /* H(T|X) = D/2 ln(2 pi e sigma2), the same for both bounds */
    double htx = 0.5 * (double)D * log(2.0 * M_PI * M_E * sigma2);
    sp_mi_est *o[2] = { upper, lower };
    for (int b = 0; b < 2; b++) {
        double ix = ixt[b] / (double)N, iy = ix + ity[b] / (double)N;
        o[b]->i_xt = ix / M_LN2;
        o[b]->i_ty = iy / M_LN2;
        o[b]->h_t = (htx + ix) / M_LN2;
        o[b]->h_t_y = (htx + ix - iy) / M_LN2;
        o[b]->patterns = 0;
    }
    return 0;
}
