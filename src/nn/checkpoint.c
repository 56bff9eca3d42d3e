/* checkpoint.c - see checkpoint.h. */
#include "config.h"
#include "nn/checkpoint.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = { 'S', 'P', 'C', 'K', 'P', 'T', '\r', '\n' };

/* ---- writing through a CRC */

typedef struct {
    FILE *f;
    uint32_t crc;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    fwrite(p, 1, n, w->f);
    w->crc = sp_crc32(w->crc, p, n);
}

#define PUT(w, x) put(w, &(x), sizeof(x))

static void put_floats(writer *w, const float *x, size_t n)
{
    uint64_t n64 = n;
    PUT(w, n64);
    put(w, x, n * sizeof *x);
}

/* Version 2's tensor directory: u32 count, then per tensor u32 name
 * length, the name, u32 block (0 params, 1 state), u32 rank, u64 offset
 * into the block, u64 shape[rank]. */
static void put_directory(writer *w, const sp_model *m)
{
    sp_tensor_info t[SP_MAX_TENSORS];
    uint32_t n = (uint32_t)sp_model_tensors(m, t);
    PUT(w, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)strlen(t[i].name), block = (uint32_t)t[i].state, rank = (uint32_t)t[i].rank;
        PUT(w, len);
        put(w, t[i].name, len);
        PUT(w, block);
        PUT(w, rank);
        uint64_t off = t[i].off;
        PUT(w, off);
        for (int d = 0; d < t[i].rank; d++) {
            uint64_t dim = (uint64_t)t[i].shape[d];
            PUT(w, dim);
        }
    }
}

int sp_checkpoint_save(const char *path, const sp_model *m, const sp_optim *o,
                       const sp_train_pos *pos, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    writer w = { af.f, 0 };
    put(&w, MAGIC, sizeof MAGIC);
    uint32_t version = SP_CHECKPOINT_VERSION;
    PUT(&w, version);
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    sp_conf_write(mf, &m->conf);
    fclose(mf);
    uint32_t len32 = (uint32_t)len;
    PUT(&w, len32);
    put(&w, text, len);
    free(text);
    put_directory(&w, m);
    put_floats(&w, m->params, m->nparams);
    put_floats(&w, m->state, m->nstate);
    uint32_t kind = (uint32_t)o->kind;
    int64_t step = o->step;
    PUT(&w, kind);
    PUT(&w, step);
    uint64_t n = o->n;
    PUT(&w, n);
    put(&w, o->m, o->n * sizeof(float));
    put(&w, o->v, o->n * sizeof(float));
    int32_t i32;
    int64_t i64;
    i32 = pos->epoch; PUT(&w, i32);
    i32 = pos->step; PUT(&w, i32);
    i64 = pos->global_step; PUT(&w, i64);
    PUT(&w, pos->lr);
    PUT(&w, pos->best_dev_fer);
    i32 = pos->best_epoch; PUT(&w, i32);
    PUT(&w, pos->loss_sum);
    i64 = pos->correct; PUT(&w, i64);
    i64 = pos->count; PUT(&w, i64);
    PUT(&w, pos->elapsed);
    put(&w, pos->sampler.s, sizeof pos->sampler.s);
    put(&w, pos->dropout.s, sizeof pos->dropout.s);
    uint32_t crc = w.crc;
    fwrite(&crc, sizeof crc, 1, af.f);
    return sp_atomic_commit(&af, err);
}

/* ---- reading from a buffer */

typedef struct {
    const unsigned char *p;
    size_t n, at;
    int bad;
} reader;

static void get(reader *r, void *out, size_t n)
{
    if (r->bad || r->at + n > r->n) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->at, n);
    r->at += n;
}

#define GET(r, x) get(r, &(x), sizeof(x))

/* Keys added to the config after checkpoints were first written: a
 * checkpoint whose config lacks one was trained before it existed, so it
 * gets the behaviour of that time, whatever today's default (a preset may
 * change its default later). */
static void legacy_keys(sp_conf *c, const sp_ini *ini)
{
    if (!sp_ini_get(ini, "model", "sinc_param")) snprintf(c->sinc_param, sizeof c->sinc_param, "hz");
    if (!sp_ini_get(ini, "optim", "first_layer_lr_scale")) c->first_layer_lr_scale = 1.0;
    if (!sp_ini_get(ini, "train", "log_every")) c->log_every = 0; /* no steps.tsv then */
}

