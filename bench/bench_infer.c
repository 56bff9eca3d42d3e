/* bench_infer.c - the inference path (sp_model_infer) against the
 * reference forward it replaced (sp_model_forward with training = 0), per
 * layer, in one process on the same inputs: a comparison that survives a
 * shared machine. Not part of make check.
 *
 *   make bench/bench_infer
 *   ../shared/bench/torch-env bench/bench_infer [--config big|small] [--threads N]
 *                                               [--batch B] [--reps R]
 *
 * The two alternate, R passes each (default 15), and the report is the
 * minimum over the passes of each layer's time and of the whole pass (the
 * minimum is what interference adds least to). With one thread the clock
 * is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which other processes
 * on the machine disturb much less than wall time; with more it is wall
 * time. Layer times come from the model's timing hook (model.h): a fused
 * call's time is on its first layer. The input is uniform noise in
 * [-0.5, 0.5]; the model is freshly initialised (seed 1234). */
#include "config.h"
#include "nn/blas_core.h"
#include "base/conf.h"
#include "nn/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPS 200

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec t;
    clock_gettime(clock_id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One pass's seconds per layer, from the timing hook. */
typedef struct {
    double t[SP_MAX_MODEL_LAYERS];
    double start;
} layer_clock;

static void clock_hook(void *ctx, int layer, sp_phase phase, int end)
{
    layer_clock *c = ctx;
    double t = now();
    (void)phase;
    if (!end)
        c->start = t;
    else if (layer >= 0)
        c->t[layer] += t - c->start;
}

/* Seconds of one pass (infer or the reference), its layers into c. */
static double pass(sp_model *m, int B, int infer, layer_clock *c)
{
    memset(c, 0, sizeof *c);
    m->hook = clock_hook;
    m->hook_ctx = c;
    double t0 = now();
    if (infer)
        sp_model_infer(m, B);
    else
        sp_model_forward(m, B, 0);
    double t = now() - t0;
    m->hook = NULL;
    m->hook_ctx = NULL;
    return t;
}

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m) m = v[i];
    return m;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_infer [--config big|small] [--threads N] [--batch B] [--reps R]\n");
    return 2;
}

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    const char *config = "big";
    int threads = 1, B = 128, reps = 15;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--config"))
            config = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--threads"))
            threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--batch"))
            B = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps"))
            reps = atoi(argv[++i]);
        else
            return usage();
    }
    if (strcmp(config, "big") && strcmp(config, "small")) return usage();
    if (threads < 1 || B < 1 || reps < 1 || reps > MAX_REPS) return usage();

    sp_conf c;
    sp_conf_defaults(&c);
    if (!strcmp(config, "small")) { /* the small preset's sizes (base/conf.c) */
        c.input_ms = 100;
        c.filters = 40;
        c.taps = 129;
        c.conv_channels[0] = c.conv_channels[1] = 32;
        c.dense[0] = c.dense[1] = 256;
        c.ndense = 2;
    }
    sp_model m;
    sp_error err;
    if (sp_model_init(&m, &c, B, &err) != 0) {
        fprintf(stderr, "bench_infer: %s\n", err.msg);
        return 1;
    }
    sp_set_threads(threads);
    if (threads == 1) clock_id = CLOCK_THREAD_CPUTIME_ID;
    srand(1);
    for (size_t i = 0; i < (size_t)B * m.T; i++) m.input[i] = (float)rand() / (float)RAND_MAX - 0.5f;

    static layer_clock ca[MAX_REPS], cb[MAX_REPS];
    double ta[MAX_REPS], tb[MAX_REPS], col_a[MAX_REPS], col_b[MAX_REPS];
    layer_clock warm;
    for (int w = 0; w < 2; w++) {
        pass(&m, B, 0, &warm);
        pass(&m, B, 1, &warm);
    }
    for (int r = 0; r < reps; r++) {
        ta[r] = pass(&m, B, 0, &ca[r]);
        tb[r] = pass(&m, B, 1, &cb[r]);
    }
    printf("%s, batch %d, %d thread%s, %s; minimum of %d passes each (ms)\n", config, B, threads,
           threads == 1 ? "" : "s", threads == 1 ? "thread CPU time" : "wall time", reps);
    printf("  %-10s %12s %12s\n", "layer", "reference", "sp_model_infer");
    for (int i = 0; i < m.nlayers; i++) {
        for (int r = 0; r < reps; r++) {
            col_a[r] = ca[r].t[i];
            col_b[r] = cb[r].t[i];
        }
        printf("  %-10s %12.2f %12.2f\n", m.layer[i].name, 1e3 * min_of(col_a, reps), 1e3 * min_of(col_b, reps));
    }
    double a = min_of(ta, reps), b = min_of(tb, reps);
    printf("  %-10s %12.2f %12.2f   (%.2fx)\n", "pass", 1e3 * a, 1e3 * b, a / b);
    sp_model_free(&m);
    return 0;
}
