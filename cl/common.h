/* Prelude of every clnet program: the runtime prepends this file to each .cl source in cl/
 * before building it (with -cl-std=CL1.2), so helpers shared by several op families live
 * here. Plain OpenCL C 1.2, no extensions.
 * Contraction stays off in every program, so results equal the host reference (ops/ref.c) up
 * to the math library alone: 1 - y*y fused into an fma would round differently near |y| = 1. */
#pragma OPENCL FP_CONTRACT OFF

/* The splitmix64 finalizer (src/util/rng.c's rng_mix64); ulong arithmetic wraps modulo 2^64 as
 * uint64_t does. Dropout's masks and the input noise hash with it. */
ulong clnet_mix64(ulong z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}

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

/* The GEMM epilogues (cl/gemm.cl, cl/gemm_t.cl; ops/gemm.c mirrors these values and checks
 * where each may run): what a dense layer would otherwise run as a kernel of its own after the
 * GEMM, one pass less over C each:
 *   GEMM_EPI_BIAS_ACT: C = act(alpha A B + e[j]), e the bias (N): a dense layer's forward,
 *     the same vector functions (act_value16) as bias_act_forward, so the same bits;
 *   GEMM_EPI_ACT_GRAD (also gemm_nt): C = act'(alpha op(A) op(B)) through e (M, N, row
 *     stride e_ld), the layer below's activation output: its dz straight from the dx product
 *     (act_gradient's formulas);
 *   GEMM_EPI_COLSUM (A^T B only): also e[j] = alpha s + beta e[j], s = sum over p of B[p][j]
 *     in order from p = 0, by one extra row of work-items: a dense layer's db beside its
 *     dW = x^T dz, or with alpha = -lr and beta = 1 its SGD step beside W's. */
#define GEMM_EPI_NONE 0
#define GEMM_EPI_BIAS_ACT 1
#define GEMM_EPI_ACT_GRAD 2
#define GEMM_EPI_COLSUM 3

