/* bench_train.c - training and inference throughput of sincprobe's engine,
 * for comparison with the PyTorch reference (../shared/bench/torch_sincnet.py).
 * Not part of make check: built by `make bench` (bench/bench.am) or by hand.
 *
 * For each model config (big = the `sincnet` preset at batch 128, small =
 * the `small` preset at batch 64) and each thread count (set with
 * sp_set_threads: OpenBLAS's and OpenMP's, as `sincprobe train` does) it
 * measures, in a child process of its own (so that peak RSS belongs to that
 * config alone):
 *
 *   train   forward (training=1) + loss + backward + RMSprop step on random
 *           input (standard normal) and random labels, as src/train.c does
 *           it; warm-up steps, then N steps timed one by one; median ms/step
 *   infer   inference (sp_model_infer, what evaluation runs: the
 *           forward pass of training=0, fused further) at batch 128 (the
 *           reference's INFER_BATCH for both configs); median ms/batch;
 *           checked against sp_model_forward(training=0) (max |dlogp|),
 *           which is also timed (the inference path before issue 10)
 *   memory  peak RSS (getrusage ru_maxrss) after training and at the end
 *   layers  a per-layer breakdown of forward and backward: a clock
 *           around each layer call of sp_model_forward/sp_model_backward
 *           through the model's timing hook (model.h), checked to give the
 *           same log-probabilities and gradients as an unhooked pass;
 *           and of inference, a column of its own (a fused call's time on
 *           its first layer)
 *   gemm    the GFLOP/s of a 2048^3 cblas_sgemm with the same BLAS, the
 *           ceiling for the GEMM-shaped layers
 *
 * and prints a human table and, with --json FILE, JSON lines (one "summary"
 * record per config and thread count, one "layer" record per layer and
 * phase). It also says which OpenBLAS it actually ran on (path of the
 * loaded library, openblas_get_config, its threading model and kernel),
 * because ../shared/bench/torch-env puts Debian's OpenMP OpenBLAS first on
 * LD_LIBRARY_PATH and that one then replaces the pthread build we link.
 *
 *   bench_train [--configs big,small] [--threads 1,2] [--steps N]
 *               [--warmup N] [--layer-steps N] [--infer-batch N]
 *               [--no-gemm] [--no-fork] [--json FILE]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"
#include "nn/blas_core.h"
#include "base/conf.h"
#include "base/diag.h"
#include "base/ini.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "base/rng.h"

#include <cblas.h>
#include <dlfcn.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROWS (SP_MAX_MODEL_LAYERS + 8)
#define MAX_RUNS 32

/* ---------------------------------------------------------------------- */
/* clocks */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process, every thread (the BLAS threads too). */
static double own_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec
           + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* Busy CPU seconds of the whole machine, from /proc/stat (as the reference
 * script's Meter), or -1 when unreadable. */
static double machine_busy(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]);
    fclose(f);
    if (n < 7) return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + (n > 7 ? v[7] : 0)) / (double)(hz > 0 ? hz : 100);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    if (n <= 0) return 0;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) abort();
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double r = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return r;
}

static double vmin(const double *v, int n)
{
    double r = n ? v[0] : 0;
    for (int i = 1; i < n; i++)
        if (v[i] < r) r = v[i];
    return r;
}

