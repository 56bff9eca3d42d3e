/* test_model.c - the assembled network: gradients of the mean NLL with
 * respect to parameters of every layer (sinc cut-offs included) against
 * central finite differences, for the sinc and the conv first layer and
 * each activation; the optimizer steps against hand-computed values;
 * checkpoints round-trip bit for bit and refuse corruption. */
#include "config.h"
#include "nn/checkpoint.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>

static void tiny_conf(sp_conf *c, const char *first, const char *act, const char *dense_norm)
{
    sp_conf_defaults(c);
    snprintf(c->first_layer, sizeof c->first_layer, "%s", first);
    snprintf(c->activation, sizeof c->activation, "%s", act);
    snprintf(c->dense_norm, sizeof c->dense_norm, "%s", dense_norm);
    c->input_ms = 10;  /* 160 samples */
    c->filters = 4;
    c->taps = 31;
    c->nconv = 1;
    c->conv_channels[0] = 3;
    c->conv_kernel[0] = 3;
    c->pool = 2;
    c->ndense = 2;
    c->dense[0] = 7;
    c->dense[1] = 5;
    c->batch = 6;
    c->seed = 5;
}

static double loss_of(sp_model *m, const int *t, int B)
{
    sp_model_forward(m, B, 1);
    return sp_model_loss(m, t, B);
}

/* A hash of where the network is not differentiable: each max-pool's
 * arg-max and the sign of each input to |.|, relu and leaky relu. A
 * finite difference across a change of any of them measures a kink, not
 * the gradient, so such parameters are skipped (and counted). */
static uint64_t kink_signature(const sp_model *m)
{
    uint64_t h = 1469598103934665603ULL;
    const float *x = m->input;
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        size_t n = (size_t)m->B * l->out_n;
        if (l->kind == SP_LAYER_SINC) {
            /* f2 = clamp(f1 + min_band + |band|, ., fs/2): which side of the clamp. */
            const float *lo = m->params + l->p_off[0], *bw = m->params + l->p_off[1];
            for (int f = 0; f < l->out_c; f++) {
                float c = m->sinc.param_scale;
                float f2 = m->sinc.min_low_hz + fabsf(c * lo[f]) + m->sinc.min_band_hz + fabsf(c * bw[f]);
                h = (h ^ (uint64_t)(f2 > m->sinc.fs / 2)) * 1099511628211ULL;
            }
        } else if (l->kind == SP_LAYER_POOL || l->kind == SP_LAYER_ABSPOOL) {
            for (size_t k = 0; k < n; k++) h = (h ^ (uint64_t)l->argmax[k]) * 1099511628211ULL;
            if (l->kind == SP_LAYER_ABSPOOL) /* the sign under |.| */
                for (size_t k = 0; k < n; k++) h = (h ^ (uint64_t)(x[l->argmax[k] + (k / l->out_t) * l->in_t] > 0)) * 1099511628211ULL;
        } else if (l->kind == SP_LAYER_ABS ||
                   (l->kind == SP_LAYER_ACT && (l->act == SP_ACT_RELU || l->act == SP_ACT_LEAKY_RELU))) {
            for (size_t k = 0; k < n; k++) h = (h ^ (uint64_t)(x[k] > 0)) * 1099511628211ULL;
        }
        x = l->out;
    }
    return h;
}

/* Check up to `per` parameters of each tensor of each layer. Batch-norm
 * running statistics move with every training forward but do not affect
 * the training output, so repeated forwards are fine. */
