/* sincprobe/splitmix.h - splitmix64 (Steele, Lea and Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), the one copy
 * that sincprobe, its probes and its tests share. Header-only (static
 * inline) and not part of the probe ABI: a probe may use it or not, and
 * it links to nothing.
 *
 * The generator's state is one word x. Each step adds the "golden gamma"
 * G = floor(2^64 / phi) (odd, so the steps visit all 2^64 states) and
 * returns the mixed state:
 *
 *     sp_splitmix64_next:  x <- x + G (mod 2^64); return mix(x)
 *     sp_splitmix64_mix:   z ^= z >> 30;  z *= 0xbf58476d1ce4e5b9;
 *                          z ^= z >> 27;  z *= 0x94d049bb133111eb;
 *                          z ^= z >> 31;  return z
 *
 * mix is a bijection of 64-bit words (each xor-shift and each
 * multiplication by an odd constant is invertible) with good avalanche,
 * so it also serves as a hash finaliser on its own. */
#ifndef SINCPROBE_SPLITMIX_H
#define SINCPROBE_SPLITMIX_H

#include <stdint.h>

/* The golden gamma: floor(2^64 / phi), which is odd. */
#define SP_SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ull

/* The finaliser: a bijective 64-bit mixer (no state). */
static inline uint64_t sp_splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One step of the stream: advance *state by the gamma, return its mix. */
static inline uint64_t sp_splitmix64_next(uint64_t *state)
{
    *state += SP_SPLITMIX64_GAMMA;
    return sp_splitmix64_mix(*state);
}

#endif
