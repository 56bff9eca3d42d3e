/* modelio.c - see modelio.h. */
#include "config.h"
#include "nn/modelio.h"
#include "base/npz.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- export */

static char *config_text(const sp_conf *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sp_conf_write(f, c);
    fclose(f);
    return text;
}

int sp_model_export_npz(const sp_model *m, const sp_phoneset *ps, const char *path, sp_error *err)
{
    sp_npz_writer w;
    if (sp_npz_create(&w, path, err) != 0) return -1;
    sp_tensor_info t[SP_MAX_TENSORS];
    int n = sp_model_tensors(m, t), rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = sp_npz_add(&w, t[i].name, SP_NPY_F32, sp_model_tensor_data(m, &t[i]), t[i].rank, t[i].shape, err);
    char *text = config_text(&m->conf);
    const char *cfg[1] = { text };
    if (rc == 0) rc = sp_npz_add_text(&w, SP_EXPORT_CONFIG, cfg, 1, 0, err);
    free(text);
    const char *phones[SP_MAX_PHONES];
    for (int i = 0; i < ps->n48; i++) phones[i] = ps->name48[i];
    if (rc == 0) rc = sp_npz_add_text(&w, SP_EXPORT_PHONES, phones, ps->n48, 1, err);
    if (rc != 0) {
        sp_npz_abort(&w);
        return sp_error_prefix(err, "cannot write '%s': ", path);
    }
    return sp_npz_commit(&w, err);
}

/* ---- named arrays into a model */

/* One named array offered to a model: from a .npz member or a tensor of
 * another model. */
typedef struct {
    const char *name;
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    const void *data;
    int used;
} source;

/* Problems, joined by "; " into one message. */
typedef struct {
    char text[SP_ERRLEN];
    size_t at;
    int n;
} problems;

static void problem(problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *p, const char *fmt, ...)
{
    if (p->at + 1 >= sizeof p->text) return;
    if (p->n++) p->at += (size_t)snprintf(p->text + p->at, sizeof p->text - p->at, "; ");
    if (p->at + 1 >= sizeof p->text) return;
    va_list ap;
    va_start(ap, fmt);
    p->at += (size_t)vsnprintf(p->text + p->at, sizeof p->text - p->at, fmt, ap);
    va_end(ap);
}

static int same_shape(const source *s, const sp_tensor_info *t)
{
    if (s->rank != t->rank) return 0;
    for (int d = 0; d < t->rank; d++)
        if (s->shape[d] != t->shape[d]) return 0;
    return 1;
}

/* Check src[0 .. n) against m's tensors (every problem into p); when
 * there is none, copy them in. */
static int apply_sources(sp_model *m, source *src, int n, const char *from, sp_error *err)
{
    sp_tensor_info t[SP_MAX_TENSORS];
    int nt = sp_model_tensors(m, t);
    int match[SP_MAX_TENSORS];
    problems p = { .n = 0, .at = 0 };
    char want[64], got[64];
    for (int i = 0; i < nt; i++) {
        match[i] = -1;
        for (int j = 0; j < n && match[i] < 0; j++)
            if (!strcmp(src[j].name, t[i].name)) match[i] = j;
        sp_tensor_shape_text(want, sizeof want, t[i].rank, t[i].shape);
        if (match[i] < 0) {
            problem(&p, "missing tensor '%s' (expected shape %s)", t[i].name, want);
            continue;
        }
        source *s = &src[match[i]];
        s->used = 1;
        if (!same_shape(s, &t[i]))
            problem(&p, "tensor '%s' has shape %s, expected %s", t[i].name,
                    sp_tensor_shape_text(got, sizeof got, s->rank, s->shape), want);
        else if (s->t == SP_NPY_I32)
            problem(&p, "tensor '%s' holds integers, expected float32", t[i].name);
    }
    for (int j = 0; j < n; j++)
        if (!src[j].used && strcmp(src[j].name, SP_EXPORT_CONFIG) && strcmp(src[j].name, SP_EXPORT_PHONES))
            problem(&p, "extra array '%s' %s (not a tensor of this model)", src[j].name,
                    sp_tensor_shape_text(got, sizeof got, src[j].rank, src[j].shape));
    if (p.n) return sp_fail(err, "'%s' does not fit the model: %s", from, p.text);
    for (int i = 0; i < nt; i++) {
        const source *s = &src[match[i]];
        float *x = sp_model_tensor_data(m, &t[i]);
        if (s->t == SP_NPY_F32) memcpy(x, s->data, t[i].len * sizeof *x);
        else
            for (size_t k = 0; k < t[i].len; k++) x[k] = (float)((const double *)s->data)[k];
    }
    return 0;
}

