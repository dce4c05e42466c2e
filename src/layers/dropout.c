/* dropout: inverted dropout while training, identity when evaluating (as PyTorch). The mask
 * is never stored: it is a hash of (seed, iteration, element), recomputed by the backward
 * kernel, so a run and its resume drop the same values on any device. */
#include "layers/layer.h"

#include <stdio.h>
#include <string.h>

#include "config/schema.h"
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

/* ---- the host side: schema, shape, reference */

static const struct field dropout_fields[] = {
    {.key = "p", .type = FT_DOUBLE, .off = offsetof(struct layer_spec, dropout.p),
     .flags = FL_REQUIRED, UNIT_OPEN, .doc = "probability of dropping a value"},
};
static const struct table dropout_table = TABLE(dropout_fields, NULL);
const struct field layer_schema_dropout = {
    .key = "dropout", .type = FT_MAP, .table = &dropout_table, .doc = "inverted dropout"};

static int dropout_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    double p = e->layers[i].dropout.p;
    if (!(p >= 0 && p < 1))
        return shape_layer_error(e, i, "p must be in [0, 1), not %g", p);
    ls->out = ls->in;
    return CLNET_OK;
}

static void dropout_describe(char *buf, size_t n, const struct layer_spec *s)
{
    snprintf(buf, n, "dropout %g", s->dropout.p);
}

/* The training step's mask (the kernels' rule: keep when the hash >= p 2^32), applied to
 * src: the forward's x or the backward's dy. */
static void host_mask(const struct layer *l, const struct model *m, const double *src,
                      double *dst, size_t n)
{
    const double p = (float)l->spec->dropout.p, scale = 1.0 / (1.0 - p);
    const uint64_t seed = layer_seed(l, m), first = m->first_row * l->out_size;
    for (size_t i = 0; i < n; i++)
        dst[i] = (double)rng_hash3(seed, m->step, first + i) >= p * 4294967296.0 ? src[i] * scale
                                                                                 : 0.0;
}

static void dropout_host_forward(const struct layer *l, const struct model *m,
                                 const double *params, double *state, const double *x, double *y,
                                 int batch, bool train, int32_t *branch)
{
    (void)params, (void)state, (void)branch;
    if (train)
        host_mask(l, m, x, y, (size_t)batch * l->out_size);
    else
        memcpy(y, x, (size_t)batch * l->out_size * sizeof *y);
}

static void dropout_host_backward(const struct layer *l, const struct model *m,
                                  const double *params, const double *x, const double *y,
                                  const double *dy, double *dx, double *grads, int batch)
{
    (void)params, (void)x, (void)y, (void)grads;
    host_mask(l, m, dy, dx, (size_t)batch * l->in_size);
}

static const struct layer_example dropout_examples[] = {
    {"p 0.25 F=301", 1, {301}, {.type = LAYER_DROPOUT, .dropout = {.p = 0.25}}},
};

LAYER_KIND_DEFINE(dropout, dropout_infer, dropout_describe, layer_no_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_DROPOUT), false, dropout_setup, layer_no_init,
                  dropout_forward, dropout_backward, layer_free_outputs, dropout_host_forward,
                  dropout_host_backward, dropout_examples);
