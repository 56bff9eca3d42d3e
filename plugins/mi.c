/* mi.c - the mi probe: the information plane. On the probe set (N
 * labelled dev frames, the same every epoch), for each chosen layer and
 * each chosen estimator, at each epoch's end (and at log-spaced steps
 * with log_steps), I(X;T) and I(T;Y) in bits (src/mi.h states the math).
 * Writes, in its folder (runs/NAME/probes/ID/, or the --out folder of
 * `sincprobe analyse mi`):
 *
 *   mi.tsv   epoch step layer estimator scale i_xt i_ty h_t n
 *            one row per call per layer per estimator; estimator fixed,
 *            width, adaptive, ebab, kde_upper or kde_lower; scale the
 *            bins (fixed, adaptive: edges; ebab: equal-mass bins),
 *            binsize (width) or sigma2 (kde);
 *            n the frames. Rewritten whole (atomically) at every call.
 *
 * Binning saturates: with N frames at most N patterns exist, and a wide
 * layer soon has them all (I(X;T) = log2 N, whatever it learns); the
 * probe warns once per layer and estimator when that happens. On resume
 * the rows of epochs <= epochs_done are read back from mi.tsv and kept.
 * In eval mode it does nothing (there is no epoch end). */
#include <sincprobe/probe.h>
#include <sincprobe/layers.h>
#include "report_manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/mi.h"
#include "base/error.h"

enum { OPT_LAYERS, OPT_ESTIMATOR, OPT_BINS, OPT_LO, OPT_HI, OPT_BINSIZE, OPT_SIGMA2, OPT_LOG_STEPS, OPT_EBAB_LOW, NOPT };

static const sp_probe_option options[NOPT] = {
    { .name = "layers", .type = SP_PROBE_OPT_STRING, .default_value = "dense",
      .help = "layers to measure: dense (the activations after each dense layer, and out), all, or names "
              "separated by ','" },
    { .name = "estimator", .type = SP_PROBE_OPT_STRING, .default_value = "fixed",
      .help = "estimators separated by ',': fixed, width, adaptive, ebab, kde (kde gives kde_upper and kde_lower)" },
    { .name = "bins", .type = SP_PROBE_OPT_INT, .default_value = "30", .min = 2, .max = 1000000,
      .help = "bin edges of fixed and adaptive binning (edges - 1 bins); ebab: its equal-mass bins (plus the low "
              "edge's bin and the maximum's)" },
    { .name = "lo", .type = SP_PROBE_OPT_FLOAT, .default_value = "-1",
      .help = "lowest edge of fixed binning (lower values go to the first bin)" },
    { .name = "hi", .type = SP_PROBE_OPT_FLOAT, .default_value = "1",
      .help = "highest edge of fixed binning (higher values go to the last bin)" },
    { .name = "binsize", .type = SP_PROBE_OPT_FLOAT, .default_value = "0.5", .min = 1e-12, .max = 1e12,
      .help = "bin width of width binning, bin floor(t / binsize)" },
    { .name = "sigma2", .type = SP_PROBE_OPT_FLOAT, .default_value = "0", .min = 0, .max = 1e12,
      .help = "noise variance of the kde estimator (required with kde: > 0; 0 is unset)" },
    { .name = "log_steps", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 100000,
      .help = "also measure at this many log-spaced global steps between 1 and epochs x steps_per_epoch" },
    { .name = "ebab_low", .type = SP_PROBE_OPT_FLOAT, .default_value = "0",
      .help = "the fixed low edge of ebab binning: its values get a bin of their own (0: a ReLU's zeros); "
              "lower values are refused" },
};

/* Row estimators, in the order written. */
enum { E_FIXED, E_WIDTH, E_ADAPTIVE, E_EBAB, E_KDE_UPPER, E_KDE_LOWER, NEST };
static const char *const est_name[NEST] = { "fixed", "width", "adaptive", "ebab", "kde_upper", "kde_lower" };

typedef struct {
    int epoch;
    long step;
    char *layer;
    int est;
    double scale, i_xt, i_ty, h_t;
    long n;
} mi_row;

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int use[NEST];
    int bins;
    double lo, hi, binsize, sigma2, ebab_low;
    long log_steps;
    int mode, nclasses;
    /* the measured layers, by name, and whether each (layer, estimator)
     * has warned about saturation */
    int nsel;
    char **sel;
    unsigned char (*warned)[NEST];
    int warned_noframes;
    char satmsg[1024];   /* this call's newly saturated layers */
    mi_row *rows;
    long nrows, caprows;
} mi_probe;

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

