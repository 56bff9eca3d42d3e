/* layers.h - the model's layers as forward/backward function pairs over
 * flat float buffers (the llm.c style). This is the numerical core only: no
 * model struct, no optimizer, no allocation. The model (another file) owns
 * every buffer and wires the layers together.
 *
 * Conventions, for every layer here:
 *
 * - Dimension letters: B batch, C channels (Cin, Cout), T samples / time
 *   steps of the input, K kernel taps, F sinc filters, P pool width,
 *   D features (dense and batch norm), V classes, N a flat element count.
 *   Shapes are written row-major, outermost first: [B][C][T] means
 *   x[(b*C + c)*T + t].
 * - xxx_forward(out, cache..., in..., params..., sizes) writes `out` (and
 *   the caches backward needs); it never reads `out` first.
 * - xxx_backward(dinp, dparams..., dout, cache..., in..., params..., sizes)
 *   ADDS into dinp and every parameter gradient (so one zero_grad clears a
 *   whole model and a layer used twice accumulates). A NULL dinp skips the
 *   input gradient where that is documented as allowed.
 * - Buffers never alias unless a function says so.
 * - No function allocates memory, locks, or keeps state between calls.
 *   Layers that need scratch memory (the convolutions) take a `ws` buffer
 *   of at least xxx_workspace(...) floats; its contents are garbage on
 *   return and need not survive between forward and backward.
 * - Nothing here reports errors: sizes are the caller's contract (all > 0,
 *   T >= K, ...), stated beside each function. The BLAS calls go through
 *   OpenBLAS (cblas_sgemm); its thread count is the caller's business.
 *
 * Semantics follow the PyTorch reference model in bench/torch_sincnet.py
 * (SincConv, RefLayerNorm, nn.Conv1d, F.max_pool1d, nn.BatchNorm1d with
 * momentum 0.05, nn.Linear, F.log_softmax + F.nll_loss). */
#ifndef SP_LAYERS_H
#define SP_LAYERS_H

#include <stddef.h>

#include "base/rng.h"

/* ------------------------------------------------------------------------
 * sinc filterbank (layer_sinc.c): the SincNet first layer.
 *
 * Two names for two things, kept apart everywhere:
 * - the learnable parameters per filter f, low_p[f] and band_p[f], of any
 *   sign and not cut-offs themselves, in units of c = param_scale Hz:
 *   c = 1, Hz (SincNet's low_hz_ and band_hz_; [model] sinc_param = hz),
 *   or c = fs, fractions of the sample rate (the 2018 SincNet and
 *   pytorch-kaldi's filt_b1 and filt_band; sinc_param = normalised). The
 *   probe ABI calls them "low_hz" and "band_hz" and shows them in Hz.
 *   Why it matters: an optimiser step of the same size (RMSprop's is ~lr
 *   whatever the gradient's scale) moves a cut-off c times as far;
 * - the effective cut-offs f1[f] (low) and f2[f] (high), in Hz, what the
 *   filter passes (sp_sinc_cutoffs; cutoffs.tsv's low_hz and high_hz):
 *     f1 = min(min_low_hz + |c low_p|, fs/2 - min_band_hz)
 *     f2 = clamp(f1 + min_band_hz + |c band_p|, min_low_hz, fs/2)
 * and the K taps (K odd, half = (K-1)/2, t_k = (k - half)/fs seconds) are
 *     h[k] = w[k] * (sin(2 pi f2 t_k) - sin(2 pi f1 t_k)) / (pi t_k)
 *                 / (2 (f2 - f1))                          k != half
 *     h[half] = 1
 * with the symmetric Hamming window w[k] = 0.54 - 0.46 cos(2 pi k/(K-1)):
 * a windowed difference of two ideal low-passes divided by its peak value
 * 2 (f2 - f1), so the centre tap is 1 and the pass-band gain is about
 * fs / (2 (f2 - f1)). This is SincConv.filters() of torch_sincnet.py,
 * computed in double and rounded once (the same function, more accurate
 * than the reference's float32 sines of arguments up to ~400 rad); only
 * the clamp's gradient mask is decided in float32 like the reference,
 * because the mel initialisation puts the top filter's f1 + min_band +
 * |band_p| exactly on fs/2 in float32, i.e. on the clamp's kink (torch, and
 * so this code, passes the gradient there).
 * The cap of f1 at fs/2 - min_band_hz is not in the reference, where once
 * f1 reaches fs/2, f2 - f1 <= 0 and the taps are inf/nan: here the band
 * stays at least min_band_hz wide, and a capped filter's gradients are 0
 * (as beyond a clamp). Hz-valued parameters never get there in practice
 * (the top filter starts hundreds of Hz below and moves ~lr Hz per step);
 * normalised ones move ~fs lr per step and can.
 *
 * The layer then correlates every filter with the input (PyTorch conv1d,
 * no kernel flip, valid positions only):
 *     out[b][f][t] = sum_k h[f][k] inp[b][t + k],   t < T - K + 1
 * ---------------------------------------------------------------------- */
