/* testlib.h - a few macros for the C unit tests. A failed check prints
 * FILE:LINE and the condition and is counted; main returns
 * sp_test_result(), non-zero when any check failed. */
#ifndef SP_TESTLIB_H
#define SP_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sp_test_failures;
static int sp_test_checks;

#define CHECK(cond)                                                          \
    do {                                                                     \
        sp_test_checks++;                                                    \
        if (!(cond)) {                                                       \
            sp_test_failures++;                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        sp_test_checks++;                                                    \
        if (!(cond)) {                                                       \
            sp_test_failures++;                                              \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static inline int sp_test_result(const char *name)
{
    if (sp_test_failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, sp_test_failures, sp_test_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, sp_test_checks);
    return 0;
}

/* A fresh temporary directory; the caller removes it with sp_test_rmtree. */
static inline char *sp_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/sincprobe-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        exit(1);
    }
    return strdup(d);
}

static inline void sp_test_rmtree(const char *dir)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

/* Write text to dir/name, creating parent folders. */
static inline void sp_test_write(const char *dir, const char *name, const char *text)
{
    char path[8192], cmd[8192 + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    if (system(cmd) != 0) exit(1);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

#endif
