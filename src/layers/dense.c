/* dense: y = act(x W + b) with W (I, O) as the homework's X.mm(W). Backward: dz = dy * act'(y),
 * db = column sums of dz, dW = x^T dz, dx = dz W^T.
 *
 * What runs is the layer's plan (model/plan.c decides, layer.plan says): on clnet's own GEMM
 * kernels (the CPU path) the elementwise passes ride in the GEMMs' epilogues (op_gemm_own_epi):
 * forward is one GEMM with bias + activation; db comes from the dW GEMM; when the layer below
 * is dense too, this layer's dx GEMM applies the below's act' (plan.dx_act_grad), so the
 * below's dy already holds its dz (its plan.dz_ready); and with plan.sgd_fused the dW GEMM
 * applies plain SGD (W += -lr dW through the GEMM's alpha and beta, b likewise), which drops
 * the update pass and the gradient arena's write and read. Each gives the same bits as the
 * separate kernels. On CLBlast forward is GEMM + bias_act_forward and backward starts with
 * bias_act_backward (dz and db).
 *
 * With the own kernels dx is dz (W^T) through a transposed copy of W (I x O floats, refreshed
 * each step): with its small K (O = 10..200) gemm_nt's dot products measured 2-4x slower than
 * a transpose plus gemm_nn (bench/step_profile), except for the narrowest layers (I = 10: 5.5
 * against 9.9 us; I = 30: even), which take the transpose too: then every dx sums in the
 * order dense_stack's fused step does, and the two paths give the same bits.
 *
 * layers/dense_stack.c runs a whole training step of an all-dense model on the own kernels in
 * fewer launches, every layer's dW in one (op_dense_dw: the sums of dense_dw here). */
#include "layers/layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/schema.h"
#include "model/init.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct dense {
    cl_mem wt; /* W^T (O, I) for dx, or NULL (no dx, or CLBlast) */
};

static int dense_setup(struct layer *l, struct model *m, int max_batch)
{
    int status = layer_alloc_outputs(l, m, max_batch, l->plan->dx_buffer);
    struct dense *d = status == CLNET_OK ? calloc(1, sizeof *d) : NULL;
    if (status == CLNET_OK && !d)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d", l->index);
    if (status != CLNET_OK)
        return status;
    l->priv = d;
    if (l->plan->own_gemm && l->plan->dx_buffer)
        status = runtime_alloc(m->rt, &d->wt, l->in_size * l->out_size * sizeof(float),
                               "a dense layer's transposed weights");
    return status;
}

static void dense_free(struct layer *l)
{
    layer_free_outputs(l);
    struct dense *d = l->priv;
    if (d)
        runtime_free(d->wt);
    free(d);
    l->priv = NULL;
}

static int dense_init(struct layer *l, const struct model *m, float *w, float *b,
                      struct rng *rng)
{
    const struct layer_spec *s = l->spec;
    int in = (int)l->in_size, out = s->dense.units;
    const struct init_spec *wi = init_resolve(&s->weight_init, &m->exp->weight_init);
    const struct init_spec *bi = init_resolve(&s->bias_init, &m->exp->bias_init);
    int status = CLNET_OK;
    if (s->dense.weights) { /* rows = units: the W x + b of the math, stored transposed */
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++)
                w[(size_t)i * (size_t)out + (size_t)o] =
                    s->dense.weights[(size_t)o * (size_t)in + (size_t)i];
    } else if (wi->kind == INIT_FILE) {
        status = layer_load_param(l, false, wi->path, w);
    } else {
        status = init_fill(w, (size_t)in * (size_t)out, wi, in, out, rng);
    }
    if (status != CLNET_OK)
        return status;
    if (s->dense.bias) {
        memcpy(b, s->dense.bias, (size_t)out * sizeof *b);
    } else if (bi->kind == INIT_FILE) {
        status = layer_load_param(l, true, bi->path, b);
    } else {
        status = init_fill(b, (size_t)out, bi, in, out, rng);
    }
    return status;
}

