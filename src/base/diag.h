/* diag.h - a list of input problems, each naming a file, a line and what
 * was expected: base/error.h's convention for a validator that reports
 * every problem of its input rather than the first. Validators add to it
 * and go on or, in strict mode, stop at the first: they call sp_diag_add
 * and then test sp_diag_stop. Messages have error.h's form. */
#ifndef SP_DIAG_H
#define SP_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/log.h"

typedef struct {
    char *file;    /* path as given to the reader; owned */
    long line;     /* 1-based; 0 when the problem is not about one line */
    char *message; /* lowercase, no trailing period; owned */
} sp_problem;

typedef struct {
    sp_problem *v;
    size_t n, cap;
    /* Warnings: problems that do not make the input unusable (a speaker
     * list naming a speaker the tree lacks). Kept apart from v, so that
     * n counts only what fails; in strict mode a warning is an error. */
    sp_problem *w;
    size_t nw, capw;
    int strict;      /* stop at the first problem */
    int echo;        /* when set, each problem is logged (SP_LOG_INFO) as it is added */
} sp_diag;

void sp_diag_init(sp_diag *d, int strict);
void sp_diag_free(sp_diag *d);
void sp_diag_add(sp_diag *d, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A warning (sp_diag_add when strict); logged at SP_LOG_WARN when echo
 * is set. */
void sp_diag_warn(sp_diag *d, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 1 when strict and a problem has been recorded: the caller stops. */
int sp_diag_stop(const sp_diag *d);
/* "FILE:LINE: MESSAGE" (or "FILE: MESSAGE" when line is 0), and a
 * newline, on f. */
void sp_problem_print(FILE *f, const sp_problem *p);
/* The same line through base/log.h at level. */
void sp_problem_log(sp_log_level level, const sp_problem *p);
/* The same line as an error: into err, returning -1. */
int sp_problem_fail(const sp_problem *p, sp_error *err);

#endif
