/* bench_live.c - the per-hop compute of `sincprobe live` on one thread:
 * the `sincnet` preset's first layer as a streaming filterbank (80 filters
 * x 251 taps, 10 ms hop at 16 kHz, 30 ms window: live/filterbank.h), the
 * whole sincnet model on the last 200 ms every hop (--phones:
 * sp_model_infer, batch 1), and the engine end to end (live/engine.h: a
 * ring fed ahead of time, the worker's own per-hop stats). Not part of
 * make check.
 *
 *   make bench/bench_live
 *   bench/bench_live [--hops N] [--phone-hops N] [--quick]
 *
 * Each hop is timed by CLOCK_MONOTONIC (wall time, what a live display
 * feels) and by CLOCK_THREAD_CPUTIME_ID (what the hop itself costs, which
 * a shared machine disturbs less); the table gives mean, 99th percentile
 * (nearest rank) and maximum of each. The targets: filterbank
 * under 1 ms mean and 2 ms p99; with phones under 10 ms per hop. The
 * input is Gaussian noise (0.1) plus a tone; the model is freshly
 * initialised (seed of the preset): speed does not depend on the weights. */
#include "config.h"
#include "nn/blas_core.h"
#include "live/engine.h"
#include "live/filterbank.h"
#include "base/conf.h"
#include "base/rng.h"
#include "nn/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOP 160

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double mean, p99, max;
} summary;

/* v[n] in ms: mean, nearest-rank 99th percentile, maximum (sorts v). */
static summary summarise(double *v, long n)
{
    summary s = { 0, 0, 0 };
    for (long i = 0; i < n; i++) s.mean += v[i] / n;
    qsort(v, (size_t)n, sizeof *v, by_value);
    long rank = (long)ceil(0.99 * n);
    s.p99 = v[rank ? rank - 1 : 0];
    s.max = v[n - 1];
    return s;
}

static void row(const char *what, long n, double *wall, double *cpu, const char *target)
{
    summary w = summarise(wall, n), c = summarise(cpu, n);
    printf("  %-24s %7ld  %7.3f %7.3f %7.3f   %7.3f %7.3f %7.3f   %s\n", what, n, w.mean, w.p99, w.max, c.mean, c.p99,
           c.max, target);
}

static void cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            char *v = strchr(line, ':') + 1;
            while (*v == ' ') v++;
            v[strcspn(v, "\n")] = '\0';
            snprintf(out, n, "%s", v);
            break;
        }
    if (f) fclose(f);
}

/* x[n]: noise and a 1 kHz tone. */
static float *signal_of(long n)
{
    sp_rng r;
    sp_rng_seed(&r, 7, 0);
    float *x = malloc((size_t)n * sizeof *x);
    for (long t = 0; t < n; t++) x[t] = (float)(0.1 * sp_rng_normal(&r) + 0.3 * sin(2 * M_PI * 1000.0 * t / 16000));
    return x;
}

static void filterbank(const sp_model *m, long hops)
{
    sp_error err;
    sp_filterbank *fb = sp_filterbank_new(m, HOP, 3 * HOP, &err);
    if (!fb) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        exit(1);
    }
    long warm = 100;
    float *x = signal_of((hops + warm) * HOP), e[512];
    double *wall = malloc((size_t)hops * sizeof *wall), *cpu = malloc((size_t)hops * sizeof *cpu);
    for (long h = 0; h < warm; h++) sp_filterbank_hop(fb, x + h * HOP, e);
    for (long h = 0; h < hops; h++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        sp_filterbank_hop(fb, x + (warm + h) * HOP, e);
        cpu[h] = 1e3 * (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
        wall[h] = 1e3 * (clock_s(CLOCK_MONOTONIC) - w0);
    }
    char what[64];
    snprintf(what, sizeof what, "filterbank %dx%d", sp_filterbank_size(fb), sp_filterbank_taps(fb));
    row(what, hops, wall, cpu, "< 1 mean, < 2 p99");
    free(x), free(wall), free(cpu);
    sp_filterbank_free(fb);
}

/* What the engine does for phones each hop: slide the last T samples by
 * a hop, copy them into the model's input, infer one chunk. */