/* Magic, checksum and version of buf[0 .. len); on success r reads
 * what follows the version and stops before the CRC. */
static int read_header(reader *r, const char *path, uint32_t *version, sp_error *err)
{
    char magic[8];
    GET(r, magic);
    if (r->bad || memcmp(magic, MAGIC, sizeof magic) != 0)
        return sp_fail(err, "'%s' is not a sincprobe checkpoint (bad magic)", path);
    if (r->n < sizeof MAGIC + 8) return sp_fail(err, "checkpoint '%s' is truncated", path);
    uint32_t stored;
    memcpy(&stored, r->p + r->n - 4, 4);
    if (sp_crc32(0, r->p, r->n - 4) != stored)
        return sp_fail(err, "checkpoint '%s' is corrupt: checksum mismatch", path);
    r->n -= 4;
    GET(r, *version);
    if (*version < 1 || *version > SP_CHECKPOINT_VERSION)
        return sp_fail(err, "checkpoint '%s' has version %u; this sincprobe reads versions 1 to %d", path,
                       *version, SP_CHECKPOINT_VERSION);
    return 0;
}

/* The config text into c. */
static int read_config(reader *r, const char *path, sp_conf *c, sp_error *err)
{
    uint32_t clen;
    GET(r, clen);
    if (r->bad || r->at + clen > r->n) return sp_fail(err, "checkpoint '%s' is truncated", path);
    char *text = sp_xmalloc(clen + 1);
    get(r, text, clen);
    text[clen] = '\0';
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    char *where = sp_xasprintf("%s (its config)", path);
    int ok = sp_ini_parse(&ini, where, text, &d) == 0 && sp_conf_resolve(c, &ini, &d) == 0;
    if (ok) legacy_keys(c, &ini);
    sp_ini_free(&ini);
    free(text);
    free(where);
    if (!ok) sp_fail(err, "%s:%ld: %s", d.v[0].file, d.v[0].line, d.v[0].message);
    sp_diag_free(&d);
    return ok ? 0 : -1;
}

/* Version 2's tensor directory (put_directory), checked entry by entry
 * against the model the config makes: a file whose directory disagrees
 * was not written for this layout, and its flat arrays would be read
 * into the wrong tensors. */
static int read_directory(reader *r, const char *path, const sp_model *m, sp_error *err)
{
    sp_tensor_info t[SP_MAX_TENSORS];
    uint32_t want = (uint32_t)sp_model_tensors(m, t), n;
    GET(r, n);
    if (r->bad) return sp_fail(err, "checkpoint '%s' is truncated", path);
    if (n != want)
        return sp_fail(err, "checkpoint '%s' lists %u tensors but its config makes %u", path, n, want);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len, block, rank;
        uint64_t off, dim[3] = { 0, 0, 0 };
        char name[sizeof t[i].name];
        GET(r, len);
        if (r->bad || len >= sizeof name || r->at + len > r->n)
            return sp_fail(err, "checkpoint '%s': tensor %u has a bad name", path, i);
        get(r, name, len);
        name[len] = '\0';
        GET(r, block);
        GET(r, rank);
        GET(r, off);
        for (uint32_t d = 0; d < rank && d < 3; d++) GET(r, dim[d]);
        int same = !r->bad && !strcmp(name, t[i].name) && block == (uint32_t)t[i].state &&
                   rank == (uint32_t)t[i].rank && off == t[i].off;
        for (int d = 0; same && d < t[i].rank; d++) same = dim[d] == (uint64_t)t[i].shape[d];
        if (!same) {
            char shape[64];
            sp_tensor_shape_text(shape, sizeof shape, t[i].rank, t[i].shape);
            return sp_fail(err, "checkpoint '%s': tensor %u is '%s' where its config makes '%s' %s", path, i, name,
                           t[i].name, shape);
        }
    }
    return 0;
}

/* u64 n, then n floats into x, n being what the model expects. */
static int read_floats(reader *r, const char *path, const char *what, float *x, size_t want, sp_error *err)
{
    uint64_t n;
    GET(r, n);
    if (n != want)
        return sp_fail(err, "checkpoint '%s' holds %llu %s but its config makes %zu", path, (unsigned long long)n,
                       what, want);
    get(r, x, n * sizeof(float));
    return 0;
}

