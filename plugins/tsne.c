/* tsne.c - two probes from one source, each in its own module (tsne.so
 * and pca.so): "tsne", a Barnes-Hut or exact t-SNE map of a layer's
 * activations on the probe set, and "pca", its first two principal
 * components. At each chosen epoch's
 * end (and for the matrix of `sincprobe analyse`, epoch 0) each chosen
 * layer's activations [N][D] become a 2-D embedding, written in the
 * probe's folder as
 *
 *   KIND_LAYER_eEPOCH.npy   float32 [N][2], the coordinates
 *   KIND_LAYER_eEPOCH.tsv   x y label phone class (one row a point)
 *   KIND_LAYER_eEPOCH.png, .svg   the scatter plot, coloured by broad
 *                           phone class, by phone, or a pair of phones
 *   tsne.tsv   epoch layer n kl trustworthiness knn_preservation seconds
 *              linsep_accuracy linsep_chance
 *   pca.tsv    epoch layer n explained_variance ev1 ev2 linsep_accuracy
 *              linsep_chance
 *
 * linsep_accuracy is the linear separability of the 2-D map: the held-out
 * accuracy of the linsep probe's L2 logistic regression (src/linsep.c,
 * its defaults, seeded by the probe's seed) trained on 3/4 of the points
 * and scored on the rest; linsep_chance that of the most frequent class.
 *
 * t-SNE first reduces the activations to pca_dims dimensions by PCA (when
 * wider), then embeds them (src/analysis/tsne.c); trustworthiness (k = 5) and 10-NN
 * preservation compare the embedding with that reduced input. The summary
 * tables are rewritten whole at each row; on resume they keep the rows of
 * the epochs done. src/analysis/ pca.c, tsne.c, linsep.c and phoneclass.c
 * and src/plot/ scatter.c and draw.c are compiled into this module. */
#include <sincprobe/probe.h>
#include <sincprobe/layers.h>
#include "report_manifest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/linsep.h"
#include "analysis/pca.h"
#include "analysis/phoneclass.h"
#include "plot/scatter.h"
#include "analysis/tsne.h"
#include "base/error.h"

enum { KIND_TSNE = 0, KIND_PCA = 1 };
enum { COL_CLASS = 0, COL_LABEL = 1, COL_PAIR = 2 };

/* Option indices: the first four are common to both probes, in the same
 * order, so one parser serves both. */
enum {
    O_LAYERS, O_EPOCHS, O_COLOUR, O_PAIR,
    O_PERPLEXITY, O_ITERATIONS, O_THETA, O_EXAGGERATION, O_EXAG_ITERS, O_LR, O_PCA_DIMS, O_MAX_POINTS, O_SEED,
    NOPT_TSNE
};
#define NOPT_PCA 4

#define COMMON_OPTIONS                                                                                             \
    { .name = "layers", .type = SP_PROBE_OPT_STRING, .default_value = "auto",                                      \
      .help = "layers to map: names separated by ',', \"all\", or \"auto\" (the last hidden activation)" },        \
    { .name = "epochs", .type = SP_PROBE_OPT_STRING, .default_value = "last",                                      \
      .help = "epochs to map: numbers separated by ',', \"last\" or \"all\" (epoch 0 of analyse always)" },        \
    { .name = "colour", .type = SP_PROBE_OPT_ENUM, .default_value = "class", .choices = "class|label|pair",        \
      .help = "colour points by broad phone class, by phone, or show only the two phones of pair" },               \
    { .name = "pair", .type = SP_PROBE_OPT_STRING, .default_value = "",                                            \
      .help = "with colour = pair: two phones separated by ',' (\"aa,iy\")" }

