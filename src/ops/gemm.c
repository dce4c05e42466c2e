/* GEMM, two implementations behind op_gemm: CLBlast (op_gemm_clblast; this is the only file
 * that includes clblast_c.h) and clnet's own kernels in cl/gemm.cl (op_gemm_own). CLBlast
 * compiles its kernels on the first call per process and shape class (slow on PoCL: see the
 * ops tests' timings). op_gemm picks one per runtime: CLNET_GEMM=own|clblast when set, else
 * the own kernels on the CPU path (measured 5-10x faster than CLBlast through PoCL at the
 * dense layers' shapes: bench/gemm_shapes.c) and CLBlast on the GPU path (runtime_ops_path). */
#include <assert.h>
#include <clblast_c.h>
#include <stdlib.h>
#include <string.h>

#include "util/nn.h"
#include "ops/ops.h"
#include "util/status.h"

/* Tile sizes of cl/gemm.cl (GEMM_TM, GEMM_NV) and cl/gemm_t.cl (GEMM_DM, GEMM_DN): keep in
 * step. */
#define OWN_XN_ROWS OP_GEMM_TILE_ROWS /* gemm_nn_* / gemm_tn_*: GEMM_TM */
#define OWN_XN_COLS OP_GEMM_TILE_COLS /* gemm_nn_* / gemm_tn_*: 16 * GEMM_NV */
#define OWN_NARROW_N 16    /* gemm_nn_narrow / gemm_tn_narrow at N <= this: */
#define OWN_NARROW_ROWS OP_GEMM_NARROW_ROWS /* GEMM_NARROW_TM rows per work-item */
#define OWN_KB 128     /* gemm_nn_blocked: GEMM_KB, k per block */
#define OWN_RT_MAX 10  /* gemm_nn_blocked: GEMM_RT_MAX, most row tiles per work-item */
#define OWN_NT_ROWS 5  /* gemm_nt: GEMM_DM */
#define OWN_NT_COLS 4  /* gemm_nt: GEMM_DN */
/* Work-items per work-group along the column tiles. PoCL runs a group's work-items as a loop,
 * so groups of several tiles cost less scheduling than one group per tile (measured on PoCL
 * with 2 cores: 16 beat 1 and 4, most at the 4900 tiles of dX = dZ W^T). */
#define OWN_LOCAL 16

static int check_shape(int m, int n, int k, int lda, int ldb, int ldc)
{
    if (m <= 0 || n <= 0 || k <= 0 || lda <= 0 || ldb <= 0 || ldc <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "gemm: bad shape M=%d N=%d K=%d lda=%d ldb=%d ldc=%d", m, n, k, lda,
                            ldb, ldc);
    return CLNET_OK;
}

/* CLBlast pads or transposes some operands into a temporary buffer first; without one given it
 * allocates and frees one on every such call. Here it gets the runtime's scratch buffer
 * (runtime_scratch), allocated once at the largest size a run asks for. *bytes: what this call
 * needs (0: none). */
static int clblast_temp_size(struct runtime *rt, CLBlastTranspose ta, CLBlastTranspose tb, int m,
                             int n, int k, size_t a_off, int lda, size_t b_off, int ldb,
                             size_t c_off, int ldc, size_t *bytes)
{
    cl_command_queue queue = runtime_queue(rt);
    *bytes = 0;
    CLBlastStatusCode code = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, ta, tb, (size_t)m, (size_t)n, (size_t)k, a_off, (size_t)lda, b_off,
        (size_t)ldb, c_off, (size_t)ldc, &queue, bytes);
    if (code != CLBlastSuccess)
        return clnet_errorf((int)code, "CLBlastSGemmTempBufferSize (M=%d N=%d K=%d): %s", m, n, k,
                            clnet_status_name((int)code));
    return CLNET_OK;
}

size_t op_gemm_clblast_temp_bytes(struct runtime *rt, bool trans_a, bool trans_b, int m, int n,
                                  int k)
{
    size_t bytes = 0;
    int status = clblast_temp_size(rt, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                                   trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, 0,
                                   trans_a ? m : k, 0, trans_b ? k : n, 0, n, &bytes);
    return status == CLNET_OK ? bytes : 0;
}

