/* The runtime suite's parts: device listing and selection, program building and --cl-dir
 * (test_runtime.c), the binary cache (test_cache.c), spinning waits (test_spinwait.c). */
#ifndef CLNET_TESTS_RUNTIME_TESTS_H
#define CLNET_TESTS_RUNTIME_TESTS_H

#include <check.h>

#include "runtime/runtime.h"

TCase *runtime_cache_tcase(void);
TCase *runtime_spinwait_tcase(void);

/* Runs gather_batch on rt over a tiny set and checks the result: proof that the programs rt
 * holds (built or loaded from the cache) work. */
void runtime_tests_check_gather(struct runtime *rt);

/* A fresh folder under the harness folder (malloc'd). */
char *runtime_tests_dir(const char *name);

#endif
