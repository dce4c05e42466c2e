/* The kernel and program tables (kernels.h): designated initialisers keep each row next to its
 * enum value, and the static asserts make a half-added kernel or program a compile error. */
#include "runtime/kernels.h"

#include <assert.h>
#include <stddef.h>

struct program_desc {
    const char *file;
    const char *options;
};

struct kernel_desc {
    const char *name;
    enum program_id program;
};

static const struct program_desc programs[] = {
    [PROGRAM_DATA] = {"data.cl", ""},
    [PROGRAM_ELEMENTWISE] = {"elementwise.cl", ""},
    [PROGRAM_LOSS] = {"loss.cl", ""},
    [PROGRAM_OPTIM] = {"optim.cl", ""},
    [PROGRAM_CONV2D] = {"conv2d.cl", ""},
    [PROGRAM_DROPOUT] = {"dropout.cl", ""},
    [PROGRAM_GEMM] = {"gemm.cl", ""},
    [PROGRAM_GEMM_T] = {"gemm_t.cl", ""},
    [PROGRAM_CONV2D_GPU] = {"conv2d_gpu.cl", ""},
    [PROGRAM_DENSE_TAIL] = {"dense_tail.cl", ""},
#define KIND_PROGRAM_ROW_OWN_CL(ENUM, name) [PROGRAM_##ENUM] = {#name ".cl", ""},
#define KIND_PROGRAM_ROW_SHARED_CL(ENUM, name)
#define LAYER_KIND(ENUM, name, form, cl) KIND_PROGRAM_ROW_##cl(ENUM, name)
#include "layers/kinds.def"
#undef LAYER_KIND
};

