/* simd.h - SP_CLONES, for the few element-wise loops of the inference path
 * that run at memory or vector speed: the function is compiled once per
 * x86-64 vector width (AVX-512, AVX2, and the baseline SSE2 of -O2) and the
 * loader picks the widest the CPU has (GCC's target_clones, through an
 * ELF ifunc). The clones do the same operations in the same order: the
 * vectoriser does not reassociate float arithmetic, and ISO C mode
 * (-std=c11) keeps -ffp-contract=off, so no clone fuses a multiply-add.
 * So every clone gives the same bits, on every machine. Elsewhere (other
 * compilers or targets, sanitizer builds) it is empty: one plain version. */
#ifndef SP_SIMD_H
#define SP_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) \
    && !defined(__SANITIZE_ADDRESS__)
#define SP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SP_CLONES
#endif

/* SP_INLINE: a helper inlined into each caller, so that inside an
 * SP_CLONES function it is compiled at the clone's width. */
#if defined(__GNUC__)
#define SP_INLINE inline __attribute__((always_inline))
#else
#define SP_INLINE inline
#endif

#endif
