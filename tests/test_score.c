/* test_score.c - PER scoring (decode.h): folding to the 39 set with the
 * shipped map, Levenshtein counts and alignments worked by hand, the
 * confusion matrix and its TSV file, and the frame error rate. Needs
 * SINCPROBE_DATA_DIR (make check sets it). Each failure prints the check
 * that failed; the exit status is 1 when any did. */
#include "config.h"
#include "decode/decode.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
static const char *current = "";

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s (%s:%d): ", current, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static sp_phoneset ps;

/* Space-separated symbols of a set (48, 61 or 39) to indices; -1 for an
 * unknown symbol (a test bug, reported). */
static size_t parse(const char *text, int set, int *out)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    size_t k = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int i = set == 48 ? sp_phone48(&ps, t) : set == 61 ? sp_phone61(&ps, t) : sp_phone39(&ps, t);
        CHECK(i >= 0, "test bug: '%s' is not in the %d set", t, set);
        out[k++] = i;
    }
    return k;
}

static void names39(const int *x, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", x[i] >= 0 ? ps.name39[x[i]] : "?");
}

/* Fold from set 48 or 61 and compare with the expected 39-set string. */
static void fold_case(int set, const char *in, const char *want)
{
    int x[64], y[64], w[64];
    size_t n = parse(in, set, x);
    size_t k = set == 48 ? sp_score_fold48(&ps, x, n, y) : sp_score_fold61(&ps, x, n, y);
    size_t m = parse(want, 39, w);
    char got[512];
    names39(y, k, got, sizeof got);
    CHECK(k == m && memcmp(y, w, k * sizeof *y) == 0, "fold%d '%s': got '%s', expected '%s'", set, in, got, want);
}

static void test_fold(void)
{
    current = "folding";
    CHECK(ps.n61 == 61 && ps.n48 == 48 && ps.n39 == 39, "phone sets %d/%d/%d, expected 61/48/39", ps.n61,
          ps.n48, ps.n39);
    /* 48 -> 39 spot checks (Lee & Hon). */
    fold_case(48, "ao", "aa");
    fold_case(48, "ax", "ah");
    fold_case(48, "ix", "ih");
    fold_case(48, "el", "l");
    fold_case(48, "en", "n");
    fold_case(48, "zh", "sh");
    fold_case(48, "cl", "sil");
    fold_case(48, "vcl", "sil");
    fold_case(48, "epi", "sil");
    fold_case(48, "er", "er");
    /* Merging after folding: closures and pauses become one sil. */
    fold_case(48, "sil cl b vcl epi aa ao", "sil b sil aa");
    fold_case(48, "ix ih iy", "ih iy");
    fold_case(48, "aa", "aa");
    /* 61 -> 39 through the map, q deleted, then merged:
     * h# pcl | p | ix (q) ih | ax-h ah | epi h# */
    fold_case(61, "h# pcl p ix q ih ax-h ah epi h#", "sil p ih ah sil");
    fold_case(61, "axr er hv hh nx n eng ux", "er hh n ng uw");
    fold_case(61, "q", "");
    /* A negative index (deleted) is dropped by fold48 too. */
    int x[3] = { sp_phone48(&ps, "s"), -1, sp_phone48(&ps, "s") }, y[3];
    size_t k = sp_score_fold48(&ps, x, 3, y);
    CHECK(k == 1 && y[0] == sp_phone39(&ps, "s"), "fold48 's <deleted> s' gave %zu phones", k);
    /* Decoded segments fold the same way. */
    sp_phone_seg seg[3] = { { sp_phone48(&ps, "cl"), 0, 2 }, { sp_phone48(&ps, "sil"), 3, 9 },
                            { sp_phone48(&ps, "ao"), 10, 14 } };
    k = sp_score_fold_segs(&ps, seg, 3, y);
    CHECK(k == 2 && y[0] == sp_phone39(&ps, "sil") && y[1] == sp_phone39(&ps, "aa"),
          "fold_segs 'cl sil ao' gave %zu phones", k);
}

