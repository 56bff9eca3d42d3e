/* tsne.c - exact and Barnes-Hut t-SNE, vantage-point-tree neighbours,
 * trustworthiness and k-NN preservation. See tsne.h for the math. */
#include "analysis/tsne.h"
#include "analysis/pca.h"

#include <sincprobe/splitmix.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void sp_tsne_defaults(sp_tsne_params *p)
{
    p->perplexity = 30;
    p->iterations = 1000;
    p->theta = 0.5;
    p->exaggeration = 12;
    p->exaggeration_iterations = 250;
    p->learning_rate = 0;
    p->seed = 0;
}

void sp_tsne_sparse_free(sp_tsne_sparse *P)
{
    free(P->row);
    free(P->col);
    free(P->val);
    P->row = P->col = NULL;
    P->val = NULL;
    P->N = 0;
}

/* Euclidean distance, summed in coordinate order (the tree and brute force
 * compute bit-identical values, so their tie-breaking agrees). */
static double dist(const double *a, const double *b, int D)
{
    double s = 0;
    for (int c = 0; c < D; c++) {
        double t = a[c] - b[c];
        s += t * t;
    }
    return sqrt(s);
}

/* ------------------------------------------------------------------------
 * A bounded max-heap of (distance, index), ordered lexicographically: the
 * k best candidates so far, the worst on top. */
typedef struct {
    double *d;
    long *i;
    int n, k;
} heap;

static int worse(double da, long ia, double db, long ib) { return da > db || (da == db && ia > ib); }

static void heap_swap(heap *h, int a, int b)
{
    double td = h->d[a];
    long ti = h->i[a];
    h->d[a] = h->d[b];
    h->i[a] = h->i[b];
    h->d[b] = td;
    h->i[b] = ti;
}

static void sift_down(heap *h, int p)
{
    for (;;) {
        int l = 2 * p + 1, r = l + 1, m = p;
        if (l < h->n && worse(h->d[l], h->i[l], h->d[m], h->i[m])) m = l;
        if (r < h->n && worse(h->d[r], h->i[r], h->d[m], h->i[m])) m = r;
        if (m == p) return;
        heap_swap(h, p, m);
        p = m;
    }
}

static void heap_offer(heap *h, double d, long i)
{
    if (h->n < h->k) {
        int c = h->n++;
        h->d[c] = d;
        h->i[c] = i;
        while (c > 0) {
            int p = (c - 1) / 2;
            if (!worse(h->d[c], h->i[c], h->d[p], h->i[p])) break;
            heap_swap(h, c, p);
            c = p;
        }
    } else if (worse(h->d[0], h->i[0], d, i)) {
        h->d[0] = d;
        h->i[0] = i;
        sift_down(h, 0);
    }
}

static double heap_tau(const heap *h) { return h->n < h->k ? INFINITY : h->d[0]; }

/* Pop everything into idx/dist in increasing order. */
static void heap_drain(heap *h, long *idx, double *dst)
{
    while (h->n > 0) {
        int last = --h->n;
        idx[last] = h->i[0];
        dst[last] = h->d[0];
        h->d[0] = h->d[last];
        h->i[0] = h->i[last];
        sift_down(h, 0);
    }
}

/* ------------------------------------------------------------------------
 * Vantage-point tree (Yianilos 1993). Node v holds a point; the points of
 * its subtree other than v are split at the median distance thr from v:
 * left those with d <= thr, right those with d >= thr. A query at distance
 * d from v with current k-th best tau needs the left side only if
 * d - tau <= thr and the right side only if d + tau >= thr (triangle
 * inequality; a relative slack covers rounding). */
typedef struct {
    long point, left, right;
    double thr;
} vpnode;

typedef struct {
    const double *X;
    int D;
    long *items;
    double *dd;
    vpnode *nodes;
    long nn;
    uint64_t rng; /* splitmix64 state: the vantage-point choice only needs a seeded stream */
} vptree;

static void vp_swap(vptree *t, long a, long b)
{
    long ti = t->items[a];
    t->items[a] = t->items[b];
    t->items[b] = ti;
    double td = t->dd[a];
    t->dd[a] = t->dd[b];
    t->dd[b] = td;
}

static int vp_less(const vptree *t, long a, long b)
{
    return t->dd[a] < t->dd[b] || (t->dd[a] == t->dd[b] && t->items[a] < t->items[b]);
}

