/* test_live_capture.c - live/capture.c: the file source, and (driven by
 * tests/live-capture.sh, which writes the ALSA configuration) the real
 * PortAudio path through ALSA's file plugin.
 *
 *   test_live_capture              the file source: --fast delivers exactly
 *                                  the file's samples in order, real time
 *                                  takes about the file's duration
 *   test_live_capture gen DIR      writes the known signal, raw FLOAT_LE,
 *                                  and the stereo device's two constants
 *   test_live_capture device       capture through PortAudio from the
 *                                  devices the configuration defines (they
 *                                  read gen's file) and compare
 *   test_live_capture nodevice     a configuration without a usable
 *                                  capture device
 *   test_live_capture broken       a device whose stream dies
 * Exits 0 when every check passed, 77 when the environment makes the
 * check meaningless (said on stdout), 1 otherwise. */
#include "config.h"
#include "live/capture.h"
#include "testlib.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <time.h>

#define RATE 16000
/* the signal: 0.5 s of 1 kHz, 0.5 s chirp 200 -> 6000 Hz, then 1 s of
 * silence (the file plugin repeats its last buffer after the end) */
#define SIGNAL (RATE)
#define PADDED (2 * RATE)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void nap_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The known signal, quantised to 16 bits (k / 32768) so that it survives
 * a round trip through any s16 stage exactly. */
static float signal_at(long i)
{
    double t = (double)i / RATE, x = 0;
    if (i < SIGNAL / 2) {
        x = 0.5 * sin(2 * M_PI * 1000 * t);
    } else if (i < SIGNAL) {
        double u = t - 0.5, f0 = 200, k = (6000 - f0) / 0.5; /* Hz per second */
        x = 0.4 * sin(2 * M_PI * (f0 * u + 0.5 * k * u * u));
    }
    return (float)(lrint(x * 32767) / 32768.0);
}

/* signal_at for every sample, computed once */
static const float *reference(void)
{
    static float ref[PADDED];
    static int done;
    if (!done)
        for (long i = 0; i < PADDED; i++) ref[i] = signal_at(i);
    done = 1;
    return ref;
}

static int write_raw(const char *dir, const char *name, const void *x, size_t size, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, size, n, f) != n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* DIR/signal.f32: the signal, raw FLOAT_LE; DIR/left.s16 and
 * DIR/right.s16: constants 0.5 and -0.25, raw S16_LE, for the stereo
 * device (whose mean is 0.125 whatever samples ALSA drops or repeats). */
static int gen(const char *dir)
{
    static int16_t left[RATE], right[RATE];
    for (long i = 0; i < RATE; i++) {
        left[i] = 16384;
        right[i] = -8192;
    }
    return write_raw(dir, "signal.f32", reference(), sizeof(float), PADDED) ||
           write_raw(dir, "left.s16", left, sizeof left[0], RATE) ||
           write_raw(dir, "right.s16", right, sizeof right[0], RATE);
}

/* Reads from the ring until it holds want samples (or timeout), into a
 * malloc'd array; *n gets the count. */
static float *drain(sp_ring *ring, size_t want, double timeout, size_t *n)
{
    float *x = malloc((want + 1) * sizeof *x);
    size_t got = 0;
    double t0 = now_s();
    while (got < want && now_s() - t0 < timeout) {
        size_t k = sp_ring_read(ring, x + got, want - got);
        got += k;
        if (!k) nap_ms(1);
    }
    *n = got;
    return x;
}

/* Where the signal starts in x: the offset (0..max_off) whose window over
 * the chirp (unique, unlike the tone) correlates best. */
static long align(const float *x, size_t n, long max_off)
{
    const long from = SIGNAL / 2, len = 4096;
    const float *ref = reference();
    long best = -1;
    double best_c = -1;
    for (long off = 0; off <= max_off && (size_t)(off + from + len) <= n; off++) {
        double c = 0;
        for (long i = 0; i < len; i++) c += (double)x[off + from + i] * ref[from + i];
        if (c > best_c) {
            best_c = c;
            best = off;
        }
    }
    return best;
}

/* The first SIGNAL samples after offset equal the signal (one s16 step). */
static void check_signal(const char *what, const float *x, size_t n)
{
    const float *ref = reference();
    long off = align(x, n, 8192);
    CHECK_MSG(off >= 0, "%s: the signal not found in %zu samples", what, n);
    if (off < 0) return;
    long bad = -1;
    for (long i = 0; i < SIGNAL && bad < 0; i++)
        if (fabsf(x[off + i] - ref[i]) > 1.0f / 32768) bad = i;
    CHECK_MSG(bad < 0, "%s: sample %ld after offset %ld is %g, the file has %g", what, bad, off,
              bad < 0 ? 0 : x[off + bad], bad < 0 ? 0 : ref[bad]);
    printf("%s: signal at offset %ld, %d samples equal\n", what, off, SIGNAL);
}

