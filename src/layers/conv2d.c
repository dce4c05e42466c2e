/* conv2d: y = act(conv(x, W) + b), weights (K, C, R, S) as PyTorch's F.conv2d. The direct
 * kernels live in ops/conv2d.c; this file lays out buffers and parameters and picks each
 * tensor's layout: NCHW at the edges of a run of conv layers, batch-minor inside it. */
#include "layers/layer.h"

#include <stdlib.h>

#include "model/init.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

struct conv2d_state {
    struct conv_geom g;
    cl_mem work; /* op_conv2d_workspace bytes, or NULL */
};

static struct conv_geom geometry(const struct layer *l)
{
    const struct layer_spec *s = l->spec;
    const struct layer_shape *sh = l->shape;
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

/* Layer i runs conv2d. */
static bool is_conv(const struct model *m, int i)
{
    return i >= 0 && i < m->n_layers && m->layers[i].spec->type == LAYER_CONV2D;
}

/* The geometry with the tensors' layouts: batch-minor between two conv layers, unless the
 * outputs are read on the host (model.plain_outputs). */
static struct conv_geom geometry_in(const struct layer *l, const struct model *m)
{
    struct conv_geom g = ((const struct conv2d_state *)l->priv)->g;
    g.x_batch_minor = !m->plain_outputs && is_conv(m, l->index - 1);
    g.y_batch_minor = !m->plain_outputs && is_conv(m, l->index + 1);
    return g;
}

static int conv2d_setup(struct layer *l, struct model *m, int max_batch)
{
    struct conv2d_state *st = calloc(1, sizeof *st);
    if (!st)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d", l->index);
    l->priv = st;
    st->g = geometry(l);
    /* y and dx hold either layout: batch-minor ones have op_conv2d_batch_stride rows. */
    int status =
        layer_alloc_outputs(l, m, (int)op_conv2d_batch_stride(max_batch), l->index > 0);
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
    const struct conv_geom g = geometry_in(l, m);
    *y = l->y;
    return op_conv2d_forward(m->rt, l->y, x, m->params, l->w_off, l->b_off, st->work, &g, batch,
                             l->spec->activation);
}

static int conv2d_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                           int batch, bool need_dx)
{
    struct conv2d_state *st = l->priv;
    const struct conv_geom g = geometry_in(l, m);
    *dx = need_dx ? l->dx : NULL;
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

const struct layer_kind layer_conv2d = {
    .name = "conv2d",
    .setup = conv2d_setup,
    .init_params = conv2d_init,
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .free = conv2d_free,
};
