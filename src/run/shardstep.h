/* shardstep.h - the gradient of one data-parallel training step, the one
 * place it is computed: `sincprobe train`'s sharded step (train.c, [train]
 * shards, several ranks under mpirun) and bench/bench_mpi.c both call
 * sp_shard_gradient, so the bench times the code training runs.
 *
 * The global batch of B examples is cut in K shards of b = B / K, shard k
 * being examples [k b, (k + 1) b); each of the N ranks computes per = K / N
 * of them (rank r: shards r per ... r per + per - 1), every shard from the
 * step's batch-norm state with its dropout drawn from (seed, step, k), so
 * what a shard computes does not depend on which rank computes it. Then,
 * on every rank, bit for bit whatever N:
 *
 *   gradient      = (sum over the shards in order of each shard's mean
 *                    gradient) / K, the ordered sum of run/dist.h
 *   running stats = the same mean of each shard's update of the state
 *   loss          = (sum over the shards in order of their mean losses) / K
 *   correct       = the sum of the shards' counts
 *
 * With overlap (and N > 1) the ordered sum starts before the rank's last
 * shard's backward pass and takes the gradient piece by piece as the pass
 * finishes it (sp_dist_sum_start/ready/finish): the same sum, sooner. */
#ifndef SP_RUN_SHARDSTEP_H
#define SP_RUN_SHARDSTEP_H

#include "nn/model.h"

#include <stdint.h>

/* At most this many shards per rank ([train] shards / ranks). */
#define SP_SHARD_MAX_PER 256

typedef struct {
    sp_model *m;
    int rank, nranks;
    int batch, K, per;       /* examples in the global batch; shards in it; shards per rank */
    int overlap;             /* the exchange during the last shard's backward pass */
    uint64_t seed;           /* the dropout's: shard k of step s draws from (seed, s, k) */
    int (*stop_requested)(void); /* NULL, or whether this rank was asked to stop */
    float *own;              /* [per][nparams + nstate]: this rank's shards' gradients and states */
    float *acc;              /* [nparams + nstate]: their ordered sum over every rank */
    float *state0;           /* [nstate]: the batch-norm state at the step's start */
    double *mine, *all;      /* [2 per + 1], [nranks][2 per + 1]: losses, counts, stop flag */
} sp_shard_step;

/* What a step gives besides the model's gradient and state. */
typedef struct {
    double loss;   /* the batch's mean loss; on failure the failing shard's */
    long correct;  /* examples of the batch whose argmax is the target */
    int stop;      /* some rank was asked to stop (stop_requested) */
    int bad_shard; /* on failure: the shard whose loss is not finite */
} sp_shard_result;

/* Optional timings of a step on this rank (bench/bench_mpi.c):
 * compute: from the call to the end of the last shard's backward pass and
 *          the copy of its gradient (with overlap, the part of the
 *          exchange done during that pass included);
 * reduce:  from there to the return: what is left of the ordered sum, the
 *          scaling by 1 / K and the allgather of losses, counts and flags;
 * bytes:   what this rank handed to MPI meanwhile (sp_dist_bytes_sent). */
typedef struct {
    double compute, reduce;
    unsigned long long bytes;
} sp_shard_timing;

/* Set s up for model m on this process's rank (run/dist.h): batch
 * examples cut in K shards. The caller has checked that K is a multiple
 * of the number of ranks, batch a multiple of K, and K / ranks at most
 * SP_SHARD_MAX_PER. overlap: [train] overlap; seed: [train] seed;
 * stop_requested: NULL, or read once per step after this rank's shards. */
void sp_shard_init(sp_shard_step *s, sp_model *m, int batch, int K, int overlap, uint64_t seed,
                   int (*stop_requested)(void));
void sp_shard_free(sp_shard_step *s);

/* One step's gradient: input [batch][T] and targets [batch] the global
 * batch (the same on every rank), step the 0-based number of the step
 * (the dropout's). On return m->grads and m->state hold the step's sums
 * above (the optimiser step is the caller's), and res the loss, the
 * count and the stop agreement; t, when not NULL, the timings. m's
 * dropout generator is left as it was (the shards draw their own).
 * Returns 0, or -1 when a shard's loss is not finite: res->bad_shard and
 * res->loss name it, the model holds its forward pass (to find the
 * layer), and the ranks' exchange is left unfinished, so the caller must
 * end the job (sp_dist_abort). */
int sp_shard_gradient(sp_shard_step *s, const float *input, const int *targets, long step, sp_shard_result *res,
                      sp_shard_timing *t);

#endif
