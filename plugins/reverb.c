/* reverb.c - the `reverb` probe: each utterance (or chunk) convolved with
 * a room impulse response, for training on reverberant speech
 * (sincprobe-probes(7)). The acoustics are analysis/rir.h.
 *
 * Responses: simulated by the image method (a shoebox room, its size,
 * RT60, source and microphone drawn from the options' ranges, seeded per
 * utterance or chunk, or once for a pool of `rooms`), or read from the
 * files of rir_files (any format libsndfile reads, first channel,
 * resampled to 16 kHz), drawn uniformly per utterance or chunk.
 *
 * Alignment: the reverberated signal is the convolution shifted back by
 * the response's onset (its direct-path arrival), y(s) = (x * h)(s + o),
 * cut to the utterance's length; the direct sound then lies where the
 * dry sound did, and with it the labels.
 *
 * Level: `rms` scales y to the dry signal's RMS (over the utterance, or
 * the chunk), `direct` divides it by the direct path's gain (a simulated
 * room's 1 / (4 pi d); a file's sp_rir_direct_gain, its gain over the
 * speech band), so the direct sound keeps unit gain and the room adds to
 * it.
 *
 * Convolution is linear, so the chunk as handed over is reverberated
 * whole, what probes before this one changed in it (noise, a speed
 * perturbation) included; around the chunk, the clean utterance (times
 * the chunk's gain) stands in for the audio the chain never shows.
 *
 * scope utterance (the default): each utterance once, whole, kept for the
 * run (4 bytes a sample, and the response); a chunk, g x + d with d the
 * earlier probes' change, gets g y[slice] + G (d * h)[slice] (G the
 * utterance's level gain), the second term only where d is not zero.
 * scope chunk: each chunk with its own response, the clean utterance
 * around it and the chunk as handed over convolved together, so the
 * chunk carries the reverberation of the speech before it.
 *
 * FFT convolution: FFTW plans made once in on_start for the longest
 * response (analysis/rir.h, sp_rir_conv). */
#include <sincprobe/probe.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rir.h"
#include "augment.h"
#include "base/error.h"

enum { OPT_FILES, OPT_ROOM, OPT_RT60, OPT_DISTANCE, OPT_MARGIN, OPT_MAXMS, OPT_INTERP, OPT_HIGHPASS, OPT_ROOMS, OPT_LEVEL,
       OPT_SCOPE, OPT_FRACTION, OPT_APPLY, OPT_SEED, OPT_LISTEN, NOPT };
enum { SCOPE_UTT, SCOPE_CHUNK };
enum { LEVEL_RMS, LEVEL_DIRECT };
enum { MAX_FILES = 100000, MAX_ROWS = 100000 };
#define RATE 16000 /* the host's rate; on_start checks run->sample_rate */