static const sp_capture_device *find_dev(const sp_capture_device *d, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(d[i].name, name) == 0) return &d[i];
    return NULL;
}

/* Opens `which` at rate, captures the padded signal's length, checks it. */
static void capture_and_compare(const char *which, double rate, const char *what)
{
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1 << 17, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_device(which, rate, &ring, &err);
    CHECK_MSG(c != NULL, "%s: open: %s", what, err.msg);
    if (!c) {
        sp_ring_free(&ring);
        return;
    }
    CHECK_MSG(sp_capture_rate(c) == RATE, "%s: rate %g", what, sp_capture_rate(c));
    CHECK_MSG(sp_capture_note(c) == NULL, "%s: note '%s'", what, sp_capture_note(c));
    CHECK_MSG(sp_capture_start(c, &err) == 0, "%s: start: %s", what, err.msg);
    size_t n;
    float *x = drain(&ring, PADDED, 10, &n);
    CHECK_MSG(n == PADDED, "%s: %zu of %d samples in 10 s", what, n, PADDED);
    check_signal(what, x, n);
    /* the stamp: at least what was read, on PortAudio's clock */
    uint64_t written;
    double clock;
    sp_capture_stamp(c, &written, &clock);
    CHECK_MSG(written >= n, "%s: stamp says %llu written, %zu read", what, (unsigned long long)written, n);
    CHECK_MSG(isfinite(clock) && clock > 0, "%s: stamp clock %g", what, clock);
    CHECK_MSG(isfinite(sp_capture_now(c)) && sp_capture_now(c) > 0, "%s: now %g", what, sp_capture_now(c));
    CHECK(!sp_capture_finished(c));
    CHECK_MSG(sp_capture_check(c, &err) == 0, "%s: check: %s", what, err.msg);
    sp_capture_stop(c);
    sp_capture_close(c);
    sp_ring_free(&ring);
    free(x);
}

/* The file plugin over the null plugin runs faster than real time (null
 * never waits), so a ring nobody reads fills at once: the short writes
 * must show as overruns. */
static void check_overruns(void)
{
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 4096, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_device("sincprobe_test", 0, &ring, &err);
    CHECK_MSG(c != NULL, "overruns: open: %s", err.msg);
    if (!c) return;
    CHECK(sp_capture_start(c, &err) == 0);
    double t0 = now_s();
    while (sp_capture_overruns(c) == 0 && now_s() - t0 < 5) nap_ms(5);
    sp_capture_stop(c);
    CHECK_MSG(sp_capture_overruns(c) > 0, "a full ring gave no overruns (available %zu)", sp_ring_available(&ring));
    CHECK(sp_ring_available(&ring) == ring.cap);
    sp_capture_close(c);
    sp_ring_free(&ring);
}

/* A failed open whose message must hold each of the strings given. */
static void expect_open_error(const char *which, double rate, const char *what, const char *const *want)
{
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1024, &err) != 0) exit(1);
    err.msg[0] = '\0';
    sp_capture *c = sp_capture_open_device(which, rate, &ring, &err);
    CHECK_MSG(c == NULL, "%s: opened", what);
    sp_capture_close(c);
    for (; *want; want++) CHECK_MSG(strstr(err.msg, *want) != NULL, "%s: '%s' not in: %s", what, *want, err.msg);
    CHECK_MSG(!strchr(err.msg, '\n'), "%s: the message has a newline: %s", what, err.msg);
    printf("%s: %s\n", what, err.msg);
    sp_ring_free(&ring);
}

/* Opens sincprobe_test at rate; checks the rate it settles on is one of
 * the standard ones (want: that one, or 0 for any but rate itself) and
 * that samples arrive at it. Returns the note (static copy) or NULL. */
