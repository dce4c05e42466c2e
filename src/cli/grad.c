/* `clnet grad CONFIG.yaml|RUN_DIR --inputs X.csv --targets T.csv [--nodes a,b]`: the gradient
 * of the loss with respect to the given input rows (and named layers' outputs) at a run's
 * weights, or a config's initial ones (train/grad.h). */
#include <stdlib.h>

#include "cli/cli.h"
#include "config/config.h"
#include "train/grad.h"
#include "util/status.h"

int cli_grad(const struct cli_args *args)
{
    if (!args->inputs) /* --targets: as the loss needs them (train/grad.c) */
        return clnet_errorf(CLNET_ERR_USAGE, "grad: needs --inputs X.csv (the rows) and, for "
                            "a loss with a target, --targets T.csv");
    char *config, *weights;
    int status = cli_run_files(args->positional[0], args->weights, true, &config, &weights);
    struct experiment e = {0};
    if (status == CLNET_OK) status = config_load(&e, config, args->sets, args->n_sets);
    struct grad_request q = {.weights = weights, .device_flag = args->opt.device,
                             .cl_dir = args->opt.cl_dir, .inputs = args->inputs,
                             .targets = args->targets, .nodes = args->nodes};
    if (status == CLNET_OK) status = grad_rows(&e, &q, stdout);
    experiment_free(&e);
    free(config);
    free(weights);
    return status;
}