static const struct kernel_desc kernels[] = {
    [KERNEL_GATHER_BATCH] = {"gather_batch", PROGRAM_DATA},
    [KERNEL_NOISE_BATCH] = {"noise_batch", PROGRAM_DATA},
    [KERNEL_NOISE_BATCH_2D] = {"noise_batch_2d", PROGRAM_DATA},
    [KERNEL_BIAS_ACT_FORWARD] = {"bias_act_forward", PROGRAM_ELEMENTWISE},
    [KERNEL_BIAS_ACT_BACKWARD] = {"bias_act_backward", PROGRAM_ELEMENTWISE},
    [KERNEL_ACT_FORWARD] = {"act_forward", PROGRAM_ELEMENTWISE},
    [KERNEL_ACT_BACKWARD] = {"act_backward", PROGRAM_ELEMENTWISE},
    [KERNEL_LOSS_FORWARD_BACKWARD] = {"loss_forward_backward", PROGRAM_LOSS},
    [KERNEL_LOSS_REDUCE] = {"loss_reduce", PROGRAM_LOSS},
    [KERNEL_LOSS_TERM_CLASSIFY] = {"loss_term_classify", PROGRAM_LOSS},
    [KERNEL_LOSS_TERM_ROWS] = {"loss_term_rows", PROGRAM_LOSS},
    [KERNEL_LOSS_TERMS_TOTAL] = {"loss_terms_total", PROGRAM_LOSS},
    [KERNEL_SGD_UPDATE] = {"sgd_update", PROGRAM_OPTIM},
    [KERNEL_SGD_MOMENTUM_UPDATE] = {"sgd_momentum_update", PROGRAM_OPTIM},
    [KERNEL_ADAM_UPDATE] = {"adam_update", PROGRAM_OPTIM},
    [KERNEL_CONV2D_PAD] = {"conv2d_pad", PROGRAM_CONV2D},
    [KERNEL_CONV2D_FORWARD] = {"conv2d_forward", PROGRAM_CONV2D},
    [KERNEL_CONV2D_BACKWARD_DZ] = {"conv2d_backward_dz", PROGRAM_CONV2D},
    [KERNEL_CONV2D_BACKWARD_WEIGHTS] = {"conv2d_backward_weights", PROGRAM_CONV2D},
    [KERNEL_CONV2D_BACKWARD_DATA] = {"conv2d_backward_data", PROGRAM_CONV2D},
    [KERNEL_DROPOUT_FORWARD] = {"dropout_forward", PROGRAM_DROPOUT},
    [KERNEL_DROPOUT_BACKWARD] = {"dropout_backward", PROGRAM_DROPOUT},
    [KERNEL_GEMM_NN_NARROW] = {"gemm_nn_narrow", PROGRAM_GEMM},
    [KERNEL_GEMM_NN_GUARDED] = {"gemm_nn_guarded", PROGRAM_GEMM},
    [KERNEL_GEMM_NN_WIDE] = {"gemm_nn_wide", PROGRAM_GEMM},
    [KERNEL_GEMM_NN_BLOCKED] = {"gemm_nn_blocked", PROGRAM_GEMM},
    [KERNEL_GEMM_TN_NARROW] = {"gemm_tn_narrow", PROGRAM_GEMM},
    [KERNEL_GEMM_TN_GUARDED] = {"gemm_tn_guarded", PROGRAM_GEMM},
    [KERNEL_GEMM_TN_WIDE] = {"gemm_tn_wide", PROGRAM_GEMM},
    [KERNEL_GEMM_TN_LAYERS] = {"gemm_tn_layers", PROGRAM_GEMM},
    [KERNEL_GEMM_NT] = {"gemm_nt", PROGRAM_GEMM_T},
    [KERNEL_GEMM_ANY] = {"gemm_any", PROGRAM_GEMM_T},
    [KERNEL_GEMM_TRANSPOSE] = {"gemm_transpose", PROGRAM_GEMM_T},
    [KERNEL_DENSE_TAIL] = {"dense_tail", PROGRAM_DENSE_TAIL},
    [KERNEL_BIAS_ACT_FORWARD_2D] = {"bias_act_forward_2d", PROGRAM_ELEMENTWISE},
    [KERNEL_BIAS_ACT_BACKWARD_2D] = {"bias_act_backward_2d", PROGRAM_ELEMENTWISE},
    [KERNEL_CONV2D_GPU_FORWARD] = {"conv2d_gpu_forward", PROGRAM_CONV2D_GPU},
    [KERNEL_CONV2D_GPU_DZ] = {"conv2d_gpu_dz", PROGRAM_CONV2D_GPU},
    [KERNEL_CONV2D_GPU_BACKWARD_DATA] = {"conv2d_gpu_backward_data", PROGRAM_CONV2D_GPU},
    [KERNEL_CONV2D_GPU_WEIGHTS_PARTIAL] = {"conv2d_gpu_weights_partial", PROGRAM_CONV2D_GPU},
    [KERNEL_CONV2D_GPU_WEIGHTS_REDUCE] = {"conv2d_gpu_weights_reduce", PROGRAM_CONV2D_GPU},
#define KIND_KERNEL_ROWS_OWN_CL(ENUM, name)                                                     \
    [KERNEL_##ENUM##_FORWARD] = {#name "_forward", PROGRAM_##ENUM},                            \
    [KERNEL_##ENUM##_BACKWARD] = {#name "_backward", PROGRAM_##ENUM},
#define KIND_KERNEL_ROWS_SHARED_CL(ENUM, name)
#define LAYER_KIND(ENUM, name, form, cl) KIND_KERNEL_ROWS_##cl(ENUM, name)
#include "layers/kinds.def"
#undef LAYER_KIND
};

static_assert(sizeof programs / sizeof programs[0] == PROGRAM_COUNT,
              "every program_id needs a row in programs[]");
static_assert(sizeof kernels / sizeof kernels[0] == KERNEL_COUNT,
              "every kernel_id needs a row in kernels[]");

const char *kernel_name(enum kernel_id id)
{
    assert(id >= 0 && id < KERNEL_COUNT);
    return kernels[id].name; /* NULL for a skipped row: runtime_open reports it */
}

enum program_id kernel_program(enum kernel_id id)
{
    assert(id >= 0 && id < KERNEL_COUNT);
    return kernels[id].program;
}

const char *program_file(enum program_id id)
{
    assert(id >= 0 && id < PROGRAM_COUNT);
    return programs[id].file; /* NULL for a skipped row: runtime_open reports it */
}

const char *program_options(enum program_id id)
{
    assert(id >= 0 && id < PROGRAM_COUNT);
    return programs[id].options ? programs[id].options : "";
}