static const sp_probe_option options[NOPT] = {
    { .name = "rir_files", .type = SP_PROBE_OPT_PATHS, .default_value = "",
      .help = "room impulse responses to use instead of simulated rooms: a comma list of files and directories" },
    { .name = "room", .type = SP_PROBE_OPT_STRING, .default_value = "3:10,3:8,2.5:4",
      .help = "the room's length, width and height in m, each a number or lo:hi drawn uniformly" },
    { .name = "rt60", .type = SP_PROBE_OPT_STRING, .default_value = "0.2:0.7",
      .help = "the reverberation time in s (sabine's formula sets the walls' reflection), a number or lo:hi" },
    { .name = "distance", .type = SP_PROBE_OPT_STRING, .default_value = "0.5:3",
      .help = "source to microphone in m, a number or lo:hi" },
    { .name = "margin", .type = SP_PROBE_OPT_FLOAT, .default_value = "0.5", .min = 0, .max = 100,
      .help = "source and microphone at least this far from every wall, in m" },
    { .name = "max_ms", .type = SP_PROBE_OPT_FLOAT, .default_value = "1000", .min = 1, .max = 10000,
      .help = "the longest response in ms: simulated ones end at the direct path plus the rt60, or here; files are cut here" },
    { .name = "interp", .type = SP_PROBE_OPT_ENUM, .default_value = "sinc", .choices = "sinc|nearest",
      .help = "fractional delays of simulated arrivals: a hann-windowed sinc, or the nearest sample" },
    { .name = "highpass_hz", .type = SP_PROBE_OPT_FLOAT, .default_value = "50", .min = 0, .max = 1000,
      .help = "simulated responses through a butterworth high-pass at this frequency, as allen and berkley's (0: none)" },
    { .name = "rooms", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1000000,
      .help = "simulate a pool of this many rooms at the start and draw from it (0: a new room per utterance or chunk)" },
    { .name = "level", .type = SP_PROBE_OPT_ENUM, .default_value = "rms", .choices = "rms|direct",
      .help = "keep the dry signal's rms, or the direct sound at unit gain" },
    { .name = "scope", .type = SP_PROBE_OPT_ENUM, .default_value = "utterance", .choices = "utterance|chunk",
      .help = "each utterance whole (cached), or each chunk with its own response" },
    { .name = "fraction", .type = SP_PROBE_OPT_FLOAT, .default_value = "1", .min = 0, .max = 1,
      .help = "the share of utterances (or chunks) reverberated, drawn from the seed; the rest stay dry" },
    { .name = "apply_to", .type = SP_PROBE_OPT_STRING, .default_value = "train",
      .help = "the roles reverberated: a comma list of train, dev, test" },
    { .name = "seed", .type = SP_PROBE_OPT_INT, .default_value = "-1", .min = -1, .max = 2147483647,
      .help = "the draws' seed (-1: the probe's stream of the run's seed)" },
    { .name = "listen", .type = SP_PROBE_OPT_INT, .default_value = "0", .min = 0, .max = 1000000,
      .help = "write the first N reverberated utterances (or chunks) and their responses as WAV files into listen/" },
};

/* A response, its onset and its direct path's gain. */
typedef struct {
    float *h;
    long n, onset;
    double direct;
} response;

/* An utterance as scope utterance keeps it: y = G (x * h)(s + o), its
 * response (a copy when simulated, for the chunks whose earlier changes
 * are reverberated too) and G. */
typedef struct {
    float *y;     /* NULL: not met yet */
    response h;
    int owned;    /* h.h is this entry's own */
    int dry;      /* the fraction left it dry */
    double G;
} utt_rev;

typedef struct {
    const sp_probe_context *ctx;
    const sp_probe_host *h;
    sp_rir_ranges g;
    response *pool; /* the files, or the simulated pool */
    long npool, nfiles, skipped;
    int scope, level, apply[SP_PROBE_NROLES];
    double fraction;
    uint64_t base;
    sp_probe_rng *r;
    long listen, listened;
    /* for the closing line */
    long seen, done, simulated, changed;
    double images, sim_s, bytes;
    long batches;
    double cpu_s, make_s; /* thread CPU in on_batch; of it, simulating rooms and reverberating whole utterances */
    char *rows;     /* rooms.tsv */
    size_t len, cap_rows;
    long nrows;
    /* on_start */
    const sp_probe_dataset *data[SP_PROBE_NROLES];
    utt_rev *cache[SP_PROBE_NROLES]; /* [n] reverberated utterances, made on first use */
    sp_rir_conv *conv, *cconv; /* for whole utterances; for chunks (one block of T) */
    long max_len, cap;
    float *x, *y; /* [cap] */
    response sim; /* the buffer of responses simulated on demand [max_len] */
} reverb_probe;

/* A finite number filling all of [s, e). */
static int number(const char *s, const char *e, double *v)
{
    char buf[64];
    while (s < e && *s == ' ') s++;
    while (e > s && e[-1] == ' ') e--;
    if (e == s || (size_t)(e - s) >= sizeof buf) return -1;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
    char *end;
    *v = strtod(buf, &end);
    return *end == '\0' && isfinite(*v) ? 0 : -1;
}

/* A number or lo:hi in [s, e). */
static int parse_range(const char *s, const char *e, sp_rir_range *r)
{
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (!colon) {
        if (number(s, e, &r->lo) != 0) return -1;
        r->hi = r->lo;
        return 0;
    }
    return number(s, colon, &r->lo) == 0 && number(colon + 1, e, &r->hi) == 0 && r->lo <= r->hi ? 0 : -1;
}