typedef struct {
    int F;             /* number of filters */
    int K;             /* taps per filter; odd */
    float fs;          /* sample rate in Hz */
    float min_low_hz;  /* floor of f1; 50 in SincNet (SP_DEFAULT_MIN_LOW_HZ) */
    float min_band_hz; /* floor of f2 - f1; 50 in SincNet (SP_DEFAULT_MIN_BAND_HZ) */
    float param_scale; /* c: Hz per unit of low_p, band_p; 1 (Hz) or fs (normalised) */
} sp_sinc_spec;

/* A spec with SincNet's minimum low cut-off and bandwidth
 * (SP_DEFAULT_MIN_LOW_HZ, SP_DEFAULT_MIN_BAND_HZ of base/conf.h: 50 Hz
 * each) and Hz-valued parameters (param_scale 1). */
sp_sinc_spec sp_sinc_spec_make(int F, int K, float fs);

/* Mel-spaced initialisation, as SincConv.__init__: F+1 edges equally spaced
 * on the mel scale (2595 log10(1 + f/700)) from 30 Hz to
 * fs/2 - (min_low_hz + min_band_hz); low_p[f] = edge[f] / c,
 * band_p[f] = (edge[f+1] - edge[f]) / c (edges rounded to float first, as
 * the reference does; c = param_scale). low_p, band_p: [F]. */
void sp_sinc_init(float *low_p, float *band_p, const sp_sinc_spec *s);

/* The effective cut-offs f1[f], f2[f] in Hz (as above); for probes and
 * export. Either output may be NULL. */
void sp_sinc_cutoffs(float *f1, float *f2, const float *low_p, const float *band_p,
                     const sp_sinc_spec *s);

/* taps: [F][K] <- h as above. Exactly symmetric: h[K-1-k] == h[k]. */
void sp_sinc_taps(float *taps, const float *low_p, const float *band_p, const sp_sinc_spec *s);

/* Chain rule from a taps gradient to the parameters (c = param_scale):
 *     dlow_p[f]  += c sign(low_p[f])  * (dL/df1 + m dL/df2)   (0 if f1 is capped)
 *     dband_p[f] += c sign(band_p[f]) * m dL/df2
 * where m = 1 when min_low_hz <= f1 + min_band_hz + |c band_p| <= fs/2
 * (the clamp passes the gradient, as torch.clamp does at its edges too)
 * and 0 otherwise, sign(0) = 0 (as torch.abs), and for k != half
 *     dh[k]/df2 = ( w[k] cos(2 pi f2 t_k) - h[k]) / (f2 - f1)
 *     dh[k]/df1 = (-w[k] cos(2 pi f1 t_k) + h[k]) / (f2 - f1)
 * (the centre tap is constant). dtaps: [F][K]. */
void sp_sinc_taps_backward(float *dlow_p, float *dband_p, const float *dtaps,
                           const float *low_p, const float *band_p, const sp_sinc_spec *s);

/* Floats of workspace sp_sinc_forward and sp_sinc_backward need for a
 * batch of B inputs of T samples (T >= K). */
size_t sp_sinc_workspace(const sp_sinc_spec *s, int B, int T);

