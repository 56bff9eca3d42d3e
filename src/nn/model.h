/* model.h - a SincNet-style network assembled from a config: the layer
 * list, one contiguous block of parameters (and one each of gradients and
 * non-learned state such as batch-norm running statistics) with a struct
 * of named pointers into each, activation buffers for a maximum batch, and
 * forward/backward over a batch as a list of layer calls (steps).
 *
 *   chunk [B][T] -> input layer norm -> first layer (sinc, or conv)
 *   -> max-pool (of |.| after sinc) -> layer norm -> act   (first block)
 *   -> [conv -> max-pool -> layer norm -> act] x nconv
 *   -> flatten -> layer norm
 *   -> [dense -> batch norm -> act -> dropout] x ndense
 *   -> dense -> log-softmax, NLL over the 48 training phones
 *
 * The layers themselves are in layers.h; this file wires them. */
#ifndef SP_MODEL_H
#define SP_MODEL_H

#include <stddef.h>
#include "base/conf.h"
#include "nn/layers.h"
#include "base/rng.h"
#include "base/error.h"

#define SP_NCLASSES 48
#define SP_MAX_MODEL_LAYERS 64
#define SP_MAX_BLOCKS (SP_CONF_MAXLAYERS + 1) /* conv blocks: the first layer's and nconv more */

typedef enum {
    SP_LAYER_LAYERNORM, SP_LAYER_SINC, SP_LAYER_CONV,
    SP_LAYER_ABS,     /* |.| alone: no config plans it (after sinc it is in the pool) */
    SP_LAYER_POOL,
    SP_LAYER_ACT, SP_LAYER_DENSE, SP_LAYER_BATCHNORM, SP_LAYER_DROPOUT,
    SP_LAYER_ABSPOOL  /* |.| then max-pool (after the sinc layer) */
} sp_layer_kind;

/* "layernorm", "sinc", "conv", "abs", "pool", "act", "dense", "batchnorm",
 * "dropout", "abspool" (as probes and benchmarks show a layer's kind). */
const char *sp_layer_kind_name(sp_layer_kind kind);

/* The learned tensors by name, as llm.c's ParameterTensors: pointers into
 * one block laid out as m->params. The same struct over m->grads names the
 * gradients (sp_model_point names any block of that layout, e.g. an
 * optimiser moment). Shapes beside each, outermost first; a field is NULL
 * when the config has no such layer. Conv block b (0-based) is the layers
 * conv{b+1}, pool{b+1}, ln{b+1}, act{b+1}; block 0's conv is the first
 * layer (sinc, or conv1 when first_layer = conv). Dense block i is dense{i+1},
 * bn{i+1} or dln{i+1}, dact{i+1}, drop{i+1}. In the block the tensors lie in
 * layer order, each layer's first tensor first (the checkpoint's order). */
typedef struct {
    float *in_ln_gamma, *in_ln_beta;     /* [1][T]         in_ln: the chunk (input_norm = layer) */
    float *sinc_low_p, *sinc_band_p;     /* [F]            sinc: the learnable low_p, band_p, in Hz or
                                          *                / fs ([model] sinc_param; cut-offs
                                          *                f1 = min_low_hz + |c low_p| ...: layers.h) */
    float *conv_w[SP_MAX_BLOCKS];        /* [Cout][Cin][K] conv{b+1}; [0]: conv1 [F][1][K], NULL for sinc */
    float *conv_b[SP_MAX_BLOCKS];        /* [Cout] */
    float *ln_gamma[SP_MAX_BLOCKS];      /* [C][T'] ln{b+1}, after the pool (conv_norm = layer) */
    float *ln_beta[SP_MAX_BLOCKS];       /* [C][T'] */
    float *flat_ln_gamma, *flat_ln_beta; /* [1][D]         flat_ln: the flattened map (input_norm = layer) */
    float *dense_w[SP_CONF_MAXLAYERS];   /* [Dout][Din]    dense{i+1} */
    float *dense_b[SP_CONF_MAXLAYERS];   /* [Dout] */
    float *bn_gamma[SP_CONF_MAXLAYERS];  /* [D]            bn{i+1} (dense_norm = batch) */
    float *bn_beta[SP_CONF_MAXLAYERS];   /* [D] */
    float *dln_gamma[SP_CONF_MAXLAYERS]; /* [1][D]         dln{i+1} (dense_norm = layer) */
    float *dln_beta[SP_CONF_MAXLAYERS];  /* [1][D] */
    float *out_w, *out_b;                /* [48][D], [48]  out: the logits */
} sp_param_tensors;

/* The non-learned state by name, pointers into m->state. */
typedef struct {
    float *bn_mean[SP_CONF_MAXLAYERS];   /* [D] bn{i+1}'s running mean */
    float *bn_var[SP_CONF_MAXLAYERS];    /* [D] and running (unbiased) variance */
} sp_state_tensors;

