/* checkpoint.c - see checkpoint.h. */
#include "config.h"
#include "nn/checkpoint.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = { 'S', 'P', 'C', 'K', 'P', 'T', '\r', '\n' };

uint32_t sp_crc32(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

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

int sp_checkpoint_load(const char *path, sp_model *m, int maxB, sp_optim *o,
                       sp_train_pos *pos, sp_error *err)
{
    size_t len;
    char *buf = sp_read_file(path, &len, err);
    if (!buf) return -1;
    reader r = { (const unsigned char *)buf, len, 0, 0 };
    int rc = -1;
    char magic[8];
    GET(&r, magic);
    if (r.bad || memcmp(magic, MAGIC, sizeof magic) != 0) {
        sp_fail(err, "'%s' is not a sincprobe checkpoint (bad magic)", path);
        goto out;
    }
    if (len < sizeof MAGIC + 8) {
        sp_fail(err, "checkpoint '%s' is truncated", path);
        goto out;
    }
    uint32_t stored;
    memcpy(&stored, buf + len - 4, 4);
    if (sp_crc32(0, buf, len - 4) != stored) {
        sp_fail(err, "checkpoint '%s' is corrupt: checksum mismatch", path);
        goto out;
    }
    r.n = len - 4;
    uint32_t version;
    GET(&r, version);
    if (version != SP_CHECKPOINT_VERSION) {
        sp_fail(err, "checkpoint '%s' has version %u; this sincprobe reads version %d", path, version,
                SP_CHECKPOINT_VERSION);
        goto out;
    }
    uint32_t clen;
    GET(&r, clen);
    if (r.bad || r.at + clen > r.n) {
        sp_fail(err, "checkpoint '%s' is truncated", path);
        goto out;
    }
    char *text = sp_xmalloc(clen + 1);
    get(&r, text, clen);
    text[clen] = '\0';
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_conf c;
    char *where = sp_xasprintf("%s (its config)", path);
    int ok = sp_ini_parse(&ini, where, text, &d) == 0 && sp_conf_resolve(&c, &ini, &d) == 0;
    if (ok) legacy_keys(&c, &ini);
    sp_ini_free(&ini);
    free(text);
    free(where);
    if (!ok) {
        sp_fail(err, "%s:%ld: %s", d.v[0].file, d.v[0].line, d.v[0].message);
        sp_diag_free(&d);
        goto out;
    }
    sp_diag_free(&d);
    if (sp_model_init(m, &c, maxB, err) != 0) goto out;
    uint64_t n;
    GET(&r, n);
    if (n != m->nparams) {
        sp_fail(err, "checkpoint '%s' holds %llu parameters but its config makes %zu", path,
                (unsigned long long)n, m->nparams);
        sp_model_free(m);
        goto out;
    }
    get(&r, m->params, n * sizeof(float));
    GET(&r, n);
    if (n != m->nstate) {
        sp_fail(err, "checkpoint '%s' holds %llu state values but its config makes %zu", path,
                (unsigned long long)n, m->nstate);
        sp_model_free(m);
        goto out;
    }
    get(&r, m->state, n * sizeof(float));
    uint32_t kind;
    int64_t step;
    GET(&r, kind);
    GET(&r, step);
    GET(&r, n);
    if (n != m->nparams) {
        sp_fail(err, "checkpoint '%s': optimizer state of %llu values for %zu parameters", path,
                (unsigned long long)n, m->nparams);
        sp_model_free(m);
        goto out;
    }
    if (o) {
        if (sp_optim_init(o, &c, m, err) != 0) {
            sp_model_free(m);
            goto out;
        }
        o->step = step;
        get(&r, o->m, n * sizeof(float));
        get(&r, o->v, n * sizeof(float));
    } else {
        r.at += 2 * n * sizeof(float);
    }
    sp_train_pos p;
    memset(&p, 0, sizeof p);
    int32_t i32;
    int64_t i64;
    GET(&r, i32); p.epoch = i32;
    GET(&r, i32); p.step = i32;
    GET(&r, i64); p.global_step = i64;
    GET(&r, p.lr);
    GET(&r, p.best_dev_fer);
    GET(&r, i32); p.best_epoch = i32;
    GET(&r, p.loss_sum);
    GET(&r, i64); p.correct = i64;
    GET(&r, i64); p.count = i64;
    GET(&r, p.elapsed);
    get(&r, p.sampler.s, sizeof p.sampler.s);
    get(&r, p.dropout.s, sizeof p.dropout.s);
    if (r.bad || r.at != r.n) {
        sp_fail(err, "checkpoint '%s' is truncated or has trailing data", path);
        if (o) sp_optim_free(o);
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
