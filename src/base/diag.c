/* diag.c - see diag.h. */
#include "config.h"
#include "base/diag.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdlib.h>

void sp_diag_init(sp_diag *d, int strict)
{
    d->v = NULL;
    d->n = d->cap = 0;
    d->w = NULL;
    d->nw = d->capw = 0;
    d->strict = strict;
    d->echo = 0;
}

static void problems_free(sp_problem *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].file);
        free(v[i].message);
    }
    free(v);
}

void sp_diag_free(sp_diag *d)
{
    problems_free(d->v, d->n);
    problems_free(d->w, d->nw);
    d->v = d->w = NULL;
    d->n = d->cap = d->nw = d->capw = 0;
}

/* Append a problem to the list (v, n, cap) and return it. */
static sp_problem *push(sp_problem **v, size_t *n, size_t *cap, const char *file, long line, const char *fmt,
                        va_list ap)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *v = sp_xrealloc(*v, *cap * sizeof **v);
    }
    va_list aq;
    va_copy(aq, ap);
    int len = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    char *msg = sp_xmalloc((size_t)len + 1);
    vsnprintf(msg, (size_t)len + 1, fmt, ap);
    sp_problem *p = &(*v)[(*n)++];
    p->file = sp_xstrdup(file ? file : "");
    p->line = line;
    p->message = msg;
    return p;
}

void sp_diag_add(sp_diag *d, const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_problem *p = push(&d->v, &d->n, &d->cap, file, line, fmt, ap);
    va_end(ap);
    if (d->echo) sp_problem_log(SP_LOG_INFO, p);
}

void sp_diag_warn(sp_diag *d, const char *file, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_problem *p = d->strict ? push(&d->v, &d->n, &d->cap, file, line, fmt, ap)
                              : push(&d->w, &d->nw, &d->capw, file, line, fmt, ap);
    va_end(ap);
    if (d->echo) sp_problem_log(d->strict ? SP_LOG_INFO : SP_LOG_WARN, p);
}

int sp_diag_stop(const sp_diag *d)
{
    return d->strict && d->n > 0;
}

void sp_problem_print(FILE *f, const sp_problem *p)
{
    if (p->line > 0) fprintf(f, "%s:%ld: %s\n", p->file, p->line, p->message);
    else fprintf(f, "%s: %s\n", p->file, p->message);
}

void sp_problem_log(sp_log_level level, const sp_problem *p)
{
    if (p->line > 0) sp_log(level, "%s:%ld: %s", p->file, p->line, p->message);
    else sp_log(level, "%s: %s", p->file, p->message);
}

int sp_problem_fail(const sp_problem *p, sp_error *err)
{
    if (p->line > 0) return sp_fail(err, "%s:%ld: %s", p->file, p->line, p->message);
    return sp_fail(err, "%s: %s", p->file, p->message);
}