/* out: [B][F][T-K+1]; taps: [F][K], written (the cache backward reads, and
 * what probes show); ws: sp_sinc_workspace floats; inp: [B][T]. */
void sp_sinc_forward(float *out, float *taps, float *ws, const float *inp,
                     const float *low_p, const float *band_p, const sp_sinc_spec *s,
                     int B, int T);

/* dinp: [B][T] or NULL (the first layer needs no input gradient);
 * dlow_p, dband_p: [F], added into; dout: [B][F][T-K+1]; taps: as left
 * by sp_sinc_forward for the same parameters. */
void sp_sinc_backward(float *dinp, float *dlow_p, float *dband_p, float *ws,
                      const float *dout, const float *inp, const float *taps,
                      const float *low_p, const float *band_p, const sp_sinc_spec *s,
                      int B, int T);

/* The sinc layer followed by |.| and max-pool of width P
 * (sp_absmaxpool_*), fused: on the FFT path each output row is pooled
 * while in cache, and backward builds each row of the sinc output's
 * gradient from the pool's gradient instead of reading a stored one. The
 * results are those of the two layers one after the other.
 * Forward writes out [B][F][T'] (kept: probes may look at it), taps,
 * pool_out and argmax [B][F][T'/P]. Backward reads pool_dout, argmax and
 * out as the forward left them; dout [B][F][T'] is scratch (the unfused
 * GEMM path stores the sinc output's gradient there); the rest as
 * sp_sinc_backward. */
void sp_sinc_absmaxpool_forward(float *out, float *pool_out, int *argmax, int P, float *taps,
                                float *ws, const float *inp, const float *low_p,
                                const float *band_p, const sp_sinc_spec *s, int B, int T);
void sp_sinc_absmaxpool_backward(float *dinp, float *dlow_p, float *dband_p, float *ws,
                                 float *dout, const float *pool_dout, const int *argmax, int P,
                                 const float *out, const float *inp, const float *taps,
                                 const float *low_p, const float *band_p,
                                 const sp_sinc_spec *s, int B, int T);

/* ------------------------------------------------------------------------
 * conv1d (layer_conv.c): nn.Conv1d(Cin, Cout, K), stride 1, no padding;
 * also the free-form first layer (Cin = 1).
 *     out[b][o][t] = bias[o] + sum_{c,k} w[o][c][k] inp[b][c][t + k]
 * with t < T' = T - K + 1. Implemented as im2col + cblas_sgemm over chunks
 * of examples (sp_gemm_chunk), the chunks shared among up to 4 OpenMP
 * threads (as many as openblas_get_num_threads() says), each with
 * single-threaded BLAS (the OpenBLAS thread count is set to 1 around the
 * parallel region and restored). The weight gradient is summed per chunk
 * and the chunks added in order, so the results do not depend on the
 * thread count.
 * ---------------------------------------------------------------------- */

/* Floats of workspace forward and backward need (T >= K). */
size_t sp_conv1d_workspace(int B, int Cin, int Cout, int T, int K);

/* The convolutions multiply chunks of examples side by side, about
 * SP_GEMM_COLUMNS output columns per GEMM: wide enough for OpenBLAS to run
 * near its peak and to share among threads. Examples per chunk for T'
 * output steps and a batch of B. */
#define SP_GEMM_COLUMNS 8192

/* Element-wise and row-wise layers split their work over OpenMP threads
 * (omp_set_num_threads, the [train] threads key) when a call touches more
 * than SP_OMP_MIN elements; each output element is computed by one thread
 * in a fixed order, so results do not depend on the thread count. */
#define SP_OMP_MIN 65536
int sp_gemm_chunk(int Tout, int B);

/* out: [B][Cout][T']; inp: [B][Cin][T]; w: [Cout][Cin][K];
 * bias: [Cout] or NULL (no bias). */
void sp_conv1d_forward(float *out, float *ws, const float *inp, const float *w,
                       const float *bias, int B, int Cin, int Cout, int T, int K);
