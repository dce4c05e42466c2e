/* cl/loss.cl against ops/ref.c: both losses on random logits (odd shapes), the overflow case
 * that separates them ([1000, -1000, 0]: cross_entropy finite, naive_softmax_log +inf loss and
 * NaN gradient), ties (the first maximum wins), a bad label, and op_loss_reduce's slots and
 * determinism. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

/* Runs the loss on the device; results into host arrays of B, B and B*C floats. */
static void device_loss(float *dz, float *row_loss, float *row_correct, const float *z,
                        const int32_t *labels, int batch, int classes, int loss)
{
    size_t n = (size_t)batch * classes;
    cl_mem mz = ops_buffer(z, n * 4), ml = ops_buffer(labels, (size_t)batch * 4);
    cl_mem mdz = ops_buffer(NULL, n * 4), mloss = ops_buffer(NULL, (size_t)batch * 4),
           mcorrect = ops_buffer(NULL, (size_t)batch * 4);
    ck_assert_msg(op_loss_forward_backward(ops_rt, mdz, mloss, mcorrect, 0, mz, ml, batch, classes,
                                           loss) == 0, "%s", clnet_error_message());
    ck_assert_int_eq(runtime_download(ops_rt, dz, mdz, 0, n * 4), 0);
    ck_assert_int_eq(runtime_download(ops_rt, row_loss, mloss, 0, (size_t)batch * 4), 0);
    ck_assert_int_eq(runtime_download(ops_rt, row_correct, mcorrect, 0, (size_t)batch * 4), 0);
    /* dz aliasing z gives the same gradient. */
    ck_assert_int_eq(
        op_loss_forward_backward(ops_rt, mz, mloss, mcorrect, 0, mz, ml, batch, classes, loss), 0);
    float *in_place = ops_download(mz, 0, n);
    ops_check_close(in_place, dz, n, 0.0, 0.0, "loss %s B=%d C=%d with dz aliasing z",
                    loss_name(loss), batch, classes);
    free(in_place);
    runtime_free(mz);
    runtime_free(ml);
    runtime_free(mdz);
    runtime_free(mloss);
    runtime_free(mcorrect);
}

START_TEST(loss_random)
{
    static const int shapes[][2] = {{1, 1}, {3, 7}, {100, 10}, {127, 3}, {7, 1000}, {1, 2}};
    uint64_t seed = 0x452821e638d01377u;
    for (int loss = 0; loss < LOSS_COUNT; loss++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int batch = shapes[s][0], classes = shapes[s][1];
            size_t n = (size_t)batch * classes;
            float *z = ops_random_floats(&seed, n, 6.0f);
            int32_t *labels = malloc((size_t)batch * sizeof *labels);
            for (int r = 0; r < batch; r++)
                labels[r] = (int32_t)(ops_random(&seed) % (uint64_t)classes);
            float *dz = malloc(n * 4), *want_dz = malloc(n * 4);
            float *rl = malloc((size_t)batch * 4), *want_rl = malloc((size_t)batch * 4);
            float *rc = malloc((size_t)batch * 4), *want_rc = malloc((size_t)batch * 4);
            device_loss(dz, rl, rc, z, labels, batch, classes, loss);
            ref_loss_forward_backward(want_dz, want_rl, want_rc, z, labels, batch, classes, loss);
            ops_check_close(rl, want_rl, (size_t)batch, 1e-5, 1e-3, "%s row_loss B=%d C=%d",
                            loss_name(loss), batch, classes);
            ops_check_close(rc, want_rc, (size_t)batch, 0.0, 0.0, "%s row_correct B=%d C=%d",
                            loss_name(loss), batch, classes);
            /* dz is at most 1/B in size; errors are measured against that scale. */
            ops_check_close(dz, want_dz, n, 1e-5, 0.1 / batch, "%s dz B=%d C=%d",
                            loss_name(loss), batch, classes);
            free(z);
            free(labels);
            free(dz);
            free(want_dz);
            free(rl);
            free(want_rl);
            free(rc);
            free(want_rc);
        }
}
END_TEST

