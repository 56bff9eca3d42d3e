/* audio.h - any audio file libsndfile reads, as 16 kHz mono int16:
 * channels averaged (with a notice through base/log.h), resampled by
 * sp_resample (analysis/resample.h) when the rate differs. */
#ifndef SP_AUDIO_H
#define SP_AUDIO_H

#include <stdint.h>
#include "base/error.h"

/* *out malloc'd, *n samples at 16 kHz. Returns 0, or -1 with err. */
int sp_audio_load_16k(const char *path, int16_t **out, long *n, sp_error *err);

#endif
