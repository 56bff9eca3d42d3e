/* synth_util.c - what the synthetic corpus's engines share: phone maps
 * (engine phones onto TIMIT symbols, one data file per engine), UTF-8
 * and the take an engine fills (see synth_engine.h). */
#include "config.h"
#include "corpus/synth_engine.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sp_synth_is_closure(const char *sym)
{
    size_t n = strlen(sym);
    return n == 3 && strcmp(sym + 1, "cl") == 0;
}

int sp_synth_is_pause(const char *sym)
{
    return strcmp(sym, "pau") == 0 || strcmp(sym, "h#") == 0;
}

int sp_synth_utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && p[0] < 0xc2) return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

/* ------------------------------------------------------------------------
 * Tokens. */

static int word_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '\'' ||
           ch == '-' || ch >= 0x80;
}

size_t sp_synth_tokenize(const char *text, sp_synth_token **out)
{
    size_t n = 0, cap = 16;
    sp_synth_token *t = sp_xmalloc(cap * sizeof *t);
    const unsigned char *p = (const unsigned char *)text;
    long ci = 0;
    while (*p) {
        if (!word_char(*p)) {
            p++;
            ci++;
            continue;
        }
        const unsigned char *b = p;
        long cb = ci;
        while (*p && word_char(*p)) {
            int len = sp_synth_utf8_len(p);
            p += len ? len : 1;
            ci++;
        }
        /* Strip apostrophes and hyphens at the ends (quotes, dashes). */
        const unsigned char *e = p;
        long ce = ci;
        while (b < e && (*b == '\'' || *b == '-')) b++, cb++;
        while (e > b && (e[-1] == '\'' || e[-1] == '-')) e--, ce--;
        if (b == e) continue;
        if (n == cap) t = sp_xrealloc(t, (cap *= 2) * sizeof *t);
        t[n].cb = cb;
        t[n].ce = ce;
        t[n].b = (const char *)b;
        t[n].len = (size_t)(e - b);
        t[n].letters = 0;
        for (const unsigned char *q = b; q < e; q++) t[n].letters += *q != '\'' && *q != '-' && (*q & 0xc0) != 0x80;
        n++;
    }
    *out = t;
    return n;
}

/* ------------------------------------------------------------------------
 * Phone maps. */

/* Cut a line into white-space separated fields, dropping a comment (a
 * '#' at the start or after white space: '#' inside a name is kept). */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p || *p == '#') break;
        if (n == max) return max + 1;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
        if (*p) *p++ = '\0';
    }
    return n;
}

void sp_synth_map_free(sp_synth_map *m)
{
    free(m->v);
    free(m->path);
    m->v = NULL;
    m->n = 0;
    m->path = NULL;
}

const sp_synth_map_entry *sp_synth_map_find(const sp_synth_map *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].name, name) == 0) return &m->v[i];
    return NULL;
}

/* One line's fields (nf of them, 2 or 3) into e. */
static int parse_entry(const sp_synth_map *m, long lineno, char **f, int nf, const sp_phoneset *ps,
                       sp_synth_map_entry *e, sp_error *err)
{
    memset(e, 0, sizeof *e);
    if (strlen(f[0]) >= sizeof e->name)
        return sp_fail(err, "%s:%ld: %s name '%s' is too long", m->path, lineno, m->what, f[0]);
    strcpy(e->name, f[0]);
    if (strcmp(f[1], ">") == 0 || strcmp(f[1], "<") == 0) {
        if (nf != 2) return sp_fail(err, "%s:%ld: '%s' takes no second symbol", m->path, lineno, f[1]);
        e->join = f[1][0] == '>' ? SP_SYNTH_JOIN_NEXT : SP_SYNTH_JOIN_PREV;
        return 0;
    }
    for (int k = 1; k < nf; k++) {
        if (sp_phone61(ps, f[k]) < 0)
            return sp_fail(err, "%s:%ld: '%s' is not one of the 61 TIMIT symbols", m->path, lineno, f[k]);
        strcpy(e->sym[k - 1], f[k]);
    }
    e->nsym = nf - 1;
    e->closure = e->nsym == 2 && sp_synth_is_closure(e->sym[0]) && !sp_synth_is_closure(e->sym[1]);
    return 0;
}

int sp_synth_map_load(sp_synth_map *m, const char *file, const char *what, const sp_phoneset *ps, sp_error *err)
{
    memset(m, 0, sizeof *m);
    m->what = what;
    m->path = sp_data_file(file, err);
    if (!m->path) return -1;
    char *text = sp_read_file(m->path, NULL, err);
    if (!text) {
        sp_synth_map_free(m);
        return -1;
    }
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *f[4];
        int nf = split_fields(line, f, 3);
        if (nf == 0) continue;
        if (nf < 2 || nf > 3) {
            rc = sp_fail(err, "%s:%ld: expected 'phone timit_symbol [timit_symbol2]'", m->path, lineno);
            break;
        }
        sp_synth_map_entry e;
        rc = parse_entry(m, lineno, f, nf, ps, &e, err);
        if (rc == 0 && sp_synth_map_find(m, e.name))
            rc = sp_fail(err, "%s:%ld: %s '%s' is mapped twice", m->path, lineno, what, e.name);
        if (rc) break;
        if (m->n == cap) m->v = sp_xrealloc(m->v, (cap = cap ? 2 * cap : 128) * sizeof *m->v);
        m->v[m->n++] = e;
    }
    free(text);
    if (rc == 0 && m->n == 0) rc = sp_fail(err, "'%s' maps no phones", m->path);
    if (rc) sp_synth_map_free(m);
    return rc;
}

/* ------------------------------------------------------------------------
 * Takes. */

void sp_synth_take_free(sp_synth_take *t)
{
    for (size_t i = 0; i < t->nword; i++) free(t->word[i].word);
    free(t->word);
    free(t->seg);
    free(t->audio);
    memset(t, 0, sizeof *t);
}

void sp_synth_take_seg(sp_synth_take *t, const char *label, long b, int phone)
{
    if (t->nseg == t->cseg) t->seg = sp_xrealloc(t->seg, (t->cseg = t->cseg ? 2 * t->cseg : 128) * sizeof *t->seg);
    sp_synth_seg *g = &t->seg[t->nseg++];
    snprintf(g->label, sizeof g->label, "%s", label);
    g->b = b;
    g->phone = phone;
}

void sp_synth_take_word(sp_synth_take *t, int p0, int p1, const char *word, size_t len)
{
    if (t->nword == t->cword)
        t->word = sp_xrealloc(t->word, (t->cword = t->cword ? 2 * t->cword : 32) * sizeof *t->word);
    sp_synth_word *w = &t->word[t->nword++];
    w->p0 = p0;
    w->p1 = p1;
    w->word = sp_xmalloc(len + 1);
    memcpy(w->word, word, len);
    w->word[len] = '\0';
}
