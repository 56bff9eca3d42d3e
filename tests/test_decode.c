/* test_decode.c - the bigram phone LM, the class priors and the Viterbi
 * decoder (decode.h) against answers worked by hand and against a
 * brute-force decoder that enumerates every segmentation of tiny problems.
 * Each failure prints the check that failed; the exit status is 1 when any
 * did. */
#include "config.h"
#include "decode/decode.h"
#include "base/rng.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static const char *current = "";

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s (%s:%d): ", current, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static int near(double a, double b, double tol)
{
    if (a == b) return 1; /* also equal infinities */
    return fabs(a - b) <= tol * (1.0 + fabs(b));
}

/* ---------------------------------------------------------------- bigram */

/* The tiny corpus over 3 phones used for the hand calculations:
 *   u1: 0 1 1 2     -> 0 1 2       (repeat collapsed)
 *   u2: 0 2
 *   u3: -1 1 0      -> 1 0         (deleted phone dropped)
 *   u4: -1          -> nothing     (skipped)
 * Bigram counts (S = <s>, E = </s>):
 *   S->0 2, S->1 1 | 0->1 1, 0->2 1, 0->E 1 | 1->2 1, 1->0 1 | 2->E 2 */
static void tiny_corpus(sp_bigram *lm)
{
    static const int u1[] = { 0, 1, 1, 2 }, u2[] = { 0, 2 }, u3[] = { -1, 1, 0 }, u4[] = { -1 };
    sp_error err;
    CHECK(sp_bigram_add(lm, u1, 4, &err) == 0, "add u1: %s", err.msg);
    CHECK(sp_bigram_add(lm, u2, 2, &err) == 0, "add u2: %s", err.msg);
    CHECK(sp_bigram_add(lm, u3, 3, &err) == 0, "add u3: %s", err.msg);
    CHECK(sp_bigram_add(lm, u4, 1, &err) == 0, "add u4: %s", err.msg);
}

static void test_bigram_counts(void)
{
    current = "bigram counts";
    sp_error err;
    sp_bigram lm;
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_WITTEN_BELL, 0, &err) == 0, "init: %s", err.msg);
    tiny_corpus(&lm);
    CHECK(lm.utterances == 3, "utterances %ld, expected 3 (the all-deleted one skipped)", lm.utterances);
    CHECK(lm.tokens == 7, "tokens %ld, expected 7 after collapsing and dropping", lm.tokens);
    /* [h][w] with h = 3 for <s>, w = 3 for </s> */
    static const long want[4][4] = {
        { 0, 1, 1, 1 },
        { 1, 0, 1, 0 },
        { 0, 0, 0, 2 },
        { 2, 1, 0, 0 },
    };
    for (int h = 0; h < 4; h++)
        for (int w = 0; w < 4; w++)
            CHECK(lm.count[h * 4 + w] == want[h][w], "count[%d][%d] = %ld, expected %ld", h, w,
                  lm.count[h * 4 + w], want[h][w]);

    /* An index out of range is refused and nothing is counted. */
    static const int bad[] = { 0, 3 };
    CHECK(sp_bigram_add(&lm, bad, 2, &err) == -1, "index 3 with 3 phones accepted");
    CHECK(lm.utterances == 3 && lm.count[3 * 4 + 0] == 2, "a refused utterance changed the counts");
    sp_bigram_free(&lm);

    sp_bigram empty;
    CHECK(sp_bigram_init(&empty, 3, SP_BIGRAM_WITTEN_BELL, 0, &err) == 0, "init: %s", err.msg);
    CHECK(sp_bigram_finalise(&empty, &err) == -1, "finalising an LM with no transcripts succeeded");
    sp_bigram_free(&empty);
    CHECK(sp_bigram_init(&empty, 3, SP_BIGRAM_ADD_K, -1, &err) == -1, "negative k accepted");
    sp_bigram_free(&empty);
    CHECK(sp_bigram_init(&empty, 0, SP_BIGRAM_ADD_K, 1, &err) == -1, "0 phones accepted");
    sp_bigram_free(&empty);
}