/* room = X,Y,Z, each a number or lo:hi. */
static int parse_room(const char *s, sp_rir_range dim[3])
{
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        if ((i < 2) != (comma != NULL) || parse_range(p, end, &dim[i]) != 0) return -1;
        p = end + 1;
    }
    return 0;
}

static void free_pool(reverb_probe *x)
{
    for (long i = 0; i < x->npool; i++) free(x->pool[i].h);
    free(x->pool);
    x->pool = NULL;
    x->npool = 0;
}

static void destroy(void *self)
{
    reverb_probe *x = self;
    if (!x) return;
    free_pool(x);
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        if (!x->cache[r]) continue;
        for (unsigned long i = 0; i < x->data[r]->n; i++) {
            free(x->cache[r][i].y);
            if (x->cache[r][i].owned) free(x->cache[r][i].h.h);
        }
        free(x->cache[r]);
    }
    sp_rir_conv_free(x->conv);
    sp_rir_conv_free(x->cconv);
    free(x->x);
    free(x->y);
    free(x->sim.h);
    free(x->rows);
    if (x->r) x->h->rng_free(x->r);
    free(x);
}

/* Add the response of path to the pool; a file libsndfile cannot read is
 * an error when named, skipped (and counted) when found in a directory. */
static int add_file(reverb_probe *x, const char *path, long max_len, int from_dir, sp_probe_error *err)
{
    float *h;
    long n;
    sp_error e;
    if (sp_rir_read(path, RATE, max_len, &h, &n, &e) != 0) {
        if (from_dir) return x->skipped++, 0;
        sp_error_prefix(&e, "rir_files: ");
        return aug_put(&e, err, OPT_FILES);
    }
    if (x->npool == MAX_FILES) {
        free(h);
        return aug_fail(err, OPT_FILES, "rir_files: more than %d responses", MAX_FILES);
    }
    if (x->npool % 64 == 0) {
        response *p = realloc(x->pool, (size_t)(x->npool + 64) * sizeof *p);
        if (!p) {
            free(h);
            return aug_fail(err, -1, "out of memory");
        }
        x->pool = p;
    }
    long on = sp_rir_onset(h, n);
    x->pool[x->npool++] = (response){ .h = h, .n = n, .onset = on, .direct = sp_rir_direct_gain(h, n, on, RATE) };
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a directory, in name order (hidden ones left out), so that
 * a seed draws the same responses wherever the directory is. */
static int add_dir(reverb_probe *x, const char *dir, long max_len, sp_probe_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return aug_fail(err, OPT_FILES, "rir_files: cannot read '%s': %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len < 0 || len >= (int)sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) {
            char **p = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *p);
            if (!p) rc = aug_fail(err, -1, "out of memory");
            else names = p;
        }
        if (rc == 0 && !(names[n++] = strdup(path))) rc = aug_fail(err, -1, "out of memory");
    }
    closedir(d);
    if (rc == 0 && n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = add_file(x, names[i], max_len, 1, err);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* rir_files = a comma list of files and directories. */
static int read_files(reverb_probe *x, const char *list, long max_len, sp_probe_error *err)
{
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        char path[4096];
        if (b == a || (size_t)(b - a) >= sizeof path)
            return aug_fail(err, OPT_FILES, "rir_files: '%s' is not a comma list of files and directories", list);
        memcpy(path, a, (size_t)(b - a));
        path[b - a] = '\0';
        struct stat st;
        int rc = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? add_dir(x, path, max_len, err)
                                                              : add_file(x, path, max_len, 0, err);
        if (rc != 0) return -1;
        if (p[len] == '\0') break;
        p += len + 1;
    }
    if (x->npool == 0)
        return aug_fail(err, OPT_FILES, "rir_files: '%s' holds no file libsndfile reads (%ld skipped)", list,
                        x->skipped);
    return 0;
}

/* Parse and check the simulated rooms' options; refuse them beside
 * rir_files. */
