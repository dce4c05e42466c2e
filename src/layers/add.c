/* add: y = the elementwise sum of its inputs (`- add: {from: [input, o]}`), the residual
 * connection: two or more nodes of one shape, (F) or (C, H, W), giving that shape. Its x is
 * the inputs packed row by row (layer.h's LAYER_KIND_DEFINE_MERGE), summed in input order;
 * its backward hands each input dy (cl/add.cl). No parameters. */
#include "layers/layer.h"

#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "model/model.h"
#include "util/status.h"

const char layer_doc_add[] = "the elementwise sum of its inputs, of one shape: "
                             "{from: [a, b, ...]}";

/* The nodes a merging layer reads, for its errors: "h (100), input (784)". */
void layer_inputs_describe(char *buf, size_t n, const struct layer_shape *ls,
                           const struct layer_spec *s)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < ls->n_in && used < n; k++) {
        char shp[64];
        int w = snprintf(buf + used, n - used, "%s%s %s", k ? ", " : "",
                         k < s->n_from ? s->from[k] : "?",
                         tensor_shape_format(shp, sizeof shp, &ls->ins[k]));
        used += w > 0 ? (size_t)w : 0;
    }
}

static int add_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    char got[512];
    layer_inputs_describe(got, sizeof got, ls, &e->layers[i]);
    if (ls->n_in < 2)
        return shape_layer_error(e, i, "add sums two or more nodes (from: [a, b]), got %s", got);
    for (int k = 1; k < ls->n_in; k++) {
        bool same = ls->ins[k].rank == ls->ins[0].rank;
        for (int d = 0; same && d < ls->ins[0].rank; d++)
            same = ls->ins[k].dim[d] == ls->ins[0].dim[d];
        if (!same)
            return shape_layer_error(e, i, "add's inputs must have one shape; they are %s", got);
    }
    ls->out = ls->ins[0];
    return CLNET_OK;
}

static int add_setup(struct layer *l, struct model *m, int max_batch)
{
    return layer_alloc_outputs(l, m, max_batch, true);
}

/* add_forward (y (rows, o) from x (rows, k o)) or add_backward (out the other way). */
static int add_launch(struct runtime *rt, bool backward, cl_mem out, cl_mem in, size_t o, int k,
                      size_t rows)
{
    cl_int co = (cl_int)o, ck = k, n = (cl_int)(rows * o * (backward ? (size_t)k : 1));
    enum kernel_id id = backward ? KERNEL_ADD_BACKWARD : KERNEL_ADD_FORWARD;
    struct runtime_arg args[] = {RUNTIME_ARG(out), RUNTIME_ARG(in), RUNTIME_ARG(co),
                                 RUNTIME_ARG(ck), RUNTIME_ARG(n)};
    int status = runtime_set_args(rt, id, args, N_ARGS(args));
    return status == CLNET_OK ? runtime_launch_1d(rt, id, (size_t)n) : status;
}

int layer_add_blocks(struct runtime *rt, cl_mem y, cl_mem x, size_t o, int k, size_t rows)
{
    return add_launch(rt, false, y, x, o, k, rows);
}

static int add_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                       bool train)
{
    (void)train;
    *y = l->y;
    return add_launch(m->rt, false, l->y, x, l->out_size, l->shape->n_in, (size_t)batch);
}

static int add_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                        int batch, bool need_dx)
{
    (void)x;
    if (!need_dx)
        return CLNET_OK;
    *dx = l->dx;
    return add_launch(m->rt, true, l->dx, dy, l->out_size, l->shape->n_in, (size_t)batch);
}

static void add_host_forward(const struct layer *l, const struct model *m, const double *params,
                             double *state, const double *x, double *y, int batch, bool train,
                             int32_t *branch)
{
    (void)m, (void)params, (void)state, (void)train, (void)branch;
    size_t o = l->out_size, k = (size_t)l->shape->n_in;
    for (size_t b = 0; b < (size_t)batch; b++)
        for (size_t j = 0; j < o; j++) {
            double sum = 0;
            for (size_t t = 0; t < k; t++)
                sum += x[(b * k + t) * o + j];
            y[b * o + j] = sum;
        }
}

static void add_host_backward(const struct layer *l, const struct model *m, const double *params,
                              const double *x, const double *y, const double *dy, double *dx,
                              double *grads, int batch)
{
    (void)m, (void)params, (void)x, (void)y, (void)grads;
    size_t o = l->out_size, k = (size_t)l->shape->n_in;
    for (size_t b = 0; b < (size_t)batch; b++)
        for (size_t t = 0; t < k; t++)
            memcpy(dx + (b * k + t) * o, dy + b * o, o * sizeof *dx);
}

static const struct layer_example add_examples[] = {
    {"input + input (3, 4, 5)", 3, {3, 4, 5},
     {.type = LAYER_ADD, .n_from = 2, .from = {"input", "input"}}},
    {"3 inputs (7)", 1, {7}, {.type = LAYER_ADD, .n_from = 3, .from = {"input", "input", "input"}}},
};

LAYER_KIND_DEFINE_MERGE(add, add_infer, layer_describe_name, layer_no_param, layer_no_state,
                        RUNTIME_PROGRAM(PROGRAM_ADD), false, add_setup, layer_no_init,
                        add_forward, add_backward, layer_free_outputs, add_host_forward,
                        add_host_backward, add_examples);
