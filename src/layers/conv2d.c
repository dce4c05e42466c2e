/* conv2d: y = act(conv(x, W) + b), weights (K, C, R, S) as PyTorch's F.conv2d. The direct
 * kernels live in ops/conv2d.c; this file lays out buffers and parameters and takes each
 * tensor's layout from its plan: NCHW at the edges of a run of conv layers, batch-minor
 * inside it, and there (the CPU path) y as the layer above's zero-padded x and that layer's
 * dx as this one's zero-margined dz. This file keeps their borders zero: the ops never write
 * them (ops.h: conv_geom). */
#include "layers/layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "model/init.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct conv2d_state {
    struct conv_geom g;
    cl_mem work; /* op_conv2d_workspace bytes, or NULL */
    /* Between conv layers: the layer above's pads (y's border when y_padded), the layer
     * below's activation and dz layout (dx's when dx_dz). */
    int above_pad_r, above_pad_c, below_act;
    struct conv_dz_layout dz_below;
    size_t dz_below_floats; /* per batch stride row */
    /* The batch strides at which y's border and dx's margins are zero (0: not known) */
    size_t y_zero_bp, dx_zero_bp;
};

static struct conv_geom geometry_of(const struct layer_spec *s, const struct layer_shape *sh)
{
    return (struct conv_geom){
        .c = sh->in.dim[0],
        .h = sh->in.dim[1],
        .w = sh->in.dim[2],
        .k = sh->out.dim[0],
        .r = s->conv2d.size[0],
        .s = s->conv2d.size[1],
        .stride_r = s->conv2d.stride[0],
        .stride_c = s->conv2d.stride[1],
        .pad_r = s->conv2d.pad[0],
        .pad_c = s->conv2d.pad[1],
        .p = sh->out.dim[1],
        .q = sh->out.dim[2],
    };
}

/* The geometry with the tensors' layouts and fusions the plan chose: batch-minor between two
 * conv layers, unless the outputs are read on the host (model/plan.c). */
static struct conv_geom geometry_in(const struct layer *l)
{
    const struct conv2d_state *st = l->priv;
    const struct layer_plan *lp = l->plan;
    struct conv_geom g = st->g;
    g.x_batch_minor = lp->x_batch_minor;
    g.y_batch_minor = lp->y_batch_minor;
    g.x_padded = lp->x_padded;
    g.y_padded = lp->y_padded;
    g.dy_is_dz = lp->dy_is_dz;
    g.dx_dz = lp->dx_dz;
    g.y_pad_r = st->above_pad_r;
    g.y_pad_c = st->above_pad_c;
    g.below_act = st->below_act;
    g.dz_below = st->dz_below;
    return g;
}

/* The conv layer at index i of m, or NULL. */
static const struct layer *conv_at(const struct model *m, int i)
{
    return i >= 0 && i < m->n_layers && m->layers[i].spec->type == LAYER_CONV2D ? &m->layers[i]
                                                                              : NULL;
}

/* What the fusions with conv neighbours need (whether the plan takes them or not, now or after
 * a replan: the buffers are sized for them whenever the neighbour is a conv layer). */