static void test_bigram_witten_bell(void)
{
    current = "bigram Witten-Bell";
    sp_error err;
    sp_bigram lm;
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_WITTEN_BELL, 0, &err) == 0, "init: %s", err.msg);
    tiny_corpus(&lm);
    CHECK(sp_bigram_finalise(&lm, &err) == 0, "finalise: %s", err.msg);
    /* Target counts c(0)=3 c(1)=2 c(2)=2 c(E)=3, N=10, T0=4, V=4:
     * P1 = (c + 1) / 14 = 4/14 3/14 3/14 4/14.
     * h=0: c=3 T=3 A={1,2,E} mass 10/14 q = .3 .3 .4
     *      P(1|0) = (1 + 3*.3)/6 = 1.9/6, P(2|0) = 1.9/6, P(E|0) = 2.2/6
     * h=1: c=2 T=2 A={0,2,E} mass 11/14 q = 4/11 3/11 4/11
     *      P(0|1) = (1 + 8/11)/4 = 19/44, P(2|1) = 17/44, P(E|1) = 8/44
     * h=2: c=2 T=1 A={0,1,E} q = 4/11 3/11 4/11
     *      P(0|2) = (4/11)/3 = 4/33, P(1|2) = 3/33, P(E|2) = (2 + 4/11)/3 = 26/33
     * h=S: c=3 T=2 A={0,1,2} mass 10/14 q = .4 .3 .3
     *      P(0|S) = (2 + .8)/5 = .56, P(1|S) = 1.6/5 = .32, P(2|S) = .6/5 = .12 */
    const int S = SP_BIGRAM_EDGE, E = SP_BIGRAM_EDGE;
    struct { int h, w; double p; } want[] = {
        { 0, 1, 1.9 / 6 }, { 0, 2, 1.9 / 6 }, { 0, E, 2.2 / 6 },
        { 1, 0, 19.0 / 44 }, { 1, 2, 17.0 / 44 }, { 1, E, 8.0 / 44 },
        { 2, 0, 4.0 / 33 }, { 2, 1, 3.0 / 33 }, { 2, E, 26.0 / 33 },
        { S, 0, 0.56 }, { S, 1, 0.32 }, { S, 2, 0.12 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double got = sp_bigram_logprob(&lm, want[i].h, want[i].w);
        CHECK(near(got, log(want[i].p), 1e-12), "log P(%d | %d) = %.15g, expected log(%.15g) = %.15g",
              want[i].w, want[i].h, got, want[i].p, log(want[i].p));
    }
    for (int p = 0; p < 3; p++)
        CHECK(sp_bigram_logprob(&lm, p, p) == -INFINITY, "P(%d | %d) is not zero", p, p);
    CHECK(sp_bigram_logprob(&lm, S, E) == -INFINITY, "P(</s> | <s>) is not zero");
    /* Every row sums to one. */
    for (int h = -1; h < 3; h++) {
        double sum = 0;
        for (int w = -1; w < 3; w++) sum += exp(sp_bigram_logprob(&lm, h, w));
        CHECK(near(sum, 1.0, 1e-12), "row %d sums to %.15g", h, sum);
    }
    sp_bigram_free(&lm);

    /* A corpus with an unseen target and an unseen history: "0 1" alone.
     * c(0)=1 c(1)=1 c(2)=0 c(E)=1, N=3, T0=3, V=4:
     * P1 = (c + 3/4) / 6 = 1.75/6 1.75/6 .75/6 1.75/6.
     * h=0: c=1 T=1 A={1,2,E} q = 7/17 3/17 7/17
     *      P(1|0) = (1 + 7/17)/2 = 12/17, P(2|0) = 3/34, P(E|0) = 7/34
     * h=S: c=1 T=1 A={0,1,2} q = 7/17 7/17 3/17
     *      P(0|S) = 12/17, P(1|S) = 7/34, P(2|S) = 3/34
     * h=2 unseen: A={0,1,E} with P1 1.75 1.75 1.75: q = 1/3 each. */
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_WITTEN_BELL, 0, &err) == 0, "init: %s", err.msg);
    static const int u01[] = { 0, 1 };
    CHECK(sp_bigram_add(&lm, u01, 2, &err) == 0, "add: %s", err.msg);
    CHECK(sp_bigram_finalise(&lm, &err) == 0, "finalise: %s", err.msg);
    struct { int h, w; double p; } want2[] = {
        { 0, 1, 12.0 / 17 }, { 0, 2, 3.0 / 34 }, { 0, E, 7.0 / 34 },
        { S, 0, 12.0 / 17 }, { S, 1, 7.0 / 34 }, { S, 2, 3.0 / 34 },
        { 2, 0, 1.0 / 3 }, { 2, 1, 1.0 / 3 }, { 2, E, 1.0 / 3 },
    };
    for (size_t i = 0; i < sizeof want2 / sizeof want2[0]; i++) {
        double got = sp_bigram_logprob(&lm, want2[i].h, want2[i].w);
        CHECK(near(got, log(want2[i].p), 1e-12), "\"0 1\" corpus: log P(%d | %d) = %.15g, expected log(%.15g)",
              want2[i].w, want2[i].h, got, want2[i].p);
    }
    sp_bigram_free(&lm);
}

