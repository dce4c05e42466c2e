/* A graph model's executor: the plan (model/plan.c, plan.graph) made its steps the nodes,
 * forward in the graph's order and backward in reverse for the nodes whose backward runs
 * (layer_plan.backward: they lead to the output and need a gradient), with no fusion across
 * layers; model_forward, model_backward and model_train_pass (model_run.c) hand each step's
 * node here.
 *
 * A node reading one node gets that node's output as x, a merging node (add, concat) its
 * inputs packed row by row into a buffer of its own. The gradient a node receives from each
 * layer that reads it is copied into a slot of its own, the slots in a fixed order (the
 * loss's first: the output's slot 0, or with train.loss's list form the slot of each term on
 * the node, in the list's order, which the term's kernel writes; then the reading layers', in
 * the config's order and their from: order), and a node with several slots sums them in that
 * order (add's forward kernel): the same bits on every run, whatever the order the nodes ran
 * in. The parameters of a node that does not lead to the loss get zero gradients. */
#include "model/graph_run.h"

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct graph_run {
    int *n_slots;     /* (n): the gradients it receives (live readers, and the loss's) */
    int (*slot)[LAYER_MAX_INPUTS]; /* (n): slot[i][k], where input k of node i gets its part */
    cl_mem *packed;   /* (n): a merging node's inputs, (B, I); else NULL */
    cl_mem *slots;    /* (n): (B, n_slots * O) when n_slots > 0; else NULL */
    cl_mem *sum;      /* (n): (B, O), the slots' sum, when n_slots > 1 */
    cl_mem *grad;     /* (n): (B, O), a copy of dy before the node's backward (MODEL_NODE_GRADS) */
    int *term_slot;   /* (terms): the slot of loss term t on its node (the list form) */
    int input_slots;  /* the model's input's, when it is built for the input's gradient */
    cl_mem input_slot, input_sum;
};

static bool merges(const struct layer *l)
{
    return l->kind->max_inputs > 1;
}

/* Whether node j (or the input) gets a gradient: its backward runs (the plan's). */
static bool receives(const struct model *m, int j)
{
    return j == GRAPH_INPUT ? m->plan.needs.input_grad : m->layers[j].plan->backward;
}

/* The slots, from the graph and the plan: input k of node i gets a part of node i's dx when
 * both their backwards run. */
static void slots_plan(struct graph_run *r, const struct model *m)
{
    const struct graph *g = &m->shape.graph;
    for (int t = 0; t < m->terms.n; t++) /* the loss terms' gradients, in the list's order */
        r->term_slot[t] = r->n_slots[m->terms.t[t].node]++;
    if (m->terms.n == 0)
        r->n_slots[g->n - 1] = 1; /* the loss's gradient */
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->n_in[i]; k++) {
            int j = g->in[i][k];
            bool gets = m->layers[i].plan->backward && receives(m, j);
            r->slot[i][k] = !gets ? -1 : j == GRAPH_INPUT ? r->input_slots++ : r->n_slots[j]++;
        }
}

void graph_run_free(struct graph_run *r, int n)
{
    if (!r) return;
    for (int i = 0; i < n; i++) {
        if (r->packed) runtime_free(r->packed[i]);
        if (r->slots) runtime_free(r->slots[i]);
        if (r->sum) runtime_free(r->sum[i]);
        if (r->grad) runtime_free(r->grad[i]);
    }
    free(r->n_slots), free(r->slot), free(r->term_slot);
    free(r->packed), free(r->slots), free(r->sum), free(r->grad);
    runtime_free(r->input_slot), runtime_free(r->input_sum);
    free(r);
}

/* Node i's buffers for batches of up to rows. */
static int alloc_node(struct graph_run *r, struct model *m, int i, size_t rows)
{
    const struct layer *l = &m->layers[i];
    size_t f = sizeof(float);
    int status = CLNET_OK;
    if (merges(l))
        status = runtime_alloc(m->rt, &r->packed[i], rows * l->in_size * f, "a layer's inputs");
    if (status == CLNET_OK && r->n_slots[i] > 1)
        status = runtime_alloc(m->rt, &r->sum[i], rows * l->out_size * f, "a layer's gradient");
    if (status == CLNET_OK && r->n_slots[i] > 0)
        status = runtime_alloc(m->rt, &r->slots[i], rows * (size_t)r->n_slots[i] * l->out_size * f,
                               "a layer's gradients");
    if (status == CLNET_OK && r->n_slots[i] > 0 && m->plan.needs.node_grads)
        status = runtime_alloc(m->rt, &r->grad[i], rows * l->out_size * f, "a layer's gradient");
    return status;
}

