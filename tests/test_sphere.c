/* test_sphere.c - SPHERE writing and reading, and every audio validation
 * error on fixtures made here. */
#include "config.h"
#include "corpus/sphere.h"
#include "base/log.h"
#include "base/util.h"
#include "testlib.h"

#include <sndfile.h>

static char *dir;

static char *fixture(const char *name)
{
    return sp_xasprintf("%s/%s", dir, name);
}

/* A SPHERE file from a header text (padded to 1024) and n samples. */
static char *sphere_fixture(const char *name, const char *header, long nsamples)
{
    char *path = fixture(name);
    FILE *f = fopen(path, "wb");
    char buf[1024];
    memset(buf, ' ', sizeof buf);
    memcpy(buf, header, strlen(header));
    fwrite(buf, 1, sizeof buf, f);
    for (long i = 0; i < nsamples; i++) {
        short s = (short)(i % 100);
        fwrite(&s, 2, 1, f);
    }
    fclose(f);
    return path;
}

static char *riff_fixture(const char *name, int rate, int channels, int subtype)
{
    char *path = fixture(name);
    SF_INFO si = { 0 };
    si.samplerate = rate;
    si.channels = channels;
    si.format = SF_FORMAT_WAV | subtype;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
    if (!sf) {
        fprintf(stderr, "cannot write fixture %s\n", path);
        exit(1);
    }
    short frames[200] = { 0 };
    sf_write_short(sf, frames, 200);
    sf_close(sf);
    return path;
}

/* Expect exactly one problem whose message contains `what` (and line). */
static void expect_problem(const char *path, long line, const char *what)
{
    sp_diag d;
    sp_diag_init(&d, 0);
    int16_t *s = NULL;
    long n = 0;
    int rc = sp_audio_read_pcm16(path, &s, &n, &d);
    CHECK_MSG(rc != 0, "%s: expected a failure", path);
    CHECK_MSG(d.n >= 1, "%s: expected a problem about '%s'", path, what);
    if (d.n >= 1) {
        CHECK_MSG(strstr(d.v[0].message, what) != NULL, "%s: got '%s', expected '%s'", path, d.v[0].message, what);
        CHECK_MSG(d.v[0].line == line, "%s: problem on line %ld, expected %ld", path, d.v[0].line, line);
        CHECK(strcmp(d.v[0].file, path) == 0);
    }
    free(s);
    sp_diag_free(&d);
}

/* The last warning logged. */
static char warned[1024];
static void capture(void *ctx, sp_log_level level, const char *text)
{
    (void)ctx;
    if (level == SP_LOG_WARN) snprintf(warned, sizeof warned, "%s", text);
}

#define GOOD_FIELDS "channel_count -i 1\nsample_rate -i 16000\nsample_n_bytes -i 2\nsample_byte_format -s2 01\n"

