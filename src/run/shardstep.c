/* shardstep.c - the gradient of one data-parallel training step (see
 * shardstep.h): the rank's shards' forward and backward passes, then the
 * ordered sums over the ranks. */
#include "config.h"
#include "run/shardstep.h"

#include "base/util.h"
#include "run/dist.h"
#include "run/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sp_shard_init(sp_shard_step *s, sp_model *m, int batch, int K, int overlap, uint64_t seed,
                   int (*stop_requested)(void))
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->rank = sp_dist_rank();
    s->nranks = sp_dist_size();
    s->batch = batch;
    s->K = K;
    s->per = K / s->nranks;
    s->overlap = overlap;
    s->seed = seed;
    s->stop_requested = stop_requested;
    size_t n = m->nparams + m->nstate, w = 2 * (size_t)s->per + 1;
    s->own = sp_xmalloc((size_t)s->per * n * sizeof *s->own);
    s->acc = sp_xmalloc(n * sizeof *s->acc);
    s->state0 = sp_xmalloc((m->nstate ? m->nstate : 1) * sizeof *s->state0);
    s->mine = sp_xmalloc(w * sizeof *s->mine);
    s->all = sp_xmalloc((size_t)s->nranks * w * sizeof *s->all);
}

void sp_shard_free(sp_shard_step *s)
{
    free(s->own);
    free(s->acc);
    free(s->state0);
    free(s->mine);
    free(s->all);
    memset(s, 0, sizeof *s);
}

/* The gradient of a rank's last shard, copied into its vector and handed
 * to the ordered sum as the backward pass finishes it (nn/model.h,
 * sp_model_grads_ready): copied is how much of it is in v so far (from
 * the end of the parameter block down). */
typedef struct {
    const float *grads;
    float *v;
    size_t copied;
    sp_dist_sum *sum;
} shard_overlap;

static void shard_grads_ready(void *ctx, size_t from)
{
    shard_overlap *o = ctx;
    if (from < o->copied) {
        memcpy(o->v + from, o->grads + from, (o->copied - from) * sizeof *o->v);
        o->copied = from;
    }
    sp_dist_sum_ready(o->sum, from);
}

/* Shard k's forward and backward (k global) from the step's state, its
 * dropout drawn from (seed, step, k). Its gradient and its running
 * statistics go in v, its correct count in *correct; returns its mean
 * loss (not finite: the caller stops, v incomplete). sum: NULL, or the
 * step's ordered sum (the rank's last shard, overlap): v is then filled
 * and handed to it piece by piece as the backward pass finishes it. The
 * state (final after the forward pass) goes first. */
static double shard_pass(sp_shard_step *s, const float *input, const int *targets, long step, int k, float *v,
                         int *correct, sp_dist_sum *sum)
{
    sp_model *m = s->m;
    int b = s->batch / s->K;
    const int *tg = targets + (size_t)k * b;
    memcpy(m->input, input + (size_t)k * b * m->T, (size_t)b * m->T * sizeof *m->input);
    memcpy(m->state, s->state0, m->nstate * sizeof *m->state);
    sp_rng_seed(&m->dropout_rng, s->seed + 0x9E3779B97F4A7C15ull * (uint64_t)(step + 1), 16 + (uint64_t)k);
    sp_model_forward(m, b, 1);
    double loss = sp_model_loss(m, tg, b);
    if (!isfinite(loss)) return loss;
    memcpy(v + m->nparams, m->state, m->nstate * sizeof *v);
    if (sum) {
        shard_overlap o = { m->grads, v, m->nparams, sum };
        sp_dist_sum_ready(sum, m->nparams);
        m->grads_ready = shard_grads_ready;
        m->grads_ready_ctx = &o;
        sp_model_backward(m, tg);
        shard_grads_ready(&o, 0);
        m->grads_ready = NULL;
        m->grads_ready_ctx = NULL;
    } else {
        sp_model_backward(m, tg);
        memcpy(v, m->grads, m->nparams * sizeof *v);
    }
    *correct = 0;
    for (int i = 0; i < b; i++)
        if (sp_argmax(m->logp + (size_t)i * SP_NCLASSES, SP_NCLASSES) == tg[i]) (*correct)++;
    return loss;
}

/* The sums of shardstep.h over every rank's shards into m and res; sum:
 * NULL, or the ordered sum the last shard started. s->mine holds the
 * rank's [per] losses, [per] counts and its stop flag. */
static void shard_reduce(sp_shard_step *s, sp_dist_sum *sum, sp_shard_result *res)
{
    sp_model *m = s->m;
    size_t n = m->nparams + m->nstate, w = 2 * (size_t)s->per + 1;
    if (sum)
        sp_dist_sum_finish(sum);
    else
        sp_dist_ordered_sum(s->acc, s->own, s->per, n);
    float scale = 1.0f / (float)s->K;
    for (size_t i = 0; i < m->nparams; i++) m->grads[i] = s->acc[i] * scale;
    for (size_t i = 0; i < m->nstate; i++) m->state[i] = s->acc[m->nparams + i] * scale;
    sp_dist_allgather(s->mine, s->all, w * sizeof *s->all);
    double loss = 0;
    res->correct = 0;
    res->stop = 0;
    for (int q = 0; q < s->nranks; q++) {
        const double *x = s->all + (size_t)q * w;
        for (int i = 0; i < s->per; i++) {
            loss += x[i];
            res->correct += (long)x[s->per + i];
        }
        if (x[2 * s->per]) res->stop = 1;
    }
    res->loss = loss / s->K;
}

int sp_shard_gradient(sp_shard_step *s, const float *input, const int *targets, long step, sp_shard_result *res,
                      sp_shard_timing *t)
{
    sp_model *m = s->m;
    double t0 = t ? sp_now() : 0;
    unsigned long long b0 = t ? sp_dist_bytes_sent() : 0;
    size_t n = m->nparams + m->nstate;
    memcpy(s->state0, m->state, m->nstate * sizeof *m->state);
    sp_rng dropout = m->dropout_rng; /* unused by shards; kept as it was so all ranks save the same */
    /* overlap on several ranks: the sum starts before the last shard's
     * backward pass and overlaps it; else the sum after it */
    sp_dist_sum *sum = NULL;
    for (int i = 0; i < s->per; i++) {
        int k = s->rank * s->per + i, correct;
        if (i == s->per - 1 && s->nranks > 1 && s->overlap) sum = sp_dist_sum_start(s->acc, s->own, s->per, n);
        double l = shard_pass(s, input, targets, step, k, s->own + (size_t)i * n, &correct, sum);
        if (!isfinite(l)) { /* the job ends (sp_dist_abort): sum is left unfinished */
            res->loss = l;
            res->bad_shard = k;
            return -1;
        }
        s->mine[i] = l;
        s->mine[s->per + i] = correct;
    }
    m->dropout_rng = dropout;
    s->mine[2 * s->per] = s->stop_requested && s->stop_requested();
    double t1 = t ? sp_now() : 0;
    shard_reduce(s, sum, res);
    if (t) {
        t->compute = t1 - t0;
        t->reduce = sp_now() - t1;
        t->bytes = sp_dist_bytes_sent() - b0;
    }
    return 0;
}
