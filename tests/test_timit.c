/* test_timit.c - the TIMIT tree reader: layout and name variants, splits,
 * SA exclusion, and every utterance-level validation error, on a fixture
 * tree made here. */
#include "config.h"
#include "corpus/sphere.h"
#include "corpus/timit.h"
#include "base/util.h"
#include "testlib.h"

#include <sndfile.h>

static char *root;
static sp_phoneset ps;

/* Audio of n samples at dir/name: SPHERE via our writer, or RIFF. */
static void audio(const char *rel, long n, int riff)
{
    char *path = sp_xasprintf("%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    sp_error err;
    if (sp_mkdirs(path, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    *slash = '/';
    int16_t *s = sp_xcalloc((size_t)n, sizeof *s);
    for (long i = 0; i < n; i++) s[i] = (int16_t)(i % 64 - 32);
    if (!riff) {
        if (sp_sphere_write(path, s, n, 16000, NULL, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    } else {
        SF_INFO si = { 0 };
        si.samplerate = 16000;
        si.channels = 1;
        si.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
        sf_write_short(sf, s, n);
        sf_close(sf);
    }
    free(s);
    free(path);
}

#define PHN_OK "0 1000 h#\n1000 2000 s\n2000 3000 iy\n3000 4000 h#\n"
#define WRD_OK "1000 3000 see\n"
#define TXT_OK "0 4000 See.\n"

/* A complete, valid utterance: base is e.g. "TRAIN/DR1/FCJF0/SI1027". */
static void utt(const char *base, const char *wav_ext, const char *lab_ext_case)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s%s", base, wav_ext);
    audio(rel, 4000, strstr(wav_ext, ".wav.wav") || strstr(wav_ext, ".WAV.wav") || strcmp(wav_ext, ".wav") == 0);
    int lower = lab_ext_case[0] == 'l';
    snprintf(rel, sizeof rel, "%s%s", base, lower ? ".phn" : ".PHN");
    sp_test_write(root, rel, PHN_OK);
    snprintf(rel, sizeof rel, "%s%s", base, lower ? ".wrd" : ".WRD");
    sp_test_write(root, rel, WRD_OK);
    snprintf(rel, sizeof rel, "%s%s", base, lower ? ".txt" : ".TXT");
    sp_test_write(root, rel, TXT_OK);
}

static size_t scan(int split, int include_sa, sp_corpus *c, sp_diag *d)
{
    sp_error err;
    sp_diag_init(d, 0);
    if (sp_corpus_scan(c, root, split, include_sa, d, &err) != 0) {
        fprintf(stderr, "scan: %s\n", err.msg);
        exit(1);
    }
    return c->n;
}

static const sp_utt_ref *find(const sp_corpus *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->utts[i].id, id) == 0) return &c->utts[i];
    return NULL;
}

/* Load one utterance and expect exactly one problem containing `what` at
 * `line` of the file whose name ends with `ext`. */
static void expect_utt_problem(const sp_corpus *c, const char *id, const char *ext, long line, const char *what)
{
    const sp_utt_ref *r = find(c, id);
    CHECK_MSG(r != NULL, "utterance %s not found", id);
    if (!r) return;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_utt u;
    int n = sp_utt_load(r, &ps, &u, &d);
    CHECK_MSG(n == 1, "%s: %d problems, expected 1 about '%s'", id, n, what);
    for (size_t i = 0; i < d.n; i++) {
        const sp_problem *p = &d.v[i];
        if (n != 1) sp_problem_print(stderr, p);
        CHECK_MSG(strstr(p->message, what) != NULL, "%s: got '%s', expected '%s'", id, p->message, what);
        CHECK_MSG(p->line == line, "%s: line %ld, expected %ld", id, p->line, line);
        CHECK_MSG(sp_endswith_ci(p->file, ext), "%s: problem in '%s', expected a %s file", id, p->file, ext);
    }
    sp_utt_free(&u);
    sp_diag_free(&d);
}

/* The LDC layout in both cases and with RIFF copies, and the splits. */
static void test_tree_and_splits(void)
{
    sp_corpus c;
    sp_diag d;

    /* TRAIN: an upper-case LDC speaker, a lower-case copy, a RIFF copy. */
    utt("TRAIN/DR1/FCJF0/SI1027", ".WAV", "U");
    utt("TRAIN/DR1/FCJF0/SA1", ".WAV", "U");
    utt("TRAIN/DR1/FCJF0/SX127", ".WAV", "U");
    utt("TRAIN/DR1/FCJF0/SX127", ".WAV.wav", "U"); /* RIFF copy beside the SPHERE one */
    utt("train/dr2/mabc0/si100", ".wav", "l");
    utt("TRAIN/DR3/MDEF0/SX200", ".WAV.wav", "U");  /* only the RIFF copy */
    /* TEST: a dev speaker, a core speaker, and one in neither list. */
    utt("TEST/DR1/FAKS0/SI943", ".WAV", "U");
    utt("TEST/DR1/FAKS0/SA2", ".WAV", "U");
    utt("TEST/DR1/MDAB0/SX139", ".WAV", "U");
    utt("TEST/DR4/MXYZ0/SI555", ".WAV", "U");

    CHECK(scan(SP_SPLIT_TRAIN, 0, &c, &d) == 4);
    CHECK(d.n == 0);
    CHECK(find(&c, "TRAIN/DR1/FCJF0/SI1027") != NULL);
    CHECK(find(&c, "TRAIN/DR1/FCJF0/SA1") == NULL); /* SA left out by default */
    CHECK(find(&c, "TRAIN/DR2/MABC0/SI100") != NULL);
    const sp_utt_ref *r = find(&c, "TRAIN/DR1/FCJF0/SX127");
    CHECK(r && sp_endswith_ci(r->wav, "SX127.WAV") && !sp_endswith_ci(r->wav, ".WAV.wav"));
    r = find(&c, "TRAIN/DR3/MDEF0/SX200");
    CHECK(r && sp_endswith_ci(r->wav, ".WAV.wav"));
    r = find(&c, "TRAIN/DR2/MABC0/SI100");
    CHECK(r && r->sex == 'm' && r->dialect == 2 && strcmp(r->speaker, "mabc0") == 0 && !r->test);
    /* Every utterance of the fixture loads without a problem, whatever its
     * case or audio format. */
    for (size_t i = 0; i < c.n; i++) {
        sp_diag d2;
        sp_diag_init(&d2, 0);
        sp_utt u;
        CHECK_MSG(sp_utt_load(&c.utts[i], &ps, &u, &d2) == 0, "%s", c.utts[i].id);
        CHECK(u.n == 4000 && u.phn.n == 4 && u.wrd.n == 1);
        for (size_t k = 0; k < d2.n; k++) sp_problem_print(stderr, &d2.v[k]);
        sp_utt_free(&u);
        sp_diag_free(&d2);
    }
    sp_corpus_free(&c);
    sp_diag_free(&d);

    CHECK(scan(SP_SPLIT_TRAIN, 1, &c, &d) == 5); /* with SA1 */
    sp_corpus_free(&c);
    sp_diag_free(&d);

    /* Splits: dev and core come from corpora/'s Kaldi lists. */
    CHECK(scan(SP_SPLIT_DEV, 0, &c, &d) == 1);
    CHECK(find(&c, "TEST/DR1/FAKS0/SI943") != NULL);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    CHECK(scan(SP_SPLIT_CORE, 0, &c, &d) == 1);
    CHECK(find(&c, "TEST/DR1/MDAB0/SX139") != NULL);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    CHECK(scan(SP_SPLIT_TEST, 0, &c, &d) == 3);
    CHECK(find(&c, "TEST/DR4/MXYZ0/SI555") != NULL);
    CHECK(c.n == 3 && c.utts[0].test);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    CHECK(scan(SP_SPLIT_TEST, 1, &c, &d) == 4);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    CHECK(scan(SP_SPLIT_ALL, 0, &c, &d) == 7);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    /* A speaker list beside the corpus overrides the shipped one. */
    sp_test_write(root, "dev_spk.list", "mxyz0\n");
    CHECK(scan(SP_SPLIT_DEV, 0, &c, &d) == 1);
    CHECK(find(&c, "TEST/DR4/MXYZ0/SI555") != NULL);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    char *lst = sp_xasprintf("%s/dev_spk.list", root);
    remove(lst);
    free(lst);
    CHECK(sp_split_parse("core") == SP_SPLIT_CORE && sp_split_parse("nope") < 0);

}

/* Validation errors, one utterance each, in a second tree. */
static void test_validation(void)
{
    sp_error err;
    sp_corpus c;
    sp_diag d;
    sp_test_rmtree(root);
    free(root);
    root = sp_test_tmpdir();
    const char *base = "TRAIN/DR5/MERR0/";
    char rel[512];
#define BAD(stem, phn)                                        \
    do {                                                      \
        snprintf(rel, sizeof rel, "%s%s.WAV", base, stem);    \
        audio(rel, 4000, 0);                                  \
        snprintf(rel, sizeof rel, "%s%s.PHN", base, stem);    \
        sp_test_write(root, rel, phn);                        \
    } while (0)
    BAD("SI1", "0 1000 h#\n1200 4000 s\n");                 /* gap */
    BAD("SI2", "0 1000 h#\n900 4000 s\n");                  /* overlap */
    BAD("SI3", "0 1000 h#\n1000 4500 s\n");                 /* beyond the audio */
    BAD("SI4", "0 1000 h#\n1000 2000 zz\n2000 4000 h#\n");  /* unknown phone */
    BAD("SI5", "0 1000 h#\n1000 2000\n2000 4000 h#\n");     /* not begin end label */
    BAD("SI6", "0 1000 h#\n2000 2000 s\n");                 /* begin >= end */
    BAD("SI7", "100 1000 h#\n1000 4000 s\n");               /* does not start at 0 */
    snprintf(rel, sizeof rel, "%sSX8.WAV", base);           /* missing .PHN */
    audio(rel, 4000, 0);
    snprintf(rel, sizeof rel, "%sSX9.WAV", base);           /* 8 kHz audio */
    {
        char *p = sp_xasprintf("%s/%s", root, rel);
        int16_t z[100] = { 0 };
        sp_sphere_write(p, z, 100, 8000, NULL, &err);
        free(p);
    }
    snprintf(rel, sizeof rel, "%sSX9.PHN", base);
    sp_test_write(root, rel, "0 100 h#\n");
    snprintf(rel, sizeof rel, "%sSI10.WAV", base);          /* a WRD word beyond the audio */
    audio(rel, 4000, 0);
    snprintf(rel, sizeof rel, "%sSI10.PHN", base);
    sp_test_write(root, rel, PHN_OK);
    snprintf(rel, sizeof rel, "%sSI10.WRD", base);
    sp_test_write(root, rel, "1000 3000 see\n3000 5000 far\n");
    sp_test_write(root, "TRAIN/DR5/BADNAME/SI1.PHN", PHN_OK); /* speaker folder misnamed */

    scan(SP_SPLIT_TRAIN, 0, &c, &d);
    CHECK(c.n == 10);
    /* Structural problems found by the scan: the misnamed folder, SX8
     * without .PHN. */
    CHECK(d.n == 2);
    int saw_name = 0, saw_phn = 0;
    for (size_t i = 0; i < d.n; i++) {
        if (strstr(d.v[i].message, "not named <F|M>xxxN")) saw_name = 1;
        if (strstr(d.v[i].message, "missing .PHN") && strstr(d.v[i].message, "SX8")) saw_phn = 1;
    }
    CHECK(saw_name && saw_phn);
    sp_diag_free(&d);
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI1", ".PHN", 2, "gap");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI2", ".PHN", 2, "overlap");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI3", ".PHN", 2, "beyond the audio");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI4", ".PHN", 2, "unknown phone 'zz'");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI5", ".PHN", 2, "expected 'begin end label'");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI6", ".PHN", 2, "begin must be less than end");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI7", ".PHN", 1, "expected 0");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SX9", ".WAV", 0, "expected 16000");
    expect_utt_problem(&c, "TRAIN/DR5/MERR0/SI10", ".WRD", 2, "beyond the audio");
    /* Strict mode: loading stops at the first problem. */
    {
        sp_diag ds;
        sp_diag_init(&ds, 1);
        sp_utt u;
        BAD("SI11", "0 1000 h#\n1200 2000 zz\n1900 4000 s\n"); /* gap, unknown, overlap */
        sp_utt_ref one = *find(&c, "TRAIN/DR5/MERR0/SI1");
        one.phn = sp_xasprintf("%s/%sSI11.PHN", root, base);
        CHECK(sp_utt_load(&one, &ps, &u, &ds) == 1);
        sp_utt_free(&u);
        sp_diag_free(&ds);
        sp_diag_init(&ds, 0);
        CHECK(sp_utt_load(&one, &ps, &u, &ds) == 3);
        sp_utt_free(&u);
        sp_diag_free(&ds);
        free(one.phn);
    }
    sp_corpus_free(&c);

}

/* No TRAIN folder at all. */
static void test_no_train(void)
{
    sp_corpus c;
    sp_diag d;
    sp_test_rmtree(root);
    free(root);
    root = sp_test_tmpdir();
    scan(SP_SPLIT_TRAIN, 0, &c, &d);
    CHECK(c.n == 0 && d.n == 1 && strstr(d.v[0].message, "no TRAIN folder"));
    sp_corpus_free(&c);
    sp_diag_free(&d);

}

int main(void)
{
    sp_error err;
    if (sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    root = sp_test_tmpdir();
    test_tree_and_splits();
    test_validation();
    test_no_train();
    sp_test_rmtree(root);
    free(root);
    return sp_test_result("test_timit");
}