/* Align two strings of single-letter "phones" (a=0, b=1, ...). */
static void lev_case(const char *ref, const char *hyp, long S, long D, long I)
{
    sp_error err;
    int r[32], h[32];
    size_t nr = 0, nh = 0;
    for (const char *c = ref; *c; c++)
        if (*c != ' ') r[nr++] = *c - 'a';
    for (const char *c = hyp; *c; c++)
        if (*c != ' ') h[nh++] = *c - 'a';
    sp_score s;
    sp_score_init(&s, 26, &err);
    sp_edit_counts e;
    CHECK(sp_score_add(&s, r, nr, h, nh, &e, &err) == 0, "'%s' vs '%s': %s", ref, hyp, err.msg);
    CHECK(e.sub == S && e.del == D && e.ins == I && e.ref == (long)nr && e.hyp == (long)nh,
          "ref '%s' hyp '%s': S=%ld D=%ld I=%ld N=%ld, expected S=%ld D=%ld I=%ld N=%zu", ref, hyp, e.sub,
          e.del, e.ins, e.ref, S, D, I, nr);
    /* The alignment agrees with the counts and spells out both strings. */
    long s2 = 0, d2 = 0, i2 = 0, c2 = 0;
    size_t ri = 0, hi = 0;
    int order_ok = 1;
    for (size_t i = 0; i < s.npair; i++) {
        sp_align_pair p = s.pair[i];
        if (p.ref >= 0) order_ok &= ri < nr && r[ri++] == p.ref;
        if (p.hyp >= 0) order_ok &= hi < nh && h[hi++] == p.hyp;
        if (p.ref >= 0 && p.hyp >= 0 && p.ref == p.hyp) c2++;
        else if (p.ref >= 0 && p.hyp >= 0) s2++;
        else if (p.ref >= 0) d2++;
        else i2++;
    }
    CHECK(order_ok && ri == nr && hi == nh, "ref '%s' hyp '%s': the alignment does not spell both strings", ref, hyp);
    CHECK(s2 == e.sub && d2 == e.del && i2 == e.ins && c2 == (long)nr - e.sub - e.del,
          "ref '%s' hyp '%s': alignment pairs disagree with the counts", ref, hyp);
    sp_score_free(&s);
}

static void test_levenshtein(void)
{
    current = "levenshtein";
    lev_case("a b c d", "a x c d e", 1, 0, 1);
    lev_case("a b c d", "a b c d", 0, 0, 0);
    lev_case("a b c", "", 0, 3, 0);
    lev_case("", "a b", 0, 0, 2);
    lev_case("", "", 0, 0, 0);
    lev_case("a b c d e", "a c e", 0, 2, 0);
    lev_case("a c e", "a b c d e", 0, 0, 2);
    lev_case("a b c", "x y z", 3, 0, 0);
    lev_case("a b c", "x y", 2, 1, 0);
    lev_case("s a b s", "a b", 0, 2, 0);
    lev_case("a b c d e f", "b c x e f g", 1, 1, 1);
    /* Tie rule (documented): the back-trace prefers the diagonal. */
    lev_case("a b", "b a", 2, 0, 0);
    lev_case("a b", "b c", 2, 0, 0);
    /* k i t t e n -> s i t t i n g: the classic distance 3 (2 S + 1 I). */
    lev_case("k i t t e n", "s i t t i n g", 2, 0, 1);
}