static void test_bigram_add_k(void)
{
    current = "bigram add-k";
    sp_error err;
    sp_bigram lm;
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_ADD_K, 0.5, &err) == 0, "init: %s", err.msg);
    tiny_corpus(&lm);
    CHECK(sp_bigram_finalise(&lm, &err) == 0, "finalise: %s", err.msg);
    /* |A(h)| = 3 for every history: P = (c + .5) / (c(h) + 1.5). */
    const int S = SP_BIGRAM_EDGE, E = SP_BIGRAM_EDGE;
    struct { int h, w; double p; } want[] = {
        { 0, 1, 1.5 / 4.5 }, { 0, E, 1.5 / 4.5 },
        { 1, 0, 1.5 / 3.5 }, { 1, E, 0.5 / 3.5 },
        { 2, E, 2.5 / 3.5 }, { 2, 0, 0.5 / 3.5 },
        { S, 0, 2.5 / 4.5 }, { S, 2, 0.5 / 4.5 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double got = sp_bigram_logprob(&lm, want[i].h, want[i].w);
        CHECK(near(got, log(want[i].p), 1e-12), "log P(%d | %d) = %.15g, expected log(%.15g)",
              want[i].w, want[i].h, got, want[i].p);
    }
    sp_bigram_free(&lm);

    /* k = 0: maximum likelihood; unseen bigrams impossible. */
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_ADD_K, 0, &err) == 0, "init: %s", err.msg);
    tiny_corpus(&lm);
    CHECK(sp_bigram_finalise(&lm, &err) == 0, "finalise: %s", err.msg);
    CHECK(near(sp_bigram_logprob(&lm, S, 0), log(2.0 / 3), 1e-12), "ML P(0|<s>) is not 2/3");
    CHECK(sp_bigram_logprob(&lm, S, 2) == -INFINITY, "ML P(2|<s>) is not zero");
    CHECK(near(sp_bigram_logprob(&lm, 2, E), 0.0, 1e-12), "ML P(</s>|2) is not 1");
    sp_bigram_free(&lm);

    /* k = 0 with an unseen history: uniform over A(h). */
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_ADD_K, 0, &err) == 0, "init: %s", err.msg);
    static const int u01[] = { 0, 1 };
    sp_bigram_add(&lm, u01, 2, &err);
    CHECK(sp_bigram_finalise(&lm, &err) == 0, "finalise: %s", err.msg);
    CHECK(near(sp_bigram_logprob(&lm, 2, 0), log(1.0 / 3), 1e-12) &&
          near(sp_bigram_logprob(&lm, 2, E), log(1.0 / 3), 1e-12),
          "ML with the unseen history 2 is not uniform over {0, 1, </s>}");
    sp_bigram_free(&lm);
}

/* ---------------------------------------------------------------- priors */

static void test_priors(void)
{
    current = "priors";
    sp_error err;
    sp_priors p;
    CHECK(sp_priors_init(&p, 3, &err) == 0, "init: %s", err.msg);
    CHECK(sp_priors_finalise(&p, &err) == -1, "finalising with no frames succeeded");
    static const int lab[] = { 0, 0, 1, -1 };
    CHECK(sp_priors_add(&p, lab, 4, &err) == 0, "add: %s", err.msg);
    static const int bad[] = { 0, 3 };
    CHECK(sp_priors_add(&p, bad, 2, &err) == -1, "label 3 of 3 classes accepted");
    CHECK(sp_priors_finalise(&p, &err) == 0, "finalise: %s", err.msg);
    /* 3 labelled frames, add-one over 3 classes: 3/6 2/6 1/6. */
    CHECK(p.total == 3, "total %ld, expected 3", p.total);
    CHECK(near(p.logprior[0], log(3.0 / 6), 1e-12), "prior 0 %g", exp(p.logprior[0]));
    CHECK(near(p.logprior[1], log(2.0 / 6), 1e-12), "prior 1 %g", exp(p.logprior[1]));
    CHECK(near(p.logprior[2], log(1.0 / 6), 1e-12), "prior 2 %g", exp(p.logprior[2]));
    sp_priors_free(&p);
}

/* ------------------------------------------------- brute-force reference */

/* An independent statement of the decoder's objective: enumerate every
 * phone sequence with durations >= D covering T frames (consecutive phones
 * different), score each as decode.h defines, keep the best and the
 * runner-up score. */
typedef struct {
    int n, D;
    size_t T;
    const float *logpost;
    const double *logprior; /* NULL: none */
    double prior_scale, lm_weight, penalty;
    const sp_bigram *lm;    /* NULL: none */
    double best, second;
    int bestk, best_ph[16], best_len[16];
    int ph[16], len[16];
    long paths;
} brute;

