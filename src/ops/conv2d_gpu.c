/* The GPU path of the conv ops (cl/conv2d_gpu.cl): direct kernels, one output position per
 * work-item for a block of 4 filters (forward) or 4 input channels (dx), the block's weights
 * staged in local memory by work-groups of 64; dz = dy * act'(y) in one pass; dW and db as 256
 * fixed partial sums per output, added in a second launch.
 *
 * Why direct kernels rather than im2col + GEMM (CLBlast): the layers clnet trains (the homework
 * CNN: 1-8 input channels, 4-12 filters, 4x4 and 5x5 kernels) make skinny GEMMs. As im2col +
 * GEMM the forward is (B P Q) x (C R S) times (C R S) x K with K = 4..12: a GEMM's tiles of 32
 * to 128 columns would be mostly padding, and the im2col copy moves R S (16-25) times the
 * input through memory before any arithmetic. The direct kernels read each input value from
 * cache, reuse each load for 4 filters, read the weights from local memory, and need no
 * buffer beyond dz and the partial sums. For wide layers (C and K of 64 and more) im2col +
 * GEMM would win on arithmetic; clnet's models do not have them yet.
 *
 * Resources (scripts/gpu-resources, LLVM 14 offline; bench/RESULTS.md): every kernel here within
 * the GPU-path budget, no scratch on gfx906 / gfx1030 and no local depot on nvptx64.
 *
 * Sums: each output is summed by one work-item in a fixed order (the dW partials by term index
 * modulo 256, whatever the work-group size), so results are the same bits run to run and for any
 * work-group size; the forward and dx in the CPU path's order. */
#include "ops/conv2d_gpu.h"

#include <limits.h>

#include "util/status.h"

enum {
    GPU_BLOCK = 4,   /* cl/conv2d_gpu.cl: filters or channels per work-item */
    GPU_PARTS = 256, /* cl/conv2d_gpu.cl: partial sums per weight gradient */
    GPU_GROUP = 64,  /* work-items per group asked for (runtime_launch fits it to the device) */
    GPU_TAPS = 256,  /* weights staged per filter (or channel) row and chunk */
};

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* dz's floats: y's shape, batch-minor rows (bp) or not. */
static size_t dz_floats(const struct conv_geom *g, size_t bp)
{
    return (size_t)g->k * (size_t)g->p * (size_t)g->q * bp;
}

/* Outputs of the weight gradient: K C R S weights and K biases. */
static size_t dw_outputs(const struct conv_geom *g)
{
    return (size_t)g->k * ((size_t)g->c * (size_t)g->r * (size_t)g->s + 1);
}

/* conv2d_gpu_weights_partial's work-items per filter block: (tap or bias, partial). */
static size_t partial_items(const struct conv_geom *g)
{
    return ((size_t)g->c * (size_t)g->r * (size_t)g->s + 1) * GPU_PARTS;
}

size_t conv2d_gpu_workspace_floats(const struct conv_geom *g, int batch, size_t bp)
{
    (void)batch;
    return dz_floats(g, bp) + dw_outputs(g) * GPU_PARTS;
}

/* a * b <= INT_MAX */
static bool fits_int(size_t a, size_t b)
{
    return b == 0 || a <= (size_t)INT_MAX / b;
}

bool conv2d_gpu_fits(const struct conv_geom *g, int batch, size_t bp)
{
    (void)batch;
    size_t chw = (size_t)g->c * (size_t)g->h * (size_t)g->w;
    return fits_int(dw_outputs(g), GPU_PARTS) && fits_int(partial_items(g), 1) &&
           fits_int(bp, chw) && fits_int(bp, dz_floats(g, 1));
}

static cl_int4 pack_layout(const struct conv_geom *g, size_t bp)
{
    cl_int4 v = {{(cl_int)bp, g->x_batch_minor ? 1 : 0, g->y_batch_minor ? 1 : 0, 0}};
    return v;
}

/* Rows (filters or channels) of a weight chunk staged at once: GPU_TAPS weights' worth, at
 * least one, at most `rows`; its local memory must fit the device. */
static int chunk_rows(const struct runtime *rt, const char *op, const struct conv_geom *g, int rows,
                      cl_int *n, size_t *bytes)
{
    size_t rs = (size_t)g->r * (size_t)g->s, c = GPU_TAPS / rs;
    *n = (cl_int)(c < 1 ? 1 : c > (size_t)rows ? (size_t)rows : c);
    *bytes = GPU_BLOCK * (size_t)*n * rs * sizeof(cl_float);
    if (*bytes > runtime_device(rt)->local_mem_bytes)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "%s: a %dx%d kernel's weights need %zu bytes of local memory, %s "
                            "has %llu",
                            op, g->r, g->s, *bytes, runtime_device(rt)->name,
                            (unsigned long long)runtime_device(rt)->local_mem_bytes);
    return CLNET_OK;
}

static int launch_2d(struct runtime *rt, enum kernel_id id, const struct runtime_arg *args, int n,
                     size_t items, size_t blocks)
{
    int status = runtime_set_args(rt, id, args, n);
    const size_t global[2] = {items, blocks}, local[2] = {GPU_GROUP, 1};
    return status != CLNET_OK ? status : runtime_launch(rt, id, 2, global, local);
}

