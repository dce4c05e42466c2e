/* Wrappers of cl/data.cl: building a normalised mini-batch on the device from the training set
 * held there as bytes. */
#include <limits.h>

#include "ops/ops.h"
#include "util/status.h"

int op_gather_batch(struct runtime *rt, cl_mem x, cl_mem y, cl_mem images, cl_mem labels,
                    cl_mem index, int batch, int features)
{
    if (batch <= 0 || features <= 0 || (size_t)batch * (size_t)features > (size_t)INT_MAX)
        return clnet_errorf(CLNET_ERR_INTERNAL, "gather_batch: bad shape B=%d F=%d", batch,
                            features);
    size_t image_bytes = 0;
    int status = runtime_check(
        clGetMemObjectInfo(images, CL_MEM_SIZE, sizeof image_bytes, &image_bytes, NULL),
        "clGetMemObjectInfo", "gather_batch images");
    if (status != CLNET_OK)
        return status;
    size_t n = image_bytes / (size_t)features;
    cl_int n_images = n > (size_t)INT_MAX ? INT_MAX : (cl_int)n;
    cl_int b = batch, f = features;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(x),     RUNTIME_ARG(y), RUNTIME_ARG(images), RUNTIME_ARG(labels),
        RUNTIME_ARG(index), RUNTIME_ARG(b), RUNTIME_ARG(f),      RUNTIME_ARG(n_images),
    };
    status = runtime_set_args(rt, KERNEL_GATHER_BATCH, args, (int)(sizeof args / sizeof args[0]));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_GATHER_BATCH, (size_t)batch * (size_t)features);
}