/* Parse the estimator list into x->use; -1 with err on a bad name. */
static int parse_estimators(mi_probe *x, const char *s, sp_probe_error *err)
{
    char buf[256];
    if (strlen(s) >= sizeof buf) {
        snprintf(err->message, sizeof err->message, "estimator: '%.40s...' is too long", s);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", s);
    int any = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t') t++;
        size_t l = strlen(t);
        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t')) t[--l] = '\0';
        if (strcmp(t, "fixed") == 0) x->use[E_FIXED] = 1;
        else if (strcmp(t, "width") == 0) x->use[E_WIDTH] = 1;
        else if (strcmp(t, "adaptive") == 0) x->use[E_ADAPTIVE] = 1;
        else if (strcmp(t, "ebab") == 0) x->use[E_EBAB] = 1;
        else if (strcmp(t, "kde") == 0) x->use[E_KDE_UPPER] = x->use[E_KDE_LOWER] = 1;
        else {
            snprintf(err->message, sizeof err->message, "estimator: '%s' is not fixed, width, adaptive, ebab or kde",
                     t);
            return -1;
        }
        any = 1;
    }
    if (!any) {
        snprintf(err->message, sizeof err->message,
                 "estimator: '%s' names no estimator (fixed, width, adaptive, ebab, kde)", s);
        return -1;
    }
    return 0;
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    mi_probe *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    x->bins = (int)ctx->values[OPT_BINS].i;
    x->lo = ctx->values[OPT_LO].f;
    x->hi = ctx->values[OPT_HI].f;
    x->binsize = ctx->values[OPT_BINSIZE].f;
    x->sigma2 = ctx->values[OPT_SIGMA2].f;
    x->ebab_low = ctx->values[OPT_EBAB_LOW].f;
    x->log_steps = (long)ctx->values[OPT_LOG_STEPS].i;
    if (parse_estimators(x, ctx->values[OPT_ESTIMATOR].text, err) != 0) {
        err->option = OPT_ESTIMATOR;
        free(x);
        return -1;
    }
    if (x->use[E_FIXED] && !(x->lo < x->hi)) {
        err->option = ctx->values[OPT_HI].given ? OPT_HI : OPT_LO;
        snprintf(err->message, sizeof err->message, "lo %g is not below hi %g", x->lo, x->hi);
        free(x);
        return -1;
    }
    if (x->use[E_KDE_UPPER] && !(x->sigma2 > 0)) {
        err->option = OPT_SIGMA2;
        snprintf(err->message, sizeof err->message,
                 "sigma2: the kde estimator needs the noise variance sigma2 > 0 (e.g. sigma2 = 0.1)");
        free(x);
        return -1;
    }
    *self = x;
    return 0;
}

/* ---- rows */

static int add_row(mi_probe *x, int epoch, long step, const char *layer, int est, double scale, const sp_mi_est *e,
                   long n)
{
    if (x->nrows == x->caprows) {
        long cap = x->caprows ? 2 * x->caprows : 64;
        mi_row *r = realloc(x->rows, (size_t)cap * sizeof *r);
        if (!r) return -1;
        x->rows = r;
        x->caprows = cap;
    }
    char *name = strdup(layer);
    if (!name) return -1;
    x->rows[x->nrows++] = (mi_row){ epoch, step, name, est, scale, e->i_xt, e->i_ty, e->h_t, n };
    return 0;
}

static const char header[] = "epoch\tstep\tlayer\testimator\tscale\ti_xt\ti_ty\th_t\tn\n";

static int write_rows(mi_probe *x, sp_probe_error *err)
{
    size_t cap = sizeof header + (size_t)x->nrows * 256, len = 0;
    for (long r = 0; r < x->nrows; r++) cap += strlen(x->rows[r].layer);
    char *t = malloc(cap);
    if (!t) return oom(err);
    len = (size_t)snprintf(t, cap, "%s", header);
    for (long r = 0; r < x->nrows; r++) {
        const mi_row *w = &x->rows[r];
        len += (size_t)snprintf(t + len, cap - len, "%d\t%ld\t%s\t%s\t%.10g\t%.10g\t%.10g\t%.10g\t%ld\n", w->epoch,
                                w->step, w->layer, est_name[w->est], w->scale, w->i_xt, w->i_ty, w->h_t, w->n);
    }
    int rc = x->h->write_text(x->ctx, "mi.tsv", t, len, err);
    free(t);
    return rc;
}

