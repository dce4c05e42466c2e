/* The MNIST loader on tiny synthetic sets written with idx_write (and gzip), each broken in
 * one way; and on the real set when scripts/fetch-mnist has put it in data/mnist. */
#define _GNU_SOURCE /* asprintf */
#include "data_tests.h"

#include "data/idx.h"
#include "data/mnist.h"
#include "harness.h"
#include "util/fs.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tiny {
    int n_train, n_test;
    int rows_train, cols_train, rows_test, cols_test;
    int n_train_labels, n_test_labels;
    int bad_label_at; /* index in the test labels set to 10, or -1 */
    bool gz;          /* write every file as NAME.gz */
};

static const struct tiny tiny_ok = {10, 5, 28, 28, 28, 28, 10, 5, -1, false};

static void write_file(const char *dir, const char *name, bool gz, const uint8_t *data,
                       int rank, const int *dims)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
    ck_assert_int_eq(idx_write(path, data, rank, dims), 0);
    if (gz) {
        void *bytes;
        size_t len;
        ck_assert_int_eq(fs_read_file(&bytes, &len, path), 0);
        char *gzpath = NULL;
        ck_assert_int_ge(asprintf(&gzpath, "%s.gz", path), 0);
        data_write_gz(gzpath, bytes, len);
        ck_assert_int_eq(unlink(path), 0);
        free(bytes);
        free(gzpath);
    }
    free(path);
}

/* Image i of a split has every pixel (i + split) % 256; label i is (i * 3 + split) % 10. */
static char *write_tiny(const struct tiny *t)
{
    char *dir = data_test_dir();
    static uint8_t buf[64 * 32 * 32];
    int d3[3], d1[1];

    d3[0] = t->n_train, d3[1] = t->rows_train, d3[2] = t->cols_train;
    for (int i = 0; i < t->n_train * t->rows_train * t->cols_train; i++)
        buf[i] = (uint8_t)(i / (t->rows_train * t->cols_train));
    write_file(dir, "train-images-idx3-ubyte", t->gz, buf, 3, d3);
    d1[0] = t->n_train_labels;
    for (int i = 0; i < t->n_train_labels; i++)
        buf[i] = (uint8_t)(i * 3 % 10);
    write_file(dir, "train-labels-idx1-ubyte", t->gz, buf, 1, d1);

    d3[0] = t->n_test, d3[1] = t->rows_test, d3[2] = t->cols_test;
    for (int i = 0; i < t->n_test * t->rows_test * t->cols_test; i++)
        buf[i] = (uint8_t)(i / (t->rows_test * t->cols_test) + 1);
    write_file(dir, "t10k-images-idx3-ubyte", t->gz, buf, 3, d3);
    d1[0] = t->n_test_labels;
    for (int i = 0; i < t->n_test_labels; i++)
        buf[i] = (uint8_t)((i * 3 + 1) % 10);
    if (t->bad_label_at >= 0)
        buf[t->bad_label_at] = 10;
    write_file(dir, "t10k-labels-idx1-ubyte", t->gz, buf, 1, d1);
    return dir;
}

static void check_tiny(const struct mnist *m, const struct tiny *t)
{
    ck_assert_int_eq(m->n_train, t->n_train);
    ck_assert_int_eq(m->n_test, t->n_test);
    ck_assert_int_eq(m->rows, 28);
    ck_assert_int_eq(m->cols, 28);
    int px = m->rows * m->cols;
    for (int i = 0; i < m->n_train; i++) {
        ck_assert_int_eq(m->train_images[i * px], i);
        ck_assert_int_eq(m->train_images[i * px + px - 1], i);
        ck_assert_int_eq(m->train_labels[i], i * 3 % 10);
    }
    for (int i = 0; i < m->n_test; i++) {
        ck_assert_int_eq(m->test_images[i * px + 5], i + 1);
        ck_assert_int_eq(m->test_labels[i], (i * 3 + 1) % 10);
    }
}

/* Loads dir expecting CLNET_ERR_DATA and a message containing each of want[0..n-1]. */
static void expect_error(const char *dir, const char *const *want, int n)
{
    clnet_error_clear();
    struct mnist m;
    int rc = mnist_load(&m, dir);
    const char *msg = clnet_error_message();
    ck_assert_msg(rc == CLNET_ERR_DATA, "rc %d, message '%s'", rc, msg);
    ck_assert_ptr_null(m.train_images);
    ck_assert_ptr_null(m.test_labels);
    for (int i = 0; i < n; i++)
        ck_assert_msg(strstr(msg, want[i]), "message '%s' lacks '%s'", msg, want[i]);
    mnist_free(&m);
}

START_TEST(valid)
{
    char *dir = write_tiny(&tiny_ok);
    struct mnist m;
    ck_assert_int_eq(mnist_load(&m, dir), 0);
    check_tiny(&m, &tiny_ok);
    mnist_free(&m);
    ck_assert_ptr_null(m.train_images);
}
END_TEST

