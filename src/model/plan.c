/* The execution plan (plan.h): every fast path decided here, once, with the reason it is off.
 *
 * What each fusion depends on, and so where it is valid:
 *   - bias + activation: one launch on every path (the GPU path's 2-D bias_act_forward_2d after
 *     CLBlast, the conv kernels' own); in the GEMM's epilogue only with clnet's own GEMM.
 *   - the loss: softmax, loss and dz in one launch (loss_forward_backward) on every path.
 *   - the update: one launch over the whole parameter arena on every path (sgd_update,
 *     sgd_momentum_update, adam_update); fused into the dW GEMMs (plain SGD) only with clnet's
 *     own GEMM: it rides in the GEMM's COLSUM epilogue, which also gives db, and its rounding
 *     is the optimizer kernel's, so the bits are the same. CLBlast's alpha/beta would fold the
 *     weights' update but not the bias's (db comes from bias_act_backward), and its rounding
 *     of alpha x + beta y is not ours to fix, so the bits would differ from the unfused step.
 *   - act' in the dx GEMM (the layer below's dz), db in the dW GEMM: clnet's own GEMM only.
 *   - the dense stack: cl/dense_tail.cl's dense_tail carries 16 rows per work-item through every
 *     upper layer, a shape for CPUs; the CPU path only. */
#include "model/plan.h"

#include "model/loss_terms.h"

#include <stdlib.h>
#include <string.h>

#include "layers/layer.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "util/status.h"

const struct plan_needs plan_needs_eval = {.fused_sgd = true, .dense_stack = true};

struct plan_needs plan_needs_train(const struct experiment *e, int ranks, int rows,
                                   bool fused_sgd, bool dense_stack)
{
    const struct optim_spec *o = &e->train.optimizer;
    return (struct plan_needs){
        .training = true,
        .plain_sgd = optim_spec_is_plain_sgd(o),
        .optimizer = o->kind != OPTIM_SGD ? optim_name(o->kind)
                     : o->momentum > 0    ? "SGD with momentum"
                                          : "SGD with weight decay",
        .grads_read_by = e->train.layer_stats > 0 ? "layer_stats"
                         : ranks > 1              ? "the ranks' averaging (MPI)"
                                                  : NULL,
        .outputs_read_by = e->train.layer_stats > 0 ? "layer_stats" : NULL,
        .fused_sgd = fused_sgd,
        .dense_stack = dense_stack,
        .rows = rows,
    };
}

static bool is_type(const struct experiment *e, int i, enum layer_type t)
{
    return i >= 0 && i < e->n_layers && e->layers[i].type == t;
}

/* A graph's nodes (the graph's executor runs them): a node's backward runs when it leads to
 * the output (or to a node a loss term reads) and needs a gradient (it has parameters or reads a node that needs one, or the
 * input when its gradient is asked for), and computes dx when one of its inputs needs one.
 * Each dense layer's fusions are its own (epilogues, dz = dy for identity); none reaches
 * across layers, and conv layers pass (B, O) rows. */
static int plan_graph_layers(struct plan *p, const struct experiment *e,
                             const struct model_shape *shape)
{
    const struct graph *g = &shape->graph;
    struct layer_plan *lp = p->layers;
    bool *trains = calloc((size_t)g->n + 1, sizeof *trains);
    if (!trains)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the plan");
    /* The nodes the loss reads: the output, or each term's (train.loss's list form). */
    for (int t = 0; t < e->train.n_terms; t++) {
        int node = loss_term_node(e, t);
        if (node >= 0) lp[node].backward = true;
    }
    if (g->n > 0 && e->train.n_terms == 0)
        lp[g->n - 1].backward = true;
    for (int o = g->n - 1; o >= 0; o--)
        for (int i = g->order[o], k = 0; lp[i].backward && k < g->n_in[i]; k++)
            if (g->in[i][k] != GRAPH_INPUT)
                lp[g->in[i][k]].backward = true;
    for (int o = 0; o < g->n; o++) {
        int i = g->order[o];
        trains[i] = shape->layers[i].weights + shape->layers[i].biases > 0;
        for (int k = 0; k < g->n_in[i]; k++) {
            int j = g->in[i][k];
            bool gets = j == GRAPH_INPUT ? p->needs.input_grad : trains[j];
            trains[i] = trains[i] || gets;
            lp[i].need_dx = lp[i].need_dx || gets;
        }
    }
    for (int i = 0; i < g->n; i++) {
        lp[i].backward = lp[i].backward && trains[i];
        lp[i].need_dx = lp[i].need_dx && lp[i].backward;
        lp[i].dx_buffer = true;
        lp[i].own_gemm = lp[i].epilogue = is_type(e, i, LAYER_DENSE) && p->dev.own_gemm;
        lp[i].dz_ready = lp[i].own_gemm && e->layers[i].activation == ACTIVATION_IDENTITY;
    }
    free(trains);
    p->batch_minor.on = false;
    snprintf(p->batch_minor.why, sizeof p->batch_minor.why, "%.160s: its nodes pass (B, O) rows",
             p->graph.why);
    return CLNET_OK;
}

