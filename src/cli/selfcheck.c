/* `clnet selfcheck [--device SPEC] [--cl-dir DIR]`: every kernel on the device against its
 * host reference (check/selfcheck.h). */
#include <stdio.h>

#include "check/selfcheck.h"
#include "cli/cli.h"
#include "runtime/device.h"
#include "runtime/runtime.h"
#include "util/status.h"

int cli_selfcheck(const struct cli_args *args)
{
    struct runtime *rt;
    int status = runtime_open(&rt, runtime_device_spec(args->opt.device, NULL), args->opt.cl_dir);
    if (status != CLNET_OK) return status;
    status = selfcheck_run(rt, stdout, NULL);
    runtime_close(rt);
    return status;
}
