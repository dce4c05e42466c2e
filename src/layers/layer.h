/* The layer interface: a kind is one file, src/layers/NAME.c, that owns everything about it
 * and ends in one LAYER_KIND_DEFINE naming each part (below), plus its row in the registry
 * (layers/kinds.def). Everything else iterates over the registry: shape inference
 * (model/shape.c), the parameter tensors' names and shapes (model.c, gradcheck, layer_stats),
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

struct layer {
    const struct layer_kind *kind;
    const struct layer_spec *spec;
    int index;
    const struct layer_shape *shape; /* in, out, weights, biases, flops */
    size_t in_size, out_size;        /* values per image: I, O */
    size_t w_off, b_off;             /* into the model's params and grads arenas, in floats */
    cl_mem y;  /* (B, O) output; NULL for a kind that returns a view of its input */
    cl_mem dx; /* (B, I) gradient for the layer below; NULL when not needed or a view */
    cl_mem out;                      /* what the last forward returned: l->y or an alias */
    void *priv;                      /* the kind's own state, freed by its free */
};

/* A parameter tensor as files and reports see it (safetensors layers.I.weight / .bias):
 * rank 0 when the layer has none. unit_axis is the axis that runs over the layer's outputs
 * (dense [I, O]: 1; conv2d [K, C, R, S]: 0), for per-unit statistics. */
struct param_tensor {
    int rank;
    int64_t dims[4];
    int unit_axis;
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
     * the training step's behaviour (dropout's masks), else evaluation's. */
    int (*forward)(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch, bool train);
    /* Given dy (B, O), which it may overwrite, writes the parameter gradients into the grads
     * arena and, unless need_dx is false, *dx (B, I): usually l->dx, or dy itself for a view. */
    int (*backward)(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy, int batch,
                    bool need_dx);
    void (*free)(struct layer *l);
    /* --- the host reference, in double (gradcheck's host model, selfcheck) */
    /* y (B, O) for x (B, I) at params (the whole arena, the layer's slices at l->w_off and
     * l->b_off) in training mode. branch (B, O), unless NULL, gets which branch each output
     * took (a ReLU's side of its kink, a max's place in its window): a perturbed pass whose
     * branches differ did not differentiate one smooth function. */
    void (*host_forward)(const struct layer *l, const struct model *m, const double *params,
                         const double *x, double *y, int batch, int32_t *branch);
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
#define LAYER_KIND_DEFINE(NAME, infer_, describe_, param_, programs_, activates_, setup_,      \
                          init_, forward_, backward_, free_, host_forward_, host_backward_,    \
                          examples_)                                                           \
    LAYER_KIND_DEFINE_INPUTS(NAME, 1, infer_, describe_, param_, programs_, activates_, setup_, \
                             init_, forward_, backward_, free_, host_forward_, host_backward_, \
                             examples_)
/* A kind that reads several nodes (add, concat): as above, and its x is its inputs packed
 * row by row, each row [input 0's row, input 1's row, ...] (model/graph.h; ls->ins in its
 * infer has their shapes). */
#define LAYER_KIND_DEFINE_MERGE(NAME, infer_, describe_, param_, programs_, activates_, setup_, \
                                init_, forward_, backward_, free_, host_forward_,              \
                                host_backward_, examples_)                                     \
    LAYER_KIND_DEFINE_INPUTS(NAME, LAYER_MAX_INPUTS, infer_, describe_, param_, programs_,     \
                             activates_, setup_, init_, forward_, backward_, free_,            \
                             host_forward_, host_backward_, examples_)
#define LAYER_KIND_DEFINE_INPUTS(NAME, max_inputs_, infer_, describe_, param_, programs_,      \
                                 activates_, setup_, init_, forward_, backward_, free_,        \
                                 host_forward_, host_backward_, examples_)                     \
    const struct layer_kind layer_kind_##NAME = {                                              \
        .name = #NAME,                                                                         \
        .max_inputs = max_inputs_,                                                             \
        .infer = infer_,                                                                       \
        .describe = describe_,                                                                 \
        .param = param_,                                                                       \
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

/* Whether m's backward can apply plain SGD inside its GEMMs (model.sgd_fused): every layer is
 * dense on clnet's own GEMM kernels and the top one has no activation, so every layer's dz
 * and db come out of GEMMs (layers/dense.c). */
bool layer_dense_fuses_sgd(const struct model *m);

/* A dense layer's forward on clnet's own kernels, y = act(x W + b) in one GEMM, into y at y_off
 * floats (dense_forward's and dense_stack's common part). */
int layer_dense_forward_own(struct layer *l, struct model *m, cl_mem x, cl_mem y, size_t y_off,
                            int batch);

/* A dense layer on clnet's own kernels: dW = x^T dz and db from one launch, into the grads
 * arena or, with model.sgd_fused, applied to the parameters; x and dz at offsets (in floats)
 * into their buffers (dense_backward's and dense_stack's common part). */
int layer_dense_dw(struct layer *l, struct model *m, cl_mem x, size_t x_off, cl_mem dz,
                   size_t dz_off, int batch);

/* A whole training step of an all-dense model in fewer launches (layers/dense_stack.c):
 * usable when the model has 2 or more layers and layer_dense_fuses_sgd holds; open allocates
 * its arena for batches of up to rows, or leaves *s NULL and says why (a sentence after "the
 * dense stack is off: ") when its layout does not fit the kernel's int offsets or one device
 * buffer, where the per-layer path trains the model instead; step runs the forward of rows x (B, I) with labels (B), the
 * loss into row_loss / row_correct at row_off (as op_loss_forward_backward), and the backward
 * into the grads arena or, with model.sgd_fused, the update. The layers' y and dx buffers are
 * not written. */
struct dense_stack;
bool dense_stack_usable(const struct model *m);
int dense_stack_open(struct dense_stack **s, const struct model *m, int rows, char *why,
                     size_t why_size);
int dense_stack_step(const struct dense_stack *s, struct model *m, cl_mem x, cl_mem labels,
                     cl_mem row_loss, cl_mem row_correct, size_t row_off, int batch, int loss);
void dense_stack_free(struct dense_stack *s);

/* y (rows, o) = the sum of the k blocks of x (rows, k o), in block order: add's forward, and
 * the graph's sum of a node's gradients (model/graph_run.c). Needs PROGRAM_ADD. */
int layer_add_blocks(struct runtime *rt, cl_mem y, cl_mem x, size_t o, int k, size_t rows);

/* "h (100), input (784)": the nodes a merging layer (add, concat) reads, with their shapes,
 * for its shape errors. */
void layer_inputs_describe(char *buf, size_t n, const struct layer_shape *ls,
                           const struct layer_spec *s);

/* Whether m's layers form the plain stack (model/graph.h's linear) and run as one: each reads
 * the layer before it alone, so a kind may look at its neighbours (dense's fused epilogues,
 * conv2d's batch-minor layouts). Graph models, and a stack built for its layers' gradients
 * (MODEL_NODE_GRADS), take the plain paths. */
bool layer_in_stack(const struct model *m);
/* Whether layer l may be asked for its input gradient: in a stack, every layer but the first
 * (the first too for a model built for the input's gradient); in a graph, any. */
bool layer_needs_dx(const struct model *m, const struct layer *l);

/* Helpers shared by kinds: the default y / dx buffers of B x O and B x I floats. */
int layer_alloc_outputs(struct layer *l, struct model *m, int max_batch, bool need_dx);
void layer_free_outputs(struct layer *l);

#endif
