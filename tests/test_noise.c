/* test_noise.c - the noise probe (plugins/noise.c) driven through the
 * host's chain (probe_host.h: resolution, create, on_start, train and
 * evaluation batches), as `sincprobe train` and `eval` drive it:
 *
 * - refusals of bad options before anything runs, naming the config line
 *   of the option at fault and the plugin file;
 * - the achieved SNR of every type, fixed and drawn from a range, within
 *   0.1 dB on every chunk; a silent chunk stays silent;
 * - band noise: >= 99% of its energy inside [f_lo, f_hi] (FFTW);
 *   white, pink and brown: spectral slopes near 0, -3 and -6 dB/octave;
 * - apply_to: which roles are noised, in train and eval mode;
 * - determinism (same seed, same noise; another seed, other noise) and
 *   scope = utterance (overlapping chunks share their noise);
 * - several bands (band = 1200-1600,1800-2100): SNR exact to 1e-5 dB, the
 *   energy in the bands and none between, each band's share its share of
 *   the bins; unsorted or overlapping bands refused;
 * - type lists: SNR exact with every type listed, every listed type drawn
 *   (each chunk's noise classified), one type per utterance under scope
 *   utterance; single types add the noise they added before type lists
 *   (fingerprints taken from the code before the change).
 *
 * The chunks are synthetic speech-like signals, or, when $NOISE_CORPUS
 * names a corpus (tests/noise.sh sets it to a `corpus synth` corpus),
 * real chunks of its train split. Prints the measured worst SNR error and
 * band fractions. */
#include "config.h"
#include "corpus/dataset.h"
#include "probe/probe_host.h"
#include "base/rng.h"
#include "corpus/timit.h"
#include "base/util.h"
#include "testlib.h"

#include <fftw3.h>
#include <math.h>
#include <sndfile.h>

#define B 16
static int T;
static sp_model model;
static sp_phoneset ps;
static sp_dataset train, dev;
static char *dir, *plugin_dir, *wav, *wav16;
static float *wav16_samples; /* [WAV16_N]: wav16 as the probe reads it */
#define WAV16_N 8000
static float *clean, *audio;
static long utt[B], st[B];
static float gains[B];
static int labels[B];
static double worst_snr_err;

static sp_probe_chain *resolve_text(const char *text, sp_diag *d)
{
    sp_ini ini;
    sp_diag_init(d, 0);
    if (sp_ini_parse(&ini, "t.conf", text, d) != 0) {
        sp_ini_free(&ini);
        return NULL;
    }
    sp_probe_chain *ch = sp_probe_chain_resolve(&ini, d);
    sp_ini_free(&ini);
    return ch;
}

/* A started chain for text, or NULL with err. */
static sp_probe_chain *chain(const char *text, sp_probe_mode mode, sp_error *err)
{
    sp_diag d;
    sp_probe_chain *ch = resolve_text(text, &d);
    if (!ch) {
        sp_fail(err, "%s:%ld: %s", d.n ? d.v[0].file : "", d.n ? d.v[0].line : 0L, d.n ? d.v[0].message : "refused");
        sp_diag_free(&d);
        return NULL;
    }
    sp_diag_free(&d);
    char *pdir = sp_path_join(dir, mode == SP_PROBE_MODE_TRAIN ? "probes" : "eval-test/probes");
    int rc = sp_probe_chain_create(ch, mode, pdir, 5, err);
    free(pdir);
    if (rc != 0) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    sp_probe_start s;
    memset(&s, 0, sizeof s);
    s.run_dir = dir;
    s.model = &model;
    s.ps = &ps;
    if (mode == SP_PROBE_MODE_TRAIN) {
        s.data[SP_PROBE_TRAIN] = &train;
        s.data[SP_PROBE_DEV] = &dev;
        s.split[SP_PROBE_TRAIN] = "train";
        s.split[SP_PROBE_DEV] = "dev";
        s.epochs = 1;
        s.steps_per_epoch = 1;
    } else {
        s.data[SP_PROBE_TEST] = &dev;
        s.split[SP_PROBE_TEST] = "core";
    }
    if (sp_probe_chain_start(ch, &s, err) != 0) {
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

/* A batch of B chunks from the train split: chunk b from utterance b % n
 * at frame 20 + b, so that chunks b and b + n overlap (chunk 3 is
 * silent). */
static void fill(void)
{
    for (int b = 0; b < B; b++) {
        const sp_utterance *u = &train.utt[(size_t)b % train.n];
        long f = 20 + b;
        if (f >= u->nframes) f = u->nframes / 2;
        utt[b] = (long)((size_t)b % train.n);
        st[b] = f * 160 + 80 - T / 2;
        gains[b] = 1;
        labels[b] = 0;
        sp_dataset_chunk(u, f, T, 1, clean + (size_t)b * (size_t)T);
    }
    memset(clean + 3 * (size_t)T, 0, (size_t)T * sizeof *clean);
    memcpy(audio, clean, (size_t)B * (size_t)T * sizeof *audio);
}

static double power(const float *x)
{
    double p = 0;
    for (int t = 0; t < T; t++) p += (double)x[t] * x[t];
    return p / T;
}

/* The SNR of chunk b after the probe: clean power over that of the
 * difference; NAN when nothing was added. */
static double snr_of(int b)
{
    const float *c = clean + (size_t)b * (size_t)T, *a = audio + (size_t)b * (size_t)T;
    double pn = 0;
    for (int t = 0; t < T; t++) pn += ((double)a[t] - c[t]) * ((double)a[t] - c[t]);
    pn /= T;
    return pn > 0 ? 10 * log10(power(c) / pn) : NAN;
}

static int train_batch(sp_probe_chain *ch, long step)
{
    sp_error err;
    fill();
    int rc = sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gains, step, 1, &err);
    CHECK_MSG(rc == 0, "train batch: %s", err.msg);
    return rc;
}

/* ---- refusals */

static void refused(const char *text, long line, const char *what)
{
    sp_error err;
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch == NULL, "accepted: %s", text);
    done(ch);
    char at[32];
    snprintf(at, sizeof at, "t.conf:%ld:", line);
    CHECK_MSG(strstr(err.msg, at) && strstr(err.msg, what), "'%s' lacks '%s' or '%s'", err.msg, at, what);
    if (!strstr(err.msg, "not one of")) CHECK_MSG(strstr(err.msg, "noise.so"), "'%s' does not name the plugin file", err.msg);
}

