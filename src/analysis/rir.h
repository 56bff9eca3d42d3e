/* rir.h - room impulse responses: the image method of Allen and Berkley
 * (1979) for a shoebox room, Sabine's reverberation time, the onset
 * (direct-path arrival) of a response, its energy decay, RIR files, and
 * FFT convolution. The `reverb` probe (plugins/reverb.c) is built on it;
 * tests/test_rir.c checks it against closed-form facts.
 *
 * ---- The image method
 *
 * A shoebox [0, Lx] x [0, Ly] x [0, Lz] whose six walls reflect sound
 * pressure with the same frequency-independent coefficient beta. The
 * source at (xs, ys, zs) has images, for m in Z^3 and p in {0, 1}^3, at
 *
 *     x_img = (1 - 2 px) xs + 2 mx Lx      (likewise y, z)
 *
 * reached after k = |mx - px| + |mx| + |my - py| + |my| + |mz - pz| + |mz|
 * reflections. At the microphone, image (m, p) at distance d arrives after
 * d / c seconds (c = SP_RIR_C) with amplitude beta^k / (4 pi d):
 *
 *     h(t) = sum over images  beta^k / (4 pi d) delta(t - d / c)
 *
 * sampled at `rate`. p = 0, m = 0 is the direct path. Every image with
 * d / c inside the response's length is summed (so the response is
 * truncated at `length` samples, not at an image order).
 *
 * Fractional delays: an arrival at tau = d rate / c samples is either
 * rounded to the nearest sample (SP_RIR_NEAREST, Allen and Berkley's
 * choice) or spread by a Hann-windowed sinc (SP_RIR_SINC, as Peterson
 * (1986) proposed): 2 SP_RIR_SINC_HALF taps around tau,
 *
 *     g(n) = sinc(n - tau) (1 + cos(pi (n - tau) / W)) / 2,  |n - tau| < W,
 *
 * W = SP_RIR_SINC_HALF, sinc(x) = sin(pi x) / (pi x): a band-limited
 * (fs / 2) impulse at tau. The fractional part of tau is rounded to
 * 1 / SP_RIR_SINC_STEPS of a sample (a table of the taps, made once),
 * which moves an arrival by at most 1/128 sample (0.5 us at 16 kHz).
 *
 * The high-pass: every image arrives with a positive amplitude, so where
 * arrivals crowd (late in the response) they add up at low frequencies
 * as no real room's would, and the decay at DC is far slower than at any
 * audible frequency (a 6 x 5 x 3 m room drawn for 0.4 s decays in 0.54 s
 * broadband, in 0.40 s above 50 Hz). Allen and Berkley high-pass
 * their responses for this; sp_rir_image does too, when highpass_hz > 0:
 * a second-order Butterworth high-pass (bilinear transform, causal) over
 * the response after the direct path's taps (from round(tau0) + W + 1 on,
 * tau0 the direct delay). The direct path stays a pure band-limited delay:
 * a high-pass's phase lead at low frequencies would otherwise move the
 * dry sound, which carries the labels, ahead by a sample or two.
 *
 * ---- Sabine's formula
 *
 * RT60 = 24 ln(10) V / (c S a) (Sabine; 24 ln 10 / 343 = 0.161 s/m),
 * V = Lx Ly Lz, S = 2 (Lx Ly + Lx Lz + Ly Lz), with the walls' energy
 * absorption a = 1 - beta^2; so a target RT60 gives
 *
 *     beta = sqrt(1 - 24 ln(10) V / (c S RT60)),
 *
 * which exists when that absorption is at most 1 (a short RT60 in a
 * large room has none). The image method's decay is closer to Eyring's
 * formula, RT60 = 24 ln(10) V / (-c S ln(1 - a)), which is shorter than
 * Sabine's for the same a (by 11% at a = 0.2, 22% at a = 0.4). Measured
 * on the high-passed responses (Schroeder's T20), the image method's decay
 * lies within 10% of Sabine's target in rooms of aspect up to 2.5:1
 * (tests/test_rir.c: 0 to +7%), not nearer Eyring's: the specular
 * reflections of a shoebox decay as a mixture of exponentials, one per
 * direction, slowest along the long axes (Lehmann and Johansson, 2008),
 * which offsets Eyring's correction. Long rooms and long RT60s decay
 * slower than Sabine's target: +20% in 8 x 6 x 3 m at 0.8 s, +80 to 90%
 * in a 12 x 3 x 3 m corridor at 0.5 s.
 *
 * ---- Onsets and alignment
 *
 * The onset of a response is its direct path's arrival. For a simulated
 * room it is known: the sample nearest the direct delay, round(d rate /
 * c) (sp_rir_direct_delay; the peak of the windowed sinc is there, and
 * the high-pass leaves it there). For a measured response, whose
 * propagation delay and converter latency are unknown, sp_rir_onset
 * finds it: the first local maximum of |h| that reaches half of max |h|.
 * No single reflection is stronger than the direct path (it comes from a
 * farther image, and beta <= 1), but reflections that arrive together
 * (source and microphone at one height get their floor and ceiling
 * reflections at once) can add up above it, and a windowed sinc can split
 * the direct path over two samples at down to 0.64 of its height; half
 * the maximum finds the direct path in such responses, where the maximum
 * would not (tests/test_rir.c checks it on simulated rooms).
 * Reverberated audio is shifted back by the onset, so that its direct
 * sound lines up with the dry audio and its labels; the reflections come
 * after it, as in the room.
 *
 * Library code: no printing, no exit; errors per base/error.h. */
