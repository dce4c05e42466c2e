/* runtime_open and close, the accessors ops use, kernel launches, buffers, and the checked
 * OpenCL call helper every OpenCL call in clnet goes through. */
#define _DEFAULT_SOURCE /* madvise, MADV_POPULATE_WRITE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cache.h"
#include "runtime/internal.h"
#include "runtime/profile.h"
#include "runtime/quirks.h"
#include "util/status.h"

#define RUNTIME_MAX_LOCAL 256

int runtime_check(cl_int err, const char *call, const char *what)
{
    if (err == CL_SUCCESS)
        return CLNET_OK;
    if (what)
        return clnet_errorf(err, "%s (%s): %s", call, what, clnet_status_name(err));
    return clnet_errorf(err, "%s: %s", call, clnet_status_name(err));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The launch size: the largest multiple of the kernel's preferred multiple that fits the
 * kernel's, the device's and our own limit; falls back to the kernel's limit alone. */
static size_t pick_local_size(size_t kernel_wg, size_t multiple, const struct runtime_device_info *d)
{
    size_t cap = kernel_wg;
    if (d->max_work_item_size[0] && d->max_work_item_size[0] < cap)
        cap = d->max_work_item_size[0];
    if (cap > RUNTIME_MAX_LOCAL)
        cap = RUNTIME_MAX_LOCAL;
    if (cap == 0)
        return 1;
    if (multiple == 0 || multiple > cap)
        return cap;
    return cap / multiple * multiple;
}

static int create_kernels(struct runtime *rt)
{
    size_t cap = choices_max_local();
    for (int k = 0; k < KERNEL_COUNT; k++) {
        const char *name = kernel_name((enum kernel_id)k);
        if (!name)
            return clnet_errorf(CLNET_ERR_INTERNAL, "kernel %d has no row in runtime/kernels.c", k);
        cl_program p = rt->programs[kernel_program((enum kernel_id)k)];
        if (!p)
            continue; /* not built for this run: runtime_set_args says so if it is used */
        cl_int err;
        rt->kernels[k] = clCreateKernel(p, name, &err);
        int status = runtime_check(err, "clCreateKernel", name);
        if (status != CLNET_OK)
            return status;
        size_t wg = 0, multiple = 0;
        err = clGetKernelWorkGroupInfo(rt->kernels[k], rt->device, CL_KERNEL_WORK_GROUP_SIZE,
                                       sizeof wg, &wg, NULL);
        if (err == CL_SUCCESS)
            err = clGetKernelWorkGroupInfo(rt->kernels[k], rt->device,
                                           CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                                           sizeof multiple, &multiple, NULL);
        if ((status = runtime_check(err, "clGetKernelWorkGroupInfo", name)) != CLNET_OK)
            return status;
        rt->kernel_wg_size[k] = cap && cap < wg ? cap : wg;
        rt->kernel_multiple[k] = multiple;
        rt->kernel_local_size[k] = pick_local_size(rt->kernel_wg_size[k], multiple, &rt->info);
    }
    return CLNET_OK;
}

static bool build_reversed; /* runtime_build_reversed */

void runtime_build_reversed(bool reversed)
{
    build_reversed = reversed;
}

/* Builds the programs in rt->stats.program_set one after another. (One thread per program
 * measured no faster on PoCL, the CPU driver here: PoCL 3.1 holds one process-wide lock around
 * all its LLVM work, lib/CL/pocl_llvm_build.cc and devices/common.c's codegen lock.) */
static int build_programs(struct runtime *rt)
{
    for (int i = 0; i < PROGRAM_COUNT; i++) {
        int p = build_reversed ? PROGRAM_COUNT - 1 - i : i;
        if (!(rt->stats.program_set & RUNTIME_PROGRAM(p)))
            continue;
        double t0 = now_seconds();
        int status = program_build(rt, &rt->programs[p], (enum program_id)p, &rt->stats);
        rt->stats.program_seconds[p] = now_seconds() - t0;
        if (status != CLNET_OK)
            return status;
        rt->stats.programs++;
    }
    return CLNET_OK;
}

int runtime_open(struct runtime **out, const char *spec, const char *cl_dir)
{
    return runtime_open_with(out, spec, cl_dir, NULL);
}

/* rt's context and in-order queue on its device (timing launches when runtime/profile.h's
 * profiling is on). */
static int create_queue(struct runtime *rt)
{
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)rt->platform, 0};
    rt->context = clCreateContext(props, 1, &rt->device, NULL, NULL, &err);
    int status = runtime_check(err, "clCreateContext", rt->info.name);
    if (status != CLNET_OK)
        return status;
    rt->queue = clCreateCommandQueue(rt->context, rt->device, profile_queue_properties(), &err);
    return runtime_check(err, "clCreateCommandQueue", rt->info.name);
}

