/* synth.h - a phone-aligned synthetic corpus in TIMIT layout, made with
 * eSpeak NG and Flite (see sincprobe-corpus(1)).
 *
 * Each sentence is synthesised by one of the engines (synth_engine.h;
 * synth_espeak.c, synth_flite.c) with its phone timings, resampled to
 * 16 kHz with libsamplerate, its phones mapped onto TIMIT's 61 symbols
 * (corpora/espeak-timit.map, corpora/flite-timit.map: stops become
 * closure + release, silences h#/pau), and written as
 *   OUT/TRAIN|TEST/DRn/<F|M>xxxN/<SI|SX>n.{WAV,PHN,WRD,TXT}
 * with NIST SPHERE audio, plus OUT/dev_spk.list and OUT/core_spk.list
 * (disjoint halves of the TEST speakers) so the splits work as on TIMIT,
 * and OUT/voices.tsv (each speaker's split, engine, voice and prosody).
 * Speakers are voice x engine x prosody; the train, dev and core splits
 * hold disjoint voices. The same options give byte-identical files. */
#ifndef SP_SYNTH_H
#define SP_SYNTH_H

#include <stdio.h>

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
    const char *engines;  /* "espeak,flite": the engines, which a split's
                             speakers take in turn; NULL = all built in */
} sp_synth_opts;

/* Defaults of the quick-start corpus. */
void sp_synth_defaults(sp_synth_opts *o);

/* Make the corpus. Returns 0, or -1 with err (nothing half-written is
 * left looking complete: each file is written atomically). */
int sp_synth_corpus(const sp_synth_opts *o, sp_error *err);

/* 0 when list names engines that are built in ("espeak,flite"), else
 * -1 with err. */
int sp_synth_check_engines(const char *list, sp_error *err);

/* Plan the corpus of o and print its speakers to f without synthesising:
 * a header line, then one speaker a line, tab separated: speaker, split
 * (train, dev, core), engine, voice, sex, pitch, range, rate (in the
 * engine's units; sincprobe-corpus(1)). OUT/voices.tsv holds the same. */
int sp_synth_list_voices(const sp_synth_opts *o, FILE *f, sp_error *err);

#define SP_SYNTH_MAX_ENGINES 4

/* What was made, for the caller's summary. */
typedef struct {
    int speakers, train_speakers, test_speakers;
    long utterances;
    long samples;         /* at 16 kHz, all utterances */
    double hours;
    int nengines;
    const char *engine[SP_SYNTH_MAX_ENGINES];
    int voices[SP_SYNTH_MAX_ENGINES][3]; /* distinct voices used in train, dev, core */
} sp_synth_stats;

/* sp_synth_corpus, also filling *st (when non-NULL) on success. */
int sp_synth_corpus_stats(const sp_synth_opts *o, sp_synth_stats *st, sp_error *err);

#endif
