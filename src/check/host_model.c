/* The double-precision host forward pass (host_model.h): each layer's kind's host reference
 * in the graph's order (model/graph.h; the list's order for a stack), then the loss. */
#include "check/host_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"

static bool alloc_layer(struct host_layer *l, const struct layer *ml, int batch)
{
    l->layer = ml;
    l->act = ml->kind->activates ? (int)ml->spec->activation : ACTIVATION_IDENTITY;
    l->kinked = l->act == ACTIVATION_RELU || l->act == ACTIVATION_STEP;
    l->in_size = ml->in_size;
    l->out_size = ml->out_size;
    size_t n = (size_t)batch * l->out_size;
    l->out = malloc((n ? n : 1) * sizeof *l->out);
    l->scratch = malloc((n ? n : 1) * sizeof *l->scratch);
    l->branch = calloc(n ? n : 1, sizeof *l->branch);
    l->branch_scratch = calloc(n ? n : 1, sizeof *l->branch_scratch);
    l->packed = ml->kind->max_inputs > 1 ? malloc((size_t)batch * l->in_size * sizeof *l->packed)
                                         : NULL;
    return l->out && l->scratch && l->branch && l->branch_scratch &&
           (l->packed || ml->kind->max_inputs == 1);
}

int host_model_init(struct host_model *h, const struct model *m, const float *params,
                    const float *x, const int32_t *labels, int batch, int loss)
{
    memset(h, 0, sizeof *h);
    h->m = m;
    h->n_layers = m->n_layers;
    h->batch = batch;
    h->classes = (int)m->output_size;
    h->loss = loss;
    h->input_size = m->input_size;
    h->n_params = m->n_params;
    size_t nx = (size_t)batch * m->input_size;
    h->layers = calloc((size_t)(m->n_layers ? m->n_layers : 1), sizeof *h->layers);
    h->params = malloc((m->n_params ? m->n_params : 1) * sizeof *h->params);
    h->x = malloc((nx ? nx : 1) * sizeof *h->x);
    h->x_target = malloc((nx ? nx : 1) * sizeof *h->x_target);
    h->labels = malloc((size_t)batch * sizeof *h->labels);
    h->pos = malloc((size_t)(m->n_layers ? m->n_layers : 1) * sizeof *h->pos);
    bool ok = h->layers && h->params && h->x && h->x_target && h->labels && h->pos;
    for (int o = 0; ok && o < m->n_layers; o++)
        h->pos[m->shape.graph.order[o]] = o;
    for (size_t i = 0; ok && i < m->n_params; i++)
        h->params[i] = params[i];
    for (size_t i = 0; ok && i < nx; i++)
        h->x[i] = x[i];
    if (ok) memcpy(h->labels, labels, (size_t)batch * sizeof *labels);
    if (ok) host_model_inputs_set(h);
    for (int i = 0; ok && i < m->n_layers; i++)
        ok = alloc_layer(&h->layers[i], &m->layers[i], batch);
    if (!ok) {
        host_model_free(h);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the double-precision model");
    }
    return CLNET_OK;
}

void host_model_free(struct host_model *h)
{
    for (int i = 0; h->layers && i < h->n_layers; i++) {
        free(h->layers[i].out);
        free(h->layers[i].scratch);
        free(h->layers[i].branch);
        free(h->layers[i].branch_scratch);
        free(h->layers[i].packed);
    }
    free(h->pos);
    free(h->layers);
    free(h->params);
    free(h->x);
    free(h->x_target);
    free(h->labels);
    memset(h, 0, sizeof *h);
}

static const double *pass_output(const struct host_model *h, int j, int from);

void host_model_inputs_set(struct host_model *h)
{
    memcpy(h->x_target, h->x, (size_t)h->batch * h->input_size * sizeof *h->x);
}

/* Mean over the rows of the loss of logits z (B, K): cross_entropy as log-sum-exp, and
 * naive_softmax_log as -log(softmax) (the same function; in double neither overflows). */
static double mean_loss(const struct host_model *h, const double *z, int classes, int loss)
{
    double total = 0.0;
    for (int r = 0; r < h->batch; r++) {
        const double *zr = z + (size_t)r * (size_t)classes;
        const int label = h->labels[r];
        double max = zr[0], sum = 0.0;
        for (int j = 1; j < classes; j++)
            max = zr[j] > max ? zr[j] : max;
        for (int j = 0; j < classes; j++)
            sum += exp(zr[j] - max);
        if (loss == LOSS_CROSS_ENTROPY)
            total += log(sum) - (zr[label] - max);
        else
            total += -log(exp(zr[label] - max) / sum);
    }
    return total / h->batch;
}

/* mse's target row r: the one-hot of its label (into onehot), x as drawn, or the target
 * node's base output. */
