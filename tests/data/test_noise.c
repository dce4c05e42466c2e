/* data.noise's generator (data/noise.h) on the host, whose bits the device and the numpy twin
 * reproduce (selfcheck and tests/interop/noise_parity.py compare them): every magnitude close
 * to the inverse normal CDF computed here another way (bisection on erfc), and a large sample
 * of draws with the moments and tails of N(0, 1).
 *
 * The bounds come from the sample size, not from what this generator happens to give: for K
 * independent N(0, 1) draws the mean has standard deviation 1/sqrt(K), the mean of the squares
 * sqrt(2/K) (the fourth moment is 3), and the number beyond |t| is Binomial(K, p_t) with
 * p_t = erfc(t / sqrt 2), standard deviation sqrt(K p_t (1 - p_t)). Each check allows 5
 * standard deviations (a correct generator fails one with probability below 6e-7) plus the
 * table's interpolation error, which test_magnitudes bounds by 3e-5. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/noise.h"
#include "data_tests.h"

static float table[NOISE_TABLE_SIZE];

static void setup(void)
{
    noise_table(table);
}

/* -InverseNormalCDF(p) for p in (0, 1/2], by bisection on Phi(-z) = erfc(z / sqrt 2) / 2. */
static double reference_magnitude(double p)
{
    double lo = 0, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(mid / sqrt(2.0)) > p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

START_TEST(test_magnitudes)
{
    /* every direct entry, then m spread over all octaves with each segment's ends */
    double worst = 0;
    uint32_t worst_m = 0;
    for (uint64_t m = 0; m < UINT64_C(0x80000000); m = m < 200 ? m + 1 : m + m / 997 + 1) {
        float got = noise_from_bits(table, (uint32_t)m);
        double want = reference_magnitude(((double)m + 0.5) / 4294967296.0);
        double err = fabs((double)got - want);
        if (err > worst)
            worst = err, worst_m = (uint32_t)m;
        ck_assert_msg(noise_from_bits(table, (uint32_t)m | 0x80000000u) == -got,
                      "m %u: the sign bit must only flip the sign", (unsigned)m);
    }
    ck_assert_msg(worst < 3e-5, "m %u: magnitude off by %g", (unsigned)worst_m, worst);
    /* the largest magnitude: p = 2^-33, about 6.34 (the tails reach that far) */
    ck_assert_msg(fabsf(noise_from_bits(table, 0) - 6.338f) < 0.01f, "%g",
                  (double)noise_from_bits(table, 0));
}
END_TEST

START_TEST(test_moments_and_tails)
{
    enum { IMAGES = 5000, F = 800 };
    const double k = (double)IMAGES * F;
    const uint64_t key = noise_key(1);
    double sum = 0, sq = 0;
    long over3 = 0, over4 = 0;
    for (uint32_t i = 0; i < IMAGES; i++) {
        uint64_t ik = noise_image_key(key, NOISE_SPLIT_TRAIN, i % 7, i);
        for (uint32_t f = 0; f < F; f++) {
            double n = noise_normal(table, ik, f);
            sum += n;
            sq += n * n;
            over3 += fabs(n) > 3;
            over4 += fabs(n) > 4;
        }
    }
    double mean = sum / k, var = sq / k;
    ck_assert_msg(fabs(mean) < 5 / sqrt(k), "mean %g over %g draws", mean, k);
    ck_assert_msg(fabs(var - 1) < 5 * sqrt(2 / k) + 6e-5, "mean square %g over %g draws", var, k);
    const double t[] = {3, 4};
    const long got[] = {over3, over4};
    for (int i = 0; i < 2; i++) {
        double p = erfc(t[i] / sqrt(2.0)), want = k * p, sd = sqrt(k * p * (1 - p));
        ck_assert_msg(fabs((double)got[i] - want) < 5 * sd, "|n| > %g: %ld of %g draws, want "
                      "%.1f +- %.1f", t[i], got[i], k, want, 5 * sd);
    }
}
END_TEST

/* Each part of the key gives another draw: about half the pairs of draws differ in sign. */
START_TEST(test_keys_differ)
{
    const uint64_t key = noise_key(1);
    const uint64_t base = noise_image_key(key, NOISE_SPLIT_TRAIN, 0, 5);
    const uint64_t others[] = {
        noise_image_key(key, NOISE_SPLIT_TRAIN, 1, 5),
        noise_image_key(key, NOISE_SPLIT_TEST, 0, 5),
        noise_image_key(key, NOISE_SPLIT_TRAIN, NOISE_PASS_EVAL, 5),
        noise_image_key(key, NOISE_SPLIT_TRAIN, 0, 6),
        noise_image_key(noise_key(2), NOISE_SPLIT_TRAIN, 0, 5),
    };
    for (size_t o = 0; o < sizeof others / sizeof others[0]; o++) {
        int same = 0;
        for (uint32_t f = 0; f < 784; f++)
            same += noise_normal(table, base, f) == noise_normal(table, others[o], f);
        ck_assert_msg(same < 5, "key %zu: %d of 784 draws equal", o, same);
    }
    ck_assert_uint_eq(noise_train_pass(599, 600), 0);
    ck_assert_uint_eq(noise_train_pass(600, 600), 1);
    ck_assert_uint_eq(noise_train_pass((UINT64_C(1) << 33) + 5, 9), ((UINT64_C(1) << 33) + 5) / 9);
}
END_TEST

/* sigma 0 gives the clean value itself; otherwise clean + sigma n rounded once. */
START_TEST(test_apply)
{
    ck_assert(noise_apply(0.25f, 0.0f, -1.5f) == 0.25f);
    ck_assert(noise_apply(0.5f, 0.5f, 0.5f) == 0.75f);
    ck_assert(noise_apply(1.0f / 3.0f, 0.1f, 0.7f) == 1.0f / 3.0f + 0.1f * 0.7f);
}
END_TEST

void add_noise_tests(Suite *s)
{
    TCase *tc = tcase_create("noise");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_magnitudes);
    tcase_add_test(tc, test_moments_and_tails);
    tcase_add_test(tc, test_keys_differ);
    tcase_add_test(tc, test_apply);
    suite_add_tcase(s, tc);
}
