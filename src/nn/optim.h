/* optim.h - optimizers over the model's flat parameter block, as PyTorch
 * defines them (so results compare with the reference):
 *
 *   g = grad + weight_decay * p                        (L2, all parameters)
 *   rmsprop: v = alpha v + (1 - alpha) g^2;  p -= lr g / (sqrt(v) + eps)
 *   adam:    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *            p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   sgd:     u = momentum u + g;  p -= lr u   (u = g at the first step)
 *
 * The state (two moment buffers and the step count) is plain data so a
 * checkpoint saves it exactly. */
#ifndef SP_OPTIM_H
#define SP_OPTIM_H

#include <stddef.h>
#include "base/conf.h"
#include "base/error.h"

typedef enum { SP_OPT_RMSPROP, SP_OPT_ADAM, SP_OPT_SGD } sp_opt_kind;

typedef struct {
    sp_opt_kind kind;
    double lr, alpha, eps, momentum, beta1, beta2, weight_decay;
    size_t n;
    float *m, *v;   /* [n] each: first and second moments (sgd: m only) */
    long step;      /* steps taken */
} sp_optim;

/* From the [train] keys. Returns 0, or -1 with err for an unknown name. */
int sp_optim_init(sp_optim *o, const sp_conf *c, size_t nparams, sp_error *err);
void sp_optim_step(sp_optim *o, float *params, const float *grads);
void sp_optim_free(sp_optim *o);

#endif
