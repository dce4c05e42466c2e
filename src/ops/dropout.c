/* Wrappers of cl/dropout.cl: inverted dropout whose mask is recomputed from (seed, iteration,
 * element) by the counter-based hash of util/rng.h, so no mask is stored and every device
 * draws the same one. */
#include <math.h>

#include "ops/ops.h"
#include "util/status.h"

static int dropout(struct runtime *rt, enum kernel_id id, const char *op, cl_mem out, cl_mem in,
                   size_t n, uint64_t first, float p, uint64_t seed, uint64_t iteration)
{
    if (!(p >= 0.0f && p <= 1.0f))
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: bad probability %g", op, (double)p);
    /* hash >= p 2^32 for an integer hash is hash >= ceil(p 2^32); p 2^32 is exact in double. */
    cl_ulong threshold = (cl_ulong)ceil((double)p * 4294967296.0);
    cl_float scale = p < 1.0f ? 1.0f / (float)(1.0 - (double)p) : 0.0f;
    cl_ulong count = n, f = first, s = seed, it = iteration;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(out),   RUNTIME_ARG(in),    RUNTIME_ARG(count), RUNTIME_ARG(f),
        RUNTIME_ARG(threshold), RUNTIME_ARG(scale), RUNTIME_ARG(s), RUNTIME_ARG(it)};
    int status = runtime_set_args(rt, id, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, id, n);
}

int op_dropout_forward(struct runtime *rt, cl_mem y, cl_mem x, size_t n, uint64_t first, float p,
                       uint64_t seed, uint64_t iteration)
{
    return dropout(rt, KERNEL_DROPOUT_FORWARD, "dropout_forward", y, x, n, first, p, seed,
                   iteration);
}

int op_dropout_backward(struct runtime *rt, cl_mem dx, cl_mem dy, size_t n, uint64_t first,
                        float p, uint64_t seed, uint64_t iteration)
{
    return dropout(rt, KERNEL_DROPOUT_BACKWARD, "dropout_backward", dx, dy, n, first, p, seed,
                   iteration);
}
