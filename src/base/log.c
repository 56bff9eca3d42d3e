/* log.c - see log.h. The only file of the library that writes to stderr
 * (the default sink). */
#include "config.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static sp_log_sink sink;
static void *sink_ctx;
static int sink_tty = -1; /* -1: ask isatty when first needed */

void sp_log_set_sink(sp_log_sink s, void *ctx, int tty)
{
    sink = s;
    sink_ctx = ctx;
    sink_tty = s ? tty != 0 : -1;
}

int sp_log_tty(void)
{
    if (sink_tty < 0) sink_tty = isatty(STDERR_FILENO) ? 1 : 0;
    return sink_tty;
}

/* The default sink: the CLI's lines without its name. */
static void default_sink(sp_log_level level, const char *text)
{
    switch (level) {
    case SP_LOG_PROGRESS: fputs(text, stderr); fflush(stderr); break;
    case SP_LOG_WARN: fprintf(stderr, "warning: %s\n", text); break;
    default: fprintf(stderr, "%s\n", text); break;
    }
}

void sp_logv(sp_log_level level, const char *fmt, va_list ap)
{
    char buf[2048], *text = buf;
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0) {
        buf[0] = '\0';
    } else if ((size_t)n >= sizeof buf) {
        char *big = malloc((size_t)n + 1); /* without it, the text is cut to fit */
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, aq);
            text = big;
        }
    }
    va_end(aq);
    if (sink) sink(sink_ctx, level, text);
    else default_sink(level, text);
    if (text != buf) free(text);
}

void sp_log(sp_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_logv(level, fmt, ap);
    va_end(ap);
}

#define SP_LOG_AT(name, level)                                                                                         \
    void name(const char *fmt, ...)                                                                                    \
    {                                                                                                                  \
        va_list ap;                                                                                                    \
        va_start(ap, fmt);                                                                                             \
        sp_logv(level, fmt, ap);                                                                                       \
        va_end(ap);                                                                                                    \
    }
SP_LOG_AT(sp_log_progress, SP_LOG_PROGRESS)
SP_LOG_AT(sp_log_info, SP_LOG_INFO)
SP_LOG_AT(sp_log_note, SP_LOG_NOTE)
SP_LOG_AT(sp_log_warn, SP_LOG_WARN)
SP_LOG_AT(sp_log_error, SP_LOG_ERROR)
