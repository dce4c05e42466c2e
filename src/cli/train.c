/* `clnet train CONFIG.yaml [--device SPEC] [--out DIR] [--restart] [--set key.path=value ...]`. */
#include <stdio.h>

#include "check/selfcheck.h"
#include "cli/cli.h"
#include "config/config.h"
#include "runtime/device.h"
#include "train/train.h"
#include "util/interrupt.h"
#include "util/status.h"

/* --selfcheck: every kernel on the device the run will use, before anything is written. */
static int run_selfcheck(const struct cli_args *args, const struct experiment *e)
{
    struct runtime *rt;
    int status = runtime_open(&rt, runtime_device_spec(args->device, e->device), args->cl_dir);
    if (status != CLNET_OK)
        return status;
    status = selfcheck_run(rt, args->quiet ? NULL : stdout, NULL);
    runtime_close(rt);
    return status;
}

int cli_train(const struct cli_args *args)
{
    struct experiment e;
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status != CLNET_OK)
        return status;
    if (args->selfcheck && (status = run_selfcheck(args, &e)) != CLNET_OK) {
        experiment_free(&e);
        return status;
    }
    struct train_options o = {
        .out_dir = args->out,
        .device_flag = args->device,
        .cl_dir = args->cl_dir,
        .quiet = args->quiet,
        .verbose = args->verbose,
        .restart = args->restart,
        .process_start = args->process_start,
    };
    interrupt_install(); /* SIGINT/SIGTERM: checkpoint, then exit 130 */
    status = train_run(&e, &o);
    experiment_free(&e);
    return status;
}
