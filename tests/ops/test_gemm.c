/* Both GEMM implementations (op_gemm_own, op_gemm_clblast) against ref_gemm: all four
 * transpose combinations on shapes with odd sizes (1, 3, 7, 127, 1000; and 13 x 777 x 700,
 * whose B exceeds a core's L2) and random ones, the
 * dense layers' products, offsets into larger buffers, padded row strides, beta 0 (over NaN),
 * 1 and -0.5. Error is norm-wise: ||C - Cref|| / ||Cref|| < 1e-5; the own kernels must also
 * give the same bits when run twice. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/experiment.h"
#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

typedef int (*gemm_fn)(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                       float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
                       int ldb, float beta, cl_mem c, size_t c_off, int ldc);

static const struct {
    const char *name;
    gemm_fn fn;
} impls[] = {{"own", op_gemm_own}, {"clblast", op_gemm_clblast}};
#define N_IMPLS ((int)(sizeof impls / sizeof impls[0]))

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One product through implementation impl on the device and on the host. Each matrix sits at
 * a random offset inside its own buffer with pad extra floats per row; the floats around it
 * must come back untouched. With beta 0 the C matrix starts as NaN. */
static void check_gemm(int impl, uint64_t *seed, bool ta, bool tb, int m, int n, int k, float alpha,
                       float beta, int pad)
{
    const char *iname = impls[impl].name;
    int a_rows = ta ? k : m, a_cols = ta ? m : k;
    int b_rows = tb ? n : k, b_cols = tb ? k : n;
    int lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
    size_t a_off = ops_random(seed) % 17, b_off = ops_random(seed) % 17,
           c_off = ops_random(seed) % 17;
    size_t a_len = a_off + (size_t)a_rows * lda + 5, b_len = b_off + (size_t)b_rows * ldb + 5,
           c_len = c_off + (size_t)m * ldc + 5;
    float *a = ops_random_floats(seed, a_len, 1.0f), *b = ops_random_floats(seed, b_len, 1.0f);
    float *c = ops_random_floats(seed, c_len, 1.0f);
    if (beta == 0.0f)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[c_off + (size_t)i * ldc + j] = NAN;
    cl_mem ma = ops_buffer(a, a_len * sizeof *a), mb = ops_buffer(b, b_len * sizeof *b),
           mc = ops_buffer(c, c_len * sizeof *c);
    int status = impls[impl].fn(ops_rt, ta, tb, m, n, k, alpha, ma, a_off, lda, mb, b_off, ldb,
                                beta, mc, c_off, ldc);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    float *got = ops_download(mc, 0, c_len);
    if (beta == 0.0f && impls[impl].fn == op_gemm_own) { /* deterministic: same bits again */
        ck_assert_int_eq(op_gemm_own(ops_rt, ta, tb, m, n, k, alpha, ma, a_off, lda, mb, b_off, ldb,
                                     beta, mc, c_off, ldc),
                         0);
        float *again = ops_download(mc, 0, c_len);
        ck_assert_msg(ops_first_difference(again, got, c_len) < 0,
                      "gemm own %s%s M=%d N=%d K=%d: a second run differs at C[%ld]",
                      ta ? "T" : "N", tb ? "T" : "N", m, n, k,
                      ops_first_difference(again, got, c_len));
        free(again);
    }
    ref_gemm(ta, tb, m, n, k, alpha, a + a_off, lda, b + b_off, ldb, beta, c + c_off, ldc);

    double diff = 0.0, norm = 0.0;
    long first = -1;
    for (size_t i = 0; i < c_len; i++) {
        bool inside = i >= c_off && (i - c_off) / (size_t)ldc < (size_t)m &&
                      (i - c_off) % (size_t)ldc < (size_t)n;
        if (!inside) {
            ck_assert_msg(got[i] == c[i],
                          "gemm %s %s%s M=%d N=%d K=%d: C[%zu] outside the matrix "
                          "changed: %.9g, was %.9g",
                          iname, ta ? "T" : "N", tb ? "T" : "N", m, n, k, i, (double)got[i],
                          (double)c[i]);
            continue;
        }
        double d = (double)got[i] - (double)c[i];
        diff += d * d;
        norm += (double)c[i] * (double)c[i];
        if (first < 0 && fabs(d) > 1e-5 * fabs((double)c[i]) + 1e-6) first = (long)i;
    }
    double rel = sqrt(diff) / (norm > 0.0 ? sqrt(norm) : 1.0);
    ck_assert_msg(rel < 1e-5, /* false for NaN too */
                  "gemm %s %s%s M=%d N=%d K=%d lda=%d ldb=%d ldc=%d offsets %zu %zu %zu alpha "
                  "%g beta %g: relative error %.3g; first differing C[%ld] = %.9g, host %.9g",
                  iname, ta ? "T" : "N", tb ? "T" : "N", m, n, k, lda, ldb, ldc, a_off, b_off,
                  c_off, (double)alpha, (double)beta, rel, first,
                  first >= 0 ? (double)got[first] : 0.0, first >= 0 ? (double)c[first] : 0.0);
    free(a);
    free(b);
    free(c);
    free(got);
    runtime_free(ma);
    runtime_free(mb);
    runtime_free(mc);
}

