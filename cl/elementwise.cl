/* Elementwise kernels around each GEMM: bias + activation forward, and its gradient with the
 * bias gradient, fused so a dense layer costs one pass over its output each way (each in a
 * CPU-shaped and a GPU-shaped kernel: op_bias_act_choice); plus the standalone activation
 * layer. Letters: B batch rows, O outputs (units).
 * Contraction stays off so that results equal the host reference (ops/ref.c) up to the math
 * library alone: 1 - y*y fused into an fma would round differently near |y| = 1. */
#pragma OPENCL FP_CONTRACT OFF

/* y (B, O) = act(y + bias) in place; bias (O) at bias_off in params. One work-item per row
 * (the global size is rounded up, hence the bounds check), in float16 vectors along the row,
 * the last O % 16 values in one zero-padded vector: on PoCL one work-item per element (an index modulo O
 * and a scalar exp each) measured 3-6x slower. */
__kernel void bias_act_forward(__global float *y,            /* (B, O) */
                               __global const float *params, /* bias (O) at bias_off */
                               const ulong bias_off, const int batch, const int out,
                               const int act)
{
    const size_t r = get_global_id(0);
    if (r >= (size_t)batch)
        return;
    __global float *yr = y + r * (size_t)out;
    __global const float *bias = params + bias_off;
    int j = 0;
    for (; j + 16 <= out; j += 16)
        vstore16(act_value16(vload16(0, yr + j) + vload16(0, bias + j), act), 0, yr + j);
    if (j < out) {
        /* The tail through the same vector function, zero-padded: a value's result must not
         * depend on its column (zero-initialised units have to stay identical). */
        float t[16];
        for (int k = 0; k < 16; k++)
            t[k] = j + k < out ? yr[j + k] + bias[j + k] : 0.0f;
        vstore16(act_value16(vload16(0, t), act), 0, t);
        for (int k = 0; j + k < out; k++)
            yr[j + k] = t[k];
    }
}

/* bias_act_forward for the GPU path: one work-item per value, (column, row) in a 2-D range, so
 * neighbouring work-items touch neighbouring floats; no vectors, no private arrays. */
__kernel void bias_act_forward_2d(__global float *y,            /* (B, O) */
                                  __global const float *params, /* bias (O) at bias_off */
                                  const ulong bias_off, const int batch, const int out,
                                  const int act)
{
    const int j = (int)get_global_id(0), r = (int)get_global_id(1);
    if (j >= out || r >= batch)
        return;
    const size_t i = (size_t)r * (size_t)out + (size_t)j;
    y[i] = act_value(y[i] + params[bias_off + j], act);
}

/* dz (B, O) = dy * act'(y) and db (O) = column sums of dz, summed over rows in order (the
 * same float sum on every device). One work-item per column: neighbours touch neighbouring
 * floats of each row. dz may alias dy. */
__kernel void bias_act_backward(__global float *dz,       /* (B, O) */
                                __global float *grads,    /* db (O) at db_off */
                                __global const float *y,  /* (B, O) activation output */
                                __global const float *dy, /* (B, O) */
                                const ulong db_off, const int batch, const int out,
                                const int act)
{
    const size_t j = get_global_id(0);
    if (j >= (size_t)out)
        return;
    float sum = 0.0f;
    for (size_t i = j; i < (size_t)batch * (size_t)out; i += (size_t)out) {
        const float g = act_gradient(dy[i], y[i], act);
        dz[i] = g;
        sum += g;
    }
    grads[db_off + j] = sum;
}

/* bias_act_backward for the GPU path: a 2-D range of (column, row lane), asked for in groups
 * of BA_COLS columns x BA_LANES lanes (ops/elementwise.c). Lane t of column j computes dz over
 * the rows t, t + BA_LANES, t + 2 BA_LANES, ... (neighbouring work-items touch neighbouring
 * floats of a row) and sums them in that order; the group adds the column's BA_LANES partial
 * sums in lane order from local memory. The range has BA_LANES lanes: when the device fits
 * fewer into a group, each work-item takes lanes t, t + its group's height, ..., and the groups
 * past the first row of groups have nothing to do. So db's sum has the same order, whatever
 * the group size: the same bits run to run and with any --max-local. dz may alias dy. */
#define BA_COLS 16  /* ops/elementwise.c: BA_GPU_COLS */
#define BA_LANES 16 /* ops/elementwise.c: BA_GPU_LANES */
__kernel void bias_act_backward_2d(__global float *dz,       /* (B, O) */
                                   __global float *grads,    /* db (O) at db_off */
                                   __global const float *y,  /* (B, O) activation output */
                                   __global const float *dy, /* (B, O) */
                                   const ulong db_off, const int batch, const int out,
                                   const int act)
{
    __local float part[BA_LANES][BA_COLS];
    if (get_group_id(1) != 0) return; /* a whole group: the range's lanes are in the first */
    const int j = (int)get_global_id(0), c = (int)get_local_id(0);
    for (int t = (int)get_local_id(1); t < BA_LANES; t += (int)get_local_size(1)) {
        float sum = 0.0f;
        if (j < out)
            for (int r = t; r < batch; r += BA_LANES) {
                const size_t i = (size_t)r * (size_t)out + (size_t)j;
                const float g = act_gradient(dy[i], y[i], act);
                dz[i] = g;
                sum += g;
            }
        part[t][c] = sum;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (get_local_id(1) != 0 || j >= out) return;
    float sum = 0.0f;
    for (int t = 0; t < BA_LANES; t++)
        sum += part[t][c];
    grads[db_off + j] = sum;
}

/* y = act(x), n values; y may alias x. */
__kernel void act_forward(__global float *y, __global const float *x, const ulong n,
                          const int act)
{
    const size_t i = get_global_id(0);
    if (i < n)
        y[i] = act_value(x[i], act);
}

/* dx = dy * act'(y), n values; dx may alias dy. */
__kernel void act_backward(__global float *dx, __global const float *y,
                           __global const float *dy, const ulong n, const int act)
{
    const size_t i = get_global_id(0);
    if (i < n)
        dx[i] = act_gradient(dy[i], y[i], act);
}
