/* test_augment.c - the augmentation probes, speed (plugins/speed.c) and
 * reverb (plugins/reverb.c), driven through the host's chain as `sincprobe
 * train` drives them, on synthetic utterances whose content says where
 * each phone is:
 *
 * - speed perturbation itself (analysis/speed.h): clicks at s land at
 *   s / a, the length becomes n / a, a tone at f becomes a f;
 * - the speed probe on "tone" utterances, each 100 ms phone a tone of
 *   its own frequency: every chunk's centre holds its label's tone times
 *   the factor (so the centre phone is the label's phone), at the chunk's
 *   gain; scope utterance draws one factor per utterance, scope chunk per
 *   chunk, all factors drawn; fraction 0 changes nothing; what an earlier
 *   probe added is kept in place; determinism; refusals;
 * - the reverb probe: on noise utterances the reverberated chunk's
 *   cross-correlation with the dry chunk peaks at lag 0 (the direct-path
 *   shift; the unshifted convolution peaks at the onset); the utterance's
 *   RMS is kept (listen/ WAV); scope chunk keeps each chunk's RMS; an
 *   RIR file of an impulse and an echo (44.1 kHz, stereo) gives dry + 0.5
 *   dry delayed 100 ms with level = direct, in both scopes; after the
 *   speed probe, the chunk as sped up is reverberated (an echo 20 ms
 *   after the direct path: of the perturbed speech inside the chunk, of
 *   the clean utterance before it); determinism; fraction; refusals
 *   naming the config line.
 *
 * Prints what it measures. */
#include "config.h"
#include "analysis/rir.h"
#include "analysis/speed.h"
#include "base/rng.h"
#include "base/util.h"
#include "corpus/dataset.h"
#include "corpus/timit.h"
#include "probe/probe_host.h"
#include "testlib.h"

#include <math.h>
#include <sndfile.h>

#define FS 16000
#define B 16
#define SEG 10 /* frames per phone of the tone utterances */
static int T;
static sp_model model;
static sp_phoneset ps;
static sp_dataset tones, noisy, *train_ds;
static char *dir, *rir_path, *rir_dir;
static float *audio, *dry;
static long utt[B], st[B];
static float gains[B];
static int labels[B];

/* ---- the chain, as test_noise.c drives it (train mode, train_ds as the
 * train and dev splits) */

static sp_probe_chain *chain(const char *text, sp_error *err)
{
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_probe_chain *ch = NULL;
    if (sp_ini_parse(&ini, "t.conf", text, &d) == 0) ch = sp_probe_chain_resolve(&ini, &d);
    sp_ini_free(&ini);
    if (!ch) {
        sp_fail(err, "%s:%ld: %s", d.n ? d.v[0].file : "", d.n ? d.v[0].line : 0L, d.n ? d.v[0].message : "refused");
        sp_diag_free(&d);
        return NULL;
    }
    sp_diag_free(&d);
    char *pdir = sp_path_join(dir, "probes");
    int rc = sp_probe_chain_create(ch, SP_PROBE_MODE_TRAIN, pdir, 5, err);
    free(pdir);
    sp_probe_start s;
    memset(&s, 0, sizeof s);
    s.run_dir = dir;
    s.model = &model;
    s.ps = &ps;
    s.data[SP_PROBE_TRAIN] = s.data[SP_PROBE_DEV] = train_ds;
    s.split[SP_PROBE_TRAIN] = "train";
    s.split[SP_PROBE_DEV] = "dev";
    s.epochs = 1;
    s.steps_per_epoch = 1;
    if (rc != 0 || sp_probe_chain_start(ch, &s, err) != 0) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    return ch;
}

static void done(sp_probe_chain *ch)
{
    sp_error err;
    if (ch) CHECK_MSG(sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 1, 1, &err) == 0, "%s", err.msg);
    sp_probe_chain_free(ch);
}

/* Chunk b from utterance ub at frame f, gain g, into dry and audio. */
static void put_chunk(int b, long ub, long f, float g)
{
    const sp_utterance *u = &train_ds->utt[ub];
    utt[b] = ub;
    st[b] = f * 160 + 80 - T / 2;
    gains[b] = g;
    labels[b] = u->label[f];
    sp_dataset_chunk(u, f, T, g, dry + (size_t)b * (size_t)T);
}

static int run_batch(sp_probe_chain *ch, long step)
{
    sp_error err;
    memcpy(audio, dry, (size_t)B * (size_t)T * sizeof *audio);
    int rc = sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gains, step, 1, &err);
    CHECK_MSG(rc == 0, "train batch: %s", err.msg);
    return rc;
}

