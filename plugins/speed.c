/* speed.c - the `speed` probe: speed perturbation of the training audio,
 * as Kaldi's recipes do it (sincprobe-probes(7)).
 *
 * Each utterance (scope utterance) or chunk (scope chunk) draws a factor
 * a from the `factors` list, from the seed; the chunk is then replaced by
 * the chunk of the utterance played a times faster (analysis/speed.h:
 * y(m) = x(a m), libsamplerate) centred on the same phone instant, c / a
 * for the original centre c, so its label stays true. scope utterance
 * gives each utterance one speed for the run; scope chunk draws again for
 * every chunk, which is Kaldi's training on the union of the copies of
 * the data at each speed.
 *
 * A perturbed utterance is made when a chunk first needs it and kept for
 * the run (2 bytes a sample: 16-bit, saturated, as the corpus's own
 * samples; about n / a samples for factor a): at most one copy per
 * utterance with scope utterance, one per factor other than 1 with scope
 * chunk. Factor 1 reads the utterance itself.
 *
 * What probes before this one changed in the chunk (added noise) is kept,
 * added back at the same place: chunk = g y[slice'] + (chunk - g x[slice])
 * for the chunk's gain g and the original and perturbed slices. */
#include <sincprobe/probe.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/speed.h"
#include "augment.h"
#include "base/error.h"

enum { OPT_FACTORS, OPT_SCOPE, OPT_FRACTION, OPT_APPLY, OPT_SEED, OPT_LISTEN, NOPT };
enum { SCOPE_UTT, SCOPE_CHUNK };
enum { MAX_FACTORS = 16 };
#define RATE 16000 /* the host's rate; on_start checks run->sample_rate */
#define FACTOR_MIN 0.5
#define FACTOR_MAX 2.0

static const sp_probe_option options[NOPT] = {
    { .name = "factors", .type = SP_PROBE_OPT_STRING, .default_value = "0.9,1.0,1.1",
      .help = "the speed factors, a comma list drawn uniformly (0.5 to 2; above 1 is faster and higher)" },
    { .name = "scope", .type = SP_PROBE_OPT_ENUM, .default_value = "utterance", .choices = "utterance|chunk",
      .help = "one factor per utterance for the run, or a factor per chunk (kaldi's union of copies)" },
    { .name = "fraction", .type = SP_PROBE_OPT_FLOAT, .default_value = "1", .min = 0, .max = 1,
      .help = "the share of utterances (or chunks) perturbed, drawn from the seed; the rest keep factor 1" },
    { .name = "apply_to", .type = SP_PROBE_OPT_STRING, .default_value = "train",
      .help = "the roles perturbed: a comma list of train, dev, test" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "-1", .min = -1, .max = 2147483647,
      .help = "the draws' seed (-1: the probe's stream of the run's seed)" },
    { .name = "listen", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1000000,
      .help = "write the first N perturbed utterances as WAV files into listen/" },
};

/* A perturbed utterance: NULL until made. */
typedef struct {
    int16_t *y;
    long n;
} perturbed;

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int nf;
    double factor[MAX_FACTORS];
    int scope, apply[SP_PROBE_NROLES];
    double fraction;
    uint64_t base;
    long listen, listened;
    /* for the closing line */
    long chunks[MAX_FACTORS + 1]; /* chunks at each factor; [nf]: left alone by fraction */
    long made, clipped;           /* perturbed utterances made; samples saturated */
    double bytes;                 /* their memory */
    long batches;
    double cpu_s, make_s;         /* thread CPU in on_batch; of it, making utterances */
    /* on_start */
    const sp_probe_dataset *data[SP_PROBE_NROLES];
    perturbed *cache[SP_PROBE_NROLES]; /* [n nf]: utterance i at factor k is [i nf + k] */
    float *x;                          /* [longest utterance] one utterance as floats */
} speed_probe;

