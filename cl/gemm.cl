/* GEMM kernels of clnet's own with B not transposed (ops/gemm.c; CLBlast is the other
 * implementation; gemm_t.cl holds A B^T, any transposes and the transpose): row-major
 * C (M, N) = alpha op(A) B + beta C, offsets in floats, lda/ldb/ldc row strides.
 * Written for CPU devices (PoCL): PoCL runs a work-group as a loop over its work-items and
 * vectorises across them only in simple cases, so here ONE work-item computes a whole
 * register tile with explicit float16 vectors, which LLVM maps onto AVX-512 (or pairs of
 * AVX2) registers.
 *   gemm_nn_* / gemm_tn_*: a tile of GEMM_TM rows x 16*GEMM_NV columns; per k one or two
 *     vload16 of a B row and GEMM_TM scalar broadcasts of A. One kernel per tile path (narrow,
 *     guarded, wide: see gemm_xn_narrow): PoCL compiles a kernel at its first launch, so a run
 *     compiles only the paths it uses (one kernel holding all three took 7-13 s cold).
 *   gemm_nn_blocked: A B with a long k, several row tiles of one column panel per work-item,
 *     k in blocks so a block of B's panel serves all of them from L1.
 *   gemm_tn_layers: every layer's dW of a dense stack in one launch, tile by tile.
 * Epilogues: GEMM_EPI_* (cl/common.h). Every sum runs over k in a fixed order, so results are the same on every run. beta == 0
 * never reads C (it may hold NaN). Tiles at the matrix's edges clamp the rows and columns they
 * read to the matrix and store only their own elements. A dense network's step above its first
 * layer in one launch (dense_tail) sums the same products in the same order: dense_tail.cl. */
#pragma OPENCL FP_CONTRACT OFF

/* gemm_nn_* / gemm_tn_*: rows of C per work-item. 10 (20 float16 accumulators) against 6:
 * each B vector loaded feeds 10 FMAs instead of 6; one PoCL worker 1-13% faster at the dense
 * shapes, 100 x 750 x 784 on two 30% (bench/gemm_shapes, interleaved, 3 rounds); 8 was
 * between. B = 100 rows also divide into whole tiles. */
#define GEMM_TM 10
#define GEMM_NV 2 /* gemm_nn_* / gemm_tn_*: float16 column vectors of C per work-item */
#define GEMM_W (16 * GEMM_NV)
#define GEMM_NARROW_TM 12 /* gemm_*_narrow (N <= 16): rows of C per work-item, one float16 each */
#define GEMM_TM_MAX 12    /* max(GEMM_TM, GEMM_NARROW_TM) */
#define GEMM_KB 128 /* gemm_nn_blocked: k per block (128 rows of a B panel: 16 KB) */
#define GEMM_RT_MAX 10 /* gemm_nn_blocked: most row tiles per work-item */
/* Vector v of the B-row panel starting at column j0: a whole vector when the panel lies inside
 * the row (guarded == 0) or, guarded, when its 16 floats end at or before bend (the end of
 * the matrix's last row): its lanes at or past column n then hold whatever follows in the
 * matrix (the next row, or padding), which only feeds C columns that are never stored. Else
 * lane by lane with columns at or past n read as 0, in a loop left rolled (only the last rows
 * of B take it; unrolled it cost compile time). */
static inline __attribute__((always_inline)) float16
gemm_brow(const __global float *brow, int j0, int v, int n, int guarded, const __global float *bend)
{
    if (!guarded || brow + j0 + 16 * v + 16 <= bend) return vload16(0, brow + j0 + 16 * v);
    float t[16];
#pragma unroll 1
    for (int l = 0; l < 16; l++) {
        const int j = j0 + 16 * v + l;
        t[l] = j < n ? brow[j] : 0.0f;
    }
    return vload16(0, t);
}

/* GEMM_EPI_COLSUM: e[j] = alpha s + beta e[j], s the sum of B's k rows at column j, for the
 * tile's columns from j0, storing from lane shift on, as the tile's own columns are. */