static void neighbours(struct conv2d_state *st, const struct layer *l, const struct model *m)
{
    const struct layer *above = conv_at(m, l->index + 1), *below = conv_at(m, l->index - 1);
    if (above) {
        st->above_pad_r = above->spec->conv2d.pad[0];
        st->above_pad_c = above->spec->conv2d.pad[1];
    }
    if (below) {
        struct conv_geom bg = geometry_of(below->spec, below->shape);
        st->below_act = (int)below->spec->activation;
        st->dz_below = op_conv2d_dz_layout(&bg);
        st->dz_below_floats = (size_t)bg.k * st->dz_below.pp * st->dz_below.qq;
    }
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

static int conv2d_setup(struct layer *l, struct model *m, int max_batch)
{
    struct conv2d_state *st = calloc(1, sizeof *st);
    if (!st)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d", l->index);
    l->priv = st;
    st->g = geometry_of(l->spec, l->shape);
    neighbours(st, l, m);
    /* y and dx hold either layout: batch-minor ones have op_conv2d_batch_stride rows, padded
     * ones their border too. */
    struct conv_geom padded = st->g;
    padded.y_batch_minor = padded.y_padded = conv_at(m, l->index + 1) != NULL;
    padded.y_pad_r = st->above_pad_r;
    padded.y_pad_c = st->above_pad_c;
    size_t bp = op_conv2d_batch_stride(max_batch);
    size_t y = max_size(l->out_size * bp, op_conv2d_y_floats(&padded, max_batch));
    size_t dx = max_size(l->in_size, st->dz_below_floats) * bp;
    int status = runtime_alloc(m->rt, &l->y, y * sizeof(float), "a layer's outputs");
    if (status == CLNET_OK && l->plan->dx_buffer)
        status = runtime_alloc(m->rt, &l->dx, dx * sizeof(float), "a layer's input gradients");
    size_t work = op_conv2d_workspace(&st->g, max_batch);
    if (status == CLNET_OK && work > 0)
        status = runtime_alloc(m->rt, &st->work, work, "a conv2d workspace");
    return status;
}

static int conv2d_init(struct layer *l, const struct model *m, float *w, float *b,
                       struct rng *rng)
{
    const struct layer_spec *s = l->spec;
    const struct conv_geom *g = &((struct conv2d_state *)l->priv)->g;
    int fan_in = g->c * g->r * g->s, fan_out = g->k * g->r * g->s;
    const struct init_spec *wi = init_resolve(&s->weight_init, &m->exp->weight_init);
    const struct init_spec *bi = init_resolve(&s->bias_init, &m->exp->bias_init);
    int status = wi->kind == INIT_FILE
                     ? layer_load_param(l, false, wi->path, w)
                     : init_fill(w, (size_t)l->shape->weights, wi, fan_in, fan_out, rng);
    if (status == CLNET_OK)
        status = bi->kind == INIT_FILE ? layer_load_param(l, true, bi->path, b)
                                       : init_fill(b, (size_t)g->k, bi, fan_in, fan_out, rng);
    return status;
}

static int conv2d_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                          bool train)
{
    (void)train;
    struct conv2d_state *st = l->priv;
    const struct conv_geom g = geometry_in(l);
    *y = l->y;
    size_t bp = op_conv2d_batch_stride(batch);
    int status = CLNET_OK;
    if (g.y_padded && st->y_zero_bp != bp)
        status = op_fill(m->rt, l->y, 0, op_conv2d_y_floats(&g, batch), 0.0f);
    st->y_zero_bp = g.y_padded && status == CLNET_OK ? bp : 0;
    if (status != CLNET_OK)
        return status;
    return op_conv2d_forward(m->rt, l->y, x, m->params, l->w_off, l->b_off, st->work, &g, batch,
                             l->spec->activation);
}

static int conv2d_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                           int batch, bool need_dx)
{
    struct conv2d_state *st = l->priv;
    const struct conv_geom g = geometry_in(l);
    *dx = need_dx ? l->dx : NULL;
    size_t bp = op_conv2d_batch_stride(batch);
    int status = CLNET_OK;
    if (*dx && g.dx_dz && st->dx_zero_bp != bp)
        status = op_fill(m->rt, l->dx, 0, st->dz_below_floats * bp, 0.0f);
    if (*dx)
        st->dx_zero_bp = g.dx_dz && status == CLNET_OK ? bp : 0;
    if (status != CLNET_OK)
        return status;
    return op_conv2d_backward(m->rt, *dx, m->grads, l->w_off, l->b_off, x, l->y, dy, m->params,
                              l->w_off, st->work, &g, batch, l->spec->activation);
}

static void conv2d_free(struct layer *l)
{
    struct conv2d_state *st = l->priv;
    if (st)
        runtime_free(st->work);
    free(st);
    l->priv = NULL;
    layer_free_outputs(l);
}

/* ---- the host side: schema, shape, tensors, reference */

