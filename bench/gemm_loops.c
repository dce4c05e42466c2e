/* The loops of cl/gemm.cl's tiles written in C with AVX-512 intrinsics, on one thread: what the
 * same loop order reaches outside PoCL (bench/RESULTS.md, session 14). Not built by meson (it
 * needs an AVX-512 compiler target); by hand:
 *     gcc -O2 -march=native bench/gemm_loops.c -o /tmp/gemm_loops
 *     /tmp/gemm_loops tile TM NV      one TM x 16*NV tile over k = 128, the data in L1
 *     /tmp/gemm_loops blocked N KB RT  100 x N x 784 A B, 32-column panels, RT row tiles of 10
 *                                      per panel, k in blocks of KB (784: gemm_nn_wide's order)
 *     /tmp/gemm_loops tn N             780 x N x 100 A^T B with the SGD update, 10 x 32 tiles
 * Prints GFLOP/s, the best of 20-30 timed repetitions. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TM_MAX 16
#define NV_MAX 6

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *filled(size_t n, int mod, float scale)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) exit(1);
    for (size_t i = 0; i < n; i++)
        p[i] = scale * (float)(i % (size_t)mod);
    return p;
}

/* acc (tm x nv vectors) += A[r][p] B[p][16 v ..] over p0 <= p < p1, A rows lda apart. */
static inline __attribute__((always_inline)) void tile_sums(__m512 acc[][NV_MAX], int tm, int nv, const float *a, int lda,
                             const float *b, int ldb, int p0, int p1)
{
    for (int p = p0; p < p1; p++) {
        __m512 bv[NV_MAX];
        for (int v = 0; v < nv; v++)
            bv[v] = _mm512_loadu_ps(b + (size_t)p * ldb + 16 * v);
#pragma GCC unroll 16
        for (int r = 0; r < tm; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * lda + p]);
#pragma GCC unroll 6
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
}

/* One tile, k = 128: the loop alone. tm and nv constant per instance, as in the kernels. */
#define TILE_FN(TM, NV)                                                                        \
    static __attribute__((noinline)) void tile_##TM##_##NV(const float *a, const float *b,     \
                                                            float *c)                          \
    {                                                                                          \
        __m512 acc[TM_MAX][NV_MAX];                                                            \
        for (int r = 0; r < TM; r++)                                                           \
            for (int v = 0; v < NV; v++)                                                       \
                acc[r][v] = _mm512_setzero_ps();                                               \
        tile_sums(acc, TM, NV, a, 784, b, 208, 0, 128);                                        \
        for (int r = 0; r < TM; r++)                                                           \
            for (int v = 0; v < NV; v++)                                                       \
                _mm512_storeu_ps(c + r * 96 + 16 * v, acc[r][v]);                              \
    }
TILE_FN(10, 2)
TILE_FN(12, 2)
TILE_FN(14, 2)
TILE_FN(8, 3)
TILE_FN(6, 4)
TILE_FN(4, 6)

static int run_tile(int tm, int nv)
{
    void (*fn)(const float *, const float *, float *) =
        tm == 10 && nv == 2   ? tile_10_2
        : tm == 12 && nv == 2 ? tile_12_2
        : tm == 14 && nv == 2 ? tile_14_2
        : tm == 8 && nv == 3  ? tile_8_3
        : tm == 6 && nv == 4  ? tile_6_4
        : tm == 4 && nv == 6  ? tile_4_6
                              : NULL;
    if (!fn) {
        fprintf(stderr, "gemm_loops tile: TM NV one of 10 2, 12 2, 14 2, 8 3, 6 4, 4 6\n");
        return 2;
    }
    float *a = filled(784 * 16, 7, 1e-3f), *b = filled(208 * 128, 5, 1e-3f), c[TM_MAX * 96];
    double best = 1e9;
    for (int rep = 0; rep < 20; rep++) {
        double t = now();
        for (int i = 0; i < 2000; i++)
            fn(a, b, c);
        t = now() - t;
        best = t < best ? t : best;
    }
    double gf = 2.0 * tm * 16 * nv * 128 * 2000 / best * 1e-9;
    printf("tile %d x %d, k 128: %.1f GFLOP/s (c %g)\n", tm, 16 * nv, gf, c[5]);
    free(a);
    free(b);
    return 0;
}

/* C (100, n) = A (100, 784) B (784, ldb = n + 8): panels of 32 columns, rt row tiles each, k
 * in blocks of kb, each tile's sums in order from k = 0 (the panel's last 8 columns of n not
 * multiple of 32 are left out, as gemm_nn_wide's narrow last panel differs). */
