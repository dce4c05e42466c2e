/* Initialisation schemes: exact zeros and constants, pinned first normal values for seed 1
 * (checked against an independent Python transcription of xoshiro256** and the polar
 * method), moments of 1e5 samples, uniform/xavier bounds, he's std, determinism and the
 * draw order, init_resolve. Host only. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "model/init.h"
#include "util/status.h"

#define N 100000

static float buf[N];

static void moments(const float *v, size_t n, double *mean, double *std, float *lo, float *hi)
{
    double s = 0, s2 = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
    *mean = s / (double)n;
    *std = sqrt(s2 / (double)n - *mean * *mean);
}

static int fill(enum init_kind k, double a, double b, int fan_in, int fan_out, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    struct init_spec s = {.kind = k, .a = a, .b = b};
    return init_fill(buf, N, &s, fan_in, fan_out, &r);
}

START_TEST(test_zeros_constant_exact)
{
    struct rng r, before;
    rng_seed(&r, 7);
    before = r;
    struct init_spec s = {.kind = INIT_CONSTANT, .a = 0.1};
    ck_assert_int_eq(init_fill(buf, 1000, &s, 3, 4, &r), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert(buf[i] == 0.1f);
    s.kind = INIT_ZEROS;
    ck_assert_int_eq(init_fill(buf, 1000, &s, 3, 4, &r), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert(buf[i] == 0.0f && !signbit(buf[i]));
    /* Neither draws: the rng is untouched, so later layers are unaffected. */
    ck_assert_mem_eq(&r, &before, sizeof r);
}
END_TEST

