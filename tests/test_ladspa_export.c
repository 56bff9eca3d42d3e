/* test_ladspa_export.c - the pieces behind `sincprobe export-ladspa` and
 * the sincprobe LADSPA library (src/ladspa/): the exported-filterbank file
 * (a round trip bit for bit; corrupt, truncated, padded and malformed
 * files each rejected with a message naming the file and what was
 * expected), names, the sinc design against the model's own taps, the
 * response summary (peak, -3 dB band) against closed forms, the bank sum,
 * the real-time FIR on both paths against a direct double-precision
 * convolution (any chunking, in place, latency, a change of taps), and
 * the catalog's loading rules and UniqueID assignment; and the built
 * LADSPA library itself, loaded as a host loads it: its descriptors, the
 * single-filter plugin's output ports, impulse responses at the model's
 * rate and redesigned at other rates, conv banks refused at other rates.
 * (tests/export-ladspa.sh filters audio with sox and applyplugin.) */
#include "ladspa/fbdesign.h"
#include "ladspa/fbdir.h"
#include "ladspa/fbfile.h"
#include "ladspa/fir.h"
#include "nn/layers.h"
#include "tests/testlib.h"

#include <dlfcn.h>
#include <ladspa.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const double PI = 3.14159265358979323846;
static char *tmp;

static uint32_t lcg = 12345;
static float frand(void) /* uniform in [-1, 1) */
{
    lcg = lcg * 1664525u + 1013904223u;
    return (float)((lcg >> 8) / 8388608.0 - 1.0);
}

