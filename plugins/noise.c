/* noise.c - the `noise` probe: adds noise to the audio of each batch, as
 * the network sees it, at an exact SNR (sincprobe-probes(7)).
 *
 * Types: white (Gaussian), pink (1/f power), brown (1/f^2 power), band
 * (white noise band-limited to one or more bands [f_lo, f_hi]), babble (k
 * utterances of the batch's split summed at equal power), tone (a sine at
 * freq Hz) and file (any audio file libsndfile reads, mixed to mono,
 * resampled to 16 kHz by sp_resample (analysis/resample.h) and looped
 * from a random offset).
 *
 * pink, brown and band are made by FFT shaping of white Gaussian noise in
 * blocks of T samples (FFTW r2c, bins scaled by f^-1/2, f^-1, or zeroed
 * outside the bands, c2r; the plans are made once in on_start). DC is
 * removed from every type but tone and file.
 *
 * Several bands (band = 1200-1600,1800-2100): the spectrum is flat over
 * the union of the bands, every bin inside one gets gain 1, so each band
 * holds a share of the noise energy proportional to its width (its number
 * of FFT bins); the bands must be given in increasing order without
 * overlap. One band gets the gains it always got, bin for bin.
 *
 * A type list (type = white,pink,babble) draws the type of each chunk
 * (scope utterance: of each utterance) uniformly from the list, from the
 * same seeded stream as the SNR draw; a type listed twice is drawn twice
 * as often. A list of one type draws no type, so a single-type config adds
 * the noise it always did (tests/test_noise.c keeps fingerprints).
 *
 * SNR: for each chunk, signal power Ps = mean square of the chunk as
 * given; the noise is scaled so that 10 log10(Ps / Pn) is the target
 * exactly. A silent chunk (Ps = 0) gets no noise.
 *
 * scope = chunk: every chunk gets fresh noise and its own SNR draw. The
 * stream is reseeded per batch from (seed, role, epoch, step), so a
 * resumed run adds the same noise. scope = utterance: each utterance of a
 * split has one noise signal, fixed for the run, and one SNR draw; a
 * chunk gets the slice of that signal at its start sample (the SNR is
 * still made exact over each chunk). Coloured noise is then made of
 * independent blocks of T samples, each shaped on its own. */
#include <sincprobe/probe.h>

#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/resample.h"
#include "base/error.h"

enum { OPT_TYPE, OPT_SNR, OPT_BAND, OPT_SCOPE, OPT_APPLY, OPT_SEED, OPT_FREQ, OPT_K, OPT_FILE, NOPT };
/* T_CLEAN adds nothing: in a list it is the share of chunks left clean
 * (type = clean,white,pink,babble: one in four, as Aurora 2's
 * multi-condition training mixes clean speech in). */
enum { T_WHITE, T_PINK, T_BROWN, T_BAND, T_BABBLE, T_TONE, T_FILE, T_CLEAN, NTYPES };
static const char *const type_names[NTYPES] = { "white", "pink", "brown", "band", "babble", "tone", "file", "clean" };
#define TYPE_CHOICES "white|pink|brown|band|babble|tone|file|clean"
enum { MAX_TYPES = 32, MAX_BANDS = 32 };
enum { SCOPE_CHUNK, SCOPE_UTT };

/* The host's sample rate (16 kHz). The probe learns it only from
 * run->sample_rate in on_start (x->rate, used from then on); the checks
 * of create (band, the file's resampling) come before and use this. */
#define RATE 16000

