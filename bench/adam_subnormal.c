/* What subnormal Adam moments cost in cl/optim.cl's adam_update on this device: one launch over
 * an arena of N parameters (default q4_xiii's 185,300) whose first moments are all normal, then
 * the same arena with a share of them (default 5%, what q4_xiii_adam has after 3,000 steps)
 * at 4 x 2^-149 (a subnormal that 0.9 x rounds back to itself) with g = 0 there, as a dead unit's
 * weights have. Each launch starts from a fresh upload of the state; the minimum over REPS:
 *     build/bench/adam_subnormal [N [SHARE [REPS]]]
 * "again" is a second launch right after the subnormal one: the kernel flushes the moments to 0
 * in the first, so it should cost what the all-normal launch does (a kernel that keeps them
 * would pay again, every step). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ops/ops.h"

#include "bench.h"

static cl_mem upload(struct runtime *rt, const float *host, size_t n)
{
    cl_mem mem;
    CK(runtime_alloc(rt, &mem, n * sizeof(float), "adam_subnormal"));
    CK(runtime_upload(rt, mem, 0, host, n * sizeof(float)));
    return mem;
}

static double launch(struct runtime *rt, cl_mem *buf, size_t n)
{
    double t0 = now();
    CK(op_adam_update(rt, buf[0], buf[1], buf[2], buf[3], n, 0.003f, 0.9, 0.999, 1e-8f, 0.0f,
                      1.0f, 1.0f));
    CK(runtime_finish(rt));
    return now() - t0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 185300;
    double share = argc > 2 ? atof(argv[2]) : 0.05;
    int reps = argc > 3 ? atoi(argv[3]) : 200;
    if (n < 1 || share < 0 || share > 1 || reps < 1) {
        fprintf(stderr, "adam_subnormal: N >= 1, 0 <= SHARE <= 1, REPS >= 1\n");
        return 2;
    }
    struct runtime *rt;
    CK(runtime_open(&rt, "auto", NULL));
    /* host[0..3]: w, m, v, g; state 0 all normal, state 1 a share of subnormal m with g = 0 */
    float *host[2][4];
    size_t every = share > 0 ? (size_t)(1.0 / share + 0.5) : n + 1;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 4; k++)
            host[s][k] = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float x = (float)((int)(i * 2654435761u % 2001) - 1000) * 1e-4f;
        for (int s = 0; s < 2; s++) {
            int dead = s == 1 && i % every == 0;
            host[s][0][i] = 0.05f + x;
            host[s][1][i] = dead ? 4 * ldexpf(1.0f, -149) : 1e-3f * x;
            host[s][2][i] = dead ? 1e-12f : 1e-6f + x * x;
            host[s][3][i] = dead ? 0.0f : x;
        }
    }
    double best[3] = {1e9, 1e9, 1e9}; /* normal, subnormal, again */
    for (int r = 0; r < reps; r++)
        for (int s = 0; s < 2; s++) {
            cl_mem buf[4];
            for (int k = 0; k < 4; k++)
                buf[k] = upload(rt, host[s][k], n);
            best[s] = fmin(best[s], launch(rt, buf, n));
            if (s == 1)
                best[2] = fmin(best[2], launch(rt, buf, n));
            for (int k = 0; k < 4; k++)
                runtime_free(buf[k]);
        }
    printf("adam_update n=%zu, 1 in %zu subnormal m (g = 0 there), min of %d launches:\n", n,
           every, reps);
    printf("  all normal        %8.1f us\n", best[0] * 1e6);
    printf("  subnormal m       %8.1f us (%.2fx)\n", best[1] * 1e6, best[1] / best[0]);
    printf("  again, next step  %8.1f us (%.2fx)\n", best[2] * 1e6, best[2] / best[0]);
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 4; k++)
            free(host[s][k]);
    runtime_close(rt);
    return 0;
}
