/* `clnet devices`: every OpenCL platform and device with its P:D index and the limits that
 * matter for training, and which device the current spec (--device, CLNET_DEVICE, auto)
 * selects. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "runtime/device.h"
#include "runtime/runtime.h"
#include "util/status.h"

static void format_bytes(char *buf, size_t size, uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

static void print_device(const struct runtime_device_info *d, bool selected)
{
    char global[32], local[32], alloc[32], fp[96];
    runtime_fp_flags_text(fp, sizeof fp, d->fp_flags);
    format_bytes(global, sizeof global, d->global_mem_bytes);
    format_bytes(local, sizeof local, d->local_mem_bytes);
    format_bytes(alloc, sizeof alloc, d->max_alloc_bytes);
    printf("%d:%d  %s%s%s\n", d->platform_index, d->device_index, d->name,
           selected ? "  (selected)" : "",
           runtime_device_is_simulator(d) ? "  (simulator: auto passes over it)" : "");
    printf("     type            %s\n", runtime_device_type_name(d->type));
    printf("     vendor          %s\n", d->vendor);
    printf("     compute units   %u\n", d->compute_units);
    printf("     global memory   %s\n", global);
    printf("     local memory    %s\n", local);
    printf("     max allocation  %s\n", alloc);
    printf("     max work-group  %zu\n", d->max_work_group_size);
    printf("     OpenCL          %s\n", d->device_version);
    printf("     OpenCL C        %s\n", d->opencl_c_version[0] ? d->opencl_c_version
                                                           : "not reported (1.0)");
    printf("     float           %s%s\n", fp,
           d->fp_flags & RUNTIME_FP_DENORM ? "" : " (no denormals: selfcheck leaves them out)");
    printf("     driver          %s\n", d->driver_version);
    printf("     platform        %s (%s)\n", d->platform_name, d->platform_version);
}

/* --build: every program built (or loaded from the binary cache) on the selected device, so a
 * user can check a driver, and time a cold or warm start, without a config. */
static int build_kernels(const struct cli_args *args, const char *spec)
{
    struct runtime *rt;
    int status = runtime_open(&rt, spec, args->opt.cl_dir);
    if (status != CLNET_OK)
        return status;
    const struct runtime_stats *st = runtime_stats(rt);
    printf("built %d programs in %.3f s (open %.3f s); binary cache: %s, %d hits, %d misses, "
           "%d rejected\n",
           st->programs, st->build_seconds, st->open_seconds,
           st->cache_enabled ? runtime_cache_dir(rt)
           : st->cache_driver ? "off, the driver caches itself"
                             : "off",
           st->cache_hits, st->cache_misses, st->cache_rejected);
    runtime_close(rt);
    return CLNET_OK;
}

int cli_devices(const struct cli_args *args)
{
    struct runtime_device_info *list;
    int n;
    int status = runtime_list_devices(&list, &n);
    if (status != CLNET_OK)
        return status;
    const char *spec = runtime_device_spec(args ? args->opt.device : NULL, NULL);
    struct runtime_device_info chosen;
    int found = runtime_find_device(&chosen, spec);
    for (int i = 0; i < n; i++) {
        bool selected = found == CLNET_OK && list[i].platform_index == chosen.platform_index &&
                        list[i].device_index == chosen.device_index;
        print_device(&list[i], selected);
    }
    if (found == CLNET_OK)
        printf("device spec '%s' selects %d:%d %s\n", spec, chosen.platform_index,
               chosen.device_index, chosen.name);
    free(list);
    if (found != CLNET_OK || !args || !args->build)
        return found;
    return build_kernels(args, spec);
}
