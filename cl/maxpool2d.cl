/* Max pooling (layers/maxpool2d.c), NCHW, as PyTorch's MaxPool2d: each output is the largest
 * value of its window (padding never wins; a NaN does, as in PyTorch), and the forward notes
 * which input it was (its index h * W + w in the plane: the first maximum in row-major window
 * order). The backward gathers, for each input, the gradients of the outputs that chose it,
 * in output order: no atomics, the same sums on every run. */

#define POOL_ARGS                                                                              \
    const int planes, const int h, const int w, const int p, const int q, const int r,         \
        const int s, const int stride_r, const int stride_c, const int pad_r, const int pad_c

/* y (planes, P, Q) and argmax (planes, P, Q) from x (planes, H, W); one item per output. */
__kernel void maxpool2d_forward(__global float *y, __global const float *x, POOL_ARGS,
                                __global int *argmax)
{
    const size_t o = get_global_id(0);
    if (o >= (size_t)planes * (size_t)(p * q))
        return;
    const int col = (int)(o % (size_t)q), row = (int)((o / (size_t)q) % (size_t)p);
    const size_t plane = o / (size_t)(p * q);
    int r0, r1, c0, c1;
    pool_span(row, stride_r, pad_r, r, h, &r0, &r1);
    pool_span(col, stride_c, pad_c, s, w, &c0, &c1);
    __global const float *xp = x + plane * (size_t)(h * w);
    float best = -INFINITY;
    int at = r0 * w + c0;
    for (int i = r0; i < r1; i++)
        for (int j = c0; j < c1; j++) {
            const float v = xp[i * w + j];
            if (v > best || isnan(v)) {
                best = v;
                at = i * w + j;
            }
        }
    y[o] = best;
    argmax[o] = at;
}

/* dx (planes, H, W) from dy (planes, P, Q) and the forward's argmax; one item per input. */
__kernel void maxpool2d_backward(__global float *dx, __global const float *dy, POOL_ARGS,
                                 __global const int *argmax)
{
    const size_t e = get_global_id(0);
    if (e >= (size_t)planes * (size_t)(h * w))
        return;
    const int self = (int)(e % (size_t)(h * w));
    const size_t plane = e / (size_t)(h * w);
    int p0, p1, q0, q1;
    pool_outputs(self / w, stride_r, pad_r, r, p, &p0, &p1);
    pool_outputs(self % w, stride_c, pad_c, s, q, &q0, &q1);
    const size_t base = plane * (size_t)(p * q);
    float sum = 0.0f;
    for (int i = p0; i < p1; i++)
        for (int j = q0; j < q1; j++)
            if (argmax[base + (size_t)(i * q + j)] == self)
                sum += dy[base + (size_t)(i * q + j)];
    dx[e] = sum;
}