static const sp_probe_option tsne_options[NOPT_TSNE] = {
    COMMON_OPTIONS,
    { .name = "perplexity", .type = SP_PROBE_OPT_FLOAT, .default_value = "30", .min = 1, .max = 1e6,
      .help = "the effective number of neighbours of each point" },
    { .name = "iterations", .type = SP_PROBE_OPT_INT, .default_value = "1000", .min = 1, .max = 1e7,
      .help = "gradient descent iterations" },
    { .name = "theta", .type = SP_PROBE_OPT_FLOAT, .default_value = "0.5", .min = 0, .max = 10,
      .help = "Barnes-Hut accuracy (0: exact t-SNE, O(N^2))" },
    { .name = "exaggeration", .type = SP_PROBE_OPT_FLOAT, .default_value = "12", .min = 1, .max = 1000,
      .help = "early exaggeration factor of P" },
    { .name = "exaggeration_iterations", .type = SP_PROBE_OPT_INT, .default_value = "250", .min = 0, .max = 1e7,
      .help = "iterations with early exaggeration (and momentum 0.5)" },
    { .name = "learning_rate", .type = SP_PROBE_OPT_FLOAT, .default_value = "0", .min = 0, .max = 1e9,
      .help = "step size (0: max(200, N / 12))" },
    { .name = "pca_dims", .type = SP_PROBE_OPT_INT, .default_value = "50", .min = 2, .max = 1e6,
      .help = "reduce wider activations to this many by PCA first" },
    { .name = "max_points", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1e9,
      .help = "map a seeded random subset of this many frames (0: all)" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 9.2e18,
      .help = "seed of the subset and the neighbour tree (0: the run's)" },
};

static const sp_probe_option pca_options[NOPT_PCA] = { COMMON_OPTIONS };

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int kind;
    /* options */
    char *layers;
    int ep_all, ep_last, nep, *ep;
    int colour;
    char pair_name[2][64];
    int pair[2];
    sp_tsne_params tp;
    int pca_dims;
    long max_points;
    uint64_t seed;
    /* run */
    int active, analyse, last_epoch;
    int nsel;
    char **sel;
    int nclasses;
    char **classes;
    /* the summary rows (text, no header) */
    char *rows;
    size_t len, cap;
} probe;

static int errf(sp_probe_error *err, int option, const char *fmt, ...) SP_PROBE_PRINTF(3, 4);
static int errf(sp_probe_error *err, int option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (option >= 0) err->option = option;
    return -1;
}

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static const char *kind_name(const probe *x) { return x->kind == KIND_TSNE ? "tsne" : "pca"; }

/* "last" | "all" | N[,N...] */
static int parse_epochs(probe *x, const char *s, sp_probe_error *err)
{
    if (strcmp(s, "last") == 0) return x->ep_last = 1, 0;
    if (strcmp(s, "all") == 0) return x->ep_all = 1, 0;
    int n = 1;
    for (const char *c = s; *c; c++) n += *c == ',';
    x->ep = malloc((size_t)n * sizeof *x->ep);
    if (!x->ep) return oom(err);
    const char *c = s;
    while (*c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (end == c || v < 0 || v > 1000000000L || (*end && *end != ','))
            return errf(err, O_EPOCHS, "epochs: '%s' is not \"last\", \"all\" or epoch numbers separated by ','", s);
        x->ep[x->nep++] = (int)v;
        c = *end ? end + 1 : end;
    }
    if (x->nep == 0) return errf(err, O_EPOCHS, "epochs: '%s' names no epoch", s);
    return 0;
}