static const char *open_at_rate(double rate, double want, const char *what)
{
    static const double standard[] = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000};
    static char note[512];
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1 << 16, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_device("sincprobe_test", rate, &ring, &err);
    CHECK_MSG(c != NULL, "%s: %s", what, err.msg);
    if (!c) return NULL;
    double got = sp_capture_rate(c);
    int is_standard = 0;
    for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++) is_standard |= got == standard[i];
    CHECK_MSG(is_standard && (want ? got == want : got != rate), "%s: capturing at %g Hz", what, got);
    snprintf(note, sizeof note, "%s", sp_capture_note(c) ? sp_capture_note(c) : "");
    CHECK(sp_capture_start(c, &err) == 0);
    size_t n;
    float *x = drain(&ring, (size_t)(got / 10), 5, &n);
    CHECK_MSG(n == (size_t)(got / 10), "%s: %zu samples at %g Hz", what, n, got);
    printf("%s: capturing at %g Hz%s%s\n", what, got, *note ? "; note: " : "", note);
    free(x);
    sp_capture_close(c);
    sp_ring_free(&ring);
    return *note ? note : NULL;
}

/* Rates: one the device takes is kept (sincprobe_test is a plug whose
 * slave runs at 16000 Hz; ALSA converts); one it refuses (ALSA's rate
 * converter takes nothing below 4000 Hz) falls back to a standard rate,
 * and the note says so. Which one depends on ALSA: on Debian 12
 * PortAudio's plug over the file plugin refuses 8000 and 11025 too (it
 * fails to set up the upsampling), so 1000 Hz lands on 16000. */
static void check_rates(void)
{
    CHECK(open_at_rate(48000, 48000, "rate 48000") == NULL);
    const char *note = open_at_rate(1000, 0, "rate 1000");
    CHECK_MSG(note && strstr(note, "refuses 1000 Hz") && strstr(note, "resampling"), "rate 1000: note %s",
              note ? note : "(none)");
}

/* sincprobe_stereo has exactly two channels (ALSA's multi plugin), left
 * 0.5 and right -0.25: it is captured in stereo and averaged in the
 * callback, so every sample is 0.125 (a first channel alone would give
 * 0.5, a sum 0.25). Leading zeros (before the slaves' first read) are
 * skipped. */
static void check_stereo(void)
{
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1 << 16, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_device("sincprobe_stereo", 0, &ring, &err);
    CHECK_MSG(c != NULL, "stereo: %s", err.msg);
    if (!c) return;
    const char *note = sp_capture_note(c);
    CHECK_MSG(note && strstr(note, "capturing 2 channels"), "stereo: note %s", note ? note : "(none)");
    CHECK(sp_capture_start(c, &err) == 0);
    size_t n;
    float *x = drain(&ring, 8000, 5, &n);
    size_t at = 0;
    while (at < n && x[at] == 0) at++;
    long bad = -1;
    for (size_t i = at; i < n && bad < 0; i++)
        if (x[i] != 0.125f) bad = (long)i;
    CHECK_MSG(n == 8000 && at < 1000 && bad < 0, "stereo: %zu samples, %zu leading zeros, sample %ld is %g", n, at,
              bad, bad < 0 ? 0.0 : x[bad]);
    printf("stereo: %zu samples after %zu zeros are the channels' mean; note: %s\n", n - at, at, note ? note : "");
    free(x);
    sp_capture_close(c);
    sp_ring_free(&ring);
}

static int device_tests(void)
{
    sp_capture_device *d;
    int n;
    sp_error err;
    CHECK_MSG(sp_capture_list(&d, &n, &err) == 0, "list: %s", err.msg);
    const sp_capture_device *t = find_dev(d, n, "sincprobe_test");
    CHECK_MSG(t != NULL, "sincprobe_test not among the %d input devices", n);
    for (int i = 0; i < n; i++)
        printf("device %d '%s' (%s) in=%d rate=%g%s\n", d[i].index, d[i].name, d[i].hostapi,
               d[i].max_input_channels, d[i].default_rate, d[i].is_default ? " default" : "");
    if (t) {
        CHECK(strcmp(t->hostapi, "ALSA") == 0);
        CHECK(t->max_input_channels >= 1);
        char num[16];
        snprintf(num, sizeof num, "%d", t->index);
        capture_and_compare(num, 16000, "by number");
    }
    const sp_capture_device *def = find_dev(d, n, "default");
    CHECK_MSG(def && def->is_default, "ALSA's 'default' is not the default input");
    free(d);
    capture_and_compare("sincprobe_test", 0, "by name");
    capture_and_compare("TEST_B", 0, "by a part of the name");
    capture_and_compare(NULL, 0, "the default");
    check_overruns();
    check_rates();
    check_stereo();
    expect_open_error("no-such-device", 0, "bogus name",
                      (const char *const[]){"no input device 'no-such-device'", "'sincprobe_test' (ALSA)",
                                            "'sincprobe_test_b' (ALSA)", NULL});
    expect_open_error("SINCPROBE", 0, "ambiguous name",
                      (const char *const[]){"matches 3 input devices", "'sincprobe_test' (ALSA)", NULL});
    expect_open_error("9999", 0, "bogus number",
                      (const char *const[]){"device 9999 is not an input device", "'sincprobe_test'", NULL});
    return sp_test_result("test_live_capture device");
}

