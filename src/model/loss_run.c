/* train.loss's list form on the device (model.h's model_loss_terms): each term, in the list's
 * order, writes its rows' values and weight times its gradient into its slot on its node
 * (model/graph_run.c: a node's gradient sums its terms' slots, then its readers'), and one
 * launch sums each row's weighted values into row_loss. No atomics and every sum in a fixed
 * order: the same bits every run. */
#include <stdlib.h>

#include "model/graph_run.h"
#include "model/loss_run.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct loss_run {
    cl_mem w;    /* (terms) the weights */
    cl_mem *r;   /* (terms) a linear term's r (its node's size), else NULL */
    cl_mem hits; /* (max batch) a second classification term's hits (not reported) */
};

void loss_run_free(struct loss_run *r, int n)
{
    if (!r) return;
    for (int t = 0; r->r && t < n; t++)
        runtime_free(r->r[t]);
    runtime_free(r->w);
    runtime_free(r->hits);
    free(r->r);
    free(r);
}

static int upload(struct model *m, cl_mem *buf, const float *v, size_t n, const char *what)
{
    int status = runtime_alloc(m->rt, buf, n * sizeof *v, what);
    return status == CLNET_OK ? runtime_upload(m->rt, *buf, 0, v, n * sizeof *v) : status;
}

int loss_run_open(struct loss_run **out, struct model *m, int max_batch)
{
    const struct loss_terms *lt = &m->terms;
    struct loss_run *r = calloc(1, sizeof *r);
    float *w = malloc(sizeof *w * (size_t)lt->n);
    if (r) r->r = calloc((size_t)lt->n, sizeof *r->r);
    int status = r && r->r && w ? CLNET_OK
                                : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the loss");
    for (int t = 0; t < lt->n && status == CLNET_OK; t++) {
        w[t] = (float)m->exp->train.terms[t].weight;
        if (lt->t[t].r)
            status = upload(m, &r->r[t], lt->t[t].r, (size_t)lt->t[t].size, "a loss term's r");
    }
    if (status == CLNET_OK) status = upload(m, &r->w, w, (size_t)lt->n, "the loss terms' weights");
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, &r->hits, (size_t)max_batch * sizeof(float), "hits");
    free(w);
    if (status != CLNET_OK) {
        loss_run_free(r, lt->n);
        r = NULL;
    }
    *out = r;
    return status;
}

/* mse's target rows and their stride: the batch as fed, before noise, a node's output, or
 * (stride 0) the labels' one-hot. */
static cl_mem target_of(const struct model *m, const struct model_batch *b, int t, int *ld)
{
    const struct loss_term *spec = &m->exp->train.terms[t];
    const struct term_node *tn = &m->terms.t[t];
    *ld = tn->size;
    switch (spec->target_kind) {
    case TARGET_INPUT:
        return b->x;
    case TARGET_CLEAN:
        return b->x_clean ? b->x_clean : b->x;
    case TARGET_NODE:
        return m->layers[tn->target].out;
    default: /* labels */
        *ld = 0;
        return m->layers[tn->node].out;
    }
}

static int run_term(struct model *m, const struct model_batch *b, int t)
{
    const struct loss_term *spec = &m->exp->train.terms[t];
    const struct term_node *tn = &m->terms.t[t];
    cl_mem v = m->layers[tn->node].out;
    struct op_term_out o = {.row_val = b->row_terms,
                            .val_off = (size_t)t * b->terms_stride + b->row_off};
    graph_term_slot(m, t, &o.dz, &o.dz_off, &o.dz_ld);
    float w = (float)spec->weight;
    if (loss_term_classifies(spec->kind)) {
        bool first = t == m->terms.classify;
        int loss = spec->kind == TERM_CROSS_ENTROPY ? LOSS_CROSS_ENTROPY : LOSS_NAIVE_SOFTMAX_LOG;
        return op_loss_term_classify(m->rt, &o, first ? b->row_correct : m->loss_run->hits,
                                     first ? b->row_off : 0, v, b->labels, b->rows, tn->size,
                                     loss, w);
    }
    int ld = 0;
    cl_mem target = spec->kind == TERM_MSE ? target_of(m, b, t, &ld) : v;
    cl_mem r = m->loss_run->r[t] ? m->loss_run->r[t] : v;
    return op_loss_term_rows(m->rt, &o, v, target, ld, b->labels, r, b->rows, tn->size,
                             (int)spec->kind, w);
}

int model_loss_terms(struct model *m, const struct model_batch *b)
{
    if (!m->loss_run || !m->graph_run || !b->row_terms)
        return clnet_errorf(CLNET_ERR_INTERNAL, "model_loss_terms: no loss terms' buffers");
    int status = CLNET_OK;
    for (int t = 0; t < m->terms.n && status == CLNET_OK; t++)
        status = run_term(m, b, t);
    if (status == CLNET_OK)
        status = op_loss_terms_total(m->rt, b->row_loss, b->row_correct, b->row_terms,
                                     m->loss_run->w, m->terms.n, b->terms_stride, b->row_off,
                                     b->rows, m->terms.classify >= 0);
    return status;
}
