/* Host references of the convolution and dropout ops (ref.h): direct loops in the definition's
 * own terms (each output as a sum over its window, each gradient as a sum over the outputs it
 * feeds), double accumulation, no speed tricks. */
#include <stddef.h>

#include "ops/ops.h"
#include "ops/ref.h"
#include "util/rng.h"

/* x[b, c, h, w] for h, w possibly in the zero padding. */
static double input_at(const float *x, const struct conv_geom *g, int b, int c, int h, int w)
{
    if (h < 0 || h >= g->h || w < 0 || w >= g->w)
        return 0.0;
    return x[(((size_t)b * g->c + c) * g->h + h) * g->w + w];
}

static size_t out_index(const struct conv_geom *g, int b, int k, int p, int q)
{
    return (((size_t)b * g->k + k) * g->p + p) * g->q + q;
}

static size_t weight_index(const struct conv_geom *g, int k, int c, int r, int s)
{
    return (((size_t)k * g->c + c) * g->r + r) * g->s + s;
}

void ref_conv2d_forward(float *y, const float *x, const float *w, const float *bias,
                        const struct conv_geom *g, int batch, int act)
{
    for (int b = 0; b < batch; b++)
        for (int k = 0; k < g->k; k++)
            for (int p = 0; p < g->p; p++)
                for (int q = 0; q < g->q; q++) {
                    double sum = 0.0;
                    for (int c = 0; c < g->c; c++)
                        for (int r = 0; r < g->r; r++)
                            for (int s = 0; s < g->s; s++)
                                sum += input_at(x, g, b, c, p * g->stride_r - g->pad_r + r,
                                                q * g->stride_c - g->pad_c + s) *
                                       (double)w[weight_index(g, k, c, r, s)];
                    y[out_index(g, b, k, p, q)] = ref_act_value((float)(sum + bias[k]), act);
                }
}

void ref_conv2d_backward(float *dx, float *dw, float *db, const float *x, const float *y,
                         float *dy, const float *w, const struct conv_geom *g, int batch,
                         int act)
{
    const size_t n_out = (size_t)batch * g->k * g->p * g->q;
    for (size_t i = 0; i < n_out; i++)
        dy[i] = ref_act_gradient(dy[i], y[i], act);
    for (int k = 0; k < g->k; k++) {
        double sum = 0.0;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < g->p; p++)
                for (int q = 0; q < g->q; q++)
                    sum += dy[out_index(g, b, k, p, q)];
        db[k] = (float)sum;
        for (int c = 0; c < g->c; c++)
            for (int r = 0; r < g->r; r++)
                for (int s = 0; s < g->s; s++) {
                    sum = 0.0;
                    for (int b = 0; b < batch; b++)
                        for (int p = 0; p < g->p; p++)
                            for (int q = 0; q < g->q; q++)
                                sum += (double)dy[out_index(g, b, k, p, q)] *
                                       input_at(x, g, b, c, p * g->stride_r - g->pad_r + r,
                                                q * g->stride_c - g->pad_c + s);
                    dw[weight_index(g, k, c, r, s)] = (float)sum;
                }
    }
    if (!dx)
        return;
    /* dx[b, c, h, w] = sum of dz[b, k, p, q] w[k, c, r, s] over h = p*stride_r - pad_r + r,
     * v = q*stride_c - pad_c + s. */
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < g->c; c++)
            for (int h = 0; h < g->h; h++)
                for (int v = 0; v < g->w; v++) {
                    double sum = 0.0;
                    for (int k = 0; k < g->k; k++)
                        for (int r = 0; r < g->r; r++)
                            for (int s = 0; s < g->s; s++) {
                                int ph = h + g->pad_r - r, qw = v + g->pad_c - s;
                                if (ph < 0 || qw < 0 || ph % g->stride_r || qw % g->stride_c)
                                    continue;
                                int p = ph / g->stride_r, q = qw / g->stride_c;
                                if (p < g->p && q < g->q)
                                    sum += (double)dy[out_index(g, b, k, p, q)] *
                                           (double)w[weight_index(g, k, c, r, s)];
                            }
                    dx[(((size_t)b * g->c + c) * g->h + h) * g->w + v] = (float)sum;
                }
}

static void dropout(float *out, const float *in, size_t n, uint64_t first, float p,
                    uint64_t seed, uint64_t iteration)
{
    const float scale = p < 1.0f ? 1.0f / (float)(1.0 - (double)p) : 0.0f;
    for (size_t i = 0; i < n; i++) {
        bool keep = (double)rng_hash3(seed, iteration, first + i) >= (double)p * 4294967296.0;
        out[i] = keep ? in[i] * scale : 0.0f;
    }
}

void ref_dropout_forward(float *y, const float *x, size_t n, uint64_t first, float p,
                         uint64_t seed, uint64_t iteration)
{
    dropout(y, x, n, first, p, seed, iteration);
}

void ref_dropout_backward(float *dx, const float *dy, size_t n, uint64_t first, float p,
                          uint64_t seed, uint64_t iteration)
{
    dropout(dx, dy, n, first, p, seed, iteration);
}
