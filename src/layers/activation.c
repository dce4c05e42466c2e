/* A standalone activation layer (`- activation: relu`): y = act(x) elementwise; its gradient
 * uses y, as the fused activations after dense and conv2d do. */
#include "layers/layer.h"

#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

static int activation_setup(struct layer *l, struct model *m, int max_batch)
{
    return layer_alloc_outputs(l, m, max_batch, l->index > 0);
}

static int activation_init(struct layer *l, const struct model *m, float *w, float *b,
                           struct rng *rng)
{
    (void)l, (void)m, (void)w, (void)b, (void)rng;
    return CLNET_OK;
}

static int activation_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                              bool train)
{
    (void)train;
    *y = l->y;
    return op_act_forward(m->rt, l->y, x, (size_t)batch * l->out_size, l->spec->activation);
}

static int activation_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                               int batch, bool need_dx)
{
    (void)x;
    if (!need_dx)
        return CLNET_OK;
    *dx = l->dx;
    return op_act_backward(m->rt, l->dx, l->y, dy, (size_t)batch * l->in_size,
                           l->spec->activation);
}

const struct layer_kind layer_activation = {
    .name = "activation",
    .setup = activation_setup,
    .init_params = activation_init,
    .forward = activation_forward,
    .backward = activation_backward,
    .free = layer_free_outputs,
};