static double vmax(const double *v, int n)
{
    double r = n ? v[0] : 0;
    for (int i = 1; i < n; i++)
        if (v[i] > r) r = v[i];
    return r;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static double current_rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, res = 0;
    int n = fscanf(f, "%ld %ld", &size, &res);
    fclose(f);
    if (n != 2) return -1;
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* ---------------------------------------------------------------------- */
/* results, passed from the child to the parent through a pipe */

typedef struct {
    char name[24];
    char kind[12];
    double fwd_ms, bwd_ms;        /* medians over the breakdown steps */
    double inf_ms;                /* inference (sp_model_infer), median */
    double fwd_flop, bwd_flop;    /* GEMM flops executed per batch (0: not GEMM-shaped) */
} row;

typedef struct {
    int ok;
    char config[16], preset[16];
    int threads, batch, infer_batch, steps, warmup, layer_steps;
    int T, filters, taps, nlayers;
    size_t nparams;
    /* training */
    double train_ms_med, train_ms_min, train_ms_max, train_eps;
    double train_own_cores, train_foreign_cores, loss_first, loss_last;
    int train_rejected, train_forced, infer_rejected, infer_forced, layers_rejected;
    double train_cpu_ms, infer_cpu_ms;   /* CPU time (all threads) per step */
    double layers_foreign_cores;
    /* inference */
    double infer_ms_med, infer_ms_min, infer_ms_max, infer_eps;
    double infer_own_cores, infer_foreign_cores;
    double infer_ref_ms_med;      /* sp_model_forward(training=0), the reference */
    /* memory */
    double rss_after_init_mib, rss_after_train_mib, rss_peak_mib;
    /* breakdown */
    int nrows;
    row rows[MAX_ROWS];
    double zero_ms, loss_fwd_ms, loss_bwd_ms, optim_ms;
    double fwd_sum_ms, bwd_sum_ms, step_sum_ms;
    double check_logp_maxdiff, check_grad_maxdiff;
    double check_infer_maxdiff;   /* sp_model_infer vs sp_model_forward(training=0) */
    double inf_sum_ms, inf_loss_ms; /* the inference breakdown's sum and its log-softmax */
    /* gemm */
    double gemm_gflops;
    /* BLAS actually used */
    char blas_path[256], blas_config[256], blas_core[64];
    int blas_parallel, blas_threads;
    int omp_threads;      /* OpenMP threads of the element-wise layers (0: built without OpenMP) */
} result;

/* ---------------------------------------------------------------------- */
/* configs */

typedef struct {
    const char *name;   /* as on the command line and in the reference */
    const char *ini;    /* resolved by the library's own preset logic */
} config_spec;

static const config_spec CONFIGS[] = {
    { "big", "[model]\npreset = sincnet\n" },
    { "small", "[model]\npreset = small\n" },
};

static const config_spec *find_config(const char *name)
{
    for (size_t i = 0; i < sizeof CONFIGS / sizeof CONFIGS[0]; i++)
        if (!strcmp(CONFIGS[i].name, name) || (!strcmp(name, "sincnet") && !strcmp(CONFIGS[i].name, "big")))
            return &CONFIGS[i];
    return NULL;
}

static int resolve_config(sp_conf *c, const config_spec *cs)
{
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int rc = sp_ini_parse(&ini, "bench_train", cs->ini, &d);
    if (rc == 0) {
        rc = sp_conf_resolve(c, &ini, &d);
        sp_ini_free(&ini);
    }
    sp_diag_free(&d);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* the model's forward and backward with a clock around each layer call
 * (the model's timing hook, model.h); a fused step's time goes to its
 * first layer, its second layer shows none of its own. */

/* The per-layer clock: sp_model's timing hook (model.h) around each layer
 * call of sp_model_forward / sp_model_backward themselves, so the
 * breakdown times exactly the library's code. */
typedef struct {
    double *t;      /* [nlayers] seconds of each layer, this phase */
    double zero;    /* clearing gradients (backward) */
    double loss;    /* the log-softmax, or its gradient */
    double start;
} layer_clock;

static void clock_hook(void *ctx, int layer, sp_phase phase, int end)
{
    layer_clock *c = ctx;
    double t = now();
    (void)phase;
    if (!end) {
        c->start = t;
        return;
    }
    double d = t - c->start;
    if (layer == SP_HOOK_ZERO)
        c->zero += d;
    else if (layer == SP_HOOK_LOSS)
        c->loss += d;
    else if (layer >= 0)
        c->t[layer] = d;
}

/* t[i]: seconds of layer i; *t_loss: the log-softmax. */
static void forward_timed(sp_model *m, int B, int training, double *t, double *t_loss)
{
    layer_clock c = { .t = t };
    m->hook = clock_hook;
    m->hook_ctx = &c;
    sp_model_forward(m, B, training);
    m->hook = NULL;
    m->hook_ctx = NULL;
    *t_loss = c.loss;
}

/* The same for sp_model_infer. */
static void infer_timed(sp_model *m, int B, double *t, double *t_loss)
{
    layer_clock c = { .t = t };
    for (int i = 0; i < m->nlayers; i++) t[i] = 0;
    m->hook = clock_hook;
    m->hook_ctx = &c;
    sp_model_infer(m, B);
    m->hook = NULL;
    m->hook_ctx = NULL;
    *t_loss = c.loss;
}

/* t[i]: seconds of layer i's backward; *t_zero: zeroing the gradients and
 * the input gradients the layers add into (sp_model_backward does it each
 * step); *t_loss: the log-softmax/NLL backward. */
static void backward_timed(sp_model *m, const int *targets, double *t, double *t_zero, double *t_loss)
{
    layer_clock c = { .t = t };
    m->hook = clock_hook;
    m->hook_ctx = &c;
    sp_model_backward(m, targets);
    m->hook = NULL;
    m->hook_ctx = NULL;
    *t_zero = c.zero;
    *t_loss = c.loss;
}

/* GEMM flops a layer executes per batch of B, forward and backward (as the
 * layer functions do them: the sinc layer's linear-phase fold halves its
 * multiply-adds; an input gradient is computed when the layer is not the
 * first). */
static void layer_flops(const sp_model *m, int i, int B, double *fwd, double *bwd)
{
    const sp_layer *l = &m->layer[i];
    int has_dx = i > 0;
    double f = 0, b = 0;
    switch (l->kind) {
    case SP_LAYER_SINC: {
        double rows = (double)((l->K - 1) / 2 + 1);
        double g = 2.0 * l->out_c * rows * l->out_t * B;
        f = g;
        b = g * (has_dx ? 2 : 1);
        break;
    }
    case SP_LAYER_CONV: {
        double g = 2.0 * l->out_c * (double)l->in_c * l->K * l->out_t * B;
        f = g;
        b = g * (has_dx ? 2 : 1);
        break;
    }
    case SP_LAYER_DENSE: {
        double g = 2.0 * (double)l->in_t * l->out_t * B;
        f = g;
        b = g * (has_dx ? 2 : 1);
        break;
    }
    default: break;
    }
    *fwd = f;
    *bwd = b;
}

/* ---------------------------------------------------------------------- */
/* the BLAS in use */

static void blas_identify(result *r)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    const char *path = "?";
    if (dladdr((void *)openblas_get_config, &info) && info.dli_fname) path = info.dli_fname;
    snprintf(r->blas_path, sizeof r->blas_path, "%s", path);
    char *rp = realpath(path, NULL);
    if (rp) {
        snprintf(r->blas_path, sizeof r->blas_path, "%s", rp);
        free(rp);
    }
    snprintf(r->blas_config, sizeof r->blas_config, "%s", openblas_get_config());
    snprintf(r->blas_core, sizeof r->blas_core, "%s", openblas_get_corename());
    /* remove trailing blanks OpenBLAS leaves in the config string */
    size_t n = strlen(r->blas_config);
    while (n && (r->blas_config[n - 1] == ' ' || r->blas_config[n - 1] == '\n')) r->blas_config[--n] = 0;
    r->blas_parallel = openblas_get_parallel();
    r->blas_threads = openblas_get_num_threads();
#ifdef _OPENMP
    r->omp_threads = omp_get_max_threads();
#else
    r->omp_threads = 0;
#endif
}

static const char *parallel_name(int p)
{
    return p == 0 ? "sequential" : p == 1 ? "pthreads" : p == 2 ? "openmp" : "?";
}

static double gemm_gflops(int n, int iters)
{
    float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float)),
          *c = malloc((size_t)n * n * sizeof(float));
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        b[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
    }
    double *t = malloc((size_t)iters * sizeof *t);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    for (int i = 0; i < iters; i++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t[i] = now() - t0;
    }
    double g = 2.0 * n * (double)n * n / median(t, iters) / 1e9;
    free(t), free(a), free(b), free(c);
    return g;
}

/* ---------------------------------------------------------------------- */
/* one config at one thread count */

typedef struct {
    int steps, warmup, layer_steps, infer_batch, gemm;
    double max_foreign;   /* reject a chunk of steps when other processes used more cores than this */
    int retry_steps;      /* at most this many rejected steps per measurement (then accept) */
} options;

enum { NB = 4 };          /* random batches, used in turn (as the reference does) */

typedef enum { MODE_TRAIN, MODE_LAYERS, MODE_INFER, MODE_INFER_REF, MODE_INFER_LAYERS } step_mode;

typedef struct {
    sp_model *m;
    sp_optim *opt;
    float *inputs[NB];
    int *labels[NB];
    int B, IB, nl;
    step_mode mode;
    long nsteps;                       /* training steps taken (loss bookkeeping) */
    double loss_first, loss_last;
    int bad;
    /* MODE_LAYERS: slot s of each array (slot `steps` is scratch) */
    double *tf, *tb, *tz, *tlf, *tlb, *to;
} bench_ctx;