static double brute_lm(const brute *b, int prev, int next)
{
    if (!b->lm || b->lm_weight == 0.0) return 0.0;
    double lp = sp_bigram_logprob(b->lm, prev, next);
    return lp == -INFINITY ? -INFINITY : b->lm_weight * lp;
}

static double brute_emit(const brute *b, size_t t, int q)
{
    double e = b->logpost[t * (size_t)b->n + (size_t)q];
    if (b->logprior && b->prior_scale != 0.0) e -= b->prior_scale * b->logprior[q];
    return e;
}

static void brute_rec(brute *b, size_t t, int prev, int k, double acc)
{
    if (t == b->T) {
        double s = acc + brute_lm(b, prev, SP_BIGRAM_EDGE);
        b->paths++;
        if (s > b->best) {
            b->second = b->best;
            b->best = s;
            b->bestk = k;
            memcpy(b->best_ph, b->ph, sizeof b->ph);
            memcpy(b->best_len, b->len, sizeof b->len);
        } else if (s > b->second) {
            b->second = s;
        }
        return;
    }
    for (int q = 0; q < b->n; q++) {
        if (q == prev) continue;
        double s = acc + brute_lm(b, k == 0 ? SP_BIGRAM_EDGE : prev, q) - b->penalty;
        for (size_t d = 0; d < (size_t)b->D - 1 && t + d < b->T; d++) s += brute_emit(b, t + d, q);
        for (size_t L = (size_t)b->D; t + L <= b->T; L++) {
            s += brute_emit(b, t + L - 1, q);
            b->ph[k] = q;
            b->len[k] = (int)L;
            brute_rec(b, t + L, q, k + 1, s);
        }
    }
}

static void brute_run(brute *b)
{
    b->best = b->second = -INFINITY;
    b->bestk = 0;
    b->paths = 0;
    brute_rec(b, 0, -1, 0, 0.0);
}

/* The objective of decode.h evaluated on a given segmentation. */
static double path_score(const brute *b, const sp_phone_seg *seg, size_t k)
{
    double s = 0;
    int prev = SP_BIGRAM_EDGE;
    for (size_t i = 0; i < k; i++) {
        s += brute_lm(b, prev, seg[i].phone) - b->penalty;
        for (long t = seg[i].first; t <= seg[i].last; t++) s += brute_emit(b, (size_t)t, seg[i].phone);
        prev = seg[i].phone;
    }
    return s + brute_lm(b, prev, SP_BIGRAM_EDGE);
}

/* Segments cover 0..T-1 in order, last >= first + D - 1, neighbours
 * differ: 0, or -1 with why. */
static int segs_check(const sp_phone_seg *seg, size_t k, size_t T, int n, int D, sp_error *why)
{
    long next = 0;
    for (size_t i = 0; i < k; i++) {
        if (seg[i].phone < 0 || seg[i].phone >= n)
            return sp_fail(why, "segment %zu has phone %d", i, seg[i].phone);
        if (seg[i].first != next)
            return sp_fail(why, "segment %zu starts at %ld, expected %ld", i, seg[i].first, next);
        if (seg[i].last - seg[i].first + 1 < D)
            return sp_fail(why, "segment %zu lasts %ld frames, minimum %d", i, seg[i].last - seg[i].first + 1, D);
        if (i > 0 && seg[i].phone == seg[i - 1].phone)
            return sp_fail(why, "segments %zu and %zu both phone %d", i - 1, i, seg[i].phone);
        next = seg[i].last + 1;
    }
    if ((size_t)next != T) return sp_fail(why, "segments end at %ld of %zu frames", next, T);
    return 0;
}

/* Random log-softmax posteriors with logits of the given spread. */
static void random_logpost(sp_rng *r, float *lp, size_t T, int n, double spread)
{
    for (size_t t = 0; t < T; t++) {
        float *x = lp + t * (size_t)n;
        double mx = -INFINITY, z = 0;
        for (int c = 0; c < n; c++) {
            x[c] = (float)(spread * sp_rng_normal(r));
            if (x[c] > mx) mx = x[c];
        }
        for (int c = 0; c < n; c++) z += exp(x[c] - mx);
        for (int c = 0; c < n; c++) x[c] = (float)(x[c] - mx - log(z));
    }
}

/* A bigram LM from a few random utterances; smoothing chosen at random
 * (Witten-Bell, add-k, maximum likelihood) unless smoothed is set
 * (Witten-Bell: every allowed transition possible). */