START_TEST(gemm_transposes_odd_shapes)
{
    static const int shapes[][3] = {
        {1, 1, 1},      {3, 7, 1},    {7, 1, 3},      {1, 127, 7},    {127, 3, 7},
        {3, 127, 1000}, {1000, 7, 3}, {7, 1000, 127}, {100, 10, 200}, {13, 777, 700},
    };
    uint64_t seed = 0x243f6a8885a308d3u;
    for (int impl = 0; impl < N_IMPLS; impl++)
        for (int t = 0; t < 4; t++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                static const float betas[3] = {0.0f, 1.0f, -0.5f};
                float alpha = s % 2 ? 1.0f : 0.75f, beta = betas[s % 3];
                check_gemm(impl, &seed, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2],
                           alpha, beta, (int)(s % 3));
            }
}
END_TEST

/* Random sizes around the own kernels' tile edges (10 x 32, 12 x 16 and 5 x 4 tiles, k in steps of
 * 8), every transpose, both implementations on the same cases. */
START_TEST(gemm_random_shapes)
{
    static const int sizes[] = {1,  2,  3,  4,  5,  6,  7,  9,   10,  11, 13, 15,
                                16, 17, 31, 32, 33, 47, 63, 64,  65,  100, 127, 200};
    const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
    uint64_t seed = 0xa4093822299f31d0u;
    for (int c = 0; c < 24; c++) {
        int m = sizes[ops_random(&seed) % (uint64_t)n_sizes];
        int n = sizes[ops_random(&seed) % (uint64_t)n_sizes];
        int k = sizes[ops_random(&seed) % (uint64_t)n_sizes];
        int t = c % 4, pad = (int)(ops_random(&seed) % 4);
        float beta = c % 3 == 0 ? 0.0f : 0.25f;
        for (int impl = 0; impl < N_IMPLS; impl++) {
            uint64_t s = seed;
            check_gemm(impl, &s, t & 1, t & 2, m, n, k, 1.5f, beta, pad);
        }
        ops_random(&seed);
    }
}
END_TEST

/* Every tile path of the own A B and A^T B kernels (ops/gemm.c picks one kernel per N): narrow
 * (N <= 16), guarded (16 < N < 32), wide (N >= 32) with whole tiles only (N a multiple of 32),
 * a shifted last tile of 32 columns, or of 16 where at most 16 are left (40, 48, 200); at the
 * paths' boundaries, M not a multiple of the tiles' 10 or 12 rows,
 * beta 0 (over NaN) and -0.5. */
START_TEST(gemm_every_tile_path)
{
    static const int ns[] = {1, 16, 17, 31, 32, 33, 40, 48, 64, 95, 200};
    uint64_t seed = 0x3f84d5b5b5470917u;
    for (int ta = 0; ta < 2; ta++)
        for (int i = 0; i < (int)(sizeof ns / sizeof ns[0]); i++)
            check_gemm(0 /* own */, &seed, ta, false, 13 + 2 * i, ns[i], 9 + 5 * i, 0.75f,
                       i % 2 ? -0.5f : 0.0f, i % 3);
}
END_TEST