/* Contention statistics of one measurement. */
typedef struct {
    int rejected;         /* steps thrown away because of contention */
    int forced;           /* 1 when the retry budget ran out and a noisy chunk was kept */
    double own_cores, foreign_cores; /* over the accepted chunks */
    double cpu_per_step;  /* CPU seconds of this process per accepted step */
} step_stats;

/* One step; returns its seconds. slot < 0: a warm-up step. */
static double bench_step(bench_ctx *x, int slot, long s)
{
    sp_model *m = x->m;
    int k = (int)(s % NB);
    switch (x->mode) {
    case MODE_TRAIN: {
        memcpy(m->input, x->inputs[k], (size_t)x->B * m->T * sizeof(float));
        double t0 = now();
        sp_model_forward(m, x->B, 1);
        double loss = sp_model_loss(m, x->labels[k], x->B);
        sp_model_backward(m, x->labels[k]);
        sp_optim_step(x->opt, m->params, m->grads);
        double dt = now() - t0;
        if (!isfinite(loss)) x->bad = 1;
        if (x->nsteps++ == 0) x->loss_first = loss;
        x->loss_last = loss;
        return dt;
    }
    case MODE_LAYERS: {
        int nl = x->nl;
        size_t j = slot < 0 ? 0 : (size_t)slot;
        memcpy(m->input, x->inputs[k], (size_t)x->B * m->T * sizeof(float));
        double t0 = now();
        forward_timed(m, x->B, 1, x->tf + j * nl, &x->tlf[j]);
        backward_timed(m, x->labels[k], x->tb + j * nl, &x->tz[j], &x->tlb[j]);
        double t1 = now();
        sp_optim_step(x->opt, m->params, m->grads);
        x->to[j] = now() - t1;
        return now() - t0;
    }
    case MODE_INFER: {
        memcpy(m->input, x->inputs[k], (size_t)x->IB * m->T * sizeof(float));
        double t0 = now();
        sp_model_infer(m, x->IB);
        return now() - t0;
    }
    case MODE_INFER_REF: {
        memcpy(m->input, x->inputs[k], (size_t)x->IB * m->T * sizeof(float));
        double t0 = now();
        sp_model_forward(m, x->IB, 0);
        return now() - t0;
    }
    case MODE_INFER_LAYERS: {
        size_t j = slot < 0 ? 0 : (size_t)slot;
        memcpy(m->input, x->inputs[k], (size_t)x->IB * m->T * sizeof(float));
        double t0 = now();
        infer_timed(m, x->IB, x->tf + j * x->nl, &x->tlf[j]);
        return now() - t0;
    }
    }
    return 0;
}

/* warmup steps, then `steps` timed ones into t[], in chunks of about 0.3 s;
 * a chunk during which other processes kept more than o->max_foreign cores
 * busy is run again (at most o->retry_steps steps in all), as the
 * reference script reruns its noisy repetitions. */
static void run_steps(bench_ctx *x, int warmup, int steps, double est, const options *o, double *t,
                      step_stats *st)
{
    memset(st, 0, sizeof *st);
    long s = 0;
    for (int w = 0; w < warmup; w++) est = bench_step(x, -1, s++);
    if (est <= 0) est = bench_step(x, -1, s++);
    int chunk = (int)ceil(0.3 / (est > 1e-6 ? est : 1e-6));
    if (chunk < 1) chunk = 1;
    if (chunk > steps) chunk = steps;
    int got = 0;
    double wall = 0, own = 0, foreign = 0;
    while (got < steps) {
        int n = steps - got < chunk ? steps - got : chunk;
        double b0 = machine_busy(), c0 = own_cpu(), w0 = now();
        for (int j = 0; j < n; j++) t[got + j] = bench_step(x, got + j, s++);
        double dw = now() - w0, dc = own_cpu() - c0, b1 = machine_busy();
        double f = (b0 >= 0 && b1 >= 0 && dw > 0) ? (b1 - b0 - dc) / dw : 0;
        if (f < 0) f = 0;
        if (f > o->max_foreign) {
            if (st->rejected + n <= o->retry_steps) {
                st->rejected += n;
                continue;
            }
            st->forced = 1;
        }
        got += n;
        wall += dw;
        own += dc;
        foreign += f * dw;
    }
    st->own_cores = wall > 0 ? own / wall : 0;
    st->cpu_per_step = got > 0 ? own / got : 0;
    st->foreign_cores = wall > 0 ? foreign / wall : 0;
}

static void fill_random(float *x, size_t n, int *y, int B, sp_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)sp_rng_normal(rng);
    for (int b = 0; b < B; b++) y[b] = (int)sp_rng_below(rng, SP_NCLASSES);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (e > d || e != e) d = e;
    }
    return d;
}

/* The config cs resolved, its model and optimiser built for batches of
 * the larger of its batch and the inference batch, and NB random batches
 * of that size; r's description fields filled. Returns 0, or -1 (said on
 * stderr). */
static int open_child(const config_spec *cs, const options *o, result *r, sp_model *m, sp_optim *opt,
                      bench_ctx *x)
{
    sp_conf c;
    if (resolve_config(&c, cs) != 0) return -1;
    snprintf(r->preset, sizeof r->preset, "%s", c.preset);
    int B = c.batch, IB = o->infer_batch, maxB = B > IB ? B : IB;
    r->batch = B;
    r->infer_batch = IB;
    r->steps = o->steps;
    r->warmup = o->warmup;
    r->layer_steps = o->layer_steps;
    r->filters = c.filters;
    r->taps = c.taps;

    sp_error err = { "" };
    if (sp_model_init(m, &c, maxB, &err) != 0) {
        fprintf(stderr, "bench_train: %s: %s\n", cs->name, err.msg);
        return -1;
    }
    if (sp_optim_init(opt, &c, m, &err) != 0) {
        fprintf(stderr, "bench_train: %s: %s\n", cs->name, err.msg);
        sp_model_free(m);
        return -1;
    }
    r->T = m->T;
    r->nparams = m->nparams;
    r->nlayers = m->nlayers;

    memset(x, 0, sizeof *x);
    x->m = m;
    x->opt = opt;
    x->B = B;
    x->IB = IB;
    x->nl = m->nlayers;
    size_t in_n = (size_t)maxB * m->T;
    sp_rng rng;
    sp_rng_seed(&rng, 20240601u, 7);
    for (int k = 0; k < NB; k++) {
        x->inputs[k] = malloc(in_n * sizeof(float));
        x->labels[k] = malloc((size_t)maxB * sizeof(int));
        if (!x->inputs[k] || !x->labels[k]) abort();
        fill_random(x->inputs[k], in_n, x->labels[k], maxB, &rng);
    }
    r->rss_after_init_mib = current_rss_mib();
    return 0;
}

