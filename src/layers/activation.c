/* A standalone activation layer (`- activation: relu`): y = act(x) elementwise; its gradient
 * uses y, as the fused activations after dense and conv2d do. */
#include "layers/layer.h"

#include <stdio.h>

#include "config/schema.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

const struct field layer_schema_activation = {
    .key = "activation", .type = FT_ENUM, .off = offsetof(struct layer_spec, activation),
    .flags = FL_REQUIRED, .words = &schema_activation_words, .doc = "standalone activation"};

static void activation_describe(char *buf, size_t n, const struct layer_spec *s)
{
    snprintf(buf, n, "activation %s", activation_name(s->activation));
}

static int activation_setup(struct layer *l, struct model *m, int max_batch)
{
    return layer_alloc_outputs(l, m, max_batch, l->plan->dx_buffer);
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

static void activation_host_forward(const struct layer *l, const struct model *m,
                                    const double *params, double *state, const double *x, double *y,
                                    int batch, bool train, int32_t *branch)
{
    (void)m, (void)params, (void)state, (void)train;
    for (size_t k = 0; k < (size_t)batch * l->out_size; k++) {
        if (branch)
            branch[k] = layer_host_kink(x[k], (int)l->spec->activation);
        y[k] = layer_host_act(x[k], (int)l->spec->activation);
    }
}

static void activation_host_backward(const struct layer *l, const struct model *m,
                                     const double *params, const double *x, const double *y,
                                     const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)params, (void)x, (void)grads;
    for (size_t k = 0; k < (size_t)batch * l->in_size; k++)
        dx[k] = layer_host_act_grad(dy[k], y[k], (int)l->spec->activation);
}

static const struct layer_example activation_examples[] = {
    {"sigmoid F=37", 1, {37}, {.type = LAYER_ACTIVATION, .activation = ACTIVATION_SIGMOID}},
    {"relu (2, 3, 5)", 3, {2, 3, 5}, {.type = LAYER_ACTIVATION, .activation = ACTIVATION_RELU}},
};

LAYER_KIND_DEFINE(activation, layer_infer_same, activation_describe, layer_no_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE), true, activation_setup, layer_no_init,
                  activation_forward, activation_backward, layer_free_outputs,
                  activation_host_forward, activation_host_backward, activation_examples);
