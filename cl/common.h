/* Prelude of every clnet program: the runtime prepends this file to each .cl source in cl/
 * before building it (with -cl-std=CL1.2), so helpers shared by several op families live
 * here. Plain OpenCL C 1.2, no extensions.
 * Contraction stays off in every program, so results equal the host reference (ops/ref.c) up
 * to the math library alone: 1 - y*y fused into an fma would round differently near |y| = 1. */
#pragma OPENCL FP_CONTRACT OFF

/* b / 255.0f correctly rounded on any device: OpenCL's single-precision '/' may be 2.5 ulp off
 * (and is on some GPUs), while fma and '*' are exact-rounded everywhere. One residual step
 * recovers the correctly rounded quotient; tests/ops checks all 256 bytes against the host. */
float clnet_byte_unit(uchar b)
{
    const float v = (float)b;
    const float q = v * (1.0f / 255.0f);
    const float r = fma(-q, 255.0f, v);
    return fma(r, 1.0f / 255.0f, q);
}

/* clnet_byte_unit of 16 bytes at once, already converted to float (exact: bytes fit). */
float16 clnet_byte_unit16(float16 v)
{
    const float16 q = v * (1.0f / 255.0f);
    const float16 r = fma(-q, (float16)(255.0f), v);
    return fma(r, (float16)(1.0f / 255.0f), q);
}

/* enum activation (config/experiment.h); ops/elementwise.c asserts the values match. */
#define ACT_IDENTITY 0
#define ACT_SIGMOID 1
#define ACT_RELU 2
#define ACT_TANH 3
#define ACT_STEP 4

float act_value(float z, int act)
{
    switch (act) {
    case ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-z));
    case ACT_RELU:
        return z < 0.0f ? 0.0f : z; /* NaN passes through, as torch.relu */
    case ACT_TANH:
        return tanh(z);
    case ACT_STEP:
        return z >= 0.0f ? 1.0f : 0.0f;
    default:
        return z;
    }
}

/* act_value over 16 values at once (vector exp and tanh; the same formulas). */
float16 act_value16(float16 z, int act)
{
    switch (act) {
    case ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-z));
    case ACT_RELU:
        return select(z, (float16)(0.0f), z < 0.0f); /* NaN passes through */
    case ACT_TANH:
        return tanh(z);
    case ACT_STEP:
        return select((float16)(0.0f), (float16)(1.0f), z >= 0.0f);
    default:
        return z;
    }
}

/* dy * act'(z) written through the output y = act(z), in PyTorch's operation order. */
float act_gradient(float dy, float y, int act)
{
    switch (act) {
    case ACT_SIGMOID:
        return dy * (1.0f - y) * y;
    case ACT_RELU:
        return y > 0.0f ? dy : 0.0f;
    case ACT_TANH:
        return dy * (1.0f - y * y);
    case ACT_STEP:
        return 0.0f;
    default:
        return dy;
    }
}

/* act_gradient over 8 values at once (the same formulas in the same order). */
float8 act_gradient8(float8 dy, float8 y, int act)
{
    switch (act) {
    case ACT_SIGMOID:
        return dy * (1.0f - y) * y;
    case ACT_RELU:
        return select((float8)(0.0f), dy, y > 0.0f);
    case ACT_TANH:
        return dy * (1.0f - y * y);
    case ACT_STEP:
        return (float8)(0.0f);
    default:
        return dy;
    }
}
