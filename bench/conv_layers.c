/* Per-layer forward and backward times of the conv2d ops on the homework CNN at batch 100,
 * with the layouts training uses:
 *     build/bench/conv_layers [REPS]    (minimum over REPS runs, default 20) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ops/ops.h"
#include "util/status.h"
#include "config/experiment.h"

#include "bench.h"

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    struct runtime *rt;
    CK(runtime_open(&rt, "auto", NULL));
    const int L[3][11] = {{100, 1, 28, 28, 4, 5, 5, 1, 1, 2, 2},
                          {100, 4, 28, 28, 8, 5, 5, 2, 2, 2, 2},
                          {100, 8, 14, 14, 12, 4, 4, 2, 2, 1, 1}};
    double tot_f = 0, tot_b = 0;
    for (int l = 0; l < 3; l++) {
        const int *v = L[l];
        struct conv_geom g = {.c = v[1],
                              .h = v[2],
                              .w = v[3],
                              .k = v[4],
                              .r = v[5],
                              .s = v[6],
                              .stride_r = v[7],
                              .stride_c = v[8],
                              .pad_r = v[9],
                              .pad_c = v[10]};
        g.p = (g.h + 2 * g.pad_r - g.r) / g.stride_r + 1;
        g.q = (g.w + 2 * g.pad_c - g.s) / g.stride_c + 1;
        /* As in training: batch-minor tensors between the layers. */
        g.x_batch_minor = l > 0;
        g.y_batch_minor = l < 2;
        int B = v[0];
        size_t bp = op_conv2d_batch_stride(B);
        size_t nx = bp * g.c * g.h * g.w, ny = bp * g.k * g.p * g.q,
               np = (size_t)g.k * g.c * g.r * g.s + g.k;
        float *h = malloc((nx > ny ? nx : ny) * 4 + np * 4);
        for (size_t i = 0; i < nx + ny + np; i++)
            h[i % (nx > ny ? nx : ny)] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        cl_mem x, y, dy, dx, p, gr, work;
        CK(runtime_alloc(rt, &x, nx * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &dx, nx * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &y, ny * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &dy, ny * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &p, np * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &gr, np * 4, "a benchmark buffer"));
        size_t ws = op_conv2d_workspace(&g, B);
        CK(runtime_alloc(rt, &work, ws ? ws : 4, "a benchmark buffer"));
        CK(runtime_upload(rt, x, 0, h, nx * 4));
        CK(runtime_upload(rt, dy, 0, h, ny * 4));
        CK(runtime_upload(rt, p, 0, h, np * 4));
        size_t w_off = 0, b_off = np - g.k;
        for (int i = 0; i < 3; i++) {
            CK(op_conv2d_forward(rt, y, x, p, w_off, b_off, work, &g, B, ACTIVATION_RELU));
            CK(op_conv2d_backward(rt, dx, gr, w_off, b_off, x, y, dy, p, w_off, work, &g, B,
                                  ACTIVATION_RELU));
        }
        CK(runtime_finish(rt));
        double f = 1e9, b = 1e9, bn = 1e9;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            CK(op_conv2d_forward(rt, y, x, p, w_off, b_off, work, &g, B, ACTIVATION_RELU));
            CK(runtime_finish(rt));
            double t1 = now();
            CK(op_conv2d_backward(rt, dx, gr, w_off, b_off, x, y, dy, p, w_off, work, &g, B,
                                  ACTIVATION_RELU));
            CK(runtime_finish(rt));
            double t2 = now();
            CK(op_conv2d_backward(rt, NULL, gr, w_off, b_off, x, y, dy, p, w_off, work, &g, B,
                                  ACTIVATION_RELU));
            CK(runtime_finish(rt));
            double t3 = now();
            f = f < (t1 - t0) * 1e3 ? f : (t1 - t0) * 1e3;
            b = b < (t2 - t1) * 1e3 ? b : (t2 - t1) * 1e3;
            bn = bn < (t3 - t2) * 1e3 ? bn : (t3 - t2) * 1e3;
        }
        double flop = 2.0 * B * g.k * g.p * g.q * g.c * g.r * g.s;
        printf("layer %d: forward %.2f ms (%.1f GFLOP/s), backward %.2f ms = dz,db,dW %.2f + dx "
               "%.2f, fwd+bwd %.2f ms\n",
               l + 1, f, flop / f / 1e6, b, bn, b - bn, f + b);
        tot_f += f;
        tot_b += (l == 0 ? bn : b);
        runtime_free(x);
        runtime_free(dx);
        runtime_free(y);
        runtime_free(dy);
        runtime_free(p);
        runtime_free(gr);
        runtime_free(work);
        free(h);
    }
    printf("min of %d; network (layer 1 without dx): forward %.2f ms, backward %.2f ms, total %.2f "
           "ms\n",
           reps, tot_f, tot_b, tot_f + tot_b);
    runtime_close(rt);
    return 0;
}
