/* The model's passes (model.h) as walks over its plan's steps (model/plan.h): evaluation's
 * forward, the checks' backward, and the trainer's step up to the update. A stack's steps
 * hand each layer the output (and, going down, the gradient) of the step before; a graph's
 * steps are its nodes, which its executor (model/graph_run.c) runs. */
#include "model/model.h"

#include "model/graph_run.h"
#include "ops/ops.h"
#include "util/status.h"

/* cur, the layer below's output, becomes the step's; a graph's node reads the nodes it names
 * (x the model's input), and the model's output is its last layer's. */
static int forward_step(struct model *m, const struct plan_step *s, cl_mem *cur, cl_mem x,
                        int batch, bool train)
{
    struct layer *l = &m->layers[s->layer];
    int status = m->graph_run ? graph_forward_node(m, s->layer, x, batch, train)
                              : l->kind->forward(l, m, cur, *cur, batch, train);
    if (m->graph_run)
        *cur = m->layers[m->n_layers - 1].out;
    else
        l->out = *cur;
    return status;
}

/* dy becomes the step's dx (NULL below the lowest layer that needs one); a graph's node takes
 * its gradients from its readers' slots and hands its inputs theirs. */
static int backward_step(struct model *m, const struct plan_step *s, cl_mem *dy, cl_mem x,
                         int batch)
{
    if (m->graph_run)
        return graph_backward_node(m, s->layer, x, batch);
    struct layer *l = &m->layers[s->layer];
    cl_mem in = s->layer > 0 ? m->layers[s->layer - 1].out : x, dx = NULL;
    int status = l->kind->backward(l, m, &dx, in, *dy, batch, l->plan->need_dx);
    *dy = dx;
    return status;
}

int model_forward(struct model *m, cl_mem *logits, cl_mem x, int batch, bool train)
{
    cl_mem cur = x;
    int status = model_params_sync(m);
    for (int k = 0; k < m->plan.n_forward && status == CLNET_OK; k++)
        status = forward_step(m, &m->plan.forward[k], &cur, x, batch, train);
    *logits = cur;
    return status;
}

int model_backward(struct model *m, cl_mem x, cl_mem dlogits, int batch)
{
    cl_mem dy = dlogits;
    int status = model_params_sync(m);
    if (status == CLNET_OK && m->graph_run) status = graph_backward_begin(m, dlogits, batch);
    for (int k = 0; k < m->plan.n_backward && status == CLNET_OK; k++)
        status = backward_step(m, &m->plan.backward[k], &dy, x, batch);
    if (status == CLNET_OK && m->graph_run)
        status = graph_backward_end(m, batch);
    else if (status == CLNET_OK && m->plan.needs.input_grad)
        m->input_dx = dy; /* layer 0's dx */
    return status;
}

/* The loss and its gradient: the classification loss on the output into dz, or the terms of
 * train.loss's list form into their slots; a graph's backward begins. */
static int loss_step(struct model *m, const struct model_batch *b, cl_mem out, cl_mem *dy)
{
    if (m->terms.n > 0) {
        int status = model_loss_terms(m, b);
        return status == CLNET_OK ? graph_backward_begin(m, NULL, b->rows) : status;
    }
    int status = op_loss_forward_backward(m->rt, b->dz, b->row_loss, b->row_correct, b->row_off,
                                          out, b->labels, b->rows, b->classes, b->loss);
    *dy = b->dz;
    if (status == CLNET_OK && m->graph_run)
        status = graph_backward_begin(m, *dy, b->rows);
    return status;
}

int model_train_pass(struct model *m, const struct model_batch *b)
{
    cl_mem cur = b->x, dy = NULL;
    /* the stack keeps its first W itself; every other step reads params' */
    int status = m->plan.dense_stack.on ? CLNET_OK : model_params_sync(m);
    for (int k = 0; k < m->plan.n_train && status == CLNET_OK; k++) {
        const struct plan_step *s = &m->plan.train[k];
        switch (s->op) {
        case PLAN_FORWARD:
            status = forward_step(m, s, &cur, b->x, b->rows, true);
            break;
        case PLAN_LOSS:
            status = loss_step(m, b, cur, &dy);
            break;
        case PLAN_BACKWARD:
            status = backward_step(m, s, &dy, b->x, b->rows);
            break;
        case PLAN_DENSE_STACK:
            status = dense_stack_step(m->stack, m, b->x, b->labels, b->row_loss, b->row_correct,
                                      b->row_off, b->rows, b->loss);
            break;
        case PLAN_UPDATE:
        case PLAN_UPDATE_FUSED: /* the trainer's optimizer, or nothing */
            break;
        }
    }
    return status;
}

cl_mem model_node_grad(const struct model *m, int i)
{
    return m->plan.needs.node_grads ? graph_node_grad(m, i) : NULL;
}
