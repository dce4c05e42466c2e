/* Inverted dropout with no mask buffer: element i of a step is kept when
 * rng_hash3(seed, iteration, i) >= p 2^32 (i counted over the whole batch: a data-parallel rank
 * holding rows from r passes first = r * row size, so the ranks draw one batch's mask), so the backward pass recomputes the forward's mask
 * and every device draws the same one (src/util/rng.c has the host twin, tests/ops checks
 * them bitwise). The host passes threshold = ceil(p 2^32) (2^32 for p = 1: nothing kept) and
 * scale = 1 / (1 - p) rounded to float, as PyTorch scales by a float factor. */
#pragma OPENCL FP_CONTRACT OFF

/* rng_hash3 of src/util/rng.c, step for step. */
uint clnet_hash3(ulong seed, ulong a, ulong b)
{
    ulong h = clnet_mix64(seed + 0x9e3779b97f4a7c15UL);
    h = clnet_mix64(h ^ a);
    h = clnet_mix64(h + b);
    return (uint)(h >> 32);
}

float dropout_value(__global const float *v, size_t i, const ulong first, const ulong threshold,
                    const float scale, const ulong seed, const ulong iteration)
{
    return (ulong)clnet_hash3(seed, iteration, first + (ulong)i) >= threshold ? v[i] * scale
                                                                                : 0.0f;
}

/* y = keep ? x scale : 0 over n values. */
__kernel void dropout_forward(__global float *y, __global const float *x, const ulong n,
                              const ulong first, const ulong threshold, const float scale,
                              const ulong seed, const ulong iteration)
{
    const size_t i = get_global_id(0);
    if (i < n)
        y[i] = dropout_value(x, i, first, threshold, scale, seed, iteration);
}

/* dx = keep ? dy scale : 0 with the forward's mask; dx may alias dy. */
__kernel void dropout_backward(__global float *dx, __global const float *dy, const ulong n,
                               const ulong first, const ulong threshold, const float scale,
                               const ulong seed, const ulong iteration)
{
    const size_t i = get_global_id(0);
    if (i < n)
        dx[i] = dropout_value(dy, i, first, threshold, scale, seed, iteration);
}
