/* synth.h - a phone-aligned synthetic corpus in TIMIT layout, made with
 * eSpeak NG (see sincprobe-corpus(1)).
 *
 * Each sentence is synthesised with phoneme events (the event's `sample`
 * field gives its position in eSpeak's 22050 Hz output), resampled to
 * 16 kHz with libsamplerate, its eSpeak phonemes mapped onto TIMIT's 61
 * symbols (corpora/espeak-timit.map: stops become closure + release,
 * silences h#/pau), and written as
 *   OUT/TRAIN|TEST/DRn/<F|M>xxxN/<SI|SX>n.{WAV,PHN,WRD,TXT}
 * with NIST SPHERE audio, plus OUT/dev_spk.list and OUT/core_spk.list
 * (disjoint halves of the TEST speakers) so the splits work as on TIMIT.
 * Speakers differ by voice variant, pitch and rate (<= 350 wpm). The same
 * options give byte-identical files. */
#ifndef SP_SYNTH_H
#define SP_SYNTH_H

#include "base/error.h"

typedef struct {
    const char *out;      /* output root (created; must be empty or absent) */
    int speakers;         /* TRAIN speakers */
    int test_speakers;    /* TEST speakers */
    int sentences;        /* sentences per speaker */
    unsigned long seed;
    const char *text;     /* one sentence a line; NULL = corpora/sentences.txt */
    int jobs;             /* worker processes at a time; each speaker is made in a
                             fresh process (eSpeak NG keeps state between
                             sentences and cannot be re-initialised), so the
                             output does not depend on jobs */
    int progress;         /* progress through base/log.h */
} sp_synth_opts;

/* Defaults of the quick-start corpus. */
void sp_synth_defaults(sp_synth_opts *o);

/* Make the corpus. Returns 0, or -1 with err (nothing half-written is
 * left looking complete: each file is written atomically). */
int sp_synth_corpus(const sp_synth_opts *o, sp_error *err);

/* What was made, for the caller's summary. */
typedef struct {
    int speakers, train_speakers, test_speakers;
    long utterances;
    long samples;         /* at 16 kHz, all utterances */
    double hours;
} sp_synth_stats;

/* sp_synth_corpus, also filling *st (when non-NULL) on success. */
int sp_synth_corpus_stats(const sp_synth_opts *o, sp_synth_stats *st, sp_error *err);

#endif
