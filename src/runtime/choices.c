/* What runtime_open chooses from the caller's options and the process's settings
 * (runtime_configure): the ops path (runtime.h: enum runtime_ops_path), which shape of kernels
 * the ops run, and the work-group cap of --max-local. */
#include <stdio.h>

#include "runtime/internal.h"
#include "util/options.h"

static enum runtime_ops_path configured_path = RUNTIME_OPS_AUTO; /* --ops-path */
static size_t configured_max_local;                               /* --max-local; 0: none */

void runtime_configure(const struct clnet_options *o)
{
    configured_path = o->ops_path == OPTIONS_OPS_PATH_CPU   ? RUNTIME_OPS_CPU
                      : o->ops_path == OPTIONS_OPS_PATH_GPU ? RUNTIME_OPS_GPU
                                                            : RUNTIME_OPS_AUTO;
    configured_max_local = o->max_local > 0 ? (size_t)o->max_local : 0;
}

/* The programs only the other path launches (cl/conv2d.cl for the GPU path, cl/conv2d_gpu.cl for
 * the CPU path). */
static unsigned unused_programs(enum runtime_ops_path path)
{
    if (path == RUNTIME_OPS_GPU)
        return RUNTIME_PROGRAM(PROGRAM_CONV2D);
    return path == RUNTIME_OPS_CPU ? RUNTIME_PROGRAM(PROGRAM_CONV2D_GPU) : 0;
}

enum runtime_ops_path runtime_ops_path_choose(const struct runtime_device_info *d, char *why,
                                              size_t n)
{
    if (configured_path != RUNTIME_OPS_AUTO) {
        snprintf(why, n, "--ops-path / CLNET_OPS_PATH");
        return configured_path;
    }
    snprintf(why, n, "a %s device", runtime_device_type_name(d->type));
    return d->type == RUNTIME_DEVICE_CPU ? RUNTIME_OPS_CPU : RUNTIME_OPS_GPU;
}

/* The path the caller asked for, else the configured one, else the device type's. */
static void choose(struct runtime *rt, enum runtime_ops_path asked)
{
    if (asked != RUNTIME_OPS_AUTO)
        snprintf(rt->ops_path_reason, sizeof rt->ops_path_reason, "asked by the caller");
    else
        asked = runtime_ops_path_choose(&rt->info, rt->ops_path_reason,
                                        sizeof rt->ops_path_reason);
    rt->ops_path = asked;
}

void ops_path_choose(struct runtime *rt, const struct runtime_options *options)
{
    choose(rt, options ? options->ops_path : RUNTIME_OPS_AUTO);
    if (options && options->programs) /* a run's set: its path's programs */
        rt->stats.program_set &= ~unused_programs(rt->ops_path);
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

size_t choices_max_local(void)
{
    return configured_max_local;
}
