/* Epochs (data/epoch.h): question 4 (iv)'s numbers for every homework config, the rounding and
 * trimming of the digits printed, batches that do not divide the set, the arithmetic where
 * iterations * batch would overflow, the sampler agreeing with the count after every batch,
 * and the training-set size read from the labels file alone. */
#define _GNU_SOURCE /* asprintf */
#include "data_tests.h"

#include "config/config.h"
#include "data/epoch.h"
#include "data/idx.h"
#include "data/mnist.h"
#include "data/sampler.h"
#include "harness.h"
#include "util/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_2000 "60,000 images / 100 = 600 iterations per epoch; 2,000 iterations = 3.33 epochs"

/* Every experiment of configs/hw2 with a train: section, and what it makes of MNIST's
 * 60,000 training images: 600 iterations an epoch (batch 100). */
static const struct {
    const char *file, *want;
} hw2[] = {
    {"q4_i_single.yaml", LINE_2000},
    {"q4_v_two_sigmoid.yaml", LINE_2000},
    {"q4_vi_hidden/h10.yaml", LINE_2000},
    {"q4_vi_hidden/h750.yaml", LINE_2000},
    {"q4_vii_two_zero.yaml", LINE_2000},
    {"q4_viii_five_sigmoid.yaml", LINE_2000},
    {"q4_ix_five_relu.yaml", LINE_2000},
    {"q4_x_five_relu_zero.yaml", LINE_2000},
    {"q4_xi_logits.yaml", LINE_2000},
    {"q4_xi_naive.yaml", LINE_2000},
    {"q4_xiii_adam.yaml", LINE_2000},
    {"q4_xiv_adam_10k.yaml",
     "60,000 images / 100 = 600 iterations per epoch; 10,000 iterations = 16.67 epochs"},
    {"q5_ii_cnn.yaml",
     "60,000 images / 100 = 600 iterations per epoch; 4,000 iterations = 6.67 epochs"},
    {"q5_iii_cnn_decay.yaml",
     "60,000 images / 100 = 600 iterations per epoch; 6,000 iterations = 10 epochs"},
    {"q5_v_cnn_99.yaml",
     "60,000 images / 100 = 600 iterations per epoch; 6,000 iterations = 10 epochs"},
};

START_TEST(homework_configs)
{
    char rel[128], line[256];
    snprintf(rel, sizeof rel, "configs/hw2/%s", hw2[_i].file);
    struct experiment e;
    ck_assert_msg(config_load(&e, harness_source_path(rel), NULL, 0) == CLNET_OK, "%s: %s", rel,
                  clnet_error_message());
    ck_assert_msg(e.has_train, "%s: no train: section", rel);
    epoch_line(line, sizeof line, MNIST_TRAIN_IMAGES, e.train.batch_size, e.train.iterations);
    ck_assert_msg(strcmp(line, hw2[_i].want) == 0, "%s:\n got  %s\n want %s", rel, line,
                  hw2[_i].want);
    experiment_free(&e);
}
END_TEST

START_TEST(odd_batches)
{
    char line[256];
    /* 128 does not divide 60,000: 468 full batches and three quarters of one. */
    epoch_line(line, sizeof line, 60000, 128, 2000);
    ck_assert_str_eq(line, "60,000 images / 128 = 468.75 iterations per epoch; "
                           "2,000 iterations = 4.27 epochs");
    /* 60,000 / 7 does not end: two digits, rounded; 7 * 8,572 / 60,000 = 1.00006..., so
     * "1.00" keeps its zeros (only exact values lose them). */
    epoch_line(line, sizeof line, 60000, 7, 8572);
    ck_assert_str_eq(line, "60,000 images / 7 = 8,571.43 iterations per epoch; "
                           "8,572 iterations = 1.00 epochs");
    /* A batch larger than the set, and singulars. */
    epoch_line(line, sizeof line, 600, 1000, 1);
    ck_assert_str_eq(line, "600 images / 1,000 = 0.6 iterations per epoch; "
                           "1 iteration = 1.67 epochs");
    epoch_line(line, sizeof line, 600, 600, 1);
    ck_assert_str_eq(line, "600 images / 600 = 1 iteration per epoch; 1 iteration = 1 epoch");
}
END_TEST

