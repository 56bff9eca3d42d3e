/* dist.h - the one place sincprobe talks to MPI: data-parallel training
 * over the processes `mpirun -np N sincprobe train` starts (ranks).
 *
 * Without MPI (configure --without-mpi, or a process not started by
 * mpirun) there is one rank: rank 0 of size 1, and every function below is
 * trivial (a copy or nothing), so the callers never #ifdef. MPI is
 * initialised only when the environment says mpirun (or srun) started the
 * process, so a plain `sincprobe train` of an MPI build is the
 * single-process program it always was.
 *
 * Errors: MPI's default handler (MPI_ERRORS_ARE_FATAL) ends the whole job
 * on a failed call, so these functions return nothing; a rank that fails
 * on its own (bad input, disk full) calls sp_dist_abort, which ends every
 * rank instead of leaving them waiting in a collective. */
#ifndef SP_DIST_H
#define SP_DIST_H

#include <stddef.h>

/* Initialise (MPI_Init when launched by mpirun/srun; else nothing). */
void sp_dist_init(int *argc, char ***argv);
/* MPI_Finalize when initialised. */
void sp_dist_finalize(void);
int sp_dist_rank(void);
int sp_dist_size(void);
/* 1 when built with MPI (whether or not this process is under mpirun). */
int sp_dist_built(void);

/* End every rank of the job with status code (MPI_Abort); returns at once
 * when there is one rank. */
void sp_dist_abort(int code);

/* Copy bytes bytes of buf from rank root to every rank (MPI_Bcast). */
void sp_dist_bcast(void *buf, size_t bytes, int root);
/* Every rank's bytes bytes of mine, in rank order, into all (size x bytes). */
void sp_dist_allgather(const void *mine, void *all, size_t bytes);

/* The sum in a FIXED order of every rank's contributions: rank r holds
 * nown vectors of n floats in own (nown x n, its contributions in order;
 * every rank the same nown), and on return acc (n floats) is, on every
 * rank, bit for bit
 *     ((((0 + c_0) + c_1) + c_2) + ...)      c_k: rank k / nown's vector k % nown
 * the left-to-right sum over the ranks' contributions in rank order. With
 * one rank it is that loop; with N it is the same additions done along a
 * chain: rank 0 adds its vectors to zeros and sends the partial sum to
 * rank 1, which adds its own and sends it on, ..., and the last rank
 * broadcasts the total. The vector goes in segments, so rank r + 1 adds
 * one segment while rank r sends the next (a pipeline: the time is about
 * (N + segments) segment times rather than N whole vectors). Unlike
 * MPI_Allreduce, whose order of additions depends on the implementation
 * and the number of ranks, the result does not depend on N: that is what
 * makes training with N = 1, 2, 4 ranks bit-identical (sincprobe-train(1)). */
void sp_dist_ordered_sum(float *acc, const float *own, int nown, size_t n);

/* The same sum, bit for bit, overlapped with the backward pass that
 * computes the rank's last vector (sincprobe-train(1), MPI): start it
 * when own's first nown - 1 vectors are complete; call sp_dist_sum_ready
 * whenever more of the last one is final (its [from, n): the backward
 * pass finishes the parameter block from its end), which sends what it
 * can along the chain without waiting (nonblocking MPI, progressed by
 * these calls); sp_dist_sum_finish completes the sum into acc, frees s.
 * The segments go from the end of the vector to its start, in the same
 * order on every rank, and the last rank sends each segment's total to
 * every other rank as soon as it has it (instead of one broadcast at the
 * end); every element is still the left-to-right sum over the ranks, so
 * acc is what sp_dist_ordered_sum gives. With one rank
 * (or without MPI) start does nothing and finish is
 * sp_dist_ordered_sum. */
typedef struct sp_dist_sum sp_dist_sum;
sp_dist_sum *sp_dist_sum_start(float *acc, const float *own, int nown, size_t n);
void sp_dist_sum_ready(sp_dist_sum *s, size_t from);
void sp_dist_sum_finish(sp_dist_sum *s);

/* Bytes this rank has handed to MPI to send so far (chain sends, the
 * broadcasts it was root of, allgather contributions): for bench/. */
unsigned long long sp_dist_bytes_sent(void);

#endif