/* The first n floats of two buffers are the same bits. */
static void assert_same_bits(cl_mem got_buf, cl_mem want_buf, size_t n, const char *step,
                             const char *what)
{
    float *got = ops_download(got_buf, 0, n), *want = ops_download(want_buf, 0, n);
    long at = ops_first_difference(got, want, n);
    ck_assert_msg(at < 0, "%s %s: differs at %ld (%.9g, separate kernels %.9g)", step, what, at,
                  at >= 0 ? (double)got[at] : 0.0, at >= 0 ? (double)want[at] : 0.0);
    free(got);
    free(want);
}

/* op_gemm_own_epi's epilogues give the same bits as the separate kernels they replace in a
 * dense layer (op_gemm_own, then op_bias_act_forward / op_act_backward; op_bias_act_backward's
 * column sums), on every tile path (N = 1..200) and every activation. */
static void check_epilogues(uint64_t *seed, int m, int n, int k, int act)
{
    const size_t off = 3; /* the operands sit at an offset in their buffers */
    float *a = ops_random_floats(seed, off + (size_t)m * k, 1.0f);
    float *at = ops_random_floats(seed, off + (size_t)k * m, 1.0f);
    float *b = ops_random_floats(seed, off + (size_t)k * n, 1.0f);
    float *bias = ops_random_floats(seed, off + (size_t)n, 1.0f);
    float *y = ops_random_floats(seed, (size_t)m * n, 1.0f);
    for (size_t i = 0; i < (size_t)m * n; i++) /* an activation's output: relu's zeros too */
        y[i] = act == ACTIVATION_RELU && i % 3 == 0 ? 0.0f : 0.5f + 0.5f * y[i];
    cl_mem ma = ops_buffer(a, (off + (size_t)m * k) * sizeof *a);
    cl_mem mat = ops_buffer(at, (off + (size_t)k * m) * sizeof *at);
    cl_mem mb = ops_buffer(b, (off + (size_t)k * n) * sizeof *b);
    cl_mem mbias = ops_buffer(bias, (off + (size_t)n) * sizeof *bias);
    cl_mem my = ops_buffer(y, (size_t)m * n * sizeof *y);
    cl_mem fused = ops_buffer(y, (size_t)m * n * sizeof *y);
    cl_mem sep = ops_buffer(y, (size_t)m * n * sizeof *y);
    size_t cn = (size_t)m * n;
    char what[96];
    snprintf(what, sizeof what, "M=%d N=%d K=%d act %d", m, n, k, act);

    /* forward: act(A B + bias) */
    struct gemm_epilogue e = {.kind = GEMM_EPI_BIAS_ACT, .buf = mbias, .off = off, .act = act};
    ck_assert_int_eq(op_gemm_own_epi(ops_rt, false, false, m, n, k, 1.0f, ma, off, k, mb, off, n,
                                     0.0f, fused, 0, n, &e), 0);
    ck_assert_int_eq(op_gemm_own(ops_rt, false, false, m, n, k, 1.0f, ma, off, k, mb, off, n, 0.0f,
                                 sep, 0, n), 0);
    ck_assert_int_eq(op_bias_act_forward(ops_rt, sep, mbias, off, m, n, act), 0);
    assert_same_bits(fused, sep, cn, "bias+act", what);

    /* dx with act': (A B) * act'(y), then through B^T (gemm_nt), B^T stored (N, K) */
    float *bt = ops_random_floats(seed, (size_t)n * k, 1.0f);
    cl_mem mbt = ops_buffer(bt, (size_t)n * k * sizeof *bt);
    for (int tb = 0; tb < 2; tb++) {
        cl_mem mbx = tb ? mbt : mb;
        size_t bo = tb ? 0 : off;
        int ldb = tb ? k : n;
        e = (struct gemm_epilogue){.kind = GEMM_EPI_ACT_GRAD, .buf = my, .ld = n, .act = act};
        ck_assert_int_eq(op_gemm_own_epi(ops_rt, false, tb, m, n, k, 1.0f, ma, off, k, mbx, bo,
                                         ldb, 0.0f, fused, 0, n, &e), 0);
        ck_assert_int_eq(op_gemm_own(ops_rt, false, tb, m, n, k, 1.0f, ma, off, k, mbx, bo, ldb,
                                     0.0f, sep, 0, n), 0);
        ck_assert_int_eq(op_act_backward(ops_rt, sep, my, sep, cn, act), 0);
        assert_same_bits(fused, sep, cn, tb ? "nt act'" : "act'", what);
    }
    free(bt);
    runtime_free(mbt);

    /* dW = A^T B with db = column sums of B, into one arena [dW ((M-1) x N); db (N)] as a
     * dense layer's; B from offset 0 here, as op_bias_act_backward takes its dy */
    cl_mem grads = ops_buffer(y, cn * sizeof *y), grads2 = ops_buffer(y, cn * sizeof *y);
    cl_mem b0 = ops_buffer(b + off, (size_t)k * n * sizeof *b);
    cl_mem dz = ops_buffer(b + off, (size_t)k * n * sizeof *b);
    int mw = m - 1;
    e = (struct gemm_epilogue){.kind = GEMM_EPI_COLSUM, .buf = grads, .off = (size_t)mw * n};
    ck_assert_int_eq(op_gemm_own_epi(ops_rt, true, false, mw, n, k, 1.0f, mat, off, m, b0, 0, n,
                                     0.0f, grads, 0, n, &e), 0);
    ck_assert_int_eq(op_bias_act_backward(ops_rt, dz, grads2, (size_t)mw * n, b0, b0, k, n,
                                          ACTIVATION_IDENTITY), 0);
    ck_assert_int_eq(op_gemm_own(ops_rt, true, false, mw, n, k, 1.0f, mat, off, m, b0, 0, n, 0.0f,
                                 grads2, 0, n), 0);
    assert_same_bits(grads, grads2, cn, "dW+db", what);

    /* An SGD step in the same launch: [W; b] += -lr [dW; db] against op_sgd_update with the
     * gradients just checked (grads2) */
    const float lr = 0.0625f + 0.001f * (float)act;
    cl_mem w1 = ops_buffer(y, cn * sizeof *y), w2 = ops_buffer(y, cn * sizeof *y);
    e = (struct gemm_epilogue){.kind = GEMM_EPI_COLSUM, .buf = w1, .off = (size_t)mw * n};
    ck_assert_int_eq(op_gemm_own_epi(ops_rt, true, false, mw, n, k, -lr, mat, off, m, b0, 0, n,
                                     1.0f, w1, 0, n, &e), 0);
    ck_assert_int_eq(op_sgd_update(ops_rt, w2, NULL, grads2, cn, lr, 0.0f, 0.0f, true), 0);
    assert_same_bits(w1, w2, cn, "SGD step", what);
    runtime_free(w1);
    runtime_free(w2);
    cl_mem bufs[] = {ma, mat, mb, mbias, my, fused, sep, grads, grads2, b0, dz};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        runtime_free(bufs[i]);
    free(a);
    free(at);
    free(b);
    free(bias);
    free(y);
}