static const sp_probe_option options[NOPT] = {
    { .name = "type", .type = SP_PROBE_OPT_STRING, .default_value = "white",
      .help = "the kind of noise, one of " TYPE_CHOICES ", or a comma list of them drawn per chunk (or utterance)" },
    { .name = "snr_db", .type = SP_PROBE_OPT_STRING, .default_value = "10",
      .help = "signal-to-noise ratio in dB: a number, or lo:hi for a uniform draw per chunk (or utterance)" },
    { .name = "band", .type = SP_PROBE_OPT_STRING, .default_value = "",
      .help = "type band: f_lo-f_hi in Hz, or a comma list of bands in increasing order (a flat spectrum over them)" },
    { .name = "scope", .type = SP_PROBE_OPT_ENUM, .default_value = "chunk", .choices = "chunk|utterance",
      .help = "fresh noise per chunk, or one noise signal, SNR and type draw per utterance" },
    { .name = "apply_to", .type = SP_PROBE_OPT_STRING, .default_value = "train",
      .help = "the roles noised: a comma list of train, dev, test" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "-1", .min = -1, .max = 2147483647,
      .help = "the noise's seed (-1: the probe's stream of the run's seed)" },
    { .name = "freq", .type = SP_PROBE_OPT_FLOAT, .default_value = "1000", .min = 1, .max = 8000,
      .help = "the frequency in Hz of type tone" },
    { .name = "k", .type = SP_PROBE_OPT_INT, .default_value = "4", .min = 1, .max = 64,
      .help = "type babble: how many utterances are summed" },
    { .name = "file", .type = SP_PROBE_OPT_PATH, .default_value = "",
      .help = "type file: the audio file (any format libsndfile reads)" },
};

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    int ntypes, types[MAX_TYPES]; /* the type list, in the order given */
    int has[NTYPES];          /* has[t]: t is in the list */
    int scope;
    double snr_lo, snr_hi;
    int nband;
    double f_lo[MAX_BANDS], f_hi[MAX_BANDS]; /* type band: increasing, disjoint */
    double freq;
    int k;
    int apply[SP_PROBE_NROLES];
    uint64_t base;            /* the noise's seed */
    sp_probe_rng *r;          /* reseeded per batch / per utterance */
    float *file;              /* type file: [nfile] at 16 kHz */
    long nfile;
    /* on_start */
    int rate;                 /* run->sample_rate */
    const sp_probe_dataset *data[SP_PROBE_NROLES];
    double *rms[SP_PROBE_NROLES]; /* babble: each utterance's RMS */
    int T;
    float *buf, *blk;         /* [T] noise of one chunk; [T] a block */
    fftwf_complex *spec;      /* [T/2 + 1] */
    float *shape[NTYPES];     /* [T/2 + 1] bin gains of pink, brown and band */
    fftwf_plan fwd, inv;
} noise;

static int fail(sp_probe_error *err, int option, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(sp_probe_error *err, int option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->option = option;
    return -1;
}

static int oom(sp_probe_error *err)
{
    sp_error e;
    sp_fail_oom(&e, 0);
    return sp_error_put(&e, err->message, sizeof err->message);
}

/* A finite number filling all of s. */
static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v) && !strchr(s, ' ');
}

static int parse_snr(noise *x, const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon) {
        if (!number(s, &x->snr_lo)) return -1;
        x->snr_hi = x->snr_lo;
        return 0;
    }
    char a[64];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof a) return -1;
    memcpy(a, s, n);
    a[n] = '\0';
    if (!number(a, &x->snr_lo) || !number(colon + 1, &x->snr_hi) || x->snr_lo > x->snr_hi) return -1;
    return 0;
}

/* The items of the comma list s, spaces around each trimmed, into
 * item[max]; the count, or -1 when there are more than max items or one
 * is ITEM characters or longer. */
enum { ITEM = 64 };
static int split_list(const char *s, char (*item)[ITEM], int max)
{
    int n = 0;
    for (const char *p = s;; n++) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        if (n == max || (size_t)(b - a) >= ITEM) return -1;
        memcpy(item[n], a, (size_t)(b - a));
        item[n][b - a] = '\0';
        if (p[len] == '\0') return n + 1;
        p += len + 1;
    }
}

static int parse_types(noise *x, const char *s, sp_probe_error *err)
{
    char item[MAX_TYPES][ITEM];
    int n = split_list(s, item, MAX_TYPES);
    if (n < 0) return fail(err, OPT_TYPE, "type: '%s' is not a comma list of at most %d of " TYPE_CHOICES, s, MAX_TYPES);
    for (int i = 0; i < n; i++) {
        int t = 0;
        while (t < NTYPES && strcmp(item[i], type_names[t]) != 0) t++;
        if (t == NTYPES && n == 1) return fail(err, OPT_TYPE, "type: '%s' is not one of " TYPE_CHOICES, item[i]);
        if (t == NTYPES)
            return fail(err, OPT_TYPE, "type: '%s' (item %d of '%s') is not one of " TYPE_CHOICES, item[i], i + 1, s);
        x->types[i] = t;
        x->has[t] = 1;
    }
    x->ntypes = n;
    return 0;
}

/* One band f_lo-f_hi; both non-negative, so the first '-' separates
 * them. */
