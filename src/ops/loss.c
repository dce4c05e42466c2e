/* Wrappers of cl/loss.cl: softmax, loss and gradient in one kernel, and the per-step device-side
 * sum of the batch's loss and accuracy. */
#include <assert.h>

#include "util/nn.h"
#include "ops/ops.h"
#include "util/status.h"

/* cl/common.h mirrors enum loss_kind with #defines. */
static_assert(LOSS_CROSS_ENTROPY == 0 && LOSS_NAIVE_SOFTMAX_LOG == 1 && LOSS_COUNT == 2,
              "update the LOSS_ constants in cl/common.h");

/* The float range [off, off + count) must lie inside buf. */
static int check_rows(cl_mem buf, size_t off, size_t count, const char *op, const char *what)
{
    size_t bytes = 0;
    int status = runtime_check(clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof bytes, &bytes, NULL),
                               "clGetMemObjectInfo", what);
    if (status == CLNET_OK && (off + count) * sizeof(cl_float) > bytes)
        status = clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s [%zu, %zu) beyond a %zu-byte buffer", op,
                              what, off, off + count, bytes);
    return status;
}

int op_loss_forward_backward(struct runtime *rt, cl_mem dz, cl_mem row_loss, cl_mem row_correct,
                             size_t row_off, cl_mem z, cl_mem labels, int batch, int classes,
                             int loss)
{
    if (batch <= 0 || classes <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_forward_backward: bad shape B=%d C=%d", batch,
                            classes);
    if (loss < 0 || loss >= LOSS_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_forward_backward: bad loss %d", loss);
    int status = check_rows(row_loss, row_off, (size_t)batch, "loss_forward_backward", "row_loss");
    if (status == CLNET_OK)
        status =
            check_rows(row_correct, row_off, (size_t)batch, "loss_forward_backward", "row_correct");
    if (status != CLNET_OK) return status;
    cl_int b = batch, c = classes, l = loss;
    cl_ulong ro = row_off;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(dz), RUNTIME_ARG(row_loss), RUNTIME_ARG(row_correct),
        RUNTIME_ARG(z),  RUNTIME_ARG(labels),   RUNTIME_ARG(b),
        RUNTIME_ARG(c),  RUNTIME_ARG(l),        RUNTIME_ARG(ro)};
    status = runtime_set_args(rt, KERNEL_LOSS_FORWARD_BACKWARD, args, N_ARGS(args));
    if (status != CLNET_OK) return status;
    return runtime_launch_1d(rt, KERNEL_LOSS_FORWARD_BACKWARD, (size_t)batch);
}

int op_loss_reduce(struct runtime *rt, cl_mem acc, int slot, int slots, cl_mem row_loss,
                   cl_mem row_correct, size_t row_off, int batch)
{
    if (batch <= 0 || slot < 0 || slots <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_reduce: bad slot %d, %d slots or B=%d", slot,
                            slots, batch);
    size_t rows = (size_t)slots * (size_t)batch;
    int status = check_rows(acc, 2 * (size_t)slot, 2 * (size_t)slots, "loss_reduce", "acc");
    if (status == CLNET_OK) status = check_rows(row_loss, row_off, rows, "loss_reduce", "row_loss");
    if (status == CLNET_OK)
        status = check_rows(row_correct, row_off, rows, "loss_reduce", "row_correct");
    if (status != CLNET_OK) return status;
    cl_int s = slot, b = batch, n = slots;
    cl_ulong ro = row_off;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(acc), RUNTIME_ARG(row_loss), RUNTIME_ARG(row_correct), RUNTIME_ARG(s),
        RUNTIME_ARG(b),   RUNTIME_ARG(n),        RUNTIME_ARG(ro)};
    if ((status = runtime_set_args(rt, KERNEL_LOSS_REDUCE, args, N_ARGS(args))) != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_LOSS_REDUCE, 2 * (size_t)slots);
}