static void phones(sp_model *m, long hops)
{
    int T = m->T;
    long warm = 5;
    float *x = signal_of((hops + warm) * HOP), *chunk = calloc((size_t)T, sizeof *chunk);
    double *wall = malloc((size_t)hops * sizeof *wall), *cpu = malloc((size_t)hops * sizeof *cpu);
    for (long h = 0; h < hops + warm; h++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        memmove(chunk, chunk + HOP, (size_t)(T - HOP) * sizeof *chunk);
        memcpy(chunk + T - HOP, x + h * HOP, HOP * sizeof *chunk);
        memcpy(m->input, chunk, (size_t)T * sizeof *chunk);
        sp_model_infer(m, 1);
        if (h < warm) continue;
        cpu[h - warm] = 1e3 * (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
        wall[h - warm] = 1e3 * (clock_s(CLOCK_MONOTONIC) - w0);
    }
    char what[64];
    snprintf(what, sizeof what, "phones (model, %d ms)", (int)lround(m->conf.input_ms));
    row(what, hops, wall, cpu, "< 10 mean");
    free(x), free(chunk), free(wall), free(cpu);
}

static int always(void *ctx)
{
    (void)ctx;
    return 1;
}

/* The engine on audio written into its ring beforehand (the source has
 * ended: the worker drains it as fast as it goes); its own stats. */
static void engine(sp_model *m, long hops, int nphones)
{
    sp_error err;
    sp_live_engine_opts o = { .in_rate = 16000, .hop_ms = 10, .window_ms = 25, .phones = nphones };
    sp_live_engine *e = sp_live_engine_new(m, &o, &err);
    sp_ring ring;
    if (!e || sp_ring_init(&ring, (size_t)hops * HOP, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        exit(1);
    }
    float *x = signal_of(hops * HOP);
    sp_ring_write(&ring, x, (size_t)hops * HOP);
    if (sp_live_engine_start(e, &ring, always, NULL, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        exit(1);
    }
    sp_live_frame f;
    int rc;
    while ((rc = sp_live_engine_next(e, &f)) != -1)
        if (rc == 0) sp_live_engine_wait(e, 0.1);
    sp_live_engine_stop(e, &err);
    sp_live_engine_stats s;
    sp_live_engine_stats_get(e, &s);
    printf("  %-24s %7llu  %7.3f %7.3f %7.3f   (wall; of which phones %.3f mean, %.3f p99)\n",
           nphones ? "engine, --phones" : "engine", (unsigned long long)s.hops, s.hop_ms_mean, s.hop_ms_p99,
           s.hop_ms_max, s.phones_ms_mean, s.phones_ms_p99);
    sp_live_engine_free(e);
    sp_ring_free(&ring);
    free(x);
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_live [--hops N] [--phone-hops N] [--threads N] [--quick]\n");
    return 2;
}

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    long hops = 20000, phone_hops = 500, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--hops"))
            hops = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--phone-hops"))
            phone_hops = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--threads"))
            threads = atol(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            hops = 2000, phone_hops = 100;
        else
            return usage();
    }
    if (hops < 1 || phone_hops < 1 || threads < 1 || threads > 64) return usage();
#ifdef SP_BENCH_DATA_DIR
    setenv("SINCPROBE_DATA_DIR", SP_BENCH_DATA_DIR, 0); /* the source tree's phone map, unless set */
#endif
    sp_conf c;
    sp_conf_defaults(&c); /* the sincnet preset */
    sp_model m;
    sp_error err;
    if (sp_model_init(&m, &c, 1, &err) != 0) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        return 1;
    }
    sp_set_threads((int)threads);
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    printf("bench_live: sincnet preset, 10 ms hop at 16 kHz, %ld thread%s (BLAS and OpenMP)\nCPU: %s\n", threads,
           threads == 1 ? "" : "s", cpu);
    printf("  %-24s %7s  %23s   %23s   %s\n", "", "", "wall ms", "thread CPU ms", "target ms");
    printf("  %-24s %7s  %7s %7s %7s   %7s %7s %7s\n", "per hop", "hops", "mean", "p99", "max", "mean", "p99", "max");
    filterbank(&m, hops);
    phones(&m, phone_hops);
    engine(&m, hops / 4, 0);
    engine(&m, phone_hops, 5);
    sp_model_free(&m);
    return 0;
}
