/* `clnet config CONFIG.yaml [--set key.path=value ...]`: the resolved config, the bytes train
 * writes as runs/NAME/config.yaml, on stdout. Host only, like summary: what a run would do is
 * seen before anything starts, with every default and every --set applied. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "util/status.h"

int cli_config(const struct cli_args *args)
{
    struct experiment e;
    memset(&e, 0, sizeof e);
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status == CLNET_OK)
        status = config_write_resolved(&e, stdout);
    if (status == CLNET_OK && fflush(stdout) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "config: writing to stdout failed");
    experiment_free(&e);
    return status;
}
