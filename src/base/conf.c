/* conf.c - see conf.h. The table below is the single list of keys. */
#include "config.h"
#include "base/conf.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_LONG, K_FLOAT, K_BOOL, K_STR, K_ENUM, K_CONV, K_INTLIST } ktype;

typedef struct {
    const char *section, *key;
    ktype type;
    size_t off;       /* offset in sp_conf */
    size_t size;      /* K_STR / K_ENUM buffer size */
    const char *choices; /* K_ENUM: "a|b|c" */
    double lo, hi;    /* numeric range, inclusive */
    const char *help;
} key_spec;

#define F(m) offsetof(sp_conf, m)
#define S(m) sizeof(((sp_conf *)0)->m)
static const key_spec keys[] = {
    { "data", "corpus", K_STR, F(corpus), S(corpus), NULL, 0, 0, "corpus root in TIMIT layout" },
    { "data", "train_split", K_ENUM, F(train_split), S(train_split), "train|dev|core|test|all", 0, 0, "split trained on" },
    { "data", "dev_split", K_ENUM, F(dev_split), S(dev_split), "train|dev|core|test|all", 0, 0, "split for the per-epoch dev evaluation" },
    { "data", "test_split", K_ENUM, F(test_split), S(test_split), "train|dev|core|test|all", 0, 0, "split sincprobe eval scores by default" },
    { "data", "include_sa", K_BOOL, F(include_sa), 0, NULL, 0, 0, "include the SA1/SA2 sentences" },
    { "data", "gain_jitter", K_FLOAT, F(gain_jitter), 0, NULL, 0, 1, "random chunk gain in [1-g, 1+g]" },
    { "data", "train_utterances", K_INT, F(train_utterances), 0, NULL, 0, 1e9, "train on the first n utterances only (0 = all)" },
    { "data", "dev_utterances", K_INT, F(dev_utterances), 0, NULL, 0, 1e9, "dev utterances per evaluation (0 = all)" },

    { "model", "preset", K_ENUM, F(preset), S(preset), "sincnet|small", 0, 0, "sizes to start from" },
    { "model", "first_layer", K_ENUM, F(first_layer), S(first_layer), "sinc|conv", 0, 0, "learnable sinc filters or free-form taps" },
    { "model", "input_ms", K_FLOAT, F(input_ms), 0, NULL, 10, 2000, "chunk length in ms" },
    { "model", "filters", K_INT, F(filters), 0, NULL, 1, 1024, "first-layer filters" },
    { "model", "taps", K_INT, F(taps), 0, NULL, 3, 4001, "first-layer taps (odd)" },
    { "model", "min_low_hz", K_FLOAT, F(min_low_hz), 0, NULL, 0, SP_SAMPLE_RATE / 2, "sinc: lowest low cut-off" },
    { "model", "min_band_hz", K_FLOAT, F(min_band_hz), 0, NULL, 0, SP_SAMPLE_RATE / 2, "sinc: narrowest band" },
    { "model", "sinc_param", K_ENUM, F(sinc_param), S(sinc_param), "hz|normalised", 0, 0, "sinc: learnable cut-offs stored in Hz or divided by the sample rate" },
    { "model", "conv", K_CONV, 0, 0, NULL, 0, 0, "conv blocks after the first layer, CxK,CxK..." },
    { "model", "pool", K_INT, F(pool), 0, NULL, 1, 16, "max-pool width after each conv" },
    { "model", "input_norm", K_ENUM, F(input_norm), S(input_norm), "layer|none", 0, 0, "normalisation of the raw chunk" },
    { "model", "conv_norm", K_ENUM, F(conv_norm), S(conv_norm), "layer|none", 0, 0, "normalisation in conv blocks" },
    { "model", "dense_norm", K_ENUM, F(dense_norm), S(dense_norm), "layer|batch|none", 0, 0, "normalisation in dense blocks" },
    { "model", "activation", K_ENUM, F(activation), S(activation), "leaky_relu|relu|tanh|sigmoid|linear", 0, 0, "hidden activation" },
    { "model", "dense", K_INTLIST, 0, 0, NULL, 1, 65536, "dense layer sizes, comma separated" },
    { "model", "dropout", K_FLOAT, F(dropout), 0, NULL, 0, 0.99, "dropout after each dense block" },

    { "train", "epochs", K_INT, F(epochs), 0, NULL, 1, 100000, "epochs" },
    { "train", "steps_per_epoch", K_INT, F(steps_per_epoch), 0, NULL, 1, 1e9, "mini-batches per epoch" },
    { "train", "batch", K_INT, F(batch), 0, NULL, 1, 65536, "chunks per mini-batch" },
    { "train", "optimizer", K_ENUM, F(optimizer), S(optimizer), "rmsprop|adam|sgd", 0, 0, "optimizer" },
    { "train", "lr", K_FLOAT, F(lr), 0, NULL, 0, 10, "learning rate" },
    { "train", "alpha", K_FLOAT, F(alpha), 0, NULL, 0, 1, "RMSprop smoothing" },
    { "train", "eps", K_FLOAT, F(eps), 0, NULL, 0, 1, "RMSprop/Adam epsilon" },
    { "train", "momentum", K_FLOAT, F(momentum), 0, NULL, 0, 1, "SGD momentum" },
    { "train", "beta1", K_FLOAT, F(beta1), 0, NULL, 0, 1, "Adam beta1" },
    { "train", "beta2", K_FLOAT, F(beta2), 0, NULL, 0, 1, "Adam beta2" },
    { "train", "weight_decay", K_FLOAT, F(weight_decay), 0, NULL, 0, 1, "L2 weight decay" },
    { "train", "lr_halving", K_BOOL, F(lr_halving), 0, NULL, 0, 0, "halve lr when dev FER stops improving" },
    { "train", "lr_halving_threshold", K_FLOAT, F(lr_halving_threshold), 0, NULL, 0, 1, "relative dev FER gain counted as improving" },
    { "train", "seed", K_LONG, F(seed), 0, NULL, 0, 9.2e18, "random seed" },
    { "train", "threads", K_INT, F(threads), 0, NULL, 1, 256, "worker threads" },
    { "train", "log_every", K_INT, F(log_every), 0, NULL, 0, 1e9, "steps between rows of steps.tsv (0: none)" },
    { "train", "init_from", K_STR, F(init_from), S(init_from), NULL, 0, 0, "start from this model's weights (checkpoint, run directory or .npz)" },
    { "train", "freeze_first_layer", K_BOOL, F(freeze_first_layer), 0, NULL, 0, 0, "keep the first layer's parameters fixed" },
    { "train", "shards", K_INT, F(shards), 0, NULL, 0, 65536, "batch slices, gradients summed in order (0: one per MPI rank)" },
    { "train", "overlap", K_BOOL, F(overlap), 0, NULL, 0, 0, "MPI: exchange the gradient during the backward pass" },
    { "train", "ranks", K_INT, F(ranks), 0, NULL, 1, 1e6, "recorded: the MPI ranks that trained the run" },

    { "optim", "first_layer_lr_scale", K_FLOAT, F(first_layer_lr_scale), 0, NULL, 0, 1e6, "learning-rate factor of the first layer's parameters (0 freezes them)" },

    { "eval", "min_duration", K_INT, F(min_duration), 0, NULL, 1, 100, "minimum phone duration in frames" },
    { "eval", "insertion_penalty", K_FLOAT, F(insertion_penalty), 0, NULL, -1000, 1000, "log penalty per phone" },
    { "eval", "lm_weight", K_FLOAT, F(lm_weight), 0, NULL, 0, 100, "bigram LM weight" },
    { "eval", "prior_scale", K_FLOAT, F(prior_scale), 0, NULL, 0, 10, "scale of the log class priors" },

    { "run", "dir", K_STR, F(dir), S(dir), NULL, 0, 0, "run directory" },
};
#undef F
#undef S
#define NKEYS (sizeof keys / sizeof keys[0])