START_TEST(test_normal_pinned_seed1)
{
    static const float want[6] = {1.88439608f,  0.189780891f, 1.30209029f,
                                  -1.90943432f, 0.438320905f, -0.792327225f};
    ck_assert_int_eq(fill(INIT_NORMAL, 0, 1, 0, 0, 1), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(buf[i] == want[i], "value %d: %.9g, want %.9g", i, buf[i], want[i]);
    /* mean and std scale the same draws */
    ck_assert_int_eq(fill(INIT_NORMAL, 0.5, 0.1, 0, 0, 1), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq_tol(buf[i], (float)(0.5 + 0.1 * (double)want[i]), 1e-6);
}
END_TEST

START_TEST(test_normal_moments)
{
    double mean, std;
    float lo, hi;
    ck_assert_int_eq(fill(INIT_NORMAL, 2.0, 0.5, 0, 0, 42), 0);
    moments(buf, N, &mean, &std, &lo, &hi);
    ck_assert_double_eq_tol(mean, 2.0, 0.01); /* 5 standard errors: 5 * 0.5 / sqrt(1e5) */
    ck_assert_double_eq_tol(std, 0.5, 0.01);
}
END_TEST

START_TEST(test_uniform_bounds_moments)
{
    double mean, std;
    float lo, hi;
    ck_assert_int_eq(fill(INIT_UNIFORM, -1.0, 3.0, 0, 0, 3), 0);
    moments(buf, N, &mean, &std, &lo, &hi);
    ck_assert(lo >= -1.0f && hi <= 3.0f);
    ck_assert(lo < -0.99f && hi > 2.99f);
    ck_assert_double_eq_tol(mean, 1.0, 0.02);
    ck_assert_double_eq_tol(std, 4.0 / sqrt(12.0), 0.01);
}
END_TEST

START_TEST(test_xavier_limit)
{
    double mean, std;
    float lo, hi;
    double lim = sqrt(6.0 / (784 + 200));
    ck_assert_int_eq(fill(INIT_XAVIER, 0, 0, 784, 200, 5), 0);
    moments(buf, N, &mean, &std, &lo, &hi);
    ck_assert(lo >= -(float)lim && hi <= (float)lim);
    ck_assert(lo < -0.99 * lim && hi > 0.99 * lim);
    ck_assert_double_eq_tol(mean, 0.0, 0.01 * lim);
    ck_assert_double_eq_tol(std, lim / sqrt(3.0), 0.01 * lim);
}
END_TEST

START_TEST(test_he_std)
{
    double mean, std;
    float lo, hi;
    double want = sqrt(2.0 / 100);
    ck_assert_int_eq(fill(INIT_HE, 0, 0, 100, 7, 6), 0);
    moments(buf, N, &mean, &std, &lo, &hi);
    ck_assert_double_eq_tol(mean, 0.0, 0.02 * want);
    ck_assert_double_eq_tol(std, want, 0.01 * want);
}
END_TEST

START_TEST(test_deterministic_draw_order)
{
    /* Two layers filled in order from one rng equal one fill of their total length. */
    static float a[300], b[300];
    struct rng r;
    struct init_spec s = {.kind = INIT_NORMAL, .a = 0, .b = 0.1};
    struct init_spec z = {.kind = INIT_ZEROS};
    rng_seed(&r, 11);
    ck_assert_int_eq(init_fill(a, 101, &s, 0, 0, &r), 0); /* odd: leaves a spare behind */
    ck_assert_int_eq(init_fill(a + 101, 10, &z, 0, 0, &r), 0);
    ck_assert_int_eq(init_fill(a + 111, 189, &s, 0, 0, &r), 0);
    rng_seed(&r, 11);
    ck_assert_int_eq(init_fill(b, 101, &s, 0, 0, &r), 0);
    ck_assert_int_eq(init_fill(b + 111, 189, &s, 0, 0, &r), 0);
    for (int i = 101; i < 111; i++)
        b[i] = 0.0f;
    ck_assert_mem_eq(a, b, sizeof a);
    rng_seed(&r, 12);
    ck_assert_int_eq(init_fill(b, 300, &s, 0, 0, &r), 0);
    ck_assert(a[0] != b[0]);
}
END_TEST

START_TEST(test_not_filled_here)
{
    struct rng r;
    rng_seed(&r, 1);
    struct init_spec s = {.kind = INIT_FILE, .path = "w.safetensors"};
    clnet_error_clear();
    ck_assert_int_eq(init_fill(buf, 4, &s, 1, 1, &r), CLNET_ERR_INTERNAL);
    s.kind = INIT_UNSET;
    ck_assert_int_eq(init_fill(buf, 4, &s, 1, 1, &r), CLNET_ERR_INTERNAL);
    s.kind = INIT_HE;
    ck_assert_int_eq(init_fill(buf, 4, &s, 0, 1, &r), CLNET_ERR_INTERNAL);
    s.kind = INIT_XAVIER;
    ck_assert_int_eq(init_fill(buf, 4, &s, 0, 0, &r), CLNET_ERR_INTERNAL);
}
END_TEST

START_TEST(test_resolve)
{
    struct init_spec global = {.kind = INIT_NORMAL, .b = 0.1};
    struct init_spec unset = {.kind = INIT_UNSET};
    struct init_spec own = {.kind = INIT_CONSTANT, .a = 0.1};
    ck_assert_ptr_eq(init_resolve(&unset, &global), &global);
    ck_assert_ptr_eq(init_resolve(NULL, &global), &global);
    ck_assert_ptr_eq(init_resolve(&own, &global), &own);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_init");
    TCase *tc = tcase_create("init");
    tcase_add_test(tc, test_zeros_constant_exact);
    tcase_add_test(tc, test_normal_pinned_seed1);
    tcase_add_test(tc, test_normal_moments);
    tcase_add_test(tc, test_uniform_bounds_moments);
    tcase_add_test(tc, test_xavier_limit);
    tcase_add_test(tc, test_he_std);
    tcase_add_test(tc, test_deterministic_draw_order);
    tcase_add_test(tc, test_not_filled_here);
    tcase_add_test(tc, test_resolve);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