int runtime_open_with(struct runtime **out, const char *spec, const char *cl_dir,
                      const struct runtime_options *options)
{
    double t0 = now_seconds();
    *out = NULL;
    unsigned set = options && options->programs ? options->programs : RUNTIME_PROGRAMS_ALL;
    if (set & ~RUNTIME_PROGRAMS_ALL)
        return clnet_errorf(CLNET_ERR_INTERNAL, "runtime_open: program set 0x%x names no program",
                            set);
    struct runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    rt->cl_dir = cl_dir;
    rt->stats.program_set = set;
    int status = quirks_before_open(options ? options->step_flops : 0);
    if (status != CLNET_OK) {
        free(rt);
        return status;
    }
    struct device_entry dev;
    status = device_select(&dev, spec);
    if (status != CLNET_OK)
        goto fail;
    rt->info = dev.info;
    rt->platform = dev.platform;
    rt->device = dev.device;
    ops_path_choose(rt, options);
    rt->stats.cache_driver =
        quirks_driver_caches_programs(&rt->info) && !(options && options->own_cache_always);
    if (!rt->stats.cache_driver)
        rt->stats.cache_enabled = cache_dir(rt->cache_dir, sizeof rt->cache_dir);

    if ((status = create_queue(rt)) != CLNET_OK)
        goto fail;
    rt->stats.spin_us = quirks_device_opened(&rt->info);

    double t1 = now_seconds();
    if ((status = build_programs(rt)) != CLNET_OK)
        goto fail;
    if ((status = create_kernels(rt)) != CLNET_OK)
        goto fail;
    double t2 = now_seconds();
    rt->stats.build_seconds = t2 - t1;
    rt->stats.open_seconds = t2 - t0;
    *out = rt;
    return CLNET_OK;
fail:
    runtime_close(rt);
    return status;
}

void runtime_close(struct runtime *rt)
{
    if (!rt)
        return;
    if (rt->queue)
        clFinish(rt->queue);
    profile_collect(rt);
    runtime_free(rt->scratch);
    for (int k = 0; k < KERNEL_COUNT; k++)
        if (rt->kernels[k])
            clReleaseKernel(rt->kernels[k]);
    for (int p = 0; p < PROGRAM_COUNT; p++)
        if (rt->programs[p])
            clReleaseProgram(rt->programs[p]);
    if (rt->queue)
        clReleaseCommandQueue(rt->queue);
    if (rt->context)
        clReleaseContext(rt->context);
    free(rt);
}

const struct runtime_device_info *runtime_device(const struct runtime *rt)
{
    return &rt->info;
}

const struct runtime_stats *runtime_stats(const struct runtime *rt)
{
    return &rt->stats;
}

const char *runtime_cache_dir(const struct runtime *rt)
{
    return rt->cache_dir;
}

cl_context runtime_context(const struct runtime *rt)
{
    return rt->context;
}

cl_command_queue runtime_queue(const struct runtime *rt)
{
    return rt->queue;
}

cl_device_id runtime_device_id(const struct runtime *rt)
{
    return rt->device;
}

cl_kernel runtime_kernel(const struct runtime *rt, enum kernel_id id)
{
    return rt->kernels[id];
}

size_t runtime_kernel_work_group_size(const struct runtime *rt, enum kernel_id id)
{
    return rt->kernel_wg_size[id];
}

size_t runtime_kernel_local_size(const struct runtime *rt, enum kernel_id id)
{
    return rt->kernel_local_size[id];
}

/* CLNET_ERR_INTERNAL when the kernel's program was not built for this runtime. */
static int check_built(const struct runtime *rt, enum kernel_id id)
{
    if (rt->kernels[id])
        return CLNET_OK;
    return clnet_errorf(CLNET_ERR_INTERNAL,
                        "kernel %s: its program cl/%s was not built for this run (the model's "
                        "program set, model_programs, lacks it)",
                        kernel_name(id), program_file(kernel_program(id)));
}

