/* The OpenCL runtime of one process: the selected device, its context and in-order queue,
 * every program built (from the embedded cl/ sources or --cl-dir, through the on-disk binary
 * cache) and every kernel created at start-up. Ops (ops/) launch kernels through it; only
 * runtime/ and ops/ include the OpenCL headers.
 *
 * It reads no environment: the caller passes the device spec and the sources' folder, main
 * sets the binary cache's folder (cache_set_dir) and the ops path and work-group cap
 * (runtime_configure), and a driver's quirks are reached through runtime/quirks.h at fixed
 * points of runtime_open. */
#ifndef CLNET_RUNTIME_RUNTIME_H
#define CLNET_RUNTIME_RUNTIME_H

#include <CL/cl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/device.h"
#include "runtime/kernels.h"

struct runtime;
struct clnet_options;

/* What runtime_open did and how long it took (summary.json's startup_seconds builds on it). */
struct runtime_stats {
    double open_seconds;  /* all of runtime_open */
    double build_seconds; /* the programs and kernels alone: source builds or cache loads */
    double program_seconds[PROGRAM_COUNT]; /* each program's build or load; 0: not built */
    int programs;         /* programs built or loaded */
    unsigned program_set; /* which: RUNTIME_PROGRAM bits */
    int cache_hits;       /* programs loaded from the binary cache */
    int cache_misses;     /* programs built from source while the cache was enabled */
    int cache_rejected;   /* cache entries found corrupt or refused by the driver, rebuilt */
    int cache_writes;     /* cache entries written */
    bool cache_enabled;   /* false: no cache folder set or usable, or cache_driver */
    bool cache_driver;    /* off because the driver caches programs itself (runtime/quirks.h) */
    long spin_us;         /* the driver's waits spin this long first (runtime/quirks.h); 0: off */
};

/* A set of programs: RUNTIME_PROGRAM(PROGRAM_GEMM) | ...; RUNTIME_PROGRAMS_ALL is every one. */
#define RUNTIME_PROGRAM(id) (1u << (unsigned)(id))
#define RUNTIME_PROGRAMS_ALL ((1u << PROGRAM_COUNT) - 1u)

/* Which shape of kernels the ops run (runtime_ops_path): the CPU path is the register-tiled
 * kernels written and measured for PoCL on CPUs (clnet's own GEMM with its fused epilogues, the
 * conv kernels with 16 images in the vector lanes); the GPU path is kernels shaped for GPUs
 * (CLBlast's GEMM, a direct convolution with one output per work-item and the weights staged
 * in local memory, a 2-D bias + activation). Both give the same results within float
 * tolerance; each is bitwise reproducible on its own. */
enum runtime_ops_path { RUNTIME_OPS_AUTO, RUNTIME_OPS_CPU, RUNTIME_OPS_GPU };

struct runtime_options {
    /* the programs to build (RUNTIME_PROGRAM bits), less those only the other ops path uses;
     * 0 means every one, both paths' */
    unsigned programs;
    bool own_cache_always; /* clnet's binary cache even where the driver caches (the tests) */
    /* The FLOPs of one training step, 0 when not training: a driver's quirk may pick its
     * worker threads by it (runtime/quirks.h: quirks_before_open). It takes effect only if
     * OpenCL has not started in this process yet. */
    double step_flops;
    /* AUTO: the path runtime_configure set (--ops-path / CLNET_OPS_PATH) when not auto, else
     * the CPU path on a CPU device and the GPU path on any other (GPUs, accelerators). */
    enum runtime_ops_path ops_path;
};

/* The settings of util/options.h that every runtime_open of the process follows: the ops path
 * (o->ops_path, --ops-path / CLNET_OPS_PATH: auto leaves it to the caller and the device) and
 * the cap on the work-group size of clnet's own kernels (o->max_local, --max-local /
 * CLNET_MAX_LOCAL; 0: none). main calls it once; unconfigured, both are their defaults. */
void runtime_configure(const struct clnet_options *o);

/* Selects the device by spec (runtime_find_device; pass runtime_device_spec's result), creates
 * the context and queue, builds every program and creates every kernel. cl_dir (--cl-dir or
 * CLNET_CL_DIR, resolved by the caller), when not NULL, is a folder to read the cl/ sources
 * from instead of the embedded copies; a file missing there is CLNET_ERR_IO. A compile error is
 * CLNET_ERR_BUILD: the full build log goes to stderr, the message names the file and the
 * first error line. On failure *rt is NULL.
 *
 * The binary cache is not used where the driver caches programs itself
 * (quirks_driver_caches_programs: PoCL, where it would only cost time). */
