/* error.h - sincprobe's one error convention. Header-only, so that
 * analysis/ and the probe plugins (which do not link libsincprobe) use it
 * too.
 *
 * Return values. A function that can fail returns 0 on success and -1 on
 * failure (or a pointer, NULL on failure), and takes `sp_error *err` as its
 * last parameter. On failure it has written one message into err->msg;
 * on success err is left alone. err may be NULL when the caller does not
 * want the message. The caller keeps one on its stack and passes it down:
 *
 *     sp_error err;
 *     if (sp_dataset_load(&ds, dir, ..., &err) != 0) {
 *         sp_log_error("%s", err.msg);        (the CLI; base/log.h)
 *         return SP_EXIT_FAIL;
 *     }
 *
 * and a function that fails because a callee failed returns -1 with the
 * callee's message as it stands, or with context put before it
 * (sp_error_prefix) or after it (sp_error_append). There is no
 * process-wide error state (no errno of our own).
 *
 * The message. One line, lowercase, no trailing period, the subject
 * quoted: "cannot open 'x.wav': No such file or directory". A message
 * about input names the file and the line ("FILE:LINE: MESSAGE") and what
 * was expected. Running out of memory has one message, made by
 * sp_fail_oom; the sp_x* allocators of base/util.h abort with it
 * (sp_oom), code that cannot link base (analysis/, plugins) returns it.
 *
 * Who prints. Library code never prints an error: it returns it. The
 * caller decides, and in the end the CLI prints it through the one
 * logging path (base/log.h), which adds the "sincprobe: " prefix. Messages
 * that are not errors (progress, notices, warnings that let work go on)
 * go through base/log.h too; nothing in the library writes to stderr.
 *
 * Many problems at once. A validator that reports every problem of its
 * input (a corpus, a config, a probe chain) adds them to an sp_diag
 * (base/diag.h): a list of (file, line, message) in the same message form.
 * It returns failure like any other function; sp_problem_fail turns one
 * problem into an sp_error ("FILE:LINE: MESSAGE") where a caller wants a
 * single message.
 *
 * The probe ABI. sp_probe_error (sincprobe/probe.h) is this convention at
 * the ABI boundary: hooks return 0 or -1 with a message of the same form
 * in err->message (SP_PROBE_ERRLEN bytes, a fixed-layout struct that
 * cannot change). An adapter that calls analysis/ code with an sp_error
 * copies the message across with sp_error_put; the host copies the other
 * way, adding the config line and the probe. */
#ifndef SP_ERROR_H
#define SP_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The size of a message, terminating NUL included (longer ones are cut). */
#define SP_ERRLEN 1024

typedef struct sp_error {
    char msg[SP_ERRLEN];
} sp_error;

/* printf into e->msg (e may be NULL); returns -1, so that a function
 * fails with `return sp_fail(err, "cannot open '%s': %s", path, why);`. */
static inline int sp_failv(sp_error *e, const char *fmt, va_list ap)
{
    if (e) vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

static inline int sp_fail(sp_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int sp_fail(sp_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_failv(e, fmt, ap);
    va_end(ap);
    return -1;
}

/* Put context before e's message: fmt's text, then the message as it was
 * (fmt supplies any separator, e.g. "cannot write '%s': "). Returns -1. */
static inline int sp_error_prefix(sp_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int sp_error_prefix(sp_error *e, const char *fmt, ...)
{
    if (!e) return -1;
    char was[SP_ERRLEN];
    memcpy(was, e->msg, sizeof was);
    was[SP_ERRLEN - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof e->msg) snprintf(e->msg + n, sizeof e->msg - (size_t)n, "%s", was);
    return -1;
}

/* Add fmt's text after e's message. Returns -1. */
static inline int sp_error_append(sp_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int sp_error_append(sp_error *e, const char *fmt, ...)
{
    if (!e) return -1;
    const char *end = memchr(e->msg, '\0', sizeof e->msg);
    size_t n = end ? (size_t)(end - e->msg) : sizeof e->msg - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The out-of-memory message: "out of memory allocating N bytes", or
 * "out of memory" when bytes is 0 (the size is not known, or several
 * allocations failed together). Returns -1. */
static inline int sp_fail_oom(sp_error *e, size_t bytes)
{
    if (bytes) return sp_fail(e, "out of memory allocating %zu bytes", bytes);
    return sp_fail(e, "out of memory");
}

/* Copy e's message into a buffer of n bytes (an sp_probe_error's message,
 * cut to fit). Returns -1. */
static inline int sp_error_put(const sp_error *e, char *buf, size_t n)
{
    if (!n) return -1;
    const char *end = memchr(e->msg, '\0', sizeof e->msg);
    size_t len = end ? (size_t)(end - e->msg) : sizeof e->msg - 1;
    if (len > n - 1) len = n - 1;
    memcpy(buf, e->msg, len);
    buf[len] = '\0';
    return -1;
}

#endif