static void random_lm(sp_rng *r, sp_bigram *lm, int n, int smoothed)
{
    sp_error err;
    int kind = smoothed ? 0 : (int)sp_rng_below(r, 3);
    double k = kind == 1 ? (sp_rng_below(r, 2) ? 0.1 : 1.0) : 0.0;
    sp_bigram_init(lm, n, kind == 0 ? SP_BIGRAM_WITTEN_BELL : SP_BIGRAM_ADD_K, k, &err);
    int nutt = 1 + (int)sp_rng_below(r, 6);
    for (int u = 0; u < nutt; u++) {
        int ph[8];
        size_t len = 1 + sp_rng_below(r, 8);
        for (size_t i = 0; i < len; i++) ph[i] = (int)sp_rng_below(r, (uint64_t)n + 1) - 1;
        sp_bigram_add(lm, ph, len, &err);
    }
    if (lm->utterances == 0) {
        static const int one[] = { 0 };
        sp_bigram_add(lm, one, 1, &err);
    }
    if (sp_bigram_finalise(lm, &err) != 0) {
        failures++;
        fprintf(stderr, "FAIL %s: random LM: %s\n", current, err.msg);
    }
}

static void test_viterbi_vs_brute_force(void)
{
    current = "viterbi vs brute force";
    sp_error err;
    sp_rng r;
    sp_rng_seed(&r, 20240601, 7);
    const int n = 3, cases = 4000;
    int ties = 0, nopath = 0, checked = 0;
    long penalised_paths = 0;
    for (int c = 0; c < cases; c++) {
        size_t T = 1 + sp_rng_below(&r, 6);
        int D = 1 + (int)sp_rng_below(&r, 3);
        float lp[6 * 3];
        double spread = (double[]){ 0.3, 1.0, 3.0 }[sp_rng_below(&r, 3)];
        random_logpost(&r, lp, T, n, spread);
        double logprior[3];
        {
            double z = 0, w[3];
            for (int i = 0; i < n; i++) z += (w[i] = 0.05 + sp_rng_uniform(&r));
            for (int i = 0; i < n; i++) logprior[i] = log(w[i] / z);
        }
        sp_bigram lm;
        int use_lm = sp_rng_below(&r, 5) != 0;
        if (use_lm) random_lm(&r, &lm, n, 0);

        sp_viterbi_opts o;
        sp_viterbi_opts_default(&o);
        o.min_dur = D;
        o.prior_scale = sp_rng_below(&r, 4) == 0 ? 0.0 : 1.5 * sp_rng_uniform(&r);
        o.lm_weight = sp_rng_below(&r, 6) == 0 ? 0.0 : 3.0 * sp_rng_uniform(&r);
        o.insertion_penalty = -2.0 + 6.0 * sp_rng_uniform(&r);
        int use_prior = sp_rng_below(&r, 5) != 0;

        brute b = { .n = n, .D = D > (int)T ? (int)T : D, .T = T, .logpost = lp,
                    .logprior = use_prior ? logprior : NULL, .prior_scale = o.prior_scale,
                    .lm_weight = o.lm_weight, .penalty = o.insertion_penalty,
                    .lm = use_lm ? &lm : NULL };
        brute_run(&b);
        if (o.insertion_penalty != 0.0) penalised_paths += b.paths;

        sp_viterbi v;
        /* A small capacity on purpose: decoding must grow it. */
        if (sp_viterbi_init(&v, n, &o, use_lm ? &lm : NULL, use_prior ? logprior : NULL, 2, &err) != 0) {
            CHECK(0, "case %d: init: %s", c, err.msg);
            if (use_lm) sp_bigram_free(&lm);
            continue;
        }
        sp_phone_seg seg[6];
        size_t k = 0;
        double score = 0;
        int rc = sp_viterbi_decode(&v, lp, T, seg, &k, &score, &err);
        if (b.best == -INFINITY) {
            nopath++;
            CHECK(rc == -1, "case %d: no path exists but the decoder returned %zu segments", c, k);
        } else if (rc != 0) {
            CHECK(0, "case %d (T=%zu D=%d): decoder failed: %s; brute force best %g", c, T, D, err.msg, b.best);
        } else {
            checked++;
            CHECK(near(score, b.best, 1e-9), "case %d (T=%zu D=%d pen=%g lmw=%g): viterbi score %.12g, brute force %.12g",
                  c, T, D, o.insertion_penalty, o.lm_weight, score, b.best);
            sp_error why;
            CHECK(segs_check(seg, k, T, n, b.D, &why) == 0, "case %d: invalid segmentation: %s", c, why.msg);
            CHECK(near(path_score(&b, seg, k), score, 1e-9),
                  "case %d: reported score %.12g but the segments score %.12g", c, score, path_score(&b, seg, k));
            if (b.second > b.best - 1e-9) {
                ties++;
            } else {
                int same = (int)k == b.bestk;
                for (size_t i = 0; same && i < k; i++)
                    same = seg[i].phone == b.best_ph[i] && seg[i].last - seg[i].first + 1 == b.best_len[i];
                if (!same) {
                    char a[256] = "", e[256] = "";
                    for (size_t i = 0; i < k; i++)
                        snprintf(a + strlen(a), sizeof a - strlen(a), " %d:%ld", seg[i].phone,
                                 seg[i].last - seg[i].first + 1);
                    for (int i = 0; i < b.bestk; i++)
                        snprintf(e + strlen(e), sizeof e - strlen(e), " %d:%d", b.best_ph[i], b.best_len[i]);
                    CHECK(0, "case %d (T=%zu D=%d): viterbi path%s, brute force path%s", c, T, D, a, e);
                }
            }
        }
        sp_viterbi_free(&v);
        if (use_lm) sp_bigram_free(&lm);
    }
    /* The random problems must exercise what they claim to. */
    CHECK(checked > cases * 3 / 4, "only %d of %d cases had a path", checked, cases);
    CHECK(ties < cases / 50, "%d of %d cases were ties", ties, cases);
    CHECK(penalised_paths > 0, "no case used an insertion penalty");
    (void)nopath;
}