START_TEST(gz_variant)
{
    struct tiny t = tiny_ok;
    t.gz = true;
    char *dir = write_tiny(&t);
    struct mnist m;
    ck_assert_int_eq(mnist_load(&m, dir), 0);
    check_tiny(&m, &t);
    mnist_free(&m);
}
END_TEST

START_TEST(plain_preferred_over_gz)
{
    /* A broken .gz next to a good plain file is never opened. */
    char *dir = write_tiny(&tiny_ok);
    char *gz = harness_write(dir, "train-images-idx3-ubyte.gz", "not gzip at all");
    (void)gz;
    struct mnist m;
    ck_assert_int_eq(mnist_load(&m, dir), 0);
    mnist_free(&m);
}
END_TEST

START_TEST(count_mismatch)
{
    struct tiny t = tiny_ok;
    t.n_test_labels = 4;
    char *dir = write_tiny(&t);
    const char *want[] = {"t10k-images-idx3-ubyte has 5 images",
                          "t10k-labels-idx1-ubyte has 4 labels"};
    expect_error(dir, want, 2);
}
END_TEST

START_TEST(label_out_of_range)
{
    struct tiny t = tiny_ok;
    t.bad_label_at = 3;
    char *dir = write_tiny(&t);
    const char *want[] = {"t10k-labels-idx1-ubyte: label 10 at index 3 is outside 0..9"};
    expect_error(dir, want, 1);
}
END_TEST

START_TEST(rows_mismatch)
{
    struct tiny t = tiny_ok;
    t.rows_test = 27;
    char *dir = write_tiny(&t);
    const char *want[] = {"t10k-images-idx3-ubyte has 27x28 images",
                          "train-images-idx3-ubyte has 28x28"};
    expect_error(dir, want, 2);
}
END_TEST

START_TEST(wrong_rank)
{
    char *dir = write_tiny(&tiny_ok);
    uint8_t px[28 * 28 * 10] = {0};
    int d2[2] = {10, 784};
    write_file(dir, "train-images-idx3-ubyte", false, px, 2, d2);
    const char *want[] = {"train-images-idx3-ubyte: rank 2, expected 3"};
    expect_error(dir, want, 1);
}
END_TEST

START_TEST(missing_file)
{
    char *dir = write_tiny(&tiny_ok);
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/t10k-labels-idx1-ubyte", dir), 0);
    harness_keep(path);
    ck_assert_int_eq(unlink(path), 0);
    const char *want[] = {path, "No such file or directory", "scripts/fetch-mnist"};
    expect_error(dir, want, 3);
    ck_assert_int_eq(strncmp(clnet_error_message(), path, strlen(path)), 0);

    const char *none[] = {"/nonexistent/mnist/train-images-idx3-ubyte", "fetch-mnist"};
    expect_error("/nonexistent/mnist", none, 2);
}
END_TEST

START_TEST(truncated_file)
{
    char *dir = write_tiny(&tiny_ok);
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/t10k-images-idx3-ubyte", dir), 0);
    harness_keep(path);
    ck_assert_int_eq(truncate(path, 16 + 28 * 28 * 5 - 1), 0);
    const char *want[] = {path, "truncated: expected 3920 bytes of data, found 3919"};
    expect_error(dir, want, 2);
}
END_TEST

START_TEST(real_set)
{
    char *dir = harness_source_path("data/mnist");
    char *first = NULL;
    ck_assert_int_ge(asprintf(&first, "%s/train-images-idx3-ubyte", dir), 0);
    harness_keep(first);
    if (!fs_exists(first)) {
        printf("data: %s absent, real-MNIST test skipped (run scripts/fetch-mnist)\n", dir);
        return;
    }
    struct mnist m;
    int rc = mnist_load(&m, dir);
    ck_assert_msg(rc == 0, "%s", clnet_error_message());
    ck_assert_int_eq(m.n_train, 60000);
    ck_assert_int_eq(m.n_test, 10000);
    ck_assert_int_eq(m.rows, 28);
    ck_assert_int_eq(m.cols, 28);
    /* The well-known first labels: 5 0 4 1 9 (train) and 7 2 1 0 4 (test). */
    const uint8_t train0[] = {5, 0, 4, 1, 9}, test0[] = {7, 2, 1, 0, 4};
    ck_assert_mem_eq(m.train_labels, train0, 5);
    ck_assert_mem_eq(m.test_labels, test0, 5);
    long counts[MNIST_CLASSES] = {0};
    for (int i = 0; i < m.n_train; i++)
        counts[m.train_labels[i]]++;
    ck_assert_int_eq(counts[1], 6742); /* the most frequent digit in the training set */
    mnist_free(&m);
}
END_TEST

void add_mnist_tests(Suite *s)
{
    TCase *tc = tcase_create("mnist");
    tcase_add_test(tc, valid);
    tcase_add_test(tc, gz_variant);
    tcase_add_test(tc, plain_preferred_over_gz);
    tcase_add_test(tc, count_mismatch);
    tcase_add_test(tc, label_out_of_range);
    tcase_add_test(tc, rows_mismatch);
    tcase_add_test(tc, wrong_rank);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, truncated_file);
    tcase_add_test(tc, real_set);
    suite_add_tcase(s, tc);
}