/* Logits [1000, -1000, 0] with label 1: p_1 = e^-2000 underflows to 0. Row 2 is harmless. */
START_TEST(loss_overflow)
{
    const float z[6] = {1000.0f, -1000.0f, 0.0f, 1.0f, 2.0f, 3.0f};
    const int32_t labels[2] = {1, 2};
    for (int side = 0; side < 2; side++)
        for (int loss = 0; loss < LOSS_COUNT; loss++) {
            float dz[6], rl[2], rc[2];
            if (side == 0)
                device_loss(dz, rl, rc, z, labels, 2, 3, loss);
            else
                ref_loss_forward_backward(dz, rl, rc, z, labels, 2, 3, loss);
            const char *where = side == 0 ? "device" : "host";
            ck_assert_msg(rc[0] == 0.0f && rc[1] == 1.0f, "%s %s correct %g %g", where,
                          loss_name(loss), (double)rc[0], (double)rc[1]);
            if (loss == LOSS_CROSS_ENTROPY) {
                /* loss = log(1 + e^-1000 + e^-2000) + 2000 = 2000; dz = (p - onehot) / 2 with
                 * p = (1, 0, 0): (0.5, -0.5, 0). */
                ck_assert_msg(fabsf(rl[0] - 2000.0f) <= 1e-3f, "%s cross_entropy loss %g", where,
                              (double)rl[0]);
                const float want[3] = {0.5f, -0.5f, 0.0f};
                ops_check_close(dz, want, 3, 1e-6, 1e-6, "%s cross_entropy dz", where);
            } else {
                ck_assert_msg(isinf(rl[0]) && rl[0] > 0.0f, "%s naive loss %g, want +inf", where,
                              (double)rl[0]);
                for (int j = 0; j < 3; j++)
                    ck_assert_msg(isnan(dz[j]), "%s naive dz[%d] = %g, want NaN", where, j,
                                  (double)dz[j]);
            }
            /* The second row stays finite either way: -log softmax(1, 2, 3)_2 = 0.40760596. */
            ck_assert_msg(fabsf(rl[1] - 0.40760596f) < 1e-6f, "%s %s row 1 loss %.9g", where,
                          loss_name(loss), (double)rl[1]);
            for (int j = 3; j < 6; j++)
                ck_assert_msg(isfinite(dz[j]), "%s %s dz[%d] = %g", where, loss_name(loss), j,
                              (double)dz[j]);
        }
}
END_TEST

/* Ties: the first maximum is the prediction. A label outside [0, C): NaN loss, no gradient. */
START_TEST(loss_ties_and_bad_label)
{
    const float z[9] = {2.0f, 2.0f, 1.0f, 2.0f, 2.0f, 1.0f, 0.0f, 1.0f, 2.0f};
    const int32_t labels[3] = {0, 1, -1};
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
        float dz[9], rl[3], rc[3], want_dz[9], want_rl[3], want_rc[3];
        device_loss(dz, rl, rc, z, labels, 3, 3, loss);
        ref_loss_forward_backward(want_dz, want_rl, want_rc, z, labels, 3, 3, loss);
        const float correct[3] = {1.0f, 0.0f, 0.0f};
        ops_check_close(rc, correct, 3, 0.0, 0.0, "%s ties, device", loss_name(loss));
        ops_check_close(want_rc, correct, 3, 0.0, 0.0, "%s ties, host", loss_name(loss));
        ck_assert(isnan(rl[2]) && isnan(want_rl[2]));
        for (int j = 6; j < 9; j++)
            ck_assert(dz[j] == 0.0f && want_dz[j] == 0.0f);
        ops_check_close(dz, want_dz, 9, 1e-5, 0.1 / 3, "%s ties dz", loss_name(loss));
    }
    cl_mem m = ops_buffer(NULL, 64);
    clnet_error_clear();
    ck_assert_int_eq(op_loss_forward_backward(ops_rt, m, m, m, 0, m, m, 1, 2, LOSS_COUNT),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    runtime_free(m);
}
END_TEST

/* Slots are independent and overwritten; the same inputs give the same bits every time, equal
 * to the host's row-order float sum. */
