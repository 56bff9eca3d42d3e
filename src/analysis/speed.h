/* speed.h - speed perturbation as Kaldi's recipes do it (sox's `speed`
 * effect): an utterance played `factor` times faster, shorter by that
 * factor and with every frequency (pitch, formants) raised by it.
 *
 * With x the utterance at fs and a the factor, the perturbed utterance is
 *
 *     y(m) = x(a m),   m = 0 .. round(n / a) - 1,
 *
 * band-limited resampling (libsamplerate, analysis/resample.h) of x by
 * the rate ratio 1 / a: x is read as if it had been sampled at a fs and
 * converted to fs. A tone at f becomes one at a f; an instant at sample s
 * of x is at sample s / a of y (libsamplerate's output sample 0 is input
 * time 0; tests/test_augment.c checks clicks land there).
 *
 * Labels: a chunk of T samples starting at `start` is centred on
 * c = start + T/2 (for training chunks, c = 160 f + 80, the centre of
 * the frame f whose label the chunk carries). The same phone instant is
 * at c / a in y, so the perturbed chunk starts at
 *
 *     start' = round(c / a) - T/2
 *
 * and its centre frame's label is the original chunk's, unchanged, to
 * half a sample (31 us at 16 kHz). Nothing else is rescaled: labels are
 * per chunk, not per perturbed frame. */
#ifndef SP_SPEED_H
#define SP_SPEED_H

#include "base/error.h"

/* y = x played factor times faster (see above), *y malloc'd with *ny
 * samples; factor 1 gives a copy. Returns 0, or -1 with err. */
int sp_speed_perturb(const float *x, long n, double factor, float **y, long *ny, sp_error *err);

/* The start in the perturbed utterance of the chunk centred on the same
 * instant as the T-sample chunk starting at start in the original. */
long sp_speed_chunk_start(long start, int T, double factor);

#endif