/* One entry per named output: what probes see as the model's layers, each
 * with its output buffer. A fused step (below) computes two of them. */
typedef struct {
    sp_layer_kind kind;
    char name[24];        /* e.g. "sinc", "pool1", "ln1", "act1", "conv2", "dense1", "out" */
    /* Per-example shapes: input C x T and output C x T (dense: C = 1). */
    int in_c, in_t, out_c, out_t;
    size_t in_n, out_n;   /* per-example element counts */
    /* Learned parameters: up to two tensors at offsets into the model's
     * param block (w and b; gamma and beta; low_p and band_p), each with
     * its name as probes see it ("w", "b", "gamma", "beta", "low_hz",
     * "band_hz"), its shape, and its field in sp_param_tensors. */
    size_t p_off[2], p_len[2];
    const char *p_name[2];
    int p_rank[2];
    long p_shape[2][3];
    size_t p_field[2];    /* byte offset of the field in sp_param_tensors */
    int np;
    /* Non-learned state (batch norm running mean and var). */
    size_t s_off[2], s_len[2];
    size_t s_field[2];    /* byte offset of the field in sp_state_tensors */
    int ns;
    int K, P;             /* kernel, pool */
    sp_act_kind act;
    float dropout;
    /* Buffers for the maximum batch: output, its gradient, caches. */
    float *out, *dout;
    float *cache_a, *cache_b;  /* layer norm mean/sd; batch norm mean/rstd; dropout mask */
    int *argmax;               /* pooling */
} sp_layer;

/* The forward pass is a list of steps, one layer function call each (the
 * backward pass runs them in reverse). Fused steps compute two layers in
 * one call, to save a pass over a map; their results are those of the two
 * layers one after the other, both layers' outputs written. */
typedef enum {
    SP_STEP_LAYERNORM,     /* sp_layernorm_* */
    SP_STEP_LAYERNORM_ACT, /* layer norm, then the next layer's activation: sp_layernorm_act_* */
    SP_STEP_SINC_ABSPOOL,  /* sinc, then the next layer's |.| and max-pool: sp_sinc_absmaxpool_* */
    SP_STEP_CONV_POOL,     /* conv, then the next layer's max-pool: sp_conv1d_maxpool_forward;
                            * backward sp_maxpool_backward_write then sp_conv1d_backward */
    SP_STEP_ACT,           /* sp_act_* */
    SP_STEP_DENSE,         /* sp_dense_* */
    SP_STEP_BATCHNORM,     /* sp_batchnorm_* */
    SP_STEP_DROPOUT        /* sp_dropout_* */
} sp_step_kind;

typedef struct {
    sp_step_kind kind;
    int layer;            /* the (first) layer it computes; its input is layer - 1's output */
    int nlayers;          /* 1, or 2 for a fused step (layer and layer + 1) */
} sp_step;

/* A timing hook for benchmarks (bench/bench_train.c): when sp_model.hook is
 * set, forward and backward call it right before (end = 0) and right after
 * (end = 1) each layer function they call, with the index of the layer it
 * computes (a fused step's first layer; the conv + pool step's backward is
 * two calls, the pool's reported at the pool layer), or one of the
 * pseudo-layers below. It must not touch the model. */
typedef enum { SP_PHASE_FORWARD, SP_PHASE_BACKWARD } sp_phase;
enum {
    SP_HOOK_LOSS = -1, /* the log-softmax (forward) or its gradient (backward) */
    SP_HOOK_ZERO = -2  /* backward: clearing the gradients and the input gradients */
};
typedef void (*sp_model_hook)(void *ctx, int layer, sp_phase phase, int end);

/* Gradients final (data-parallel training, run/train.c, sends them while
 * the backward pass goes on): when sp_model.grads_ready is set,
 * sp_model_backward calls it after each of its steps with from: the
 * gradients m->grads[from, nparams) are final. The parameter block is in
 * layer order and backward runs from the last layer to the first, so from
 * only decreases, reaching 0 after the last step. It may read the
 * gradients; it must not change the model. */
typedef void (*sp_model_grads_ready)(void *ctx, size_t from);

typedef struct {
    sp_conf conf;
    int T;                /* input samples */
    int maxB;
    int nlayers;
    sp_layer layer[SP_MAX_MODEL_LAYERS];
    int nsteps;
    sp_step step[SP_MAX_MODEL_LAYERS];
    size_t nparams, nstate;
    float *params, *grads, *state;
    sp_param_tensors param; /* named views of params, */
    sp_param_tensors grad;  /* of grads */
    sp_state_tensors stat;  /* and of state */
    float *input;         /* [maxB][T], the chunk as given */
    float *dinput;        /* [maxB][T], scratch for the input gradient */
    float *logp;          /* [maxB][48] */
    float *ws;            /* convolution workspace */
    size_t ws_n;
    sp_sinc_spec sinc;
    float *taps;          /* [F][K] of the sinc layer (forward writes it) */
    sp_rng dropout_rng;
    int training;         /* of the last forward */
    int B;                /* of the last forward */
    sp_model_hook hook;   /* NULL, or the timing hook above */
    void *hook_ctx;
    sp_model_grads_ready grads_ready; /* NULL, or the callback above */
    void *grads_ready_ctx;
} sp_model;

