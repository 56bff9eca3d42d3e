/* model.h - a SincNet-style network assembled from a config: the layer
 * list, one contiguous block of parameters (and one each of gradients and
 * non-learned state such as batch-norm running statistics), activation
 * buffers for a maximum batch, and forward/backward over a batch.
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

typedef enum {
    SP_LAYER_LAYERNORM, SP_LAYER_SINC, SP_LAYER_CONV, SP_LAYER_ABS, SP_LAYER_POOL,
    SP_LAYER_ACT, SP_LAYER_DENSE, SP_LAYER_BATCHNORM, SP_LAYER_DROPOUT,
    SP_LAYER_ABSPOOL  /* |.| then max-pool, fused (after the sinc layer) */
} sp_layer_kind;

typedef struct {
    sp_layer_kind kind;
    char name[24];        /* e.g. "sinc", "pool1", "ln1", "act1", "conv2", "dense1", "out" */
    /* Per-example shapes: input C x T and output C x T (dense: C = 1). */
    int in_c, in_t, out_c, out_t;
    size_t in_n, out_n;   /* per-example element counts */
    /* Learned parameters: up to two tensors at offsets into the model's
     * param block (w and bias; gamma and beta; low_hz and band_hz). */
    size_t p_off[2], p_len[2];
    int np;
    /* Non-learned state (batch norm running mean and var). */
    size_t s_off[2], s_len[2];
    int ns;
    int K, P;             /* kernel, pool */
    sp_act_kind act;
    float dropout;
    /* Buffers for the maximum batch: output, its gradient, caches. */
    float *out, *dout;
    float *cache_a, *cache_b;  /* layer norm mean/sd; batch norm mean/rstd; dropout mask */
    int *argmax;               /* pooling */
} sp_layer;

/* A timing hook for benchmarks (bench/bench_train.c): when sp_model.hook is
 * set, forward and backward call it right before (end = 0) and right after
 * (end = 1) each layer's function, with the layer index, or one of the
 * pseudo-layers below. It must not touch the model. */
typedef enum { SP_PHASE_FORWARD, SP_PHASE_BACKWARD } sp_phase;
enum {
    SP_HOOK_LOSS = -1, /* the log-softmax (forward) or its gradient (backward) */
    SP_HOOK_ZERO = -2  /* backward: clearing the gradients and the input gradients */
};
typedef void (*sp_model_hook)(void *ctx, int layer, sp_phase phase, int end);

typedef struct {
    sp_conf conf;
    int T;                /* input samples */
    int maxB;
    int nlayers;
    sp_layer layer[SP_MAX_MODEL_LAYERS];
    size_t nparams, nstate;
    float *params, *grads, *state;
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
} sp_model;

/* Build the network of c for batches of up to maxB chunks, initialised
 * from seed (parameters as PyTorch and SincNet initialise them). Returns
 * 0, or -1 with err. */
int sp_model_init(sp_model *m, const sp_conf *c, int maxB, sp_error *err);
void sp_model_free(sp_model *m);

/* Run the network on m->input[0..B). training selects batch statistics and
 * dropout. Fills every layer's out and m->logp. */
void sp_model_forward(sp_model *m, int B, int training);
/* Mean NLL of m->logp against targets (48-set indices). */
double sp_model_loss(const sp_model *m, const int *targets, int B);
/* Zero the gradients, then backpropagate the mean NLL of the last forward
 * into m->grads. */
void sp_model_backward(sp_model *m, const int *targets);

/* Use n threads: OpenBLAS's for the GEMMs, OpenMP's for the element-wise
 * layers. */
void sp_set_threads(int n);

/* Number of input samples of a chunk. */
int sp_model_input_samples(const sp_conf *c);
/* Index of the first layer whose parameters contain flat index i, for
 * messages ("NaN gradient in layer 'conv2'"). */
const sp_layer *sp_model_layer_of_param(const sp_model *m, size_t i);

#endif
