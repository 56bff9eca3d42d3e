/* test_live_engine.c - the live worker (live/engine.h) fed through a real
 * ring by a producer thread: at 16 kHz its frames are bit for bit the
 * filterbank run directly on the signal, in order, one per whole hop; at
 * 48 kHz (resampled by libsamplerate) a tone lands in the filter whose
 * band holds it and the frame count is the resampled length's (within a
 * hop: a ratio 1% off is 3 hops off); the
 * --record .npy (header parsed by hand) and .tsv hold every frame; with
 * phones the posteriors are the model's on the last T samples, sum to 1,
 * and the top phones are the largest, best first; --seconds stops the worker; stop mid-stream ends the
 * frames; bad options are refused. */
#include "config.h"
#include "live/engine.h"
#include "live/filterbank.h"
#include "corpus/phoneset.h"
#include "base/npy.h"
#include "base/rng.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define FS 16000

/* The producer: a signal written into the ring in chunks of 333 (a file
 * source played as fast as the ring drains: it waits for room, drops
 * nothing), then `finished`; it gives up when told to quit. */
typedef struct {
    sp_ring *ring;
    const float *x;
    long n;
    atomic_int finished, quit;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (long at = 0; at < p->n && !atomic_load(&p->quit);) {
        size_t k = p->n - at < 333 ? (size_t)(p->n - at) : 333;
        if (sp_ring_space(p->ring) < k) {
            sched_yield();
            continue;
        }
        at += (long)sp_ring_write(p->ring, p->x + at, k);
    }
    atomic_store(&p->finished, 1);
    return NULL;
}

static int finished(void *ctx)
{
    return atomic_load(&((producer *)ctx)->finished);
}

/* Every frame, as the drawing thread takes them: index = hop number from
 * t_s; energies [maxf][F]; top phones' probabilities and names. */
typedef struct {
    int F, ntop;
    long n, maxf;
    long *hop;
    float *energy, *level, *prob;
    char (*phone)[8];
    uint64_t overruns;
    int in_order;
} frames;

static void take(frames *fr, const sp_live_frame *f, int H)
{
    if (fr->n == fr->maxf) return;
    long h = lround(f->t_s * FS / H) - 1;
    if (fr->n && h <= fr->hop[fr->n - 1]) fr->in_order = 0;
    fr->hop[fr->n] = h;
    memcpy(fr->energy + (size_t)fr->n * fr->F, f->energy_db, (size_t)fr->F * sizeof(float));
    fr->level[fr->n] = f->level_db;
    for (int r = 0; r < f->ntop && r < fr->ntop; r++) {
        fr->prob[(size_t)fr->n * fr->ntop + r] = f->top_prob[r];
        snprintf(fr->phone[(size_t)fr->n * fr->ntop + r], 8, "%s", f->top_phone[r]);
    }
    if (f->overruns > fr->overruns) fr->overruns = f->overruns;
    fr->n++;
}

static void frames_init(frames *fr, int F, int ntop, long maxf)
{
    memset(fr, 0, sizeof *fr);
    fr->F = F;
    fr->ntop = ntop;
    fr->maxf = maxf;
    fr->hop = sp_xmalloc((size_t)maxf * sizeof *fr->hop);
    fr->energy = sp_xmalloc((size_t)maxf * F * sizeof *fr->energy);
    fr->level = sp_xmalloc((size_t)maxf * sizeof *fr->level);
    fr->prob = sp_xmalloc((size_t)maxf * (ntop ? ntop : 1) * sizeof *fr->prob);
    fr->phone = sp_xmalloc((size_t)maxf * (ntop ? ntop : 1) * sizeof *fr->phone);
    fr->in_order = 1;
}

static void frames_free(frames *fr)
{
    free(fr->hop), free(fr->energy), free(fr->level), free(fr->prob), free(fr->phone);
}

/* Runs an engine on x[n] at `rate` through a ring; frames into fr; stats
 * into st. Returns sp_live_engine_stop's result. */