static void refusals(void)
{
    refused("[probe n]\nuse = noise\ntype = band\n", 3, "type band needs band = f_lo-f_hi");
    refused("[probe n]\nuse = noise\ntype = band\nband = 4000-2000\n", 4, "band: '4000-2000' is not f_lo-f_hi");
    refused("[probe n]\nuse = noise\ntype = band\nband = low\n", 4, "band: 'low' is not f_lo-f_hi");
    refused("[probe n]\nuse = noise\ntype = band\nband = 100-9000\n", 4, "band: '100-9000'");
    refused("[probe n]\nuse = noise\n\nsnr_db = loud\n", 4, "snr_db: 'loud' is not a number or lo:hi");
    refused("[probe n]\nuse = noise\nsnr_db = 10:5\n", 3, "snr_db: '10:5'");
    refused("[probe n]\nuse = noise\nsnr_db = 5:\n", 3, "snr_db: '5:'");
    refused("[probe n]\nuse = noise\ntype = pinkish\n", 3, "'pinkish' is not one of white|pink|brown|band|babble|tone|file|clean");
    refused("[probe n]\nuse = noise\nscope = batch\n", 3, "'batch' is not one of chunk|utterance");
    refused("[probe n]\nuse = noise\napply_to = train,eval\n", 3, "apply_to: 'train,eval' is not a comma list");
    refused("[probe n]\nuse = noise\nband = 10-20\n", 3, "band: '10-20' is only for type band");
    refused("[probe n]\nuse = noise\ntype = file\n", 3, "type file needs file = PATH");
    refused("[probe n]\nuse = noise\ntype = file\nfile = /nonexistent.wav\n", 4, "file: cannot read '/nonexistent.wav'");
    refused("[probe n]\nuse = noise\nfreq = 9000\n", 3, "freq");
    refused("[probe n]\nuse = noise\nk = 0\n", 3, "k");
    /* type lists */
    refused("[probe n]\nuse = noise\ntype = white,violet\n", 3,
            "type: 'violet' (item 2 of 'white,violet') is not one of white|pink|brown|band|babble|tone|file|clean");
    refused("[probe n]\nuse = noise\ntype = white,,pink\n", 3, "type: '' (item 2 of 'white,,pink') is not one of");
    refused("[probe n]\nuse = noise\ntype = white, band\n", 3, "type band needs band = f_lo-f_hi");
    refused("[probe n]\nuse = noise\ntype = file,white\n", 3, "type file needs file = PATH");
    refused("[probe n]\nuse = noise\ntype = white,pink\nband = 100-200\n", 4, "band: '100-200' is only for type band");
    /* band lists */
    refused("[probe n]\nuse = noise\ntype = band\nband = 1800-2100,1200-1600\n", 4,
            "band: '1800-2100,1200-1600': 1200-1600 does not start above the end of 1800-2100");
    refused("[probe n]\nuse = noise\ntype = band\nband = 1200-1600,1500-2100\n", 4,
            "band: '1200-1600,1500-2100': 1500-2100 does not start above the end of 1200-1600");
    refused("[probe n]\nuse = noise\ntype = band\nband = 1200-1600, 1600-2000\n", 4, "1600-2000 does not start above");
    refused("[probe n]\nuse = noise\ntype = band\nband = 1200-1600,2k-3k\n", 4,
            "band: '2k-3k' (item 2 of '1200-1600,2k-3k') is not f_lo-f_hi in Hz");
    refused("[probe n]\nuse = noise\ntype = band\nband = 1200-1600,\n", 4, "band: '' (item 2 of '1200-1600,')");
    refused("[probe n]\nuse = noise\ntype = band\nband = 100-200,7000-9000\n", 4, "band: '7000-9000' (item 2");
    char many[1024] = "[probe n]\nuse = noise\ntype = band\nband = ";
    for (int i = 0; i < 33; i++) snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d-%d", i ? "," : "", 100 * i + 10, 100 * i + 50);
    strcat(many, "\n");
    refused(many, 4, "is not a comma list of at most 32 bands");
    /* on_start: every band holds a bin (T = 1600: bins every 10 Hz); the
     * probe names the option, so the message points at its line */
    char *nobin = sp_xasprintf("[probe n]\nuse = noise\ntype = band\nband = 1200-1600,%g-%g\n", 16000.0 / T * 300 + 1,
                               16000.0 / T * 300 + 2);
    refused(nobin, 4, "holds no frequency bin");
    free(nobin);
}

/* ---- SNR */

/* The worst SNR error in dB over the chunks of one batch. */
static double snr_fixed(const char *type, const char *extra)
{
    sp_error err;
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = %s\nsnr_db = 5\n%s", type, extra);
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s: %s", type, err.msg);
    double worst = NAN;
    if (ch && train_batch(ch, 0) == 0) {
        worst = 0;
        for (int b = 0; b < B; b++) {
            if (b == 3) {
                int same = !memcmp(audio + 3 * (size_t)T, clean + 3 * (size_t)T, (size_t)T * sizeof *audio);
                CHECK_MSG(same, "%s: a silent chunk got noise", type);
                continue;
            }
            double e = fabs(snr_of(b) - 5);
            CHECK_MSG(e < 0.1, "%s: chunk %d SNR %.4f dB, want 5", type, b, snr_of(b));
            if (!(e <= worst)) worst = e;
        }
        char opts[256];
        snprintf(opts, sizeof opts, "%s", extra);
        for (char *q = opts; *q; q++)
            if (*q == '\n') *q = ' ';
        printf("noise %-6s %-40.40s SNR 5 dB: worst error %.2e dB\n", type, opts, worst);
        if (!(worst <= worst_snr_err)) worst_snr_err = worst;
    }
    done(ch);
    free(text);
    return worst;
}