static const struct field conv2d_fields[] = {
    {.key = "filters", .type = FT_INT, .off = offsetof(struct layer_spec, conv2d.filters),
     .flags = FL_REQUIRED, POSITIVE, .doc = "output channels"},
    {.key = "size", .type = FT_PAIR, .off = offsetof(struct layer_spec, conv2d.size),
     .flags = FL_REQUIRED | FL_SQUARE, POSITIVE, .doc = "kernel size: n or [rows, cols]"},
    {.key = "stride", .type = FT_PAIR, .off = offsetof(struct layer_spec, conv2d.stride),
     .def = "1", .flags = FL_SQUARE, POSITIVE, .doc = "n or [rows, cols]"},
    {.key = "pad", .type = FT_PAIR, .off = offsetof(struct layer_spec, conv2d.pad), .def = "0",
     .flags = FL_SQUARE, NONNEG, .doc = "zero padding on each side: n or [rows, cols]"},
    {.key = "activation", .type = FT_ENUM, .off = offsetof(struct layer_spec, activation),
     .def = "identity", .words = &schema_activation_words, .doc = "applied to the output"},
    {.key = "init", .type = FT_MAP, .table = &schema_layer_init_table, .doc = "{weights, biases}"},
};
static const struct table conv2d_table = TABLE(conv2d_fields, NULL);
const struct field layer_schema_conv2d = {
    .key = "conv2d", .type = FT_MAP, .table = &conv2d_table, .doc = "2-D convolution"};

/* A (C, H, W) input; output size as PyTorch (shape_window). */
static int conv2d_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    const struct layer_spec *l = &e->layers[i];
    char in[64];
    int out[2];
    if (ls->in.rank != 3)
        return shape_layer_error(e, i, "input is %s; conv2d needs a (C, H, W) input, e.g. "
                                 "model.input: [1, 28, 28]",
                                 tensor_shape_format(in, sizeof in, &ls->in));
    if (l->conv2d.filters < 1)
        return shape_layer_error(e, i, "filters must be at least 1, not %d", l->conv2d.filters);
    int status = shape_window(out, e, i, &ls->in, l->conv2d.size, l->conv2d.stride,
                              l->conv2d.pad);
    if (status != CLNET_OK)
        return status;
    ls->out = (struct tensor_shape){3, {l->conv2d.filters, out[0], out[1]}};
    int64_t cin = ls->in.dim[0], cout = l->conv2d.filters;
    int64_t w[] = {cout, cin, l->conv2d.size[0], l->conv2d.size[1]};
    int64_t f[] = {2, cin, l->conv2d.size[0], l->conv2d.size[1], cout, out[0], out[1]};
    ls->biases = cout;
    if (!shape_prod_ok(&ls->weights, 4, w) || !shape_prod_ok(&ls->flops, 7, f))
        return shape_layer_error(e, i, "too many weights or FLOPs to count");
    return CLNET_OK;
}

static void conv2d_describe(char *buf, size_t n, const struct layer_spec *l)
{
    const char *act = l->activation != ACTIVATION_IDENTITY ? activation_name(l->activation) : "";
    char s[32], p[32];
    snprintf(buf, n, "conv2d %d %dx%d/%s pad %s%s%s", l->conv2d.filters, l->conv2d.size[0],
             l->conv2d.size[1], shape_pair(s, sizeof s, l->conv2d.stride),
             shape_pair(p, sizeof p, l->conv2d.pad), act[0] ? " " : "", act);
}

/* Weights [K, C, R, S] (as F.conv2d), biases [K]. */
static void conv2d_param(struct param_tensor *t, const struct layer_spec *s,
                         const struct layer_shape *ls, bool bias)
{
    *t = bias ? (struct param_tensor){1, {ls->out.dim[0]}, 0}
              : (struct param_tensor){4, {ls->out.dim[0], ls->in.dim[0], s->conv2d.size[0],
                                          s->conv2d.size[1]}, 0};
}

