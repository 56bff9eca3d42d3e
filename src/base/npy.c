/* npy.c - see npy.h. */
#include "config.h"
#include "base/npy.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[6] = { '\x93', 'N', 'U', 'M', 'P', 'Y' };

size_t sp_npy_dtype_size(sp_npy_dtype t)
{
    return t == SP_NPY_F64 ? 8 : 4;
}

static const char *descr(sp_npy_dtype t)
{
    switch (t) {
    case SP_NPY_F32: return "<f4";
    case SP_NPY_F64: return "<f8";
    case SP_NPY_I32: return "<i4";
    }
    return NULL;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(unsigned char *p, size_t n, size_t size)
{
    for (size_t i = 0; i < n; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char x = p[a];
            p[a] = p[b];
            p[b] = x;
        }
}

/* ---- writing */

/* A version 1.0 .npy header: magic, version, the little-endian uint16
 * length of what follows, then the dict text padded with spaces so that
 * magic (6) + version (2) + length (2) + dict + '\n' is a multiple of 64
 * (the data then starts aligned, as numpy writes it). */
static void write_header(FILE *f, const char *dict, size_t len)
{
    size_t total = 10 + len + 1;
    size_t pad = (64 - total % 64) % 64;
    uint16_t hlen = (uint16_t)(len + pad + 1);
    unsigned char head[10];
    memcpy(head, MAGIC, 6);
    head[6] = 1;
    head[7] = 0;
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);
    fwrite(head, 1, sizeof head, f);
    fwrite(dict, 1, len, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
}

int sp_npy_fwrite(FILE *f, sp_npy_dtype t, const void *data, int rank, const long *shape, sp_error *err)
{
    if (!descr(t)) return sp_fail(err, "unknown .npy element type %d", (int)t);
    if (rank < 0 || rank > SP_NPY_MAXRANK) return sp_fail(err, "an array of rank %d (0..%d allowed)", rank, SP_NPY_MAXRANK);
    size_t n = 1;
    char dict[512];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr(t));
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0) return sp_fail(err, "negative size %ld in an array's shape", shape[i]);
        n *= (size_t)shape[i];
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%s%ld", i ? ", " : "", shape[i]);
    }
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%s), }", rank == 1 ? "," : "");
    write_header(f, dict, (size_t)len);
    size_t size = sp_npy_dtype_size(t);
    if (n == 0) return ferror(f) ? sp_fail(err, "write error") : 0;
    if (little_endian()) {
        fwrite(data, size, n, f);
    } else {
        unsigned char buf[4096];
        const unsigned char *p = data;
        size_t per = sizeof buf / size;
        for (size_t i = 0; i < n; i += per) {
            size_t k = n - i < per ? n - i : per;
            memcpy(buf, p + i * size, k * size);
            swap_bytes(buf, k, size);
            fwrite(buf, size, k, f);
        }
    }
    return ferror(f) ? sp_fail(err, "write error") : 0;
}

/* The code points of UTF-8 text s into u (up to n), a bad byte as
 * U+FFFD; returns how many. */
static size_t utf8_decode(uint32_t *u, size_t n, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = 0;
    while (*p && k < n) {
        int extra = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
        uint32_t c = extra ? *p & (0x3f >> extra) : *p;
        int ok = *p < 0x80 || extra;
        p++;
        for (int i = 0; i < extra && ok; i++, p++) {
            if ((*p & 0xc0) != 0x80) ok = 0;
            else c = c << 6 | (*p & 0x3f);
        }
        u[k++] = ok ? c : 0xfffd;
    }
    return k;
}