static void snr_range(const char *scope)
{
    sp_error err;
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = pink\nsnr_db = -5:15\nscope = %s\n", scope);
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    double lo = 1e9, hi = -1e9;
    for (long step = 0; ch && step < 4; step++) {
        if (train_batch(ch, step) != 0) break;
        for (int b = 0; b < B; b++) {
            if (b == 3) continue;
            double s = snr_of(b);
            CHECK_MSG(s > -5.1 && s < 15.1, "scope %s: chunk %d SNR %.3f outside -5:15", scope, b, s);
            lo = s < lo ? s : lo;
            hi = s > hi ? s : hi;
            /* scope utterance: chunks of one utterance share the draw. */
            if (!strcmp(scope, "utterance") && b >= (int)train.n && b - (int)train.n != 3) {
                double e = fabs(s - snr_of(b - (int)train.n));
                CHECK_MSG(e < 0.1, "utterance scope: chunks %d and %d differ by %.3f dB", b, b - (int)train.n, e);
            }
        }
    }
    CHECK_MSG(hi - lo > 5, "scope %s: SNRs of -5:15 span only %.2f..%.2f", scope, lo, hi);
    printf("noise pink scope %-9s SNR -5:15 dB: drawn %.2f..%.2f\n", scope, lo, hi);
    done(ch);
    free(text);
}

/* ---- spectra: the mean power spectrum of the added noise */

static void noise_spectrum(const char *text, int batches, double *pw /* [T/2+1] */)
{
    sp_error err;
    int nb = T / 2 + 1;
    memset(pw, 0, (size_t)nb * sizeof *pw);
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    float *in = fftwf_alloc_real((size_t)T);
    fftwf_complex *out = fftwf_alloc_complex((size_t)nb);
    fftwf_plan p = fftwf_plan_dft_r2c_1d(T, in, out, FFTW_ESTIMATE);
    for (long step = 0; ch && step < batches; step++) {
        if (train_batch(ch, step) != 0) break;
        for (int b = 0; b < B; b++) {
            if (b == 3) continue;
            for (int t = 0; t < T; t++)
                in[t] = audio[(size_t)b * (size_t)T + (size_t)t] - clean[(size_t)b * (size_t)T + (size_t)t];
            fftwf_execute(p);
            for (int i = 0; i < nb; i++) pw[i] += (double)out[i][0] * out[i][0] + (double)out[i][1] * out[i][1];
        }
    }
    fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(out);
    done(ch);
}

static double band_fraction(const char *scope, double flo, double fhi)
{
    int nb = T / 2 + 1;
    double *pw = sp_xmalloc((size_t)nb * sizeof *pw);
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = band\nband = %g-%g\nsnr_db = 0\nscope = %s\n", flo, fhi, scope);
    noise_spectrum(text, 2, pw);
    double in = 0, all = 0;
    for (int i = 0; i < nb; i++) {
        double f = (double)i * 16000 / T;
        all += pw[i];
        if (f >= flo && f <= fhi) in += pw[i];
    }
    free(text);
    free(pw);
    return all > 0 ? in / all : 0;
}

/* The least-squares slope in dB per octave of the power in octave bands
 * from 125 Hz to 4 kHz. */
