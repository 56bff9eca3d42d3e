/* util.h - small shared helpers: checked allocation, strings, paths,
 * atomic file output, data-file lookup, progress.
 *
 * Errors follow base/error.h (0, or -1 / NULL with a message in err);
 * messages go through base/log.h. Nothing here calls exit(). */
#ifndef SP_UTIL_H
#define SP_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>

#include "base/error.h"

/* malloc/calloc/realloc/strdup that abort with sp_oom's message on
 * exhaustion: out-of-memory is not a recoverable input error for this
 * tool. */
void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t n, size_t size);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log error.h's out-of-memory message for n bytes and abort. */
void sp_oom(size_t n) __attribute__((noreturn));

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
int sp_mkdirs(const char *path, sp_error *err);

/* Atomic output: sp_atomic_open creates PATH.tmp.PID for writing;
 * sp_atomic_commit flushes, fsyncs, closes it, renames it onto PATH and
 * fsyncs PATH's directory (so that the rename itself is on disk);
 * sp_atomic_abort closes and removes it. A crash leaves PATH either absent
 * or as it was, never half-written; a kill may leave PATH.tmp.PID behind
 * (run/rundir.h removes those of a run directory). */
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
} sp_atomic_file;
int sp_atomic_open(sp_atomic_file *af, const char *path, sp_error *err);
int sp_atomic_commit(sp_atomic_file *af, sp_error *err);
void sp_atomic_abort(sp_atomic_file *af);

/* The directory holding sincprobe's data files (phone maps, speaker lists,
 * sentences): $SINCPROBE_DATA_DIR if set, else the installed
 * $(pkgdatadir)/corpora, else ../corpora or ../../corpora beside the
 * executable (a build tree). Returns a path the caller frees, or NULL
 * with err when no candidate holds NAME. */
char *sp_data_file(const char *name, sp_error *err);

/* Read a whole file into a NUL-terminated buffer; *len gets its size.
 * Returns NULL with err on failure. Caller frees. */
char *sp_read_file(const char *path, size_t *len, sp_error *err);

/* Progress through base/log.h: a bar redrawn in place when the log is a
 * terminal (sp_log_tty), otherwise a plain line every ~10%. label is
 * copied. */
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

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32 and ZIP's) of n bytes,
 * continuing from crc (0 to start): checkpoints and .npz members. */
uint32_t sp_crc32(uint32_t crc, const void *data, size_t n);

#endif