int runtime_open(struct runtime **rt, const char *spec, const char *cl_dir);

/* runtime_open building only the programs in options->programs (NULL options: as
 * runtime_open). Launching a kernel of a program that was not built is CLNET_ERR_INTERNAL,
 * naming the kernel and its file. */
int runtime_open_with(struct runtime **rt, const char *spec, const char *cl_dir,
                      const struct runtime_options *options);

/* Releases everything; NULL is fine. */
void runtime_close(struct runtime *rt);

/* The order in which runtime_open builds the programs, from now on in this process: as enum
 * program_id (false, the default) or the reverse. The compile helper's process
 * (train_warm_kernels) builds in reverse, so that the training process, building forwards at the same time, finds
 * the last programs already in PoCL's cache (q5_iii: cl/gemm.cl 0.04 s instead of 0.5). */
void runtime_build_reversed(bool reversed);

const struct runtime_device_info *runtime_device(const struct runtime *rt);
const struct runtime_stats *runtime_stats(const struct runtime *rt);

/* The path runtime_open chose (RUNTIME_OPS_CPU or RUNTIME_OPS_GPU, never AUTO), its name ("cpu",
 * "gpu"), and why, for --verbose ("--ops-path / CLNET_OPS_PATH", "asked by the caller", "a CPU
 * device", "a GPU device"). */
enum runtime_ops_path runtime_ops_path(const struct runtime *rt);
const char *runtime_ops_path_name(enum runtime_ops_path path);
const char *runtime_ops_path_reason(const struct runtime *rt);
/* The path runtime_open would choose on device d when the caller asks for none, and why (into
 * why, n bytes): the plan of `clnet summary --plan`, which opens no device. */
enum runtime_ops_path runtime_ops_path_choose(const struct runtime_device_info *d, char *why,
                                              size_t n);
/* Switches the path (CPU or GPU) from now on: selfcheck and the ops tests run both paths'
 * kernels on one runtime opened with every program (a launch of a program not built is
 * CLNET_ERR_INTERNAL, as runtime_set_args says). */
void runtime_set_ops_path(struct runtime *rt, enum runtime_ops_path path);
const char *runtime_cache_dir(const struct runtime *rt); /* "" when caching is off */

/* h continued (cache_hash) over the cl/ sources embedded in this build, names and bytes. */
uint64_t runtime_sources_hash(uint64_t h);

cl_context runtime_context(const struct runtime *rt);
cl_command_queue runtime_queue(const struct runtime *rt);
cl_device_id runtime_device_id(const struct runtime *rt);

/* The kernel, or NULL when its program was not built (runtime_set_args reports that). */
cl_kernel runtime_kernel(const struct runtime *rt, enum kernel_id id);

/* CL_KERNEL_WORK_GROUP_SIZE of the kernel on this device, or the cap runtime_configure set
 * (--max-local) when that is lower (a test of small limits: every launch of clnet's kernels
 * then fits it). */
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
/* The number of entries of an array of them, for runtime_set_args. */
#define N_ARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Sets the kernel's arguments 0 .. n-1; a failure names the kernel and the argument index. A
 * kernel whose program was not built is CLNET_ERR_INTERNAL. */
int runtime_set_args(const struct runtime *rt, enum kernel_id id, const struct runtime_arg *args,
                     int n);

/* Enqueues the kernel (arguments already set) over a dims-dimensional (1 to 3) range of at
 * least global work-items, in work-groups of local fitted to the device: no dimension past
 * CL_DEVICE_MAX_WORK_ITEM_SIZES, the product not past the kernel's CL_KERNEL_WORK_GROUP_SIZE
 * (the largest dimension shrunk, to a multiple of CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE
 * where it can be); each dimension of the range is rounded up to a multiple of its group's, so
 * kernels bounds-check their index. local NULL leaves the size to the driver. Every launch of
 * clnet goes through here, so the launch mode below applies to all of them. */
int runtime_launch(struct runtime *rt, enum kernel_id id, unsigned dims, const size_t *global,
                   const size_t *local);

