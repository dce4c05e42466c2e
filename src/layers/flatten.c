/* flatten: (C, H, W) -> (C*H*W). Row-major NCHW already is that layout, so the layer is a
 * view: its output is its input and its input gradient is its output gradient. On a (F) input
 * it is a no-op (as Keras' Flatten and PyTorch's nn.Flatten), so it is allowed there. */
#include "layers/layer.h"

#include <string.h>

#include "config/schema.h"
#include "util/status.h"

const char layer_doc_flatten[] = "(C, H, W) -> (C*H*W)";

static int flatten_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    int64_t n = tensor_shape_size(&ls->in);
    if (n > INT32_MAX)
        return shape_layer_error(e, i, "flattened size %lld is too large", (long long)n);
    ls->out.rank = 1;
    ls->out.dim[0] = (int)n;
    return CLNET_OK;
}

static int flatten_setup(struct layer *l, struct model *m, int max_batch)
{
    (void)l, (void)m, (void)max_batch;
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

static void flatten_host_forward(const struct layer *l, const struct model *m,
                                 const double *params, double *state, const double *x, double *y,
                                 int batch, bool train, int32_t *branch)
{
    (void)m, (void)params, (void)branch, (void)state, (void)train;
    memcpy(y, x, (size_t)batch * l->out_size * sizeof *y);
}

static void flatten_host_backward(const struct layer *l, const struct model *m,
                                  const double *params, const double *x, const double *y,
                                  const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)params, (void)x, (void)y, (void)grads;
    memcpy(dx, dy, (size_t)batch * l->in_size * sizeof *dx);
}

static const struct layer_example flatten_examples[] = {
    {"(3, 4, 5)", 3, {3, 4, 5}, {.type = LAYER_FLATTEN}},
};

LAYER_KIND_DEFINE(flatten, flatten_infer, layer_describe_name, layer_no_param, layer_no_state, 0,
                  false, flatten_setup, layer_no_init, flatten_forward, flatten_backward, flatten_free,
                  flatten_host_forward, flatten_host_backward, flatten_examples);
