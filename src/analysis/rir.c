/* rir.c - see rir.h. */
#include "analysis/rir.h"

#include "analysis/resample.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

/* 24 ln(10) / c: Sabine's 0.161 s/m. */
#define SABINE_K (24.0 * 2.302585092994046 / SP_RIR_C)

static double volume(const double L[3])
{
    return L[0] * L[1] * L[2];
}

static double surface(const double L[3])
{
    return 2 * (L[0] * L[1] + L[0] * L[2] + L[1] * L[2]);
}

double sp_rir_sabine_absorption(const double room[3], double rt60)
{
    return SABINE_K * volume(room) / (surface(room) * rt60);
}

double sp_rir_sabine_beta(const double room[3], double rt60)
{
    if (!(rt60 > 0) || !(room[0] > 0 && room[1] > 0 && room[2] > 0)) return -1;
    double a = sp_rir_sabine_absorption(room, rt60);
    return a <= 1 ? sqrt(1 - a) : -1;
}

double sp_rir_sabine_rt60(const double room[3], double beta)
{
    double a = 1 - beta * beta;
    return a > 0 ? SABINE_K * volume(room) / (surface(room) * a) : INFINITY;
}

double sp_rir_distance(const sp_rir_room *r)
{
    double d2 = 0;
    for (int i = 0; i < 3; i++) d2 += (r->src[i] - r->mic[i]) * (r->src[i] - r->mic[i]);
    return sqrt(d2);
}

double sp_rir_direct_delay(const sp_rir_room *r)
{
    return sp_rir_distance(r) * r->rate / SP_RIR_C;
}

/* ---- the windowed-sinc table: row q holds the 2 W taps of an arrival
 * at i0 + q / STEPS, tap j at sample i0 - W + 1 + j. */
enum { W = SP_RIR_SINC_HALF, STEPS = SP_RIR_SINC_STEPS };
static float sinc_table[STEPS + 1][2 * W];
static pthread_once_t sinc_once = PTHREAD_ONCE_INIT;

static void make_sinc_table(void)
{
    for (int q = 0; q <= STEPS; q++)
        for (int j = 0; j < 2 * W; j++) {
            double t = (double)(j - W + 1) - (double)q / STEPS; /* n - tau */
            double s = fabs(t) < 1e-12 ? 1 : sin(M_PI * t) / (M_PI * t);
            double w = fabs(t) < W ? 0.5 * (1 + cos(M_PI * t / W)) : 0;
            sinc_table[q][j] = (float)(s * w);
        }
}

/* Add amplitude a arriving at tau samples to h[n]. */
static void add_arrival(float *h, long n, double tau, double a, int interp)
{
    if (interp == SP_RIR_NEAREST) {
        long i = lround(tau);
        if (i >= 0 && i < n) h[i] += (float)a;
        return;
    }
    long i0 = (long)floor(tau);
    int q = (int)lround((tau - (double)i0) * STEPS);
    const float *g = sinc_table[q];
    long first = i0 - W + 1;
    int j0 = first < 0 ? (int)-first : 0;
    int j1 = first + 2 * W > n ? (int)(n - first) : 2 * W;
    for (int j = j0; j < j1; j++) h[first + j] += (float)a * g[j];
}

static int inside(const double p[3], const double L[3])
{
    for (int i = 0; i < 3; i++)
        if (!(p[i] >= 0 && p[i] <= L[i])) return 0;
    return 1;
}

static int check_room(const sp_rir_room *r, sp_error *err)
{
    if (!(r->room[0] > 0 && r->room[1] > 0 && r->room[2] > 0))
        return sp_fail(err, "room %g x %g x %g m: every side must be positive", r->room[0], r->room[1], r->room[2]);
    if (!inside(r->src, r->room))
        return sp_fail(err, "source (%g, %g, %g) is outside the %g x %g x %g m room", r->src[0], r->src[1], r->src[2],
                       r->room[0], r->room[1], r->room[2]);
    if (!inside(r->mic, r->room))
        return sp_fail(err, "microphone (%g, %g, %g) is outside the %g x %g x %g m room", r->mic[0], r->mic[1],
                       r->mic[2], r->room[0], r->room[1], r->room[2]);
    if (!(r->beta >= 0 && r->beta <= 1)) return sp_fail(err, "reflection coefficient %g is outside [0, 1]", r->beta);
    if (r->rate <= 0 || r->length < 1) return sp_fail(err, "a response of %ld samples at %d Hz", r->length, r->rate);
    if (r->interp != SP_RIR_SINC && r->interp != SP_RIR_NEAREST) return sp_fail(err, "unknown interpolation %d", r->interp);
    if (!(r->highpass_hz >= 0 && r->highpass_hz < r->rate / 2.0))
        return sp_fail(err, "a high-pass at %g Hz at %d Hz", r->highpass_hz, r->rate);
    return 0;
}

