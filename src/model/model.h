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
#include "model/loss_terms.h"
#include "model/plan.h"
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
    size_t n_state;      /* S: the values of the layers' state tensors (layer.h) */
    cl_mem state;        /* (S): not trained; set to the tensors' init values by model_build */
    size_t input_size;   /* F */
    size_t output_size;  /* K */
    uint64_t step;       /* the training iteration being run (dropout masks are keyed by it) */
    uint64_t first_row;  /* the batch row this process's row 0 is (data-parallel ranks) */
    /* How it runs on this device: every fast path, chosen once by model_build (model/plan.h);
     * each layer's part is its layer.plan. */
    struct plan plan;
    struct dense_stack *stack; /* the dense stack's buffers when plan.dense_stack.on */
    /* Bumped by every write to params other than a training step's (model_params_written):
     * the dense stack's panel-major first W follows it. */
    uint64_t params_version;
    /* params' first W is behind the dense stack's panel-major one (a fused step updated only
     * that): model_params_sync, which every reader of params but the stack's step calls first,
     * copies it back. */
    bool params_behind;
    /* The rate of a plain SGD step fused into the dW GEMMs (plan.sgd_fused), set per step. */
    float sgd_lr;
    /* A graph model's buffers (model/graph_run.c), when plan.graph.on; else NULL. */
    struct graph_run *graph_run;
    /* With plan.needs.input_grad, model_backward also writes dL/dx into input_dx (B, F), a
     * layer's buffer or the graph's (gradcheck --wrt input, clnet grad). */
    cl_mem input_dx;
    /* train.loss's list form resolved (n 0: the scalar form) and its device buffers
     * (model/loss_run.c), else NULL. */
    struct loss_terms terms;
    struct loss_run *loss_run;
};

/* Infers shapes, finds every layer's kind (a layer this build cannot run is a config error at
 * its line), lays out the arenas, plans the model for this device and needs (model/plan.h)
 * and allocates every buffer for batches up to max_batch. model_build plans for evaluation and
 * the checks (plan_needs_eval: gradients into the arena, no training fusions); the state
 * arena gets its tensors' init values. */
int model_build(struct model *m, struct runtime *rt, const struct experiment *e, int max_batch);
int model_build_for(struct model *m, struct runtime *rt, const struct experiment *e,
                    int max_batch, const struct plan_needs *needs);
/* Plans the built model again for other needs (a divergence replay reads every layer's
 * output); allocates what the new plan needs and the old one did not. */
int model_replan(struct model *m, const struct plan_needs *needs);
/* model_build for the gradients beside the parameters' (plan_needs's input_grad and
 * node_grads): MODEL_INPUT_GRAD, model_backward also gives the loss's gradient with respect
 * to the input (m->input_dx); MODEL_NODE_GRADS, each layer's output's too (model_node_grad),
 * through the graph's executor even for a stack. */
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
 * rng seeded by the experiment's seed, layer by layer, weights before biases; and sets the
 * device's state arena: a layer whose weights come from a file takes its state tensors from
 * that file when it holds them (best.safetensors), the others their init values. */
int model_init_params(struct model *m, float *host_params);

int model_upload_params(struct model *m, const float *host_params);
int model_download_params(struct model *m, float *host_params);
/* Makes m->params current for a reader on the device (model_forward, model_backward and
 * model_download_params call it; so must any other code that reads the buffer directly). */
int model_params_sync(struct model *m);
/* After writing m->params other than through model_upload_params (a device copy). */
void model_params_written(struct model *m);

/* The state arena (S) from or to the host (checkpoints); nothing to do when S is 0. */
int model_upload_state(struct model *m, const float *host_state);
int model_download_state(struct model *m, float *host_state);

/* *logits (B, K) for x (B, F); train: the training step's behaviour (dropout, batch
 * statistics). A graph model runs its nodes in the graph's order (model/graph_run.c). */
int model_forward(struct model *m, cl_mem *logits, cl_mem x, int batch, bool train);

/* Parameter gradients into m->grads for the last forward's batch x (B, F), given dlogits
 * (B, K), which it overwrites. */
int model_backward(struct model *m, cl_mem x, cl_mem dlogits, int batch);

/* A training step's buffers: the batch x (B, F) and its labels (B), the loss gradient (B, K),
 * and the rows' losses and hits at row_off in row_loss and row_correct. With train.loss's
 * list form, x_clean is the batch before data.noise (mse's target: clean; NULL: x), and term
 * t's row values go to row_terms at t terms_stride + row_off (row_loss gets their weighted
 * sum; dz is unused). */
struct model_batch {
    cl_mem x, labels, dz, row_loss, row_correct;
    size_t row_off;
    int rows, classes, loss; /* B, K, enum loss_kind */
    cl_mem x_clean, row_terms;
    size_t terms_stride;
};
/* The list form's loss step (model/loss_run.c): every term's row values and gradient slot,
 * in the list's order, then each row's weighted sum into row_loss (and 0 hits into row_correct
 * when no term classifies). */
int model_loss_terms(struct model *m, const struct model_batch *b);
/* The plan's training step up to its update (forward, loss, backward, or the dense stack):
 * gradients into the grads arena, or with plan.sgd_fused the update applied (at sgd_lr). */
int model_train_pass(struct model *m, const struct model_batch *b);

/* After a forward: the first layer whose output (first `batch` rows) holds a NaN or infinity,
 * or -1; reads the outputs back (diagnostics only, never on the training path). */
int model_first_nonfinite_layer(struct model *m, int *layer, int batch);

/* Writes the weights as safetensors (layers.I.weight, layers.I.bias, in the layouts of the
 * kinds' param parts: dense [in, out], conv2d [out, in, rows, cols]) from host_params (P),
 * each layer's state tensors after them (layers.I.NAME, read from the device's arena). */
int model_save_safetensors(struct model *m, const float *host_params, const char *path);

/* Fills host_params (P) from a safetensors file with the names and shapes above, and the
 * device's state arena from its state tensors; a missing tensor or another shape is a data
 * error naming the tensor. */
int model_load_safetensors(struct model *m, float *host_params, const char *path);

/* One layer's weights (bias false) or biases from a safetensors file (init: {file: ...}). */
int layer_load_param(const struct layer *l, bool bias, const char *path, float *dst);

#endif
