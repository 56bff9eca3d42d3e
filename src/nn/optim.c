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

int sp_optim_init(sp_optim *o, const sp_conf *c, size_t nparams, sp_error *err)
{
    memset(o, 0, sizeof *o);
    if (!strcmp(c->optimizer, "rmsprop")) o->kind = SP_OPT_RMSPROP;
    else if (!strcmp(c->optimizer, "adam")) o->kind = SP_OPT_ADAM;
    else if (!strcmp(c->optimizer, "sgd")) o->kind = SP_OPT_SGD;
    else return sp_fail(err, "unknown optimizer '%s'", c->optimizer);
    o->lr = c->lr;
    o->alpha = c->alpha;
    o->eps = c->eps;
    o->momentum = c->momentum;
    o->beta1 = c->beta1;
    o->beta2 = c->beta2;
    o->weight_decay = c->weight_decay;
    o->n = nparams;
    o->m = sp_xcalloc(nparams, sizeof(float));
    o->v = sp_xcalloc(nparams, sizeof(float));
    return 0;
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

#define OPT_BLOCK 16384 /* elements per unit of work among the threads */

void sp_optim_step(sp_optim *o, float *p, const float *grad)
{
    o->step++;
    const float lr = (float)o->lr, wd = (float)o->weight_decay, eps = (float)o->eps;
    float *m = o->m, *v = o->v;
    size_t n = o->n;
    switch (o->kind) {
    case SP_OPT_RMSPROP: {
        const float a = (float)o->alpha, b = 1.0f - a;
        size_t nblk = (n + OPT_BLOCK - 1) / OPT_BLOCK;
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t k = 0; k < nblk; k++)
            rmsprop_range(p, v, grad, k * OPT_BLOCK, k + 1 < nblk ? (k + 1) * OPT_BLOCK : n, a, b, lr, eps, wd);
        break;
    }
    case SP_OPT_ADAM: {
        const float b1 = (float)o->beta1, b2 = (float)o->beta2;
        const float c1 = (float)(1.0 - pow(o->beta1, (double)o->step));
        const float c2 = (float)sqrt(1.0 - pow(o->beta2, (double)o->step));
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] + wd * p[i];
            m[i] = b1 * m[i] + (1.0f - b1) * g;
            v[i] = b2 * v[i] + (1.0f - b2) * g * g;
            p[i] -= lr * (m[i] / c1) / (sqrtf(v[i]) / c2 + eps);
        }
        break;
    }
    case SP_OPT_SGD: {
        const float mu = (float)o->momentum;
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] + wd * p[i];
            m[i] = o->step == 1 ? g : mu * m[i] + g;
            p[i] -= lr * m[i];
        }
        break;
    }
    }
}

void sp_optim_free(sp_optim *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}