int runtime_set_args(const struct runtime *rt, enum kernel_id id, const struct runtime_arg *args,
                     int n)
{
    int status = check_built(rt, id);
    if (status != CLNET_OK)
        return status;
    for (int i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(rt->kernels[id], (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS)
            return clnet_errorf(err, "clSetKernelArg (%s argument %d): %s", kernel_name(id), i,
                                clnet_status_name(err));
    }
    return CLNET_OK;
}

/* runtime_launch of a kernel whose program is built (check_built done by the caller). */
static int launch_built(struct runtime *rt, enum kernel_id id, unsigned dims,
                        const size_t *global, const size_t *local)
{
    if (rt->first_launch[id] == 0)
        rt->first_launch[id] = ++rt->kernels_launched;
    if (rt->launch_mode == RUNTIME_LAUNCH_RECORD ||
        (rt->launch_mode == RUNTIME_LAUNCH_SKIP_FIRST && rt->first_launch[id] <= rt->launch_skip))
        return CLNET_OK;
    cl_event *event = profile_launch_event(rt, id, dims, global, local);
    return runtime_check(clEnqueueNDRangeKernel(rt->queue, rt->kernels[id], dims, NULL, global,
                                                local, 0, NULL, event),
                         "clEnqueueNDRangeKernel", kernel_name(id));
}

int runtime_launch_1d(struct runtime *rt, enum kernel_id id, size_t n)
{
    return runtime_launch_1d_local(rt, id, n, rt->kernel_local_size[id]);
}

int runtime_launch_1d_local(struct runtime *rt, enum kernel_id id, size_t n, size_t local)
{
    if (n == 0)
        return CLNET_OK;
    int status = check_built(rt, id);
    if (status != CLNET_OK)
        return status;
    if (local == 0 || local > rt->kernel_local_size[id])
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: work-group size %zu (1 to %zu)",
                            kernel_name(id), local, rt->kernel_local_size[id]);
    size_t global = (n + local - 1) / local * local;
    return launch_built(rt, id, 1, &global, &local);
}

/* The work-group of a launch: `want` fitted to the device and the kernel. Each dimension at
 * most CL_DEVICE_MAX_WORK_ITEM_SIZES's, and while their product passes CL_KERNEL_WORK_GROUP_SIZE
 * the largest dimension shrinks by that ratio, to a multiple of the kernel's preferred multiple
 * where it stays above one. Sizes within the limits are kept as asked: PoCL compiles a
 * work-group function per size, so a launch's size must not change from call to call. */
static void fit_local(const struct runtime *rt, enum kernel_id id, unsigned dims,
                      const size_t *want, size_t *local)
{
    size_t wg = rt->kernel_wg_size[id] ? rt->kernel_wg_size[id] : 1, product = 1;
    size_t multiple = rt->kernel_multiple[id];
    for (unsigned d = 0; d < dims; d++) {
        size_t max =
            d < 3 && rt->info.max_work_item_size[d] ? rt->info.max_work_item_size[d] : want[d];
        local[d] = want[d] == 0 ? 1 : want[d] < max ? want[d] : max;
        product *= local[d];
    }
    while (product > wg) {
        unsigned big = 0;
        for (unsigned d = 1; d < dims; d++)
            if (local[d] > local[big]) big = d;
        size_t keep = product / local[big], fit = wg / keep;
        if (multiple > 1 && fit >= multiple) fit = fit / multiple * multiple;
        local[big] = fit > 0 ? fit : 1;
        product = keep * local[big];
    }
}

int runtime_launch(struct runtime *rt, enum kernel_id id, unsigned dims, const size_t *global,
                   const size_t *local)
{
    int status = check_built(rt, id);
    if (status != CLNET_OK) return status;
    if (dims < 1 || dims > 3)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %u dimensions", kernel_name(id), dims);
    if (!local) return launch_built(rt, id, dims, global, NULL);
    size_t fitted[3], rounded[3];
    fit_local(rt, id, dims, local, fitted);
    for (unsigned d = 0; d < dims; d++)
        rounded[d] = (global[d] + fitted[d] - 1) / fitted[d] * fitted[d];
    return launch_built(rt, id, dims, rounded, fitted);
}

void runtime_set_launch_mode(struct runtime *rt, enum runtime_launch_mode mode, int skip)
{
    rt->launch_mode = mode;
    rt->launch_skip = skip;
}

int runtime_kernels_launched(const struct runtime *rt)
{
    return rt->kernels_launched;
}

