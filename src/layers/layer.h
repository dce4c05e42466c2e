/* The layer interface: a kind is one file, src/layers/NAME.c, that owns everything about it
 * and ends in one LAYER_KIND_DEFINE naming each part (below), plus its row in the registry
 * (layers/kinds.def). Everything else iterates over the registry: shape inference
 * (model/shape.c), the parameter tensors' names and shapes (model.c, gradcheck, layer_stats),
 * the state tensors' (model.c: the state arena, weights files; train/run_checkpoint.c),
 * the programs a run builds (model/programs.c), the host model of gradcheck
 * (check/host_model.c) and selfcheck's layer cases (check/selfcheck_layers.c).
 *
 * Letters: B rows of the batch (at most model.max_batch), I inputs and O outputs per image. */
#ifndef CLNET_LAYERS_LAYER_H
#define CLNET_LAYERS_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/experiment.h"
#include "model/shape.h"
#include "runtime/runtime.h"

struct model;
struct rng;
struct layer_plan;

struct layer {
    const struct layer_kind *kind;
    const struct layer_spec *spec;
    int index;
    const struct layer_shape *shape; /* in, out, weights, biases, flops */
    size_t in_size, out_size;        /* values per image: I, O */
    size_t w_off, b_off;             /* into the model's params and grads arenas, in floats */
    size_t s_off;                    /* into the model's state arena, in floats */
    cl_mem y;  /* (B, O) output; NULL for a kind that returns a view of its input */
    cl_mem dx; /* (B, I) gradient for the layer below; NULL when not needed or a view */
    cl_mem out;                      /* what the last forward returned: l->y or an alias */
    const struct layer_plan *plan;   /* its part of the model's plan (model/plan.h): set before
                                      * setup, read-only to the kind */
    void *priv;                      /* the kind's own data and buffers, freed by its free */
};

/* A parameter tensor as files and reports see it (safetensors layers.I.weight / .bias):
 * rank 0 when the layer has none. unit_axis is the axis that runs over the layer's outputs
 * (dense [I, O]: 1; conv2d [K, C, R, S]: 0), for per-unit statistics. */
struct param_tensor {
    int rank;
    int64_t dims[4];
    int unit_axis;
};

/* A tensor of a layer's state: values its forward keeps that are not trained (batch norm's
 * running statistics). They live in the model's state arena (model.state, at l->s_off, the
 * tensors one after the other in the order the kind gives them), are saved in weights files
 * and checkpoints as layers.I.NAME, and are never seen by the optimizer or gradcheck. */
#define LAYER_MAX_STATE 2
struct state_tensor {
    const char *name; /* "running_mean" */
    int rank;
    int64_t dims[4];
    float init; /* every value's value in a new model */
};

/* A small layer selfcheck runs on the device and against the kind's host reference: the
 * input shape (rank 1 or 3) and the spec (its init fields are not used). */
struct layer_example {
    const char *what;
    int rank;
    int input[EXPERIMENT_MAX_RANK];
    struct layer_spec spec;
};