static void gradcheck(const char *first, const char *act, const char *dense_norm, const char *sinc_param)
{
    sp_conf c;
    tiny_conf(&c, first, act, dense_norm);
    snprintf(c.sinc_param, sizeof c.sinc_param, "%s", sinc_param);
    sp_model m;
    sp_error err;
    if (sp_model_init(&m, &c, c.batch, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        sp_test_failures++;
        return;
    }
    sp_rng r;
    sp_rng_seed(&r, 77, 0);
    int B = c.batch, t[16];
    for (size_t i = 0; i < (size_t)B * m.T; i++) m.input[i] = (float)(0.3 * sp_rng_normal(&r));
    for (int b = 0; b < B; b++) t[b] = (int)sp_rng_below(&r, SP_NCLASSES);
    /* Move parameters off their symmetric initial values so every
     * gradient path is exercised. */
    for (size_t i = 0; i < m.nparams; i++) {
        const sp_layer *l = sp_model_layer_of_param(&m, i);
        if (l->kind != SP_LAYER_SINC) m.params[i] += (float)(0.1 * sp_rng_normal(&r));
    }
    loss_of(&m, t, B);
    sp_model_backward(&m, t);
    float *g = sp_xmalloc(m.nparams * sizeof *g);
    memcpy(g, m.grads, m.nparams * sizeof *g);
    double worst = 0;
    const char *worst_layer = "";
    uint64_t base = kink_signature(&m);
    int checked = 0, skipped = 0;
    for (int li = 0; li < m.nlayers; li++) {
        const sp_layer *l = &m.layer[li];
        for (int j = 0; j < l->np; j++) {
            size_t step = l->p_len[j] > 5 ? l->p_len[j] / 5 : 1;
            for (size_t k = 0; k < l->p_len[j]; k += step) {
                size_t i = l->p_off[j] + k;
                float p = m.params[i];
                /* Sinc parameters need a step of 0.5 Hz (in their units). */
                float h = l->kind == SP_LAYER_SINC ? 0.5f / m.sinc.param_scale
                                                   : 3e-3f * (fabsf(p) > 1 ? fabsf(p) : 1.0f);
                m.params[i] = p + h;
                double lp = loss_of(&m, t, B);
                int kink = kink_signature(&m) != base;
                m.params[i] = p - h;
                double lm = loss_of(&m, t, B);
                kink |= kink_signature(&m) != base;
                m.params[i] = p;
                if (kink) {
                    skipped++;
                    continue;
                }
                checked++;
                double fd = (lp - lm) / ((double)(p + h) - (double)(p - h)); /* the steps taken, in float */
                double scale = fabs(fd) + fabs(g[i]) + 1e-3;
                double rel = fabs(fd - g[i]) / scale;
                if (rel > worst) {
                    worst = rel;
                    worst_layer = l->name;
                }
                /* float32 forward passes: below ~2e-4 absolute the finite
                 * difference is rounding noise (loss ~4, step ~3e-3), while
                 * a wiring error shows at the gradient's own size (~1e-2). */
                /* (per Hz for sinc parameters: the stored value's gradient is c times it) */
                double unit = l->kind == SP_LAYER_SINC ? m.sinc.param_scale : 1.0;
                CHECK_MSG(rel < 0.02 || fabs(fd - g[i]) < 2e-4 * unit, "%s/%s/%s/%s: layer %s param %d[%zu]: analytic %.6g, finite difference %.6g",
                          first, act, dense_norm, sinc_param, l->name, j, k, g[i], fd);
            }
        }
    }
    printf("model gradcheck %s/%s/%s/%s: %zu parameters, %d checked, %d skipped at kinks, worst relative error %.2e (%s; below 2e-4 absolute is float noise)\n",
           first, act, dense_norm, sinc_param, m.nparams, checked, skipped, worst, worst_layer);
    /* The check must mostly run: at most a quarter skipped. */
    CHECK_MSG(skipped * 4 <= checked + skipped, "%d of %d parameters skipped at kinks", skipped, checked + skipped);
    free(g);
    sp_model_free(&m);
}

static void optim_check(void)
{
    sp_conf c;
    sp_conf_defaults(&c);
    sp_error err;
    sp_optim o;
    float p[2] = { 1.0f, -2.0f }, g[2] = { 0.5f, -1.0f };
    /* RMSprop: v = 0.05 g^2, p -= lr g / (sqrt(v) + eps). */
    CHECK(sp_optim_init_block(&o, &c, 2, 0, 0, &err) == 0);
    sp_optim_step(&o, p, g);
    CHECK(fabs(p[0] - (1.0 - 1e-3 * 0.5 / (sqrt(0.05 * 0.25) + 1e-8))) < 1e-6);
    CHECK(fabs(p[1] - (-2.0 + 1e-3 * 1.0 / (sqrt(0.05 * 1.0) + 1e-8))) < 1e-6);
    sp_optim_free(&o);
    /* Adam's first step moves each parameter by lr sign(g). */
    snprintf(c.optimizer, sizeof c.optimizer, "adam");
    p[0] = 1.0f;
    p[1] = -2.0f;
    CHECK(sp_optim_init_block(&o, &c, 2, 0, 0, &err) == 0);
    sp_optim_step(&o, p, g);
    CHECK(fabs(p[0] - (1.0 - 1e-3)) < 1e-6 && fabs(p[1] - (-2.0 + 1e-3)) < 1e-6);
    sp_optim_free(&o);
    /* SGD with momentum 0.9 and weight decay 0.1: two steps by hand. */
    snprintf(c.optimizer, sizeof c.optimizer, "sgd");
    c.lr = 0.1;
    c.weight_decay = 0.1;
    float q = 1.0f, gq = 0.5f;
    CHECK(sp_optim_init_block(&o, &c, 1, 0, 0, &err) == 0);
    sp_optim_step(&o, &q, &gq); /* u = 0.5 + 0.1 = 0.6; q = 0.94 */
    CHECK(fabs(q - 0.94) < 1e-6);
    sp_optim_step(&o, &q, &gq); /* u = 0.9*0.6 + 0.5 + 0.094 = 1.134; q = 0.8266 */
    CHECK(fabs(q - 0.8266) < 1e-5);
    sp_optim_free(&o);
}

/* [optim] first_layer_lr_scale: for every optimiser, steps with scale s
 * move the first layer's parameters exactly (bit for bit) as steps at
 * lr * s, and the others exactly as steps at lr. The block is large enough
 * for the threaded path, and the first layer's range straddles a block
 * boundary of the step's work split. */
static void optim_scale_check(void)
{
    static const char *const kinds[] = { "rmsprop", "adam", "sgd" };
    enum { N = 150001, I0 = 16000, I1 = 33001, STEPS = 3 };
    const double s = 7.5;
    float *g = sp_xmalloc(N * sizeof *g), *p0 = sp_xmalloc(N * sizeof *p0);
    float *pa = sp_xmalloc(N * sizeof *pa), *pb = sp_xmalloc(N * sizeof *pb), *pc = sp_xmalloc(N * sizeof *pc);
    sp_rng r;
    sp_rng_seed(&r, 11, 0);
    for (size_t i = 0; i < N; i++) {
        p0[i] = (float)sp_rng_normal(&r);
        g[i] = (float)(0.1 * sp_rng_normal(&r));
    }
    for (int k = 0; k < 3; k++) {
        sp_conf c;
        sp_conf_defaults(&c);
        snprintf(c.optimizer, sizeof c.optimizer, "%s", kinds[k]);
        c.weight_decay = 0.01;
        sp_error err;
        sp_optim a, b, o;
        c.first_layer_lr_scale = s; /* a: lr, the first layer at lr * s */
        CHECK(sp_optim_init_block(&a, &c, N, I0, I1, &err) == 0);
        c.first_layer_lr_scale = 1.0;
        CHECK(sp_optim_init_block(&o, &c, N, I0, I1, &err) == 0); /* everything at lr */
        c.lr = c.lr * s;
        CHECK(sp_optim_init_block(&b, &c, N, 0, 0, &err) == 0); /* everything at lr * s */
        memcpy(pa, p0, N * sizeof *pa);
        memcpy(pb, p0, N * sizeof *pb);
        memcpy(pc, p0, N * sizeof *pc);
        for (int t = 0; t < STEPS; t++) {
            sp_optim_step(&a, pa, g);
            sp_optim_step(&b, pb, g);
            sp_optim_step(&o, pc, g);
        }
        CHECK_MSG(!memcmp(pa + I0, pb + I0, (I1 - I0) * sizeof *pa), "%s: the first layer did not step as at lr * %g",
                  kinds[k], s);
        CHECK_MSG(!memcmp(pa, pc, I0 * sizeof *pa) && !memcmp(pa + I1, pc + I1, (N - I1) * sizeof *pa),
                  "%s: parameters outside the first layer did not step as at lr", kinds[k]);
        CHECK_MSG(memcmp(pa + I0, pc + I0, (I1 - I0) * sizeof *pa) != 0, "%s: the scale changed nothing", kinds[k]);
        sp_optim_free(&a);
        sp_optim_free(&b);
        sp_optim_free(&o);
    }
    /* The model gives its first layer's range: sinc low_p + band_p, or
     * conv1's w + b. */
    const char *firsts[] = { "sinc", "conv" };
    for (int k = 0; k < 2; k++) {
        sp_conf c;
        tiny_conf(&c, firsts[k], "relu", "batch");
        sp_model m;
        sp_optim o;
        sp_error err;
        CHECK(sp_model_init(&m, &c, 2, &err) == 0);
        CHECK(sp_optim_init(&o, &c, &m, &err) == 0);
        const sp_layer *l = &m.layer[1]; /* after in_ln */
        CHECK(l->kind == (k ? SP_LAYER_CONV : SP_LAYER_SINC));
        CHECK_MSG(o.first0 == l->p_off[0] && o.first1 == l->p_off[1] + l->p_len[1] && o.first0 > 0,
                  "%s: first-layer range [%zu, %zu)", firsts[k], o.first0, o.first1);
        sp_optim_free(&o);
        sp_model_free(&m);
    }
    free(g), free(p0), free(pa), free(pb), free(pc);
}

/* Rewrite a checkpoint as one written before [model] sinc_param and
 * [optim] first_layer_lr_scale existed: the same format with those lines
 * absent from its config text (length and checksum fixed). */
static void strip_new_keys(const char *path)
{
    sp_error err;
    size_t len;
    char *buf = sp_read_file(path, &len, &err);
    CHECK_MSG(buf != NULL, "%s", err.msg);
    if (!buf) return;
    uint32_t clen;
    memcpy(&clen, buf + 12, 4);
    char *text = sp_xmalloc(clen + 1);
    memcpy(text, buf + 16, clen);
    text[clen] = '\0';
    char *out = sp_xmalloc(len);
    size_t n = 0;
    for (char *line = text; *line;) {
        size_t k = strcspn(line, "\n");
        int drop = !strncmp(line, "sinc_param =", 12) || !strncmp(line, "first_layer_lr_scale =", 22)
                   || !strncmp(line, "[optim]", 7);
        if (!drop) {
            memcpy(out + n, line, k + (line[k] == '\n'));
            n += k + (line[k] == '\n');
        }
        line += k + (line[k] == '\n');
    }
    CHECK(n < clen && !strstr(text + 0, "sinc_param = hz"));
    FILE *f = fopen(path, "wb");
    uint32_t n32 = (uint32_t)n;
    uint32_t crc = sp_crc32(0, buf, 12);
    crc = sp_crc32(crc, &n32, 4);
    crc = sp_crc32(crc, out, n);
    crc = sp_crc32(crc, buf + 16 + clen, len - 4 - 16 - clen);
    fwrite(buf, 1, 12, f);
    fwrite(&n32, 4, 1, f);
    fwrite(out, 1, n, f);
    fwrite(buf + 16 + clen, 1, len - 4 - 16 - clen, f);
    fwrite(&crc, 4, 1, f);
    fclose(f);
    free(out);
    free(text);
    free(buf);
}

/* Checkpoints record sinc_param and first_layer_lr_scale; one without
 * them (written before they existed) loads as hz and 1. */
static void checkpoint_sinc_param_check(void)
{
    sp_conf c;
    tiny_conf(&c, "sinc", "leaky_relu", "batch");
    snprintf(c.sinc_param, sizeof c.sinc_param, "normalised");
    c.first_layer_lr_scale = 4.0;
    sp_error err;
    sp_model m, m2;
    sp_optim o, o2;
    CHECK(sp_model_init(&m, &c, 4, &err) == 0);
    CHECK(m.sinc.param_scale == 16000.0f && m.param.sinc_low_p[0] < 1.0f);
    CHECK(sp_optim_init(&o, &c, &m, &err) == 0);
    sp_train_pos pos = { 0 };
    pos.lr = 1e-3;
    char *dir = sp_test_tmpdir();
    char *path = sp_xasprintf("%s/n.ckpt", dir);
    CHECK(sp_checkpoint_save(path, &m, &o, &pos, &err) == 0);
    CHECK(sp_checkpoint_load(path, &m2, 4, &o2, NULL, &err) == 0);
    CHECK(!strcmp(m2.conf.sinc_param, "normalised") && m2.sinc.param_scale == 16000.0f);
    CHECK(o2.first_scale == 4.0 && o2.first0 == o.first0 && o2.first1 == o.first1);
    sp_optim_free(&o2);
    sp_model_free(&m2);
    /* The same file the old way: the stored values (fractions of fs) now
     * read as Hz, which is what such a file held. */
    strip_new_keys(path);
    CHECK_MSG(sp_checkpoint_load(path, &m2, 4, &o2, NULL, &err) == 0, "%s", err.msg);
    CHECK(!strcmp(m2.conf.sinc_param, "hz") && m2.sinc.param_scale == 1.0f);
    CHECK(m2.conf.first_layer_lr_scale == 1.0 && o2.first_scale == 1.0);
    CHECK(memcmp(m2.params, m.params, m.nparams * sizeof(float)) == 0);
    float f1[4], f2[4];
    sp_sinc_cutoffs(f1, f2, m2.param.sinc_low_p, m2.param.sinc_band_p, &m2.sinc);
    CHECK(f1[0] == 50.0f + m.param.sinc_low_p[0]);
    sp_optim_free(&o2);
    sp_model_free(&m2);
    sp_optim_free(&o);
    sp_model_free(&m);
    sp_test_rmtree(dir);
    free(dir);
    free(path);
}

/* Normalised parameters are the Hz ones divided by fs: the same cut-offs
 * (to float rounding) and taps, and a model initialised either way. */
static void sinc_param_check(void)
{
    sp_conf c;
    tiny_conf(&c, "sinc", "leaky_relu", "batch");
    snprintf(c.sinc_param, sizeof c.sinc_param, "hz");
    sp_model mh, mn;
    sp_error err;
    CHECK(sp_model_init(&mh, &c, 2, &err) == 0);
    snprintf(c.sinc_param, sizeof c.sinc_param, "normalised");
    CHECK(sp_model_init(&mn, &c, 2, &err) == 0);
    CHECK(mh.sinc.param_scale == 1.0f && mn.sinc.param_scale == 16000.0f);
    float a1[4], a2[4], b1[4], b2[4];
    sp_sinc_cutoffs(a1, a2, mh.param.sinc_low_p, mh.param.sinc_band_p, &mh.sinc);
    sp_sinc_cutoffs(b1, b2, mn.param.sinc_low_p, mn.param.sinc_band_p, &mn.sinc);
    for (int f = 0; f < 4; f++) {
        CHECK(fabsf(mn.param.sinc_low_p[f] * 16000.0f - mh.param.sinc_low_p[f]) <= 1e-3f);
        CHECK_MSG(fabsf(a1[f] - b1[f]) <= 1e-3f && fabsf(a2[f] - b2[f]) <= 1e-3f,
                  "filter %d: cut-offs %g-%g Hz vs normalised %g-%g Hz", f, a1[f], a2[f], b1[f], b2[f]);
    }
    sp_model_free(&mh);
    sp_model_free(&mn);
}

static void checkpoint_check(void)
{
    sp_conf c;
    tiny_conf(&c, "sinc", "leaky_relu", "batch");
    sp_error err;
    sp_model m, m2;
    sp_optim o, o2;
    CHECK(sp_model_init(&m, &c, 4, &err) == 0);
    CHECK(sp_optim_init(&o, &c, &m, &err) == 0);
    for (size_t i = 0; i < m.nparams; i++) {
        m.grads[i] = (float)i * 1e-3f;
        o.m[i] = (float)i;
    }
    sp_optim_step(&o, m.params, m.grads);
    sp_train_pos pos = { 0 };
    pos.epoch = 3;
    pos.step = 17;
    pos.global_step = 117;
    pos.lr = 5e-4;
    pos.best_dev_fer = 0.25;
    pos.loss_sum = 12.5;
    sp_rng_seed(&pos.sampler, 9, 3);
    char *dir = sp_test_tmpdir();
    char *path = sp_xasprintf("%s/x.ckpt", dir);
    CHECK(sp_checkpoint_save(path, &m, &o, &pos, &err) == 0);
    sp_train_pos p2;
    CHECK(sp_checkpoint_load(path, &m2, 4, &o2, &p2, &err) == 0);
    CHECK(m2.nparams == m.nparams && memcmp(m2.params, m.params, m.nparams * sizeof(float)) == 0);
    CHECK(memcmp(m2.state, m.state, m.nstate * sizeof(float)) == 0);
    CHECK(o2.step == 1 && memcmp(o2.v, o.v, o.n * sizeof(float)) == 0);
    CHECK(p2.epoch == 3 && p2.step == 17 && p2.global_step == 117 && p2.lr == 5e-4 && p2.loss_sum == 12.5);
    CHECK(memcmp(&p2.sampler, &pos.sampler, sizeof pos.sampler) == 0);
    {
        char *t1 = NULL, *t2 = NULL;
        size_t l1 = 0, l2 = 0;
        FILE *f1 = open_memstream(&t1, &l1), *f2 = open_memstream(&t2, &l2);
        sp_conf_write(f1, &m.conf);
        sp_conf_write(f2, &m2.conf);
        fclose(f1);
        fclose(f2);
        CHECK(l1 == l2 && strcmp(t1, t2) == 0);
        free(t1);
        free(t2);
    }
    sp_optim_free(&o2);
    sp_model_free(&m2);
    /* Flip one byte: the checksum catches it. */
    size_t len;
    char *buf = sp_read_file(path, &len, &err);
    buf[len / 2] ^= 1;
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    CHECK(sp_checkpoint_load(path, &m2, 4, NULL, NULL, &err) != 0 && strstr(err.msg, "checksum"));
    /* Truncated. */
    f = fopen(path, "wb");
    fwrite(buf, 1, len / 3, f);
    fclose(f);
    CHECK(sp_checkpoint_load(path, &m2, 4, NULL, NULL, &err) != 0);
    /* Not a checkpoint. */
    sp_test_write(dir, "x.ckpt", "hello, world, this is not a checkpoint file at all\n");
    CHECK(sp_checkpoint_load(path, &m2, 4, NULL, NULL, &err) != 0 && strstr(err.msg, "not a sincprobe checkpoint"));
    free(buf);
    free(path);
    sp_test_rmtree(dir);
    free(dir);
    sp_optim_free(&o);
    sp_model_free(&m);
    /* CRC-32 of "123456789" is the standard check value. */
    CHECK(sp_crc32(0, "123456789", 9) == 0xCBF43926u);
}

/* The fused |.| + max-pool equals |.| followed by max-pool, forward and
 * backward (the backward written, not added). */
static void absmaxpool_check(void)
{
    enum { R = 7, T = 31, P = 3, TO = T / P };
    float x[R * T], a[R * T], y1[R * TO], y2[R * TO], dy[R * TO], d1[R * T], d2[R * T], da[R * T];
    int am1[R * TO], am2[R * TO];
    sp_rng r;
    sp_rng_seed(&r, 3, 0);
    for (int i = 0; i < R * T; i++) x[i] = (float)sp_rng_normal(&r);
    x[5] = 0.0f; /* sign(0) = 0 */
    for (int i = 0; i < R * TO; i++) dy[i] = (float)sp_rng_normal(&r);
    sp_abs_forward(a, x, R * T);
    sp_maxpool_forward(y1, am1, a, R, T, P);
    sp_absmaxpool_forward(y2, am2, x, R, T, P);
    CHECK(memcmp(y1, y2, sizeof y1) == 0 && memcmp(am1, am2, sizeof am1) == 0);
    memset(da, 0, sizeof da);
    memset(d1, 0, sizeof d1);
    sp_maxpool_backward(da, dy, am1, R, T, P);
    sp_abs_backward(d1, da, x, R * T);
    for (int i = 0; i < R * T; i++) d2[i] = 12345.0f; /* garbage: the fused backward writes */
    sp_absmaxpool_backward(d2, dy, am2, x, R, T, P);
    CHECK(memcmp(d1, d2, sizeof d1) == 0);
    for (int i = 0; i < R * T; i++) d2[i] = 12345.0f;
    sp_maxpool_backward_write(d2, dy, am1, R, T, P);
    CHECK(memcmp(da, d2, sizeof da) == 0);
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]) / scale);
    return worst;
}

