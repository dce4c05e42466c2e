/* Which kernel programs (cl/ files) a run needs, so runtime_open builds only those: a cold
 * start compiles each program once per machine, and a dense net has no use for conv2d.cl or
 * dropout.cl. One row per layer type, next to the ops its layers/ file launches. */
#include <assert.h>

#include "model/model.h"
#include "util/status.h"

struct type_programs {
    bool listed; /* a type without a row is an internal error, never "needs nothing" */
    unsigned programs;
};

static const struct type_programs layer_programs[] = {
    /* op_gemm, op_transpose (gemm.cl); op_bias_act_forward/backward (elementwise.cl) */
    [LAYER_DENSE] = {true, RUNTIME_PROGRAM(PROGRAM_GEMM) | RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE)},
    /* op_conv2d_*, bias and activation fused: the CPU path's kernels and the GPU path's */
    [LAYER_CONV2D] = {true, RUNTIME_PROGRAM(PROGRAM_CONV2D) | RUNTIME_PROGRAM(PROGRAM_CONV2D_GPU)},
    [LAYER_FLATTEN] = {true, 0}, /* a view: no kernel */
    [LAYER_DROPOUT] = {true, RUNTIME_PROGRAM(PROGRAM_DROPOUT)},
    /* op_act_forward/backward */
    [LAYER_ACTIVATION] = {true, RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE)},
};

static_assert(sizeof layer_programs / sizeof layer_programs[0] == LAYER_TYPE_COUNT,
              "every layer type needs a row in layer_programs[]");

int model_programs(unsigned *programs, const struct experiment *e, bool training)
{
    /* The batch gather (data.cl) and the loss with its per-batch sums (loss.cl) serve every
     * step and every evaluation; the optimizer's update (optim.cl) only training. */
    unsigned set = RUNTIME_PROGRAM(PROGRAM_DATA) | RUNTIME_PROGRAM(PROGRAM_LOSS);
    if (training)
        set |= RUNTIME_PROGRAM(PROGRAM_OPTIM);
    for (int i = 0; i < e->n_layers; i++) {
        enum layer_type t = e->layers[i].type;
        if ((int)t < 0 || t >= LAYER_TYPE_COUNT || !layer_programs[t].listed)
            return clnet_errorf(CLNET_ERR_INTERNAL, "layer %d: type %d has no row in "
                                "model/programs.c", i, (int)t);
        set |= layer_programs[t].programs;
    }
    *programs = set;
    return CLNET_OK;
}
