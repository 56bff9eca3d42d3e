/* voices.h - ROOT/voices.tsv, which `corpus synth` writes beside a
 * synthetic corpus: a header line, then one speaker a line, tab separated
 * (speaker, split, engine, voice, sex, pitch, range, rate; see
 * sincprobe-corpus(1)). `corpus check` reads the speaker and engine
 * columns, found by their header names, to report per engine. */
#ifndef SP_VOICES_H
#define SP_VOICES_H

#include <stddef.h>

#include "base/diag.h"
#include "base/error.h"

typedef struct {
    char speaker[16]; /* lower case, as the speaker folder */
    char engine[16];
} sp_voice_row;

typedef struct {
    sp_voice_row *v;
    size_t n;
} sp_voices;

/* Read ROOT/voices.tsv. Absent: 0 with an empty table. Lines that are
 * not rows of the table go to d (FILE:LINE) and are skipped. Returns 0,
 * or -1 when the file exists but cannot be read (also reported). */
int sp_voices_read(sp_voices *t, const char *root, sp_diag *d);
void sp_voices_free(sp_voices *t);

/* The engine of speaker (any case), or NULL when not listed. */
const char *sp_voices_engine(const sp_voices *t, const char *speaker);

/* ROOT/synth.status, the synthetic corpus's completion marker: `corpus
 * synth` writes it saying "incomplete" before the first utterance and
 * rewrites it saying "complete" (atomically) after the last file, so a
 * run that was killed or failed (a full disk) leaves a tree that says
 * so. A real TIMIT tree has no marker and no voices.tsv. */
#define SP_SYNTH_STATUS "synth.status"
int sp_synth_status_write(const char *root, int complete, sp_error *err);
/* An error in d when ROOT/synth.status does not say "complete"; a
 * warning when ROOT has voices.tsv but no marker (made by a sincprobe
 * without markers, or cut short before it was written). */
void sp_synth_status_check(const char *root, sp_diag *d);

#endif
