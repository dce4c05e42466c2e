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
    /* With fused SGD and the first layer's dz panel-major (dense_tail_dz_panels): its W also
     * panel-major, for its forward (op_gemm_nn_panels: at 100 x 750 x 784 gemm_nn_blocked
     * reads row-major W's 32-column panels 3,000 bytes a row apart, which the prefetcher does
     * not follow). op_dense_dw stores every updated W into it too, so after a fused step it is
     * current; packed here from params when they were written otherwise (params_version). */
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

/* The smallest first layer's W kept panel-major too. The copy's second store costs the dW
 * launch about what it saves the forward where W stays in cache between steps: net_profile,
 * 1000 steps, the copy against none: h100 (784 x 100 floats, 0.31 MB) dW +10-16 us, forward
 * the same, h200 (0.63 MB) -25-30 and +10-22 us, h400 (1.25 MB) -52-57 and +36-38 us, h750
 * (2.35 MB) -150 and +85 us (bench/RESULTS.md, session 16). */
#define W0P_MIN_BYTES ((size_t)1 << 20)

/* The floats of a first layer's W panel-major: its inputs' rows of whole panels of units. */
static size_t w0p_floats(const struct layer *l)
{
    return l->in_size * op_gemm_panel_cols(l->out_size);
}

/* s->w0p = the first layer's W in params, panel-major with zeros past its units (by the host:
 * only when params were written other than by a fused step, e.g. at the start). */
static int pack_w0(struct dense_stack *s, struct model *m)
{
    const struct layer *l = &m->layers[0];
    const size_t in = l->in_size, out = l->out_size, w = OP_GEMM_TILE_COLS, np = w0p_floats(l);
    float *rows = malloc(in * out * sizeof *rows), *panels = calloc(np, sizeof *panels);
    int status = rows && panels ? runtime_download(m->rt, rows, m->params,
                                                   l->w_off * sizeof(float),
                                                   in * out * sizeof(float))
                                : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for W's copy");
    for (size_t j = 0; status == CLNET_OK && j < out; j++)
        for (size_t p = 0; p < in; p++)
            panels[j / w * in * w + p * w + j % w] = rows[p * out + j];
    if (status == CLNET_OK)
        status = runtime_upload(m->rt, s->w0p, 0, panels, np * sizeof(float));
    free(rows);
    free(panels);
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
    if (status == CLNET_OK && m->layers[0].plan->sgd_fused && dense_tail_dz_panels(&s->layout, 0) &&
        w0p_floats(&m->layers[0]) * sizeof(float) >= W0P_MIN_BYTES)
        status = runtime_alloc(m->rt, &s->w0p, w0p_floats(&m->layers[0]) * sizeof(float),
                               "the dense stack's copy of W");
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
    int status = CLNET_OK;
    if (panels && s->w0p_version != m->params_version + 1) status = pack_w0(s, m);
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
                             fused ? s->w0p : NULL);
    if (status == CLNET_OK && fused && s->w0p) /* every element of W went into it */
        s->w0p_version = m->params_version + 1;
    return status;
}
