/* The ops suite: every op against its host reference (ref.h) on one runtime opened by main
 * (no forking: OpenCL objects must not cross a fork). One file per op family. */
#ifndef CLNET_TESTS_OPS_TESTS_H
#define CLNET_TESTS_OPS_TESTS_H

#include <check.h>
#include <stdint.h>

#include "ops/ops.h"

/* The runtime every test uses (CLNET_DEVICE or auto). */
extern struct runtime *ops_rt;

/* Deterministic test data: xorshift64*, seeded per test. */
uint64_t ops_random(uint64_t *state);

/* A device buffer holding a copy of bytes of host data (bytes > 0). */
cl_mem ops_buffer(const void *data, size_t bytes);

/* Index of the first float that differs bitwise, or -1. */
long ops_first_difference(const float *got, const float *want, size_t n);

TCase *ops_data_tcase(void);

#endif