static void refused(const char *text, long line, const char *what, const char *file)
{
    sp_error err;
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch == NULL, "accepted: %s", text);
    done(ch);
    char at[32];
    snprintf(at, sizeof at, "t.conf:%ld:", line);
    CHECK_MSG(strstr(err.msg, at) && strstr(err.msg, what) && strstr(err.msg, file), "'%s' lacks '%s', '%s' or '%s'",
              err.msg, at, what, file);
}

/* ---- signals */

/* The phone of frame f of a tone utterance, and its tone. */
static int tone_phone(long f, int i)
{
    return (int)((f / SEG + i) % 12);
}

static double tone_hz(int phone)
{
    return 300 + 150 * phone;
}

/* Tone utterances: 100 ms phones, each a sine at its phone's frequency
 * (continuous phase), amplitude 0.3; or white-noise utterances. */
static sp_dataset make(int nutt, long samples, int noise, unsigned seed)
{
    sp_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = (size_t)nutt;
    ds.utt = sp_xcalloc(ds.n, sizeof *ds.utt);
    sp_rng r;
    sp_rng_seed(&r, seed, 1);
    for (int i = 0; i < nutt; i++) {
        sp_utterance *u = &ds.utt[i];
        u->id = sp_xasprintf("TRAIN/DR1/FAKE%d/SX%d", i, i);
        u->n = samples;
        u->audio = sp_xmalloc((size_t)samples * sizeof *u->audio);
        double ph = 0;
        for (long s = 0; s < samples; s++) {
            double v;
            if (noise) {
                v = 0.1 * sp_rng_normal(&r);
            } else {
                ph += 2 * M_PI * tone_hz(tone_phone(s / 160, i)) / FS;
                v = 0.3 * sin(ph);
            }
            u->audio[s] = (int16_t)lrint(32767 * v);
        }
        u->nframes = samples / 160;
        u->label = sp_xmalloc((size_t)u->nframes);
        for (long f = 0; f < u->nframes; f++) u->label[f] = (int8_t)tone_phone(f, i);
        u->phones48 = sp_xcalloc(1, sizeof(int));
        ds.samples += samples;
        ds.frames += u->nframes;
    }
    return ds;
}

/* The strongest frequency in 200..2600 Hz of x[n] (Hann window): a 5 Hz
 * grid, then 0.25 Hz around its best. */
static double peak_hz(const float *x, int n)
{
    double best = 0, bf = 0;
    for (int pass = 0; pass < 2; pass++) {
        double lo = pass ? bf - 5 : 200, hi = pass ? bf + 5 : 2600, step = pass ? 0.25 : 5;
        for (double f = lo; f <= hi; f += step) {
            double re = 0, im = 0, w = 2 * M_PI * f / FS;
            for (int t = 0; t < n; t++) {
                double h = 0.5 - 0.5 * cos(2 * M_PI * (t + 0.5) / n);
                re += h * x[t] * cos(w * t);
                im -= h * x[t] * sin(w * t);
            }
            if (re * re + im * im > best) best = re * re + im * im, bf = f;
        }
    }
    return bf;
}

/* s with its newlines as spaces (for messages), in a static buffer. */
static const char *oneline(const char *s)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s", s[0] ? s : "(defaults)");
    for (char *p = buf; *p; p++)
        if (*p == '\n') *p = ' ';
    return buf;
}

static double rms(const float *x, long n)
{
    double p = 0;
    for (long i = 0; i < n; i++) p += (double)x[i] * x[i];
    return sqrt(p / (double)n);
}

/* ---- speed perturbation itself */

