/* The host random number generator: xoshiro256** seeded through splitmix64, the same
 * sequence on every machine (integer arithmetic only; rng_normal uses log and sqrt). Used
 * for weight initialisation and the batch sampler. rng_hash3 is a stateless counter-based
 * hash that OpenCL kernels reproduce bit for bit (dropout masks keyed by seed, iteration,
 * element). struct rng is plain data: copy it into a checkpoint and back. */
#ifndef CLNET_UTIL_RNG_H
#define CLNET_UTIL_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];       /* xoshiro256** state; never all zero */
    double normal_spare; /* the second value of the last polar-method pair */
    uint32_t has_spare;  /* 1 when normal_spare is still to be returned */
    uint32_t reserved;   /* zero; keeps the layout free of padding */
};

/* s[i] = successive splitmix64 outputs starting from seed; no spare. */
void rng_seed(struct rng *r, uint64_t seed);

uint64_t rng_next_u64(struct rng *r);

/* The upper 32 bits of rng_next_u64 (the better bits of xoshiro256**). */
uint32_t rng_next_u32(struct rng *r);

/* Uniform in [0, 1): the top 53 bits of rng_next_u64 times 2^-53. */
double rng_uniform(struct rng *r);

/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject on rng_next_u32);
 * n must be > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);

/* Normal(mean, std) by Marsaglia's polar method; pairs are produced two at a time and the
 * second is kept in the state, so a copied state continues identically. */
double rng_normal(struct rng *r, double mean, double std);

/* Stateless 32-bit hash of (seed, a, b) for counter-based randomness on the device. With
 * mix64 the splitmix64 finalizer (z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27;
 * z *= 0x94d049bb133111eb; z ^= z >> 31), all arithmetic modulo 2^64:
 *     h = mix64(seed + 0x9e3779b97f4a7c15)
 *     h = mix64(h ^ a)
 *     h = mix64(h + b)   (h + b with wrap-around)
 *     return (uint32_t)(h >> 32)
 * OpenCL C reproduces it with ulong. */
uint32_t rng_hash3(uint64_t seed, uint64_t a, uint64_t b);

/* The splitmix64 finalizer above, exposed for tests and other keyed streams. */
uint64_t rng_mix64(uint64_t z);

#endif
