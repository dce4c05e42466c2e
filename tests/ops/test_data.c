/* cl/data.cl against ops/ref.c: gather_batch on random images and indices (repeats included),
 * batch and feature counts that do not divide the work-group size, every byte value; results
 * must be bitwise equal to the host's x / 255.0f. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

/* Runs gather on the device and on the host and compares; n images of features bytes. */
static void check_gather(const uint8_t *images, const uint8_t *labels, int n, const int32_t *index,
                         int batch, int features)
{
    size_t nx = (size_t)batch * (size_t)features;
    cl_mem m_images = ops_buffer(images, (size_t)n * (size_t)features);
    cl_mem m_labels = ops_buffer(labels, (size_t)n);
    /* The indices sit behind 5 junk ints, as one step's do in a chunk's upload. */
    enum { OFF = 5 };
    int32_t *shifted = malloc(((size_t)batch + OFF) * sizeof *shifted);
    ck_assert(shifted);
    for (int i = 0; i < OFF; i++)
        shifted[i] = -7;
    memcpy(shifted + OFF, index, (size_t)batch * sizeof *index);
    cl_mem m_index = ops_buffer(shifted, ((size_t)batch + OFF) * sizeof *index);
    free(shifted);
    cl_mem m_x = ops_buffer(NULL, nx * sizeof(float));
    cl_mem m_y = ops_buffer(NULL, (size_t)batch * sizeof(int32_t));
    int status = op_gather_batch(ops_rt, m_x, m_y, m_images, m_labels, m_index, OFF, batch,
                                 features, n);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    float *x = malloc(nx * sizeof *x), *want_x = malloc(nx * sizeof *want_x);
    int32_t *y = malloc((size_t)batch * sizeof *y), *want_y = malloc((size_t)batch * sizeof *y);
    ck_assert(x && want_x && y && want_y);
    ck_assert_int_eq(runtime_download(ops_rt, x, m_x, 0, nx * sizeof *x), 0);
    ck_assert_int_eq(runtime_download(ops_rt, y, m_y, 0, (size_t)batch * sizeof *y), 0);
    ref_gather_batch(want_x, want_y, images, labels, index, batch, features);

    long i = ops_first_difference(x, want_x, nx);
    ck_assert_msg(i < 0,
                  "gather_batch B=%d F=%d: x[%ld] (b=%ld f=%ld, image %d, byte %u) = %.9g, "
                  "host %.9g",
                  batch, features, i, i / features, i % features,
                  i >= 0 ? index[i / features] : 0,
                  i >= 0 ? images[(size_t)index[i / features] * features + i % features] : 0u,
                  i >= 0 ? x[i] : 0.0, i >= 0 ? want_x[i] : 0.0);
    for (int b = 0; b < batch; b++)
        ck_assert_msg(y[b] == want_y[b], "gather_batch B=%d F=%d: y[%d] = %d, host %d", batch,
                      features, b, y[b], want_y[b]);
    free(x);
    free(want_x);
    free(y);
    free(want_y);
    runtime_free(m_images);
    runtime_free(m_labels);
    runtime_free(m_index);
    runtime_free(m_x);
    runtime_free(m_y);
}

START_TEST(gather_random_shapes)
{
    const int batches[] = {1, 3, 7, 100, 127};
    const int features[] = {1, 7, 784};
    const int n = 300;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t fi = 0; fi < sizeof features / sizeof features[0]; fi++) {
        int f = features[fi];
        uint8_t *images = malloc((size_t)n * (size_t)f), labels[300];
        ck_assert_ptr_nonnull(images);
        for (size_t i = 0; i < (size_t)n * (size_t)f; i++)
            images[i] = (uint8_t)ops_random(&seed);
        for (int i = 0; i < n; i++)
            labels[i] = (uint8_t)(ops_random(&seed) % 10);
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
            int batch = batches[bi];
            int32_t index[127];
            for (int b = 0; b < batch; b++) /* every third a repeat of an earlier one */
                index[b] = b > 0 && b % 3 == 0 ? index[ops_random(&seed) % (uint64_t)b]
                                                : (int32_t)(ops_random(&seed) % (uint64_t)n);
            if (batch > 1)
                index[batch - 1] = n - 1; /* the last image: its bytes end the buffer */
            check_gather(images, labels, n, index, batch, f);
        }
        free(images);
    }
}
END_TEST

/* Every byte value: the kernel's division must round as the host's does. */
START_TEST(gather_every_byte)
{
    uint8_t images[256], labels[256];
    int32_t index[256];
    for (int i = 0; i < 256; i++) {
        images[i] = (uint8_t)i;
        labels[i] = (uint8_t)(255 - i);
        index[i] = i;
    }
    check_gather(images, labels, 256, index, 256, 1);
}
END_TEST

/* An index out of [0, N) reads nothing: zeros and label -1. */
START_TEST(gather_bad_index)
{
    uint8_t images[2 * 3] = {1, 2, 3, 4, 5, 6}, labels[2] = {7, 8};
    int32_t index[3] = {1, 2, -1};
    cl_mem m_images = ops_buffer(images, sizeof images), m_labels = ops_buffer(labels, 2);
    cl_mem m_index = ops_buffer(index, sizeof index);
    cl_mem m_x = ops_buffer(NULL, 9 * sizeof(float)), m_y = ops_buffer(NULL, 3 * sizeof(int));
    ck_assert_int_eq(op_gather_batch(ops_rt, m_x, m_y, m_images, m_labels, m_index, 0, 3, 3, 2), 0);
    float x[9];
    int32_t y[3];
    ck_assert_int_eq(runtime_download(ops_rt, x, m_x, 0, sizeof x), 0);
    ck_assert_int_eq(runtime_download(ops_rt, y, m_y, 0, sizeof y), 0);
    ck_assert_int_eq(y[0], 8);
    ck_assert_int_eq(y[1], -1);
    ck_assert_int_eq(y[2], -1);
    ck_assert_float_eq(x[0], 4.0f / 255.0f);
    for (int i = 3; i < 9; i++)
        ck_assert_float_eq(x[i], 0.0f);
    clnet_error_clear();
    ck_assert_int_eq(op_gather_batch(ops_rt, m_x, m_y, m_images, m_labels, m_index, 0, 0, 3, 2),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    runtime_free(m_images);
    runtime_free(m_labels);
    runtime_free(m_index);
    runtime_free(m_x);
    runtime_free(m_y);
}
END_TEST

TCase *ops_data_tcase(void)
{
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, gather_every_byte);
    tcase_add_test(tc, gather_random_shapes);
    tcase_add_test(tc, gather_bad_index);
    return tc;
}