static int run(sp_model *m, const sp_live_engine_opts *o, const float *x, long n, frames *fr,
               sp_live_engine_stats *st)
{
    sp_error err;
    sp_live_engine *e = sp_live_engine_new(m, o, &err);
    if (!e) {
        CHECK_MSG(0, "%s", err.msg);
        return -1;
    }
    sp_live_scene sc;
    sp_live_engine_scene(e, &sc);
    frames_init(fr, sc.nfilt, sc.ntop, n / 16 + 8);
    sp_ring ring;
    CHECK(sp_ring_init(&ring, 8192, &err) == 0);
    producer p = { .ring = &ring, .x = x, .n = n };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, produce, &p) == 0);
    CHECK(sp_live_engine_start(e, &ring, finished, &p, &err) == 0);
    int H = (int)lround(sc.hop_s * FS), rc;
    sp_live_frame f;
    while ((rc = sp_live_engine_next(e, &f)) != -1)
        if (rc == 1)
            take(fr, &f, H);
        else
            sp_live_engine_wait(e, 0.1);
    atomic_store(&p.quit, 1);
    pthread_join(th, NULL);
    rc = sp_live_engine_stop(e, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(sp_live_engine_next(e, &f) == -1);
    sp_live_engine_stats_get(e, st);
    CHECK(atomic_load(&ring.overruns) == 0);
    sp_live_engine_free(e);
    sp_ring_free(&ring);
    return rc;
}

/* The small preset's first layer (40 x 129 sinc) in a small model. */
static int small_model(sp_model *m)
{
    sp_conf c;
    sp_conf_defaults(&c);
    c.input_ms = 100;
    c.filters = 40;
    c.taps = 129;
    c.conv_channels[0] = c.conv_channels[1] = 8;
    c.ndense = 1;
    c.dense[0] = 16;
    c.seed = 3;
    sp_error err;
    if (sp_model_init(m, &c, 1, &err) != 0) {
        CHECK_MSG(0, "%s", err.msg);
        return -1;
    }
    return 0;
}

/* The filterbank run directly: energies [N/H][F]. */
static float *direct(const sp_model *m, int H, int W, const float *x, long n)
{
    sp_error err;
    sp_filterbank *fb = sp_filterbank_new(m, H, W, &err);
    int F = sp_filterbank_size(fb);
    float *e = sp_xmalloc((size_t)(n / H + 1) * F * sizeof *e);
    for (long h = 0; h < n / H; h++) sp_filterbank_hop(fb, x + h * H, e + (size_t)h * F);
    sp_filterbank_free(fb);
    return e;
}

/* The .npy by hand: magic, version 1.0, header length, the dict's descr,
 * order and shape, then the data at a multiple of 64. Returns the data
 * (rows x cols floats) or NULL. */
static float *read_npy(const char *path, long *rows, long *cols)
{
    sp_error err;
    size_t len;
    char *buf = sp_read_file(path, &len, &err);
    CHECK_MSG(buf != NULL, "%s", buf ? "" : err.msg);
    if (!buf) return NULL;
    float *data = NULL;
    size_t hlen = len >= 10 ? (size_t)(unsigned char)buf[8] | (size_t)(unsigned char)buf[9] << 8 : 0;
    CHECK(len >= 10 && memcmp(buf, "\x93NUMPY\x01\x00", 8) == 0 && (10 + hlen) % 64 == 0 && 10 + hlen <= len);
    if (len >= 10 && 10 + hlen <= len) {
        char *dict = strndup(buf + 10, hlen);
        const char *sh = strstr(dict, "'shape': (");
        CHECK(strstr(dict, "'descr': '<f4'") && strstr(dict, "'fortran_order': False") && sh);
        if (sh && sscanf(sh, "'shape': (%ld, %ld)", rows, cols) == 2 &&
            10 + hlen + (size_t)*rows * *cols * 4 == len) {
            data = sp_xmalloc((size_t)*rows * *cols * sizeof *data + 1);
            memcpy(data, buf + 10 + hlen, (size_t)*rows * *cols * sizeof *data);
        } else
            CHECK_MSG(0, "%s: shape or size wrong: %s", path, dict);
        free(dict);
    }
    free(buf);
    return data;
}

