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
};

/* Trains e and writes its run directory. CLNET_ERR_DIVERGED when the loss became non-finite
 * (summary.json says diverged and where); other codes for failures. */
int train_run(const struct experiment *e, const struct train_options *o);

/* Test-set loss and accuracy of a model whose weights come from `weights` (a safetensors
 * file) or, when NULL, from the experiment's init; with cm, also its confusion matrix over the
 * test set (report/confusion.h; the caller frees it). */
struct confusion;
int train_evaluate(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, double *test_loss, double *test_acc, struct confusion *cm);

#endif