/* ---------------------------------------------------- worked Viterbi cases */

static void test_viterbi_hand(void)
{
    current = "viterbi worked example";
    sp_error err;
    /* Two phones, 9 frames; posteriors 0.9 for the "true" phone:
     * 0 0 0 0 1 0 0 0 0 (a one-frame blip of phone 1 at frame 4). */
    const size_t T = 9;
    float lp[9 * 2];
    for (size_t t = 0; t < T; t++) {
        int truth = t == 4;
        lp[t * 2 + (size_t)truth] = (float)log(0.9);
        lp[t * 2 + (size_t)!truth] = (float)log(0.1);
    }
    sp_viterbi_opts o;
    sp_viterbi_opts_default(&o);
    o.insertion_penalty = 0.5;
    sp_phone_seg seg[9];
    size_t k;
    double score;
    sp_viterbi v;

    /* min_dur 1: the blip is worth 2 log(9) = 4.39 > 2 x 0.5 extra
     * penalty: 0[0-3] 1[4] 0[5-8], score 9 log .9 - 3 x .5. */
    o.min_dur = 1;
    CHECK(sp_viterbi_init(&v, 2, &o, NULL, NULL, T, &err) == 0, "init: %s", err.msg);
    CHECK(sp_viterbi_decode(&v, lp, T, seg, &k, &score, &err) == 0, "decode: %s", err.msg);
    CHECK(k == 3 && seg[0].phone == 0 && seg[0].first == 0 && seg[0].last == 3 &&
          seg[1].phone == 1 && seg[1].first == 4 && seg[1].last == 4 &&
          seg[2].phone == 0 && seg[2].first == 5 && seg[2].last == 8,
          "min_dur 1: expected 0[0-3] 1[4-4] 0[5-8], got %zu segments", k);
    CHECK(near(score, 9 * log(0.9) - 1.5, 1e-6), "min_dur 1: score %.9g, expected %.9g", score,
          9 * log(0.9) - 1.5);
    sp_viterbi_free(&v);

    /* min_dur 2: the blip cannot be a phone; any 3-phone path still pays
     * one bad frame, so one segment wins: 8 log .9 + log .1 - .5. */
    o.min_dur = 2;
    CHECK(sp_viterbi_init(&v, 2, &o, NULL, NULL, T, &err) == 0, "init: %s", err.msg);
    CHECK(sp_viterbi_decode(&v, lp, T, seg, &k, &score, &err) == 0, "decode: %s", err.msg);
    CHECK(k == 1 && seg[0].phone == 0 && seg[0].first == 0 && seg[0].last == 8,
          "min_dur 2: expected 0[0-8], got %zu segments", k);
    CHECK(near(score, 8 * log(0.9) + log(0.1) - 0.5, 1e-6), "min_dur 2: score %.9g, expected %.9g",
          score, 8 * log(0.9) + log(0.1) - 0.5);

    /* Shorter than min_dur: one phone over all frames. */
    o.min_dur = 5;
    sp_viterbi_free(&v);
    CHECK(sp_viterbi_init(&v, 2, &o, NULL, NULL, T, &err) == 0, "init: %s", err.msg);
    CHECK(sp_viterbi_decode(&v, lp + 3 * 2, 2, seg, &k, &score, &err) == 0, "decode 2 frames: %s", err.msg);
    CHECK(k == 1 && seg[0].first == 0 && seg[0].last == 1, "2 frames with min_dur 5: %zu segments", k);
    CHECK(sp_viterbi_decode(&v, lp, 0, seg, &k, &score, &err) == 0 && k == 0, "0 frames did not give 0 segments");

    /* A NaN posterior is refused. */
    float bad[4] = { 0, 0, NAN, 0 };
    CHECK(sp_viterbi_decode(&v, bad, 2, seg, &k, &score, &err) == -1, "NaN posterior accepted");
    sp_viterbi_free(&v);
    sp_viterbi_free(&v); /* freeing twice is allowed */

    /* The LM decides when acoustics cannot: flat posteriors and a
     * maximum-likelihood LM trained on "0 1 2" alone, which allows that
     * sequence only; with min_dur 2 over 6 frames: 0[0-1] 1[2-3] 2[4-5]. */
    sp_bigram lm;
    CHECK(sp_bigram_init(&lm, 3, SP_BIGRAM_ADD_K, 0, &err) == 0, "init LM: %s", err.msg);
    static const int utt[] = { 0, 1, 2 };
    sp_bigram_add(&lm, utt, 3, &err);
    sp_bigram_finalise(&lm, &err);
    float flat[6 * 3];
    for (size_t i = 0; i < 18; i++) flat[i] = (float)log(1.0 / 3);
    o.min_dur = 2;
    o.insertion_penalty = 0;
    CHECK(sp_viterbi_init(&v, 3, &o, &lm, NULL, 6, &err) == 0, "init: %s", err.msg);
    CHECK(sp_viterbi_decode(&v, flat, 6, seg, &k, &score, &err) == 0, "decode with LM: %s", err.msg);
    CHECK(k == 3 && seg[0].phone == 0 && seg[1].phone == 1 && seg[2].phone == 2 &&
          seg[1].first == 2 && seg[2].first == 4,
          "the ML LM only allows 0 1 2, got %zu segments starting with %d", k, k ? seg[0].phone : -1);
    CHECK(near(score, 6 * log(1.0 / 3), 1e-6), "LM path score %.9g, expected 6 log 1/3", score);
    sp_viterbi_free(&v);

    /* Init refuses bad settings. */
    sp_viterbi_opts bo = o;
    bo.min_dur = 0;
    CHECK(sp_viterbi_init(&v, 3, &bo, &lm, NULL, 6, &err) == -1, "min_dur 0 accepted");
    sp_viterbi_free(&v);
    CHECK(sp_viterbi_init(&v, 4, &o, &lm, NULL, 6, &err) == -1, "a 3-phone LM accepted for 4 phones");
    sp_viterbi_free(&v);
    bo = o;
    bo.lm_weight = -1;
    CHECK(sp_viterbi_init(&v, 3, &bo, &lm, NULL, 6, &err) == -1, "a negative LM weight accepted");
    sp_viterbi_free(&v);
    sp_bigram_free(&lm);
}

