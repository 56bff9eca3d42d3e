/* model.c - see model.h. */
#include "config.h"
#include "nn/model.h"
#include "base/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void sp_set_threads(int n)
{
    openblas_set_num_threads(n);
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

/* ---------------------------------------------------------------------- */
/* building */

int sp_model_input_samples(const sp_conf *c)
{
    return (int)lround(c->input_ms * 16.0);
}

static sp_layer *add_layer(sp_model *m, sp_layer_kind kind, const char *name, int in_c, int in_t,
                           int out_c, int out_t)
{
    sp_layer *l = &m->layer[m->nlayers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->in_c = in_c;
    l->in_t = in_t;
    l->out_c = out_c;
    l->out_t = out_t;
    l->in_n = (size_t)in_c * (size_t)in_t;
    l->out_n = (size_t)out_c * (size_t)out_t;
    return l;
}

static void add_param(sp_model *m, sp_layer *l, size_t n)
{
    l->p_off[l->np] = m->nparams;
    l->p_len[l->np] = n;
    l->np++;
    m->nparams += n;
}

static void add_state(sp_model *m, sp_layer *l, size_t n)
{
    l->s_off[l->ns] = m->nstate;
    l->s_len[l->ns] = n;
    l->ns++;
    m->nstate += n;
}

/* Layer norm over the last axis of a C x T map, gain/bias of full shape. */
static void add_layernorm(sp_model *m, const char *name, int C, int T)
{
    sp_layer *l = add_layer(m, SP_LAYER_LAYERNORM, name, C, T, C, T);
    add_param(m, l, l->out_n);
    add_param(m, l, l->out_n);
}

static void add_act(sp_model *m, const char *name, int C, int T, sp_act_kind act)
{
    sp_layer *l = add_layer(m, SP_LAYER_ACT, name, C, T, C, T);
    l->act = act;
}

static void add_pool(sp_model *m, const char *name, int C, int T, int P)
{
    sp_layer *l = add_layer(m, SP_LAYER_POOL, name, C, T, C, T / P);
    l->P = P;
}

static void add_dense(sp_model *m, const char *name, int Din, int Dout)
{
    sp_layer *l = add_layer(m, SP_LAYER_DENSE, name, 1, Din, 1, Dout);
    add_param(m, l, (size_t)Din * (size_t)Dout);
    add_param(m, l, (size_t)Dout);
}

/* The layer list of c; shapes only, no memory. */
static int plan(sp_model *m, const sp_conf *c, sp_error *err)
{
    m->nlayers = 0;
    m->nparams = m->nstate = 0;
    int T = m->T;
    int act = sp_act_parse(c->activation);
    if (act < 0) return sp_fail(err, "unknown activation '%s'", c->activation);
    char name[24];
    if (!strcmp(c->input_norm, "layer")) add_layernorm(m, "in_ln", 1, T);

    int C = c->filters, K = c->taps;
    if (T < K) return sp_fail(err, "input of %d samples is shorter than the %d taps", T, K);
    if (!strcmp(c->first_layer, "sinc")) {
        sp_layer *l = add_layer(m, SP_LAYER_SINC, "sinc", 1, T, C, T - K + 1);
        l->K = K;
        add_param(m, l, (size_t)C); /* low_hz */
        add_param(m, l, (size_t)C); /* band_hz */
    } else {
        sp_layer *l = add_layer(m, SP_LAYER_CONV, "conv1", 1, T, C, T - K + 1);
        l->K = K;
        add_param(m, l, (size_t)C * (size_t)K);
        add_param(m, l, (size_t)C);
    }
    T = T - K + 1;
    for (int b = 0; b <= c->nconv; b++) {
        if (b > 0) {
            int Cout = c->conv_channels[b - 1];
            K = c->conv_kernel[b - 1];
            if (T < K) return sp_fail(err, "conv block %d: %d time steps left for a kernel of %d", b + 1, T, K);
            snprintf(name, sizeof name, "conv%d", b + 1);
            sp_layer *l = add_layer(m, SP_LAYER_CONV, name, C, T, Cout, T - K + 1);
            l->K = K;
            add_param(m, l, (size_t)Cout * (size_t)C * (size_t)K);
            add_param(m, l, (size_t)Cout);
            C = Cout;
            T = T - K + 1;
        }
        snprintf(name, sizeof name, "pool%d", b + 1);
        add_pool(m, name, C, T, c->pool);
        /* SincNet takes |.| of the sinc output before pooling: fused here,
         * so the full-resolution |.| map is never stored. */
        if (b == 0 && !strcmp(c->first_layer, "sinc")) m->layer[m->nlayers - 1].kind = SP_LAYER_ABSPOOL;
        T /= c->pool;
        if (T < 2) return sp_fail(err, "conv block %d leaves %d time steps; the input is too short", b + 1, T);
        if (!strcmp(c->conv_norm, "layer")) {
            snprintf(name, sizeof name, "ln%d", b + 1);
            add_layernorm(m, name, C, T);
        }
        snprintf(name, sizeof name, "act%d", b + 1);
        add_act(m, name, C, T, (sp_act_kind)act);
    }
    int D = C * T;
    if (!strcmp(c->input_norm, "layer")) add_layernorm(m, "flat_ln", 1, D);
    for (int i = 0; i < c->ndense; i++) {
        int Dout = c->dense[i];
        snprintf(name, sizeof name, "dense%d", i + 1);
        add_dense(m, name, D, Dout);
        D = Dout;
        if (!strcmp(c->dense_norm, "batch")) {
            snprintf(name, sizeof name, "bn%d", i + 1);
            sp_layer *l = add_layer(m, SP_LAYER_BATCHNORM, name, 1, D, 1, D);
            add_param(m, l, (size_t)D);
            add_param(m, l, (size_t)D);
            add_state(m, l, (size_t)D);
            add_state(m, l, (size_t)D);
        } else if (!strcmp(c->dense_norm, "layer")) {
            snprintf(name, sizeof name, "dln%d", i + 1);
            add_layernorm(m, name, 1, D);
        }
        snprintf(name, sizeof name, "dact%d", i + 1);
        add_act(m, name, 1, D, (sp_act_kind)act);
        if (c->dropout > 0) {
            snprintf(name, sizeof name, "drop%d", i + 1);
            sp_layer *l = add_layer(m, SP_LAYER_DROPOUT, name, 1, D, 1, D);
            l->dropout = (float)c->dropout;
        }
        if (m->nlayers > SP_MAX_MODEL_LAYERS - 8) return sp_fail(err, "too many layers");
    }
    add_dense(m, "out", D, SP_NCLASSES);
    return 0;
}

static void init_params(sp_model *m, const sp_conf *c)
{
    sp_rng rng;
    sp_rng_seed(&rng, (uint64_t)c->seed, 1);
    for (int i = 0; i < m->nlayers; i++) {
        sp_layer *l = &m->layer[i];
        float *p0 = m->params + l->p_off[0], *p1 = m->params + l->p_off[1];
        switch (l->kind) {
        case SP_LAYER_LAYERNORM:
        case SP_LAYER_BATCHNORM:
            for (size_t k = 0; k < l->p_len[0]; k++) p0[k] = 1.0f;
            memset(p1, 0, l->p_len[1] * sizeof *p1);
            if (l->ns) {
                memset(m->state + l->s_off[0], 0, l->s_len[0] * sizeof(float));
                for (size_t k = 0; k < l->s_len[1]; k++) m->state[l->s_off[1] + k] = 1.0f;
            }
            break;
        case SP_LAYER_SINC:
            sp_sinc_init(p0, p1, &m->sinc);
            break;
        case SP_LAYER_CONV:
            sp_init_uniform_fan_in(p0, l->p_len[0], l->in_c * l->K, &rng);
            sp_init_uniform_fan_in(p1, l->p_len[1], l->in_c * l->K, &rng);
            break;
        case SP_LAYER_DENSE:
            sp_init_uniform_fan_in(p0, l->p_len[0], l->in_t, &rng);
            sp_init_uniform_fan_in(p1, l->p_len[1], l->in_t, &rng);
            break;
        default:
            break;
        }
    }
}

int sp_model_init(sp_model *m, const sp_conf *c, int maxB, sp_error *err)
{
    memset(m, 0, sizeof *m);
    m->conf = *c;
    m->T = sp_model_input_samples(c);
    m->maxB = maxB;
    m->sinc = sp_sinc_spec_make(c->filters, c->taps, 16000.0f);
    m->sinc.min_low_hz = (float)c->min_low_hz;
    m->sinc.min_band_hz = (float)c->min_band_hz;
    if (plan(m, c, err) != 0) return -1;
    m->params = sp_xcalloc(m->nparams, sizeof(float));
    m->grads = sp_xcalloc(m->nparams, sizeof(float));
    m->state = sp_xcalloc(m->nstate ? m->nstate : 1, sizeof(float));
    m->input = sp_xcalloc((size_t)maxB * (size_t)m->T, sizeof(float));
    m->dinput = sp_xcalloc((size_t)maxB * (size_t)m->T, sizeof(float));
    m->logp = sp_xcalloc((size_t)maxB * SP_NCLASSES, sizeof(float));
    m->taps = sp_xcalloc((size_t)c->filters * (size_t)c->taps, sizeof(float));
    size_t ws = 1;
    for (int i = 0; i < m->nlayers; i++) {
        sp_layer *l = &m->layer[i];
        size_t n = (size_t)maxB * l->out_n;
        l->out = sp_xmalloc(n * sizeof(float));
        l->dout = sp_xmalloc(n * sizeof(float));
        size_t w = 0;
        switch (l->kind) {
        case SP_LAYER_SINC: w = sp_sinc_workspace(&m->sinc, maxB, l->in_t); break;
        case SP_LAYER_CONV: w = sp_conv1d_workspace(maxB, l->in_c, l->out_c, l->in_t, l->K); break;
        case SP_LAYER_POOL:
        case SP_LAYER_ABSPOOL: l->argmax = sp_xmalloc(n * sizeof(int)); break;
        case SP_LAYER_LAYERNORM:
            l->cache_a = sp_xmalloc((size_t)maxB * (size_t)l->in_c * sizeof(float));
            l->cache_b = sp_xmalloc((size_t)maxB * (size_t)l->in_c * sizeof(float));
            break;
        case SP_LAYER_BATCHNORM:
            l->cache_a = sp_xmalloc(l->out_n * sizeof(float));
            l->cache_b = sp_xmalloc(l->out_n * sizeof(float));
            break;
        case SP_LAYER_DROPOUT: l->cache_a = sp_xmalloc(n * sizeof(float)); break;
        default: break;
        }
        if (w > ws) ws = w;
    }
    m->ws_n = ws;
    m->ws = sp_xmalloc(ws * sizeof(float));
    sp_rng_seed(&m->dropout_rng, (uint64_t)c->seed, 2);
    init_params(m, c);
    return 0;
}

void sp_model_free(sp_model *m)
{
    for (int i = 0; i < m->nlayers; i++) {
        sp_layer *l = &m->layer[i];
        free(l->out);
        free(l->dout);
        free(l->cache_a);
        free(l->cache_b);
        free(l->argmax);
    }
    free(m->params);
    free(m->grads);
    free(m->state);
    free(m->input);
    free(m->dinput);
    free(m->logp);
    free(m->taps);
    free(m->ws);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------------- */
/* forward and backward */

static void hook(const sp_model *m, int layer, sp_phase phase, int end)
{
    if (m->hook) m->hook(m->hook_ctx, layer, phase, end);
}

/* Layer i is the sinc layer followed by the fused |.| + max-pool: the two
 * run as one call (sp_sinc_absmaxpool_*), so the sinc output is pooled as
 * it is made and its gradient never stored; the pool's own slot then does
 * nothing. */
static int sinc_pool(const sp_model *m, int i)
{
    return i + 1 < m->nlayers && m->layer[i].kind == SP_LAYER_SINC
           && m->layer[i + 1].kind == SP_LAYER_ABSPOOL;
}

/* Layer i is a conv followed by a max-pool: the conv pools each output
 * row while in cache (sp_conv1d_maxpool_forward), the pool's forward slot
 * does nothing. Backward is unchanged (the pool's needs only argmax, the
 * conv's only its input). */
static int conv_pool(const sp_model *m, int i)
{
    return i + 1 < m->nlayers && m->layer[i].kind == SP_LAYER_CONV
           && m->layer[i + 1].kind == SP_LAYER_POOL;
}

/* Layer i is a layer norm followed by an activation: the two run as one
 * fused call (sp_layernorm_act_*), both ways, to save a pass over the
 * map. The activation's own slot then does nothing. */
static int ln_act(const sp_model *m, int i)
{
    return i + 1 < m->nlayers && m->layer[i].kind == SP_LAYER_LAYERNORM
           && m->layer[i + 1].kind == SP_LAYER_ACT;
}

void sp_model_forward(sp_model *m, int B, int training)
{
    m->B = B;
    m->training = training;
    const float *x = m->input;
    for (int i = 0; i < m->nlayers; i++) {
        sp_layer *l = &m->layer[i];
        const float *p0 = m->params + l->p_off[0], *p1 = m->params + l->p_off[1];
        size_t N = (size_t)B * l->out_n;
        hook(m, i, SP_PHASE_FORWARD, 0);
        switch (l->kind) {
        case SP_LAYER_LAYERNORM:
            if (ln_act(m, i))
                sp_layernorm_act_forward(l->out, m->layer[i + 1].out, l->cache_a, l->cache_b, x, p0, p1, B, l->in_c,
                                         l->in_t, SP_LAYERNORM_EPS, m->layer[i + 1].act);
            else
                sp_layernorm_forward(l->out, l->cache_a, l->cache_b, x, p0, p1, B, l->in_c, l->in_t,
                                     SP_LAYERNORM_EPS);
            break;
        case SP_LAYER_SINC:
            if (sinc_pool(m, i))
                sp_sinc_absmaxpool_forward(l->out, m->layer[i + 1].out, m->layer[i + 1].argmax, m->layer[i + 1].P,
                                           m->taps, m->ws, x, p0, p1, &m->sinc, B, l->in_t);
            else
                sp_sinc_forward(l->out, m->taps, m->ws, x, p0, p1, &m->sinc, B, l->in_t);
            break;
        case SP_LAYER_CONV:
            if (conv_pool(m, i))
                sp_conv1d_maxpool_forward(l->out, m->layer[i + 1].out, m->layer[i + 1].argmax, m->layer[i + 1].P,
                                          m->ws, x, p0, p1, B, l->in_c, l->out_c, l->in_t, l->K);
            else
                sp_conv1d_forward(l->out, m->ws, x, p0, p1, B, l->in_c, l->out_c, l->in_t, l->K);
            break;
        case SP_LAYER_ABS:
            sp_abs_forward(l->out, x, N);
            break;
        case SP_LAYER_POOL:
            if (!(i > 0 && conv_pool(m, i - 1))) sp_maxpool_forward(l->out, l->argmax, x, B * l->in_c, l->in_t, l->P);
            break;
        case SP_LAYER_ABSPOOL:
            if (!(i > 0 && sinc_pool(m, i - 1)))
                sp_absmaxpool_forward(l->out, l->argmax, x, B * l->in_c, l->in_t, l->P);
            break;
        case SP_LAYER_ACT:
            if (!(i > 0 && ln_act(m, i - 1))) sp_act_forward(l->out, x, N, l->act);
            break;
        case SP_LAYER_DENSE:
            sp_dense_forward(l->out, x, p0, p1, B, l->in_t, l->out_t);
            break;
        case SP_LAYER_BATCHNORM:
            sp_batchnorm_forward(l->out, l->cache_a, l->cache_b, m->state + l->s_off[0], m->state + l->s_off[1], x,
                                 p0, p1, B, l->out_t, SP_BATCHNORM_MOMENTUM, SP_BATCHNORM_EPS, training && B > 1);
            break;
        case SP_LAYER_DROPOUT:
            sp_dropout_forward(l->out, l->cache_a, x, N, l->dropout, &m->dropout_rng, training);
            break;
        }
        hook(m, i, SP_PHASE_FORWARD, 1);
        x = l->out;
    }
    hook(m, SP_HOOK_LOSS, SP_PHASE_FORWARD, 0);
    sp_logsoftmax_nll_forward(m->logp, x, NULL, B, SP_NCLASSES);
    hook(m, SP_HOOK_LOSS, SP_PHASE_FORWARD, 1);
}

double sp_model_loss(const sp_model *m, const int *targets, int B)
{
    double loss = 0;
    for (int b = 0; b < B; b++) loss -= m->logp[(size_t)b * SP_NCLASSES + targets[b]];
    return loss / B;
}

void sp_model_backward(sp_model *m, const int *targets)
{
    int B = m->B;
    hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 0);
    memset(m->grads, 0, m->nparams * sizeof(float));
    sp_layer *last = &m->layer[m->nlayers - 1];
    memset(last->dout, 0, (size_t)B * last->out_n * sizeof(float));
    hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 1);
    hook(m, SP_HOOK_LOSS, SP_PHASE_BACKWARD, 0);
    sp_logsoftmax_nll_backward(last->dout, m->logp, targets, B, SP_NCLASSES, 1.0f);
    hook(m, SP_HOOK_LOSS, SP_PHASE_BACKWARD, 1);
    for (int i = m->nlayers - 1; i >= 0; i--) {
        sp_layer *l = &m->layer[i];
        const float *x = i > 0 ? m->layer[i - 1].out : m->input;
        float *dx = i > 0 ? m->layer[i - 1].dout : NULL;
        const float *p0 = m->params + l->p_off[0], *p1 = m->params + l->p_off[1];
        float *g0 = m->grads + l->p_off[0], *g1 = m->grads + l->p_off[1];
        size_t N = (size_t)B * l->out_n;
        /* Backward functions add into dx; the pooling ones write all of it
         * (their scatter leaves most of it zero), and so does the fused
         * layer norm + activation into the norm's output gradient, so only
         * the others need it cleared first. */
        int fused_act = l->kind == SP_LAYER_ACT && i > 0 && ln_act(m, i - 1);
        if (dx && l->kind != SP_LAYER_POOL && l->kind != SP_LAYER_ABSPOOL && !fused_act) {
            hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 0);
            memset(dx, 0, (size_t)B * l->in_n * sizeof(float));
            hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 1);
        }
        hook(m, i, SP_PHASE_BACKWARD, 0);
        switch (l->kind) {
        case SP_LAYER_LAYERNORM:
            if (ln_act(m, i))
                sp_layernorm_act_backward(dx, g0, g1, l->dout, m->layer[i + 1].dout, m->layer[i + 1].out, x,
                                          l->cache_a, l->cache_b, p0, B, l->in_c, l->in_t, SP_LAYERNORM_EPS,
                                          m->layer[i + 1].act);
            else
                sp_layernorm_backward(dx, g0, g1, l->dout, x, l->cache_a, l->cache_b, p0, B, l->in_c, l->in_t,
                                      SP_LAYERNORM_EPS);
            break;
        case SP_LAYER_SINC:
            if (sinc_pool(m, i))
                sp_sinc_absmaxpool_backward(dx, g0, g1, m->ws, l->dout, m->layer[i + 1].dout, m->layer[i + 1].argmax,
                                            m->layer[i + 1].P, l->out, x, m->taps, p0, p1, &m->sinc, B, l->in_t);
            else
                sp_sinc_backward(dx, g0, g1, m->ws, l->dout, x, m->taps, p0, p1, &m->sinc, B, l->in_t);
            break;
        case SP_LAYER_CONV:
            sp_conv1d_backward(dx, g0, g1, m->ws, l->dout, x, p0, B, l->in_c, l->out_c, l->in_t, l->K);
            break;
        case SP_LAYER_ABS:
            if (dx) sp_abs_backward(dx, l->dout, x, N);
            break;
        case SP_LAYER_POOL:
            if (dx) sp_maxpool_backward_write(dx, l->dout, l->argmax, B * l->in_c, l->in_t, l->P);
            break;
        case SP_LAYER_ABSPOOL:
            if (dx && !(i > 0 && sinc_pool(m, i - 1))) sp_absmaxpool_backward(dx, l->dout, l->argmax, x, B * l->in_c, l->in_t, l->P);
            break;
        case SP_LAYER_ACT:
            if (dx && !fused_act) sp_act_backward(dx, l->dout, l->out, N, l->act);
            break;
        case SP_LAYER_DENSE:
            sp_dense_backward(dx, g0, g1, l->dout, x, p0, B, l->in_t, l->out_t);
            break;
        case SP_LAYER_BATCHNORM:
            sp_batchnorm_backward(dx, g0, g1, l->dout, x, l->cache_a, l->cache_b, p0, B, l->out_t,
                                  m->training && B > 1);
            break;
        case SP_LAYER_DROPOUT:
            if (dx) sp_dropout_backward(dx, l->dout, l->cache_a, N);
            break;
        }
        hook(m, i, SP_PHASE_BACKWARD, 1);
    }
}

const sp_layer *sp_model_layer_of_param(const sp_model *m, size_t i)
{
    for (int k = 0; k < m->nlayers; k++) {
        const sp_layer *l = &m->layer[k];
        for (int j = 0; j < l->np; j++)
            if (i >= l->p_off[j] && i < l->p_off[j] + l->p_len[j]) return l;
    }
    return NULL;
}