/* The fast convolutions multiply chunks of examples side by side
 * (sp_gemm_chunk); with long outputs and an odd batch the chunks split the
 * batch unevenly. Both must still equal the naive loops. */
static void chunking_check(void)
{
    enum { B = 5, Cin = 2, Cout = 3, K = 5, T = 3004, TO = T - K + 1 };
    CHECK(sp_gemm_chunk(TO, B) > 1 && sp_gemm_chunk(TO, B) < B && B % sp_gemm_chunk(TO, B) != 0);
    sp_rng r;
    sp_rng_seed(&r, 8, 0);
    float *x = sp_xmalloc(sizeof(float) * B * Cin * T), *w = sp_xmalloc(sizeof(float) * Cout * Cin * K);
    float bias[Cout], db1[Cout] = { 0 }, db2[Cout] = { 0 };
    float *y1 = sp_xmalloc(sizeof(float) * B * Cout * TO), *y2 = sp_xmalloc(sizeof(float) * B * Cout * TO);
    float *dy = sp_xmalloc(sizeof(float) * B * Cout * TO);
    float *dx1 = sp_xcalloc((size_t)B * Cin * T, sizeof(float)), *dx2 = sp_xcalloc((size_t)B * Cin * T, sizeof(float));
    float *dw1 = sp_xcalloc((size_t)Cout * Cin * K, sizeof(float)), *dw2 = sp_xcalloc((size_t)Cout * Cin * K, sizeof(float));
    for (int i = 0; i < B * Cin * T; i++) x[i] = (float)sp_rng_normal(&r);
    for (int i = 0; i < Cout * Cin * K; i++) w[i] = (float)sp_rng_normal(&r);
    for (int i = 0; i < Cout; i++) bias[i] = (float)sp_rng_normal(&r);
    for (int i = 0; i < B * Cout * TO; i++) dy[i] = (float)sp_rng_normal(&r);
    float *ws = sp_xmalloc(sizeof(float) * sp_conv1d_workspace(B, Cin, Cout, T, K));
    sp_conv1d_forward(y1, ws, x, w, bias, B, Cin, Cout, T, K);
    sp_conv1d_forward_naive(y2, x, w, bias, B, Cin, Cout, T, K);
    CHECK_MSG(max_rel_diff(y1, y2, (size_t)B * Cout * TO) < 1e-5, "chunked conv forward");
    sp_conv1d_backward(dx1, dw1, db1, ws, dy, x, w, B, Cin, Cout, T, K);
    sp_conv1d_backward_naive(dx2, dw2, db2, dy, x, w, B, Cin, Cout, T, K);
    CHECK_MSG(max_rel_diff(dx1, dx2, (size_t)B * Cin * T) < 1e-5, "chunked conv input gradient");
    CHECK_MSG(max_rel_diff(dw1, dw2, (size_t)Cout * Cin * K) < 1e-5, "chunked conv weight gradient");
    CHECK_MSG(max_rel_diff(db1, db2, Cout) < 1e-5, "chunked conv bias gradient");
    free(ws);

    /* The sinc layer is a conv with its taps as the weights (Cin = 1). */
    sp_sinc_spec s = sp_sinc_spec_make(Cout, 129, 16000.0f);
    int T1 = T - s.K + 1;
    float low[Cout], band[Cout], taps[Cout * 129], dl1[Cout] = { 0 }, dbd1[Cout] = { 0 }, dl2[Cout] = { 0 },
          dbd2[Cout] = { 0 };
    sp_sinc_init(low, band, &s);
    float *sy1 = sp_xmalloc(sizeof(float) * B * Cout * T1), *sy2 = sp_xmalloc(sizeof(float) * B * Cout * T1);
    float *sdy = sp_xmalloc(sizeof(float) * B * Cout * T1);
    float *sdx1 = sp_xcalloc((size_t)B * T, sizeof(float)), *sdx2 = sp_xcalloc((size_t)B * T, sizeof(float));
    float *dtaps = sp_xcalloc((size_t)Cout * s.K, sizeof(float));
    for (int i = 0; i < B * Cout * T1; i++) sdy[i] = (float)sp_rng_normal(&r);
    ws = sp_xmalloc(sizeof(float) * sp_sinc_workspace(&s, B, T));
    sp_sinc_forward(sy1, taps, ws, x, low, band, &s, B, T);
    sp_conv1d_forward_naive(sy2, x, taps, NULL, B, 1, Cout, T, s.K);
    CHECK_MSG(max_rel_diff(sy1, sy2, (size_t)B * Cout * T1) < 1e-5, "chunked sinc forward");
    sp_sinc_backward(sdx1, dl1, dbd1, ws, sdy, x, taps, low, band, &s, B, T);
    sp_conv1d_backward_naive(sdx2, dtaps, NULL, sdy, x, taps, B, 1, Cout, T, s.K);
    sp_sinc_taps_backward(dl2, dbd2, dtaps, low, band, &s);
    CHECK_MSG(max_rel_diff(sdx1, sdx2, (size_t)B * T) < 1e-5, "chunked sinc input gradient");
    CHECK_MSG(max_rel_diff(dl1, dl2, Cout) < 1e-4 && max_rel_diff(dbd1, dbd2, Cout) < 1e-4, "chunked sinc cut-off gradients");
    free(ws);
    free(x), free(w), free(y1), free(y2), free(dy), free(dx1), free(dx2), free(dw1), free(dw2);
    free(sy1), free(sy2), free(sdy), free(sdx1), free(sdx2), free(dtaps);
}