static int parse_rooms(reverb_probe *x, const sp_probe_value *v, sp_probe_error *err)
{
    static const int sim[] = { OPT_ROOM, OPT_RT60, OPT_DISTANCE, OPT_MARGIN, OPT_INTERP, OPT_HIGHPASS, OPT_ROOMS };
    if (v[OPT_FILES].text[0]) {
        for (size_t i = 0; i < sizeof sim / sizeof sim[0]; i++)
            /* a run's config.conf gives every option: a default is no refusal */
            if (v[sim[i]].given && strcmp(v[sim[i]].text, options[sim[i]].default_value) != 0)
                return aug_fail(err, sim[i], "%s: '%s' is for simulated rooms, not with rir_files",
                                options[sim[i]].name, v[sim[i]].text);
    }
    sp_rir_ranges *g = &x->g;
    g->rate = RATE;
    g->interp = (int)v[OPT_INTERP].i == 0 ? SP_RIR_SINC : SP_RIR_NEAREST;
    g->margin = v[OPT_MARGIN].f;
    g->highpass_hz = v[OPT_HIGHPASS].f;
    g->max_s = v[OPT_MAXMS].f / 1000;
    if (parse_room(v[OPT_ROOM].text, g->dim) != 0)
        return aug_fail(err, OPT_ROOM, "room: '%s' is not three sizes in m (x,y,z), each a number or lo:hi",
                        v[OPT_ROOM].text);
    const char *t = v[OPT_RT60].text, *d = v[OPT_DISTANCE].text;
    if (parse_range(t, t + strlen(t), &g->rt60) != 0)
        return aug_fail(err, OPT_RT60, "rt60: '%s' is not a time in s or lo:hi (lo <= hi)", t);
    if (parse_range(d, d + strlen(d), &g->distance) != 0)
        return aug_fail(err, OPT_DISTANCE, "distance: '%s' is not a distance in m or lo:hi (lo <= hi)", d);
    int which;
    sp_error e;
    if (sp_rir_ranges_check(g, &which, &e) != 0) {
        static const int opt[] = { OPT_ROOM, OPT_RT60, OPT_DISTANCE, OPT_MARGIN };
        return aug_fail(err, opt[which], "%s: %s", options[opt[which]].name, e.msg);
    }
    /* The longest direct path: the room's diagonal, when the distance
     * drawn is larger. */
    double diag = 0;
    for (int i = 0; i < 3; i++) diag += (g->dim[i].hi - 2 * g->margin) * (g->dim[i].hi - 2 * g->margin);
    double far = g->distance.hi < sqrt(diag) ? g->distance.hi : sqrt(diag);
    if (!v[OPT_FILES].text[0] && g->max_s * RATE < far * RATE / SP_RIR_C + 2)
        return aug_fail(err, OPT_MAXMS, "max_ms: %g ms ends before the direct sound from %g m away arrives (%.2f ms)",
                        v[OPT_MAXMS].f, far, 1e3 * far / SP_RIR_C);
    return 0;
}

static int create(const sp_probe_context *ctx, void **self, sp_probe_error *err)
{
    reverb_probe *x = calloc(1, sizeof *x);
    if (!x) return aug_fail(err, -1, "out of memory");
    x->ctx = ctx;
    x->h = ctx->host;
    const sp_probe_value *v = ctx->values;
    x->scope = (int)v[OPT_SCOPE].i;
    x->level = (int)v[OPT_LEVEL].i;
    x->fraction = v[OPT_FRACTION].f;
    x->listen = (long)v[OPT_LISTEN].i;
    long long seed = v[OPT_SEED].i;
    x->base = seed >= 0 ? (uint64_t)seed : x->h->rng_u64(ctx->rng);
    x->r = x->h->rng_new(ctx, x->base, 0);
    int rc = aug_parse_apply(v[OPT_APPLY].text, x->apply);
    if (rc != 0) rc = aug_fail(err, OPT_APPLY, "apply_to: '%s' is not a comma list of train, dev, test", v[OPT_APPLY].text);
    if (rc == 0) rc = parse_rooms(x, v, err);
    if (rc == 0 && v[OPT_FILES].text[0]) rc = read_files(x, v[OPT_FILES].text, (long)floor(x->g.max_s * RATE), err);
    if (rc != 0) {
        destroy(x);
        return -1;
    }
    x->nfiles = x->npool;
    *self = x;
    return 0;
}

/* ---- simulated rooms */

static double uniform_of(void *state)
{
    reverb_probe *x = state;
    return x->h->rng_uniform(x->r);
}