START_TEST(loss_reduce_slots)
{
    const int batch = 1000, slots = 5;
    uint64_t seed = 0xbe5466cf34e90c6cu;
    float *loss = ops_random_floats(&seed, (size_t)batch, 3.0f);
    float *correct = malloc((size_t)batch * 4);
    for (int r = 0; r < batch; r++) {
        loss[r] = fabsf(loss[r]);
        correct[r] = (float)(ops_random(&seed) & 1);
    }
    cl_mem ml = ops_buffer(loss, (size_t)batch * 4), mc = ops_buffer(correct, (size_t)batch * 4);
    cl_mem macc = ops_buffer(NULL, (size_t)slots * 2 * 4);
    ck_assert_int_eq(op_fill(ops_rt, macc, 0, (size_t)slots * 2, -7.0f), 0);
    for (int round = 0; round < 3; round++)
        for (int s = slots - 1; s >= 1; s--) /* slot 0 left alone */
            ck_assert_msg(op_loss_reduce(ops_rt, macc, s, 1, ml, mc, 0, batch) == 0, "%s",
                          clnet_error_message());
    float *acc = ops_download(macc, 0, (size_t)slots * 2);
    float want[2];
    ref_loss_reduce(want, 0, loss, correct, batch);
    ck_assert(acc[0] == -7.0f && acc[1] == -7.0f);
    for (int s = 1; s < slots; s++) {
        ck_assert_msg(memcmp(&acc[2 * s], want, sizeof want) == 0,
                      "slot %d: device (%.9g, %.9g), host (%.9g, %.9g)", s, (double)acc[2 * s],
                      (double)acc[2 * s + 1], (double)want[0], (double)want[1]);
    }
    /* A slot beyond the buffer is refused before anything is enqueued. */
    clnet_error_clear();
    ck_assert_int_eq(op_loss_reduce(ops_rt, macc, slots, 1, ml, mc, 0, batch), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_loss_reduce(ops_rt, macc, 0, slots + 1, ml, mc, 0, 1), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    /* rows beyond the row buffers, too */
    ck_assert_int_eq(op_loss_reduce(ops_rt, macc, 0, 2, ml, mc, 1, batch / 2), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_loss_forward_backward(ops_rt, ml, ml, mc, (size_t)batch - 2, ml, ml, 4, 2,
                                              LOSS_CROSS_ENTROPY),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    free(loss);
    free(correct);
    free(acc);
    runtime_free(ml);
    runtime_free(mc);
    runtime_free(macc);
}
END_TEST

/* A chunk of steps as training runs them: each step's loss_forward_backward writes its rows at
 * slot x B, then one loss_reduce sums every slot; the same bits as one step at a time. */
START_TEST(loss_chunk_of_steps)
{
    enum { B = 37, C = 10, S = 6 };
    uint64_t seed = 0x6a09e667f3bcc908u;
    cl_mem rl = ops_buffer(NULL, S * B * 4), rc = ops_buffer(NULL, S * B * 4);
    cl_mem rl1 = ops_buffer(NULL, B * 4), rc1 = ops_buffer(NULL, B * 4);
    cl_mem chunk = ops_buffer(NULL, S * 2 * 4), single = ops_buffer(NULL, S * 2 * 4);
    cl_mem dz = ops_buffer(NULL, B * C * 4);
    for (int s = 0; s < S; s++) {
        float *z = ops_random_floats(&seed, B * C, 4.0f);
        int labels[B];
        for (int r = 0; r < B; r++)
            labels[r] = (int)(ops_random(&seed) % C);
        cl_mem mz = ops_buffer(z, B * C * 4), ml = ops_buffer(labels, sizeof labels);
        ck_assert_int_eq(op_loss_forward_backward(ops_rt, dz, rl, rc, (size_t)s * B, mz, ml, B, C,
                                                  LOSS_CROSS_ENTROPY),
                         0);
        ck_assert_int_eq(op_loss_forward_backward(ops_rt, dz, rl1, rc1, 0, mz, ml, B, C,
                                                  LOSS_CROSS_ENTROPY),
                         0);
        ck_assert_int_eq(op_loss_reduce(ops_rt, single, s, 1, rl1, rc1, 0, B), 0);
        runtime_free(mz);
        runtime_free(ml);
        free(z);
    }
    ck_assert_int_eq(op_loss_reduce(ops_rt, chunk, 0, S, rl, rc, 0, B), 0);
    float *got = ops_download(chunk, 0, S * 2), *want = ops_download(single, 0, S * 2);
    ck_assert_msg(ops_first_difference(got, want, S * 2) < 0, "slot value %ld differs",
                  ops_first_difference(got, want, S * 2));
    for (int s = 0; s < S; s++)
        ck_assert_msg(got[2 * s] > 0.0f && got[2 * s + 1] >= 0.0f, "slot %d: %g %g", s,
                      (double)got[2 * s], (double)got[2 * s + 1]);
    /* the last two steps again, from their rows' offset, into slots 4 and 5 only */
    ck_assert_int_eq(op_fill(ops_rt, chunk, 0, S * 2, -1.0f), 0);
    ck_assert_int_eq(op_loss_reduce(ops_rt, chunk, 4, 2, rl, rc, 4 * B, B), 0);
    float *again = ops_download(chunk, 0, S * 2);
    for (int i = 0; i < S * 2; i++)
        ck_assert_msg(i < 8 ? again[i] == -1.0f : again[i] == want[i], "value %d: %g", i,
                      (double)again[i]);
    free(got);
    free(want);
    free(again);
    cl_mem bufs[] = {rl, rc, rl1, rc1, chunk, single, dz};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        runtime_free(bufs[i]);
}
END_TEST

TCase *ops_loss_tcase(void)
{
    TCase *tc = tcase_create("loss");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, loss_random);
    tcase_add_test(tc, loss_overflow);
    tcase_add_test(tc, loss_ties_and_bad_label);
    tcase_add_test(tc, loss_reduce_slots);
    tcase_add_test(tc, loss_chunk_of_steps);
    return tc;
}