/* ---------------------------------------------------------------------- */
/* sp_model_infer against the reference forward (sp_model_forward with
 * training = 0) */

typedef struct {
    const char *first, *act, *dense_norm, *conv_norm;
    double dropout;
    int big;              /* the sincnet preset's sizes, else the small preset's */
    const char *filter;   /* SP_SINC_FILTER: "fft", "gemm", or NULL (the cost model) */
    const char *input_norm; /* NULL: "layer" */
    const char *sinc_param; /* NULL: the default */
} infer_case;

static void infer_conf(sp_conf *c, const infer_case *k)
{
    sp_conf_defaults(c);
    if (!k->big) { /* the small preset */
        c->input_ms = 100;
        c->filters = 40;
        c->taps = 129;
        c->conv_channels[0] = c->conv_channels[1] = 32;
        c->dense[0] = c->dense[1] = 256;
        c->ndense = 2;
    }
    snprintf(c->first_layer, sizeof c->first_layer, "%s", k->first);
    snprintf(c->activation, sizeof c->activation, "%s", k->act);
    snprintf(c->dense_norm, sizeof c->dense_norm, "%s", k->dense_norm);
    snprintf(c->conv_norm, sizeof c->conv_norm, "%s", k->conv_norm);
    if (k->input_norm) snprintf(c->input_norm, sizeof c->input_norm, "%s", k->input_norm);
    if (k->sinc_param) snprintf(c->sinc_param, sizeof c->sinc_param, "%s", k->sinc_param);
    c->dropout = k->dropout;
    c->seed = 9;
}