static inline __attribute__((always_inline)) void
gemm_colsum(__global float *e, const __global float *b, int ldb, int n, int k, int j0, int shift,
            const int nv, const int guarded, float alpha, float beta)
{
    const __global float *bend = b + (size_t)(k - 1) * (size_t)ldb + n;
    float16 s[GEMM_NV];
#pragma unroll
    for (int v = 0; v < nv; v++)
        s[v] = (float16)(0.0f);
    for (int p = 0; p < k; p++)
#pragma unroll
        for (int v = 0; v < nv; v++)
            s[v] += gemm_brow(b + (size_t)p * (size_t)ldb, j0, v, n, guarded, bend);
    float t[GEMM_W];
#pragma unroll
    for (int v = 0; v < nv; v++)
        vstore16(s[v], v, t);
    const int n_cols = min(16 * nv, n - j0);
#pragma unroll 1
    for (int jl = shift; jl < n_cols; jl++)
        gemm_store1(e + j0 + jl, t[jl], alpha, beta);
}

/* acc[r][v] += the products over p from p0 to p1 - 1 of op(A)[i0 + r][p] B[p][j0 + 16 v ..], in
 * order; tm, nv, trans_a and guarded are constants after inlining. Guarded tiles clamp the rows
 * they read to the matrix; the wide path's lie inside it, so A^T's tile is tm consecutive floats
 * of a row of stored A read from one pointer (with tm clamped pointers, advanced every k,
 * gemm_tn_wide took 1.24x gemm_nn_wide's time in a q4_v run, 1.14x now). */
static inline __attribute__((always_inline)) void
gemm_xn_sums_from(float16 (*acc)[GEMM_NV], const __global float *a, int lda,
                  const __global float *b, int ldb, int m, int n, int k, int i0, int j0, int p0,
                  int p1, const int tm, const int nv, const int trans_a, const int guarded)
{
    int rows[GEMM_TM_MAX];                   /* A^T: the tile's columns of each row of A^T */
    const __global float *arow[GEMM_TM_MAX]; /* A: the tile's rows */
#pragma unroll
    for (int r = 0; r < tm; r++) {
        rows[r] = guarded ? min(i0 + r, m - 1) : i0 + r;
        arow[r] = a + (size_t)rows[r] * (size_t)lda;
    }
    const __global float *bend = b + (size_t)(k - 1) * (size_t)ldb + n;
    for (int p = p0; p < p1; p++) {
        const __global float *brow = b + (size_t)p * (size_t)ldb;
        /* A^T: row p of stored A (as a[p * lda + rows[r]], LLVM vectorised the index sums and
         * extracted them one by one: gemm_tn_wide 9-14% slower). */
        const __global float *ap = a + (size_t)p * (size_t)lda;
        const __global float *ap0 = ap + i0; /* A^T in a wide tile: rows i0 .. i0 + tm - 1 */
        float16 bv[GEMM_NV];
#pragma unroll
        for (int v = 0; v < nv; v++)
            bv[v] = gemm_brow(brow, j0, v, n, guarded, bend);
#pragma unroll
        for (int r = 0; r < tm; r++) {
            const float av = trans_a ? (guarded ? ap[rows[r]] : ap0[r]) : arow[r][p];
#pragma unroll
            for (int v = 0; v < nv; v++)
                acc[r][v] = fma((float16)(av), bv[v], acc[r][v]);
        }
    }
}

/* acc = the sums from p = 0 to k (gemm_xn_sums_from on zeroed accumulators). */
static inline __attribute__((always_inline)) void
gemm_xn_sums(float16 (*acc)[GEMM_NV], const __global float *a, int lda, const __global float *b,
             int ldb, int m, int n, int k, int i0, int j0, const int tm, const int nv,
             const int trans_a, const int guarded)
{
#pragma unroll
    for (int r = 0; r < tm; r++)
#pragma unroll
        for (int v = 0; v < nv; v++)
            acc[r][v] = (float16)(0.0f);
    gemm_xn_sums_from(acc, a, lda, b, ldb, m, n, k, i0, j0, 0, k, tm, nv, trans_a, guarded);
}

/* A whole tile without an elementwise epilogue: C = alpha acc + beta C as vectors. */
static inline __attribute__((always_inline)) void
gemm_store_whole(__global float *c, int ldc, float16 (*acc)[GEMM_NV], int m, float alpha,
                 float beta, int i0, int j0, const int tm, const int nv)
{
#pragma unroll
    for (int r = 0; r < tm; r++) {
        if (i0 + r >= m) break;
        __global float *crow = c + (size_t)(i0 + r) * (size_t)ldc + j0;
#pragma unroll
        for (int v = 0; v < nv; v++) {
            float16 y = (float16)(alpha)*acc[r][v];
            if (beta != 0.0f) y = y + (float16)(beta)*vload16(v, crow);
            vstore16(y, v, crow);
        }
    }
}