/* Quickselect on positions [lo, hi): position m gets its order statistic. */
static void vp_select(vptree *t, long lo, long hi, long m)
{
    while (hi - lo > 1) {
        long piv = lo + (long)(sp_splitmix64_next(&t->rng) % (uint64_t)(hi - lo));
        vp_swap(t, piv, hi - 1);
        long s = lo;
        for (long j = lo; j < hi - 1; j++)
            if (vp_less(t, j, hi - 1)) vp_swap(t, j, s++);
        vp_swap(t, s, hi - 1);
        if (s == m) return;
        if (m < s) hi = s;
        else lo = s + 1;
    }
}

static long vp_build(vptree *t, long lo, long hi)
{
    if (lo >= hi) return -1;
    long id = t->nn++;
    long r = lo + (long)(sp_splitmix64_next(&t->rng) % (uint64_t)(hi - lo));
    vp_swap(t, lo, r);
    vpnode nd = { t->items[lo], -1, -1, 0.0 };
    if (hi - lo > 1) {
        const double *v = t->X + (size_t)nd.point * t->D;
        for (long j = lo + 1; j < hi; j++) t->dd[j] = dist(v, t->X + (size_t)t->items[j] * t->D, t->D);
        long med = (lo + 1 + hi) / 2;
        vp_select(t, lo + 1, hi, med);
        nd.thr = t->dd[med];
        t->nodes[id] = nd;
        long left = vp_build(t, lo + 1, med);
        long right = vp_build(t, med, hi);
        t->nodes[id].left = left;
        t->nodes[id].right = right;
        return id;
    }
    t->nodes[id] = nd;
    return id;
}

static void vp_search(const vptree *t, long node, long self, const double *q, heap *h)
{
    if (node < 0) return;
    const vpnode *nd = &t->nodes[node];
    double d = dist(q, t->X + (size_t)nd->point * t->D, t->D);
    if (nd->point != self) heap_offer(h, d, nd->point);
    if (nd->left < 0 && nd->right < 0) return;
    double slack = 1e-9 * (1.0 + nd->thr + d);
    if (d < nd->thr) {
        if (d - heap_tau(h) <= nd->thr + slack) vp_search(t, nd->left, self, q, h);
        if (d + heap_tau(h) >= nd->thr - slack) vp_search(t, nd->right, self, q, h);
    } else {
        if (d + heap_tau(h) >= nd->thr - slack) vp_search(t, nd->right, self, q, h);
        if (d - heap_tau(h) <= nd->thr + slack) vp_search(t, nd->left, self, q, h);
    }
}

static int knn_check(long N, int k, sp_error *err)
{
    if (N < 2 || k < 1 || k > N - 1) return sp_fail(err, "knn: %d neighbours of %ld points", k, N);
    return 0;
}

int sp_tsne_knn_vptree(const double *X, long N, int D, int k, uint64_t seed, long *idx, double *dst, sp_error *err)
{
    if (knn_check(N, k, err) != 0) return -1;
    vptree t = { X, D, malloc((size_t)N * sizeof(long)), malloc((size_t)N * sizeof(double)),
                 malloc((size_t)N * sizeof(vpnode)), 0, seed ^ 0x5bd1e995ULL };
    double *hd = malloc((size_t)N * k * sizeof *hd);
    long *hi = malloc((size_t)N * k * sizeof *hi);
    int rc = -1;
    if (!t.items || !t.dd || !t.nodes || !hd || !hi) {
        sp_fail_oom(err, 0);
        goto out;
    }
    for (long i = 0; i < N; i++) t.items[i] = i;
    long root = vp_build(&t, 0, N);
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < N; i++) {
        heap h = { hd + (size_t)i * k, hi + (size_t)i * k, 0, k };
        vp_search(&t, root, i, X + (size_t)i * D, &h);
        heap_drain(&h, idx + (size_t)i * k, dst + (size_t)i * k);
    }
    rc = 0;
out:
    free(t.items);
    free(t.dd);
    free(t.nodes);
    free(hd);
    free(hi);
    return rc;
}