struct layer_kind {
    const char *name; /* the registry's NAME */
    int max_inputs;   /* the nodes it may read: 1, or LAYER_MAX_INPUTS (LAYER_KIND_DEFINE_MERGE) */
    /* --- on the host, before any device (model/shape.c) */
    /* ls->out, ->weights, ->biases, ->flops from ls->in and layer i of e; a shape the kind
     * cannot take is shape_layer_error's "FILE:LINE:COL: layer I (kind): what". */
    int (*infer)(struct layer_shape *ls, const struct experiment *e, int i);
    /* The kind and its key options for the layer table: "conv2d 8 5x5/2 pad 2 relu". */
    void (*describe)(char *buf, size_t n, const struct layer_spec *s);
    /* The weights' (bias false) or biases' tensor of a layer with this spec and shape. */
    void (*param)(struct param_tensor *t, const struct layer_spec *s,
                  const struct layer_shape *ls, bool bias);
    /* Its state tensors into t (at most LAYER_MAX_STATE); returns how many, 0 for none. */
    int (*state)(struct state_tensor *t, const struct layer_spec *s, const struct layer_shape *ls);
    unsigned programs; /* the RUNTIME_PROGRAM bits its kernels need */
    bool activates;    /* applies spec->activation to its output (kinks, notes) */
    /* --- on the device */
    /* Allocates the layer's buffers for batches of up to max_batch rows (all allocation
     * happens here, none in forward or backward). */
    int (*setup)(struct layer *l, struct model *m, int max_batch);
    /* Fills weights (w, l->shape->weights values) and biases (b) on the host from the
     * experiment's init (or the layer's inline values), drawing from rng in a fixed order. */
    int (*init_params)(struct layer *l, const struct model *m, float *w, float *b,
                       struct rng *rng);
    /* *y = the layer's output for x (B, I); usually l->y, or x itself for a view. train:
     * the training step's behaviour (dropout's masks, batch statistics, which also update
     * the layer's state), else evaluation's (which reads the state). */
    int (*forward)(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch, bool train);
    /* Given dy (B, O), which it may overwrite, writes the parameter gradients into the grads
     * arena and, unless need_dx is false, *dx (B, I): usually l->dx, or dy itself for a view. */
    int (*backward)(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy, int batch,
                    bool need_dx);
    void (*free)(struct layer *l);
    /* --- the host reference, in double (gradcheck's host model, selfcheck) */
    /* y (B, O) for x (B, I) at params (the whole arena, the layer's slices at l->w_off and
     * l->b_off) in training mode (train) or evaluation's. state is the state arena (the
     * layer's slice at l->s_off): evaluation reads it; training updates it as the device's
     * forward does, unless it is NULL (gradcheck's passes leave it alone). branch (B, O),
     * unless NULL, gets which branch each output took (a ReLU's side of its kink, a max's
     * place in its window): a perturbed pass whose branches differ did not differentiate one
     * smooth function. */
    void (*host_forward)(const struct layer *l, const struct model *m, const double *params,
                         double *state, const double *x, double *y, int batch, bool train,
                         int32_t *branch);
    /* dx (B, I) and the layer's parameter gradients (into grads, laid out as params) from x,
     * the forward's y and dy (B, O). */
    void (*host_backward)(const struct layer *l, const struct model *m, const double *params,
                          const double *x, const double *y, const double *dy, double *dx,
                          double *grads, int batch);
    /* --- selfcheck's cases */
    const struct layer_example *examples;
    int n_examples;
};

/* The one way to define a kind, at the end of its file: every part, in this order, and no
 * other. A part left out does not compile (the macro's arity is fixed); a NULL put in is
 * what tests/model/test_kinds.c catches (layer_kind_missing). examples must be an array. */
#define LAYER_KIND_DEFINE(NAME, infer_, describe_, param_, state_, programs_, activates_,      \
                          setup_, init_, forward_, backward_, free_, host_forward_,            \
                          host_backward_, examples_)                                           \
    LAYER_KIND_DEFINE_INPUTS(NAME, 1, infer_, describe_, param_, state_, programs_, activates_, \
                             setup_, init_, forward_, backward_, free_, host_forward_,         \
                             host_backward_, examples_)
/* A kind that reads several nodes (add, concat): as above, and its x is its inputs packed
 * row by row, each row [input 0's row, input 1's row, ...] (model/graph.h; ls->ins in its
 * infer has their shapes). */
#define LAYER_KIND_DEFINE_MERGE(NAME, infer_, describe_, param_, state_, programs_, activates_, \
                                setup_, init_, forward_, backward_, free_, host_forward_,      \
                                host_backward_, examples_)                                     \
    LAYER_KIND_DEFINE_INPUTS(NAME, LAYER_MAX_INPUTS, infer_, describe_, param_, state_,        \
                             programs_, activates_, setup_, init_, forward_, backward_, free_, \
                             host_forward_, host_backward_, examples_)
#define LAYER_KIND_DEFINE_INPUTS(NAME, max_inputs_, infer_, describe_, param_, state_,         \
                                 programs_, activates_, setup_, init_, forward_, backward_,    \
                                 free_, host_forward_, host_backward_, examples_)              \
    const struct layer_kind layer_kind_##NAME = {                                              \
        .name = #NAME,                                                                         \
        .max_inputs = max_inputs_,                                                             \
        .infer = infer_,                                                                       \
        .describe = describe_,                                                                 \
        .param = param_,                                                                       \
        .state = state_,                                                                       \
        .programs = programs_,                                                                 \
        .activates = activates_,                                                               \
        .setup = setup_,                                                                       \
        .init_params = init_,                                                                  \
        .forward = forward_,                                                                   \
        .backward = backward_,                                                                 \
        .free = free_,                                                                         \
        .host_forward = host_forward_,                                                         \
        .host_backward = host_backward_,                                                       \
        .examples = examples_,                                                                 \
        .n_examples = (int)(sizeof(examples_) / sizeof((examples_)[0])),                       \
    }

#define LAYER_KIND(ENUM, name, form, cl) extern const struct layer_kind layer_kind_##name;
#include "layers/kinds.def"
#undef LAYER_KIND

