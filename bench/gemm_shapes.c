/* GFLOP/s of both GEMM implementations (op_gemm_own, op_gemm_clblast) at the dense layers'
 * shapes, warm: REPS times, BACK_TO_BACK calls enqueued back to back (as training enqueues its
 * launches) and one clFinish; the median of the REPS per-call times:
 *     build/bench/gemm_shapes [--json] [REPS]    (default 20)
 * --json: one JSON object per line, per shape and implementation (what bench/gemm_blas.py
 * reads); otherwise one text line per shape. Shapes as src/layers/dense.c runs them at batch
 * B = 100: forward y = x W (nn, M=B N=O K=I), dW = x^T dz (tn, M=I N=O K=B), and dx = dz W^T,
 * which on CPU devices (the own GEMM) is a transpose of W then nn (M=B N=I K=O), nt timed
 * beside it; the first layer computes no dx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACK_TO_BACK 10

#include "ops/ops.h"
#include "util/status.h"

#include "bench.h"

typedef int (*gemm_fn)(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                       float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
                       int ldb, float beta, cl_mem c, size_t c_off, int ldc);

/* s as a JSON string. */
static void json_string_out(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    int reps = 20;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if ((reps = atoi(argv[i])) < 1) {
            fprintf(stderr, "gemm_shapes: %s: want --json or a number of repetitions >= 1\n",
                    argv[i]);
            return 2;
        }
    }
    struct runtime *rt;
    CK(runtime_open(&rt, runtime_device_spec(NULL, NULL), NULL));
    static const struct {
        bool ta, tb;
        int m, n, k;
        const char *what;
    } shapes[] = {
        {false, false, 100, 200, 784, "forward X W, B=100 I=784 O=200"},
        {true, false, 784, 200, 100, "dW = X^T dZ"},
        {false, true, 100, 784, 200, "dX = dZ W^T as nt, I=784 O=200"},
        {false, false, 100, 10, 200, "forward, I=200 O=10"},
        {true, false, 200, 10, 100, "dW, I=200 O=10"},
        {false, false, 100, 200, 10, "dX = dZ (W^T), I=200 O=10, after a transpose"},
        {false, false, 100, 750, 784, "forward, I=784 O=750"},
        {true, false, 784, 750, 100, "dW, I=784 O=750"},
    };
    static const struct {
        const char *name;
        gemm_fn fn;
    } impls[] = {{"own", op_gemm_own}, {"clblast", op_gemm_clblast}};
    double *t = malloc((size_t)reps * sizeof *t);
    const char *device = runtime_device(rt)->name;
    if (!json)
        printf("device: %s; median of %d warm batches of %d calls\n", device, reps, BACK_TO_BACK);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        bool ta = shapes[s].ta, tb = shapes[s].tb;
        int m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
        float *h = malloc((na + nb + nc) * sizeof *h);
        for (size_t i = 0; i < na + nb + nc; i++)
            h[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        cl_mem a, b, c;
        CK(runtime_alloc(rt, &a, na * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &b, nb * 4, "a benchmark buffer"));
        CK(runtime_alloc(rt, &c, nc * 4, "a benchmark buffer"));
        CK(runtime_upload(rt, a, 0, h, na * 4));
        CK(runtime_upload(rt, b, 0, h + na, nb * 4));
        int lda = ta ? m : k, ldb = tb ? k : n;
        char shape[160];
        snprintf(shape, sizeof shape, "%s%s M=%d N=%d K=%d (%s)", ta ? "T" : "N", tb ? "T" : "N",
                 m, n, k, shapes[s].what);
        if (!json)
            printf("%s%s M=%4d N=%4d K=%4d (%s):", ta ? "T" : "N", tb ? "T" : "N", m, n, k,
                   shapes[s].what);
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            for (int w = 0; w < 3; w++)
                CK(impls[i].fn(rt, ta, tb, m, n, k, 1.0f, a, 0, lda, b, 0, ldb, 0.0f, c, 0, n));
            CK(runtime_finish(rt));
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                for (int j = 0; j < BACK_TO_BACK; j++)
                    CK(impls[i].fn(rt, ta, tb, m, n, k, 1.0f, a, 0, lda, b, 0, ldb, 0.0f, c, 0,
                                   n));
                CK(runtime_finish(rt));
                t[r] = (now() - t0) / BACK_TO_BACK;
            }
            qsort(t, (size_t)reps, sizeof *t, cmp_double);
            double med = t[reps / 2], gflops = 2.0 * m * n * k / med * 1e-9;
            if (json) {
                printf("{\"shape\": ");
                json_string_out(shape);
                printf(", \"m\": %d, \"n\": %d, \"k\": %d, \"trans_a\": %s, \"trans_b\": %s, "
                       "\"impl\": \"%s\", \"median_ms\": %.4f, \"gflops\": %.2f, "
                       "\"reps\": %d, \"device\": ",
                       m, n, k, ta ? "true" : "false", tb ? "true" : "false", impls[i].name,
                       med * 1e3, gflops, reps);
                json_string_out(device);
                printf("}\n");
            } else
                printf("  %s %.3f ms %.1f GFLOP/s", impls[i].name, med * 1e3, gflops);
        }
        if (!json)
            printf("\n");
        runtime_free(a);
        runtime_free(b);
        runtime_free(c);
        free(h);
    }
    free(t);
    runtime_close(rt);
    return 0;
}