/* factors = a comma list of numbers in [FACTOR_MIN, FACTOR_MAX]. */
static int parse_factors(speed_probe *p, const char *s, sp_probe_error *err)
{
    const char *at = s;
    p->nf = 0;
    for (;;) {
        char *end;
        double f = strtod(at, &end);
        while (*end == ' ') end++;
        if (end == at || (*end != ',' && *end != '\0') || !(f >= FACTOR_MIN && f <= FACTOR_MAX))
            return aug_fail(err, OPT_FACTORS, "factors: '%s' is not a comma list of factors between %g and %g", s,
                            FACTOR_MIN, FACTOR_MAX);
        if (p->nf == MAX_FACTORS)
            return aug_fail(err, OPT_FACTORS, "factors: '%s' lists more than %d factors", s, MAX_FACTORS);
        p->factor[p->nf++] = f;
        if (*end == '\0') return 0;
        at = end + 1;
    }
}

static void destroy(void *self)
{
    speed_probe *p = self;
    if (!p) return;
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        if (!p->cache[r]) continue;
        for (unsigned long i = 0; i < p->data[r]->n * (unsigned long)p->nf; i++) free(p->cache[r][i].y);
        free(p->cache[r]);
    }
    free(p->x);
    free(p);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    speed_probe *p = calloc(1, sizeof *p);
    if (!p) return aug_fail(err, -1, "out of memory");
    p->ctx = ctx;
    p->h = ctx->host;
    const sp_probe_value *v = ctx->values;
    p->scope = (int)v[OPT_SCOPE].i;
    p->fraction = v[OPT_FRACTION].f;
    p->listen = (long)v[OPT_LISTEN].i;
    int rc = parse_factors(p, v[OPT_FACTORS].text, err);
    if (rc == 0 && aug_parse_apply(v[OPT_APPLY].text, p->apply) != 0)
        rc = aug_fail(err, OPT_APPLY, "apply_to: '%s' is not a comma list of train, dev, test", v[OPT_APPLY].text);
    if (rc != 0) {
        free(p);
        return -1;
    }
    long long seed = v[OPT_SEED].i;
    p->base = seed >= 0 ? (uint64_t)seed : p->h->rng_u64(ctx->rng);
    *self = p;
    return 0;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    speed_probe *p = self;
    if (run->sample_rate != RATE)
        return aug_fail(err, -1, "the run's audio is at %d Hz; this probe expects %d Hz", run->sample_rate, RATE);
    long cap = 1;
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        p->data[r] = run->data[r];
        if (!p->apply[r] || !run->data[r]) continue;
        p->cache[r] = calloc(run->data[r]->n * (size_t)p->nf + 1, sizeof *p->cache[r]);
        if (!p->cache[r]) return aug_fail(err, -1, "out of memory");
        for (unsigned long i = 0; i < run->data[r]->n; i++)
            if (run->data[r]->utt[i].samples > cap) cap = run->data[r]->utt[i].samples;
    }
    if (!(p->x = malloc((size_t)cap * sizeof *p->x))) return aug_fail(err, -1, "out of memory");
    char list[MAX_FACTORS * 24] = "";
    for (int k = 0; k < p->nf; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%g", k ? "," : "", p->factor[k]);
    p->h->log(p->ctx, SP_PROBE_INFO, "speed factors %s, one per %s, fraction %g, on%s%s%s", list,
              p->scope == SCOPE_UTT ? "utterance" : "chunk", p->fraction, p->apply[0] ? " train" : "",
              p->apply[1] ? " dev" : "", p->apply[2] ? " test" : "");
    return p->listen > 0 ? aug_listen_dir(p->ctx, err) : 0;
}

/* The factor index of utterance i of role r (scope utterance) or of
 * chunk b (scope chunk); nf when the fraction leaves it alone. */
static int draw(const speed_probe *p, const sp_probe_batch *bt, int b)
{
    uint64_t a = (uint64_t)bt->role, key = (uint64_t)bt->utterance[b], c = 0;
    if (p->scope == SCOPE_CHUNK) a += 16, key = aug_chunk_key(bt), c = (uint64_t)b + 1;
    if (p->fraction < 1 && aug_unit(aug_mix64(p->base, a ^ 0x5eed, key, c)) >= p->fraction) return p->nf;
    return p->nf == 1 ? 0 : (int)(aug_mix64(p->base, a, key, c) % (uint64_t)p->nf);
}

