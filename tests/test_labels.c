/* test_labels.c - PHN/WRD/TXT parsing and their line-level errors. */
#include "config.h"
#include "corpus/labels.h"
#include "base/util.h"
#include "testlib.h"

static char *dir;

static void parse(const char *name, const char *text, sp_segs *s, sp_diag *d)
{
    sp_test_write(dir, name, text);
    char *path = sp_xasprintf("%s/%s", dir, name);
    sp_diag_init(d, 0);
    CHECK(sp_segs_read(path, s, d) == 0);
    free(path);
}

int main(void)
{
    dir = sp_test_tmpdir();
    sp_segs s;
    sp_diag d;

    /* A TIMIT .PHN (the start of SA1 of FCJF0). */
    parse("good.phn", "0 3050 h#\n3050 4559 sh\n4559 5723 ix\n5723 6642 hv\n6642 8772 eh\n", &s, &d);
    CHECK(d.n == 0);
    CHECK(s.n == 5);
    if (s.n == 5) {
        CHECK(s.v[0].begin == 0 && s.v[0].end == 3050 && strcmp(s.v[0].label, "h#") == 0);
        CHECK(s.v[4].begin == 6642 && s.v[4].end == 8772 && strcmp(s.v[4].label, "eh") == 0);
        CHECK(s.v[3].line == 4);
    }
    sp_segs_free(&s);
    sp_diag_free(&d);

    /* CRLF line ends, trailing blank lines and extra spaces are accepted. */
    parse("crlf.wrd", "3050 5723 she\r\n5723  10337 had\r\n\r\n", &s, &d);
    CHECK(d.n == 0 && s.n == 2);
    sp_segs_free(&s);
    sp_diag_free(&d);

    /* Each malformed line is reported with its number and skipped. */
    parse("bad.phn",
          "0 100 h#\n"        /* 1 ok */
          "100 200\n"         /* 2 missing label */
          "abc 300 s\n"       /* 3 not a number */
          "300 250 t\n"       /* 4 begin >= end */
          "250 400 t extra\n" /* 5 two labels */
          "-5 400 t\n"        /* 6 negative */
          "400 400 t\n"       /* 7 empty segment */
          "400 500 iy\n",     /* 8 ok */
          &s, &d);
    CHECK(s.n == 2);
    CHECK(d.n == 6);
    long want_lines[] = { 2, 3, 4, 5, 6, 7 };
    for (size_t i = 0; i < d.n && i < 6; i++) {
        CHECK_MSG(d.v[i].line == want_lines[i], "problem %zu on line %ld", i, d.v[i].line);
        if (want_lines[i] == 4 || want_lines[i] == 7)
            CHECK(strstr(d.v[i].message, "begin must be less than end") != NULL);
        else
            CHECK(strstr(d.v[i].message, "expected 'begin end label'") != NULL);
    }
    sp_segs_free(&s);
    sp_diag_free(&d);

    /* Strict mode stops at the first problem. */
    sp_test_write(dir, "strict.phn", "0 1 h#\nx\ny\n");
    char *path = sp_xasprintf("%s/strict.phn", dir);
    sp_diag_init(&d, 1);
    sp_segs_read(path, &s, &d);
    CHECK(d.n == 1 && d.v[0].line == 2);
    sp_segs_free(&s);
    sp_diag_free(&d);
    free(path);

    /* A missing file is a problem, not a crash. */
    path = sp_xasprintf("%s/none.phn", dir);
    sp_diag_init(&d, 0);
    CHECK(sp_segs_read(path, &s, &d) != 0);
    CHECK(d.n == 1 && strstr(d.v[0].message, "cannot open") != NULL);
    sp_diag_free(&d);
    free(path);

    /* TXT. */
    sp_test_write(dir, "a.txt", "0 46797 She had your dark suit in greasy wash water all year.\n");
    path = sp_xasprintf("%s/a.txt", dir);
    long b, e;
    char *text;
    sp_diag_init(&d, 0);
    CHECK(sp_txt_read(path, &b, &e, &text, &d) == 0);
    CHECK(b == 0 && e == 46797 && text && strcmp(text, "She had your dark suit in greasy wash water all year.") == 0);
    free(text);
    free(path);
    sp_test_write(dir, "b.txt", "She had your dark suit.\n");
    path = sp_xasprintf("%s/b.txt", dir);
    CHECK(sp_txt_read(path, &b, &e, &text, &d) != 0);
    CHECK(d.n == 1 && d.v[0].line == 1);
    free(path);
    sp_diag_free(&d);

    sp_test_rmtree(dir);
    free(dir);
    return sp_test_result("test_labels");
}