/* Piecewise-constant "true" phones with noisy posteriors favouring them. */
static void realistic_logpost(sp_rng *r, float *lp, size_t T, int n)
{
    int truth = 0;
    size_t left = 0;
    for (size_t t = 0; t < T; t++) {
        if (left == 0) {
            int q;
            do q = (int)sp_rng_below(r, (uint64_t)n);
            while (q == truth && n > 1);
            truth = q;
            left = 2 + sp_rng_below(r, 12);
        }
        left--;
        float *x = lp + t * (size_t)n;
        double mx = -INFINITY, z = 0;
        for (int c = 0; c < n; c++) {
            x[c] = (float)(1.5 * sp_rng_normal(r) + (c == truth ? 3.0 : 0.0));
            if (x[c] > mx) mx = x[c];
        }
        for (int c = 0; c < n; c++) z += exp(x[c] - mx);
        for (int c = 0; c < n; c++) x[c] = (float)(x[c] - mx - log(z));
    }
}

static void test_min_duration(void)
{
    current = "minimum duration";
    sp_error err;
    sp_rng r;
    sp_rng_seed(&r, 99, 1);
    const int n = 48;
    const size_t T = 400;
    float *lp = sp_xmalloc(T * (size_t)n * sizeof *lp);
    sp_phone_seg *seg = sp_xmalloc(T * sizeof *seg);
    sp_bigram lm;
    random_lm(&r, &lm, n, 1);
    double logprior[48];
    for (int c = 0; c < n; c++) logprior[c] = log(1.0 / n);
    static const int durs[] = { 1, 2, 3, 5, 8 };
    for (int trial = 0; trial < 4; trial++) {
        realistic_logpost(&r, lp, T, n);
        long shortest_d1 = 0;
        for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
            sp_viterbi_opts o;
            sp_viterbi_opts_default(&o);
            o.min_dur = durs[i];
            o.lm_weight = 0.5;
            sp_viterbi v;
            CHECK(sp_viterbi_init(&v, n, &o, &lm, logprior, T, &err) == 0, "init: %s", err.msg);
            size_t k;
            double score;
            CHECK(sp_viterbi_decode(&v, lp, T, seg, &k, &score, &err) == 0, "decode: %s", err.msg);
            sp_error why;
            CHECK(segs_check(seg, k, T, n, durs[i], &why) == 0, "trial %d min_dur %d: %s", trial, durs[i], why.msg);
            brute b = { .n = n, .D = durs[i], .T = T, .logpost = lp, .logprior = logprior,
                        .prior_scale = o.prior_scale, .lm_weight = o.lm_weight,
                        .penalty = o.insertion_penalty, .lm = &lm };
            CHECK(near(path_score(&b, seg, k), score, 1e-9), "trial %d min_dur %d: score %.12g, segments score %.12g",
                  trial, durs[i], score, path_score(&b, seg, k));
            if (durs[i] == 1) {
                shortest_d1 = T;
                for (size_t j = 0; j < k; j++)
                    if (seg[j].last - seg[j].first + 1 < shortest_d1) shortest_d1 = seg[j].last - seg[j].first + 1;
            }
            sp_viterbi_free(&v);
        }
        /* Without the constraint some phone would be shorter than 3
         * frames, so the constraint is what the longer minima enforce. */
        CHECK(shortest_d1 < 3, "trial %d: with min_dur 1 the shortest segment is %ld frames; the test is too easy",
              trial, shortest_d1);
    }
    sp_bigram_free(&lm);
    free(lp);
    free(seg);
}

