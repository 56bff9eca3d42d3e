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
/* path made absolute against the folder base: returned as is when
 * absolute; else base/path, with base the current directory when NULL or
 * "". Leading "./" and "../" components are folded into base (base is
 * made physical with realpath first, so dropping its last component for
 * a ".." names the folder the kernel would reach). Caller frees. */
char *sp_path_absolute(const char *base, const char *path);
/* The physical absolute path of the folder holding file (realpath of its
 * dirname). Caller frees; NULL when that folder cannot be resolved. */
char *sp_path_folder_of(const char *file);
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
 * terminal (sp_log_tty); otherwise (a batch job's log file) a plain line
 * "LABEL: DONE/TOTAL (P%) eta Ns" once sp_progress_interval() seconds
 * have passed since the start or the last line, and "LABEL: done in Ns"
 * at the end when a line was shown, so a phase shorter than the interval
 * prints nothing. label is copied. */
typedef struct {
    char label[64];
    long total;
    long last_shown;
    int tty;
    double t0;
    double interval;/* off a terminal: sp_progress_interval() at the start */
    double last_t;  /* off a terminal: when the last line was shown */
    int shown;      /* off a terminal: lines shown */
} sp_progress;
void sp_progress_start(sp_progress *p, const char *label, long total);
void sp_progress_update(sp_progress *p, long done);
void sp_progress_end(sp_progress *p);

/* Monotonic seconds. */
double sp_now(void);

/* Seconds between progress lines off a terminal (sp_progress, train's
 * step lines): SINCPROBE_PROGRESS_INTERVAL when it is a number >= 0 (0:
 * a line at every update), else 10. */
double sp_progress_interval(void);

/* "did you mean": the candidate nearest a misspelled word.
 *
 *     sp_suggest s;
 *     sp_suggest_init(&s, "trian");
 *     for (each known name) sp_suggest_add(&s, name);
 *     const char *near = sp_suggest_best(&s);   // "train", or NULL
 *
 * Nearness is the optimal-string-alignment distance (Levenshtein's
 * insertions, deletions and substitutions, plus the swap of two adjacent
 * characters, each costing 1: "trian" is 1 from "train"). A candidate
 * counts when its distance d satisfies 1 <= d and 3 d <= max(|word|,
 * |candidate|), i.e. when at most a third of the longer name changes
 * (one edit in 3 to 5 characters, two in 6 to 8): nearer is better, the
 * first one added wins a tie. Pointers are kept, not copied.
 * sp_suggest_init_nocase compares letters regardless of case (for names
 * that are all lower case, against a word typed with capitals): "Type"
 * is 0 from "type" and gets it, as any candidate that differs from the
 * word only in case does; only the word itself is never suggested. */
typedef struct {
    const char *word;
    const char *best;
    size_t dist;
    int nocase;
} sp_suggest;
void sp_suggest_init(sp_suggest *s, const char *word);
void sp_suggest_init_nocase(sp_suggest *s, const char *word);
void sp_suggest_add(sp_suggest *s, const char *candidate);
const char *sp_suggest_best(const sp_suggest *s);
/* The distance itself (SIZE_MAX for names longer than 255 bytes). */
size_t sp_edit_distance(const char *a, const char *b);
/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32 and ZIP's) of n bytes,
 * continuing from crc (0 to start): checkpoints and .npz members. */
uint32_t sp_crc32(uint32_t crc, const void *data, size_t n);

#endif