int op_gemm_clblast(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb,
                    float beta, cl_mem c, size_t c_off, int ldc)
{
    int status = check_shape(m, n, k, lda, ldb, ldc);
    if (status != CLNET_OK) return status;
    cl_command_queue queue = runtime_queue(rt);
    CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t bytes;
    cl_mem temp = NULL;
    status = clblast_temp_size(rt, ta, tb, m, n, k, a_off, lda, b_off, ldb, c_off, ldc, &bytes);
    if (status == CLNET_OK && bytes > 0) status = runtime_scratch(rt, bytes, &temp);
    if (status != CLNET_OK) return status;
    CLBlastStatusCode code = CLBlastSgemmWithTempBuffer(
        CLBlastLayoutRowMajor, ta, tb, (size_t)m, (size_t)n, (size_t)k, alpha, a, a_off,
        (size_t)lda, b, b_off, (size_t)ldb, beta, c, c_off, (size_t)ldc, &queue, NULL, temp);
    if (code != CLBlastSuccess)
        return clnet_errorf((int)code,
                            "CLBlastSgemm (%s%s, M=%d N=%d K=%d, lda=%d ldb=%d ldc=%d, offsets "
                            "%zu %zu %zu): %s",
                            trans_a ? "A^T" : "A", trans_b ? " B^T" : " B", m, n, k, lda, ldb, ldc,
                            a_off, b_off, c_off, clnet_status_name((int)code));
    return CLNET_OK;
}

/* The stored matrix (rows x cols, row stride ld, at float offset off) must lie inside buf. */
static int check_matrix(const char *what, cl_mem buf, size_t off, int rows, int cols, int ld)
{
    if (ld < cols)
        return clnet_errorf(CLNET_ERR_INTERNAL, "gemm (own): %s row stride %d < %d columns", what,
                            ld, cols);
    size_t bytes = 0;
    int status = runtime_check(clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof bytes, &bytes, NULL),
                               "clGetMemObjectInfo", what);
    if (status != CLNET_OK) return status;
    size_t end = off + ((size_t)rows - 1) * (size_t)ld + (size_t)cols; /* floats */
    if (end > bytes / sizeof(float))
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "gemm (own): %s (%d x %d, stride %d, offset %zu) needs %zu floats, "
                            "its buffer holds %zu",
                            what, rows, cols, ld, off, end, bytes / sizeof(float));
    return CLNET_OK;
}

/* cl/common.h mirrors enum gemm_epi with #defines (GEMM_EPI_*). */
static_assert(GEMM_EPI_NONE == 0 && GEMM_EPI_BIAS_ACT == 1 && GEMM_EPI_ACT_GRAD == 2 &&
                  GEMM_EPI_COLSUM == 3,
              "update the GEMM_EPI_ constants in cl/common.h");

static int check_epilogue(const struct gemm_epilogue *e, bool trans_a, bool trans_b, int m, int n,
                          float beta)
{
    if (e->kind == GEMM_EPI_NONE) return CLNET_OK;
    bool ok = e->kind == GEMM_EPI_BIAS_ACT   ? !trans_b && beta == 0.0f
              : e->kind == GEMM_EPI_ACT_GRAD ? !(trans_a && trans_b) && beta == 0.0f
              : e->kind == GEMM_EPI_COLSUM   ? trans_a && !trans_b
                                             : false;
    if (!ok || e->act < 0 || e->act >= ACTIVATION_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "gemm (own): epilogue %d (act %d) with %s%s, beta %g: unsupported",
                            (int)e->kind, e->act, trans_a ? "A^T" : "A", trans_b ? " B^T" : " B",
                            (double)beta);
    if (e->kind == GEMM_EPI_ACT_GRAD)
        return check_matrix("the epilogue's y", e->buf, e->off, m, n, e->ld);
    return check_matrix(e->kind == GEMM_EPI_COLSUM ? "the column sums" : "the bias", e->buf,
                        e->off, 1, n, n);
}

int op_gemm_own_path(int m, int n)
{
    return n <= OWN_NARROW_N ? 0 : n < OWN_XN_COLS || m < OWN_XN_ROWS ? 1 : 2;
}

/* op_gemm_own_epi's kernel for the shape (*path: its tile path, 0 narrow, 1 guarded, 2 wide)
 * and, for gemm_nn_blocked, its row tiles per work-item. */