static void preset(sp_conf *c, const char *which)
{
    char name[sizeof c->preset];
    snprintf(name, sizeof name, "%s", which); /* which may be c->preset */
    snprintf(c->preset, sizeof c->preset, "%s", name);
    memset(c->conv_channels, 0, sizeof c->conv_channels);
    memset(c->conv_kernel, 0, sizeof c->conv_kernel);
    memset(c->dense, 0, sizeof c->dense);
    /* The first layer's learning: the same for both presets for now. */
    snprintf(c->sinc_param, sizeof c->sinc_param, "%s", SP_DEFAULT_SINC_PARAM);
    c->first_layer_lr_scale = SP_DEFAULT_FIRST_LAYER_LR_SCALE;
    if (strcmp(name, "small") == 0) {
        c->input_ms = 100;
        c->filters = 40;
        c->taps = 129;
        c->nconv = 2;
        c->conv_channels[0] = c->conv_channels[1] = 32;
        c->conv_kernel[0] = c->conv_kernel[1] = 5;
        c->ndense = 2;
        c->dense[0] = c->dense[1] = 256;
        c->batch = 64;
        c->steps_per_epoch = 200;
        c->epochs = 10;
    } else { /* sincnet: the SincNet TIMIT recipe */
        c->input_ms = 200;
        c->filters = 80;
        c->taps = 251;
        c->nconv = 2;
        c->conv_channels[0] = c->conv_channels[1] = 60;
        c->conv_kernel[0] = c->conv_kernel[1] = 5;
        c->ndense = 3;
        c->dense[0] = c->dense[1] = c->dense[2] = 2048;
        c->batch = 128;
        c->steps_per_epoch = 800;
        c->epochs = 24;
    }
}