static void perturbation(void)
{
    long n = 16000;
    float *x = sp_xcalloc((size_t)n, sizeof *x), *y;
    long ny, clicks[] = { 3000, 7001, 12345 };
    for (int k = 0; k < 3; k++) x[clicks[k]] = 0.5f;
    double worst = 0;
    double factors[] = { 0.8, 0.9, 1.1, 1.25 };
    sp_error err;
    for (int j = 0; j < 4; j++) {
        double a = factors[j];
        CHECK_MSG(sp_speed_perturb(x, n, a, &y, &ny, &err) == 0, "%s", err.msg);
        CHECK_MSG(labs(ny - lround(n / a)) <= 1, "factor %g: %ld samples, want %ld", a, ny, lround(n / a));
        for (int k = 0; k < 3; k++) {
            long want = lround(clicks[k] / a), at = want - 20;
            for (long m = want - 20; m <= want + 20; m++)
                if (fabs(y[m]) > fabs(y[at])) at = m;
            /* the peak of a band-limited click at s / a, to the sample */
            double e = fabs((double)at - clicks[k] / a);
            CHECK_MSG(e <= 0.5 + 1e-9, "factor %g: click at %ld lands at %ld, want %.2f", a, clicks[k], at, clicks[k] / a);
            if (e > worst) worst = e;
        }
        free(y);
    }
    for (long s = 0; s < n; s++) x[s] = (float)(0.3 * sin(2 * M_PI * 440 * s / FS));
    CHECK(sp_speed_perturb(x, n, 1.1, &y, &ny, &err) == 0);
    double f = peak_hz(y + 4000, 4000);
    CHECK_MSG(fabs(f - 484) < 1, "a 440 Hz tone at speed 1.1: %.2f Hz, want 484", f);
    free(y);
    CHECK(sp_speed_perturb(x, n, 1.0, &y, &ny, &err) == 0 && ny == n && !memcmp(x, y, (size_t)n * sizeof *x));
    free(y);
    CHECK(sp_speed_chunk_start(4720, 3200, 1.1) == lround(6320 / 1.1) - 1600);
    CHECK(sp_speed_chunk_start(4720, 3200, 1.0) == 4720);
    printf("speed: clicks within %.2f samples of s / a, 440 Hz -> %.2f Hz at 1.1\n", worst, f);
    free(x);
}

/* ---- the speed probe on tone utterances */

/* Chunks whose centre lies 30 to 60 ms into a phone (frames 3..6 of its
 * 10), spread over the utterances and over 0.4 .. 2 s; gains 0.5 .. 1. */
static void tone_batch(void)
{
    for (int b = 0; b < B; b++) put_chunk(b, b % (long)tones.n, SEG * (4 + b) + 3 + b % 4, 0.5f + 0.03f * b);
}

/* The factor each chunk's centre shows: its tone over its label's. */
static void centre_factors(double *ratio)
{
    for (int b = 0; b < B; b++) {
        const float *a = audio + (size_t)b * (size_t)T;
        ratio[b] = peak_hz(a + T / 2 - 200, 400) / tone_hz(labels[b]);
    }
}

static void speed_fixed(double a)
{
    sp_error err;
    char *text = sp_xasprintf("[probe s]\nuse = speed\nfactors = %g\n", a);
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    tone_batch();
    double ratio[B], worst = 0;
    int moved = 0;
    if (ch && run_batch(ch, 0) == 0) {
        centre_factors(ratio);
        for (int b = 0; b < B; b++) {
            double e = fabs(ratio[b] / a - 1);
            CHECK_MSG(e < 0.01, "factor %g, chunk %d (frame %ld): the centre's tone is %.4f x its label's", a, b,
                      (st[b] + T / 2) / 160, ratio[b]);
            if (e > worst) worst = e;
            double r = rms(audio + (size_t)b * (size_t)T + T / 2 - 400, 800) / (0.3 * gains[b] / sqrt(2));
            CHECK_MSG(fabs(r - 1) < 0.02, "chunk %d: RMS %.4f of the gain's", b, r);
            /* Had the chunk kept its start, its centre would show the
             * phone at c a: a different one for most of these chunks, so
             * the check above can fail. */
            long c = st[b] + T / 2;
            moved += tone_phone((long)(c * a) / 160, (int)utt[b]) != labels[b];
        }
    }
    CHECK_MSG(moved >= B / 2, "only %d of %d chunks would show another phone without the mapping", moved, B);
    printf("speed probe, factor %g: every chunk centre's tone within %.3f%% of its label's x %g (%d of %d chunks would "
           "show another phone unmapped)\n",
           a, 100 * worst, a, moved, B);
    done(ch);
    free(text);
}

/* The factor chunk b shows, as an index into {0.9, 1.0, 1.1}. */
static int which_factor(double ratio)
{
    return ratio < 0.95 ? 0 : ratio < 1.05 ? 1 : 2;
}

static void speed_draws(const char *scope, unsigned long seed, int out[B])
{
    sp_error err;
    char *text = sp_xasprintf("[probe s]\nuse = speed\nscope = %s\nseed = %lu\n", scope, seed);
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    /* chunks b and b + 8 from one utterance, at different frames */
    for (int b = 0; b < B; b++) put_chunk(b, b % 8, SEG * (4 + b) + 4, 1);
    double ratio[B];
    if (ch && run_batch(ch, 3) == 0) {
        centre_factors(ratio);
        for (int b = 0; b < B; b++) {
            out[b] = which_factor(ratio[b]);
            double want = out[b] == 0 ? 0.9 : out[b] == 1 ? 1.0 : 1.1;
            CHECK_MSG(fabs(ratio[b] / want - 1) < 0.01, "chunk %d shows factor %.4f", b, ratio[b]);
        }
    }
    done(ch);
    free(text);
}

