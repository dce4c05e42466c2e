/* Wrappers of cl/elementwise.cl (bias + activation around each GEMM, the standalone activation)
 * and op_fill. */
#include <assert.h>
#include <limits.h>

#include "util/nn.h"
#include "ops/ops.h"
#include "util/status.h"

/* cl/elementwise.cl mirrors enum activation with #defines. */
static_assert(ACTIVATION_IDENTITY == 0 && ACTIVATION_SIGMOID == 1 && ACTIVATION_RELU == 2 &&
                  ACTIVATION_TANH == 3 && ACTIVATION_STEP == 4 && ACTIVATION_COUNT == 5,
              "update the ACT_ constants in cl/elementwise.cl");

enum {
    BA_GPU_COLS = 16,  /* cl/elementwise.cl: BA_COLS, columns per work-group asked for */
    BA_GPU_LANES = 16, /* cl/elementwise.cl: BA_LANES, row lanes per column */
};

static int check_shape(const char *op, int batch, int out, int act)
{
    if (batch <= 0 || out <= 0 || (size_t)batch * (size_t)out > (size_t)INT_MAX)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: bad shape B=%d O=%d", op, batch, out);
    if (act < 0 || act >= ACTIVATION_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: bad activation %d", op, act);
    return CLNET_OK;
}

/* The path choice: the one place that picks the bias + activation kernels. */
enum op_bias_act_kernels op_bias_act_choice(const struct runtime *rt)
{
    return runtime_ops_path(rt) == RUNTIME_OPS_GPU ? OP_BIAS_ACT_2D : OP_BIAS_ACT_ROWS;
}

int op_bias_act_forward(struct runtime *rt, cl_mem y, cl_mem params, size_t bias_off, int batch,
                        int out, int act)
{
    int status = check_shape("bias_act_forward", batch, out, act);
    if (status != CLNET_OK)
        return status;
    cl_ulong off = bias_off;
    cl_int b = batch, o = out, a = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(y), RUNTIME_ARG(params), RUNTIME_ARG(off),
                                       RUNTIME_ARG(b), RUNTIME_ARG(o),      RUNTIME_ARG(a)};
    if (op_bias_act_choice(rt) == OP_BIAS_ACT_2D) {
        /* One work-item per value, in groups of 64 shaped to the row: as many columns as the
         * row has, up to 64 (a power of two), times rows. */
        size_t cols = 1;
        while (cols < 64 && cols < (size_t)out)
            cols *= 2;
        const size_t global[2] = {(size_t)out, (size_t)batch}, local[2] = {cols, 64 / cols};
        enum kernel_id id = KERNEL_BIAS_ACT_FORWARD_2D;
        status = runtime_set_args(rt, id, args, N_ARGS(args));
        return status != CLNET_OK ? status : runtime_launch(rt, id, 2, global, local);
    }
    if ((status = runtime_set_args(rt, KERNEL_BIAS_ACT_FORWARD, args, N_ARGS(args))) != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_BIAS_ACT_FORWARD, (size_t)batch);
}

int op_bias_act_backward(struct runtime *rt, cl_mem dz, cl_mem grads, size_t db_off, cl_mem y,
                         cl_mem dy, int batch, int out, int act)
{
    int status = check_shape("bias_act_backward", batch, out, act);
    if (status != CLNET_OK)
        return status;
    cl_ulong off = db_off;
    cl_int b = batch, o = out, a = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(dz),  RUNTIME_ARG(grads), RUNTIME_ARG(y),
                                       RUNTIME_ARG(dy),  RUNTIME_ARG(off),   RUNTIME_ARG(b),
                                       RUNTIME_ARG(o),   RUNTIME_ARG(a)};
    if (op_bias_act_choice(rt) == OP_BIAS_ACT_2D) {
        /* (column, row lane) in groups of BA_GPU_COLS x BA_GPU_LANES; the kernel's sums do not
         * depend on the group runtime_launch fits to the device. */
        const size_t global[2] = {(size_t)out, BA_GPU_LANES};
        const size_t local[2] = {BA_GPU_COLS, BA_GPU_LANES};
        status = runtime_set_args(rt, KERNEL_BIAS_ACT_BACKWARD_2D, args, N_ARGS(args));
        return status != CLNET_OK ? status
                                  : runtime_launch(rt, KERNEL_BIAS_ACT_BACKWARD_2D, 2, global, local);
    }
    if ((status = runtime_set_args(rt, KERNEL_BIAS_ACT_BACKWARD, args, N_ARGS(args))) != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_BIAS_ACT_BACKWARD, (size_t)out);
}

int op_act_forward(struct runtime *rt, cl_mem y, cl_mem x, size_t n, int act)
{
    if (act < 0 || act >= ACTIVATION_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "act_forward: bad activation %d", act);
    cl_ulong count = n;
    cl_int a = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(y), RUNTIME_ARG(x), RUNTIME_ARG(count),
                                       RUNTIME_ARG(a)};
    int status = runtime_set_args(rt, KERNEL_ACT_FORWARD, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_ACT_FORWARD, n);
}

int op_act_backward(struct runtime *rt, cl_mem dx, cl_mem y, cl_mem dy, size_t n, int act)
{
    if (act < 0 || act >= ACTIVATION_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "act_backward: bad activation %d", act);
    cl_ulong count = n;
    cl_int a = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(dx), RUNTIME_ARG(y), RUNTIME_ARG(dy),
                                       RUNTIME_ARG(count), RUNTIME_ARG(a)};
    int status = runtime_set_args(rt, KERNEL_ACT_BACKWARD, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_ACT_BACKWARD, n);
}

int op_fill(struct runtime *rt, cl_mem buf, size_t off, size_t n, float value)
{
    if (n == 0)
        return CLNET_OK;
    cl_float pattern = value;
    return runtime_check(clEnqueueFillBuffer(runtime_queue(rt), buf, &pattern, sizeof pattern,
                                             off * sizeof(cl_float), n * sizeof(cl_float), 0,
                                             NULL, NULL),
                         "clEnqueueFillBuffer", "fill");
}
