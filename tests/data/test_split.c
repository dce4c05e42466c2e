/* The validation split (data/split.h, mnist_hold_out): how many are held out, that the choice
 * depends on the seed alone (pinned for one seed: the draw is integer arithmetic, so every
 * machine must hold out these very images), that each image ends up on exactly one side in
 * file order, and the refusal of a split that leaves nothing to train on. */
#include "data_tests.h"

#include "data/mnist.h"
#include "data/split.h"
#include "harness.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static int held_count(const bool *held, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += held[i];
    return k;
}

START_TEST(choose_counts_and_seeds)
{
    enum { N = 20 };
    bool a[N], b[N], c[N];
    for (int v = 0; v <= N; v++) {
        ck_assert_int_eq(split_choose(a, N, v, 1), CLNET_OK);
        ck_assert_int_eq(held_count(a, N), v);
    }
    /* seed 1 and seed 2, 5 of 20: what every machine draws */
    static const int seed1[] = {2, 12, 13, 18, 19}, seed2[] = {0, 5, 8, 12, 16};
    ck_assert_int_eq(split_choose(a, N, 5, 1), CLNET_OK);
    ck_assert_int_eq(split_choose(b, N, 5, 1), CLNET_OK);
    ck_assert_int_eq(split_choose(c, N, 5, 2), CLNET_OK);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(a[seed1[i]], "seed 1: image %d not held out", seed1[i]);
        ck_assert_msg(c[seed2[i]], "seed 2: image %d not held out", seed2[i]);
    }
}
END_TEST

/* Image i holds i in each byte, label i % 10: after split_apply the kept ones come first and
 * the held ones last, each side in file order, every image exactly once. */
START_TEST(apply_keeps_order)
{
    enum { N = 300, F = 7 };
    static uint8_t images[N * F], labels[N];
    for (int i = 0; i < N; i++) {
        memset(images + i * F, i & 0xff, F);
        labels[i] = (uint8_t)(i % 10);
    }
    bool held[N];
    ck_assert_int_eq(split_choose(held, N, 37, 5), CLNET_OK);
    ck_assert_int_eq(split_apply(images, labels, held, N, F), CLNET_OK);
    int front = 0, back = N - 37;
    for (int i = 0; i < N; i++) {
        int at = held[i] ? back++ : front++;
        for (int k = 0; k < F; k++)
            ck_assert_msg(images[at * F + k] == (i & 0xff), "image %d not at %d", i, at);
        ck_assert_int_eq(labels[at], i % 10);
    }
    ck_assert_int_eq(front, N - 37);
    ck_assert_int_eq(back, N);
}
END_TEST

START_TEST(hold_out_of_a_set)
{
    enum { N = 50, R = 2, C = 3 };
    static uint8_t images[N * R * C], labels[N];
    for (int i = 0; i < N; i++) {
        memset(images + i * R * C, i, R * C);
        labels[i] = (uint8_t)(i % 10);
    }
    struct mnist m = {.n_train = N, .rows = R, .cols = C, .train_images = images,
                      .train_labels = labels};
    ck_assert_int_eq(mnist_hold_out(&m, 0, 1, "c.yaml", "d"), CLNET_OK);
    ck_assert(m.n_train == N && m.n_val == 0 && !m.val_images);
    ck_assert_int_eq(mnist_hold_out(&m, N, 1, "c.yaml", "d"), CLNET_ERR_CONFIG);
    ck_assert_msg(strstr(clnet_error_message(), "c.yaml: data.validation 50 leaves no image"),
                  "%s", clnet_error_message());
    clnet_error_clear();
    ck_assert_int_eq(mnist_hold_out(&m, 5, 1, "c.yaml", "d"), CLNET_OK);
    ck_assert(m.n_train == N - 5 && m.n_val == 5);
    ck_assert(m.val_images == images + (N - 5) * R * C && m.val_labels == labels + N - 5);
    bool held[N];
    split_choose(held, N, 5, 1);
    for (int i = 0, k = 0; i < N; i++)
        if (held[i]) {
            ck_assert_int_eq(m.val_images[k * R * C], i);
            ck_assert_int_eq(m.val_labels[k++], i % 10);
        }
}
END_TEST

void add_split_tests(Suite *s)
{
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, choose_counts_and_seeds);
    tcase_add_test(tc, apply_keeps_order);
    tcase_add_test(tc, hold_out_of_a_set);
    suite_add_tcase(s, tc);
}
