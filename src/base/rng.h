/* rng.h - sincprobe's random numbers: xoshiro256** seeded through
 * splitmix64. Small, fast, and its whole state is four words, so a
 * checkpoint can save and restore it exactly (bit-reproducible resume).
 * One sp_rng per consumer (sampler, dropout, each probe) keeps streams
 * independent of each other's call counts. */
#ifndef SP_RNG_H
#define SP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} sp_rng;

/* Seed from a 64-bit value and a stream number: different streams of the
 * same seed are independent. */
void sp_rng_seed(sp_rng *r, uint64_t seed, uint64_t stream);
uint64_t sp_rng_u64(sp_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t sp_rng_below(sp_rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double sp_rng_uniform(sp_rng *r);
/* Standard normal (Marsaglia polar method; no cached spare, so the state
 * alone determines the stream). */
double sp_rng_normal(sp_rng *r);

#endif
