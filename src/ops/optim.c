/* Wrappers of cl/optim.cl: SGD (with or without momentum) and Adam, one launch over the whole
 * parameter arena per step. The per-step scalars are computed here in double. */
#include <math.h>

#include "ops/ops.h"
#include "util/status.h"

int op_sgd_update(struct runtime *rt, cl_mem params, cl_mem velocity, cl_mem grads, size_t n,
                  float lr, float momentum, float weight_decay, int first_step)
{
    cl_ulong count = n;
    int status;
    if (momentum == 0.0f) {
        const struct runtime_arg args[] = {RUNTIME_ARG(params), RUNTIME_ARG(grads),
                                           RUNTIME_ARG(count), RUNTIME_ARG(lr),
                                           RUNTIME_ARG(weight_decay)};
        if ((status = runtime_set_args(rt, KERNEL_SGD_UPDATE, args, N_ARGS(args))) != CLNET_OK)
            return status;
        return runtime_launch_1d(rt, KERNEL_SGD_UPDATE, n);
    }
    if (!velocity)
        return clnet_errorf(CLNET_ERR_INTERNAL, "sgd_update: momentum %g without a velocity",
                            (double)momentum);
    cl_int first = first_step != 0;
    const struct runtime_arg args[] = {RUNTIME_ARG(params),   RUNTIME_ARG(velocity),
                                       RUNTIME_ARG(grads),    RUNTIME_ARG(count),
                                       RUNTIME_ARG(lr),       RUNTIME_ARG(momentum),
                                       RUNTIME_ARG(weight_decay), RUNTIME_ARG(first)};
    if ((status = runtime_set_args(rt, KERNEL_SGD_MOMENTUM_UPDATE, args, N_ARGS(args))) !=
        CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_SGD_MOMENTUM_UPDATE, n);
}

int op_adam_update(struct runtime *rt, cl_mem params, cl_mem m, cl_mem v, cl_mem grads, size_t n,
                   float lr, double beta1, double beta2, float eps, float weight_decay,
                   float bc1, float bc2)
{
    if (!(bc1 > 0.0f) || !(bc2 > 0.0f))
        return clnet_errorf(CLNET_ERR_INTERNAL, "adam_update: bias corrections %g, %g not > 0",
                            (double)bc1, (double)bc2);
    cl_ulong count = n;
    cl_float step_size = (cl_float)((double)lr / (double)bc1);
    cl_float b1 = (cl_float)beta1, one_minus_b1 = (cl_float)(1.0 - beta1);
    cl_float b2 = (cl_float)beta2, one_minus_b2 = (cl_float)(1.0 - beta2);
    cl_float bc2_sqrt = (cl_float)sqrt((double)bc2);
    const struct runtime_arg args[] = {
        RUNTIME_ARG(params),       RUNTIME_ARG(m),   RUNTIME_ARG(v),
        RUNTIME_ARG(grads),        RUNTIME_ARG(count), RUNTIME_ARG(step_size),
        RUNTIME_ARG(b1),           RUNTIME_ARG(one_minus_b1), RUNTIME_ARG(b2),
        RUNTIME_ARG(one_minus_b2), RUNTIME_ARG(eps), RUNTIME_ARG(weight_decay),
        RUNTIME_ARG(bc2_sqrt)};
    int status = runtime_set_args(rt, KERNEL_ADAM_UPDATE, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    return runtime_launch_1d(rt, KERNEL_ADAM_UPDATE, n);
}
