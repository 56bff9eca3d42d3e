/* blas_core.c - see blas_core.h. */
#include "config.h"
#include "nn/blas_core.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

const char *sp_blas_better_core(const char *chosen)
{
    if (!chosen || strcasecmp(chosen, "prescott") != 0) return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    /* OpenBLAS's SkylakeX kernels use AVX-512 F, BW, VL, DQ and CD;
     * __builtin_cpu_supports also checks that the OS saves the state. */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return NULL;
}

void sp_blas_use_best_core(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *better = sp_blas_better_core(openblas_get_corename());
    if (!better || setenv("OPENBLAS_CORETYPE", better, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc, say): carry on with OpenBLAS's own kernels. */
}

void sp_blas_describe(char *out, unsigned n)
{
    const char *set = getenv("OPENBLAS_CORETYPE");
    char *config = openblas_get_config();
    snprintf(out, n, "%s; kernels for %s%s", config ? config : "OpenBLAS", openblas_get_corename(),
             set ? " (OPENBLAS_CORETYPE)" : "");
}