static double slope(const char *type)
{
    int nb = T / 2 + 1;
    double *pw = sp_xmalloc((size_t)nb * sizeof *pw);
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = %s\nsnr_db = 0\n", type);
    noise_spectrum(text, 4, pw);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (double f0 = 125; f0 < 4000; f0 *= 2, n++) {
        /* Power density (mean per bin) in [f0, 2 f0). */
        double p = 0;
        int m = 0;
        for (int i = 0; i < nb; i++) {
            double f = (double)i * 16000 / T;
            if (f >= f0 && f < 2 * f0) p += pw[i], m++;
        }
        double xo = log2(f0), y = 10 * log10(p / m);
        sx += xo, sy += y, sxx += xo * xo, sxy += xo * y;
    }
    free(text);
    free(pw);
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void spectra(void)
{
    double fr = band_fraction("chunk", 2000, 4000);
    printf("noise band 2000-4000 Hz, scope chunk: %.6f of the energy in band\n", fr);
    CHECK_MSG(fr >= 0.99, "band noise: only %.4f of its energy in 2-4 kHz", fr);
    fr = band_fraction("chunk", 300, 600);
    printf("noise band 300-600 Hz, scope chunk: %.6f of the energy in band\n", fr);
    CHECK_MSG(fr >= 0.99, "band noise: only %.4f of its energy in 300-600 Hz", fr);
    fr = band_fraction("utterance", 2000, 4000);
    printf("noise band 2000-4000 Hz, scope utterance: %.6f of the energy in band\n", fr);
    CHECK_MSG(fr >= 0.95, "band noise, scope utterance: only %.4f of its energy in 2-4 kHz", fr);
    double w = slope("white"), p = slope("pink"), br = slope("brown");
    printf("noise slopes (dB/octave, 125 Hz - 4 kHz): white %.2f, pink %.2f, brown %.2f\n", w, p, br);
    CHECK_MSG(fabs(w) < 0.75, "white noise slope %.2f dB/octave", w);
    CHECK_MSG(p > -3.75 && p < -2.25, "pink noise slope %.2f dB/octave, want about -3", p);
    CHECK_MSG(br > -7 && br < -5, "brown noise slope %.2f dB/octave, want about -6", br);
}

/* ---- several bands: band = 1200-1600,1800-2100
 *
 * The SNR is exact over each chunk as for one band; the noise has its
 * energy in the bands and none between or outside them; the spectrum is
 * flat over the union, so each band's share of the energy is its share of
 * the FFT bins inside the bands. */

static void multi_band(const char *scope, double min_in, double tol)
{
    static const double lo[2] = { 1200, 1800 }, hi[2] = { 1600, 2100 };
    char *extra = sp_xasprintf("band = 1200-1600,1800-2100\nscope = %s\n", scope);
    double worst = snr_fixed("band", extra);
    CHECK_MSG(worst < 1e-5, "two bands, scope %s: SNR off by %.3g dB", scope, worst);
    free(extra);

    int nb = T / 2 + 1;
    double *pw = sp_xmalloc((size_t)nb * sizeof *pw);
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = band\nband = 1200-1600, 1800-2100\nsnr_db = 0\nscope = %s\n", scope);
    noise_spectrum(text, 8, pw);
    double e[2] = { 0, 0 }, gap = 0, all = 0;
    int bins[2] = { 0, 0 };
    for (int i = 0; i < nb; i++) {
        double f = (double)i * 16000 / T;
        all += pw[i];
        for (int j = 0; j < 2; j++)
            if (f >= lo[j] && f <= hi[j]) e[j] += pw[i], bins[j]++;
        if (f > hi[0] && f < lo[1]) gap += pw[i];
    }
    double in = (e[0] + e[1]) / all, share = e[0] / (e[0] + e[1]), want = (double)bins[0] / (bins[0] + bins[1]);
    printf("noise band 1200-1600,1800-2100 Hz, scope %s: %.6f of the energy in the bands, %.2e between them; "
           "first band's share %.3f (its share of the bins %.3f); SNR error %.2e dB\n",
           scope, in, gap / all, share, want, worst);
    CHECK_MSG(in >= min_in, "two bands, scope %s: only %.4f of the energy in the bands", scope, in);
    CHECK_MSG(gap / all < 1 - min_in, "two bands, scope %s: %.4f of the energy between the bands", scope, gap / all);
    CHECK_MSG(e[0] > 0.3 * all && e[1] > 0.3 * all, "two bands, scope %s: energies %.3g and %.3g of %.3g", scope, e[0],
              e[1], all);
    CHECK_MSG(fabs(share - want) < tol, "two bands, scope %s: the first band has %.3f of the energy, want about %.3f",
              scope, share, want);
    free(text);
    free(pw);
}

/* ---- type lists: type = white,pink,band,tone,babble,file
 *
 * Each chunk's added noise d is classified: tone (500 Hz) and band
 * (5-6 kHz) by where its energy is, babble (k = 1) and file by being a
 * scaled slice of a train utterance or of the 16 kHz file (found by
 * search), pink and white by the share of energy below 1 kHz (1/f from
 * 10 Hz to 8 kHz puts 0.69 there, white 0.125). */

enum { C_WHITE, C_PINK, C_BAND, C_TONE, C_BABBLE, C_FILE, C_NONE };
static const char *const class_names[] = { "white", "pink", "band", "tone", "babble", "file", "none" };
#define LIST6 "white,pink,band,tone,babble,file"

/* Whether d[T] = g src[(off + t) mod n] for some offset and g > 0, to
 * 1e-3 of d's peak. */
static int slice_of(const double *d, const float *src, long n)
{
    int t0 = 0;
    for (int t = 1; t < T; t++)
        if (fabs(d[t]) > fabs(d[t0])) t0 = t;
    double peak = fabs(d[t0]);
    for (long off = 0; peak > 0 && off < n; off++) {
        double s0 = src[(off + t0) % n];
        if (fabs(s0) < 1e-9 || d[t0] / s0 <= 0) continue;
        double g = d[t0] / s0;
        int t = 0;
        while (t < T && fabs(d[t] - g * src[(off + t) % n]) <= 1e-3 * peak) t++;
        if (t == T) return 1;
    }
    return 0;
}

static int classify(const double *d, const double *pw, float **utt_audio, const long *utt_n, size_t nutt)
{
    int nb = T / 2 + 1;
    double all = 0, tone = 0, band = 0, low = 0;
    for (int i = 0; i < nb; i++) {
        double f = (double)i * 16000 / T;
        all += pw[i];
        if (f >= 480 && f <= 520) tone += pw[i];
        if (f >= 5000 && f <= 6000) band += pw[i];
        if (f < 1000) low += pw[i];
    }
    if (all <= 0) return C_NONE;
    if (tone / all > 0.99) return C_TONE;
    if (band / all > 0.99) return C_BAND;
    for (size_t u = 0; u < nutt; u++)
        if (slice_of(d, utt_audio[u], utt_n[u])) return C_BABBLE;
    if (slice_of(d, wav16_samples, WAV16_N)) return C_FILE;
    if (low / all > 0.35) return C_PINK;
    if (low / all < 0.25 && band / all > 0.05 && band / all < 0.25) return C_WHITE;
    return C_NONE;
}

/* The class of each noisy chunk of batches [0, nbatch) of text, counted
 * into count[C_NONE + 1]; for scope utterance, whether chunks of one
 * utterance got one class. */
static void classes(const char *text, int nbatch, int count[C_NONE + 1], int *mixed)
{
    int nb = T / 2 + 1;
    sp_error err;
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    float **ua = sp_xmalloc(train.n * sizeof *ua);
    long *un = sp_xmalloc(train.n * sizeof *un);
    for (size_t u = 0; u < train.n; u++) {
        un[u] = train.utt[u].n;
        ua[u] = sp_xmalloc((size_t)un[u] * sizeof **ua);
        for (long i = 0; i < un[u]; i++) ua[u][i] = train.utt[u].audio[i];
    }
    double *d = sp_xmalloc((size_t)T * sizeof *d), *pw = sp_xmalloc((size_t)nb * sizeof *pw);
    float *in = fftwf_alloc_real((size_t)T);
    fftwf_complex *out = fftwf_alloc_complex((size_t)nb);
    fftwf_plan p = fftwf_plan_dft_r2c_1d(T, in, out, FFTW_ESTIMATE);
    memset(count, 0, (C_NONE + 1) * sizeof *count);
    *mixed = 0;
    for (long step = 0; ch && step < nbatch; step++) {
        if (train_batch(ch, step) != 0) break;
        int of_utt[B];
        for (int b = 0; b < B; b++) {
            of_utt[b] = -1;
            if (b == 3) continue;
            for (int t = 0; t < T; t++) {
                size_t k = (size_t)b * (size_t)T + (size_t)t;
                d[t] = (double)audio[k] - clean[k];
                in[t] = (float)d[t];
            }
            fftwf_execute(p);
            for (int i = 0; i < nb; i++) pw[i] = (double)out[i][0] * out[i][0] + (double)out[i][1] * out[i][1];
            int c = of_utt[b] = classify(d, pw, ua, un, train.n);
            count[c]++;
            for (int a = 0; a < b; a++)
                if (of_utt[a] >= 0 && utt[a] == utt[b] && of_utt[a] != c) *mixed = 1;
        }
    }
    fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(out);
    for (size_t u = 0; u < train.n; u++) free(ua[u]);
    free(ua), free(un), free(d), free(pw);
    done(ch);
}

static void multi_type(void)
{
    /* Every type in one list: the SNR is still exact on every chunk. */
    char *extra = sp_xasprintf("band = 1200-1600,1800-2100\nfile = %s\n", wav);
    double worst = snr_fixed("white,pink,brown,band,babble,tone,file", extra);
    CHECK_MSG(worst < 1e-5, "every type in a list: SNR off by %.3g dB", worst);
    free(extra);
    extra = sp_xasprintf("band = 1200-1600,1800-2100\nfile = %s\nscope = utterance\n", wav);
    worst = snr_fixed("white,pink,brown,band,babble,tone,file", extra);
    CHECK_MSG(worst < 1e-5, "every type in a list, scope utterance: SNR off by %.3g dB", worst);
    free(extra);

    /* Every listed type is drawn, about equally often, per chunk. */
    int count[C_NONE + 1], mixed;
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = " LIST6 "\nband = 5000-6000\nfreq = 500\nk = 1\n"
                              "file = %s\nsnr_db = 0:10\n", wav16);
    classes(text, 8, count, &mixed);
    int n = 0;
    for (int c = 0; c <= C_NONE; c++) n += count[c];
    printf("noise type = " LIST6 ", scope chunk: %d chunks:", n);
    for (int c = 0; c <= C_NONE; c++) printf(" %s %d", class_names[c], count[c]);
    printf("\n");
    CHECK_MSG(count[C_NONE] == 0, "type list: %d chunks of no listed type", count[C_NONE]);
    for (int c = 0; c < C_NONE; c++)
        CHECK_MSG(count[c] >= n / 6 / 3 && count[c] <= n / 6 * 2, "type list: %s drawn for %d of %d chunks",
                  class_names[c], count[c], n);
    free(text);

    /* scope utterance: one type per utterance, several types over them. */
    text = sp_xasprintf("[probe n]\nuse = noise\ntype = " LIST6 "\nband = 5000-6000\nfreq = 500\nk = 1\nfile = %s\n"
                        "scope = utterance\n", wav16);
    classes(text, 1, count, &mixed);
    int kinds = 0;
    printf("noise type = " LIST6 ", scope utterance:");
    for (int c = 0; c <= C_NONE; c++) {
        printf(" %s %d", class_names[c], count[c]);
        kinds += c < C_NONE && count[c] > 0;
    }
    printf("\n");
    CHECK_MSG(!mixed, "type list, scope utterance: chunks of one utterance got other types");
    CHECK_MSG(count[C_NONE] == 0, "type list, scope utterance: %d chunks of no listed type", count[C_NONE]);
    CHECK_MSG(kinds >= 2 || train.n < 3, "type list, scope utterance: %d types over %zu utterances", kinds, train.n);
    free(text);
}