static int create(probe *x, const sp_probe_context *ctx, sp_probe_error *err)
{
    const sp_probe_value *v = ctx->values;
    x->ctx = ctx;
    x->h = ctx->host;
    if (!(x->layers = dupstr(v[O_LAYERS].text))) return oom(err);
    if (!*x->layers) return errf(err, O_LAYERS, "layers: empty; name layers, \"all\" or \"auto\"");
    if (parse_epochs(x, v[O_EPOCHS].text, err) != 0) return -1;
    x->colour = (int)v[O_COLOUR].i;
    x->pair[0] = x->pair[1] = -1;
    if (x->colour == COL_PAIR) {
        const char *p = v[O_PAIR].text, *comma = strchr(p, ',');
        if (!comma || strchr(comma + 1, ',') || comma == p || !comma[1] || comma - p >= 64 || strlen(comma + 1) >= 64)
            return errf(err, O_PAIR, "pair: '%s' is not two phones separated by ',' (e.g. \"aa,iy\")", p);
        snprintf(x->pair_name[0], sizeof x->pair_name[0], "%.*s", (int)(comma - p), p);
        snprintf(x->pair_name[1], sizeof x->pair_name[1], "%s", comma + 1);
        if (strcmp(x->pair_name[0], x->pair_name[1]) == 0)
            return errf(err, O_PAIR, "pair: '%s' names the same phone twice", p);
    } else if (*v[O_PAIR].text) {
        return errf(err, O_PAIR, "pair: '%s' is given but colour is not \"pair\"", v[O_PAIR].text);
    }
    sp_tsne_defaults(&x->tp);
    x->seed = ctx->seed;
    if (x->kind == KIND_TSNE) {
        x->tp.perplexity = v[O_PERPLEXITY].f;
        x->tp.iterations = (int)v[O_ITERATIONS].i;
        x->tp.theta = v[O_THETA].f;
        x->tp.exaggeration = v[O_EXAGGERATION].f;
        x->tp.exaggeration_iterations = (int)v[O_EXAG_ITERS].i;
        x->tp.learning_rate = v[O_LR].f;
        x->pca_dims = (int)v[O_PCA_DIMS].i;
        x->max_points = (long)v[O_MAX_POINTS].i;
        if (v[O_SEED].i != 0) x->seed = (uint64_t)v[O_SEED].i;
        if (x->max_points != 0 && x->max_points < 8)
            return errf(err, O_MAX_POINTS, "max_points: %ld is too few to map (0 or >= 8)", x->max_points);
    }
    x->tp.seed = x->seed;
    return 0;
}

static void destroy(void *self);

static int create_tsne(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->kind = KIND_TSNE;
    if (create(x, ctx, err) != 0) { /* the host destroys only what create made */
        destroy(x);
        return -1;
    }
    *self = x;
    return 0;
}

static int create_pca(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->kind = KIND_PCA;
    if (create(x, ctx, err) != 0) { /* the host destroys only what create made */
        destroy(x);
        return -1;
    }
    *self = x;
    return 0;
}

static void destroy(void *self)
{
    probe *x = self;
    if (!x) return;
    free(x->layers);
    free(x->ep);
    for (int i = 0; i < x->nsel; i++) free(x->sel[i]);
    free(x->sel);
    for (int i = 0; i < x->nclasses; i++) free(x->classes[i]);
    free(x->classes);
    free(x->rows);
    free(x);
}

static int add_sel(probe *x, const char *name, size_t len, sp_probe_error *err)
{
    char **s = realloc(x->sel, (size_t)(x->nsel + 1) * sizeof *s);
    if (!s) return oom(err);
    x->sel = s;
    if (!(s[x->nsel] = malloc(len + 1))) return oom(err);
    memcpy(s[x->nsel], name, len);
    s[x->nsel++][len] = '\0';
    return 0;
}

/* The layers option (sincprobe/layers.h): names, "all", or "auto" (the
 * last hidden activation: the last "act" layer before the output, else
 * the layer before the output). */
static int choose_layers(probe *x, const sp_probe_run *run, sp_probe_error *err)
{
    int *index = malloc(((size_t)run->nlayers + 1) * sizeof *index);
    if (!index) return oom(err);
    const char *bad = NULL;
    int n = sp_probe_layers_select(run->layers, run->nlayers, x->layers, SP_PROBE_LAYERS_ALL | SP_PROBE_LAYERS_AUTO,
                                   index, &bad, NULL);
    int rc = 0;
    if (n < 0)
        rc = errf(err, O_LAYERS, "layers: '%.*s' is not a layer of the network", (int)sp_probe_layers_wordlen(bad), bad);
    else if (n == 0 && run->nlayers == 0)
        rc = errf(err, O_LAYERS, "layers: the network has no layers");
    else if (n == 0)
        rc = errf(err, O_LAYERS, "layers: '%s' is not a layer of the network", x->layers);
    for (int i = 0; i < n && !rc; i++)
        rc = add_sel(x, run->layers[index[i]].name, strlen(run->layers[index[i]].name), err);
    free(index);
    return rc;
}

static int selected_layer(const probe *x, const char *name)
{
    if (x->analyse) return 1;
    for (int i = 0; i < x->nsel; i++)
        if (strcmp(x->sel[i], name) == 0) return 1;
    return 0;
}

static int selected_epoch(const probe *x, int epoch)
{
    if (epoch == 0 || x->ep_all) return 1;
    if (x->ep_last) return epoch == x->last_epoch;
    for (int i = 0; i < x->nep; i++)
        if (x->ep[i] == epoch) return 1;
    return 0;
}