/* The .tsv: header fields into names (count *ncols), rows into a [rows][ncols] array. */
static double *read_tsv(const char *path, char ***names, int *ncols, long *rows)
{
    sp_error err;
    size_t len;
    char *buf = sp_read_file(path, &len, &err);
    CHECK(buf != NULL);
    if (!buf) return NULL;
    char *save, *line = strtok_r(buf, "\n", &save);
    *ncols = 0;
    *names = NULL;
    for (char *s2, *tok = strtok_r(line, "\t", &s2); tok; tok = strtok_r(NULL, "\t", &s2)) {
        *names = sp_xrealloc(*names, (size_t)(*ncols + 1) * sizeof **names);
        (*names)[(*ncols)++] = sp_xstrdup(tok);
    }
    double *v = NULL;
    *rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        v = sp_xrealloc(v, (size_t)(*rows + 1) * *ncols * sizeof *v);
        char *p = line;
        for (int c = 0; c < *ncols; c++) v[(size_t)*rows * *ncols + c] = strtod(p, &p);
        CHECK(*p == '\0');
        (*rows)++;
    }
    free(buf);
    return v;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static float *noise_tone(long n, unsigned seed)
{
    sp_rng r;
    sp_rng_seed(&r, seed, 0);
    float *x = sp_xmalloc((size_t)n * sizeof *x);
    for (long t = 0; t < n; t++)
        x[t] = (float)(0.05 * sp_rng_normal(&r) + 0.3 * sin(2 * M_PI * 700.0 * t / FS) +
                       (t > n / 3 && t < n / 2 ? 0.5 * sp_rng_normal(&r) : 0.0));
    return x;
}

static void stats_sane(const sp_live_engine_stats *st, const frames *fr, int phones)
{
    CHECK(st->hops == (uint64_t)fr->n + st->frames_dropped);
    CHECK(st->hop_ms_mean > 0 && st->hop_ms_mean <= st->hop_ms_max && st->hop_ms_p99 <= st->hop_ms_max);
    CHECK(st->hop_ms_p99 > 0);
    if (phones)
        CHECK(st->phones_ms_mean > 0 && st->phones_ms_mean <= st->hop_ms_mean && st->phones_ms_p99 > 0);
    else
        CHECK(st->phones_ms_mean == 0);
    CHECK(fabs(st->audio_s - st->hops * 0.01) < 1e-9);
    CHECK(fr->in_order && fr->overruns == 0);
}

/* 16 kHz: frames and the .npy record equal the filterbank run directly. */
static void at_16k(sp_model *m, const char *dir)
{
    long n = 2 * FS + 77; /* 200 whole hops and a partial one, not shown */
    float *x = noise_tone(n, 1);
    char *path = sp_path_join(dir, "rec.npy");
    sp_live_engine_opts o = { .in_rate = FS, .hop_ms = 10, .window_ms = 25, .record = path };
    frames fr;
    sp_live_engine_stats st;
    run(m, &o, x, n, &fr, &st);
    float *ref = direct(m, 160, 480, x, n); /* 25 ms: 3 hops */
    CHECK_MSG(st.hops == 200, "%llu hops", (unsigned long long)st.hops);
    long bad = 0, badlevel = 0;
    for (long i = 0; i < fr.n; i++) {
        long h = fr.hop[i];
        if (h < 0 || h >= 200 || memcmp(fr.energy + (size_t)i * fr.F, ref + (size_t)h * fr.F, fr.F * sizeof(float)))
            bad++;
        double s = 0;
        for (int t = 0; t < 160 && h >= 0 && h < 200; t++) s += (double)x[h * 160 + t] * x[h * 160 + t];
        if (fabs(fr.level[i] - 10 * log10(s / 160 + 1e-10)) > 1e-4) badlevel++;
    }
    CHECK_MSG(bad == 0 && badlevel == 0, "%ld of %ld frames differ from the direct filterbank (%ld levels)", bad, fr.n,
              badlevel);
    stats_sane(&st, &fr, 0);
    long rows = 0, cols = 0;
    float *rec = read_npy(path, &rows, &cols);
    CHECK(rows == 200 && cols == 40);
    CHECK(rec && rows == 200 && cols == 40 && memcmp(rec, ref, 200 * 40 * sizeof(float)) == 0);
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    sp_error err;
    float *back = sp_npy_read(path, &t, &rank, shape, &err); /* and the project's reader agrees */
    CHECK(back && t == SP_NPY_F32 && rank == 2 && shape[0] == 200 && shape[1] == 40);
    free(back), free(rec), free(ref), free(x), free(path);
    frames_free(&fr);
}