int sp_conf_input_samples(const sp_conf *c)
{
    return (int)lround(c->input_ms * (SP_SAMPLE_RATE / 1000.0));
}

void sp_conf_defaults(sp_conf *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->corpus, sizeof c->corpus, "synth-timit");
    snprintf(c->train_split, sizeof c->train_split, "train");
    snprintf(c->dev_split, sizeof c->dev_split, "dev");
    snprintf(c->test_split, sizeof c->test_split, "core");
    c->gain_jitter = 0.2;
    snprintf(c->first_layer, sizeof c->first_layer, "sinc");
    c->min_low_hz = SP_DEFAULT_MIN_LOW_HZ;
    c->min_band_hz = SP_DEFAULT_MIN_BAND_HZ;
    c->pool = 3;
    snprintf(c->input_norm, sizeof c->input_norm, "layer");
    snprintf(c->conv_norm, sizeof c->conv_norm, "layer");
    snprintf(c->dense_norm, sizeof c->dense_norm, "batch");
    snprintf(c->activation, sizeof c->activation, "leaky_relu");
    snprintf(c->optimizer, sizeof c->optimizer, "rmsprop");
    c->lr = 1e-3;
    c->alpha = 0.95;
    c->eps = 1e-8;
    c->momentum = 0.9;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->lr_halving = 1;
    c->lr_halving_threshold = 0.001;
    c->seed = 1234;
    c->threads = 2;
    c->log_every = 10;
    c->shards = 0;
    c->ranks = 1;
    c->min_duration = 3;
    c->lm_weight = 1.0;
    c->prior_scale = 1.0;
    snprintf(c->dir, sizeof c->dir, "runs/default");
    preset(c, "sincnet");
}

/* Set one key from its text; 0, or -1 with err. */
static int set_key(sp_conf *c, const key_spec *k, const char *v, sp_error *err)
{
    char *base = (char *)c;
    char *end;
    switch (k->type) {
    case K_INT:
    case K_LONG: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end) {
            return sp_fail(err, "'%s' is not an integer", v);
        }
        if ((double)x < k->lo || (double)x > k->hi) {
            return sp_fail(err, "%lld is out of range [%.15g, %.15g]", x, k->lo, k->hi);
        }
        if (k->type == K_INT) *(int *)(base + k->off) = (int)x;
        else *(long *)(base + k->off) = (long)x;
        return 0;
    }
    case K_FLOAT: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x)) {
            return sp_fail(err, "'%s' is not a number", v);
        }
        if (x < k->lo || x > k->hi) {
            return sp_fail(err, "%g is out of range [%g, %g]", x, k->lo, k->hi);
        }
        *(double *)(base + k->off) = x;
        return 0;
    }
    case K_BOOL:
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
            *(int *)(base + k->off) = 1;
        else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
            *(int *)(base + k->off) = 0;
        else {
            return sp_fail(err, "'%s' is not yes or no", v);
        }
        return 0;
    case K_STR:
        if (strlen(v) >= k->size || !*v) {
            return sp_fail(err, *v ? "value is longer than %zu characters" : "value is empty", k->size - 1);
        }
        snprintf(base + k->off, k->size, "%s", v);
        return 0;
    case K_ENUM: {
        size_t n = strlen(v);
        for (const char *p = k->choices; *p;) {
            size_t m = strcspn(p, "|");
            if (m == n && strncmp(p, v, n) == 0) {
                snprintf(base + k->off, k->size, "%s", v);
                return 0;
            }
            p += m + (p[m] == '|');
        }
        return sp_fail(err, "'%s' is not one of %s", v, k->choices);
    }
    case K_CONV:
    case K_INTLIST: {
        int n = 0, a[SP_CONF_MAXLAYERS] = { 0 }, b[SP_CONF_MAXLAYERS] = { 0 };
        const char *p = v;
        while (*p) {
            if (n == SP_CONF_MAXLAYERS) {
                return sp_fail(err, "more than %d layers", SP_CONF_MAXLAYERS);
            }
            errno = 0;
            long x = strtol(p, &end, 10), y = 0;
            int ok = end != p && x >= 1 && x <= 65536;
            if (ok && k->type == K_CONV) {
                ok = *end == 'x';
                if (ok) {
                    const char *q = end + 1;
                    y = strtol(q, &end, 10);
                    ok = end != q && y >= 1 && y <= 1025;
                }
            }
            while (*end == ' ') end++;
            if (!ok || (*end && *end != ',')) {
                return sp_fail(err, k->type == K_CONV ? "expected CHANNELSxKERNEL,... (e.g. 60x5,60x5), got '%s'"
                                                        : "expected positive sizes separated by commas, got '%s'", v);
            }
            a[n] = (int)x;
            b[n] = (int)y;
            n++;
            p = *end ? end + 1 : end;
            while (*p == ' ') p++;
        }
        if (k->type == K_CONV) {
            c->nconv = n;
            memcpy(c->conv_channels, a, sizeof a);
            memcpy(c->conv_kernel, b, sizeof b);
        } else {
            c->ndense = n;
            memcpy(c->dense, a, sizeof a);
        }
        return 0;
    }
    }
    return -1;
}

