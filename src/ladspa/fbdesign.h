/* fbdesign.h - the filter math shared by `sincprobe export-ladspa` and the
 * sincprobe LADSPA library: the model's sinc band-pass at any rate, the
 * magnitude-response summary of a filter (peak gain, -3 dB band), and the
 * bank filter (the normalised sum).
 *
 * Frequency grid. A filter's response is H(f) = sum_k h[k] e^{-2 pi i f k / fs},
 * evaluated at the bins f_j = j fs / N, j = 0 .. N/2, of an N-point FFT
 * with N the smallest power of two >= max(4096, 8 K) (sp_fbd_grid): at
 * least 8 bins per main-lobe width of a K-tap window, so the maximum over
 * the grid is within a fraction of a percent of the true maximum. The
 * file's peak gains are this maximum, so a reader (numpy) recomputes them
 * exactly: np.abs(np.fft.rfft(h, N)).max().
 *
 * The bank filter. With peak_c the peak gain of filter c, the bank is the
 * single K-tap filter
 *     b[k] = (1/C) sum_c h_c[k] / peak_c
 * each filter scaled to unit peak gain, then averaged. Its response is
 * B(f) = (1/C) sum_c H_c(f) / peak_c. For sinc filters every h_c is
 * symmetric about the same centre tap, H_c(f) = e^{-i w (K-1)/2} A_c(f)
 * with A_c real and positive in its pass-band, so wherever the pass-bands
 * dominate |B(f)| = (1/C) sum_c |H_c(f)| / peak_c: the AFR with each filter
 * normalised to its peak (what `sincprobe afr --normalise peak` computes);
 * in the stop-bands the side lobes, of either sign, partly cancel instead
 * of adding, so |B| <= that AFR there. For learned conv kernels the phases
 * differ between filters and the sum can cancel anywhere: |B| is then
 * bounded by the peak-normalised AFR but does not follow it. */
#ifndef SP_LADSPA_FBDESIGN_H
#define SP_LADSPA_FBDESIGN_H

#include "base/error.h"

/* The model's sinc band-pass (nn/layers.h): K odd, half = (K-1)/2,
 * t_k = (k - half) / fs,
 *     h[k] = w[k] (sin(2 pi f2 t_k) - sin(2 pi f1 t_k)) / (pi t_k) / (2 (f2 - f1))
 *     h[half] = 1,   w[k] = 0.54 - 0.46 cos(2 pi k / (K - 1)),
 * computed in double and rounded once, in the order sp_sinc_taps uses:
 * given the same cut-offs the two agree to the last bit or so (the file
 * keeps the cut-offs in float32, the model in double). */
void sp_fbd_sinc(float *h, int K, double fs, double f1, double f2);

/* The grid size N for K-tap filters (above). */
int sp_fbd_grid(int K);

/* For each of C filters of K taps (taps [C][K]) at rate fs: peak[c] the
 * maximum |H| over the grid; when f1 and f2 are not NULL, the -3 dB band
 * around the peak: from the peak bin outwards, the first bins whose
 * |H| < peak / sqrt(2), the crossing interpolated linearly between that
 * bin and the one before it; 0 (resp. fs/2) when |H| stays above the
 * threshold down to 0 Hz (up to fs/2). A filter with peak 0 gets
 * f1 = f2 = 0. Plans FFTs (not real-time safe). 0, or -1 with err (out of
 * memory). */
int sp_fbd_response(const float *taps, int C, int K, double fs, float *peak, float *f1, float *f2, sp_error *err);

/* The bank filter b[K] of C filters (above), summed in double. Filters
 * with peak 0 (nothing to hear) count in C but add nothing. */
void sp_fbd_bank(float *b, const float *taps, const float *peak, int C, int K);

/* Taps of a sinc filter redesigned for rate fs_to from a K-tap one at
 * fs_from: the same duration, round(K fs_to / fs_from) made odd (at
 * least 3). */
int sp_fbd_redesign_taps(int K, double fs_from, double fs_to);

#endif