/* 48 kHz, resampled: a tone at the centre of display filter 20 lands in a
 * filter whose band holds it; one frame per hop of the resampled stream
 * (within one); the .tsv holds every frame. */
static void at_48k(sp_model *m, const char *dir)
{
    long n = 144000; /* 3 s: 48000 samples at 16 kHz, 300 hops */
    char *path = sp_path_join(dir, "rec.tsv");
    sp_live_engine_opts o = { .in_rate = 48000, .hop_ms = 10, .window_ms = 25, .record = path };
    sp_error err;
    sp_live_engine *probe = sp_live_engine_new(m, &o, &err);
    sp_live_scene sc;
    sp_live_engine_scene(probe, &sc);
    int F = sc.nfilt;
    float *centre = sp_xmalloc((size_t)F * 3 * sizeof *centre), *lo = centre + F, *hi = lo + F;
    memcpy(centre, sc.centre_hz, F * sizeof *centre);
    memcpy(lo, sc.low_hz, F * sizeof *lo);
    memcpy(hi, sc.high_hz, F * sizeof *hi);
    sp_live_engine_free(probe);
    double f0 = centre[20];
    float *x = sp_xmalloc((size_t)n * sizeof *x);
    for (long t = 0; t < n; t++) x[t] = (float)(0.5 * sin(2 * M_PI * f0 * t / 48000.0));
    frames fr;
    sp_live_engine_stats st;
    run(m, &o, x, n, &fr, &st);
    CHECK_MSG(labs((long)st.hops - 300) <= 1, "%llu hops from 48000 samples", (unsigned long long)st.hops);
    stats_sane(&st, &fr, 0);
    long miss = 0, loud = 0;
    for (long i = 0; i < fr.n; i++) {
        if (fr.hop[i] < 10 || fr.hop[i] > 290) continue; /* past the start and the resampler's delay */
        int best = 0;
        for (int j = 1; j < F; j++)
            if (fr.energy[(size_t)i * F + j] > fr.energy[(size_t)i * F + best]) best = j;
        if (!(lo[best] <= f0 && f0 <= hi[best])) miss++;
        if (fabs(fr.level[i] - 10 * log10(0.125)) > 0.1) loud++; /* a sine of amplitude 0.5: -9.03 dBFS */
    }
    CHECK_MSG(miss == 0 && loud == 0, "tone at %.1f Hz: %ld frames loudest elsewhere, %ld levels off", f0, miss, loud);
    char **names;
    int ncols;
    long rows;
    double *v = read_tsv(path, &names, &ncols, &rows);
    CHECK(ncols == 2 + F && rows == (long)st.hops);
    if (v && ncols == 2 + F && rows == (long)st.hops) {
        CHECK(!strcmp(names[0], "t_s") && !strcmp(names[1], "level_db"));
        char want[32];
        snprintf(want, sizeof want, "e_%.0f", centre[20]);
        CHECK(!strcmp(names[22], want));
        long bad = 0;
        for (long i = 0; i < fr.n; i++) {
            if (fr.hop[i] < 0 || fr.hop[i] >= rows) {
                bad++;
                continue;
            }
            const double *row = v + (size_t)fr.hop[i] * ncols;
            bad += fabs(row[0] - (fr.hop[i] + 1) * 0.01) > 1e-6 || fabs(row[1] - fr.level[i]) > 6e-5;
            for (int j = 0; j < F; j++) bad += fabs(row[2 + j] - fr.energy[(size_t)i * F + j]) > 6e-5;
        }
        CHECK_MSG(bad == 0, "%ld values of the .tsv differ from the frames", bad);
    }
    free_names(names, ncols);
    free(v), free(x), free(centre), free(path);
    frames_free(&fr);
}