/* The images with mirror bits p and every m whose arrival falls inside
 * the response (distance at most R m), added to h; pow_beta[k] = beta^k
 * for every reflection count k reached. */
static long add_images(const sp_rir_room *r, const int p[3], double R, const int mmax[3], const double *pow_beta,
                       float *h)
{
    const double *L = r->room, *s = r->src, *mic = r->mic;
    double base[3]; /* the image's offset from the microphone at m = 0 */
    for (int i = 0; i < 3; i++) base[i] = (1 - 2 * p[i]) * s[i] - mic[i];
    double scale = r->rate / SP_RIR_C;
    long count = 0;
    for (int mx = -mmax[0]; mx <= mmax[0]; mx++) {
        double dx = base[0] + 2 * mx * L[0];
        if (fabs(dx) > R) continue;
        int kx = abs(mx - p[0]) + abs(mx);
        for (int my = -mmax[1]; my <= mmax[1]; my++) {
            double dy = base[1] + 2 * my * L[1];
            if (dx * dx + dy * dy > R * R) continue;
            int kxy = kx + abs(my - p[1]) + abs(my);
            for (int mz = -mmax[2]; mz <= mmax[2]; mz++) {
                double dz = base[2] + 2 * mz * L[2];
                double d = sqrt(dx * dx + dy * dy + dz * dz);
                if (d > R) continue;
                int k = kxy + abs(mz - p[2]) + abs(mz);
                if (d < 1e-3) d = 1e-3; /* a source on the microphone: a finite direct path */
                add_arrival(h, r->length, d * scale, pow_beta[k] / (4 * M_PI * d), r->interp);
                count++;
            }
        }
    }
    return count;
}

long sp_rir_image(const sp_rir_room *r, float *h, sp_error *err)
{
    if (check_room(r, err) != 0) return -1;
    pthread_once(&sinc_once, make_sinc_table);
    memset(h, 0, (size_t)r->length * sizeof *h);
    /* Arrivals up to the last sample, plus the sinc's half-width, whose
     * taps reach back into the response. */
    double R = ((double)r->length + (r->interp == SP_RIR_SINC ? W : 1)) * SP_RIR_C / r->rate;
    int mmax[3], kmax = 0;
    for (int i = 0; i < 3; i++) {
        mmax[i] = (int)ceil(R / (2 * r->room[i])) + 1;
        kmax += 2 * mmax[i] + 1;
    }
    double *pow_beta = malloc((size_t)(kmax + 1) * sizeof *pow_beta);
    if (!pow_beta) return sp_fail_oom(err, (size_t)(kmax + 1) * sizeof *pow_beta);
    pow_beta[0] = 1;
    for (int k = 1; k <= kmax; k++) pow_beta[k] = pow_beta[k - 1] * r->beta;
    long count = 0;
    for (int b = 0; b < 8; b++) {
        int p[3] = { b & 1, (b >> 1) & 1, (b >> 2) & 1 };
        count += add_images(r, p, R, mmax, pow_beta, h);
    }
    free(pow_beta);
    /* The high-pass runs over what follows the direct path's taps: the
     * direct path stays a pure (band-limited) delay, so the dry sound
     * keeps its phase and its place. */
    long after = lround(sp_rir_direct_delay(r)) + W + 1;
    if (r->highpass_hz > 0 && after < r->length) sp_rir_highpass(h + after, r->length - after, r->highpass_hz, r->rate);
    return count;
}

void sp_rir_highpass(float *h, long n, double fc, int rate)
{
    /* The audio-EQ cookbook's high-pass with Q = 1/sqrt(2): Butterworth. */
    double w0 = 2 * M_PI * fc / rate, cw = cos(w0), alpha = sin(w0) / (2 * M_SQRT1_2);
    double a0 = 1 + alpha;
    double b0 = (1 + cw) / 2 / a0, b1 = -(1 + cw) / a0, b2 = b0;
    double a1 = -2 * cw / a0, a2 = (1 - alpha) / a0;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (long i = 0; i < n; i++) {
        double x0 = h[i], y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1, x1 = x0, y2 = y1, y1 = y0;
        h[i] = (float)y0;
    }
}