static int parse_band(const char *s, double *lo, double *hi)
{
    const char *dash = strchr(s, '-');
    if (!dash) return -1;
    char a[ITEM];
    size_t n = (size_t)(dash - s);
    if (n == 0 || n >= sizeof a) return -1;
    memcpy(a, s, n);
    a[n] = '\0';
    if (!number(a, lo) || !number(dash + 1, hi)) return -1;
    return *lo >= 0 && *lo < *hi && *hi <= RATE / 2 ? 0 : -1;
}

/* band = f_lo-f_hi[,f_lo-f_hi...]: increasing, each band starting above
 * the end of the one before (overlapping or unsorted bands are refused
 * rather than merged: a list that is not what it looks like is likelier
 * a typo than a wish). */
static int parse_bands(noise *x, const char *s, sp_probe_error *err)
{
    char item[MAX_BANDS][ITEM];
    int n = split_list(s, item, MAX_BANDS);
    if (n < 0) return fail(err, OPT_BAND, "band: '%s' is not a comma list of at most %d bands f_lo-f_hi", s, MAX_BANDS);
    for (int i = 0; i < n; i++) {
        if (parse_band(item[i], &x->f_lo[i], &x->f_hi[i]) != 0) {
            if (n == 1) return fail(err, OPT_BAND, "band: '%s' is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= 8000", s);
            return fail(err, OPT_BAND, "band: '%s' (item %d of '%s') is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= 8000",
                        item[i], i + 1, s);
        }
        if (i > 0 && x->f_lo[i] <= x->f_hi[i - 1])
            return fail(err, OPT_BAND,
                        "band: '%s': %s does not start above the end of %s (bands go in increasing order, without overlap)",
                        s, item[i], item[i - 1]);
    }
    x->nband = n;
    return 0;
}

static int parse_apply(noise *x, const char *s)
{
    static const char *const names[SP_PROBE_NROLES] = { "train", "dev", "test" };
    const char *p = s;
    int any = 0;
    while (1) {
        size_t n = strcspn(p, ",");
        while (n && *p == ' ') p++, n--;
        size_t m = n;
        while (m && p[m - 1] == ' ') m--;
        int found = 0;
        for (int r = 0; r < SP_PROBE_NROLES; r++)
            if (m == strlen(names[r]) && !strncmp(p, names[r], m)) x->apply[r] = found = any = 1;
        if (!found) return -1;
        if (p[n] == '\0') break;
        p += n + 1;
    }
    return any ? 0 : -1;
}

/* Read an audio file, mix to mono, resample to 16 kHz. */
static int load_file(noise *x, const char *path, sp_probe_error *err)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        snprintf(err->message, sizeof err->message, "file: cannot read '%s': %s", path, sf_strerror(NULL));
        err->option = OPT_FILE;
        return -1;
    }
    long n = (long)info.frames;
    int c = info.channels;
    float *in = n > 0 && c > 0 ? malloc((size_t)n * (size_t)c * sizeof *in) : NULL;
    float *mono = n > 0 ? malloc((size_t)n * sizeof *mono) : NULL;
    if (!in || !mono || sf_readf_float(f, in, n) != n) {
        snprintf(err->message, sizeof err->message, "file: '%s' has no audio that can be read", path);
        err->option = OPT_FILE;
        sf_close(f);
        free(in);
        free(mono);
        return -1;
    }
    sf_close(f);
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < c; j++) s += in[(size_t)i * (size_t)c + (size_t)j];
        mono[i] = (float)(s / c);
    }
    free(in);
    if (info.samplerate != RATE) {
        float *out;
        long nout;
        int rc = sp_resample(mono, n, info.samplerate, RATE, &out, &nout, NULL);
        free(mono);
        if (rc != 0 || nout < 1) {
            snprintf(err->message, sizeof err->message, "file: cannot resample '%s' to 16 kHz", path);
            err->option = OPT_FILE;
            free(out);
            return -1;
        }
        mono = out;
        n = nout;
    }
    double p = 0;
    for (long i = 0; i < n; i++) p += (double)mono[i] * mono[i];
    if (p <= 0) {
        snprintf(err->message, sizeof err->message, "file: '%s' is silent", path);
        err->option = OPT_FILE;
        free(mono);
        return -1;
    }
    x->file = mono;
    x->nfile = n;
    return 0;
}