static const key_spec *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key)) return &keys[i];
    return NULL;
}

static int known_section(const char *s)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, s)) return 1;
    return 0;
}

/* ---- "did you mean" for unknown keys and sections */

/* What an unknown key of a known section may have meant, into buf
 * (size bytes, "" when nothing): the key itself in another section
 * ("; 'epochs' is a key of [train]"), else the nearest key of its own
 * section ("; did you mean 'epochs'?"), else the nearest key of another
 * ("; did you mean 'epochs' in [train]?"). */
static void key_hint(const char *section, const char *key, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].key, key)) {
            snprintf(buf, size, "; '%s' is a key of [%s]", key, keys[i].section);
            return;
        }
    sp_suggest own, any;
    sp_suggest_init(&own, key);
    sp_suggest_init(&any, key);
    for (size_t i = 0; i < NKEYS; i++) {
        if (!strcmp(keys[i].section, section)) sp_suggest_add(&own, keys[i].key);
        else sp_suggest_add(&any, keys[i].key);
    }
    if (sp_suggest_best(&own)) {
        snprintf(buf, size, "; did you mean '%s'?", sp_suggest_best(&own));
        return;
    }
    const char *near = sp_suggest_best(&any), *where = NULL;
    if (near) sp_conf_find_key(near, &where);
    if (near) snprintf(buf, size, "; did you mean '%s' in [%s]?", near, where);
}

const char *sp_conf_find_key(const char *word, const char **section)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].key, word)) {
            if (section) *section = keys[i].section;
            return keys[i].key;
        }
    sp_suggest s;
    sp_suggest_init(&s, word);
    for (size_t i = 0; i < NKEYS; i++) sp_suggest_add(&s, keys[i].key);
    const char *near = sp_suggest_best(&s);
    for (size_t i = 0; near && i < NKEYS; i++)
        if (keys[i].key == near && section) *section = keys[i].section;
    return near;
}

/* "; did you mean '[train]'?" for an unknown section, or "". */
static void section_hint(const char *section, char *buf, size_t size)
{
    static const char *const names[] = { "data", "model", "train", "optim", "eval", "run" };
    sp_suggest s;
    sp_suggest_init(&s, section);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) sp_suggest_add(&s, names[i]);
    if (sp_suggest_best(&s)) snprintf(buf, size, "; did you mean [%s]?", sp_suggest_best(&s));
    else buf[0] = '\0';
}

/* ---- [probe ID] sections (begin): kept as text for the probe chain */

/* Append "[section]" or "key = value" as line `line` of c->probes, after
 * empty lines from *at_line on; 0, or -1 when the buffer is full. */
static int put_probe_line(sp_conf *c, size_t *at, long *at_line, long line, const char *a, const char *b)
{
    size_t cap = sizeof c->probes;
    while (*at_line < line && *at + 1 < cap) {
        c->probes[(*at)++] = '\n';
        (*at_line)++;
    }
    int n = b ? snprintf(c->probes + *at, cap - *at, "%s = %s\n", a, b)
              : snprintf(c->probes + *at, cap - *at, "[%s]\n", a);
    if (*at_line < line || n < 0 || (size_t)n >= cap - *at) return -1;
    *at += (size_t)n;
    (*at_line)++;
    return 0;
}