/* A whole tile with an elementwise epilogue, from t = alpha acc: C = act(t + beta C + e[j]) or
 * act'(t + beta C) through e's rows. */
static inline __attribute__((always_inline)) void
gemm_store_whole_epi(__global float *c, int ldc, float (*t)[GEMM_W], int n_rows, float beta,
                     int i0, int j0, const int nv, const __global float *e, int e_ld, int epi,
                     int act)
{
#pragma unroll 1
    for (int r = 0; r < n_rows; r++) {
        __global float *crow = c + (size_t)(i0 + r) * (size_t)ldc + j0;
        const __global float *erow = e + (size_t)(i0 + r) * (size_t)e_ld + j0;
#pragma unroll 1
        for (int v = 0; v < nv; v++) {
            float16 y = vload16(v, t[r]);
            if (beta != 0.0f) y = y + (float16)(beta)*vload16(v, crow);
            if (epi == GEMM_EPI_BIAS_ACT)
                y = act_value16(y + vload16(v, e + j0), act);
            else
                y = act_gradient16(y, vload16(v, erow), act);
            vstore16(y, v, crow);
        }
    }
}

/* An edge tile (guarded, or shifted: its own rows from rshift, columns from shift), from t =
 * alpha acc, element by element. Bias + activation on whole vectors first, as
 * bias_act_forward's zero-padded tail: a value's result must not depend on its column. */
static inline __attribute__((always_inline)) void
gemm_store_edge(__global float *c, int ldc, float (*t)[GEMM_W], int n_rows, int n_cols, int n,
                float beta, int i0, int j0, int shift, int rshift, const int nv,
                const __global float *e, int e_ld, int epi, int act)
{
    if (epi == GEMM_EPI_BIAS_ACT) {
#pragma unroll 1
        for (int r = rshift; r < n_rows; r++)
#pragma unroll 1
            for (int v = 0; v < nv; v++)
                vstore16(act_value16(vload16(v, t[r]) + clnet_vload16_upto(e, j0 + 16 * v, n),
                                     act),
                         v, t[r]);
    }
#pragma unroll 1
    for (int r = rshift; r < n_rows; r++) {
        __global float *crow = c + (size_t)(i0 + r) * (size_t)ldc + j0;
        const __global float *erow = e + (size_t)(i0 + r) * (size_t)e_ld + j0;
#pragma unroll 1
        for (int jl = shift; jl < n_cols; jl++) {
            float y = beta == 0.0f ? t[r][jl] : t[r][jl] + beta * crow[jl];
            if (epi == GEMM_EPI_ACT_GRAD) y = act_gradient(y, erow[jl], act);
            crow[jl] = y;
        }
    }
}

/* A tile's store from its sums acc. Whole tiles store vectors; edge tiles (guarded, or
 * shifted) store their own elements one by one. */
static inline __attribute__((always_inline)) void
gemm_xn_store(__global float *c, int ldc, float16 (*acc)[GEMM_NV], int m, int n, float alpha,
              float beta, int i0, int j0, int shift, int rshift, const int tm, const int nv,
              const int guarded, const __global float *e, int e_ld, int epi, int act)
{
    /* Expected: else LLVM weighs the rolled edge loops below above the k loop and spills the
     * k loop's row offsets to make room for them (gemm_tn_wide 2-5% slower). */
    const int elementwise = epi == GEMM_EPI_BIAS_ACT || epi == GEMM_EPI_ACT_GRAD;
    /* whole: inside the matrix (a panel-major B's last panel computes past column n) */
    const int whole = !guarded && shift == 0 && rshift == 0 && j0 + 16 * nv <= n;
    if (__builtin_expect(whole && !elementwise, 1)) {
        gemm_store_whole(c, ldc, acc, m, alpha, beta, i0, j0, tm, nv);
        return;
    }
    /* Through private memory in loops left rolled: the activation's vector code is inlined once
     * per loop, not per accumulator (unrolled, the cold compile took 3x as long), and only edge
     * tiles run the per-element loop (unrolled, most of the kernel's compile time). */
    float t[GEMM_TM_MAX][GEMM_W];
#pragma unroll
    for (int r = 0; r < tm; r++)
#pragma unroll
        for (int v = 0; v < nv; v++)
            vstore16((float16)(alpha)*acc[r][v], v, t[r]);
    const int n_rows = min(tm, m - i0), n_cols = min(16 * nv, n - j0);
    if (whole)
        gemm_store_whole_epi(c, ldc, t, n_rows, beta, i0, j0, nv, e, e_ld, epi, act);
    else
        gemm_store_edge(c, ldc, t, n_rows, n_cols, n, beta, i0, j0, shift, rshift, nv, e, e_ld,
                        epi, act);
}