/* A valid bank of C filters of K taps named name with IDs a, a + 1. */
static void make_fb(sp_fbfile *fb, int C, int K, const char *name, unsigned long a)
{
    CHECK(sp_fbfile_alloc(fb, C, K, NULL) == 0);
    snprintf(fb->name, sizeof fb->name, "%s", name);
    snprintf(fb->source, sizeof fb->source, "/runs/x/checkpoints/best.ckpt");
    fb->kind = SP_FB_SINC;
    fb->sample_rate = 16000;
    fb->id_bank = a;
    fb->id_filter = a + 1;
    for (int i = 0; i < C * K; i++) fb->taps[i] = frand();
    for (int c = 0; c < C; c++) {
        fb->f1[c] = 100.0f * (c + 1);
        fb->f2[c] = 100.0f * (c + 1) + 50.0f + c;
        fb->peak[c] = 1.5f + c;
    }
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void write_fb(const sp_fbfile *fb, const char *path)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    sp_error err;
    CHECK_MSG(sp_fbfile_write(fb, f, path, &err) == 0, "%s", err.msg);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void test_round_trip(void)
{
    sp_fbfile a, b;
    make_fb(&a, 5, 33, "tiny-1.a_b", 0x5C0010);
    a.kind = SP_FB_CONV;
    char *p = path_in(tmp, "rt.spfb");
    write_fb(&a, p);
    sp_error err;
    CHECK_MSG(sp_fbfile_read(&b, p, &err) == 0, "%s", err.msg);
    CHECK(strcmp(a.name, b.name) == 0 && strcmp(a.source, b.source) == 0);
    CHECK(b.kind == SP_FB_CONV && b.sample_rate == 16000 && b.C == 5 && b.K == 33);
    CHECK(b.id_bank == 0x5C0010 && b.id_filter == 0x5C0011);
    CHECK(memcmp(a.taps, b.taps, sizeof(float) * (5 * 33 + 15)) == 0); /* all four arrays, bit for bit */
    /* the header as documented, and the CRC is zlib's (crc32("123456789") = cbf43926) */
    size_t n;
    unsigned char *raw = slurp(p, &n);
    const char *want = "sincprobe-filterbank 1\nname tiny-1.a_b\nkind conv\nsample_rate 16000\nfilters 5\ntaps 33\n"
                       "ids 6029328 6029329\nsource /runs/x/checkpoints/best.ckpt\ndata_bytes 720\ncrc32 ";
    CHECK(memcmp(raw, want, strlen(want)) == 0);
    CHECK(sp_fb_crc32("123456789", 9) == 0xcbf43926u);
    free(raw);
    sp_fbfile_free(&a);
    sp_fbfile_free(&b);
    free(p);
}

/* parse buf as a file named "x.spfb": must fail with a message holding
 * both want1 and want2. */
static void expect_reject(const unsigned char *buf, size_t n, const char *want1, const char *want2, int which)
{
    sp_fbfile fb;
    sp_error err = { "" };
    int rc = sp_fbfile_parse(&fb, buf, n, "x.spfb", &err);
    CHECK_MSG(rc == -1, "case %d: accepted", which);
    CHECK_MSG(strstr(err.msg, want1) && strstr(err.msg, want2), "case %d: message '%s', want '%s' and '%s'", which,
              err.msg, want1, want2);
    CHECK(fb.taps == NULL);
}

/* A copy of good with the first occurrence of from replaced by to. */
static unsigned char *edit(const unsigned char *good, size_t n, const char *from, const char *to, size_t *m)
{
    const unsigned char *at = memmem(good, n, from, strlen(from));
    CHECK(at != NULL);
    size_t off = (size_t)(at - good), fl = strlen(from), tl = strlen(to);
    unsigned char *b = malloc(n + tl + 1);
    memcpy(b, good, off);
    memcpy(b + off, to, tl);
    memcpy(b + off + tl, good + off + fl, n - off - fl);
    *m = n - fl + tl;
    return b;
}

static void test_reject(void)
{
    sp_fbfile a;
    make_fb(&a, 3, 7, "m", 0x5C0000);
    char *p = path_in(tmp, "good.spfb");
    write_fb(&a, p);
    size_t n, m;
    unsigned char *good = slurp(p, &n), *b;
    sp_fbfile fb;
    CHECK(sp_fbfile_parse(&fb, good, n, "x.spfb", NULL) == 0);
    sp_fbfile_free(&fb);

    unsigned char *flip = malloc(n);
    memcpy(flip, good, n);
    flip[n - 20] ^= 0x40; /* one bit of the data */
    expect_reject(flip, n, "x.spfb: the data's CRC-32 is", "(corrupt file)", 101);
    expect_reject(good, n - 4, "x.spfb: 116 bytes of data after the header: expected data_bytes = 120",
                  "truncated file", 102);
    expect_reject(good, 60, "x.spfb:", "ends inside the header (truncated?)", 103);
    expect_reject(good, 0, "x.spfb:1: expected 'sincprobe-filterbank 1'", "not a sincprobe filterbank file", 104);
    expect_reject(good, 22, "x.spfb:1:", "ends inside the header", 107);
    unsigned char *pad = malloc(n + 1);
    memcpy(pad, good, n);
    pad[n] = 0;
    expect_reject(pad, n + 1, "x.spfb: 121 bytes", "trailing bytes", 105);
    expect_reject((const unsigned char *)"RIFF....WAVEfmt \n", 17, "x.spfb:1: expected 'sincprobe-filterbank 1'",
                  "not a sincprobe filterbank file", 106);
    struct {
        const char *from, *to, *want1, *want2;
    } cases[] = {
        { "filterbank 1\n", "filterbank 2\n", "x.spfb:1: format version '2'", "reads version 1" },
        { "kind sinc", "kind fir", "x.spfb:3: kind 'fir'", "expected sinc or conv" },
        { "name m\n", "name -m\n", "x.spfb:2: model name '-m'", "expected a letter or digit" },
        { "sample_rate 16000", "sample_rate 16k", "x.spfb:4: sample_rate '16k'", "expected an integer from 1000" },
        { "filters 3", "filters 0", "x.spfb:5: filters '0'", "from 1 to 4096" },
        { "taps 7\n", "tap 7\n", "x.spfb:6: expected 'taps VALUE'", "got 'tap 7'" },
        { "ids 6029312 6029313", "ids 6029312 6029312", "x.spfb:7: ids", "two different integers" },
        { "data_bytes 120", "data_bytes 124", "x.spfb:9: data_bytes 124", "expected 4 x (3 x 7 + 3 x 3) = 120" },
        { "crc32 ", "crc32 x", "x.spfb:10: crc32", "8 hexadecimal digits" },
        { "\nend\n", "\nEND\n", "x.spfb:11: expected 'end'", "got 'END'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b = edit(good, n, cases[i].from, cases[i].to, &m);
        expect_reject(b, m, cases[i].want1, cases[i].want2, (int)i);
        free(b);
    }

    sp_error err;

    /* through the file reader: the size is checked against the header
     * before the data is read; a file without a header line break */
    FILE *big = fopen(p, "wb");
    fwrite(good, 1, n - 8, big);
    fclose(big);
    CHECK(sp_fbfile_read(&fb, p, &err) == -1 && strstr(err.msg, "112 bytes of data") && strstr(err.msg, "truncated"));
    big = fopen(p, "wb");
    fwrite(good, 1, n, big);
    for (int i = 0; i < 100000; i++) fputc('x', big);
    fclose(big);
    CHECK(sp_fbfile_read(&fb, p, &err) == -1 && strstr(err.msg, "100120 bytes of data") && strstr(err.msg, "trailing"));
    big = fopen(p, "wb");
    fputs("sincprobe-filterbank 1\nname ", big);
    for (int i = 0; i < 100000; i++) fputc('x', big);
    fclose(big);
    CHECK(sp_fbfile_read(&fb, p, &err) == -1 && strstr(err.msg, ":2: line too long"));
    CHECK(sp_fbfile_read(&fb, tmp, &err) == -1 && strstr(err.msg, "not a regular file"));

    /* the writer refuses what the reader would: a NaN tap, a band beyond
     * Nyquist */
    FILE *f = fopen(p, "wb");
    a.taps[4] = NAN;
    CHECK(sp_fbfile_write(&a, f, p, &err) == -1 && strstr(err.msg, "filter 0, tap 4 is nan: expected a finite"));
    a.taps[4] = 0.5f;
    a.f2[1] = 9000.0f;
    CHECK(sp_fbfile_write(&a, f, p, &err) == -1 && strstr(err.msg, "filter 1: band 200-9000 Hz"));
    fclose(f);
    sp_fbfile_free(&a);
    free(flip);
    free(pad);
    free(good);

    /* a missing file names it and the reason */
    sp_fbfile fb2;
    CHECK(sp_fbfile_read(&fb2, "/nonexistent/z.spfb", &err) == -1 &&
          strstr(err.msg, "cannot open '/nonexistent/z.spfb'"));
    free(p);
}

static void test_names(void)
{
    sp_error err;
    CHECK(sp_fb_name_check("run1", NULL) == 0 && sp_fb_name_check("A.b-c_9", NULL) == 0);
    CHECK(sp_fb_name_check("", &err) == -1 && strstr(err.msg, "empty model name"));
    CHECK(sp_fb_name_check("a b", &err) == -1 && strstr(err.msg, "has ' '"));
    char n[SP_FB_NAME_MAX + 1], l[SP_FB_LABEL_MAX];
    sp_fb_name_from(n, "my run (2)");
    CHECK(strcmp(n, "my_run__2_") == 0);
    sp_fb_name_from(n, ".hidden");
    CHECK(strcmp(n, "m.hidden") == 0);
    sp_fb_name_from(n, "");
    CHECK(strcmp(n, "model") == 0);
    sp_fb_label_bank(l, "run1");
    CHECK(strcmp(l, "run1_bank") == 0);
    sp_fb_label_filter(l, "run1");
    CHECK(strcmp(l, "run1_filter") == 0);
}

/* sp_fbd_sinc against the model's own taps (sp_sinc_taps) for the same
 * cut-offs; the response summary against closed forms. */
static void test_design(void)
{
    enum { F = 6, K = 101 };
    sp_sinc_spec s = sp_sinc_spec_make(F, K, 16000.0f);
    float low[F], band[F], f1[F], f2[F], model[F * K], mine[K];
    for (int f = 0; f < F; f++) {
        low[f] = 37.25f + 1100.5f * f;
        band[f] = 80.0f + 300.0f * f;
    }
    sp_sinc_taps(model, low, band, &s);
    sp_sinc_cutoffs(f1, f2, low, band, &s);
    double worst = 0;
    for (int f = 0; f < F; f++) {
        sp_fbd_sinc(mine, K, 16000.0, f1[f], f2[f]);
        for (int k = 0; k < K; k++) worst = fmax(worst, fabs(mine[k] - model[f * K + k]));
    }
    CHECK_MSG(worst < 1e-6, "sinc taps differ from the model's by %g", worst);

    /* h = [1, 1]: |H(f)| = 2 |cos(pi f / fs)|, peak 2 at 0 Hz, -3 dB at fs/4 */
    float h2[2] = { 1, 1 }, peak, a, b;
    CHECK(sp_fbd_response(h2, 1, 2, 16000.0, &peak, &a, &b, NULL) == 0);
    CHECK_MSG(fabsf(peak - 2.0f) < 1e-6f && a == 0.0f && fabsf(b - 4000.0f) < 4.0f, "peak %g band %g-%g", peak, a,
              b);
    /* a sinc band-pass: its peak is the pass-band gain ~fs / (2 (f2 - f1)),
     * its -3 dB band close to the cut-offs; and the grid */
    float bp[K];
    sp_fbd_sinc(bp, K, 16000.0, 1000.0, 2000.0);
    CHECK(sp_fbd_response(bp, 1, K, 16000.0, &peak, &a, &b, NULL) == 0);
    /* (a Hamming window's transition band at 101 taps is ~500 Hz wide; the
     * -3 dB points lie inside the cut-offs by about an eighth of it) */
    CHECK_MSG(fabsf(peak - 8.0f) < 0.4f && a > 1000.0f && a < 1100.0f && b < 2000.0f && b > 1900.0f,
              "peak %g band %g-%g", peak, a, b);
    CHECK(sp_fbd_grid(65) == 4096 && sp_fbd_grid(251) == 4096 && sp_fbd_grid(513) == 8192);
    /* the peak is the grid's maximum: evaluate it directly in double */
    double best = 0;
    int N = sp_fbd_grid(K);
    for (int j = 0; j <= N / 2; j++) {
        double re = 0, im = 0;
        for (int k = 0; k < K; k++) {
            re += bp[k] * cos(2 * PI * j * k / N);
            im -= bp[k] * sin(2 * PI * j * k / N);
        }
        best = fmax(best, hypot(re, im));
    }
    CHECK_MSG(fabs(peak - best) < 1e-5 * best, "peak %g, direct DFT %g", peak, best);

    /* the bank: (1/C) sum h_c / peak_c */
    float taps[2 * 3] = { 2, 4, 6, 1, 1, 1 }, pk[2] = { 2, 0.5f }, bank[3];
    sp_fbd_bank(bank, taps, pk, 2, 3);
    CHECK(bank[0] == 1.5f && bank[1] == 2.0f && bank[2] == 2.5f);
    CHECK(sp_fbd_redesign_taps(251, 16000, 48000) == 753 && sp_fbd_redesign_taps(251, 16000, 8000) == 127);
    CHECK(sp_fbd_redesign_taps(250, 16000, 16000) == 251 && sp_fbd_redesign_taps(3, 48000, 8000) == 3);
}

/* y[n] = sum_k h[k] x[n - (K-1) + k], in double */
static double causal(const float *h, int K, const float *x, long n)
{
    double s = 0;
    for (int k = 0; k < K; k++) {
        long i = n - (K - 1) + k;
        if (i >= 0) s += (double)h[k] * x[i];
    }
    return s;
}

static void test_fir_one(int K, sp_fir_path path, int in_place)
{
    enum { N = 6000 };
    float *h = malloc(sizeof(float) * K), *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
    for (int k = 0; k < K; k++) h[k] = frand() / K;
    for (int i = 0; i < N; i++) x[i] = frand();
    sp_error err;
    sp_fir *f = sp_fir_new(K, path, &err);
    CHECK_MSG(f != NULL, "%s", err.msg);
    sp_fir_set_taps(f, h);
    int B = sp_fir_block(f);
    CHECK(sp_fir_latency(f) == (K - 1) / 2 + B);
    CHECK((B == 0) == (sp_fir_path_of(f) == SP_FIR_DIRECT));
    /* chunks of every size from 1 up, as hosts do */
    for (long i = 0, m = 1; i < N; i += m, m = m % 700 + 37) {
        long c = i + m > N ? N - i : m;
        if (in_place) {
            memcpy(y + i, x + i, sizeof(float) * c);
            sp_fir_run(f, y + i, y + i, (unsigned long)c);
        } else {
            sp_fir_run(f, x + i, y + i, (unsigned long)c);
        }
    }
    double worst = 0, scale = 0;
    for (long n = 0; n < N; n++) {
        double want = n >= B ? causal(h, K, x, n - B) : 0.0;
        worst = fmax(worst, fabs(y[n] - want));
        scale = fmax(scale, fabs(want));
    }
    CHECK_MSG(worst < 2e-6 * (scale + 1e-3), "K %d path %d in_place %d: error %g of %g", K, path, in_place, worst,
              scale);
    /* reset: the same output again; new taps: the new filter from then on */
    sp_fir_reset(f);
    float *z = malloc(sizeof(float) * N);
    sp_fir_run(f, x, z, N);
    CHECK(memcmp(y, z, sizeof(float) * N) == 0 || in_place);
    for (int k = 0; k < K; k++) h[k] = -2 * h[k];
    sp_fir_reset(f);
    sp_fir_set_taps(f, h);
    sp_fir_run(f, x, z, N);
    worst = 0;
    for (long n = B; n < N; n++) worst = fmax(worst, fabs(z[n] - causal(h, K, x, n - B)));
    CHECK_MSG(worst < 4e-6 * (scale + 1e-3), "K %d path %d: after set_taps, error %g", K, path, worst);
    sp_fir_free(f);
    free(h);
    free(x);
    free(y);
    free(z);
}

static void test_fir(void)
{
    int Ks[] = { 1, 2, 7, 63, 64, 65, 251, 1001 };
    for (size_t i = 0; i < sizeof Ks / sizeof Ks[0]; i++)
        for (int p = SP_FIR_DIRECT; p <= SP_FIR_FFT; p++)
            for (int ip = 0; ip < 2; ip++) test_fir_one(Ks[i], (sp_fir_path)p, ip);
    sp_fir *a = sp_fir_new(63, SP_FIR_AUTO, NULL), *b = sp_fir_new(64, SP_FIR_AUTO, NULL);
    CHECK(sp_fir_path_of(a) == SP_FIR_DIRECT && sp_fir_latency(a) == 31);
    /* 64 taps: N = 256, L = 193 */
    CHECK(sp_fir_path_of(b) == SP_FIR_FFT && sp_fir_block(b) == 193 && sp_fir_latency(b) == 31 + 193);
    sp_fir_free(a);
    sp_fir_free(b);
    sp_fir *c = sp_fir_new(251, SP_FIR_AUTO, NULL); /* sincnet: N = 1024, L = 774 */
    CHECK(sp_fir_block(c) == 774 && sp_fir_latency(c) == 125 + 774);
    sp_fir_free(c);
    sp_error err;
    CHECK(sp_fir_new(0, SP_FIR_AUTO, &err) == NULL && strstr(err.msg, "0 taps: expected 1 to 65535"));
}

/* The catalog: order, skipping bad and clashing files, ID assignment. */
static void test_catalog(void)
{
    char *d1 = path_in(tmp, "d1"), *d2 = path_in(tmp, "d2"), *d3 = path_in(tmp, "missing");
    mkdir(d1, 0777);
    mkdir(d2, 0777);
    sp_fbfile a, b, c, d;
    unsigned long s = SP_FB_ID_BASE + 2 * sp_fb_home_slot("alpha");
    make_fb(&a, 2, 5, "alpha", s);
    make_fb(&b, 2, 5, "beta", SP_FB_ID_BASE + 100);
    make_fb(&c, 2, 5, "alpha", SP_FB_ID_BASE + 200); /* same name, later: skipped */
    make_fb(&d, 2, 5, "gamma", SP_FB_ID_BASE + 101); /* beta's filter ID: skipped */
    char *pa = path_in(d1, "b-alpha.spfb"), *pb = path_in(d1, "a-beta.spfb"), *pc = path_in(d2, "alpha.spfb"),
         *pd = path_in(d2, "gamma.spfb"), *pbad = path_in(d2, "bad.spfb"), *pother = path_in(d2, "notes.txt");
    write_fb(&a, pa);
    write_fb(&b, pb);
    write_fb(&c, pc);
    write_fb(&d, pd);
    sp_test_write(d2, "bad.spfb", "sincprobe-filterbank 1\nname x\n");
    sp_test_write(d2, "notes.txt", "not read");
    char *dirs[3] = { d1, d3, d2 };
    sp_fb_catalog cat;
    CHECK(sp_fb_catalog_load(&cat, dirs, 3, NULL) == 0);
    CHECK(cat.n == 5);
    if (cat.n == 5) {
        /* d1 in name order, the missing directory skipped, then d2 */
        CHECK(strcmp(cat.e[0].path, pb) == 0 && cat.e[0].loaded);
        CHECK(strcmp(cat.e[1].path, pa) == 0 && cat.e[1].loaded);
        CHECK(strcmp(cat.e[2].path, pc) == 0 && !cat.e[2].loaded && cat.e[2].readable);
        CHECK_MSG(strstr(cat.e[2].why, "the name of model 'alpha' is already loaded from") != NULL, "%s",
                  cat.e[2].why);
        CHECK(strcmp(cat.e[3].path, pbad) == 0 && !cat.e[3].readable);
        CHECK_MSG(strstr(cat.e[3].why, "bad.spfb:3: the file ends inside the header") != NULL, "%s", cat.e[3].why);
        CHECK(strcmp(cat.e[4].path, pd) == 0 && !cat.e[4].loaded);
        CHECK(strstr(cat.e[4].why, "a UniqueID of model 'beta'") != NULL);
    }
    unsigned long x, y;
    /* alpha keeps its IDs; a name whose home slot beta's IDs take moves on */
    CHECK(sp_fb_assign_ids(&cat, "alpha", &x, &y, NULL) == 0 && x == s && y == s + 1);
    CHECK(sp_fb_assign_ids(&cat, "delta", &x, &y, NULL) == 0);
    unsigned long home = SP_FB_ID_BASE + 2 * sp_fb_home_slot("delta");
    CHECK(x == home && y == home + 1 && (x - SP_FB_ID_BASE) % 2 == 0);
    CHECK(x >= SP_FB_ID_BASE && y < SP_FB_ID_BASE + 2 * SP_FB_ID_SLOTS);
    /* a name whose home slot is alpha's: the next slot (unless c's 200 is there) */
    cat.e[1].fb.id_bank = SP_FB_ID_BASE + 2 * sp_fb_home_slot("delta");
    cat.e[1].fb.id_filter = cat.e[1].fb.id_bank + 1;
    CHECK(sp_fb_assign_ids(&cat, "delta", &x, &y, NULL) == 0 && x == home + 2 && y == home + 3);
    sp_fb_catalog_free(&cat);

    /* the search path from the environment */
    setenv("SINCPROBE_LADSPA_PATH", "/a::/b", 1);
    setenv("XDG_DATA_HOME", "/xdg", 1);
    char **sp;
    int n;
    CHECK(sp_fb_search_path(&sp, &n, NULL) == 0 && n == 3);
    if (n == 3) CHECK(!strcmp(sp[0], "/a") && !strcmp(sp[1], "/b") && !strcmp(sp[2], "/xdg/sincprobe/ladspa"));
    sp_fb_dirs_free(sp, n);
    setenv("XDG_DATA_HOME", "relative", 1);
    setenv("HOME", "/home/u", 1);
    unsetenv("SINCPROBE_LADSPA_PATH");
    CHECK(sp_fb_search_path(&sp, &n, NULL) == 0 && n == 1 && !strcmp(sp[0], "/home/u/.local/share/sincprobe/ladspa"));
    sp_fb_dirs_free(sp, n);
    sp_fbfile_free(&a);
    sp_fbfile_free(&b);
    sp_fbfile_free(&c);
    sp_fbfile_free(&d);
    free(d1), free(d2), free(d3), free(pa), free(pb), free(pc), free(pd), free(pbad), free(pother);
}

// ----------------------------------------------------------------------------
// the LADSPA library, as a host sees it

typedef struct {
    const LADSPA_Descriptor *d;
    LADSPA_Handle h;
    LADSPA_Data ctl[6];
} host;

/* Instantiate d at rate with every control port connected to ctl, filter
 * index filter; NULL handle when the plugin refuses. */
static int open_plugin(host *p, const LADSPA_Descriptor *d, unsigned long rate, float filter)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    if (!(p->h = d->instantiate(d, rate))) return -1;
    for (unsigned long i = 2; i < d->PortCount; i++) d->connect_port(p->h, i, &p->ctl[i]);
    if (d->PortCount == 6) p->ctl[2] = filter;
    d->activate(p->h);
    return 0;
}

/* The impulse response of p's filter: n samples of output after a unit
 * impulse, run in place in chunks of 100; the latency port's value. */
static int impulse(host *p, float *y, int n)
{
    memset(y, 0, sizeof(float) * n);
    y[0] = 1.0f;
    for (int i = 0; i < n; i += 100) {
        int m = n - i < 100 ? n - i : 100;
        p->d->connect_port(p->h, 0, y + i);
        p->d->connect_port(p->h, 1, y + i);
        p->d->run(p->h, (unsigned long)m);
    }
    return (int)p->ctl[p->d->PortCount - 1];
}

/* y (after the delay B = latency - (K-1)/2) is h reversed / scale: the
 * largest difference. */
static double ir_error(const float *y, int n, int latency, const float *h, int K, double scale)
{
    int B = latency - (K - 1) / 2;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        int k = K - 1 - (i - B);
        double want = k >= 0 && k < K ? h[k] / scale : 0.0;
        worst = fmax(worst, fabs(y[i] - want));
    }
    return worst;
}

