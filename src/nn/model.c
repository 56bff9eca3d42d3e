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
/* building: the layer list, the step list and the parameter layout */

const char *sp_layer_kind_name(sp_layer_kind kind)
{
    switch (kind) {
    case SP_LAYER_LAYERNORM: return "layernorm";
    case SP_LAYER_SINC: return "sinc";
    case SP_LAYER_CONV: return "conv";
    case SP_LAYER_ABS: return "abs";
    case SP_LAYER_POOL: return "pool";
    case SP_LAYER_ACT: return "act";
    case SP_LAYER_DENSE: return "dense";
    case SP_LAYER_BATCHNORM: return "batchnorm";
    case SP_LAYER_DROPOUT: return "dropout";
    case SP_LAYER_ABSPOOL: return "abspool";
    }
    return "other";
}

int sp_model_input_samples(const sp_conf *c)
{
    return sp_conf_input_samples(c);
}

/* Where a tensor's pointer lives in sp_param_tensors (sp_state_tensors):
 * field f, or element i of the array field f. */
#define PARAM(f) offsetof(sp_param_tensors, f)
#define PARAM_AT(f, i) (offsetof(sp_param_tensors, f) + (size_t)(i) * sizeof(float *))
#define STATE_AT(f, i) (offsetof(sp_state_tensors, f) + (size_t)(i) * sizeof(float *))

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

/* A learned tensor of l, next in the block: its name as probes see it,
 * its field in sp_param_tensors, and its shape (rank 1 to 3; d0 d1 d2
 * elements, the unused sizes 0). */
static void add_param(sp_model *m, sp_layer *l, const char *name, size_t field, int rank, long d0, long d1,
                      long d2)
{
    int j = l->np++;
    size_t n = (size_t)d0 * (size_t)(rank > 1 ? d1 : 1) * (size_t)(rank > 2 ? d2 : 1);
    l->p_off[j] = m->nparams;
    l->p_len[j] = n;
    l->p_name[j] = name;
    l->p_field[j] = field;
    l->p_rank[j] = rank;
    l->p_shape[j][0] = d0;
    l->p_shape[j][1] = rank > 1 ? d1 : 0;
    l->p_shape[j][2] = rank > 2 ? d2 : 0;
    m->nparams += n;
}

static void add_state(sp_model *m, sp_layer *l, size_t field, size_t n)
{
    l->s_off[l->ns] = m->nstate;
    l->s_len[l->ns] = n;
    l->s_field[l->ns] = field;
    l->ns++;
    m->nstate += n;
}

/* The step computing the last n layers added (n = 2: fused). */
static void add_step(sp_model *m, sp_step_kind kind, int n)
{
    sp_step *s = &m->step[m->nsteps++];
    s->kind = kind;
    s->layer = m->nlayers - n;
    s->nlayers = n;
}

/* Layer norm over the last axis of a C x T map, gain/bias of full shape. */
static void add_layernorm(sp_model *m, const char *name, int C, int T, size_t gamma, size_t beta)
{
    sp_layer *l = add_layer(m, SP_LAYER_LAYERNORM, name, C, T, C, T);
    add_param(m, l, "gamma", gamma, 2, C, T, 0);
    add_param(m, l, "beta", beta, 2, C, T, 0);
}

static void add_act(sp_model *m, const char *name, int C, int T, sp_act_kind act)
{
    sp_layer *l = add_layer(m, SP_LAYER_ACT, name, C, T, C, T);
    l->act = act;
}

/* A dense layer and its step. */
static void add_dense(sp_model *m, const char *name, int Din, int Dout, size_t w, size_t b)
{
    sp_layer *l = add_layer(m, SP_LAYER_DENSE, name, 1, Din, 1, Dout);
    add_param(m, l, "w", w, 2, Dout, Din, 0);
    add_param(m, l, "b", b, 1, Dout, 0, 0);
    add_step(m, SP_STEP_DENSE, 1);
}

