/* fbfile.c - read and write the exported-filterbank file (fbfile.h has the
 * format). The reader walks the header line by line in the fixed key
 * order, checks the file's size against it, then reads the data and
 * checks its CRC and values; every refusal names the file, the line or array, and what
 * was expected. */
#include "ladspa/fbfile.h"
#include "ladspa/fbdir.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sp_fbfile_alloc(sp_fbfile *fb, int C, int K, sp_error *err)
{
    memset(fb, 0, sizeof *fb);
    if (C < 1 || C > SP_FB_MAX_FILTERS || K < 1 || K > SP_FB_MAX_TAPS)
        return sp_fail(err, "%d filters of %d taps: expected 1 to %d filters of 1 to %d taps", C, K,
                       SP_FB_MAX_FILTERS, SP_FB_MAX_TAPS);
    size_t n = (size_t)C * (size_t)K + 3 * (size_t)C;
    float *block = calloc(n, sizeof *block);
    if (!block) return sp_fail_oom(err, n * sizeof *block);
    fb->C = C;
    fb->K = K;
    fb->taps = block;
    fb->f1 = block + (size_t)C * K;
    fb->f2 = fb->f1 + C;
    fb->peak = fb->f2 + C;
    return 0;
}

void sp_fbfile_free(sp_fbfile *fb)
{
    free(fb->taps);
    memset(fb, 0, sizeof *fb);
}

// ----------------------------------------------------------------------------
// CRC-32 (reflected polynomial 0xEDB88320), bit by bit: the files are small
// and this runs once per file, so no table

uint32_t sp_fb_crc32(const void *buf, size_t n)
{
    const unsigned char *p = buf;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

// ----------------------------------------------------------------------------
// names and labels

static int name_char(int ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-';
}

int sp_fb_name_check(const char *name, sp_error *err)
{
    size_t n = strlen(name);
    if (n == 0) return sp_fail(err, "empty model name: expected 1 to %d of A-Z a-z 0-9 _ . -", SP_FB_NAME_MAX);
    if (n > SP_FB_NAME_MAX)
        return sp_fail(err, "model name '%.20s...' is %zu characters: expected at most %d", name, n, SP_FB_NAME_MAX);
    if (!isalnum((unsigned char)name[0]))
        return sp_fail(err, "model name '%s' starts with '%c': expected a letter or digit", name, name[0]);
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i]))
            return sp_fail(err, "model name '%s' has '%c': expected only A-Z a-z 0-9 _ . -", name, name[i]);
    return 0;
}

void sp_fb_name_from(char *out, const char *text)
{
    size_t o = 0;
    if (text[0] && !isalnum((unsigned char)text[0])) out[o++] = 'm';
    for (size_t i = 0; text[i] && o < SP_FB_NAME_MAX; i++) out[o++] = name_char(text[i]) ? text[i] : '_';
    out[o] = '\0';
    if (o == 0) snprintf(out, SP_FB_NAME_MAX + 1, "model");
}

void sp_fb_label_bank(char *out, const char *name)
{
    snprintf(out, SP_FB_LABEL_MAX, "%s_bank", name);
}

void sp_fb_label_filter(char *out, const char *name)
{
    snprintf(out, SP_FB_LABEL_MAX, "%s_filter", name);
}

// ----------------------------------------------------------------------------
// checking the values (the reader after parsing, the writer before writing)

static int check_header(const sp_fbfile *fb, const char *path, sp_error *err)
{
    sp_error e;
    if (sp_fb_name_check(fb->name, &e) != 0) return sp_fail(err, "%s: %s", path, e.msg);
    if (fb->kind != SP_FB_SINC && fb->kind != SP_FB_CONV) return sp_fail(err, "%s: unknown kind", path);
    if (fb->sample_rate < SP_FB_MIN_RATE || fb->sample_rate > SP_FB_MAX_RATE)
        return sp_fail(err, "%s: sample rate %ld: expected %d to %d Hz", path, fb->sample_rate, SP_FB_MIN_RATE,
                       SP_FB_MAX_RATE);
    if (fb->C < 1 || fb->C > SP_FB_MAX_FILTERS || fb->K < 1 || fb->K > SP_FB_MAX_TAPS)
        return sp_fail(err, "%s: %d filters of %d taps: expected 1 to %d filters of 1 to %d taps", path, fb->C,
                       fb->K, SP_FB_MAX_FILTERS, SP_FB_MAX_TAPS);
    if (!sp_fb_id_valid(fb->id_bank) || !sp_fb_id_valid(fb->id_filter) || fb->id_bank == fb->id_filter)
        return sp_fail(err, "%s: ids %lu %lu: expected two different UniqueIDs from 1 to %lu", path, fb->id_bank,
                       fb->id_filter, (unsigned long)SP_FB_ID_MAX);
    for (const char *s = fb->source; *s; s++)
        if (*s == '\n' || *s == '\r') return sp_fail(err, "%s: the source has a line break", path);
    return 0;
}

