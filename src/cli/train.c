/* `clnet train CONFIG.yaml [--device SPEC] [--out DIR] [--restart] [--set key.path=value ...]`. */
#include <stdio.h>
#include <string.h>

#include "check/selfcheck.h"
#include "cli/cli.h"
#include "config/config.h"
#include "dist/dist.h"
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

/* --device A,B,...: under MPI, the rank with local rank k on its node uses entry k (mod the
 * count), so the ranks of a node spread over its GPUs. One process uses the first. */
static const char *rank_device(const char *list, char *buf, size_t size)
{
    if (!list || !strchr(list, ','))
        return list;
    int want = dist_world()->local_rank, count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    want %= count;
    const char *start = list;
    for (int i = 0; i < want; i++)
        start = strchr(start, ',') + 1;
    size_t len = strcspn(start, ",");
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), start);
    return buf;
}

int cli_train(const struct cli_args *args)
{
    /* SIGINT/SIGTERM: at once until the first step is done (interrupt.h), then a checkpoint
     * and exit 130 (143 for SIGTERM). */
    interrupt_install();
    interrupt_set_immediate(true);
    struct experiment e;
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status != CLNET_OK)
        return status;
    if (args->selfcheck && (status = run_selfcheck(args, &e)) != CLNET_OK) {
        experiment_free(&e);
        return status;
    }
    char device[256];
    struct train_options o = {
        .out_dir = args->out,
        .device_flag = rank_device(args->device, device, sizeof device),
        .cl_dir = args->cl_dir,
        .quiet = args->quiet,
        .verbose = args->verbose,
        .restart = args->restart,
        .process_start = args->process_start,
    };
    status = train_run(&e, &o);
    experiment_free(&e);
    return status;
}
