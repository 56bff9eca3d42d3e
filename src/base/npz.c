/* npz.c - see npz.h. The ZIP structures (APPNOTE.TXT 4.3): per member a
 * local header (signature 0x04034b50) and its data; then the central
 * directory, one entry (0x02014b50) per member, and its end record
 * (0x06054b50). Every field is little-endian. */
#include "config.h"
#include "base/npz.h"

#include <stdlib.h>
#include <string.h>

#define ZIP_VERSION 20  /* 2.0: what stored members need */
#define DOS_DATE 0x21   /* 1980-01-01, the earliest DOS date: archives do not depend on the clock */

static void le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i);
}

static unsigned rd16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- writing */

int sp_npz_create(sp_npz_writer *w, const char *path, sp_error *err)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    return sp_atomic_open(&w->af, path, err);
}

static void free_members(sp_npz_writer *w)
{
    for (int i = 0; i < w->n; i++) free(w->v[i].name);
    free(w->v);
    w->v = NULL;
    w->n = w->cap = 0;
}

/* The fields a local header and a central entry share, from "version
 * needed" to the name length (26 bytes). */
static void common_fields(unsigned char *p, const sp_npz_member *m, size_t namelen)
{
    le16(p, ZIP_VERSION);
    le16(p + 2, 0);  /* flags */
    le16(p + 4, 0);  /* method: stored */
    le16(p + 6, 0);  /* time */
    le16(p + 8, DOS_DATE);
    le32(p + 10, m->crc);
    le32(p + 14, (uint32_t)m->size); /* compressed */
    le32(p + 18, (uint32_t)m->size);
    le16(p + 22, (unsigned)namelen);
    le16(p + 24, 0); /* extra field length */
}

/* A member NAME.npy of the n bytes at data. */
static int add_member(sp_npz_writer *w, const char *name, const char *data, size_t n, sp_error *err)
{
    char *file = sp_xasprintf("%s.npy", name);
    size_t namelen = strlen(file);
    if (n > 0xffffffffu || w->at + n + namelen + 30 > 0xffffffffu || namelen > 0xffff) {
        free(file);
        return sp_fail(err, "'%s': member '%s' makes the archive larger than 4 GiB", w->path, name);
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->v = sp_xrealloc(w->v, (size_t)w->cap * sizeof *w->v);
    }
    sp_npz_member *m = &w->v[w->n++];
    m->name = file;
    m->crc = sp_crc32(0, data, n);
    m->size = n;
    m->offset = w->at;
    unsigned char head[30];
    le32(head, 0x04034b50);
    common_fields(head + 4, m, namelen);
    fwrite(head, 1, sizeof head, w->af.f);
    fwrite(file, 1, namelen, w->af.f);
    fwrite(data, 1, n, w->af.f);
    w->at += sizeof head + namelen + n;
    return ferror(w->af.f) ? sp_fail(err, "cannot write '%s'", w->path) : 0;
}

/* The .npy bytes write_fn makes, then add_member. */
#define ADD_NPY(w, name, err, CALL)                                                     \
    do {                                                                                \
        char *mem = NULL;                                                               \
        size_t mlen = 0;                                                                \
        FILE *mf = open_memstream(&mem, &mlen);                                         \
        if (!mf) return sp_fail(err, "out of memory writing '%s'", (w)->path);          \
        int rc_ = CALL;                                                                 \
        fclose(mf);                                                                     \
        if (rc_ == 0) rc_ = add_member(w, name, mem, mlen, err);                        \
        free(mem);                                                                      \
        return rc_;                                                                     \
    } while (0)

int sp_npz_add(sp_npz_writer *w, const char *name, sp_npy_dtype t, const void *data, int rank,
               const long *shape, sp_error *err)
{
    ADD_NPY(w, name, err, sp_npy_fwrite(mf, t, data, rank, shape, err));
}

int sp_npz_add_text(sp_npz_writer *w, const char *name, const char *const *s, long n, int rank,
                    sp_error *err)
{
    ADD_NPY(w, name, err, sp_npy_fwrite_text(mf, s, n, rank, err));
}

int sp_npz_commit(sp_npz_writer *w, sp_error *err)
{
    size_t cd = w->at, cdlen = 0;
    for (int i = 0; i < w->n; i++) {
        const sp_npz_member *m = &w->v[i];
        size_t namelen = strlen(m->name);
        unsigned char e[46];
        le32(e, 0x02014b50);
        le16(e + 4, ZIP_VERSION); /* made by: MS-DOS, 2.0 */
        common_fields(e + 6, m, namelen);
        le16(e + 32, 0); /* comment length */
        le16(e + 34, 0); /* disk */
        le16(e + 36, 0); /* internal attributes */
        le32(e + 38, 0); /* external attributes */
        le32(e + 42, (uint32_t)m->offset);
        fwrite(e, 1, sizeof e, w->af.f);
        fwrite(m->name, 1, namelen, w->af.f);
        cdlen += sizeof e + namelen;
    }
    unsigned char end[22];
    le32(end, 0x06054b50);
    le16(end + 4, 0);
    le16(end + 6, 0);
    le16(end + 8, (unsigned)w->n);
    le16(end + 10, (unsigned)w->n);
    le32(end + 12, (uint32_t)cdlen);
    le32(end + 16, (uint32_t)cd);
    le16(end + 20, 0);
    fwrite(end, 1, sizeof end, w->af.f);
    free_members(w);
    if (ferror(w->af.f)) {
        sp_atomic_abort(&w->af);
        return sp_fail(err, "cannot write '%s'", w->path);
    }
    return sp_atomic_commit(&w->af, err);
}

