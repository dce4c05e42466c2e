/* Optimizer updates: one launch over the whole parameter arena per step, as torch.optim.SGD and
 * torch.optim.Adam (L2 weight decay added to the gradient). Per-step scalars (lr, the Adam
 * step size) are arguments, so nothing is rebuilt between steps. Letter: P parameters.
 * Contraction off: the host reference (ops/ref.c) does the same roundings. */
#pragma OPENCL FP_CONTRACT OFF

/* The gradient with L2 weight decay added; skipped at 0, as PyTorch does. */
float decayed_grad(float g, float w, float weight_decay)
{
    return weight_decay != 0.0f ? g + weight_decay * w : g;
}

/* w -= lr * (grad + wd * w). */
__kernel void sgd_update(__global float *params, __global const float *grads, const ulong n,
                         const float lr, const float weight_decay)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    const float w = params[i];
    const float g = decayed_grad(grads[i], w, weight_decay);
    params[i] = w - lr * g;
}

/* v = first_step ? g : momentum * v + g; w -= lr * v (PyTorch: no dampening, no Nesterov). */
__kernel void sgd_momentum_update(__global float *params, __global float *velocity,
                                  __global const float *grads, const ulong n, const float lr,
                                  const float momentum, const float weight_decay,
                                  const int first_step)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    const float w = params[i];
    const float g = decayed_grad(grads[i], w, weight_decay);
    const float v = first_step ? g : momentum * velocity[i] + g;
    velocity[i] = v;
    params[i] = w - lr * v;
}

/* A moment below FLT_MIN (subnormal) as 0 of its sign, by its exponent bits: fabs and a compare
 * made PoCL's kernel 2-3 times slower on all-normal moments (not vectorized, it seems). A parameter whose gradient stops (a dead ReLU unit,
 * a pixel few images light) keeps m decaying by beta1 each step into the subnormals, where x86
 * takes a microcode assist per operation and 0.9 x the smallest subnormal rounds back to itself,
 * so m never leaves: the whole step got several times slower after ~800 steps. The update such an
 * m gives, step_size m / (sqrt(v) / bc2_sqrt + eps) < lr / bc1 x FLT_MIN / eps, is below half an
 * ulp of any weight above 1e-21 in magnitude (lr <= 1, eps 1e-8, bc1 >= 0.1), so the weights
 * keep their bits; a subnormal v adds under sqrt(FLT_MIN) / bc2_sqrt (4e-18 at beta2 0.999's
 * first step) to a denominator of at least eps, below half its ulp. NaN stays NaN. */
float flush_subnormal(float x)
{
    const uint bits = as_uint(x); /* exponent bits 0: a zero or a subnormal; keep the sign */
    return as_float((bits & 0x7f800000u) == 0u ? bits & 0x80000000u : bits);
}

/* m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g (each flushed: above);
 * w -= step_size m / (sqrt(v) / bc2_sqrt + eps) with step_size = lr / bc1 and
 * bc2_sqrt = sqrt(bc2) from the host (PyTorch's arrangement). */
__kernel void adam_update(__global float *params, __global float *m, __global float *v,
                          __global const float *grads, const ulong n, const float step_size,
                          const float beta1, const float one_minus_beta1, const float beta2,
                          const float one_minus_beta2, const float eps,
                          const float weight_decay, const float bc2_sqrt)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    const float w = params[i];
    const float g = decayed_grad(grads[i], w, weight_decay);
    const float mi = flush_subnormal(beta1 * m[i] + one_minus_beta1 * g);
    const float vi = flush_subnormal(beta2 * v[i] + one_minus_beta2 * g * g);
    m[i] = mi;
    v[i] = vi;
    params[i] = w - step_size * mi / (sqrt(vi) / bc2_sqrt + eps);
}