static void close_child(bench_ctx *x)
{
    for (int k = 0; k < NB; k++) free(x->inputs[k]), free(x->labels[k]);
    sp_optim_free(x->opt);
    sp_model_free(x->m);
}

/* The instrumented passes against the library's: the same numbers. */
static void check_hooked(bench_ctx *x, result *r)
{
    sp_model *m = x->m;
    int B = x->B;
    double tf[SP_MAX_MODEL_LAYERS], tb[SP_MAX_MODEL_LAYERS], tz, tl;
    memcpy(m->input, x->inputs[0], (size_t)B * m->T * sizeof(float));
    sp_model_forward(m, B, 1);
    sp_model_backward(m, x->labels[0]);
    float *logp = malloc((size_t)B * SP_NCLASSES * sizeof(float)), *grads = malloc(m->nparams * sizeof(float));
    if (!logp || !grads) abort();
    memcpy(logp, m->logp, (size_t)B * SP_NCLASSES * sizeof(float));
    memcpy(grads, m->grads, m->nparams * sizeof(float));
    forward_timed(m, B, 1, tf, &tl);
    backward_timed(m, x->labels[0], tb, &tz, &tl);
    r->check_logp_maxdiff = max_abs_diff(logp, m->logp, (size_t)B * SP_NCLASSES);
    r->check_grad_maxdiff = max_abs_diff(grads, m->grads, m->nparams);
    /* inference against the reference forward, after a training step
     * (batch-norm statistics away from their initial values) */
    sp_model_forward(m, B, 0);
    memcpy(logp, m->logp, (size_t)B * SP_NCLASSES * sizeof(float));
    sp_model_infer(m, B);
    r->check_infer_maxdiff = max_abs_diff(logp, m->logp, (size_t)B * SP_NCLASSES);
    free(logp);
    free(grads);
}

/* Training steps: warm-up, then o->steps timed ones. Returns -1 when the
 * loss is not finite. */
static int time_training(bench_ctx *x, const options *o, const char *name, result *r)
{
    int N = o->steps;
    double *ts = malloc((size_t)N * sizeof *ts);
    if (!ts) abort();
    step_stats st;
    x->mode = MODE_TRAIN;
    run_steps(x, o->warmup, N, 0, o, ts, &st);
    if (x->bad) {
        fprintf(stderr, "bench_train: %s: the training loss is not finite\n", name);
        free(ts);
        return -1;
    }
    r->loss_first = x->loss_first;
    r->loss_last = x->loss_last;
    r->train_ms_med = 1e3 * median(ts, N);
    r->train_ms_min = 1e3 * vmin(ts, N);
    r->train_ms_max = 1e3 * vmax(ts, N);
    r->train_eps = x->B / (r->train_ms_med / 1e3);
    r->train_own_cores = st.own_cores;
    r->train_foreign_cores = st.foreign_cores;
    r->train_rejected = st.rejected;
    r->train_cpu_ms = 1e3 * st.cpu_per_step;
    r->train_forced = st.forced;
    r->rss_after_train_mib = peak_rss_mib();
    free(ts);
    return 0;
}

/* The per-layer breakdown of o->layer_steps training steps (forward,
 * backward, optimizer): r's rows and sums. */
static void time_layers(bench_ctx *x, const options *o, result *r)
{
    const sp_model *m = x->m;
    int nl = m->nlayers, LS = o->layer_steps;
    size_t slots = (size_t)LS + 1;
    x->tf = calloc(slots * nl, sizeof(double));
    x->tb = calloc(slots * nl, sizeof(double));
    x->tz = calloc(slots, sizeof(double));
    x->tlf = calloc(slots, sizeof(double));
    x->tlb = calloc(slots, sizeof(double));
    x->to = calloc(slots, sizeof(double));
    double *tstep = calloc(slots, sizeof(double)), *col = calloc(slots, sizeof(double));
    if (!x->tf || !x->tb || !x->tz || !x->tlf || !x->tlb || !x->to || !tstep || !col) abort();
    step_stats st;
    x->mode = MODE_LAYERS;
    run_steps(x, 0, LS, r->train_ms_med / 1e3, o, tstep, &st);
    r->layers_foreign_cores = st.foreign_cores;
    r->layers_rejected = st.rejected;
    r->nrows = nl;
    r->fwd_sum_ms = r->bwd_sum_ms = 0;
    for (int i = 0; i < nl; i++) {
        row *w = &r->rows[i];
        snprintf(w->name, sizeof w->name, "%s", m->layer[i].name);
        snprintf(w->kind, sizeof w->kind, "%s", sp_layer_kind_name(m->layer[i].kind));
        for (int s = 0; s < LS; s++) col[s] = x->tf[(size_t)s * nl + i];
        w->fwd_ms = 1e3 * median(col, LS);
        for (int s = 0; s < LS; s++) col[s] = x->tb[(size_t)s * nl + i];
        w->bwd_ms = 1e3 * median(col, LS);
        layer_flops(m, i, x->B, &w->fwd_flop, &w->bwd_flop);
        r->fwd_sum_ms += w->fwd_ms;
        r->bwd_sum_ms += w->bwd_ms;
    }
    r->zero_ms = 1e3 * median(x->tz, LS);
    r->loss_fwd_ms = 1e3 * median(x->tlf, LS);
    r->loss_bwd_ms = 1e3 * median(x->tlb, LS);
    r->optim_ms = 1e3 * median(x->to, LS);
    r->fwd_sum_ms += r->loss_fwd_ms;
    r->bwd_sum_ms += r->loss_bwd_ms + r->zero_ms;
    r->step_sum_ms = 1e3 * median(tstep, LS);
    free(col), free(tstep), free(x->tf), free(x->tb), free(x->tz), free(x->tlf), free(x->tlb), free(x->to);
    x->tf = x->tb = x->tz = x->tlf = x->tlb = x->to = NULL;
}

/* The per-layer breakdown of o->layer_steps inference passes: r's
 * rows' inf_ms. */
static void infer_layers(bench_ctx *x, const options *o, result *r)
{
    int nl = x->m->nlayers, LS = o->layer_steps;
    size_t slots = (size_t)LS + 1;
    x->tf = calloc(slots * nl, sizeof(double));
    x->tlf = calloc(slots, sizeof(double));
    double *tstep = calloc(slots, sizeof(double)), *col = calloc(slots, sizeof(double));
    if (!x->tf || !x->tlf || !tstep || !col) abort();
    step_stats st;
    x->mode = MODE_INFER_LAYERS;
    run_steps(x, 1, LS, r->infer_ms_med / 1e3, o, tstep, &st);
    r->inf_sum_ms = 0;
    for (int i = 0; i < nl; i++) {
        for (int s = 0; s < LS; s++) col[s] = x->tf[(size_t)s * nl + i];
        r->rows[i].inf_ms = 1e3 * median(col, LS);
        r->inf_sum_ms += r->rows[i].inf_ms;
    }
    r->inf_loss_ms = 1e3 * median(x->tlf, LS);
    r->inf_sum_ms += r->inf_loss_ms;
    free(col), free(tstep), free(x->tf), free(x->tlf);
    x->tf = x->tlf = NULL;
}