/* The same, followed by the max-pool of width P (sp_maxpool_forward) of
 * each output row while it is in cache: pool_out [B][Cout][T'/P] and
 * argmax as sp_maxpool_forward's, out still written. */
void sp_conv1d_maxpool_forward(float *out, float *pool_out, int *argmax, int P, float *ws,
                               const float *inp, const float *w, const float *bias, int B,
                               int Cin, int Cout, int T, int K);

/*     dw[o][c][k] += sum_{b,t} dout[b][o][t] inp[b][c][t + k]
 *     dbias[o]    += sum_{b,t} dout[b][o][t]
 *     dinp[b][c][t + k] += sum_o w[o][c][k] dout[b][o][t]
 * dinp and dbias may be NULL (skipped). */
void sp_conv1d_backward(float *dinp, float *dw, float *dbias, float *ws, const float *dout,
                        const float *inp, const float *w, int B, int Cin, int Cout, int T,
                        int K);

/* The same two functions as plain loops (double accumulation, no
 * workspace): the slow reference the tests compare the fast ones against. */
void sp_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *bias,
                             int B, int Cin, int Cout, int T, int K);
void sp_conv1d_backward_naive(float *dinp, float *dw, float *dbias, const float *dout,
                              const float *inp, const float *w, int B, int Cin, int Cout,
                              int T, int K);

/* ------------------------------------------------------------------------
 * element-wise: abs and activations (layer_act.c)
 * ---------------------------------------------------------------------- */

/* out = |inp|; dinp += sign(inp) dout (sign(0) = 0, as torch.abs).
 * Not in place: backward needs the sign of inp. N elements. */
void sp_abs_forward(float *out, const float *inp, size_t N);
void sp_abs_backward(float *dinp, const float *dout, const float *inp, size_t N);

typedef enum {
    SP_ACT_LINEAR,     /* y = x */
    SP_ACT_RELU,       /* y = max(x, 0) */
    SP_ACT_LEAKY_RELU, /* y = x > 0 ? x : 0.2 x (SP_LEAKY_SLOPE) */
    SP_ACT_TANH,       /* y = tanh x */
    SP_ACT_SIGMOID     /* y = 1 / (1 + exp(-x)) */
} sp_act_kind;

#define SP_LEAKY_SLOPE 0.2f

/* Name <-> kind: "linear", "relu", "leaky_relu", "tanh", "sigmoid".
 * sp_act_parse returns -1 for an unknown name; sp_act_name returns NULL
 * for an unknown kind. */
int sp_act_parse(const char *name);
const char *sp_act_name(sp_act_kind kind);

/* out = act(inp), N elements; may run in place (out == inp). */
void sp_act_forward(float *out, const float *inp, size_t N, sp_act_kind kind);
/* dinp += act'(x) dout, with act' written in terms of the forward OUTPUT
 * (so in-place forward is fine): relu 1[y > 0], leaky 1 or 0.2 by
 * y > 0, tanh 1 - y^2, sigmoid y (1 - y), linear 1. At x = 0 relu and
 * leaky_relu take the x <= 0 branch, as PyTorch. */
void sp_act_backward(float *dinp, const float *dout, const float *out, size_t N,
                     sp_act_kind kind);
/* Single-threaded versions, for fused layers that call them on rows from
 * their own threads (no nested OpenMP region per row); the second WRITES
 * dinp = act'(x) dout (the buffer need not be cleared). */
void sp_act_forward_serial(float *out, const float *inp, size_t N, sp_act_kind kind);
void sp_act_backward_write_serial(float *dinp, const float *dout, const float *out, size_t N,
                                  sp_act_kind kind);

/* ------------------------------------------------------------------------
 * max-pool (layer_pool.c): F.max_pool1d(x, P), non-overlapping windows
 * along the last axis; T/P (floor) outputs per row, a remainder is dropped.
 *     out[r][j] = max_{0 <= i < P} inp[r][j P + i]
 * R rows (B*C). argmax[r][j] caches the index (within the row, 0..T-1) of
 * the first maximum (PyTorch picks the first too; a NaN wins).
 * ---------------------------------------------------------------------- */
