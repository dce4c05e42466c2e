/* The host RNG: pinned values (a change to the generator must be noticed: it changes every
 * initial model), determinism, copying the state, bounded and normal distributions, and the
 * counter-based hash the dropout kernel reproduces. Pinned values come from an independent
 * Python transcription of xoshiro256** and splitmix64. */
#include "util_tests.h"

#include "util/rng.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

START_TEST(splitmix_pinned)
{
    /* splitmix64's first output from state 0, as published with the algorithm. */
    ck_assert_uint_eq(rng_mix64(0x9e3779b97f4a7c15u), 0xe220a8397b1dcdafu);
}
END_TEST

START_TEST(sequence_pinned)
{
    static const uint64_t seed0[4] = {0x99ec5f36cb75f2b4u, 0xbf6e1f784956452au,
                                      0x1a5f849d4933e6e0u, 0x6aa594f1262d2d2cu};
    static const uint64_t seed42[4] = {0x15780b2e0c2ec716u, 0x6104d9866d113a7eu,
                                       0xae17533239e499a1u, 0xecb8ad4703b360a1u};
    struct rng r;
    rng_seed(&r, 0);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(rng_next_u64(&r), seed0[i]);
    rng_seed(&r, 42);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(rng_next_u64(&r), seed42[i]);
    rng_seed(&r, 42);
    ck_assert_uint_eq(rng_next_u32(&r), 0x15780b2eu);
    ck_assert(rng_uniform(&r) == (double)(seed42[1] >> 11) * 0x1.0p-53);
}
END_TEST

START_TEST(determinism_and_copy)
{
    struct rng a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rng_next_u64(&a), rng_next_u64(&b));
    struct rng c;
    rng_seed(&c, 8);
    rng_seed(&a, 7);
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += rng_next_u64(&a) == rng_next_u64(&c);
    ck_assert_int_eq(same, 0);

    /* A copied state (a checkpoint) continues identically, a pending normal spare too. */
    rng_seed(&a, 99);
    (void)rng_normal(&a, 0, 1);
    ck_assert_uint_eq(a.has_spare, 1);
    memcpy(&b, &a, sizeof a);
    for (int i = 0; i < 1001; i++) {
        double x = rng_normal(&a, 1, 2), y = rng_normal(&b, 1, 2);
        ck_assert(x == y);
    }
    ck_assert_uint_eq(rng_next_u64(&a), rng_next_u64(&b));
}
END_TEST

START_TEST(uniform_range)
{
    struct rng r;
    rng_seed(&r, 3);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform(&r);
        ck_assert(u >= 0.0 && u < 1.0);
        sum += u;
    }
    ck_assert_double_eq_tol(sum / 100000, 0.5, 0.005);
}
END_TEST

START_TEST(below_range_and_uniformity)
{
    struct rng r;
    rng_seed(&r, 5);
    ck_assert_uint_eq(rng_below(&r, 1), 0);
    enum { N = 10, DRAWS = 100000 };
    int count[N] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint32_t x = rng_below(&r, N);
        ck_assert_uint_lt(x, N);
        count[x]++;
    }
    /* Chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile. */
    double chi2 = 0;
    for (int i = 0; i < N; i++) {
        double d = count[i] - DRAWS / (double)N;
        chi2 += d * d / (DRAWS / (double)N);
    }
    ck_assert_msg(chi2 < 27.9, "chi-square %.2f", chi2);

    /* A bound that is not a power of two and close to 2^32 still stays in range. */
    uint32_t big = 3000000001u;
    bool upper_half = false;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = rng_below(&r, big);
        ck_assert_uint_lt(x, big);
        upper_half |= x >= big / 2;
    }
    ck_assert(upper_half);
}
END_TEST

START_TEST(normal_moments)
{
    struct rng r;
    rng_seed(&r, 11);
    enum { DRAWS = 100000 };
    double sum = 0, sq = 0;
    int beyond3 = 0;
    for (int i = 0; i < DRAWS; i++) {
        double x = rng_normal(&r, 2.0, 0.5);
        ck_assert(isfinite(x));
        sum += x;
        sq += x * x;
        beyond3 += fabs(x - 2.0) > 1.5;
    }
    double mean = sum / DRAWS, var = sq / DRAWS - mean * mean;
    /* Standard error of the mean 0.5/sqrt(1e5) = 0.0016; of the std about 0.0011. */
    ck_assert_double_eq_tol(mean, 2.0, 0.008);
    ck_assert_double_eq_tol(sqrt(var), 0.5, 0.006);
    /* P(|z| > 3) = 0.0027: 270 expected. */
    ck_assert_int_gt(beyond3, 150);
    ck_assert_int_lt(beyond3, 400);
}
END_TEST

START_TEST(hash3_pinned)
{
    ck_assert_uint_eq(rng_hash3(0, 0, 0), 0x33fe8bd4u);
    ck_assert_uint_eq(rng_hash3(1, 0, 0), 0x0a385ef2u);
    ck_assert_uint_eq(rng_hash3(1, 2, 3), 0xed671830u);
    ck_assert_uint_eq(rng_hash3(42, 6000, 783999), 0x3900d11eu);
    ck_assert_uint_eq(rng_hash3(UINT64_MAX, UINT64_MAX, UINT64_MAX), 0x4fb92b3au);
}
END_TEST

START_TEST(hash3_spread)
{
    /* As a dropout mask: keep when hash >= p * 2^32. The kept fraction is close to 1 - p
     * and neighbouring elements and iterations do not repeat. */
    enum { ELEMS = 100000 };
    uint32_t threshold = (uint32_t)(0.25 * 4294967296.0);
    int kept = 0, equal_next_iter = 0, equal_a_b_swapped = 0;
    for (uint64_t e = 0; e < ELEMS; e++) {
        uint32_t h = rng_hash3(1, 10, e);
        kept += h >= threshold;
        equal_next_iter += h == rng_hash3(1, 11, e);
        equal_a_b_swapped += e != 10 && h == rng_hash3(1, e, 10);
    }
    ck_assert_double_eq_tol(kept / (double)ELEMS, 0.75, 0.01);
    ck_assert_int_eq(equal_next_iter, 0);
    ck_assert_int_eq(equal_a_b_swapped, 0);
    ck_assert_uint_ne(rng_hash3(1, 10, 0), rng_hash3(2, 10, 0));
}
END_TEST

void add_rng_tests(Suite *s)
{
    TCase *tc = tcase_create("rng");
    tcase_add_test(tc, splitmix_pinned);
    tcase_add_test(tc, sequence_pinned);
    tcase_add_test(tc, determinism_and_copy);
    tcase_add_test(tc, uniform_range);
    tcase_add_test(tc, below_range_and_uniformity);
    tcase_add_test(tc, normal_moments);
    tcase_add_test(tc, hash3_pinned);
    tcase_add_test(tc, hash3_spread);
    suite_add_tcase(s, tc);
}
