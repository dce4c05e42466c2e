/* The buffer layout of cl/dense_tail.cl's kernel and its launch. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/nn.h"
#include "ops/ops.h"
#include "util/status.h"

void dense_tail_layout_free(struct dense_tail_layout *t)
{
    free(t->y_off);
    free(t->dz_off);
    free(t->table);
    free(t->dw_table);
    t->y_off = t->dz_off = NULL;
    t->table = t->dw_table = NULL;
}

/* Whether layer i's dz is panel-major in the arena: its dW takes the wide tiles and
 * cl/dense_tail.cl writes it (every layer's but the top one's, which the loss writes). */
static bool dz_panels(int n_layers, const int *units, int i)
{
    return i + 1 < n_layers && op_gemm_own_path(units[i], units[i + 1]) == 2;
}

/* op_dense_dw's table (cl/gemm.cl: gemm_tn_layers): per layer its first work-item, M, N, x's
 * offset in the arena (-1: the batch), dz's, W's and b's offsets, and its tile path
 * (op_gemm_own_path: 0 narrow, 1 guarded, 2 wide; 3 wide with dz panel-major). A layer has a
 * work-item per tile of C and one per column panel for the column sums. Whether every offset
 * and the count fit an int (the kernel indexes the matrices in size_t). */
static bool dense_dw_table(struct dense_tail_layout *t, const int *units, const size_t *w_off,
                           const size_t *b_off)
{
    bool fits = true;
    size_t items = 0, c_end = 0;
    for (int i = 0; i < t->n_layers; i++) {
        const int m = units[i], n = units[i + 1], path = op_gemm_own_path(m, n);
        const int tm = path == 0 ? OP_GEMM_NARROW_ROWS : OP_GEMM_TILE_ROWS;
        const size_t rows = (size_t)(m + tm - 1) / (size_t)tm + 1;
        const size_t panels = (size_t)(n + OP_GEMM_TILE_COLS - 1) / OP_GEMM_TILE_COLS;
        fits = fits && w_off[i] <= (size_t)INT_MAX && b_off[i] <= (size_t)INT_MAX &&
               items <= (size_t)INT_MAX;
        int *d = t->dw_table + i * DENSE_DW_FIELDS;
        d[0] = (int)items;
        d[1] = m;
        d[2] = n;
        d[3] = i > 0 ? (int)t->y_off[i - 1] : -1;
        d[4] = (int)t->dz_off[i];
        d[5] = (int)w_off[i];
        d[6] = (int)b_off[i];
        d[7] = path == 2 && dz_panels(t->n_layers, units, i) ? 3 : path;
        items += rows * panels;
        size_t w_end = w_off[i] + (size_t)m * (size_t)n, b_end = b_off[i] + (size_t)n;
        c_end = w_end > c_end ? w_end : c_end;
        c_end = b_end > c_end ? b_end : c_end;
    }
    t->dw_items = (int)(items <= (size_t)INT_MAX ? items : 0);
    t->dw_c_floats = c_end;
    return fits && items <= (size_t)INT_MAX;
}

