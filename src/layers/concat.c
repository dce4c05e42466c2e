/* concat: its inputs side by side (`- concat: {from: [a, b]}`): flat (F) inputs give (sum of
 * F); (C, H, W) inputs of one H and W give (sum of C, H, W), channels after channels, as
 * torch.cat(dim=1). A merging layer's x is its inputs packed row by row (layer.h's
 * LAYER_KIND_DEFINE_MERGE), which already is that layout, so the layer is a view, as flatten
 * is: no kernels of its own (the graph's packing, model/graph_run.c, does the copying), no
 * parameters. */
#include "layers/layer.h"

#include <string.h>

#include "config/schema.h"
#include "util/status.h"

const char layer_doc_concat[] = "its inputs side by side, (F) or along channels (C, H, W): "
                                "{from: [a, b, ...]}";

static int concat_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    char got[512];
    layer_inputs_describe(got, sizeof got, ls, &e->layers[i]);
    if (ls->n_in < 2)
        return shape_layer_error(e, i, "concat joins two or more nodes (from: [a, b]), got %s",
                                 got);
    const struct tensor_shape *first = &ls->ins[0];
    int64_t sum = 0;
    for (int k = 0; k < ls->n_in; k++) {
        const struct tensor_shape *t = &ls->ins[k];
        if (t->rank != first->rank || (t->rank == 3 && (t->dim[1] != first->dim[1] ||
                                                        t->dim[2] != first->dim[2])))
            return shape_layer_error(e, i, "concat's inputs must all be (F), or all (C, H, W) "
                                     "of one H and W; they are %s", got);
        sum += t->dim[0];
    }
    if (sum > INT32_MAX)
        return shape_layer_error(e, i, "the joined size %lld is too large", (long long)sum);
    ls->out = *first;
    ls->out.dim[0] = (int)sum;
    return CLNET_OK;
}

static int concat_setup(struct layer *l, struct model *m, int max_batch)
{
    (void)l, (void)m, (void)max_batch;
    return CLNET_OK;
}

static int concat_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                          bool train)
{
    (void)l, (void)m, (void)batch, (void)train;
    *y = x;
    return CLNET_OK;
}

static int concat_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                           int batch, bool need_dx)
{
    (void)l, (void)m, (void)x, (void)batch, (void)need_dx;
    *dx = dy;
    return CLNET_OK;
}

static void concat_free(struct layer *l)
{
    (void)l;
}

static void concat_host_forward(const struct layer *l, const struct model *m,
                                const double *params, double *state, const double *x,
                                double *y, int batch, bool train, int32_t *branch)
{
    (void)m, (void)params, (void)state, (void)train, (void)branch;
    memcpy(y, x, (size_t)batch * l->out_size * sizeof *y);
}

static void concat_host_backward(const struct layer *l, const struct model *m,
                                 const double *params, const double *x, const double *y,
                                 const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)params, (void)x, (void)y, (void)grads;
    memcpy(dx, dy, (size_t)batch * l->in_size * sizeof *dx);
}

static const struct layer_example concat_examples[] = {
    {"[input, input] (2, 3, 4)", 3, {2, 3, 4},
     {.type = LAYER_CONCAT, .n_from = 2, .from = {"input", "input"}}},
};

LAYER_KIND_DEFINE_MERGE(concat, concat_infer, layer_describe_name, layer_no_param,
                        layer_no_state, 0, false, concat_setup, layer_no_init, concat_forward,
                        concat_backward, concat_free, concat_host_forward, concat_host_backward,
                        concat_examples);
