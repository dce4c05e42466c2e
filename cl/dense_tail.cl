/* dense_tail: in one launch, the part of a dense network's training step above its first
 * layer, for TAIL_ROWS rows of the batch per work-item (layers/dense_stack.c runs the rest:
 * the first layer's forward before it, every layer's dW after it). Forward through each upper
 * dense layer, the loss (loss_row) on the top one's logits, then back down: each layer's dz
 * and, from the lowest upper layer, the first layer's. Per launch instead of per layer: on
 * PoCL every launch costs the worker a few microseconds, and these layers are small.
 * Every value is computed as the per-layer path computes it (the same products summed in the
 * same order, then the same bias, activation and act' functions: the forward as gemm.cl's
 * gemm_nn_* with GEMM_EPI_BIAS_ACT, dz = act'(dz_above W^T) as gemm_transpose + gemm_nn_* with
 * GEMM_EPI_ACT_GRAD), so both give the same bits.
 * The work-item keeps its rows transposed in its scratch (a layer's units x TAIL_ROWS, the
 * rows one vector): each layer's output y^T and the current dz^T. Forward, a tile is 16 units
 * of y^T: per k one vector of the input's y^T and 16 broadcasts from one row of W (one base
 * pointer); backward, TAIL_DZ_TILE units of dz_below^T = W dz^T: per k one vector of dz^T and
 * a broadcast from each of TAIL_DZ_TILE rows of W, so W^T is never formed, and act' reads y^T
 * as vectors. The y and dz the dW GEMMs read go out as rows of 16 x 16 tiles transposed in
 * registers (clnet_transpose16).
 *   arena: every layer's y and dz at the offsets of table, batch-major, but a dz whose dW
 *     takes gemm_tn_layers' wide tiles panel-major (tail_store_panels); from scratch_off,
 *     scratch_len floats per work-item: dz^T twice (dzt_len floats each), then y^T of each
 *     layer at the table's offsets;
 *   table: TAIL_FIELDS ints per upper layer (ops/dense_tail.c lays it out): in, out, w_off,
 *     b_off, act, y_in, y_out, dz_in, dz_out, act_in (act of the layer below), yt_in, yt_out,
 *     and whether dz_in is panel-major (for gemm_tn_layers' wide tiles; else batch-major);
 *   labels (B), row_loss / row_correct (B at row_off), as loss_forward_backward.
 * The helpers take the work-item's 16 vectors v (the tile being built) from the kernel, so
 * the code after inlining is the one function it was. */
#pragma OPENCL FP_CONTRACT OFF

#define TAIL_ROWS 16 /* ops/ops.h: DENSE_TAIL_ROWS */
#define TAIL_DZ_TILE 8 /* rows of W per backward k loop (two make a 16-unit tile) */
#define TAIL_FIELDS 13 /* ops/ops.h: DENSE_TAIL_FIELDS */
/* The fields of a table row (ops/dense_tail.c) */
#define TAIL_IN 0
#define TAIL_OUT 1
#define TAIL_W_OFF 2
#define TAIL_B_OFF 3
#define TAIL_ACT 4
#define TAIL_Y_IN 5
#define TAIL_Y_OUT 6
#define TAIL_DZ_IN 7
#define TAIL_DZ_OUT 8
#define TAIL_ACT_IN 9
#define TAIL_YT_IN 10
#define TAIL_YT_OUT 11
#define TAIL_DZ_PANELS 12 /* dz_in panel-major (1) or batch-major (0) */
#define TAIL_PANEL 32     /* cl/gemm.cl: GEMM_W */

/* Rows r < nr of a transposed tile: v[r] holds n (<= 16) floats of row r0 + r from column j0
 * of a batch-major matrix with ld floats a row. */
static inline __attribute__((always_inline)) void
tail_store_rows(__global float *m, int ld, int r0, int nr, int j0, int n, float16 *v)
{
#pragma unroll 1
    for (int r = 0; r < nr; r++) {
        __global float *row = m + (size_t)(r0 + r) * (size_t)ld + j0;
        if (n == 16) {
            vstore16(v[r], 0, row);
        } else {
            float t[16];
            vstore16(v[r], 0, t);
#pragma unroll 1
            for (int c = 0; c < n; c++)
                row[c] = t[c];
        }
    }
}

/* As tail_store_rows (n <= 16 units from unit j0, a multiple of 16), into a panel-major matrix
 * (cl/gemm.cl: gemm_xn_wide_b): units in panels of TAIL_PANEL, each panel `batch` rows of
 * TAIL_PANEL floats. Whole aligned vectors, the lanes past n as zeros. */
