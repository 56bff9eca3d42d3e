/* log.h - the one path by which sincprobe's messages reach the user.
 *
 * Library code never writes to stderr itself: it calls sp_log_* and the
 * sink installed by the program formats and writes the text. The CLI
 * (cli/cli.c) installs a sink that puts "sincprobe: " before notices,
 * warnings and errors and writes to stderr. With no sink installed (a
 * test or a benchmark linked against the library) log.c writes the same
 * lines to stderr without the program's name; log.c is the only file of
 * the library that touches stderr (tests/nostderr.sh checks it).
 *
 * Levels, and what the CLI's sink writes for sp_log_X("TEXT"):
 *
 *     PROGRESS  TEXT as given: a progress display that redraws itself
 *               with "\r" on a terminal (sp_log_tty) and ends its own
 *               lines; flushed at once
 *     INFO      TEXT "\n": a status line of the work going on ("probes:
 *               ...", "probe noise: ...", a problem echoed as it is
 *               found, "FILE:LINE: MESSAGE")
 *     NOTE      "sincprobe: " TEXT "\n": the program tells the user what
 *               it did on its own ("'x.wav' has 2 channels; averaging them
 *               to mono", "report: DIR/report.html (5 figures)")
 *     WARN      "sincprobe: warning: " TEXT "\n": something is wrong but
 *               the work goes on
 *     ERROR     "sincprobe: " TEXT "\n": an error (error.h's message);
 *               printed by whoever gives up on the error, in the end the
 *               CLI, never by the function that returns it
 *
 * TEXT is one line in the form of error.h (lowercase, no trailing
 * period) without its newline, except for PROGRESS. Not thread-safe:
 * log from the thread that drives the work. */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdarg.h>

typedef enum { SP_LOG_PROGRESS, SP_LOG_INFO, SP_LOG_NOTE, SP_LOG_WARN, SP_LOG_ERROR } sp_log_level;

/* A sink writes one message (text as described above, without the
 * prefix or newline its level adds). */
typedef void (*sp_log_sink)(void *ctx, sp_log_level level, const char *text);

/* Install the sink (NULL: the default, stderr without a program name);
 * tty says whether progress may redraw itself with "\r" there. */
void sp_log_set_sink(sp_log_sink sink, void *ctx, int tty);
/* 1 when the sink is a terminal: progress is shown as a redrawn bar
 * rather than a line every so often. */
int sp_log_tty(void);

void sp_logv(sp_log_level level, const char *fmt, va_list ap);
void sp_log(sp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sp_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sp_log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sp_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sp_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
