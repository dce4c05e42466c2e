/* avgpool2d: y = the mean of each window of x, per channel, as PyTorch's AvgPool2d with
 * count_include_pad (the default): the window's sum over its size, padding counting as zeros
 * (size, stride defaulting to the size, pad at most half the size; layers/pool2d.h). The
 * backward gives every input of a window dy / size, summing over the windows that hold it in
 * output order (cl/avgpool2d.cl). No parameters. */
#include "layers/pool2d.h"

#include <string.h>

#include "config/schema.h"
#include "model/model.h"
#include "util/status.h"

const struct field layer_schema_avgpool2d = {
    .key = "avgpool2d", .type = FT_MAP, .table = &pool2d_table,
    .doc = "average pooling: the mean of each window, padding counted as zeros"};

static int avgpool2d_forward(struct layer *l, struct model *m, cl_mem *y, cl_mem x, int batch,
                             bool train)
{
    (void)train;
    const struct pool_geom g = pool2d_geom(l);
    *y = l->y;
    return pool2d_launch(m->rt, KERNEL_AVGPOOL2D_FORWARD, l->y, x, NULL, &g, batch,
                         (size_t)batch * l->out_size);
}

static int avgpool2d_backward(struct layer *l, struct model *m, cl_mem *dx, cl_mem x, cl_mem dy,
                              int batch, bool need_dx)
{
    (void)x;
    if (!need_dx)
        return CLNET_OK;
    const struct pool_geom g = pool2d_geom(l);
    *dx = l->dx;
    return pool2d_launch(m->rt, KERNEL_AVGPOOL2D_BACKWARD, l->dx, dy, NULL, &g, batch,
                         (size_t)batch * l->in_size);
}

/* Calls BODY for every input (plane, i, j) of every output o's window, with the input's
 * index xi, in the order of the forward's sum. */
#define EACH_TAP(g, batch, BODY)                                                               \
    for (size_t plane = 0, o = 0; plane < (size_t)(batch) * (size_t)(g).c; plane++)            \
        for (int row = 0; row < (g).p; row++)                                                  \
            for (int col = 0; col < (g).q; col++, o++) {                                       \
                int r0, r1, c0, c1;                                                            \
                pool2d_span(row, (g).stride_r, (g).pad_r, (g).r, (g).h, &r0, &r1);             \
                pool2d_span(col, (g).stride_c, (g).pad_c, (g).s, (g).w, &c0, &c1);             \
                for (int i = r0; i < r1; i++)                                                  \
                    for (int j = c0; j < c1; j++) {                                            \
                        const size_t xi = (plane * (size_t)(g).h + (size_t)i) * (size_t)(g).w + \
                                          (size_t)j;                                           \
                        BODY;                                                                  \
                    }                                                                          \
            }

static void avgpool2d_host_forward(const struct layer *l, const struct model *m,
                                   const double *params, double *state, const double *x, double *y,
                                   int batch, bool train, int32_t *branch)
{
    (void)m, (void)params, (void)branch, (void)state, (void)train;
    const struct pool_geom g = pool2d_geom(l);
    const double size = (double)g.r * g.s;
    memset(y, 0, (size_t)batch * l->out_size * sizeof *y);
    EACH_TAP(g, batch, y[o] += x[xi]);
    for (size_t o = 0; o < (size_t)batch * l->out_size; o++)
        y[o] /= size;
}

static void avgpool2d_host_backward(const struct layer *l, const struct model *m,
                                    const double *params, const double *x, const double *y,
                                    const double *dy, double *dx, double *grads, int batch)
{
    (void)m, (void)params, (void)x, (void)y, (void)grads;
    const struct pool_geom g = pool2d_geom(l);
    const double size = (double)g.r * g.s;
    memset(dx, 0, (size_t)batch * l->in_size * sizeof *dx);
    EACH_TAP(g, batch, dx[xi] += dy[o] / size);
}

#define AVGPOOL(sr, sc, tr, tc, pr, pc)                                                        \
    {.type = LAYER_AVGPOOL2D, .args = {.i = {sr, sc, tr, tc, pr, pc}}}
static const struct layer_example avgpool2d_examples[] = {
    {"2x2/2 (3, 8, 8)", 3, {3, 8, 8}, AVGPOOL(2, 2, 2, 2, 0, 0)},
    {"3x3/2 pad 1 (2, 7, 9): overlapping, not dividing", 3, {2, 7, 9}, AVGPOOL(3, 3, 2, 2, 1, 1)},
    {"3x2/1x3 pad 1x0 (2, 6, 11)", 3, {2, 6, 11}, AVGPOOL(3, 2, 1, 3, 1, 0)},
};

LAYER_KIND_DEFINE(avgpool2d, pool2d_infer, pool2d_describe, layer_no_param, layer_no_state,
                  RUNTIME_PROGRAM(PROGRAM_AVGPOOL2D), false, pool2d_setup, layer_no_init,
                  avgpool2d_forward, avgpool2d_backward, layer_free_outputs,
                  avgpool2d_host_forward, avgpool2d_host_backward, avgpool2d_examples);
