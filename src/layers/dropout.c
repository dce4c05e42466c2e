/* dropout: inverted dropout while training, identity when evaluating (as PyTorch). The mask
 * is never stored: it is a hash of (seed, iteration, element), recomputed by the backward
 * kernel, so a run and its resume drop the same values on any device. */
#include "layers/layer.h"

#include "model/model.h"
#include "ops/ops.h"
#include "util/rng.h"
#include "util/status.h"

/* Each dropout layer draws its own masks: the experiment's seed mixed with the layer index. */
static uint64_t layer_seed(const struct layer *l, const struct model *m)
{
    return rng_mix64(m->exp->seed + 0x9e3779b97f4a7c15u * (uint64_t)(l->index + 1));
}

static int dropout_setup(struct layer *l, struct model *m, int max_batch)
{
    return layer_alloc_outputs(l, m, max_batch, false);
}

static int dropout_init(struct layer *l, const struct model *m, float *w, float *b,
                        struct rng *rng)
{
    (void)l, (void)m, (void)w, (void)b, (void)rng;
    return CLNET_OK;
}

static int dropout_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                           bool train)
{
    if (!train) {
        *y = x;
        return CLNET_OK;
    }
    *y = l->y;
    return op_dropout_forward(m->rt, l->y, x, (size_t)batch * l->out_size,
                              m->first_row * l->out_size, (float)l->spec->dropout.p,
                              layer_seed(l, m), m->step);
}

static int dropout_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                            int batch, bool need_dx)
{
    (void)x;
    *dx = dy; /* in place: nothing reads dy after this layer */
    if (!need_dx)
        return CLNET_OK;
    return op_dropout_backward(m->rt, dy, dy, (size_t)batch * l->in_size,
                               m->first_row * l->in_size, (float)l->spec->dropout.p,
                               layer_seed(l, m), m->step);
}

const struct layer_kind layer_dropout = {
    .name = "dropout",
    .setup = dropout_setup,
    .init_params = dropout_init,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .free = layer_free_outputs,
};
