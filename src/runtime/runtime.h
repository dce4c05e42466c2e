/* The OpenCL runtime of one process: the selected device, its context and in-order queue,
 * every program built (from the embedded cl/ sources or --cl-dir, through the on-disk binary
 * cache) and every kernel created at start-up. Ops (ops/) launch kernels through it; only
 * runtime/ and ops/ include the OpenCL headers.
 *
 * Environment: CLNET_DEVICE (see runtime_device_spec), CLNET_CL_DIR (like --cl-dir),
 * CLNET_CACHE_DIR (else $XDG_CACHE_HOME/clnet, else ~/.cache/clnet), CLNET_NO_CACHE=1. */
#ifndef CLNET_RUNTIME_RUNTIME_H
#define CLNET_RUNTIME_RUNTIME_H

#include <CL/cl.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/device.h"
#include "runtime/kernels.h"

struct runtime;

/* What runtime_open did and how long it took (summary.json's startup_seconds builds on it). */
struct runtime_stats {
    double open_seconds;  /* all of runtime_open */
    double build_seconds; /* the programs and kernels alone: source builds or cache loads */
    int programs;         /* programs built or loaded */
    int cache_hits;       /* programs loaded from the binary cache */
    int cache_misses;     /* programs built from source while the cache was enabled */
    int cache_rejected;   /* cache entries found corrupt or refused by the driver, rebuilt */
    int cache_writes;     /* cache entries written */
    bool cache_enabled;   /* false: CLNET_NO_CACHE, or no usable cache folder */
};

/* Selects the device by spec (runtime_find_device; pass runtime_device_spec's result), creates
 * the context and queue, builds every program and creates every kernel. cl_dir, else
 * $CLNET_CL_DIR when set and non-empty, is a folder to read the cl/ sources from instead of
 * the embedded copies; a file missing there is CLNET_ERR_IO. A compile error is
 * CLNET_ERR_BUILD: the full build log goes to stderr, the message names the file and the
 * first error line. On failure *rt is NULL. */
int runtime_open(struct runtime **rt, const char *spec, const char *cl_dir);

/* Releases everything; NULL is fine. */
void runtime_close(struct runtime *rt);

const struct runtime_device_info *runtime_device(const struct runtime *rt);
const struct runtime_stats *runtime_stats(const struct runtime *rt);
const char *runtime_cache_dir(const struct runtime *rt); /* "" when caching is off */

cl_context runtime_context(const struct runtime *rt);
cl_command_queue runtime_queue(const struct runtime *rt);
cl_device_id runtime_device_id(const struct runtime *rt);

cl_kernel runtime_kernel(const struct runtime *rt, enum kernel_id id);

/* CL_KERNEL_WORK_GROUP_SIZE of the kernel on this device. */
size_t runtime_kernel_work_group_size(const struct runtime *rt, enum kernel_id id);

/* The 1-D work-group size runtime_launch_1d uses for the kernel: a multiple of the kernel's
 * preferred multiple, within the kernel's and device's limits, at most 256. */
size_t runtime_kernel_local_size(const struct runtime *rt, enum kernel_id id);

/* One kernel argument: RUNTIME_ARG(x) for a cl_mem or scalar variable x. */
struct runtime_arg {
    size_t size;
    const void *value;
};
#define RUNTIME_ARG(x) ((struct runtime_arg){sizeof(x), &(x)})

/* Sets the kernel's arguments 0 .. n-1; a failure names the kernel and the argument index. */
int runtime_set_args(const struct runtime *rt, enum kernel_id id, const struct runtime_arg *args,
                     int n);

/* Enqueues the kernel (arguments already set) over n work-items, the global size rounded up to
 * a multiple of runtime_kernel_local_size: kernels bounds-check their index. n == 0 does
 * nothing. */
int runtime_launch_1d(struct runtime *rt, enum kernel_id id, size_t n);

/* 0 when err is CL_SUCCESS; otherwise records "call: CL_NAME" (or "call (what): CL_NAME" when
 * what is not NULL) and returns err unchanged. */
int runtime_check(cl_int err, const char *call, const char *what);

/* A read-write device buffer of bytes (> 0, <= the device's max alloc); what names it in the
 * error ("the parameters"), so a failed allocation says what could not be had. */
int runtime_alloc(struct runtime *rt, cl_mem *mem, size_t bytes, const char *what);

/* The bytes of every buffer runtime_alloc created on this runtime, summed (released ones
 * included; buffers CLBlast creates for itself are not counted): summary.json's
 * device_bytes_allocated. */
size_t runtime_bytes_allocated(const struct runtime *rt);

/* Releases a buffer from runtime_alloc; NULL is fine. */
void runtime_free(cl_mem mem);

/* Blocking copies between host memory and a buffer, at a byte offset. */
int runtime_upload(struct runtime *rt, cl_mem mem, size_t offset, const void *src, size_t bytes);
int runtime_download(struct runtime *rt, void *dst, cl_mem mem, size_t offset, size_t bytes);

/* Waits for everything queued (clFinish), turning a failed kernel into a status. */
int runtime_finish(struct runtime *rt);

#endif