static const double *target_row(const struct host_model *h, int t, int r, double *onehot)
{
    const struct term_node *tn = &h->m->terms.t[t];
    size_t size = (size_t)tn->size;
    switch (h->m->exp->train.terms[t].target_kind) {
    case TARGET_INPUT:
    case TARGET_CLEAN:
        return h->x_target + (size_t)r * size;
    case TARGET_NODE:
        return h->layers[tn->target].out + (size_t)r * size;
    default:
        for (size_t j = 0; j < size; j++)
            onehot[j] = (int)j == h->labels[r] ? 1.0 : 0.0;
        return onehot;
    }
}

/* Term t's mean over the rows of its value on v (B, size). */
static double term_value(const struct host_model *h, int t, const double *v)
{
    const struct loss_term *spec = &h->m->exp->train.terms[t];
    const struct term_node *tn = &h->m->terms.t[t];
    if (loss_term_classifies(spec->kind))
        return mean_loss(h, v, tn->size, spec->kind == TERM_CROSS_ENTROPY
                                              ? LOSS_CROSS_ENTROPY : LOSS_NAIVE_SOFTMAX_LOG);
    double total = 0.0, onehot[SHAPE_CLASSES];
    for (int r = 0; r < h->batch; r++) {
        const double *vr = v + (size_t)r * (size_t)tn->size;
        const double *tr = spec->kind == TERM_MSE ? target_row(h, t, r, onehot) : NULL;
        for (int j = 0; j < tn->size; j++) {
            double x = vr[j];
            total += spec->kind == TERM_MSE      ? 0.5 * (x - tr[j]) * (x - tr[j])
                     : spec->kind == TERM_LINEAR ? (double)tn->r[j] * x
                     : spec->kind == TERM_L1     ? fabs(x)
                                                 : x * x;
        }
    }
    return total / h->batch;
}

/* The loss of a pass recomputing from position `from` of the graph's order: the scalar form's
 * on the output, or the terms' weighted sum in the list's order. */
static double pass_loss(const struct host_model *h, int from)
{
    const struct loss_terms *lt = &h->m->terms;
    if (lt->n == 0)
        return mean_loss(h, pass_output(h, h->n_layers - 1, from), h->classes, h->loss);
    double total = 0.0;
    for (int t = 0; t < lt->n; t++)
        total += h->m->exp->train.terms[t].weight * term_value(h, t, pass_output(h, lt->t[t].node,
                                                                                 from));
    return total;
}

const double *host_model_output(const struct host_model *h, int i)
{
    return i >= 0 ? h->layers[i].out : h->x;
}

/* Node j's output in a pass that recomputes the nodes from position `from` of the graph's
 * order on (into scratch): its scratch if it was recomputed, else its base output. */
static const double *pass_output(const struct host_model *h, int j, int from)
{
    if (j < 0) return h->x;
    return h->pos[j] >= from ? h->layers[j].scratch : h->layers[j].out;
}

/* Layer i's x in that pass (from past every node: the base pass): its one input's output, or
 * its inputs packed row by row into its packed buffer (layers/layer.h). */
static const double *pass_input(struct host_model *h, int i, int from)
{
    const struct graph *g = &h->m->shape.graph;
    struct host_layer *l = &h->layers[i];
    if (!l->packed) return pass_output(h, g->in[i][0], from);
    size_t off = 0;
    for (int k = 0; k < g->n_in[i]; k++) {
        size_t size = (size_t)tensor_shape_size(&l->layer->shape->ins[k]);
        const double *src = pass_output(h, g->in[i][k], from);
        for (int b = 0; b < h->batch; b++)
            memcpy(l->packed + (size_t)b * l->in_size + off, src + (size_t)b * size,
                   size * sizeof *src);
        off += size;
    }
    return l->packed;
}

const double *host_model_input(const struct host_model *h, int i)
{
    return h->layers[i].packed ? NULL : pass_output(h, h->m->shape.graph.in[i][0], h->n_layers);
}

void host_model_base(struct host_model *h)
{
    const struct graph *g = &h->m->shape.graph;
    for (int o = 0; o < h->n_layers; o++) {
        struct host_layer *l = &h->layers[g->order[o]];
        l->layer->kind->host_forward(l->layer, h->m, h->params, NULL,
                                     pass_input(h, g->order[o], h->n_layers), l->out, h->batch,
                                     true, l->branch);
    }
    h->base_loss = pass_loss(h, h->n_layers);
}

double host_model_loss_from(struct host_model *h, int first, bool *crossed)
{
    const struct graph *g = &h->m->shape.graph;
    *crossed = false;
    int from = h->pos[first];
    for (int o = from; o < h->n_layers; o++) {
        int i = g->order[o];
        struct host_layer *l = &h->layers[i];
        l->layer->kind->host_forward(l->layer, h->m, h->params, NULL, pass_input(h, i, from),
                                     l->scratch, h->batch, true, l->branch_scratch);
        size_t n = (size_t)h->batch * l->out_size;
        if (!*crossed && memcmp(l->branch, l->branch_scratch, n * sizeof *l->branch))
            *crossed = true;
    }
    return pass_loss(h, from);
}
