/* The data suite's parts, one file each, and their shared helpers. */
#ifndef CLNET_TESTS_DATA_TESTS_H
#define CLNET_TESTS_DATA_TESTS_H

#include <check.h>
#include <stddef.h>

void add_idx_tests(Suite *s);
void add_mnist_tests(Suite *s);
void add_sampler_tests(Suite *s);
void add_epoch_tests(Suite *s);
void add_split_tests(Suite *s);
void add_noise_tests(Suite *s);

/* A fresh empty folder under the harness folder (malloc'd path). */
char *data_test_dir(void);

/* Writes len bytes gzip-compressed to path. */
void data_write_gz(const char *path, const void *data, size_t len);

#endif
