/* gradsnr.c - the gradsnr probe: per layer and parameter tensor, the
 * signal-to-noise ratio of the mini-batch gradients over each epoch,
 *
 *   snr = ||mean_b g_b||_2 / ||std_b g_b||_2      (per layer in IDNNs, ibsgd)
 *
 * with mean and population std per element over the epoch's batches,
 * accumulated online (src/gradsnr.c: Welford in double, 16 bytes per
 * tracked element; the sincnet preset's ~22M weights take ~350 MB, so
 * `layers` can restrict it), and beside it the statistic on batch-gradient
 * norms, norm_snr = mean_b ||g_b|| / std_b ||g_b|| (Mean(||grad W||) /
 * STD(||grad W||) as Tishby's talks write it). Writes, in its folder,
 * rewritten atomically at each epoch's end:
 *
 *   gradsnr.tsv     epoch layer param batches mean_norm std_norm snr
 *                   norm_mean norm_std norm_snr
 *   transition.tsv  layer param transition_epoch min_dsnr
 *                   norm_transition_epoch norm_min_dsnr: the epoch e
 *                   minimising snr(e) - snr(e-1) (the drift-to-diffusion
 *                   transition), and the same for norm_snr; nan with
 *                   fewer than 2 epochs
 *   gradsnr_rows.npy  [rows][10] float64 (epoch, layer index, param
 *                   index, batches, then the six statistics), read back
 *                   on resume
 *
 * Resume keeps the rows of the first epochs_done epochs; after a
 * mid-epoch resume the current epoch's statistics cover only the batches
 * from the resumed step on (the column batches says how many). Eval and
 * analyse modes: nothing (there are no gradients). */
#include <sincprobe/probe.h>
#include <sincprobe/layers.h>
#include "report_manifest.h"
#include "resume_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/gradsnr.h"
#include "base/error.h"

enum { OPT_LAYERS, NOPT };

static const sp_probe_option options[NOPT] = {
    { .name = "layers", .type = SP_PROBE_OPT_STRING, .default_value = "all",
      .help = "comma list of layer names, or all: every layer with parameters" },
};

#define NCOL 10

typedef struct {
    int layer, param;
    sp_gradsnr_acc acc;
} track;

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int ntrack;
    track *t;
    int nlayers;
    char **lname;        /* [nlayers] */
    char *(*pname)[2];   /* [nlayers][2] */
    long R;
    double *rows;        /* [R][NCOL] */
} gradsnr_probe;

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    gradsnr_probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    *self = x;
    return 0;
}

/* The layers option (sincprobe/layers.h: names or "all") as a mask
 * [nlayers]; NULL with err for an unknown name or out of memory. */
static unsigned char *selected(const char *spec, const sp_probe_run *run, sp_probe_error *err)
{
    unsigned char *sel = calloc((size_t)run->nlayers + 1, 1);
    int *index = malloc(((size_t)run->nlayers + 1) * sizeof *index);
    if (!sel || !index) {
        free(sel);
        free(index);
        oom(err);
        return NULL;
    }
    int n = sp_probe_layers_select(run->layers, run->nlayers, spec, SP_PROBE_LAYERS_ALL, index, NULL, err);
    for (int i = 0; i < n; i++) sel[index[i]] = 1;
    free(index);
    if (n < 0) {
        err->option = OPT_LAYERS;
        free(sel);
        return NULL;
    }
    return sel;
}

/* A kept row's layer and parameter must exist in this network. */
static int row_ok(const double *v, const sp_probe_run *run)
{
    return v[1] >= 0 && v[1] < run->nlayers && v[2] >= 0 && v[2] < run->layers[(int)v[1]].nparams;
}

static void resume(gradsnr_probe *x, const sp_probe_run *run)
{
    x->R = sp_resume_rows(x->ctx, "gradsnr_rows.npy", NCOL, run, row_ok, &x->rows);
    if (x->R < 0) {
        x->R = 0;
        x->h->log(x->ctx, SP_PROBE_WARN, "resumed, but gradsnr_rows.npy was not usable: gradsnr.tsv starts again");
    }
}

/* Copy the layer and parameter names, and start a statistic for each
 * parameter of the selected layers (sel [nlayers]); *elems: their size. */