static int run_blocked(int n, int kb, int rt)
{
    const int m = 100, k = 784, ldb = n + 8, tiles = m / 10;
    if (n < 32 || kb < 1 || rt < 1 || rt > tiles) {
        fprintf(stderr, "gemm_loops blocked: N >= 32, KB >= 1, 1 <= RT <= 10\n");
        return 2;
    }
    float *a = filled((size_t)m * k, 255, 1.0f / 255), *b = filled((size_t)k * ldb, 13, 1e-3f);
    float *c = filled((size_t)m * n, 1, 0.0f);
    __m512(*part)[TM_MAX][NV_MAX] = aligned_alloc(64, sizeof *part * (size_t)rt);
    double best = 1e9;
    for (int rep = 0; rep < 30; rep++) {
        double t = now();
        for (int j0 = 0; j0 + 32 <= n; j0 += 32)
            for (int t0 = 0; t0 < tiles; t0 += rt) {
                int nt = t0 + rt <= tiles ? rt : tiles - t0;
                memset(part, 0, sizeof *part * (size_t)rt);
                for (int p0 = 0; p0 < k; p0 += kb)
                    for (int q = 0; q < nt; q++)
                        tile_sums(part[q], 10, 2, a + (size_t)(t0 + q) * 10 * k, k, b + j0, ldb,
                                  p0, p0 + kb < k ? p0 + kb : k);
                for (int q = 0; q < nt; q++)
                    for (int r = 0; r < 10; r++)
                        for (int v = 0; v < 2; v++)
                            _mm512_storeu_ps(c + (size_t)((t0 + q) * 10 + r) * n + j0 + 16 * v,
                                             part[q][r][v]);
            }
        t = now() - t;
        best = t < best ? t : best;
    }
    int cols = n / 32 * 32;
    printf("blocked 100 x %d x 784, k blocks %d, %d row tiles: %.3f ms %.1f GFLOP/s\n", cols,
           kb, rt, best * 1e3, 2.0 * m * cols * k / best * 1e-9);
    free(a);
    free(b);
    free(c);
    free(part);
    return 0;
}

/* W (780, n) -= lr X^T dZ: X (100, 780), dZ (100, n); 10 x 32 tiles, the panels inner (as the
 * PoCL work-groups run them), each tile's A^T rows 10 consecutive floats of a row of X. */
static int run_tn(int n)
{
    const int m = 780, k = 100;
    if (n < 32) {
        fprintf(stderr, "gemm_loops tn: N >= 32\n");
        return 2;
    }
    float *x = filled((size_t)k * m, 255, 1.0f / 255), *d = filled((size_t)k * n, 13, 1e-3f);
    float *w = filled((size_t)m * n, 1, 0.0f);
    const __m512 lr = _mm512_set1_ps(-1e-6f);
    double best = 1e9;
    for (int rep = 0; rep < 30; rep++) {
        double t = now();
        for (int i0 = 0; i0 + 10 <= m; i0 += 10)
            for (int j0 = 0; j0 + 32 <= n; j0 += 32) {
                __m512 acc[TM_MAX][NV_MAX];
                for (int r = 0; r < 10; r++)
                    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
                /* A^T's tile row p is x[p][i0 ..], contiguous: lda 1 in tile_sums' terms */
                for (int p = 0; p < k; p++) {
                    const float *ap = x + (size_t)p * m + i0;
                    __m512 b0 = _mm512_loadu_ps(d + (size_t)p * n + j0);
                    __m512 b1 = _mm512_loadu_ps(d + (size_t)p * n + j0 + 16);
#pragma GCC unroll 10
                    for (int r = 0; r < 10; r++) {
                        __m512 av = _mm512_set1_ps(ap[r]);
                        acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
                        acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
                    }
                }
                for (int r = 0; r < 10; r++)
                    for (int v = 0; v < 2; v++) {
                        float *wp = w + (size_t)(i0 + r) * n + j0 + 16 * v;
                        _mm512_storeu_ps(wp, _mm512_fmadd_ps(lr, acc[r][v], _mm512_loadu_ps(wp)));
                    }
            }
        t = now() - t;
        best = t < best ? t : best;
    }
    int cols = n / 32 * 32;
    printf("tn 780 x %d x 100 with the SGD update: %.3f ms %.1f GFLOP/s\n", cols, best * 1e3,
           2.0 * m * cols * k / best * 1e-9);
    free(x);
    free(d);
    free(w);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "tile"))
        return run_tile(atoi(argv[2]), atoi(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "blocked"))
        return run_blocked(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if (argc == 3 && !strcmp(argv[1], "tn"))
        return run_tn(atoi(argv[2]));
    fprintf(stderr, "usage: gemm_loops tile TM NV | blocked N KB RT | tn N\n");
    return 2;
}
