/* bench_mpi.c - one data-parallel training step as `mpirun -np N sincprobe
 * train` makes it with [train] shards = 0 (one shard per rank): the
 * gradient by sp_shard_gradient (run/shardstep.h), the very function
 * train.c's sharded step calls, then the optimiser step; timed piece by
 * piece, with the bytes each rank hands to MPI per step
 * (sp_dist_bytes_sent, run/dist.h). Run it under mpirun;
 * bench/mpi-scaling.sh runs it on 1 and 2 ranks in turn and prints the
 * scaling. Not part of make check: built by `make bench`.
 *
 * Per step, on every rank, with the global batch B of the preset (random
 * standard-normal input, uniform labels, as bench_train; the same on
 * every rank, as training's) cut in N shards of B / N:
 *
 *   compute  forward (training=1) + loss + backward of the rank's shard,
 *            and the copy of its gradient and batch-norm state into the
 *            vector the reduction sends (sp_shard_timing.compute)
 *   reduce   sp_dist_ordered_sum over nparams + nstate floats (the chain
 *            rank 0 -> ... -> N - 1 and the last rank's broadcast), the
 *            scaling by 1/N, and the allgather of the shards' losses,
 *            correct counts and stop flags (sp_shard_timing.reduce)
 *   update   the RMSprop step (sp_optim_step)
 *
 * The ranks start each step together (a broadcast of one int, not
 * counted), and a step's time is the slowest rank's. Rank 0 prints one
 * line per config:
 *
 *   config ranks batch shard nparams nstate step_ms compute_ms reduce_ms
 *   update_ms ex_per_s bytes_per_step_rank0 ... bytes_per_step_rankN-1
 *
 * (medians over the timed steps; bytes per step are exact, the same every
 * step), and with --json FILE a JSON line per config.
 *
 *   mpirun -np N bench_mpi [--configs small,sincnet] [--steps N]
 *                          [--warmup N] [--threads T] [--json FILE]
 *                          [--overlap]
 *
 * --overlap, with several ranks: the exchange overlaps the backward pass
 * as [train] overlap = yes makes it (sp_dist_sum_start/ready/finish,
 * run/dist.h); compute is then up to the end of the backward pass (with
 * the part of the exchange done during it, and the copy of the gradient)
 * and reduce what is left of the exchange after it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"
#include "base/conf.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/rng.h"
#include "nn/blas_core.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "run/dist.h"
#include "run/shardstep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_STEPS = 1000, MAX_RANKS = 64 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (v is sorted in place). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* [model] preset = preset, resolved by the library (every default filled). */
static int resolve(sp_conf *c, const char *preset)
{
    char text[64];
    snprintf(text, sizeof text, "[model]\npreset = %s\n", preset);
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int rc = sp_ini_parse(&ini, "bench_mpi", text, &d);
    if (rc == 0) {
        rc = sp_conf_resolve(c, &ini, &d);
        sp_ini_free(&ini);
    }
    sp_diag_free(&d);
    return rc;
}

typedef struct {
    double step[MAX_STEPS], compute[MAX_STEPS], reduce[MAX_STEPS], update[MAX_STEPS];
    unsigned long long bytes; /* this rank's in the last step (the same every step) */
} timings;

/* --overlap: the exchange during the backward pass ([train] overlap = yes) */
static int overlap = 0;

/* Step number n (from 0): the rank's shard's gradient summed over the
 * ranks, then the update; the phases' seconds into t at index i (i < 0:
 * a warm-up step, not recorded). */
static void step(sp_shard_step *s, sp_optim *opt, const float *x, const int *y, long n, timings *t, int i)
{
    int go = 1;
    sp_dist_bcast(&go, sizeof go, 0); /* the ranks start the step together */
    sp_shard_result res;
    sp_shard_timing st;
    if (sp_shard_gradient(s, x, y, n, &res, &st) != 0) {
        fprintf(stderr, "bench_mpi: the loss of shard %d is not finite\n", res.bad_shard);
        sp_dist_abort(1);
        exit(1);
    }
    double t2 = now();
    sp_optim_step(opt, s->m->params, s->m->grads);
    double t3 = now();
    t->bytes = st.bytes;
    if (i < 0) return;
    t->compute[i] = st.compute;
    t->reduce[i] = st.reduce;
    t->update[i] = t3 - t2;
    t->step[i] = st.compute + st.reduce + (t3 - t2);
}

/* The slowest rank's time of each step: the maximum over the ranks. */
static void slowest(double *v, int steps, int N)
{
    double *all = malloc((size_t)steps * N * sizeof *all);
    if (!all) abort();
    sp_dist_allgather(v, all, (size_t)steps * sizeof *v);
    for (int i = 0; i < steps; i++)
        for (int r = 0; r < N; r++)
            if (all[(size_t)r * steps + i] > v[i]) v[i] = all[(size_t)r * steps + i];
    free(all);
}

