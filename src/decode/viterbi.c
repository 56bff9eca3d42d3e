/* viterbi.c - Viterbi decoding of frame log posteriors into phone
 * segments with a bigram LM, a minimum duration and an insertion penalty;
 * see decode.h for the score maximised.
 *
 * States: phone p has D = min_dur states (p,0)..(p,D-1) stored at
 * p*D + d; (p,D-1) has the self loop. Per frame:
 *   (q,0)   <- max over p != q of (p,D-1) + trans[p][q]   (the n x n step)
 *   (q,d)   <- (q,d-1)                                   0 < d < D-1
 *   (q,D-1) <- max((q,D-2), (q,D-1))                     D > 1
 *   (q,0)   <- max(entry, (q,0) self loop)               D = 1
 * Back pointers need only two bytes per phone and frame: the source phone
 * of the entry into (q,0) and whether (q,D-1) looped; every other state
 * has a single possible predecessor. */
#include "config.h"
#include "decode/decode.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_SOURCE 255

void sp_viterbi_opts_default(sp_viterbi_opts *o)
{
    o->min_dur = 3;
    o->prior_scale = 1.0;
    o->lm_weight = 1.0;
    o->insertion_penalty = 0.0;
}

void sp_viterbi_free(sp_viterbi *v)
{
    free(v->trans);
    free(v->enter);
    free(v->leave);
    free(v->bias);
    free(v->prev);
    free(v->cur);
    free(v->best_in);
    free(v->best_src);
    free(v->bp_src);
    free(v->bp_loop);
    memset(v, 0, sizeof *v);
}

static void reserve(sp_viterbi *v, size_t frames)
{
    if (frames <= v->cap) return;
    size_t m = frames * (size_t)v->n;
    v->bp_src = sp_xrealloc(v->bp_src, m);
    v->bp_loop = sp_xrealloc(v->bp_loop, m);
    v->cap = frames;
}

/* The LM term as it enters the path score: lm_weight 0 ignores the LM
 * (and must not turn -inf into NaN). */
static double lm_term(const sp_bigram *lm, double w, int prev, int next)
{
    if (!lm || w == 0.0) return 0.0;
    double lp = sp_bigram_logprob(lm, prev, next);
    return lp == -INFINITY ? -INFINITY : w * lp;
}

int sp_viterbi_init(sp_viterbi *v, int n, const sp_viterbi_opts *opts,
                    const sp_bigram *lm, const double *logprior,
                    size_t max_frames, sp_error *err)
{
    memset(v, 0, sizeof *v);
    if (n < 1 || n > SP_MAX_PHONES || n >= NO_SOURCE)
        return sp_fail(err, "viterbi: phone count %d is not in 1..%d", n, SP_MAX_PHONES);
    if (opts->min_dur < 1)
        return sp_fail(err, "viterbi: minimum duration %d is not at least 1 frame", opts->min_dur);
    if (!isfinite(opts->prior_scale))
        return sp_fail(err, "viterbi: prior scale %g is not finite", opts->prior_scale);
    if (!(opts->lm_weight >= 0.0 && isfinite(opts->lm_weight)))
        return sp_fail(err, "viterbi: LM weight %g is not a finite number >= 0", opts->lm_weight);
    if (!isfinite(opts->insertion_penalty))
        return sp_fail(err, "viterbi: insertion penalty %g is not finite", opts->insertion_penalty);
    if (lm && lm->n != n)
        return sp_fail(err, "viterbi: the bigram LM has %d phones, the decoder %d", lm->n, n);
    if (lm && !lm->finalised)
        return sp_fail(err, "viterbi: the bigram LM is not finalised");
    if (logprior)
        for (int p = 0; p < n; p++)
            if (!(logprior[p] <= 0.0 && isfinite(logprior[p])))
                return sp_fail(err, "viterbi: log prior %g of class %d is not a finite value <= 0",
                               logprior[p], p);

    size_t N = (size_t)n, D = (size_t)opts->min_dur;
    v->n = n;
    v->opts = *opts;
    v->trans = sp_xmalloc(N * N * sizeof *v->trans);
    v->enter = sp_xmalloc(N * sizeof *v->enter);
    v->leave = sp_xmalloc(N * sizeof *v->leave);
    v->bias = sp_xmalloc(N * sizeof *v->bias);
    v->prev = sp_xmalloc(N * D * sizeof *v->prev);
    v->cur = sp_xmalloc(N * D * sizeof *v->cur);
    v->best_in = sp_xmalloc(N * sizeof *v->best_in);
    v->best_src = sp_xmalloc(N * sizeof *v->best_src);

    double w = opts->lm_weight, pen = opts->insertion_penalty;
    for (int p = 0; p < n; p++) {
        for (int q = 0; q < n; q++)
            v->trans[p * n + q] = q == p ? -INFINITY : lm_term(lm, w, p, q) - pen;
        v->enter[p] = lm_term(lm, w, SP_BIGRAM_EDGE, p) - pen;
        v->leave[p] = lm_term(lm, w, p, SP_BIGRAM_EDGE);
        v->bias[p] = logprior && opts->prior_scale != 0.0 ? -opts->prior_scale * logprior[p] : 0.0;
    }
    reserve(v, max_frames);
    return 0;
}

