/* dense: y = act(x W + b) with W (I, O) as the homework's X.mm(W). Forward is one GEMM and one
 * fused bias + activation kernel; backward is one fused kernel for dz = dy * act'(y) and
 * db = column sums of dz, then dW = x^T dz and dx = dz W^T as two GEMMs. Where op_gemm runs
 * clnet's own kernels (CPU devices) and I > DENSE_NT_MAX_IN, dx is dz (W^T) through a
 * transposed copy of W (l->priv, I x O floats, refreshed each step): with its small K
 * (O = 10..200) gemm_nt's dot products measured 2-4x slower there than a transpose plus
 * gemm_nn, except for the narrowest layers (I = 10: 5.5 against 9.9 us; I = 30: even;
 * bench/step_profile). */
#include "layers/layer.h"

#include <string.h>

#include "config/config.h"
#include "model/init.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

#define DENSE_NT_MAX_IN 32

static int dense_setup(struct layer *l, struct model *m, int max_batch)
{
    int status = layer_alloc_outputs(l, m, max_batch, l->index > 0);
    if (status == CLNET_OK && l->index > 0 && l->in_size > DENSE_NT_MAX_IN &&
        op_gemm_choice(m->rt) == OP_GEMM_OWN) {
        cl_mem wt = NULL;
        status = runtime_alloc(m->rt, &wt, l->in_size * l->out_size * sizeof(float),
                               "a dense layer's transposed weights");
        l->priv = wt;
    }
    return status;
}

static void dense_free(struct layer *l)
{
    layer_free_outputs(l);
    runtime_free(l->priv);
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
    int in = (int)l->in_size, out = (int)l->out_size;
    *y = l->y;
    int status = op_gemm(m->rt, false, false, batch, out, in, 1.0f, x, 0, in, m->params, l->w_off,
                         out, 0.0f, l->y, 0, out);
    if (status == CLNET_OK)
        status = op_bias_act_forward(m->rt, l->y, m->params, l->b_off, batch, out,
                                     l->spec->activation);
    return status;
}

static int dense_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                          int batch, bool need_dx)
{
    int in = (int)l->in_size, out = (int)l->out_size;
    /* dz overwrites dy: nothing reads dy after this layer. */
    int status = op_bias_act_backward(m->rt, dy, m->grads, l->b_off, l->y, dy, batch, out,
                                      l->spec->activation);
    if (status == CLNET_OK) /* dW (I, O) = x^T dz */
        status = op_gemm(m->rt, true, false, in, out, batch, 1.0f, x, 0, in, dy, 0, out, 0.0f,
                         m->grads, l->w_off, out);
    if (status == CLNET_OK && need_dx) { /* dx (B, I) = dz W^T */
        *dx = l->dx;
        cl_mem wt = l->priv;
        if (!wt)
            return op_gemm(m->rt, false, true, batch, in, out, 1.0f, dy, 0, out, m->params,
                           l->w_off, out, 0.0f, l->dx, 0, in);
        status = op_transpose(m->rt, wt, m->params, l->w_off, out, in, out);
        if (status == CLNET_OK)
            status = op_gemm(m->rt, false, false, batch, in, out, 1.0f, dy, 0, out, wt, 0, in,
                             0.0f, l->dx, 0, in);
    }
    return status;
}

const struct layer_kind layer_dense = {
    .name = "dense",
    .setup = dense_setup,
    .init_params = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .free = dense_free,
};