int dense_tail_layout(struct dense_tail_layout *t, int n_layers, const int *units, const int *act,
                      const size_t *w_off, const size_t *b_off, int max_batch)
{
    *t = (struct dense_tail_layout){.n_layers = n_layers, .max_batch = max_batch};
    if (n_layers < 2 || max_batch < 1)
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_tail: %d layers, batch %d", n_layers,
                            max_batch);
    size_t n = (size_t)n_layers;
    t->y_off = calloc(n, sizeof *t->y_off);
    t->dz_off = calloc(n, sizeof *t->dz_off);
    t->table = calloc((n - 1) * DENSE_TAIL_FIELDS, sizeof *t->table);
    t->dw_table = calloc(n * DENSE_DW_FIELDS, sizeof *t->dw_table);
    if (!t->y_off || !t->dz_off || !t->table || !t->dw_table) {
        dense_tail_layout_free(t);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the dense tail's layout");
    }
    size_t off = 0, widest = 0, rows = (size_t)max_batch;
    for (size_t i = 0; i < n; i++) {
        size_t o = (size_t)units[i + 1];
        widest = o > widest ? o : widest;
        t->y_off[i] = off;
        off += rows * o;
        t->dz_off[i] = off; /* panel-major: whole panels of OP_GEMM_TILE_COLS units */
        if (dz_panels(n_layers, units, (int)i))
            o = op_gemm_panel_cols(o);
        off += rows * o;
    }
    /* a work-item's scratch: dz^T twice, then each layer's y^T, DENSE_TAIL_ROWS floats a unit */
    size_t dzt = DENSE_TAIL_ROWS * widest, scratch = 2 * dzt;
    for (size_t i = 0; i < n; i++)
        scratch += DENSE_TAIL_ROWS * (size_t)units[i + 1];
    t->scratch_off = off;
    t->arena_floats = off + (rows + DENSE_TAIL_ROWS - 1) / DENSE_TAIL_ROWS * scratch;
    t->scratch_len = (int)scratch;
    t->dzt_len = (int)dzt;
    /* The kernel adds the table's ints to pointers and takes its scratch lengths as ints. */
    bool fits = t->arena_floats <= (size_t)INT_MAX;
    size_t yt = 2 * dzt; /* layer u's y^T in the scratch */
    for (size_t u = 0; u + 1 < n; u++) {
        fits = fits && w_off[u + 1] <= (size_t)INT_MAX && b_off[u + 1] <= (size_t)INT_MAX;
        int *d = t->table + u * DENSE_TAIL_FIELDS;
        d[0] = units[u + 1];
        d[1] = units[u + 2];
        d[2] = (int)w_off[u + 1];
        d[3] = (int)b_off[u + 1];
        d[4] = act[u + 1];
        d[5] = (int)t->y_off[u];
        d[6] = (int)t->y_off[u + 1];
        d[7] = (int)t->dz_off[u];
        d[8] = (int)t->dz_off[u + 1];
        d[9] = act[u];
        d[10] = (int)yt;
        yt += DENSE_TAIL_ROWS * (size_t)units[u + 1];
        d[11] = (int)yt;
        d[12] = dz_panels(n_layers, units, (int)u);
    }
    t->fits = fits && dense_dw_table(t, units, w_off, b_off);
    return CLNET_OK;
}

bool dense_tail_dz_panels(const struct dense_tail_layout *t, int i)
{
    return t->dw_table[i * DENSE_DW_FIELDS + 7] == 3;
}

size_t dense_tail_dz_at(const struct dense_tail_layout *t, int i, int batch, int p, int j)
{
    const int *d = t->dw_table + i * DENSE_DW_FIELDS;
    if (!dense_tail_dz_panels(t, i)) return t->dz_off[i] + (size_t)p * (size_t)d[2] + (size_t)j;
    const size_t w = OP_GEMM_TILE_COLS;
    return t->dz_off[i] + (size_t)j / w * (size_t)batch * w + (size_t)p * w + (size_t)j % w;
}

static size_t floats_in(cl_mem m)
{
    size_t bytes = 0;
    if (clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) != CL_SUCCESS)
        return 0;
    return bytes / sizeof(float);
}

int op_dense_tail(struct runtime *rt, const struct dense_tail_layout *t, cl_mem arena,
                  cl_mem params, cl_mem table, cl_mem labels, cl_mem row_loss,
                  cl_mem row_correct, size_t row_off, int batch, int loss)
{
    if (!t->fits)
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_tail: a layout past the table's ints");
    if (batch <= 0 || batch > t->max_batch || loss < 0 || loss >= LOSS_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_tail: B=%d (at most %d), loss %d", batch,
                            t->max_batch, loss);
    if (t->arena_floats > floats_in(arena) || row_off + (size_t)batch > floats_in(row_loss) ||
        row_off + (size_t)batch > floats_in(row_correct))
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_tail: the arena (%zu floats) or B=%d "
                            "rows from %zu lie past their buffers", t->arena_floats, batch,
                            row_off);
    cl_int nu = t->n_layers - 1, b = batch, l = loss, sl = t->scratch_len, dl = t->dzt_len;
    cl_ulong ro = row_off, so = t->scratch_off;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(arena),  RUNTIME_ARG(params),   RUNTIME_ARG(table),       RUNTIME_ARG(nu),
        RUNTIME_ARG(labels), RUNTIME_ARG(row_loss), RUNTIME_ARG(row_correct), RUNTIME_ARG(ro),
        RUNTIME_ARG(b),      RUNTIME_ARG(l),        RUNTIME_ARG(so),          RUNTIME_ARG(sl),
        RUNTIME_ARG(dl)};
    int status = runtime_set_args(rt, KERNEL_DENSE_TAIL, args, N_ARGS(args));
    if (status != CLNET_OK)
        return status;
    /* one work-item per group: on PoCL's workers each group is a share of the work */
    size_t items = ((size_t)batch + DENSE_TAIL_ROWS - 1) / DENSE_TAIL_ROWS, local = 1;
    return runtime_launch(rt, KERNEL_DENSE_TAIL, 1, &items, &local);
}