/* Conv block b's convolution (for b = 0 the first layer: the sinc layer
 * or conv1) of Cin x T into Cout channels with K taps, and its max-pool:
 * two layers, one fused step. SincNet takes |.| of the sinc output before
 * pooling: fused into the pool, so the full-resolution |.| map is never
 * stored. Returns the time steps left after the pool. */
static int add_conv_pool(sp_model *m, const sp_conf *c, int b, int Cin, int T, int Cout, int K)
{
    int sinc = b == 0 && !strcmp(c->first_layer, "sinc");
    char name[24];
    sp_layer *l;
    if (sinc) {
        l = add_layer(m, SP_LAYER_SINC, "sinc", 1, T, Cout, T - K + 1);
        add_param(m, l, "low_hz", PARAM(sinc_low_p), 1, Cout, 0, 0);
        add_param(m, l, "band_hz", PARAM(sinc_band_p), 1, Cout, 0, 0);
    } else {
        snprintf(name, sizeof name, "conv%d", b + 1);
        l = add_layer(m, SP_LAYER_CONV, name, Cin, T, Cout, T - K + 1);
        add_param(m, l, "w", PARAM_AT(conv_w, b), 3, Cout, Cin, K);
        add_param(m, l, "b", PARAM_AT(conv_b, b), 1, Cout, 0, 0);
    }
    l->K = K;
    T = T - K + 1;
    snprintf(name, sizeof name, "pool%d", b + 1);
    sp_layer *p = add_layer(m, sinc ? SP_LAYER_ABSPOOL : SP_LAYER_POOL, name, Cout, T, Cout, T / c->pool);
    p->P = c->pool;
    add_step(m, sinc ? SP_STEP_SINC_ABSPOOL : SP_STEP_CONV_POOL, 2);
    return T / c->pool;
}

/* Conv block b's layer norm (conv_norm = layer) and activation of a C x T
 * map: ln{b+1} and act{b+1} as one fused step, or act{b+1} alone. */
static void add_norm_act(sp_model *m, const sp_conf *c, int b, int C, int T, sp_act_kind act)
{
    char name[24];
    int ln = !strcmp(c->conv_norm, "layer");
    if (ln) {
        snprintf(name, sizeof name, "ln%d", b + 1);
        add_layernorm(m, name, C, T, PARAM_AT(ln_gamma, b), PARAM_AT(ln_beta, b));
    }
    snprintf(name, sizeof name, "act%d", b + 1);
    add_act(m, name, C, T, act);
    add_step(m, ln ? SP_STEP_LAYERNORM_ACT : SP_STEP_ACT, ln ? 2 : 1);
}

/* Dense block i: dense{i+1} of Din -> Dout, its normalisation (bn{i+1},
 * or dln{i+1} fused with the activation), dact{i+1}, drop{i+1}. */
static void add_dense_block(sp_model *m, const sp_conf *c, int i, int Din, int Dout, sp_act_kind act)
{
    char name[24];
    snprintf(name, sizeof name, "dense%d", i + 1);
    add_dense(m, name, Din, Dout, PARAM_AT(dense_w, i), PARAM_AT(dense_b, i));
    int D = Dout, ln = 0;
    if (!strcmp(c->dense_norm, "batch")) {
        snprintf(name, sizeof name, "bn%d", i + 1);
        sp_layer *l = add_layer(m, SP_LAYER_BATCHNORM, name, 1, D, 1, D);
        add_param(m, l, "gamma", PARAM_AT(bn_gamma, i), 1, D, 0, 0);
        add_param(m, l, "beta", PARAM_AT(bn_beta, i), 1, D, 0, 0);
        add_state(m, l, STATE_AT(bn_mean, i), (size_t)D);
        add_state(m, l, STATE_AT(bn_var, i), (size_t)D);
        add_step(m, SP_STEP_BATCHNORM, 1);
    } else if (!strcmp(c->dense_norm, "layer")) {
        snprintf(name, sizeof name, "dln%d", i + 1);
        add_layernorm(m, name, 1, D, PARAM_AT(dln_gamma, i), PARAM_AT(dln_beta, i));
        ln = 1;
    }
    snprintf(name, sizeof name, "dact%d", i + 1);
    add_act(m, name, 1, D, act);
    add_step(m, ln ? SP_STEP_LAYERNORM_ACT : SP_STEP_ACT, ln ? 2 : 1);
    if (c->dropout > 0) {
        snprintf(name, sizeof name, "drop%d", i + 1);
        sp_layer *l = add_layer(m, SP_LAYER_DROPOUT, name, 1, D, 1, D);
        l->dropout = (float)c->dropout;
        add_step(m, SP_STEP_DROPOUT, 1);
    }
}

