/* cl/elementwise.cl against ops/ref.c: bias + activation forward and backward for every
 * activation (step included) on shapes with odd sizes, the bias at an offset inside a larger
 * "arena" whose other values must stay untouched (on the path the runtime chose: the ops suite
 * runs on both); the standalone activation; op_fill. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

static const int shapes[][2] = {{1, 1}, {3, 7}, {127, 3}, {7, 1000}, {100, 200}, {1, 127}};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* Pre-activations: mostly moderate, a few far out (sigmoid and tanh saturate, exp overflows). */
static float *pre_activations(uint64_t *seed, size_t n)
{
    float *v = ops_random_floats(seed, n, 4.0f);
    static const float extremes[] = {0.0f, -0.0f, 30.0f, -30.0f, 100.0f, -100.0f, 1e-7f, -1e-7f};
    for (size_t i = 0; i < n && i < sizeof extremes / sizeof extremes[0]; i++)
        v[(i * 37) % n] = extremes[i];
    return v;
}

/* db (out) against the host's: each column within 1e-5 relative to its sum of |dz| (the GPU
 * path sums the rows in another fixed order than the host's: the sum's rounding is bounded by
 * a multiple of that, however its terms cancel), and at least 1e-3. */
static void check_db(const float *db, const float *want_db, const float *want_dz, int batch,
                     int out, int act)
{
    for (int j = 0; j < out; j++) {
        double scale = 0.0;
        for (int r = 0; r < batch; r++)
            scale += fabs((double)want_dz[(size_t)r * out + j]);
        ops_check_close(db + j, want_db + j, 1, 1e-5, fmax(1e-3, scale),
                        "bias_act_backward db[%d] %s B=%d O=%d", j, activation_name(act), batch,
                        out);
    }
}

START_TEST(bias_act_forward_backward)
{
    uint64_t seed = 0xa4093822299f31d0u;
    for (int act = 0; act < ACTIVATION_COUNT; act++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            int batch = shapes[s][0], out = shapes[s][1];
            size_t n = (size_t)batch * out, arena = (size_t)out + 40;
            size_t off = 1 + ops_random(&seed) % 31;
            float *y0 = pre_activations(&seed, n);
            float *params = ops_random_floats(&seed, arena, 1.0f);
            cl_mem my = ops_buffer(y0, n * sizeof *y0);
            cl_mem mp = ops_buffer(params, arena * sizeof *params);
            ck_assert_msg(op_bias_act_forward(ops_rt, my, mp, off, batch, out, act) == 0, "%s",
                          clnet_error_message());
            float *y = ops_download(my, 0, n);
            float *want_y = malloc(n * sizeof *want_y);
            memcpy(want_y, y0, n * sizeof *y0);
            ref_bias_act_forward(want_y, params + off, batch, out, act);
            ops_check_close(y, want_y, n, 1e-5, 1e-3, "bias_act_forward %s B=%d O=%d",
                            activation_name(act), batch, out);

            /* Backward from the host's y so that both sides see the same output. */
            float *dy = ops_random_floats(&seed, n, 1.0f);
            cl_mem mdy = ops_buffer(dy, n * sizeof *dy);
            ck_assert_int_eq(runtime_upload(ops_rt, my, 0, want_y, n * sizeof *want_y), 0);
            cl_mem mdz = ops_buffer(NULL, n * sizeof(float));
            ck_assert_msg(op_bias_act_backward(ops_rt, mdz, mp, off, my, mdy, batch, out, act) ==
                              0, "%s", clnet_error_message());
            float *dz = ops_download(mdz, 0, n), *grads = ops_download(mp, 0, arena);
            float *want_dz = malloc(n * sizeof *want_dz), *want_grads = malloc(arena * 4);
            memcpy(want_grads, params, arena * sizeof *params);
            ref_bias_act_backward(want_dz, want_grads + off, want_y, dy, batch, out, act);
            ops_check_close(dz, want_dz, n, 1e-5, 1e-3, "bias_act_backward dz %s B=%d O=%d",
                            activation_name(act), batch, out);
            check_db(grads + off, want_grads + off, want_dz, batch, out, act);
            long other = -1;
            for (size_t i = 0; i < arena && other < 0; i++)
                if ((i < off || i >= off + (size_t)out) && grads[i] != params[i])
                    other = (long)i;
            ck_assert_msg(other < 0, "bias_act_backward wrote arena[%ld] outside db", other);

            /* In place: dz aliasing dy. */
            ck_assert_int_eq(op_bias_act_backward(ops_rt, mdy, mp, off, my, mdy, batch, out, act),
                             0);
            float *dz2 = ops_download(mdy, 0, n);
            ops_check_close(dz2, want_dz, n, 1e-5, 1e-3, "bias_act_backward in place %s",
                            activation_name(act));
            if (act == ACTIVATION_STEP)
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(dz[i] == 0.0f, "step gradient %g", (double)dz[i]);
            free(y0);
            free(params);
            free(y);
            free(want_y);
            free(dy);
            free(dz);
            free(dz2);
            free(grads);
            free(want_dz);
            free(want_grads);
            runtime_free(my);
            runtime_free(mp);
            runtime_free(mdy);
            runtime_free(mdz);
        }
}
END_TEST