/* The optimiser (into o, or skipped when o is NULL) and the position. */
static int read_training(reader *r, const char *path, const sp_model *m, sp_optim *o, sp_train_pos *p,
                         sp_error *err)
{
    uint32_t kind;
    int64_t step;
    uint64_t n;
    GET(r, kind);
    GET(r, step);
    GET(r, n);
    if (n != m->nparams)
        return sp_fail(err, "checkpoint '%s': optimizer state of %llu values for %zu parameters", path,
                       (unsigned long long)n, m->nparams);
    if (o) {
        if (sp_optim_init(o, &m->conf, m, err) != 0) return -1;
        o->step = step;
        get(r, o->m, n * sizeof(float));
        get(r, o->v, n * sizeof(float));
    } else {
        r->at += 2 * n * sizeof(float);
    }
    memset(p, 0, sizeof *p);
    int32_t i32;
    int64_t i64;
    GET(r, i32); p->epoch = i32;
    GET(r, i32); p->step = i32;
    GET(r, i64); p->global_step = i64;
    GET(r, p->lr);
    GET(r, p->best_dev_fer);
    GET(r, i32); p->best_epoch = i32;
    GET(r, p->loss_sum);
    GET(r, i64); p->correct = i64;
    GET(r, i64); p->count = i64;
    GET(r, p->elapsed);
    get(r, p->sampler.s, sizeof p->sampler.s);
    get(r, p->dropout.s, sizeof p->dropout.s);
    if (r->bad || r->at != r->n) {
        if (o) sp_optim_free(o);
        return sp_fail(err, "checkpoint '%s' is truncated or has trailing data", path);
    }
    return 0;
}

/* The parameter count the file declares (after the directory, which is
 * skipped unread), or UINT64_MAX when it cannot tell. */
static uint64_t declared_params(reader r, uint32_t version)
{
    if (version >= 2) {
        uint32_t n, len, rank;
        GET(&r, n);
        for (uint32_t i = 0; i < n && !r.bad; i++) {
            GET(&r, len);
            r.at += len + 4; /* the name, the block */
            GET(&r, rank);
            r.at += 8 + 8 * (size_t)rank; /* the offset, the shape */
        }
    }
    uint64_t np = 0;
    GET(&r, np);
    return r.bad ? UINT64_MAX : np;
}

int sp_checkpoint_load(const char *path, sp_model *m, int maxB, sp_optim *o,
                       sp_train_pos *pos, sp_error *err)
{
    size_t len;
    char *buf = sp_read_file(path, &len, err);
    if (!buf) return -1;
    reader r = { (const unsigned char *)buf, len, 0, 0 };
    int rc = -1;
    uint32_t version;
    sp_conf c;
    if (read_header(&r, path, &version, err) != 0 || read_config(&r, path, &c, err) != 0) goto out;
    /* The model is built from the config before its arrays are read: the
     * parameter count the config makes is checked against the file's
     * first, so that a damaged config cannot have a model far larger than
     * the file allocated and initialised (a fuzzed header falling back to
     * the SincNet preset: millions of parameters from a 14 kB file). */
    size_t want, nstate;
    if (sp_model_size(&c, &want, &nstate, err) != 0) goto out;
    uint64_t np = declared_params(r, version);
    if (np != want) {
        if (np == UINT64_MAX) sp_fail(err, "checkpoint '%s' is truncated", path);
        else sp_fail(err, "checkpoint '%s' holds %llu parameters but its config makes %zu", path,
                     (unsigned long long)np, want);
        goto out;
    }
    if (sp_model_init(m, &c, maxB, err) != 0) goto out;
    sp_train_pos p;
    if ((version >= 2 && read_directory(&r, path, m, err) != 0) ||
        read_floats(&r, path, "parameters", m->params, m->nparams, err) != 0 ||
        read_floats(&r, path, "state values", m->state, m->nstate, err) != 0 ||
        read_training(&r, path, m, o, &p, err) != 0) {
        sp_model_free(m);
        goto out;
    }
    m->dropout_rng = p.dropout;
    if (o) o->lr = p.lr;
    if (pos) *pos = p;
    rc = 0;
out:
    free(buf);
    return rc;
}

void sp_train_pos_fresh(sp_train_pos *pos, const sp_model *m)
{
    memset(pos, 0, sizeof *pos);
    pos->lr = m->conf.lr;
    pos->best_dev_fer = 2.0;
    sp_rng_seed(&pos->sampler, (uint64_t)m->conf.seed, 3);
    pos->dropout = m->dropout_rng;
}
