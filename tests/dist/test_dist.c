/* src/dist under `mpirun -np 2` (meson runs it so; alone it is one rank of one and checks the
 * same identities): sums and maxima agree on every rank, and the job-wide counter hands out
 * every value exactly once however the ranks race for it. Exit 0 or 1 with the failed check. */
#include <stdio.h>
#include <stdlib.h>

#include "dist/dist.h"
#include "util/options.h"
#include "util/status.h"

extern char **environ;

#define FAIL(...)                                                                              \
    do {                                                                                       \
        fprintf(stderr, "rank %d: ", dist_world()->rank);                                      \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fprintf(stderr, "\n");                                                                 \
        dist_abort(1);                                                                         \
        return 1;                                                                              \
    } while (0)

int main(int argc, char **argv)
{
    struct clnet_options o; /* as main.c: launched when an MPI launcher's variable is set */
    if (options_from_env(&o, environ) != CLNET_OK ||
        dist_init(&argc, &argv, o.mpi_launched && !o.no_mpi) != CLNET_OK)
        FAIL("dist_init: %s", clnet_error_message());
    const struct dist *w = dist_world();
    int expect = argc > 1 ? atoi(argv[1]) : 1;
    if (w->size != expect)
        FAIL("%d ranks, expected %d", w->size, expect);
    if (w->local_rank < 0 || w->local_rank >= w->local_size)
        FAIL("local rank %d of %d", w->local_rank, w->local_size);

    float f[3] = {1.0f, (float)w->rank, 0.5f};
    double d[2] = {2.0, (double)w->rank};
    if (dist_sum_float(f, 3) != CLNET_OK || dist_sum_double(d, 2) != CLNET_OK)
        FAIL("sum: %s", clnet_error_message());
    double ranks = (double)w->size * (w->size - 1) / 2;
    if (f[0] != (float)w->size || f[1] != (float)ranks || f[2] != 0.5f * (float)w->size ||
        d[0] != 2.0 * w->size || d[1] != ranks)
        FAIL("sums %g %g %g %g %g", f[0], f[1], f[2], d[0], d[1]);
    int m[2] = {w->rank * 7, -w->rank};
    if (dist_max_int(m, 2) != CLNET_OK || m[0] != (w->size - 1) * 7 || m[1] != 0)
        FAIL("max %d %d", m[0], m[1]);

    /* 200 values drawn by whoever asks first: their count and sum over all ranks say each of
     * 0..199 was handed out once. */
    enum { N = 200 };
    double drawn[2] = {0, 0}; /* count, sum */
    if (dist_counter_open() != CLNET_OK)
        FAIL("counter: %s", clnet_error_message());
    for (;;) {
        long v;
        if (dist_counter_next(&v) != CLNET_OK)
            FAIL("counter: %s", clnet_error_message());
        if (v >= N)
            break;
        drawn[0] += 1;
        drawn[1] += (double)v;
    }
    if (dist_counter_close() != CLNET_OK || dist_sum_double(drawn, 2) != CLNET_OK)
        FAIL("counter: %s", clnet_error_message());
    if (drawn[0] != N || drawn[1] != (double)N * (N - 1) / 2)
        FAIL("the counter handed out %g values summing to %g", drawn[0], drawn[1]);
    if (dist_barrier() != CLNET_OK)
        FAIL("barrier: %s", clnet_error_message());
    dist_finalize();
    return 0;
}
