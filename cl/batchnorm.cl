/* Batch normalisation (layers/batchnorm.c), as PyTorch's BatchNorm1d / BatchNorm2d: per
 * channel c of x (B, C, HW) (HW = 1 after a flat layer), over its n = B * HW values. One
 * work-item per channel owns all of its sums, each in one fixed order (images in order, the
 * positions of each in order) and compensated (Kahan's), so a channel of 78,400 values sums
 * as closely as PyTorch's double accumulators: no atomics, the same bits on every run and
 * whatever the work-group size. Parameters: gamma (C) at w_off and beta (C) at b_off of the
 * parameter arena; state: running_mean (C) then running_var (C) at s_off of the state arena;
 * saved (2C): the training forward's mean, then 1 / sqrt(var + eps), for the backward. */

/* Adds v to the compensated sum (*sum, *carry). */
static void kahan_add(float *sum, float *carry, const float v)
{
    const float y = v - *carry, t = *sum + y;
    *carry = (t - *sum) - y;
    *sum = t;
}

/* The sum over channel c's values of (x - shift)^k, k 1 or 2. */
static float channel_sum(__global const float *x, const int batch, const int channels,
                         const int hw, const int c, const float shift, const int k)
{
    float sum = 0.0f, carry = 0.0f;
    for (int b = 0; b < batch; b++) {
        __global const float *xc = x + ((size_t)b * (size_t)channels + (size_t)c) * (size_t)hw;
        for (int p = 0; p < hw; p++) {
            const float d = xc[p] - shift;
            kahan_add(&sum, &carry, k == 1 ? d : d * d);
        }
    }
    return sum;
}

/* y = gamma (x - mean) / sqrt(var + eps) + beta. train: mean and the biased var of the batch,
 * kept in saved, and the running statistics moved toward them by momentum (the variance's
 * unbiased: times n / (n - 1)); else the running statistics. */
__kernel void batchnorm_forward(__global float *y, __global const float *x,
                                __global const float *params, const ulong w_off,
                                const ulong b_off, __global float *state, const ulong s_off,
                                __global float *saved, const int batch, const int channels,
                                const int hw, const int train, const float momentum,
                                const float eps)
{
    const int c = (int)get_global_id(0);
    if (c >= channels)
        return;
    __global float *run_mean = state + s_off, *run_var = run_mean + channels;
    float mean, inv;
    if (train) {
        const float n = (float)batch * (float)hw;
        mean = channel_sum(x, batch, channels, hw, c, 0.0f, 1) / n;
        const float var = channel_sum(x, batch, channels, hw, c, mean, 2) / n;
        inv = 1.0f / sqrt(var + eps);
        saved[c] = mean;
        saved[channels + c] = inv;
        run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * mean;
        run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (var * n / (n - 1.0f));
    } else {
        mean = run_mean[c];
        inv = 1.0f / sqrt(run_var[c] + eps);
    }
    const float scale = params[w_off + (ulong)c] * inv, shift = params[b_off + (ulong)c];
    for (int b = 0; b < batch; b++) {
        const size_t at = ((size_t)b * (size_t)channels + (size_t)c) * (size_t)hw;
        for (int p = 0; p < hw; p++)
            y[at + (size_t)p] = (x[at + (size_t)p] - mean) * scale + shift;
    }
}

/* From dy (B, C, HW), x and the training forward's saved statistics: dbeta = sum dy and
 * dgamma = sum dy xhat into the gradient arena (at w_off, b_off), and unless need_dx is 0,
 * dx = gamma inv (dy - dbeta / n - xhat dgamma / n), xhat = (x - mean) inv. */
__kernel void batchnorm_backward(__global float *dx, __global const float *dy,
                                 __global const float *x, __global const float *params,
                                 __global float *grads, const ulong w_off, const ulong b_off,
                                 __global const float *saved, const int batch,
                                 const int channels, const int hw, const int need_dx)
{
    const int c = (int)get_global_id(0);
    if (c >= channels)
        return;
    const float mean = saved[c], inv = saved[channels + c];
    float dbeta = 0.0f, carry_b = 0.0f, dgamma = 0.0f, carry_g = 0.0f;
    for (int b = 0; b < batch; b++) {
        const size_t at = ((size_t)b * (size_t)channels + (size_t)c) * (size_t)hw;
        for (int p = 0; p < hw; p++) {
            kahan_add(&dbeta, &carry_b, dy[at + (size_t)p]);
            kahan_add(&dgamma, &carry_g, dy[at + (size_t)p] * ((x[at + (size_t)p] - mean) * inv));
        }
    }
    grads[w_off + (ulong)c] = dgamma;
    grads[b_off + (ulong)c] = dbeta;
    if (!need_dx)
        return;
    const float n = (float)batch * (float)hw, k = params[w_off + (ulong)c] * inv;
    const float mean_dy = dbeta / n, mean_g = dgamma / n;
    for (int b = 0; b < batch; b++) {
        const size_t at = ((size_t)b * (size_t)channels + (size_t)c) * (size_t)hw;
        for (int p = 0; p < hw; p++) {
            const float xhat = (x[at + (size_t)p] - mean) * inv;
            dx[at + (size_t)p] = k * (dy[at + (size_t)p] - mean_dy - xhat * mean_g);
        }
    }
}
