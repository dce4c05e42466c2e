/* `clnet summary CONFIG.yaml [--set key.path=value ...]`: loads the experiment (base: chain
 * and overrides applied), infers every layer's shape and prints the layer table with its
 * totals, then the training set's size and the epochs the configured iterations make. Host
 * only: it never starts a device, so it is the quick check of a config. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "data/epoch.h"
#include "data/mnist.h"
#include "model/shape.h"
#include "util/status.h"

/* Question 4 (iv)'s numbers. The size comes from the labels file alone; a summary must not
 * fail for want of data (a config is checked before MNIST is fetched), so without the file
 * it counts MNIST's published size and says so. */
static void print_epochs(FILE *f, const struct experiment *e)
{
    if (!e->has_train)
        return;
    char path[4200], count[40];
    int n = 0;
    if (experiment_check_data_dir(e) == CLNET_OK &&
        mnist_train_count(e->data.dir, &n, path, sizeof path) == CLNET_OK) {
        fprintf(f, "training set: %s images (%s; all of them train: clnet keeps no validation "
                   "split)\n",
                epoch_decimal(count, sizeof count, (struct epoch_ratio){n, 0, 1}, 0, EPOCH_GROUP),
                path);
    } else {
        n = MNIST_TRAIN_IMAGES;
        fprintf(f, "training set: not read (%s); the epochs below count MNIST's 60,000 training "
                   "images\n", clnet_error_message());
        clnet_error_clear();
    }
    epoch_print_summary(f, n, e->train.batch_size, e->train.iterations, e->data.shuffle);
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
    if (status == CLNET_OK) print_epochs(stdout, &e);
    shape_free(&s);
    experiment_free(&e);
    return status;
}
