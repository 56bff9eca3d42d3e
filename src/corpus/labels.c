/* labels.c - see labels.h. */
#include "config.h"
#include "corpus/labels.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parse a non-negative decimal integer token; advances *s. 0 or -1. */
static int take_long(char **s, long *out)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    char *end;
    long v = strtol(p, &end, 10);
    if (errno || (*end && *end != ' ' && *end != '\t')) return -1;
    *out = v;
    *s = end;
    return 0;
}

/* Split a file into lines in place; calls fn for each (without newline,
 * CR removed). */
static char *next_line(char **cursor)
{
    char *s = *cursor;
    if (!s || !*s) return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = s + strlen(s);
    }
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r') s[n - 1] = '\0';
    return s;
}

int sp_segs_read(const char *path, sp_segs *out, sp_diag *d)
{
    out->v = NULL;
    out->n = 0;
    sp_error err;
    char *text = sp_read_file(path, NULL, &err);
    if (!text) {
        sp_diag_add(d, path, 0, "%s", err.msg);
        return -1;
    }
    size_t cap = 0;
    long lineno = 0;
    int skipped = 0;
    char *cursor = text, *line;
    while ((line = next_line(&cursor))) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '\0') continue; /* blank lines are tolerated */
        long b, e;
        char label[SP_LABEL_MAX];
        char *p = s;
        int ok = take_long(&p, &b) == 0 && take_long(&p, &e) == 0;
        if (ok) {
            while (*p == ' ' || *p == '\t') p++;
            size_t k = strcspn(p, " \t");
            char *rest = p + k;
            while (*rest == ' ' || *rest == '\t') rest++;
            ok = k > 0 && k < SP_LABEL_MAX && *rest == '\0';
            if (ok) {
                memcpy(label, p, k);
                label[k] = '\0';
            }
        }
        if (!ok) {
            sp_diag_add(d, path, lineno, "expected 'begin end label' (two sample indices and one label), got '%s'", s);
            if (sp_diag_stop(d)) break;
            skipped = 1;
            continue;
        }
        if (b >= e) {
            sp_diag_add(d, path, lineno, "segment begins at %ld but ends at %ld: begin must be less than end", b, e);
            if (sp_diag_stop(d)) break;
            skipped = 1;
            continue;
        }
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->v = sp_xrealloc(out->v, cap * sizeof *out->v);
        }
        sp_seg *g = &out->v[out->n++];
        g->begin = b;
        g->end = e;
        g->line = lineno;
        g->after_skip = skipped;
        skipped = 0;
        memcpy(g->label, label, sizeof label);
    }
    free(text);
    return 0;
}

void sp_segs_free(sp_segs *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* STEM.PHN or STEM.phn for the first len bytes of path as STEM; NULL. */
static char *phn_of_stem(const char *path, size_t len)
{
    static const char *const ext[] = { ".PHN", ".phn" };
    for (int i = 0; i < 2; i++) {
        char *p = sp_xasprintf("%.*s%s", (int)len, path, ext[i]);
        if (sp_is_file(p)) return p;
        free(p);
    }
    return NULL;
}

char *sp_phn_beside(const char *audio_path)
{
    const char *slash = strrchr(audio_path, '/');
    const char *base = slash ? slash + 1 : audio_path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return NULL;
    size_t len = (size_t)(dot - audio_path);
    char *p = phn_of_stem(audio_path, len);
    /* "SX12.WAV.wav": the stem "SX12.WAV" still ends in .wav. */
    if (!p && len > 4 && dot - base > 4 && !strncasecmp(dot - 4, ".wav", 4)) p = phn_of_stem(audio_path, len - 4);
    return p;
}

int sp_txt_read(const char *path, long *begin, long *end, char **text, sp_diag *d)
{
    *text = NULL;
    sp_error err;
    char *buf = sp_read_file(path, NULL, &err);
    if (!buf) {
        sp_diag_add(d, path, 0, "%s", err.msg);
        return -1;
    }
    char *cursor = buf;
    char *line = next_line(&cursor);
    char *p = line;
    if (!line || take_long(&p, begin) != 0 || take_long(&p, end) != 0) {
        sp_diag_add(d, path, 1, "expected 'begin end text'");
        free(buf);
        return -1;
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*begin >= *end) {
        sp_diag_add(d, path, 1, "text spans %ld to %ld: begin must be less than end", *begin, *end);
        free(buf);
        return -1;
    }
    *text = sp_xstrdup(p);
    sp_strtrim(*text);
    free(buf);
    return 0;
}
