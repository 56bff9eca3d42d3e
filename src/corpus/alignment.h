/* alignment.h - does an utterance's phone labelling agree with its audio?
 * A sanity measure for labels made by a synthesiser (or an aligner), which
 * `corpus check` reports per engine of a synthetic corpus.
 *
 * The audio is cut into 10 ms frames (160 samples at 16 kHz; a last
 * partial frame is dropped), each labelled with the phone covering its
 * centre sample. A frame is quiet when its energy (sum of squares) is
 * below the utterance's median frame energy, loud when above. Labels that
 * mean no sound (h#, pau, epi and the stop closures bcl dcl gcl kcl pcl
 * tcl) should fall on quiet frames, vowels (iy ih eh ey ae aa aw ay ah ao
 * oy ow uh uw ux er ax ix axr ax-h) on loud ones. A right alignment gives
 * shares near 1 for both; labels shifted against the audio, or audio from
 * another utterance, give shares near 0.5 or below. Voiced closures and
 * quiet vowels (a reduced schwa) keep a good alignment below 1. */
#ifndef SP_ALIGNMENT_H
#define SP_ALIGNMENT_H

#include "corpus/timit.h"

#define SP_ALIGN_FRAME 160

typedef struct {
    long utterances;
    long silence_frames, silence_quiet; /* frames labelled silence; of them, quiet */
    long vowel_frames, vowel_loud;      /* frames labelled a vowel; of them, loud */
} sp_align_stats;

/* Add utterance u (audio and .PHN labels as loaded) to s. */
void sp_align_add(sp_align_stats *s, const sp_utt *u);

/* silence_quiet / silence_frames and vowel_loud / vowel_frames (0 when
 * there are no such frames). */
double sp_align_silence_share(const sp_align_stats *s);
double sp_align_vowel_share(const sp_align_stats *s);

#endif