/* The epilogues serve the CPU path (layers/dense.c): their separate kernels are the CPU path's
 * (its bias_act_forward in float16 vectors), whichever path the runtime chose. */
START_TEST(gemm_epilogues_match_separate_kernels)
{
    const enum runtime_ops_path chosen = runtime_ops_path(ops_rt);
    runtime_set_ops_path(ops_rt, RUNTIME_OPS_CPU);
    static const int ns[] = {1, 10, 16, 17, 31, 32, 33, 64, 95, 200};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < (int)(sizeof ns / sizeof ns[0]); i++)
        for (int act = 0; act < ACTIVATION_COUNT; act++)
            check_epilogues(&seed, 11 + 3 * i, ns[i], 7 + 4 * act + i, act);
    /* Fewer than GEMM_TM rows with several column tiles: the guarded path's column sums. */
    check_epilogues(&seed, 5, 64, 9, ACTIVATION_RELU);
    check_epilogues(&seed, 3, 200, 13, ACTIVATION_SIGMOID);
    runtime_set_ops_path(ops_rt, chosen);
}
END_TEST

/* What an epilogue cannot do is an internal error, before any launch. */
START_TEST(gemm_epilogue_misuse)
{
    float v[64] = {0};
    cl_mem mb = ops_buffer(v, sizeof v), small = ops_buffer(v, 3 * sizeof *v);
    const struct {
        bool ta, tb;
        float beta;
        struct gemm_epilogue e;
    } bad[] = {
        {false, false, 0.5f, {.kind = GEMM_EPI_BIAS_ACT, .buf = mb}},   /* beta != 0 */
        {true, true, 0.0f, {.kind = GEMM_EPI_ACT_GRAD, .buf = mb, .ld = 4}}, /* A^T B^T */
        {false, false, 0.5f, {.kind = GEMM_EPI_ACT_GRAD, .buf = mb, .ld = 4}}, /* beta != 0 */
        {false, true, 0.0f, {.kind = GEMM_EPI_BIAS_ACT, .buf = mb}},          /* B^T */
        {true, true, 0.0f, {.kind = GEMM_EPI_COLSUM, .buf = mb}},             /* B^T */
        {false, false, 0.0f, {.kind = GEMM_EPI_COLSUM, .buf = mb}},     /* colsum needs A^T */
        {false, false, 0.0f, {.kind = GEMM_EPI_BIAS_ACT, .buf = small}}, /* bias of 3 < N */
        {false, false, 0.0f, {.kind = GEMM_EPI_ACT_GRAD, .buf = small, .ld = 4}}, /* y too small */
        {false, false, 0.0f, {.kind = GEMM_EPI_BIAS_ACT, .buf = mb, .act = ACTIVATION_COUNT}},
        {false, false, 0.0f, {.kind = (enum gemm_epi)7, .buf = mb}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = op_gemm_own_epi(ops_rt, bad[i].ta, bad[i].tb, 4, 4, 4, 1.0f, mb, 0, 4, mb, 0,
                                     4, bad[i].beta, mb, 16, 4, &bad[i].e);
        ck_assert_msg(status == CLNET_ERR_INTERNAL, "case %zu: status %d", i, status);
    }
    runtime_free(mb);
    runtime_free(small);
}
END_TEST

/* The dense layers' three products (Y = X W, dW = X^T dZ, dX = dZ W^T) at B = 100 for the
 * (I, O) widths of configs/. */
START_TEST(gemm_dense_widths)
{
    static const int io[][2] = {{784, 10}, {784, 30}, {784, 60}, {784, 100}, {784, 750},
                                {200, 10}, {100, 10}, {750, 10}, {200, 100}};
    uint64_t seed = 0x082efa98ec4e6c89u;
    for (int impl = 0; impl < N_IMPLS; impl++)
        for (size_t s = 0; s < sizeof io / sizeof io[0]; s++) {
            int B = 100, I = io[s][0], O = io[s][1];
            check_gemm(impl, &seed, false, false, B, O, I, 1.0f, 0.0f, 0);
            check_gemm(impl, &seed, true, false, I, O, B, 1.0f, 0.0f, 0);
            check_gemm(impl, &seed, false, true, B, I, O, 1.0f, 0.0f, 0);
        }
}
END_TEST

/* The dense layer's products at the homework's shape, timed: forward Y = X W (B x I)(I x O),
 * dW = X^T dZ, dX = dZ W^T with B=100, I=784, O=200. The first call of each includes
 * CLBlast's kernel compilation. */
START_TEST(gemm_dense_layer)
{
    const int B = 100, I = 784, O = 200;
    static const char *names[] = {"forward X W", "dW = X^T dZ", "dX = dZ W^T"};
    uint64_t seed = 0x13198a2e03707344u;
    for (int impl = 0; impl < N_IMPLS; impl++)
        for (int which = 0; which < 3; which++) {
            double t0 = seconds();
            if (which == 0)
                check_gemm(impl, &seed, false, false, B, O, I, 1.0f, 0.0f, 0);
            else if (which == 1)
                check_gemm(impl, &seed, true, false, I, O, B, 1.0f, 0.0f, 0);
            else
                check_gemm(impl, &seed, false, true, B, I, O, 1.0f, 0.0f, 0);
            printf("gemm %s %s: first checked call %.3f s\n", impls[impl].name, names[which],
                   seconds() - t0);
        }
}
END_TEST

/* beta == 0 must not read C: a buffer holding NaN (fresh, or left by a diverged step) gives
 * alpha A B. The dense layer's forward writes into such buffers. */
START_TEST(gemm_beta_zero_ignores_nan)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4] = {NAN, NAN, NAN, NAN};
    cl_mem ma = ops_buffer(a, sizeof a), mb = ops_buffer(b, sizeof b);
    for (int impl = 0; impl < N_IMPLS; impl++) {
        cl_mem mc = ops_buffer(c, sizeof c);
        ck_assert_int_eq(
            impls[impl].fn(ops_rt, false, false, 2, 2, 3, 1.0f, ma, 0, 3, mb, 0, 2, 0.0f, mc, 0, 2),
            0);
        float *got = ops_download(mc, 0, 4);
        const float want[4] = {4, 5, 10, 11}; /* (1 2 3; 4 5 6)(1 0; 0 1; 1 1) */
        ops_check_close(got, want, 4, 0.0, 0.0, "gemm %s beta 0 over NaN", impls[impl].name);
        free(got);
        runtime_free(mc);
    }
    runtime_free(ma);
    runtime_free(mb);
}
END_TEST