/* On resume: the rows of mi.tsv with epoch <= keep; returns rows kept. */
static long resume(mi_probe *x, int keep)
{
    size_t l = strlen(x->ctx->dir) + sizeof "/mi.tsv";
    char *path = malloc(l);
    if (!path) return 0;
    snprintf(path, l, "%s/mi.tsv", x->ctx->dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return 0;
    char line[4096];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) { /* the header */
            first = 0;
            continue;
        }
        char *fld[9], *save = NULL;
        int nf = 0;
        line[strcspn(line, "\r\n")] = '\0';
        for (char *s = strtok_r(line, "\t", &save); s && nf < 9; s = strtok_r(NULL, "\t", &save)) fld[nf++] = s;
        if (nf != 9) continue;
        int est = -1;
        for (int e = 0; e < NEST; e++)
            if (strcmp(fld[3], est_name[e]) == 0) est = e;
        int epoch = atoi(fld[0]);
        if (est < 0 || epoch < 1 || epoch > keep) continue;
        sp_mi_est v = { strtod(fld[5], NULL), strtod(fld[6], NULL), strtod(fld[7], NULL), 0, 0 };
        if (add_row(x, epoch, strtol(fld[1], NULL, 10), fld[2], est, strtod(fld[4], NULL), &v,
                    strtol(fld[8], NULL, 10)) != 0)
            break;
    }
    fclose(f);
    return x->nrows;
}

/* ---- layers */

static int select_layer(mi_probe *x, const char *name)
{
    for (int i = 0; i < x->nsel; i++)
        if (strcmp(x->sel[i], name) == 0) return 0;
    char **s = realloc(x->sel, (size_t)(x->nsel + 1) * sizeof *s);
    if (!s) return -1;
    x->sel = s;
    if (!(x->sel[x->nsel] = strdup(name))) return -1;
    x->nsel++;
    return 0;
}

/* The layers to measure (sincprobe/layers.h): "dense" = every layer of
 * kind "act" after the first dense layer (the dense blocks' activations)
 * and "out"; "all"; names. In analyse mode, the one layer shown, whatever
 * the option says. */
static int choose_layers(mi_probe *x, const sp_probe_run *run, const char *spec, sp_probe_error *err)
{
    int *index = malloc(((size_t)run->nlayers + 1) * sizeof *index);
    if (!index) return oom(err);
    int n = sp_probe_layers_select(run->layers, run->nlayers, run->mode == SP_PROBE_MODE_ANALYSE ? "all" : spec,
                                   SP_PROBE_LAYERS_ALL | SP_PROBE_LAYERS_DENSE, index, NULL, err);
    int rc = n < 0 ? -1 : 0;
    if (n < 0) err->option = OPT_LAYERS;
    for (int i = 0; i < n && !rc; i++)
        if (select_layer(x, run->layers[index[i]].name) != 0) rc = oom(err);
    free(index);
    if (rc) return -1;
    if (x->nsel == 0) {
        snprintf(err->message, sizeof err->message, "layers: '%s' selects no layer", spec);
        return -1;
    }
    x->warned = calloc((size_t)x->nsel, sizeof *x->warned);
    return x->warned ? 0 : oom(err);
}

/* log_steps: n global steps s_k = round(S^(k/(n-1))), k = 0 .. n-1, of
 * S = epochs x steps_per_epoch (1 and S included; repeats are fine). */
static int ask_steps(mi_probe *x, const sp_probe_run *run, sp_probe_error *err)
{
    long S = (long)run->epochs * run->steps_per_epoch, n = x->log_steps;
    if (n <= 0 || S < 1) return 0;
    if (x->h->abi_version < 2 || !x->h->want_steps) {
        x->h->log(x->ctx, SP_PROBE_WARN, "log_steps: this sincprobe cannot call probes at steps; epoch ends only");
        return 0;
    }
    long *s = malloc((size_t)n * sizeof *s);
    if (!s) return oom(err);
    for (long k = 0; k < n; k++) {
        double v = n == 1 ? (double)S : pow((double)S, (double)k / (double)(n - 1));
        long r = lround(v);
        s[k] = r < 1 ? 1 : r > S ? S : r;
    }
    int rc = x->h->want_steps(x->ctx, s, n, err);
    free(s);
    return rc;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    mi_probe *x = self;
    x->mode = run->mode;
    x->nclasses = run->nclasses;
    if (run->mode == SP_PROBE_MODE_EVAL) {
        x->h->log(x->ctx, SP_PROBE_INFO, "eval mode: no epochs, nothing to measure");
        return 0;
    }
    if (choose_layers(x, run, x->ctx->values[OPT_LAYERS].text, err) != 0) return -1;
    if (run->mode == SP_PROBE_MODE_TRAIN) {
        size_t len = 1;
        for (int i = 0; i < x->nsel; i++) len += strlen(x->sel[i]) + 1;
        char *list = calloc(len, 1);
        if (!list) return oom(err);
        for (int i = 0; i < x->nsel; i++) {
            if (i) strcat(list, ",");
            strcat(list, x->sel[i]);
        }
        int rc = x->h->want_activations(x->ctx, list, err);
        free(list);
        if (rc != 0) return -1;
        if (ask_steps(x, run, err) != 0) return -1;
        if (sp_write_manifest(x->ctx, run, sp_manifest_mi, err) != 0) return -1;
        if (run->resumed && run->epochs_done > 0) resume(x, run->epochs_done);
    }
    return 0;
}

