/* Shape inference: walks an experiment's input and layers on the host, before any device
 * exists, and gives every layer its input and output shape, parameter count and forward cost.
 * A config with an impossible shape fails here with the layer's file:line:col, so it never
 * starts a device. Also prints the layer table of `clnet summary` (and of train).
 *
 * Shapes are per image: (F) for flat vectors, (C, H, W) for images; the batch N is not part
 * of them. Counts use int64_t and every product is checked, so no size wraps around. */
#ifndef CLNET_MODEL_SHAPE_H
#define CLNET_MODEL_SHAPE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/experiment.h"
#include "model/graph.h"

/* (F) when rank is 1, (C, H, W) when rank is 3. */
struct tensor_shape {
    int rank;
    int dim[EXPERIMENT_MAX_RANK];
};

/* FLOPs convention: 2 per multiply-add of a forward pass, per image. dense: 2 * in * out;
 * conv2d: 2 * Cin * size_rows * size_cols * Cout * Hout * Wout. Bias adds, activations,
 * dropout and the loss are not counted (as darknet and most papers count). */
struct layer_shape {
    struct tensor_shape in, out; /* in: for a kind reading several nodes, them packed (F) */
    int n_in;                    /* the nodes it reads (model/graph.h) and their shapes */
    struct tensor_shape ins[LAYER_MAX_INPUTS];
    int64_t weights; /* dense: in * units; conv2d: Cout * Cin * rows * cols */
    int64_t biases;  /* dense: units; conv2d: Cout */
    int64_t flops;   /* forward, per image; see the convention above */
};

struct model_shape {
    struct tensor_shape input;
    struct graph graph;         /* what each layer reads, and the order they run in */
    int n_layers;
    struct layer_shape *layers; /* (n_layers) */
    int64_t parameters;         /* sum of weights and biases over the layers */
    int64_t flops;              /* forward, per image */
    int64_t largest_activation; /* most values per image in the input or any layer output */
};

/* Infers every layer's shape from e->input and e->layers (layers numbered from 0), each by its
 * kind's infer part (layers/NAME.c says its rule). Errors are CLNET_ERR_CONFIG with
 * "FILE:LINE:COL: layer I (kind): what". On success *out owns memory: release it with
 * shape_free. On failure *out is left freed. */
int shape_infer(struct model_shape *out, const struct experiment *e);

/* The classes of every data set clnet reads (MNIST's ten digits). */
#define SHAPE_CLASSES 10

/* The last layer must give one score per class: rank 1 of SHAPE_CLASSES values. What train
 * and eval refuse (train/session.c) and summary refuses too, without the data. With
 * train.loss's list form, each term's checks instead (model/loss_terms.h): a model without
 * a classification term may give any output. */
int shape_check_classes(const struct experiment *e, const struct model_shape *s);

/* Frees what shape_infer allocated; safe on a zeroed struct and twice. */
void shape_free(struct model_shape *s);

/* Number of values in the shape (1 for rank 0). */
int64_t tensor_shape_size(const struct tensor_shape *t);

/* Writes "(784)" or "(12, 7, 7)" into buf (always terminated); returns buf. */
char *tensor_shape_format(char *buf, size_t n, const struct tensor_shape *t);

/* For the kinds' infer parts. Records "FILE:LINE:COL: layer I (kind): what" as the error
 * message, in the loader's format (config_errorf_at); a layer built without a file falls back
 * on the experiment's path. Returns CLNET_ERR_CONFIG. */
int shape_layer_error(const struct experiment *e, int i, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* *r = a * b (a, b >= 0), and the product of n values: false when it would not fit. */
bool shape_mul_ok(int64_t *r, int64_t a, int64_t b);
bool shape_prod_ok(int64_t *r, int n, const int64_t *v);

/* out (rows, cols) of a window of size, stride and pad (each (rows, cols)) sliding over the
 * (C, H, W) input as PyTorch's conv2d and pooling: floor((H + 2 pad - size) / stride) + 1;
 * size and stride at least 1, pad at least 0, and the window within the padded input, else
 * shape_layer_error. */
int shape_window(int out[2], const struct experiment *e, int i, const struct tensor_shape *in,
                 const int size[2], const int stride[2], const int pad[2]);

/* "5" when both values agree, else "5x3"; returns buf. */
const char *shape_pair(char *buf, size_t n, const int v[2]);

/* Writes a layer's kind and key options, e.g. "conv2d 8 5x5/2 pad 2 relu", "dense 10",
 * "dropout 0.25"; returns buf. */
char *shape_describe_layer(char *buf, size_t n, const struct layer_spec *l);

/* Prints the layer table (index, layer, output shape, parameters, FLOPs) and the totals
 * (parameters, FLOPs per image with their convention, input shape, largest activation,
 * the experiment's name). Returns 0, or CLNET_ERR_IO when writing failed. */
int shape_print_table(FILE *f, const struct experiment *e, const struct model_shape *s);

#endif