static int track_layers(gradsnr_probe *x, const sp_probe_run *run, const unsigned char *sel, double *elems,
                        sp_probe_error *err)
{
    x->nlayers = run->nlayers;
    x->lname = calloc((size_t)run->nlayers, sizeof *x->lname);
    x->pname = calloc((size_t)run->nlayers, sizeof *x->pname);
    x->t = calloc((size_t)run->nlayers * 2 + 1, sizeof *x->t);
    if (!x->lname || !x->pname || !x->t) return oom(err);
    for (int i = 0; i < run->nlayers; i++) {
        const sp_probe_layer *l = &run->layers[i];
        if (!(x->lname[i] = strdup(l->name))) return oom(err);
        for (int p = 0; p < l->nparams; p++) {
            if (!(x->pname[i][p] = strdup(l->param[p].name))) return oom(err);
            if (!sel[i]) continue;
            track *tr = &x->t[x->ntrack];
            tr->layer = i;
            tr->param = p;
            sp_error e;
            if (sp_gradsnr_init(&tr->acc, l->param[p].n, &e) != 0)
                return sp_error_put(&e, err->message, sizeof err->message);
            x->ntrack++;
            *elems += (double)l->param[p].n;
        }
    }
    return 0;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    gradsnr_probe *x = self;
    if (run->mode != SP_PROBE_MODE_TRAIN) return 0;
    const char *spec = x->ctx->values[OPT_LAYERS].text;
    unsigned char *sel = selected(spec, run, err);
    if (!sel) return -1;
    double elems = 0;
    int rc = track_layers(x, run, sel, &elems, err);
    free(sel);
    if (rc != 0) return -1;
    if (x->ntrack == 0) {
        err->option = OPT_LAYERS;
        snprintf(err->message, sizeof err->message, "layers: '%s' names no layer with parameters", spec);
        return -1;
    }
    x->h->log(x->ctx, SP_PROBE_INFO, "tracking %d tensors, %.0f elements (%.1f MB of statistics)", x->ntrack, elems,
              elems * 16 / 1e6);
    if (sp_write_manifest(x->ctx, run, sp_manifest_gradsnr, err) != 0) return -1;
    if (run->resumed && run->epochs_done > 0) resume(x, run);
    return 0;
}

static int on_gradients(void *self, const sp_probe_gradients *g, sp_probe_error *err)
{
    gradsnr_probe *x = self;
    (void)err;
    for (int k = 0; k < x->ntrack; k++) {
        const sp_probe_param *p = &g->layers[x->t[k].layer].param[x->t[k].param];
        if (p->grad) sp_gradsnr_add(&x->t[k].acc, p->grad);
    }
    return 0;
}

static void fmt(char *s, size_t n, double v)
{
    if (isnan(v)) snprintf(s, n, "nan");
    else snprintf(s, n, "%.10g", v);
}

/* "\tEPOCH\tMIN_D": the transition of column col of tensor k's rows, in
 * row order (ep, series: scratch of R values). */
static int transition_cells(const gradsnr_probe *x, int k, int col, double *ep, double *series, char *s, size_t n)
{
    long m = 0;
    for (long r = 0; r < x->R; r++) {
        const double *v = x->rows + (size_t)r * NCOL;
        if ((int)v[1] == x->t[k].layer && (int)v[2] == x->t[k].param) {
            ep[m] = v[0];
            series[m++] = v[col];
        }
    }
    double md;
    long e = sp_gradsnr_transition(series, m, &md);
    char a[40], b[40];
    fmt(a, sizeof a, e >= 0 ? ep[e] : NAN);
    fmt(b, sizeof b, md);
    return snprintf(s, n, "\t%s\t%s", a, b);
}

/* transition.tsv: per tracked tensor, the transition of snr (column 6,
 * ||mean|| / ||std||) and of norm_snr (column 9, mean ||g_b|| / std
 * ||g_b||), each the epoch minimising the series' finite difference. */
