/* test_rir.c - the room acoustics of analysis/rir.h against closed-form
 * facts:
 *
 * - Sabine's formula both ways, and refused where no absorption fits;
 * - an anechoic room (beta = 0): one arrival, at distance / c to the
 *   sample, of amplitude 1 / (4 pi d); with the windowed sinc, taps that
 *   sum to that amplitude and whose centroid is the fractional delay;
 * - a microphone near a wall (nearest sample): the only arrivals before
 *   the first second-order image are the direct path, the reflection off
 *   that wall (beta / (4 pi d1)) and the two equal floor and ceiling
 *   reflections landing on one sample (twice beta / (4 pi d2));
 * - the energy decay (Schroeder, T20) of a few rooms against Sabine's and
 *   Eyring's RT60;
 * - onsets, room draws (inside the margins, distances, lengths), range
 *   checks, RIR files (first channel, resampled) and the FFT convolution
 *   against a direct sum. Prints what it measures. */
#include "config.h"
#include "analysis/rir.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>
#include <sndfile.h>

#define FS 16000

static sp_rir_room room(double lx, double ly, double lz, const double s[3], const double m[3], double beta,
                        long length, int interp)
{
    sp_rir_room r;
    memset(&r, 0, sizeof r);
    r.room[0] = lx, r.room[1] = ly, r.room[2] = lz;
    for (int i = 0; i < 3; i++) r.src[i] = s[i], r.mic[i] = m[i];
    r.beta = beta;
    r.rate = FS;
    r.length = length;
    r.interp = interp;
    return r;
}

static void sabine(void)
{
    double L[3] = { 6, 5, 3 };
    /* V = 90, S = 126: a = 0.161 V / (S RT60) */
    double a = sp_rir_sabine_absorption(L, 0.5);
    CHECK_MSG(fabs(a - 24 * log(10) / 343.0 * 90 / (126 * 0.5)) < 1e-12, "absorption %g", a);
    double beta = sp_rir_sabine_beta(L, 0.5);
    CHECK_MSG(fabs(beta - sqrt(1 - a)) < 1e-12, "beta %g", beta);
    CHECK_MSG(fabs(sp_rir_sabine_rt60(L, beta) - 0.5) < 1e-12, "round trip %g", sp_rir_sabine_rt60(L, beta));
    double big[3] = { 30, 30, 10 };
    CHECK_MSG(sp_rir_sabine_beta(big, 0.1) < 0, "a 0.1 s RT60 in a 30 m hall has no absorption <= 1");
    CHECK(isinf(sp_rir_sabine_rt60(L, 1)));
}

static void anechoic(void)
{
    double s[3] = { 1, 1, 1.5 }, m[3] = { 4.2, 3.1, 1.2 };
    sp_rir_room r = room(6, 5, 3, s, m, 0, 400, SP_RIR_NEAREST);
    float h[400];
    sp_error err;
    double d = sp_rir_distance(&r), tau = d * FS / SP_RIR_C;
    CHECK_MSG(fabs(sp_rir_direct_delay(&r) - tau) < 1e-12, "direct delay");
    CHECK_MSG(sp_rir_image(&r, h, &err) > 0, "%s", err.msg);
    long at = lround(tau), nonzero = 0;
    for (long i = 0; i < 400; i++) nonzero += h[i] != 0;
    CHECK_MSG(nonzero == 1 && fabs(h[at] - 1 / (4 * M_PI * d)) < 1e-7, "anechoic, nearest: %ld arrivals, h[%ld] = %g, want %g",
              nonzero, at, h[at], 1 / (4 * M_PI * d));
    CHECK_MSG(sp_rir_onset(h, 400) == at, "onset %ld, want %ld", sp_rir_onset(h, 400), at);
    printf("anechoic: d = %.4f m, delay %.3f samples, arrival at %ld\n", d, tau, at);

    /* The windowed sinc: for several fractional delays, taps summing to
     * the amplitude (the DC gain of a band-limited impulse) with their
     * centroid at tau, and the onset the nearest sample. */
    double worst_sum = 0, worst_c = 0, worst_gain = 0, lowest_peak = 1;
    for (int k = 0; k < 8; k++) {
        m[0] = 4.2 + 0.00271 * k; /* tau moves by about 1/8 sample a step */
        r = room(6, 5, 3, s, m, 0, 400, SP_RIR_SINC);
        CHECK(sp_rir_image(&r, h, &err) > 0);
        d = sp_rir_distance(&r), tau = d * FS / SP_RIR_C;
        double sum = 0, c = 0, a = 1 / (4 * M_PI * d);
        for (long i = 0; i < 400; i++) sum += h[i], c += i * (double)h[i];
        c /= sum;
        if (fabs(sum / a - 1) > worst_sum) worst_sum = fabs(sum / a - 1);
        if (fabs(c - tau) > worst_c) worst_c = fabs(c - tau);
        long on = sp_rir_onset(h, 400);
        CHECK_MSG(fabs((double)on - tau) <= 0.5 + 1.0 / SP_RIR_SINC_STEPS, "sinc onset %ld, tau %.3f", on, tau);
        /* the direct path's gain over the speech band is its amplitude,
         * whatever its peak sample */
        double g = sp_rir_direct_gain(h, 400, on, FS);
        if (fabs(g / a - 1) > worst_gain) worst_gain = fabs(g / a - 1);
        if (h[on] / a < lowest_peak) lowest_peak = h[on] / a;
    }
    CHECK_MSG(worst_gain < 0.01, "direct gain within %.4f of the amplitude", worst_gain);
    CHECK_MSG(lowest_peak < 0.8, "no fraction near 1/2 among the delays (peak sample at least %.2f)", lowest_peak);
    CHECK_MSG(worst_sum < 0.01, "sinc taps sum to the amplitude within %.4f", worst_sum);
    CHECK_MSG(worst_c < 0.02, "sinc centroid within %.4f samples of the delay", worst_c);
    printf("anechoic, windowed sinc: taps' sum within %.2e of 1/(4 pi d), centroid within %.4f samples of d/c; direct "
           "gain within %.1e of it (peak sample down to %.2f of it)\n",
           worst_sum, worst_c, worst_gain, lowest_peak);
}