int graph_run_open(struct graph_run **out, struct model *m, int max_batch)
{
    int n = m->n_layers;
    struct graph_run *r = calloc(1, sizeof *r);
    if (r) {
        r->n_slots = calloc((size_t)n, sizeof *r->n_slots);
        r->slot = calloc((size_t)n, sizeof *r->slot);
        r->packed = calloc((size_t)n, sizeof *r->packed);
        r->slots = calloc((size_t)n, sizeof *r->slots);
        r->sum = calloc((size_t)n, sizeof *r->sum);
        r->grad = calloc((size_t)n, sizeof *r->grad);
        r->term_slot = calloc((size_t)m->terms.n + 1, sizeof *r->term_slot);
    }
    *out = NULL;
    if (!r || !r->n_slots || !r->slot || !r->packed || !r->slots ||
        !r->sum || !r->grad || !r->term_slot) {
        graph_run_free(r, 0);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the graph");
    }
    slots_plan(r, m);
    int status = CLNET_OK;
    for (int i = 0; i < n && status == CLNET_OK; i++)
        status = alloc_node(r, m, i, (size_t)max_batch);
    size_t input = (size_t)max_batch * m->input_size * sizeof(float);
    if (status == CLNET_OK && r->input_slots > 0)
        status = runtime_alloc(m->rt, &r->input_slot, input * (size_t)r->input_slots,
                               "the input's gradients");
    if (status == CLNET_OK && r->input_slots > 1)
        status = runtime_alloc(m->rt, &r->input_sum, input, "the input's gradient");
    if (status != CLNET_OK) {
        graph_run_free(r, n);
        return status;
    }
    *out = r;
    return CLNET_OK;
}

/* The output of node j: the model's input x, or layer j's last output. */
static cl_mem node_out(const struct model *m, int j, cl_mem x)
{
    return j == GRAPH_INPUT ? x : m->layers[j].out;
}

/* Node i's x: its one input's output, or its inputs packed row by row. */
static int node_x(struct model *m, int i, cl_mem x, int batch, cl_mem *xi)
{
    const struct graph *g = &m->shape.graph;
    const struct layer *l = &m->layers[i];
    if (!merges(l)) {
        *xi = node_out(m, g->in[i][0], x);
        return CLNET_OK;
    }
    *xi = m->graph_run->packed[i];
    size_t off = 0;
    for (int k = 0; k < g->n_in[i]; k++) {
        size_t size = (size_t)tensor_shape_size(&l->shape->ins[k]);
        int status = op_copy_block(m->rt, *xi, off, l->in_size, node_out(m, g->in[i][k], x), 0,
                                   size, (size_t)batch, size);
        if (status != CLNET_OK) return status;
        off += size;
    }
    return CLNET_OK;
}

int graph_forward_node(struct model *m, int i, cl_mem x, int batch, bool train)
{
    struct layer *l = &m->layers[i];
    cl_mem xi = NULL;
    int status = node_x(m, i, x, batch, &xi);
    return status == CLNET_OK ? l->kind->forward(l, m, &l->out, xi, batch, train) : status;
}

/* Node i's (or the input's) slots: the buffer, how many, and the values of one. */
static void slots_of(const struct model *m, int i, cl_mem *buf, int *n, size_t *size)
{
    const struct graph_run *r = m->graph_run;
    *buf = i == GRAPH_INPUT ? r->input_slot : r->slots[i];
    *n = i == GRAPH_INPUT ? r->input_slots : r->n_slots[i];
    *size = i == GRAPH_INPUT ? m->input_size : m->layers[i].out_size;
}

