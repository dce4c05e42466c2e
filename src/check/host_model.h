/* A double-precision host forward pass of a whole model and its loss: the oracle `clnet
 * gradcheck` differentiates by finite differences. It reads the same parameter arena layout
 * as the device model (layer offsets from struct model) and computes every layer in double:
 * dense, conv2d (PyTorch's cross-correlation, zero padding), flatten, activation, and dropout
 * as the identity (gradcheck runs it with p = 0). For ReLU and step units it records which
 * side of the kink each pre-activation lies on (ReLU active when z > 0, step on when z >= 0:
 * the device's conventions), so a perturbed pass can say whether it crossed a kink.
 *
 * Letters: B batch rows, F input values per image, O a layer's outputs per image, K classes,
 * P parameters. */
#ifndef CLNET_CHECK_HOST_MODEL_H
#define CLNET_CHECK_HOST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "ops/ops.h"

struct host_layer {
    enum layer_type type;
    int act;                  /* enum activation; identity for flatten and dropout */
    bool kinked;              /* ReLU or step: records kink sides */
    size_t in_size, out_size; /* I, O per image */
    size_t w_off, b_off;      /* into params (floats as in the device arena) */
    struct conv_geom g;       /* conv2d only */
    double *out;              /* (B, O) base pass output; NULL for a view of its input */
    double *scratch;          /* (B, O) perturbed pass output; NULL for a view */
    unsigned char *side;      /* (B, O) base kink sides (kinked layers), else NULL */
};

struct host_model {
    int n_layers;
    struct host_layer *layers;
    int batch;         /* B */
    int classes;       /* K */
    int loss;          /* enum loss_kind */
    size_t input_size; /* F */
    size_t n_params;   /* P */
    double *params;    /* (P): change an entry, call host_model_loss_from, restore it */
    double *x;         /* (B, F) */
    int32_t *labels;   /* (B) */
    double base_loss;  /* mean loss of the last host_model_base */
};

/* Copies the model's layer structure, params (P floats, widened), x (B, F) and labels (B);
 * runs nothing. loss is an enum loss_kind. */
int host_model_init(struct host_model *h, const struct model *m, const float *params,
                    const float *x, const int32_t *labels, int batch, int loss);
void host_model_free(struct host_model *h);

/* The base pass at the current params: every layer's output and kink sides, and base_loss. */
void host_model_base(struct host_model *h);

/* The mean loss with layers from `first` on recomputed at the current params (layers below
 * keep their base outputs: call it after changing a parameter of layer `first` or above).
 * *crossed is set when a ReLU or step unit of those layers lies on another side of its kink
 * than in the base pass. */
double host_model_loss_from(struct host_model *h, int first, bool *crossed);

/* The base pass's output of layer i (B, O), or the input for i < 0; views resolve to the
 * buffer they alias. */
const double *host_model_output(const struct host_model *h, int i);

/* act(z) in double for an enum activation (the formulas of cl/common.h, one precision up). */
double host_act(double z, int act);

#endif