int runtime_alloc(struct runtime *rt, cl_mem *mem, size_t bytes, const char *what)
{
    *mem = NULL;
    if (bytes == 0 || bytes > rt->info.max_alloc_bytes)
        return clnet_errorf(CL_INVALID_BUFFER_SIZE,
                            "clCreateBuffer for %s (%zu bytes; %s allows 1 to %llu): "
                            "CL_INVALID_BUFFER_SIZE",
                            what, bytes, rt->info.name,
                            (unsigned long long)rt->info.max_alloc_bytes);
    cl_int err;
    *mem = clCreateBuffer(rt->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (err != CL_SUCCESS) {
        *mem = NULL;
        return clnet_errorf(err, "clCreateBuffer for %s (%zu bytes on %s): %s", what, bytes,
                            rt->info.name, clnet_status_name(err));
    }
    rt->bytes_allocated += bytes;
    return CLNET_OK;
}

int runtime_alloc_from(struct runtime *rt, cl_mem *mem, const void *host, size_t bytes,
                       const char *what)
{
    int status = runtime_alloc(rt, mem, bytes, what);
    if (status != CLNET_OK || rt->info.type != RUNTIME_DEVICE_CPU)
        return status == CLNET_OK ? runtime_upload(rt, *mem, 0, host, bytes) : status;
    /* A CPU device's buffer is host memory: fault its pages in with one call, then copy. */
    cl_int err;
    void *p = clEnqueueMapBuffer(rt->queue, *mem, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, 0,
                                 bytes, 0, NULL, NULL, &err);
    if ((status = runtime_check(err, "clEnqueueMapBuffer", what)) != CLNET_OK)
        return status;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) { /* best effort: without it (Linux < 5.14) memcpy faults them in */
        uintptr_t first = ((uintptr_t)p + (uintptr_t)page - 1) / (uintptr_t)page * (uintptr_t)page;
        uintptr_t end = ((uintptr_t)p + bytes) / (uintptr_t)page * (uintptr_t)page;
        if (end > first) { /* huge pages first, so the populate faults in 2 MB ones */
            (void)madvise((void *)first, end - first, MADV_HUGEPAGE);
            (void)madvise((void *)first, end - first, MADV_POPULATE_WRITE);
        }
    }
    memcpy(p, host, bytes);
    return runtime_check(clEnqueueUnmapMemObject(rt->queue, *mem, p, 0, NULL, NULL),
                         "clEnqueueUnmapMemObject", what);
}

int runtime_scratch(struct runtime *rt, size_t bytes, cl_mem *mem)
{
    if (!rt->scratch || rt->scratch_bytes < bytes) {
        runtime_free(rt->scratch);
        rt->scratch = NULL;
        rt->scratch_bytes = 0;
        int status = runtime_alloc(rt, &rt->scratch, bytes, "a scratch buffer (GEMM temp)");
        if (status != CLNET_OK) return status;
        rt->scratch_bytes = bytes;
    }
    *mem = rt->scratch;
    return CLNET_OK;
}

size_t runtime_bytes_allocated(const struct runtime *rt)
{
    return rt->bytes_allocated;
}

void runtime_free(cl_mem mem)
{
    if (mem)
        clReleaseMemObject(mem);
}

static int upload(struct runtime *rt, cl_mem mem, size_t offset, const void *src, size_t bytes,
                  cl_bool blocking)
{
    if (bytes == 0)
        return CLNET_OK;
    return runtime_check(
        clEnqueueWriteBuffer(rt->queue, mem, blocking, offset, bytes, src, 0, NULL, NULL),
        "clEnqueueWriteBuffer", NULL);
}

int runtime_upload(struct runtime *rt, cl_mem mem, size_t offset, const void *src, size_t bytes)
{
    return upload(rt, mem, offset, src, bytes, CL_TRUE);
}

int runtime_upload_async(struct runtime *rt, cl_mem mem, size_t offset, const void *src,
                         size_t bytes)
{
    return upload(rt, mem, offset, src, bytes, CL_FALSE);
}

int runtime_download(struct runtime *rt, void *dst, cl_mem mem, size_t offset, size_t bytes)
{
    if (bytes == 0)
        return CLNET_OK;
    return runtime_check(
        clEnqueueReadBuffer(rt->queue, mem, CL_TRUE, offset, bytes, dst, 0, NULL, NULL),
        "clEnqueueReadBuffer", NULL);
}

int runtime_finish(struct runtime *rt)
{
    return runtime_check(clFinish(rt->queue), "clFinish", NULL);
}
