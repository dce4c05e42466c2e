/* GEMM kernels of clnet's own with B transposed or anything else (ops/gemm.c; gemm.cl holds
 * A B and A^T B, the hot ones): row-major C (M, N) = alpha op(A) op(B) + beta C, offsets in
 * floats, lda/ldb/ldc row strides. Every sum runs over k in a fixed order; beta == 0 never reads C.
 *   gemm_nt (A B^T): A's rows and B's rows are both contiguous along k, so the tile is
 *     GEMM_DM x GEMM_DN dot products, each a vector accumulator over GEMM_KV k's, reduced at
 *     the end (float8 measured faster than float16 at K = 200: less reduction and scalar tail);
 *     epilogue GEMM_EPI_ACT_GRAD (cl/common.h) as gemm_nn_*'s.
 *   gemm_any: one work-item per element, any transposes (A^T B^T only; never hot).
 *   gemm_transpose: a matrix transposed, for A B^T as a transpose and gemm_nn_* (CPU devices). */
#pragma OPENCL FP_CONTRACT OFF

#define GEMM_DM 5 /* gemm_nt: rows of C per work-item */
#define GEMM_DN 4 /* gemm_nt: columns of C per work-item */
#define GEMM_KV 8 /* gemm_nt: k per vector step (8 or 16) */
#if GEMM_KV == 16
#define gemm_kvec float16
#define gemm_kload vload16
#define gemm_ksum gemm_hsum16
#else
#define gemm_kvec float8
#define gemm_kload vload8
#define gemm_ksum gemm_hsum8
#endif

