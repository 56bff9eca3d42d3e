/* optim.c - see optim.h. */
#include "config.h"
#include "nn/optim.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

int sp_optim_init_block(sp_optim *o, const sp_conf *c, size_t nparams, size_t first0, size_t first1,
                        sp_error *err)
{
    memset(o, 0, sizeof *o);
    if (!strcmp(c->optimizer, "rmsprop")) o->kind = SP_OPT_RMSPROP;
    else if (!strcmp(c->optimizer, "adam")) o->kind = SP_OPT_ADAM;
    else if (!strcmp(c->optimizer, "sgd")) o->kind = SP_OPT_SGD;
    else return sp_fail(err, "unknown optimizer '%s'", c->optimizer);
    if (first0 > first1 || first1 > nparams)
        return sp_fail(err, "first-layer range [%zu, %zu) is not inside the %zu parameters", first0, first1, nparams);
    o->lr = c->lr;
    o->alpha = c->alpha;
    o->eps = c->eps;
    o->momentum = c->momentum;
    o->beta1 = c->beta1;
    o->beta2 = c->beta2;
    o->weight_decay = c->weight_decay;
    o->n = nparams;
    o->first0 = first0;
    o->first1 = first1;
    o->first_scale = c->first_layer_lr_scale;
    o->freeze_first = c->freeze_first_layer;
    o->m = sp_xcalloc(nparams, sizeof(float));
    o->v = sp_xcalloc(nparams, sizeof(float));
    return 0;
}

int sp_optim_init(sp_optim *o, const sp_conf *c, const sp_model *m, sp_error *err)
{
    size_t i0, i1;
    sp_model_first_layer_range(m, &i0, &i1);
    return sp_optim_init_block(o, c, m->nparams, i0, i1, err);
}

/* RMSprop on elements [i0, i1):
 *     g = grad + wd p,  v = alpha v + (1 - alpha) g^2,  p -= lr g / (sqrt v + eps)
 * With SSE four at a time: the compiler leaves the plain loop scalar,
 * since sqrtf may set errno. Every operation is the same correctly rounded
 * IEEE single operation, in the same order, as in the scalar loop (no
 * contraction), so both give identical bits. */
static void rmsprop_range(float *p, float *v, const float *grad, size_t i0, size_t i1, float a,
                          float b, float lr, float eps, float wd)
{
    size_t i = i0;
#ifdef __SSE__
    const __m128 va = _mm_set1_ps(a), vb = _mm_set1_ps(b), vlr = _mm_set1_ps(lr);
    const __m128 veps = _mm_set1_ps(eps), vwd = _mm_set1_ps(wd);
    for (; i + 4 <= i1; i += 4) {
        __m128 pp = _mm_loadu_ps(p + i);
        __m128 g = _mm_add_ps(_mm_loadu_ps(grad + i), _mm_mul_ps(vwd, pp));
        __m128 vv = _mm_add_ps(_mm_mul_ps(va, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(vb, g), g));
        _mm_storeu_ps(v + i, vv);
        __m128 step = _mm_div_ps(_mm_mul_ps(vlr, g), _mm_add_ps(_mm_sqrt_ps(vv), veps));
        _mm_storeu_ps(p + i, _mm_sub_ps(pp, step));
    }
#endif
    for (; i < i1; i++) {
        float g = grad[i] + wd * p[i];
        v[i] = a * v[i] + b * g * g;
        p[i] -= lr * g / (sqrtf(v[i]) + eps);
    }
}

/* Adam on elements [i0, i1); c1 = 1 - b1^t, c2 = sqrt(1 - b2^t). */
static void adam_range(float *p, float *m, float *v, const float *grad, size_t i0, size_t i1, float b1,
                       float b2, float c1, float c2, float lr, float eps, float wd)
{
    for (size_t i = i0; i < i1; i++) {
        float g = grad[i] + wd * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        p[i] -= lr * (m[i] / c1) / (sqrtf(v[i]) / c2 + eps);
    }
}

/* SGD with momentum on elements [i0, i1); first: the first step (u = g). */
static void sgd_range(float *p, float *m, const float *grad, size_t i0, size_t i1, float mu, int first,
                      float lr, float wd)
{
    for (size_t i = i0; i < i1; i++) {
        float g = grad[i] + wd * p[i];
        m[i] = first ? g : mu * m[i] + g;
        p[i] -= lr * m[i];
    }
}

#define OPT_BLOCK 16384 /* elements per unit of work among the threads */

/* Step elements [i0, i1) at learning rate lr, in blocks spread over the
 * threads when the range is large. */
static void step_range(const sp_optim *o, float *p, const float *grad, size_t i0, size_t i1, float lr)
{
    const float wd = (float)o->weight_decay, eps = (float)o->eps;
    const float a = (float)o->alpha, b = 1.0f - a;
    const float b1 = (float)o->beta1, b2 = (float)o->beta2;
    const float c1 = (float)(1.0 - pow(o->beta1, (double)o->step));
    const float c2 = (float)sqrt(1.0 - pow(o->beta2, (double)o->step));
    const float mu = (float)o->momentum;
    const int first = o->step == 1;
    float *m = o->m, *v = o->v;
    size_t n = i1 - i0, nblk = (n + OPT_BLOCK - 1) / OPT_BLOCK;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t k = 0; k < nblk; k++) {
        size_t j0 = i0 + k * OPT_BLOCK, j1 = k + 1 < nblk ? j0 + OPT_BLOCK : i1;
        switch (o->kind) {
        case SP_OPT_RMSPROP: rmsprop_range(p, v, grad, j0, j1, a, b, lr, eps, wd); break;
        case SP_OPT_ADAM: adam_range(p, m, v, grad, j0, j1, b1, b2, c1, c2, lr, eps, wd); break;
        case SP_OPT_SGD: sgd_range(p, m, grad, j0, j1, mu, first, lr, wd); break;
        }
    }
}

void sp_optim_step(sp_optim *o, float *p, const float *grad)
{
    o->step++;
    /* [0, first0) and [first1, n) at lr, the first layer at lr * scale
     * (the product is exact at scale 1: the same bits as one range). */
    const float lr = (float)o->lr, lr_first = (float)(o->lr * o->first_scale);
    step_range(o, p, grad, 0, o->first0, lr);
    if (!o->freeze_first) step_range(o, p, grad, o->first0, o->first1, lr_first);
    step_range(o, p, grad, o->first1, o->n, lr);
}

void sp_optim_free(sp_optim *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}
