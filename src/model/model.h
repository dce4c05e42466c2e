/* A model on a device: its layers, one parameter arena and one gradient arena (every layer sees
 * (buffer, offset) views into them, so the optimizer is one launch), and every activation
 * buffer, all allocated once when the model is built for a largest batch.
 *
 * Letters: B batch rows (<= max_batch), F input values per image, K classes, P parameters. */
#ifndef CLNET_MODEL_MODEL_H
#define CLNET_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/experiment.h"
#include "layers/layer.h"
#include "model/shape.h"
#include "runtime/runtime.h"

struct model {
    struct runtime *rt;
    const struct experiment *exp;
    struct model_shape shape;
    int n_layers;
    struct layer *layers;
    int max_batch;
    size_t n_params;     /* P */
    cl_mem params;       /* (P) */
    cl_mem grads;        /* (P) */
    size_t input_size;   /* F */
    size_t output_size;  /* K */
    uint64_t step;       /* the training iteration being run (dropout masks are keyed by it) */
    uint64_t first_row;  /* the batch row this process's row 0 is (data-parallel ranks) */
    /* When sgd_fused is set (by the trainer: layer_dense_fuses_sgd), model_backward also applies
     * plain SGD with rate sgd_lr to every parameter inside the layers' dW GEMMs, and leaves the
     * grads arena unwritten. */
    bool sgd_fused;
    float sgd_lr;
    /* Set while every layer's output is read on the host as (B, O) rows (layer_stats, a
     * divergence replay); otherwise conv layers pass batch-minor tensors to each other
     * (ops.h's conv_geom). */
    bool plain_outputs;
    /* A graph model's buffers (model/graph_run.c); NULL for the plain stack. */
    struct graph_run *graph_run;
    /* Built with MODEL_INPUT_GRAD: model_backward also writes dL/dx into input_dx
     * (B, F), a layer's buffer or the graph's (gradcheck --wrt input, clnet grad). */
    bool input_grad;
    cl_mem input_dx;
    bool node_grads; /* MODEL_NODE_GRADS (model_build_with) */
};

/* Infers shapes, finds every layer's kind (a layer this build cannot run is a config error at
 * its line), lays out the arenas and allocates every buffer for batches up to max_batch. */
int model_build(struct model *m, struct runtime *rt, const struct experiment *e, int max_batch);
/* model_build for the gradients beside the parameters': MODEL_INPUT_GRAD, model_backward
 * also gives the loss's gradient with respect to the input (m->input_dx); MODEL_NODE_GRADS,
 * each layer's output's too (model_node_grad), through the graph's path even for a stack. */
enum { MODEL_INPUT_GRAD = 1u << 0, MODEL_NODE_GRADS = 1u << 1 };
int model_build_with(struct model *m, struct runtime *rt, const struct experiment *e,
                     int max_batch, unsigned flags);

/* After model_backward of a model built with MODEL_NODE_GRADS: the gradient of the loss with
 * respect to layer i's output (B, O), or NULL when no gradient reaches it (zero). */
cl_mem model_node_grad(const struct model *m, int i);
void model_free(struct model *m);

/* The kernel programs a run of e needs (RUNTIME_PROGRAM bits, for runtime_open_with): the
 * batch gather and the loss, each layer's own, and the optimizer's when training. A layer type
 * model/programs.c does not know is CLNET_ERR_INTERNAL. */
int model_programs(unsigned *programs, const struct experiment *e, bool training);

/* Fills host_params (P) from the experiment's init schemes, inline weights and files, with one
 * rng seeded by the experiment's seed, layer by layer, weights before biases. */
int model_init_params(const struct model *m, float *host_params);

int model_upload_params(struct model *m, const float *host_params);
int model_download_params(struct model *m, float *host_params);

/* *logits (B, K) for x (B, F); train enables dropout. A graph model (model/graph.h) runs its
 * nodes in the graph's order, backward in reverse, on the plain paths (model/graph_run.c). */
int model_forward(struct model *m, cl_mem *logits, cl_mem x, int batch, bool train);

/* Parameter gradients into m->grads for the last forward's batch x (B, F), given dlogits
 * (B, K), which it overwrites. */
int model_backward(struct model *m, cl_mem x, cl_mem dlogits, int batch);

/* After a forward: the first layer whose output (first `batch` rows) holds a NaN or infinity,
 * or -1; reads the outputs back (diagnostics only, never on the training path). */
int model_first_nonfinite_layer(struct model *m, int *layer, int batch);

/* Writes the weights as safetensors (layers.I.weight, layers.I.bias, in the layouts of the
 * kinds' param parts: dense [in, out], conv2d [out, in, rows, cols]) from host_params (P). */
int model_save_safetensors(const struct model *m, const float *host_params, const char *path);

/* Fills host_params (P) from a safetensors file with the names and shapes above; a missing
 * tensor or another shape is a data error naming the tensor. */
int model_load_safetensors(const struct model *m, float *host_params, const char *path);

/* One layer's weights (bias false) or biases from a safetensors file (init: {file: ...}). */
int layer_load_param(const struct layer *l, bool bias, const char *path, float *dst);

#endif
