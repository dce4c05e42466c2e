/* batchnorm: batch normalisation as PyTorch's BatchNorm1d (after a flat layer: per feature)
 * and BatchNorm2d (after an image layer: per channel, over the batch and the positions).
 * Training normalises with the batch's mean and biased variance and moves the running
 * statistics toward the mean and the unbiased variance by `momentum`; evaluation normalises
 * with the running statistics. Then y = gamma xhat + beta, gamma (the weight, init 1) and
 * beta (the bias, init 0) trained. running_mean (init 0) and running_var (init 1) are the
 * kind's state (layer.h): saved as layers.I.running_mean / .running_var, never trained.
 * Kernels: cl/batchnorm.cl, one work-item per channel owning its sums in a fixed order
 * (reproducible; few work-items for a GPU: docs/DESIGN.md). */
#include "layers/layer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "model/init.h"
#include "model/model.h"
#include "util/status.h"

enum { BN_MOMENTUM = 0, BN_EPS = 1 }; /* slots of layer_spec.args.r */

static const struct field batchnorm_fields[] = {
    {.key = "momentum", .type = FT_DOUBLE, .off = LAYER_ARG_REAL(BN_MOMENTUM), .def = "0.1",
     .rng = RNG_MIN | RNG_MAX, .min = 0, .max = 1,
     .doc = "the running statistics' step toward each batch's (PyTorch's momentum)"},
    {.key = "eps", .type = FT_DOUBLE, .off = LAYER_ARG_REAL(BN_EPS), .def = "1e-5", POSITIVE,
     .doc = "added to the variance before its square root"},
};
static const struct table batchnorm_table = TABLE(batchnorm_fields, NULL);
const struct field layer_schema_batchnorm = {
    .key = "batchnorm", .type = FT_MAP, .table = &batchnorm_table,
    .doc = "batch normalisation per feature or channel, with a trained scale and shift"};

/* Channels C and positions per channel HW of the input: (F) is F channels of 1. */
static void channels(const struct tensor_shape *in, int *c, int *hw)
{
    *c = in->dim[0];
    *hw = in->rank == 3 ? in->dim[1] * in->dim[2] : 1;
}

static int batchnorm_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    char in[64];
    int c, hw;
    if (ls->in.rank != 1 && ls->in.rank != 3)
        return shape_layer_error(e, i, "input is %s; batch norm needs (F) or (C, H, W)",
                                 tensor_shape_format(in, sizeof in, &ls->in));
    channels(&ls->in, &c, &hw);
    if (e->has_train && (int64_t)e->train.batch_size * hw < 2)
        return shape_layer_error(e, i, "batches of %d give each feature of %s one value; "
                                 "training needs at least 2 per feature (train.batch_size)",
                                 e->train.batch_size,
                                 tensor_shape_format(in, sizeof in, &ls->in));
    ls->out = ls->in;
    ls->weights = ls->biases = c;
    return CLNET_OK;
}

static void batchnorm_describe(char *buf, size_t n, const struct layer_spec *s)
{
    snprintf(buf, n, "batchnorm momentum %g eps %g", s->args.r[BN_MOMENTUM], s->args.r[BN_EPS]);
}

static void batchnorm_param(struct param_tensor *t, const struct layer_spec *s,
                            const struct layer_shape *ls, bool bias)
{
    (void)s, (void)bias;
    *t = (struct param_tensor){.rank = 1, .dims = {ls->in.dim[0]}, .unit_axis = 0};
}

static int batchnorm_state(struct state_tensor *t, const struct layer_spec *s,
                           const struct layer_shape *ls)
{
    (void)s;
    t[0] = (struct state_tensor){"running_mean", 1, {ls->in.dim[0]}, 0.0f};
    t[1] = (struct state_tensor){"running_var", 1, {ls->in.dim[0]}, 1.0f};
    return 2;
}

/* ---- the device side; priv: the training forward's mean and 1 / sqrt(var + eps), (2C) */

