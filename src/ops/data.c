/* Wrappers of cl/data.cl: building a normalised mini-batch on the device from the training set
 * held there as bytes. */
#include <limits.h>

#include "ops/ops.h"
#include "util/status.h"

int op_gather_batch(struct runtime *rt, cl_mem x, cl_mem y, cl_mem images, cl_mem labels,
                    cl_mem index, size_t index_off, int batch, int features, int n_images)
{
    if (batch <= 0 || features <= 0 || n_images < 0 ||
        (size_t)batch * (size_t)features > (size_t)INT_MAX || index_off > (size_t)INT_MAX)
        return clnet_errorf(CLNET_ERR_INTERNAL, "gather_batch: bad shape B=%d F=%d N=%d", batch,
                            features, n_images);
    cl_int off = (cl_int)index_off, b = batch, f = features, n = n_images;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(x),     RUNTIME_ARG(y),   RUNTIME_ARG(images), RUNTIME_ARG(labels),
        RUNTIME_ARG(index), RUNTIME_ARG(off), RUNTIME_ARG(b),      RUNTIME_ARG(f),
        RUNTIME_ARG(n),
    };
    int status =
        runtime_set_args(rt, KERNEL_GATHER_BATCH, args, (int)(sizeof args / sizeof args[0]));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_GATHER_BATCH, (size_t)batch * (size_t)features);
}

int op_copy(struct runtime *rt, cl_mem dst, cl_mem src, size_t bytes)
{
    if (bytes == 0)
        return CLNET_OK;
    return runtime_check(
        clEnqueueCopyBuffer(runtime_queue(rt), src, dst, 0, 0, bytes, 0, NULL, NULL),
        "clEnqueueCopyBuffer", NULL);
}