/* A row of rooms.tsv (the first MAX_ROWS rooms simulated). */
static int add_row(reverb_probe *x, const char *name, const sp_rir_room *m, long images, long onset)
{
    if (x->nrows >= MAX_ROWS) return 0;
    if (x->cap_rows - x->len < 1024) {
        size_t cap = x->cap_rows ? 2 * x->cap_rows : 65536;
        char *p = realloc(x->rows, cap);
        if (!p) return -1;
        x->rows = p;
        x->cap_rows = cap;
    }
    if (x->len == 0)
        x->len = (size_t)snprintf(x->rows, x->cap_rows,
                                  "room\tx_m\ty_m\tz_m\trt60_s\tbeta\tsrc_x\tsrc_y\tsrc_z\tmic_x\tmic_y\tmic_z\t"
                                  "distance_m\tdirect_ms\tlength\timages\tonset\n");
    x->len += (size_t)snprintf(x->rows + x->len, x->cap_rows - x->len,
                               "%.200s\t%.4f\t%.4f\t%.4f\t%.4f\t%.6f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%ld\t%ld\t%ld\n",
                               name, m->room[0], m->room[1], m->room[2], m->rt60, m->beta, m->src[0], m->src[1],
                               m->src[2], m->mic[0], m->mic[1], m->mic[2], sp_rir_distance(m),
                               1e3 * sp_rir_direct_delay(m) / m->rate, m->length, images, onset);
    x->nrows++;
    return 0;
}

/* Simulate the room drawn from stream into out (whose buffer holds
 * max_len samples). */
static int simulate(reverb_probe *x, uint64_t stream, const char *name, response *out, sp_probe_error *err)
{
    double t0 = aug_cpu_seconds();
    x->h->rng_seed(x->r, x->base, stream);
    sp_rir_room m;
    sp_error e;
    if (sp_rir_draw(&x->g, uniform_of, x, &m, &e) != 0) return aug_put(&e, err, -1);
    long k = m.length <= x->max_len ? sp_rir_image(&m, out->h, &e) : -1;
    if (k < 0) return m.length > x->max_len ? aug_fail(err, -1, "a response of %ld samples", m.length) : aug_put(&e, err, -1);
    out->n = m.length;
    out->onset = lround(sp_rir_direct_delay(&m)); /* known: no need to find it */
    out->direct = 1 / (4 * M_PI * sp_rir_distance(&m));
    x->sim_s += aug_cpu_seconds() - t0;
    x->simulated++;
    x->images += (double)k;
    if (add_row(x, name, &m, k, out->onset) != 0) return aug_fail(err, -1, "out of memory");
    return 0;
}

/* rooms > 0: the pool, simulated once. */
static int make_pool(reverb_probe *x, long rooms, sp_probe_error *err)
{
    if (!(x->pool = calloc((size_t)rooms, sizeof *x->pool))) return aug_fail(err, -1, "out of memory");
    for (long i = 0; i < rooms; i++) {
        char name[32];
        snprintf(name, sizeof name, "pool-%ld", i);
        if (simulate(x, aug_mix64(x->base, 99, (uint64_t)i, 0), name, &x->sim, err) != 0) return -1;
        response *p = &x->pool[x->npool++];
        if (!(p->h = malloc((size_t)x->sim.n * sizeof *p->h))) return aug_fail(err, -1, "out of memory");
        memcpy(p->h, x->sim.h, (size_t)x->sim.n * sizeof *p->h);
        p->n = x->sim.n;
        p->onset = x->sim.onset;
        p->direct = x->sim.direct;
    }
    return 0;
}

