/* A training step of an all-dense model on clnet's own GEMM kernels in L + 2 launches after the
 * batch's gather, instead of about 4 L: the first layer's forward (one GEMM with bias and activation), then
 * cl/dense_tail.cl's kernel for everything above it (their forward, the loss and every layer's
 * dz), then each layer's dW (layer_dense_dw: db, and plain SGD when model.sgd_fused, in the
 * same launch). The layers' own forward and backward (layers/dense.c) run each upper layer's
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
    cl_mem arena, table;
};

bool dense_stack_usable(const struct model *m)
{
    return m->n_layers >= 2 && layer_dense_fuses_sgd(m);
}

void dense_stack_free(struct dense_stack *s)
{
    if (!s)
        return;
    runtime_free(s->arena);
    runtime_free(s->table);
    dense_tail_layout_free(&s->layout);
    free(s);
}

/* The plan's choice for a layout that does not fit: the per-layer path computes the same values
 * with size_t offsets and buffers of one layer each, so a model too wide for the stack's int
 * offsets or for one device buffer still trains (summary.json "dense_stack": false). */
static bool layout_fits(const struct dense_tail_layout *t, const struct model *m, char *why,
                        size_t why_size)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    size_t max_alloc = (size_t)runtime_device(m->rt)->max_alloc_bytes;
    if (!t->fits)
        snprintf(why, why_size, "its offsets (%zu floats) pass the kernel's ints",
                 t->arena_floats);
    else if (t->arena_floats > max_alloc / sizeof(float))
        snprintf(why, why_size, "its buffer (%.2f GiB) is larger than the device allows "
                 "(%.2f GiB)", (double)t->arena_floats * sizeof(float) / gib,
                 (double)max_alloc / gib);
    return t->fits && t->arena_floats <= max_alloc / sizeof(float);
}

int dense_stack_open(struct dense_stack **out, const struct model *m, int rows, char *why,
                     size_t why_size)
{
    *out = NULL;
    if (!dense_stack_usable(m))
        return clnet_errorf(CLNET_ERR_INTERNAL, "dense_stack: the model is not all dense on "
                            "clnet's own kernels with 2 or more layers");
    int n = m->n_layers;
    struct dense_stack *s = calloc(1, sizeof *s);
    int *units = calloc((size_t)n + 1, sizeof *units), *act = calloc((size_t)n, sizeof *act);
    size_t *w_off = calloc((size_t)n, sizeof *w_off), *b_off = calloc((size_t)n, sizeof *b_off);
    int status = CLNET_OK;
    if (!s || !units || !act || !w_off || !b_off)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the dense stack");
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        const struct layer *l = &m->layers[i];
        units[i] = (int)l->in_size;
        units[i + 1] = (int)l->out_size;
        act[i] = (int)l->spec->activation;
        w_off[i] = l->w_off;
        b_off[i] = l->b_off;
    }
    if (status == CLNET_OK)
        status = dense_tail_layout(&s->layout, n, units, act, w_off, b_off, rows);
    free(units);
    free(act);
    free(w_off);
    free(b_off);
    if (status == CLNET_OK && !layout_fits(&s->layout, m, why, why_size)) {
        dense_stack_free(s);
        return CLNET_OK;
    }
    size_t table_bytes = (size_t)(n - 1) * DENSE_TAIL_FIELDS * sizeof *s->layout.table;
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &s->arena, s->layout.arena_floats * sizeof(float),
                               "the dense stack's activations");
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &s->table, table_bytes, "the dense stack's table");
    if (status == CLNET_OK)
        status = runtime_upload(m->rt, s->table, 0, s->layout.table, table_bytes);
    if (status != CLNET_OK) {
        dense_stack_free(s);
        return status;
    }
    *out = s;
    return CLNET_OK;
}

int dense_stack_step(const struct dense_stack *s, struct model *m, cl_mem x, cl_mem labels,
                     cl_mem row_loss, cl_mem row_correct, size_t row_off, int batch, int loss)
{
    const struct dense_tail_layout *t = &s->layout;
    int status = layer_dense_forward_own(&m->layers[0], m, x, s->arena, t->y_off[0], batch);
    if (status == CLNET_OK)
        status = op_dense_tail(m->rt, t, s->arena, m->params, s->table, labels, row_loss,
                               row_correct, row_off, batch, loss);
    for (int i = m->n_layers - 1; i >= 0 && status == CLNET_OK; i--)
        status = layer_dense_dw(&m->layers[i], m, i > 0 ? s->arena : x,
                                i > 0 ? t->y_off[i - 1] : 0, s->arena, t->dz_off[i], batch);
    return status;
}