/* The tile of gemm_nn_* / gemm_tn_*: its sums (gemm_xn_sums), then its store. */
static inline __attribute__((always_inline)) void
gemm_xn_tile(__global float *c, int ldc, const __global float *a, int lda, const __global float *b,
             int ldb, int m, int n, int k, float alpha, float beta, int i0, int j0, int shift,
             int rshift, const int tm, const int nv, const int trans_a, const int guarded,
             const __global float *e, int e_ld, int epi, int act)
{
    float16 acc[GEMM_TM_MAX][GEMM_NV];
    gemm_xn_sums(acc, a, lda, b, ldb, m, n, k, i0, j0, tm, nv, trans_a, guarded);
    gemm_xn_store(c, ldc, acc, m, n, alpha, beta, i0, j0, shift, rshift, tm, nv, guarded, e,
                  e_ld, epi, act);
}

/* The three tile paths of A B and A^T B, one kernel each (ops/gemm.c picks by N). Global
 * size (ceil(N / GEMM_W), ceil(M / GEMM_TM)), or (1, ceil(M / GEMM_NARROW_TM)) for narrow, one
 * row more with GEMM_EPI_COLSUM (its work-items sum B's columns), any local size: work-items
 * past the matrix return at once.
 *   narrow (N <= 16): one guarded float16 per row of GEMM_NARROW_TM rows (the wide tile would
 *     compute 32 columns, and with few rows of C there would be few work-items);
 *   guarded (16 < N < GEMM_W, or M < GEMM_TM): guarded tiles;
 *   wide (N >= GEMM_W, M >= GEMM_TM): the last column tile shifts its window left to end at
 *     column N, and the last row of tiles up to end at row M, so its loads stay whole vectors
 *     and in the matrix; it stores only its own columns and rows.
 * e is the epilogue's operand at e_off (any buffer when epi is GEMM_EPI_NONE). */
#define GEMM_XN_PARAMS                                                                         \
    __global float *c, ulong c_off, int ldc, const __global float *a, ulong a_off, int lda,   \
        const __global float *b, ulong b_off, int ldb, int m, int n, int k, float alpha,       \
        float beta, __global float *e, ulong e_off, int e_ld, int epi, int act
#define GEMM_XN_TILE_ARGS(I0, J0, SHIFT, RSHIFT, TM, NV, GUARDED)                             \
    c + c_off, ldc, a + a_off, lda, b + b_off, ldb, m, n, k, alpha, beta, I0, J0, SHIFT, RSHIFT, \
        TM, NV, trans_a, GUARDED, e + e_off, e_ld, epi, act

static inline __attribute__((always_inline)) void
gemm_xn_narrow(GEMM_XN_PARAMS, const int trans_a, int gx, int gy)
{
    const int i0 = gy * GEMM_NARROW_TM, j0 = gx * GEMM_W;
    if (j0 >= n) return;
    if (i0 >= m) {
        if (epi == GEMM_EPI_COLSUM && i0 < m + GEMM_NARROW_TM)
            gemm_colsum(e + e_off, b + b_off, ldb, n, k, 0, 0, 1, 1, alpha, beta);
        return;
    }
    gemm_xn_tile(GEMM_XN_TILE_ARGS(i0, 0, 0, 0, GEMM_NARROW_TM, 1, 1));
}

static inline __attribute__((always_inline)) void
gemm_xn_guarded(GEMM_XN_PARAMS, const int trans_a, int gx, int gy)
{
    const int i0 = gy * GEMM_TM, j0 = gx * GEMM_W;
    if (j0 >= n) return;
    if (i0 >= m) {
        if (epi == GEMM_EPI_COLSUM && i0 < m + GEMM_TM)
            gemm_colsum(e + e_off, b + b_off, ldb, n, k, j0, 0, GEMM_NV, 1, alpha, beta);
        return;
    }
    gemm_xn_tile(GEMM_XN_TILE_ARGS(i0, j0, 0, 0, GEMM_TM, GEMM_NV, 1));
}

