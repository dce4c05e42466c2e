/* The layer interface: one `const struct layer_kind` of function pointers per kind, each in its
 * own file, found by type in registry.c (the only switch on a kind). Shapes and parameter
 * counts come from model/shape.c before any device work; a kind here only allocates its
 * buffers, fills its parameters on the host, and runs forward and backward on the device.
 *
 * Letters: B rows of the batch (at most model.max_batch), I inputs and O outputs per image. */
#ifndef CLNET_LAYERS_LAYER_H
#define CLNET_LAYERS_LAYER_H

#include <stdbool.h>
#include <stddef.h>

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

struct layer_kind {
    const char *name;
    /* Allocates the layer's buffers for batches of up to max_batch rows (all allocation
     * happens here, none in forward or backward). */
    int (*setup)(struct layer *l, struct model *m, int max_batch);
    /* Fills weights (w, l->shape->weights values) and biases (b) on the host from the
     * experiment's init (or the layer's inline values), drawing from rng in a fixed order. */
    int (*init_params)(struct layer *l, const struct model *m, float *w, float *b,
                       struct rng *rng);
    /* *y = the layer's output for x (B, I); usually l->y, or x itself for a view. */
    int (*forward)(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch, bool train);
    /* Given dy (B, O), which it may overwrite, writes the parameter gradients into the grads
     * arena and, unless need_dx is false, *dx (B, I): usually l->dx, or dy itself for a view. */
    int (*backward)(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy, int batch,
                    bool need_dx);
    void (*free)(struct layer *l);
};

/* The kind that runs layers of type t, or NULL when it cannot be trained by this build (the
 * caller reports which layer). */
const struct layer_kind *layer_kind_find(enum layer_type t);

extern const struct layer_kind layer_dense, layer_conv2d, layer_flatten, layer_dropout,
    layer_activation;

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

/* Helpers shared by kinds: the default y / dx buffers of B x O and B x I floats. */
int layer_alloc_outputs(struct layer *l, struct model *m, int max_batch, bool need_dx);
void layer_free_outputs(struct layer *l);

#endif