void sp_maxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P);
/* One row of it (T inputs, T/P outputs). */
void sp_maxpool_forward_row(float *out, int *argmax, const float *x, int T, int P);
/* dinp[r][argmax[r][j]] += dout[r][j]. dinp: [R][T]. */
void sp_maxpool_backward(float *dinp, const float *dout, const int *argmax, int R, int T, int P);
/* The same, but WRITING dinp: zero everywhere but the arg-max positions
 * (so the caller need not clear it). */
void sp_maxpool_backward_write(float *dinp, const float *dout, const int *argmax, int R, int T, int P);

/* |.| then max-pool, fused (the sinc layer's |.| never stored):
 *     out[r][j] = max_i |inp[r][j P + i]|, argmax as sp_maxpool_forward.
 * Backward WRITES dinp: sign(inp) dout at the arg-max positions, zero
 * elsewhere (sign(0) = 0). Equal to sp_abs_* followed by sp_maxpool_*. */
void sp_absmaxpool_forward(float *out, int *argmax, const float *inp, int R, int T, int P);
void sp_absmaxpool_backward(float *dinp, const float *dout, const int *argmax, const float *inp,
                            int R, int T, int P);
/* The same two on one row, single-threaded (for the fused sinc layer). */
void sp_absmaxpool_forward_row(float *out, int *argmax, const float *inp, int T, int P);
void sp_absmaxpool_backward_row(float *dinp, const float *dout, const int *argmax,
                                const float *inp, int T, int P);

/* ------------------------------------------------------------------------
 * layer norm as the reference's RefLayerNorm (layer_layernorm.c).
 * Input [B][G][N]: statistics per (b, g) row over the last axis N (N >= 2);
 * gain and bias have the full per-example shape [G][N]:
 *     mu = mean_n x,  sd = sqrt(sum_n (x - mu)^2 / (N - 1))   (UNBIASED)
 *     xhat = (x - mu) / (sd + eps)                            (eps on sd)
 *     y = gamma[g][n] xhat + beta[g][n]
 * (SincNet's layers use eps = 1e-6: SP_LAYERNORM_EPS.) The input norm is
 * G = 1, N = T; after a conv block G = C, N = T; before the dense layers
 * G = 1, N = C*T (the flattened map).
 * ---------------------------------------------------------------------- */
#define SP_LAYERNORM_EPS 1e-6f

/* mean, sd: [B][G], written (the cache). gamma, beta: [G][N]. */
void sp_layernorm_forward(float *out, float *mean, float *sd, const float *inp,
                          const float *gamma, const float *beta, int B, int G, int N, float eps);
/* With g = dout gamma, r = 1/(sd + eps):
 *     dx = r (g - mean_n g) - xhat sum_n(g xhat) / ((N - 1) sd)
 * (second term 0 when sd = 0), dgamma += sum_b dout xhat,
 * dbeta += sum_b dout. dinp may be NULL. */
void sp_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *mean, const float *sd,
                           const float *gamma, int B, int G, int N, float eps);

/* Layer norm followed by an activation, fused (each row normalised and
 * activated while in cache): forward writes both the norm's output `out`
 * and act_out = act(out), equal to sp_layernorm_forward then
 * sp_act_forward. Backward takes the gradient dact of act_out, WRITES
 * dout = act'(act_out) dact (the norm's output gradient, as
 * sp_act_backward into a cleared buffer would) and goes on as
 * sp_layernorm_backward. */
void sp_layernorm_act_forward(float *out, float *act_out, float *mean, float *sd,
                              const float *inp, const float *gamma, const float *beta, int B,
                              int G, int N, float eps, sp_act_kind kind);
void sp_layernorm_act_backward(float *dinp, float *dgamma, float *dbeta, float *dout,
                               const float *dact, const float *act_out, const float *inp,
                               const float *mean, const float *sd, const float *gamma, int B,
                               int G, int N, float eps, sp_act_kind kind);

