/* What the micro-benchmarks of single ops share: a monotonic clock in seconds, and CK, which
 * ends the program with clnet's error message when a call fails. */
#ifndef CLNET_BENCH_H
#define CLNET_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/status.h"

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define CK(x)                                                                                      \
    do {                                                                                           \
        if ((x) != 0) {                                                                            \
            fprintf(stderr, "%s: %s\n", #x, clnet_error_message());                                \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