/* sx: 4 sinc band-passes (the last above 4 kHz), cx: 3 random kernels */
static void write_library_files(const char *dir, sp_fbfile *sx, sp_fbfile *cx)
{
    static const float band[4][2] = { { 100, 400 }, { 500, 1500 }, { 2000, 2600 }, { 5000, 6000 } };
    make_fb(sx, 4, 65, "sx", 0x5C0100);
    for (int c = 0; c < 4; c++) {
        sx->f1[c] = band[c][0];
        sx->f2[c] = band[c][1];
        sp_fbd_sinc(sx->taps + c * 65, 65, 16000.0, band[c][0], band[c][1]);
    }
    CHECK(sp_fbd_response(sx->taps, 4, 65, 16000.0, sx->peak, NULL, NULL, NULL) == 0);
    make_fb(cx, 3, 9, "cx", 0x5C0200);
    cx->kind = SP_FB_CONV;
    CHECK(sp_fbd_response(cx->taps, 3, 9, 16000.0, cx->peak, cx->f1, cx->f2, NULL) == 0);
    char *a = path_in(dir, "sx.spfb"), *b = path_in(dir, "cx.spfb");
    write_fb(sx, a);
    write_fb(cx, b);
    free(a);
    free(b);
}

static void check_descriptors(LADSPA_Descriptor_Function get)
{
    static const char *labels[4] = { "cx_bank", "cx_filter", "sx_bank", "sx_filter" };
    static const unsigned long ids[4] = { 0x5C0200, 0x5C0201, 0x5C0100, 0x5C0101 };
    for (unsigned long i = 0; i < 4; i++) {
        const LADSPA_Descriptor *d = get(i);
        CHECK(d != NULL);
        if (!d) return;
        CHECK_MSG(strcmp(d->Label, labels[i]) == 0 && d->UniqueID == ids[i], "%lu: %s %lu", i, d->Label,
                  d->UniqueID);
        CHECK(LADSPA_IS_HARD_RT_CAPABLE(d->Properties) && !LADSPA_IS_INPLACE_BROKEN(d->Properties));
        CHECK(d->PortCount == (i % 2 ? 6u : 3u));
        CHECK(strcmp(d->PortNames[d->PortCount - 1], "latency") == 0);
        CHECK(LADSPA_IS_PORT_OUTPUT(d->PortDescriptors[d->PortCount - 1]));
    }
    CHECK(get(4) == NULL);
    const LADSPA_Descriptor *f = get(3);
    CHECK(strcmp(f->PortNames[2], "filter") == 0 && f->PortRangeHints[2].UpperBound == 3.0f);
    CHECK(strcmp(f->PortNames[3], "centre (Hz)") == 0 && strcmp(f->PortNames[4], "bandwidth (Hz)") == 0);
}

