/* engine.c - see engine.h.
 *
 * Threads: the worker (this file's worker()) is the ring's only consumer;
 * the drawing thread takes frames with sp_live_engine_next. They share
 * the frame queue, the stats and the worker's end state under one mutex
 * (the condition variable wakes sp_live_engine_wait). Everything else is
 * the worker's alone while it runs, and the caller's after the join.
 *
 * Sizes (at the model's rate, 16 kHz): hop H = 16 hop_ms samples; the
 * energy window is the smallest whole number of hops of at least
 * window_ms (filterbank.h wants W a multiple of H): 25 ms at a 10 ms hop
 * is 3 hops, 30 ms. Only whole hops make frames: at the end of the input
 * the last partial hop (< H samples) is not shown or recorded. With a
 * --seconds limit the worker stops after ceil(seconds fs / H) hops.
 *
 * Per hop: the band energies (sp_filterbank_hop), the level
 *     L = 10 log10(mean x^2 + 1e-10)  dBFS (a full-scale square wave is 0,
 * a full-scale sine -3), and with phones the model on the last T samples
 * (zeros before the stream's start; m->logp: 48 log-posteriors).
 *
 * The record (--record FILE), written at stop, atomically:
 *  .npy  float32 [hops][F] band energies in dB, filters in display order
 *        (increasing centre); with phones [hops][F + 48]: then the 48
 *        log-posteriors (natural log) in the 48-phone set's order
 *        (corpus/phoneset.h's name48). Row h ends at t = (h+1) H / fs.
 *  .tsv  a header line, then one line per hop:
 *        t_s  level_db  e_<centre Hz> x F  [p_<phone> x 48: posteriors,
 *        exp of the log-posteriors]
 *        (a repeated rounded centre gets _<display index> appended).
 *
 * Stats: a hop's compute time is CLOCK_MONOTONIC from its filterbank call
 * to its frame queued (energies, level, posteriors, record row), its
 * phones time that of the posteriors alone; every hop's two times are
 * kept (16 bytes a hop, 6 MB an hour) for an exact p99. */
#include "config.h"
#include "live/engine.h"
#include "live/filterbank.h"
#include "corpus/phoneset.h"
#include "base/npy.h"
#include "base/util.h"

#include <math.h>
#include <pthread.h>
#include <samplerate.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_FRAMES 256      /* 2.56 s of 10 ms frames for the drawing thread */
#define READ_CHUNK 4096       /* samples taken from the ring at a time */
#define POLL_NS 1000000L      /* the worker sleeps 1 ms when the ring is empty */
#define RESPONSE_NFFT 512     /* the scene's responses: 257 bins, 31.25 Hz apart */
#define DB_RANGE 80.0f        /* the scene's colour scale spans this much */

/* Growing arrays of the worker: doubled, never grown per hop. */
typedef struct {
    float *rows;              /* [n][cols] the record's rows (NULL without --record) */
    float *level;             /* [n] */
    double *hop_ms, *phones_ms; /* [n] compute times */
    size_t n, cap;
} history;

/* The frame queue: a ring of QUEUE_FRAMES slots. */
typedef struct {
    float *energy;            /* [QUEUE_FRAMES][F] */
    float *level;             /* [QUEUE_FRAMES] */
    double *t;
    uint64_t *overruns;
    int *top;                 /* [QUEUE_FRAMES][ntop] phone indices */
    float *prob;              /* [QUEUE_FRAMES][ntop] */
    int head, count;          /* the oldest slot; frames in the queue */
} frame_queue;