static int nodevice_tests(void)
{
    sp_capture_device *d;
    int n;
    sp_error err;
    CHECK_MSG(sp_capture_list(&d, &n, &err) == 0, "list: %s", err.msg);
    for (int i = 0; i < n; i++)
        if (strcmp(d[i].hostapi, "ALSA") != 0) {
            printf("SKIP: PortAudio finds '%s' (%s) outside ALSA; cannot test 'no device' here\n", d[i].name,
                   d[i].hostapi);
            free(d);
            return 77;
        }
    CHECK_MSG(n == 0, "%d input devices under a configuration with none", n);
    free(d);
    const char *const want[] = {"no audio input device found", "arecord -l", NULL};
    expect_open_error(NULL, 0, "no device (default)", want);
    expect_open_error("usb mic", 16000, "no device (by name)", want);
    return sp_test_result("test_live_capture nodevice");
}

/* A device whose stream dies once running (its file plugin cannot write
 * its output file): sp_capture_check says so. PortAudio prints its own
 * lines about the failure on stderr from its thread; they are real errors
 * and stay visible. */
static int broken_tests(void)
{
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1 << 16, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_device("sincprobe_broken", 0, &ring, &err);
    CHECK_MSG(c != NULL, "open: %s", err.msg);
    if (!c) return sp_test_result("test_live_capture broken");
    CHECK_MSG(sp_capture_start(c, &err) == 0, "start: %s", err.msg);
    double t0 = now_s();
    int rc;
    while ((rc = sp_capture_check(c, &err)) == 0 && now_s() - t0 < 5) nap_ms(5);
    CHECK_MSG(rc == -1 && strstr(err.msg, "'sincprobe_broken' stopped delivering audio"), "check: %d %s", rc,
              rc ? err.msg : "");
    if (rc) printf("broken: %s\n", err.msg);
    CHECK(!sp_capture_finished(c));
    sp_capture_close(c);
    sp_ring_free(&ring);
    return sp_test_result("test_live_capture broken");
}

/* ---- the file source */

/* A stereo float WAV of frames at rate; *mono gets what the source must
 * deliver (the channels' mean). */
static void write_wav(const char *path, int rate, int channels, long frames, float **mono)
{
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "cannot write %s: %s\n", path, sf_strerror(NULL));
        exit(1);
    }
    float *x = malloc((size_t)(frames * channels) * sizeof *x);
    *mono = malloc((size_t)frames * sizeof **mono);
    for (long i = 0; i < frames; i++) {
        float s = 0;
        for (int ch = 0; ch < channels; ch++) {
            x[i * channels + ch] = (float)(0.3 * sin(0.001 * (double)(i * (ch + 1)) + ch) + 1e-4 * (double)(i % 97));
            s += x[i * channels + ch];
        }
        (*mono)[i] = s / (float)channels;
    }
    sf_writef_float(sf, x, frames);
    sf_close(sf);
    free(x);
}

/* Reads until the source has finished and the ring is empty. */
static float *drain_file(sp_capture *c, sp_ring *ring, size_t cap, size_t *n, double *finished_at)
{
    float *x = malloc(cap * sizeof *x);
    size_t got = 0;
    double t0 = now_s();
    *finished_at = -1;
    while (now_s() - t0 < 20) {
        int done = sp_capture_finished(c);
        if (done && *finished_at < 0) *finished_at = now_s() - t0;
        size_t k = sp_ring_read(ring, x + got, cap - got);
        got += k;
        if (done && !k && !sp_ring_available(ring)) break;
        if (!k) nap_ms(1);
    }
    *n = got;
    return x;
}