static void speed_scopes(void)
{
    int a[B], b2[B], c[B], d[B];
    speed_draws("utterance", 1, a);
    speed_draws("utterance", 1, b2);
    speed_draws("utterance", 2, c);
    speed_draws("chunk", 1, d);
    int used[3] = { 0 }, same_utt = 1, split = 0;
    for (int b = 0; b < B; b++) {
        used[a[b]]++;
        same_utt &= a[b] == a[(b + 8) % B];
        split += d[b] != d[(b + 8) % B];
    }
    CHECK_MSG(!memcmp(a, b2, sizeof a), "the same seed drew other factors");
    CHECK_MSG(memcmp(a, c, sizeof a) != 0, "seeds 1 and 2 drew the same factors for 8 utterances");
    CHECK_MSG(same_utt, "scope utterance: two chunks of one utterance at different speeds");
    CHECK_MSG(used[0] && used[1] && used[2], "factors drawn %d, %d, %d times", used[0], used[1], used[2]);
    CHECK_MSG(split > 0, "scope chunk: every pair of chunks of one utterance at the same speed");
    printf("speed draws: scope utterance uses 0.9/1.0/1.1 on %d/%d/%d chunks, one per utterance; scope chunk splits %d "
           "of %d pairs\n",
           used[0], used[1], used[2], split / 2, B / 2);
}

/* fraction 0 leaves the batch alone; an earlier probe's additions stay
 * where they were. */