/* ---- drawing rooms */

static double draw(const sp_rir_range *r, double (*uniform)(void *), void *state)
{
    double u = uniform(state);
    return r->lo + (r->hi - r->lo) * u;
}

/* The microphone uniform in the room less the margin, the source at
 * distance d from it in a uniform direction (a normal vector
 * normalised), inside the room less the margin; 0 when found in 1000
 * tries. */
static int place(const sp_rir_ranges *g, double d, double (*uniform)(void *), void *state, sp_rir_room *o)
{
    const double *L = o->room, m = g->margin;
    for (int tries = 0; tries < 1000; tries++) {
        double v[3], n = 0;
        for (int i = 0; i < 3; i++) o->mic[i] = m + (L[i] - 2 * m) * uniform(state);
        /* Box-Muller pairs: three normals make a uniform direction. */
        for (int i = 0; i < 3; i++) {
            double u1 = uniform(state), u2 = uniform(state);
            v[i] = sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
            n += v[i] * v[i];
        }
        if (n < 1e-12) continue;
        n = sqrt(n);
        int ok = 1;
        for (int i = 0; i < 3; i++) {
            o->src[i] = o->mic[i] + d * v[i] / n;
            if (o->src[i] < m || o->src[i] > L[i] - m) ok = 0;
        }
        if (ok) return 0;
    }
    return -1;
}

int sp_rir_draw(const sp_rir_ranges *g, double (*uniform)(void *state), void *state, sp_rir_room *out,
                sp_error *err)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 3; i++) out->room[i] = draw(&g->dim[i], uniform, state);
    out->rt60 = draw(&g->rt60, uniform, state);
    out->beta = sp_rir_sabine_beta(out->room, out->rt60);
    if (out->beta < 0)
        return sp_fail(err, "an rt60 of %g s in a %g x %g x %g m room needs a wall absorption of %.3g (> 1)",
                       out->rt60, out->room[0], out->room[1], out->room[2],
                       sp_rir_sabine_absorption(out->room, out->rt60));
    double d = draw(&g->distance, uniform, state);
    while (place(g, d, uniform, state, out) != 0) d *= 0.9;
    out->rate = g->rate;
    out->interp = g->interp;
    out->highpass_hz = g->highpass_hz;
    double len = sp_rir_direct_delay(out) + out->rt60 * g->rate;
    long cap = (long)floor(g->max_s * g->rate);
    out->length = (long)ceil(len) < cap ? (long)ceil(len) : cap;
    if (out->length < 1) out->length = 1;
    return 0;
}

static int bad_range(const sp_rir_range *r)
{
    return !(isfinite(r->lo) && isfinite(r->hi) && r->lo > 0 && r->lo <= r->hi);
}

int sp_rir_ranges_check(const sp_rir_ranges *g, int *which, sp_error *err)
{
    const char *axis = "xyz";
    for (int i = 0; i < 3; i++) {
        *which = 0;
        if (bad_range(&g->dim[i])) return sp_fail(err, "room %c: %g:%g m is not a range of positive sizes", axis[i],
                                                  g->dim[i].lo, g->dim[i].hi);
        *which = 3;
        if (!(g->margin >= 0) || g->dim[i].lo <= 2 * g->margin)
            return sp_fail(err, "a margin of %g m leaves no room inside a side of %g m", g->margin, g->dim[i].lo);
    }
    *which = 1;
    if (bad_range(&g->rt60)) return sp_fail(err, "%g:%g s is not a range of positive times", g->rt60.lo, g->rt60.hi);
    /* V / S grows with every side, so the largest room needs the largest
     * absorption for a given RT60. */
    double big[3] = { g->dim[0].hi, g->dim[1].hi, g->dim[2].hi };
    double a = sp_rir_sabine_absorption(big, g->rt60.lo);
    if (a > 1)
        return sp_fail(err,
                       "%g s is shorter than Sabine's formula allows in the largest room (%g x %g x %g m: an "
                       "absorption of %.3g > 1); the shortest is %.3g s",
                       g->rt60.lo, big[0], big[1], big[2], a, g->rt60.lo * a);
    *which = 2;
    if (bad_range(&g->distance))
        return sp_fail(err, "%g:%g m is not a range of positive distances", g->distance.lo, g->distance.hi);
    return 0;
}

