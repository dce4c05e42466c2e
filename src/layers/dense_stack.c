/* A training step of an all-dense model on clnet's own GEMM kernels in 3 launches after the
 * batch's gather, instead of about 4 L: the first layer's forward (one GEMM with bias and activation), then
 * cl/dense_tail.cl's kernel for everything above it (their forward, the loss and every layer's
 * dz), then every layer's dW with its db (and plain SGD when the plan fuses it) in one launch
 * (op_dense_dw). The layers' own forward and backward (layers/dense.c) run each upper layer's
 * GEMMs, W's transposes and the loss as launches of their own, and on PoCL every launch costs
 * the worker microseconds. Every value is computed as there, so both paths give the same bits
 * (tests/train: test_dense_stack_same_bits); bench/RESULTS.md has what it gains.
 *
 * Its buffers: an arena with every layer's output and dz for the training batch and the
 * kernel's scratch, and the table it reads (ops.h: struct dense_tail_layout). The layers' own
 * y and dx buffers stay for evaluation and the per-layer path. */
#include "layers/layer.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct dense_stack {
    struct dense_tail_layout layout;
    cl_mem arena, table, dw_table;
    /* With fused SGD and the first layer's dz panel-major (dense_tail_dz_panels): its W kept
     * panel-major, read by its forward (op_gemm_nn_panels: at 100 x 750 x 784 gemm_nn_blocked
     * reads row-major W's 32-column panels 3,000 bytes a row apart, which the prefetcher does
     * not follow) and updated there by op_dense_dw, which then leaves params' rows of it
     * behind (m->params_behind) until dense_stack_sync copies them back. Copied from params
     * when they were written otherwise (params_version), e.g. at the start. */
    cl_mem w0p;
    uint64_t w0p_version; /* params_version + 1 when w0p was last current, 0 never */
};

void dense_stack_free(struct dense_stack *s)
{
    if (!s)
        return;
    runtime_free(s->arena);
    runtime_free(s->table);
    runtime_free(s->dw_table);
    runtime_free(s->w0p);
    dense_tail_layout_free(&s->layout);
    free(s);
}

/* The floats of a first layer's W panel-major: its inputs' rows of whole panels of units. */
static size_t w0p_floats(const struct layer *l)
{
    return l->in_size * op_gemm_panel_cols(l->out_size);
}

/* The first layer's W from params' rows into s->w0p's panels (to_panels), or back: one block
 * copy a panel, on the device. The padding past the units is never copied (zeros from open). */
static int copy_w0(struct dense_stack *s, struct model *m, bool to_panels)
{
    const struct layer *l = &m->layers[0];
    const size_t in = l->in_size, out = l->out_size, w = OP_GEMM_TILE_COLS;
    int status = CLNET_OK;
    for (size_t j = 0; j < out && status == CLNET_OK; j += w) {
        const size_t panel = j * in, row = l->w_off + j, cols = out - j < w ? out - j : w;
        status = to_panels ? op_copy_block(m->rt, s->w0p, panel, w, m->params, row, out, in, cols)
                           : op_copy_block(m->rt, m->params, row, out, s->w0p, panel, w, in, cols);
    }
    return status;
}

int dense_stack_sync(struct dense_stack *s, struct model *m)
{
    if (!m->params_behind) return CLNET_OK;
    int status = s && s->w0p ? copy_w0(s, m, false)
                             : clnet_errorf(CLNET_ERR_INTERNAL, "dense_stack: params behind "
                                            "without W panel-major");
    if (status == CLNET_OK) m->params_behind = false;
    return status;
}

int dense_stack_open(struct dense_stack **out, const struct model *m, int rows)
{
    *out = NULL;
    if (!m->plan.dense_stack.on)
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_stack: the plan does not take it (%s)",
                            m->plan.dense_stack.why);
    int n = m->n_layers;
    struct dense_stack *s = calloc(1, sizeof *s);
    int status = s ? plan_dense_stack_layout(&s->layout, m->exp, &m->shape, rows)
                   : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the dense stack");
    if (status == CLNET_OK && !s->layout.fits) /* model/plan.c checked it */
        status = clnet_errorf(CLNET_ERR_INTERNAL, "dense_stack: the layout passes the ints");
    size_t table_bytes = (size_t)(n - 1) * DENSE_TAIL_FIELDS * sizeof *s->layout.table;
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &s->arena, s->layout.arena_floats * sizeof(float),
                               "the dense stack's activations");
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &s->table, table_bytes, "the dense stack's table");
    if (status == CLNET_OK)
        status = runtime_upload(m->rt, s->table, 0, s->layout.table, table_bytes);
    size_t dw_bytes = (size_t)n * DENSE_DW_FIELDS * sizeof *s->layout.dw_table;
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &s->dw_table, dw_bytes, "the dense stack's dW table");
    if (status == CLNET_OK)
        status = runtime_upload(m->rt, s->dw_table, 0, s->layout.dw_table, dw_bytes);
    for (int i = 1; i < n && status == CLNET_OK; i++)
        if (m->layers[i].plan->sgd_fused != m->layers[0].plan->sgd_fused)
            status = clnet_errorf(CLNET_ERR_INTERNAL, "dense_stack: SGD fused in some layers");
    if (status == CLNET_OK && m->layers[0].plan->sgd_fused && dense_tail_dz_panels(&s->layout, 0))
        status = runtime_alloc(m->rt, &s->w0p, w0p_floats(&m->layers[0]) * sizeof(float),
                               "the first layer's W panel-major");
    if (status == CLNET_OK && s->w0p) /* the padding, which copy_w0 never writes */
        status = op_fill(m->rt, s->w0p, 0, w0p_floats(&m->layers[0]), 0.0f);
    if (status != CLNET_OK && s) {
        dense_stack_free(s);
        return status;
    }
    *out = s;
    return CLNET_OK;
}

int dense_stack_step(struct dense_stack *s, struct model *m, cl_mem x, cl_mem labels,
                     cl_mem row_loss, cl_mem row_correct, size_t row_off, int batch, int loss)
{
    const struct dense_tail_layout *t = &s->layout;
    struct layer *l0 = &m->layers[0];
    const bool panels =
        s->w0p && op_gemm_panels_ok(m->rt, batch, (int)l0->out_size, (int)l0->in_size);
    /* the rows path (a batch too small for the panels' kernel) reads and updates params' W */
    int status = panels ? CLNET_OK : dense_stack_sync(s, m);
    if (status == CLNET_OK && panels && s->w0p_version != m->params_version + 1)
        status = copy_w0(s, m, true);
    if (status == CLNET_OK)
        status = layer_dense_forward_own(l0, m, x, s->arena, t->y_off[0], batch,
                                         panels ? s->w0p : NULL);
    if (status == CLNET_OK)
        status = op_dense_tail(m->rt, t, s->arena, m->params, s->table, labels, row_loss,
                               row_correct, row_off, batch, loss);
    /* every layer's dW (db, and plain SGD when the plan fuses it) in one launch, the sums of
     * layers/dense.c's dense_dw */
    const bool fused = m->layers[0].plan->sgd_fused;
    if (status == CLNET_OK)
        status = op_dense_dw(m->rt, t, s->dw_table, fused ? m->params : m->grads, x, s->arena,
                             batch, fused ? -m->sgd_lr : 1.0f, fused ? 1.0f : 0.0f,
                             panels ? s->w0p : NULL);
    if (status == CLNET_OK && panels) { /* W went on in w0p only (w0p: fused SGD) */
        s->w0p_version = m->params_version + 1;
        m->params_behind = true;
    } else if (s->w0p) {
        s->w0p_version = 0;
    }
    return status;
}