static int write_transitions(gradsnr_probe *x, sp_probe_error *err)
{
    size_t cap = 128, len = 0; /* the names, and 4 numbers of < 40 characters a row */
    for (int k = 0; k < x->ntrack; k++)
        cap += strlen(x->lname[x->t[k].layer]) + strlen(x->pname[x->t[k].layer][x->t[k].param]) + 200;
    char *t = malloc(cap);
    double *series = malloc((size_t)(x->R ? x->R : 1) * sizeof *series);
    double *ep = malloc((size_t)(x->R ? x->R : 1) * sizeof *ep);
    if (!t || !series || !ep) {
        free(t), free(series), free(ep);
        return oom(err);
    }
    len += (size_t)snprintf(t, cap, "layer\tparam\ttransition_epoch\tmin_dsnr\tnorm_transition_epoch\tnorm_min_dsnr\n");
    for (int k = 0; k < x->ntrack; k++) {
        len += (size_t)snprintf(t + len, cap - len, "%s\t%s", x->lname[x->t[k].layer],
                                x->pname[x->t[k].layer][x->t[k].param]);
        len += (size_t)transition_cells(x, k, 6, ep, series, t + len, cap - len);
        len += (size_t)transition_cells(x, k, 9, ep, series, t + len, cap - len);
        len += (size_t)snprintf(t + len, cap - len, "\n");
    }
    int rc = x->h->write_text(x->ctx, "transition.tsv", t, len, err);
    free(t), free(series), free(ep);
    return rc;
}

static int write_out(gradsnr_probe *x, sp_probe_error *err)
{
    long shape[2] = { x->R, NCOL };
    if (x->h->write_npy(x->ctx, "gradsnr_rows.npy", SP_PROBE_F64, x->rows, 2, shape, err) != 0) return -1;
    size_t cap = 256 + (size_t)x->R * 400, len = 0;
    char *t = malloc(cap);
    if (!t) return oom(err);
    len += (size_t)snprintf(t, cap, "epoch\tlayer\tparam\tbatches\tmean_norm\tstd_norm\tsnr\tnorm_mean\tnorm_std\tnorm_snr\n");
    for (long r = 0; r < x->R; r++) {
        const double *v = x->rows + (size_t)r * NCOL;
        len += (size_t)snprintf(t + len, cap - len, "%.10g\t%s\t%s\t%.10g", v[0], x->lname[(int)v[1]],
                                x->pname[(int)v[1]][(int)v[2]], v[3]);
        for (int c = 4; c < NCOL; c++) {
            char num[40];
            fmt(num, sizeof num, v[c]);
            len += (size_t)snprintf(t + len, cap - len, "\t%s", num);
        }
        len += (size_t)snprintf(t + len, cap - len, "\n");
    }
    int rc = x->h->write_text(x->ctx, "gradsnr.tsv", t, len, err);
    free(t);
    return rc != 0 ? -1 : write_transitions(x, err);
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    gradsnr_probe *x = self;
    if (x->h->abi_version >= 2 && v->at_step) return 0;
    if (x->ntrack == 0) return 0;
    double *rows = realloc(x->rows, (size_t)(x->R + x->ntrack) * NCOL * sizeof *rows);
    if (!rows) return oom(err);
    x->rows = rows;
    for (int k = 0; k < x->ntrack; k++) {
        sp_gradsnr_stats s;
        sp_gradsnr_get(&x->t[k].acc, &s);
        sp_gradsnr_reset(&x->t[k].acc);
        if (s.batches == 0) continue;
        double *w = x->rows + (size_t)x->R++ * NCOL;
        w[0] = v->epoch;
        w[1] = x->t[k].layer;
        w[2] = x->t[k].param;
        w[3] = (double)s.batches;
        w[4] = s.mean_norm;
        w[5] = s.std_norm;
        w[6] = s.snr;
        w[7] = s.norm_mean;
        w[8] = s.norm_std;
        w[9] = s.norm_snr;
    }
    return write_out(x, err);
}

static void destroy(void *self)
{
    gradsnr_probe *x = self;
    for (int k = 0; k < x->ntrack; k++) sp_gradsnr_free(&x->t[k].acc);
    for (int i = 0; i < x->nlayers; i++) {
        if (x->lname) free(x->lname[i]);
        if (x->pname) free(x->pname[i][0]), free(x->pname[i][1]);
    }
    free(x->lname);
    free(x->pname);
    free(x->t);
    free(x->rows);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "gradsnr",
    .name = "Gradient signal-to-noise ratio",
    .version = "1.0",
    .summary = "per layer, ||mean|| / ||std|| of the mini-batch gradients over each epoch",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_gradients = on_gradients,
    .on_epoch_end = on_epoch_end,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