/* Inference at the reference's batch: warm-up, then o->steps timed
 * passes of sp_model_infer, as many of sp_model_forward(training=0) (the
 * reference it is checked against), then the breakdown. */
static void time_inference(bench_ctx *x, const options *o, result *r)
{
    int N = o->steps;
    double *ti = malloc((size_t)N * sizeof *ti);
    if (!ti) abort();
    step_stats st;
    x->mode = MODE_INFER;
    run_steps(x, o->warmup, N, 0, o, ti, &st);
    r->infer_own_cores = st.own_cores;
    r->infer_foreign_cores = st.foreign_cores;
    r->infer_rejected = st.rejected;
    r->infer_cpu_ms = 1e3 * st.cpu_per_step;
    r->infer_forced = st.forced;
    r->infer_ms_med = 1e3 * median(ti, N);
    r->infer_ms_min = 1e3 * vmin(ti, N);
    r->infer_ms_max = 1e3 * vmax(ti, N);
    r->infer_eps = x->IB / (r->infer_ms_med / 1e3);
    x->mode = MODE_INFER_REF;
    run_steps(x, 1, N, 0, o, ti, &st);
    r->infer_ref_ms_med = 1e3 * median(ti, N);
    r->rss_peak_mib = peak_rss_mib();
    free(ti);
    infer_layers(x, o, r);
}

/* One config at one thread count, every measurement, into r. Returns 0,
 * or -1 (r->ok stays 0). */
static int run_child(const config_spec *cs, int threads, const options *o, result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->config, sizeof r->config, "%s", cs->name);
    r->threads = threads;
    sp_set_threads(threads); /* OpenBLAS's and OpenMP's, as sincprobe train does */
    blas_identify(r);

    sp_model m;
    sp_optim opt;
    bench_ctx x;
    if (open_child(cs, o, r, &m, &opt, &x) != 0) return -1;
    check_hooked(&x, r);
    if (time_training(&x, o, cs->name, r) != 0) {
        close_child(&x);
        return -1;
    }
    time_layers(&x, o, r);
    time_inference(&x, o, r);
    close_child(&x);

    if (o->gemm) r->gemm_gflops = gemm_gflops(2048, 5);
    r->ok = 1;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* output */