/* ---- roles, determinism, scope */

static int eval_changed(sp_probe_chain *ch, sp_probe_role role)
{
    sp_probe_chain_eval_begin(ch, role, role == SP_PROBE_TEST ? 0 : 1);
    int n = 4;
    for (int i = 0; i < n * T; i++) audio[i] = clean[i] = (float)(0.3 * sin(0.05 * i));
    sp_error err;
    CHECK_MSG(sp_probe_chain_eval_batch(ch, 0, 10, n, audio, T, &err) == 0, "%s", err.msg);
    return memcmp(audio, clean, (size_t)n * (size_t)T * sizeof *audio) != 0;
}

static int train_changed(sp_probe_chain *ch)
{
    train_batch(ch, 0);
    return memcmp(audio, clean, (size_t)B * (size_t)T * sizeof *audio) != 0;
}

static void roles(void)
{
    sp_error err;
    sp_probe_chain *ch = chain("[probe n]\nuse = noise\n", SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch && train_changed(ch), "default apply_to: train not noised");
    CHECK_MSG(ch && !eval_changed(ch, SP_PROBE_DEV), "default apply_to: dev noised");
    done(ch);
    ch = chain("[probe n]\nuse = noise\napply_to = train, dev\n", SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch && train_changed(ch) && eval_changed(ch, SP_PROBE_DEV), "apply_to = train,dev");
    done(ch);
    ch = chain("[probe n]\nuse = noise\napply_to = dev\n", SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch && !train_changed(ch) && eval_changed(ch, SP_PROBE_DEV), "apply_to = dev");
    done(ch);
    ch = chain("[probe n]\nuse = noise\napply_to = test\n", SP_PROBE_MODE_EVAL, &err);
    CHECK_MSG(ch && eval_changed(ch, SP_PROBE_TEST), "eval, apply_to = test: test not noised (%s)", ch ? "" : err.msg);
    done(ch);
    ch = chain("[probe n]\nuse = noise\napply_to = train,dev\n", SP_PROBE_MODE_EVAL, &err);
    CHECK_MSG(ch && !eval_changed(ch, SP_PROBE_TEST), "eval, apply_to = train,dev: test noised");
    done(ch);
}