static void destroy(void *self)
{
    noise *x = self;
    if (!x) return;
    if (x->fwd) fftwf_destroy_plan(x->fwd);
    if (x->inv) fftwf_destroy_plan(x->inv);
    fftwf_free(x->spec);
    fftwf_free(x->blk);
    free(x->buf);
    for (int t = 0; t < NTYPES; t++) free(x->shape[t]);
    free(x->file);
    for (int r = 0; r < SP_PROBE_NROLES; r++) free(x->rms[r]);
    if (x->r) x->h->rng_free(x->r);
    free(x);
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    noise *x = calloc(1, sizeof *x);
    if (!x) return oom(err);
    x->ctx = ctx;
    x->h = ctx->host;
    x->scope = (int)ctx->values[OPT_SCOPE].i;
    x->freq = ctx->values[OPT_FREQ].f;
    x->k = (int)ctx->values[OPT_K].i;
    const char *band = ctx->values[OPT_BAND].text;
    const char *file = ctx->values[OPT_FILE].text;
    int rc = 0;
    if (parse_types(x, ctx->values[OPT_TYPE].text, err) != 0) {
        rc = -1;
    } else if (parse_snr(x, ctx->values[OPT_SNR].text) != 0) {
        rc = fail(err, OPT_SNR, "snr_db: '%s' is not a number or lo:hi (lo <= hi)", ctx->values[OPT_SNR].text);
    } else if (parse_apply(x, ctx->values[OPT_APPLY].text) != 0) {
        rc = fail(err, OPT_APPLY, "apply_to: '%s' is not a comma list of train, dev, test", ctx->values[OPT_APPLY].text);
    } else if (x->has[T_BAND] && !band[0]) {
        rc = fail(err, OPT_TYPE, "type band needs band = f_lo-f_hi");
    } else if (band[0] && parse_bands(x, band, err) != 0) {
        rc = -1;
    } else if (band[0] && !x->has[T_BAND]) {
        rc = fail(err, OPT_BAND, "band: '%s' is only for type band", band);
    } else if (x->has[T_FILE] && !file[0]) {
        rc = fail(err, OPT_TYPE, "type file needs file = PATH");
    } else if (file[0] && !x->has[T_FILE]) {
        rc = fail(err, OPT_FILE, "file: '%s' is only for type file", file);
    } else if (x->has[T_FILE] && load_file(x, file, err) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        free(x->file);
        free(x);
        return -1;
    }
    long long seed = ctx->values[OPT_SEED].i;
    x->base = seed >= 0 ? (uint64_t)seed : x->h->rng_u64(ctx->rng);
    x->r = x->h->rng_new(ctx, x->base, 0);
    *self = x;
    return 0;
}

/* The bin gains of the coloured types in the list (bin i at f = i fs / T;
 * DC gets 0): pink f^-1/2 (power 1/f), brown f^-1 (power 1/f^2), band 1
 * inside any of the bands and 0 outside, so that the band noise's power
 * spectrum is flat over the union of the bands. */
