/* ladspa.c - the `ladspa` probe: any LADSPA effect applied to the audio as
 * the network sees it, a degradation in training or evaluation (a codec
 * simulator, a reverb, an EQ, a distortion; sincprobe-probes(7)).
 *
 * Hosting (finding the library, ports, hints, controls, latency,
 * denormals) is src/ladspa/host.h; this file decides what audio goes
 * through the plugin:
 *
 * scope = utterance (the default): each utterance of a split once, whole,
 * at unit gain: activate, run, deactivate (so a reverb's tail never leaks
 * into the next utterance, and a codec's state starts fresh), cached for
 * the run; a chunk gets its slice times the chunk's gain. What probes
 * before this one in the chain changed (added noise) is kept, added to the
 * processed slice: chunk = gain * fx(u)[slice] + (chunk - gain * u[slice]).
 * So [noise, ladspa] acts as ladspa then noise in this scope. The cache
 * holds 4 bytes per sample of each split it meets (TIMIT's training set:
 * about 730 MB).
 *
 * scope = chunk: every chunk as the chain hands it over, on its own:
 * activate, run, deactivate. A stateful effect then starts cold on every
 * 200 ms chunk.
 *
 * C's rand() is seeded before each activation (some plugins draw noise
 * from it): from (seed, role, utterance) or (seed, role, epoch, step,
 * chunk), so a run is reproducible and a resumed run processes alike. */
#include <sincprobe/probe.h>

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "base/error.h"
#include "ladspa/host.h"

enum { OPT_PLUGIN, OPT_LABEL, OPT_ID, OPT_CONTROLS, OPT_IN, OPT_OUT, OPT_APPLY, OPT_SCOPE, OPT_MIX, OPT_SEED,
       OPT_LISTEN, OPT_FRACTION, NOPT };
enum { SCOPE_CHUNK, SCOPE_UTT };
#define RATE 16000 /* the host's rate; run->sample_rate is checked against it in on_start */

static const sp_probe_option options[NOPT] = {
    { .name = "plugin", .type = SP_PROBE_OPT_NAME_OR_PATH, .default_value = NULL,
      .help = "the LADSPA library: a file name found on LADSPA_PATH (.so optional), or a path" },
    { .name = "label", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "which plugin of the library, by label (or give id; neither: the library's only plugin)" },
    { .name = "id", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 16777215,
      .help = "which plugin of the library, by UniqueID" },
    { .name = "controls", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "control values by port name, name=value separated by , or ; (unset ports: their default)" },
    { .name = "in_port", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "the audio input fed (the others get silence); default: every audio input" },
    { .name = "out_port", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "the audio output taken; default: the first" },
    { .name = "apply_to", .type = SP_PROBE_OPT_STRING, .default_value = "train",
      .help = "the roles processed: a comma list of train, dev, test" },
    { .name = "scope", .type = SP_PROBE_OPT_ENUM, .default_value = "utterance", .choices = "chunk|utterance",
      .help = "each utterance whole (cached), or each chunk on its own" },
    { .name = "mix", .type = SP_PROBE_OPT_FLOAT, .default_value = "1", .min = 0, .max = 1,
      .help = "dry/wet: (1 - mix) input + mix output" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "-1", .min = -1, .max = 2147483647,
      .help = "seeds C's rand() before each activation (-1: the probe's stream of the run's seed)" },
    { .name = "listen", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1000000,
      .help = "write the first N processed utterances (or chunks) as WAV files into listen/" },
    { .name = "fraction", .type = SP_PROBE_OPT_FLOAT, .default_value = "1", .min = 0, .max = 1,
      .help = "the share of utterances (or chunks) processed, drawn per utterance (chunk) from the seed; the rest stay clean" },
};

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    sp_ladspa_lib *lib;
    sp_ladspa_fx *fx;
    char path[4096];
    int scope, apply[SP_PROBE_NROLES];
    double mix, fraction;
    uint64_t base;
    long listen, listened;
    long seen, done;          /* utterances (or chunks) met, and processed */
    long batches;             /* on_batch calls that processed audio */
    double cpu_s;             /* thread CPU seconds spent in them */
    long latency;
    /* on_start */
    int T;
    const sp_probe_dataset *data[SP_PROBE_NROLES];
    float **cache[SP_PROBE_NROLES]; /* [n] processed utterances, made on first use */
    float *in, *out;                /* [longest utterance or T] */
    long cap;
} ladspa_probe;

