/* labels.h - TIMIT's time-aligned transcriptions.
 *
 * .PHN and .WRD: one segment a line, "BEGIN END LABEL", BEGIN and END
 * sample indices at 16 kHz (END exclusive), LABEL a phone or a word.
 * .TXT: one line, "BEGIN END The sentence text." */
#ifndef SP_LABELS_H
#define SP_LABELS_H

#include <stddef.h>
#include "base/diag.h"

#define SP_LABEL_MAX 64

typedef struct {
    long begin, end;          /* samples; end exclusive */
    char label[SP_LABEL_MAX];
    long line;                /* line in the file it came from */
    int after_skip;           /* a malformed line was skipped just before */
} sp_seg;

typedef struct {
    sp_seg *v;
    size_t n;
} sp_segs;

/* Read a .PHN or .WRD file. Lines not of the form "begin end label"
 * (non-negative integers, one label without spaces) and lines with
 * begin >= end are reported to d and skipped. Returns 0 when the file was
 * read (problems or not), -1 when it could not be opened (also reported).
 * out->v is malloc'd; free with sp_segs_free. */
int sp_segs_read(const char *path, sp_segs *out, sp_diag *d);
void sp_segs_free(sp_segs *s);

/* The phone transcription beside an audio file, as TIMIT lays them out:
 * the file's name with its extension replaced by .PHN or .phn ("SX12.WAV"
 * -> "SX12.PHN"; a RIFF copy "SX12.WAV.wav" also finds "SX12.PHN").
 * Returns the path (malloc'd) of the first that is a file, or NULL. */
char *sp_phn_beside(const char *audio_path);

/* Read a .TXT file: "begin end text". *text is malloc'd (the sentence
 * without the sample range). Returns 0, or -1 when unusable (reported). */
int sp_txt_read(const char *path, long *begin, long *end, char **text, sp_diag *d);

#endif