/* Utterance i of role r at factor k, made on first use. */
static const perturbed *get(speed_probe *p, int r, unsigned long i, int k, sp_probe_error *err)
{
    perturbed *e = &p->cache[r][i * (unsigned long)p->nf + (unsigned long)k];
    if (e->y) return e;
    const sp_probe_utterance *u = &p->data[r]->utt[i];
    double t0 = aug_cpu_seconds();
    for (long s = 0; s < u->samples; s++) p->x[s] = (float)(u->audio[s] / 32768.0);
    float *y;
    long ny;
    sp_error e2;
    if (sp_speed_perturb(p->x, u->samples, p->factor[k], &y, &ny, &e2) != 0) return aug_put(&e2, err, -1), NULL;
    if (!(e->y = malloc((size_t)(ny > 0 ? ny : 1) * sizeof *e->y))) {
        free(y);
        return aug_fail(err, -1, "out of memory"), NULL;
    }
    for (long m = 0; m < ny; m++) {
        double v = nearbyint((double)y[m] * 32768.0);
        if (v > 32767 || v < -32768) p->clipped++, v = v > 0 ? 32767 : -32768;
        e->y[m] = (int16_t)v;
    }
    e->n = ny;
    p->made++;
    p->bytes += (double)ny * sizeof *e->y;
    int rc = 0;
    if (p->listened < p->listen) {
        char name[512];
        snprintf(name, sizeof name, "%s-x%g", u->id, p->factor[k]);
        rc = aug_listen_write(p->ctx, name, y, ny, RATE, err);
        p->listened++;
    }
    free(y);
    p->make_s += aug_cpu_seconds() - t0;
    return rc == 0 ? e : NULL;
}

/* Chunk b replaced by its perturbed slice, centred on the same instant;
 * what earlier probes added is added back. */
static void replace(const sp_probe_batch *bt, int b, const sp_probe_utterance *u, const perturbed *e, double f)
{
    int T = bt->T;
    float g = bt->gain[b], *a = bt->audio + (size_t)b * (size_t)T;
    long s0 = bt->start[b], m0 = sp_speed_chunk_start(s0, T, f);
    for (int t = 0; t < T; t++) {
        long s = s0 + t, m = m0 + t;
        float before = s >= 0 && s < u->samples ? (float)(u->audio[s] / 32768.0) * g : 0;
        float after = m >= 0 && m < e->n ? (float)(e->y[m] / 32768.0) * g : 0;
        a[t] = after + (a[t] - before);
    }
}

static int on_batch(void *self, sp_probe_batch *bt, sp_probe_error *err)
{
    speed_probe *p = self;
    if (!p->apply[bt->role]) return 0;
    if (!p->cache[bt->role]) return aug_fail(err, -1, "a %s batch, but on_start had no such split", bt->split);
    double t0 = aug_cpu_seconds();
    int rc = 0;
    for (int b = 0; b < bt->B && rc == 0; b++) {
        int k = draw(p, bt, b);
        p->chunks[k]++;
        if (k == p->nf || p->factor[k] == 1.0) continue;
        unsigned long i = (unsigned long)bt->utterance[b];
        const perturbed *e = get(p, bt->role, i, k, err);
        if (!e) rc = -1;
        else replace(bt, b, &p->data[bt->role]->utt[i], e, p->factor[k]);
    }
    p->cpu_s += aug_cpu_seconds() - t0;
    p->batches++;
    return rc;
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    (void)run, (void)err;
    speed_probe *p = self;
    char counts[MAX_FACTORS * 32] = "";
    for (int k = 0; k < p->nf; k++)
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), "%s%ld at %g", k ? ", " : "", p->chunks[k],
                 p->factor[k]);
    if (p->fraction < 1)
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), ", %ld left alone", p->chunks[p->nf]);
    p->h->log(p->ctx, SP_PROBE_INFO,
              "chunks: %s; %ld perturbed utterances kept (%.1f MB, %ld samples saturated); %.2f ms of CPU per batch "
              "over %ld batches, %.1f s of it making the utterances",
              counts, p->made, p->bytes / 1e6, p->clipped, p->batches ? 1e3 * p->cpu_s / (double)p->batches : 0.0,
              p->batches, p->make_s);
    return 0;
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "speed",
    .name = "Speed perturbation",
    .version = "1.0",
    .summary = "plays each utterance (or chunk) at a speed drawn from a list, as kaldi's recipes do, labels kept aligned",
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
