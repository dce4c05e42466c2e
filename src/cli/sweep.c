/* `clnet sweep DIR [--jobs N] [--devices SPEC,...] [--out ROOT] [--set key.path=value ...]`. */
#include "cli/cli.h"
#include "sweep/sweep.h"

int cli_sweep(const struct cli_args *args)
{
    struct sweep_options o = {
        .dir = args->positional[0],
        .out_root = args->out,
        .sets = args->sets,
        .n_sets = args->n_sets,
        .cl_dir = args->opt.cl_dir,
        .devices = args->devices,
        .jobs = args->jobs,
        .fail_fast = args->fail_fast,
        .quiet = args->quiet,
        .verbose = args->verbose,
        .settings = &args->opt,
    };
    return sweep_run(&o);
}
