/* cl/dropout.cl against ops/ref_conv.c's dropout, which draws its mask from rng_hash3 itself:
 * bitwise equal forward and backward, the kept fraction, p = 0 and p = 1, and a mask that
 * depends on (seed, iteration, element) alone. */
#include <stdlib.h>
#include <string.h>

#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

/* Values in [0.5, 1.5): never zero, so a zero output means a dropped element. */
static float *nonzero_floats(uint64_t *seed, size_t n)
{
    float *v = ops_random_floats(seed, n, 0.5f);
    for (size_t i = 0; i < n; i++)
        v[i] += 1.0f;
    return v;
}

static float *run(bool forward, const float *in, size_t n, float p, uint64_t seed,
                  uint64_t iteration)
{
    cl_mem min = ops_buffer(in, n * 4), mout = ops_buffer(NULL, n * 4);
    int status = forward ? op_dropout_forward(ops_rt, mout, min, n, 0, p, seed, iteration)
                         : op_dropout_backward(ops_rt, mout, min, n, 0, p, seed, iteration);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    float *out = ops_download(mout, 0, n);
    runtime_free(min);
    runtime_free(mout);
    return out;
}

static float *reference(bool forward, const float *in, size_t n, float p, uint64_t seed,
                        uint64_t iteration)
{
    float *out = malloc(n * sizeof *out);
    ck_assert_ptr_nonnull(out);
    if (forward)
        ref_dropout_forward(out, in, n, 0, p, seed, iteration);
    else
        ref_dropout_backward(out, in, n, 0, p, seed, iteration);
    return out;
}

/* Bitwise equal, or the first difference. */
static void check_equal(const float *got, const float *want, size_t n, const char *what, float p)
{
    long d = ops_first_difference(got, want, n);
    ck_assert_msg(d < 0, "%s n=%zu p=%g: [%ld] device %.9g host %.9g", what, n, (double)p, d,
                  d < 0 ? 0.0 : (double)got[d], d < 0 ? 0.0 : (double)want[d]);
}

static size_t count_differences(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += (a[i] == 0.0f) != (b[i] == 0.0f);
    return d;
}

START_TEST(dropout_matches_reference)
{
    static const size_t sizes[] = {1, 7, 127, 4099, 100000};
    static const float probs[] = {0.25f, 0.5f, 0.1f, 0.9f};
    uint64_t state = 0x71c0d5e2b6a3f489u;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t k = 0; k < sizeof probs / sizeof probs[0]; k++) {
            size_t n = sizes[s];
            float p = probs[k];
            uint64_t seed = ops_random(&state), iteration = ops_random(&state) % 10000;
            float *x = nonzero_floats(&state, n), *dy = nonzero_floats(&state, n);
            float *y = run(true, x, n, p, seed, iteration);
            float *dx = run(false, dy, n, p, seed, iteration);
            float *want_y = reference(true, x, n, p, seed, iteration);
            float *want_dx = reference(false, dy, n, p, seed, iteration);
            check_equal(y, want_y, n, "dropout_forward", p);
            check_equal(dx, want_dx, n, "dropout_backward", p);
            /* The backward drops exactly what the forward dropped. */
            ck_assert_uint_eq(count_differences(y, dx, n), 0);
            free(x);
            free(dy);
            free(y);
            free(dx);
            free(want_y);
            free(want_dx);
        }
}
END_TEST

START_TEST(dropout_statistics)
{
    enum { N = 100000 };
    uint64_t state = 0x2d6f1e0b9c8a7354u;
    float *x = nonzero_floats(&state, N);
    float *y = run(true, x, N, 0.25f, 42, 6000);
    size_t kept = 0;
    for (size_t i = 0; i < N; i++)
        if (y[i] != 0.0f) {
            kept++;
            ck_assert_float_eq(y[i], x[i] * (4.0f / 3.0f));
        }
    ck_assert_double_eq_tol((double)kept / N, 0.75, 0.01);

    /* Same arguments, same mask; another iteration or seed, another mask (about 2 p (1 - p)
     * of the elements change); the mask of element i does not depend on n. */
    float *again = run(true, x, N, 0.25f, 42, 6000);
    ck_assert_int_lt(ops_first_difference(again, y, N), 0);
    float *next = run(true, x, N, 0.25f, 42, 6001), *other = run(true, x, N, 0.25f, 43, 6000);
    ck_assert_double_eq_tol((double)count_differences(next, y, N) / N, 0.375, 0.01);
    ck_assert_double_eq_tol((double)count_differences(other, y, N) / N, 0.375, 0.01);
    float *prefix = run(true, x, 1000, 0.25f, 42, 6000);
    ck_assert_int_lt(ops_first_difference(prefix, y, 1000), 0);
    /* A buffer holding elements from `first` on (a data-parallel rank's rows) draws the whole
     * batch's mask for them. */
    cl_mem tail_in = ops_buffer(x + 1000, (N - 1000) * 4);
    cl_mem tail_out = ops_buffer(NULL, (N - 1000) * 4);
    ck_assert_int_eq(
        op_dropout_forward(ops_rt, tail_out, tail_in, N - 1000, 1000, 0.25f, 42, 6000), 0);
    float *tail = ops_download(tail_out, 0, N - 1000);
    ck_assert_int_lt(ops_first_difference(tail, y + 1000, N - 1000), 0);
    runtime_free(tail_in);
    runtime_free(tail_out);
    free(tail);
    free(x);
    free(y);
    free(again);
    free(next);
    free(other);
    free(prefix);
}
END_TEST

START_TEST(dropout_edges)
{
    enum { N = 4099 };
    uint64_t state = 0x5a3c9e1f0b2d4867u;
    float *x = ops_random_floats(&state, N, 3.0f);
    float *y = run(true, x, N, 0.0f, 7, 1);
    ck_assert_int_lt(ops_first_difference(y, x, N), 0); /* p = 0: identity, bitwise */
    float *dx = run(false, x, N, 0.0f, 7, 1);
    ck_assert_int_lt(ops_first_difference(dx, x, N), 0);
    float *none = run(true, x, N, 1.0f, 7, 1);
    for (size_t i = 0; i < N; i++)
        ck_assert_float_eq(none[i], 0.0f);

    /* In place, as a layer may run it. */
    cl_mem m = ops_buffer(x, N * 4);
    ck_assert_int_eq(op_dropout_forward(ops_rt, m, m, N, 0, 0.25f, 7, 1), 0);
    float *inplace = ops_download(m, 0, N), *want = reference(true, x, N, 0.25f, 7, 1);
    ck_assert_int_lt(ops_first_difference(inplace, want, N), 0);

    clnet_error_clear();
    ck_assert_int_eq(op_dropout_forward(ops_rt, m, m, N, 0, -0.1f, 7, 1), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_dropout_backward(ops_rt, m, m, N, 0, 1.5f, 7, 1), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    runtime_free(m);
    free(x);
    free(y);
    free(dx);
    free(none);
    free(inplace);
    free(want);
}
END_TEST

TCase *ops_dropout_tcase(void)
{
    TCase *tc = tcase_create("dropout");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dropout_matches_reference);
    tcase_add_test(tc, dropout_statistics);
    tcase_add_test(tc, dropout_edges);
    return tc;
}
