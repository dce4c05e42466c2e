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

/* Uniform in [-scale, scale). */
float ops_uniform(uint64_t *state, float scale);

/* n floats of ops_uniform (malloc'd). */
float *ops_random_floats(uint64_t *state, size_t n, float scale);

/* Downloads n floats from buf at float offset off into a malloc'd array. */
float *ops_download(cl_mem buf, size_t off, size_t n);

/* Fails the test unless every got[i] is within rel * max(|want[i]|, floor) of want[i] (NaN
 * matches NaN, an infinity the same infinity), printing the first few differing values with
 * what (a printf-style label). */
void ops_check_close(const float *got, const float *want, size_t n, double rel, double floor,
                     const char *what, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

TCase *ops_data_tcase(void);
TCase *ops_gemm_tcase(void);
TCase *ops_elementwise_tcase(void);
TCase *ops_loss_tcase(void);
TCase *ops_optim_tcase(void);
TCase *ops_conv2d_tcase(void);
TCase *ops_dropout_tcase(void);

#endif