/* What runtime_launch does with a launch. The compile helper of a cold start (train/train.c)
 * records which kernels a training step launches and in what order, then runs the step again
 * enqueueing only the launches of the second half of them, so that their first-launch
 * compiles (PoCL's) happen in its process while the training process compiles the first half.
 *   ALL: enqueue it (the default);
 *   RECORD: enqueue nothing, note the kernel's place among those launched;
 *   SKIP_FIRST: enqueue it unless it is one of the first `skip` kernels noted. */
enum runtime_launch_mode { RUNTIME_LAUNCH_ALL, RUNTIME_LAUNCH_RECORD, RUNTIME_LAUNCH_SKIP_FIRST };
void runtime_set_launch_mode(struct runtime *rt, enum runtime_launch_mode mode, int skip);
/* How many distinct kernels have been launched (or recorded) on rt. */
int runtime_kernels_launched(const struct runtime *rt);

/* Enqueues the kernel (arguments already set) over n work-items, the global size rounded up to
 * a multiple of runtime_kernel_local_size: kernels bounds-check their index. n == 0 does
 * nothing. */
int runtime_launch_1d(struct runtime *rt, enum kernel_id id, size_t n);
/* runtime_launch_1d in work-groups of `local` items (1 to runtime_kernel_local_size). */
int runtime_launch_1d_local(struct runtime *rt, enum kernel_id id, size_t n, size_t local);

/* 0 when err is CL_SUCCESS; otherwise records "call: CL_NAME" (or "call (what): CL_NAME" when
 * what is not NULL) and returns err unchanged. */
int runtime_check(cl_int err, const char *call, const char *what);

/* A read-write device buffer of bytes (> 0, <= the device's max alloc); what names it in the
 * error ("the parameters"), so a failed allocation says what could not be had. */
int runtime_alloc(struct runtime *rt, cl_mem *mem, size_t bytes, const char *what);

/* runtime_alloc, then a copy of bytes of host data into it. On a CPU device the buffer is
 * mapped and its pages faulted in with one madvise before the copy: one by one they cost
 * about 19 us each on the virtual machine of bench/RESULTS.md (0.22 s for MNIST's 47 MB of
 * training images). Before that it is marked for transparent huge pages (where the kernel
 * allows them, as Debian's default "madvise" does): each step's batch gathers 100 random
 * images from the training set, 100 TLB misses with 4 KB pages; with 2 MB ones the gather's
 * median went from 31-315 us (it varied run to run) to 24-38 (bench/RESULTS.md, session 14).
 * Wrapping the host memory instead (CL_MEM_USE_HOST_PTR) started faster
 * still but trained slower on PoCL (q4_i 7186-7796 it/s against 9024-9843). Elsewhere a
 * blocking upload. */
int runtime_alloc_from(struct runtime *rt, cl_mem *mem, const void *host, size_t bytes,
                       const char *what);

/* The bytes of every buffer runtime_alloc created on this runtime, summed (released ones
 * included; buffers CLBlast creates for itself are not counted): summary.json's
 * device_bytes_allocated. */
size_t runtime_bytes_allocated(const struct runtime *rt);

/* A scratch buffer of at least `bytes` that stays with the runtime (runtime_close releases it),
 * for what a library would otherwise allocate on every call (CLBlast's GEMM temp buffer): the
 * same buffer while it is large enough, else a larger one in its place (the old one released
 * once the commands queued on it are done). Its contents are not kept from call to call. */
int runtime_scratch(struct runtime *rt, size_t bytes, cl_mem *mem);

/* Releases a buffer from runtime_alloc; NULL is fine. */
void runtime_free(cl_mem mem);

/* Blocking copies between host memory and a buffer, at a byte offset. */
int runtime_upload(struct runtime *rt, cl_mem mem, size_t offset, const void *src, size_t bytes);
int runtime_download(struct runtime *rt, void *dst, cl_mem mem, size_t offset, size_t bytes);

/* runtime_upload without the wait: the copy runs in queue order, and src must stay allocated
 * and unchanged until a blocking call (runtime_download, runtime_finish) has returned. Each
 * blocking call is a round trip to the device's threads (on PoCL here 0.1 ms or more: a
 * sleeping worker wakes slowly on this virtual machine, bench/RESULTS.md). */
int runtime_upload_async(struct runtime *rt, cl_mem mem, size_t offset, const void *src,
                         size_t bytes);

/* Waits for everything queued (clFinish), turning a failed kernel into a status. */
int runtime_finish(struct runtime *rt);

#endif
