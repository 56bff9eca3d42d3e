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

/* ---- where the filters sit, and how far they moved
 *
 * A sinc filter's centre is (f1 + f2) / 2 and its bandwidth f2 - f1 (its
 * cut-offs, in Hz). A free-form (conv) filter has no cut-offs; its centre
 * and bandwidth come from its magnitude response |H| (linear, not
 * normalised: a scale does not change them), weighting each bin j by its
 * power p_j = |H(w_j)|^2:
 *     centre = sum_j f_j p_j / sum_j p_j                 spectral centroid
 *     band   = sqrt(12) sqrt(sum_j (f_j - centre)^2 p_j / sum_j p_j)
 * the RMS bandwidth, scaled by sqrt(12) so that an ideal band-pass
 * [f1, f2] (flat in its band, 0 outside) gets centre (f1 + f2) / 2 and
 * band f2 - f1, as a sinc filter does: the two definitions agree on the
 * ideal filter they both describe. f_j = j fs / nfft, j = 0 .. bins-1.
 * A filter with no energy (all p_j = 0) gets NaN for both. */

/* mag [F][bins] (linear |H|) -> centre [F], band [F] in Hz. */
void sp_afr_bands(const float *mag, int F, int bins, double fs, double *centre, double *band);

/* The movement between two states a and b of F filters:
 *     out[0] = mean_c |centre_b - centre_a|   out[1] = max_c |...|
 *     out[2] = mean_c |band_b - band_a|       out[3] = max_c |...|
 * A NaN in either state makes the four NaN (the movement is unknown). */
void sp_afr_movement(const double *centre_a, const double *band_a, const double *centre_b, const double *band_b,
                     int F, double out[4]);

/* ---- marked bands: frequency ranges drawn over the figures (the bands
 * a noise probe corrupted, say); the afr probe's mark option and
 * `sincprobe afr --mark`.
 *
 * s: a comma list of f_lo-f_hi in Hz ("1200-1600,1800-2100"; spaces
 * around an item are ignored), each 0 <= f_lo < f_hi <= fs/2, in
 * increasing order, each starting above the end of the one before (as
 * the noise probe's band option: a list that is not what it looks like
 * is likelier a typo than a wish). The pairs go to lohi[2 max]; returns
 * their count, or -1 with err (the caller prefixes the option's name)
 * when s is empty, malformed or has more than max items. */
int sp_afr_parse_marks(const char *s, double fs, double *lohi, int max, sp_error *err);

#endif