/* ------------------------------------------------------------------------
 * batch norm (layer_batchnorm.c): nn.BatchNorm1d(D, momentum=0.05) on [B][D].
 * Training: per feature, batch statistics (biased variance)
 *     mu = mean_b x,  var = mean_b (x - mu)^2,  r = 1/sqrt(var + eps)
 *     y = gamma (x - mu) r + beta
 * and the running statistics move (unbiased variance, B >= 2):
 *     running_mean = (1 - m) running_mean + m mu
 *     running_var  = (1 - m) running_var  + m var B/(B - 1)
 * Eval: mu, var are the running statistics, which stay unchanged.
 * Fresh running statistics are mean 0, var 1.
 * ---------------------------------------------------------------------- */
#define SP_BATCHNORM_EPS 1e-5f
#define SP_BATCHNORM_MOMENTUM 0.05f

/* mean, rstd: [D], written (the cache: the statistics used, and r).
 * running_mean, running_var: [D], updated when training. */
void sp_batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean,
                          float *running_var, const float *inp, const float *gamma,
                          const float *beta, int B, int D, float momentum, float eps,
                          int training);
/* training (statistics depend on the batch), with g = dout gamma:
 *     dx = r (g - mean_b g - xhat mean_b(g xhat))
 * eval (constant statistics): dx = r g. Both: dgamma += sum_b dout xhat,
 * dbeta += sum_b dout. `training` must match the forward call. dinp may
 * be NULL. */
void sp_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *mean, const float *rstd,
                           const float *gamma, int B, int D, int training);

/* ------------------------------------------------------------------------
 * dropout (layer_dropout.c), inverted: when training, each element is kept
 * with probability 1 - p and scaled by 1/(1 - p):
 *     mask = u >= p ? 1/(1 - p) : 0  (u uniform [0,1) from rng, one per
 *     element in order),  out = inp mask
 * Eval, or p <= 0: out = inp, mask = 1, rng untouched. p >= 1: all zero.
 * May run in place (out == inp). mask: [N] floats, the cache.
 * ---------------------------------------------------------------------- */
void sp_dropout_forward(float *out, float *mask, const float *inp, size_t N, float p,
                        sp_rng *rng, int training);
/* dinp += mask dout. */
void sp_dropout_backward(float *dinp, const float *dout, const float *mask, size_t N);

/* ------------------------------------------------------------------------
 * dense (layer_dense.c): nn.Linear(Din, Dout), through cblas_sgemm.
 *     out[b][o] = bias[o] + sum_i inp[b][i] w[o][i]
 * ---------------------------------------------------------------------- */

/* out: [B][Dout]; inp: [B][Din]; w: [Dout][Din]; bias: [Dout] or NULL. */
void sp_dense_forward(float *out, const float *inp, const float *w, const float *bias, int B,
                      int Din, int Dout);
/* dw += dout^T inp, dbias += sum_b dout, dinp += dout w.
 * dinp and dbias may be NULL. */
void sp_dense_backward(float *dinp, float *dw, float *dbias, const float *dout,
                       const float *inp, const float *w, int B, int Din, int Dout);

/* PyTorch's default initialisation of nn.Linear and nn.Conv1d weights and
 * biases: uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)] (fan_in = Din, or
 * Cin*K for a conv). N elements drawn in order from rng. */
void sp_init_uniform_fan_in(float *x, size_t N, int fan_in, sp_rng *rng);

/* ------------------------------------------------------------------------
 * inference-only kernels (sp_model_infer). At inference a conv block's
 * max-pool, layer norm and activation only feed the next layer, so they run
 * on each output row of the block's filtering while the row is in cache and
 * only the activation is stored: no full-resolution map, no arg-max, no
 * statistics (what backward needs). The pooled values, the norm and the
 * activation are those of the separate layers bit for bit (given the same
 * filter outputs); the filtering itself may round differently (it says so).
 * ---------------------------------------------------------------------- */

/* What follows a block's filtering, per row of T' samples of channel c:
 *     p[j] = max_{0 <= i < P} v[j P + i]      v = |x| when abs_, else x
 *     out  = act(gamma[c] phat + beta[c])     the layer norm of p over its
 *                                              T'/P values (layers.h), or
 *     out  = act(p)                           when gamma is NULL
 * with NaN winning the max as in sp_maxpool_forward. */