START_TEST(act_forward_backward)
{
    static const size_t sizes[] = {1, 3, 7, 127, 1000, 4099};
    uint64_t seed = 0x082efa98ec4e6c89u;
    for (int act = 0; act < ACTIVATION_COUNT; act++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            float *x = pre_activations(&seed, n), *dy = ops_random_floats(&seed, n, 1.0f);
            float *want_y = malloc(n * sizeof *want_y), *want_dx = malloc(n * sizeof *want_dx);
            ref_act_forward(want_y, x, n, act);
            ref_act_backward(want_dx, want_y, dy, n, act);
            cl_mem mx = ops_buffer(x, n * 4), my = ops_buffer(NULL, n * 4);
            cl_mem mdy = ops_buffer(dy, n * 4), mdx = ops_buffer(NULL, n * 4);
            ck_assert_int_eq(op_act_forward(ops_rt, my, mx, n, act), 0);
            float *y = ops_download(my, 0, n);
            ops_check_close(y, want_y, n, 1e-5, 1e-3, "act_forward %s n=%zu",
                            activation_name(act), n);
            ck_assert_int_eq(runtime_upload(ops_rt, my, 0, want_y, n * 4), 0);
            ck_assert_int_eq(op_act_backward(ops_rt, mdx, my, mdy, n, act), 0);
            float *dx = ops_download(mdx, 0, n);
            ops_check_close(dx, want_dx, n, 1e-5, 1e-3, "act_backward %s n=%zu",
                            activation_name(act), n);
            /* In place, as a layer may run it. */
            ck_assert_int_eq(op_act_forward(ops_rt, mx, mx, n, act), 0);
            float *y2 = ops_download(mx, 0, n);
            ops_check_close(y2, y, n, 0.0, 0.0, "act_forward in place %s", activation_name(act));
            free(x);
            free(dy);
            free(want_y);
            free(want_dx);
            free(y);
            free(dx);
            free(y2);
            runtime_free(mx);
            runtime_free(my);
            runtime_free(mdy);
            runtime_free(mdx);
        }
}
END_TEST

