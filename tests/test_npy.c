/* test_npy.c - the .npy writer's bytes (magic, version 1.0, header dict,
 * 64-byte alignment, little-endian data) for every dtype and ranks 0..3,
 * reading back, the TSV writer, refusals, and that no temporary file is
 * left behind. */
#include "config.h"
#include "base/npy.h"
#include "base/util.h"
#include "testlib.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>

/* The header dict of a written file (NUL-terminated copy), its total
 * header size in *hsize; NULL when the preamble is wrong. */
static char *header_of(const char *buf, size_t len, size_t *hsize)
{
    if (len < 10 || memcmp(buf, "\x93NUMPY\x01\x00", 8) != 0) return NULL;
    size_t hlen = (size_t)(unsigned char)buf[8] | (size_t)(unsigned char)buf[9] << 8;
    if (10 + hlen > len) return NULL;
    *hsize = 10 + hlen;
    char *d = malloc(hlen + 1);
    memcpy(d, buf + 10, hlen);
    d[hlen] = '\0';
    return d;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* A .npy file (version 1.0) at dir/name with header dict `dict` (padded
 * to 64 bytes) and `payload` bytes of data 0x41; its path (caller frees). */
static char *crafted(const char *dir, const char *name, const char *dict, size_t payload)
{
    char *p = sp_path_join(dir, name);
    size_t dl = strlen(dict), hlen = (10 + dl + 1 + 63) / 64 * 64 - 10;
    FILE *f = fopen(p, "wb");
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(hlen & 0xff), f);
    fputc((int)(hlen >> 8), f);
    fputs(dict, f);
    for (size_t i = dl; i + 1 < hlen; i++) fputc(' ', f);
    fputc('\n', f);
    for (size_t i = 0; i < payload; i++) fputc(0x41, f);
    fclose(f);
    return p;
}

/* A crafted file must be refused with a message naming it and containing
 * `what`. */
static void expect_refused(const char *dir, const char *name, const char *dict, size_t payload, const char *what)
{
    sp_error err;
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    char *p = crafted(dir, name, dict, payload);
    void *x = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK_MSG(x == NULL, "%s was accepted", name);
    CHECK_MSG(!x && strstr(err.msg, p) && strstr(err.msg, what), "%s: '%s', expected '%s'", name, err.msg, what);
    free(x);
    remove(p);
    free(p);
}

