/* What runtime_open chooses from the caller's options and the environment: the ops path
 * (runtime.h: enum runtime_ops_path), which shape of kernels the ops run, and the work-group
 * cap of CLNET_MAX_LOCAL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "util/status.h"

/* The programs only the other path launches (cl/conv2d.cl for the GPU path, cl/conv2d_gpu.cl for
 * the CPU path). */
static unsigned unused_programs(enum runtime_ops_path path)
{
    if (path == RUNTIME_OPS_GPU)
        return RUNTIME_PROGRAM(PROGRAM_CONV2D);
    return path == RUNTIME_OPS_CPU ? RUNTIME_PROGRAM(PROGRAM_CONV2D_GPU) : 0;
}

/* The path the caller asked for, else $CLNET_OPS_PATH's, else the device type's. */
static int choose(struct runtime *rt, enum runtime_ops_path asked)
{
    const char *env = getenv("CLNET_OPS_PATH");
    if (asked == RUNTIME_OPS_AUTO && env && *env && strcmp(env, "auto") != 0) {
        if (strcmp(env, "cpu") != 0 && strcmp(env, "gpu") != 0)
            return clnet_errorf(CLNET_ERR_USAGE,
                                "environment: CLNET_OPS_PATH=%.64s: expected auto|cpu|gpu", env);
        asked = strcmp(env, "cpu") == 0 ? RUNTIME_OPS_CPU : RUNTIME_OPS_GPU;
        snprintf(rt->ops_path_reason, sizeof rt->ops_path_reason, "CLNET_OPS_PATH=%s", env);
    } else if (asked != RUNTIME_OPS_AUTO) {
        snprintf(rt->ops_path_reason, sizeof rt->ops_path_reason, "asked by the caller");
    } else {
        asked = rt->info.type == RUNTIME_DEVICE_CPU ? RUNTIME_OPS_CPU : RUNTIME_OPS_GPU;
        snprintf(rt->ops_path_reason, sizeof rt->ops_path_reason, "a %s device",
                 runtime_device_type_name(rt->info.type));
    }
    rt->ops_path = asked;
    return CLNET_OK;
}

int ops_path_choose(struct runtime *rt, const struct runtime_options *options)
{
    int status = choose(rt, options ? options->ops_path : RUNTIME_OPS_AUTO);
    if (status == CLNET_OK && options && options->programs) /* a run's set: its path's programs */
        rt->stats.program_set &= ~unused_programs(rt->ops_path);
    return status;
}

enum runtime_ops_path runtime_ops_path(const struct runtime *rt)
{
    return rt->ops_path;
}

const char *runtime_ops_path_name(enum runtime_ops_path path)
{
    return path == RUNTIME_OPS_CPU ? "cpu" : path == RUNTIME_OPS_GPU ? "gpu" : "auto";
}

const char *runtime_ops_path_reason(const struct runtime *rt)
{
    return rt->ops_path_reason;
}

void runtime_set_ops_path(struct runtime *rt, enum runtime_ops_path path)
{
    if (path == RUNTIME_OPS_CPU || path == RUNTIME_OPS_GPU) rt->ops_path = path;
}

int choices_max_local(size_t *cap)
{
    const char *env = getenv("CLNET_MAX_LOCAL");
    *cap = 0;
    if (!env || !*env)
        return CLNET_OK;
    char *end = NULL;
    unsigned long n = strtoul(env, &end, 10);
    if (*end || n < 1 || n > 4096 || env[0] == '-')
        return clnet_errorf(CLNET_ERR_USAGE,
                            "environment: CLNET_MAX_LOCAL=%.64s: expected a whole number from 1 "
                            "to 4096", env);
    *cap = n;
    return CLNET_OK;
}
