/* maxpool2d: y = the largest value of each window of x, per channel, as PyTorch's MaxPool2d
 * (size, stride defaulting to the size, pad at most half the size; layers/pool2d.h). The
 * forward keeps each output's choice (the first maximum in row-major window order) in an int
 * buffer; the backward routes each output's gradient to that input, summing, for an input
 * chosen by several windows, in output order (cl/maxpool2d.cl). No parameters. */
#include "layers/pool2d.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "model/model.h"
#include "util/status.h"

const struct field layer_schema_maxpool2d = {
    .key = "maxpool2d", .type = FT_MAP, .table = &pool2d_table,
    .doc = "max pooling: the largest value of each window"};

static int maxpool2d_setup(struct layer *l, struct model *m, int max_batch)
{
    cl_mem *argmax = calloc(1, sizeof *argmax);
    if (!argmax)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d", l->index);
    l->priv = argmax;
    int status = pool2d_setup(l, m, max_batch);
    if (status == CLNET_OK)
        status = runtime_alloc(m->rt, argmax, (size_t)max_batch * l->out_size * sizeof(cl_int),
                               "a max pool's choices");
    return status;
}

static void maxpool2d_free(struct layer *l)
{
    cl_mem *argmax = l->priv;
    if (argmax)
        runtime_free(*argmax);
    free(argmax);
    l->priv = NULL;
    layer_free_outputs(l);
}

static int maxpool2d_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                             bool train)
{
    (void)train;
    const struct pool_geom g = pool2d_geom(l);
    *y = l->y;
    return pool2d_launch(m->rt, KERNEL_MAXPOOL2D_FORWARD, l->y, x, *(cl_mem *)l->priv, &g,
                         batch, (size_t)batch * l->out_size);
}

static int maxpool2d_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                              int batch, bool need_dx)
{
    (void)x;
    if (!need_dx)
        return CLNET_OK;
    const struct pool_geom g = pool2d_geom(l);
    *dx = l->dx;
    return pool2d_launch(m->rt, KERNEL_MAXPOOL2D_BACKWARD, l->dx, dy, *(cl_mem *)l->priv, &g,
                         batch, (size_t)batch * l->in_size);
}

/* The input (h * W + w in its plane) output o of plane `plane` takes, as the kernel picks it. */
static int host_choice(const struct pool_geom *g, const double *xp, int row, int col)
{
    int r0, r1, c0, c1;
    pool2d_span(row, g->stride_r, g->pad_r, g->r, g->h, &r0, &r1);
    pool2d_span(col, g->stride_c, g->pad_c, g->s, g->w, &c0, &c1);
    double best = -INFINITY;
    int at = r0 * g->w + c0;
    for (int i = r0; i < r1; i++)
        for (int j = c0; j < c1; j++)
            if (xp[i * g->w + j] > best || isnan(xp[i * g->w + j])) {
                best = xp[i * g->w + j];
                at = i * g->w + j;
            }
    return at;
}

/* Calls BODY for every output (plane, row, col) as o, with `at` its choice in x. */
#define EACH_CHOICE(g, x, batch, BODY)                                                         \
    for (size_t plane = 0, o = 0; plane < (size_t)(batch) * (size_t)(g).c; plane++)            \
        for (int row = 0; row < (g).p; row++)                                                  \
            for (int col = 0; col < (g).q; col++, o++) {                                       \
                const size_t in_plane = plane * (size_t)((g).h * (g).w);                       \
                const int at = host_choice(&(g), (x) + in_plane, row, col);                    \
                BODY;                                                                          \
            }

static void maxpool2d_host_forward(const struct layer *l, const struct model *m,
                                   const double *params, double *state, const double *x, double *y,
                                   int batch, bool train, int32_t *branch)
{
    (void)m, (void)params, (void)state, (void)train;
    const struct pool_geom g = pool2d_geom(l);
    EACH_CHOICE(g, x, batch, {
        y[o] = x[in_plane + (size_t)at];
        if (branch)
            branch[o] = at;
    });
}

static void maxpool2d_host_backward(const struct layer *l, const struct model *m,
                                    const double *params, const double *x, const double *y,
                                    const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)params, (void)y, (void)grads;
    const struct pool_geom g = pool2d_geom(l);
    memset(dx, 0, (size_t)batch * l->in_size * sizeof *dx);
    EACH_CHOICE(g, x, batch, dx[in_plane + (size_t)at] += dy[o]);
}

#define MAXPOOL(sr, sc, tr, tc, pr, pc)                                                        \
    {.type = LAYER_MAXPOOL2D, .args = {.i = {sr, sc, tr, tc, pr, pc}}}
static const struct layer_example maxpool2d_examples[] = {
    {"2x2/2 (3, 8, 8)", 3, {3, 8, 8}, MAXPOOL(2, 2, 2, 2, 0, 0)},
    {"3x3/2 pad 1 (2, 7, 9): overlapping, not dividing", 3, {2, 7, 9}, MAXPOOL(3, 3, 2, 2, 1, 1)},
    {"3x2/1x3 pad 1x0 (2, 6, 11)", 3, {2, 6, 11}, MAXPOOL(3, 2, 1, 3, 1, 0)},
};

LAYER_KIND_DEFINE(maxpool2d, pool2d_infer, pool2d_describe, layer_no_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_MAXPOOL2D), false, maxpool2d_setup, layer_no_init,
                  maxpool2d_forward, maxpool2d_backward, maxpool2d_free, maxpool2d_host_forward,
                  maxpool2d_host_backward, maxpool2d_examples);