/* The wide paths' column panel from *j0: whether it is the last one with at most 16 columns
 * left, computed one vector wide (at N = 200 a shifted 32-column tile computed 224 columns,
 * this one 208); a last panel past column n shifts its window left to end at n (*j0 moved,
 * *shift the columns it recomputes and does not store). */
static inline __attribute__((always_inline)) int gemm_last_panel(int n, int *j0, int *shift)
{
    const int last16 = *j0 + 16 >= n;
    *shift = 0;
    if (*j0 + GEMM_W > n) {
        const int w = last16 ? 16 : GEMM_W;
        *shift = *j0 + w - n;
        *j0 = n - w;
    }
    return last16;
}

/* B stored panel-major (gemm_tn_layers' dz from cl/dense_tail.cl, the dense stack's first W):
 * panel j0 / GEMM_W holds B's columns from j0, GEMM_W floats a row for K rows, from b_off +
 * j0 K, read as one stream of aligned vectors (row-major, at 784 x 750 x 100 a panel's rows lie
 * 3,000 bytes apart, which the prefetcher does not follow). The panel from *j0 as a matrix of
 * its own: B, C (panel-major too with c_panels: M rows a panel) and e moved to its column 0, *n
 * its columns (the last panel computes past them from its padding and stores only its own;
 * not shifted); whether it is the last one with at most 16 columns. */
static inline __attribute__((always_inline)) int
gemm_b_panel(int *j0, int *n, int m, int k, ulong *b_off, int *ldb, ulong *c_off, int *ldc,
             const int c_panels, ulong *e_off)
{
    const int last16 = *j0 + 16 >= *n;
    *b_off += (ulong)*j0 * (ulong)k;
    *ldb = GEMM_W;
    *c_off += (ulong)*j0 * (ulong)(c_panels ? m : 1);
    if (c_panels) *ldc = GEMM_W;
    *e_off += (ulong)*j0;
    *n -= *j0;
    *j0 = 0;
    return last16;
}

/* gemm_xn_wide, B panel-major with b_panels, and C too with c_panels (and b_panels). */
static inline __attribute__((always_inline)) void
gemm_xn_wide_b(GEMM_XN_PARAMS, const int trans_a, int gx, int gy, int b_panels,
               const int c_panels)
{
    int i0 = gy * GEMM_TM;
    int j0 = gx * GEMM_W;
    if (j0 >= n) return;
    int shift = 0, last16;
    if (b_panels)
        last16 = gemm_b_panel(&j0, &n, m, k, &b_off, &ldb, &c_off, &ldc, c_panels, &e_off);
    else
        last16 = gemm_last_panel(n, &j0, &shift);
    if (i0 >= m) {
        if (epi == GEMM_EPI_COLSUM && i0 < m + GEMM_TM) {
            if (last16)
                gemm_colsum(e + e_off, b + b_off, ldb, n, k, j0, shift, 1, 0, alpha, beta);
            else
                gemm_colsum(e + e_off, b + b_off, ldb, n, k, j0, shift, GEMM_NV, 0, alpha, beta);
        }
        return;
    }
    int rshift = 0; /* M >= GEMM_TM here (ops/gemm.c): the last row of tiles shifts up */
    if (i0 + GEMM_TM > m) {
        rshift = i0 + GEMM_TM - m;
        i0 = m - GEMM_TM;
    }
    if (last16)
        gemm_xn_tile(GEMM_XN_TILE_ARGS(i0, j0, shift, rshift, GEMM_TM, 1, 0));
    else
        gemm_xn_tile(GEMM_XN_TILE_ARGS(i0, j0, shift, rshift, GEMM_TM, GEMM_NV, 0));
}

static inline __attribute__((always_inline)) void
gemm_xn_wide(GEMM_XN_PARAMS, const int trans_a, int gx, int gy)
{
    gemm_xn_wide_b(c, c_off, ldc, a, a_off, lda, b, b_off, ldb, m, n, k, alpha, beta, e, e_off,
                   e_ld, epi, act, trans_a, gx, gy, 0, 0);
}