int main(void)
{
    char *tmp = sp_test_tmpdir();
    sp_error err;

    /* float32 [2][3]: the exact header and the data. */
    float a[6] = { 0, 1.5f, -2, 3.25f, 1e-8f, -0.0f };
    long s23[2] = { 2, 3 };
    char *p = sp_path_join(tmp, "a.npy");
    CHECK(sp_npy_write(p, SP_NPY_F32, a, 2, s23, &err) == 0);
    size_t len = 0;
    char *buf = sp_read_file(p, &len, &err);
    CHECK(buf != NULL);
    size_t hsize = 0;
    char *dict = buf ? header_of(buf, len, &hsize) : NULL;
    CHECK_MSG(dict != NULL, "bad preamble");
    if (dict) {
        CHECK(hsize % 64 == 0);
        CHECK_MSG(strncmp(dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 59) == 0, "dict '%s'", dict);
        CHECK(dict[strlen(dict) - 1] == '\n');
        CHECK(len == hsize + sizeof a);
        /* little-endian bytes of 1.5f = 0x3fc00000 */
        const unsigned char *d = (const unsigned char *)buf + hsize + 4;
        CHECK(d[0] == 0x00 && d[1] == 0x00 && d[2] == 0xc0 && d[3] == 0x3f);
        free(dict);
    }
    free(buf);
    /* Read back. */
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    float *back = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK_MSG(back != NULL, "%s", err.msg);
    if (back) {
        CHECK(t == SP_NPY_F32 && rank == 2 && shape[0] == 2 && shape[1] == 3);
        CHECK(memcmp(back, a, sizeof a) == 0);
        free(back);
    }
    free(p);

    /* Rank 1 has a trailing comma, rank 0 is "()"; float64 and int32. */
    double x = 3.5;
    p = sp_path_join(tmp, "scalar.npy");
    CHECK(sp_npy_write(p, SP_NPY_F64, &x, 0, NULL, &err) == 0);
    buf = sp_read_file(p, &len, &err);
    dict = buf ? header_of(buf, len, &hsize) : NULL;
    CHECK(dict && strstr(dict, "'descr': '<f8'") && strstr(dict, "'shape': ()"));
    CHECK(dict && len == hsize + 8);
    free(dict);
    free(buf);
    double *xb = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK(xb && t == SP_NPY_F64 && rank == 0 && *xb == 3.5);
    free(xb);
    free(p);

    int32_t iv[5] = { -1, 0, 1, 47, 2147483647 };
    long s5[1] = { 5 };
    p = sp_path_join(tmp, "i.npy");
    CHECK(sp_npy_write(p, SP_NPY_I32, iv, 1, s5, &err) == 0);
    buf = sp_read_file(p, &len, &err);
    dict = buf ? header_of(buf, len, &hsize) : NULL;
    CHECK(dict && strstr(dict, "'descr': '<i4'") && strstr(dict, "'shape': (5,)"));
    free(dict);
    free(buf);
    int32_t *ib = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK(ib && t == SP_NPY_I32 && rank == 1 && shape[0] == 5 && memcmp(ib, iv, sizeof iv) == 0);
    free(ib);
    free(p);

    /* Rank 3, and an empty array. */
    float z[24];
    for (int i = 0; i < 24; i++) z[i] = (float)i;
    long s234[3] = { 2, 3, 4 };
    p = sp_path_join(tmp, "r3.npy");
    CHECK(sp_npy_write(p, SP_NPY_F32, z, 3, s234, &err) == 0);
    float *zb = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK(zb && rank == 3 && shape[2] == 4 && zb[23] == 23.0f);
    free(zb);
    free(p);
    long s0[2] = { 0, 7 };
    p = sp_path_join(tmp, "empty.npy");
    CHECK(sp_npy_write(p, SP_NPY_F32, NULL, 2, s0, &err) == 0);
    zb = sp_npy_read(p, &t, &rank, shape, &err);
    CHECK(zb && rank == 2 && shape[0] == 0 && shape[1] == 7);
    free(zb);
    free(p);

    /* Refusals. */
    long bad[1] = { -1 };
    p = sp_path_join(tmp, "bad.npy");
    CHECK(sp_npy_write(p, SP_NPY_F32, a, 1, bad, &err) != 0 && strstr(err.msg, "negative"));
    CHECK(sp_npy_write(p, SP_NPY_F32, a, 9, s23, &err) != 0 && strstr(err.msg, "rank"));
    CHECK(!sp_is_file(p));
    free(p);
    p = sp_path_join(tmp, "nothere/x.npy");
    CHECK(sp_npy_write(p, SP_NPY_F32, a, 2, s23, &err) != 0 && strstr(err.msg, "cannot create"));
    free(p);
    p = sp_path_join(tmp, "not.npy");
    sp_test_write(tmp, "not.npy", "hello");
    CHECK(sp_npy_read(p, &t, &rank, shape, &err) == NULL && strstr(err.msg, "not a .npy"));
    free(p);

    /* Crafted headers: a shape whose product wraps to 0 (2^62 x 4 float32
     * elements, 2^61 x 8 float64) with a 1-byte payload; a product that
     * wraps only with the zero left out; payloads shorter or longer than
     * the shape says. */
    expect_refused(tmp, "wrap.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 1,
                   "more elements than fit");
    expect_refused(tmp, "wrap64.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 8), }",
                   1, "more elements than fit");
    expect_refused(tmp, "wrap0.npy",
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", 0,
                   "more elements than fit");
    expect_refused(tmp, "short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 23,
                   "23 bytes of data where the header's shape and type need 24");
    expect_refused(tmp, "long.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 17,
                   "17 bytes of data where");
    expect_refused(tmp, "neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4, "bad shape");

    /* TSV: header row, %.10g numbers, nan. */
    const char *head[3] = { "epoch", "f1_hz", "value" };
    double rows[6] = { 1, 50.25, 0.1, 2, 1e-12, NAN };
    p = sp_path_join(tmp, "t.tsv");
    CHECK(sp_tsv_write(p, 3, head, 2, rows, &err) == 0);
    buf = sp_read_file(p, &len, &err);
    CHECK_MSG(buf && !strcmp(buf, "epoch\tf1_hz\tvalue\n1\t50.25\t0.1\n2\t1e-12\tnan\n"), "tsv: '%s'", buf ? buf : "");
    free(buf);
    const char *badhead[1] = { "a\tb" };
    CHECK(sp_tsv_write(p, 1, badhead, 0, rows, &err) != 0);
    free(p);
    p = sp_path_join(tmp, "x.txt");
    CHECK(sp_text_write(p, "a\tb\n", 4, &err) == 0);
    free(p);

    /* Every write went through a temporary file that was renamed: only
     * the finished files are there. */
    CHECK_MSG(count_files(tmp) == 8, "%d files in %s", count_files(tmp), tmp);
    sp_test_rmtree(tmp);
    free(tmp);
    return sp_test_result("test_npy");
}