/* Each layer's part: which input gradients are needed, the dense layers' GEMM and fusions, the
 * conv layers' layouts. */
static void plan_layers(struct plan *p, const struct experiment *e,
                        const struct model_shape *shape)
{
    bool params_below = p->needs.input_grad, plain = p->needs.outputs_read_by != NULL;
    bool adjacent = false;
    for (int i = 0; i < e->n_layers; i++) {
        struct layer_plan *lp = &p->layers[i];
        lp->need_dx = params_below;
        lp->dx_buffer = i > 0 || p->needs.input_grad;
        params_below = params_below || shape->layers[i].weights + shape->layers[i].biases > 0;
        if (is_type(e, i, LAYER_DENSE)) {
            lp->own_gemm = p->dev.own_gemm;
            lp->epilogue = lp->own_gemm;
            lp->dx_act_grad = lp->own_gemm && lp->need_dx && is_type(e, i - 1, LAYER_DENSE);
        }
        if (is_type(e, i, LAYER_CONV2D)) {
            lp->x_batch_minor = !plain && is_type(e, i - 1, LAYER_CONV2D);
            lp->y_batch_minor = !plain && is_type(e, i + 1, LAYER_CONV2D);
            adjacent = adjacent || is_type(e, i + 1, LAYER_CONV2D);
        }
    }
    for (int i = 0; i + 1 < e->n_layers; i++) { /* conv -> conv on the CPU path */
        struct layer_plan *lo = &p->layers[i], *hi = &p->layers[i + 1];
        if (p->dev.path != RUNTIME_OPS_CPU || !lo->y_batch_minor || !hi->x_batch_minor)
            continue;
        lo->y_padded = hi->x_padded = true;
        lo->dy_is_dz = hi->dx_dz = hi->need_dx;
    }
    for (int i = 0; i < e->n_layers; i++) /* dz_ready needs the layer above's dx_act_grad */
        p->layers[i].dz_ready = p->layers[i].own_gemm &&
                                (e->layers[i].activation == ACTIVATION_IDENTITY ||
                                 (i + 1 < e->n_layers && p->layers[i + 1].dx_act_grad));
    struct plan_choice *c = &p->batch_minor;
    c->on = adjacent && !plain;
    if (!adjacent)
        snprintf(c->why, sizeof c->why, "no two conv2d layers in a row");
    else if (plain)
        snprintf(c->why, sizeof c->why, "%s reads the layers' outputs", p->needs.outputs_read_by);
}

/* Whether every layer is dense on clnet's own GEMM with every dz out of GEMMs (the top layer
 * without activation), which the fused update and the dense stack need; else why not. */
static bool all_dense_fused(const struct plan *p, const struct experiment *e, char *why,
                            size_t n)
{
    if (p->graph.on) {
        snprintf(why, n, "%.160s: its steps fuse nothing across layers", p->graph.why);
        return false;
    }
    for (int i = 0; i < e->n_layers; i++)
        if (!is_type(e, i, LAYER_DENSE)) {
            snprintf(why, n, "layer %d is %s, not dense", i, layer_type_name(e->layers[i].type));
            return false;
        }
    if (e->n_layers == 0)
        snprintf(why, n, "the model has no layers");
    else if (!p->dev.own_gemm)
        snprintf(why, n, "it rides in clnet's own GEMM's epilogues and the GEMM is CLBlast (%s)",
                 p->dev.gemm_why);
    else if (e->layers[e->n_layers - 1].activation != ACTIVATION_IDENTITY)
        snprintf(why, n, "the top layer's %s needs a dz pass of its own",
                 activation_name(e->layers[e->n_layers - 1].activation));
    else
        return true;
    return false;
}