int sp_npy_fwrite_text(FILE *f, const char *const *s, long n, int rank, sp_error *err)
{
    if (rank != 0 && rank != 1) return sp_fail(err, "a text array of rank %d (0 or 1 allowed)", rank);
    if (rank == 0) n = 1;
    size_t width = 1;
    for (long i = 0; i < n; i++)
        if (strlen(s[i]) > width) width = strlen(s[i]); /* code points <= bytes */
    char dict[256], shape[32] = "";
    if (rank) snprintf(shape, sizeof shape, "%ld,", n);
    int len = snprintf(dict, sizeof dict, "{'descr': '<U%zu', 'fortran_order': False, 'shape': (%s), }", width,
                       shape);
    write_header(f, dict, (size_t)len);
    uint32_t *u = sp_xcalloc(width, sizeof *u);
    for (long i = 0; i < n; i++) {
        memset(u, 0, width * sizeof *u);
        utf8_decode(u, width, s[i]);
        for (size_t k = 0; k < width; k++) { /* UCS-4, little-endian */
            unsigned char b[4] = { (unsigned char)u[k], (unsigned char)(u[k] >> 8), (unsigned char)(u[k] >> 16),
                                   (unsigned char)(u[k] >> 24) };
            fwrite(b, 1, 4, f);
        }
    }
    free(u);
    return ferror(f) ? sp_fail(err, "write error") : 0;
}

int sp_npy_write(const char *path, sp_npy_dtype t, const void *data, int rank, const long *shape, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    if (sp_npy_fwrite(af.f, t, data, rank, shape, err) != 0) {
        sp_atomic_abort(&af);
        return sp_error_prefix(err, "cannot write '%s': ", path);
    }
    return sp_atomic_commit(&af, err);
}

/* ---- reading */

/* The value of 'key' in a .npy header dict: a pointer just past "'key':"
 * and its white space, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(dict, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

/* The dimensions "d0, d1, ...)" of a header's shape tuple (sh points past
 * its '(') into shape[0..*rank) and their product into *n. Every partial
 * product of the dimensions (zeros counted as 1, so that "(0, 2**62,
 * 2**62)" is refused too: callers multiply dimensions) times the item size
 * must stay below LONG_MAX, so no element or byte count can wrap. */
static int parse_shape(const char *path, const char *sh, size_t size, int *rank, long *shape, size_t *n,
                       sp_error *err)
{
    size_t nonzero = 1, limit = (size_t)LONG_MAX / size;
    *rank = 0;
    *n = 1;
    for (;;) {
        while (*sh == ' ' || *sh == ',') sh++;
        if (*sh == ')') return 0;
        char *end;
        errno = 0;
        long v = strtol(sh, &end, 10);
        if (end == sh || errno || v < 0 || *rank == SP_NPY_MAXRANK)
            return sp_fail(err, "'%s': bad shape in the .npy header", path);
        if (v > 1 && nonzero > limit / (size_t)v)
            return sp_fail(err, "'%s': the shape in the .npy header has more elements than fit in memory", path);
        if (v > 0) nonzero *= (size_t)v;
        shape[(*rank)++] = v;
        *n *= (size_t)v;
        sh = end;
    }
}

void *sp_npy_read(const char *path, sp_npy_dtype *t, int *rank, long *shape, sp_error *err)
{
    size_t len;
    char *buf = sp_read_file(path, &len, err);
    if (!buf) return NULL;
    void *out = sp_npy_parse(buf, len, path, t, rank, shape, err);
    free(buf);
    return out;
}

