/* The training loop and evaluation. Data lives on the device as bytes; each step gathers its
 * batch there from an index list uploaded once per chunk of steps; the host waits for the
 * device only at chunk ends (progress, evaluation, checkpoint), never inside a chunk. */
#ifndef CLNET_TRAIN_TRAIN_H
#define CLNET_TRAIN_TRAIN_H

#include <stdbool.h>

#include "config/experiment.h"

struct train_options {
    const char *out_dir;     /* NULL: runs/NAME */
    const char *device_flag; /* --device, or NULL */
    const char *cl_dir;      /* --cl-dir, or NULL */
    bool quiet, verbose;
    bool restart;            /* --restart: discard a checkpoint in out_dir instead of resuming */
    double process_start;    /* monotonic seconds when the process started */
    bool fused_sgd;          /* --fused-sgd: plain SGD inside the GEMMs where it can (default) */
    bool dense_stack;        /* --dense-stack: an all-dense step in few launches (default) */
    /* `clnet compile-helper ...` with this run's config, flags and settings: what a cold start
     * starts when the device's quirks want a compile helper (runtime/quirks.h); NULL: none */
    const char *const *helper_argv;
};

/* Trains e and writes its run directory. CLNET_ERR_DIVERGED when the loss became non-finite
 * (summary.json says diverged and where); other codes for failures. */
int train_run(const struct experiment *e, const struct train_options *o);

/* The compile helper's work (`clnet compile-helper`, runtime/quirks.h): opens a trainer of e
 * as train_run would and, where the driver compiles kernels at their first launch, launches
 * the second half of the kernels of one training step, so that they are in the driver's cache
 * when the training process reaches them. Writes nothing of the run. */
int train_warm_kernels(const struct experiment *e, const struct train_options *o);

/* Test-set loss and accuracy of a model whose weights come from `weights` (a safetensors
 * file) or, when NULL, from the experiment's init; with terms (room for train.loss's n_terms),
 * each term's mean before its weight; with cm, also its confusion matrix over the test set
 * (report/confusion.h; the caller frees it). */
struct confusion;
int train_evaluate(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, double *test_loss, double *test_acc, double *terms,
                   struct confusion *cm);

#endif