static int on_start(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    reverb_probe *x = self;
    if (run->sample_rate != RATE)
        return aug_fail(err, -1, "the run's audio is at %d Hz; this probe expects %d Hz", run->sample_rate, RATE);
    long longest = 1, rooms = (long)x->ctx->values[OPT_ROOMS].i;
    for (int r = 0; r < SP_PROBE_NROLES; r++) {
        x->data[r] = run->data[r];
        if (!x->apply[r] || !run->data[r]) continue;
        if (!(x->cache[r] = calloc(run->data[r]->n + 1, sizeof *x->cache[r]))) return aug_fail(err, -1, "out of memory");
        for (unsigned long i = 0; i < run->data[r]->n; i++)
            if (run->data[r]->utt[i].samples > longest) longest = run->data[r]->utt[i].samples;
    }
    x->max_len = 1;
    if (x->nfiles)
        for (long i = 0; i < x->npool; i++) x->max_len = x->pool[i].n > x->max_len ? x->pool[i].n : x->max_len;
    else x->max_len = sp_rir_ranges_max_length(&x->g);
    x->cap = longest > run->T + 2 * x->max_len ? longest : run->T + 2 * x->max_len;
    x->x = malloc((size_t)x->cap * sizeof *x->x);
    x->y = malloc((size_t)x->cap * sizeof *x->y);
    x->sim.h = malloc((size_t)x->max_len * sizeof *x->sim.h);
    if (!x->x || !x->y || !x->sim.h) return aug_fail(err, -1, "out of memory");
    sp_error e;
    if (!(x->conv = sp_rir_conv_new(x->max_len, &e)) || !(x->cconv = sp_rir_conv_new_block(x->max_len, run->T, &e)))
        return aug_put(&e, err, -1);
    if (!x->nfiles && rooms > 0 && make_pool(x, rooms, err) != 0) return -1;
    char what[512];
    const sp_rir_ranges *g = &x->g;
    if (x->nfiles)
        snprintf(what, sizeof what, "%ld responses from rir_files (%ld files skipped: not audio)", x->nfiles, x->skipped);
    else
        snprintf(what, sizeof what,
                 "rooms %g..%g x %g..%g x %g..%g m, rt60 %g..%g s, distance %g..%g m, %s delays, high-pass %g Hz, %s%.0ld",
                 g->dim[0].lo, g->dim[0].hi, g->dim[1].lo, g->dim[1].hi, g->dim[2].lo, g->dim[2].hi, g->rt60.lo,
                 g->rt60.hi, g->distance.lo, g->distance.hi, g->interp == SP_RIR_SINC ? "sinc" : "nearest",
                 g->highpass_hz, rooms > 0 ? "a pool of " : "a new room each time", rooms);
    x->h->log(x->ctx, SP_PROBE_INFO, "%s; up to %ld ms, scope %s, level %s, fraction %g, on%s%s%s", what,
              x->max_len * 1000 / RATE, x->scope == SCOPE_UTT ? "utterance" : "chunk",
              x->level == LEVEL_RMS ? "rms" : "direct", x->fraction, x->apply[0] ? " train" : "",
              x->apply[1] ? " dev" : "", x->apply[2] ? " test" : "");
    return x->listen > 0 ? aug_listen_dir(x->ctx, err) : 0;
}

/* ---- reverberation */

/* The response of the utterance or chunk keyed (a, key, c): *out, or
 * NULL when the fraction leaves it dry. Returns 0, or -1 with err. */
static int pick(reverb_probe *x, uint64_t a, uint64_t key, uint64_t c, const char *name, const response **out,
                sp_probe_error *err)
{
    *out = NULL;
    x->seen++;
    if (x->fraction < 1 && aug_unit(aug_mix64(x->base, a ^ 0x5eed, key, c)) >= x->fraction) return 0;
    x->done++;
    uint64_t z = aug_mix64(x->base, a, key, c);
    if (x->npool) {
        *out = &x->pool[z % (uint64_t)x->npool];
        return 0;
    }
    if (simulate(x, z, name, &x->sim, err) != 0) return -1;
    *out = &x->sim;
    return 0;
}

static double rms(const float *v, long n)
{
    double p = 0;
    for (long i = 0; i < n; i++) p += (double)v[i] * v[i];
    return n > 0 ? sqrt(p / (double)n) : 0;
}

/* out[n] = in[n] reverberated by h, aligned and levelled (see the top);
 * *G the level's gain. */
static int reverberate(reverb_probe *x, const response *h, const float *in, long n, float *out, double *G,
                       sp_probe_error *err)
{
    sp_error e;
    if (sp_rir_conv_set(x->conv, h->h, h->n, &e) != 0) return aug_put(&e, err, -1);
    sp_rir_conv_run(x->conv, in, n, h->onset, out);
    double g = 1;
    if (x->level == LEVEL_DIRECT) {
        g = 1 / h->direct;
    } else {
        double ro = rms(out, n);
        g = ro > 0 ? rms(in, n) / ro : 1;
    }
    for (long i = 0; i < n; i++) out[i] = (float)(out[i] * g);
    *G = g;
    return 0;
}