/* The kind of layer type t, or NULL for a value outside the enum. */
const struct layer_kind *layer_kind_find(enum layer_type t);

/* The first part of k that is missing (NULL, empty, a name other than the registry's), as
 * "forward", or NULL when k is whole; t is the registry row k stands in. */
const char *layer_kind_missing(const struct layer_kind *k, enum layer_type t);

/* Layer l's weights (bias false) or biases as a tensor, and its name "layers.I.weight" into
 * name (n bytes); rank 0 when the layer has none. */
void layer_param_tensor(const struct layer *l, bool bias, struct param_tensor *t, char *name,
                        size_t n);

/* Helpers of the kinds' parts. */
/* No parameters (param), nothing to fill (init_params), no buffers (setup, free). */
void layer_no_param(struct param_tensor *t, const struct layer_spec *s,
                    const struct layer_shape *ls, bool bias);
/* No state (state). */
int layer_no_state(struct state_tensor *t, const struct layer_spec *s,
                   const struct layer_shape *ls);
/* The values tensor t holds. */
int64_t state_tensor_count(const struct state_tensor *t);
/* Layer l's state tensors into t (LAYER_MAX_STATE) with their names "layers.I.NAME" into
 * names; returns how many. layer_state_floats: the values they hold together. */
int layer_state_tensors(const struct layer *l, struct state_tensor *t, char (*names)[64]);
size_t layer_state_floats(const struct layer_kind *k, const struct layer_spec *s,
                          const struct layer_shape *ls);
int layer_no_init(struct layer *l, const struct model *m, float *w, float *b, struct rng *rng);
/* The output has the input's shape and no parameters. */
int layer_infer_same(struct layer_shape *ls, const struct experiment *e, int i);
/* The kind's name alone. */
void layer_describe_name(char *buf, size_t n, const struct layer_spec *s);
/* act(z) and dy * act'(z) through y = act(z), in double: cl/common.h's formulas one
 * precision up. act is an enum activation. */
double layer_host_act(double z, int act);
double layer_host_act_grad(double dy, double y, int act);
/* Which side of its kink z lies on (the device's conventions: ReLU active when z > 0, the
 * step on from z = 0); 0 for activations without a kink. */
int32_t layer_host_kink(double z, int act);

/* A dense layer's forward on clnet's own kernels, y = act(x W + b) in one GEMM, into y at y_off
 * floats (dense_forward's and dense_stack's common part); w_panels: W panel-major (the dense
 * stack's) to read instead of params' (op_gemm_nn_panels), or NULL. */
int layer_dense_forward_own(struct layer *l, struct model *m, cl_mem x, cl_mem y, size_t y_off,
                            int batch, cl_mem w_panels);

/* A whole training step of an all-dense model in fewer launches (layers/dense_stack.c), where
 * the plan takes it (plan.dense_stack: 2 or more dense layers on clnet's own GEMM, the top one
 * without activation, the arena within the kernel's ints and the device's largest buffer):
 * open allocates its arena for batches of up to rows; step runs the forward of rows x (B, I)
 * with labels (B), the loss into row_loss / row_correct at row_off (as
 * op_loss_forward_backward), and the backward into the grads arena or, with plan.sgd_fused,
 * the update. The layers' y and dx buffers are not written. */
struct dense_stack;
int dense_stack_open(struct dense_stack **s, const struct model *m, int rows);
int dense_stack_step(struct dense_stack *s, struct model *m, cl_mem x, cl_mem labels,
                     cl_mem row_loss, cl_mem row_correct, size_t row_off, int batch, int loss);
/* Copies the first layer's W back into params' rows when the stack's steps left them behind
 * (model_params_sync). */
int dense_stack_sync(struct dense_stack *s, struct model *m);
void dense_stack_free(struct dense_stack *s);

/* y (rows, o) = the sum of the k blocks of x (rows, k o), in block order: add's forward, and
 * the graph's sum of a node's gradients (model/graph_run.c). Needs PROGRAM_ADD. */
int layer_add_blocks(struct runtime *rt, cl_mem y, cl_mem x, size_t o, int k, size_t rows);

/* "h (100), input (784)": the nodes a merging layer (add, concat) reads, with their shapes,
 * for its shape errors. */
void layer_inputs_describe(char *buf, size_t n, const struct layer_shape *ls,
                           const struct layer_spec *s);

/* Helpers shared by kinds: the default y / dx buffers of B x O and B x I floats. */
int layer_alloc_outputs(struct layer *l, struct model *m, int max_batch, bool need_dx);
void layer_free_outputs(struct layer *l);

#endif