/* The layer and step lists of c; shapes and offsets only, no memory.
 * Each block adds at most 4 layers; the check after each keeps the lists
 * inside their arrays. */
static int plan(sp_model *m, const sp_conf *c, sp_error *err)
{
    m->nlayers = m->nsteps = 0;
    m->nparams = m->nstate = 0;
    int T = m->T;
    int act = sp_act_parse(c->activation);
    if (act < 0) return sp_fail(err, "unknown activation '%s'", c->activation);
    if (!strcmp(c->input_norm, "layer")) {
        add_layernorm(m, "in_ln", 1, T, PARAM(in_ln_gamma), PARAM(in_ln_beta));
        add_step(m, SP_STEP_LAYERNORM, 1);
    }
    int C = c->filters;
    for (int b = 0; b <= c->nconv; b++) {
        int Cin = b == 0 ? 1 : C, Cout = b == 0 ? C : c->conv_channels[b - 1];
        int K = b == 0 ? c->taps : c->conv_kernel[b - 1];
        if (T < K && b == 0) return sp_fail(err, "input of %d samples is shorter than the %d taps", T, K);
        if (T < K) return sp_fail(err, "conv block %d: %d time steps left for a kernel of %d", b + 1, T, K);
        T = add_conv_pool(m, c, b, Cin, T, Cout, K);
        C = Cout;
        if (T < 2) return sp_fail(err, "conv block %d leaves %d time steps; the input is too short", b + 1, T);
        add_norm_act(m, c, b, C, T, (sp_act_kind)act);
        if (m->nlayers > SP_MAX_MODEL_LAYERS - 8) return sp_fail(err, "too many layers");
    }
    int D = C * T;
    if (!strcmp(c->input_norm, "layer")) {
        add_layernorm(m, "flat_ln", 1, D, PARAM(flat_ln_gamma), PARAM(flat_ln_beta));
        add_step(m, SP_STEP_LAYERNORM, 1);
    }
    for (int i = 0; i < c->ndense; i++) {
        add_dense_block(m, c, i, D, c->dense[i], (sp_act_kind)act);
        D = c->dense[i];
        if (m->nlayers > SP_MAX_MODEL_LAYERS - 8) return sp_fail(err, "too many layers");
    }
    add_dense(m, "out", D, SP_NCLASSES, PARAM(out_w), PARAM(out_b));
    return 0;
}

void sp_model_point(sp_param_tensors *t, const sp_model *m, float *block)
{
    *t = (sp_param_tensors){ 0 };
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        for (int j = 0; j < l->np; j++) *(float **)((char *)t + l->p_field[j]) = block + l->p_off[j];
    }
}

static void point_state(sp_state_tensors *t, const sp_model *m)
{
    *t = (sp_state_tensors){ 0 };
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        for (int j = 0; j < l->ns; j++) *(float **)((char *)t + l->s_field[j]) = m->state + l->s_off[j];
    }
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

int sp_model_size(const sp_conf *c, size_t *nparams, size_t *nstate, sp_error *err)
{
    sp_model *m = sp_xcalloc(1, sizeof *m); /* the plan only: no buffers */
    m->T = sp_model_input_samples(c);
    int rc = plan(m, c, err);
    *nparams = m->nparams;
    *nstate = m->nstate;
    free(m);
    return rc;
}