/* The recorded log-posteriors of a few hops are the reference forward
 * (sp_model_forward, training 0) of the model on the T samples that end
 * with the hop, zeros before the stream's start. */
static void model_on_chunks(sp_model *m, const float *x, const float *rec, long cols)
{
    int T = m->T, hops[4] = { 0, 5, 50, 99 };
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        long end = (hops[i] + 1) * 160L;
        for (long t = 0; t < T; t++) m->input[t] = end - T + t >= 0 ? x[end - T + t] : 0.0f;
        sp_model_forward(m, 1, 0);
        for (int c = 0; c < 48; c++) worst = fmax(worst, fabs(m->logp[c] - rec[hops[i] * cols + 40 + c]));
    }
    CHECK_MSG(worst < 1e-4, "log-posteriors differ from the model's forward by %g", worst);
}

/* phones: posteriors sum to 1 in every recorded row (.npy: log-posteriors
 * after the energies; .tsv: p_ columns), the frames' top phones are the
 * row's largest, best first. */
static void with_phones(sp_model *m, const char *dir, const char *ext)
{
    long n = FS;
    float *x = noise_tone(n, 2);
    char *path = sp_path_join(dir, ext);
    sp_live_engine_opts o = { .in_rate = FS, .hop_ms = 10, .window_ms = 25, .phones = 5, .record = path };
    frames fr;
    sp_live_engine_stats st;
    run(m, &o, x, n, &fr, &st);
    CHECK(st.hops == 100 && fr.ntop == 5);
    stats_sane(&st, &fr, 1);
    sp_phoneset ps;
    sp_error err;
    CHECK(sp_phoneset_load_default(&ps, &err) == 0);
    long rows = 0, cols = 0, bad = 0, unsorted = 0, wrong = 0;
    float *post = NULL; /* [rows][48] probabilities */
    if (!strcmp(ext, "p.npy")) {
        float *rec = read_npy(path, &rows, &cols);
        CHECK(rows == 100 && cols == 40 + 48);
        if (rec && cols == 88) {
            post = sp_xmalloc((size_t)rows * 48 * sizeof *post);
            for (long r = 0; r < rows * 48; r++) post[r] = expf(rec[(r / 48) * cols + 40 + r % 48]);
            model_on_chunks(m, x, rec, cols);
        }
        free(rec);
    } else {
        char **names;
        int ncols;
        double *v = read_tsv(path, &names, &ncols, &rows);
        CHECK(ncols == 2 + 40 + 48 && rows == 100);
        char want[16];
        snprintf(want, sizeof want, "p_%s", ps.name48[0]);
        CHECK(ncols == 90 && !strcmp(names[42], want));
        if (v && ncols == 90) {
            post = sp_xmalloc((size_t)rows * 48 * sizeof *post);
            for (long r = 0; r < rows * 48; r++) post[r] = (float)v[(r / 48) * ncols + 42 + r % 48];
        }
        free(v);
        free_names(names, ncols);
    }
    for (long r = 0; post && r < rows; r++) {
        double s = 0;
        for (int c = 0; c < 48; c++) s += post[r * 48 + c];
        bad += fabs(s - 1) > 1e-4;
    }
    for (long i = 0; post && i < fr.n; i++) {
        if (fr.hop[i] < 0 || fr.hop[i] >= rows) {
            wrong++;
            continue;
        }
        const float *p = fr.prob + (size_t)i * 5, *row = post + fr.hop[i] * 48;
        int best = 0;
        for (int c = 1; c < 48; c++)
            if (row[c] > row[best]) best = c;
        for (int r = 1; r < 5; r++) unsorted += p[r] > p[r - 1];
        wrong += fabsf(p[0] - row[best]) > 1e-5f * (1 + row[best]) || sp_phone48(&ps, fr.phone[i * 5]) < 0;
        wrong += sp_phone48(&ps, fr.phone[i * 5]) >= 0 && fabsf(row[sp_phone48(&ps, fr.phone[i * 5])] - p[0]) > 1e-5f;
    }
    CHECK_MSG(post && bad == 0 && unsorted == 0 && wrong == 0, "%s: %ld rows not summing to 1, %ld unsorted, %ld wrong",
              ext, bad, unsorted, wrong);
    free(post), free(x), free(path);
    frames_free(&fr);
}