START_TEST(gemm_bad_shape)
{
    for (int impl = 0; impl < N_IMPLS; impl++) {
        clnet_error_clear();
        ck_assert_int_eq(impls[impl].fn(ops_rt, false, false, 0, 1, 1, 1.0f, NULL, 0, 1, NULL, 0, 1,
                                        0.0f, NULL, 0, 1),
                         CLNET_ERR_INTERNAL);
    }
    clnet_error_clear();
    /* A buffer too small for the matrix: CLBlast's own code passes through, named. */
    float a[4] = {0};
    cl_mem m = ops_buffer(a, sizeof a);
    int status =
        op_gemm_clblast(ops_rt, false, false, 4, 4, 4, 1.0f, m, 0, 4, m, 0, 4, 0.0f, m, 0, 4);
    ck_assert_int_lt(status, 0);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "CLBlastSgemm"));
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), clnet_status_name(status)));
    clnet_error_clear();
    /* The own kernels check every matrix against its buffer, and strides against rows. */
    ck_assert_int_eq(
        op_gemm_own(ops_rt, false, false, 4, 4, 4, 1.0f, m, 0, 4, m, 0, 4, 0.0f, m, 0, 4),
        CLNET_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "gemm (own): A"));
    clnet_error_clear();
    ck_assert_int_eq(
        op_gemm_own(ops_rt, false, false, 1, 1, 2, 1.0f, m, 0, 1, m, 0, 1, 0.0f, m, 0, 1),
        CLNET_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "row stride"));
    clnet_error_clear();
    ck_assert_int_eq(
        op_gemm_own(ops_rt, true, true, 2, 2, 2, 1.0f, m, 0, 2, m, 0, 2, 0.0f, m, 1, 2),
        CLNET_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "gemm (own): C"));
    clnet_error_clear();
    runtime_free(m);
}
END_TEST