/* Parameters and batch-norm statistics away from their initial values (unit
 * gains, zero means), so that every term of the folded forms counts. */
static void perturb(sp_model *m, sp_rng *r)
{
    for (size_t i = 0; i < m->nparams; i++) {
        const sp_layer *l = sp_model_layer_of_param(m, i);
        if (l->kind == SP_LAYER_LAYERNORM || l->kind == SP_LAYER_BATCHNORM)
            m->params[i] += (float)(0.1 * sp_rng_normal(r));
        else if (l->kind != SP_LAYER_SINC) /* weights and biases at their initial scale */
            m->params[i] *= (float)(1.0 + 0.3 * sp_rng_normal(r));
    }
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        if (l->kind != SP_LAYER_BATCHNORM) continue;
        for (size_t k = 0; k < l->s_len[0]; k++) m->state[l->s_off[0] + k] = (float)(0.3 * sp_rng_normal(r));
        for (size_t k = 0; k < l->s_len[1]; k++) m->state[l->s_off[1] + k] = (float)(0.5 + sp_rng_uniform(r));
    }
}

static double max_abs(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > d || e != e) d = e;
    }
    return d;
}

static void infer_check(const infer_case *k)
{
    sp_conf c;
    infer_conf(&c, k);
    sp_model m;
    sp_error err;
    int B = k->big ? 24 : 64;
    if (k->filter) setenv("SP_SINC_FILTER", k->filter, 1);
    if (sp_model_init(&m, &c, B, &err) != 0) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    sp_rng r;
    sp_rng_seed(&r, 31, 0);
    perturb(&m, &r);
    for (size_t i = 0; i < (size_t)B * m.T; i++) m.input[i] = (float)(0.3 * sp_rng_normal(&r));
    size_t nl = (size_t)B * SP_NCLASSES;
    float *ref = sp_xmalloc(nl * sizeof *ref), *state = sp_xmalloc((m.nstate + 1) * sizeof *state);
    sp_model_forward(&m, B, 0);
    memcpy(ref, m.logp, nl * sizeof *ref);
    memcpy(state, m.state, m.nstate * sizeof *state);
    sp_rng rng0 = m.dropout_rng;
    sp_model_infer(&m, B);
    double worst = max_abs(ref, m.logp, nl);
    int flips = 0;
    for (int b = 0; b < B; b++) {
        const float *a = ref + (size_t)b * SP_NCLASSES, *f = m.logp + (size_t)b * SP_NCLASSES;
        int ia = 0, ib = 0;
        for (int v = 1; v < SP_NCLASSES; v++) {
            if (a[v] > a[ia]) ia = v;
            if (f[v] > f[ib]) ib = v;
        }
        flips += ia != ib;
    }
    char what[128];
    snprintf(what, sizeof what, "infer %s/%s/dense_norm %s/conv_norm %s/input_norm %s/dropout %g/%s/%s/%s", k->first,
             k->act, k->dense_norm, k->conv_norm, k->input_norm ? k->input_norm : "layer", k->dropout,
             k->big ? "sincnet" : "small", k->filter ? k->filter : "auto", c.sinc_param);
    printf("%s: max |dlogp| %.2e, argmax differs in %d of %d\n", what, worst, flips, B);
    CHECK_MSG(worst < 1e-4, "%s: max |dlogp| %.3g", what, worst);
    CHECK_MSG(flips * 50 <= B, "%s: argmax differs in %d of %d", what, flips, B);
    CHECK_MSG(!memcmp(state, m.state, m.nstate * sizeof *state), "%s: running statistics changed", what);
    CHECK_MSG(!memcmp(&rng0, &m.dropout_rng, sizeof rng0), "%s: the dropout RNG moved", what);
    /* deterministic: the same bits again; on 1 thread the same within
     * rounding (the dense layers' multi-threaded GEMMs may add in another
     * order, in the reference forward too) */
    memcpy(ref, m.logp, nl * sizeof *ref);
    sp_model_infer(&m, B);
    CHECK_MSG(!memcmp(ref, m.logp, nl * sizeof *ref), "%s: two runs differ", what);
    sp_set_threads(1);
    sp_model_infer(&m, B);
    sp_set_threads(2);
    CHECK_MSG(max_abs(ref, m.logp, nl) < 1e-4, "%s: 1 and 2 threads differ by %.3g", what, max_abs(ref, m.logp, nl));
    /* a batch of one (the last batch of an utterance can be that short) */
    sp_model_forward(&m, 1, 0);
    memcpy(ref, m.logp, SP_NCLASSES * sizeof *ref);
    sp_model_infer(&m, 1);
    CHECK_MSG(max_abs(ref, m.logp, SP_NCLASSES) < 1e-4, "%s: batch of 1: max |dlogp| %.3g", what,
              max_abs(ref, m.logp, SP_NCLASSES));
    if (k->filter) unsetenv("SP_SINC_FILTER");
    free(ref), free(state);
    sp_model_free(&m);
}

