/* fuzz.h - what every libFuzzer target in tests/fuzz/ shares: the readers
 * under test take a path, so each input is written to a file of this
 * process first; library warnings go nowhere (a fuzzer logs millions). */
#ifndef SP_FUZZ_H
#define SP_FUZZ_H

#include "base/log.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_path[4096];

static void fuzz_quiet(void *ctx, sp_log_level level, const char *text)
{
    (void)ctx, (void)level, (void)text;
}

static void fuzz_cleanup(void)
{
    if (fuzz_path[0]) unlink(fuzz_path);
}

/* The file every input goes to: TMPDIR/sincprobe-fuzz-PID.ext. */
static void fuzz_setup(const char *ext)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_path, sizeof fuzz_path, "%s/sincprobe-fuzz-%ld.%s", tmp && *tmp ? tmp : "/tmp", (long)getpid(),
             ext);
    sp_log_set_sink(fuzz_quiet, NULL, 0);
    atexit(fuzz_cleanup);
}

/* Write size bytes to fuzz_path; 0, or -1 (the input is skipped). */
static int fuzz_write(const void *data, size_t size)
{
    FILE *f = fopen(fuzz_path, "wb");
    if (!f) return -1;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && put == size ? 0 : -1;
}

#endif