/* The summary on resume: keep the rows of epochs <= done. */
static void resume_rows(probe *x, int done)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tsv", x->ctx->dir, kind_name(x));
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) { /* the header */
            first = 0;
            continue;
        }
        char *end;
        long e = strtol(line, &end, 10);
        if (end == line || *end != '\t' || e > done) continue;
        size_t n = strlen(line);
        if (x->len + n + 1 > x->cap) {
            size_t cap = (x->len + n + 1) * 2;
            char *r = realloc(x->rows, cap);
            if (!r) break;
            x->rows = r;
            x->cap = cap;
        }
        memcpy(x->rows + x->len, line, n + 1);
        x->len += n;
    }
    fclose(f);
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    probe *x = self;
    /* analyse: the mode says so (ABI 2), or a host that shows it as a
     * one-epoch training without datasets or steps */
    x->analyse = run->mode == SP_PROBE_MODE_ANALYSE || x->ctx->mode == SP_PROBE_MODE_ANALYSE ||
                 (run->mode == SP_PROBE_MODE_TRAIN && run->steps_per_epoch == 0 && !run->data[SP_PROBE_TRAIN] &&
                  !run->data[SP_PROBE_DEV]);
    x->last_epoch = run->epochs;
    if (run->nclasses > 0) {
        x->classes = calloc((size_t)run->nclasses, sizeof *x->classes);
        if (!x->classes) return oom(err);
        x->nclasses = run->nclasses;
        for (int i = 0; i < run->nclasses; i++)
            if (!(x->classes[i] = dupstr(run->classes[i] ? run->classes[i] : "?"))) return oom(err);
    }
    if (x->colour == COL_PAIR)
        for (int k = 0; k < 2; k++) {
            for (int c = 0; c < x->nclasses; c++)
                if (strcmp(x->classes[c], x->pair_name[k]) == 0) x->pair[k] = c;
            if (x->pair[k] < 0)
                return errf(err, O_PAIR, "pair: '%s' is not one of the %d classes", x->pair_name[k], x->nclasses);
        }
    if (run->mode == SP_PROBE_MODE_EVAL) {
        x->h->log(x->ctx, SP_PROBE_INFO, "%s maps activations at epoch ends of training and in analyse; "
                  "nothing to do in eval", kind_name(x));
        return 0;
    }
    x->active = 1;
    if (!x->analyse) {
        if (choose_layers(x, run, err) != 0) return -1;
        /* ask for them one at a time: the host takes any list */
        for (int i = 0; i < x->nsel; i++)
            if (x->h->want_activations(x->ctx, x->sel[i], err) != 0) return -1;
        if (sp_write_manifest(x->ctx, run, x->kind == KIND_TSNE ? sp_manifest_tsne : sp_manifest_pca, err) != 0)
            return -1;
        if (run->resumed && run->epochs_done > 0) resume_rows(x, run->epochs_done);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Output */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int add_row(probe *x, const char *row, sp_probe_error *err)
{
    size_t n = strlen(row);
    if (x->len + n + 1 > x->cap) {
        size_t cap = (x->len + n + 1) * 2 + 256;
        char *r = realloc(x->rows, cap);
        if (!r) return oom(err);
        x->rows = r;
        x->cap = cap;
    }
    memcpy(x->rows + x->len, row, n + 1);
    x->len += n;
    const char *head = x->kind == KIND_TSNE
                           ? "epoch\tlayer\tn\tkl\ttrustworthiness\tknn_preservation\tseconds\tlinsep_accuracy\tlinsep_chance\n"
                           : "epoch\tlayer\tn\texplained_variance\tev1\tev2\tlinsep_accuracy\tlinsep_chance\n";
    size_t hl = strlen(head);
    char *text = malloc(hl + x->len + 1);
    if (!text) return oom(err);
    memcpy(text, head, hl);
    memcpy(text + hl, x->rows, x->len + 1);
    char name[16];
    snprintf(name, sizeof name, "%s.tsv", kind_name(x));
    int rc = x->h->write_text(x->ctx, name, text, hl + x->len, err);
    free(text);
    return rc;
}

static const char *class_of(const probe *x, int label)
{
    return label >= 0 && label < x->nclasses ? x->classes[label] : "?";
}

/* The coordinates, the table and the figures of one embedding. */
static int write_embedding(probe *x, const char *base, const char *title, const float *Y, long n,
                           const int *labels, sp_probe_error *err)
{
    char name[512];
    long shape[2] = { n, 2 };
    snprintf(name, sizeof name, "%s.npy", base);
    if (x->h->write_npy(x->ctx, name, SP_PROBE_F32, Y, 2, shape, err) != 0) return -1;
    /* the table: x y label phone class */
    size_t cap = (size_t)n * 96 + 64, len = 0;
    char *t = malloc(cap);
    if (!t) return oom(err);
    len += (size_t)snprintf(t, cap, "x\ty\tlabel\tphone\tclass\n");
    for (long i = 0; i < n; i++) {
        const char *ph = class_of(x, labels[i]);
        if (len + strlen(ph) + 80 > cap) {
            cap *= 2;
            char *u = realloc(t, cap);
            if (!u) {
                free(t);
                return oom(err);
            }
            t = u;
        }
        len += (size_t)snprintf(t + len, cap - len, "%.10g\t%.10g\t%d\t%s\t%s\n", (double)Y[2 * i], (double)Y[2 * i + 1],
                                labels[i], ph, sp_phoneclass_name(sp_phoneclass_of(ph)));
    }
    snprintf(name, sizeof name, "%s.tsv", base);
    int rc = x->h->write_text(x->ctx, name, t, len, err);
    free(t);
    if (rc != 0) return -1;
    /* the groups of the plot */
    int *g = malloc((size_t)n * sizeof *g);
    if (!g) return oom(err);
    int ng = 0;
    const char *const *names = NULL;
    const char *pnames[2] = { x->pair_name[0], x->pair_name[1] };
    static const char *const cnames[SP_PC_N] = { "vowels", "stops", "fricatives", "nasals",
                                                 "semivowels and glides", "silence" };
    int mode = x->colour;
    if (mode == COL_CLASS) /* by class only when every phone present is known */
        for (long i = 0; i < n; i++)
            if (sp_phoneclass_of(class_of(x, labels[i])) < 0) {
                mode = COL_LABEL;
                break;
            }
    for (long i = 0; i < n; i++) {
        int l = labels[i];
        if (mode == COL_CLASS) g[i] = sp_phoneclass_of(class_of(x, l));
        else if (mode == COL_LABEL) g[i] = l >= 0 && l < x->nclasses ? l : -1;
        else g[i] = l == x->pair[0] ? 0 : l == x->pair[1] ? 1 : -1;
    }
    if (mode == COL_CLASS) ng = SP_PC_N, names = cnames;
    else if (mode == COL_LABEL) ng = x->nclasses, names = (const char *const *)x->classes;
    else ng = 2, names = pnames;
    size_t dl = strlen(x->ctx->dir) + strlen(base) + 8;
    char *png = malloc(dl), *svg = malloc(dl);
    if (!png || !svg) {
        free(png), free(svg), free(g);
        return oom(err);
    }
    snprintf(png, dl, "%s/%s.png", x->ctx->dir, base);
    snprintf(svg, dl, "%s/%s.svg", x->ctx->dir, base);
    sp_error e;
    rc = sp_scatter_write(png, svg, Y, n, g, ng, names, title, &e);
    free(png), free(svg), free(g);
    return rc ? sp_error_put(&e, err->message, sizeof err->message) : 0;
}

/* The linear separability of the final 2-D map Y [n][2] (labels [n]):
 * the held-out accuracy of src/linsep.c's probe with its defaults, and the
 * most frequent class's, appended to the summary row (which ends in a
 * newline) as linsep_accuracy and linsep_chance. Fewer than 8 labelled
 * points, or a single class, give NaN. */
static int embedding_final(probe *x, const float *Y, long n, const int *labels, char *row, size_t rowlen,
                           sp_probe_error *err)
{
    sp_linsep_opts o;
    sp_linsep_defaults(&o);
    o.seed = x->seed;
    sp_linsep_result r;
    double acc = NAN, chance = NAN;
    int nclasses = 0;
    for (long i = 0; i < n; i++)
        if (labels[i] + 1 > nclasses) nclasses = labels[i] + 1;
    sp_error why;
    if (n >= 8 && nclasses >= 2) {
        if (sp_linsep_eval(Y, n, 2, labels, nclasses, &o, &r, &why) == 0) {
            acc = r.accuracy;
            chance = r.chance;
        } else {
            x->h->log(x->ctx, SP_PROBE_WARN, "linear probe on the map: %s", why.msg);
        }
    }
    size_t len = strlen(row);
    if (len && row[len - 1] == '\n') row[--len] = '\0';
    if (snprintf(row + len, rowlen - len, "\t%.10g\t%.10g\n", acc, chance) >= (int)(rowlen - len))
        return errf(err, -1, "summary row too long");
    return 0;
}

/* A seeded subset of m of N indices, in increasing order. */
static long *subset(probe *x, long N, long m)
{
    long *idx = malloc((size_t)N * sizeof *idx);
    if (!idx) return NULL;
    for (long i = 0; i < N; i++) idx[i] = i;
    sp_probe_rng *r = x->h->rng_new(x->ctx, x->seed, 0x7473);
    for (long i = 0; i < m; i++) {
        long j = i + (long)x->h->rng_below(r, (uint64_t)(N - i));
        long t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    x->h->rng_free(r);
    /* sort the first m (insertion into a flag array keeps it O(N)) */
    char *in = calloc((size_t)N, 1);
    if (!in) {
        free(idx);
        return NULL;
    }
    for (long i = 0; i < m; i++) in[idx[i]] = 1;
    long k = 0;
    for (long i = 0; i < N; i++)
        if (in[i]) idx[k++] = i;
    free(in);
    return idx;
}

static int map_layer(probe *x, const sp_probe_layer *L, int epoch, long N, const int *labels_all, sp_probe_error *err)
{
    int D = (int)L->out_n;
    long n = N;
    long *idx = NULL;
    if (x->kind == KIND_TSNE && x->max_points > 0 && N > x->max_points) {
        n = x->max_points;
        if (!(idx = subset(x, N, n))) return oom(err);
    }
    float *A = malloc((size_t)n * D * sizeof *A);
    int *lab = malloc((size_t)n * sizeof *lab);
    float *Yf = malloc((size_t)n * 2 * sizeof *Yf);
    double *Y = malloc((size_t)n * 2 * sizeof *Y);
    double *R = NULL;
    int rc = -1;
    sp_error e; /* an analysis call's error, copied to err at fail */
    if (!A || !lab || !Yf || !Y) {
        oom(err);
        goto out;
    }
    for (long i = 0; i < n; i++) {
        long s = idx ? idx[i] : i;
        memcpy(A + (size_t)i * D, L->act + (size_t)s * D, (size_t)D * sizeof *A);
        lab[i] = labels_all[s];
    }
    /* names: KIND_LAYER_eEPOCH, the layer's name made file-safe */
    char lname[200], base[256], title[320], row[512];
    snprintf(lname, sizeof lname, "%s", L->name);
    for (char *c = lname; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-'))
            *c = '_';
    snprintf(base, sizeof base, "%s_%s_e%d", kind_name(x), lname, epoch);
    if (x->kind == KIND_PCA) {
        if (D < 2) {
            errf(err, -1, "layer '%s' has %d dimension; pca needs at least 2", L->name, D);
            goto out;
        }
        double ev[2], total = 0;
        if (sp_pca_f(A, n, D, 2, Y, ev, &total, NULL, &e) != 0) goto fail;
        double f1 = total > 0 ? ev[0] / total : 0, f2 = total > 0 ? ev[1] / total : 0;
        snprintf(title, sizeof title, "PCA of %s, epoch %d (%.1f%% + %.1f%% of the variance)", L->name, epoch,
                 100 * f1, 100 * f2);
        snprintf(row, sizeof row, "%d\t%s\t%ld\t%.10g\t%.10g\t%.10g\n", epoch, L->name, n, f1 + f2, f1, f2);
    } else {
        double t0 = now();
        int k = D > x->pca_dims ? x->pca_dims : D;
        if (!(R = malloc((size_t)n * k * sizeof *R))) {
            oom(err);
            goto out;
        }
        if (D > x->pca_dims) {
            if (sp_pca_f(A, n, D, k, R, NULL, NULL, NULL, &e) != 0) goto fail;
        } else {
            for (size_t i = 0; i < (size_t)n * D; i++) R[i] = A[i];
        }
        sp_tsne_params tp = x->tp;
        if (n < 4 * 3 + 2) {
            errf(err, -1, "layer '%s': %ld points are too few to map", L->name, n);
            goto out;
        }
        if (tp.perplexity > (double)(n - 1) / 3) {
            tp.perplexity = (double)(n - 1) / 3;
            x->h->log(x->ctx, SP_PROBE_WARN, "perplexity %g is too large for %ld points; using %g", x->tp.perplexity,
                      n, tp.perplexity);
        }
        double kl = NAN, trust = NAN, knn = NAN;
        if (sp_tsne_run(R, n, k, NULL, &tp, Y, &kl, &e) != 0) goto fail;
        double secs = now() - t0;
        if (n > 16 && sp_tsne_quality(R, n, k, Y, 2, 5, 10, &trust, &knn, &e) != 0) goto fail;
        snprintf(title, sizeof title, "t-SNE of %s, epoch %d (KL %.3f, trustworthiness %.3f)", L->name, epoch, kl,
                 trust);
        snprintf(row, sizeof row, "%d\t%s\t%ld\t%.10g\t%.10g\t%.10g\t%.10g\n", epoch, L->name, n, kl, trust, knn,
                 secs);
        x->h->log(x->ctx, SP_PROBE_INFO, "%s epoch %d: %ld points, KL %.4f, trustworthiness %.4f, 10-NN %.4f, %.1f s",
                  L->name, epoch, n, kl, trust, knn, secs);
    }
    for (long i = 0; i < 2 * n; i++) Yf[i] = (float)Y[i];
    if (write_embedding(x, base, title, Yf, n, lab, err) != 0) goto out;
    if (embedding_final(x, Yf, n, lab, row, sizeof row, err) != 0) goto out;
    rc = add_row(x, row, err);
    goto out;
fail:
    sp_error_put(&e, err->message, sizeof err->message);
out:
    free(idx);
    free(A);
    free(lab);
    free(Yf);
    free(Y);
    free(R);
    return rc;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    probe *x = self;
    if (!x->active || v->at_step || !selected_epoch(x, v->epoch) || v->N <= 0) return 0;
    for (int i = 0; i < v->nlayers; i++) {
        const sp_probe_layer *L = &v->layers[i];
        if (!L->act || !selected_layer(x, L->name)) continue;
        if (map_layer(x, L, v->epoch, v->N, v->labels, err) != 0) return -1;
    }
    return 0;
}

static void destroy_any(void *self) { destroy(self); }

static const sp_probe_descriptor descriptors[2] = {
    {
        .abi_version = SP_PROBE_ABI_VERSION,
        .identifier = "tsne",
        .name = "t-SNE map of activations",
        .version = "1.0",
        .summary = "barnes-hut t-SNE maps of layers' activations on the probe set, with KL, trustworthiness and "
                   "10-NN preservation",
        .noptions = NOPT_TSNE,
        .options = tsne_options,
        .create = create_tsne,
        .on_start = on_start,
        .on_epoch_end = on_epoch_end,
        .destroy = destroy_any,
    },
    {
        .abi_version = SP_PROBE_ABI_VERSION,
        .identifier = "pca",
        .name = "PCA map of activations",
        .version = "1.0",
        .summary = "the first two principal components of layers' activations on the probe set, with explained "
                   "variance",
        .noptions = NOPT_PCA,
        .options = pca_options,
        .create = create_pca,
        .on_start = on_start,
        .on_epoch_end = on_epoch_end,
        .destroy = destroy_any,
    },
};

/* Which descriptor this module serves: plugins.am builds tsne.so (0) and
 * pca.so (1) from this file, since `use = NAME` opens NAME.so only. */
#ifndef SP_TSNE_DESCRIPTOR
#define SP_TSNE_DESCRIPTOR 0
#endif

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    /* analyse mode (ABI 2) is served too; an ABI 1 host never shows it */
    (void)host_abi;
    return index == 0 ? &descriptors[SP_TSNE_DESCRIPTOR] : NULL;
}