#ifndef SP_RIR_H
#define SP_RIR_H

#include "base/error.h"

/* The speed of sound in m/s (dry air at 20 C). */
#define SP_RIR_C 343.0
/* The windowed sinc's half-width W in samples (2 W taps), and the
 * resolution of its table (steps per sample). */
#define SP_RIR_SINC_HALF 16
#define SP_RIR_SINC_STEPS 64

enum { SP_RIR_SINC = 0, SP_RIR_NEAREST = 1 };

/* One room, source and microphone. */
typedef struct {
    double room[3];   /* Lx, Ly, Lz in m */
    double src[3];    /* the source, inside the room */
    double mic[3];    /* the microphone, inside the room */
    double beta;      /* every wall's pressure reflection coefficient, in [0, 1] */
    double rt60;      /* the Sabine RT60 the room was drawn with (information) */
    int rate;         /* samples per second */
    long length;      /* samples of the response */
    int interp;       /* SP_RIR_SINC or SP_RIR_NEAREST */
    double highpass_hz; /* the high-pass's cut-off (0: none) */
} sp_rir_room;

/* A range [lo, hi] drawn uniformly (lo = hi: fixed). */
typedef struct {
    double lo, hi;
} sp_rir_range;

/* The ranges rooms are drawn from (sp_rir_draw). */
typedef struct {
    sp_rir_range dim[3];   /* Lx, Ly, Lz in m */
    sp_rir_range rt60;     /* Sabine's RT60 in s */
    sp_rir_range distance; /* source to microphone in m */
    double margin;         /* m: source and microphone at least this far from every wall */
    double max_s;          /* the longest response in s */
    int rate, interp;
    double highpass_hz;    /* copied into every room */
} sp_rir_ranges;

/* beta for a target RT60 by Sabine's formula; -1 when the absorption it
 * needs exceeds 1 (or the arguments are not positive). */
double sp_rir_sabine_beta(const double room[3], double rt60);
/* Sabine's RT60 of a room with reflection coefficient beta (infinity
 * for beta = 1). */
double sp_rir_sabine_rt60(const double room[3], double beta);
/* The absorption a = 24 ln(10) V / (c S RT60) that Sabine's formula
 * needs for rt60 in this room (> 1: impossible). */
double sp_rir_sabine_absorption(const double room[3], double rt60);

/* The direct path's distance in m and delay in samples. */
double sp_rir_distance(const sp_rir_room *r);
double sp_rir_direct_delay(const sp_rir_room *r);

/* The response of room r into h[r->length] (overwritten): the image
 * method above, then the high-pass (sp_rir_highpass) after the direct
 * path when r->highpass_hz > 0. Returns the number of images summed, or -1 with err
 * (a position outside the room, beta outside [0, 1], a bad length). */
long sp_rir_image(const sp_rir_room *r, float *h, sp_error *err);