static int batchnorm_setup(struct layer *l, struct model *m, int max_batch)
{
    cl_mem *saved = calloc(1, sizeof *saved);
    if (!saved)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d", l->index);
    l->priv = saved;
    int status = layer_alloc_outputs(l, m, max_batch, l->plan->dx_buffer);
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, saved, 2 * (size_t)l->shape->in.dim[0] * sizeof(float),
                               "a batch norm's statistics");
    return status;
}

static void batchnorm_free(struct layer *l)
{
    cl_mem *saved = l->priv;
    if (saved)
        runtime_free(*saved);
    free(saved);
    l->priv = NULL;
    layer_free_outputs(l);
}

/* gamma 1 and beta 0 (PyTorch's), or the init file's tensors when the init is a file. */
static int batchnorm_init(struct layer *l, const struct model *m, float *w, float *b,
                          struct rng *rng)
{
    (void)rng;
    const struct init_spec *wi = init_resolve(&l->spec->weight_init, &m->exp->weight_init);
    const struct init_spec *bi = init_resolve(&l->spec->bias_init, &m->exp->bias_init);
    int status = CLNET_OK;
    for (int c = 0; c < l->shape->in.dim[0]; c++)
        w[c] = 1.0f, b[c] = 0.0f;
    if (wi->kind == INIT_FILE)
        status = layer_load_param(l, false, wi->path, w);
    if (status == CLNET_OK && bi->kind == INIT_FILE)
        status = layer_load_param(l, true, bi->path, b);
    return status;
}

/* Kernel id with its n arguments over one work-item per channel. */
static int launch(struct model *m, enum kernel_id id, const struct runtime_arg *args, int n,
                  int n_channels)
{
    int status = runtime_set_args(m->rt, id, args, n);
    return status == CLNET_OK ? runtime_launch_1d(m->rt, id, (size_t)n_channels) : status;
}

static int batchnorm_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                             bool train)
{
    int c, hw;
    channels(&l->shape->in, &c, &hw);
    cl_ulong w_off = l->w_off, b_off = l->b_off, s_off = l->s_off;
    cl_int on = train, n = batch;
    cl_float momentum = (float)l->spec->args.r[BN_MOMENTUM], eps = (float)l->spec->args.r[BN_EPS];
    cl_mem *saved = l->priv;
    struct runtime_arg args[] = {
        RUNTIME_ARG(l->y),     RUNTIME_ARG(x),     RUNTIME_ARG(m->params), RUNTIME_ARG(w_off),
        RUNTIME_ARG(b_off),    RUNTIME_ARG(m->state), RUNTIME_ARG(s_off),  RUNTIME_ARG(*saved),
        RUNTIME_ARG(n),        RUNTIME_ARG(c),     RUNTIME_ARG(hw),        RUNTIME_ARG(on),
        RUNTIME_ARG(momentum), RUNTIME_ARG(eps)};
    *y = l->y;
    return launch(m, KERNEL_BATCHNORM_FORWARD, args, (int)(sizeof args / sizeof args[0]), c);
}

static int batchnorm_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                              int batch, bool need_dx)
{
    int c, hw;
    channels(&l->shape->in, &c, &hw);
    cl_ulong w_off = l->w_off, b_off = l->b_off;
    cl_int n = batch, want = need_dx;
    cl_mem *saved = l->priv, out = need_dx ? l->dx : dy; /* not written without need_dx */
    struct runtime_arg args[] = {
        RUNTIME_ARG(out),      RUNTIME_ARG(dy),    RUNTIME_ARG(x),         RUNTIME_ARG(m->params),
        RUNTIME_ARG(m->grads), RUNTIME_ARG(w_off), RUNTIME_ARG(b_off),     RUNTIME_ARG(*saved),
        RUNTIME_ARG(n),        RUNTIME_ARG(c),     RUNTIME_ARG(hw),        RUNTIME_ARG(want)};
    *dx = l->dx;
    return launch(m, KERNEL_BATCHNORM_BACKWARD, args, (int)(sizeof args / sizeof args[0]), c);
}

/* ---- the host reference, in double */

/* Value j (image b, position p) of channel ch in a (B, C, HW) tensor. */
#define AT(b, ch, p) (((size_t)(b) * (size_t)c + (size_t)(ch)) * (size_t)hw + (size_t)(p))

