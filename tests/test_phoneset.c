/* test_phoneset.c - the 61/48/39 folding tables loaded from corpora/. */
#include "config.h"
#include "corpus/phoneset.h"
#include "base/util.h"
#include "testlib.h"

static const char *fold39(const sp_phoneset *ps, const char *sym)
{
    int i = sp_phone61(ps, sym);
    if (i < 0 || ps->to39[i] < 0) return "(deleted)";
    return ps->name39[ps->to39[i]];
}

static const char *fold48(const sp_phoneset *ps, const char *sym)
{
    int i = sp_phone61(ps, sym);
    if (i < 0 || ps->to48[i] < 0) return "(deleted)";
    return ps->name48[ps->to48[i]];
}

int main(void)
{
    sp_error err;
    sp_phoneset ps;
    if (sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    CHECK(ps.n61 == 61);
    CHECK(ps.n48 == 48);
    CHECK(ps.n39 == 39);
    /* Lee & Hon folding spot checks. */
    CHECK(strcmp(fold39(&ps, "ao"), "aa") == 0);
    CHECK(strcmp(fold48(&ps, "ao"), "ao") == 0);
    CHECK(strcmp(fold39(&ps, "ix"), "ih") == 0);
    CHECK(strcmp(fold48(&ps, "ix"), "ix") == 0);
    CHECK(strcmp(fold39(&ps, "pcl"), "sil") == 0);
    CHECK(strcmp(fold48(&ps, "pcl"), "cl") == 0);
    CHECK(strcmp(fold48(&ps, "bcl"), "vcl") == 0);
    CHECK(strcmp(fold39(&ps, "h#"), "sil") == 0);
    CHECK(strcmp(fold39(&ps, "pau"), "sil") == 0);
    CHECK(strcmp(fold39(&ps, "epi"), "sil") == 0);
    CHECK(strcmp(fold39(&ps, "zh"), "sh") == 0);
    CHECK(strcmp(fold48(&ps, "zh"), "zh") == 0);
    CHECK(strcmp(fold39(&ps, "ax-h"), "ah") == 0);
    CHECK(strcmp(fold39(&ps, "axr"), "er") == 0);
    CHECK(strcmp(fold39(&ps, "el"), "l") == 0);
    CHECK(strcmp(fold39(&ps, "em"), "m") == 0);
    CHECK(strcmp(fold39(&ps, "en"), "n") == 0);
    CHECK(strcmp(fold39(&ps, "nx"), "n") == 0);
    CHECK(strcmp(fold39(&ps, "eng"), "ng") == 0);
    CHECK(strcmp(fold39(&ps, "hv"), "hh") == 0);
    CHECK(strcmp(fold39(&ps, "ux"), "uw") == 0);
    CHECK(strcmp(fold39(&ps, "q"), "(deleted)") == 0);
    CHECK(sp_phone61(&ps, "q") >= 0);
    CHECK(sp_phone48(&ps, "q") < 0);
    CHECK(sp_phone61(&ps, "xyz") < 0);
    /* Every 48 phone folds to exactly one 39 phone, and the 48 -> 39 map
     * agrees with the 61 -> 39 map through it. */
    for (int i = 0; i < ps.n61; i++) {
        if (ps.to48[i] < 0) {
            CHECK(ps.to39[i] < 0);
            continue;
        }
        CHECK_MSG(ps.fold48[ps.to48[i]] == ps.to39[i], "phone %s", ps.name61[i]);
    }
    /* Every 39 phone is reached. */
    int reached[SP_MAX_PHONES] = { 0 };
    for (int i = 0; i < ps.n48; i++) reached[ps.fold48[i]] = 1;
    for (int i = 0; i < ps.n39; i++) CHECK_MSG(reached[i], "39 phone %s not reached", ps.name39[i]);

    /* A broken map is reported with its line. */
    char *dir = sp_test_tmpdir();
    sp_test_write(dir, "bad.map", "aa aa aa\nbb cc\naa aa aa\nzz ae aa\nyy ae ae\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/bad.map", dir);
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_phoneset bad;
    CHECK(sp_phoneset_load(&bad, path, &d) != 0);
    CHECK(d.n == 3);
    if (d.n == 3) {
        CHECK(d.v[0].line == 2 && strstr(d.v[0].message, "columns"));
        CHECK(d.v[1].line == 3 && strstr(d.v[1].message, "twice"));
        CHECK(d.v[2].line == 5 && strstr(d.v[2].message, "folds to both"));
    }
    sp_diag_free(&d);
    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_phoneset");
}
