/* bigram.c - the bigram phone language model; see decode.h for the
 * estimator (Witten-Bell or add-k) and the count layout. */
#include "config.h"
#include "decode/decode.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sp_bigram_init(sp_bigram *lm, int n, sp_bigram_smoothing smoothing, double k, sp_error *err)
{
    memset(lm, 0, sizeof *lm);
    if (n < 1 || n > SP_MAX_PHONES)
        return sp_fail(err, "bigram: phone count %d is not in 1..%d", n, SP_MAX_PHONES);
    if (smoothing != SP_BIGRAM_WITTEN_BELL && smoothing != SP_BIGRAM_ADD_K)
        return sp_fail(err, "bigram: unknown smoothing %d", (int)smoothing);
    if (smoothing == SP_BIGRAM_ADD_K && !(k >= 0.0 && isfinite(k)))
        return sp_fail(err, "bigram: add-k constant %g is not a finite number >= 0", k);
    size_t m = (size_t)(n + 1) * (size_t)(n + 1);
    lm->n = n;
    lm->smoothing = smoothing;
    lm->k = k;
    lm->count = sp_xcalloc(m, sizeof *lm->count);
    lm->logp = sp_xcalloc(m, sizeof *lm->logp);
    return 0;
}

void sp_bigram_free(sp_bigram *lm)
{
    free(lm->count);
    free(lm->logp);
    lm->count = NULL;
    lm->logp = NULL;
    lm->finalised = 0;
}

int sp_bigram_add(sp_bigram *lm, const int *phones, size_t len, sp_error *err)
{
    int n = lm->n;
    for (size_t i = 0; i < len; i++)
        if (phones[i] >= n)
            return sp_fail(err, "bigram: phone index %d at position %zu is not below %d",
                           phones[i], i, n);
    int prev = n; /* <s> */
    long added = 0;
    for (size_t i = 0; i < len; i++) {
        int p = phones[i];
        if (p < 0 || p == prev) continue;
        lm->count[(size_t)prev * (size_t)(n + 1) + (size_t)p]++;
        prev = p;
        added++;
    }
    if (added == 0) return 0;
    lm->count[(size_t)prev * (size_t)(n + 1) + (size_t)n]++; /* -> </s> */
    lm->utterances++;
    lm->tokens += added;
    lm->finalised = 0;
    return 0;
}

/* 1 when target w may follow history h (indices as in the tables). */
static int allowed(int n, int h, int w)
{
    if (h == n) return w != n;  /* <s>: any phone, not </s> */
    return w != h;              /* a phone: anything but itself */
}

int sp_bigram_finalise(sp_bigram *lm, sp_error *err)
{
    int n = lm->n, V = n + 1;
    if (!lm->count) return sp_fail(err, "bigram: model not initialised");
    if (lm->utterances == 0) return sp_fail(err, "bigram: no transcripts counted");

    /* Unigram over the targets (Witten-Bell towards uniform). */
    double p1[SP_MAX_PHONES + 1];
    long cw[SP_MAX_PHONES + 1];
    long N = 0;
    int T0 = 0;
    for (int w = 0; w < V; w++) {
        cw[w] = 0;
        for (int h = 0; h < V; h++) cw[w] += lm->count[h * V + w];
        N += cw[w];
        if (cw[w] > 0) T0++;
    }
    for (int w = 0; w < V; w++)
        p1[w] = ((double)cw[w] + (double)T0 / V) / ((double)N + T0);

    for (int h = 0; h < V; h++) {
        const long *c = lm->count + h * V;
        double *lp = lm->logp + h * V;
        long ch = 0;
        int Th = 0, A = 0;
        double mass = 0.0; /* unigram mass of A(h) */
        for (int w = 0; w < V; w++) {
            if (!allowed(n, h, w)) continue;
            A++;
            mass += p1[w];
            ch += c[w];
            if (c[w] > 0) Th++;
        }
        for (int w = 0; w < V; w++) {
            if (!allowed(n, h, w)) {
                lp[w] = -INFINITY;
                continue;
            }
            double p;
            if (lm->smoothing == SP_BIGRAM_WITTEN_BELL) {
                double q = p1[w] / mass;
                p = ch > 0 ? ((double)c[w] + Th * q) / ((double)ch + Th) : q;
            } else if (ch == 0 && lm->k == 0.0) {
                p = 1.0 / A;
            } else {
                p = ((double)c[w] + lm->k) / ((double)ch + lm->k * A);
            }
            lp[w] = p > 0.0 ? log(p) : -INFINITY;
        }
    }
    lm->finalised = 1;
    return 0;
}

double sp_bigram_logprob(const sp_bigram *lm, int prev, int next)
{
    int n = lm->n;
    int h = prev == SP_BIGRAM_EDGE ? n : prev;
    int w = next == SP_BIGRAM_EDGE ? n : next;
    if (!lm->finalised || h < 0 || h > n || w < 0 || w > n) return NAN;
    return lm->logp[(size_t)h * (size_t)(n + 1) + (size_t)w];
}