/* Channel ch's batch mean and biased variance of x. */
static void host_stats(const double *x, int batch, int c, int hw, int ch, double *mean,
                       double *var)
{
    double n = (double)batch * hw, sum = 0.0, ss = 0.0;
    for (int b = 0; b < batch; b++)
        for (int p = 0; p < hw; p++)
            sum += x[AT(b, ch, p)];
    *mean = sum / n;
    for (int b = 0; b < batch; b++)
        for (int p = 0; p < hw; p++)
            ss += (x[AT(b, ch, p)] - *mean) * (x[AT(b, ch, p)] - *mean);
    *var = ss / n;
}

static void batchnorm_host_forward(const struct layer *l, const struct model *m,
                                   const double *params, double *state, const double *x,
                                   double *y, int batch, bool train, int32_t *branch)
{
    (void)m, (void)branch;
    int c, hw;
    channels(&l->shape->in, &c, &hw);
    const double momentum = (float)l->spec->args.r[BN_MOMENTUM];
    const double eps = (float)l->spec->args.r[BN_EPS], n = (double)batch * hw;
    double *run_mean = state ? state + l->s_off : NULL, *run_var = state ? run_mean + c : NULL;
    for (int ch = 0; ch < c; ch++) {
        double mean, var;
        if (train) {
            host_stats(x, batch, c, hw, ch, &mean, &var);
            if (state) {
                run_mean[ch] = (1.0 - momentum) * run_mean[ch] + momentum * mean;
                run_var[ch] = (1.0 - momentum) * run_var[ch] + momentum * var * n / (n - 1.0);
            }
        } else {
            mean = run_mean[ch], var = run_var[ch];
        }
        const double scale = params[l->w_off + (size_t)ch] / sqrt(var + eps);
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < hw; p++)
                y[AT(b, ch, p)] = (x[AT(b, ch, p)] - mean) * scale + params[l->b_off + (size_t)ch];
    }
}

static void batchnorm_host_backward(const struct layer *l, const struct model *m,
                                    const double *params, const double *x, const double *y,
                                    const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)y;
    int c, hw;
    channels(&l->shape->in, &c, &hw);
    const double eps = (float)l->spec->args.r[BN_EPS], n = (double)batch * hw;
    for (int ch = 0; ch < c; ch++) {
        double mean, var, dbeta = 0.0, dgamma = 0.0;
        host_stats(x, batch, c, hw, ch, &mean, &var);
        const double inv = 1.0 / sqrt(var + eps);
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < hw; p++) {
                dbeta += dy[AT(b, ch, p)];
                dgamma += dy[AT(b, ch, p)] * (x[AT(b, ch, p)] - mean) * inv;
            }
        grads[l->w_off + (size_t)ch] = dgamma;
        grads[l->b_off + (size_t)ch] = dbeta;
        const double k = params[l->w_off + (size_t)ch] * inv;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < hw; p++) {
                const double xhat = (x[AT(b, ch, p)] - mean) * inv;
                dx[AT(b, ch, p)] = k * (dy[AT(b, ch, p)] - dbeta / n - xhat * dgamma / n);
            }
    }
}

#define BATCHNORM(momentum, eps) {.type = LAYER_BATCHNORM, .args = {.r = {momentum, eps}}}
static const struct layer_example batchnorm_examples[] = {
    {"after a flat layer F=37", 1, {37}, BATCHNORM(0.1, 1e-5)},
    {"after an image layer (3, 5, 7), momentum 0.3 eps 1e-3", 3, {3, 5, 7}, BATCHNORM(0.3, 1e-3)},
};

LAYER_KIND_DEFINE(batchnorm, batchnorm_infer, batchnorm_describe, batchnorm_param,
                  batchnorm_state, RUNTIME_PROGRAM(PROGRAM_BATCHNORM), false, batchnorm_setup,
                  batchnorm_init, batchnorm_forward, batchnorm_backward, batchnorm_free,
                  batchnorm_host_forward, batchnorm_host_backward, batchnorm_examples);