/* Node i's (or the input's) dy: its one slot, or the sum of its slots in slot order. */
static int node_dy(struct model *m, int i, int batch, cl_mem *dy)
{
    struct graph_run *r = m->graph_run;
    cl_mem slots;
    int n;
    size_t size;
    slots_of(m, i, &slots, &n, &size);
    if (n == 1) {
        *dy = slots;
        return CLNET_OK;
    }
    *dy = i == GRAPH_INPUT ? r->input_sum : r->sum[i];
    return layer_add_blocks(m->rt, *dy, slots, size, n, (size_t)batch);
}

/* Hands each input of node i that takes a gradient its part of dx (B, I) into its slot. */
static int scatter_dx(struct model *m, int i, cl_mem dx, int batch)
{
    const struct graph *g = &m->shape.graph;
    const struct graph_run *r = m->graph_run;
    const struct layer *l = &m->layers[i];
    size_t off = 0;
    for (int k = 0; k < g->n_in[i]; k++) {
        int j = g->in[i][k];
        size_t size = (size_t)tensor_shape_size(&l->shape->ins[k]);
        if (r->slot[i][k] >= 0) {
            cl_mem slots;
            int n;
            size_t o;
            slots_of(m, j, &slots, &n, &o);
            int status = op_copy_block(m->rt, slots, (size_t)r->slot[i][k] * size,
                                       (size_t)n * size, dx, off, l->in_size, (size_t)batch, size);
            if (status != CLNET_OK) return status;
        }
        off += size;
    }
    return CLNET_OK;
}

int graph_backward_begin(struct model *m, cl_mem dlogits, int batch)
{
    const struct graph *g = &m->shape.graph;
    const struct graph_run *r = m->graph_run;
    const struct layer *top = &m->layers[g->n - 1];
    int status = !dlogits ? CLNET_OK /* the loss terms wrote their slots */
                          : op_copy_block(m->rt, r->slots[g->n - 1], 0,
                                          (size_t)r->n_slots[g->n - 1] * top->out_size, dlogits,
                                          0, top->out_size, (size_t)batch, top->out_size);
    for (int i = 0; i < g->n && status == CLNET_OK; i++) { /* the loss does not reach them */
        const struct layer *l = &m->layers[i];
        size_t n = (size_t)(l->shape->weights + l->shape->biases);
        if (!l->plan->backward && n > 0) status = op_fill(m->rt, m->grads, l->w_off, n, 0.0f);
    }
    return status;
}

int graph_backward_node(struct model *m, int i, cl_mem x, int batch)
{
    const struct graph *g = &m->shape.graph;
    const struct graph_run *r = m->graph_run;
    struct layer *l = &m->layers[i];
    bool need_dx = l->plan->need_dx;
    cl_mem xi = merges(l) ? r->packed[i] : node_out(m, g->in[i][0], x), dy = NULL, dx = NULL;
    int status = node_dy(m, i, batch, &dy);
    if (status == CLNET_OK && r->grad[i]) /* kept: backward may overwrite dy */
        status = op_copy(m->rt, r->grad[i], dy, (size_t)batch * l->out_size * sizeof(float));
    if (status == CLNET_OK) status = l->kind->backward(l, m, &dx, xi, dy, batch, need_dx);
    if (status == CLNET_OK && need_dx) status = scatter_dx(m, i, dx, batch);
    return status;
}

int graph_backward_end(struct model *m, int batch)
{
    if (m->graph_run->input_slots == 0)
        return CLNET_OK;
    return node_dy(m, GRAPH_INPUT, batch, &m->input_dx);
}

void graph_term_slot(const struct model *m, int t, cl_mem *buf, size_t *off, int *ld)
{
    const struct graph_run *r = m->graph_run;
    int node = m->terms.t[t].node;
    size_t size = m->layers[node].out_size;
    *buf = r->slots[node];
    *off = (size_t)r->term_slot[t] * size;
    *ld = (int)((size_t)r->n_slots[node] * size);
}

cl_mem graph_node_grad(const struct model *m, int i)
{
    const struct graph_run *r = m->graph_run;
    return r && m->layers[i].plan->backward ? r->grad[i] : NULL;
}
