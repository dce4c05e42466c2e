/* The double-precision host forward pass (host_model.h): direct loops in the definitions' own
 * terms, no speed tricks beyond skipping zero inputs of dense layers (MNIST is mostly zeros). */
#include "check/host_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"

double host_act(double z, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    case ACTIVATION_RELU:
        return z < 0.0 ? 0.0 : z;
    case ACTIVATION_TANH:
        return tanh(z);
    case ACTIVATION_STEP:
        return z >= 0.0 ? 1.0 : 0.0;
    default:
        return z;
    }
}

/* Which side of its kink z lies on, by the device's conventions: relu'(y) = y > 0, and the
 * step's output is 1 from z = 0 on. */
static unsigned char kink_side(double z, int act)
{
    return act == ACTIVATION_STEP ? z >= 0.0 : z > 0.0;
}

static bool computes(enum layer_type t)
{
    return t == LAYER_DENSE || t == LAYER_CONV2D || t == LAYER_ACTIVATION;
}

int host_model_init(struct host_model *h, const struct model *m, const float *params,
                    const float *x, const int32_t *labels, int batch, int loss)
{
    memset(h, 0, sizeof *h);
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
    h->labels = malloc((size_t)batch * sizeof *h->labels);
    bool ok = h->layers && h->params && h->x && h->labels;
    for (size_t i = 0; ok && i < m->n_params; i++)
        h->params[i] = params[i];
    for (size_t i = 0; ok && i < nx; i++)
        h->x[i] = x[i];
    if (ok) memcpy(h->labels, labels, (size_t)batch * sizeof *labels);
    for (int i = 0; ok && i < m->n_layers; i++) {
        const struct layer *ml = &m->layers[i];
        struct host_layer *l = &h->layers[i];
        l->type = ml->spec->type;
        l->act = computes(l->type) ? (int)ml->spec->activation : ACTIVATION_IDENTITY;
        l->kinked = l->act == ACTIVATION_RELU || l->act == ACTIVATION_STEP;
        l->in_size = ml->in_size;
        l->out_size = ml->out_size;
        l->w_off = ml->w_off;
        l->b_off = ml->b_off;
        if (l->type == LAYER_CONV2D) {
            const struct layer_shape *s = ml->shape;
            const struct layer_spec *c = ml->spec;
            l->g = (struct conv_geom){.c = s->in.dim[0],
                                      .h = s->in.dim[1],
                                      .w = s->in.dim[2],
                                      .k = s->out.dim[0],
                                      .r = c->conv2d.size[0],
                                      .s = c->conv2d.size[1],
                                      .stride_r = c->conv2d.stride[0],
                                      .stride_c = c->conv2d.stride[1],
                                      .pad_r = c->conv2d.pad[0],
                                      .pad_c = c->conv2d.pad[1],
                                      .p = s->out.dim[1],
                                      .q = s->out.dim[2]};
        }
        if (!computes(l->type)) continue;
        size_t n = (size_t)batch * l->out_size;
        l->out = malloc(n * sizeof *l->out);
        l->scratch = malloc(n * sizeof *l->scratch);
        l->side = l->kinked ? malloc(n) : NULL;
        ok = l->out && l->scratch && (!l->kinked || l->side);
    }
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
        free(h->layers[i].side);
    }
    free(h->layers);
    free(h->params);
    free(h->x);
    free(h->labels);
    memset(h, 0, sizeof *h);
}

/* z (B, O) = in (B, I) W (I, O) + b (O). A zero input is skipped: its products are zero for
 * the finite weights a model has. */
static void dense_d(double *z, const double *in, const double *w, const double *b, int batch,
                    size_t n_in, size_t n_out)
{
    for (int r = 0; r < batch; r++) {
        double *zr = z + (size_t)r * n_out;
        const double *xr = in + (size_t)r * n_in;
        for (size_t o = 0; o < n_out; o++)
            zr[o] = b[o];
        for (size_t i = 0; i < n_in; i++) {
            const double xi = xr[i];
            if (xi == 0.0) continue;
            const double *wr = w + i * n_out;
            for (size_t o = 0; o < n_out; o++)
                zr[o] += xi * wr[o];
        }
    }
}

