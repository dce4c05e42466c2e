/* What gradcheck.c and gradcheck_print.c share: the state of one check and one tensor's
 * result. Internal to src/check/. */
#ifndef CLNET_CHECK_GRADCHECK_INTERNAL_H
#define CLNET_CHECK_GRADCHECK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "check/gradcheck.h"
#include "check/host_model.h"
#include "data/mnist.h"
#include "model/model.h"

enum { MAX_DRAWS = 8 }; /* input draws tried until device and host agree on every kink side */

struct gradcheck {
    const struct gradcheck_options *o;
    struct experiment *e;
    FILE *out;
    struct runtime *rt;
    struct model m;
    struct host_model h;
    struct mnist data;
    bool use_data;
    char source[512]; /* where the inputs come from, for the report */
    int batch, classes;
    float *params; /* (P) initial parameters */
    float *grads;  /* (P) the device's gradients */
    float *dx;     /* (B, F) the device's gradient with respect to the input (--wrt input) */
    float *x;      /* (B, F) */
    float *y;      /* (B, O) one layer's device output */
    int32_t labels[GRADCHECK_BATCH];
    int rows[GRADCHECK_BATCH]; /* training-image indices when use_data */
    cl_mem x_dev, labels_dev, dz, row_loss, row_correct;
    cl_mem row_terms; /* (terms, B) train.loss's list form */
};

struct tensor_result {
    char name[48], shape[64];
    int rank;
    int64_t dims[4];
    size_t total, checked, one_sided, skipped;
    bool matrix;        /* [I, O]: element (i, o) multiplies input i (dense's weights) */
    size_t zero_inputs; /* matrix weights of inputs 0 in every row: checked to be exactly 0 */
    double max_abs, max_rel;
    size_t worst; /* index of the largest relative error */
    double worst_device, worst_fd;
    bool ok;
};

/* The report's parts (gradcheck_print.c). */
void gradcheck_print_row(FILE *out, const struct tensor_result *t);
void gradcheck_print_header(struct gradcheck *g, int draw, size_t disagree);
void gradcheck_print_notes(struct gradcheck *g);

#endif