static enum kernel_id own_kernel(struct runtime *rt, bool trans_a, bool trans_b, int m, int n,
                                 int k, int *path, cl_int *row_tiles)
{
    /* B not transposed: one kernel per tile path (cl/gemm.cl), so a run compiles only the
     * paths its shapes use: narrow N <= 16, guarded N < 32 or M < 10 rows, else wide. */
    static const enum kernel_id xn[2][3] = {
        {KERNEL_GEMM_NN_NARROW, KERNEL_GEMM_NN_GUARDED, KERNEL_GEMM_NN_WIDE},
        {KERNEL_GEMM_TN_NARROW, KERNEL_GEMM_TN_GUARDED, KERNEL_GEMM_TN_WIDE}};
    *path = op_gemm_own_path(m, n);
    *row_tiles = 1;
    /* A B with K beyond one block: gemm_nn_blocked, which keeps a block of B's panel in L1
     * for several row tiles (cl/gemm.cl; the same sums as gemm_nn_wide). Its row tiles per
     * work-item: all of them (up to OWN_RT_MAX), so each column panel of B is read by one
     * work-item, when there are panels enough for 8 per compute unit (at 100 x 750 x 784, 24
     * panels, the panels split in two took 1.4x as long in training: B is 2.4 MB, more than
     * one core's L2 here); else half as many for twice the work-items (N = 200: 7 panels). */
    if (!trans_a && !trans_b && *path == 2 && k > OWN_KB) {
        const int panels = (n + OWN_XN_COLS - 1) / OWN_XN_COLS;
        const int m_tiles = (m + OWN_XN_ROWS - 1) / OWN_XN_ROWS;
        *row_tiles = m_tiles < OWN_RT_MAX ? m_tiles : OWN_RT_MAX;
        if (panels < 8 * (int)runtime_device(rt)->compute_units && *row_tiles > 1)
            *row_tiles = (*row_tiles + 1) / 2;
        return KERNEL_GEMM_NN_BLOCKED;
    }
    return trans_a && trans_b ? KERNEL_GEMM_ANY : trans_b ? KERNEL_GEMM_NT : xn[trans_a][*path];
}

/* own_gemm's operands: each inside its buffer, B panel-major (b_panels) or not. */
static int check_operands(bool trans_a, bool trans_b, int m, int n, int k, cl_mem a, size_t a_off,
                          int lda, cl_mem b, size_t b_off, int ldb, float beta, cl_mem c,
                          size_t c_off, int ldc, const struct gemm_epilogue *e, bool b_panels)
{
    int status = check_shape(m, n, k, lda, ldb, ldc);
    if (status == CLNET_OK)
        status = check_matrix("A", a, a_off, trans_a ? k : m, trans_a ? m : k, lda);
    const int panels_cols = (int)op_gemm_panel_cols((size_t)n);
    if (status == CLNET_OK) /* panel-major: k rows of each panel, panel after panel */
        status = b_panels ? check_matrix("B (panel-major)", b, b_off, 1, k * panels_cols,
                                         k * panels_cols)
                          : check_matrix("B", b, b_off, trans_b ? n : k, trans_b ? k : n, ldb);
    if (status == CLNET_OK) status = check_matrix("C", c, c_off, m, n, ldc);
    if (status == CLNET_OK) status = check_epilogue(e, trans_a, trans_b, m, n, beta);
    return status;
}

