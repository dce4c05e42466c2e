/* The execution plan: every choice of how a model runs on a device, made once when the model is
 * built, in one place (plan.c), from the device (its ops path, which GEMM, its largest buffer),
 * the shapes, the optimizer and the run's needs (layer_stats, ranks, a divergence replay). The
 * model's forward and backward and the trainer's step execute it; layers read their own entry
 * (struct layer_plan, through layer.plan) and decide nothing about their neighbours.
 *
 * A plan is a list of steps, each naming the layers it runs, its kernels and fusions, and why
 * (`clnet summary --plan`, `clnet train --verbose`). A training step is either
 *     forward (one step per layer), loss, backward (one step per layer, top down), update
 * or, on the dense stack, one step for forward, loss and backward, then the update. A step
 * names its layers as a first index and a count. A graph model (model/graph.h: layers naming
 * their inputs with from:) is planned as its nodes: one forward step per node in the graph's
 * order, one backward step per node the loss's gradient reaches and needs, in reverse; its
 * executor (model/graph_run.c) runs each step's node, packing a merge's inputs and summing a
 * node's gradients in a fixed order, and the fusions across layers are off.
 *
 * Host only: plan_build needs no device, so tests and `clnet summary` plan for any device. */
#ifndef CLNET_MODEL_PLAN_H
#define CLNET_MODEL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/experiment.h"
#include "model/shape.h"
#include "runtime/runtime.h"

/* What the plan needs to know of the device. */
struct plan_device {
    char name[RUNTIME_INFO_STRING]; /* for the printout */
    enum runtime_ops_path path;   /* RUNTIME_OPS_CPU or RUNTIME_OPS_GPU */
    char path_why[64];            /* runtime_ops_path_reason's words */
    bool own_gemm;                /* clnet's own GEMM kernels (else CLBlast) */
    char gemm_why[64];
    uint64_t max_alloc_bytes;     /* the largest buffer the device allows */
};

/* The plan's device facts of an open runtime, or of the device spec picks without opening it
 * (`clnet summary --plan`): the ops path and GEMM as runtime_open and op_gemm would choose. */
void plan_device_of(struct plan_device *d, const struct runtime *rt);
int plan_device_find(struct plan_device *d, const char *spec);

/* What the run needs of the plan; plan_needs_eval is evaluation's and the checks' (no
 * training fusions: gradients land in the arena). */
struct plan_needs {
    bool training;             /* a training step runs (fused update, dense stack) */
    bool plain_sgd;            /* the optimizer is SGD without momentum or weight decay */
    const char *optimizer;     /* its name, for the reason a fused update is off */
    const char *grads_read_by; /* who reads the gradient arena (layer_stats, the ranks' MPI
                                * averaging), or NULL */
    const char *outputs_read_by; /* who reads each layer's output as (B, O) rows (layer_stats,
                                  * a divergence replay), or NULL */
    bool fused_sgd;            /* --fused-sgd (default true) */
    bool dense_stack;          /* --dense-stack (default true) */
    int rows;                  /* rows of a training step (the dense stack's arena) */
    /* The gradients beside the parameters' (gradcheck --wrt input, clnet grad): the input's
     * (m->input_dx), and each node's output's (model_node_grad: the graph's executor runs even
     * a stack). */
    bool input_grad, node_grads;
};
extern const struct plan_needs plan_needs_eval;
/* A training run of e on `ranks` processes of `rows` rows each, with --fused-sgd and
 * --dense-stack as given. */
struct plan_needs plan_needs_train(const struct experiment *e, int ranks, int rows,
                                   bool fused_sgd, bool dense_stack);

/* A layer's own part of the plan: what its forward and backward do. */
struct layer_plan {
    bool need_dx;        /* backward computes the input's gradient (a layer below it has
                          * parameters, or the input's gradient is asked for) */
    bool dx_buffer;      /* setup allocates dx: it may be asked for its input's gradient (every
                          * layer but a stack's first; selfcheck asks layer 1 for it) */
    bool backward;       /* its backward runs (a step of plan.backward) */
    /* dense */
    bool own_gemm;       /* clnet's own GEMM (else CLBlast) */
    bool epilogue;       /* bias + activation in the forward GEMM, db in the dW GEMM */
    bool dz_ready;       /* backward's dy already holds dz (identity activation, or the layer
                          * above's dx GEMM applied this layer's act') */
    bool dx_act_grad;    /* the dx GEMM applies the layer below's act' (the below's dz_ready) */
    bool sgd_fused;      /* the dW GEMM applies plain SGD to W and b (model.sgd_lr) */
    /* conv2d: batch-minor tensors between two conv layers (ops.h: conv_geom), and on the CPU
     * path the fusions there: the lower one's y stored as the upper one's padded x, the upper
     * one's dx as the lower one's dz */
    bool x_batch_minor, y_batch_minor;
    bool x_padded, y_padded, dy_is_dz, dx_dz;
};

enum plan_op {
    PLAN_FORWARD,     /* one layer's forward */
    PLAN_LOSS,        /* the loss and its gradient, one launch */
    PLAN_BACKWARD,    /* one layer's backward */
    PLAN_DENSE_STACK, /* forward, loss and backward of an all-dense model (layers/dense_stack.c) */
    PLAN_UPDATE,      /* the optimizer, one launch over the parameter arena */
    PLAN_UPDATE_FUSED /* nothing: the dW GEMMs applied plain SGD */
};

struct plan_step {
    enum plan_op op;
    int layer, n_layers; /* the layers it runs: [layer, layer + n_layers) */
    char what[256];      /* its kernels and fusions */
    char why[160];       /* why this path (empty when there is no choice) */
};

/* A fast path and, when off, why (a sentence after "off: "). */
struct plan_choice {
    bool on;
    char why[256];
};

struct plan {
    struct plan_device dev;
    struct plan_needs needs;
    int n_layers;
    struct layer_plan *layers;      /* (n_layers) */
    struct plan_step *forward;      /* one per layer, bottom up: evaluation and training */
    struct plan_step *backward;     /* top down, down to the lowest layer that needs one */
    int n_forward, n_backward;
    struct plan_step *train;        /* a training step: forward, loss, backward, update */
    int n_train;
    struct plan_choice epilogues, sgd_fused, dense_stack, batch_minor;
    /* The graph's executor runs the steps' nodes (a graph model, or needs.node_grads); the
     * words say why. */
    struct plan_choice graph;
};

/* The plan of the experiment's model (shapes already inferred) on device d for needs. */
int plan_build(struct plan *p, const struct experiment *e, const struct model_shape *shape,
               const struct plan_device *d, const struct plan_needs *needs);
void plan_free(struct plan *p);
/* The dense stack's layout (ops.h) for e's all-dense model with batches of up to rows, its
 * offsets into the parameter arena as model_build lays it out. */
struct dense_tail_layout;
int plan_dense_stack_layout(struct dense_tail_layout *t, const struct experiment *e,
                            const struct model_shape *shape, int rows);
/* plan_build's second half (plan_steps.c): the steps' lists and words from its choices. */
int plan_steps(struct plan *p, const struct experiment *e, const struct model_shape *shape);

/* The plan as lines for a reader: the device, every step of a training step (or, not
 * training, of an evaluation) and each fast path with why it is off. */
void plan_print(FILE *f, const struct plan *p, const struct experiment *e);

#endif