START_TEST(decimal_digits)
{
    char b[64];
    struct epoch_ratio third = epoch_count(2000, 100, 60000); /* 3 + 20,000 / 60,000 */
    ck_assert_int_eq(third.whole, 3);
    ck_assert_int_eq(third.rem, 20000);
    ck_assert_str_eq(epoch_decimal(b, sizeof b, third, 4, 0), "3.3333");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_count(10000, 100, 60000), 4, 0),
                     "16.6667"); /* rounded up */
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_count(10000, 100, 60000), 2, EPOCH_TRIM),
                     "16.67"); /* inexact: not trimmed */
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_count(1800, 100, 60000), 4, 0), "3.0000");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_count(1800, 100, 60000), 4, EPOCH_TRIM),
                     "3");
    /* Half up at the last digit, and carried into the whole part: 234.375 -> 234.38, and
     * 59,997 / 60,000 = 0.99995 -> 1.0000. */
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_iterations(60000, 256), 2, EPOCH_TRIM),
                     "234.38");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, epoch_iterations(60000, 256), 3, EPOCH_TRIM),
                     "234.375");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, (struct epoch_ratio){0, 59997, 60000}, 4, 0),
                     "1.0000");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, (struct epoch_ratio){0, 59996, 60000}, 4, 0),
                     "0.9999");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, (struct epoch_ratio){1234567, 1, 2}, 1,
                                   EPOCH_GROUP | EPOCH_TRIM), "1,234,567.5");
    ck_assert_str_eq(epoch_decimal(b, sizeof b, (struct epoch_ratio){0, 0, 7}, 0, 0), "0");
}
END_TEST

START_TEST(no_overflow)
{
    /* iterations * batch is about 7.7e19 here, past INT64_MAX; the count is 1.28e15 + 64. */
    int64_t k = 10000000000000LL; /* 1e13 */
    struct epoch_ratio r = epoch_count(60000 * k + 30000, 128, 60000);
    ck_assert(r.whole == 128 * k + 64 && r.rem == 0);
    r = epoch_count(60000 * k + 1, 128, 60000);
    ck_assert(r.whole == 128 * k && r.rem == 128);
}
END_TEST

/* After every batch the sampler has handed out exactly iterations * batch images: the epoch it
 * is in and its position there are epoch_count's whole part and remainder (at an epoch's very
 * end the sampler still holds the finished epoch, position n, until the next batch). */
START_TEST(sampler_agrees)
{
    static const int cases[][2] = {{600, 100}, {600, 32}, {1000, 128}, {37, 8}, {10, 25}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int n = cases[c][0], b = cases[c][1];
        struct sampler s;
        ck_assert_int_eq(sampler_init(&s, n, b, true, 3), 0);
        int32_t *x = malloc((size_t)b * sizeof *x);
        for (int64_t it = 1; it <= 40; it++) {
            sampler_next(&s, x);
            struct epoch_ratio r = epoch_count(it, b, n);
            int64_t whole = r.rem == 0 ? r.whole - 1 : r.whole, pos = r.rem == 0 ? n : r.rem;
            ck_assert_msg(s.epoch == whole && s.pos == pos,
                          "n %d, batch %d, iteration %lld: sampler at epoch %lld pos %d, "
                          "count says %lld + %lld/%d", n, b, (long long)it, (long long)s.epoch,
                          s.pos, (long long)r.whole, (long long)r.rem, n);
        }
        free(x);
        sampler_free(&s);
    }
}
END_TEST

START_TEST(train_count_from_labels)
{
    char *dir = data_test_dir(), path[4200];
    static uint8_t labels[60000];
    for (int i = 0; i < 60000; i++)
        labels[i] = (uint8_t)(i % 10);
    char *file = NULL;
    ck_assert_int_ge(asprintf(&file, "%s/train-labels-idx1-ubyte", dir), 0);
    int n = 60000, got = 0;
    ck_assert_int_eq(idx_write(file, labels, 1, &n), 0);
    ck_assert_int_eq(mnist_train_count(dir, &got, path, sizeof path), CLNET_OK);
    ck_assert_int_eq(got, 60000);
    ck_assert_str_eq(path, file);
    /* No images needed; no labels is the loader's error, naming scripts/fetch-mnist. */
    char *empty = data_test_dir();
    clnet_error_clear();
    ck_assert_int_eq(mnist_train_count(empty, &got, path, sizeof path), CLNET_ERR_DATA);
    ck_assert_int_eq(got, 0);
    ck_assert_msg(strstr(clnet_error_message(), "fetch-mnist"), "%s", clnet_error_message());
    clnet_error_clear();
    free(file);
}
END_TEST

void add_epoch_tests(Suite *s)
{
    TCase *tc = tcase_create("epoch");
    tcase_add_loop_test(tc, homework_configs, 0, (int)(sizeof hw2 / sizeof hw2[0]));
    tcase_add_test(tc, odd_batches);
    tcase_add_test(tc, decimal_digits);
    tcase_add_test(tc, no_overflow);
    tcase_add_test(tc, sampler_agrees);
    tcase_add_test(tc, train_count_from_labels);
    suite_add_tcase(s, tc);
}