static float *noised(const char *text, long step)
{
    sp_error err;
    sp_probe_chain *ch = chain(text, SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    float *copy = sp_xmalloc((size_t)B * (size_t)T * sizeof *copy);
    if (ch) train_batch(ch, step);
    memcpy(copy, audio, (size_t)B * (size_t)T * sizeof *copy);
    done(ch);
    return copy;
}

/* type clean: nothing added. Alone, the audio stays as it was; in a list
 * (clean,white), some chunks come out untouched and the others noised at
 * the SNR asked, and which is which follows the seed. */
static void clean_type(void)
{
    size_t bytes = (size_t)B * (size_t)T * sizeof(float);
    float *alone = noised("[probe n]\nuse = noise\ntype = clean\n", 3);
    fill();
    CHECK_MSG(!memcmp(alone, clean, bytes), "type = clean changed the audio");
    free(alone);
    int untouched = 0, noised_ok = 0, silent = 0;
    float *mix = noised("[probe n]\nuse = noise\ntype = clean,white\nsnr_db = 5\n", 3);
    memcpy(audio, mix, bytes);
    for (int b = 0; b < B; b++) {
        if (power(clean + (size_t)b * (size_t)T) == 0) {
            silent++;
            continue;
        }
        double snr = snr_of(b);
        if (isnan(snr)) untouched++;
        else noised_ok += fabs(snr - 5) < 0.01;
    }
    CHECK_MSG(untouched > 0 && noised_ok > 0 && untouched + noised_ok + silent == B,
              "clean,white: %d chunks untouched, %d noised at 5 dB, %d silent, of %d", untouched, noised_ok, silent, B);
    free(mix);
}

static void determinism(void)
{
    size_t bytes = (size_t)B * (size_t)T * sizeof(float);
    const char *types[] = { "white", "brown", "band\nband = 100-200", "babble", "tone", "file",
                            "band\nband = 100-200,1000-1500", "white,pink,babble", "tone, band,white\nband = 300-400,600-700" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char *t1 = sp_xasprintf("[probe n]\nuse = noise\ntype = %s\n%s", types[i], !strcmp(types[i], "file") ? "" : "");
        if (!strcmp(types[i], "file")) {
            free(t1);
            t1 = sp_xasprintf("[probe n]\nuse = noise\ntype = file\nfile = %s\n", wav);
        }
        char *t2 = sp_xasprintf("%sseed = 99\n", t1);
        float *a = noised(t1, 3), *b = noised(t1, 3), *c = noised(t2, 3), *d = noised(t1, 4);
        CHECK_MSG(!memcmp(a, b, bytes), "%s: the same seed gave other noise", types[i]);
        CHECK_MSG(memcmp(a, c, bytes) != 0, "%s: seed = 99 gave the same noise", types[i]);
        CHECK_MSG(memcmp(a, d, bytes) != 0, "%s: another step gave the same noise", types[i]);
        free(a), free(b), free(c), free(d), free(t1), free(t2);
    }
}

/* scope = utterance: chunks b and b + n (n utterances) of one utterance
 * overlap; where they do, the added noise is one signal, each chunk's
 * slice scaled by its own factor: the overlapping noise is perfectly
 * correlated. */
static void utterance_scope(const char *type)
{
    char *text = sp_xasprintf("[probe n]\nuse = noise\ntype = %s\nscope = utterance\n", type);
    float *a = noised(text, 0);
    int pairs = 0;
    for (int b = 0; b + (int)train.n < B; b++) {
        int c = b + (int)train.n;
        if (b == 3 || c == 3 || utt[b] != utt[c]) continue;
        long d = st[c] - st[b];
        if (d <= 0 || d >= T) continue;
        double sab = 0, saa = 0, sbb = 0;
        for (long t = d; t < T; t++) {
            double nb_ = (double)a[(size_t)b * (size_t)T + (size_t)t] - clean[(size_t)b * (size_t)T + (size_t)t];
            double nc = (double)a[(size_t)c * (size_t)T + (size_t)(t - d)] - clean[(size_t)c * (size_t)T + (size_t)(t - d)];
            sab += nb_ * nc, saa += nb_ * nb_, sbb += nc * nc;
        }
        double r = sab / sqrt(saa * sbb);
        pairs++;
        CHECK_MSG(r > 0.999, "%s, scope utterance: chunks %d and %d overlap with correlation %.4f", type, b, c, r);
    }
    CHECK_MSG(pairs > 0, "%s, scope utterance: no overlapping chunks to compare", type);
    /* Another step: the same utterance noise. */
    float *e = noised(text, 7);
    CHECK_MSG(!memcmp(a, e, (size_t)B * (size_t)T * sizeof *a), "%s, scope utterance: noise changed with the step", type);
    free(a);
    free(e);
    free(text);
}

/* ---- single types: the same noise as before multi-band and multi-type
 * noise came (issue 10)
 *
 * A fingerprint of the noise one config adds to the synthetic batch at
 * step 3 with seed 7: e = sum d^2 and p = sum w_i d_i over the batch, with
 * d the added noise and w_i = +-1 a fixed hash sign of i. Another RNG draw
 * or another order of draws changes p completely; rounding differences of
 * another libm or FFTW build change it by ~1e-7 relative. The reference
 * values were printed by the code of commit 76c0b5b (before the type list
 * and band list), whose RNG draws a single type must keep. The FNV-1a hash
 * of the noisy batch is compared too, but only counted: bit identity holds
 * on the machine that made the table, not across FFTW and libm builds.
 * NOISE_PRINT_FINGERPRINTS=1 prints the rows of the table. */

typedef struct {
    const char *opts;
    double e, p;
    uint64_t fnv;
} fingerprint;

static const fingerprint before[] = {
    { "white snr_db = 5", 7.4446350983e+01, -1.2228819997e+01, 0xcfce8f387f1a8d5eULL },
    { "white snr_db = -5:15", 2.5756880595e+02, -1.3083796329e+01, 0x23813bf7233f0902ULL },
    { "white snr_db = -5:15 scope = utterance", 2.0446728458e+02, 1.8770608011e+01, 0xff74042198c7e7e6ULL },
    { "pink snr_db = 5", 7.4446350699e+01, -6.3020498413e+00, 0x7737e13d6c1ad4f1ULL },
    { "pink snr_db = -5:15", 2.5756880584e+02, -7.2612933768e+00, 0xee86be7303ed4c8bULL },
    { "pink snr_db = -5:15 scope = utterance", 2.0446728488e+02, 1.1917044749e+01, 0xf999887b35c09902ULL },
    { "brown snr_db = 5", 7.4446350917e+01, -5.7295935527e-01, 0xcd0a4af564be1a3cULL },
    { "brown snr_db = -5:15", 2.5756880576e+02, -2.8243739387e+00, 0x745087506550a803ULL },
    { "brown snr_db = -5:15 scope = utterance", 2.0446728481e+02, 2.4154689660e+00, 0x12dd89b91257e895ULL },
    { "band band = 2000-4000 snr_db = 5", 7.4446350766e+01, -1.0350256816e+01, 0x96597bbbb257de47ULL },
    { "band band = 2000-4000 snr_db = -5:15", 2.5756880603e+02, 1.9581093550e+00, 0x6d5ae2a3387543f5ULL },
    { "band band = 2000-4000 snr_db = -5:15 scope = utterance", 2.0446728460e+02, 1.2013322352e+01, 0x18ca9b5b6d20b3bfULL },
    { "babble snr_db = 5", 7.4446350845e+01, 8.4690835446e-01, 0x8e3661ef310e79e5ULL },
    { "babble snr_db = -5:15", 1.2089933798e+02, -2.1915668381e+00, 0xf85292f783e32a3dULL },
    { "babble snr_db = -5:15 scope = utterance", 2.0446728467e+02, -9.7790273555e-01, 0x4ce1014d500efd48ULL },
    { "tone snr_db = 5", 7.4446350472e+01, 2.0375443122e-01, 0x10d5b62966dac290ULL },
    { "tone snr_db = -5:15", 1.5825197977e+02, 1.8070156326e+00, 0x3c87df1bb95cd5bdULL },
    { "tone snr_db = -5:15 scope = utterance", 2.0446728847e+02, 2.0099335210e-01, 0xedb540f088c183afULL },
    { "file snr_db = 5", 7.4446350956e+01, -2.3393104587e+00, 0x54f33fca301f8b39ULL },
    { "file snr_db = -5:15", 1.5825198138e+02, 3.8458721727e+00, 0x32c08ba5c373adc9ULL },
    { "file snr_db = -5:15 scope = utterance", 2.0446728460e+02, 1.2318434936e+01, 0x8016bcd2c1e64180ULL },
};

static void fingerprint_of(const float *a, double *e, double *p, uint64_t *fnv)
{
    *e = *p = 0;
    *fnv = 1469598103934665603ULL;
    const unsigned char *bytes = (const unsigned char *)a;
    for (size_t i = 0; i < (size_t)B * (size_t)T * sizeof *a; i++) *fnv = (*fnv ^ bytes[i]) * 1099511628211ULL;
    for (size_t i = 0; i < (size_t)B * (size_t)T; i++) {
        double d = (double)a[i] - clean[i];
        uint32_t h = (uint32_t)i * 2654435761u;
        *e += d * d;
        *p += (h >> 16 & 1) ? d : -d;
    }
}

static void single_types(void)
{
    static const char *const types[] = { "white", "pink", "brown", "band\nband = 2000-4000", "babble", "tone", "file" };
    static const char *const scopes[] = { "snr_db = 5", "snr_db = -5:15", "snr_db = -5:15\nscope = utterance" };
    size_t k = 0, same = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        for (size_t j = 0; j < sizeof scopes / sizeof scopes[0]; j++, k++) {
            char *text = !strcmp(types[i], "file")
                             ? sp_xasprintf("[probe n]\nuse = noise\nseed = 7\ntype = file\nfile = %s\n%s\n", wav, scopes[j])
                             : sp_xasprintf("[probe n]\nuse = noise\nseed = 7\ntype = %s\n%s\n", types[i], scopes[j]);
            char opts[128];
            snprintf(opts, sizeof opts, "%s %s", types[i], scopes[j]);
            for (char *q = opts; *q; q++)
                if (*q == '\n') *q = ' ';
            float *a = noised(text, 3);
            double e, p;
            uint64_t fnv;
            fingerprint_of(a, &e, &p, &fnv);
            if (getenv("NOISE_PRINT_FINGERPRINTS"))
                printf("    { \"%s\", %.10e, %.10e, 0x%016llxULL },\n", opts, e, p, (unsigned long long)fnv);
            if (k < sizeof before / sizeof before[0] && before[k].opts) {
                CHECK_MSG(!strcmp(before[k].opts, opts), "fingerprint table row %zu is '%s', not '%s'", k, before[k].opts, opts);
                double scale = sqrt(before[k].e); /* the size of p */
                CHECK_MSG(fabs(e - before[k].e) <= 1e-5 * before[k].e && fabs(p - before[k].p) <= 1e-5 * scale,
                          "%s: not the noise of before (e %.10e p %.10e, want %.10e %.10e)", opts, e, p, before[k].e,
                          before[k].p);
                same += fnv == before[k].fnv;
            }
            free(a);
            free(text);
        }
    CHECK_MSG(k == sizeof before / sizeof before[0], "%zu single-type configs, %zu rows in the table", k,
              sizeof before / sizeof before[0]);
    printf("noise single types: %zu configs as before (1e-5), %zu of them bit for bit\n", k, same);
}

/* ---- the rig */

static sp_dataset fake(int nutt, long samples, unsigned seed)
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
        /* A voiced-like signal: harmonics of a wandering f0, amplitude
         * modulated at a syllable rate, plus a little noise. */
        double ph = 0;
        for (long s = 0; s < samples; s++) {
            double f0 = 110 + 30 * i + 20 * sin(2 * M_PI * 3 * (double)s / 16000);
            ph += 2 * M_PI * f0 / 16000;
            double v = 0;
            for (int h = 1; h <= 10; h++) v += sin(h * ph) / h;
            v *= 0.5 + 0.5 * sin(2 * M_PI * 4 * (double)s / 16000 + i);
            v += 0.02 * sp_rng_normal(&r);
            u->audio[s] = (int16_t)(6000 * v);
        }
        u->nframes = samples / 160;
        u->label = sp_xmalloc((size_t)u->nframes);
        for (long f = 0; f < u->nframes; f++) u->label[f] = (int8_t)((f / 5 + i) % 48);
        u->phones48 = sp_xcalloc(1, sizeof(int));
        ds.samples += samples;
        ds.frames += u->nframes;
    }
    return ds;
}