/* sx_filter and sx_bank at 16 kHz: the file's taps; at 48 kHz and 8 kHz:
 * redesigned; cx at 48 kHz: refused. */
static void check_instances(LADSPA_Descriptor_Function get, const sp_fbfile *sx)
{
    enum { N = 3000 };
    static float y[N];
    host p;
    CHECK(open_plugin(&p, get(3), 16000, 2.0f) == 0);
    int lat = impulse(&p, y, N);
    CHECK_MSG(ir_error(y, N, lat, sx->taps + 2 * 65, 65, sx->peak[2]) < 1e-6, "sx_filter 2: latency %d", lat);
    CHECK(p.ctl[3] == 2300.0f && p.ctl[4] == 600.0f);
    p.ctl[2] = 99.0f; /* beyond the range: the last filter */
    impulse(&p, y, 10);
    CHECK(p.ctl[3] == 5500.0f && p.ctl[4] == 1000.0f);
    p.d->cleanup(p.h);

    setenv("SINCPROBE_LADSPA_CONV", "direct", 1);
    float bank[195], k48[4 * 195], pk[4];
    CHECK(open_plugin(&p, get(2), 16000, 0) == 0);
    lat = impulse(&p, y, N);
    sp_fbd_bank(bank, sx->taps, sx->peak, 4, 65);
    CHECK_MSG(lat == 32 && ir_error(y, N, lat, bank, 65, 1.0) < 1e-6, "sx_bank direct: latency %d", lat);
    p.d->cleanup(p.h);
    unsetenv("SINCPROBE_LADSPA_CONV");

    /* 48 kHz: 195 taps (the same 4 ms), the same cut-offs */
    for (int c = 0; c < 4; c++) sp_fbd_sinc(k48 + c * 195, 195, 48000.0, sx->f1[c], sx->f2[c]);
    CHECK(sp_fbd_response(k48, 4, 195, 48000.0, pk, NULL, NULL, NULL) == 0);
    sp_fbd_bank(bank, k48, pk, 4, 195);
    CHECK(open_plugin(&p, get(2), 48000, 0) == 0);
    lat = impulse(&p, y, N);
    CHECK_MSG(lat > 97 && ir_error(y, N, lat, bank, 195, 1.0) < 1e-6, "sx_bank at 48 kHz: latency %d", lat);
    p.d->cleanup(p.h);
    /* 8 kHz: the top filter (5-6 kHz) is above Nyquist: silent, bandwidth 0 */
    CHECK(open_plugin(&p, get(3), 8000, 3.0f) == 0);
    impulse(&p, y, N);
    double e = 0;
    for (int i = 0; i < N; i++) e = fmax(e, fabs(y[i]));
    CHECK(e == 0 && p.ctl[3] == 5000.0f && p.ctl[4] == 0.0f);
    p.d->cleanup(p.h);

    CHECK(open_plugin(&p, get(0), 48000, 0) == -1); /* conv: only at its own rate */
    CHECK(open_plugin(&p, get(1), 16000, 1.0f) == 0);
    p.d->cleanup(p.h);
}