static void choose_sgd_fused(struct plan *p, const struct experiment *e)
{
    const struct plan_needs *nd = &p->needs;
    struct plan_choice *c = &p->sgd_fused;
    if (!nd->training)
        snprintf(c->why, sizeof c->why, "not training");
    else if (!nd->fused_sgd)
        snprintf(c->why, sizeof c->why, "--fused-sgd 0");
    else if (!nd->plain_sgd)
        snprintf(c->why, sizeof c->why, "the optimizer is %s (it fuses plain SGD: no momentum, "
                 "no weight decay)", nd->optimizer ? nd->optimizer : "not plain SGD");
    else if (nd->grads_read_by)
        snprintf(c->why, sizeof c->why, "%s reads the gradients", nd->grads_read_by);
    else
        c->on = all_dense_fused(p, e, c->why, sizeof c->why);
    for (int i = 0; i < e->n_layers; i++)
        p->layers[i].sgd_fused = c->on;
}

int plan_dense_stack_layout(struct dense_tail_layout *t, const struct experiment *e,
                            const struct model_shape *shape, int rows)
{
    int n = e->n_layers, status = CLNET_OK;
    int *units = calloc((size_t)n + 1, sizeof *units), *act = calloc((size_t)n, sizeof *act);
    size_t *w_off = calloc((size_t)n, sizeof *w_off), *b_off = calloc((size_t)n, sizeof *b_off);
    if (!units || !act || !w_off || !b_off)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the dense stack");
    for (size_t i = 0, off = 0; status == CLNET_OK && i < (size_t)n; i++) {
        units[i] = (int)shape->layers[i].in.dim[0];
        units[i + 1] = (int)shape->layers[i].out.dim[0];
        act[i] = (int)e->layers[i].activation;
        w_off[i] = off; /* the arena's layout, as model_build lays it out */
        b_off[i] = off += (size_t)shape->layers[i].weights;
        off += (size_t)shape->layers[i].biases;
    }
    if (status == CLNET_OK)
        status = dense_tail_layout(t, n, units, act, w_off, b_off, rows);
    free(units);
    free(act);
    free(w_off);
    free(b_off);
    return status;
}

/* The dense stack's arena against the kernel's int offsets and the device's largest buffer. */
static int stack_fits(struct plan *p, const struct experiment *e,
                      const struct model_shape *shape)
{
    struct dense_tail_layout t = {0};
    int status = plan_dense_stack_layout(&t, e, shape, p->needs.rows);
    const double gib = 1024.0 * 1024.0 * 1024.0;
    size_t max_floats = (size_t)(p->dev.max_alloc_bytes / sizeof(float));
    struct plan_choice *c = &p->dense_stack;
    if (status == CLNET_OK && !t.fits)
        snprintf(c->why, sizeof c->why, "its offsets (%zu floats) pass the kernel's ints",
                 t.arena_floats);
    else if (status == CLNET_OK && t.arena_floats > max_floats)
        snprintf(c->why, sizeof c->why, "its buffer (%.2f GiB) is larger than the device "
                 "allows (%.2f GiB)", (double)t.arena_floats * sizeof(float) / gib,
                 (double)p->dev.max_alloc_bytes / gib);
    c->on = status == CLNET_OK && t.fits && t.arena_floats <= max_floats;
    dense_tail_layout_free(&t);
    return status;
}

static int choose_dense_stack(struct plan *p, const struct experiment *e,
                              const struct model_shape *shape)
{
    const struct plan_needs *nd = &p->needs;
    struct plan_choice *c = &p->dense_stack;
    if (!nd->training)
        snprintf(c->why, sizeof c->why, "not training");
    else if (!nd->dense_stack)
        snprintf(c->why, sizeof c->why, "--dense-stack 0");
    else if (nd->outputs_read_by)
        snprintf(c->why, sizeof c->why, "%s reads the layers' outputs", nd->outputs_read_by);
    else if (e->n_layers < 2)
        snprintf(c->why, sizeof c->why, "it needs 2 or more layers");
    else if (!all_dense_fused(p, e, c->why, sizeof c->why))
        ;
    else if (p->dev.path != RUNTIME_OPS_CPU)
        snprintf(c->why, sizeof c->why, "cl/dense_tail.cl's dense_tail carries 16 rows per "
                 "work-item, a shape for CPUs, and this is the GPU path");
    else
        return stack_fits(p, e, shape);
    return CLNET_OK;
}