/* op_gemm_own_epi, or with b_panels (A B on gemm_nn_blocked only) B panel-major. */
static int own_gemm(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb,
                    float beta, cl_mem c, size_t c_off, int ldc, const struct gemm_epilogue *epi,
                    bool b_panels)
{
    const struct gemm_epilogue none = {.kind = GEMM_EPI_NONE, .buf = c};
    const struct gemm_epilogue *e = epi ? epi : &none;
    int status = check_operands(trans_a, trans_b, m, n, k, a, a_off, lda, b, b_off, ldb, beta, c,
                                c_off, ldc, e, b_panels);
    if (status != CLNET_OK) return status;

    int path;
    cl_int row_tiles;
    const enum kernel_id id = own_kernel(rt, trans_a, trans_b, m, n, k, &path, &row_tiles);
    const bool blocked = id == KERNEL_GEMM_NN_BLOCKED;
    if (b_panels && !blocked)
        return clnet_errorf(CLNET_ERR_INTERNAL, "gemm (own): B panel-major at %d x %d x %d, "
                            "not a gemm_nn_blocked shape", m, n, k);
    cl_int bp = b_panels;
    cl_ulong ao = a_off, bo = b_off, co = c_off, eo = e->off;
    cl_int ta = trans_a, tb = trans_b;
    cl_int eld = e->ld > 0 ? e->ld : 1, ek = (cl_int)e->kind, act = e->act;
    if (id == KERNEL_GEMM_ANY) {
        const struct runtime_arg args[] = {
            RUNTIME_ARG(c),     RUNTIME_ARG(co),   RUNTIME_ARG(ldc), RUNTIME_ARG(a),
            RUNTIME_ARG(ao),    RUNTIME_ARG(lda),  RUNTIME_ARG(b),   RUNTIME_ARG(bo),
            RUNTIME_ARG(ldb),   RUNTIME_ARG(m),    RUNTIME_ARG(n),   RUNTIME_ARG(k),
            RUNTIME_ARG(alpha), RUNTIME_ARG(beta), RUNTIME_ARG(ta),  RUNTIME_ARG(tb)};
        status = runtime_set_args(rt, id, args, N_ARGS(args));
        if (status != CLNET_OK) return status;
        return runtime_launch_1d(rt, id, (size_t)m * (size_t)n);
    }
    const struct runtime_arg args[] = {
        RUNTIME_ARG(c),     RUNTIME_ARG(co),   RUNTIME_ARG(ldc),    RUNTIME_ARG(a),
        RUNTIME_ARG(ao),    RUNTIME_ARG(lda),  RUNTIME_ARG(b),      RUNTIME_ARG(bo),
        RUNTIME_ARG(ldb),   RUNTIME_ARG(m),    RUNTIME_ARG(n),      RUNTIME_ARG(k),
        RUNTIME_ARG(alpha), RUNTIME_ARG(beta), RUNTIME_ARG(e->buf), RUNTIME_ARG(eo),
        RUNTIME_ARG(eld),   RUNTIME_ARG(ek),   RUNTIME_ARG(act),    RUNTIME_ARG(row_tiles),
        RUNTIME_ARG(bp)};
    status = runtime_set_args(rt, id, args, N_ARGS(args) - (blocked ? 0 : 2));
    if (status != CLNET_OK) return status;

    size_t tile_rows = id == KERNEL_GEMM_NT ? OWN_NT_ROWS
                       : path == 0          ? OWN_NARROW_ROWS
                                            : OWN_XN_ROWS;
    size_t tile_cols = id == KERNEL_GEMM_NT ? OWN_NT_COLS : OWN_XN_COLS;
    size_t tiles[2] = {((size_t)n + tile_cols - 1) / tile_cols,
                       ((size_t)m + tile_rows - 1) / tile_rows};
    if (e->kind == GEMM_EPI_COLSUM) tiles[1]++; /* the row of work-items that sums B's columns */
    if (blocked) tiles[1] = (tiles[1] + (size_t)row_tiles - 1) / (size_t)row_tiles;
    /* One size asked for (PoCL compiles a variant per local size); runtime_launch fits it to
     * the device and rounds the range up: the kernels skip tiles past the matrix. */
    size_t local[2] = {blocked ? 1 : OWN_LOCAL, 1};
    return runtime_launch(rt, id, 2, tiles, local);
}

int op_dense_dw(struct runtime *rt, const struct dense_tail_layout *t, cl_mem dw_table, cl_mem c,
                cl_mem x, cl_mem arena, int batch, float alpha, float beta, cl_mem w0p)
{
    if (!t->fits || batch <= 0 || batch > t->max_batch)
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_dw: B=%d (at most %d)%s", batch,
                            t->max_batch, t->fits ? "" : ", a layout past the table's ints");
    const int m0 = t->dw_table[1];
    int status = check_matrix("the batch", x, 0, batch, m0, m0);
    /* the arena's and the parameters' last floats that the layers read or write */
    if (status == CLNET_OK) status = check_matrix("the arena", arena, t->arena_floats - 1, 1, 1, 1);
    if (status == CLNET_OK)
        status = check_matrix("the parameters", c, t->dw_c_floats - 1, 1, 1, 1);
    const int n0 = t->dw_table[2], n0_cols = (int)op_gemm_panel_cols((size_t)n0);
    if (status == CLNET_OK && w0p && !dense_tail_dz_panels(t, 0))
        status = clnet_errorf(CLNET_ERR_INTERNAL, "dense_dw: W panel-major for a first "
                              "layer of %d x %d, not on the panel path", m0, n0);
    if (status == CLNET_OK && w0p)
        status = check_matrix("W panel-major", w0p, 0, 1, m0 * n0_cols, m0 * n0_cols);
    if (status != CLNET_OK) return status;
    cl_int layers = t->n_layers, k = batch, w0p_on = w0p != NULL;
    cl_mem w0p_buf = w0p ? w0p : c;
    const struct runtime_arg args[] = {RUNTIME_ARG(c),      RUNTIME_ARG(x), RUNTIME_ARG(arena),
                                       RUNTIME_ARG(dw_table), RUNTIME_ARG(layers),
                                       RUNTIME_ARG(k),      RUNTIME_ARG(alpha),
                                       RUNTIME_ARG(beta),   RUNTIME_ARG(w0p_buf),
                                       RUNTIME_ARG(w0p_on)};
    status = runtime_set_args(rt, KERNEL_GEMM_TN_LAYERS, args, N_ARGS(args));
    if (status != CLNET_OK) return status;
    /* tiles in groups of OWN_LOCAL, all alike but the column sums' and the smallest layers' */
    size_t items = (size_t)t->dw_items, local = OWN_LOCAL;
    return runtime_launch(rt, KERNEL_GEMM_TN_LAYERS, 1, &items, &local);
}