static void file_fast(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/stereo.wav", dir);
    const long frames = 22050; /* 1 s at 22050 Hz, two channels */
    float *want;
    write_wav(path, 22050, 2, frames, &want);
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 1000, &err) != 0) exit(1); /* far smaller than the file: the source must wait */
    sp_capture *c = sp_capture_open_file(path, 0, &ring, &err);
    CHECK_MSG(c != NULL, "open %s: %s", path, err.msg);
    if (!c) exit(1);
    CHECK(sp_capture_rate(c) == 22050);
    CHECK(sp_capture_note(c) == NULL);
    CHECK(!sp_capture_finished(c));
    CHECK(sp_capture_start(c, &err) == 0);
    size_t n;
    double fin;
    float *x = drain_file(c, &ring, (size_t)frames + 4096, &n, &fin);
    CHECK_MSG(n == (size_t)frames, "fast: %zu samples, the file has %ld", n, frames);
    long bad = -1;
    for (long i = 0; i < frames && (size_t)i < n && bad < 0; i++)
        if (x[i] != want[i]) bad = i;
    CHECK_MSG(bad < 0, "fast: sample %ld is %g, want %g", bad, bad < 0 ? 0 : x[bad], bad < 0 ? 0 : want[bad]);
    CHECK(sp_capture_finished(c));
    CHECK_MSG(sp_capture_overruns(c) == 0, "fast: %llu overruns", (unsigned long long)sp_capture_overruns(c));
    CHECK(ring.dropped == 0);
    uint64_t written;
    double clock;
    sp_capture_stamp(c, &written, &clock);
    CHECK(written == (uint64_t)frames);
    CHECK(clock > 0 && clock <= sp_capture_now(c));
    printf("file, fast: %zu samples through a ring of %zu, equal to the file's channel mean\n", n, ring.cap);
    sp_capture_close(c);
    sp_ring_free(&ring);
    free(x);
    free(want);
}

static void file_realtime(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mono.wav", dir);
    const long frames = 8000; /* 0.5 s at 16 kHz */
    float *want;
    write_wav(path, RATE, 1, frames, &want);
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 16384, &err) != 0) exit(1);
    sp_capture *c = sp_capture_open_file(path, 1, &ring, &err);
    CHECK_MSG(c != NULL, "open %s: %s", path, err.msg);
    if (!c) exit(1);
    double t0 = sp_capture_now(c);
    CHECK(sp_capture_start(c, &err) == 0);
    size_t n;
    double fin;
    float *x = drain_file(c, &ring, (size_t)frames + 4096, &n, &fin);
    CHECK_MSG(n == (size_t)frames && memcmp(x, want, (size_t)frames * sizeof *x) == 0,
              "real time: %zu samples, or they differ from the file's", n);
    CHECK_MSG(fin >= 0.4, "real time: a 0.5 s file finished after %.3f s", fin);
    uint64_t written;
    double clock;
    sp_capture_stamp(c, &written, &clock);
    CHECK(written == (uint64_t)frames);
    /* the last sample was due 0.5 s after the start */
    CHECK_MSG(clock >= t0 + 0.45 && clock <= sp_capture_now(c), "stamp clock %g, start %g, now %g", clock, t0,
              sp_capture_now(c));
    printf("file, real time: 0.5 s of audio finished after %.3f s\n", fin);
    sp_capture_close(c);
    /* stopped half way: not finished, and stop/close do not hang */
    c = sp_capture_open_file(path, 1, &ring, &err);
    CHECK(c && sp_capture_start(c, &err) == 0);
    nap_ms(100);
    sp_capture_stop(c);
    CHECK(!sp_capture_finished(c));
    sp_capture_close(c);
    sp_ring_free(&ring);
    free(x);
    free(want);
}

static int file_tests(void)
{
    char *dir = sp_test_tmpdir();
    file_fast(dir);
    file_realtime(dir);
    sp_ring ring;
    sp_error err;
    if (sp_ring_init(&ring, 64, &err) != 0) exit(1);
    char path[4096];
    snprintf(path, sizeof path, "%s/none.wav", dir);
    CHECK(sp_capture_open_file(path, 0, &ring, &err) == NULL);
    CHECK_MSG(strstr(err.msg, path) != NULL, "missing file: %s", err.msg);
    sp_ring_free(&ring);
    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_live_capture file");
}

int main(int argc, char **argv)
{
    if (argc == 1) return file_tests();
    if (argc == 3 && strcmp(argv[1], "gen") == 0) return gen(argv[2]);
    if (argc == 2 && strcmp(argv[1], "device") == 0) return device_tests();
    if (argc == 2 && strcmp(argv[1], "nodevice") == 0) return nodevice_tests();
    if (argc == 2 && strcmp(argv[1], "broken") == 0) return broken_tests();
    fprintf(stderr, "usage: test_live_capture [gen DIR | device | nodevice | broken]\n");
    return 2;
}