int sp_tsne_knn_brute(const double *X, long N, int D, int k, long *idx, double *dst, sp_error *err)
{
    if (knn_check(N, k, err) != 0) return -1;
    double *hd = malloc((size_t)N * k * sizeof *hd);
    long *hi = malloc((size_t)N * k * sizeof *hi);
    if (!hd || !hi) {
        free(hd);
        free(hi);
        return sp_fail_oom(err, 0);
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < N; i++) {
        heap h = { hd + (size_t)i * k, hi + (size_t)i * k, 0, k };
        for (long j = 0; j < N; j++)
            if (j != i) heap_offer(&h, dist(X + (size_t)i * D, X + (size_t)j * D, D), j);
        heap_drain(&h, idx + (size_t)i * k, dst + (size_t)i * k);
    }
    free(hd);
    free(hi);
    return 0;
}

/* ------------------------------------------------------------------------
 * Perplexity calibration by bisection on beta. With s_j = d2_j - min d2
 * (the shift cancels in p), p_j = e^{-beta s_j} / Z and
 * H = ln Z + beta sum_j p_j s_j, decreasing in beta. */
double sp_tsne_calibrate(const double *d2, int n, double perplexity, double *p)
{
    double dmin = INFINITY;
    for (int j = 0; j < n; j++)
        if (d2[j] < dmin) dmin = d2[j];
    double target = log(perplexity), beta = 1.0, lo = -INFINITY, hi = INFINITY;
    double best_beta = beta, best_gap = INFINITY;
    for (int it = 0; it < 200; it++) {
        double z = 0, m = 0;
        for (int j = 0; j < n; j++) {
            p[j] = exp(-beta * (d2[j] - dmin));
            z += p[j];
            m += p[j] * (d2[j] - dmin);
        }
        double H = log(z) + beta * m / z;
        double gap = fabs(H - target);
        if (gap < best_gap) best_gap = gap, best_beta = beta;
        if (gap < 1e-10) break;
        if (H > target) {
            lo = beta;
            beta = isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = isinf(lo) ? beta / 2 : (beta + lo) / 2;
        }
    }
    double z = 0;
    for (int j = 0; j < n; j++) z += (p[j] = exp(-best_beta * (d2[j] - dmin)));
    for (int j = 0; j < n; j++) p[j] /= z;
    return best_beta;
}

static int perp_check(long N, double perplexity, sp_error *err)
{
    if (!(perplexity >= 1.0) || perplexity >= (double)(N - 1))
        return sp_fail(err, "tsne: perplexity %g needs more than %g points (have %ld)", perplexity,
                    perplexity + 1, N);
    return 0;
}

