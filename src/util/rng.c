/* xoshiro256** (Blackman and Vigna, 2018, public domain reference at prng.di.unimi.it) with
 * splitmix64 seeding, Lemire's unbiased bounded integers, and the polar normal method. */
#include "util/rng.h"

#include <assert.h>
#include <math.h>

static uint64_t splitmix64_next(uint64_t *x)
{
    *x += 0x9e3779b97f4a7c15u;
    return rng_mix64(*x);
}

_Static_assert(sizeof(struct rng) == 48, "struct rng is checkpointed as 48 bytes of plain data");

uint64_t rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64_next(&x);
    /* splitmix64 is a bijection of distinct counters, so four zeros cannot occur. */
    r->normal_spare = 0.0;
    r->has_spare = 0;
    r->reserved = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next_u64(struct rng *r)
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

uint32_t rng_next_u32(struct rng *r)
{
    return (uint32_t)(rng_next_u64(r) >> 32);
}

double rng_uniform(struct rng *r)
{
    return (double)(rng_next_u64(r) >> 11) * 0x1.0p-53;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    assert(n > 0);
    uint64_t m = (uint64_t)rng_next_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n */
        while (low < threshold) {
            m = (uint64_t)rng_next_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double rng_normal(struct rng *r, double mean, double std)
{
    double z;
    if (r->has_spare) {
        r->has_spare = 0;
        z = r->normal_spare;
    } else {
        double u, v, s;
        do {
            u = 2.0 * rng_uniform(r) - 1.0;
            v = 2.0 * rng_uniform(r) - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = sqrt(-2.0 * log(s) / s);
        z = u * f;
        r->normal_spare = v * f;
        r->has_spare = 1;
    }
    return mean + std * z;
}

uint32_t rng_hash3(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t h = rng_mix64(seed + 0x9e3779b97f4a7c15u);
    h = rng_mix64(h ^ a);
    h = rng_mix64(h + b);
    return (uint32_t)(h >> 32);
}
