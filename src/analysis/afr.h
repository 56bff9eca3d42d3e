/* afr.h - frequency responses of a first layer's filters and their average
 * (AFR), as the afr probe (plugins/afr.c) and `sincprobe afr`
 * (cmd_afr.c) compute them; plot/afr_figures.h draws them. Self-contained
 * (FFTW single precision, libc): it is compiled into libsincprobe and
 * into the afr probe module, which must not link against sincprobe.
 *
 * For F filters of K taps h_c[k] (the layer's impulse responses, [F][K]):
 *     H_c(w_j) = sum_k h_c[k] e^{-i 2 pi j k / nfft},  j = 0 .. nfft/2
 * by an FFTW r2c transform of the taps zero-padded to nfft (K <= nfft;
 * a longer filter is refused: truncating it would change the response),
 * bin j at frequency j fs / nfft Hz, and
 *     AFR(w_j) = (1/F) sum_c |H_c(w_j)|.
 * The time origin is the first tap, so |H| is what it is for any delay.
 * Options: peak normalisation divides each |H_c| by its maximum over the
 * bins before averaging (a SincNet filter's pass-band gain is about
 * fs / (2 (f2 - f1)), so without it the narrow filters dominate); dB
 * reports 20 log10 of the magnitudes (responses, and the AFR after
 * averaging the linear magnitudes), floored at SP_AFR_DB_FLOOR.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_AFR_H
#define SP_AFR_H

#include <stddef.h>

#include "base/error.h"

#define SP_AFR_DB_FLOOR (-120.0)

typedef enum { SP_AFR_NORM_NONE = 0, SP_AFR_NORM_PEAK = 1 } sp_afr_norm;

typedef struct sp_afr sp_afr;

/* Bins of an nfft-point real transform: nfft/2 + 1. */
int sp_afr_bins(int nfft);

/* A calculator for filters of up to nfft taps: the FFTW plan is made here,
 * once (FFTW_ESTIMATE, so it is deterministic and quick). nfft: even,
 * 16 .. 1048576. NULL with err. */
sp_afr *sp_afr_new(int nfft, sp_error *err);
void sp_afr_free(sp_afr *a);
int sp_afr_nfft(const sp_afr *a);

/* taps [F][K] -> resp [F][bins] (|H|, normalised and in dB as asked; may
 * be NULL) and afr [bins]. -1 with err when K > nfft or K < 1. */
int sp_afr_compute(sp_afr *a, const float *taps, int F, int K, sp_afr_norm norm, int db, float *resp,
                   float *afr, sp_error *err);

/* freqs [bins]: j fs / nfft. */
void sp_afr_freqs(float *freqs, int nfft, double fs);

#endif
