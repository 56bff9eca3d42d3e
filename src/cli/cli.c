/* cli.c - helpers shared by the commands: errors and usage. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