/* One C element of the GEMM kernels' edge paths: alpha s + beta c, C not read when beta == 0. */
void gemm_store1(__global float *c, float s, float alpha, float beta)
{
    *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
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

/* act_gradient over 16 values at once (the same formulas in the same order). */
float16 act_gradient16(float16 dy, float16 y, int act)
{
    switch (act) {
    case ACT_SIGMOID:
        return dy * (1.0f - y) * y;
    case ACT_RELU:
        return select((float16)(0.0f), dy, y > 0.0f);
    case ACT_TANH:
        return dy * (1.0f - y * y);
    case ACT_STEP:
        return (float16)(0.0f);
    default:
        return dy;
    }
}

/* 16 floats of p from column j0, lanes at or past column n read as 0 (p may end at n): the
 * ragged end of a row as a whole vector (gemm.cl's edge epilogue, dense_tail.cl's input). The
 * lane loop is left rolled: only a row's last vector takes it. */
static inline __attribute__((always_inline)) float16 clnet_vload16_upto(const __global float *p,
                                                                        int j0, int n)
{
    if (j0 + 16 <= n) return vload16(0, p + j0);
    float t[16];
#pragma unroll 1
    for (int l = 0; l < 16; l++)
        t[l] = j0 + l < n ? p[j0 + l] : 0.0f;
    return vload16(0, t);
}

/* enum loss_kind (config/experiment.h); ops/loss.c asserts the values match. */
#define LOSS_CROSS_ENTROPY 0
#define LOSS_NAIVE_SOFTMAX_LOG 1

/* The loss of one row of logits zr (C classes, B rows in the batch) into *row_loss and
 * *row_correct, and its gradient into dr. The row's exp(z - max) are parked in dr and
 * normalised there, so dr may alias zr (loss.cl's kernel and dense_tail.cl's use it).
 * cross_entropy: loss = log(sum) - (z_label - max), dz = (p - onehot) / B.
 * naive_softmax_log, as PyTorch's log(softmax(z)) and its autograd: p = exp(z - max) / sum,
 * loss = -log(p_label) unclamped (+inf once p_label underflows), g_label = (-1/B) / p_label,
 * dz_j = p_j * ([j == label] g_label - p_label g_label): NaN when p_label == 0, as PyTorch.
 * correct = argmax(z) == label, the first maximum winning. A label outside [0, C) cannot come
 * from the data; it gives loss NaN, correct 0 and dz 0 rather than a stray read. */
static inline void loss_row(__global float *dr, __global float *row_loss,
                            __global float *row_correct, __global const float *zr, const int label,
                            const int batch, const int classes, const int loss)
{
    float max = zr[0];
    int arg = 0;
    for (int j = 1; j < classes; j++)
        if (zr[j] > max) {
            max = zr[j];
            arg = j;
        }
    if (label < 0 || label >= classes) {
        for (int j = 0; j < classes; j++)
            dr[j] = 0.0f;
        *row_loss = NAN;
        *row_correct = 0.0f;
        return;
    }
    const float z_label = zr[label];
    *row_correct = arg == label ? 1.0f : 0.0f;
    float sum = 0.0f;
    for (int j = 0; j < classes; j++) {
        const float e = exp(zr[j] - max);
        dr[j] = e;
        sum += e;
    }
    const float b = (float)batch;
    if (loss == LOSS_CROSS_ENTROPY) {
        *row_loss = log(sum) - (z_label - max);
        for (int j = 0; j < classes; j++)
            dr[j] = (dr[j] / sum - (j == label ? 1.0f : 0.0f)) / b;
        return;
    }
    for (int j = 0; j < classes; j++)
        dr[j] = dr[j] / sum;
    const float p_label = dr[label];
    *row_loss = -log(p_label);
    const float g = (-1.0f / b) / p_label;
    const float dot = p_label * g;
    for (int j = 0; j < classes; j++)
        dr[j] = dr[j] * ((j == label ? g : 0.0f) - dot);
}

/* Pooling windows (cl/maxpool2d.cl, cl/avgpool2d.cl; layers/pool2d.h): the input rows [*lo,
 * *hi) of output row o, its window of `size` clipped to the n input rows. */
void pool_span(int o, int stride, int pad, int size, int n, int *lo, int *hi)
{
    const int start = o * stride - pad, end = start + size;
    *lo = max(start, 0);
    *hi = min(end, n);
}

/* The output rows [*lo, *hi) of the m whose windows hold input row i. */
void pool_outputs(int i, int stride, int pad, int size, int m, int *lo, int *hi)
{
    const int first = i + pad - size + 1; /* the lowest window start that reaches i */
    *lo = max(first <= 0 ? 0 : (first + stride - 1) / stride, 0);
    *hi = min((i + pad) / stride + 1, m);
}

/* v[c].s[l] <-> v[l].s[c], a 16 x 16 block transposed in registers (cl/dense_tail.cl's tiles,
 * gemm_transpose): four rounds, each swapping one bit of the vector's index with the
 * same bit of the lane's (vector literals of swizzles: LLVM emits two-source permutes). */
static inline __attribute__((always_inline)) void clnet_transpose16(float16 *v)
{
#pragma unroll
    for (int i = 0; i < 16; i++)
        if ((i & 8) == 0) {
            const float16 a = v[i], b = v[i + 8];
            v[i] = (float16)(a.lo, b.lo);
            v[i + 8] = (float16)(a.hi, b.hi);
        }
#pragma unroll
    for (int i = 0; i < 16; i++)
        if ((i & 4) == 0) {
            const float16 a = v[i], b = v[i + 4];
            v[i] = (float16)(a.s0123, b.s0123, a.s89ab, b.s89ab);
            v[i + 4] = (float16)(a.s4567, b.s4567, a.scdef, b.scdef);
        }
#pragma unroll
    for (int i = 0; i < 16; i++)
        if ((i & 2) == 0) {
            const float16 a = v[i], b = v[i + 2];
            v[i] = (float16)(a.s01, b.s01, a.s45, b.s45, a.s89, b.s89, a.scd, b.scd);
            v[i + 2] = (float16)(a.s23, b.s23, a.s67, b.s67, a.sab, b.sab, a.sef, b.sef);
        }
#pragma unroll
    for (int i = 0; i < 16; i++)
        if ((i & 1) == 0) {
            const float16 a = v[i], b = v[i + 1];
            v[i] = (float16)(a.s0, b.s0, a.s2, b.s2, a.s4, b.s4, a.s6, b.s6, a.s8, b.s8, a.sa,
                             b.sa, a.sc, b.sc, a.se, b.se);
            v[i + 1] = (float16)(a.s1, b.s1, a.s3, b.s3, a.s5, b.s5, a.s7, b.s7, a.s9, b.s9, a.sb,
                                 b.sb, a.sd, b.sd, a.sf, b.sf);
        }
}

/* v[j] = column c0 + j of rows r0 .. r0 + 15 of a row-major matrix t (row stride ld), rows past
 * `rows` and columns past `cols` zero: 16 rows of 16 loaded and transposed in registers (the
 * NCHW x of cl/conv2d.cl's conv2d_pad, whose rows are images: a scalar load per value had been
 * its cost). */
static inline __attribute__((always_inline)) void
clnet_load_transposed16(float16 *v, __global const float *t, const size_t ld, const int r0,
                        const int rows, const size_t c0, const size_t cols)
{
#pragma unroll
    for (int e = 0; e < 16; e++) {
        __global const float *row = t + (size_t)(r0 + e) * ld + c0;
        if (r0 + e >= rows) {
            v[e] = 0.0f;
        } else if (c0 + 16 <= cols) {
            v[e] = vload16(0, row);
        } else {
            float a[16];
            for (int j = 0; j < 16; j++)
                a[j] = c0 + j < cols ? row[j] : 0.0f;
            v[e] = vload16(0, a);
        }
    }
    clnet_transpose16(v);
}