long sp_rir_ranges_max_length(const sp_rir_ranges *g)
{
    double diag = 0;
    for (int i = 0; i < 3; i++) diag += g->dim[i].hi * g->dim[i].hi;
    double len = ceil(sqrt(diag) * g->rate / SP_RIR_C + g->rt60.hi * g->rate);
    long cap = (long)floor(g->max_s * g->rate);
    return len < (double)cap ? (long)len : cap;
}

/* ---- onsets and decay */

long sp_rir_onset(const float *h, long n)
{
    double peak = 0;
    for (long i = 0; i < n; i++)
        if (fabs(h[i]) > peak) peak = fabs(h[i]);
    if (peak <= 0) return 0;
    for (long i = 0; i < n; i++) {
        double a = fabs(h[i]);
        if (a >= 0.5 * peak && (i + 1 == n || a >= fabs(h[i + 1]))) return i;
    }
    return 0; /* not reached: the maximum is a local maximum */
}

double sp_rir_direct_gain(const float *h, long n, long onset, int rate)
{
    long a = onset - W > 0 ? onset - W : 0, b = onset + W < n - 1 ? onset + W : n - 1;
    double sum = 0;
    int k = 0;
    for (double f = 100; f <= 4000; f += 62.5, k++) {
        double re = 0, im = 0, w = 2 * M_PI * f / rate;
        for (long i = a; i <= b; i++) {
            re += h[i] * cos(w * (double)(i - onset));
            im -= h[i] * sin(w * (double)(i - onset));
        }
        sum += re * re + im * im;
    }
    return sqrt(sum / k);
}

double sp_rir_decay_rt60(const float *h, long n, int rate, double from_db, double to_db)
{
    double *edc = malloc((size_t)(n > 0 ? n : 1) * sizeof *edc), acc = 0;
    if (!edc) return NAN;
    for (long i = n - 1; i >= 0; i--) edc[i] = acc += (double)h[i] * h[i];
    /* Least squares of EDC in dB against time where it lies in
     * [to_db, from_db]. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, reached = 0;
    long k = 0;
    for (long i = 0; i < n && acc > 0; i++) {
        if (edc[i] <= 0) break;
        double db = 10 * log10(edc[i] / acc);
        if (db < to_db) {
            reached = 1;
            break;
        }
        if (db > from_db) continue;
        double t = (double)i / rate;
        sx += t, sy += db, sxx += t * t, sxy += t * db, k++;
    }
    free(edc);
    if (!reached || k < 2) return NAN;
    double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx); /* dB per second, negative */
    return slope < 0 ? -60 / slope : NAN;
}

/* ---- RIR files */

int sp_rir_read(const char *path, int rate, long max_len, float **h, long *n, sp_error *err)
{
    *h = NULL;
    *n = 0;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return sp_fail(err, "cannot read '%s': %s", path, sf_strerror(NULL));
    long frames = (long)info.frames, c = info.channels;
    float *in = frames > 0 && c > 0 ? malloc((size_t)frames * (size_t)c * sizeof *in) : NULL;
    float *mono = frames > 0 ? malloc((size_t)frames * sizeof *mono) : NULL;
    int ok = in && mono && sf_readf_float(f, in, frames) == frames;
    sf_close(f);
    if (!ok) {
        free(in);
        free(mono);
        return sp_fail(err, "'%s' has no audio that can be read", path);
    }
    for (long i = 0; i < frames; i++) mono[i] = in[(size_t)i * (size_t)c]; /* the first channel */
    free(in);
    float *y;
    long ny;
    int rc = sp_resample(mono, frames, info.samplerate, rate, &y, &ny, err);
    free(mono);
    if (rc != 0) return sp_error_prefix(err, "cannot resample '%s' from %d Hz to %d Hz: ", path, info.samplerate, rate);
    if (ny > max_len) ny = max_len;
    double e = 0;
    for (long i = 0; i < ny; i++) e += (double)y[i] * y[i];
    if (!(e > 0)) {
        free(y);
        return sp_fail(err, "'%s' is silent", path);
    }
    *h = y;
    *n = ny;
    return 0;
}

/* ---- FFT convolution */

