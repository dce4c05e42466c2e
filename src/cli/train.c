/* `clnet train CONFIG.yaml [--device SPEC] [--out DIR] [--set key.path=value ...]`. */
#include "cli/cli.h"
#include "config/config.h"
#include "train/train.h"
#include "util/status.h"

int cli_train(const struct cli_args *args)
{
    struct experiment e;
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status != CLNET_OK)
        return status;
    struct train_options o = {
        .out_dir = args->out,
        .device_flag = args->device,
        .cl_dir = args->cl_dir,
        .quiet = args->quiet,
        .verbose = args->verbose,
        .process_start = args->process_start,
    };
    status = train_run(&e, &o);
    experiment_free(&e);
    return status;
}