static int listen(reverb_probe *x, const char *name, const float *y, long n, const response *h, sp_probe_error *err)
{
    if (x->listened >= x->listen) return 0;
    x->listened++;
    char rname[600];
    snprintf(rname, sizeof rname, "%s-rir", name);
    if (aug_listen_write(x->ctx, name, y, n, RATE, err) != 0) return -1;
    return aug_listen_write(x->ctx, rname, h->h, h->n, RATE, err);
}

/* Utterance i of role r reverberated at unit gain, made on first use. */
static const utt_rev *reverberated(reverb_probe *x, int r, unsigned long i, sp_probe_error *err)
{
    utt_rev *e = &x->cache[r][i];
    if (e->y || e->dry) return e;
    const sp_probe_utterance *u = &x->data[r]->utt[i];
    const response *h;
    if (pick(x, (uint64_t)r, i, 0, u->id, &h, err) != 0) return NULL;
    if (!h) return e->dry = 1, e;
    e->h = *h;
    if (h == &x->sim) { /* keep a copy: the buffer is the next room's */
        if (!(e->h.h = malloc((size_t)h->n * sizeof *e->h.h))) return aug_fail(err, -1, "out of memory"), NULL;
        memcpy(e->h.h, h->h, (size_t)h->n * sizeof *h->h);
        e->owned = 1;
        x->bytes += (double)h->n * sizeof *h->h;
    }
    long n = u->samples;
    double t0 = aug_cpu_seconds();
    if (!(e->y = malloc((size_t)(n > 0 ? n : 1) * sizeof *e->y))) return aug_fail(err, -1, "out of memory"), NULL;
    for (long s = 0; s < n; s++) x->x[s] = (float)(u->audio[s] / 32768.0);
    if (reverberate(x, &e->h, x->x, n, e->y, &e->G, err) != 0 || listen(x, u->id, e->y, n, &e->h, err) != 0)
        return NULL;
    x->bytes += (double)n * sizeof *e->y;
    x->make_s += aug_cpu_seconds() - t0;
    return e;
}

/* Chunk b from its utterance's reverberated copy. Convolution is linear:
 * the chunk as handed over is g x + d, d what earlier probes changed
 * (noise, a speed perturbation), so its reverberation is g y + G (d * h),
 * with d taken as zero outside the chunk (the clean utterance there). */
static int utterance_chunk(reverb_probe *x, sp_probe_batch *bt, int b, const utt_rev *e, sp_probe_error *err)
{
    const sp_probe_utterance *u = &x->data[bt->role]->utt[bt->utterance[b]];
    int T = bt->T, changed = 0;
    float g = bt->gain[b], *a = bt->audio + (size_t)b * (size_t)T, *d = x->x;
    for (int t = 0; t < T; t++) {
        long s = bt->start[b] + t;
        d[t] = a[t] - (s >= 0 && s < u->samples ? (float)(u->audio[s] / 32768.0) * g : 0);
        changed |= d[t] != 0;
    }
    if (changed) {
        sp_error er;
        if (sp_rir_conv_set(x->cconv, e->h.h, e->h.n, &er) != 0) return aug_put(&er, err, -1);
        sp_rir_conv_run(x->cconv, d, T, e->h.onset, x->y);
        x->changed++;
    }
    for (int t = 0; t < T; t++) {
        long s = bt->start[b] + t;
        a[t] = (s >= 0 && s < u->samples ? g * e->y[s] : 0) + (changed ? (float)(e->G * x->y[t]) : 0);
    }
    return 0;
}

static int utterance_scope(reverb_probe *x, sp_probe_batch *bt, sp_probe_error *err)
{
    for (int b = 0; b < bt->B; b++) {
        const utt_rev *e = reverberated(x, bt->role, (unsigned long)bt->utterance[b], err);
        if (!e) return -1;
        if (!e->dry && utterance_chunk(x, bt, b, e, err) != 0) return -1;
    }
    return 0;
}

/* Chunk b with its own response: the clean utterance around it (times
 * its gain) gives the reverberation reaching into it, P = n - 1 - onset
 * samples before and onset after, the chunk as given in the middle. */
