/* resample.h - the one resampling path of sincprobe: every change of
 * sample rate (audio files read by `decode`, eSpeak's output in `corpus
 * synth`, the noise probe's noise file, the reverb probe's RIR files, the
 * speed probe's perturbation) goes through sp_resample.
 *
 * One quality: libsamplerate's SRC_SINC_BEST_QUALITY, band-limited sinc
 * interpolation with (by its documentation) a worst-case SNR of 97 dB
 * over 97% of the band. Speed does not matter here (each file is
 * converted once, before training or decoding), and the synthetic corpus
 * stays byte-identical for a seed only while this converter does.
 *
 * It lives in analysis/ rather than corpus/ because the noise probe,
 * which does not link against libsincprobe, compiles it in. */
#ifndef SP_RESAMPLE_H
#define SP_RESAMPLE_H

#include <stddef.h>

#include "base/error.h"

/* Convert in[n] (mono) from from_hz to to_hz in one pass (the whole
 * signal, end of input: src_simple), about n * to_hz / from_hz samples.
 * Equal rates give a copy. *out is malloc'd (never NULL on success, even
 * for n = 0) and holds *nout samples; the caller frees it. Returns 0, or
 * -1 with err (base/error.h: libsamplerate's reason, or out of memory)
 * and *out NULL. */
int sp_resample(const float *in, long n, int from_hz, int to_hz, float **out, long *nout, sp_error *err);
/* The same with the ratio of output to input rates given (to_hz / from_hz;
 * libsamplerate takes 1/256 to 256): the speed probe's speed
 * perturbation, y(m) = x(m / ratio), output sample m taken at input time
 * m / ratio. A ratio of exactly 1 gives a copy. */
int sp_resample_ratio(const float *in, long n, double ratio, float **out, long *nout, sp_error *err);

#endif
