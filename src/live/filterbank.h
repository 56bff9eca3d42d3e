/* filterbank.h - a model's first layer run on a stream, one hop at a time.
 *
 * The first layer's F filters (sinc taps from the learned cut-offs, or the
 * conv layer's taps; K taps each) are applied to the audio as it comes:
 * each hop of H new samples gives y_c[t] = b_c + sum_k h_c[k] x[t - K + 1 + k]
 * (the model's correlation, no kernel flip, on the K samples ending at t;
 * b_c: conv1's bias, 0 for sinc) for the H new t only (streaming: the
 * K - 1 samples before the hop are kept, the window is never recomputed),
 * as one GEMM [F][K] x [K][H] over the hop's im2col. The band energy of
 * filter c is the mean of y_c^2 over the latest window of W samples (W a
 * multiple of H; a running sum of per-hop energies, so a hop costs
 * O(F H K) whatever W; over the samples seen until W have come), in dB:
 *     E_c = 10 log10(mean y_c^2 + 1e-10).
 * Filters are reported in increasing order of centre frequency (order[]).
 * The model's input layer norm is not applied: it scales the whole chunk,
 * and the view is of the filters' outputs on the audio as heard. */
#ifndef SP_LIVE_FILTERBANK_H
#define SP_LIVE_FILTERBANK_H
#include "nn/model.h"
#include "base/error.h"

typedef struct sp_filterbank sp_filterbank;

/* From a loaded model: taps, centres and band edges of its first layer;
 * hop and window in samples at the model's rate (16 kHz). */
sp_filterbank *sp_filterbank_new(const sp_model *m, int hop, int window, sp_error *err);
void sp_filterbank_free(sp_filterbank *fb);
int sp_filterbank_size(const sp_filterbank *fb);   /* F */
int sp_filterbank_taps(const sp_filterbank *fb);   /* K */
/* centre_hz, low_hz, high_hz: [F] in display order (increasing centre);
 * any may be NULL. */
void sp_filterbank_bands(const sp_filterbank *fb, float *centre_hz, float *low_hz, float *high_hz);
/* Consumes exactly one hop (H samples) and writes energy_db[F] in display
 * order. Allocates nothing. */
void sp_filterbank_hop(sp_filterbank *fb, const float *x, float *energy_db);
/* Forgets the stream (zeros the history and the energies). */
void sp_filterbank_reset(sp_filterbank *fb);
/* order[F]: the model's filter index of each display position. */
void sp_filterbank_order(const sp_filterbank *fb, int *order);
/* The filters' responses on nfft/2 + 1 bins (analysis/afr.h):
 * freq_hz [bins], resp [F][bins] |H_c| peak-normalised in display order,
 * afr [bins] their mean, peak [F] each filter's max |H_c| over the bins
 * (its gain: a tone of amplitude A there gives y_c^2 a mean of
 * A^2 peak^2 / 2), display order; any may be NULL. -1 with err when
 * nfft < K or is not even. */
int sp_filterbank_response(const sp_filterbank *fb, int nfft, float *freq_hz, float *resp, float *afr,
                           float *peak, sp_error *err);
#endif
