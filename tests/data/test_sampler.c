/* The batch sampler: determinism, each epoch a permutation, batches crossing epoch ends (on
 * MNIST's size too, with the batch carried over), the unshuffled order, and save/restore
 * continuing identically. */
#include "data_tests.h"

#include "data/sampler.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

START_TEST(deterministic)
{
    struct sampler a, b, c;
    ck_assert_int_eq(sampler_init(&a, 1000, 64, true, 5), 0);
    ck_assert_int_eq(sampler_init(&b, 1000, 64, true, 5), 0);
    ck_assert_int_eq(sampler_init(&c, 1000, 64, true, 6), 0);
    int32_t x[64], y[64], z[64];
    bool differs = false;
    for (int it = 0; it < 100; it++) {
        sampler_next(&a, x);
        sampler_next(&b, y);
        sampler_next(&c, z);
        ck_assert_mem_eq(x, y, sizeof x);
        differs |= memcmp(x, z, sizeof x) != 0;
    }
    ck_assert(differs);
    sampler_free(&a);
    sampler_free(&b);
    sampler_free(&c);
}
END_TEST

START_TEST(pinned_first_batch)
{
    /* The order a seed gives is part of a run's reproducibility: notice when it changes
     * (values from a Python transcription of the generator and Fisher-Yates). */
    struct sampler s;
    ck_assert_int_eq(sampler_init(&s, 10, 10, true, 1), 0);
    int32_t x[10];
    sampler_next(&s, x);
    int seen = 0;
    for (int i = 0; i < 10; i++)
        seen |= 1 << x[i];
    ck_assert_int_eq(seen, 0x3ff);
    static const int32_t want[10] = {3, 6, 1, 5, 0, 9, 2, 8, 4, 7};
    ck_assert_mem_eq(x, want, sizeof x);
    sampler_free(&s);
}
END_TEST

/* Each epoch of n items, in batches of b (b divides n here), is a permutation; successive
 * epochs differ. */
START_TEST(epochs_are_permutations)
{
    enum { N = 600, B = 50 };
    struct sampler s;
    ck_assert_int_eq(sampler_init(&s, N, B, true, 42), 0);
    int32_t prev[N], cur[N];
    for (int epoch = 0; epoch < 5; epoch++) {
        int count[N] = {0};
        for (int k = 0; k < N / B; k++) {
            sampler_next(&s, cur + k * B);
            ck_assert_int_eq(s.epoch, epoch);
        }
        for (int i = 0; i < N; i++) {
            ck_assert_int_ge(cur[i], 0);
            ck_assert_int_lt(cur[i], N);
            count[cur[i]]++;
        }
        for (int i = 0; i < N; i++)
            ck_assert_int_eq(count[i], 1);
        if (epoch > 0)
            ck_assert(memcmp(prev, cur, sizeof cur) != 0);
        memcpy(prev, cur, sizeof cur);
    }
    sampler_free(&s);
}
END_TEST

START_TEST(batch_crosses_epoch_end)
{
    /* n = 10, batch 4: batches 0-3, 4-7, then 8, 9 of epoch 0 and two of epoch 1. */
    enum { N = 10, B = 4 };
    struct sampler s, ref;
    ck_assert_int_eq(sampler_init(&s, N, B, true, 9), 0);
    ck_assert_int_eq(sampler_init(&ref, N, N, true, 9), 0);
    int32_t stream[28], e0[N], e1[N], e2[N];
    for (int k = 0; k < 7; k++) /* 28 items */
        sampler_next(&s, stream + k * B);
    sampler_next(&ref, e0);
    sampler_next(&ref, e1);
    sampler_next(&ref, e2);
    /* The stream of batches is the concatenation of the epochs' permutations. */
    ck_assert_mem_eq(stream, e0, sizeof e0);
    ck_assert_mem_eq(stream + N, e1, sizeof e1);
    ck_assert_mem_eq(stream + 2 * N, e2, 8 * sizeof *e2);
    ck_assert_int_eq(s.epoch, 2);
    sampler_free(&s);
    sampler_free(&ref);

    /* A batch larger than the set spans several epochs, each still a permutation. */
    int32_t big[25];
    ck_assert_int_eq(sampler_init(&s, 10, 25, true, 3), 0);
    sampler_next(&s, big);
    for (int e = 0; e < 2; e++) {
        int seen = 0;
        for (int i = 0; i < 10; i++)
            seen |= 1 << big[e * 10 + i];
        ck_assert_int_eq(seen, 0x3ff);
    }
    ck_assert_int_eq(s.epoch, 2);
    ck_assert_int_eq(s.pos, 5);
    sampler_free(&s);
}
END_TEST