/* The cache entry of an utterance the fraction leaves clean. */
static float left_clean;

static void destroy(void *self)
{
    ladspa_probe *x = self;
    if (!x) return;
    sp_ladspa_fx_free(x->fx);
    sp_ladspa_close(x->lib);
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        if (!x->cache[r]) continue;
        for (unsigned long i = 0; x->data[r] && i < x->data[r]->n; i++)
            if (x->cache[r][i] != &left_clean) free(x->cache[r][i]);
        free(x->cache[r]);
    }
    free(x->in);
    free(x->out);
    free(x);
}

/* Find, load and instantiate the plugin with its controls (at 16 kHz:
 * on_start checks the run's rate). The option blamed for each error. */
static int open_plugin(ladspa_probe *x, const sp_probe_value *v, sp_probe_error *err)
{
    sp_error e;
    if (sp_ladspa_find(v[OPT_PLUGIN].text, x->path, sizeof x->path, &e) != 0) return aug_put(&e, err, OPT_PLUGIN);
    if (!(x->lib = sp_ladspa_open(x->path, &e))) return aug_put(&e, err, OPT_PLUGIN);
    if (v[OPT_LABEL].text[0] && v[OPT_ID].given)
        return aug_fail(err, OPT_ID, "give label or id, not both");
    const LADSPA_Descriptor *d = sp_ladspa_pick(x->lib, v[OPT_LABEL].text, (unsigned long)v[OPT_ID].i, &e);
    if (!d) return aug_put(&e, err, v[OPT_ID].given ? OPT_ID : OPT_LABEL);
    sp_ladspa_setup s = { .controls = v[OPT_CONTROLS].text, .in_port = v[OPT_IN].text,
                          .out_port = v[OPT_OUT].text, .rate = RATE };
    if (!(x->fx = sp_ladspa_fx_new(x->lib, d, &s, &e))) {
        int opt = strstr(e.msg, "audio input port '") ? OPT_IN
                  : strstr(e.msg, "audio output port '") ? OPT_OUT
                  : strstr(e.msg, "control") ? OPT_CONTROLS : OPT_PLUGIN;
        return aug_put(&e, err, opt);
    }
    return 0;
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    ladspa_probe *x = calloc(1, sizeof *x);
    if (!x) return aug_fail(err, -1, "out of memory");
    x->ctx = ctx;
    x->h = ctx->host;
    const sp_probe_value *v = ctx->values;
    x->scope = (int)v[OPT_SCOPE].i;
    x->mix = v[OPT_MIX].f;
    x->fraction = v[OPT_FRACTION].f;
    x->listen = (long)v[OPT_LISTEN].i;
    int rc = 0;
    if (aug_parse_apply(v[OPT_APPLY].text, x->apply) != 0)
        rc = aug_fail(err, OPT_APPLY, "apply_to: '%s' is not a comma list of train, dev, test", v[OPT_APPLY].text);
    else
        rc = open_plugin(x, v, err);
    if (rc != 0) {
        destroy(x);
        return -1;
    }
    long long seed = v[OPT_SEED].i;
    x->base = seed >= 0 ? (uint64_t)seed : x->h->rng_u64(ctx->rng);
    *self = x;
    return 0;
}

/* controls.tsv: every control input with the value used, its range and
 * default (what the plugin was run with, for the record). */
