/* fuzz_npy.c - libFuzzer target: base/npy.c's sp_npy_read on any bytes.
 * A returned array must have a shape whose byte count fits (else abort)
 * and hold that many bytes (read here in full, so AddressSanitizer sees
 * a short buffer). */
#include "config.h"
#include "base/npy.h"
#include "fuzz.h"

#include <limits.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("npy");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write(data, size) != 0) return 0;
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    sp_error err;
    unsigned char *x = sp_npy_read(fuzz_path, &t, &rank, shape, &err);
    if (!x) return 0;
    /* The contract callers rely on: the shape's product, in bytes, fits
     * (a reader that let it wrap would hand them a short buffer). */
    size_t n = 1, bytes;
    for (int i = 0; i < rank; i++)
        if (shape[i] < 0 || __builtin_mul_overflow(n, (size_t)shape[i], &n)) abort();
    if (__builtin_mul_overflow(n, sp_npy_dtype_size(t), &bytes) || bytes > (size_t)LONG_MAX) abort();
    volatile unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += x[i];
    free(x);
    return 0;
}