static int dense_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                         bool train)
{
    (void)train;
    int in = (int)l->in_size, out = (int)l->out_size, act = (int)l->spec->activation;
    *y = l->y;
    if (l->plan->epilogue)
        return layer_dense_forward_own(l, m, x, l->y, 0, batch, NULL);
    int status = op_gemm_clblast(m->rt, false, false, batch, out, in, 1.0f, x, 0, in, m->params,
                                 l->w_off, out, 0.0f, l->y, 0, out);
    if (status == CLNET_OK)
        status = op_bias_act_forward(m->rt, l->y, m->params, l->b_off, batch, out, act);
    return status;
}

int layer_dense_forward_own(struct layer *l, struct model *m, cl_mem x, cl_mem y, size_t y_off,
                            int batch, cl_mem w_panels)
{
    int in = (int)l->in_size, out = (int)l->out_size;
    const struct gemm_epilogue e = {.kind = GEMM_EPI_BIAS_ACT,
                                    .buf = m->params,
                                    .off = l->b_off,
                                    .act = (int)l->spec->activation};
    if (w_panels)
        return op_gemm_nn_panels(m->rt, batch, out, in, x, 0, in, w_panels, 0, y, y_off, out, &e);
    return op_gemm_own_epi(m->rt, false, false, batch, out, in, 1.0f, x, 0, in, m->params,
                           l->w_off, out, 0.0f, y, y_off, out, &e);
}

/* dx (B, I) = dz W^T, and with plan.dx_act_grad times the act' of the layer below (dense, whose
 * plan then has dz_ready) in the same launch. */
static int dense_dx(struct layer *l, struct model *m, cl_mem dz, int batch)
{
    struct dense *d = l->priv;
    int in = (int)l->in_size, out = (int)l->out_size;
    if (!l->plan->own_gemm)
        return op_gemm_clblast(m->rt, false, true, batch, in, out, 1.0f, dz, 0, out, m->params,
                               l->w_off, out, 0.0f, l->dx, 0, in);
    const struct layer *below = l->plan->dx_act_grad ? &m->layers[l->index - 1] : NULL;
    const struct gemm_epilogue e = {.kind = below ? GEMM_EPI_ACT_GRAD : GEMM_EPI_NONE,
                                    .buf = below ? below->y : NULL,
                                    .ld = in,
                                    .act = below ? (int)below->spec->activation : 0};
    int status = op_transpose(m->rt, d->wt, m->params, l->w_off, out, in, out);
    if (status != CLNET_OK)
        return status;
    return op_gemm_own_epi(m->rt, false, false, batch, in, out, 1.0f, dz, 0, out, d->wt, 0, in,
                           0.0f, l->dx, 0, in, &e);
}

/* dW = x^T dz and db from one launch, into the grads arena or, with the plan's sgd_fused,
 * applied to the parameters (op_dense_dw does this for every layer of a dense stack at once,
 * with the same sums). */
static int dense_dw(struct layer *l, struct model *m, cl_mem x, cl_mem dz, int batch)
{
    int in = (int)l->in_size, out = (int)l->out_size;
    /* dW and db from one launch, into the grads arena or, fused, as W -= lr dW, b -= lr db */
    bool fused = l->plan->sgd_fused;
    cl_mem to = fused ? m->params : m->grads;
    float alpha = fused ? -m->sgd_lr : 1.0f, beta = fused ? 1.0f : 0.0f;
    const struct gemm_epilogue e = {.kind = GEMM_EPI_COLSUM, .buf = to, .off = l->b_off};
    return op_gemm_own_epi(m->rt, true, false, in, out, batch, alpha, x, 0, in, dz, 0, out, beta,
                           to, l->w_off, out, &e);
}

