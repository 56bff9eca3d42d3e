/* report_tsv.c - the report's TSV tables, read by column name, and
 * string sets. See report_parts.h. */
#include "config.h"
#include "plot/report_parts.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sp_table_free(sp_table *t)
{
    free(t->path);
    free(t->names);
    free(t->cell);
    free(t->line);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* Split s at tabs in place into at most max fields; returns the count
 * (more than max: max + 1). */
static int split_tabs(char *s, char **f, int max)
{
    int n = 0;
    for (;;) {
        if (n < max) f[n] = s;
        n++;
        char *tab = strchr(s, '\t');
        if (!tab) break;
        *tab = 0;
        s = tab + 1;
        if (n > max) break;
    }
    return n > max ? max + 1 : n;
}

int sp_table_read(sp_table *t, const char *path, sp_error *err)
{
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) return 1;
    size_t len;
    char *buf = sp_read_file(path, &len, err);
    if (!buf) return -1;
    if (strlen(buf) != len) {
        free(buf);
        return sp_fail(err, "'%s': not a text file (a NUL byte)", path);
    }
    t->path = sp_xstrdup(path);
    t->buf = buf;
    /* lines */
    long nlines = 1;
    for (char *p = buf; *p; p++)
        if (*p == '\n') nlines++;
    char **lines = sp_xcalloc((size_t)nlines, sizeof *lines);
    long n = 0;
    for (char *p = buf; p;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = 0;
        p = nl ? nl + 1 : NULL;
    }
    if (n == 0 || !lines[0][0]) {
        free(lines);
        sp_fail(err, "'%s' line 1: no header", path);
        sp_table_free(t);
        return -1;
    }
    int ncols = 1;
    for (char *p = lines[0]; *p; p++)
        if (*p == '\t') ncols++;
    t->ncols = ncols;
    t->names = sp_xcalloc((size_t)ncols, sizeof *t->names);
    split_tabs(lines[0], t->names, ncols);
    t->cell = sp_xcalloc((size_t)n * ncols, sizeof *t->cell);
    t->line = sp_xcalloc((size_t)n, sizeof *t->line);
    char **f = sp_xcalloc((size_t)ncols + 1, sizeof *f);
    for (long i = 1; i < n; i++) {
        if (!lines[i][0]) continue; /* the final newline, blank lines */
        int got = split_tabs(lines[i], f, ncols);
        if (got != ncols) {
            sp_fail(err, "'%s' line %ld: %s%d fields, the header has %d", path, i + 1, got > ncols ? "more than " : "",
                    got > ncols ? ncols : got, ncols);
            free(f);
            free(lines);
            sp_table_free(t);
            return -1;
        }
        memcpy(t->cell + (size_t)t->nrows * ncols, f, (size_t)ncols * sizeof *f);
        t->line[t->nrows++] = i + 1;
    }
    free(f);
    free(lines);
    return 0;
}

int sp_table_col(const sp_table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

/* The columns names[n] (NULL-terminated); -1 with err naming the first
 * missing one. */
int sp_table_need(const sp_table *t, const char *const *names, int *idx, sp_error *err)
{
    for (int i = 0; names[i]; i++) {
        idx[i] = sp_table_col(t, names[i]);
        if (idx[i] < 0)
            return sp_fail(err, "'%s' line 1: no column '%s' in the header", t->path, names[i]);
    }
    return 0;
}

const char *sp_table_cell(const sp_table *t, long r, int c)
{
    return t->cell[(size_t)r * t->ncols + c];
}

/* A number (nan and inf accepted); -1 with err naming file, line, column. */
int sp_table_num(const sp_table *t, long r, int c, double *v, sp_error *err)
{
    const char *s = sp_table_cell(t, r, c);
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end) {
        return sp_fail(err, "'%s' line %ld: column '%s': '%s' is not a number", t->path, t->line[r], t->names[c], s);
    }
    return 0;
}

int sp_table_nums(const sp_table *t, int c, double dflt, double *v, sp_error *err)
{
    for (long i = 0; i < t->nrows; i++) {
        if (c < 0) v[i] = dflt;
        else if (sp_table_num(t, i, c, &v[i], err) != 0) return -1;
    }
    return 0;
}

int sp_strset_add(sp_strset *s, const char *v)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->s[i], v)) return i;
    s->s = sp_xrealloc(s->s, (size_t)(s->n + 1) * sizeof *s->s);
    s->s[s->n] = sp_xstrdup(v);
    return s->n++;
}

/* Append without looking for a duplicate. */
void sp_strset_push(sp_strset *s, const char *v)
{
    s->s = sp_xrealloc(s->s, (size_t)(s->n + 1) * sizeof *s->s);
    s->s[s->n++] = sp_xstrdup(v);
}

void sp_strset_free(sp_strset *s)
{
    for (int i = 0; i < s->n; i++) free(s->s[i]);
    free(s->s);
    s->n = 0, s->s = NULL;
}

int sp_split(const char *s, int bar, sp_strset *out)
{
    char *copy = sp_xstrdup(s), *save = NULL;
    int n = 0;
    for (char *w = strtok_r(copy, bar ? "|" : " \t", &save); w; w = strtok_r(NULL, bar ? "|" : " \t", &save)) {
        sp_strset_push(out, sp_strtrim(w));
        n++;
    }
    free(copy);
    return n;
}

/* Sorted distinct doubles. */
static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int sp_uniq_sorted(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dcmp);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1]) v[m++] = v[i];
    return m;
}

int sp_find_d(const double *v, int n, double x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return i;
    return -1;
}
