/* `clnet summary CONFIG.yaml [--set key.path=value ...]`: loads the experiment (base: chain
 * and overrides applied), infers every layer's shape and prints the layer table with its
 * totals. Host only: it never starts a device, so it is the quick check of a config. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "model/shape.h"
#include "util/status.h"

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
    shape_free(&s);
    experiment_free(&e);
    return status;
}
