/* rng.c - see rng.h. xoshiro256** by Blackman and Vigna (public domain
 * algorithm), written from its published description. */
#include "config.h"
#include "base/rng.h"

#include <math.h>
#include <sincprobe/splitmix.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void sp_rng_seed(sp_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++) r->s[i] = sp_splitmix64_next(&x);
}

uint64_t sp_rng_u64(sp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sp_rng_below(sp_rng *r, uint64_t n)
{
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = sp_rng_u64(r);
    while (x >= limit);
    return x % n;
}

double sp_rng_uniform(sp_rng *r)
{
    return (double)(sp_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double sp_rng_normal(sp_rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * sp_rng_uniform(r) - 1.0;
        v = 2.0 * sp_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}
