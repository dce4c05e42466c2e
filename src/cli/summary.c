/* `clnet summary CONFIG.yaml [--set key.path=value ...] [--plan]`: loads the experiment (base:
 * chain and overrides applied), infers every layer's shape and prints the layer table with its
 * totals, then the training set's size and the epochs the configured iterations make. Host
 * only: it never starts a device, so it is the quick check of a config; --plan adds the
 * execution plan (model/plan.h) on the device a run would pick, asked for its facts only. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "data/epoch.h"
#include "data/mnist.h"
#include "model/plan.h"
#include "model/shape.h"
#include "runtime/device.h"
#include "util/status.h"

/* "training set: ..." for n images in the file read (path) or MNIST's count (path NULL),
 * data.validation of them held out; returns the images left to train on. */
static int print_training_set(FILE *f, const struct experiment *e, int n, const char *path)
{
    char count[40], left[40], held[40];
    int v = e->data.validation;
    epoch_decimal(count, sizeof count, (struct epoch_ratio){n, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(left, sizeof left, (struct epoch_ratio){n - v, 0, 1}, 0, EPOCH_GROUP);
    epoch_decimal(held, sizeof held, (struct epoch_ratio){v, 0, 1}, 0, EPOCH_GROUP);
    if (!path)
        fprintf(f, "training set: not read (%s); the epochs below count MNIST's %s training "
                   "images", clnet_error_message(), count);
    else
        fprintf(f, "training set: %s images (%s", count, path);
    if (v > 0)
        fprintf(f, "%s%s held out for validation (data.validation), %s train%s\n",
                path ? "; " : ", less ", held, left, path ? ")" : "");
    else
        fprintf(f, "%s\n", path ? "; all of them train: data.validation is 0)" : "");
    return n - v;
}

/* Question 4 (iv)'s numbers. The size comes from the labels file alone; a summary must not
 * fail for want of data (a config is checked before MNIST is fetched), so without the file
 * it counts MNIST's published size and says so. A validation split leaves fewer images to
 * train on, and the epochs count those. */
static int print_epochs(FILE *f, const struct experiment *e)
{
    if (!e->has_train)
        return CLNET_OK;
    char path[4200];
    int n = 0;
    bool read = experiment_check_data_dir(e) == CLNET_OK &&
                mnist_train_count(e->data.dir, &n, path, sizeof path) == CLNET_OK;
    if (!read)
        n = MNIST_TRAIN_IMAGES;
    if (e->data.validation >= n) {
        clnet_error_clear();
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: data.validation %d leaves no image to train "
                            "on: %s holds %d training images", e->path, e->data.validation,
                            read ? e->data.dir : "MNIST", n);
    }
    n = print_training_set(f, e, n, read ? path : NULL);
    clnet_error_clear();
    epoch_print_summary(f, n, e->train.batch_size, e->train.iterations, e->data.shuffle);
    return CLNET_OK;
}

/* The plan a training run of e would take on the device it would open (a run of one rank),
 * found without building a kernel. */
static int print_plan(FILE *f, const struct cli_args *args, const struct experiment *e,
                      const struct model_shape *s)
{
    struct plan_device dev;
    int status = plan_device_find(&dev, runtime_device_spec(args->opt.device, e->device));
    struct plan_needs needs = plan_needs_eval;
    if (e->has_train)
        needs = plan_needs_train(e, 1, e->train.batch_size, args->opt.fused_sgd,
                                 args->opt.dense_stack);
    struct plan p;
    if (status == CLNET_OK)
        status = plan_build(&p, e, s, &dev, &needs);
    if (status == CLNET_OK) {
        fprintf(f, "\n");
        plan_print(f, &p, e);
        plan_free(&p);
    }
    return status;
}

int cli_summary(const struct cli_args *args)
{
    if (args->n_positional < 1)
        return clnet_errorf(CLNET_ERR_USAGE, "summary: no config given (usage: clnet summary "
                                             "CONFIG.yaml [--set key.path=value ...])");
    if (args->n_positional > 1)
        return clnet_errorf(CLNET_ERR_USAGE,
                            "summary: takes one config, got %d (usage: clnet summary "
                            "CONFIG.yaml [--set key.path=value ...])",
                            args->n_positional);

    struct experiment e;
    struct model_shape s;
    memset(&e, 0, sizeof e);
    memset(&s, 0, sizeof s);
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status == CLNET_OK) status = shape_infer(&s, &e);
    /* What train would refuse without the data; a hand-set model (no train:) may give any
     * width to `eval --inputs`. */
    if (status == CLNET_OK && e.has_train) status = shape_check_classes(&e, &s);
    if (status == CLNET_OK) status = shape_print_table(stdout, &e, &s);
    if (status == CLNET_OK) status = print_epochs(stdout, &e);
    if (status == CLNET_OK && args->plan) status = print_plan(stdout, args, &e, &s);
    shape_free(&s);
    experiment_free(&e);
    return status;
}
