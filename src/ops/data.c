/* Wrappers of cl/data.cl: building a normalised mini-batch on the device from the training set
 * held there as bytes. */
#include <limits.h>

#include "ops/ops.h"
#include "util/status.h"

/* Most work-items per group: a row of up to 64 vectors (1024 features) is one group. */
#define GATHER_LOCAL 64
#define GATHER_ROWS 5 /* cl/data.cl */

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
    /* (ceil(F / 16), ceil(B / GATHER_ROWS)), groups of GATHER_LOCAL pieces: see cl/data.cl */
    size_t vectors = ((size_t)features + 15) / 16;
    size_t local[2] = {vectors < GATHER_LOCAL ? vectors : GATHER_LOCAL, 1};
    size_t global[2] = {(vectors + local[0] - 1) / local[0] * local[0],
                        ((size_t)batch + GATHER_ROWS - 1) / GATHER_ROWS};
    return runtime_launch(rt, KERNEL_GATHER_BATCH, 2, global, local);
}

int op_copy_block(struct runtime *rt, cl_mem dst, size_t dst_off, size_t dst_ld, cl_mem src,
                  size_t src_off, size_t src_ld, size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0)
        return CLNET_OK;
    const size_t f = sizeof(float);
    const size_t src_origin[3] = {src_off * f, 0, 0}, dst_origin[3] = {dst_off * f, 0, 0};
    const size_t region[3] = {cols * f, rows, 1};
    return runtime_check(clEnqueueCopyBufferRect(runtime_queue(rt), src, dst, src_origin,
                                                 dst_origin, region, src_ld * f, 0, dst_ld * f,
                                                 0, 0, NULL, NULL),
                         "clEnqueueCopyBufferRect", NULL);
}

int op_copy(struct runtime *rt, cl_mem dst, cl_mem src, size_t bytes)
{
    if (bytes == 0)
        return CLNET_OK;
    return runtime_check(
        clEnqueueCopyBuffer(runtime_queue(rt), src, dst, 0, 0, bytes, 0, NULL, NULL),
        "clEnqueueCopyBuffer", NULL);
}

int op_noise_batch(struct runtime *rt, cl_mem x, cl_mem x_clean, cl_mem index, size_t index_off,
                   int batch, int features, int n_images, const struct op_noise *d)
{
    if (batch <= 0 || features <= 0 || n_images < 0 || d->per_pass < 0 ||
        (size_t)batch * (size_t)features > (size_t)INT_MAX || index_off > (size_t)INT_MAX)
        return clnet_errorf(CLNET_ERR_INTERNAL, "noise_batch: bad shape B=%d F=%d N=%d", batch,
                            features, n_images);
    cl_int off = (cl_int)index_off, b = batch, f = features, n = n_images, per = d->per_pass;
    cl_ulong key = d->key, pos0 = d->pos0;
    cl_uint split = d->split;
    cl_float sigma = d->sigma;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(x),     RUNTIME_ARG(x_clean), RUNTIME_ARG(index), RUNTIME_ARG(d->table),
        RUNTIME_ARG(off),   RUNTIME_ARG(b),       RUNTIME_ARG(f),     RUNTIME_ARG(n),
        RUNTIME_ARG(key),   RUNTIME_ARG(split),   RUNTIME_ARG(pos0),  RUNTIME_ARG(per),
        RUNTIME_ARG(sigma),
    };
    const bool gpu = runtime_ops_path(rt) == RUNTIME_OPS_GPU;
    const enum kernel_id id = gpu ? KERNEL_NOISE_BATCH_2D : KERNEL_NOISE_BATCH;
    int status = runtime_set_args(rt, id, args, (int)(sizeof args / sizeof args[0]));
    if (status != CLNET_OK)
        return status;
    if (gpu) { /* (F, B), one value per work-item, in groups of 64 along the row */
        const size_t local[2] = {64, 1};
        const size_t global[2] = {((size_t)features + 63) / 64 * 64, (size_t)batch};
        return runtime_launch(rt, id, 2, global, local);
    }
    /* (ceil(F / 16), B): see cl/data.cl */
    size_t pieces = ((size_t)features + 15) / 16;
    size_t local[2] = {pieces < GATHER_LOCAL ? pieces : GATHER_LOCAL, 1};
    size_t global[2] = {(pieces + local[0] - 1) / local[0] * local[0], (size_t)batch};
    return runtime_launch(rt, KERNEL_NOISE_BATCH, 2, global, local);
}