static void report(FILE *json, const char *preset, const sp_model *m, int B, int N, int steps, timings *t)
{
    unsigned long long bytes[MAX_RANKS];
    sp_dist_allgather(&t->bytes, bytes, sizeof t->bytes);
    slowest(t->step, steps, N);
    slowest(t->compute, steps, N);
    slowest(t->reduce, steps, N);
    slowest(t->update, steps, N);
    if (sp_dist_rank() != 0) return;
    double st = median(t->step, steps), co = median(t->compute, steps), re = median(t->reduce, steps),
           up = median(t->update, steps);
    printf("%s\t%d\t%d\t%d\t%zu\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f", preset, N, B, B / N, m->nparams, m->nstate,
           1e3 * st, 1e3 * co, 1e3 * re, 1e3 * up, B / st);
    for (int r = 0; r < N; r++) printf("\t%llu", bytes[r]);
    printf("\n");
    fflush(stdout);
    if (!json) return;
    fprintf(json,
            "{\"config\":\"%s\",\"ranks\":%d,\"batch\":%d,\"shard\":%d,\"nparams\":%zu,\"nstate\":%zu,"
            "\"steps\":%d,\"step_ms\":%.3f,\"compute_ms\":%.3f,\"reduce_ms\":%.3f,\"update_ms\":%.3f,"
            "\"ex_per_s\":%.2f,\"bytes_per_step\":[",
            preset, N, B, B / N, m->nparams, m->nstate, steps, 1e3 * st, 1e3 * co, 1e3 * re, 1e3 * up, B / st);
    for (int r = 0; r < N; r++) fprintf(json, "%s%llu", r ? "," : "", bytes[r]);
    fprintf(json, "]}\n");
    fflush(json);
}

/* One preset: warm-up, then steps timed steps; -1 on a setup failure. */
static int bench_preset(const char *preset, int steps, int warmup, FILE *json)
{
    int N = sp_dist_size();
    sp_conf c;
    if (resolve(&c, preset) != 0) return -1;
    int B = c.batch, b = B / N;
    if (B % N != 0) {
        fprintf(stderr, "bench_mpi: %s: batch %d does not split over %d ranks\n", preset, B, N);
        return -1;
    }
    sp_model m;
    sp_optim opt;
    sp_error err = { "" };
    if (sp_model_init(&m, &c, b, &err) != 0 || sp_optim_init(&opt, &c, &m, &err) != 0) {
        fprintf(stderr, "bench_mpi: %s: %s\n", preset, err.msg);
        return -1;
    }
    sp_shard_step s;
    sp_shard_init(&s, &m, B, N, overlap, (uint64_t)c.seed, NULL);
    float *x = malloc((size_t)B * m.T * sizeof *x); /* the global batch, the same on every rank */
    int *y = malloc((size_t)B * sizeof *y);
    timings *t = calloc(1, sizeof *t);
    if (!x || !y || !t) abort();
    sp_rng rng;
    sp_rng_seed(&rng, 20240601u, 7);
    for (size_t i = 0; i < (size_t)B * m.T; i++) x[i] = (float)sp_rng_normal(&rng);
    for (int i = 0; i < B; i++) y[i] = (int)sp_rng_below(&rng, SP_NCLASSES);
    for (int i = 0; i < warmup + steps; i++) step(&s, &opt, x, y, i, t, i - warmup);
    report(json, preset, &m, B, N, steps, t);
    free(x), free(y), free(t);
    sp_shard_free(&s);
    sp_optim_free(&opt);
    sp_model_free(&m);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: mpirun -np N bench_mpi [--configs small,sincnet] [--steps N] [--warmup N] [--threads T] "
                    "[--json FILE] [--overlap]\n");
    return 2;
}

int main(int argc, char **argv)
{
    /* the kernels sincprobe itself runs (nn/blas_core.h: on a CPU
     * OpenBLAS 0.3.21 does not know, not its Prescott fallback); before
     * MPI_Init, since it may re-execute the program */
    sp_blas_use_best_core(argv);
    sp_dist_init(&argc, &argv);
    const char *configs = "small,sincnet", *json_path = NULL;
    int steps = 10, warmup = 2, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--overlap")) {
            overlap = 1;
            continue;
        }
        if (i + 1 >= argc) return usage();
        if (!strcmp(argv[i], "--configs")) configs = argv[++i];
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json_path = argv[++i];
        else return usage();
    }
    if (steps < 1 || steps > MAX_STEPS || warmup < 0 || threads < 1 || sp_dist_size() > MAX_RANKS) return usage();
    sp_set_threads(threads); /* OpenBLAS's and OpenMP's, as sincprobe train does */
    FILE *json = json_path && sp_dist_rank() == 0 ? fopen(json_path, "a") : NULL;
    if (sp_dist_rank() == 0)
        printf("config\tranks\tbatch\tshard\tnparams\tnstate\tstep_ms\tcompute_ms\treduce_ms\tupdate_ms\tex_per_s"
               "\tbytes_per_step_by_rank\n");
    char list[256];
    snprintf(list, sizeof list, "%s", configs);
    int rc = 0;
    for (char *p = strtok(list, ","); p && rc == 0; p = strtok(NULL, ","))
        rc = bench_preset(p, steps, warmup, json);
    if (json) fclose(json);
    if (rc != 0) sp_dist_abort(1);
    sp_dist_finalize();
    return rc != 0;
}