int sp_model_init(sp_model *m, const sp_conf *c, int maxB, sp_error *err)
{
    memset(m, 0, sizeof *m);
    m->conf = *c;
    m->T = sp_model_input_samples(c);
    m->maxB = maxB;
    m->sinc = sp_sinc_spec_make(c->filters, c->taps, (float)SP_SAMPLE_RATE);
    m->sinc.min_low_hz = (float)c->min_low_hz;
    m->sinc.min_band_hz = (float)c->min_band_hz;
    m->sinc.param_scale = sp_model_sinc_param_scale(c);
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
        case SP_LAYER_SINC: { /* training's and sp_model_infer's */
            size_t a = sp_sinc_workspace(&m->sinc, maxB, l->in_t), b = sp_sinc_infer_workspace(&m->sinc, maxB, l->in_t);
            w = a > b ? a : b;
            break;
        }
        case SP_LAYER_CONV: {
            size_t a = sp_conv1d_workspace(maxB, l->in_c, l->out_c, l->in_t, l->K);
            size_t b = sp_conv1d_infer_workspace(maxB, l->in_c, l->out_c, l->in_t, l->K);
            w = a > b ? a : b;
            break;
        }
        case SP_LAYER_DENSE: w = 2 * (size_t)l->out_t; break; /* sp_model_infer: the folded batch norm */
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
    sp_model_point(&m->param, m, m->params);
    sp_model_point(&m->grad, m, m->grads);
    point_state(&m->stat, m);
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

/* The input of layer i: the previous layer's output, or the chunk. */
static const float *input_of(const sp_model *m, int i)
{
    return i > 0 ? m->layer[i - 1].out : m->input;
}

/* Layer l's learned tensor j (w, gamma, low_p: 0; b, beta, band_p: 1). */
static float *param(const sp_model *m, const sp_layer *l, int j)
{
    return m->params + l->p_off[j];
}

/* The last layer a step computes: its output is the step's. */
static sp_layer *step_out(sp_model *m, const sp_step *st)
{
    return &m->layer[st->layer + st->nlayers - 1];
}

/* Step st of the reference forward on input x. */
static void forward_step(sp_model *m, const sp_step *st, const float *x, int B, int training)
{
    int i = st->layer;
    sp_layer *l = &m->layer[i], *next = l + 1; /* next: the second layer of a fused step */
    const float *p0 = param(m, l, 0), *p1 = param(m, l, 1);
    size_t N = (size_t)B * l->out_n;
    switch (st->kind) {
    case SP_STEP_LAYERNORM:
        sp_layernorm_forward(l->out, l->cache_a, l->cache_b, x, p0, p1, B, l->in_c, l->in_t, SP_LAYERNORM_EPS);
        break;
    case SP_STEP_LAYERNORM_ACT:
        sp_layernorm_act_forward(l->out, next->out, l->cache_a, l->cache_b, x, p0, p1, B, l->in_c, l->in_t,
                                 SP_LAYERNORM_EPS, next->act);
        break;
    case SP_STEP_SINC_ABSPOOL:
        sp_sinc_absmaxpool_forward(l->out, next->out, next->argmax, next->P, m->taps, m->ws, x, p0, p1, &m->sinc, B,
                                   l->in_t);
        break;
    case SP_STEP_CONV_POOL:
        sp_conv1d_maxpool_forward(l->out, next->out, next->argmax, next->P, m->ws, x, p0, p1, B, l->in_c, l->out_c,
                                  l->in_t, l->K);
        break;
    case SP_STEP_ACT:
        sp_act_forward(l->out, x, N, l->act);
        break;
    case SP_STEP_DENSE:
        sp_dense_forward(l->out, x, p0, p1, B, l->in_t, l->out_t);
        break;
    case SP_STEP_BATCHNORM:
        sp_batchnorm_forward(l->out, l->cache_a, l->cache_b, m->state + l->s_off[0], m->state + l->s_off[1], x, p0,
                             p1, B, l->out_t, SP_BATCHNORM_MOMENTUM, SP_BATCHNORM_EPS, training && B > 1);
        break;
    case SP_STEP_DROPOUT:
        sp_dropout_forward(l->out, l->cache_a, x, N, l->dropout, &m->dropout_rng, training);
        break;
    }
}

void sp_model_forward(sp_model *m, int B, int training)
{
    m->B = B;
    m->training = training;
    for (int s = 0; s < m->nsteps; s++) {
        int i = m->step[s].layer;
        hook(m, i, SP_PHASE_FORWARD, 0);
        forward_step(m, &m->step[s], input_of(m, i), B, training);
        hook(m, i, SP_PHASE_FORWARD, 1);
    }
    hook(m, SP_HOOK_LOSS, SP_PHASE_FORWARD, 0);
    sp_logsoftmax_nll_forward(m->logp, m->layer[m->nlayers - 1].out, NULL, B, SP_NCLASSES);
    hook(m, SP_HOOK_LOSS, SP_PHASE_FORWARD, 1);
}

/* ---------------------------------------------------------------------- */
/* inference: the same network, fused further */

/* A conv block at step s (sinc or conv + its pool), when the next step is
 * the block's norm and activation (or activation alone), as one call that
 * writes only the activation's output (sp_sinc_infer, sp_conv1d_infer).
 * Returns the steps done: 2, or 0 when the steps are not of that shape. */
static int infer_conv_block(sp_model *m, int s, int B, const float **x)
{
    if (s + 1 >= m->nsteps) return 0;
    const sp_step *st = &m->step[s], *nx = st + 1;
    if (nx->kind != SP_STEP_LAYERNORM_ACT && nx->kind != SP_STEP_ACT) return 0;
    sp_layer *l = &m->layer[st->layer], *pool = l + 1, *last = step_out(m, nx);
    sp_block_tail t = { pool->P, l->kind == SP_LAYER_SINC, NULL, NULL, SP_LAYERNORM_EPS, last->act };
    if (nx->kind == SP_STEP_LAYERNORM_ACT) {
        t.gamma = param(m, &m->layer[nx->layer], 0);
        t.beta = param(m, &m->layer[nx->layer], 1);
    }
    if (l->kind == SP_LAYER_SINC) {
        sp_sinc_taps(m->taps, param(m, l, 0), param(m, l, 1), &m->sinc);
        sp_sinc_infer(last->out, l->out, m->ws, *x, m->taps, &m->sinc, B, l->in_t, &t);
    } else {
        sp_conv1d_infer(last->out, m->ws, *x, param(m, l, 0), param(m, l, 1), B, l->in_c, l->out_c, l->in_t, l->K,
                        &t);
    }
    *x = last->out;
    return 2;
}

/* The dense layer at step s with the batch norm and activation steps that
 * follow it (when they do) as one call, sp_dense_infer. The batch norm of
 * inference is an affine map per feature, folded with the dense bias c:
 *     bn(z + c) = gamma (z + c - mu) r + beta = scale z + shift,
 *     r = 1/sqrt(var + eps), scale = gamma r, shift = beta + scale (c - mu)
 * (scale and shift in the model's workspace). Returns the steps done. */
static int infer_dense(sp_model *m, int s, int B, const float **x)
{
    sp_layer *l = &m->layer[m->step[s].layer], *last = l;
    const float *bias = param(m, l, 1), *scale = NULL, *shift = bias;
    sp_act_kind act = SP_ACT_LINEAR;
    int n = 1, D = l->out_t;
    if (s + n < m->nsteps && m->step[s + n].kind == SP_STEP_BATCHNORM) {
        const sp_layer *bn = step_out(m, &m->step[s + n]);
        const float *gamma = param(m, bn, 0), *beta = param(m, bn, 1);
        const float *mu = m->state + bn->s_off[0], *var = m->state + bn->s_off[1];
        float *sc = m->ws, *sh = m->ws + D;
        for (int o = 0; o < D; o++) {
            float r = (float)(1.0 / sqrt((double)var[o] + SP_BATCHNORM_EPS)); /* as sp_batchnorm_forward */
            sc[o] = gamma[o] * r;
            sh[o] = beta[o] + sc[o] * (bias[o] - mu[o]);
        }
        scale = sc, shift = sh;
        last = step_out(m, &m->step[s + n++]);
    }
    if (s + n < m->nsteps && m->step[s + n].kind == SP_STEP_ACT) {
        last = step_out(m, &m->step[s + n++]);
        act = last->act;
    }
    sp_dense_infer(last->out, *x, param(m, l, 0), scale, shift, B, l->in_t, D, act);
    *x = last->out;
    return n;
}

void sp_model_infer(sp_model *m, int B)
{
    m->B = B;
    m->training = 0;
    const float *x = m->input; /* the current activation */
    for (int s = 0; s < m->nsteps;) {
        const sp_step *st = &m->step[s];
        int n = 0;
        hook(m, st->layer, SP_PHASE_FORWARD, 0);
        if (st->kind == SP_STEP_SINC_ABSPOOL || st->kind == SP_STEP_CONV_POOL)
            n = infer_conv_block(m, s, B, &x);
        else if (st->kind == SP_STEP_DENSE)
            n = infer_dense(m, s, B, &x);
        else if (st->kind == SP_STEP_DROPOUT)
            n = 1; /* the identity at inference: x stays */
        if (!n) {
            forward_step(m, st, x, B, 0);
            x = step_out(m, st)->out;
            n = 1;
        }
        hook(m, st->layer, SP_PHASE_FORWARD, 1);
        s += n;
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

/* After backward step s, which computed the gradients of its layer(s):
 * the lowest offset from which every gradient is final, from the one
 * before it (*from; a layer's tensors lie at increasing offsets). */
static size_t grads_final_from(const sp_model *m, int s, size_t *from)
{
    for (int k = 0; k < m->step[s].nlayers; k++) {
        const sp_layer *l = &m->layer[m->step[s].layer + k];
        for (int j = 0; j < l->np; j++)
            if (l->p_off[j] < *from) *from = l->p_off[j];
    }
    return *from;
}

void sp_model_backward(sp_model *m, const int *targets)
{
    int B = m->B;
    size_t from = m->nparams; /* the gradients final so far: none */
    hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 0);
    memset(m->grads, 0, m->nparams * sizeof(float));
    sp_layer *last = &m->layer[m->nlayers - 1];
    memset(last->dout, 0, (size_t)B * last->out_n * sizeof(float));
    hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 1);
    hook(m, SP_HOOK_LOSS, SP_PHASE_BACKWARD, 0);
    sp_logsoftmax_nll_backward(last->dout, m->logp, targets, B, SP_NCLASSES, 1.0f);
    hook(m, SP_HOOK_LOSS, SP_PHASE_BACKWARD, 1);
    for (int s = m->nsteps - 1; s >= 0; s--) {
        int i = m->step[s].layer;
        sp_layer *l = &m->layer[i], *next = l + 1;
        const float *x = input_of(m, i), *p0 = param(m, l, 0), *p1 = param(m, l, 1);
        float *dx = i > 0 ? m->layer[i - 1].dout : NULL; /* the first layer needs no input gradient */
        float *g0 = m->grads + l->p_off[0], *g1 = m->grads + l->p_off[1];
        size_t N = (size_t)B * l->out_n;
        if (m->step[s].kind == SP_STEP_CONV_POOL) {
            /* The pool's backward, on its own: it writes the whole of the
             * conv's output gradient (its scatter leaves most of it 0). */
            hook(m, i + 1, SP_PHASE_BACKWARD, 0);
            sp_maxpool_backward_write(l->dout, next->dout, next->argmax, B * next->in_c, next->in_t, next->P);
            hook(m, i + 1, SP_PHASE_BACKWARD, 1);
        }
        /* The layer functions add into dx, so it is cleared first. (Inside
         * a fused step the gradient between its two layers is written.) */
        if (dx) {
            hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 0);
            memset(dx, 0, (size_t)B * l->in_n * sizeof(float));
            hook(m, SP_HOOK_ZERO, SP_PHASE_BACKWARD, 1);
        }
        hook(m, i, SP_PHASE_BACKWARD, 0);
        switch (m->step[s].kind) {
        case SP_STEP_LAYERNORM:
            sp_layernorm_backward(dx, g0, g1, l->dout, x, l->cache_a, l->cache_b, p0, B, l->in_c, l->in_t,
                                  SP_LAYERNORM_EPS);
            break;
        case SP_STEP_LAYERNORM_ACT:
            sp_layernorm_act_backward(dx, g0, g1, l->dout, next->dout, next->out, x, l->cache_a, l->cache_b, p0, B,
                                      l->in_c, l->in_t, SP_LAYERNORM_EPS, next->act);
            break;
        case SP_STEP_SINC_ABSPOOL:
            sp_sinc_absmaxpool_backward(dx, g0, g1, m->ws, l->dout, next->dout, next->argmax, next->P, l->out, x,
                                        m->taps, p0, p1, &m->sinc, B, l->in_t);
            break;
        case SP_STEP_CONV_POOL:
            sp_conv1d_backward(dx, g0, g1, m->ws, l->dout, x, p0, B, l->in_c, l->out_c, l->in_t, l->K);
            break;
        case SP_STEP_ACT:
            sp_act_backward(dx, l->dout, l->out, N, l->act);
            break;
        case SP_STEP_DENSE:
            sp_dense_backward(dx, g0, g1, l->dout, x, p0, B, l->in_t, l->out_t);
            break;
        case SP_STEP_BATCHNORM:
            sp_batchnorm_backward(dx, g0, g1, l->dout, x, l->cache_a, l->cache_b, p0, B, l->out_t,
                                  m->training && B > 1);
            break;
        case SP_STEP_DROPOUT:
            sp_dropout_backward(dx, l->dout, l->cache_a, N);
            break;
        }
        hook(m, i, SP_PHASE_BACKWARD, 1);
        if (m->grads_ready) m->grads_ready(m->grads_ready_ctx, grads_final_from(m, s, &from));
    }
}