static inline __attribute__((always_inline)) void
tail_store_panels(__global float *m, int batch, int r0, int nr, int j0, int n, float16 *v)
{
    __global float *p =
        m + (size_t)(j0 / TAIL_PANEL) * (size_t)batch * TAIL_PANEL + j0 % TAIL_PANEL;
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#pragma unroll 1
    for (int r = 0; r < nr; r++)
        vstore16(select(v[r], (float16)(0.0f), lane >= (int16)(n)), 0,
                 p + (size_t)(r0 + r) * TAIL_PANEL);
}

/* The first layer's output x (batch-major, `in` units) transposed into xt; rows past the
 * batch repeat its last row. */
static inline __attribute__((always_inline)) void
tail_transpose_input(__global float *xt, const __global float *x, int in, int r0, int batch,
                     float16 *v)
{
#pragma unroll 1
    for (int p0 = 0; p0 < in; p0 += 16) {
#pragma unroll
        for (int r = 0; r < 16; r++)
            v[r] = clnet_vload16_upto(x + (size_t)min(r0 + r, batch - 1) * (size_t)in, p0, in);
        clnet_transpose16(v);
        const int n = min(16, in - p0);
#pragma unroll 1
        for (int c = 0; c < n; c++)
            vstore16(v[c], p0 + c, xt);
    }
}

/* v[c] = the work-item's rows of x W at unit j0 + c, c < 16, summed over p in order: per p one
 * vector of x^T and 16 broadcasts from row p of W from column j0. Past column out the
 * broadcasts read the next row, feeding units that are never stored; the last row is read
 * guarded. */
static inline __attribute__((always_inline)) void
tail_forward_sums(float16 *v, const __global float *xt, const __global float *w, int in, int out,
                  int j0)
{
#pragma unroll
    for (int c = 0; c < 16; c++)
        v[c] = (float16)(0.0f);
    const __global float *wp = w + j0;
    for (int p = 0; p < in - 1; p++, wp += out) {
        const float16 g = vload16(p, xt);
#pragma unroll
        for (int c = 0; c < 16; c++)
            v[c] = fma((float16)(wp[c]), g, v[c]);
    }
    const float16 g = vload16(in - 1, xt);
#pragma unroll
    for (int c = 0; c < 16; c++)
        v[c] = fma((float16)(j0 + c < out ? wp[c] : 0.0f), g, v[c]);
}

/* One upper layer d's forward for rows r0 .. r0 + nr - 1: y = act(x W + b), 16 units a tile,
 * into y^T (the next layer's input) and batch-major y (the dW GEMMs'). */
static inline __attribute__((always_inline)) void
tail_layer_forward(__global float *arena, __global const float *params, __global float *ws,
                   const __global int *d, int r0, int nr, float16 *v)
{
    const int in = d[TAIL_IN], out = d[TAIL_OUT], act = d[TAIL_ACT];
    const __global float *w = params + d[TAIL_W_OFF], *bias = params + d[TAIL_B_OFF];
    __global float *y = arena + d[TAIL_Y_OUT];
    const __global float *xt = ws + d[TAIL_YT_IN];
    __global float *yt = ws + d[TAIL_YT_OUT];
#pragma unroll 1
    for (int j0 = 0; j0 < out; j0 += 16) {
        tail_forward_sums(v, xt, w, in, out, j0);
        const int n = min(16, out - j0);
#pragma unroll 1
        for (int c = 0; c < n; c++) {
            v[c] = act_value16(v[c] + (float16)(bias[j0 + c]), act);
            vstore16(v[c], j0 + c, yt);
        }
        clnet_transpose16(v);
        tail_store_rows(y, out, r0, nr, j0, n, v);
    }
}

/* The loss on the top layer d's rows; its dz batch-major and, transposed, into dzt (rows past
 * the batch as zeros: they feed only lanes that are never stored). */
static inline __attribute__((always_inline)) void
tail_loss(__global float *dzt, __global float *arena, const __global int *d,
          __global const int *labels, __global float *row_loss, __global float *row_correct,
          ulong row_off, int r0, int nr, int batch, int loss)
{
    const int classes = d[TAIL_OUT];
    const __global float *z = arena + d[TAIL_Y_OUT];
    __global float *dz = arena + d[TAIL_DZ_OUT];
#pragma unroll 1
    for (int r = 0; r < TAIL_ROWS; r++) {
        if (r < nr) {
            const size_t row = (size_t)(r0 + r);
            loss_row(dz + row * (size_t)classes, row_loss + row_off + row,
                     row_correct + row_off + row, z + row * (size_t)classes, labels[row], batch,
                     classes, loss);
        }
#pragma unroll 1
        for (int j = 0; j < classes; j++)
            dzt[j * TAIL_ROWS + r] = r < nr ? dz[(size_t)(r0 + r) * (size_t)classes + j] : 0.0f;
    }
}