/* The six kernels of gemm_nn and gemm_tn, one per tile path (ops/gemm.c picks by N: narrow
 * N <= 16, guarded 16 < N < 32, wide N >= 32), so a run compiles only the paths it launches:
 *   gemm_nn_*: C = alpha A B + beta C; A (M, K), B (K, N);
 *   gemm_tn_*: C = alpha A^T B + beta C; A stored (K, M), B (K, N). */
#define GEMM_XN_KERNEL(NAME, PATH, TRANS_A)                                                    \
    __kernel void NAME(GEMM_XN_PARAMS)                                                         \
    {                                                                                          \
        PATH(c, c_off, ldc, a, a_off, lda, b, b_off, ldb, m, n, k, alpha, beta, e, e_off, e_ld, \
             epi, act, TRANS_A, (int)get_global_id(0), (int)get_global_id(1));                 \
    }
GEMM_XN_KERNEL(gemm_nn_narrow, gemm_xn_narrow, 0)
GEMM_XN_KERNEL(gemm_nn_guarded, gemm_xn_guarded, 0)
GEMM_XN_KERNEL(gemm_nn_wide, gemm_xn_wide, 0)
GEMM_XN_KERNEL(gemm_tn_narrow, gemm_xn_narrow, 1)
GEMM_XN_KERNEL(gemm_tn_guarded, gemm_xn_guarded, 1)
GEMM_XN_KERNEL(gemm_tn_wide, gemm_xn_wide, 1)

/* gemm_tn_layers: every layer's dW = x^T dz of a dense stack (layers/dense_stack.c) in one launch,
 * with the column sums epilogue (db, or with alpha = -lr and beta = 1 the SGD step of W and b).
 * Per layer GEMM_LAYERS_FIELDS ints of table (ops/dense_tail.c: dense_dw_table): its first
 * work-item, M (inputs), N (units), A's offset in the arena (-1: x, the batch), dz's in the
 * arena, W's and b's in c, and the tile path as ops/gemm.c picks it (2 wide, 1 guarded, 0
 * narrow; 3 wide with dz panel-major, as cl/dense_tail.cl writes every wide layer's but the
 * top one's). One work-item per tile, then one per column panel for the column sums: work-items
 * of about equal work, which PoCL's shrinking chunks of work-groups share evenly (a work-group
 * per row of tiles was slower: bench/RESULTS.md, session 15). K is the batch. w0p_on: the first
 * layer's W is w0p's, panel-major (the dense stack keeps it so for its forward), not c's; it
 * must be on the panel path. The same sums in the same order as gemm_tn_*: the same bits as one
 * launch per layer. */
#define GEMM_LAYERS_FIELDS 8 /* ops/ops.h: DENSE_DW_FIELDS */
__kernel void gemm_tn_layers(__global float *c, const __global float *x,
                             const __global float *arena, const __global int *table,
                             const int layers, const int k, const float alpha, const float beta,
                             __global float *w0p, const int w0p_on)
{
    const int g = (int)get_global_id(0);
    int l = 0;
    while (l + 1 < layers && g >= table[(l + 1) * GEMM_LAYERS_FIELDS]) l++;
    const __global int *t = table + l * GEMM_LAYERS_FIELDS;
    const int m = t[1], n = t[2], a_off = t[3];
    const int panels = (n + GEMM_W - 1) / GEMM_W, q = g - t[0];
    const int gx = q % panels, gy = q / panels; /* gy past the column sums' row: no work */
    const __global float *a = a_off < 0 ? x : arena;
    const ulong ao = a_off < 0 ? 0 : (ulong)a_off;
    const int w_panels = l == 0 && w0p_on && t[7] == 3;
    __global float *w = w_panels ? w0p : c;
    const ulong wo = w_panels ? 0 : (ulong)t[5];
#define GEMM_LAYER_ARGS                                                                        \
    w, wo, n, a, ao, m, arena, (ulong)t[4], n, m, n, k, alpha, beta, c, (ulong)t[6], 1,         \
        GEMM_EPI_COLSUM, 0, 1, gx, gy
    if (t[7] >= 2)
        gemm_xn_wide_b(GEMM_LAYER_ARGS, t[7] == 3, w_panels);
    else if (t[7] == 1)
        gemm_xn_guarded(GEMM_LAYER_ARGS);
    else
        gemm_xn_narrow(GEMM_LAYER_ARGS);
#undef GEMM_LAYER_ARGS
}