static void test_library(void)
{
    const char *top = getenv("top_builddir");
    CHECK_MSG(top != NULL, "top_builddir is unset: run through make check");
    if (!top) return;
    char *dir = path_in(tmp, "lib"), *none = path_in(tmp, "none");
    mkdir(dir, 0777);
    sp_fbfile sx, cx;
    write_library_files(dir, &sx, &cx);
    sp_test_write(dir, "broken.spfb", "sincprobe-filterbank 1\n"); /* skipped */
    setenv("SINCPROBE_LADSPA_PATH", dir, 1);
    setenv("XDG_DATA_HOME", none, 1);
    char *so = path_in(top, "plugins/ladspa/.libs/sincprobe.so");
    void *lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(lib != NULL, "%s", dlerror());
    if (lib) {
        LADSPA_Descriptor_Function get = (LADSPA_Descriptor_Function)(uintptr_t)dlsym(lib, "ladspa_descriptor");
        CHECK(get != NULL);
        if (get) {
            check_descriptors(get);
            check_instances(get, &sx);
        }
        dlclose(lib);
    }
    sp_fbfile_free(&sx);
    sp_fbfile_free(&cx);
    free(so);
    free(dir);
    free(none);
}

int main(void)
{
    tmp = sp_test_tmpdir();
    test_round_trip();
    test_reject();
    test_names();
    test_design();
    test_fir();
    test_catalog();
    test_library();
    sp_test_rmtree(tmp);
    free(tmp);
    return sp_test_result("test_ladspa_export");
}