int main(void)
{
    dir = sp_test_tmpdir();
    sp_error err;

    /* Round trip: our writer, read back through libsndfile. */
    int16_t samples[1000];
    for (int i = 0; i < 1000; i++) samples[i] = (int16_t)((i * 7919) % 65536 - 32768);
    char *path = fixture("rt.wav");
    CHECK(sp_sphere_write(path, samples, 1000, 16000, "test_rt", &err) == 0);
    CHECK(sp_sphere_is_sphere(path));
    sp_sphere_info info;
    sp_diag d;
    sp_diag_init(&d, 0);
    CHECK(sp_sphere_read_header(path, &info, &d) == 0);
    CHECK(d.n == 0);
    CHECK(info.header_bytes == 1024 && info.sample_count == 1000 && info.sample_rate == 16000);
    CHECK(info.channel_count == 1 && info.sample_n_bytes == 2 && strcmp(info.byte_format, "01") == 0);
    int16_t *back = NULL;
    long n = 0;
    CHECK(sp_audio_read_pcm16(path, &back, &n, &d) == 0);
    CHECK(n == 1000);
    CHECK(back && memcmp(back, samples, sizeof samples) == 0);
    CHECK(d.n == 0);
    free(back);
    sp_diag_free(&d);
    /* libsndfile sees it as NIST 16-bit. */
    SF_INFO si = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    CHECK(sf != NULL);
    if (sf) {
        CHECK((si.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_NIST);
        CHECK((si.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16);
        sf_close(sf);
    }
    /* Byte-identical output for the same input. */
    char *path2 = fixture("rt2.wav");
    CHECK(sp_sphere_write(path2, samples, 1000, 16000, "test_rt", &err) == 0);
    size_t l1, l2;
    char *b1 = sp_read_file(path, &l1, &err), *b2 = sp_read_file(path2, &l2, &err);
    CHECK(b1 && b2 && l1 == l2 && l1 == 1024 + 2000 && memcmp(b1, b2, l1) == 0);
    free(b1);
    free(b2);
    free(path);
    free(path2);

    /* A TIMIT-style header as the LDC ships it is accepted. */
    path = sphere_fixture("timit.wav",
        "NIST_1A\n   1024\ndatabase_id -s5 TIMIT\ndatabase_version -s3 1.0\n"
        "utterance_id -s8 aks0_sa1\nchannel_count -i 1\nsample_count -i 300\n"
        "sample_rate -i 16000\nsample_min -i -2470\nsample_max -i 2316\n"
        "sample_n_bytes -i 2\nsample_byte_format -s2 01\nsample_sig_bits -i 16\nend_head\n", 300);
    sp_diag_init(&d, 0);
    CHECK(sp_audio_read_pcm16(path, &back, &n, &d) == 0 && n == 300 && d.n == 0);
    for (size_t i = 0; i < d.n; i++) sp_problem_print(stderr, &d.v[i]);
    free(back);
    sp_diag_free(&d);
    free(path);

    /* Malformed and truncated headers, each named with its line. */
    path = sphere_fixture("magic.wav", "NIST_1B\n   1024\nend_head\n", 10);
    expect_problem(path, 1, "NIST_1A");
    free(path);
    path = sphere_fixture("size.wav", "NIST_1A\n   abc\nend_head\n", 10);
    expect_problem(path, 2, "header size");
    free(path);
    path = sphere_fixture("type.wav", "NIST_1A\n   1024\nchannel_count -i 1\nsample_count -x 10\nend_head\n", 10);
    expect_problem(path, 4, "-i, -r or -sN");
    free(path);
    path = sphere_fixture("int.wav", "NIST_1A\n   1024\nsample_count -i ten\nend_head\n", 10);
    expect_problem(path, 3, "not an integer");
    free(path);
    path = sphere_fixture("strlen.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 16000\ndatabase_id -s9 TIMIT\nend_head\n", 10);
    expect_problem(path, 5, "declares 9 characters");
    free(path);
    path = sphere_fixture("field.wav", "NIST_1A\n   1024\nsample_count\nend_head\n", 10);
    expect_problem(path, 3, "NAME -TYPE VALUE");
    free(path);
    path = sphere_fixture("noend.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 16000\n", 10);
    expect_problem(path, 0, "end_head");
    free(path);
    /* A header cut short: the file ends inside the 1024 header bytes. */
    path = fixture("short.wav");
    sp_test_write(dir, "short.wav", "NIST_1A\n   1024\nsample_count -i 10\n");
    expect_problem(path, 0, "truncated SPHERE header");
    free(path);
    /* Audio cut short of sample_count. */
    path = sphere_fixture("cut.wav", "NIST_1A\n   1024\nsample_count -i 500\n" GOOD_FIELDS "end_head\n", 100);
    expect_problem(path, 3, "truncated audio: sample_count is 500 but the file holds 100 samples");
    free(path);
    /* A sample_count so large that count * 2 + header wraps (2^62 * 2 +
     * 1024 is negative in a long): still a truncated file. */
    path = sphere_fixture("huge.wav", "NIST_1A\n   1024\nsample_count -i 4611686018427387904\n" GOOD_FIELDS "end_head\n", 100);
    expect_problem(path, 3, "truncated audio");
    free(path);
    /* A negative count is named with its line, not reported as missing. */
    path = sphere_fixture("neg.wav", "NIST_1A\n   1024\n" GOOD_FIELDS "sample_count -i -5\nend_head\n", 100);
    expect_problem(path, 7, "'sample_count' is -5");
    free(path);
    /* A real-typed sample_rate out of any long's range, or nan. */
    path = sphere_fixture("r30.wav", "NIST_1A\n   1024\nsample_count -i 100\nsample_rate -r 1e30\nend_head\n", 100);
    expect_problem(path, 4, "'sample_rate' is 1e30");
    free(path);
    path = sphere_fixture("rnan.wav", "NIST_1A\n   1024\nsample_count -i 100\nsample_rate -r nan\nend_head\n", 100);
    expect_problem(path, 4, "'sample_rate' is nan");
    free(path);
    /* A real-typed rate in range is parsed (libsndfile itself reads only
     * -i rates, so the header alone is checked). */
    path = sphere_fixture("rreal.wav", "NIST_1A\n   1024\nsample_count -i 100\nsample_rate -r 16000.0\nend_head\n", 100);
    sp_diag_init(&d, 0);
    CHECK(sp_sphere_read_header(path, &info, &d) == 0 && info.sample_rate == 16000 && d.n == 0);
    sp_diag_free(&d);
    free(path);
    /* More samples than sample_count: read as declared, with a warning
     * in the diag list naming the file and the header line (logged as
     * before when the list echoes, as train's and eval's do)... */
    path = sphere_fixture("more.wav", "NIST_1A\n   1024\n" GOOD_FIELDS "sample_count -i 60\nend_head\n", 100);
    const char *more = "sample_count is 60 but the file holds 100 samples; the last 40 are ignored";
    sp_log_set_sink(capture, NULL, 0);
    sp_diag_init(&d, 0);
    d.echo = 1;
    CHECK(sp_audio_read_pcm16(path, &back, &n, &d) == 0 && d.n == 0);
    CHECK_MSG(n == 60, "%ld samples read", n);
    CHECK_MSG(d.nw == 1, "%zu warnings, expected 1", d.nw);
    if (d.nw == 1) {
        CHECK(strcmp(d.w[0].file, path) == 0 && d.w[0].line == 7);
        CHECK_MSG(strcmp(d.w[0].message, more) == 0, "warning '%s', expected '%s'", d.w[0].message, more);
    }
    char *want = sp_xasprintf("%s:7: %s", path, more);
    CHECK_MSG(strcmp(warned, want) == 0, "logged '%s', expected '%s'", warned, want);
    free(want);
    sp_log_set_sink(NULL, NULL, 0);
    free(back);
    sp_diag_free(&d);
    /* ... and a problem (the read fails) when the list is strict. */
    sp_diag_init(&d, 1);
    back = NULL;
    CHECK(sp_audio_read_pcm16(path, &back, &n, &d) != 0 && back == NULL);
    CHECK_MSG(d.n == 1 && d.nw == 0, "strict: %zu problems, %zu warnings, expected 1 and 0", d.n, d.nw);
    if (d.n == 1) CHECK(d.v[0].line == 7 && strcmp(d.v[0].message, more) == 0);
    sp_diag_free(&d);
    free(path);
    /* Not 16 kHz mono 16-bit, in SPHERE... */
    path = sphere_fixture("rate.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 8000\nend_head\n", 10);
    expect_problem(path, 0, "expected 16000");
    free(path);
    path = sphere_fixture("stereo.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 16000\nchannel_count -i 2\nend_head\n", 20);
    expect_problem(path, 0, "expected mono");
    free(path);
    path = sphere_fixture("bytes.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 16000\nsample_n_bytes -i 1\nend_head\n", 10);
    expect_problem(path, 0, "expected 16-bit");
    free(path);
    path = sphere_fixture("shorten.wav", "NIST_1A\n   1024\nsample_count -i 10\nsample_rate -i 16000\nsample_coding -s26 pcm,embedded-shorten-v2.00\nend_head\n", 10);
    CHECK(path != NULL);
    expect_problem(path, 0, "expected uncompressed pcm");
    free(path);
    /* ... and in RIFF copies. */
    path = riff_fixture("r44.wav", 44100, 1, SF_FORMAT_PCM_16);
    expect_problem(path, 0, "expected 16000");
    free(path);
    path = riff_fixture("rst.wav", 16000, 2, SF_FORMAT_PCM_16);
    expect_problem(path, 0, "expected mono");
    free(path);
    path = riff_fixture("rfl.wav", 16000, 1, SF_FORMAT_FLOAT);
    expect_problem(path, 0, "16-bit");
    free(path);
    /* A good RIFF copy reads. */
    path = riff_fixture("ok.wav", 16000, 1, SF_FORMAT_PCM_16);
    sp_diag_init(&d, 0);
    CHECK(sp_audio_read_pcm16(path, &back, &n, &d) == 0 && n == 200 && d.n == 0);
    free(back);
    sp_diag_free(&d);
    free(path);

    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_sphere");
}