static void infer_checks(void)
{
    static const infer_case cases[] = {
        { "sinc", "leaky_relu", "batch", "layer", 0, 0, NULL, NULL },
        { "sinc", "relu", "none", "layer", 0.2, 0, "fft", NULL },
        { "sinc", "tanh", "layer", "none", 0, 0, "gemm", NULL },
        { "sinc", "sigmoid", "batch", "none", 0.2, 0, "fft", NULL },
        { "sinc", "linear", "batch", "layer", 0, 0, "gemm", NULL },
        { "conv", "leaky_relu", "none", "layer", 0.2, 0, NULL, NULL },
        { "conv", "relu", "batch", "layer", 0, 0, NULL, NULL },
        { "conv", "tanh", "batch", "none", 0, 0, NULL, NULL },
        { "conv", "sigmoid", "layer", "layer", 0, 0, NULL, NULL },
        { "conv", "linear", "none", "none", 0, 0, NULL, NULL },
        { "sinc", "relu", "batch", "layer", 0, 0, "fft", "none" },
        { "conv", "tanh", "layer", "none", 0.2, 0, NULL, "none" },
        { "sinc", "leaky_relu", "batch", "layer", 0, 1, "fft", NULL },
        { "conv", "leaky_relu", "batch", "layer", 0, 1, NULL, NULL },
        /* cut-offs stored / fs: the inference taps must read them the same way */
        { "sinc", "leaky_relu", "batch", "layer", 0, 0, "fft", NULL, "normalised" },
        { "sinc", "relu", "none", "layer", 0, 0, "gemm", NULL, "normalised" },
    };
    sp_set_threads(2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) infer_check(&cases[i]);
}

int main(void)
{
    infer_checks();
    absmaxpool_check();
    chunking_check();
    gradcheck("sinc", "leaky_relu", "batch", "hz");
    gradcheck("sinc", "leaky_relu", "batch", "normalised");
    gradcheck("sinc", "tanh", "layer", "hz");
    gradcheck("sinc", "tanh", "layer", "normalised");
    gradcheck("conv", "sigmoid", "batch", "hz");
    gradcheck("conv", "relu", "none", "hz");
    optim_check();
    optim_scale_check();
    checkpoint_check();
    checkpoint_sinc_param_check();
    sinc_param_check();
    return sp_test_result("test_model");
}