static void print_breakdown(FILE *f, const result *r)
{
    fprintf(f, "\n## %s (preset %s), batch %d, %d thread%s: per-layer time of a training step\n", r->config, r->preset,
            r->batch, r->threads, r->threads == 1 ? "" : "s");
    fprintf(f, "   (median of %d instrumented steps; GF/s: GEMM flops of the layer per second - for sinc those of\n"
               "    the folded GEMM, whichever of its GEMM and FFT paths ran)\n", r->layer_steps);
    fprintf(f, "   (infer ms: sp_model_infer at batch %d, median of %d passes; its fused calls' time on\n"
               "    their first layer)\n", r->infer_batch, r->layer_steps);
    fprintf(f, "   %-10s %-10s %9s %9s %9s %6s %8s %8s %9s\n", "layer", "kind", "fwd ms", "bwd ms", "sum ms", "%step",
            "fwd GF/s", "bwd GF/s", "infer ms");
    /* shares are of the sum of the rows (medians of each row need not add
     * up to the median step) */
    double step = r->fwd_sum_ms + r->bwd_sum_ms + r->optim_ms;
    if (step <= 0) step = 1;
    for (int i = 0; i < r->nrows; i++) {
        const row *w = &r->rows[i];
        char gf[16] = "", gb[16] = "";
        if (w->fwd_flop > 0 && w->fwd_ms > 0) snprintf(gf, sizeof gf, "%.1f", w->fwd_flop / (w->fwd_ms / 1e3) / 1e9);
        if (w->bwd_flop > 0 && w->bwd_ms > 0) snprintf(gb, sizeof gb, "%.1f", w->bwd_flop / (w->bwd_ms / 1e3) / 1e9);
        fprintf(f, "   %-10s %-10s %9.2f %9.2f %9.2f %5.1f%% %8s %8s %9.2f\n", w->name, w->kind, w->fwd_ms, w->bwd_ms,
                w->fwd_ms + w->bwd_ms, 100.0 * (w->fwd_ms + w->bwd_ms) / step, gf, gb, w->inf_ms);
    }
    fprintf(f, "   %-10s %-10s %9.2f %9.2f %9.2f %5.1f%% %8s %8s %9.2f\n", "logsoftmax", "loss", r->loss_fwd_ms,
            r->loss_bwd_ms, r->loss_fwd_ms + r->loss_bwd_ms, 100.0 * (r->loss_fwd_ms + r->loss_bwd_ms) / step, "", "",
            r->inf_loss_ms);
    fprintf(f, "   %-10s %-10s %9s %9.2f %9.2f %5.1f%%   (memsets of the grads and of the input gradients)\n", "zero_grad", "memset",
            "", r->zero_ms, r->zero_ms, 100.0 * r->zero_ms / step);
    fprintf(f, "   %-10s %-10s %9s %9s %9.2f %5.1f%%   (RMSprop over %zu parameters)\n", "optimizer", "rmsprop", "", "",
            r->optim_ms, 100.0 * r->optim_ms / step, r->nparams);
    fprintf(f, "   %-10s %-10s %9.2f %9.2f %9.2f         (instrumented step %.2f ms; timed step median %.2f ms)\n",
            "total", "", r->fwd_sum_ms, r->bwd_sum_ms, r->fwd_sum_ms + r->bwd_sum_ms + r->optim_ms, r->step_sum_ms,
            r->train_ms_med);
    fprintf(f, "   %-10s %-10s %9s %9s %9s %6s %8s %8s %9.2f   (timed inference median %.2f ms)\n", "infer total",
            "", "", "", "", "", "", "", r->inf_sum_ms, r->infer_ms_med);

    /* by kind, sorted */
    typedef struct {
        const char *kind;
        double ms;
    } agg;
    agg a[16];
    int na = 0;
    for (int i = 0; i < r->nrows; i++) {
        int j;
        for (j = 0; j < na; j++)
            if (!strcmp(a[j].kind, r->rows[i].kind)) break;
        if (j == na) {
            a[na].kind = r->rows[i].kind;
            a[na].ms = 0;
            na++;
        }
        a[j].ms += r->rows[i].fwd_ms + r->rows[i].bwd_ms;
    }
    a[na].kind = "zero_grad";
    a[na++].ms = r->zero_ms;
    a[na].kind = "optimizer";
    a[na++].ms = r->optim_ms;
    a[na].kind = "loss";
    a[na++].ms = r->loss_fwd_ms + r->loss_bwd_ms;
    for (int i = 0; i < na; i++)
        for (int j = i + 1; j < na; j++)
            if (a[j].ms > a[i].ms) {
                agg t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
    fprintf(f, "   by kind:");
    for (int i = 0; i < na; i++) fprintf(f, " %s %.1f ms (%.0f%%)%s", a[i].kind, a[i].ms, 100.0 * a[i].ms / step,
                                         i + 1 < na ? "," : "\n");
}

static void json_str(FILE *f, const char *key, const char *v)
{
    fprintf(f, "\"%s\":\"", key);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        if ((unsigned char)*p < 0x20) fputc(' ', f);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void print_json(FILE *f, const result *r)
{
    fprintf(f, "{\"record\":\"summary\",");
    json_str(f, "config", r->config);
    fputc(',', f);
    json_str(f, "preset", r->preset);
    fprintf(f,
            ",\"threads\":%d,\"batch\":%d,\"input_samples\":%d,\"params\":%zu,\"steps\":%d,\"warmup\":%d,"
            "\"train_ms_per_step\":%.3f,\"train_ms_min\":%.3f,\"train_ms_max\":%.3f,\"train_examples_per_s\":%.2f,"
            "\"train_own_cores\":%.2f,\"train_foreign_cores\":%.2f,\"train_steps_rerun\":%d,\"train_cpu_ms_per_step\":%.3f,\"loss_first\":%.4f,\"loss_last\":%.4f,"
            "\"infer_batch\":%d,\"infer_ms_per_batch\":%.3f,\"infer_ms_min\":%.3f,\"infer_ms_max\":%.3f,"
            "\"infer_examples_per_s\":%.2f,\"infer_ref_ms_per_batch\":%.3f,\"infer_own_cores\":%.2f,\"infer_foreign_cores\":%.2f,\"infer_steps_rerun\":%d,\"infer_cpu_ms_per_batch\":%.3f,"
            "\"rss_after_init_mib\":%.1f,\"peak_rss_after_train_mib\":%.1f,\"peak_rss_mib\":%.1f,"
            "\"layer_steps\":%d,\"instrumented_step_ms\":%.3f,\"zero_grad_ms\":%.3f,\"optimizer_ms\":%.3f,"
            "\"check_logp_maxdiff\":%.3g,\"check_grad_maxdiff\":%.3g,\"check_infer_maxdiff\":%.3g,\"gemm2048_gflops\":%.1f,\"omp_threads\":%d,",
            r->threads, r->batch, r->T, r->nparams, r->steps, r->warmup, r->train_ms_med, r->train_ms_min,
            r->train_ms_max, r->train_eps, r->train_own_cores, r->train_foreign_cores, r->train_rejected, r->train_cpu_ms, r->loss_first, r->loss_last,
            r->infer_batch, r->infer_ms_med, r->infer_ms_min, r->infer_ms_max, r->infer_eps, r->infer_ref_ms_med, r->infer_own_cores,
            r->infer_foreign_cores, r->infer_rejected, r->infer_cpu_ms, r->rss_after_init_mib, r->rss_after_train_mib, r->rss_peak_mib, r->layer_steps,
            r->step_sum_ms, r->zero_ms, r->optim_ms, r->check_logp_maxdiff, r->check_grad_maxdiff, r->check_infer_maxdiff, r->gemm_gflops,
            r->omp_threads);
    json_str(f, "blas_path", r->blas_path);
    fputc(',', f);
    json_str(f, "blas_config", r->blas_config);
    fputc(',', f);
    json_str(f, "blas_core", r->blas_core);
    fputc(',', f);
    json_str(f, "blas_threading", parallel_name(r->blas_parallel));
    fprintf(f, "}\n");
    for (int i = 0; i < r->nrows; i++) {
        const row *w = &r->rows[i];
        for (int ph = 0; ph < 3; ph++) {
            double ms = ph == 2 ? w->inf_ms : ph ? w->bwd_ms : w->fwd_ms;
            double fl = ph == 2 ? 0 : ph ? w->bwd_flop : w->fwd_flop;
            fprintf(f, "{\"record\":\"layer\",");
            json_str(f, "config", r->config);
            fprintf(f, ",\"threads\":%d,\"batch\":%d,\"index\":%d,", r->threads, r->batch, i);
            json_str(f, "layer", w->name);
            fputc(',', f);
            json_str(f, "kind", w->kind);
            fprintf(f, ",\"phase\":\"%s\",\"ms\":%.3f,\"gflop\":%.4f,\"gflops\":%.2f}\n",
                    ph == 2 ? "infer" : ph ? "backward" : "forward",
                    ms, fl / 1e9, (fl > 0 && ms > 0) ? fl / (ms / 1e3) / 1e9 : 0.0);
        }
    }
    const char *extra[] = { "logsoftmax", "zero_grad", "optimizer" };
    double ms[] = { r->loss_fwd_ms + r->loss_bwd_ms, r->zero_ms, r->optim_ms };
    for (int k = 0; k < 3; k++) {
        fprintf(f, "{\"record\":\"layer\",");
        json_str(f, "config", r->config);
        fprintf(f, ",\"threads\":%d,\"batch\":%d,\"index\":%d,\"layer\":\"%s\",\"kind\":\"%s\",\"phase\":\"%s\","
                   "\"ms\":%.3f,\"gflop\":0,\"gflops\":0}\n",
                r->threads, r->batch, -1, extra[k], extra[k], k == 0 ? "both" : k == 1 ? "backward" : "step", ms[k]);
    }
}

static void print_summary(FILE *f, const result *rs, int n)
{
    fprintf(f, "\n# sincprobe bench_train summary (medians)\n");
    fprintf(f, "%-6s %3s %5s %10s %10s %6s %11s %10s %9s %9s %9s\n", "config", "thr", "batch", "train ms", "train ex/s",
            "ibatch", "infer ms", "infer ex/s", "peak MiB", "gemm GF/s", "foreign");
    for (int i = 0; i < n; i++) {
        const result *r = &rs[i];
        if (!r->ok) {
            fprintf(f, "%-6s %3d  FAILED\n", r->config, r->threads);
            continue;
        }
        fprintf(f, "%-6s %3d %5d %10.1f %10.1f %6d %11.1f %10.1f %9.0f %9.1f %4.2f/%4.2f\n", r->config, r->threads,
                r->batch, r->train_ms_med, r->train_eps, r->infer_batch, r->infer_ms_med, r->infer_eps,
                r->rss_peak_mib, r->gemm_gflops, r->train_foreign_cores, r->infer_foreign_cores);
    }
    fprintf(f, "(foreign = cores other processes kept busy during the train/infer timing)\n");
}

/* ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: bench_train [--configs big,small] [--threads 1,2] [--steps N] [--warmup N]\n"
          "                   [--layer-steps N] [--infer-batch N] [--max-foreign CORES] [--retry-steps N]\n"
          "                   [--no-gemm] [--no-fork] [--json FILE]\n"
          "  --configs      big (the sincnet preset, batch 128) and/or small (the small preset, batch 64)\n"
          "  --threads      OpenBLAS thread counts to run each config with\n"
          "  --steps        timed steps per measurement (default 20), after --warmup steps (default 3)\n"
          "  --layer-steps  instrumented steps for the per-layer breakdown (default 5)\n"
          "  --infer-batch  batch of the inference measurement (default 128, as the reference)\n"
          "  --max-foreign  rerun a chunk of steps if other processes kept more than CORES cores busy\n"
          "                 meanwhile (default 0.3, as the reference), at most --retry-steps steps\n"
          "                 per measurement (default: --steps)\n"
          "  --no-gemm      skip the 2048^3 sgemm rate\n"
          "  --no-fork      run everything in this process (peak RSS is then the maximum so far)\n"
          "  --json FILE    also write JSON lines (FILE - : stdout, the tables then go to stderr)\n",
          f);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* The command line: the lists as given, and whether to fork per run. */
typedef struct {
    const char *configs, *threads, *json_path;
    int fork_each;
} args;

/* Parse argv into o and a. Returns 0; 1 after printing the help; 2 after
 * a message and the usage on stderr. */
static int parse_args(int argc, char **argv, options *o, args *a)
{
    double mf = 0.3;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(k, "--configs") && v) a->configs = v, i++;
        else if (!strcmp(k, "--threads") && v) a->threads = v, i++;
        else if (!strcmp(k, "--json") && v) a->json_path = v, i++;
        else if (!strcmp(k, "--steps") && v) bad = parse_int(v, 1, 100000, &o->steps), i++;
        else if (!strcmp(k, "--warmup") && v) bad = parse_int(v, 0, 100000, &o->warmup), i++;
        else if (!strcmp(k, "--layer-steps") && v) bad = parse_int(v, 1, 100000, &o->layer_steps), i++;
        else if (!strcmp(k, "--infer-batch") && v) bad = parse_int(v, 1, 65536, &o->infer_batch), i++;
        else if (!strcmp(k, "--retry-steps") && v) bad = parse_int(v, 0, 1000000, &o->retry_steps), i++;
        else if (!strcmp(k, "--max-foreign") && v) {
            char *end;
            mf = strtod(v, &end);
            bad = end == v || *end || !(mf >= 0);
            i++;
        } else if (!strcmp(k, "--no-gemm")) o->gemm = 0;
        else if (!strcmp(k, "--no-fork")) a->fork_each = 0;
        else if (!strcmp(k, "-h") || !strcmp(k, "--help")) {
            usage(stdout);
            return 1;
        } else bad = 1;
        if (bad) {
            fprintf(stderr, "bench_train: bad argument '%s'%s%s\n", k, v ? " " : "", v && strncmp(k, "--no", 4) ? v : "");
            usage(stderr);
            return 2;
        }
    }
    o->max_foreign = mf;
    if (o->retry_steps < 0) o->retry_steps = o->steps;
    return 0;
}