/* Keep the [probe ID] sections of ini in c->probes, each line at its line
 * number in ini->path. */
static void keep_probe_sections(sp_conf *c, const sp_ini *ini, sp_diag *d)
{
    size_t at = 0;
    long line = 1;
    int full = 0;
    for (size_t i = 0; i < ini->nsections && !full; i++) {
        const sp_ini_section *s = &ini->sections[i];
        if (strncmp(s->section, "probe ", 6) != 0) continue;
        full = put_probe_line(c, &at, &line, s->line, s->section, NULL) != 0;
        for (size_t k = 0; k < ini->n && !full; k++)
            if (!strcmp(ini->v[k].section, s->section))
                full = put_probe_line(c, &at, &line, ini->v[k].line, ini->v[k].key, ini->v[k].value) != 0;
        if (full)
            sp_diag_add(d, ini->path, s->line, "the [probe ID] sections take more than %zu bytes",
                        sizeof c->probes - 1);
    }
    if (full) at = 0;
    c->probes[at] = '\0';
    snprintf(c->probes_file, sizeof c->probes_file, "%s", at ? ini->path : "");
}

/* ---- [probe ID] sections (end) */

int sp_conf_resolve(sp_conf *c, const sp_ini *ini, sp_diag *d)
{
    size_t before = d->n;
    sp_conf_defaults(c);
    for (size_t i = 0; i < ini->nsections; i++) {
        const char *s = ini->sections[i].section;
        if (known_section(s) || strncmp(s, "probe ", 6) == 0) continue;
        char hint[128];
        section_hint(s, hint, sizeof hint);
        sp_diag_add(d, ini->path, ini->sections[i].line,
                    "unknown section '[%s]': expected [data], [model], [train], [optim], [eval], [run] or [probe ID]%s", s,
                    hint);
    }
    sp_error why;
    const sp_ini_entry *p = sp_ini_get(ini, "model", "preset");
    if (p) {
        const key_spec *k = find_key("model", "preset");
        if (set_key(c, k, p->value, &why) != 0)
            sp_diag_add(d, ini->path, p->line, "[model] preset: %s", why.msg);
        else
            preset(c, c->preset);
    }
    for (size_t i = 0; i < ini->n && !sp_diag_stop(d); i++) {
        const sp_ini_entry *e = &ini->v[i];
        if (!strncmp(e->section, "probe ", 6) || !known_section(e->section)) continue;
        const key_spec *k = find_key(e->section, e->key);
        if (!k) {
            char hint[256];
            key_hint(e->section, e->key, hint, sizeof hint);
            sp_diag_add(d, ini->path, e->line, "unknown key '%s' in [%s]%s (see sincprobe.conf(5))", e->key, e->section,
                        hint);
            continue;
        }
        if (k == find_key("model", "preset")) continue;
        if (set_key(c, k, e->value, &why) != 0)
            sp_diag_add(d, ini->path, e->line, "[%s] %s: %s", e->section, e->key, why.msg);
    }
    keep_probe_sections(c, ini, d);
    /* Checks across keys. */
    if (d->n == before) {
        int T = sp_conf_input_samples(c);
        const sp_ini_entry *where = sp_ini_get(ini, "model", "taps");
        if (c->taps % 2 == 0)
            sp_diag_add(d, ini->path, where ? where->line : 0, "[model] taps: %d is even; the filters need an odd length", c->taps);
        /* The time axis must survive every conv and pool. */
        int t = (T - c->taps + 1) / c->pool;
        for (int i = 0; i < c->nconv && t > 0; i++) t = (t - c->conv_kernel[i] + 1) / c->pool;
        if (t < 1) {
            where = sp_ini_get(ini, "model", "input_ms");
            sp_diag_add(d, ini->path, where ? where->line : 0,
                        "[model] input_ms: %g ms (%d samples) is too short for the taps, kernels and pooling", c->input_ms, T);
        }
    }
    return d->n > before ? -1 : 0;
}

/* ---- paths (begin): a loaded config's relative paths */

/* Make the path key (section, key) of c absolute: against base (the
 * config's folder) when the file set it, recording "FILE:LINE" in at;
 * against the current directory when it is the default. 0, or -1 with a
 * problem in d when the absolute path does not fit. */