struct sp_live_engine {
    sp_model *m;
    sp_live_engine_opts o;
    char *record;
    sp_filterbank *fb;
    int F, H, T, ntop, cols; /* cols: record columns (F, or F + 48) */
    long max_hops;           /* from --seconds; 0: no limit */
    sp_phoneset ps;
    /* the scene */
    float *centre, *low, *high, *freq, *resp, *afr;
    int nfreq;
    float db_lo, db_hi;
    /* the worker's */
    pthread_t thread;
    int started, joined;
    atomic_int stop;
    sp_ring *ring;
    int (*done)(void *ctx);
    void *done_ctx;
    SRC_STATE *src;
    double ratio;            /* 16000 / in_rate */
    float *in, *out;         /* [READ_CHUNK], [out_cap] */
    long out_cap;
    float *pend;             /* [H] the hop being filled */
    int npend;
    float *chunk;            /* [T] the last T samples, for phones */
    float *energy, *logp;    /* [F], [48] of the hop being made */
    int *top;                /* [ntop] */
    float *prob;
    uint64_t hops, phones_skipped;
    history h;
    sp_error werr;
    int failed;
    /* shared with the drawing thread, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    frame_queue q;
    uint64_t frames_dropped;
    int worker_done;
    /* the frame handed out by sp_live_engine_next */
    float *f_energy, *f_prob;
    const char **f_phone;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The scene's responses and colour scale: |H| peak-normalised, and a
 * scale from 80 dB below to the energy a full-scale tone gives at the
 * peak of the most sensitive filter, 10 log10(peak^2 / 2), rounded up to
 * 10 dB. */
static int make_scene(sp_live_engine *e, sp_error *err)
{
    int F = e->F, nfft = RESPONSE_NFFT;
    while (nfft < sp_filterbank_taps(e->fb)) nfft *= 2;
    e->nfreq = nfft / 2 + 1;
    e->centre = sp_xmalloc((size_t)F * 3 * sizeof *e->centre);
    e->low = e->centre + F;
    e->high = e->low + F;
    sp_filterbank_bands(e->fb, e->centre, e->low, e->high);
    e->freq = sp_xmalloc((size_t)e->nfreq * sizeof *e->freq);
    e->afr = sp_xmalloc((size_t)e->nfreq * sizeof *e->afr);
    e->resp = sp_xmalloc((size_t)F * e->nfreq * sizeof *e->resp);
    float *peak = sp_xmalloc((size_t)F * sizeof *peak);
    int rc = sp_filterbank_response(e->fb, nfft, e->freq, e->resp, e->afr, peak, err);
    if (rc == 0) {
        float g = 0;
        for (int i = 0; i < F; i++) g = fmaxf(g, peak[i]);
        double top = 10.0 * log10(0.5 * (double)g * g + 1e-10);
        e->db_hi = (float)(10.0 * ceil(top / 10.0));
        e->db_lo = e->db_hi - DB_RANGE;
    }
    free(peak);
    return rc;
}

static void alloc_queue(sp_live_engine *e)
{
    frame_queue *q = &e->q;
    size_t n = QUEUE_FRAMES, k = (size_t)(e->ntop ? e->ntop : 1);
    q->energy = sp_xmalloc(n * e->F * sizeof *q->energy);
    q->level = sp_xmalloc(n * sizeof *q->level);
    q->t = sp_xmalloc(n * sizeof *q->t);
    q->overruns = sp_xmalloc(n * sizeof *q->overruns);
    q->top = sp_xmalloc(n * k * sizeof *q->top);
    q->prob = sp_xmalloc(n * k * sizeof *q->prob);
    e->f_energy = sp_xmalloc((size_t)e->F * sizeof *e->f_energy);
    e->f_prob = sp_xmalloc(k * sizeof *e->f_prob);
    e->f_phone = sp_xcalloc(k, sizeof *e->f_phone);
}

/* The worker's buffers; the resampler when the capture rate is not the
 * model's. */
static int alloc_worker(sp_live_engine *e, sp_error *err)
{
    e->in = sp_xmalloc(READ_CHUNK * sizeof *e->in);
    e->pend = sp_xmalloc((size_t)e->H * sizeof *e->pend);
    e->energy = sp_xmalloc((size_t)e->F * sizeof *e->energy);
    e->logp = sp_xcalloc(SP_NCLASSES, sizeof *e->logp);
    e->top = sp_xcalloc((size_t)(e->ntop ? e->ntop : 1), sizeof *e->top);
    e->prob = sp_xcalloc((size_t)(e->ntop ? e->ntop : 1), sizeof *e->prob);
    if (e->ntop) e->chunk = sp_xcalloc((size_t)e->T, sizeof *e->chunk);
    e->ratio = SP_SAMPLE_RATE / e->o.in_rate;
    if (e->o.in_rate == SP_SAMPLE_RATE) return 0;
    /* SRC_SINC_BEST_QUALITY: the one quality of sincprobe's resampling
     * (analysis/resample.h), here through the streaming API. */
    int code = 0;
    e->src = src_new(SRC_SINC_BEST_QUALITY, 1, &code);
    if (!e->src) return sp_fail(err, "cannot resample from %g Hz: %s", e->o.in_rate, src_strerror(code));
    e->out_cap = (long)ceil(READ_CHUNK * e->ratio) + 64;
    e->out = sp_xmalloc((size_t)e->out_cap * sizeof *e->out);
    return 0;
}

static int check_opts(const sp_model *m, sp_live_engine_opts *o, sp_error *err)
{
    if (o->hop_ms <= 0) o->hop_ms = 10;
    if (o->window_ms <= 0) o->window_ms = 25;
    if (o->phones < 0) o->phones = 0;
    if (o->phones > SP_NCLASSES) o->phones = SP_NCLASSES;
    if (!(o->in_rate >= 1000 && o->in_rate <= 768000))
        return sp_fail(err, "capture rate %g Hz: expected 1000 to 768000 Hz", o->in_rate);
    if (o->hop_ms > 1000) return sp_fail(err, "hop of %d ms: expected 1 to 1000 ms", o->hop_ms);
    if (o->phones && m->maxB < 1) return sp_fail(err, "phones: the model has no room for a chunk (maxB 0)");
    if (o->record && !sp_endswith_ci(o->record, ".npy") && !sp_endswith_ci(o->record, ".tsv"))
        return sp_fail(err, "record file '%s': expected a name ending in .npy or .tsv", o->record);
    if (!(o->seconds >= 0)) return sp_fail(err, "seconds: %g is negative", o->seconds);
    return 0;
}

sp_live_engine *sp_live_engine_new(sp_model *m, const sp_live_engine_opts *o, sp_error *err)
{
    sp_live_engine_opts opts = *o;
    if (check_opts(m, &opts, err) != 0) return NULL;
    sp_live_engine *e = sp_xcalloc(1, sizeof *e);
    e->m = m;
    e->o = opts;
    e->record = opts.record ? sp_xstrdup(opts.record) : NULL;
    e->o.record = e->record;
    e->H = SP_SAMPLE_RATE / 1000 * opts.hop_ms;
    int nh = (opts.window_ms + opts.hop_ms - 1) / opts.hop_ms;
    e->ntop = opts.phones;
    e->T = m->T;
    e->fb = sp_filterbank_new(m, e->H, nh * e->H, err);
    atomic_init(&e->stop, 0);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (!e->fb) goto fail;
    e->F = sp_filterbank_size(e->fb);
    e->cols = e->F + (e->ntop ? SP_NCLASSES : 0);
    if (opts.seconds > 0) e->max_hops = (long)ceil(opts.seconds * SP_SAMPLE_RATE / e->H - 1e-9);
    if (e->ntop && sp_phoneset_load_default(&e->ps, err) != 0) goto fail;
    if (e->ntop && e->ps.n48 != SP_NCLASSES) {
        sp_fail(err, "phone map: %d phones in the 48-phone set, the model has %d", e->ps.n48, SP_NCLASSES);
        goto fail;
    }
    if (make_scene(e, err) != 0 || alloc_worker(e, err) != 0) goto fail;
    alloc_queue(e);
    return e;
fail:
    sp_live_engine_free(e);
    return NULL;
}

void sp_live_engine_scene(const sp_live_engine *e, sp_live_scene *s)
{
    memset(s, 0, sizeof *s);
    s->nfilt = e->F;
    s->centre_hz = e->centre;
    s->low_hz = e->low;
    s->high_hz = e->high;
    s->nfreq = e->nfreq;
    s->freq_hz = e->freq;
    s->response = e->resp;
    s->afr = e->afr;
    s->hop_s = (double)e->H / SP_SAMPLE_RATE;
    s->ntop = e->ntop;
    s->title = "sincprobe live";
    s->db_lo = e->db_lo;
    s->db_hi = e->db_hi;
}

/* ---- the worker */

/* The ntop largest of the 48 log-posteriors, best first (ties: lower
 * index first), with their probabilities. */
static void top_phones(sp_live_engine *e)
{
    int used[SP_NCLASSES] = { 0 };
    for (int r = 0; r < e->ntop; r++) {
        int best = -1;
        for (int c = 0; c < SP_NCLASSES; c++)
            if (!used[c] && (best < 0 || e->logp[c] > e->logp[best])) best = c;
        used[best] = 1;
        e->top[r] = best;
        e->prob[r] = expf(e->logp[best]);
    }
}

/* The last T samples: slide the chunk by one hop. */
static void slide_chunk(sp_live_engine *e, const float *x)
{
    int T = e->T, H = e->H;
    if (H >= T) {
        memcpy(e->chunk, x + H - T, (size_t)T * sizeof *x);
    } else {
        memmove(e->chunk, e->chunk + H, (size_t)(T - H) * sizeof *x);
        memcpy(e->chunk + T - H, x, (size_t)H * sizeof *x);
    }
}

/* The model on the last T samples. */
static void phones(sp_live_engine *e)
{
    sp_model *m = e->m;
    memcpy(m->input, e->chunk, (size_t)e->T * sizeof *m->input);
    sp_model_infer(m, 1);
    memcpy(e->logp, m->logp, SP_NCLASSES * sizeof *e->logp);
    top_phones(e);
}

static float level_db(const float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    return (float)(10.0 * log10(s / n + 1e-10));
}

/* Room for one more hop in the history (doubling: amortised O(1), and
 * realloc of large blocks moves pages rather than copying them). */
static void history_reserve(sp_live_engine *e)
{
    history *h = &e->h;
    if (h->n < h->cap) return;
    size_t cap = h->cap ? 2 * h->cap : 4096;
    pthread_mutex_lock(&e->mu); /* stats_get reads the times */
    h->hop_ms = sp_xrealloc(h->hop_ms, cap * sizeof *h->hop_ms);
    h->phones_ms = sp_xrealloc(h->phones_ms, cap * sizeof *h->phones_ms);
    pthread_mutex_unlock(&e->mu);
    if (e->record) {
        h->rows = sp_xrealloc(h->rows, cap * (size_t)e->cols * sizeof *h->rows);
        h->level = sp_xrealloc(h->level, cap * sizeof *h->level);
    }
    h->cap = cap;
}

/* Hands the hop to the drawing thread; when the queue is full its oldest
 * frame is dropped (and counted). */
static void push_frame(sp_live_engine *e, float level)
{
    frame_queue *q = &e->q;
    pthread_mutex_lock(&e->mu);
    if (q->count == QUEUE_FRAMES) {
        q->head = (q->head + 1) % QUEUE_FRAMES;
        q->count--;
        e->frames_dropped++;
    }
    int s = (q->head + q->count) % QUEUE_FRAMES, k = e->ntop ? e->ntop : 1;
    memcpy(q->energy + (size_t)s * e->F, e->energy, (size_t)e->F * sizeof *e->energy);
    q->level[s] = level;
    q->t[s] = (double)(e->hops + 1) * e->H / SP_SAMPLE_RATE;
    q->overruns[s] = atomic_load_explicit(&e->ring->overruns, memory_order_relaxed);
    memcpy(q->top + (size_t)s * k, e->top, (size_t)k * sizeof *e->top);
    memcpy(q->prob + (size_t)s * k, e->prob, (size_t)k * sizeof *e->prob);
    q->count++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* keep_up: more than two hops wait behind this one (in the buffer being
 * cut into hops, `behind` samples at the model's rate, and in the ring). */
static int falling_behind(sp_live_engine *e, long behind)
{
    double waiting = (double)behind + (double)sp_ring_available(e->ring) * e->ratio;
    return e->o.keep_up && waiting > 2.0 * e->H;
}

/* One hop x[H] at the model's rate: energies, level, phones (unless
 * skip: the frame keeps the last top phones, the record gets NaN
 * posteriors), record, frame, times. */
static void hop(sp_live_engine *e, const float *x, int skip)
{
    double t0 = now_s();
    sp_filterbank_hop(e->fb, x, e->energy);
    float level = level_db(x, e->H);
    double t1 = now_s();
    if (e->ntop) {
        slide_chunk(e, x);
        if (!skip) phones(e);
    }
    double t2 = now_s();
    history_reserve(e);
    history *h = &e->h;
    if (e->record) {
        float *row = h->rows + h->n * (size_t)e->cols;
        memcpy(row, e->energy, (size_t)e->F * sizeof *row);
        if (e->ntop) {
            if (skip)
                for (int k = 0; k < SP_NCLASSES; k++) row[e->F + k] = NAN;
            else
                memcpy(row + e->F, e->logp, SP_NCLASSES * sizeof *row);
        }
        h->level[h->n] = level;
    }
    push_frame(e, level);
    double t3 = now_s();
    pthread_mutex_lock(&e->mu);
    h->hop_ms[h->n] = 1e3 * (t3 - t0);
    h->phones_ms[h->n] = skip ? -1.0 : 1e3 * (t2 - t1);
    e->phones_skipped += e->ntop && skip;
    h->n++;
    e->hops++;
    pthread_mutex_unlock(&e->mu);
}

/* The --seconds limit, or the caller asked the worker to stop (checked
 * per hop, so that a stop does not wait for a whole chunk of them). */
static int limit_reached(sp_live_engine *e)
{
    return (e->max_hops && e->hops >= (uint64_t)e->max_hops) || atomic_load_explicit(&e->stop, memory_order_relaxed);
}

/* Samples at the model's rate into hops; stops at the --seconds limit. */
static void feed(sp_live_engine *e, const float *x, long n)
{
    while (n > 0 && !limit_reached(e)) {
        long k = e->H - e->npend < n ? e->H - e->npend : n;
        memcpy(e->pend + e->npend, x, (size_t)k * sizeof *x);
        e->npend += (int)k;
        x += k;
        n -= k;
        if (e->npend == e->H) {
            hop(e, e->pend, e->ntop && falling_behind(e, n));
            e->npend = 0;
        }
    }
}

/* n capture-rate samples (eoi: the last of the stream, flush the
 * resampler's tail) into hops. libsamplerate's streaming call may leave
 * input unused when its output is full, so it loops until all is used
 * (and, at the end, until nothing more comes out). */
static int resample_feed(sp_live_engine *e, const float *x, long n, int eoi)
{
    if (!e->src) {
        feed(e, x, n);
        return 0;
    }
    for (;;) {
        SRC_DATA d;
        memset(&d, 0, sizeof d);
        d.data_in = x;
        d.input_frames = n;
        d.data_out = e->out;
        d.output_frames = e->out_cap;
        d.src_ratio = e->ratio;
        d.end_of_input = eoi;
        int code = src_process(e->src, &d);
        if (code) return sp_fail(&e->werr, "resampling from %g Hz: %s", e->o.in_rate, src_strerror(code));
        feed(e, e->out, d.output_frames_gen);
        x += d.input_frames_used;
        n -= d.input_frames_used;
        if (n == 0 && (!eoi || d.output_frames_gen == 0)) return 0;
        if (d.input_frames_used == 0 && d.output_frames_gen == 0) return 0; /* nothing moves: never spin */
    }
}

static void sleep_poll(void)
{
    struct timespec ts = { 0, POLL_NS };
    nanosleep(&ts, NULL);
}

/* Drains the ring until asked to stop, the source ends (done(): then the
 * ring is read empty and the resampler flushed) or the --seconds limit. */
static void *worker(void *arg)
{
    sp_live_engine *e = arg;
    int rc = 0;
    while (rc == 0 && !limit_reached(e)) {
        /* done() first: a source that has ended wrote its last sample
         * before saying so, so an empty read after it means drained */
        int ended = e->done && e->done(e->done_ctx);
        size_t n = sp_ring_read(e->ring, e->in, READ_CHUNK);
        if (n > 0)
            rc = resample_feed(e, e->in, (long)n, 0);
        else if (ended) {
            rc = resample_feed(e, e->in, 0, 1);
            break;
        } else
            sleep_poll();
    }
    pthread_mutex_lock(&e->mu);
    e->failed = rc != 0;
    e->worker_done = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int sp_live_engine_start(sp_live_engine *e, sp_ring *ring, int (*done)(void *ctx), void *ctx, sp_error *err)
{
    if (e->started) return sp_fail(err, "the live engine was already started");
    e->ring = ring;
    e->done = done;
    e->done_ctx = ctx;
    int code = pthread_create(&e->thread, NULL, worker, e);
    if (code) return sp_fail(err, "cannot start the live worker thread: %s", strerror(code));
    e->started = 1;
    return 0;
}

/* ---- the drawing thread's side */

int sp_live_engine_next(sp_live_engine *e, sp_live_frame *f)
{
    frame_queue *q = &e->q;
    pthread_mutex_lock(&e->mu);
    int rc = q->count ? 1 : e->worker_done ? -1 : 0;
    if (rc == 1) {
        int s = q->head, k = e->ntop ? e->ntop : 1;
        memcpy(e->f_energy, q->energy + (size_t)s * e->F, (size_t)e->F * sizeof *e->f_energy);
        memcpy(e->f_prob, q->prob + (size_t)s * k, (size_t)k * sizeof *e->f_prob);
        for (int r = 0; r < e->ntop; r++) e->f_phone[r] = e->ps.name48[q->top[(size_t)s * k + r]];
        memset(f, 0, sizeof *f);
        f->energy_db = e->f_energy;
        f->level_db = q->level[s];
        f->ntop = e->ntop;
        f->top_phone = e->f_phone;
        f->top_prob = e->f_prob;
        f->overruns = q->overruns[s];
        f->t_s = q->t[s];
        q->head = (q->head + 1) % QUEUE_FRAMES;
        q->count--;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int sp_live_engine_wait(sp_live_engine *e, double timeout_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double s = (double)until.tv_sec + 1e-9 * until.tv_nsec + (timeout_s > 0 ? timeout_s : 0);
    until.tv_sec = (time_t)s;
    until.tv_nsec = (long)((s - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&e->mu);
    int rc = 0;
    while (!e->q.count && !e->worker_done && rc == 0) rc = pthread_cond_timedwait(&e->cv, &e->mu, &until);
    int ready = e->q.count > 0 || e->worker_done;
    pthread_mutex_unlock(&e->mu);
    return ready;
}

/* ---- the record */

static int write_npy(const sp_live_engine *e, sp_error *err)
{
    long shape[2] = { (long)e->h.n, e->cols };
    static const float none = 0;
    return sp_npy_write(e->record, SP_NPY_F32, e->h.rows ? (const void *)e->h.rows : &none, 2, shape, err);
}

static void tsv_header(const sp_live_engine *e, FILE *f)
{
    fputs("t_s\tlevel_db", f);
    char prev[32] = "", name[32];
    for (int i = 0; i < e->F; i++) {
        snprintf(name, sizeof name, "e_%.0f", e->centre[i]);
        if (!strcmp(name, prev))
            fprintf(f, "\t%s_%d", name, i);
        else
            fprintf(f, "\t%s", name);
        memcpy(prev, name, sizeof prev);
    }
    if (e->ntop)
        for (int c = 0; c < SP_NCLASSES; c++) fprintf(f, "\tp_%s", e->ps.name48[c]);
    fputc('\n', f);
}

static int write_tsv(const sp_live_engine *e, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, e->record, err) != 0) return -1;
    tsv_header(e, af.f);
    for (size_t h = 0; h < e->h.n; h++) {
        const float *row = e->h.rows + h * (size_t)e->cols;
        fprintf(af.f, "%.6f\t%.4f", (double)(h + 1) * e->H / SP_SAMPLE_RATE, (double)e->h.level[h]);
        for (int i = 0; i < e->F; i++) fprintf(af.f, "\t%.4f", (double)row[i]);
        for (int c = 0; c < (e->ntop ? SP_NCLASSES : 0); c++) fprintf(af.f, "\t%.6g", exp((double)row[e->F + c]));
        fputc('\n', af.f);
    }
    if (ferror(af.f)) {
        sp_atomic_abort(&af);
        return sp_fail(err, "cannot write '%s': write error", e->record);
    }
    return sp_atomic_commit(&af, err);
}

int sp_live_engine_stop(sp_live_engine *e, sp_error *err)
{
    if (e->started && !e->joined) {
        atomic_store(&e->stop, 1);
        pthread_join(e->thread, NULL);
        e->joined = 1;
    }
    if (e->failed) {
        if (err) *err = e->werr;
        return -1;
    }
    if (!e->record) return 0;
    int rc = sp_endswith_ci(e->record, ".npy") ? write_npy(e, err) : write_tsv(e, err);
    return rc;
}

/* ---- stats */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean, 99th percentile (nearest rank: the ceil(0.99 n)-th smallest) and
 * maximum of v[n]; sorts v. */
static void summarise(double *v, size_t n, double *mean, double *p99, double *max)
{
    *mean = *p99 = *max = 0;
    if (!n) return;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    qsort(v, n, sizeof *v, by_value);
    size_t rank = (size_t)ceil(0.99 * (double)n);
    *mean = s / (double)n;
    *p99 = v[rank ? rank - 1 : 0];
    *max = v[n - 1];
}

void sp_live_engine_stats_get(const sp_live_engine *e, sp_live_engine_stats *s)
{
    sp_live_engine *w = (sp_live_engine *)e; /* the mutex is not part of the engine's value */
    memset(s, 0, sizeof *s);
    pthread_mutex_lock(&w->mu);
    size_t n = e->h.n;
    double *t = sp_xmalloc((n ? n : 1) * 2 * sizeof *t);
    size_t np = 0; /* hops whose posteriors were computed (-1: skipped) */
    if (n) memcpy(t, e->h.hop_ms, n * sizeof *t);
    for (size_t i = 0; i < n; i++)
        if (e->h.phones_ms[i] >= 0) t[n + np++] = e->h.phones_ms[i];
    s->hops = e->hops;
    s->phones_skipped = e->phones_skipped;
    s->frames_dropped = e->frames_dropped;
    pthread_mutex_unlock(&w->mu);
    double unused;
    summarise(t, n, &s->hop_ms_mean, &s->hop_ms_p99, &s->hop_ms_max);
    if (e->ntop) summarise(t + n, np, &s->phones_ms_mean, &s->phones_ms_p99, &unused);
    s->audio_s = (double)s->hops * e->H / SP_SAMPLE_RATE;
    free(t);
}

void sp_live_engine_free(sp_live_engine *e)
{
    if (!e) return;
    if (e->started && !e->joined) {
        atomic_store(&e->stop, 1);
        pthread_join(e->thread, NULL);
    }
    sp_filterbank_free(e->fb);
    if (e->src) src_delete(e->src);
    free(e->record);
    free(e->centre), free(e->freq), free(e->resp), free(e->afr);
    free(e->in), free(e->out), free(e->pend), free(e->chunk), free(e->energy), free(e->logp);
    free(e->top), free(e->prob);
    free(e->h.rows), free(e->h.level), free(e->h.hop_ms), free(e->h.phones_ms);
    free(e->q.energy), free(e->q.level), free(e->q.t), free(e->q.overruns), free(e->q.top), free(e->q.prob);
    free(e->f_energy), free(e->f_prob), free(e->f_phone);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}