float sp_model_sinc_param_scale(const sp_conf *c)
{
    return strcmp(c->sinc_param, "normalised") == 0 ? (float)SP_SAMPLE_RATE : 1.0f;
}

void sp_model_first_layer_range(const sp_model *m, size_t *i0, size_t *i1)
{
    const sp_param_tensors *t = &m->param;
    size_t F = (size_t)m->conf.filters;
    /* low_p then band_p, or conv1's w [F][1][K] then b [F]: adjacent in the
     * block (add_conv_pool adds them one after the other). */
    const float *first = t->sinc_low_p ? t->sinc_low_p : t->conv_w[0];
    const float *last = t->sinc_low_p ? t->sinc_band_p : t->conv_b[0];
    *i0 = (size_t)(first - m->params);
    *i1 = (size_t)(last - m->params) + F;
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

/* ---------------------------------------------------------------------- */
/* the named tensors */

int sp_model_tensors(const sp_model *m, sp_tensor_info *t)
{
    static const char *const state_name[2] = { "running_mean", "running_var" };
    int n = 0;
    for (int pass = 0; pass < 2; pass++) /* the parameters, then the state */
        for (int i = 0; i < m->nlayers; i++) {
            const sp_layer *l = &m->layer[i];
            for (int j = 0; j < (pass ? l->ns : l->np) && n < SP_MAX_TENSORS; j++) {
                sp_tensor_info *e = &t[n++];
                memset(e, 0, sizeof *e);
                e->state = pass;
                snprintf(e->name, sizeof e->name, "%s.%s", l->name, pass ? state_name[j] : l->p_name[j]);
                e->off = pass ? l->s_off[j] : l->p_off[j];
                e->len = pass ? l->s_len[j] : l->p_len[j];
                e->rank = pass ? 1 : l->p_rank[j];
                for (int d = 0; d < e->rank; d++) e->shape[d] = pass ? (long)l->s_len[j] : l->p_shape[j][d];
            }
        }
    return n;
}

float *sp_model_tensor_data(const sp_model *m, const sp_tensor_info *t)
{
    return (t->state ? m->state : m->params) + t->off;
}

const char *sp_tensor_shape_text(char *buf, size_t size, int rank, const long *shape)
{
    size_t at = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < rank && at < size; d++)
        at += (size_t)snprintf(buf + at, size - at, "%s%ld", d ? ", " : "", shape[d]);
    if (at < size) snprintf(buf + at, size - at, "]");
    return buf;
}
