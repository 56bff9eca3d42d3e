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
    d->strict = strict;
    d->echo = 0;
}

void sp_diag_free(sp_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].message);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

void sp_diag_add(sp_diag *d, const char *file, long line, const char *fmt, ...)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->v = sp_xrealloc(d->v, d->cap * sizeof *d->v);
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = sp_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sp_problem *p = &d->v[d->n++];
    p->file = sp_xstrdup(file ? file : "");
    p->line = line;
    p->message = msg;
    if (d->echo) sp_problem_log(SP_LOG_INFO, p);
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
