/* The pooling kinds' shared parts (pool2d.h). */
#include "layers/pool2d.h"

#include <stdio.h>

#include "config/schema.h"
#include "model/model.h"
#include "util/status.h"

/* An absent stride is the size (PyTorch's default). */
static int pool2d_check(struct vctx *v, const struct node *map, void *base)
{
    (void)v, (void)map;
    int *a = ((struct layer_spec *)base)->args.i;
    if (a[POOL_STRIDE] == 0 && a[POOL_STRIDE + 1] == 0) {
        a[POOL_STRIDE] = a[POOL_SIZE];
        a[POOL_STRIDE + 1] = a[POOL_SIZE + 1];
    }
    return 0;
}

static const struct field pool2d_fields[] = {
    {.key = "size", .type = FT_PAIR, .off = LAYER_ARG_INT(POOL_SIZE),
     .flags = FL_REQUIRED | FL_SQUARE, POSITIVE, .doc = "window: n or [rows, cols]"},
    {.key = "stride", .type = FT_PAIR, .off = LAYER_ARG_INT(POOL_STRIDE), .flags = FL_SQUARE,
     POSITIVE, .doc = "n or [rows, cols]; default: the size"},
    {.key = "pad", .type = FT_PAIR, .off = LAYER_ARG_INT(POOL_PAD), .def = "0",
     .flags = FL_SQUARE, NONNEG,
     .doc = "implicit padding on each side, at most half the size: n or [rows, cols]"},
};
const struct table pool2d_table = TABLE(pool2d_fields, pool2d_check);

int pool2d_infer(struct layer_shape *ls, const struct experiment *e, int i)
{
    const int *a = e->layers[i].args.i;
    char in[64];
    int out[2];
    if (ls->in.rank != 3)
        return shape_layer_error(e, i, "input is %s; pooling needs a (C, H, W) input",
                                 tensor_shape_format(in, sizeof in, &ls->in));
    int status = shape_window(out, e, i, &ls->in, a + POOL_SIZE, a + POOL_STRIDE, a + POOL_PAD);
    for (int d = 0; status == CLNET_OK && d < 2; d++)
        if (2 * a[POOL_PAD + d] > a[POOL_SIZE + d])
            status = shape_layer_error(e, i, "pad %d is more than half the size %d (as in "
                                       "PyTorch, a window must hold an input value)",
                                       a[POOL_PAD + d], a[POOL_SIZE + d]);
    if (status != CLNET_OK)
        return status;
    ls->out = (struct tensor_shape){3, {ls->in.dim[0], out[0], out[1]}};
    return CLNET_OK;
}

void pool2d_describe(char *buf, size_t n, const struct layer_spec *s)
{
    const int *a = s->args.i;
    char stride[32], pad[32];
    snprintf(buf, n, "%s %dx%d/%s pad %s", layer_type_name(s->type), a[POOL_SIZE],
             a[POOL_SIZE + 1], shape_pair(stride, sizeof stride, a + POOL_STRIDE),
             shape_pair(pad, sizeof pad, a + POOL_PAD));
}

struct pool_geom pool2d_geom(const struct layer *l)
{
    const int *a = l->spec->args.i;
    const struct layer_shape *sh = l->shape;
    return (struct pool_geom){
        .c = sh->in.dim[0], .h = sh->in.dim[1], .w = sh->in.dim[2],
        .p = sh->out.dim[1], .q = sh->out.dim[2],
        .r = a[POOL_SIZE], .s = a[POOL_SIZE + 1],
        .stride_r = a[POOL_STRIDE], .stride_c = a[POOL_STRIDE + 1],
        .pad_r = a[POOL_PAD], .pad_c = a[POOL_PAD + 1],
    };
}

int pool2d_setup(struct layer *l, struct model *m, int max_batch)
{
    if ((int64_t)max_batch * l->shape->in.dim[0] > INT32_MAX) /* the kernels' int planes */
        return clnet_errorf(CLNET_ERR_CONFIG, "layer %d (%s): %d channels in batches of %d are "
                            "more planes than the kernels count (%d)", l->index, l->kind->name,
                            l->shape->in.dim[0], max_batch, INT32_MAX);
    return layer_alloc_outputs(l, m, max_batch, l->plan->dx_buffer);
}

int pool2d_launch(struct runtime *rt, enum kernel_id id, cl_mem out, cl_mem in, cl_mem aux,
                  const struct pool_geom *g, int batch, size_t n)
{
    cl_int planes = g->c * batch;
    cl_int v[] = {planes, g->h, g->w, g->p, g->q, g->r, g->s,
                  g->stride_r, g->stride_c, g->pad_r, g->pad_c};
    struct runtime_arg args[3 + sizeof v / sizeof v[0]] = {RUNTIME_ARG(out), RUNTIME_ARG(in)};
    int n_args = 2;
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        args[n_args++] = RUNTIME_ARG(v[k]);
    if (aux)
        args[n_args++] = RUNTIME_ARG(aux);
    int status = runtime_set_args(rt, id, args, n_args);
    return status == CLNET_OK ? runtime_launch_1d(rt, id, n) : status;
}

void pool2d_span(int o, int stride, int pad, int size, int n, int *lo, int *hi)
{
    int start = o * stride - pad, end = start + size;
    *lo = start < 0 ? 0 : start;
    *hi = end > n ? n : end;
}