void sp_npz_abort(sp_npz_writer *w)
{
    free_members(w);
    sp_atomic_abort(&w->af);
}

/* ---- reading */

/* The end of central directory record: its offset, or -1. It is the last
 * 22 bytes unless the archive has a comment (up to 65535 bytes). */
static long find_end(const unsigned char *p, size_t len)
{
    if (len < 22) return -1;
    size_t lo = len > 22 + 0xffff ? len - 22 - 0xffff : 0;
    for (size_t at = len - 22 + 1; at-- > lo;)
        if (rd32(p + at) == 0x06054b50) return (long)at;
    return -1;
}

/* ZIP64 sizes and offset from a central entry's extra field e[0 .. n),
 * each present only when its 32-bit field is 0xffffffff, in this order. */
static void zip64_fields(const unsigned char *e, size_t n, uint64_t *usize, uint64_t *csize, uint64_t *off)
{
    for (size_t at = 0; at + 4 <= n;) {
        unsigned id = rd16(e + at), sz = rd16(e + at + 2);
        if (at + 4 + sz > n) return;
        if (id == 1) {
            const unsigned char *q = e + at + 4, *qe = q + sz;
            if (*usize == 0xffffffffu && q + 8 <= qe) *usize = rd64(q), q += 8;
            if (*csize == 0xffffffffu && q + 8 <= qe) *csize = rd64(q), q += 8;
            if (*off == 0xffffffffu && q + 8 <= qe) *off = rd64(q);
            return;
        }
        at += 4 + sz;
    }
}

/* Central entry at p[*at]: the member's name and data into z (index i). */
static int read_entry(sp_npz *z, int i, size_t *at, sp_error *err)
{
    const unsigned char *p = (const unsigned char *)z->buf;
    if (*at + 46 > z->len || rd32(p + *at) != 0x02014b50)
        return sp_fail(err, "'%s' is not a .npz file (bad ZIP central directory)", z->path);
    const unsigned char *e = p + *at;
    unsigned method = rd16(e + 10), nlen = rd16(e + 28), xlen = rd16(e + 30), clen = rd16(e + 32);
    uint64_t csize = rd32(e + 20), usize = rd32(e + 24), off = rd32(e + 42);
    if (*at + 46 + nlen + xlen + clen > z->len) return sp_fail(err, "'%s' is truncated", z->path);
    zip64_fields(e + 46 + nlen, xlen, &usize, &csize, &off);
    char *name = sp_xmalloc(nlen + 1);
    memcpy(name, e + 46, nlen);
    name[nlen] = '\0';
    if (nlen > 4 && !strcmp(name + nlen - 4, ".npy")) name[nlen - 4] = '\0';
    z->name[i] = name;
    *at += 46 + nlen + xlen + clen;
    if (method != 0)
        return sp_fail(err, "'%s': member '%s' is compressed; save with numpy.savez, not savez_compressed",
                       z->path, name);
    if (csize != usize || off + 30 > z->len) return sp_fail(err, "'%s': member '%s' is truncated", z->path, name);
    const unsigned char *l = p + off;
    if (rd32(l) != 0x04034b50) return sp_fail(err, "'%s': member '%s' has no local header", z->path, name);
    uint64_t data = off + 30 + rd16(l + 26) + rd16(l + 28);
    if (data > z->len || csize > z->len - data) return sp_fail(err, "'%s': member '%s' is truncated", z->path, name);
    if (sp_crc32(0, p + data, (size_t)csize) != rd32(e + 16))
        return sp_fail(err, "'%s': member '%s' is corrupt (CRC-32 mismatch)", z->path, name);
    z->data[i] = (size_t)data;
    z->size[i] = (size_t)csize;
    return 0;
}

int sp_npz_open(sp_npz *z, const char *path, sp_error *err)
{
    memset(z, 0, sizeof *z);
    z->buf = sp_read_file(path, &z->len, err);
    if (!z->buf) return -1;
    z->path = sp_xstrdup(path);
    const unsigned char *p = (const unsigned char *)z->buf;
    long end = find_end(p, z->len);
    if (end < 0) {
        sp_fail(err, "'%s' is not a .npz file (no ZIP end record)", path);
        sp_npz_close(z);
        return -1;
    }
    int n = (int)rd16(p + end + 10);
    size_t at = rd32(p + end + 16);
    z->name = sp_xcalloc((size_t)n + 1, sizeof *z->name);
    z->data = sp_xcalloc((size_t)n + 1, sizeof *z->data);
    z->size = sp_xcalloc((size_t)n + 1, sizeof *z->size);
    for (int i = 0; i < n; i++) {
        z->n = i + 1;
        if (read_entry(z, i, &at, err) != 0) {
            sp_npz_close(z);
            return -1;
        }
    }
    return 0;
}

void sp_npz_close(sp_npz *z)
{
    for (int i = 0; i < z->n; i++) free(z->name[i]);
    free(z->name);
    free(z->data);
    free(z->size);
    free(z->buf);
    free(z->path);
    memset(z, 0, sizeof *z);
}

int sp_npz_find(const sp_npz *z, const char *name)
{
    for (int i = 0; i < z->n; i++)
        if (z->name[i] && !strcmp(z->name[i], name)) return i;
    return -1;
}

void *sp_npz_array(const sp_npz *z, int i, sp_npy_dtype *t, int *rank, long *shape, sp_error *err)
{
    char *where = sp_xasprintf("%s:%s", z->path, z->name[i]);
    void *out = sp_npy_parse(z->buf + z->data[i], z->size[i], where, t, rank, shape, err);
    free(where);
    return out;
}