static void test_accumulate_and_confusion(void)
{
    current = "accumulation and confusion";
    sp_error err;
    sp_score s;
    CHECK(sp_score_init(&s, 39, &err) == 0, "init: %s", err.msg);
    int r[16], h[16];
    size_t nr, nh;
    /* utt 1: ref 'sil aa b sil', hyp 'sil ae b sil' -> S=1 (aa -> ae)
     * utt 2: ref 'sil s iy', hyp 'sil s iy n' -> I=1 (n)
     * utt 3: ref 'sh iy', hyp 'iy' -> D=1 (sh)
     * total: N = 4 + 3 + 2 = 9, S=1 D=1 I=1, PER = 3/9 */
    nr = parse("sil aa b sil", 39, r);
    nh = parse("sil ae b sil", 39, h);
    CHECK(sp_score_add(&s, r, nr, h, nh, NULL, &err) == 0, "utt 1: %s", err.msg);
    nr = parse("sil s iy", 39, r);
    nh = parse("sil s iy n", 39, h);
    CHECK(sp_score_add(&s, r, nr, h, nh, NULL, &err) == 0, "utt 2: %s", err.msg);
    nr = parse("sh iy", 39, r);
    nh = parse("iy", 39, h);
    sp_edit_counts e;
    CHECK(sp_score_add(&s, r, nr, h, nh, &e, &err) == 0, "utt 3: %s", err.msg);
    CHECK(e.del == 1 && e.sub == 0 && e.ins == 0 && e.ref == 2, "utt 3 counts S=%ld D=%ld I=%ld N=%ld", e.sub,
          e.del, e.ins, e.ref);
    CHECK(s.npair == 2 && s.pair[0].ref == sp_phone39(&ps, "sh") && s.pair[0].hyp == -1,
          "utt 3 alignment does not start with the deletion of sh");
    CHECK(s.utterances == 3, "utterances %ld", s.utterances);
    CHECK(s.total.ref == 9 && s.total.hyp == 9 && s.total.sub == 1 && s.total.del == 1 && s.total.ins == 1,
          "totals N=%ld H=%ld S=%ld D=%ld I=%ld, expected 9 9 1 1 1", s.total.ref, s.total.hyp, s.total.sub,
          s.total.del, s.total.ins);
    CHECK(fabs(sp_score_per(&s) - 3.0 / 9) < 1e-15, "PER %.15g, expected 1/3", sp_score_per(&s));

    int n = 39, none = 39;
#define CONF(a, b) s.confusion[(size_t)(a) * (size_t)(n + 1) + (size_t)(b)]
    int sil = sp_phone39(&ps, "sil"), aa = sp_phone39(&ps, "aa"), ae = sp_phone39(&ps, "ae"),
        iy = sp_phone39(&ps, "iy"), nn = sp_phone39(&ps, "n"), sh = sp_phone39(&ps, "sh");
    CHECK(CONF(sil, sil) == 3, "confusion[sil][sil] = %ld, expected 3", CONF(sil, sil));
    CHECK(CONF(aa, ae) == 1, "confusion[aa][ae] = %ld, expected 1", CONF(aa, ae));
    CHECK(CONF(iy, iy) == 2, "confusion[iy][iy] = %ld, expected 2", CONF(iy, iy));
    CHECK(CONF(none, nn) == 1, "insertions of n = %ld, expected 1", CONF(none, nn));
    CHECK(CONF(sh, none) == 1, "deletions of sh = %ld, expected 1", CONF(sh, none));
    long sum = 0;
    for (int a = 0; a <= n; a++)
        for (int b = 0; b <= n; b++) sum += CONF(a, b);
    CHECK(sum == 9 + 1, "confusion cells sum to %ld, expected N + I = 10", sum);

    /* Out-of-range indices are refused and nothing is added. */
    int bad[1] = { 39 };
    CHECK(sp_score_add(&s, bad, 1, h, 0, NULL, &err) == -1, "index 39 accepted");
    CHECK(s.utterances == 3 && s.total.ref == 9, "a refused utterance changed the totals");

    /* The TSV file. */
    char dir[] = "/tmp/test_score.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    char *path = sp_path_join(dir, "confusion.tsv");
    CHECK(sp_score_write_confusion(&s, &ps, path, &err) == 0, "write: %s", err.msg);
    size_t len;
    char *text = sp_read_file(path, &len, &err);
    CHECK(text != NULL, "read back: %s", err.msg);
    if (text) {
        int lines = 0;
        for (char *c = text; *c; c++) lines += *c == '\n';
        CHECK(lines == 1 + 39 + 1, "%d lines, expected header + 39 + <ins>", lines);
        CHECK(strncmp(text, "ref\taa\tae\tah\t", 13) == 0, "header starts '%.20s'", text);
        char *nl = strchr(text, '\n');
        CHECK(nl && strncmp(nl - 6, "\t<del>", 6) == 0, "header does not end with <del>");
        /* The aa row: 0 aa, 1 ae, zeros elsewhere. */
        char want[256] = "\naa\t0\t1";
        for (int b = 2; b <= n; b++) strcat(want, "\t0");
        strcat(want, "\n");
        CHECK(strstr(text, want) != NULL, "row aa is not '0 1 0...'");
        CHECK(strstr(text, "\n<ins>\t") != NULL, "no <ins> row");
        /* Every row has n + 2 fields. */
        int rows_ok = 1;
        for (char *line = text; *line; ) {
            char *end = strchr(line, '\n');
            int tabs = 0;
            for (char *c = line; c < end; c++) tabs += *c == '\t';
            rows_ok &= tabs == n + 1;
            line = end + 1;
        }
        CHECK(rows_ok, "a row does not have %d fields", n + 2);
        free(text);
    }
    remove(path);
    rmdir(dir);
    free(path);

    sp_phoneset small = ps;
    small.n39 = 38;
    CHECK(sp_score_write_confusion(&s, &small, "/nonexistent/x.tsv", &err) == -1, "a 38-phone set accepted");
    sp_score_free(&s);
    sp_score_free(&s);

    sp_edit_counts zero = { 0, 2, 0, 0, 2 };
    CHECK(isnan(sp_edit_rate(&zero)), "PER with N = 0 is not NaN");
}