float gemm_hsum8(float8 v)
{
    const float4 b = v.lo + v.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

float gemm_hsum16(float16 v)
{
    return gemm_hsum8(v.lo + v.hi);
}

/* C = alpha A B^T + beta C; A (M, K), B stored (N, K). Global size (ceil(N / GEMM_DN),
 * ceil(M / GEMM_DM)). Each C element is a vector dot product over k in steps of GEMM_KV,
 * reduced by halves, then the k % GEMM_KV tail in order. */
__kernel void gemm_nt(__global float *c, const ulong c_off, const int ldc, __global const float *a,
                      const ulong a_off, const int lda, __global const float *b, const ulong b_off,
                      const int ldb, const int m, const int n, const int k, const float alpha,
                      const float beta, __global const float *e, const ulong e_off,
                      const int e_ld, const int epi, const int act)
{
    const int i0 = (int)get_global_id(1) * GEMM_DM, j0 = (int)get_global_id(0) * GEMM_DN;
    if (i0 >= m || j0 >= n) return;
    const __global float *ar[GEMM_DM];
    const __global float *br[GEMM_DN];
#pragma unroll
    for (int r = 0; r < GEMM_DM; r++)
        ar[r] = a + a_off + (size_t)min(i0 + r, m - 1) * (size_t)lda;
#pragma unroll
    for (int s = 0; s < GEMM_DN; s++)
        br[s] = b + b_off + (size_t)min(j0 + s, n - 1) * (size_t)ldb;
    gemm_kvec acc[GEMM_DM][GEMM_DN];
#pragma unroll
    for (int r = 0; r < GEMM_DM; r++)
#pragma unroll
        for (int s = 0; s < GEMM_DN; s++)
            acc[r][s] = (gemm_kvec)(0.0f);
    const int kv = k / GEMM_KV;
    for (int q = 0; q < kv; q++) {
        gemm_kvec av[GEMM_DM], bv[GEMM_DN];
#pragma unroll
        for (int r = 0; r < GEMM_DM; r++)
            av[r] = gemm_kload(q, ar[r]);
#pragma unroll
        for (int s = 0; s < GEMM_DN; s++)
            bv[s] = gemm_kload(q, br[s]);
#pragma unroll
        for (int r = 0; r < GEMM_DM; r++)
#pragma unroll
            for (int s = 0; s < GEMM_DN; s++)
                acc[r][s] = fma(av[r], bv[s], acc[r][s]);
    }
#pragma unroll
    for (int r = 0; r < GEMM_DM; r++) {
        if (i0 + r >= m) break;
        __global float *crow = c + c_off + (size_t)(i0 + r) * (size_t)ldc;
        /* not unrolled: with the tail loop inside, LLVM cannot (it warned on every build) */
        for (int s = 0; s < GEMM_DN; s++) {
            if (j0 + s >= n) break;
            float sum = gemm_ksum(acc[r][s]);
            for (int p = GEMM_KV * kv; p < k; p++)
                sum = fma(ar[r][p], br[s][p], sum);
            float y = beta == 0.0f ? alpha * sum : alpha * sum + beta * crow[j0 + s];
            if (epi == GEMM_EPI_ACT_GRAD)
                y = act_gradient(y, e[e_off + (size_t)(i0 + r) * (size_t)e_ld + j0 + s], act);
            crow[j0 + s] = y;
        }
    }
}

/* Any transposes, one work-item per C element (global size >= M N, rounded up). */
__kernel void gemm_any(__global float *c, const ulong c_off, const int ldc, __global const float *a,
                       const ulong a_off, const int lda, __global const float *b, const ulong b_off,
                       const int ldb, const int m, const int n, const int k, const float alpha,
                       const float beta, const int trans_a, const int trans_b)
{
    const size_t g = get_global_id(0);
    if (g >= (size_t)m * (size_t)n) return;
    const int i = (int)(g / (size_t)n), j = (int)(g % (size_t)n);
    const size_t sa_i = trans_a ? 1 : (size_t)lda, sa_p = trans_a ? (size_t)lda : 1;
    const size_t sb_j = trans_b ? (size_t)ldb : 1, sb_p = trans_b ? 1 : (size_t)ldb;
    const __global float *ap = a + a_off + (size_t)i * sa_i;
    const __global float *bp = b + b_off + (size_t)j * sb_j;
    float sum = 0.0f;
    for (int p = 0; p < k; p++)
        sum = fma(ap[(size_t)p * sa_p], bp[(size_t)p * sb_p], sum);
    gemm_store1(c + c_off + (size_t)i * (size_t)ldc + j, sum, alpha, beta);
}

/* dst (cols, rows) = src (rows, cols)^T, src starting src_off floats into its buffer with row
 * stride ld, dst dense from offset 0. A 2-D range (ceil(cols / 16), ceil(rows / 16)), any local
 * size: a work-item moves one 16 x 16 block, a whole one as 16 row vectors transposed in
 * registers (clnet_transpose16), an edge one element by element. (One work-item per row of
 * dst before: at 588 x 200, the CNN's first dense W, one work-group on one PoCL worker, 116-138
 * us.) A B^T products with a small K run as this plus gemm_nn_* (dense layers' dx on CPU
 * devices: layers/dense.c), faster there than gemm_nt's dot products. */
__kernel void gemm_transpose(__global float *dst, __global const float *src, const ulong src_off,
                             const int ld, const int rows, const int cols)
{
    const int j0 = 16 * (int)get_global_id(0), i0 = 16 * (int)get_global_id(1);
    if (j0 >= cols || i0 >= rows) return;
    __global const float *s = src + src_off;
    if (j0 + 16 <= cols && i0 + 16 <= rows) {
        float16 v[16];
#pragma unroll
        for (int r = 0; r < 16; r++)
            v[r] = vload16(0, s + (size_t)(i0 + r) * (size_t)ld + j0);
        clnet_transpose16(v);
#pragma unroll
        for (int c = 0; c < 16; c++)
            vstore16(v[c], 0, dst + (size_t)(j0 + c) * (size_t)rows + i0);
        return;
    }
    for (int i = i0; i < min(i0 + 16, rows); i++)
        for (int j = j0; j < min(j0 + 16, cols); j++)
            dst[(size_t)j * (size_t)rows + i] = s[(size_t)i * (size_t)ld + j];
}