/* Build the network of c for batches of up to maxB chunks, initialised
 * from seed (parameters as PyTorch and SincNet initialise them). Returns
 * 0, or -1 with err. */
int sp_model_init(sp_model *m, const sp_conf *c, int maxB, sp_error *err);
void sp_model_free(sp_model *m);
/* The parameter and state counts of c's network, without building it
 * (what sp_model_init would make): 0, or -1 with err. */
int sp_model_size(const sp_conf *c, size_t *nparams, size_t *nstate, sp_error *err);

/* Run the network on m->input[0..B). training selects batch statistics and
 * dropout. Fills every layer's out and m->logp. */
void sp_model_forward(sp_model *m, int B, int training);
/* Inference: m->logp for m->input[0..B), what sp_model_forward(m, B, 0)
 * computes, equal within float rounding (tests/test_model.c checks it),
 * and faster: each conv block runs as one call from its filtering to its
 * activation, keeping only the activation (sp_sinc_infer,
 * sp_conv1d_infer); each dense layer takes its batch norm, folded into a
 * scale and shift per feature, and its activation (sp_dense_infer);
 * dropout is skipped; other steps (in_ln, flat_ln) run as in
 * sp_model_forward. Only the outputs of the layers that end a step or a
 * fused call are sure to be written (act{b}, dact{i} when there is one,
 * in_ln, flat_ln, out); the other layers' outputs and caches are left
 * stale, so sp_model_backward must not follow it, and a model view wanting
 * every layer's output (probe/hooks.c) uses sp_model_forward. The running
 * statistics and the dropout RNG are not touched. */
void sp_model_infer(sp_model *m, int B);
/* Mean NLL of m->logp against targets (48-set indices). */
double sp_model_loss(const sp_model *m, const int *targets, int B);
/* Zero the gradients, then backpropagate the mean NLL of the last forward
 * into m->grads. */
void sp_model_backward(sp_model *m, const int *targets);

/* Use n threads: OpenBLAS's for the GEMMs, OpenMP's for the element-wise
 * layers. */
void sp_set_threads(int n);

/* Number of input samples of a chunk (sp_conf_input_samples). */
int sp_model_input_samples(const sp_conf *c);
/* Point t's fields into block, an array laid out as m->params (nparams
 * floats): sp_model_init does it for m->param (m->params) and m->grad
 * (m->grads). Fields of layers the model lacks are NULL. */
void sp_model_point(sp_param_tensors *t, const sp_model *m, float *block);
/* The sinc layer's param_scale for c's [model] sinc_param: 1 (hz) or the
 * sample rate (normalised); m->sinc.param_scale holds it. */
float sp_model_sinc_param_scale(const sp_conf *c);
/* The first layer's parameters (sinc low_p and band_p, or conv1's w and b)
 * are m->params[*i0 .. *i1), one range ([optim] first_layer_lr_scale
 * applies to it). */
void sp_model_first_layer_range(const sp_model *m, size_t *i0, size_t *i1);
/* The model's named tensors, the directory of checkpoints (version 2),
 * of `sincprobe export` and `import`: one entry per learned tensor and per
 * batch-norm statistic, named LAYER.TENSOR after the layer list and its
 * tensors (sp_layer's name and p_name): "in_ln.gamma", "sinc.low_hz",
 * "sinc.band_hz" (in the unit of [model] sinc_param, whatever the name
 * says), "conv2.w", "conv2.b", "ln1.gamma", "flat_ln.beta", "dense1.w",
 * "bn1.gamma", "bn1.running_mean", "bn1.running_var", "dln1.beta",
 * "out.w", "out.b". Parameters first, in block order, then the state. */
#define SP_MAX_TENSORS (2 * SP_MAX_MODEL_LAYERS)
typedef struct {
    char name[48];
    int state;        /* 0: elements [off, off + len) of m->params; 1: of m->state */
    size_t off, len;
    int rank;         /* 1 to 3 */
    long shape[3];    /* outermost first */
} sp_tensor_info;
/* Fill t[0 .. count) (t holds SP_MAX_TENSORS); returns the count. */
int sp_model_tensors(const sp_model *m, sp_tensor_info *t);
/* The data of t in m (params or state). */
float *sp_model_tensor_data(const sp_model *m, const sp_tensor_info *t);
/* "[8, 1, 65]": t's shape as text, into buf. */
const char *sp_tensor_shape_text(char *buf, size_t size, int rank, const long *shape);

/* Index of the first layer whose parameters contain flat index i, for
 * messages ("NaN gradient in layer 'conv2'"). */
const sp_layer *sp_model_layer_of_param(const sp_model *m, size_t i);

#endif