static void speed_chain(void)
{
    sp_error err;
    sp_probe_chain *ch = chain("[probe s]\nuse = speed\nfraction = 0\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    tone_batch();
    if (ch && run_batch(ch, 0) == 0)
        CHECK_MSG(!memcmp(audio, dry, (size_t)B * (size_t)T * sizeof *audio), "fraction 0 changed the audio");
    done(ch);
    ch = chain("[probe s]\nuse = speed\nfactors = 0.9,1.1\nseed = 4\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    if (!ch) return;
    run_batch(ch, 0);
    float *clean = sp_xmalloc((size_t)B * (size_t)T * sizeof *clean);
    memcpy(clean, audio, (size_t)B * (size_t)T * sizeof *clean);
    /* the same batch with a ramp added first, as a noise probe would */
    memcpy(audio, dry, (size_t)B * (size_t)T * sizeof *audio);
    for (long i = 0; i < (long)B * T; i++) audio[i] += 1e-3f * (float)(i % 97);
    CHECK(sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gains, 0, 1, &err) == 0);
    double worst = 0;
    for (long i = 0; i < (long)B * T; i++) {
        double e = fabs(audio[i] - clean[i] - 1e-3 * (double)(i % 97));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst < 1e-6, "an earlier probe's addition moved: off by %g", worst);
    printf("speed: an earlier probe's addition kept in place within %.1e\n", worst);
    free(clean);
    done(ch);
}

/* ---- the reverb probe */

/* Chunks of train_ds, two per utterance. */
static void noise_batch(void)
{
    for (int b = 0; b < B; b++) put_chunk(b, b % (long)train_ds->n, 30 + 7 * b, 1);
}

/* The correlation of a with d at lags -L..L (c[lag + L]) over the
 * samples where both are defined, and the lag of its maximum. */
static long correlate(const float *a, const float *d, long n, int L, double *c)
{
    long best = 0;
    for (int lag = -L; lag <= L; lag++) {
        double v = 0;
        for (long t = L; t < n - L; t++) v += (double)a[t + lag] * d[t];
        c[lag + L] = v;
        if (v > c[best + L]) best = lag;
    }
    return best;
}

/* Close talk (the direct path the strongest arrival): every chunk's
 * cross-correlation with its dry chunk peaks at lag 0. */
static void reverb_close(const char *extra)
{
    sp_error err;
    char *text = sp_xasprintf("[probe r]\nuse = reverb\nseed = 3\nroom = 4:10,4:8,3:4\nmargin = 1\ndistance = 0.5:0.6\n%s",
                              extra);
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    noise_batch();
    int at0 = 0;
    double c[401];
    if (ch && run_batch(ch, 0) == 0)
        for (int b = 0; b < B; b++) {
            long lag = correlate(audio + (size_t)b * (size_t)T, dry + (size_t)b * (size_t)T, T, 200, c);
            CHECK_MSG(lag == 0, "%s: chunk %d: the reverberated audio lags the dry by %ld samples", extra, b, lag);
            at0 += lag == 0;
        }
    printf("reverb, close talk, %s: every chunk's cross-correlation with its dry chunk peaks at lag 0 (%d of %d)\n",
           extra, at0, B);
    done(ch);
    free(text);
}

/* The default rooms, whole utterances (listen/): the correlation with the
 * dry utterance has its direct-path peak at lag 0 (at least 0.4 of the
 * largest, which a group of reflections arriving together may be),
 * nothing before it (lags -200..-4 below a quarter of it), and its
 * largest peak at lag 0 or after. */
static void reverb_utterances(const char *extra)
{
    sp_error err;
    char *text = sp_xasprintf("[probe u]\nuse = reverb\nseed = 5\nlisten = 8\n%s", extra);
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    for (int b = 0; b < B; b++) put_chunk(b, b % (long)noisy.n, 60, 1);
    if (ch) run_batch(ch, 0);
    done(ch);
    int peak0 = 0, files = 0;
    double worst_before = 0, c[401];
    for (size_t i = 0; i < noisy.n; i++) {
        char *name = sp_xasprintf("%s/probes/u/listen/TRAIN_DR1_FAKE%zu_SX%zu.wav", dir, i, i);
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *f = sf_open(name, SFM_READ, &info);
        free(name);
        if (!f) continue;
        files++;
        const sp_utterance *u = &noisy.utt[i];
        float *y = sp_xmalloc((size_t)u->n * sizeof *y), *x = sp_xmalloc((size_t)u->n * sizeof *x);
        CHECK(sf_readf_float(f, y, u->n) == u->n);
        sf_close(f);
        for (long s = 0; s < u->n; s++) x[s] = u->audio[s] / 32768.0f;
        long lag = correlate(y, x, u->n, 200, c);
        double before = 0;
        for (int k = -200; k <= -4; k++) before = fabs(c[k + 200]) > before ? fabs(c[k + 200]) : before;
        before /= c[200];
        CHECK_MSG(lag >= 0 && c[200] >= 0.4 * c[lag + 200] && before < 0.25,
                  "%s utterance %zu: peak at lag %ld, lag 0 at %.2f of it, %.2f before it", oneline(extra), i, lag,
                  c[200] / c[lag + 200], before);
        peak0 += lag == 0;
        if (before > worst_before) worst_before = before;
        free(x), free(y);
    }
    CHECK_MSG(files == (int)noisy.n, "listen wrote %d of %zu utterances", files, noisy.n);
    printf("reverb, default rooms, %s: utterance cross-correlations peak at lag 0 in %d of %d, later in the others; "
           "before lag 0 at most %.2f of lag 0\n",
           oneline(extra), peak0, files, worst_before);
    free(text);
}

/* Without the shift the peak is at the onset: the same response through
 * analysis/rir.h, convolved unshifted, so that lag 0 above means
 * something. */
static void reverb_unshifted(void)
{
    double L[3] = { 6, 5, 3 };
    sp_rir_room r = { .room = { 6, 5, 3 }, .src = { 1, 1, 1.5 }, .mic = { 4, 3.5, 1.2 }, .rate = FS,
                      .length = 6000, .interp = SP_RIR_SINC, .highpass_hz = 50 };
    r.beta = sp_rir_sabine_beta(L, 0.5);
    float *h = sp_xmalloc(6000 * sizeof *h), *y = sp_xmalloc((size_t)noisy.utt[0].n * sizeof *y);
    float *x = sp_xmalloc((size_t)noisy.utt[0].n * sizeof *x);
    sp_error err;
    CHECK(sp_rir_image(&r, h, &err) > 0);
    long on = sp_rir_onset(h, 6000), n = noisy.utt[0].n;
    for (long s = 0; s < n; s++) x[s] = noisy.utt[0].audio[s] / 32768.0f;
    sp_rir_conv *c = sp_rir_conv_new(6000, &err);
    CHECK(c && sp_rir_conv_set(c, h, 6000, &err) == 0);
    long lag[2];
    for (int shift = 0; shift < 2; shift++) {
        sp_rir_conv_run(c, x, n, shift ? on : 0, y);
        long best = 0;
        double bv = -INFINITY;
        for (long k = -50; k <= 300; k++) {
            double v = 0;
            for (long s = 400; s < n - 400; s++) v += (double)y[s + k] * x[s];
            if (v > bv) bv = v, best = k;
        }
        lag[shift] = best;
    }
    CHECK_MSG(lag[0] == on && lag[1] == 0, "unshifted peak at %ld (onset %ld), shifted at %ld", lag[0], on, lag[1]);
    printf("reverb: unshifted, the correlation peaks at the onset (%ld samples); shifted by it, at %ld\n", lag[0], lag[1]);
    sp_rir_conv_free(c);
    free(h), free(x), free(y);
}

/* Utterance RMS kept (listen/), chunk RMS kept (scope chunk). */
static void reverb_levels(void)
{
    sp_error err;
    sp_probe_chain *ch = chain("[probe lv]\nuse = reverb\nlisten = 2\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    noise_batch();
    if (ch) run_batch(ch, 0);
    done(ch);
    int files = 0;
    for (size_t i = 0; i < noisy.n; i++) {
        char *name = sp_xasprintf("%s/probes/lv/listen/TRAIN_DR1_FAKE%zu_SX%zu.wav", dir, i, i);
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *f = sf_open(name, SFM_READ, &info);
        free(name);
        if (!f) continue;
        files++;
        const sp_utterance *u = &noisy.utt[i];
        CHECK_MSG(info.frames == u->n && info.samplerate == FS, "listen: %ld frames at %d Hz", (long)info.frames,
                  info.samplerate);
        float *y = sp_xmalloc((size_t)u->n * sizeof *y), *x = sp_xmalloc((size_t)u->n * sizeof *x);
        CHECK(sf_readf_float(f, y, u->n) == u->n);
        sf_close(f);
        for (long s = 0; s < u->n; s++) x[s] = u->audio[s] / 32768.0f;
        double r = rms(y, u->n) / rms(x, u->n);
        CHECK_MSG(fabs(r - 1) < 1e-4, "utterance %zu: RMS ratio %.6f", i, r);
        free(x), free(y);
    }
    CHECK_MSG(files == 2, "listen = 2 wrote %d utterances", files);
    ch = chain("[probe c]\nuse = reverb\nscope = chunk\nrooms = 4\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    double worst = 0;
    if (ch && run_batch(ch, 0) == 0)
        for (int b = 0; b < B; b++) {
            double r = rms(audio + (size_t)b * (size_t)T, T) / rms(dry + (size_t)b * (size_t)T, T);
            if (fabs(r - 1) > worst) worst = fabs(r - 1);
        }
    CHECK_MSG(worst < 1e-4, "scope chunk: RMS off by %g", worst);
    printf("reverb: utterance RMS kept (listen/, %d files), chunk RMS within %.1e\n", files, worst);
    done(ch);
}

/* The impulse-and-echo file with level = direct: dry + 0.5 dry delayed
 * by 1600 samples, in both scopes (scope chunk hears the echo of the
 * speech before the chunk). */
static void reverb_file(const char *scope, const char *files)
{
    sp_error err;
    char *text = sp_xasprintf("[probe f]\nuse = reverb\nrir_files = %s\nlevel = direct\nscope = %s\n", files, scope);
    sp_probe_chain *ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    noise_batch();
    double worst = 0;
    if (ch && run_batch(ch, 0) == 0)
        for (int b = 0; b < B; b++) {
            const sp_utterance *u = &train_ds->utt[utt[b]];
            double e = 0, p = 0;
            for (int t = 0; t < T; t++) {
                long s = st[b] + t;
                double want = gains[b] * (u->audio[s] + (s >= 1600 ? 0.5 * u->audio[s - 1600] : 0)) / 32768.0;
                e += (audio[(size_t)b * (size_t)T + (size_t)t] - want) * (audio[(size_t)b * (size_t)T + (size_t)t] - want);
                p += want * want;
            }
            if (sqrt(e / p) > worst) worst = sqrt(e / p);
        }
    CHECK_MSG(worst < 0.005, "scope %s: dry + 0.5 echo off by %.4f (relative RMS)", scope, worst);
    printf("reverb, rir_files (44.1 kHz impulse + echo), scope %s: dry + 0.5 echo within %.4f relative RMS\n", scope,
           worst);
    done(ch);
    free(text);
}

static void reverb_determinism(void)
{
    sp_error err;
    float *one = sp_xmalloc((size_t)B * (size_t)T * sizeof *one);
    const char *texts[] = { "[probe r]\nuse = reverb\nseed = 8\n", "[probe r]\nuse = reverb\nseed = 8\n",
                            "[probe r]\nuse = reverb\nseed = 9\n" };
    int same[3] = { 0 };
    for (int k = 0; k < 3; k++) {
        sp_probe_chain *ch = chain(texts[k], &err);
        CHECK_MSG(ch != NULL, "%s", err.msg);
        noise_batch();
        if (ch) run_batch(ch, 0);
        if (k == 0) memcpy(one, audio, (size_t)B * (size_t)T * sizeof *one);
        same[k] = !memcmp(one, audio, (size_t)B * (size_t)T * sizeof *one);
        done(ch);
    }
    CHECK_MSG(same[1] && !same[2], "seed 8 twice: %s; seed 9: %s", same[1] ? "same" : "differs", same[2] ? "same" : "differs");
    /* fraction 0.5 over 8 utterances: some dry, some not */
    sp_probe_chain *ch = chain("[probe r]\nuse = reverb\nfraction = 0.5\nseed = 8\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    int drych = 0;
    if (ch && run_batch(ch, 0) == 0)
        for (int b = 0; b < B; b++) drych += !memcmp(audio + (size_t)b * (size_t)T, dry + (size_t)b * (size_t)T, (size_t)T * sizeof *audio);
    CHECK_MSG(drych > 0 && drych < B, "fraction 0.5: %d of %d chunks dry", drych, B);
    done(ch);
    printf("reverb: the same seed, the same audio; another seed, other rooms; fraction 0.5 left %d of %d chunks dry\n",
           drych, B);
    free(one);
}

static void refusals(void)
{
    refused("[probe s]\nuse = speed\nfactors = 0.9,abc\n", 3, "factors: '0.9,abc' is not a comma list of factors between 0.5 and 2", "speed.so");
    refused("[probe s]\nuse = speed\nfactors = 3\n", 3, "factors: '3'", "speed.so");
    refused("[probe s]\nuse = speed\n\napply_to = train,eval\n", 4, "apply_to: 'train,eval'", "speed.so");
    refused("[probe s]\nuse = speed\nscope = batch\n", 3, "'batch' is not one of utterance|chunk", "t.conf");
    refused("[probe r]\nuse = reverb\nrt60 = 0.05\n", 3, "rt60: 0.05 s is shorter than Sabine's formula allows", "reverb.so");
    refused("[probe r]\nuse = reverb\nroom = 3,4\n", 3, "room: '3,4' is not three sizes in m", "reverb.so");
    refused("[probe r]\nuse = reverb\ndistance = 3:1\n", 3, "distance: '3:1' is not a distance", "reverb.so");
    refused("[probe r]\nuse = reverb\nmargin = 2\n", 3, "margin: a margin of 2 m leaves no room", "reverb.so");
    refused("[probe r]\nuse = reverb\nrir_files = /nonexistent.wav\n", 3, "rir_files: cannot read '/nonexistent.wav'", "reverb.so");
    char *t = sp_xasprintf("[probe r]\nuse = reverb\nrir_files = %s\n\nroom = 4,4,3\n", rir_path);
    refused(t, 5, "room: '4,4,3' is for simulated rooms, not with rir_files", "reverb.so");
    free(t);
    t = sp_xasprintf("[probe r]\nuse = reverb\nrir_files = %s/probes\n", dir);
    refused(t, 3, "holds no file libsndfile reads", "reverb.so");
    free(t);
}

/* An impulse-and-echo response file: 44.1 kHz, stereo, the first channel
 * an impulse at 10 ms (441 samples: 160 at 16 kHz) and one of half its
 * height `echo` samples later, the second noise. */
static char *write_rir(const char *folder, const char *name, long echo)
{
    char *path = sp_path_join(folder, name);
    SF_INFO info = { .samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    long n = 44100 / 4;
    float *v = sp_xcalloc((size_t)n * 2, sizeof *v);
    v[2 * 441] = 0.8f;
    v[2 * (441 + echo)] = 0.4f;
    for (long i = 0; i < n; i++) v[2 * i + 1] = (float)(0.5 * sin(0.37 * (double)i * i));
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    CHECK(f && sf_writef_float(f, v, n) == n);
    sf_close(f);
    free(v);
    return path;
}

/* Speed, then reverb with an echo 20 ms after the direct path: the chunk
 * as the speed probe left it is reverberated (its echo inside the chunk
 * is of the perturbed speech; before the chunk, of the clean utterance),
 * not the clean utterance with the perturbation added back dry. */
static void reverb_after_speed(const char *scope, const char *file)
{
    sp_error err;
    sp_probe_chain *ch = chain("[probe s]\nuse = speed\nfactors = 1.1\n", &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    tone_batch();
    float *sped = sp_xmalloc((size_t)B * (size_t)T * sizeof *sped);
    if (ch) run_batch(ch, 0);
    memcpy(sped, audio, (size_t)B * (size_t)T * sizeof *sped);
    done(ch);
    char *text = sp_xasprintf("[probe s]\nuse = speed\nfactors = 1.1\n[probe f]\nuse = reverb\nrir_files = %s\n"
                              "level = direct\nscope = %s\n", file, scope);
    ch = chain(text, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    double worst = 0, readd = INFINITY;
    if (ch && run_batch(ch, 0) == 0)
        for (int b = 0; b < B; b++) {
            const sp_utterance *u = &train_ds->utt[utt[b]];
            const float *a = sped + (size_t)b * (size_t)T, *o = audio + (size_t)b * (size_t)T;
            double e = 0, e2 = 0, p = 0;
            for (int t = 0; t < T; t++) {
                long s = st[b] + t;
                double clean_before = gains[b] * u->audio[s - 320] / 32768.0;
                double want = a[t] + 0.5 * (t >= 320 ? a[t - 320] : clean_before);
                double dry_added = a[t] + 0.5 * clean_before; /* the clean echo, the change re-added */
                e += (o[t] - want) * (o[t] - want);
                e2 += (o[t] - dry_added) * (o[t] - dry_added);
                p += want * want;
            }
            if (sqrt(e / p) > worst) worst = sqrt(e / p);
            if (sqrt(e2 / p) < readd) readd = sqrt(e2 / p);
        }
    CHECK_MSG(worst < 0.01, "scope %s: speed then reverb off by %.4f (relative RMS)", scope, worst);
    CHECK_MSG(readd > 0.1, "scope %s: re-adding the change dry would differ by only %.4f", scope, readd);
    printf("reverb after speed, scope %s: the sped-up chunk reverberated within %.4f relative RMS (the change re-added "
           "dry would be off by %.2f)\n",
           scope, worst, readd);
    done(ch);
    free(text);
    free(sped);
}

int main(void)
{
    const char *top = getenv("top_builddir");
    char real[4096], *pd = sp_xasprintf("%s/plugins/.libs", top ? top : ".");
    setenv("SINCPROBE_PLUGIN_PATH", realpath(pd, real) ? real : pd, 1);
    free(pd);
    sp_error err;
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_conf c;
    int ok = sp_ini_parse(&ini, "m.conf", "[model]\npreset = small\nfilters = 8\ntaps = 65\nconv = 8x3\ndense = 32\n", &d) == 0 &&
             sp_conf_resolve(&c, &ini, &d) == 0;
    sp_ini_free(&ini);
    sp_diag_free(&d);
    if (!ok || sp_model_init(&model, &c, B, &err) != 0 || sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "test_augment: %s\n", err.msg);
        return 1;
    }
    T = model.T;
    printf("test_augment: T = %d\n", T);
    dir = sp_test_tmpdir();
    audio = sp_xmalloc((size_t)B * (size_t)T * sizeof *audio);
    dry = sp_xmalloc((size_t)B * (size_t)T * sizeof *dry);
    tones = make(8, 2 * FS + FS / 2, 0, 1);
    noisy = make(8, FS + FS / 2, 1, 2);
    rir_dir = sp_path_join(dir, "rirs");
    sp_test_write(rir_dir, "README", "responses\n");
    rir_path = write_rir(rir_dir, "echo.wav", 4410);
    char *rir20 = write_rir(dir, "echo20.wav", 882);

    perturbation();
    train_ds = &tones;
    speed_fixed(1.1);
    speed_fixed(0.9);
    speed_fixed(1.25);
    speed_scopes();
    speed_chain();
    train_ds = &noisy;
    reverb_close("scope = utterance");
    reverb_close("scope = chunk");
    reverb_close("interp = nearest");
    reverb_utterances("");
    reverb_utterances("interp = nearest\nrt60 = 0.6:0.7\n");
    reverb_unshifted();
    reverb_levels();
    train_ds = &tones; /* below 2 kHz: the file's resampling low-pass leaves it alone */
    reverb_file("utterance", rir_path);
    reverb_file("chunk", rir_dir);
    reverb_after_speed("utterance", rir20);
    reverb_after_speed("chunk", rir20);
    train_ds = &noisy;
    reverb_determinism();
    refusals();

    sp_dataset_free(&tones);
    sp_dataset_free(&noisy);
    sp_model_free(&model);
    free(audio), free(dry), free(rir_path), free(rir_dir), free(rir20);
    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_augment");
}
