/* util.h - small shared helpers: checked allocation, strings, paths,
 * atomic file output, data-file lookup.
 *
 * Error convention: functions that can fail return 0 on success and -1 on
 * failure, writing a one-line lowercase message (no trailing period, the
 * subject quoted) into the caller's buffer `err` of SP_ERRLEN bytes.
 * Nothing here calls exit(). */
#ifndef SP_UTIL_H
#define SP_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdarg.h>

#include "base/error.h"

/* malloc/calloc/realloc/strdup that abort with a message on exhaustion:
 * out-of-memory is not a recoverable input error for this tool. */
void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t n, size_t size);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into err (SP_ERRLEN bytes); returns -1 so callers can
 * `return sp_fail(err, ...)`. */
int sp_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ASCII case-insensitive comparisons (TIMIT copies vary in case). */
int sp_strcaseeq(const char *a, const char *b);
int sp_endswith_ci(const char *s, const char *suffix);
void sp_strlower(char *s);
void sp_strupper(char *s);
/* Trim ASCII white space at both ends, in place; returns s. */
char *sp_strtrim(char *s);

/* Join a directory and a name with one '/'. Caller frees. */
char *sp_path_join(const char *dir, const char *name);
/* 1 when path is an existing directory / regular file. */
int sp_is_dir(const char *path);
int sp_is_file(const char *path);
/* mkdir -p; returns 0 or -1 with err. */
int sp_mkdirs(const char *path, char *err);

/* Atomic output: sp_atomic_open creates PATH.tmp.PID for writing;
 * sp_atomic_commit flushes, fsyncs, closes it and renames it onto PATH;
 * sp_atomic_abort closes and removes it. A crash leaves PATH either absent
 * or as it was, never half-written. */
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
} sp_atomic_file;
int sp_atomic_open(sp_atomic_file *af, const char *path, char *err);
int sp_atomic_commit(sp_atomic_file *af, char *err);
void sp_atomic_abort(sp_atomic_file *af);

/* The directory holding sincprobe's data files (phone maps, speaker lists,
 * sentences): $SINCPROBE_DATA_DIR if set, else the installed
 * $(pkgdatadir)/corpora, else ../corpora or ../../corpora beside the
 * executable (a build tree). Returns a path the caller frees, or NULL
 * with err when no candidate holds NAME. */
char *sp_data_file(const char *name, char *err);

/* Read a whole file into a NUL-terminated buffer; *len gets its size.
 * Returns NULL with err on failure. Caller frees. */
char *sp_read_file(const char *path, size_t *len, char *err);

/* Progress on stderr: a bar when stderr is a terminal, otherwise a plain
 * line every ~10%. label is copied. */
typedef struct {
    char label[64];
    long total;
    long last_shown;
    int tty;
    double t0;
} sp_progress;
void sp_progress_start(sp_progress *p, const char *label, long total);
void sp_progress_update(sp_progress *p, long done);
void sp_progress_end(sp_progress *p);

/* Monotonic seconds. */
double sp_now(void);

#endif
