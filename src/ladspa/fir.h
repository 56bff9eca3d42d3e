/* fir.h - a real-time FIR filter for the sincprobe LADSPA plugins: one
 * K-tap filter on a mono stream, fed any number of samples at a time.
 *
 * What it computes. The taps h[K] are taken as the model applies them, a
 * correlation (fbfile.h); on a stream that is the causal filter
 *     y[n] = sum_k h[k] x[n - (K-1) + k]
 * i.e. the convolution of x with h reversed, x before the stream started
 * being 0. The model's output at a position is centred on it (its
 * window spans K-1 samples, half = (K-1)/2 either side), so against the
 * input y lags by half samples, plus what the path below adds: the
 * `latency` a host compensates is sp_fir_latency(), and after shifting
 * the output that many samples earlier the host has
 *     y'[n] = sum_k h[k] x[n - half + k]
 * the model's correlation centred on n.
 *
 * Two paths, with the same result to float rounding:
 * - direct: the sum above per sample, 8 outputs at a time (vectorised);
 *   ~K multiply-adds per sample; adds no latency: latency = half.
 * - FFT, overlap-save: blocks of L = N - K + 1 samples, N the smallest
 *   power of two >= 4 K (at least 256), each block one real FFT of the
 *   last N inputs, a product with the spectrum of h reversed, and one
 *   inverse FFT, whose last L samples are y for the block; ~(2 N log2 N +
 *   3 N) flops per L samples, a few times fewer than direct for K of a
 *   hundred or more. The outputs of a block are ready when its last input
 *   has arrived, so it adds one block: latency = half + L.
 * SP_FIR_AUTO takes direct below SP_FIR_FFT_MIN_TAPS taps, FFT from there.
 * Measured on one core of a Xeon (AVX-512, code built for SSE2): the two
 * cost the same at ~33 taps, FFT is 2x faster at 65, 6x at 251 (sincnet),
 * and both run thousands of times faster than real time at 16 kHz; below
 * 64 taps the direct path is kept for its lower latency.
 *
 * Real-time rule. sp_fir_new allocates and plans (FFTW planning is not
 * real-time safe and not thread safe: it runs under sp_fir_plan_lock);
 * sp_fir_run, sp_fir_set_taps and sp_fir_reset allocate nothing, take no
 * lock and make no system call. sp_fir_run flushes denormals to zero
 * while it runs (SSE's FTZ and DAZ, restored on return), so silence after
 * sound does not slow the FFT down. */
#ifndef SP_LADSPA_FIR_H
#define SP_LADSPA_FIR_H

#include "base/error.h"

typedef enum { SP_FIR_AUTO, SP_FIR_DIRECT, SP_FIR_FFT } sp_fir_path;

#define SP_FIR_FFT_MIN_TAPS 64

typedef struct sp_fir sp_fir;

/* A filter of K taps (1 .. 65535) on path (AUTO resolves by K), taps all
 * zero until sp_fir_set_taps. NULL with err when out of memory. */
sp_fir *sp_fir_new(int K, sp_fir_path path, sp_error *err);
void sp_fir_free(sp_fir *f);

/* Use the K taps h from the next sample on (the history is kept: a change
 * of filter takes effect at once on the direct path and at the next
 * block's computation on the FFT path). Real-time safe: the FFT path
 * transforms h with a plan made in sp_fir_new. */
void sp_fir_set_taps(sp_fir *f, const float *h);
/* Forget the stream: history and pending output become zeros. */
void sp_fir_reset(sp_fir *f);
/* Filter n samples of in into out; in == out is allowed. */
void sp_fir_run(sp_fir *f, const float *in, float *out, unsigned long n);

/* The path taken (never AUTO), the block L (0 for direct), and the
 * latency in samples: (K-1)/2, plus L on the FFT path. */
sp_fir_path sp_fir_path_of(const sp_fir *f);
int sp_fir_block(const sp_fir *f);
int sp_fir_latency(const sp_fir *f);

/* The lock around FFTW's planner (plans are made and destroyed only
 * under it): the plugins' instances may be created in several threads. */
void sp_fir_plan_lock(void);
void sp_fir_plan_unlock(void);

#endif
