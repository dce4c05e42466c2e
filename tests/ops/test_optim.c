/* cl/optim.cl: one SGD step (and two with momentum, so the velocity is used) and two Adam steps
 * against values worked out by hand below, then both against ops/ref.c on a large random arena
 * with weight decay. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

/* The three parameters and two gradients every hand-computed case starts from. */
static const float w0[3] = {1.0f, -2.0f, 0.5f};
static const float g1[3] = {0.5f, 0.25f, -1.0f};
static const float g2[3] = {0.1f, -0.5f, 0.2f};

static void expect(cl_mem buf, const float want[3], const char *what)
{
    float *got = ops_download(buf, 0, 3);
    ops_check_close(got, want, 3, 1e-6, 1e-6, "%s", what);
    free(got);
}

START_TEST(sgd_hand_computed)
{
    cl_mem w = ops_buffer(w0, sizeof w0), g = ops_buffer(g1, sizeof g1);
    /* lr 0.1, no momentum, no decay: w - 0.1 g = (1 - 0.05, -2 - 0.025, 0.5 + 0.1). */
    ck_assert_int_eq(op_sgd_update(ops_rt, w, NULL, g, 3, 0.1f, 0.0f, 0.0f, 1), 0);
    expect(w, (const float[3]){0.95f, -2.025f, 0.6f}, "sgd step");

    /* Decay 0.01: g' = g + 0.01 w0 = (0.51, 0.23, -0.995);
     * w0 - 0.1 g' = (0.949, -2.023, 0.5995). */
    ck_assert_int_eq(runtime_upload(ops_rt, w, 0, w0, sizeof w0), 0);
    ck_assert_int_eq(op_sgd_update(ops_rt, w, NULL, g, 3, 0.1f, 0.0f, 0.01f, 1), 0);
    expect(w, (const float[3]){0.949f, -2.023f, 0.5995f}, "sgd step with weight decay");

    /* Momentum 0.9, lr 0.1. Step 1: v = g1 (PyTorch copies the first gradient),
     * w = (0.95, -2.025, 0.6). Step 2: v = 0.9 g1 + g2 = (0.45 + 0.1, 0.225 - 0.5, -0.9 + 0.2)
     * = (0.55, -0.275, -0.7); w = (0.95 - 0.055, -2.025 + 0.0275, 0.6 + 0.07)
     * = (0.895, -1.9975, 0.67). The velocity starts as garbage: step 1 must not read it. */
    const float garbage[3] = {NAN, 1e30f, -3.0f};
    cl_mem v = ops_buffer(garbage, sizeof garbage);
    ck_assert_int_eq(runtime_upload(ops_rt, w, 0, w0, sizeof w0), 0);
    ck_assert_int_eq(op_sgd_update(ops_rt, w, v, g, 3, 0.1f, 0.9f, 0.0f, 1), 0);
    expect(v, g1, "sgd momentum velocity after step 1");
    expect(w, (const float[3]){0.95f, -2.025f, 0.6f}, "sgd momentum step 1");
    ck_assert_int_eq(runtime_upload(ops_rt, g, 0, g2, sizeof g2), 0);
    ck_assert_int_eq(op_sgd_update(ops_rt, w, v, g, 3, 0.1f, 0.9f, 0.0f, 0), 0);
    expect(v, (const float[3]){0.55f, -0.275f, -0.7f}, "sgd momentum velocity after step 2");
    expect(w, (const float[3]){0.895f, -1.9975f, 0.67f}, "sgd momentum step 2");

    clnet_error_clear();
    ck_assert_int_eq(op_sgd_update(ops_rt, w, NULL, g, 3, 0.1f, 0.9f, 0.0f, 1),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    runtime_free(w);
    runtime_free(g);
    runtime_free(v);
}
END_TEST

START_TEST(adam_hand_computed)
{
    const float zeros[3] = {0, 0, 0};
    cl_mem w = ops_buffer(w0, sizeof w0), g = ops_buffer(g1, sizeof g1);
    cl_mem m = ops_buffer(zeros, sizeof zeros), v = ops_buffer(zeros, sizeof zeros);
    /* lr 0.01, betas (0.9, 0.999), eps 1e-8. t = 1: bc1 = 0.1, bc2 = 0.001.
     * m = 0.1 g1 = (0.05, 0.025, -0.1); v = 0.001 g1^2 = (0.00025, 0.0000625, 0.001);
     * m / bc1 = g1, sqrt(v / bc2) = |g1|, so the step is lr g / (|g| + 1e-8) = 0.01 sign(g)
     * to 2e-8 relative: w = (0.99, -2.01, 0.51). */
    ck_assert_int_eq(op_adam_update(ops_rt, w, m, v, g, 3, 0.01f, 0.9, 0.999, 1e-8f, 0.0f, 0.1f,
                                    0.001f), 0);
    expect(m, (const float[3]){0.05f, 0.025f, -0.1f}, "adam m, t = 1");
    expect(v, (const float[3]){0.00025f, 0.0000625f, 0.001f}, "adam v, t = 1");
    expect(w, (const float[3]){0.99f, -2.01f, 0.51f}, "adam w, t = 1");

    /* t = 2 with g2: bc1 = 1 - 0.81 = 0.19, bc2 = 1 - 0.998001 = 0.001999.
     * m = 0.9 m + 0.1 g2 = (0.045 + 0.01, 0.0225 - 0.05, -0.09 + 0.02) = (0.055, -0.0275, -0.07)
     * v = 0.999 v + 0.001 g2^2 = (0.00024975 + 0.00001, 0.0000624375 + 0.00025, 0.000999 + 0.00004)
     *   = (0.00025975, 0.0003124375, 0.001039)
     * m / bc1 = (0.28947368, -0.14473684, -0.36842105)
     * v / bc2 = (0.12993997, 0.15629690, 0.51975988),
     *   square roots (0.36047187, 0.39534403, 0.72094374)
     * steps 0.01 (m / bc1) / (sqrt + 1e-8) = (0.0080304096, -0.0036610352, -0.0051102607)
     * w = (0.99 - 0.0080304096, -2.01 + 0.0036610352, 0.51 + 0.0051102607)
     *   = (0.98196959, -2.00633896, 0.51511026). */
    ck_assert_int_eq(runtime_upload(ops_rt, g, 0, g2, sizeof g2), 0);
    ck_assert_int_eq(op_adam_update(ops_rt, w, m, v, g, 3, 0.01f, 0.9, 0.999, 1e-8f, 0.0f, 0.19f,
                                    0.001999f), 0);
    expect(m, (const float[3]){0.055f, -0.0275f, -0.07f}, "adam m, t = 2");
    expect(v, (const float[3]){0.00025975f, 0.0003124375f, 0.001039f}, "adam v, t = 2");
    expect(w, (const float[3]){0.98196959f, -2.00633896f, 0.51511026f}, "adam w, t = 2");

    /* Weight decay 0.1 at t = 1: g' = g1 + 0.1 w0 = (0.6, 0.05, -0.95), again a step of
     * 0.01 sign(g'): w = (0.99, -2.01, 0.51). */
    ck_assert_int_eq(runtime_upload(ops_rt, w, 0, w0, sizeof w0), 0);
    ck_assert_int_eq(runtime_upload(ops_rt, g, 0, g1, sizeof g1), 0);
    ck_assert_int_eq(op_fill(ops_rt, m, 0, 3, 0.0f), 0);
    ck_assert_int_eq(op_fill(ops_rt, v, 0, 3, 0.0f), 0);
    ck_assert_int_eq(op_adam_update(ops_rt, w, m, v, g, 3, 0.01f, 0.9, 0.999, 1e-8f, 0.1f, 0.1f,
                                    0.001f), 0);
    expect(m, (const float[3]){0.06f, 0.005f, -0.095f}, "adam m with weight decay");
    expect(w, (const float[3]){0.99f, -2.01f, 0.51f}, "adam w with weight decay");
    runtime_free(w);
    runtime_free(g);
    runtime_free(m);
    runtime_free(v);
}
END_TEST

/* Both optimizers against the host reference over three steps on an arena of odd size. */
START_TEST(optim_against_reference)
{
    static const size_t sizes[] = {1, 7, 127, 100003};
    uint64_t seed = 0xc0ac29b7c97c50ddu;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        for (int kind = 0; kind < 3; kind++) { /* sgd, sgd + momentum, adam */
            float *w = ops_random_floats(&seed, n, 1.0f);
            float *a = calloc(n, 4), *b = calloc(n, 4);
            cl_mem mw = ops_buffer(w, n * 4), ma = ops_buffer(a, n * 4), mb = ops_buffer(b, n * 4);
            cl_mem mg = ops_buffer(NULL, n * 4);
            for (int t = 1; t <= 3; t++) {
                float *g = ops_random_floats(&seed, n, 0.5f);
                ck_assert_int_eq(runtime_upload(ops_rt, mg, 0, g, n * 4), 0);
                int status;
                if (kind < 2) {
                    float mu = kind == 1 ? 0.9f : 0.0f;
                    status = op_sgd_update(ops_rt, mw, ma, mg, n, 0.05f, mu, 1e-3f, t == 1);
                    ref_sgd_update(w, a, g, n, 0.05f, mu, 1e-3f, t == 1);
                } else {
                    float bc1 = (float)(1.0 - pow(0.9, t)), bc2 = (float)(1.0 - pow(0.999, t));
                    status = op_adam_update(ops_rt, mw, ma, mb, mg, n, 3e-3f, 0.9, 0.999, 1e-8f,
                                            1e-4f, bc1, bc2);
                    ref_adam_update(w, a, b, g, n, 3e-3f, 0.9, 0.999, 1e-8f, 1e-4f, bc1, bc2);
                }
                ck_assert_msg(status == 0, "%s", clnet_error_message());
                free(g);
            }
            float *got_w = ops_download(mw, 0, n), *got_a = ops_download(ma, 0, n);
            ops_check_close(got_w, w, n, 1e-5, 1e-3, "optimizer %d n=%zu params", kind, n);
            if (kind > 0)
                ops_check_close(got_a, a, n, 1e-5, 1e-3, "optimizer %d n=%zu state", kind, n);
            if (kind == 2) {
                float *got_b = ops_download(mb, 0, n);
                ops_check_close(got_b, b, n, 1e-5, 1e-6, "adam n=%zu v", n);
                free(got_b);
            }
            free(w);
            free(a);
            free(b);
            free(got_w);
            free(got_a);
            runtime_free(mw);
            runtime_free(ma);
            runtime_free(mb);
            runtime_free(mg);
        }
    }
}
END_TEST

