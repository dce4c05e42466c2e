/* What training and evaluation share: the device, the model built on it, the data sets held
 * there as bytes, and the per-batch buffers, all allocated once. Internal to src/train/. */
#ifndef CLNET_TRAIN_SESSION_H
#define CLNET_TRAIN_SESSION_H

#include "config/experiment.h"
#include "data/mnist.h"
#include "data/noise.h"
#include "model/model.h"
#include "runtime/runtime.h"

/* Letters: B batch rows, F values per image, K classes, N images in a split, S step slots. */
struct device_split {
    cl_mem images; /* (N, F) uint8 */
    cl_mem labels; /* (N) uint8 */
    int n;         /* N */
    enum noise_split split; /* its part of data.noise's key */
};

struct session {
    const struct experiment *exp;
    struct runtime *rt;
    struct model model;
    struct mnist data;
    struct device_split train, test;
    struct device_split val; /* data.validation's images held out of the training file; n 0:
                              * none */
    int max_batch;     /* max(batch_size, eval_batch_size) */
    int features;      /* F */
    int classes;       /* K */
    cl_mem x;          /* (B, F) float: the gathered batch, as the model reads it */
    cl_mem x_clean;    /* (B, F) float: the batch before data.noise; x itself without it */
    cl_mem noise_table; /* (NOISE_TABLE_SIZE) float with data.noise, else NULL */
    uint64_t noise_key; /* noise_key(seed) */
    cl_mem y;          /* (B) int32: its labels */
    cl_mem dz;         /* (B, K) loss gradient */
    cl_mem row_loss;   /* (B) */
    cl_mem row_correct; /* (B) */
    cl_mem row_terms;  /* (terms, B) train.loss's list form: each term's row values */
    cl_mem eval_terms; /* (eval slots, terms, 2) their sums per evaluation batch */
    cl_mem eval_index; /* (max N) int32 0, 1, 2, ... */
    cl_mem eval_acc;   /* (ceil(max N / eval batch), 2) */
    int eval_slots;
};

/* Loads the data, opens the device, builds the model planned for needs (NULL: evaluation's,
 * plan_needs_eval) and every buffer. Data or shape mismatches are config errors before any
 * device work. */
int session_open(struct session *s, const struct experiment *e, const char *device_flag,
                 const char *cl_dir, const struct plan_needs *needs);
void session_close(struct session *s);

/* The item number session_gather takes for an evaluation's batch: evaluation's fixed pass. */
#define SESSION_EVAL UINT64_MAX

/* The batch the model reads into x: rows of split d named by index from index_off, gathered
 * into x_clean and, with data.noise, noised into x. pos0 is the sampler's item number of row
 * 0 while training (step t's row r is item t B + r, so an image's pass over the data is its
 * item number / N), or SESSION_EVAL. */
int session_gather(struct session *s, const struct device_split *d, cl_mem index,
                   size_t index_off, int rows, uint64_t pos0);

/* Mean loss and accuracy of the model over a whole split (forward only, batches of
 * eval_batch_size, summed in double on the host). With train.loss's list form the loss is
 * the terms' weighted sum, and the accuracy NaN when no term classifies. */
int session_evaluate(struct session *s, const struct device_split *d, double *loss,
                     double *acc);
/* session_evaluate, and with train.loss's list form each term's mean value over the split
 * (before its weight) into terms (n terms), when terms is not NULL. */
int session_evaluate_terms(struct session *s, const struct device_split *d, double *loss,
                           double *acc, double *terms);

#endif