int sp_tsne_p_exact(const double *X, long N, int D, double perplexity, double *P, sp_error *err)
{
    if (perp_check(N, perplexity, err) != 0) return -1;
    int nt = 1;
#ifdef _OPENMP
    nt = omp_get_max_threads();
#endif
    double *scratch = malloc((size_t)nt * 2 * N * sizeof *scratch);
    if (!scratch) return sp_fail_oom(err, 0);
#pragma omp parallel for schedule(dynamic, 16) num_threads(nt)
    for (long i = 0; i < N; i++) {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        double *d2 = scratch + (size_t)t * 2 * N, *p = d2 + N;
        long n = 0;
        for (long j = 0; j < N; j++)
            if (j != i) {
                double d = dist(X + (size_t)i * D, X + (size_t)j * D, D);
                d2[n++] = d * d;
            }
        sp_tsne_calibrate(d2, (int)n, perplexity, p);
        n = 0;
        for (long j = 0; j < N; j++) P[(size_t)i * N + j] = j == i ? 0.0 : p[n++];
    }
    free(scratch);
    double s = 1.0 / (2.0 * (double)N);
    for (long i = 0; i < N; i++)
        for (long j = i + 1; j < N; j++) {
            double v = (P[(size_t)i * N + j] + P[(size_t)j * N + i]) * s;
            P[(size_t)i * N + j] = P[(size_t)j * N + i] = v;
        }
    return 0;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int sp_tsne_p_sparse(const double *X, long N, int D, double perplexity, int k_override, uint64_t seed,
                     sp_tsne_sparse *P, sp_error *err)
{
    memset(P, 0, sizeof *P);
    if (perp_check(N, perplexity, err) != 0) return -1;
    long k = k_override > 0 ? k_override : (long)floor(3 * perplexity);
    if (k > N - 1) k = N - 1;
    long *idx = malloc((size_t)N * k * sizeof *idx);
    double *d = malloc((size_t)N * k * sizeof *d), *c = malloc((size_t)N * k * sizeof *c);
    long *cnt = calloc((size_t)N + 1, sizeof *cnt);
    /* per row before merging, 2 N k entries: key = column * M + slot, the
     * slot indexing the entry's value in pv */
    long *key = malloc((size_t)N * k * 2 * sizeof *key);
    double *pv = malloc((size_t)N * k * 2 * sizeof *pv);
    int rc = -1;
    if (!idx || !d || !c || !cnt || !key || !pv) {
        sp_fail_oom(err, 0);
        goto out;
    }
    if (sp_tsne_knn_vptree(X, N, D, (int)k, seed, idx, d, err) != 0) goto out;
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < N; i++) {
        double *di = d + (size_t)i * k;
        for (long j = 0; j < k; j++) di[j] *= di[j];
        sp_tsne_calibrate(di, (int)k, perplexity, c + (size_t)i * k);
    }
    /* C + C^T: entry (i, j, c_ij) and (j, i, c_ij), rows filled in (i, j)
     * order, so each row's list is deterministic. */
    for (long i = 0; i < N; i++)
        for (long j = 0; j < k; j++) {
            cnt[i + 1]++;
            cnt[idx[(size_t)i * k + j] + 1]++;
        }
    for (long i = 0; i < N; i++) cnt[i + 1] += cnt[i];
    long *fill = malloc((size_t)N * sizeof *fill);
    if (!fill) {
        sp_fail_oom(err, 0);
        goto out;
    }
    memcpy(fill, cnt, (size_t)N * sizeof *fill);
    const long M = 2 * (long)N * k;
    for (long i = 0; i < N; i++)
        for (long j = 0; j < k; j++) {
            long n = idx[(size_t)i * k + j];
            double v = c[(size_t)i * k + j];
            long a = fill[i]++, b = fill[n]++;
            key[a] = n * M + a, pv[a] = v;
            key[b] = i * M + b, pv[b] = v;
        }
    free(fill);
    /* sort each row by column (the slot breaks ties), then merge the
     * (i, j) and (j, i) entries of a pair: c_ij + c_ji, commutative */
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < N; i++) qsort(key + cnt[i], (size_t)(cnt[i + 1] - cnt[i]), sizeof *key, cmp_long);
    P->N = N;
    P->row = malloc((size_t)(N + 1) * sizeof *P->row);
    P->col = malloc((size_t)cnt[N] * sizeof *P->col);
    P->val = malloc((size_t)cnt[N] * sizeof *P->val);
    if (!P->row || !P->col || !P->val) {
        sp_tsne_sparse_free(P);
        sp_fail_oom(err, 0);
        goto out;
    }
    long nz = 0;
    double s2n = 1.0 / (2.0 * (double)N);
    P->row[0] = 0;
    for (long i = 0; i < N; i++) {
        long a = cnt[i], b = cnt[i + 1];
        long last = -1;
        for (long s = a; s < b; s++) {
            long col = key[s] / M, slot = key[s] % M;
            double v = pv[slot] * s2n;
            if (col == last) {
                P->val[nz - 1] += v;
            } else {
                P->col[nz] = col;
                P->val[nz] = v;
                nz++;
                last = col;
            }
        }
        P->row[i + 1] = nz;
    }
    rc = 0;
out:
    free(idx);
    free(d);
    free(c);
    free(cnt);
    free(key);
    free(pv);
    return rc;
}

/* ------------------------------------------------------------------------
 * Exact gradient. */
double sp_tsne_grad_exact(const double *P, const double *Y, long N, double exaggeration, double *grad, int kl)
{
    double *rz = malloc((size_t)N * sizeof *rz * 2);
    if (!rz) return NAN;
    double *rk = rz + N;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) {
        double z = 0;
        for (long j = 0; j < N; j++)
            if (j != i) {
                double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
                z += 1.0 / (1.0 + dx * dx + dy * dy);
            }
        rz[i] = z;
    }
    double Z = 0;
    for (long i = 0; i < N; i++) Z += rz[i];
#pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) {
        double gx = 0, gy = 0, k = 0;
        for (long j = 0; j < N; j++) {
            if (j == i) continue;
            double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
            double w = 1.0 / (1.0 + dx * dx + dy * dy), p = P[(size_t)i * N + j];
            double m = (exaggeration * p - w / Z) * w;
            gx += m * dx;
            gy += m * dy;
            if (kl && p > 0) k += p * log(p * Z / w);
        }
        grad[2 * i] = 4 * gx;
        grad[2 * i + 1] = 4 * gy;
        rk[i] = k;
    }
    double K = 0;
    if (kl)
        for (long i = 0; i < N; i++) K += rk[i];
    free(rz);
    return K;
}

/* ------------------------------------------------------------------------
 * Quadtree over Y, built top-down over an index permutation: a node's
 * points are perm[start .. end), partitioned stably into its four
 * quadrants, so the tree and its centres of mass (summed in index order)
 * depend on Y only. A node of one point, or of points closer than 1e-12
 * (or at depth 60), is a leaf. */
typedef struct {
    double cx, cy, hw;   /* cell centre and half width */
    double mx, my;       /* centre of mass */
    long start, end;     /* points perm[start .. end) */
    long child;          /* first of 4 consecutive children, -1: leaf */
} qnode;

typedef struct {
    qnode *n;
    long nn, cap;
    long *perm, *tmp;
    const double *Y;
} qtree;

static long q_new(qtree *t)
{
    if (t->nn == t->cap) {
        long cap = t->cap ? 2 * t->cap : 1024;
        qnode *n = realloc(t->n, (size_t)cap * sizeof *n);
        if (!n) return -1;
        t->n = n;
        t->cap = cap;
    }
    return t->nn++;
}

static int q_build(qtree *t, long id, int depth)
{
    qnode *nd = &t->n[id];
    long a = nd->start, b = nd->end;
    double sx = 0, sy = 0;
    for (long s = a; s < b; s++) sx += t->Y[2 * t->perm[s]], sy += t->Y[2 * t->perm[s] + 1];
    nd->mx = sx / (double)(b - a);
    nd->my = sy / (double)(b - a);
    nd->child = -1;
    if (b - a <= 1 || depth >= 60 || nd->hw < 1e-12) return 0;
    double cx = nd->cx, cy = nd->cy, hw = nd->hw;
    long cnt[4] = { 0, 0, 0, 0 };
    for (long s = a; s < b; s++) {
        long p = t->perm[s];
        int q = (t->Y[2 * p] >= cx) + 2 * (t->Y[2 * p + 1] >= cy);
        cnt[q]++;
    }
    if (cnt[0] == b - a || cnt[1] == b - a || cnt[2] == b - a || cnt[3] == b - a) {
        /* all in one quadrant: identical points can't be split further */
        int same = 1;
        for (long s = a + 1; s < b && same; s++)
            same = t->Y[2 * t->perm[s]] == t->Y[2 * t->perm[a]] && t->Y[2 * t->perm[s] + 1] == t->Y[2 * t->perm[a] + 1];
        if (same) return 0;
    }
    long off[4] = { a, a + cnt[0], a + cnt[0] + cnt[1], a + cnt[0] + cnt[1] + cnt[2] };
    for (long s = a; s < b; s++) {
        long p = t->perm[s];
        int q = (t->Y[2 * p] >= cx) + 2 * (t->Y[2 * p + 1] >= cy);
        t->tmp[off[q]++] = p;
    }
    memcpy(t->perm + a, t->tmp + a, (size_t)(b - a) * sizeof *t->perm);
    long first = -1;
    for (int q = 0; q < 4; q++) {
        long c = q_new(t);
        if (c < 0) return -1;
        if (q == 0) first = c;
    }
    nd = &t->n[id]; /* q_new may have moved the array */
    nd->child = first;
    long s0 = a;
    for (int q = 0; q < 4; q++) {
        qnode *c = &t->n[first + q];
        c->hw = hw / 2;
        c->cx = cx + (q & 1 ? hw / 2 : -hw / 2);
        c->cy = cy + (q & 2 ? hw / 2 : -hw / 2);
        c->start = s0;
        c->end = s0 + cnt[q];
        s0 = c->end;
    }
    for (int q = 0; q < 4; q++)
        if (t->n[first + q].end > t->n[first + q].start && q_build(t, first + q, depth + 1) != 0) return -1;
    return 0;
}