/* A microphone 0.3 m from the wall x = 0, the source 2 m further along
 * x, both at mid height in a 6 x 5 x 3 m room. */
static void first_order(void)
{
    double s[3] = { 2.3, 2.5, 1.5 }, m[3] = { 0.3, 2.5, 1.5 }, beta = 0.9;
    sp_rir_room r = room(6, 5, 3, s, m, beta, 600, SP_RIR_NEAREST);
    float h[600];
    sp_error err;
    CHECK_MSG(sp_rir_image(&r, h, &err) > 0, "%s", err.msg);
    double d0 = 2.0;                              /* direct */
    double d1 = 2.3 + 0.3;                        /* off x = 0: the image at x = -2.3 */
    double d2 = sqrt(2.0 * 2.0 + 3.0 * 3.0);      /* off the floor or the ceiling: dz = 3 either way */
    double d3 = sqrt(2.6 * 2.6 + 3.0 * 3.0);      /* the first second-order image (x = 0 and floor) */
    long i0 = lround(d0 * FS / SP_RIR_C), i1 = lround(d1 * FS / SP_RIR_C), i2 = lround(d2 * FS / SP_RIR_C);
    long i3 = lround(d3 * FS / SP_RIR_C);
    double want[600] = { 0 };
    want[i0] = 1 / (4 * M_PI * d0);
    want[i1] = beta / (4 * M_PI * d1);
    want[i2] = 2 * beta / (4 * M_PI * d2);
    double worst = 0;
    for (long i = 0; i < i3; i++) {
        double e = fabs(h[i] - want[i]);
        if (e > worst) worst = e;
        CHECK_MSG(e < 1e-7, "sample %ld: %g, want %g", i, h[i], want[i]);
    }
    CHECK_MSG(h[i3] != 0, "the second-order arrival at %ld is missing", i3);
    printf("first order (mic 0.3 m from a wall): arrivals at %ld, %ld, %ld (x2) samples as d/c; worst error %.1e\n", i0,
           i1, i2, worst);
}

/* The decay the image method should show: in direction u an image at
 * distance r has met about r g(u) walls, g(u) = |ux|/Lx + |uy|/Ly +
 * |uz|/Lz, and images fill space evenly (one per room volume), so the
 * energy arriving at time t is proportional to the mean over directions
 * of beta^(2 c t g(u)): a mixture of exponentials, slower along the long
 * axes (Lehmann and Johansson, 2008, predict the image method's decay
 * this way). Its T20 over n samples, as measured on a response. */