static void test_fer(void)
{
    current = "frame error rate";
    sp_error err;
    /* 3 classes; frame argmaxes 0, 2, 1, 1 (tie 1/2 -> 1), 0. */
    const float sc[5 * 3] = {
        0.7f, 0.2f, 0.1f,
        0.1f, 0.3f, 0.6f,
        0.2f, 0.5f, 0.3f,
        0.1f, 0.45f, 0.45f,
        0.5f, 0.4f, 0.1f,
    };
    const int ref[5] = { 0, 2, 2, 2, -1 };
    sp_fer f;
    sp_fer_init(&f);
    CHECK(sp_fer_add(&f, sc, 5, 3, ref, NULL, &err) == 0, "add: %s", err.msg);
    /* frames 0..3 counted: errors at 2 (1 vs 2) and 3 (tie -> 1 vs 2). */
    CHECK(f.frames == 4 && f.errors == 2, "frames %ld errors %ld, expected 4 and 2", f.frames, f.errors);
    CHECK(fabs(sp_fer_rate(&f) - 0.5) < 1e-15, "FER %g, expected 0.5", sp_fer_rate(&f));
    /* Folded: classes 1 and 2 the same -> no errors. */
    const int fold[3] = { 0, 1, 1 };
    sp_fer g;
    sp_fer_init(&g);
    CHECK(sp_fer_add(&g, sc, 5, 3, ref, fold, &err) == 0, "add folded: %s", err.msg);
    CHECK(g.frames == 4 && g.errors == 0, "folded: frames %ld errors %ld, expected 4 and 0", g.frames, g.errors);
    const int bad[1] = { 3 };
    CHECK(sp_fer_add(&g, sc, 1, 3, bad, NULL, &err) == -1 && g.frames == 4, "label 3 of 3 classes accepted");
    sp_fer h;
    sp_fer_init(&h);
    CHECK(isnan(sp_fer_rate(&h)), "FER of no frames is not NaN");

    /* On the real sets: 48-set ao scored against aa is right on 39. */
    float post[48] = { 0 };
    post[sp_phone48(&ps, "ao")] = 1;
    int lab = sp_phone48(&ps, "aa");
    sp_fer k;
    sp_fer_init(&k);
    sp_fer_add(&k, post, 1, 48, &lab, ps.fold48, &err);
    CHECK(k.frames == 1 && k.errors == 0, "ao vs aa folded is an error");
    sp_fer_add(&k, post, 1, 48, &lab, NULL, &err);
    CHECK(k.frames == 2 && k.errors == 1, "ao vs aa unfolded is not an error");
}

int main(void)
{
    sp_error err;
    if (sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "FAIL loading the phone map: %s\n", err.msg);
        return 1;
    }
    test_fold();
    test_levenshtein();
    test_accumulate_and_confusion();
    test_fer();
    if (failures) {
        fprintf(stderr, "test_score: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_score: all checks passed\n");
    return 0;
}