static int make_shapes(noise *x, sp_probe_error *err)
{
    int T = x->T, nb = T / 2 + 1;
    for (int t = T_PINK; t <= T_BAND; t++) {
        if (!x->has[t]) continue;
        float *g = x->shape[t] = malloc((size_t)nb * sizeof *g);
        if (!g) return oom(err);
        for (int i = 0; i < nb; i++) {
            double f = (double)i * x->rate / T, v = 0;
            if (i == 0) v = 0; /* DC */
            else if (t == T_PINK) v = 1 / sqrt(f);
            else if (t == T_BROWN) v = 1 / f;
            else
                for (int j = 0; j < x->nband; j++)
                    if (f >= x->f_lo[j] && f <= x->f_hi[j]) v = 1;
            g[i] = (float)v;
        }
    }
    /* Every band holds a bin, or the list says more than the noise does. */
    for (int j = 0; x->has[T_BAND] && j < x->nband; j++) {
        int in = 0;
        for (int i = 1; i < nb; i++) {
            double f = (double)i * x->rate / T;
            in += f >= x->f_lo[j] && f <= x->f_hi[j];
        }
        if (!in)
            return fail(err, OPT_BAND, "band: %g-%g Hz holds no frequency bin of a %d-sample chunk", x->f_lo[j],
                        x->f_hi[j], T);
    }
    return 0;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    noise *x = self;
    for (int r = 0; r < SP_PROBE_NROLES; r++) x->data[r] = run->data[r];
    x->T = run->T;
    x->rate = run->sample_rate;
    int T = x->T, nb = T / 2 + 1;
    x->buf = malloc((size_t)T * sizeof *x->buf);
    x->blk = fftwf_alloc_real((size_t)T);
    x->spec = fftwf_alloc_complex((size_t)nb);
    if (!x->buf || !x->blk || !x->spec) return oom(err);
    x->fwd = fftwf_plan_dft_r2c_1d(T, x->blk, x->spec, FFTW_ESTIMATE);
    x->inv = fftwf_plan_dft_c2r_1d(T, x->spec, x->blk, FFTW_ESTIMATE);
    if (!x->fwd || !x->inv) {
        snprintf(err->message, sizeof err->message, "cannot make FFTW plans of %d points", T);
        return -1;
    }
    if (make_shapes(x, err) != 0) return -1;
    /* babble: talkers are summed at equal long-term power, so each
     * utterance's RMS over all its samples is needed. */
    for (int r = 0; x->has[T_BABBLE] && r < SP_PROBE_NROLES; r++) {
        const sp_probe_dataset *d = x->data[r];
        if (!x->apply[r] || !d || d->n == 0) continue;
        x->rms[r] = malloc(d->n * sizeof *x->rms[r]);
        if (!x->rms[r]) return oom(err);
        for (unsigned long i = 0; i < d->n; i++) {
            double p = 0;
            for (long j = 0; j < d->utt[i].samples; j++) p += (double)d->utt[i].audio[j] * d->utt[i].audio[j];
            x->rms[r][i] = d->utt[i].samples > 0 ? sqrt(p / (double)d->utt[i].samples) : 0;
        }
    }
    char tn[MAX_TYPES * 8] = "";
    for (int i = 0; i < x->ntypes; i++) {
        size_t at = strlen(tn);
        snprintf(tn + at, sizeof tn - at, "%s%s", i ? "," : "", type_names[x->types[i]]);
    }
    x->h->log(x->ctx, SP_PROBE_INFO, "%s noise at %g..%g dB SNR, scope %s, on%s%s%s", tn, x->snr_lo, x->snr_hi,
              x->scope == SCOPE_CHUNK ? "chunk" : "utterance", x->apply[0] ? " train" : "", x->apply[1] ? " dev" : "",
              x->apply[2] ? " test" : "");
    return 0;
}

/* One block of T samples of white noise, or of white noise shaped for
 * type (pink, brown, band), from the stream r, into out (which may be
 * x->blk). */
static void block(noise *x, int type, float *out)
{
    int T = x->T, nb = T / 2 + 1;
    const float *shape = x->shape[type];
    for (int t = 0; t < T; t++) x->blk[t] = (float)x->h->rng_normal(x->r);
    if (type == T_WHITE) {
        double m = 0;
        for (int t = 0; t < T; t++) m += x->blk[t];
        m /= T;
        for (int t = 0; t < T; t++) out[t] = (float)(x->blk[t] - m);
        return;
    }
    fftwf_execute(x->fwd);
    for (int i = 0; i < nb; i++) {
        x->spec[i][0] *= shape[i];
        x->spec[i][1] *= shape[i];
    }
    fftwf_execute(x->inv);
    if (out != x->blk) memcpy(out, x->blk, (size_t)T * sizeof *out);
}

static uint64_t key(int tag, int role, uint64_t a, uint64_t b)
{
    return ((uint64_t)tag << 60) ^ ((uint64_t)role << 56) ^ (a << 24) ^ b;
}

static long wrap(long i, long n)
{
    long m = i % n;
    return m < 0 ? m + n : m;
}

/* The noise of type for chunk b into x->buf. Stream r positioned for the
 * chunk. */