static int absolute_key(sp_conf *c, const sp_ini *ini, const char *base, const char *section, const char *key,
                        char *at, size_t at_size, sp_diag *d)
{
    const key_spec *k = find_key(section, key);
    char *value = (char *)c + k->off;
    const sp_ini_entry *e = sp_ini_get(ini, section, key);
    char *abs = sp_path_absolute(e ? base : NULL, value);
    int rc = 0;
    if (strlen(abs) >= k->size) {
        sp_diag_add(d, ini->path, e ? e->line : 0, "[%s] %s: '%s' is longer than %zu characters", section, key, abs,
                    k->size - 1);
        rc = -1;
    } else {
        snprintf(value, k->size, "%s", abs);
    }
    free(abs);
    if (e) snprintf(at, at_size, "%s:%ld", ini->path, e->line);
    return rc;
}

static int absolute_paths(sp_conf *c, const sp_ini *ini, sp_diag *d)
{
    char *base = sp_path_folder_of(ini->path);
    if (!base) base = sp_xstrdup("");
    int rc = absolute_key(c, ini, base, "data", "corpus", c->corpus_at, sizeof c->corpus_at, d);
    rc |= absolute_key(c, ini, base, "run", "dir", c->dir_at, sizeof c->dir_at, d);
    char init_at[sizeof c->dir_at];
    if (c->init_from[0]) rc |= absolute_key(c, ini, base, "train", "init_from", init_at, sizeof init_at, d);
    if (strlen(base) >= sizeof c->probes_base) {
        sp_diag_add(d, ini->path, 0, "the config's folder '%s' is longer than %zu characters", base,
                    sizeof c->probes_base - 1);
        rc = -1;
    } else {
        snprintf(c->probes_base, sizeof c->probes_base, "%s", base);
    }
    free(base);
    return rc;
}

/* ---- paths (end) */

int sp_conf_load(sp_conf *c, const char *path, sp_diag *d)
{
    sp_ini ini;
    int rc = sp_ini_load(&ini, path, d);
    if (rc == 0) rc = sp_conf_resolve_file(c, &ini, d);
    sp_ini_free(&ini);
    return rc;
}

int sp_conf_resolve_file(sp_conf *c, const sp_ini *ini, sp_diag *d)
{
    int rc = sp_conf_resolve(c, ini, d);
    if (rc == 0) rc = absolute_paths(c, ini, d);
    return rc;
}

void sp_conf_write(FILE *f, const sp_conf *c)
{
    const char *base = (const char *)c;
    const char *section = "";
    fputs("# resolved by sincprobe: every key, defaults filled in\n", f);
    for (size_t i = 0; i < NKEYS; i++) {
        const key_spec *k = &keys[i];
        if (strcmp(section, k->section)) {
            section = k->section;
            fprintf(f, "%s[%s]\n", i ? "\n" : "", section);
        }
        if (k->type == K_STR && !*(base + k->off)) continue; /* unset (init_from): no value to write */
        fprintf(f, "%s = ", k->key);
        switch (k->type) {
        case K_INT: fprintf(f, "%d", *(const int *)(base + k->off)); break;
        case K_LONG: fprintf(f, "%ld", *(const long *)(base + k->off)); break;
        case K_FLOAT: fprintf(f, "%.17g", *(const double *)(base + k->off)); break;
        case K_BOOL: fputs(*(const int *)(base + k->off) ? "yes" : "no", f); break;
        case K_STR:
        case K_ENUM: fputs(base + k->off, f); break;
        case K_CONV:
            for (int j = 0; j < c->nconv; j++) fprintf(f, "%s%dx%d", j ? "," : "", c->conv_channels[j], c->conv_kernel[j]);
            break;
        case K_INTLIST:
            for (int j = 0; j < c->ndense; j++) fprintf(f, "%s%d", j ? "," : "", c->dense[j]);
            break;
        }
        fputc('\n', f);
    }
    /* The [probe ID] sections, without the padding lines. */
    for (const char *p = c->probes; *p;) {
        size_t n = strcspn(p, "\n");
        if (n) fprintf(f, "%s%.*s\n", *p == '[' ? "\n" : "", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

const char *sp_conf_key_name(int i, const char **section, const char **help)
{
    if (i < 0 || (size_t)i >= NKEYS) return NULL;
    if (section) *section = keys[i].section;
    if (help) *help = keys[i].help;
    return keys[i].key;
}