int sp_viterbi_decode(sp_viterbi *v, const float *logpost, size_t T,
                      sp_phone_seg *seg, size_t *nseg, double *score, sp_error *err)
{
    *nseg = 0;
    if (score) *score = 0.0;
    if (!v->trans) return sp_fail(err, "viterbi: decoder not initialised");
    if (T == 0) return 0;
    int n = v->n;
    for (size_t i = 0; i < T * (size_t)n; i++)
        if (isnan(logpost[i]) || logpost[i] == INFINITY)
            return sp_fail(err, "viterbi: log posterior at frame %zu, class %zu is %g",
                           i / (size_t)n, i % (size_t)n, (double)logpost[i]);
    reserve(v, T);

    int D = v->opts.min_dur;
    if ((size_t)D > T) D = (int)T;
    double *prev = v->prev, *cur = v->cur;
    const double *bias = v->bias;

    /* Frame 0: only first states, entered from <s>. */
    for (int q = 0; q < n; q++) {
        for (int d = 0; d < D; d++) cur[q * D + d] = -INFINITY;
        cur[q * D] = v->enter[q] + ((double)logpost[q] + bias[q]);
        v->bp_src[q] = NO_SOURCE;
        v->bp_loop[q] = 0;
    }

    for (size_t t = 1; t < T; t++) {
        double *tmp = prev;
        prev = cur;
        cur = tmp;
        const float *lp = logpost + t * (size_t)n;
        unsigned char *bsrc = v->bp_src + t * (size_t)n;
        unsigned char *bloop = v->bp_loop + t * (size_t)n;

        /* Best entry into each phone from the last state of another. */
        double *in = v->best_in;
        int *src = v->best_src;
        for (int q = 0; q < n; q++) {
            in[q] = -INFINITY;
            src[q] = NO_SOURCE;
        }
        for (int p = 0; p < n; p++) {
            double a = prev[p * D + D - 1];
            if (a == -INFINITY) continue;
            const double *row = v->trans + p * n;
            for (int q = 0; q < n; q++) {
                double s = a + row[q];
                if (s > in[q]) {
                    in[q] = s;
                    src[q] = p;
                }
            }
        }

        for (int q = 0; q < n; q++) {
            double e = (double)lp[q] + bias[q];
            double *c = cur + q * D;
            const double *o = prev + q * D;
            bsrc[q] = (unsigned char)src[q];
            if (D == 1) {
                int loop = o[0] >= in[q];
                c[0] = (loop ? o[0] : in[q]) + e;
                bloop[q] = (unsigned char)loop;
                continue;
            }
            int loop = o[D - 1] >= o[D - 2];
            c[D - 1] = (loop ? o[D - 1] : o[D - 2]) + e;
            bloop[q] = (unsigned char)loop;
            for (int d = D - 2; d >= 1; d--) c[d] = o[d - 1] + e;
            c[0] = in[q] + e;
        }
    }

    /* Best final state, leaving to </s>. */
    double best = -INFINITY;
    int bq = -1;
    for (int q = 0; q < n; q++) {
        double s = cur[q * D + D - 1] + v->leave[q];
        if (s > best) {
            best = s;
            bq = q;
        }
    }
    v->prev = prev;
    v->cur = cur;
    if (bq < 0 || !(best > -INFINITY))
        return sp_fail(err, "viterbi: no path through %zu frames has a finite score "
                       "(does the LM forbid every phone sequence?)", T);

    /* Trace back, collecting segments last to first. */
    size_t k = 0;
    int q = bq, d = D - 1;
    long end = (long)T - 1;
    for (size_t t = T - 1;; t--) {
        const unsigned char *bsrc = v->bp_src + t * (size_t)n;
        const unsigned char *bloop = v->bp_loop + t * (size_t)n;
        if (t == 0) {
            seg[k].phone = q;
            seg[k].first = 0;
            seg[k].last = end;
            k++;
            break;
        }
        if (d == D - 1 && bloop[q]) continue;  /* self loop */
        if (d > 0) {
            d--;
            continue;
        }
        /* (q,0) entered at frame t from the last state of bsrc[q]. */
        seg[k].phone = q;
        seg[k].first = (long)t;
        seg[k].last = end;
        k++;
        end = (long)t - 1;
        q = bsrc[q];
        d = D - 1;
    }
    for (size_t i = 0, j = k - 1; i < j; i++, j--) {
        sp_phone_seg tmp = seg[i];
        seg[i] = seg[j];
        seg[j] = tmp;
    }
    *nseg = k;
    if (score) *score = best;
    return 0;
}