static int write_controls(ladspa_probe *x, sp_probe_error *err)
{
    const LADSPA_Descriptor *d = sp_ladspa_fx_descriptor(x->fx);
    size_t cap = 256 + 320 * (d->PortCount + 1), len = 0;
    char *t = malloc(cap);
    if (!t) return aug_fail(err, -1, "out of memory");
    len += (size_t)snprintf(t, cap, "port\tname\tvalue\trange\n");
    for (unsigned long p = 0; p < d->PortCount; p++) {
        LADSPA_PortDescriptor k = d->PortDescriptors[p];
        if (!LADSPA_IS_PORT_CONTROL(k) || !LADSPA_IS_PORT_INPUT(k)) continue;
        char range[160];
        sp_ladspa_range r = sp_ladspa_port_range(d, p, RATE);
        sp_ladspa_range_text(&r, range, sizeof range);
        len += (size_t)snprintf(t + len, cap - len, "%lu\t%s\t%.9g\t%s\n", p, d->PortNames[p],
                                (double)sp_ladspa_fx_control(x->fx, p), range);
    }
    int rc = x->h->write_text(x->ctx, "controls.tsv", t, strlen(t), err);
    free(t);
    return rc;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    ladspa_probe *x = self;
    if (run->sample_rate != RATE)
        return aug_fail(err, -1, "the run's audio is at %d Hz; this probe instantiates plugins at %d Hz", run->sample_rate,
                    RATE);
    x->T = run->T;
    x->cap = run->T;
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        x->data[r] = run->data[r];
        if (!x->apply[r] || !run->data[r] || x->scope != SCOPE_UTT) continue;
        if (!(x->cache[r] = calloc(run->data[r]->n + 1, sizeof *x->cache[r]))) return aug_fail(err, -1, "out of memory");
        for (unsigned long i = 0; i < run->data[r]->n; i++)
            if (run->data[r]->utt[i].samples > x->cap) x->cap = run->data[r]->utt[i].samples;
    }
    x->in = malloc((size_t)x->cap * sizeof *x->in);
    x->out = malloc((size_t)x->cap * sizeof *x->out);
    if (!x->in || !x->out) return aug_fail(err, -1, "out of memory");
    const LADSPA_Descriptor *d = sp_ladspa_fx_descriptor(x->fx);
    int def;
    const char *dirs = sp_ladspa_path(&def);
    if (def) x->h->log(x->ctx, SP_PROBE_INFO, "LADSPA_PATH is unset: searched %s", dirs);
    x->h->log(x->ctx, SP_PROBE_INFO, "'%s' (%s, id %lu) from %s at %d Hz, scope %s, mix %g, fraction %g, on%s%s%s",
              d->Label, d->Name, d->UniqueID, x->path, RATE, x->scope == SCOPE_UTT ? "utterance" : "chunk", x->mix,
              x->fraction,
              x->apply[0] ? " train" : "", x->apply[1] ? " dev" : "", x->apply[2] ? " test" : "");
    if (x->listen > 0 && aug_listen_dir(x->ctx, err) != 0) return -1;
    return write_controls(x, err);
}

/* srand's seed for the signal keyed (a, b, c). */
static unsigned seed_of(const ladspa_probe *x, uint64_t a, uint64_t b, uint64_t c)
{
    return (unsigned)(aug_mix64(x->base, a, b, c) >> 32);
}

/* Whether the signal keyed (a, b, c) is processed: a uniform draw from
 * its seed below fraction. */
static int chosen(const ladspa_probe *x, uint64_t a, uint64_t b, uint64_t c)
{
    if (x->fraction >= 1) return 1;
    return aug_unit(aug_mix64(x->base, a ^ 0x5eed, b, c)) < x->fraction;
}

/* The processed utterance i of role r, made on first use (&left_clean:
 * not processed). */