static const sp_probe_layer *find_layer(const sp_probe_view *v, const char *name)
{
    for (int i = 0; i < v->nlayers; i++)
        if (strcmp(v->layers[i].name, name) == 0) return &v->layers[i];
    return NULL;
}

static int measure(mi_probe *x, const sp_probe_view *v, int li, sp_probe_error *err)
{
    const sp_probe_layer *L = find_layer(v, x->sel[li]);
    if (!L || !L->act) {
        snprintf(err->message, sizeof err->message, "no activations of layer '%s' on the probe set", x->sel[li]);
        return -1;
    }
    long N = v->N, D = (long)L->out_n;
    for (int e = 0; e < NEST; e++) {
        if (!x->use[e] || e == E_KDE_LOWER) continue;
        sp_mi_est est[2];
        double scale;
        int rc;
        sp_error why;
        if (e == E_KDE_UPPER) {
            rc = sp_mi_kde(L->act, N, D, v->labels, x->nclasses, x->sigma2, &est[0], &est[1], &why);
            scale = x->sigma2;
        } else {
            sp_mi_binning kind = e == E_FIXED ? SP_MI_FIXED
                                 : e == E_WIDTH ? SP_MI_WIDTH
                                 : e == E_EBAB  ? SP_MI_EBAB
                                                : SP_MI_ADAPTIVE;
            double lo = e == E_EBAB ? x->ebab_low : x->lo; /* ebab: its low edge */
            rc = sp_mi_binned(L->act, N, D, v->labels, x->nclasses, kind, x->bins, lo, x->hi, x->binsize, &est[0],
                              &why);
            scale = e == E_WIDTH ? x->binsize : (double)x->bins;
        }
        if (rc != 0) {
            snprintf(err->message, sizeof err->message, "layer '%.60s', %s: %.400s", L->name, est_name[e], why.msg);
            return -1;
        }
        if (add_row(x, v->epoch, v->step, L->name, e, scale, &est[0], N) != 0) return oom(err);
        if (e == E_KDE_UPPER && add_row(x, v->epoch, v->step, L->name, E_KDE_LOWER, scale, &est[1], N) != 0)
            return oom(err);
        /* the binning ceiling: every frame its own pattern (warned once
         * per layer and estimator, gathered into one line per call) */
        if (e != E_KDE_UPPER && N > 1 && est[0].patterns == N && !x->warned[li][e]) {
            x->warned[li][e] = 1;
            size_t l = strlen(x->satmsg);
            snprintf(x->satmsg + l, sizeof x->satmsg - l, "%s%s (%s)", l ? ", " : "", L->name, est_name[e]);
        }
    }
    return 0;
}

static int on_epoch_end(void *self, const sp_probe_view *v, sp_probe_error *err)
{
    mi_probe *x = self;
    if (x->nsel == 0) return 0;
    if (v->N <= 0 || !v->labels) {
        if (!x->warned_noframes)
            x->h->log(x->ctx, SP_PROBE_WARN, "no probe frames (probe_frames = 0?): nothing to measure");
        x->warned_noframes = 1;
        return 0;
    }
    x->satmsg[0] = '\0';
    for (int i = 0; i < x->nsel; i++)
        if (measure(x, v, i, err) != 0) return -1;
    if (x->satmsg[0])
        x->h->log(x->ctx, SP_PROBE_WARN,
                  "epoch %d step %ld: binning saturated, every one of the %ld probe frames has its own pattern in %s: "
                  "I(X;T) = log2 N = %.4g bits there says nothing (fewer bins, a larger binsize, or kde)",
                  v->epoch, v->step, v->N, x->satmsg, log2((double)v->N));
    return write_rows(x, err);
}

static void destroy(void *self)
{
    mi_probe *x = self;
    if (!x) return;
    for (long r = 0; r < x->nrows; r++) free(x->rows[r].layer);
    free(x->rows);
    for (int i = 0; i < x->nsel; i++) free(x->sel[i]);
    free(x->sel);
    free(x->warned);
    free(x);
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "mi",
    .name = "Information plane",
    .version = "1.0",
    .summary = "mutual information I(X;T) and I(T;Y) of layers on the probe set (binning and kde estimators), "
               "per epoch",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_epoch_end = on_epoch_end,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
