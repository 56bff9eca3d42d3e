/* dataset.h - a split of a TIMIT-layout corpus held in memory for
 * training and evaluation: int16 audio at 16 kHz, and per 10 ms frame
 * (160 samples) the 48-set class of the phone at the frame's centre
 * sample (-1 where there is none, or the phone is deleted, as `q`). */
#ifndef SP_DATASET_H
#define SP_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "base/diag.h"
#include "corpus/phoneset.h"
#include "base/rng.h"
#include "base/error.h"

#define SP_FRAME_SHIFT 160  /* samples: 10 ms at 16 kHz */

typedef struct {
    char *id;          /* "TRAIN/DR1/FCJF0/SI1027" */
    int16_t *audio;
    long n;            /* samples */
    int8_t *label;     /* [nframes] 48-set class or -1 */
    long nframes;      /* n / 160 */
    int *phones48;     /* the utterance's 48-set phone string (q dropped) */
    size_t nphones;
} sp_utterance;

typedef struct {
    sp_utterance *utt;
    size_t n;
    long samples, frames;
} sp_dataset;

/* Load the utterances of split (timit.h) from the corpus at root, at most
 * max_utts of them (0: all; the first in id order). Every problem of the
 * corpus goes to d; returns 0 when there were none, else -1 (a model must
 * not train on data that failed validation). err gets a one-line reason. */
int sp_dataset_load(sp_dataset *ds, const char *root, int split, int include_sa,
                    size_t max_utts, const sp_phoneset *ps, sp_diag *d, sp_error *err);
/* The same without audio (audio NULL, n from the last phone's end): the
 * labels and phone strings for class priors and the phone LM. */
int sp_dataset_load_labels(sp_dataset *ds, const char *root, int split, int include_sa,
                           const sp_phoneset *ps, sp_diag *d, sp_error *err);
void sp_dataset_free(sp_dataset *ds);

/* Label u, an audio file's utterance (u->audio and u->n at 16 kHz set,
 * u->label not yet), from the phone transcription at phn whose sample
 * positions count the file's own samples: native_n of them at rate Hz.
 * The file is read and checked as sp_utt_load checks a corpus's .PHN
 * (well-formed lines, begin < end, contiguous, from 0, TIMIT phones) and
 * its last segment must end within the native_n samples; each problem
 * goes to d with file and line. The positions are then taken to 16 kHz
 * and the frames labelled as sp_dataset_load labels a corpus's (the 48-set
 * class of the phone at each frame's centre, -1 for none or q). Returns
 * the number of problems found (u is labelled only when there were none). */
int sp_utterance_label_phn(sp_utterance *u, const char *phn, int rate, long native_n, const sp_phoneset *ps,
                           sp_diag *d);

/* Write the chunk of T samples centred on frame f of u into out (scaled to
 * [-1, 1) times gain), zero-padded beyond the utterance's ends. */
void sp_dataset_chunk(const sp_utterance *u, long frame, int T, float gain, float *out);

/* Draw a random labelled training chunk: an utterance uniformly, a frame
 * uniformly among those whose chunk fits inside it (a labelled one), its
 * gain uniform in [1 - jitter, 1 + jitter]. Writes out[T], returns the
 * label. */
int sp_dataset_sample(const sp_dataset *ds, sp_rng *rng, int T, double jitter, float *out);
/* The same draw (the same random numbers), also reporting where the chunk
 * comes from for the probe chain: the utterance's index, the utterance
 * sample of out[0] (sp_dataset_chunk's start) and the gain. Each of utt,
 * start, gain may be NULL. */
int sp_dataset_sample_at(const sp_dataset *ds, sp_rng *rng, int T, double jitter, float *out, long *utt,
                         long *start, float *gain);

#endif
