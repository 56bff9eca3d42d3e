/* timit.h - a TIMIT tree as the LDC ships it, and its splits.
 *
 *   ROOT/TRAIN|TEST/DR1..DR8/<F|M>xxxN/<SA|SI|SX>n.{WAV,PHN,WRD,TXT}
 *
 * Names may be upper or lower case; audio may be the LDC's NIST SPHERE
 * .WAV or a RIFF copy found in circulation (X.WAV.wav, x.wav). Splits
 * (Kaldi/SpeechBrain convention):
 *   train  every TRAIN speaker (462 in TIMIT)
 *   dev    the 50 TEST speakers of dev_spk.list
 *   core   the 24 TEST speakers of core_spk.list (the core test set)
 *   test   every TEST speaker (168 in TIMIT; includes dev and core)
 *   all    TRAIN and TEST
 * The speaker lists are read from ROOT/dev_spk.list and ROOT/core_spk.list
 * when present (the synthetic corpus writes its own), else from sincprobe's
 * corpora directory. SA1/SA2 (the two sentences every speaker reads) are
 * left out unless include_sa is set. */
#ifndef SP_TIMIT_H
#define SP_TIMIT_H

#include <stddef.h>
#include <stdint.h>
#include "base/diag.h"
#include "corpus/labels.h"
#include "corpus/phoneset.h"
#include "base/error.h"

typedef struct {
    char *id;        /* canonical "TRAIN/DR1/FCJF0/SI1027" (upper case) */
    char *wav;       /* audio path as found (NULL when missing) */
    char *phn, *wrd, *txt; /* paths as found (NULL when missing) */
    char speaker[16];/* lower case, e.g. "fcjf0" */
    char sex;        /* 'f' or 'm' */
    int dialect;     /* 1..8 */
    int test;        /* 1 when under TEST */
} sp_utt_ref;

typedef struct {
    char *root;
    sp_utt_ref *utts; /* sorted by id */
    size_t n;
} sp_corpus;

/* The split names above; -1 for an unknown name. */
enum { SP_SPLIT_TRAIN, SP_SPLIT_DEV, SP_SPLIT_CORE, SP_SPLIT_TEST, SP_SPLIT_ALL };
int sp_split_parse(const char *name);
const char *sp_split_name(int split);

/* Scan root for the utterances of split. Structural problems (a speaker
 * folder with a bad name, an utterance without .PHN or audio, a missing
 * TRAIN/TEST folder) go to d; returns 0, or -1 when the tree could not be
 * read at all (err says why). */
int sp_corpus_scan(sp_corpus *c, const char *root, int split, int include_sa,
                   sp_diag *d, sp_error *err);
void sp_corpus_free(sp_corpus *c);

/* 1 when root has a folder named part ("TRAIN" or "TEST", any case). */
int sp_corpus_has_part(const char *root, const char *part);

/* One utterance in memory: audio and phone segments (61-set indices). */
typedef struct {
    int16_t *audio;
    long n;           /* samples */
    sp_segs phn;      /* as read */
    int *phone61;     /* per segment, index in the 61 set (-1 unknown) */
    sp_segs wrd;      /* empty when no .WRD */
} sp_utt;

/* Load and validate one utterance: audio 16 kHz mono 16-bit (SPHERE header
 * checked line by line), PHN/WRD lines well formed, begin < end, phone
 * segments contiguous (no gap, no overlap), the last end within the audio,
 * every phone in the 61 set. Each problem goes to d with file and line.
 * Returns the number of problems found in this utterance; the sp_utt is
 * filled as far as it could be read (free with sp_utt_free). */
int sp_utt_load(const sp_utt_ref *r, const sp_phoneset *ps, sp_utt *u, sp_diag *d);
void sp_utt_free(sp_utt *u);

#endif
