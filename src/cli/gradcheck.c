/* `clnet gradcheck CONFIG.yaml [--device SPEC] [--wrt input] [--set key.path=value ...]
 * [--cl-dir DIR]`:
 * the device's gradients against finite differences (check/gradcheck.h). */
#include <stdio.h>

#include "check/gradcheck.h"
#include "cli/cli.h"
#include "config/config.h"
#include "util/status.h"

int cli_gradcheck(const struct cli_args *args)
{
    struct experiment e;
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status != CLNET_OK) return status;
    struct gradcheck_options o = {.device_flag = args->opt.device, .cl_dir = args->opt.cl_dir,
                                  .wrt_input = args->wrt_input};
    status = gradcheck_run(&e, &o, stdout);
    experiment_free(&e);
    return status;
}