void *sp_npy_parse(const void *data, size_t len, const char *path, sp_npy_dtype *t, int *rank, long *shape,
                   sp_error *err)
{
    const char *buf = data;
    void *out = NULL;
    const unsigned char *u = (const unsigned char *)buf;
    if (len < 10 || memcmp(buf, MAGIC, 6) != 0) {
        sp_fail(err, "'%s' is not a .npy file (bad magic)", path);
        goto done;
    }
    size_t hlen, hstart;
    if (u[6] == 1) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8;
        hstart = 10;
    } else if ((u[6] == 2 || u[6] == 3) && len >= 12) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8 | (size_t)u[10] << 16 | (size_t)u[11] << 24;
        hstart = 12;
    } else {
        sp_fail(err, "'%s': unsupported .npy version %d.%d", path, u[6], u[7]);
        goto done;
    }
    if (hstart + hlen > len) {
        sp_fail(err, "'%s' is truncated in its header", path);
        goto done;
    }
    char *dict = sp_xmalloc(hlen + 1);
    memcpy(dict, buf + hstart, hlen);
    dict[hlen] = '\0';
    const char *d = dict_value(dict, "descr"), *fo = dict_value(dict, "fortran_order"),
               *sh = dict_value(dict, "shape");
    int big = 0, wide = 0; /* wide: int64 on disk, int32 in memory */
    if (!d || !fo || !sh) {
        sp_fail(err, "'%s': the .npy header lacks descr, fortran_order or shape", path);
        goto bad;
    }
    if (!strncmp(d, "'<f4'", 5)) *t = SP_NPY_F32;
    else if (!strncmp(d, "'<f8'", 5)) *t = SP_NPY_F64;
    else if (!strncmp(d, "'<i4'", 5)) *t = SP_NPY_I32;
    else if (!strncmp(d, "'>f4'", 5)) *t = SP_NPY_F32, big = 1;
    else if (!strncmp(d, "'>f8'", 5)) *t = SP_NPY_F64, big = 1;
    else if (!strncmp(d, "'>i4'", 5)) *t = SP_NPY_I32, big = 1;
    else if (!strncmp(d, "'<i8'", 5)) *t = SP_NPY_I32, wide = 1;
    else if (!strncmp(d, "'>i8'", 5)) *t = SP_NPY_I32, wide = 1, big = 1;
    else {
        sp_fail(err, "'%s': element type %.8s is not float32, float64, int32 or int64", path, d);
        goto bad;
    }
    if (strncmp(fo, "False", 5) != 0) {
        sp_fail(err, "'%s' is in Fortran order", path);
        goto bad;
    }
    if (*sh != '(') {
        sp_fail(err, "'%s': bad shape in the .npy header", path);
        goto bad;
    }
    size_t size = wide ? 8 : sp_npy_dtype_size(*t), at = hstart + hlen, n;
    if (parse_shape(path, sh + 1, size, rank, shape, &n, err) != 0) goto bad;
    /* n * size cannot overflow (parse_shape bounds it); the payload must
     * hold exactly that many bytes. */
    if (len - at != n * size) {
        sp_fail(err, "'%s': %zu bytes of data where the header's shape and type need %zu (%zu elements of %zu bytes)",
                path, len - at, n * size, n, size);
        goto bad;
    }
    out = sp_xmalloc(n * size + 1);
    memcpy(out, buf + at, n * size);
    if (big == little_endian()) swap_bytes(out, n, size);
    if (wide) { /* numpy's default integers: narrowed to int32 when they fit */
        int64_t *w = out;
        int32_t *nar = out;
        for (size_t i = 0; i < n; i++) {
            if (w[i] < INT32_MIN || w[i] > INT32_MAX) {
                sp_fail(err, "'%s': int64 element %zu (%lld) does not fit in int32", path, i, (long long)w[i]);
                free(out);
                out = NULL;
                goto bad;
            }
            nar[i] = (int32_t)w[i];
        }
    }
bad:
    free(dict);
done:
    return out;
}

/* ---- text */

int sp_tsv_write(const char *path, int ncols, const char *const *header, long nrows, const double *rows,
                 sp_error *err)
{
    for (int c = 0; c < ncols; c++)
        if (!header[c] || strpbrk(header[c], "\t\n\r"))
            return sp_fail(err, "cannot write '%s': column %d's name is missing or holds a tab or newline", path, c + 1);
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    for (int c = 0; c < ncols; c++) fprintf(af.f, "%s%s", c ? "\t" : "", header[c]);
    fputc('\n', af.f);
    for (long r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            double x = rows[(size_t)r * (size_t)ncols + (size_t)c];
            if (c) fputc('\t', af.f);
            if (isnan(x)) fputs("nan", af.f);
            else if (isinf(x)) fputs(x > 0 ? "inf" : "-inf", af.f);
            else fprintf(af.f, "%.10g", x);
        }
        fputc('\n', af.f);
    }
    return sp_atomic_commit(&af, err);
}

int sp_text_write(const char *path, const char *text, size_t len, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    if (len) fwrite(text, 1, len, af.f);
    return sp_atomic_commit(&af, err);
}
