/* The util suite's parts, one file each. */
#ifndef CLNET_TESTS_UTIL_TESTS_H
#define CLNET_TESTS_UTIL_TESTS_H

#include <check.h>

void add_rng_tests(Suite *s);
void add_fs_tests(Suite *s);
void add_status_tests(Suite *s);
void add_parent_tests(Suite *s);
void add_options_tests(Suite *s);
void add_num_tests(Suite *s);
void add_csv_tests(Suite *s);

#endif
