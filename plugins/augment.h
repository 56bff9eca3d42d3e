/* augment.h - what the probes that rewrite audio (speed, reverb, ladspa) share: error
 * messages with the option at fault, the apply_to list, seeded draws per
 * utterance or chunk, listen/ WAV files and the thread-CPU clock of their
 * closing log line. Static code in a header, since a probe links against
 * nothing of sincprobe's (as resume_rows.h). */
#ifndef SP_PLUGIN_AUGMENT_H
#define SP_PLUGIN_AUGMENT_H

#include <sincprobe/probe.h>

#include <errno.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

static inline int aug_fail(sp_probe_error *err, int option, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int aug_fail(sp_probe_error *err, int option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->option = option;
    return -1;
}

/* An sp_error into the probe's error, blaming option (-1: none). */
static inline int aug_put(const sp_error *e, sp_probe_error *err, int option)
{
    err->option = option;
    return sp_error_put(e, err->message, sizeof err->message);
}

/* apply_to: a comma list of train, dev, test (spaces allowed) into
 * apply[SP_PROBE_NROLES]; -1 for anything else or an empty list. */
static inline int aug_parse_apply(const char *s, int apply[SP_PROBE_NROLES])
{
    static const char *const names[SP_PROBE_NROLES] = { "train", "dev", "test" };
    int any = 0;
    for (const char *p = s;;) {
        size_t n = strcspn(p, ",");
        const char *a = p, *b = p + n;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        int r = 0;
        while (r < SP_PROBE_NROLES && !((size_t)(b - a) == strlen(names[r]) && !strncmp(a, names[r], (size_t)(b - a))))
            r++;
        if (r == SP_PROBE_NROLES) return -1;
        apply[r] = any = 1;
        if (p[n] == '\0') break;
        p += n + 1;
    }
    return any ? 0 : -1;
}

/* splitmix64 of a seed mixed with the keys a, b, c: the draws of an
 * utterance (a = role, b = utterance) or of a chunk (a = role + 16, b =
 * epoch and step, c = chunk), the same every run with that seed and on
 * resume. */
static inline uint64_t aug_mix64(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t z = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xBF58476D1CE4E5B9ull) ^ (c * 0x94D049BB133111EBull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A uniform draw in [0, 1) from 53 bits of a hash. */
static inline double aug_unit(uint64_t z)
{
    return (double)(z >> 11) * 0x1.0p-53;
}

/* The key of chunk b of a batch, for aug_mix64's b. */
static inline uint64_t aug_chunk_key(const sp_probe_batch *bt)
{
    return ((uint64_t)(unsigned)bt->epoch << 40) ^ (uint64_t)bt->step;
}

/* Make the probe's listen/ folder. */
static inline int aug_listen_dir(const sp_probe_context *ctx, sp_probe_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/listen", ctx->dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return aug_fail(err, -1, "cannot make '%s': %s", dir, strerror(errno));
    return 0;
}

/* listen/NAME.wav (float32, mono, rate Hz, without a PEAK chunk) of y[n],
 * written to a temporary name and renamed; '/' in NAME becomes '_'. */
static inline int aug_listen_write(const sp_probe_context *ctx, const char *name, const float *y, long n, int rate,
                            sp_probe_error *err)
{
    char path[4096], tmp[4200];
    int at = snprintf(path, sizeof path, "%s/listen/", ctx->dir);
    for (const char *c = name; *c && at + 5 < (int)sizeof path; c++) path[at++] = *c == '/' ? '_' : *c;
    snprintf(path + at, sizeof path - (size_t)at, ".wav");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    SF_INFO info = { .samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *f = sf_open(tmp, SFM_WRITE, &info);
    if (!f) return aug_fail(err, -1, "cannot write '%s': %s", tmp, sf_strerror(NULL));
    /* no PEAK chunk: it holds a time stamp, and a run made twice should
     * write the same bytes */
    sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    sf_count_t w = sf_writef_float(f, y, n);
    if (sf_close(f) != 0 || w != n || rename(tmp, path) != 0) {
        unlink(tmp);
        return aug_fail(err, -1, "cannot write '%s'", path);
    }
    return 0;
}

/* This thread's CPU time in seconds: what a probe's hooks cost the
 * training thread, whatever else the machine runs. */
static inline double aug_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