/* op_transpose (dense layers' dx on CPU devices runs through it): exact copies at odd shapes,
 * the source at an offset with a padded row stride; the destination's floats past the matrix
 * stay untouched; a destination too small is refused. */
START_TEST(gemm_transpose_exact)
{
    static const int shapes[][2] = {{1, 1}, {3, 7}, {7, 3}, {200, 10}, {100, 60}, {17, 33}};
    uint64_t seed = 0x5eed7a9b01c3d2e4u;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int rows = shapes[t][0], cols = shapes[t][1], ld = cols + (int)(t % 3);
        size_t off = t * 5, src_len = off + (size_t)rows * (size_t)ld,
               dst_len = (size_t)rows * cols + 5;
        float *src = ops_random_floats(&seed, src_len, 1.0f);
        float *dst = ops_random_floats(&seed, dst_len, 1.0f);
        cl_mem ms = ops_buffer(src, src_len * sizeof *src);
        cl_mem md = ops_buffer(dst, dst_len * sizeof *dst);
        ck_assert_msg(op_transpose(ops_rt, md, ms, off, ld, rows, cols) == 0, "%s",
                      clnet_error_message());
        float *got = ops_download(md, 0, dst_len);
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++)
                ck_assert_msg(got[(size_t)j * rows + i] == src[off + (size_t)i * ld + j],
                              "transpose %d x %d: dst[%d][%d] = %.9g, src %.9g", rows, cols, j, i,
                              got[(size_t)j * rows + i], src[off + (size_t)i * ld + j]);
        for (size_t k = (size_t)rows * cols; k < dst_len; k++)
            ck_assert_msg(got[k] == dst[k], "transpose %d x %d wrote past the matrix at %zu", rows,
                          cols, k);
        free(got);
        free(src);
        free(dst);
        runtime_free(ms);
        runtime_free(md);
    }
    float a[6] = {0};
    cl_mem m = ops_buffer(a, sizeof a);
    clnet_error_clear();
    ck_assert_int_eq(op_transpose(ops_rt, m, m, 0, 4, 2, 4), CLNET_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "the source"));
    clnet_error_clear();
    runtime_free(m);
}
END_TEST

