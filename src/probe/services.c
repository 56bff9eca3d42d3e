/* services.c - the host services probes call through sp_probe_host
 * (sincprobe/probe.h): the log, random streams, writing and reading files
 * of the probe's folder, and the on_start requests want_activations and
 * want_steps. */
#include "config.h"
#include "probe/host_private.h"
#include <sincprobe/layers.h>
#include "base/log.h"
#include "base/npy.h"
#include "base/rng.h"
#include "base/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)SP_PROBE_F32 == (int)SP_NPY_F32 && (int)SP_PROBE_F64 == (int)SP_NPY_F64 &&
                   (int)SP_PROBE_I32 == (int)SP_NPY_I32 && SP_PROBE_NPY_MAXRANK == SP_NPY_MAXRANK,
               "sp_probe_dtype and sp_npy_dtype agree");

/* ------------------------------------------------------------------------
 * The log and random streams
 * ---------------------------------------------------------------------- */

static entry *entry_of(const sp_probe_context *ctx)
{
    return (entry *)ctx->host_data;
}

static void chain_log(sp_probe_chain *ch, const char *line)
{
    if (ch->log) {
        if (fputs(line, ch->log) == EOF || fflush(ch->log) != 0) {
            if (!ch->log_failed) sp_log_warn("cannot write '%s'", ch->log_path);
            ch->log_failed = 1;
        }
        return;
    }
    size_t n = strlen(line);
    ch->log_buf = sp_xrealloc(ch->log_buf, ch->log_len + n + 1);
    memcpy(ch->log_buf + ch->log_len, line, n + 1);
    ch->log_len += n;
}

static void svc_log(const sp_probe_context *ctx, sp_probe_log_level level, const char *fmt, ...)
{
    entry *e = entry_of(ctx);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    char *line = sp_xasprintf("probe %s: %s%s\n", e->id, level == SP_PROBE_WARN ? "warning: " : "", msg);
    /* A status line of the run, attributed to the probe: INFO whatever
     * the probe's level (the CLI does not put its name before it). */
    sp_log_info("%.*s", (int)(strlen(line) - 1), line); /* without the newline */
    chain_log(e->chain, line);
    free(line);
}

static uint64_t svc_u64(sp_probe_rng *r) { return sp_rng_u64(&r->r); }
static uint64_t svc_below(sp_probe_rng *r, uint64_t n) { return n ? sp_rng_below(&r->r, n) : 0; }
static double svc_uniform(sp_probe_rng *r) { return sp_rng_uniform(&r->r); }
static double svc_normal(sp_probe_rng *r) { return sp_rng_normal(&r->r); }
static void svc_seed(sp_probe_rng *r, uint64_t seed, uint64_t stream) { sp_rng_seed(&r->r, seed, stream); }

static sp_probe_rng *svc_rng_new(const sp_probe_context *ctx, uint64_t seed, uint64_t stream)
{
    (void)ctx;
    sp_probe_rng *r = sp_xmalloc(sizeof *r);
    sp_rng_seed(&r->r, seed, stream);
    return r;
}

static void svc_rng_free(sp_probe_rng *r)
{
    free(r);
}

/* ------------------------------------------------------------------------
 * Files of the probe's folder
 * ---------------------------------------------------------------------- */