static int make_noise(noise *x, int type, const sp_probe_batch *bt, int b, sp_probe_error *err)
{
    int T = x->T;
    float *n = x->buf;
    int utt = x->scope == SCOPE_UTT;
    long u = bt->utterance[b], s0 = bt->start[b];
    switch (type) {
    case T_WHITE:
    case T_PINK:
    case T_BROWN:
    case T_BAND:
        if (!utt) {
            block(x, type, n);
        } else {
            /* Blocks [k T, (k+1) T) of the utterance's signal. */
            long k0 = (long)floor((double)s0 / T), k1 = (long)floor((double)(s0 + T - 1) / T);
            for (long k = k0; k <= k1; k++) {
                x->h->rng_seed(x->r, x->base, key(1, bt->role, (uint64_t)u, (uint64_t)(k + (1L << 23))));
                block(x, type, x->blk);
                for (int t = 0; t < T; t++) {
                    long s = k * T + t;
                    if (s >= s0 && s < s0 + T) n[s - s0] = x->blk[t];
                }
            }
        }
        return 0;
    case T_TONE: {
        double ph = 2 * M_PI * x->h->rng_uniform(x->r), w = 2 * M_PI * x->freq / x->rate;
        double off = utt ? (double)s0 : 0;
        for (int t = 0; t < T; t++) n[t] = (float)sin(ph + w * (off + t));
        return 0;
    }
    case T_FILE: {
        long off = (long)x->h->rng_below(x->r, (uint64_t)x->nfile);
        if (utt) off += s0;
        for (int t = 0; t < T; t++) n[t] = x->file[wrap(off + t, x->nfile)];
        return 0;
    }
    case T_BABBLE: {
        const sp_probe_dataset *d = x->data[bt->role];
        if (!d || d->n == 0) {
            snprintf(err->message, sizeof err->message, "babble: no utterances of the %s split loaded", bt->split);
            return -1;
        }
        memset(n, 0, (size_t)T * sizeof *n);
        for (int j = 0; j < x->k; j++) {
            uint64_t i = x->h->rng_below(x->r, d->n);
            const sp_probe_utterance *v = &d->utt[i];
            if (v->samples <= 0) continue;
            long off = (long)x->h->rng_below(x->r, (uint64_t)v->samples);
            if (utt) off += s0;
            if (!x->rms[bt->role] || x->rms[bt->role][i] <= 0) continue;
            double g = 1 / x->rms[bt->role][i];
            for (int t = 0; t < T; t++) n[t] += (float)(g * v->audio[wrap(off + t, v->samples)]);
        }
        return 0;
    }
    }
    return 0;
}

static int on_batch(void *self, sp_probe_batch *bt, sp_probe_error *err)
{
    noise *x = self;
    if (!x->apply[bt->role]) return 0;
    if (bt->T != x->T) {
        snprintf(err->message, sizeof err->message, "a batch of %d-sample chunks; on_start said %d", bt->T, x->T);
        return -1;
    }
    int T = x->T;
    if (x->scope == SCOPE_CHUNK)
        x->h->rng_seed(x->r, x->base, key(2, bt->role, (uint64_t)bt->epoch, (uint64_t)bt->step));
    for (int b = 0; b < bt->B; b++) {
        float *a = bt->audio + (size_t)b * (size_t)T;
        double ps = 0;
        for (int t = 0; t < T; t++) ps += (double)a[t] * a[t];
        ps /= T;
        double snr = x->snr_lo;
        int type = x->types[0];
        /* A list of one type draws no type: the draws of before. */
        if (x->scope == SCOPE_UTT) {
            /* The utterance's SNR draw, type draw and noise: the same for
             * each of its chunks. */
            x->h->rng_seed(x->r, x->base, key(3, bt->role, (uint64_t)bt->utterance[b], 0));
            double uu = x->h->rng_uniform(x->r);
            snr = x->snr_lo + (x->snr_hi - x->snr_lo) * uu;
            if (x->ntypes > 1) type = x->types[x->h->rng_below(x->r, (uint64_t)x->ntypes)];
        } else {
            if (x->ntypes > 1) type = x->types[x->h->rng_below(x->r, (uint64_t)x->ntypes)];
            if (x->snr_hi > x->snr_lo) snr = x->snr_lo + (x->snr_hi - x->snr_lo) * x->h->rng_uniform(x->r);
        }
        if (type == T_CLEAN) continue;
        if (make_noise(x, type, bt, b, err) != 0) return -1;
        if (ps <= 0) continue; /* a silent chunk stays silent */
        double pn = 0;
        for (int t = 0; t < T; t++) pn += (double)x->buf[t] * x->buf[t];
        pn /= T;
        if (pn <= 0) continue;
        double g = sqrt(ps / (pn * pow(10, snr / 10)));
        for (int t = 0; t < T; t++) a[t] += (float)(g * x->buf[t]);
    }
    return 0;
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "noise",
    .name = "Noise injection",
    .version = "1.0",
    .summary = "adds white, pink, brown, band, babble, tone or file noise to the audio at an exact snr",
    .noptions = NOPT,
    .options = options,
    .create = create,
    .on_start = on_start,
    .on_batch = on_batch,
    .destroy = destroy,
};

SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi, unsigned long index)
{
    (void)host_abi;
    return index == 0 ? &descriptor : NULL;
}