/* h[n] through a second-order Butterworth high-pass at fc Hz, in place:
 * the bilinear transform of s^2 / (s^2 + sqrt(2) w s + w^2), prewarped
 * so that the -3 dB point is at fc. */
void sp_rir_highpass(float *h, long n, double fc, int rate);

/* Draw a room from g with uniform(state) in [0, 1): dimensions, RT60
 * (beta by Sabine), microphone uniform in the room less the margin,
 * source at a drawn distance in a uniform direction from it, inside the
 * room less the margin (a distance that does not fit after 1000 tries is
 * shrunk by 10% and tried again), length = the direct delay plus the
 * RT60 (the -60 dB point), at most max_s. Returns 0, or -1 with err when
 * a drawn RT60 needs an absorption above 1 (sp_rir_ranges_check refuses
 * such ranges first). */
int sp_rir_draw(const sp_rir_ranges *g, double (*uniform)(void *state), void *state, sp_rir_room *out,
                sp_error *err);
/* Whether every room of g can be drawn: lo <= hi, positive sizes, rooms
 * larger than twice the margin, the shortest RT60 possible by Sabine in
 * the largest room. The message names what is wrong (the caller adds
 * which option). Returns 0, or -1 with err and *which set to 0 (dim),
 * 1 (rt60), 2 (distance) or 3 (margin). */
int sp_rir_ranges_check(const sp_rir_ranges *g, int *which, sp_error *err);
/* The longest response g can draw, in samples. */
long sp_rir_ranges_max_length(const sp_rir_ranges *g);

/* The onset of h[n] (see above); 0 for a silent response. */
long sp_rir_onset(const float *h, long n);

/* The gain of the direct path of h[n] at onset, as the speech band hears
 * it: the RMS over 100 Hz .. 4 kHz (every 62.5 Hz) of the magnitude
 * response of h over onset - W .. onset + W (W = SP_RIR_SINC_HALF,
 * 1 ms at 16 kHz). For a band-limited impulse of amplitude A at any
 * fractional delay (a simulated direct path, a resampled click) it is A,
 * where h(onset) can be as low as 0.64 A; for a measured pulse, its
 * average gain in the band. */
double sp_rir_direct_gain(const float *h, long n, long onset, int rate);

/* The RT60 measured on h[n] by Schroeder's backward integration: the
 * energy decay curve EDC(t) = sum_{s >= t} h(s)^2 in dB re its start, a
 * least-squares line fitted where it falls from from_db to to_db
 * (-5, -25: T20), extrapolated to -60 dB. NaN when it never falls that
 * far. */
double sp_rir_decay_rt60(const float *h, long n, int rate, double from_db, double to_db);

/* Read a response from any file libsndfile reads: its first channel,
 * resampled to rate (analysis/resample.h), at most max_len samples kept
 * from its start. *h is malloc'd. Returns 0, or -1 with err (unreadable,
 * empty, silent). */
int sp_rir_read(const char *path, int rate, long max_len, float **h, long *n, sp_error *err);

/* ---- FFT convolution (FFTW, overlap-add; plans made once) */
typedef struct sp_rir_conv sp_rir_conv;

/* A convolver for responses of up to max_len samples: FFT size N, the
 * smallest power of two >= 2 max_len (and >= 1024); blocks of
 * N - max_len + 1 input samples. NULL with err on failure. Making FFTW
 * plans is not thread-safe: call from one thread. */
sp_rir_conv *sp_rir_conv_new(long max_len, sp_error *err);
/* The same sized for inputs of about `block` samples (chunks): N the
 * smallest power of two >= max_len + block - 1 (and >= 1024), so that such
 * an input is one block, one forward and one inverse transform. */
sp_rir_conv *sp_rir_conv_new_block(long max_len, long block, sp_error *err);
void sp_rir_conv_free(sp_rir_conv *c);
/* Set the response h[n] (n <= max_len): its transform, once. */
int sp_rir_conv_set(sp_rir_conv *c, const float *h, long n, sp_error *err);
/* y[s] = (x * h)[s + shift] for s in [0, n): the convolution of x[n]
 * with the response set last, shifted back by shift samples (the onset)
 * and cut to x's length. x and y must not overlap. */
void sp_rir_conv_run(sp_rir_conv *c, const float *x, long n, long shift, float *y);

#endif