static int probe_error(sp_probe_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int probe_error(sp_probe_error *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* The path of a file of the probe's folder; NULL with err for a bad name
 * or before the folders exist. Caller frees. */
static char *out_path(const sp_probe_context *ctx, const char *name, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n < 256 && name[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '.' || name[i] == '_' || name[i] == '-';
    if (!ok) {
        probe_error(err, "bad file name '%s': use [A-Za-z0-9._-], no '/', not starting with '.'", name ? name : "(null)");
        return NULL;
    }
    if (!e->chain->ready) {
        probe_error(err, "cannot write '%s' yet: a probe's files are written from on_start on", name);
        return NULL;
    }
    return sp_path_join(e->dir, name);
}

static int svc_write_npy(const sp_probe_context *ctx, const char *name, sp_probe_dtype dtype, const void *data,
                         int rank, const long *shape, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    sp_error why;
    int rc = sp_npy_write(path, (sp_npy_dtype)dtype, data, rank, shape, &why);
    if (rc) probe_error(err, "%s", why.msg);
    free(path);
    return rc;
}

static int svc_write_tsv(const sp_probe_context *ctx, const char *name, int ncols, const char *const *header,
                         long nrows, const double *rows, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    sp_error why;
    int rc = sp_tsv_write(path, ncols, header, nrows, rows, &why);
    if (rc) probe_error(err, "%s", why.msg);
    free(path);
    return rc;
}

static int svc_write_text(const sp_probe_context *ctx, const char *name, const char *text, size_t len,
                          sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    sp_error why;
    int rc = sp_text_write(path, text, len, &why);
    if (rc) probe_error(err, "%s", why.msg);
    free(path);
    return rc;
}

static void *svc_read_npy(const sp_probe_context *ctx, const char *name, sp_probe_dtype *dtype, int *rank,
                          long *shape, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return NULL;
    sp_error why;
    sp_npy_dtype t;
    void *p = sp_npy_read(path, &t, rank, shape, &why);
    if (!p) probe_error(err, "%s", why.msg);
    else *dtype = (sp_probe_dtype)t;
    free(path);
    return p;
}

static void svc_release(void *p)
{
    free(p);
}

/* ------------------------------------------------------------------------
 * Requests from on_start
 * ---------------------------------------------------------------------- */

static int svc_want_activations(const sp_probe_context *ctx, const char *layers, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    sp_probe_chain *ch = e->chain;
    if (e->in_start && ch->mode == SP_PROBE_MODE_ANALYSE) { /* the one layer is always shown */
        memset(e->want, 1, (size_t)ch->nlayers);
        return 0;
    }
    if (!e->in_start || ch->mode != SP_PROBE_MODE_TRAIN)
        return probe_error(err, "want_activations: only from on_start, in train mode");
    /* The syntax of sincprobe/layers.h with the keyword "all". */
    int *index = sp_xmalloc((size_t)(ch->nlayers ? ch->nlayers : 1) * sizeof *index);
    const char *bad = NULL;
    int n = sp_probe_layers_select(ch->layers, ch->nlayers, layers, SP_PROBE_LAYERS_ALL, index, &bad, NULL);
    if (n < 0) { /* the words before the unknown one still count */
        char *head = sp_xasprintf("%.*s", (int)(bad - layers), layers);
        n = sp_probe_layers_select(ch->layers, ch->nlayers, head, SP_PROBE_LAYERS_ALL, index, NULL, NULL);
        free(head);
    }
    for (int k = 0; k < n; k++) e->want[index[k]] = 1;
    free(index);
    if (!bad) return 0;
    char names[2048] = "";
    for (int k = 0; k < ch->nlayers; k++) {
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", k ? ", " : "", ch->layers[k].name);
    }
    return probe_error(err, "want_activations: no layer '%.*s' (the layers: %s)", (int)sp_probe_layers_wordlen(bad), bad,
                       names);
}

int sp_probe_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int svc_want_steps(const sp_probe_context *ctx, const long *steps, long n, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    sp_probe_chain *ch = e->chain;
    if (e->in_start && ch->mode == SP_PROBE_MODE_ANALYSE) return 0; /* one matrix: no steps */
    if (!e->in_start || ch->mode != SP_PROBE_MODE_TRAIN)
        return probe_error(err, "want_steps: only from on_start, in train mode");
    if (n < 0 || (n > 0 && !steps)) return probe_error(err, "want_steps: no steps given");
    long total = (long)ch->run.epochs * ch->run.steps_per_epoch;
    for (long i = 0; i < n; i++)
        if (steps[i] < 1 || steps[i] > total)
            return probe_error(err, "want_steps: step %ld is not in 1 .. %ld (epochs x steps_per_epoch)", steps[i], total);
    e->steps = sp_xrealloc(e->steps, (size_t)(e->nsteps + n + 1) * sizeof *e->steps);
    memcpy(e->steps + e->nsteps, steps, (size_t)n * sizeof *steps);
    e->nsteps += n;
    qsort(e->steps, (size_t)e->nsteps, sizeof *e->steps, sp_probe_cmp_long);
    long u = 0;
    for (long i = 0; i < e->nsteps; i++)
        if (!u || e->steps[i] != e->steps[u - 1]) e->steps[u++] = e->steps[i];
    e->nsteps = u;
    return 0;
}

/* ------------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------- */

const sp_probe_host sp_probe_services = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .log = svc_log,
    .rng_u64 = svc_u64,
    .rng_below = svc_below,
    .rng_uniform = svc_uniform,
    .rng_normal = svc_normal,
    .rng_seed = svc_seed,
    .rng_new = svc_rng_new,
    .rng_free = svc_rng_free,
    .write_npy = svc_write_npy,
    .write_tsv = svc_write_tsv,
    .write_text = svc_write_text,
    .read_npy = svc_read_npy,
    .release = svc_release,
    .want_activations = svc_want_activations,
    .want_steps = svc_want_steps,
};
