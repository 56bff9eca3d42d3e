/* audio.h - any audio file libsndfile reads, as 16 kHz mono int16:
 * channels averaged (with a notice through base/log.h), resampled by
 * sp_resample (analysis/resample.h) when the rate differs. */
#ifndef SP_AUDIO_H
#define SP_AUDIO_H

#include <stdint.h>
#include "base/error.h"

/* *out malloc'd, *n samples at 16 kHz. Returns 0, or -1 with err, in
 * plain words (sp_audio_precheck, sp_audio_open_failed). */
int sp_audio_load_16k(const char *path, int16_t **out, long *n, sp_error *err);
/* The same, also giving the file's own sample rate and its length in its
 * own samples (what sample positions in a transcription of the file
 * count); either may be NULL. */
int sp_audio_load_16k_native(const char *path, int16_t **out, long *n, int *rate, long *native_n, sp_error *err);

/* Before sf_open: 0 when path may be audio, else -1 with err saying why
 * not: "'x' does not exist", "'x' is a directory, not an audio file",
 * "'x' is empty (0 bytes), not an audio file", or, for a name ending .mp3,
 * .mp2 or .mpga whose first bytes are neither an ID3 tag nor an MPEG frame
 * sync, "'x' is not an audio file" (libsndfile hands such names to
 * libmpg123, which prints its own notes on stderr while it searches). */
int sp_audio_precheck(const char *path, sp_error *err);

/* The error after sf_open(path) failed, from sf_error(NULL): "'x' is a
 * damaged audio file (LIBSNDFILE'S REASON)" for a file in a known format
 * that does not parse, else "'x' is not an audio file (...the formats
 * libsndfile reads)". Returns -1. */
int sp_audio_open_failed(const char *path, sp_error *err);

#endif
