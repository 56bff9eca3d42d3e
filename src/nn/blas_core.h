/* blas_core.h - make OpenBLAS use the kernels this CPU can run.
 *
 * OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels once, when
 * the library is loaded, from the CPU's family and model numbers. A CPU
 * newer than the library (Debian 12's 0.3.21 does not know, for one, the
 * Xeon family 6 model 207) falls back to the "Prescott" kernels: SSE3
 * only, 2 to 4 times slower GEMMs than the AVX2 or AVX-512 ones the CPU
 * has. The only public way to choose is the OPENBLAS_CORETYPE environment
 * variable, read at load time; so sincprobe, seeing the fallback on a CPU
 * with AVX2 or AVX-512, sets it and executes itself again (same arguments,
 * same process id). A user's own OPENBLAS_CORETYPE is always respected. */
#ifndef SP_BLAS_CORE_H
#define SP_BLAS_CORE_H

/* The OpenBLAS core name this CPU should use ("SkylakeX", "Haswell",
 * "Sandybridge"), given the one OpenBLAS chose; NULL when OpenBLAS's
 * choice stands (it is not the Prescott fallback, or the CPU has no AVX). */
const char *sp_blas_better_core(const char *chosen);

/* Called first in main(): if OPENBLAS_CORETYPE is unset and
 * sp_blas_better_core names a core, set OPENBLAS_CORETYPE to it and
 * execv("/proc/self/exe", argv). Returns (doing nothing) otherwise or when
 * the exec fails; OpenBLAS then keeps its own choice. */
void sp_blas_use_best_core(char **argv);

/* "OpenBLAS 0.3.21 ... core SkylakeX (OPENBLAS_CORETYPE)" style line for
 * --version and run logs, into out[n]. */
void sp_blas_describe(char *out, unsigned n);

#endif