static double specular_t20(const double L[3], double beta, long n)
{
    enum { NDIR = 4000, NBIN = 400 };
    double gmax = 1 / L[0] + 1 / L[1] + 1 / L[2], w[NBIN] = { 0 };
    /* g over a Fibonacci lattice of the sphere, histogrammed */
    for (int i = 0; i < NDIR; i++) {
        double z = 1 - 2 * (i + 0.5) / NDIR, rho = sqrt(1 - z * z), phi = M_PI * (1 + sqrt(5)) * (i + 0.5);
        double g = fabs(rho * cos(phi)) / L[0] + fabs(rho * sin(phi)) / L[1] + fabs(z) / L[2];
        int b = (int)(g / gmax * NBIN);
        w[b < NBIN ? b : NBIN - 1] += 1.0 / NDIR;
    }
    float *e = sp_xmalloc((size_t)n * sizeof *e);
    for (long t = 0; t < n; t++) {
        double v = 0;
        for (int b = 0; b < NBIN; b++)
            if (w[b] > 0) v += w[b] * exp(2 * log(beta) * SP_RIR_C * t / FS * (b + 0.5) / NBIN * gmax);
        e[t] = (float)sqrt(v); /* an amplitude, as sp_rir_decay_rt60 squares it */
    }
    double t20 = sp_rir_decay_rt60(e, n, FS, -5, -25);
    free(e);
    return t20;
}

/* Schroeder T20 of a room, raw and high-passed at hp Hz: against the
 * specular prediction above when model_tol > 0, Sabine's target when
 * sabine_tol > 0, else only slower than Sabine's (Eyring's printed
 * beside). */
static void decay(double lx, double ly, double lz, double rt60, double hp, double sabine_tol, double model_tol,
                  double *worst)
{
    double L[3] = { lx, ly, lz };
    double s[3] = { 0.31 * lx, 0.42 * ly, 0.55 * lz }, m[3] = { 0.67 * lx, 0.61 * ly, 0.45 * lz };
    double beta = sp_rir_sabine_beta(L, rt60);
    long n = (long)(1.5 * rt60 * FS);
    sp_rir_room r = room(lx, ly, lz, s, m, beta, n, SP_RIR_SINC);
    float *h = sp_xmalloc((size_t)n * sizeof *h);
    sp_error err;
    long images = sp_rir_image(&r, h, &err);
    CHECK_MSG(images > 0, "%s", err.msg);
    double raw = sp_rir_decay_rt60(h, n, FS, -5, -25);
    long on = sp_rir_onset(h, n);
    r.highpass_hz = hp;
    CHECK(sp_rir_image(&r, h, &err) == images);
    CHECK_MSG(sp_rir_onset(h, n) == on, "the high-pass moved the onset from %ld to %ld", on, sp_rir_onset(h, n));
    double t20 = sp_rir_decay_rt60(h, n, FS, -5, -25), model = specular_t20(L, beta, n);
    double a = 1 - beta * beta;
    double eyring = 24 * log(10) / SP_RIR_C * lx * ly * lz / (-2 * (lx * ly + lx * lz + ly * lz) * log(1 - a));
    double rel = t20 / rt60 - 1;
    CHECK_MSG(model_tol == 0 || fabs(t20 / model - 1) < model_tol, "room %gx%gx%g: T20 %.3f s, the specular prediction %.3f s", lx, ly, lz, t20,
              model);
    CHECK_MSG(sabine_tol > 0 ? fabs(rel) < sabine_tol : rel > 0,
              "room %gx%gx%g: T20 RT60 %.3f s, Sabine target %.3f s (%+.1f%%)", lx, ly, lz, t20, rt60, 100 * rel);
    CHECK_MSG(raw > t20, "the raw response decays no slower (%.3f s) than the high-passed (%.3f s)", raw, t20);
    if (sabine_tol > 0 && fabs(rel) > *worst) *worst = fabs(rel);
    printf("decay %4.1f x %4.1f x %3.1f m, beta %.3f, high-pass %3g Hz: T20 %.3f s (raw %.3f s); specular %.3f s, "
           "Sabine %.3f s (%+.1f%%), Eyring %.3f s; %ld images\n",
           lx, ly, lz, beta, hp, t20, raw, model, rt60, 100 * rel, eyring, images);
    free(h);
}