static int write_wav(const char *path)
{
    /* A two-channel 22050 Hz file of a chirp and noise: mixed, resampled. */
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 22050;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    long n = 22050;
    float *x = sp_xmalloc((size_t)n * 2 * sizeof *x);
    sp_rng r;
    sp_rng_seed(&r, 3, 3);
    for (long i = 0; i < n; i++) {
        x[2 * i] = (float)(0.3 * sin(2 * M_PI * (200 + 0.05 * (double)i) * (double)i / 22050));
        x[2 * i + 1] = (float)(0.1 * sp_rng_normal(&r));
    }
    sf_writef_float(f, x, n);
    sf_close(f);
    free(x);
    return 0;
}

/* A mono 16 kHz file (no resampling): noise, so that a slice of it is
 * found only where it is; its samples as the probe reads them. */
static int write_wav16(const char *path)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 16000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    short *x = sp_xmalloc(WAV16_N * sizeof *x);
    wav16_samples = sp_xmalloc(WAV16_N * sizeof *wav16_samples);
    sp_rng r;
    sp_rng_seed(&r, 4, 4);
    for (long i = 0; i < WAV16_N; i++) {
        x[i] = (short)lrint(3000 * sp_rng_normal(&r));
        wav16_samples[i] = (float)(x[i] / 32768.0);
    }
    long w = (long)sf_writef_short(f, x, WAV16_N);
    sf_close(f);
    free(x);
    return w == WAV16_N ? 0 : -1;
}