/* --seconds 0.5 of a 2 s stream: 50 frames, then the worker stops. */
static void seconds_limit(sp_model *m)
{
    long n = 2 * FS;
    float *x = noise_tone(n, 3);
    sp_live_engine_opts o = { .in_rate = FS, .hop_ms = 10, .window_ms = 25, .seconds = 0.5 };
    frames fr;
    sp_live_engine_stats st;
    run(m, &o, x, n, &fr, &st);
    CHECK_MSG(st.hops == 50 && fr.n + (long)st.frames_dropped == 50, "%llu hops", (unsigned long long)st.hops);
    free(x);
    frames_free(&fr);
}

/* A source that never ends (done NULL): after 20 frames the caller stops
 * the worker; the frames already queued come out, then -1. */
static void stop_midstream(sp_model *m)
{
    long n = 20 * FS;
    float *x = noise_tone(n, 4);
    sp_live_engine_opts o = { .in_rate = FS, .hop_ms = 10, .window_ms = 25 };
    sp_error err;
    sp_live_engine *e = sp_live_engine_new(m, &o, &err);
    sp_ring ring;
    CHECK(sp_ring_init(&ring, 4096, &err) == 0);
    producer p = { .ring = &ring, .x = x, .n = n };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, produce, &p) == 0);
    CHECK(sp_live_engine_start(e, &ring, NULL, NULL, &err) == 0);
    CHECK(sp_live_engine_start(e, &ring, NULL, NULL, &err) == -1); /* once only */
    sp_live_frame f;
    long got = 0;
    while (got < 20) {
        int rc = sp_live_engine_next(e, &f);
        CHECK(rc != -1);
        if (rc == -1) break;
        if (rc == 1) got++;
        else sp_live_engine_wait(e, 1.0);
    }
    CHECK(sp_live_engine_stop(e, &err) == 0);
    int rc;
    while ((rc = sp_live_engine_next(e, &f)) == 1) got++;
    CHECK(rc == -1);
    sp_live_engine_stats st;
    sp_live_engine_stats_get(e, &st);
    CHECK(got + (long)st.frames_dropped == (long)st.hops && st.hops < (uint64_t)(n / 160));
    CHECK(sp_live_engine_wait(e, 0) == 1); /* the worker has stopped: nothing to wait for */
    atomic_store(&p.quit, 1);
    pthread_join(th, NULL);
    sp_live_engine_free(e);
    sp_ring_free(&ring);
    free(x);
}