/* The comma lists of configs (at most 8) and thread counts (at most 16).
 * Returns 0, or 2 after a message. */
static int parse_lists(const args *a, const config_spec **cfgs, int *ncfg, int *thr, int *nthr)
{
    char buf[256];
    *ncfg = *nthr = 0;
    snprintf(buf, sizeof buf, "%s", a->configs);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        const config_spec *cs = find_config(p);
        if (!cs || *ncfg == 8) {
            fprintf(stderr, "bench_train: unknown config '%s' (big, small)\n", p);
            return 2;
        }
        cfgs[(*ncfg)++] = cs;
    }
    snprintf(buf, sizeof buf, "%s", a->threads);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        if (*nthr == 16 || parse_int(p, 1, 256, &thr[*nthr]) != 0) {
            fprintf(stderr, "bench_train: bad thread count '%s'\n", p);
            return 2;
        }
        (*nthr)++;
    }
    return 0;
}

/* The CPU's model name from /proc/cpuinfo, or "?". */
static void cpu_name(char *cpu, size_t n)
{
    snprintf(cpu, n, "?");
    FILE *ci = fopen("/proc/cpuinfo", "r");
    if (!ci) return;
    char line[512];
    while (fgets(line, sizeof line, ci))
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ' || *c == '\t') c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(cpu, n, "%s", c);
            }
            break;
        }
    fclose(ci);
}

/* What we run on, before any BLAS work (the children inherit it): the
 * header of the human tables, and the "env" JSON record. */
static void print_env(FILE *hf, FILE *jf, const options *o)
{
    result env;
    memset(&env, 0, sizeof env);
    blas_identify(&env);
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    fprintf(hf, "# bench_train: cpu '%s', %ld online cpus\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(hf, "# blas: %s\n#       config '%s', core %s, threading %s\n", env.blas_path, env.blas_config,
            env.blas_core, parallel_name(env.blas_parallel));
    const char *envs[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                           "OPENBLAS_CORETYPE", "MALLOC_CONF", "SP_SINC_FILTER", "OMP_WAIT_POLICY",
                           "GOMP_SPINCOUNT", "OMP_PROC_BIND" };
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *v = getenv(envs[i]);
        if (v) fprintf(hf, "# env %s=%s\n", envs[i], v);
    }
    fprintf(hf, "# steps %d (after %d warm-up), %d instrumented steps for the breakdown, inference batch %d;\n"
                "# chunks with more than %.2f foreign cores rerun (at most %d steps)\n",
            o->steps, o->warmup, o->layer_steps, o->infer_batch, o->max_foreign, o->retry_steps);
    fflush(hf);
    if (!jf) return;
    fprintf(jf, "{\"record\":\"env\",");
    json_str(jf, "cpu", cpu);
    fprintf(jf, ",\"cpus\":%ld,", sysconf(_SC_NPROCESSORS_ONLN));
    json_str(jf, "blas_path", env.blas_path);
    fputc(',', jf);
    json_str(jf, "blas_config", env.blas_config);
    fputc(',', jf);
    json_str(jf, "blas_core", env.blas_core);
    fputc(',', jf);
    json_str(jf, "blas_threading", parallel_name(env.blas_parallel));
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *v = getenv(envs[i]);
        if (v) {
            char k[64];
            snprintf(k, sizeof k, "env_%s", envs[i]);
            fputc(',', jf);
            json_str(jf, k, v);
        }
    }
    fprintf(jf, ",\"steps\":%d,\"warmup\":%d,\"layer_steps\":%d,\"infer_batch\":%d}\n", o->steps, o->warmup,
            o->layer_steps, o->infer_batch);
    fflush(jf);
}