/* A moment that decays with no gradient reaches exactly 0, not a subnormal (x86 takes a microcode
 * assist on every operation with one, and 0.9 x the smallest subnormal rounds back to itself, so
 * m would stay there for good), and the weights keep their bits. m starts at 1e-36 (below FLT_MIN
 * after 43 steps at beta1 0.9), v at 1.3e-38 (after 99 steps at beta2 0.999); 300 steps. */
START_TEST(adam_moments_flush_to_zero)
{
    const float m0[3] = {1e-36f, -1e-36f, 5e-37f}, v0[3] = {1.3e-38f, 1.3e-38f, 1.25e-38f};
    const float zeros[3] = {0, 0, 0};
    cl_mem w = ops_buffer(w0, sizeof w0), g = ops_buffer(zeros, sizeof zeros);
    cl_mem m = ops_buffer(m0, sizeof m0), v = ops_buffer(v0, sizeof v0);
    for (int t = 0; t < 300; t++)
        ck_assert_int_eq(op_adam_update(ops_rt, w, m, v, g, 3, 0.01f, 0.9, 0.999, 1e-8f, 0.0f,
                                        1.0f, 1.0f), 0);
    float *got_m = ops_download(m, 0, 3), *got_v = ops_download(v, 0, 3);
    float *got_w = ops_download(w, 0, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(got_m[i] == 0.0f, "m[%d] = %g after 300 steps with g = 0, not 0", i,
                      (double)got_m[i]);
        ck_assert_msg(got_v[i] == 0.0f, "v[%d] = %g after 300 steps with g = 0, not 0", i,
                      (double)got_v[i]);
    }
    ck_assert_msg(memcmp(got_w, w0, sizeof w0) == 0, "weights moved: %.9g %.9g %.9g",
                  (double)got_w[0], (double)got_w[1], (double)got_w[2]);
    free(got_m);
    free(got_v);
    free(got_w);
    runtime_free(w);
    runtime_free(g);
    runtime_free(m);
    runtime_free(v);
}
END_TEST

TCase *ops_optim_tcase(void)
{
    TCase *tc = tcase_create("optim");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, sgd_hand_computed);
    tcase_add_test(tc, adam_hand_computed);
    tcase_add_test(tc, optim_against_reference);
    tcase_add_test(tc, adam_moments_flush_to_zero);
    return tc;
}
