/* What the pooling kinds (maxpool2d.c, avgpool2d.c) share: their keys (size, stride, pad, in
 * layer_spec.args), the shape rule, the geometry and the launch of their kernels. Windows as
 * PyTorch's MaxPool2d and AvgPool2d (ceil_mode false): output floor((H + 2 pad - size) /
 * stride) + 1, stride defaulting to the size, pad at most half the size, so that every window
 * holds at least one input value. Tensors are NCHW, batch-major. */
#ifndef CLNET_LAYERS_POOL2D_H
#define CLNET_LAYERS_POOL2D_H

#include "layers/layer.h"

/* The pair slots of the keys in layer_spec.args.i: size, stride, pad, each (rows, cols). */
enum { POOL_SIZE = 0, POOL_STRIDE = 2, POOL_PAD = 4 };

/* One window geometry: c channels of h x w in, p x q out, windows r x s. */
struct pool_geom {
    int c, h, w, p, q, r, s, stride_r, stride_c, pad_r, pad_c;
};

extern const struct table pool2d_table; /* {size, stride, pad}, base: struct layer_spec */

int pool2d_infer(struct layer_shape *ls, const struct experiment *e, int i);
/* "maxpool2d 2x2/2 pad 0": the kind's name, size, stride, pad. */
void pool2d_describe(char *buf, size_t n, const struct layer_spec *s);
struct pool_geom pool2d_geom(const struct layer *l);
/* y (B, O) and, above the first layer, dx (B, I). */
int pool2d_setup(struct layer *l, struct model *m, int max_batch);

/* Sets kernel id's arguments (out, in, c * batch, h, w, p, q, r, s, stride and pad rows and
 * cols, then aux unless it is NULL) and launches it over n work-items. */
int pool2d_launch(struct runtime *rt, enum kernel_id id, cl_mem out, cl_mem in, cl_mem aux,
                  const struct pool_geom *g, int batch, size_t n);

/* The input rows (or cols) [*lo, *hi) of output row o: its window clipped to the input. */
void pool2d_span(int o, int stride, int pad, int size, int n, int *lo, int *hi);

#endif