static void refusals(sp_model *m)
{
    sp_error err;
    sp_live_engine_opts o = { .in_rate = FS, .record = "out.wav" };
    CHECK(sp_live_engine_new(m, &o, &err) == NULL && strstr(err.msg, ".npy or .tsv"));
    o.record = NULL;
    o.in_rate = 0;
    CHECK(sp_live_engine_new(m, &o, &err) == NULL && strstr(err.msg, "capture rate"));
    o.in_rate = 44100; /* defaults: hop 10, window 25 */
    sp_live_engine *e = sp_live_engine_new(m, &o, &err);
    CHECK(e != NULL);
    if (!e) return;
    sp_live_scene sc;
    sp_live_engine_scene(e, &sc);
    CHECK(sc.nfilt == 40 && sc.ntop == 0 && fabs(sc.hop_s - 0.01) < 1e-12 && sc.db_lo < sc.db_hi);
    CHECK(sc.nfreq == 257 && sc.freq_hz[256] == 8000.0f && sc.response && sc.afr);
    sp_live_engine_free(e); /* never started */
}

/* keep_up: 2 s already waiting in the ring when the worker starts (a
 * worker far behind its source). With keep_up every hop still gets its
 * energies, the posteriors of the hops with more than two hops behind
 * them are skipped (NaN in the record; the last few hops computed); without
 * it every hop's posteriors are computed. */
static int always_done(void *ctx) { return 1; }

static void keep_up(sp_model *m, const char *dir, int on)
{
    long n = 2 * FS;
    float *x = noise_tone(n, 5);
    char *path = sp_path_join(dir, on ? "keep.npy" : "every.npy");
    sp_live_engine_opts o = { .in_rate = FS, .hop_ms = 10, .window_ms = 25, .phones = 5, .record = path,
                              .keep_up = on };
    sp_error err;
    sp_ring ring;
    CHECK(sp_ring_init(&ring, (size_t)n, &err) == 0);
    CHECK(sp_ring_write(&ring, x, (size_t)n) == (size_t)n);
    sp_live_engine *e = sp_live_engine_new(m, &o, &err);
    CHECK_MSG(e != NULL, "%s", err.msg);
    if (!e) return;
    CHECK(sp_live_engine_start(e, &ring, always_done, NULL, &err) == 0);
    sp_live_frame f;
    int rc;
    while ((rc = sp_live_engine_next(e, &f)) != -1)
        if (rc == 0) sp_live_engine_wait(e, 0.1);
    CHECK(sp_live_engine_stop(e, &err) == 0);
    sp_live_engine_stats st;
    sp_live_engine_stats_get(e, &st);
    long rows = 0, cols = 0, nan_rows = 0;
    float *rec = read_npy(path, &rows, &cols);
    for (long r = 0; rec && r < rows; r++) nan_rows += isnan(rec[r * cols + cols - 1]) != 0;
    CHECK_MSG(st.hops == 200 && rows == 200, "%llu hops, %ld rows", (unsigned long long)st.hops, rows);
    if (on)
        CHECK_MSG(st.phones_skipped >= 190 && st.phones_skipped < 200 && nan_rows == (long)st.phones_skipped,
                  "keep_up: %llu skipped, %ld NaN rows", (unsigned long long)st.phones_skipped, nan_rows);
    else
        CHECK_MSG(st.phones_skipped == 0 && nan_rows == 0, "every hop: %llu skipped, %ld NaN rows",
                  (unsigned long long)st.phones_skipped, nan_rows);
    sp_live_engine_free(e);
    sp_ring_free(&ring);
    free(rec), free(x), free(path);
}

int main(void)
{
    sp_set_threads(1);
    char *dir = sp_test_tmpdir();
    sp_model m;
    if (small_model(&m) != 0) return 1;
    at_16k(&m, dir);
    at_48k(&m, dir);
    with_phones(&m, dir, "p.npy");
    with_phones(&m, dir, "p.tsv");
    seconds_limit(&m);
    keep_up(&m, dir, 1);
    keep_up(&m, dir, 0);
    stop_midstream(&m);
    refusals(&m);
    sp_model_free(&m);
    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_live_engine");
}