static int chunk_one(reverb_probe *x, sp_probe_batch *bt, int b, sp_probe_error *err)
{
    int T = bt->T;
    char name[96];
    snprintf(name, sizeof name, "%s-e%d-s%ld-c%d", bt->split, bt->epoch, bt->step, b);
    const response *h;
    if (pick(x, 16 + (uint64_t)bt->role, aug_chunk_key(bt), (uint64_t)b + 1, name, &h, err) != 0) return -1;
    if (!h) return 0;
    const sp_probe_utterance *u = &x->data[bt->role]->utt[bt->utterance[b]];
    float g = bt->gain[b], *a = bt->audio + (size_t)b * (size_t)T;
    long P = h->n - 1 - h->onset, n = P + T + h->onset, s0 = bt->start[b] - P;
    for (long j = 0; j < n; j++) {
        long s = s0 + j;
        if (j >= P && j < P + T) x->x[j] = a[j - P];
        else x->x[j] = s >= 0 && s < u->samples ? (float)(u->audio[s] / 32768.0) * g : 0;
    }
    sp_error e;
    if (sp_rir_conv_set(x->cconv, h->h, h->n, &e) != 0) return aug_put(&e, err, -1);
    sp_rir_conv_run(x->cconv, x->x, n, h->onset, x->y);
    double k = x->level == LEVEL_DIRECT ? 1 / h->direct : 1;
    if (x->level == LEVEL_RMS) {
        double ro = rms(x->y + P, T);
        k = ro > 0 ? rms(a, T) / ro : 1;
    }
    for (int t = 0; t < T; t++) a[t] = (float)(x->y[P + t] * k);
    return listen(x, name, a, T, h, err);
}

static int on_batch(void *self, sp_probe_batch *bt, sp_probe_error *err)
{
    reverb_probe *x = self;
    if (!x->apply[bt->role]) return 0;
    if (!x->cache[bt->role]) return aug_fail(err, -1, "a %s batch, but on_start had no such split", bt->split);
    if (bt->T + 2 * x->max_len > x->cap) return aug_fail(err, -1, "a batch of %d-sample chunks", bt->T);
    double t0 = aug_cpu_seconds();
    int rc = 0;
    if (x->scope == SCOPE_UTT) rc = utterance_scope(x, bt, err);
    for (int b = 0; x->scope == SCOPE_CHUNK && b < bt->B && rc == 0; b++) rc = chunk_one(x, bt, b, err);
    x->cpu_s += aug_cpu_seconds() - t0;
    x->batches++;
    return rc;
}

static int on_finish(void *self, const sp_probe_run *run, sp_probe_error *err)
{
    (void)run;
    reverb_probe *x = self;
    char sim[160] = "";
    if (x->simulated)
        snprintf(sim, sizeof sim, "; %ld rooms simulated, %.0f images and %.1f ms of CPU each on average", x->simulated,
                 x->images / (double)x->simulated, 1e3 * x->sim_s / (double)x->simulated);
    char changed[96] = "";
    if (x->scope == SCOPE_UTT)
        snprintf(changed, sizeof changed, "; %ld chunks reverberated with earlier probes' changes", x->changed);
    x->h->log(x->ctx, SP_PROBE_INFO,
              "reverberated %ld of %ld %s (fraction %g)%s%s; %.1f MB kept; %.2f ms of CPU per batch over %ld batches, "
              "%.1f s of it simulating rooms and reverberating whole utterances",
              x->done, x->seen, x->scope == SCOPE_UTT ? "utterances" : "chunks", x->fraction, sim, changed,
              x->bytes / 1e6, x->batches ? 1e3 * x->cpu_s / (double)x->batches : 0.0, x->batches,
              x->make_s + (x->npool > x->nfiles ? 0 : x->sim_s));
    return x->nrows ? x->h->write_text(x->ctx, "rooms.tsv", x->rows, x->len, err) : 0;
}

static const sp_probe_descriptor descriptor = {
    .abi_version = SP_PROBE_ABI_VERSION,
    .identifier = "reverb",
    .name = "Room reverberation",
    .version = "1.0",
    .summary = "convolves each utterance with a room impulse response, simulated (image method) or from files",
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