int main(void)
{
    const char *top = getenv("top_builddir");
    if (!top) top = ".";
    char real[4096];
    plugin_dir = sp_xasprintf("%s/plugins/.libs", top);
    if (realpath(plugin_dir, real)) {
        free(plugin_dir);
        plugin_dir = sp_xstrdup(real);
    }
    setenv("SINCPROBE_PLUGIN_PATH", plugin_dir, 1);

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
        fprintf(stderr, "test_noise: %s\n", err.msg);
        return 1;
    }
    T = model.T;
    const char *corpus = getenv("NOISE_CORPUS");
    if (corpus && *corpus) {
        sp_diag_init(&d, 0);
        if (sp_dataset_load(&train, corpus, SP_SPLIT_TRAIN, 0, 0, &ps, &d, &err) != 0 ||
            sp_dataset_load(&dev, corpus, SP_SPLIT_DEV, 0, 0, &ps, &d, &err) != 0) {
            fprintf(stderr, "test_noise: %s: %s\n", corpus, err.msg);
            return 1;
        }
        sp_diag_free(&d);
        printf("test_noise: real chunks of %s (%zu train utterances), T = %d\n", corpus, train.n, T);
    } else {
        train = fake(5, 32000, 1);
        dev = fake(3, 16000, 2);
        printf("test_noise: synthetic chunks, T = %d\n", T);
    }
    dir = sp_test_tmpdir();
    wav = sp_path_join(dir, "noise.wav");
    CHECK(write_wav(wav) == 0);
    wav16 = sp_path_join(dir, "noise16.wav");
    CHECK(write_wav16(wav16) == 0);
    clean = sp_xmalloc((size_t)B * (size_t)T * sizeof *clean);
    audio = sp_xmalloc((size_t)B * (size_t)T * sizeof *audio);

    refusals();
    const char *types[] = { "white", "pink", "brown", "babble", "tone" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        snr_fixed(types[i], "");
        snr_fixed(types[i], "scope = utterance\n");
    }
    snr_fixed("band", "band = 2000-4000\n");
    snr_fixed("band", "band = 2000-4000\nscope = utterance\n");
    snr_fixed("tone", "freq = 440.5\n");
    snr_fixed("babble", "k = 1\n");
    char *fo = sp_xasprintf("file = %s\n", wav);
    snr_fixed("file", fo);
    char *fu = sp_xasprintf("file = %s\nscope = utterance\n", wav);
    snr_fixed("file", fu);
    free(fo);
    free(fu);
    printf("noise: worst SNR error over all types %.2e dB\n", worst_snr_err);
    snr_range("chunk");
    snr_range("utterance");
    spectra();
    roles();
    determinism();
    clean_type();
    utterance_scope("white");
    utterance_scope("tone");
    utterance_scope("babble");
    utterance_scope("white,tone,babble");
    multi_band("chunk", 0.99, 0.05);
    multi_band("utterance", 0.95, 0.1);
    multi_type();
    if (!(corpus && *corpus)) single_types();

    free(clean);
    free(audio);
    sp_model_free(&model);
    sp_dataset_free(&train);
    sp_dataset_free(&dev);
    sp_test_rmtree(dir);
    free(dir);
    free(wav);
    free(wav16);
    free(wav16_samples);
    free(plugin_dir);
    return sp_test_result("test_noise");
}
