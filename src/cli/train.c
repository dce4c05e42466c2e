/* `clnet train CONFIG.yaml [--device SPEC] [--out DIR] [--restart] [--set key.path=value ...]`,
 * and the hidden `clnet compile-helper --parent PID CONFIG.yaml ...` a cold start starts. */
#include <stdio.h>
#include <string.h>

#include "check/selfcheck.h"
#include "cli/cli.h"
#include "config/config.h"
#include "dist/dist.h"
#include "runtime/device.h"
#include "runtime/quirks.h"
#include "train/train.h"
#include "util/interrupt.h"
#include "util/status.h"

/* --selfcheck: every kernel on the device the run will use, before anything is written. */
static int run_selfcheck(const struct cli_args *args, const struct experiment *e)
{
    struct runtime *rt;
    int status = runtime_open(&rt, runtime_device_spec(args->opt.device, e->device), args->opt.cl_dir);
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

/* The compile helper's command line: this run's config, --set, device, sources and settings,
 * so that it builds what the run builds (tied to this process by quirks_helper_start's
 * --parent). --out too, for a reader of `ps` only: the helper writes nothing there. --no-mpi:
 * under `mpirun -np 1` it inherits the rank's variables but is no rank. */
#define HELPER_ARGS (16 + 2 * CLI_MAX_SETS + 2 * OPTIONS_COUNT)
static void helper_argv(const char **argv, const struct cli_args *args, const char *device)
{
    int n = 0;
    argv[n++] = "clnet";
    argv[n++] = "compile-helper";
    argv[n++] = args->positional[0];
    if (args->out) {
        argv[n++] = "--out";
        argv[n++] = args->out;
    }
    if (device) {
        argv[n++] = "--device";
        argv[n++] = device;
    }
    if (args->opt.cl_dir) {
        argv[n++] = "--cl-dir";
        argv[n++] = args->opt.cl_dir;
    }
    for (int i = 0; i < args->n_sets; i++) {
        argv[n++] = "--set";
        argv[n++] = args->sets[i];
    }
    n += options_child_flags(&args->opt, argv + n, HELPER_ARGS - 2 - n);
    argv[n++] = "--no-mpi";
    argv[n] = NULL;
}

static struct train_options train_options_of(const struct cli_args *args, const char *device)
{
    return (struct train_options){
        .out_dir = args->out,
        .device_flag = device,
        .cl_dir = args->opt.cl_dir,
        .quiet = args->quiet,
        .verbose = args->verbose,
        .restart = args->restart,
        .process_start = args->process_start,
        .fused_sgd = args->opt.fused_sgd,
        .dense_stack = args->opt.dense_stack,
    };
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
    const char *helper[HELPER_ARGS];
    struct train_options o =
        train_options_of(args, rank_device(args->opt.device, device, sizeof device));
    helper_argv(helper, args, o.device_flag);
    o.helper_argv = helper;
    status = train_run(&e, &o);
    experiment_free(&e);
    return status;
}

/* The helper: tied to its parent first (it ends with it), then the kernels of the run's first
 * step compiled (train_warm_kernels). Its output goes to /dev/null; its exit code says whether
 * it finished. */
int cli_compile_helper(const struct cli_args *args)
{
    if (args->parent <= 0)
        return clnet_errorf(CLNET_ERR_USAGE, "compile-helper: --parent PID is needed (clnet "
                            "train starts it)");
    if (!quirks_helper_tie(args->parent))
        return clnet_errorf(CLNET_ERR_INTERRUPTED, "compile-helper: the training process %ld "
                            "has ended", (long)args->parent);
    struct experiment e;
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status != CLNET_OK)
        return status;
    struct train_options o = train_options_of(args, args->opt.device);
    o.quiet = true;
    status = train_warm_kernels(&e, &o);
    experiment_free(&e);
    return status;
}
