/* Average pooling (layers/avgpool2d.c), NCHW, as PyTorch's AvgPool2d with count_include_pad:
 * each output is the sum of its window's input values (row-major window order) divided by
 * the window's size, padding counted as zeros. The backward gathers, for each input, the
 * gradients of the outputs whose windows hold it, in output order, each divided by the
 * window's size: no atomics, the same sums on every run. */

#define POOL_ARGS                                                                              \
    const int planes, const int h, const int w, const int p, const int q, const int r,         \
        const int s, const int stride_r, const int stride_c, const int pad_r, const int pad_c

/* y (planes, P, Q) from x (planes, H, W); one item per output. */
__kernel void avgpool2d_forward(__global float *y, __global const float *x, POOL_ARGS)
{
    const size_t o = get_global_id(0);
    if (o >= (size_t)planes * (size_t)(p * q))
        return;
    const int col = (int)(o % (size_t)q), row = (int)((o / (size_t)q) % (size_t)p);
    __global const float *xp = x + (o / (size_t)(p * q)) * (size_t)(h * w);
    int r0, r1, c0, c1;
    pool_span(row, stride_r, pad_r, r, h, &r0, &r1);
    pool_span(col, stride_c, pad_c, s, w, &c0, &c1);
    float sum = 0.0f;
    for (int i = r0; i < r1; i++)
        for (int j = c0; j < c1; j++)
            sum += xp[i * w + j];
    y[o] = sum / (float)(r * s);
}

/* dx (planes, H, W) from dy (planes, P, Q); one item per input. */
__kernel void avgpool2d_backward(__global float *dx, __global const float *dy, POOL_ARGS)
{
    const size_t e = get_global_id(0);
    if (e >= (size_t)planes * (size_t)(h * w))
        return;
    const int self = (int)(e % (size_t)(h * w));
    __global const float *dp = dy + (e / (size_t)(h * w)) * (size_t)(p * q);
    int p0, p1, q0, q1;
    pool_outputs(self / w, stride_r, pad_r, r, p, &p0, &p1);
    pool_outputs(self % w, stride_c, pad_c, s, q, &q0, &q1);
    const float size = (float)(r * s);
    float sum = 0.0f;
    for (int i = p0; i < p1; i++)
        for (int j = q0; j < q1; j++)
            sum += dp[i * q + j] / size;
    dx[e] = sum;
}