int op_gemm_own_epi(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb,
                    float beta, cl_mem c, size_t c_off, int ldc, const struct gemm_epilogue *epi)
{
    return own_gemm(rt, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c,
                    c_off, ldc, epi, false);
}

size_t op_gemm_panel_cols(size_t n)
{
    return (n + OWN_XN_COLS - 1) / OWN_XN_COLS * OWN_XN_COLS;
}

bool op_gemm_panels_ok(struct runtime *rt, int m, int n, int k)
{
    int path;
    cl_int row_tiles;
    return own_kernel(rt, false, false, m, n, k, &path, &row_tiles) ==
           KERNEL_GEMM_NN_BLOCKED;
}

int op_gemm_nn_panels(struct runtime *rt, int m, int n, int k, cl_mem a, size_t a_off, int lda,
                      cl_mem b, size_t b_off, cl_mem c, size_t c_off, int ldc,
                      const struct gemm_epilogue *epi)
{
    return own_gemm(rt, false, false, m, n, k, 1.0f, a, a_off, lda, b, b_off, n, 0.0f, c, c_off,
                    ldc, epi, true);
}

int op_gemm_own(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb, float beta,
                cl_mem c, size_t c_off, int ldc)
{
    return op_gemm_own_epi(rt, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta,
                           c, c_off, ldc, NULL);
}

int op_transpose(struct runtime *rt, cl_mem dst, cl_mem src, size_t src_off, int ld, int rows,
                 int cols)
{
    int status = rows > 0 && cols > 0
                     ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_INTERNAL, "transpose: bad shape %d x %d", rows,
                                    cols);
    if (status == CLNET_OK) status = check_matrix("the source", src, src_off, rows, cols, ld);
    if (status == CLNET_OK) status = check_matrix("the destination", dst, 0, cols, rows, rows);
    if (status != CLNET_OK) return status;
    cl_ulong off = src_off;
    const struct runtime_arg args[] = {RUNTIME_ARG(dst), RUNTIME_ARG(src),  RUNTIME_ARG(off),
                                       RUNTIME_ARG(ld),  RUNTIME_ARG(rows), RUNTIME_ARG(cols)};
    status = runtime_set_args(rt, KERNEL_GEMM_TRANSPOSE, args, N_ARGS(args));
    if (status != CLNET_OK) return status;
    /* a 16 x 16 block per work-item (cl/gemm_t.cl), groups of OWN_LOCAL along the columns */
    size_t global[2] = {((size_t)cols + 15) / 16, ((size_t)rows + 15) / 16};
    size_t local[2] = {global[0] < OWN_LOCAL ? global[0] : OWN_LOCAL, 1};
    return runtime_launch(rt, KERNEL_GEMM_TRANSPOSE, 2, global, local);
}

static int forced_choice; /* op_gemm_set_choice; 0: by the device */

void op_gemm_set_choice(int choice)
{
    forced_choice = choice;
}

int op_gemm_forced(void)
{
    return forced_choice;
}

int op_gemm_choice(const struct runtime *rt)
{
    if (forced_choice)
        return forced_choice;
    return runtime_ops_path(rt) == RUNTIME_OPS_CPU ? OP_GEMM_OWN : OP_GEMM_CLBLAST;
}

int op_gemm(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
            cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb, float beta, cl_mem c,
            size_t c_off, int ldc)
{
    int choice = op_gemm_choice(rt);
    if (choice == OP_GEMM_OWN)
        return op_gemm_own(rt, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta,
                           c, c_off, ldc);
    if (choice == OP_GEMM_CLBLAST)
        return op_gemm_clblast(rt, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb,
                               beta, c, c_off, ldc);
    return choice;
}