static double lcg(void *state)
{
    uint64_t *s = state;
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static void draws(void)
{
    sp_rir_ranges g;
    memset(&g, 0, sizeof g);
    g.dim[0] = (sp_rir_range){ 3, 10 }, g.dim[1] = (sp_rir_range){ 3, 8 }, g.dim[2] = (sp_rir_range){ 2.5, 4 };
    g.rt60 = (sp_rir_range){ 0.2, 0.7 };
    g.distance = (sp_rir_range){ 0.5, 3 };
    g.margin = 0.5;
    g.max_s = 0.5;
    g.rate = FS;
    int which;
    sp_error err;
    CHECK_MSG(sp_rir_ranges_check(&g, &which, &err) == 0, "%s", err.msg);
    long maxlen = sp_rir_ranges_max_length(&g), shrunk = 0;
    CHECK_MSG(maxlen == 8000, "max length %ld, want the 0.5 s cap", maxlen);
    uint64_t st = 5;
    for (int k = 0; k < 200; k++) {
        sp_rir_room r;
        CHECK_MSG(sp_rir_draw(&g, lcg, &st, &r, &err) == 0, "%s", err.msg);
        for (int i = 0; i < 3; i++) {
            CHECK(r.room[i] >= g.dim[i].lo && r.room[i] <= g.dim[i].hi);
            CHECK(r.mic[i] >= 0.5 - 1e-9 && r.mic[i] <= r.room[i] - 0.5 + 1e-9);
            CHECK(r.src[i] >= 0.5 - 1e-9 && r.src[i] <= r.room[i] - 0.5 + 1e-9);
        }
        double d = sp_rir_distance(&r);
        CHECK_MSG(d <= 3 + 1e-9 && d > 0, "distance %g", d);
        shrunk += d < 0.5;
        CHECK(fabs(sp_rir_sabine_rt60(r.room, r.beta) - r.rt60) < 1e-9);
        long want = (long)ceil(sp_rir_direct_delay(&r) + r.rt60 * FS);
        CHECK_MSG(r.length == (want < 8000 ? want : 8000) && r.length <= maxlen, "length %ld", r.length);
    }
    printf("draws: 200 rooms inside their margins, %ld distances shrunk below the range to fit\n", shrunk);
    /* sp_rir_onset finds the direct path of simulated rooms (high-passed,
     * windowed sinc), where the maximum of |h| is sometimes a group of
     * reflections arriving together */
    g.max_s = 0.15;
    g.highpass_hz = 50;
    float *h = sp_xmalloc(2400 * sizeof *h);
    int found = 0, not_max = 0;
    for (int k = 0; k < 100; k++) {
        sp_rir_room r;
        sp_rir_draw(&g, lcg, &st, &r, &err);
        CHECK(sp_rir_image(&r, h, &err) > 0);
        double tau = sp_rir_direct_delay(&r);
        long on = sp_rir_onset(h, r.length), top = 0;
        for (long i = 0; i < r.length; i++)
            if (fabs(h[i]) > fabs(h[top])) top = i;
        not_max += labs(top - on) > 1;
        found += fabs((double)on - tau) <= 0.5 + 1.0 / SP_RIR_SINC_STEPS;
        CHECK_MSG(fabs((double)on - tau) <= 0.5 + 1.0 / SP_RIR_SINC_STEPS, "room %d: onset %ld, direct path at %.2f", k,
                  on, tau);
    }
    printf("onsets: the direct path found in %d of 100 drawn rooms; in %d of them max |h| is elsewhere\n", found, not_max);
    free(h);
    /* the same state draws the same room */
    sp_rir_room a, b;
    st = 9;
    sp_rir_draw(&g, lcg, &st, &a, &err);
    st = 9;
    sp_rir_draw(&g, lcg, &st, &b, &err);
    CHECK(!memcmp(&a, &b, sizeof a));

    /* refusals, each naming what is wrong */
    sp_rir_ranges bad = g;
    bad.rt60.lo = 0.05;
    CHECK(sp_rir_ranges_check(&bad, &which, &err) != 0 && which == 1 && strstr(err.msg, "shorter than Sabine's formula allows"));
    bad = g;
    bad.margin = 2;
    CHECK(sp_rir_ranges_check(&bad, &which, &err) != 0 && which == 3 && strstr(err.msg, "margin of 2 m"));
    bad = g;
    bad.distance = (sp_rir_range){ 3, 1 };
    CHECK(sp_rir_ranges_check(&bad, &which, &err) != 0 && which == 2);
    bad = g;
    bad.dim[1].lo = 0;
    CHECK(sp_rir_ranges_check(&bad, &which, &err) != 0 && which == 0 && strstr(err.msg, "room y"));
}

/* A response file: 44.1 kHz, two channels; the first holds impulses at
 * 10 ms and 110 ms (441 and 4851 samples: 160 and 1760 at 16 kHz), the
 * second noise. */
static void files(const char *dir)
{
    char *path = sp_path_join(dir, "rir.wav");
    SF_INFO info = { .samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24 };
    long n = 44100 / 4;
    float *v = sp_xcalloc((size_t)n * 2, sizeof *v);
    v[2 * 441] = 0.8f;
    v[2 * 4851] = 0.4f;
    for (long i = 0; i < n; i++) v[2 * i + 1] = (float)(0.5 * sin(0.37 * (double)i * i));
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    CHECK(f && sf_writef_float(f, v, n) == n);
    sf_close(f);
    float *h;
    long nh;
    sp_error err;
    CHECK_MSG(sp_rir_read(path, FS, 100000, &h, &nh, &err) == 0, "%s", err.msg);
    CHECK_MSG(labs(nh - 4000) <= 1, "%ld samples at 16 kHz, want 4000", nh);
    long on = sp_rir_onset(h, nh);
    CHECK_MSG(on == 160, "onset %ld, want 160", on);
    long second = 1000;
    for (long i = 1000; i < nh; i++)
        if (fabs(h[i]) > fabs(h[second])) second = i;
    CHECK_MSG(second == 1760, "echo at %ld, want 1760", second);
    CHECK_MSG(fabs(h[1760] / h[160] - 0.5) < 0.02, "echo/direct %.4f, want 0.5", h[1760] / h[160]);
    printf("file: 44.1 kHz stereo -> %ld samples at 16 kHz, onset %ld, echo at %ld (ratio %.4f)\n", nh, on, second,
           h[1760] / h[160]);
    free(h);
    CHECK_MSG(sp_rir_read(path, FS, 1000, &h, &nh, &err) == 0 && nh == 1000, "max_len cuts");
    free(h);
    char *txt = sp_path_join(dir, "notes.txt");
    FILE *t = fopen(txt, "w");
    fputs("not audio\n", t);
    fclose(t);
    CHECK(sp_rir_read(txt, FS, 1000, &h, &nh, &err) != 0 && strstr(err.msg, "cannot read") && strstr(err.msg, "notes.txt"));
    free(txt);
    free(path);
    free(v);
}

/* The FFT convolution against the direct sum, several blocks long and
 * shifted. */
static void convolution(void)
{
    long nh = 3000, nx = 20000;
    float *h = sp_xmalloc((size_t)nh * sizeof *h), *x = sp_xmalloc((size_t)nx * sizeof *x);
    float *y = sp_xmalloc((size_t)nx * sizeof *y);
    uint64_t st = 3;
    for (long i = 0; i < nh; i++) h[i] = (float)((lcg(&st) - 0.5) * exp(-(double)i / 500));
    for (long i = 0; i < nx; i++) x[i] = (float)(lcg(&st) - 0.5);
    sp_error err;
    sp_rir_conv *c = sp_rir_conv_new(4000, &err);
    CHECK_MSG(c != NULL, "%s", err.msg);
    if (!c) return;
    double worst = 0;
    for (int pass = 0; pass < 2; pass++) {
        long shift = pass ? 37 : 0, len = pass ? nh : 1000;
        CHECK(sp_rir_conv_set(c, h, len, &err) == 0);
        sp_rir_conv_run(c, x, nx, shift, y);
        for (long s = 0; s < nx; s += 7) {
            double want = 0;
            for (long k = 0; k < len; k++)
                if (s + shift - k >= 0 && s + shift - k < nx) want += (double)h[k] * x[s + shift - k];
            if (fabs(y[s] - want) > worst) worst = fabs(y[s] - want);
        }
    }
    CHECK_MSG(worst < 1e-4, "FFT convolution off by %g", worst);
    CHECK(sp_rir_conv_set(c, h, 4001, &err) != 0);
    printf("convolution: FFT overlap-add within %.1e of the direct sum\n", worst);
    sp_rir_conv_free(c);
    free(h), free(x), free(y);
}

int main(void)
{
    char *dir = sp_test_tmpdir();
    sabine();
    anechoic();
    first_order();
    /* Rooms of aspect up to 2.5:1 decay within 10% of Sabine's target;
     * long rooms and long RT60s decay slower, as the specular
     * prediction says (within 10% up to 8 x 6 x 3 m; the 12 x 3 x 3 m
     * corridor only slower than Sabine's). */
    double worst = 0;
    for (int k = 0; k < 2; k++) {
        double hp = k == 0 ? 50 : 100;
        decay(6, 5, 3, 0.4, hp, 0.10, 0.10, &worst);
        decay(10, 8, 4, 0.6, hp, 0.10, 0.10, &worst);
        decay(4, 3, 2.5, 0.3, hp, 0.10, 0.10, &worst);
        decay(8, 6, 3, 0.8, hp, 0, 0.10, &worst);
        decay(12, 3, 3, 0.5, hp, 0, 0, &worst);
    }
    printf("decay: worst |T20 / Sabine - 1| = %.1f%% in the rooms of aspect <= 2.5\n", 100 * worst);
    draws();
    files(dir);
    convolution();
    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_rir");
}
