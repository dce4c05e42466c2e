/* Wrappers of cl/loss.cl: softmax, loss and gradient in one kernel, and the per-step device-side
 * sum of the batch's loss and accuracy. */
#include <assert.h>

#include "config/experiment.h"
#include "ops/ops.h"
#include "util/status.h"

/* cl/loss.cl mirrors enum loss_kind with #defines. */
static_assert(LOSS_CROSS_ENTROPY == 0 && LOSS_NAIVE_SOFTMAX_LOG == 1 && LOSS_COUNT == 2,
              "update the LOSS_ constants in cl/loss.cl");

#define N_ARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

int op_loss_forward_backward(struct runtime *rt, cl_mem dz, cl_mem row_loss, cl_mem row_correct,
                             cl_mem z, cl_mem labels, int batch, int classes, int loss)
{
    if (batch <= 0 || classes <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_forward_backward: bad shape B=%d C=%d",
                            batch, classes);
    if (loss < 0 || loss >= LOSS_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_forward_backward: bad loss %d", loss);
    cl_int b = batch, c = classes, l = loss;
    const struct runtime_arg args[] = {RUNTIME_ARG(dz), RUNTIME_ARG(row_loss),
                                       RUNTIME_ARG(row_correct), RUNTIME_ARG(z),
                                       RUNTIME_ARG(labels), RUNTIME_ARG(b),
                                       RUNTIME_ARG(c), RUNTIME_ARG(l)};
    int status = runtime_set_args(rt, KERNEL_LOSS_FORWARD_BACKWARD, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_LOSS_FORWARD_BACKWARD, (size_t)batch);
}

int op_loss_reduce(struct runtime *rt, cl_mem acc, int slot, cl_mem row_loss, cl_mem row_correct,
                   int batch)
{
    if (batch <= 0 || slot < 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_reduce: bad slot %d or B=%d", slot, batch);
    size_t acc_bytes = 0;
    int status = runtime_check(
        clGetMemObjectInfo(acc, CL_MEM_SIZE, sizeof acc_bytes, &acc_bytes, NULL),
        "clGetMemObjectInfo", "loss_reduce acc");
    if (status != CLNET_OK)
        return status;
    if (2 * ((size_t)slot + 1) * sizeof(cl_float) > acc_bytes)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_reduce: slot %d beyond a %zu-byte buffer",
                            slot, acc_bytes);
    cl_int s = slot, b = batch;
    const struct runtime_arg args[] = {RUNTIME_ARG(acc), RUNTIME_ARG(row_loss),
                                       RUNTIME_ARG(row_correct), RUNTIME_ARG(s), RUNTIME_ARG(b)};
    if ((status = runtime_set_args(rt, KERNEL_LOSS_REDUCE, args, N_ARGS(args))) != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_LOSS_REDUCE, 2);
}