/* Known values: the activations and their gradients at a few points, on the device. */
START_TEST(act_known_values)
{
    const float x[5] = {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f};
    const float want[ACTIVATION_COUNT][5] = {
        [ACTIVATION_IDENTITY] = {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f},
        /* 1 / (1 + e^2) = 0.11920292, 1 / (1 + e^-0.5) = 0.62245933, 1 / (1 + e^-3) = 0.95257413 */
        [ACTIVATION_SIGMOID] = {0.11920292f, 0.5f, 0.5f, 0.62245933f, 0.95257413f},
        [ACTIVATION_RELU] = {0.0f, 0.0f, 0.0f, 0.5f, 3.0f},
        /* tanh(2) = 0.96402758, tanh(0.5) = 0.46211716, tanh(3) = 0.99505475 */
        [ACTIVATION_TANH] = {-0.96402758f, 0.0f, 0.0f, 0.46211716f, 0.99505475f},
        [ACTIVATION_STEP] = {0.0f, 1.0f, 1.0f, 1.0f, 1.0f}, /* z >= 0, -0 included */
    };
    cl_mem mx = ops_buffer(x, sizeof x), my = ops_buffer(NULL, sizeof x);
    for (int act = 0; act < ACTIVATION_COUNT; act++) {
        ck_assert_int_eq(op_act_forward(ops_rt, my, mx, 5, act), 0);
        float *y = ops_download(my, 0, 5);
        ops_check_close(y, want[act], 5, 1e-6, 1e-6, "%s known values", activation_name(act));
        free(y);
    }
    /* Gradients through y with dy = 2: sigmoid 2 y (1 - y), relu 2 [y > 0], tanh 2 (1 - y^2). */
    const float y[3] = {0.25f, 0.0f, 0.5f}, dy[3] = {2.0f, 2.0f, 2.0f};
    const float want_dx[ACTIVATION_COUNT][3] = {
        [ACTIVATION_IDENTITY] = {2.0f, 2.0f, 2.0f},
        [ACTIVATION_SIGMOID] = {0.375f, 0.0f, 0.5f},
        [ACTIVATION_RELU] = {2.0f, 0.0f, 2.0f},
        [ACTIVATION_TANH] = {1.875f, 2.0f, 1.5f},
        [ACTIVATION_STEP] = {0.0f, 0.0f, 0.0f},
    };
    cl_mem m_y = ops_buffer(y, sizeof y), m_dy = ops_buffer(dy, sizeof dy);
    for (int act = 0; act < ACTIVATION_COUNT; act++) {
        ck_assert_int_eq(op_act_backward(ops_rt, my, m_y, m_dy, 3, act), 0);
        float *dx = ops_download(my, 0, 3);
        ops_check_close(dx, want_dx[act], 3, 0.0, 0.0, "%s known gradients",
                        activation_name(act));
        free(dx);
    }
    runtime_free(mx);
    runtime_free(my);
    runtime_free(m_y);
    runtime_free(m_dy);
}
END_TEST

START_TEST(fill_region)
{
    float init[50];
    for (int i = 0; i < 50; i++)
        init[i] = (float)i;
    cl_mem m = ops_buffer(init, sizeof init);
    ck_assert_int_eq(op_fill(ops_rt, m, 7, 31, -1.5f), 0);
    ck_assert_int_eq(op_fill(ops_rt, m, 49, 0, 9.0f), 0); /* nothing */
    float *got = ops_download(m, 0, 50);
    float want[50];
    memcpy(want, init, sizeof want);
    ref_fill(want + 7, 31, -1.5f);
    ops_check_close(got, want, 50, 0.0, 0.0, "fill 31 at 7");
    free(got);
    runtime_free(m);
}
END_TEST

START_TEST(elementwise_bad_arguments)
{
    cl_mem m = ops_buffer(NULL, 16);
    clnet_error_clear();
    ck_assert_int_eq(op_bias_act_forward(ops_rt, m, m, 0, 0, 4, 0), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_bias_act_backward(ops_rt, m, m, 0, m, m, 1, 4, ACTIVATION_COUNT),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_act_forward(ops_rt, m, m, 4, -1), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    runtime_free(m);
}
END_TEST

TCase *ops_elementwise_tcase(void)
{
    TCase *tc = tcase_create("elementwise");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, act_known_values);
    tcase_add_test(tc, bias_act_forward_backward);
    tcase_add_test(tc, act_forward_backward);
    tcase_add_test(tc, fill_region);
    tcase_add_test(tc, elementwise_bad_arguments);
    return tc;
}