struct sp_rir_conv {
    long max_len, N, M; /* response cap, FFT size, input block */
    long len;           /* the response set */
    float *buf;         /* [N] real block */
    fftwf_complex *H, *X; /* [N/2 + 1] the response's and a block's transforms */
    fftwf_plan fwd, inv;
};

void sp_rir_conv_free(sp_rir_conv *c)
{
    if (!c) return;
    if (c->fwd) fftwf_destroy_plan(c->fwd);
    if (c->inv) fftwf_destroy_plan(c->inv);
    fftwf_free(c->buf);
    fftwf_free(c->H);
    fftwf_free(c->X);
    free(c);
}

sp_rir_conv *sp_rir_conv_new(long max_len, sp_error *err)
{
    return sp_rir_conv_new_block(max_len, max_len + 1, err);
}

sp_rir_conv *sp_rir_conv_new_block(long max_len, long block, sp_error *err)
{
    if (max_len < 1 || max_len > (1L << 26) || block < 1 || block > (1L << 26))
        return sp_fail(err, "a response of %ld samples, blocks of %ld", max_len, block), NULL;
    sp_rir_conv *c = calloc(1, sizeof *c);
    if (!c) return sp_fail_oom(err, sizeof *c), NULL;
    c->max_len = max_len;
    c->N = 1024;
    while (c->N < max_len + block - 1) c->N *= 2;
    c->M = c->N - max_len + 1;
    size_t nb = (size_t)(c->N / 2 + 1);
    c->buf = fftwf_alloc_real((size_t)c->N);
    c->H = fftwf_alloc_complex(nb);
    c->X = fftwf_alloc_complex(nb);
    if (!c->buf || !c->H || !c->X) {
        sp_rir_conv_free(c);
        return sp_fail_oom(err, (size_t)c->N * 20), NULL;
    }
    c->fwd = fftwf_plan_dft_r2c_1d((int)c->N, c->buf, c->X, FFTW_ESTIMATE);
    c->inv = fftwf_plan_dft_c2r_1d((int)c->N, c->X, c->buf, FFTW_ESTIMATE);
    if (!c->fwd || !c->inv) {
        sp_rir_conv_free(c);
        return sp_fail(err, "cannot make FFTW plans of %ld points", max_len), NULL;
    }
    return c;
}

int sp_rir_conv_set(sp_rir_conv *c, const float *h, long n, sp_error *err)
{
    if (n < 1 || n > c->max_len) return sp_fail(err, "a response of %ld samples; the convolver takes 1 to %ld", n, c->max_len);
    memset(c->buf, 0, (size_t)c->N * sizeof *c->buf);
    memcpy(c->buf, h, (size_t)n * sizeof *h);
    fftwf_execute_dft_r2c(c->fwd, c->buf, c->H);
    c->len = n;
    return 0;
}

/* Overlap-add: block b of M input samples (zero-padded to N) times H is
 * the convolution of that block, N - 1 >= M + len - 1 samples long
 * (no wrap-around), added into y at the block's start minus shift. */
void sp_rir_conv_run(sp_rir_conv *c, const float *x, long n, long shift, float *y)
{
    long N = c->N, M = c->M, nb = N / 2 + 1;
    float scale = 1.0f / (float)N; /* FFTW's transforms are unnormalised */
    memset(y, 0, (size_t)(n > 0 ? n : 0) * sizeof *y);
    for (long b0 = 0; b0 < n; b0 += M) {
        long m = n - b0 < M ? n - b0 : M;
        memset(c->buf, 0, (size_t)N * sizeof *c->buf);
        memcpy(c->buf, x + b0, (size_t)m * sizeof *x);
        fftwf_execute_dft_r2c(c->fwd, c->buf, c->X);
        for (long k = 0; k < nb; k++) {
            float re = c->X[k][0] * c->H[k][0] - c->X[k][1] * c->H[k][1];
            float im = c->X[k][0] * c->H[k][1] + c->X[k][1] * c->H[k][0];
            c->X[k][0] = re * scale;
            c->X[k][1] = im * scale;
        }
        fftwf_execute_dft_c2r(c->inv, c->X, c->buf);
        long out = m + c->len - 1; /* the block's convolution */
        for (long j = 0; j < out; j++) {
            long s = b0 + j - shift;
            if (s >= 0 && s < n) y[s] += c->buf[j];
        }
    }
}
