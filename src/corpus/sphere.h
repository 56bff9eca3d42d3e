/* sphere.h - NIST SPHERE headers (TIMIT's .WAV files) and 16 kHz audio.
 *
 * A SPHERE file starts with "NIST_1A\n", then the header size in bytes as
 * a right-aligned decimal line ("   1024\n"), then one "name -type value"
 * field per line (-i integer, -r real, -sN string of N bytes), then
 * "end_head"; the header is padded to its stated size and the samples
 * follow (TIMIT: 16-bit PCM, sample_byte_format 01 = little endian).
 * Samples are read through libsndfile; the header is parsed here first so
 * that a broken one is reported with its line. */
#ifndef SP_SPHERE_H
#define SP_SPHERE_H

#include <stdint.h>
#include "base/diag.h"
#include "base/error.h"

typedef struct {
    long header_bytes;    /* from line 2 */
    long sample_rate;     /* -1 when absent */
    long channel_count;   /* -1 when absent */
    long sample_n_bytes;  /* -1 when absent */
    long sample_count;    /* -1 when absent */
    long sample_count_line; /* the header line of sample_count, 0 when absent */
    char byte_format[8];  /* "01", "10", "1" or "" */
    char coding[32];      /* sample_coding, "" when absent (= pcm) */
} sp_sphere_info;

/* Parse the header of the SPHERE file at path. Every problem goes to d with
 * the header line it is on; returns 0 when the header is usable, -1 if not.
 * Also checks that the file holds header_bytes + sample_count * channels *
 * 2 bytes (a truncated file is reported; more samples than sample_count
 * is a warning in d, sp_diag_warn, naming the file and the line: the
 * header is usable and the samples beyond the count are ignored, unless
 * d is strict, where the warning is a problem and -1 is returned). */
int sp_sphere_read_header(const char *path, sp_sphere_info *info, sp_diag *d);

/* 1 when the file starts with the SPHERE magic "NIST_1A". */
int sp_sphere_is_sphere(const char *path);

/* Write n 16-bit samples at `rate` as a TIMIT-style SPHERE file (1024-byte
 * header, little endian), atomically. utterance_id may be NULL. The output
 * is a function of the arguments alone (byte-identical for equal input). */
int sp_sphere_write(const char *path, const int16_t *samples, long n, long rate,
                    const char *utterance_id, sp_error *err);

/* Read a 16 kHz mono 16-bit PCM file (SPHERE or anything libsndfile reads)
 * into *samples (malloc'd, caller frees), *n samples. Audio that is not
 * 16 kHz, mono, 16-bit PCM is a problem reported to d; returns 0 or -1. */
int sp_audio_read_pcm16(const char *path, int16_t **samples, long *n, sp_diag *d);

#endif
