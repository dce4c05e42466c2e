/* flatten: (C, H, W) -> (C*H*W). Row-major NCHW already is that layout, so the layer is a
 * view: its output is its input and its input gradient is its output gradient. */
#include "layers/layer.h"

#include "util/status.h"

static int flatten_setup(struct layer *l, struct model *m, int max_batch)
{
    (void)l;
    (void)m;
    (void)max_batch;
    return CLNET_OK;
}

static int flatten_init(struct layer *l, const struct model *m, float *w, float *b,
                        struct rng *rng)
{
    (void)l, (void)m, (void)w, (void)b, (void)rng;
    return CLNET_OK;
}

static int flatten_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                           bool train)
{
    (void)l, (void)m, (void)batch, (void)train;
    *y = x;
    return CLNET_OK;
}

static int flatten_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                            int batch, bool need_dx)
{
    (void)l, (void)m, (void)x, (void)batch, (void)need_dx;
    *dx = dy;
    return CLNET_OK;
}

static void flatten_free(struct layer *l)
{
    (void)l;
}

const struct layer_kind layer_flatten = {
    .name = "flatten",
    .setup = flatten_setup,
    .init_params = flatten_init,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .free = flatten_free,
};