/* run_child in a child process of its own (so that peak RSS belongs to
 * that config alone), its result passed back through a pipe. A child that
 * fails leaves r zeroed but for its config and threads. Returns 0, or -1
 * when no child could be started (said on stderr). */
static int run_forked(const config_spec *cs, int threads, const options *o, result *r)
{
    int fd[2];
    if (pipe(fd) != 0) {
        perror("bench_train: pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_train: fork");
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        result *cr = calloc(1, sizeof *cr);
        int rc = cr ? run_child(cs, threads, o, cr) : -1;
        if (cr) {
            const char *p = (const char *)cr;
            size_t left = sizeof *cr;
            while (left) {
                ssize_t w = write(fd[1], p, left);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) break;
                p += w;
                left -= (size_t)w;
            }
        }
        close(fd[1]);
        fflush(NULL);
        _exit(rc == 0 ? 0 : 1);
    }
    close(fd[1]);
    char *p = (char *)r;
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd[0], p + got, sizeof *r - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (got != sizeof *r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        memset(r, 0, sizeof *r);
        snprintf(r->config, sizeof r->config, "%s", cs->name);
        r->threads = threads;
    }
    return 0;
}

/* One run's lines in the human tables (and its JSON records). */
static void report_run(FILE *hf, FILE *jf, const result *r)
{
    fprintf(hf,
            "# %s: %d threads (BLAS reports %d, %s, %s; OpenMP %d): train %.1f ms/step (min %.1f, max %.1f) = "
            "%.1f ex/s; infer %.1f ms/batch of %d = %.1f ex/s; peak RSS %.0f MiB; gemm 2048^3 %.1f GFLOP/s\n",
            r->config, r->threads, r->blas_threads, r->blas_core, parallel_name(r->blas_parallel), r->omp_threads,
            r->train_ms_med, r->train_ms_min, r->train_ms_max, r->train_eps, r->infer_ms_med, r->infer_batch,
            r->infer_eps, r->rss_peak_mib, r->gemm_gflops);
    fprintf(hf, "#   check: instrumented pass vs sp_model_forward/backward: max |dlogp| %.3g, max |dgrad| %.3g; "
                "loss %.3f -> %.3f\n",
            r->check_logp_maxdiff, r->check_grad_maxdiff, r->loss_first, r->loss_last);
    fprintf(hf, "#   check: sp_model_infer vs sp_model_forward(training=0): max |dlogp| %.3g; time %.1f vs %.1f ms/batch "
                "(%.2fx)\n",
            r->check_infer_maxdiff, r->infer_ms_med, r->infer_ref_ms_med,
            r->infer_ms_med > 0 ? r->infer_ref_ms_med / r->infer_ms_med : 0.0);
    fprintf(hf, "#   contention: foreign cores train %.2f (%d steps rerun%s), layers %.2f (%d rerun), "
                "infer %.2f (%d rerun%s); own cores train %.2f infer %.2f; CPU ms per step train %.1f infer %.1f\n",
            r->train_foreign_cores, r->train_rejected, r->train_forced ? ", budget exhausted" : "",
            r->layers_foreign_cores, r->layers_rejected, r->infer_foreign_cores, r->infer_rejected,
            r->infer_forced ? ", budget exhausted" : "", r->train_own_cores, r->infer_own_cores, r->train_cpu_ms,
            r->infer_cpu_ms);
    if (r->check_logp_maxdiff != 0 || r->check_grad_maxdiff != 0)
        fprintf(hf, "#   WARNING: the instrumented pass differs from the plain sp_model_forward/backward:\n"
                    "#   the model's results depend on more than its inputs (timing hook, threads?)\n");
    print_breakdown(hf, r);
    fflush(hf);
    if (jf) {
        print_json(jf, r);
        fflush(jf);
    }
}

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    options o = { .steps = 20, .warmup = 3, .layer_steps = 5, .infer_batch = 128, .gemm = 1,
                  .max_foreign = 0.3, .retry_steps = -1 };
    args a = { .configs = "big,small", .threads = "1,2", .json_path = NULL, .fork_each = 1 };
    int rc = parse_args(argc, argv, &o, &a);
    if (rc != 0) return rc == 1 ? 0 : 2;
    const config_spec *cfgs[8];
    int ncfg, thr[16], nthr;
    if (parse_lists(&a, cfgs, &ncfg, thr, &nthr) != 0) return 2;

    FILE *jf = NULL;
    if (a.json_path) {
        jf = !strcmp(a.json_path, "-") ? stdout : fopen(a.json_path, "w");
        if (!jf) {
            fprintf(stderr, "bench_train: cannot write '%s': %s\n", a.json_path, strerror(errno));
            return 1;
        }
    }
    FILE *hf = jf == stdout ? stderr : stdout; /* the human tables */
    print_env(hf, jf, &o);

    static result results[MAX_RUNS];
    int nres = 0, failed = 0;
    for (int ci = 0; ci < ncfg; ci++)
        for (int ti = 0; ti < nthr && nres < MAX_RUNS; ti++) {
            result *r = &results[nres++];
            fprintf(hf, "# running %s with %d thread%s ...\n", cfgs[ci]->name, thr[ti], thr[ti] == 1 ? "" : "s");
            fflush(hf);
            if (!a.fork_each) {
                if (run_child(cfgs[ci], thr[ti], &o, r) != 0) r->ok = 0;
            } else if (run_forked(cfgs[ci], thr[ti], &o, r) != 0)
                return 1;
            if (!r->ok) {
                failed++;
                fprintf(hf, "# %s with %d threads FAILED\n", cfgs[ci]->name, thr[ti]);
                continue;
            }
            report_run(hf, jf, r);
        }
    print_summary(hf, results, nres);
    if (jf && jf != stdout) fclose(jf);
    return failed ? 1 : 0;
}