/* dx first (it reads W, which a fused SGD step then overwrites), then dW and db. */
static int dense_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                          int batch, bool need_dx)
{
    int in = (int)l->in_size, out = (int)l->out_size;
    const struct layer_plan *p = l->plan;
    if (p->sgd_fused && !p->dz_ready)
        return clnet_errorf(CLNET_ERR_INTERNAL, "layer %d: a fused SGD step needs dz from the "
                            "GEMMs (model/plan.c)", l->index);
    int status = CLNET_OK;
    if (!p->dz_ready) /* dz overwrites dy: nothing reads dy after this layer */
        status = op_bias_act_backward(m->rt, dy, m->grads, l->b_off, l->y, dy, batch, out,
                                      l->spec->activation);
    if (status == CLNET_OK && need_dx) {
        *dx = l->dx;
        status = dense_dx(l, m, dy, batch);
    }
    if (status != CLNET_OK)
        return status;
    if (p->dz_ready)
        return dense_dw(l, m, x, dy, batch);
    /* dW (I, O) = x^T dz */
    return p->own_gemm ? op_gemm_own(m->rt, true, false, in, out, batch, 1.0f, x, 0, in, dy, 0,
                                     out, 0.0f, m->grads, l->w_off, out)
                       : op_gemm_clblast(m->rt, true, false, in, out, batch, 1.0f, x, 0, in, dy,
                                         0, out, 0.0f, m->grads, l->w_off, out);
}

/* ---- the host side: schema, shape, tensors, reference */

static const struct field dense_fields[] = {
    {.key = "units", .type = FT_INT, .off = offsetof(struct layer_spec, dense.units),
     .flags = FL_REQUIRED, POSITIVE, .doc = "output features"},
    {.key = "activation", .type = FT_ENUM, .off = offsetof(struct layer_spec, activation),
     .def = "identity", .words = &schema_activation_words, .doc = "applied to the output"},
    {.key = "init", .type = FT_MAP, .table = &schema_layer_init_table, .doc = "{weights, biases}"},
    {.key = "weights", .type = FT_MATRIX, .off = offsetof(struct layer_spec, dense.weights),
     .doc = "inline weights: one row of inputs per unit (W x + b)"},
    {.key = "bias", .type = FT_VECTOR, .off = offsetof(struct layer_spec, dense.bias),
     .doc = "inline bias: one number per unit"},
};
static const struct table dense_table = TABLE(dense_fields, schema_check_dense);
const struct field layer_schema_dense = {.key = "dense", .type = FT_MAP, .table = &dense_table,
                                         .doc = "fully connected: y = x W + b"};

/* A (F) input; inline weights (question 1) must be (units, inputs) and an inline bias (units). */
static int dense_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    const struct layer_spec *l = &e->layers[i];
    char in[64];
    if (ls->in.rank != 1)
        return shape_layer_error(e, i, "input is %s; add a flatten layer before it",
                                 tensor_shape_format(in, sizeof in, &ls->in));
    int64_t n_in = ls->in.dim[0], units = l->dense.units;
    if (units < 1)
        return shape_layer_error(e, i, "units must be at least 1, not %d", l->dense.units);
    if (l->dense.weights && l->dense.weight_cols != n_in)
        return shape_layer_error(e, i, "inline weights have %d columns but the input has %d "
                                 "values (one row per unit, one column per input)",
                                 l->dense.weight_cols, (int)n_in);
    if (l->dense.weights && l->dense.weight_rows != units)
        return shape_layer_error(e, i, "inline weights have %d rows but units is %d",
                                 l->dense.weight_rows, l->dense.units);
    if (l->dense.bias && l->dense.bias_len != units)
        return shape_layer_error(e, i, "inline bias has %d values but units is %d",
                                 l->dense.bias_len, l->dense.units);
    ls->out.rank = 1;
    ls->out.dim[0] = l->dense.units;
    ls->biases = units;
    if (!shape_mul_ok(&ls->weights, n_in, units) || !shape_mul_ok(&ls->flops, 2 * n_in, units))
        return shape_layer_error(e, i, "%d x %d weights are too many to count", (int)n_in,
                                 l->dense.units);
    return CLNET_OK;
}