int sp_model_load_npz(sp_model *m, const char *path, sp_error *err)
{
    sp_npz z;
    if (sp_npz_open(&z, path, err) != 0) return -1;
    source *src = sp_xcalloc((size_t)z.n + 1, sizeof *src);
    int rc = 0, n = 0;
    for (int i = 0; i < z.n && rc == 0; i++) {
        source *s = &src[n];
        s->name = z.name[i];
        if (!strcmp(s->name, SP_EXPORT_CONFIG) || !strcmp(s->name, SP_EXPORT_PHONES)) continue;
        s->data = sp_npz_array(&z, i, &s->t, &s->rank, s->shape, err);
        if (!s->data) rc = -1;
        else n++;
    }
    if (rc == 0) rc = apply_sources(m, src, n, path, err);
    for (int i = 0; i < n; i++) free((void *)src[i].data);
    free(src);
    sp_npz_close(&z);
    return rc;
}

int sp_model_copy_tensors(sp_model *dst, const sp_model *src, const char *from, sp_error *err)
{
    sp_tensor_info t[SP_MAX_TENSORS];
    int n = sp_model_tensors(src, t);
    source s[SP_MAX_TENSORS];
    memset(s, 0, sizeof s);
    for (int i = 0; i < n; i++) {
        s[i].name = t[i].name;
        s[i].t = SP_NPY_F32;
        s[i].rank = t[i].rank;
        for (int d = 0; d < t[i].rank; d++) s[i].shape[d] = t[i].shape[d];
        s[i].data = sp_model_tensor_data(src, &t[i]);
    }
    return apply_sources(dst, s, n, from, err);
}

/* ---- the config of an export */

/* The UCS-4 text of a '<U' member (a rank-0 array) as UTF-8. The dtype is
 * not one sp_npy_parse reads, so the header is skipped by hand: its
 * length is at bytes 8-9 (version 1) or 8-11 (2 and 3). */
static char *ucs4_member(const sp_npz *z, int i, sp_error *err)
{
    const unsigned char *p = (const unsigned char *)z->buf + z->data[i];
    size_t n = z->size[i];
    if (n < 12 || memcmp(p, "\x93NUMPY", 6) != 0) {
        sp_fail(err, "'%s': member '%s' is not a .npy array", z->path, z->name[i]);
        return NULL;
    }
    size_t h = p[6] == 1 ? 10 + (size_t)(p[8] | p[9] << 8)
                         : 12 + ((size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24);
    if (h > n || !memmem(p, h, "'<U", 3)) {
        sp_fail(err, "'%s': member '%s' is not text", z->path, z->name[i]);
        return NULL;
    }
    char *out = sp_xmalloc((n - h) / 4 * 4 + 1), *o = out;
    for (size_t k = h; k + 4 <= n; k += 4) {
        uint32_t c = (uint32_t)p[k] | (uint32_t)p[k + 1] << 8 | (uint32_t)p[k + 2] << 16 | (uint32_t)p[k + 3] << 24;
        if (!c) break;
        if (c < 0x80) *o++ = (char)c;
        else if (c < 0x800) *o++ = (char)(0xc0 | c >> 6), *o++ = (char)(0x80 | (c & 0x3f));
        else if (c < 0x10000)
            *o++ = (char)(0xe0 | c >> 12), *o++ = (char)(0x80 | (c >> 6 & 0x3f)), *o++ = (char)(0x80 | (c & 0x3f));
        else
            *o++ = (char)(0xf0 | c >> 18), *o++ = (char)(0x80 | (c >> 12 & 0x3f)),
            *o++ = (char)(0x80 | (c >> 6 & 0x3f)), *o++ = (char)(0x80 | (c & 0x3f));
    }
    *o = '\0';
    return out;
}

char *sp_export_config_text(const char *path, sp_error *err)
{
    sp_npz z;
    if (sp_npz_open(&z, path, err) != 0) return NULL;
    int i = sp_npz_find(&z, SP_EXPORT_CONFIG);
    char *text = NULL;
    if (i < 0) sp_fail(err, "'%s' holds no config (an array named 'config'); give one with --config", path);
    else text = ucs4_member(&z, i, err);
    sp_npz_close(&z);
    return text;
}
