/* The kernel table: every kernel clnet launches, the program (cl/ file) it lives in, and the
 * programs' build options. runtime_open builds all of them, or the set a run needs
 * (model_programs), and creates their kernels, so a compile error stops a run before its first
 * step. Adding a kernel: one enum value here, one row in kernels.c (a static assert catches a
 * missing row). A layer kind with a program of its own (OWN_CL in layers/kinds.def) gets its
 * program and its two kernels from its registry row: PROGRAM_ENUM for cl/NAME.cl, and
 * KERNEL_ENUM_FORWARD, KERNEL_ENUM_BACKWARD for its kernels NAME_forward, NAME_backward. */
#ifndef CLNET_RUNTIME_KERNELS_H
#define CLNET_RUNTIME_KERNELS_H

/* One per cl/ source file other than the prelude. */
enum program_id {
    PROGRAM_DATA,        /* cl/data.cl */
    PROGRAM_ELEMENTWISE, /* cl/elementwise.cl */
    PROGRAM_LOSS,        /* cl/loss.cl */
    PROGRAM_OPTIM,       /* cl/optim.cl */
    PROGRAM_CONV2D,      /* cl/conv2d.cl */
    PROGRAM_DROPOUT,     /* cl/dropout.cl */
    PROGRAM_GEMM,        /* cl/gemm.cl */
    PROGRAM_GEMM_T,      /* cl/gemm_t.cl */
    PROGRAM_CONV2D_GPU,  /* cl/conv2d_gpu.cl */
    PROGRAM_DENSE_TAIL,  /* cl/dense_tail.cl */
#define KIND_PROGRAM_OWN_CL(ENUM) PROGRAM_##ENUM,
#define KIND_PROGRAM_SHARED_CL(ENUM)
#define LAYER_KIND(ENUM, name, form, cl) KIND_PROGRAM_##cl(ENUM)
#include "layers/kinds.def"
#undef LAYER_KIND
    PROGRAM_COUNT
};

enum kernel_id {
    KERNEL_GATHER_BATCH,          /* data.cl: gather_batch */
    KERNEL_NOISE_BATCH,           /* data.cl: noise_batch */
    KERNEL_NOISE_BATCH_2D,        /* data.cl: noise_batch_2d (the GPU path) */
    KERNEL_BIAS_ACT_FORWARD,      /* elementwise.cl: bias_act_forward */
    KERNEL_BIAS_ACT_BACKWARD,     /* elementwise.cl: bias_act_backward */
    KERNEL_ACT_FORWARD,           /* elementwise.cl: act_forward */
    KERNEL_ACT_BACKWARD,          /* elementwise.cl: act_backward */
    KERNEL_LOSS_FORWARD_BACKWARD, /* loss.cl: loss_forward_backward */
    KERNEL_LOSS_REDUCE,           /* loss.cl: loss_reduce */
    KERNEL_LOSS_TERM_CLASSIFY,    /* loss.cl: loss_term_classify */
    KERNEL_LOSS_TERM_ROWS,        /* loss.cl: loss_term_rows */
    KERNEL_LOSS_TERMS_TOTAL,      /* loss.cl: loss_terms_total */
    KERNEL_SGD_UPDATE,            /* optim.cl: sgd_update */
    KERNEL_SGD_MOMENTUM_UPDATE,   /* optim.cl: sgd_momentum_update */
    KERNEL_ADAM_UPDATE,           /* optim.cl: adam_update */
    KERNEL_CONV2D_PAD,              /* conv2d.cl: conv2d_pad */
    KERNEL_CONV2D_FORWARD,          /* conv2d.cl: conv2d_forward */
    KERNEL_CONV2D_BACKWARD_DZ,      /* conv2d.cl: conv2d_backward_dz */
    KERNEL_CONV2D_BACKWARD_WEIGHTS, /* conv2d.cl: conv2d_backward_weights */
    KERNEL_CONV2D_BACKWARD_DATA,    /* conv2d.cl: conv2d_backward_data */
    KERNEL_DROPOUT_FORWARD,         /* dropout.cl: dropout_forward */
    KERNEL_DROPOUT_BACKWARD,        /* dropout.cl: dropout_backward */
    KERNEL_GEMM_NN_NARROW,          /* gemm.cl: gemm_nn_narrow (N <= 16) */
    KERNEL_GEMM_NN_GUARDED,         /* gemm.cl: gemm_nn_guarded (16 < N < 32) */
    KERNEL_GEMM_NN_WIDE,            /* gemm.cl: gemm_nn_wide (N >= 32) */
    KERNEL_GEMM_NN_BLOCKED,         /* gemm.cl: gemm_nn_blocked (N >= 32, K > 128) */
    KERNEL_GEMM_TN_NARROW,          /* gemm.cl: gemm_tn_narrow */
    KERNEL_GEMM_TN_GUARDED,         /* gemm.cl: gemm_tn_guarded */
    KERNEL_GEMM_TN_WIDE,            /* gemm.cl: gemm_tn_wide */
    KERNEL_GEMM_TN_LAYERS,          /* gemm.cl: gemm_tn_layers (a dense stack's dW) */
    KERNEL_GEMM_NT,                 /* gemm_t.cl: gemm_nt */
    KERNEL_GEMM_ANY,                /* gemm_t.cl: gemm_any */
    KERNEL_GEMM_TRANSPOSE,          /* gemm_t.cl: gemm_transpose */
    KERNEL_DENSE_TAIL,              /* dense_tail.cl: dense_tail */
    KERNEL_BIAS_ACT_FORWARD_2D,     /* elementwise.cl: bias_act_forward_2d (the GPU path) */
    KERNEL_BIAS_ACT_BACKWARD_2D,    /* elementwise.cl: bias_act_backward_2d (the GPU path) */
    KERNEL_CONV2D_GPU_FORWARD,      /* conv2d_gpu.cl: conv2d_gpu_forward */
    KERNEL_CONV2D_GPU_DZ,           /* conv2d_gpu.cl: conv2d_gpu_dz */
    KERNEL_CONV2D_GPU_BACKWARD_DATA, /* conv2d_gpu.cl: conv2d_gpu_backward_data */
    KERNEL_CONV2D_GPU_WEIGHTS_PARTIAL, /* conv2d_gpu.cl: conv2d_gpu_weights_partial */
    KERNEL_CONV2D_GPU_WEIGHTS_REDUCE,  /* conv2d_gpu.cl: conv2d_gpu_weights_reduce */
#define KIND_KERNELS_OWN_CL(ENUM) KERNEL_##ENUM##_FORWARD, KERNEL_##ENUM##_BACKWARD,
#define KIND_KERNELS_SHARED_CL(ENUM)
#define LAYER_KIND(ENUM, name, form, cl) KIND_KERNELS_##cl(ENUM)
#include "layers/kinds.def"
#undef LAYER_KIND
    KERNEL_COUNT
};

/* The kernel's function name in its .cl file (NULL only for a row missing from the table). */
const char *kernel_name(enum kernel_id id);

enum program_id kernel_program(enum kernel_id id);

/* The program's file name under cl/ ("data.cl"). */
const char *program_file(enum program_id id);

/* Build options beyond the ones every program gets (-cl-std=CL1.2): -D constants. */
const char *program_options(enum program_id id);

/* The prelude prepended to every program. */
#define PROGRAM_PRELUDE "common.h"

#endif
