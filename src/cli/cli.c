/* cli.c - helpers shared by the commands: errors, usage, progress bars. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sp_errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("sincprobe: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void sp_usage_print(FILE *f, const char *const *usage)
{
    for (size_t i = 0; usage[i]; i++) {
        if (i == 0) fprintf(f, "usage: %s\n", usage[i]);
        else fprintf(f, "%s\n", usage[i]);
    }
}

int sp_usage_error(const char *const *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("sincprobe: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    sp_usage_print(stderr, usage);
    return SP_EXIT_USAGE;
}

int sp_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int sp_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void bar_begin(void *ctx, long total)
{
    sp_cli_bar *b = ctx;
    sp_progress_start(&b->bar, b->label, total);
}

static void bar_update(void *ctx, long done)
{
    sp_cli_bar *b = ctx;
    sp_progress_update(&b->bar, done);
}

static void bar_end(void *ctx)
{
    sp_cli_bar *b = ctx;
    sp_progress_end(&b->bar);
}

const sp_eval_progress *sp_cli_bar_init(sp_cli_bar *b, const char *label)
{
    if (!isatty(fileno(stderr))) return NULL;
    b->hooks = (sp_eval_progress){ .begin = bar_begin, .update = bar_update, .end = bar_end, .ctx = b };
    b->label = label;
    return &b->hooks;
}