/* MNIST's 60,000 shuffled in the homework's batches of 100 and in batches that do not divide
 * it (128: 468.75 per epoch; 7): cut into runs of 60,000, the stream of batches is one
 * permutation per epoch, so within an epoch every image is drawn exactly once, whatever the
 * batch. When the batch does not divide the set, batch N / B (from 0) is the carried one: its
 * first N % B images are the rest of epoch 1, and the others are the start of epoch 2's new
 * permutation, which the sampler then holds. */
static const int mnist_batches[] = {100, 128, 7};

START_TEST(every_image_once_per_epoch)
{
    enum { N = 60000, EPOCHS = 3 };
    int b = mnist_batches[_i], batches = EPOCHS * N / b + 1, cross = N / b, tail = N % b;
    int32_t *stream = malloc((size_t)batches * (size_t)b * sizeof *stream);
    static int count[N];
    struct sampler s;
    ck_assert_int_eq(sampler_init(&s, N, b, true, 1), 0);
    for (int k = 0; k < batches; k++) {
        sampler_next(&s, stream + (size_t)k * (size_t)b);
        if (k == cross && tail > 0) {
            ck_assert_int_eq(s.epoch, 1);
            ck_assert_int_eq(s.pos, b - tail);
            ck_assert_mem_eq(stream + (size_t)k * (size_t)b + tail, s.perm,
                             (size_t)(b - tail) * sizeof *stream);
        }
    }
    for (int e = 0; e < EPOCHS; e++) {
        memset(count, 0, sizeof count);
        for (int i = 0; i < N; i++)
            count[stream[(size_t)e * N + (size_t)i]]++;
        for (int i = 0; i < N; i++)
            ck_assert_msg(count[i] == 1, "batch %d, epoch %d: image %d drawn %d times", b, e + 1,
                          i, count[i]);
    }
    ck_assert_msg(memcmp(stream, stream + N, 1000 * sizeof *stream) != 0,
                  "epochs 1 and 2 start alike: no new shuffle");
    free(stream);
    sampler_free(&s);
}
END_TEST

START_TEST(in_order)
{
    struct sampler s;
    ck_assert_int_eq(sampler_init(&s, 7, 3, false, 123), 0);
    int32_t x[3];
    for (int k = 0; k < 10; k++) {
        sampler_next(&s, x);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(x[i], (k * 3 + i) % 7);
    }
    ck_assert_int_eq(s.epoch, 4);
    sampler_free(&s);
}
END_TEST

START_TEST(save_restore)
{
    enum { N = 37, B = 8 };
    struct sampler a, b;
    ck_assert_int_eq(sampler_init(&a, N, B, true, 77), 0);
    int32_t x[B], y[B];
    unsigned char state[256];
    ck_assert_uint_le(sampler_state_size(), sizeof state);
    /* Save at every point of a few epochs (mid-epoch, exactly at an epoch end, ...), then
     * check a fresh sampler restored there continues identically. */
    for (int step = 0; step < 30; step++) {
        sampler_state_save(&a, state);
        ck_assert_int_eq(sampler_init(&b, N, B, true, 1 /* any seed */), 0);
        ck_assert_int_eq(sampler_state_load(&b, state, sampler_state_size()), 0);
        ck_assert_int_eq(b.epoch, a.epoch);
        ck_assert_int_eq(b.pos, a.pos);
        ck_assert_mem_eq(b.perm, a.perm, N * sizeof *a.perm);
        ck_assert_mem_eq(&b.rng, &a.rng, sizeof a.rng);
        ck_assert_mem_eq(&b.epoch_rng, &a.epoch_rng, sizeof a.epoch_rng);
        sampler_next(&a, x);
        sampler_next(&b, y);
        ck_assert_mem_eq(x, y, sizeof x);
        sampler_free(&b);
    }
    sampler_free(&a);
}
END_TEST