/* z (B, K, P, Q) = conv(in (B, C, H, W), w (K, C, R, S)) + b (K). */
static void conv_d(double *z, const double *in, const double *w, const double *b, int batch,
                   const struct conv_geom *g)
{
    for (int n = 0; n < batch; n++)
        for (int k = 0; k < g->k; k++)
            for (int p = 0; p < g->p; p++)
                for (int q = 0; q < g->q; q++) {
                    double sum = b[k];
                    for (int c = 0; c < g->c; c++)
                        for (int r = 0; r < g->r; r++) {
                            int row = p * g->stride_r - g->pad_r + r;
                            if (row < 0 || row >= g->h) continue;
                            const double *xr = in + (((size_t)n * g->c + c) * g->h + row) * g->w;
                            const double *wr = w + (((size_t)k * g->c + c) * g->r + r) * g->s;
                            for (int s = 0; s < g->s; s++) {
                                int col = q * g->stride_c - g->pad_c + s;
                                if (col >= 0 && col < g->w) sum += xr[col] * wr[s];
                            }
                        }
                    z[(((size_t)n * g->k + k) * g->p + p) * g->q + q] = sum;
                }
}

/* out = the layer's output for in; kink sides stored (base) or compared (perturbed). */
static bool layer_forward(const struct host_model *h, const struct host_layer *l, double *out,
                          const double *in, bool base)
{
    const double *w = h->params + l->w_off, *b = h->params + l->b_off;
    size_t n = (size_t)h->batch * l->out_size;
    if (l->type == LAYER_DENSE)
        dense_d(out, in, w, b, h->batch, l->in_size, l->out_size);
    else if (l->type == LAYER_CONV2D)
        conv_d(out, in, w, b, h->batch, &l->g);
    else
        memcpy(out, in, n * sizeof *out);
    bool crossed = false;
    for (size_t i = 0; i < n; i++) {
        if (l->kinked) {
            unsigned char side = kink_side(out[i], l->act);
            if (base)
                l->side[i] = side;
            else
                crossed = crossed || side != l->side[i];
        }
        out[i] = host_act(out[i], l->act);
    }
    return crossed;
}

/* Mean over the rows of the loss of logits z (B, K): cross_entropy as log-sum-exp, and
 * naive_softmax_log as -log(softmax) (the same function; in double neither overflows). */
static double mean_loss(const struct host_model *h, const double *z)
{
    double total = 0.0;
    for (int r = 0; r < h->batch; r++) {
        const double *zr = z + (size_t)r * (size_t)h->classes;
        const int label = h->labels[r];
        double max = zr[0], sum = 0.0;
        for (int j = 1; j < h->classes; j++)
            max = zr[j] > max ? zr[j] : max;
        for (int j = 0; j < h->classes; j++)
            sum += exp(zr[j] - max);
        if (h->loss == LOSS_CROSS_ENTROPY)
            total += log(sum) - (zr[label] - max);
        else
            total += -log(exp(zr[label] - max) / sum);
    }
    return total / h->batch;
}

const double *host_model_output(const struct host_model *h, int i)
{
    for (; i >= 0; i--)
        if (h->layers[i].out) return h->layers[i].out;
    return h->x;
}

void host_model_base(struct host_model *h)
{
    const double *in = h->x;
    for (int i = 0; i < h->n_layers; i++) {
        struct host_layer *l = &h->layers[i];
        if (!l->out) continue;
        layer_forward(h, l, l->out, in, true);
        in = l->out;
    }
    h->base_loss = mean_loss(h, in);
}

double host_model_loss_from(struct host_model *h, int first, bool *crossed)
{
    *crossed = false;
    const double *in = host_model_output(h, first - 1);
    for (int i = first; i < h->n_layers; i++) {
        struct host_layer *l = &h->layers[i];
        if (!l->scratch) continue;
        if (layer_forward(h, l, l->scratch, in, false)) *crossed = true;
        in = l->scratch;
    }
    return mean_loss(h, in);
}
