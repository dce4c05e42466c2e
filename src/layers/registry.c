/* The one place that maps a layer type to the code that runs it, and the buffer helpers the
 * kinds share. A type without a row here is one this build cannot train yet. */
#include "layers/layer.h"

#include "model/model.h"
#include "util/status.h"

static const struct layer_kind *const kinds[LAYER_TYPE_COUNT] = {
    [LAYER_DENSE] = &layer_dense,
    [LAYER_CONV2D] = &layer_conv2d,
    [LAYER_DROPOUT] = &layer_dropout,
    [LAYER_FLATTEN] = &layer_flatten,
    [LAYER_ACTIVATION] = &layer_activation,
};

const struct layer_kind *layer_kind_find(enum layer_type t)
{
    if ((int)t < 0 || t >= LAYER_TYPE_COUNT)
        return NULL;
    return kinds[t];
}

int layer_alloc_outputs(struct layer *l, struct model *m, int max_batch, bool need_dx)
{
    size_t rows = (size_t)max_batch;
    int status = runtime_alloc(m->rt, &l->y, rows * l->out_size * sizeof(float), "a layer's outputs");
    if (status == CLNET_OK && need_dx)
        status = runtime_alloc(m->rt, &l->dx, rows * l->in_size * sizeof(float), "a layer's input gradients");
    return status;
}

void layer_free_outputs(struct layer *l)
{
    runtime_free(l->y);
    runtime_free(l->dx);
    l->y = l->dx = NULL;
}
