/* optim.h - optimizers over the model's flat parameter block, as PyTorch
 * defines them (so results compare with the reference):
 *
 *   g = grad + weight_decay * p                        (L2, all parameters)
 *   rmsprop: v = alpha v + (1 - alpha) g^2;  p -= lr g / (sqrt(v) + eps)
 *   adam:    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *            p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   sgd:     u = momentum u + g;  p -= lr u   (u = g at the first step)
 *
 * with lr * first_scale instead of lr on the first layer's parameters
 * ([optim] first_layer_lr_scale; PyTorch's per-parameter-group lr). The
 * block is stepped as three ranges, [0, first0) [first0, first1)
 * [first1, n), each by the same flat loop with its own rate; the elements
 * are independent, so the ranges change no bits (scale 1 steps exactly as
 * one loop over the block would). With [train] freeze_first_layer the
 * first range is skipped: its parameters and moments stay as they are,
 * bit for bit (fine-tuning the rest of a model, init_from).
 *
 * The state (two moment buffers and the step count) is plain data so a
 * checkpoint saves it exactly. */
#ifndef SP_OPTIM_H
#define SP_OPTIM_H

#include <stddef.h>
#include "base/conf.h"
#include "base/error.h"
#include "nn/model.h"

typedef enum { SP_OPT_RMSPROP, SP_OPT_ADAM, SP_OPT_SGD } sp_opt_kind;

typedef struct {
    sp_opt_kind kind;
    double lr, alpha, eps, momentum, beta1, beta2, weight_decay;
    size_t n;
    size_t first0, first1; /* the first layer's parameters: [first0, first1) */
    double first_scale;    /* their learning rate is lr * first_scale */
    int freeze_first;      /* [train] freeze_first_layer: they are not stepped at all */
    float *m, *v;   /* [n] each: first and second moments (sgd: m only) */
    long step;      /* steps taken */
} sp_optim;

/* From the [train] keys and [optim] first_layer_lr_scale, for the
 * parameter block of m (its size and its first layer's range,
 * sp_model_first_layer_range). Returns 0, or -1 with err for an unknown
 * name. Pair with sp_optim_free. */
int sp_optim_init(sp_optim *o, const sp_conf *c, const sp_model *m, sp_error *err);
/* The same for a bare block of n parameters whose elements
 * [first0, first1) are the first layer's (first0 = first1: none). */
int sp_optim_init_block(sp_optim *o, const sp_conf *c, size_t n, size_t first0, size_t first1,
                        sp_error *err);
/* One step of params [n] by grads [n]. */
void sp_optim_step(sp_optim *o, float *params, const float *grads);
void sp_optim_free(sp_optim *o);

#endif