/* CLBlast gets the runtime's one scratch buffer as its temp buffer (ops/gemm.c): a shape that
 * needs one (sizes off CLBlast's tiles above its direct-kernel limit: 1000 on PoCL needs 12 MB,
 * 515 none) makes it once, of the size CLBlast asks for; the same shape again, and a smaller
 * one, reuse it; the product is right. (The first call of the suite that needs one: the scratch
 * buffer starts here.) */
START_TEST(gemm_clblast_one_temp_buffer)
{
    enum { N = 1000 };
    uint64_t seed = 0x2545f4914f6cdd1du;
    float *a = ops_random_floats(&seed, (size_t)N * N, 1.0f);
    float *want = malloc((size_t)N * N * sizeof *want);
    ck_assert_ptr_nonnull(want);
    for (size_t i = 0; i < (size_t)N * N; i++) /* A I = A: B is the identity */
        want[i] = a[i];
    float *eye = calloc((size_t)N * N, sizeof *eye);
    ck_assert_ptr_nonnull(eye);
    for (int i = 0; i < N; i++)
        eye[(size_t)i * N + i] = 1.0f;
    cl_mem ma = ops_buffer(a, (size_t)N * N * 4), mb = ops_buffer(eye, (size_t)N * N * 4);
    cl_mem mc = ops_buffer(NULL, (size_t)N * N * 4);
    const size_t need = op_gemm_clblast_temp_bytes(ops_rt, false, false, N, N, N);
    size_t before = runtime_bytes_allocated(ops_rt);
    ck_assert_msg(op_gemm_clblast(ops_rt, false, false, N, N, N, 1.0f, ma, 0, N, mb, 0, N, 0.0f,
                                  mc, 0, N) == 0, "%s", clnet_error_message());
    size_t once = runtime_bytes_allocated(ops_rt);
    ck_assert_msg(op_gemm_clblast(ops_rt, false, false, N, N, N, 1.0f, ma, 0, N, mb, 0, N, 0.0f,
                                  mc, 0, N) == 0, "%s", clnet_error_message());
    ck_assert_msg(op_gemm_clblast(ops_rt, true, false, N - 100, N - 100, N - 100, 1.0f, ma, 0, N,
                                  mb, 0, N, 0.0f, mc, 0, N) == 0, "%s", clnet_error_message());
    ck_assert_msg(op_gemm_clblast(ops_rt, false, false, N, N, N, 1.0f, ma, 0, N, mb, 0, N, 0.0f,
                                  mc, 0, N) == 0, "%s", clnet_error_message());
    if (need == 0)
        printf("gemm_clblast_one_temp_buffer: CLBlast needs no temp buffer for %d^3 here\n", N);
    ck_assert_msg(once - before == need, "%zu bytes allocated for a temp buffer of %zu",
                  once - before, need);
    ck_assert_uint_eq(runtime_bytes_allocated(ops_rt), once);
    float *got = ops_download(mc, 0, (size_t)N * N);
    ck_assert_msg(ops_first_difference(got, want, (size_t)N * N) < 0, "A I != A");
    free(a), free(want), free(eye), free(got);
    runtime_free(ma);
    runtime_free(mb);
    runtime_free(mc);
}
END_TEST

TCase *ops_gemm_tcase(void)
{
    TCase *tc = tcase_create("gemm");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, gemm_dense_layer);
    tcase_add_test(tc, gemm_transposes_odd_shapes);
    tcase_add_test(tc, gemm_random_shapes);
    tcase_add_test(tc, gemm_every_tile_path);
    tcase_add_test(tc, gemm_epilogues_match_separate_kernels);
    tcase_add_test(tc, gemm_epilogue_misuse);
    tcase_add_test(tc, gemm_dense_widths);
    tcase_add_test(tc, gemm_beta_zero_ignores_nan);
    tcase_add_test(tc, gemm_bad_shape);
    tcase_add_test(tc, gemm_transpose_exact);
    tcase_add_test(tc, gemm_clblast_one_temp_buffer);
    return tc;
}