int sp_fbfile_check(const sp_fbfile *fb, const char *path, sp_error *err)
{
    if (check_header(fb, path, err) != 0) return -1;
    size_t n = (size_t)fb->C * fb->K;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(fb->taps[i]))
            return sp_fail(err, "%s: filter %zu, tap %zu is %g: expected a finite number", path, i / fb->K,
                           i % fb->K, fb->taps[i]);
    double nyq = fb->sample_rate / 2.0;
    for (int c = 0; c < fb->C; c++) {
        double a = fb->f1[c], b = fb->f2[c];
        if (!(a >= 0 && a < b && b <= nyq))
            return sp_fail(err, "%s: filter %d: band %g-%g Hz: expected 0 <= f1 < f2 <= %g", path, c, a, b, nyq);
        if (!(isfinite(fb->peak[c]) && fb->peak[c] > 0))
            return sp_fail(err, "%s: filter %d: peak gain %g: expected a finite number > 0", path, c, fb->peak[c]);
    }
    return 0;
}

// ----------------------------------------------------------------------------
// writing

/* The data block in little-endian float32 (malloc'd), n bytes. */
static unsigned char *encode_data(const sp_fbfile *fb, size_t *n)
{
    size_t count = (size_t)fb->C * fb->K + 3 * (size_t)fb->C;
    unsigned char *d = malloc(count * 4);
    if (!d) return NULL;
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &fb->taps[i], 4); /* taps, f1, f2, peak are one block */
        for (int b = 0; b < 4; b++) d[4 * i + b] = (unsigned char)(u >> (8 * b));
    }
    *n = count * 4;
    return d;
}