/* v[q] = units i0 + q (q < TAIL_DZ_TILE) of dz_below^T = W dz^T, summed over p in order: per p
 * one vector of dz^T and a broadcast from each of the TAIL_DZ_TILE rows of W (rows past `in`
 * repeat the last one; not stored). */
static inline __attribute__((always_inline)) void
tail_dz_sums(float16 *v, const __global float *dzt, const __global float *w, int in, int out,
             int i0)
{
    const __global float *wr[TAIL_DZ_TILE];
#pragma unroll
    for (int q = 0; q < TAIL_DZ_TILE; q++)
        wr[q] = w + (size_t)min(i0 + q, in - 1) * (size_t)out;
    float16 acc[TAIL_DZ_TILE];
#pragma unroll
    for (int q = 0; q < TAIL_DZ_TILE; q++)
        acc[q] = (float16)(0.0f);
    for (int p = 0; p < out; p++) {
        const float16 g = vload16(p, dzt);
#pragma unroll
        for (int q = 0; q < TAIL_DZ_TILE; q++)
            acc[q] = fma((float16)(wr[q][p]), g, acc[q]);
    }
#pragma unroll
    for (int q = 0; q < TAIL_DZ_TILE; q++)
        v[q] = acc[q];
}

/* One upper layer d's backward for rows r0 .. r0 + nr - 1: the layer below's dz = act'(dz W^T)
 * through its output y^T, 16 units a tile, into dzt_next (transposed) and batch-major dz_in. */
static inline __attribute__((always_inline)) void
tail_layer_backward(__global float *dzt_next, __global float *arena, __global const float *params,
                    __global const float *ws, const __global float *dzt, const __global int *d,
                    int r0, int nr, int batch, float16 *v)
{
    const int in = d[TAIL_IN], out = d[TAIL_OUT], act_in = d[TAIL_ACT_IN];
    const __global float *w = params + d[TAIL_W_OFF];
    const __global float *xt = ws + d[TAIL_YT_IN];
    __global float *dz_in = arena + d[TAIL_DZ_IN];
#pragma unroll 1
    for (int i0 = 0; i0 < in; i0 += 16) {
#pragma unroll 1
        for (int h = 0; h < 16; h += TAIL_DZ_TILE)
            tail_dz_sums(v + h, dzt, w, in, out, i0 + h);
        const int n = min(16, in - i0);
#pragma unroll 1
        for (int c = 0; c < n; c++) {
            v[c] = act_gradient16(v[c], vload16(i0 + c, xt), act_in);
            vstore16(v[c], i0 + c, dzt_next);
        }
        clnet_transpose16(v);
        if (d[TAIL_DZ_PANELS])
            tail_store_panels(dz_in, batch, r0, nr, i0, n, v);
        else
            tail_store_rows(dz_in, in, r0, nr, i0, n, v);
    }
}

__kernel void dense_tail(__global float *arena, __global const float *params,
                         __global const int *table, const int n_upper,
                         __global const int *labels, __global float *row_loss,
                         __global float *row_correct, const ulong row_off, const int batch,
                         const int loss, const ulong scratch_off, const int scratch_len,
                         const int dzt_len)
{
    const int r0 = (int)get_global_id(0) * TAIL_ROWS;
    if (r0 >= batch) return;
    const int nr = min(TAIL_ROWS, batch - r0);
    __global float *ws = arena + scratch_off + get_global_id(0) * (size_t)scratch_len;
    __global float *dzt = ws, *dzt_next = ws + dzt_len;
    float16 v[16];
    tail_transpose_input(ws + table[TAIL_YT_IN], arena + table[TAIL_Y_IN], table[TAIL_IN], r0,
                         batch, v);
    for (int u = 0; u < n_upper; u++)
        tail_layer_forward(arena, params, ws, table + TAIL_FIELDS * u, r0, nr, v);
    tail_loss(dzt, arena, table + TAIL_FIELDS * (n_upper - 1), labels, row_loss, row_correct,
              row_off, r0, nr, batch, loss);
    for (int u = n_upper - 1; u >= 0; u--) {
        tail_layer_backward(dzt_next, arena, params, ws, dzt, table + TAIL_FIELDS * u, r0, nr,
                            batch, v);
        __global float *s = dzt;
        dzt = dzt_next;
        dzt_next = s;
    }
}