static const float *processed(ladspa_probe *x, int r, unsigned long i, sp_probe_error *err)
{
    if (x->cache[r][i]) return x->cache[r][i];
    const sp_probe_utterance *u = &x->data[r]->utt[i];
    long n = u->samples;
    float *y = malloc((size_t)(n > 0 ? n : 1) * sizeof *y);
    if (!y) return aug_fail(err, -1, "out of memory"), NULL;
    for (long s = 0; s < n; s++) x->in[s] = (float)(u->audio[s] / 32768.0);
    sp_error e;
    x->seen++;
    if (!chosen(x, 1 + (uint64_t)r, i, 0)) {
        free(y);
        return x->cache[r][i] = &left_clean;
    }
    x->done++;
    if (sp_ladspa_fx_process(x->fx, x->in, y, n, x->mix, seed_of(x, 1 + (uint64_t)r, i, 0), &e) < 0) {
        free(y);
        return aug_put(&e, err, -1), NULL;
    }
    x->cache[r][i] = y;
    if (x->listened < x->listen) {
        if (aug_listen_write(x->ctx, u->id, y, n, RATE, err) != 0) return NULL;
        x->listened++;
    }
    return y;
}

static int utterance_scope(ladspa_probe *x, sp_probe_batch *bt, sp_probe_error *err)
{
    int r = bt->role, T = bt->T;
    for (int b = 0; b < bt->B; b++) {
        unsigned long i = (unsigned long)bt->utterance[b];
        const float *y = processed(x, r, i, err);
        if (!y) return -1;
        if (y == &left_clean) continue;
        const sp_probe_utterance *u = &x->data[r]->utt[i];
        float g = bt->gain[b], *a = bt->audio + (size_t)b * (size_t)T;
        for (int t = 0; t < T; t++) {
            long s = bt->start[b] + t;
            if (s < 0 || s >= u->samples) continue; /* padding: kept as given */
            float clean = (float)(u->audio[s] / 32768.0) * g;
            a[t] = g * y[s] + (a[t] - clean);
        }
    }
    return 0;
}

static int chunk_scope(ladspa_probe *x, sp_probe_batch *bt, sp_probe_error *err)
{
    int T = bt->T;
    for (int b = 0; b < bt->B; b++) {
        float *a = bt->audio + (size_t)b * (size_t)T;
        sp_error e;
        uint64_t key = aug_chunk_key(bt);
        x->seen++;
        if (!chosen(x, 16 + (uint64_t)bt->role, key, (uint64_t)b)) continue;
        x->done++;
        unsigned seed = seed_of(x, 16 + (uint64_t)bt->role, key, (uint64_t)b);
        if (sp_ladspa_fx_process(x->fx, a, x->out, T, x->mix, seed, &e) < 0) return aug_put(&e, err, -1);
        memcpy(a, x->out, (size_t)T * sizeof *a);
        if (x->listened < x->listen) {
            char name[96];
            snprintf(name, sizeof name, "%s-e%d-s%ld-c%d", bt->split, bt->epoch, bt->step, b);
            if (aug_listen_write(x->ctx, name, a, T, RATE, err) != 0) return -1;
            x->listened++;
        }
    }
    return 0;
}

static int on_batch(void *self, sp_probe_batch *bt, sp_probe_error *err)
{
    ladspa_probe *x = self;
    if (!x->apply[bt->role]) return 0;
    if (bt->T > x->cap) return aug_fail(err, -1, "a batch of %d-sample chunks; on_start said %d", bt->T, x->T);
    double t0 = aug_cpu_seconds();
    int rc = x->scope == SCOPE_UTT ? utterance_scope(x, bt, err) : chunk_scope(x, bt, err);
    x->cpu_s += aug_cpu_seconds() - t0;
    x->batches++;
    return rc;
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    (void)run, (void)err;
    ladspa_probe *x = self;
    x->h->log(x->ctx, SP_PROBE_INFO, "processed %ld of %ld %s (fraction %g); %.2f ms of CPU per batch over %ld batches",
              x->done, x->seen, x->scope == SCOPE_UTT ? "utterances" : "chunks", x->fraction,
              x->batches ? 1e3 * x->cpu_s / (double)x->batches : 0.0, x->batches);
    return 0;
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "ladspa",
    .name = "LADSPA effect",
    .version = "1.0",
    .summary = "applies any LADSPA plugin (a codec, reverb, eq, distortion) to the audio as a degradation",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_batch = on_batch,
    .on_finish = on_finish,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
