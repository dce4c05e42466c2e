/* clnet grad: the gradient of the loss with respect to the input rows given, and to named
 * layers' outputs, for a model's weights (question 3 (b): numbers to compare a derivation
 * with). Dropout runs as the identity, as in gradcheck. */
#ifndef CLNET_TRAIN_GRAD_H
#define CLNET_TRAIN_GRAD_H

#include <stdio.h>

#include "config/experiment.h"

#define GRAD_MAX_ROWS 1000 /* rows of one call */

struct grad_request {
    const char *weights;     /* a safetensors file, or NULL for the config's init */
    const char *device_flag; /* --device, or NULL */
    const char *cl_dir;      /* --cl-dir, or NULL */
    const char *inputs;      /* rows of the model's input width (as eval --inputs) */
    const char *targets;     /* one class per row, for the classification loss */
    const char *nodes;       /* "h,y": layers' names, or NULL */
};

/* Writes to out the loss, then dL/dx (a header, a line per row: its line number in inputs and
 * the values), then dL/dNODE for each named node the same way. e's dropout is set to p = 0. A
 * file that does not parse, a target outside the classes, a count that differs or an unknown
 * node: one line, exit 2. */
int grad_rows(struct experiment *e, const struct grad_request *q, FILE *out);

#endif