/* The traversal's compact copy of a node (40 bytes, against 80): centre
 * of mass, lim = (width / theta)^2 (a cell is one body when
 * lim < |y_i - y_c|^2; infinite for theta 0), points perm[start .. end),
 * first child or -1. */
typedef struct {
    double mx, my, lim;
    int32_t start, end, child, pad;
} tnode;

/* Repulsion on point i: z += sum w, f += sum w^2 (y_i - y_j), depth first
 * with an explicit stack (children pushed last to first, so they are
 * summed in quadrant order). */
static void q_repulse(const tnode *tn, const long *perm, const double *Y, long i, double *z, double *fx, double *fy)
{
    int32_t stack[512];
    int sp = 0;
    stack[sp++] = 0;
    double yx = Y[2 * i], yy = Y[2 * i + 1], Z = 0, FX = 0, FY = 0;
    while (sp > 0) {
        const tnode *nd = &tn[stack[--sp]];
        if (nd->child < 0) {
            for (int32_t s = nd->start; s < nd->end; s++) {
                long j = perm[s];
                if (j == i) continue;
                double dx = yx - Y[2 * j], dy = yy - Y[2 * j + 1];
                double w = 1.0 / (1.0 + dx * dx + dy * dy);
                Z += w;
                FX += w * w * dx;
                FY += w * w * dy;
            }
            continue;
        }
        double dx = yx - nd->mx, dy = yy - nd->my, d2 = dx * dx + dy * dy;
        if (nd->lim < d2) {
            double w = 1.0 / (1.0 + d2), nw = (double)(nd->end - nd->start) * w;
            Z += nw;
            FX += nw * w * dx;
            FY += nw * w * dy;
            continue;
        }
        for (int q = 3; q >= 0; q--) {
            const tnode *c = &tn[nd->child + q];
            if (c->end > c->start) stack[sp++] = nd->child + q;
        }
    }
    *z = Z, *fx = FX, *fy = FY;
}

int sp_tsne_grad_bh(const sp_tsne_sparse *P, const double *Y, long N, double theta, double exaggeration,
                    double *grad, double *kl, sp_error *err)
{
    qtree t = { NULL, 0, 0, malloc((size_t)N * sizeof(long)), malloc((size_t)N * sizeof(long)), Y };
    double *acc = malloc((size_t)N * 4 * sizeof *acc); /* z, fx, fy, kl per point */
    tnode *tn = NULL;
    int rc = -1;
    if (!t.perm || !t.tmp || !acc) {
        sp_fail_oom(err, 0);
        goto out;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (long i = 0; i < N; i++) {
        t.perm[i] = i;
        x0 = fmin(x0, Y[2 * i]), x1 = fmax(x1, Y[2 * i]);
        y0 = fmin(y0, Y[2 * i + 1]), y1 = fmax(y1, Y[2 * i + 1]);
    }
    long root = q_new(&t);
    if (root < 0) {
        sp_fail_oom(err, 0);
        goto out;
    }
    double hw = fmax(x1 - x0, y1 - y0) / 2;
    hw = hw * (1 + 1e-9) + 1e-300;
    t.n[root] = (qnode){ (x0 + x1) / 2, (y0 + y1) / 2, hw, 0, 0, 0, N, -1 };
    if (q_build(&t, root, 0) != 0) {
        sp_fail_oom(err, 0);
        goto out;
    }
    if (N > 2000000000L || t.nn > 2000000000L) {
        sp_fail(err, "tsne: %ld points are too many", N);
        goto out;
    }
    tn = malloc((size_t)t.nn * sizeof *tn);
    if (!tn) {
        sp_fail_oom(err, 0);
        goto out;
    }
    for (long k = 0; k < t.nn; k++) {
        double w = 2 * t.n[k].hw;
        tn[k] = (tnode){ t.n[k].mx, t.n[k].my, theta > 0 ? (w / theta) * (w / theta) : INFINITY,
                         (int32_t)t.n[k].start, (int32_t)t.n[k].end, (int32_t)t.n[k].child, 0 };
    }
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < N; i++) {
        double z = 0, fx = 0, fy = 0;
        q_repulse(tn, t.perm, Y, i, &z, &fx, &fy);
        acc[4 * i] = z;
        acc[4 * i + 1] = fx;
        acc[4 * i + 2] = fy;
    }
    double Z = 0;
    for (long i = 0; i < N; i++) Z += acc[4 * i];
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < N; i++) {
        double ax = 0, ay = 0, k = 0;
        for (long e = P->row[i]; e < P->row[i + 1]; e++) {
            long j = P->col[e];
            double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
            double w = 1.0 / (1.0 + dx * dx + dy * dy), p = P->val[e];
            ax += p * w * dx;
            ay += p * w * dy;
            if (kl && p > 0) k += p * log(p * Z / w);
        }
        grad[2 * i] = 4 * (exaggeration * ax - acc[4 * i + 1] / Z);
        grad[2 * i + 1] = 4 * (exaggeration * ay - acc[4 * i + 2] / Z);
        acc[4 * i + 3] = k;
    }
    if (kl) {
        double K = 0;
        for (long i = 0; i < N; i++) K += acc[4 * i + 3];
        *kl = K;
    }
    rc = 0;