static void test_insertion_penalty(void)
{
    current = "insertion penalty";
    sp_error err;
    sp_rng r;
    sp_rng_seed(&r, 4242, 2);
    const int n = 48;
    const size_t T = 300;
    float *lp = sp_xmalloc(T * (size_t)n * sizeof *lp);
    sp_phone_seg *seg = sp_xmalloc(T * sizeof *seg);
    sp_bigram lm;
    random_lm(&r, &lm, n, 1);
    for (int trial = 0; trial < 3; trial++) {
        realistic_logpost(&r, lp, T, n);
        for (int D = 1; D <= 3; D += 2) {
            size_t last = T + 1, first_k = 0;
            for (double pen = -10; pen <= 40; pen += 0.5) {
                sp_viterbi_opts o;
                sp_viterbi_opts_default(&o);
                o.min_dur = D;
                o.insertion_penalty = pen;
                sp_viterbi v;
                CHECK(sp_viterbi_init(&v, n, &o, &lm, NULL, T, &err) == 0, "init: %s", err.msg);
                size_t k;
                CHECK(sp_viterbi_decode(&v, lp, T, seg, &k, NULL, &err) == 0, "decode: %s", err.msg);
                sp_viterbi_free(&v);
                CHECK(k <= last, "trial %d min_dur %d: penalty %g gives %zu segments, more than %zu at %g",
                      trial, D, pen, k, last, pen - 0.5);
                if (pen == -10) first_k = k;
                last = k;
            }
            CHECK(first_k > last + 20, "trial %d min_dur %d: penalty -10..40 only went from %zu to %zu segments",
                  trial, D, first_k, last);
            /* Extremes: one segment; or, with D = 1, a new phone every frame. */
            for (int side = 0; side < 2; side++) {
                sp_viterbi_opts o;
                sp_viterbi_opts_default(&o);
                o.min_dur = D;
                o.insertion_penalty = side ? 1e5 : -1e5;
                sp_viterbi v;
                CHECK(sp_viterbi_init(&v, n, &o, &lm, NULL, T, &err) == 0, "init: %s", err.msg);
                size_t k;
                CHECK(sp_viterbi_decode(&v, lp, T, seg, &k, NULL, &err) == 0, "decode: %s", err.msg);
                size_t want = side ? 1 : T / (size_t)D;
                CHECK(k == want, "trial %d min_dur %d: penalty %g gives %zu segments, expected %zu",
                      trial, D, o.insertion_penalty, k, want);
                sp_viterbi_free(&v);
            }
        }
    }
    sp_bigram_free(&lm);
    free(lp);
    free(seg);
}

int main(void)
{
    test_bigram_counts();
    test_bigram_witten_bell();
    test_bigram_add_k();
    test_priors();
    test_viterbi_vs_brute_force();
    test_viterbi_hand();
    test_min_duration();
    test_insertion_penalty();
    if (failures) {
        fprintf(stderr, "test_decode: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_decode: all checks passed\n");
    return 0;
}
