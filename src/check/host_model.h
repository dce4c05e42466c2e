/* A double-precision host forward pass of a whole model and its loss: the oracle `clnet
 * gradcheck` differentiates by finite differences. It reads the same parameter arena layout
 * as the device model (layer offsets from struct model) and runs every layer's host
 * reference (its kind's host_forward, layers/layer.h), in training mode, leaving any kind's
 * state alone (state NULL); gradcheck runs dropout with p = 0. Each layer's branches (a
 * ReLU's or step's side of its kink: ReLU active when z > 0, step on when z >= 0, the
 * device's conventions; a max pool's choice in each window) are recorded in the base pass,
 * so a perturbed pass can say whether it crossed one.
 *
 * With train.loss's list form the loss is its terms' weighted sum (each as the device's: the
 * mean over the rows of its value on its node's output); an mse target (the input, a node's
 * output) is the base pass's, a constant, as the device's gradient takes it.
 *
 * Letters: B batch rows, F input values per image, O a layer's outputs per image, K classes,
 * P parameters. */
#ifndef CLNET_CHECK_HOST_MODEL_H
#define CLNET_CHECK_HOST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct host_layer {
    const struct layer *layer; /* the device model's: kind, spec, shape, offsets */
    int act;                   /* enum activation its kind applies; identity if none */
    bool kinked;               /* ReLU or step applied: the device's sides are comparable */
    size_t in_size, out_size;  /* I, O per image */
    double *out;               /* (B, O) base pass output */
    double *scratch;           /* (B, O) perturbed pass output */
    int32_t *branch;           /* (B, O) base pass branches */
    int32_t *branch_scratch;   /* (B, O) perturbed pass branches */
    double *packed;            /* (B, I): a merging layer's inputs, packed; else NULL */
};

struct host_model {
    const struct model *m;
    int n_layers;
    struct host_layer *layers;
    int batch;         /* B */
    int classes;       /* K */
    int loss;          /* enum loss_kind */
    size_t input_size; /* F */
    size_t n_params;   /* P */
    double *params;    /* (P): change an entry, call host_model_loss_from, restore it */
    double *x;         /* (B, F) */
    double *x_target;  /* (B, F) mse's target input or clean: x as drawn, held constant (a
                        * difference of x moves the model's input, not the target) */
    int32_t *labels;   /* (B) */
    double base_loss;  /* mean loss of the last host_model_base */
    int *pos;          /* (n_layers): each layer's position in the graph's order */
};

/* Copies the model's layer structure, params (P floats, widened), x (B, F) and labels (B);
 * runs nothing. loss is an enum loss_kind. m must outlive h. */
int host_model_init(struct host_model *h, const struct model *m, const float *params,
                    const float *x, const int32_t *labels, int batch, int loss);
void host_model_free(struct host_model *h);

/* After x is set for a new draw: mse's target input (x_target) is that x. */
void host_model_inputs_set(struct host_model *h);

/* The base pass at the current params: every layer's output and branches, and base_loss. */
void host_model_base(struct host_model *h);

/* The mean loss with layers from `first` on in the graph's order recomputed at the current
 * params (layers before it keep their base outputs: call it after changing a parameter of
 * layer `first` or one after it).
 * *crossed is set when a unit of those layers took another branch than in the base pass. */
double host_model_loss_from(struct host_model *h, int first, bool *crossed);

/* The base pass's output of layer i (B, O), or the input for i < 0. */
const double *host_model_output(const struct host_model *h, int i);

/* The base pass's x of layer i (B, I), the output of the node it reads; NULL for a merging
 * layer (add, concat). */
const double *host_model_input(const struct host_model *h, int i);

#endif