/* Calls visit(at, x index, w index) for every product of output `at` (n, k, p, q), in the
 * order of the sum: channel, kernel row, kernel column; padding skipped. */
#define CONV_TAPS(g, n, k, p, q, BODY)                                                         \
    for (int c_ = 0; c_ < (g)->c; c_++)                                                        \
        for (int r_ = 0; r_ < (g)->r; r_++) {                                                  \
            int row_ = (p) * (g)->stride_r - (g)->pad_r + r_;                                  \
            for (int s_ = 0; row_ >= 0 && row_ < (g)->h && s_ < (g)->s; s_++) {                \
                int col_ = (q) * (g)->stride_c - (g)->pad_c + s_;                              \
                if (col_ < 0 || col_ >= (g)->w) continue;                                      \
                size_t xi = (((size_t)(n) * (g)->c + c_) * (g)->h + row_) * (g)->w + col_;    \
                size_t wi = (((size_t)(k) * (g)->c + c_) * (g)->r + r_) * (g)->s + s_;        \
                BODY;                                                                          \
            }                                                                                  \
        }

/* y (B, K, P, Q) = act(conv(x (B, C, H, W), W (K, C, R, S)) + b (K)). */
static void conv2d_host_forward(const struct layer *l, const struct model *m,
                                const double *params, double *state, const double *x, double *y,
                                int batch, bool train, int32_t *branch)
{
    (void)m, (void)state, (void)train;
    const struct conv_geom g = geometry_of(l->spec, l->shape);
    const double *w = params + l->w_off, *b = params + l->b_off;
    const int act = (int)l->spec->activation;
    size_t o = 0;
    for (int n = 0; n < batch; n++)
        for (int k = 0; k < g.k; k++)
            for (int p = 0; p < g.p; p++)
                for (int q = 0; q < g.q; q++, o++) {
                    double sum = b[k];
                    CONV_TAPS(&g, n, k, p, q, sum += x[xi] * w[wi]);
                    if (branch)
                        branch[o] = layer_host_kink(sum, act);
                    y[o] = layer_host_act(sum, act);
                }
}

/* dz = dy act'(y); db, dW and dx by scattering each dz over the products it came from. */
static void conv2d_host_backward(const struct layer *l, const struct model *m,
                                 const double *params, const double *x, const double *y,
                                 const double *dy, double *dx, double *grads, int batch)
{
    (void)m;
    const struct conv_geom g = geometry_of(l->spec, l->shape);
    const double *w = params + l->w_off;
    double *dw = grads + l->w_off, *db = grads + l->b_off;
    memset(dw, 0, (size_t)l->shape->weights * sizeof *dw);
    memset(db, 0, (size_t)g.k * sizeof *db);
    memset(dx, 0, (size_t)batch * l->in_size * sizeof *dx);
    size_t o = 0;
    for (int n = 0; n < batch; n++)
        for (int k = 0; k < g.k; k++)
            for (int p = 0; p < g.p; p++)
                for (int q = 0; q < g.q; q++, o++) {
                    double dz = layer_host_act_grad(dy[o], y[o], (int)l->spec->activation);
                    db[k] += dz;
                    CONV_TAPS(&g, n, k, p, q, (dw[wi] += x[xi] * dz, dx[xi] += dz * w[wi]));
                }
}

static const struct layer_example conv2d_examples[] = {
    {"tanh C=3 9x11 K=5 3x2/2x1 pad 1x0", 3, {3, 9, 11},
     {.type = LAYER_CONV2D, .activation = ACTIVATION_TANH,
      .conv2d = {.filters = 5, .size = {3, 2}, .stride = {2, 1}, .pad = {1, 0}}}},
};

LAYER_KIND_DEFINE(conv2d, conv2d_infer, conv2d_describe, conv2d_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_CONV2D) | RUNTIME_PROGRAM(PROGRAM_CONV2D_GPU), true,
                  conv2d_setup, conv2d_init,
                  conv2d_forward, conv2d_backward, conv2d_free, conv2d_host_forward,
                  conv2d_host_backward, conv2d_examples);