typedef struct {
    int P;                     /* pool width */
    int abs_;                  /* |.| before the pool (after the sinc layer) */
    const float *gamma, *beta; /* [C][T'/P] layer norm gain and bias, or NULL */
    float eps;                 /* the layer norm's (SP_LAYERNORM_EPS) */
    sp_act_kind act;
} sp_block_tail;

/* One row: out [T/P] from x [T] of channel c as above, with `bias` added
 * to x first (a conv's bias; 0 when abs_). The bias is added after the
 * pool, which is exact: rounding is monotone, so max_i fl(x_i + b) =
 * fl(max_i x_i + b). x is not changed; out may not overlap it. */
void sp_block_tail_row(float *out, const float *x, float bias, int T, int c, const sp_block_tail *t);

/* Layer norm then activation of one row in place (x [N] <- act(gamma xhat
 * + beta)), the values of sp_layernorm_act_forward's act_out; no
 * statistics kept. */
void sp_layernorm_act_row(float *x, const float *gamma, const float *beta, int N, float eps,
                          sp_act_kind kind);

/* The sinc layer and its tail (abs_ must be set): out [B][F][T'/P] from
 * inp [B][T] and the taps as sp_sinc_taps made them. On the FFT path each
 * filter's output row is made by a half-length complex inverse transform
 * and never stored (equal to sp_sinc_forward's within float rounding: the
 * transforms differ); otherwise sp_sinc_forward's GEMM path writes the
 * full map into `full` [B][F][T'] and the tail reads it. ws:
 * sp_sinc_infer_workspace floats. */
size_t sp_sinc_infer_workspace(const sp_sinc_spec *s, int B, int T);
void sp_sinc_infer(float *out, float *full, float *ws, const float *inp, const float *taps,
                   const sp_sinc_spec *s, int B, int T, const sp_block_tail *t);

/* A conv layer and its tail: out [B][Cout][T'/P] from inp [B][Cin][T] (the
 * convolution as sp_conv1d_forward's, bit for bit). ws:
 * sp_conv1d_infer_workspace floats. */
size_t sp_conv1d_infer_workspace(int B, int Cin, int Cout, int T, int K);
void sp_conv1d_infer(float *out, float *ws, const float *inp, const float *w, const float *bias,
                     int B, int Cin, int Cout, int T, int K, const sp_block_tail *t);

/* A dense layer with an affine map per output feature and an activation,
 * the batch norm of inference folded in:
 *     out[b][o] = act(scale[o] sum_i inp[b][i] w[o][i] + shift[o])
 * scale NULL means 1 (then shift is the bias, and out equals
 * sp_dense_forward + sp_act_forward bit for bit). For a dense layer with
 * bias c followed by a batch norm with running mean mu and variance v:
 * scale = gamma / sqrt(v + eps), shift = beta + scale (c - mu). */
void sp_dense_infer(float *out, const float *inp, const float *w, const float *scale,
                    const float *shift, int B, int Din, int Dout, sp_act_kind act);

/* ------------------------------------------------------------------------
 * log-softmax + NLL loss (layer_loss.c): F.log_softmax then F.nll_loss
 * (mean over the batch).
 *     logp[b][v] = z[b][v] - log sum_u exp z[b][u]
 *     loss = -(1/B) sum_b logp[b][target[b]]
 * ---------------------------------------------------------------------- */

/* logp: [B][V], written (posteriors are exp(logp)); logits: [B][V];
 * target: [B], each in [0, V), or NULL to compute logp only (returns 0).
 * Returns the loss, accumulated in double. */
double sp_logsoftmax_nll_forward(float *logp, const float *logits, const int *target, int B,
                                 int V);
/* dlogits[b][v] += dloss (exp(logp[b][v]) - [v == target[b]]) / B,
 * the gradient of dloss * loss (dloss = 1 for plain training). */
void sp_logsoftmax_nll_backward(float *dlogits, const float *logp, const int *target, int B,
                                int V, float dloss);

#endif
