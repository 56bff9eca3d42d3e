/* fbfile.h - the exported-filterbank file: a model's first layer as
 * `sincprobe export-ladspa` writes it and the sincprobe LADSPA library
 * (plugins/ladspa/) reads it. sincprobe-export-ladspa(1) documents the
 * format for users; this is the reference.
 *
 * Format, version 1. A text header of lines "KEY VALUE", in this order,
 * each ended by '\n', then exactly data_bytes bytes of data:
 *
 *     sincprobe-filterbank 1               magic and format version
 *     name NAME                            1-64 of [A-Za-z0-9_.-], first alphanumeric
 *     kind sinc|conv                       what the first layer is
 *     sample_rate HZ                       the model's rate, an integer
 *     filters C                            1 .. SP_FB_MAX_FILTERS
 *     taps K                               1 .. SP_FB_MAX_TAPS
 *     ids BANK FILTER                      the two LADSPA UniqueIDs (fbdir.h)
 *     source TEXT                          the checkpoint it came from (information only)
 *     data_bytes N                         4 (C K + 3 C)
 *     crc32 XXXXXXXX                       CRC-32 (IEEE 802.3, zlib's) of the data, hex
 *     end
 *
 * The data is little-endian IEEE float32, four arrays one after another:
 *
 *     taps [C][K]  the filters as the model applies them: it correlates,
 *                  out[t] = sum_k taps[c][k] in[t + k] (nn/layers.h); for
 *                  sinc the Hamming-windowed band-passes sp_sinc_taps makes
 *                  from the cut-offs (centre tap 1), for conv conv1's
 *                  learned weights (its bias is not a filter and is left out)
 *     f1 [C], f2 [C]  each filter's band in Hz: sinc, the model's cut-offs;
 *                  conv, the -3 dB points around the peak of |H| (fbdesign.h)
 *     peak [C]     each filter's peak gain, max |H| over the grid of
 *                  fbdesign.h; the plugins scale filter c by 1 / peak[c]
 *
 * A reader rejects anything else with a message naming the file and the
 * line (or the part of the data) and what was expected: a wrong magic or
 * version, a key out of order or unknown, a value out of range, a data
 * size other than data_bytes (a truncated or padded file), a CRC that
 * does not match, a tap that is not finite, a band not within
 * 0 <= f1 < f2 <= sample_rate / 2, a peak that is not positive.
 *
 * Compiled into libsincprobe and into the LADSPA library: only ladspa/
 * headers and base/error.h. Allocation failure is returned as
 * sp_fail_oom's message, never aborts. */
#ifndef SP_LADSPA_FBFILE_H
#define SP_LADSPA_FBFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

#define SP_FB_MAGIC "sincprobe-filterbank"
#define SP_FB_VERSION 1
#define SP_FB_NAME_MAX 64
#define SP_FB_SOURCE_MAX 1024
#define SP_FB_MAX_FILTERS 4096
#define SP_FB_MAX_TAPS 65535
#define SP_FB_MIN_RATE 1000
#define SP_FB_MAX_RATE 768000
#define SP_FB_HEADER_MAX 4096 /* bytes of header a reader accepts */
#define SP_FB_EXT ".spfb"     /* the library reads files with this ending */

typedef enum { SP_FB_SINC, SP_FB_CONV } sp_fb_kind;

typedef struct {
    char name[SP_FB_NAME_MAX + 1];
    char source[SP_FB_SOURCE_MAX + 1];
    sp_fb_kind kind;
    long sample_rate;
    int C, K;
    unsigned long id_bank, id_filter;
    float *taps; /* [C][K], one allocation with the three below */
    float *f1, *f2, *peak; /* [C] */
} sp_fbfile;

/* Allocate fb's arrays for C filters of K taps (zeroed; the header fields
 * are zeroed too). 0, or -1 with err (out of memory, or C, K out of
 * range). */
int sp_fbfile_alloc(sp_fbfile *fb, int C, int K, sp_error *err);
void sp_fbfile_free(sp_fbfile *fb);

/* Read the file at path into fb (freed with sp_fbfile_free). 0, or -1 with
 * err naming path; fb is then empty. */
int sp_fbfile_read(sp_fbfile *fb, const char *path, sp_error *err);
/* The same from len bytes in memory; path names them in messages. */
int sp_fbfile_parse(sp_fbfile *fb, const unsigned char *buf, size_t len, const char *path, sp_error *err);
/* Check fb's fields and data as the reader does (messages name path). */
int sp_fbfile_check(const sp_fbfile *fb, const char *path, sp_error *err);
/* Write fb to f in the format above (after sp_fbfile_check). 0, or -1 with
 * err naming path on a write error or an invalid fb. */
int sp_fbfile_write(const sp_fbfile *fb, FILE *f, const char *path, sp_error *err);

/* CRC-32 of the IEEE 802.3 polynomial, reflected, initial and final
 * xor 0xffffffff: zlib's crc32(0, buf, n) and Python's zlib.crc32. */
uint32_t sp_fb_crc32(const void *buf, size_t n);

/* 0 when name is a valid model name (see the header's `name`), else -1
 * with err saying what is wrong. */
int sp_fb_name_check(const char *name, sp_error *err);
/* A valid name made from any text (a run directory's base name): each
 * character outside [A-Za-z0-9_.-] becomes '_', an initial non-
 * alphanumeric gets "m" put before it, cut to SP_FB_NAME_MAX; "model" for
 * an empty text. out has SP_FB_NAME_MAX + 1 bytes. */
void sp_fb_name_from(char *out, const char *text);

/* The plugins' labels: "NAME_bank" and "NAME_filter". */
#define SP_FB_LABEL_MAX (SP_FB_NAME_MAX + 8)
void sp_fb_label_bank(char *out, const char *name);   /* out: SP_FB_LABEL_MAX bytes */
void sp_fb_label_filter(char *out, const char *name); /* out: SP_FB_LABEL_MAX bytes */

#endif