out:
    free(tn);
    free(t.n);
    free(t.perm);
    free(t.tmp);
    free(acc);
    return rc;
}

/* ------------------------------------------------------------------------
 * The optimisation. */
int sp_tsne_run(const double *X, long N, int D, const double *init, const sp_tsne_params *p, double *Y, double *kl,
                sp_error *err)
{
    if (N < 4) return sp_fail(err, "tsne: %ld points, need at least 4", N);
    if (perp_check(N, p->perplexity, err) != 0) return -1;
    int exact = p->theta <= 0;
    if (exact && N > 20000)
        return sp_fail(err, "tsne: exact t-SNE (theta 0) of %ld points needs %.1f GB; use theta > 0", N,
                    (double)N * N * 8 / 1e9);
    double *P = NULL;
    sp_tsne_sparse S = { 0, NULL, NULL, NULL };
    double *grad = malloc((size_t)N * 2 * sizeof *grad), *upd = calloc((size_t)N * 2, sizeof *upd);
    double *gain = malloc((size_t)N * 2 * sizeof *gain);
    int rc = -1;
    if (!grad || !upd || !gain) {
        sp_fail_oom(err, 0);
        goto out;
    }
    if (exact) {
        P = malloc((size_t)N * N * sizeof *P);
        if (!P) {
            sp_fail_oom(err, 0);
            goto out;
        }
        if (sp_tsne_p_exact(X, N, D, p->perplexity, P, err) != 0) goto out;
    } else if (sp_tsne_p_sparse(X, N, D, p->perplexity, 0, p->seed, &S, err) != 0) {
        goto out;
    }
    if (init) {
        memcpy(Y, init, (size_t)N * 2 * sizeof *Y);
    } else {
        if (D >= 2) {
            if (sp_pca_d(X, N, D, 2, Y, NULL, NULL, NULL, err) != 0) goto out;
        } else {
            for (long i = 0; i < N; i++) Y[2 * i] = X[i], Y[2 * i + 1] = 0;
        }
        double m = 0, v = 0;
        for (long i = 0; i < N; i++) m += Y[2 * i];
        m /= (double)N;
        for (long i = 0; i < N; i++) v += (Y[2 * i] - m) * (Y[2 * i] - m);
        double sd = sqrt(v / (double)N);
        double s = sd > 0 ? 1e-4 / sd : 1.0;
        for (long i = 0; i < 2 * N; i++) Y[i] *= s;
    }
    double lr = p->learning_rate > 0 ? p->learning_rate : fmax(200.0, (double)N / 12.0);
    for (long i = 0; i < 2 * N; i++) gain[i] = 1.0;
    for (int it = 0; it < p->iterations; it++) {
        int early = it < p->exaggeration_iterations;
        double ex = early ? p->exaggeration : 1.0, mom = early ? 0.5 : 0.8;
        if (exact) {
            sp_tsne_grad_exact(P, Y, N, ex, grad, 0);
        } else if (sp_tsne_grad_bh(&S, Y, N, p->theta, ex, grad, NULL, err) != 0) {
            goto out;
        }
#pragma omp parallel for schedule(static)
        for (long i = 0; i < 2 * N; i++) {
            /* gains grow where the gradient opposes the last step */
            if (grad[i] * upd[i] < 0) gain[i] += 0.2;
            else gain[i] *= 0.8;
            if (gain[i] < 0.01) gain[i] = 0.01;
            upd[i] = mom * upd[i] - lr * gain[i] * grad[i];
            Y[i] += upd[i];
        }
    }
    double K = 0;
    if (exact) K = sp_tsne_grad_exact(P, Y, N, 1.0, grad, 1);
    else if (sp_tsne_grad_bh(&S, Y, N, p->theta, 1.0, grad, &K, err) != 0) goto out;
    for (long i = 0; i < 2 * N; i++)
        if (!isfinite(Y[i])) {
            sp_fail(err, "tsne: the embedding diverged (a coordinate is not finite); lower learning_rate");
            goto out;
        }
    if (kl) *kl = K;
    rc = 0;
out:
    free(P);
    sp_tsne_sparse_free(&S);
    free(grad);
    free(upd);
    free(gain);
    return rc;
}