static int launch_1d(struct runtime *rt, enum kernel_id id, const struct runtime_arg *args, int n,
                     size_t items)
{
    int status = runtime_set_args(rt, id, args, n);
    return status != CLNET_OK ? status : runtime_launch_1d(rt, id, items);
}

int conv2d_gpu_forward(struct runtime *rt, cl_mem y, cl_mem x, cl_mem params, size_t w_off,
                       size_t b_off, const struct conv_geom *g, const cl_int16 *geom, size_t bp,
                       int batch, int act)
{
    cl_int cc;
    size_t local_bytes;
    int status = chunk_rows(rt, "conv2d_forward", g, g->c, &cc, &local_bytes);
    if (status != CLNET_OK) return status;
    cl_int4 lay = pack_layout(g, bp);
    cl_ulong woff = w_off, boff = b_off;
    cl_int act_arg = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(y),    RUNTIME_ARG(x),       RUNTIME_ARG(params),
                                       RUNTIME_ARG(woff), RUNTIME_ARG(boff),    RUNTIME_ARG(*geom),
                                       RUNTIME_ARG(lay),  RUNTIME_ARG(act_arg), {local_bytes, NULL},
                                       RUNTIME_ARG(cc)};
    size_t images = g->y_batch_minor ? bp : (size_t)batch;
    return launch_2d(rt, KERNEL_CONV2D_GPU_FORWARD, args, N_ARGS(args),
                     images * (size_t)g->p * (size_t)g->q, ceil_div((size_t)g->k, GPU_BLOCK));
}

/* dx from dz (at the workspace's start). */
static int backward_data(struct runtime *rt, cl_mem dx, cl_mem work, cl_mem params, size_t w_off,
                         const struct conv_geom *g, const cl_int16 *geom, size_t bp, int batch)
{
    cl_int kc;
    size_t local_bytes;
    int status = chunk_rows(rt, "conv2d_backward", g, g->k, &kc, &local_bytes);
    if (status != CLNET_OK) return status;
    cl_int4 lay = pack_layout(g, bp);
    cl_ulong woff = w_off;
    const struct runtime_arg args[] = {RUNTIME_ARG(dx),     RUNTIME_ARG(work), RUNTIME_ARG(params),
                                       RUNTIME_ARG(woff),   RUNTIME_ARG(*geom), RUNTIME_ARG(lay),
                                       {local_bytes, NULL}, RUNTIME_ARG(kc)};
    size_t images = g->x_batch_minor ? bp : (size_t)batch;
    return launch_2d(rt, KERNEL_CONV2D_GPU_BACKWARD_DATA, args, N_ARGS(args),
                     images * (size_t)g->h * (size_t)g->w, ceil_div((size_t)g->c, GPU_BLOCK));
}

int conv2d_gpu_backward(struct runtime *rt, cl_mem dx, cl_mem grads, size_t dw_off, size_t db_off,
                        cl_mem x, cl_mem y, cl_mem dy, cl_mem params, size_t w_off, cl_mem work,
                        const struct conv_geom *g, const cl_int16 *geom, size_t bp, int batch,
                        int act)
{
    cl_int n = (cl_int)dz_floats(g, g->y_batch_minor ? bp : (size_t)batch);
    cl_int act_arg = act;
    const struct runtime_arg dz[] = {RUNTIME_ARG(work), RUNTIME_ARG(dy), RUNTIME_ARG(y),
                                     RUNTIME_ARG(n), RUNTIME_ARG(act_arg)};
    int status = launch_1d(rt, KERNEL_CONV2D_GPU_DZ, dz, N_ARGS(dz), (size_t)n);
    if (status != CLNET_OK) return status;
    cl_int4 lay = pack_layout(g, bp);
    cl_ulong part_off = dz_floats(g, bp), dwoff = dw_off, dboff = db_off;
    const struct runtime_arg partial[] = {RUNTIME_ARG(work), RUNTIME_ARG(x), RUNTIME_ARG(part_off),
                                          RUNTIME_ARG(*geom), RUNTIME_ARG(lay)};
    status = launch_2d(rt, KERNEL_CONV2D_GPU_WEIGHTS_PARTIAL, partial, N_ARGS(partial),
                       partial_items(g), ceil_div((size_t)g->k, GPU_BLOCK));
    if (status != CLNET_OK) return status;
    cl_int k_crs = g->k * g->c * g->r * g->s, k = g->k;
    const struct runtime_arg reduce[] = {
        RUNTIME_ARG(grads), RUNTIME_ARG(work),  RUNTIME_ARG(part_off), RUNTIME_ARG(dwoff),
        RUNTIME_ARG(dboff), RUNTIME_ARG(k_crs), RUNTIME_ARG(k)};
    status = launch_1d(rt, KERNEL_CONV2D_GPU_WEIGHTS_REDUCE, reduce, N_ARGS(reduce), dw_outputs(g));
    if (status != CLNET_OK || !dx) return status;
    return backward_data(rt, dx, work, params, w_off, g, geom, bp, batch);
}