int sp_fbfile_write(const sp_fbfile *fb, FILE *f, const char *path, sp_error *err)
{
    if (sp_fbfile_check(fb, path, err) != 0) return -1;
    size_t n;
    unsigned char *d = encode_data(fb, &n);
    if (!d) return sp_fail_oom(err, 0);
    fprintf(f, "%s %d\nname %s\nkind %s\nsample_rate %ld\nfilters %d\ntaps %d\nids %lu %lu\nsource %s\n", SP_FB_MAGIC,
            SP_FB_VERSION, fb->name, fb->kind == SP_FB_SINC ? "sinc" : "conv", fb->sample_rate, fb->C, fb->K,
            fb->id_bank, fb->id_filter, fb->source[0] ? fb->source : "-");
    fprintf(f, "data_bytes %zu\ncrc32 %08lx\nend\n", n, (unsigned long)sp_fb_crc32(d, n));
    size_t w = fwrite(d, 1, n, f);
    free(d);
    if (w != n || ferror(f)) return sp_fail(err, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

// ----------------------------------------------------------------------------
// parsing

typedef struct {
    const unsigned char *buf;
    size_t len, pos;
    int line;
    const char *path;
    char text[SP_FB_SOURCE_MAX + 64]; /* the current line */
} reader;

/* The next header line into r->text, without its '\n'. */
static int next_line(reader *r, sp_error *err)
{
    r->line++;
    size_t start = r->pos;
    while (r->pos < r->len && r->buf[r->pos] != '\n') {
        if (r->buf[r->pos] == '\0')
            return sp_fail(err, "%s:%d: a NUL byte in the header: not a sincprobe filterbank file", r->path, r->line);
        r->pos++;
        if (r->pos - start >= sizeof r->text - 1 || r->pos >= SP_FB_HEADER_MAX)
            return sp_fail(err, "%s:%d: line too long: expected a header of at most %d bytes", r->path, r->line,
                           SP_FB_HEADER_MAX);
    }
    if (r->pos >= r->len)
        return sp_fail(err, "%s:%d: the file ends inside the header (truncated?)", r->path, r->line);
    memcpy(r->text, r->buf + start, r->pos - start);
    r->text[r->pos - start] = '\0';
    r->pos++;
    return 0;
}

/* The next line must be "KEY VALUE": *value points at VALUE. */
static int keyed(reader *r, const char *key, const char **value, sp_error *err)
{
    if (next_line(r, err) != 0) return -1;
    size_t k = strlen(key);
    if (strncmp(r->text, key, k) != 0 || r->text[k] != ' ' || !r->text[k + 1])
        return sp_fail(err, "%s:%d: expected '%s VALUE', got '%.60s'", r->path, r->line, key, r->text);
    *value = r->text + k + 1;
    return 0;
}

/* A whole decimal integer in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || !isdigit((unsigned char)s[0]) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int keyed_long(reader *r, const char *key, long lo, long hi, long *out, sp_error *err)
{
    const char *v;
    if (keyed(r, key, &v, err) != 0) return -1;
    if (parse_long(v, lo, hi, out) != 0)
        return sp_fail(err, "%s:%d: %s '%.40s': expected an integer from %ld to %ld", r->path, r->line, key, v, lo,
                       hi);
    return 0;
}

static int parse_magic(reader *r, sp_error *err)
{
    size_t m = strlen(SP_FB_MAGIC);
    if (r->len < m + 1 || memcmp(r->buf, SP_FB_MAGIC " ", m + 1) != 0)
        return sp_fail(err, "%s:1: expected '%s %d': not a sincprobe filterbank file", r->path, SP_FB_MAGIC,
                       SP_FB_VERSION);
    if (next_line(r, err) != 0) return -1;
    long v;
    if (parse_long(r->text + m + 1, 1, INT_MAX, &v) != 0 || v != SP_FB_VERSION)
        return sp_fail(err, "%s:1: format version '%.20s': this sincprobe reads version %d", r->path,
                       r->text + m + 1, SP_FB_VERSION);
    return 0;
}

static int parse_ids(reader *r, sp_fbfile *fb, sp_error *err)
{
    const char *v;
    if (keyed(r, "ids", &v, err) != 0) return -1;
    char a[32], b[32], extra;
    long x, y;
    if (sscanf(v, "%31s %31s %c", a, b, &extra) != 2 || parse_long(a, 1, SP_FB_ID_MAX, &x) != 0 ||
        parse_long(b, 1, SP_FB_ID_MAX, &y) != 0 || x == y)
        return sp_fail(err, "%s:%d: ids '%.40s': expected two different integers from 1 to %ld", r->path, r->line,
                       v, (long)SP_FB_ID_MAX);
    fb->id_bank = (unsigned long)x;
    fb->id_filter = (unsigned long)y;
    return 0;
}

/* name, kind, sample_rate, filters, taps, ids, source: the header up to
 * the data's description. fb's arrays are allocated here. */
static int parse_model(reader *r, sp_fbfile *fb, sp_error *err)
{
    const char *v;
    sp_fbfile h;
    memset(&h, 0, sizeof h);
    if (keyed(r, "name", &v, err) != 0) return -1;
    sp_error e;
    if (sp_fb_name_check(v, &e) != 0) return sp_fail(err, "%s:%d: %s", r->path, r->line, e.msg);
    snprintf(h.name, sizeof h.name, "%s", v);
    if (keyed(r, "kind", &v, err) != 0) return -1;
    if (strcmp(v, "sinc") && strcmp(v, "conv"))
        return sp_fail(err, "%s:%d: kind '%.20s': expected sinc or conv", r->path, r->line, v);
    h.kind = strcmp(v, "sinc") == 0 ? SP_FB_SINC : SP_FB_CONV;
    long rate, C, K;
    if (keyed_long(r, "sample_rate", SP_FB_MIN_RATE, SP_FB_MAX_RATE, &rate, err) != 0) return -1;
    if (keyed_long(r, "filters", 1, SP_FB_MAX_FILTERS, &C, err) != 0) return -1;
    if (keyed_long(r, "taps", 1, SP_FB_MAX_TAPS, &K, err) != 0) return -1;
    if (parse_ids(r, &h, err) != 0) return -1;
    if (keyed(r, "source", &v, err) != 0) return -1;
    snprintf(h.source, sizeof h.source, "%s", v);
    if (sp_fbfile_alloc(fb, (int)C, (int)K, err) != 0) return -1;
    memcpy(fb->name, h.name, sizeof h.name);
    memcpy(fb->source, h.source, sizeof h.source);
    fb->kind = h.kind;
    fb->sample_rate = rate;
    fb->id_bank = h.id_bank;
    fb->id_filter = h.id_filter;
    return 0;
}

/* data_bytes, crc32 and end: the data's size in *want, its CRC in *crc. */
static int parse_trailer(reader *r, const sp_fbfile *fb, size_t *want, uint32_t *crc, sp_error *err)
{
    *want = 4 * ((size_t)fb->C * fb->K + 3 * (size_t)fb->C);
    long n;
    if (keyed_long(r, "data_bytes", 0, LONG_MAX, &n, err) != 0) return -1;
    if ((size_t)n != *want)
        return sp_fail(err, "%s:%d: data_bytes %ld: expected 4 x (%d x %d + 3 x %d) = %zu", r->path, r->line, n,
                       fb->C, fb->K, fb->C, *want);
    const char *v;
    if (keyed(r, "crc32", &v, err) != 0) return -1;
    char *end;
    unsigned long c = strtoul(v, &end, 16);
    if (strlen(v) != 8 || *end || !isxdigit((unsigned char)v[0]))
        return sp_fail(err, "%s:%d: crc32 '%.20s': expected 8 hexadecimal digits", r->path, r->line, v);
    *crc = (uint32_t)c;
    if (next_line(r, err) != 0) return -1;
    if (strcmp(r->text, "end") != 0)
        return sp_fail(err, "%s:%d: expected 'end', got '%.60s'", r->path, r->line, r->text);
    return 0;
}

/* The whole header; fb's arrays are allocated (and freed on failure). */
static int parse_header(reader *r, sp_fbfile *fb, size_t *want, uint32_t *crc, sp_error *err)
{
    memset(fb, 0, sizeof *fb);
    if (parse_magic(r, err) != 0 || parse_model(r, fb, err) != 0) return -1;
    if (parse_trailer(r, fb, want, crc, err) != 0) {
        sp_fbfile_free(fb);
        return -1;
    }
    return 0;
}

/* The data's size against the header's, before anything is read. */
static int check_size(const char *path, size_t have, size_t want, sp_error *err)
{
    if (have == want) return 0;
    return sp_fail(err, "%s: %zu bytes of data after the header: expected data_bytes = %zu (%s)", path, have, want,
                   have < want ? "truncated file" : "trailing bytes");
}

/* want bytes of data at d, whose CRC-32 must be crc, into fb's arrays. */
static int parse_payload(const unsigned char *d, size_t want, uint32_t crc, sp_fbfile *fb, const char *path,
                         sp_error *err)
{
    uint32_t got = sp_fb_crc32(d, want);
    if (got != crc)
        return sp_fail(err, "%s: the data's CRC-32 is %08lx: expected %08lx as the header says (corrupt file)", path,
                       (unsigned long)got, (unsigned long)crc);
    for (size_t i = 0; i < want / 4; i++) {
        uint32_t u = (uint32_t)d[4 * i] | (uint32_t)d[4 * i + 1] << 8 | (uint32_t)d[4 * i + 2] << 16 |
                     (uint32_t)d[4 * i + 3] << 24;
        memcpy(&fb->taps[i], &u, 4);
    }
    return 0;
}

int sp_fbfile_parse(sp_fbfile *fb, const unsigned char *buf, size_t len, const char *path, sp_error *err)
{
    reader r = { .buf = buf, .len = len, .path = path };
    size_t want;
    uint32_t crc;
    if (parse_header(&r, fb, &want, &crc, err) != 0) return -1;
    if (check_size(path, len - r.pos, want, err) != 0 || parse_payload(buf + r.pos, want, crc, fb, path, err) != 0 ||
        sp_fbfile_check(fb, path, err) != 0) {
        sp_fbfile_free(fb);
        return -1;
    }
    return 0;
}

/* The file's first n bytes (n at most its size) into buf. */
static int read_all(FILE *f, unsigned char *buf, size_t n, const char *path, sp_error *err)
{
    if (fread(buf, 1, n, f) != n)
        return sp_fail(err, "cannot read '%s': %s", path, ferror(f) ? strerror(errno) : "the file shrank");
    return 0;
}

/* The header is read and checked first, and the file's size against it,
 * so a large file that is not a filterbank is never read whole. */
int sp_fbfile_read(sp_fbfile *fb, const char *path, sp_error *err)
{
    memset(fb, 0, sizeof *fb);
    FILE *f = fopen(path, "rb");
    if (!f) return sp_fail(err, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    unsigned char *buf = NULL;
    int rc = -1;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        sp_fail(err, "'%s': not a regular file", path);
        goto done;
    }
    size_t size = (size_t)st.st_size, head = size < SP_FB_HEADER_MAX ? size : SP_FB_HEADER_MAX, want;
    uint32_t crc;
    if (!(buf = malloc(head ? head : 1))) {
        sp_fail_oom(err, head);
        goto done;
    }
    if (read_all(f, buf, head, path, err) != 0) goto done;
    reader r = { .buf = buf, .len = head, .path = path };
    if (parse_header(&r, fb, &want, &crc, err) != 0) goto done;
    sp_fbfile_free(fb);
    if (check_size(path, size - r.pos, want, err) != 0) goto done;
    unsigned char *all = realloc(buf, size);
    if (!all) {
        sp_fail_oom(err, size);
        goto done;
    }
    buf = all;
    if (read_all(f, buf + head, size - head, path, err) == 0) rc = sp_fbfile_parse(fb, buf, size, path, err);
done:
    free(buf);
    fclose(f);
    return rc;
}