/* ------------------------------------------------------------------------
 * Trustworthiness and k-NN preservation. */
static double sqd(const double *a, const double *b, int D)
{
    double s = 0;
    for (int c = 0; c < D; c++) {
        double t = a[c] - b[c];
        s += t * t;
    }
    return s;
}

int sp_tsne_quality(const double *X, long N, int D, const double *Y, int d, int k_trust, int k_nn, double *trust,
                    double *knn_pres, sp_error *err)
{
    if (N <= 3L * k_trust + 1 || N <= k_nn || k_trust < 1 || k_nn < 1)
        return sp_fail(err, "quality: %ld points are too few for %d and %d neighbours", N, k_trust, k_nn);
    int km = k_trust > k_nn ? k_trust : k_nn, nt = 1;
#ifdef _OPENMP
    nt = omp_get_max_threads();
#endif
    double *dh = malloc((size_t)nt * N * sizeof *dh);
    double *hb = malloc((size_t)nt * 4 * km * sizeof *hb);
    long *ib = malloc((size_t)nt * 4 * km * sizeof *ib);
    double *res = malloc((size_t)N * 2 * sizeof *res);
    if (!dh || !hb || !ib || !res) {
        free(dh), free(hb), free(ib), free(res);
        return sp_fail_oom(err, 0);
    }
#pragma omp parallel for schedule(dynamic, 16) num_threads(nt)
    for (long i = 0; i < N; i++) {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        double *row = dh + (size_t)t * N, *hd = hb + (size_t)t * 4 * km;
        long *hi = ib + (size_t)t * 4 * km;
        long *nx = hi + 2 * km, *ny = hi + 3 * km; /* k-NN lists of X and Y */
        double *dy = hd + 2 * km, *dx = hd + 3 * km;
        heap hx = { hd, hi, 0, km }, hy = { hd + km, hi + km, 0, km };
        for (long j = 0; j < N; j++) {
            if (j == i) continue;
            row[j] = sqd(X + (size_t)i * D, X + (size_t)j * D, D);
            heap_offer(&hx, row[j], j);
            heap_offer(&hy, sqd(Y + (size_t)i * d, Y + (size_t)j * d, d), j);
        }
        heap_drain(&hx, nx, dx);
        heap_drain(&hy, ny, dy);
        /* k-NN preservation */
        int common = 0;
        for (int a = 0; a < k_nn; a++)
            for (int b = 0; b < k_nn; b++)
                if (ny[a] == nx[b]) common++;
        /* trustworthiness: rank in X of Y's neighbours missing in X's */
        double pen = 0;
        for (int a = 0; a < k_trust; a++) {
            long j = ny[a];
            int in = 0;
            for (int b = 0; b < k_trust; b++) in |= nx[b] == j;
            if (in) continue;
            long r = 1;
            for (long l = 0; l < N; l++)
                if (l != i && (row[l] < row[j] || (row[l] == row[j] && l < j))) r++;
            pen += (double)(r - k_trust);
        }
        res[2 * i] = pen;
        res[2 * i + 1] = (double)common / k_nn;
    }
    double pen = 0, kp = 0;
    for (long i = 0; i < N; i++) pen += res[2 * i], kp += res[2 * i + 1];
    double n = (double)N, k = k_trust;
    if (trust) *trust = 1.0 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * pen;
    if (knn_pres) *knn_pres = kp / n;
    free(dh), free(hb), free(ib), free(res);
    return 0;
}