START_TEST(save_restore_matches_uninterrupted)
{
    enum { N = 37, B = 8, STEPS = 40 };
    struct sampler a, b;
    ck_assert_int_eq(sampler_init(&a, N, B, true, 77), 0);
    int32_t full[STEPS][B], x[B];
    for (int k = 0; k < STEPS; k++)
        sampler_next(&a, full[k]);
    sampler_free(&a);

    unsigned char state[256];
    for (int cut = 0; cut < STEPS; cut++) {
        ck_assert_int_eq(sampler_init(&a, N, B, true, 77), 0);
        for (int k = 0; k < cut; k++)
            sampler_next(&a, x);
        sampler_state_save(&a, state);
        sampler_free(&a);
        ck_assert_int_eq(sampler_init(&b, N, B, true, 12345), 0);
        ck_assert_int_eq(sampler_state_load(&b, state, sampler_state_size()), 0);
        for (int k = cut; k < STEPS; k++) {
            sampler_next(&b, x);
            ck_assert_msg(memcmp(x, full[k], sizeof x) == 0, "cut %d, step %d differs", cut, k);
        }
        sampler_free(&b);
    }
}
END_TEST

START_TEST(restore_rejects_mismatch)
{
    struct sampler a, b;
    unsigned char state[256];
    ck_assert_int_eq(sampler_init(&a, 100, 10, true, 1), 0);
    int32_t x[10];
    sampler_next(&a, x);
    sampler_state_save(&a, state);
    ck_assert_int_eq(sampler_init(&b, 100, 20, true, 1), 0);
    int32_t before = b.perm[0];
    clnet_error_clear();
    ck_assert_int_eq(sampler_state_load(&b, state, sampler_state_size()), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "batch 10"));
    ck_assert_int_eq(b.pos, 0);
    ck_assert_int_eq(b.perm[0], before);
    ck_assert_int_eq(sampler_state_load(&b, state, sampler_state_size() - 1), CLNET_ERR_DATA);
    state[0] ^= 1;
    ck_assert_int_eq(sampler_state_load(&a, state, sampler_state_size()), CLNET_ERR_DATA);
    sampler_free(&a);
    sampler_free(&b);
}
END_TEST

START_TEST(bad_arguments)
{
    struct sampler s;
    ck_assert_int_eq(sampler_init(&s, 0, 10, true, 1), CLNET_ERR_CONFIG);
    ck_assert_ptr_null(s.perm);
    sampler_free(&s);
    ck_assert_int_eq(sampler_init(&s, 10, 0, true, 1), CLNET_ERR_CONFIG);
    sampler_free(&s);
}
END_TEST

void add_sampler_tests(Suite *s)
{
    TCase *tc = tcase_create("sampler");
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, pinned_first_batch);
    tcase_add_test(tc, epochs_are_permutations);
    tcase_add_test(tc, batch_crosses_epoch_end);
    tcase_add_loop_test(tc, every_image_once_per_epoch, 0,
                        (int)(sizeof mnist_batches / sizeof mnist_batches[0]));
    tcase_add_test(tc, in_order);
    tcase_add_test(tc, save_restore);
    tcase_add_test(tc, save_restore_matches_uninterrupted);
    tcase_add_test(tc, restore_rejects_mismatch);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
}
