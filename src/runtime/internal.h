/* Pieces shared by the runtime's files and nothing else: the runtime struct, device handles,
 * source loading and program building. */
#ifndef CLNET_RUNTIME_INTERNAL_H
#define CLNET_RUNTIME_INTERNAL_H

#include "runtime/runtime.h"

#define RUNTIME_PATH_MAX 4096

struct runtime {
    struct runtime_device_info info;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program programs[PROGRAM_COUNT];
    cl_kernel kernels[KERNEL_COUNT];
    size_t kernel_wg_size[KERNEL_COUNT];    /* CL_KERNEL_WORK_GROUP_SIZE */
    size_t kernel_local_size[KERNEL_COUNT]; /* what runtime_launch_1d uses */
    size_t kernel_multiple[KERNEL_COUNT];   /* CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE */
    const char *cl_dir;                     /* during runtime_open only; NULL: embedded */
    char cache_dir[RUNTIME_PATH_MAX];       /* "" when caching is off */
    struct runtime_stats stats;
    size_t bytes_allocated; /* every runtime_alloc's bytes, summed (runtime_bytes_allocated) */
    enum runtime_launch_mode launch_mode;
    int launch_skip;                  /* RUNTIME_LAUNCH_SKIP_FIRST: how many kernels */
    int first_launch[KERNEL_COUNT];   /* 1 + its place among the kernels first launched; 0 */
    int kernels_launched;             /* distinct kernels launched (or recorded) so far */
    enum runtime_ops_path ops_path;   /* CPU or GPU: runtime_ops_path */
    char ops_path_reason[64];         /* runtime_ops_path_reason */
    cl_mem scratch;                   /* runtime_scratch's buffer, or NULL */
    size_t scratch_bytes;
};

/* choices.c: rt->ops_path and its reason from options->ops_path (RUNTIME_OPS_AUTO or no
 * options: the path runtime_configure set, else the device's type), and a run's program set
 * (options->programs) without the programs only the other path uses (every program, set 0:
 * both paths'). */
void ops_path_choose(struct runtime *rt, const struct runtime_options *options);
/* choices.c: the cap runtime_configure set on the work-group size of every launch of clnet's
 * own kernels below what the device allows (testing small limits: CLBlast's launches are its
 * own), or 0 for none. */
size_t choices_max_local(void);

/* device.c: a device with its OpenCL handles. */
struct device_entry {
    struct runtime_device_info info;
    cl_platform_id platform;
    cl_device_id device;
};

/* Selects as runtime_find_device does, with the handles. */
int device_select(struct device_entry *out, const char *spec);

/* sources.c: one cl/ file, from the embedded copy (cl_dir NULL) or cl_dir/file. */
struct cl_source {
    char display[RUNTIME_PATH_MAX]; /* "cl/data.cl" or "DIR/data.cl": what messages name */
    unsigned char *data;            /* malloc'd copy */
    size_t size;
};

int source_load(struct cl_source *src, const char *file, const char *cl_dir);
void source_free(struct cl_source *src);

/* program.c: builds program `id` (prelude + file) for rt's device, through the cache, counting
 * cache hits, misses, rejections and writes into *st. */
int program_build(const struct runtime *rt, cl_program *program, enum program_id id,
                  struct runtime_stats *st);

#endif