/* gemm_nn_blocked: A B in the wide path's tiles, rt (<= GEMM_RT_MAX) row tiles of one column
 * panel per work-item, k in blocks of GEMM_KB: each block's B panel (GEMM_KB x GEMM_W floats,
 * 16 KB) is loaded once and used by all the work-item's row tiles from L1, where gemm_nn_wide
 * streams the whole panel (K x 32 floats: 100 KB at K = 784) from L2 for every tile. The
 * accumulators of each tile wait in private memory between blocks; every C element sums the
 * same products in the same order from p = 0 as gemm_nn_wide, so the same bits. */
static inline __attribute__((always_inline)) void
gemm_nn_blocked_tiles(GEMM_XN_PARAMS, int t0, int nt, int j0, int shift, const int nv)
{
    float16 part[GEMM_RT_MAX][GEMM_TM][GEMM_NV];
#pragma unroll 1
    for (int t = 0; t < nt; t++)
#pragma unroll
        for (int r = 0; r < GEMM_TM; r++)
#pragma unroll
            for (int v = 0; v < nv; v++)
                part[t][r][v] = (float16)(0.0f);
#pragma unroll 1
    for (int p0 = 0; p0 < k; p0 += GEMM_KB) {
        const int p1 = min(k, p0 + GEMM_KB);
#pragma unroll 1
        for (int t = 0; t < nt; t++) {
            int i0 = (t0 + t) * GEMM_TM, rshift = 0; /* M >= GEMM_TM: as gemm_xn_wide */
            if (i0 + GEMM_TM > m) {
                rshift = i0 + GEMM_TM - m;
                i0 = m - GEMM_TM;
            }
            float16 acc[GEMM_TM_MAX][GEMM_NV];
#pragma unroll
            for (int r = 0; r < GEMM_TM; r++)
#pragma unroll
                for (int v = 0; v < nv; v++)
                    acc[r][v] = part[t][r][v];
            gemm_xn_sums_from(acc, a + a_off, lda, b + b_off, ldb, m, n, k, i0, j0, p0, p1,
                              GEMM_TM, nv, 0, 0);
            if (p1 < k) {
#pragma unroll
                for (int r = 0; r < GEMM_TM; r++)
#pragma unroll
                    for (int v = 0; v < nv; v++)
                        part[t][r][v] = acc[r][v];
            } else {
                gemm_xn_store(c + c_off, ldc, acc, m, n, alpha, beta, i0, j0, shift, rshift,
                              GEMM_TM, nv, 0, e + e_off, e_ld, epi, act);
            }
        }
    }
}

/* Global size (ceil(N / GEMM_W), ceil(ceil(M / GEMM_TM) / rt)), 1 <= rt <= GEMM_RT_MAX;
 * N >= GEMM_W and M >= GEMM_TM (ops/gemm.c), any local size. The last column panel as
 * gemm_xn_wide's; b_panels: B panel-major (gemm_b_panel; at 100 x 750 x 784 the launch took
 * 476-479 us against 662-690 with W row-major, net_profile). */
__kernel void gemm_nn_blocked(GEMM_XN_PARAMS, const int rt, const int b_panels)
{
    const int tiles_m = (m + GEMM_TM - 1) / GEMM_TM;
    const int t0 = (int)get_global_id(1) * rt;
    int j0 = (int)get_global_id(0) * GEMM_W;
    if (j0 >= n || t0 >= tiles_m || rt < 1 || rt > GEMM_RT_MAX) return;
    const int nt = min(rt, tiles_m - t0);
    int shift = 0, last16;
    if (b_panels)
        last16 = gemm_b_panel(&j0, &n, m, k, &b_off, &ldb, &c_off, &ldc, 0, &e_off);
    else
        last16 = gemm_last_panel(n, &j0, &shift);
    if (last16)
        gemm_nn_blocked_tiles(c, c_off, ldc, a, a_off, lda, b, b_off, ldb, m, n, k, alpha, beta,
                              e, e_off, e_ld, epi, act, t0, nt, j0, shift, 1);
    else
        gemm_nn_blocked_tiles(c, c_off, ldc, a, a_off, lda, b, b_off, ldb, m, n, k, alpha, beta,
                              e, e_off, e_ld, epi, act, t0, nt, j0, shift, GEMM_NV);
}