static void choose_epilogues(struct plan *p, const struct experiment *e)
{
    struct plan_choice *c = &p->epilogues;
    bool dense = false;
    for (int i = 0; i < e->n_layers; i++)
        dense = dense || is_type(e, i, LAYER_DENSE);
    c->on = dense && p->dev.own_gemm;
    if (!dense)
        snprintf(c->why, sizeof c->why, "no dense layer");
    else if (!c->on)
        snprintf(c->why, sizeof c->why, "CLBlast's GEMM (%s) has none: bias + activation is "
                 "one kernel after it, dz and db one before the dW GEMM", p->dev.gemm_why);
}

/* Whether the graph's executor runs the model: a graph, or a stack whose every layer's
 * output gradient is asked for; then the graph's plan of its nodes. */
static int choose_graph(struct plan *p, const struct experiment *e,
                        const struct model_shape *shape)
{
    struct plan_choice *c = &p->graph;
    c->on = !shape->graph.linear || p->needs.node_grads || e->train.n_terms > 0;
    if (!c->on) {
        snprintf(c->why, sizeof c->why, "a stack: each layer reads the one before it");
        return CLNET_OK;
    }
    snprintf(c->why, sizeof c->why, "%s",
             !shape->graph.linear  ? "the model is a graph (from:)"
             : e->train.n_terms > 0 ? "train.loss is a list of terms (each node's gradient)"
                                    : "every layer's output gradient is asked for");
    return plan_graph_layers(p, e, shape);
}

void plan_free(struct plan *p)
{
    free(p->layers);
    free(p->forward);
    free(p->backward);
    free(p->train);
    memset(p, 0, sizeof *p);
}

int plan_build(struct plan *p, const struct experiment *e, const struct model_shape *shape,
               const struct plan_device *d, const struct plan_needs *needs)
{
    memset(p, 0, sizeof *p);
    p->dev = *d;
    p->needs = *needs;
    p->n_layers = e->n_layers;
    size_t n = (size_t)e->n_layers + 1;
    p->layers = calloc(n, sizeof *p->layers);
    p->forward = calloc(n, sizeof *p->forward);
    p->backward = calloc(n, sizeof *p->backward);
    p->train = calloc(2 * n + 2, sizeof *p->train);
    if (!p->layers || !p->forward || !p->backward || !p->train) {
        plan_free(p);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the plan");
    }
    int status = choose_graph(p, e, shape);
    if (status == CLNET_OK && !p->graph.on)
        plan_layers(p, e, shape);
    choose_epilogues(p, e);
    choose_sgd_fused(p, e);
    if (status == CLNET_OK)
        status = choose_dense_stack(p, e, shape);
    if (status == CLNET_OK)
        status = plan_steps(p, e, shape);
    if (status != CLNET_OK)
        plan_free(p);
    return status;
}

static void device_names(struct plan_device *d, enum runtime_ops_path path, const char *why)
{
    d->path = path;
    snprintf(d->path_why, sizeof d->path_why, "%s", why);
    int forced = op_gemm_forced();
    d->own_gemm = (forced ? forced : path == RUNTIME_OPS_CPU ? OP_GEMM_OWN : OP_GEMM_CLBLAST) ==
                  OP_GEMM_OWN;
    snprintf(d->gemm_why, sizeof d->gemm_why, "%s",
             forced ? "--gemm" : path == RUNTIME_OPS_CPU ? "the CPU path" : "the GPU path");
}

void plan_device_of(struct plan_device *d, const struct runtime *rt)
{
    memset(d, 0, sizeof *d);
    const struct runtime_device_info *info = runtime_device(rt);
    snprintf(d->name, sizeof d->name, "%s", info->name);
    d->max_alloc_bytes = info->max_alloc_bytes;
    device_names(d, runtime_ops_path(rt), runtime_ops_path_reason(rt));
}

int plan_device_find(struct plan_device *d, const char *spec)
{
    memset(d, 0, sizeof *d);
    struct runtime_device_info info;
    int status = runtime_find_device(&info, spec);
    if (status != CLNET_OK)
        return status;
    snprintf(d->name, sizeof d->name, "%s", info.name);
    d->max_alloc_bytes = info.max_alloc_bytes;
    char why[64];
    enum runtime_ops_path path = runtime_ops_path_choose(&info, why, sizeof why);
    device_names(d, path, why);
    return CLNET_OK;
}