static void dense_describe(char *buf, size_t n, const struct layer_spec *s)
{
    const char *act = s->activation != ACTIVATION_IDENTITY ? activation_name(s->activation) : "";
    snprintf(buf, n, "dense %d%s%s%s", s->dense.units, act[0] ? " " : "", act,
             s->dense.weights ? " inline" : "");
}

/* Weights [I, O] (as the homework's X.mm(W)), biases [O]. */
static void dense_param(struct param_tensor *t, const struct layer_spec *s,
                        const struct layer_shape *ls, bool bias)
{
    (void)s;
    *t = bias ? (struct param_tensor){1, {ls->out.dim[0]}, 0}
              : (struct param_tensor){2, {ls->in.dim[0], ls->out.dim[0]}, 1};
}

/* y (B, O) = act(x W + b). A zero input is skipped: its products are zero for the finite
 * weights a model has (MNIST is mostly zeros). */
static void dense_host_forward(const struct layer *l, const struct model *m,
                               const double *params, double *state, const double *x, double *y,
                               int batch, bool train, int32_t *branch)
{
    (void)m, (void)state, (void)train;
    const size_t in = l->in_size, out = l->out_size;
    const double *w = params + l->w_off, *b = params + l->b_off;
    const int act = (int)l->spec->activation;
    for (int r = 0; r < batch; r++) {
        double *yr = y + (size_t)r * out;
        const double *xr = x + (size_t)r * in;
        for (size_t o = 0; o < out; o++)
            yr[o] = b[o];
        for (size_t i = 0; i < in; i++)
            for (size_t o = 0; xr[i] != 0.0 && o < out; o++)
                yr[o] += xr[i] * w[i * out + o];
        for (size_t o = 0; o < out; o++) {
            if (branch)
                branch[(size_t)r * out + o] = layer_host_kink(yr[o], act);
            yr[o] = layer_host_act(yr[o], act);
        }
    }
}

/* dz = dy act'(y); db = column sums of dz; dW = x^T dz; dx = dz W^T. */
static void dense_host_backward(const struct layer *l, const struct model *m,
                                const double *params, const double *x, const double *y,
                                const double *dy, double *dx, double *grads, int batch)
{
    (void)m;
    const size_t in = l->in_size, out = l->out_size;
    const double *w = params + l->w_off;
    double *dw = grads + l->w_off, *db = grads + l->b_off;
    memset(dw, 0, in * out * sizeof *dw);
    memset(db, 0, out * sizeof *db);
    memset(dx, 0, (size_t)batch * in * sizeof *dx);
    for (int r = 0; r < batch; r++)
        for (size_t o = 0; o < out; o++) {
            size_t k = (size_t)r * out + o;
            double dz = layer_host_act_grad(dy[k], y[k], (int)l->spec->activation);
            db[o] += dz;
            for (size_t i = 0; i < in; i++) {
                dw[i * out + o] += x[(size_t)r * in + i] * dz;
                dx[(size_t)r * in + i] += dz * w[i * out + o];
            }
        }
}

static const struct layer_example dense_examples[] = {
    {"tanh B=5 I=13 O=7", 1, {13},
     {.type = LAYER_DENSE, .activation = ACTIVATION_TANH, .dense = {.units = 7}}},
    {"identity I=40 O=33", 1, {40}, {.type = LAYER_DENSE, .dense = {.units = 33}}},
};

LAYER_KIND_DEFINE(dense, dense_infer, dense_describe, dense_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_GEMM) | RUNTIME_PROGRAM(PROGRAM_GEMM_T) |
                      RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE) |
                      RUNTIME_PROGRAM(PROGRAM_DENSE_TAIL),
                  true,
                  dense_setup, dense_init, dense_forward, dense_backward, dense_free,
                  dense_host_forward, dense_host_backward, dense_examples);
