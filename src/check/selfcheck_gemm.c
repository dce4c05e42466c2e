/* selfcheck's comparisons of the GEMM family (selfcheck_cases.h): CLBlast's and clnet's own
 * GEMM on every tile path, the own GEMM's epilogues (bias + activation, act', column sums),
 * cl/dense_tail.cl's kernel against the per-layer references, and the transpose. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "check/selfcheck_cases.h"
#include "config/experiment.h"
#include "ops/ops.h"
#include "ops/ref.h"
#include "util/status.h"

typedef int (*gemm_fn)(struct runtime *, bool, bool, int, int, int, float, cl_mem, size_t, int,
                       cl_mem, size_t, int, float, cl_mem, size_t, int);

/* C = 0.75 op(A) op(B) + beta C with offsets and row strides wider than the rows; with
 * beta 0, C starts as NaN, which must not be read. */
static void check_gemm(struct sc *c, gemm_fn fn, uint64_t line, bool ta, bool tb, int m, int n,
                       int k, float beta)
{
    const int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    const int lda = ac + 2, ldb = bc + 1, ldc = n + 3;
    const size_t a_off = 3, b_off = 5, c_off = 7;
    const size_t na = a_off + (size_t)ar * lda, nb = b_off + (size_t)br * ldb;
    const size_t nc = c_off + (size_t)m * ldc;
    float *a = sc_host(c, na, 1.0f, 0.0f), *b = sc_host(c, nb, 1.0f, 0.0f);
    float *c0 = beta == 0.0f ? sc_host(c, nc, 0.0f, NAN) : sc_host(c, nc, 1.0f, 0.0f);
    cl_mem ad = a ? sc_buffer(c, a, na * sizeof *a) : NULL;
    cl_mem bd = b ? sc_buffer(c, b, nb * sizeof *b) : NULL;
    cl_mem cd = c0 ? sc_output(c, c0, nc) : NULL;
    float *want = sc_with_canaries(c, c0, nc);
    SC_OP(c,
          fn(c->rt, ta, tb, m, n, k, 0.75f, ad, a_off, lda, bd, b_off, ldb, beta, cd, c_off, ldc));
    if (c->status != CLNET_OK) return;
    ref_gemm(ta, tb, m, n, k, 0.75f, a + a_off, lda, b + b_off, ldb, beta, want + c_off, ldc);
    double floor = 1e-30;
    for (int i = 0; i < m; i++)
        floor = fmax(floor, sc_scale(want + c_off + (size_t)i * ldc, (size_t)n));
    char what[96];
    snprintf(what, sizeof what, "%s %s M=%d N=%d K=%d beta %g", ta ? "A^T" : "A", tb ? "B^T" : "B",
             m, n, k, (double)beta);
    sc_compare(c, line, what, sc_download_all(c, cd, nc), want, nc + SC_CANARIES, floor, SC_TOL);
}

static void check_gemms(struct sc *c)
{
    /* Not multiples of the own kernels' 10x32, 12x16 (N <= 16) and 5x4 tiles or of 16 tiles
     * per group; one shape per tile path of A B and A^T B: N <= 16 (narrow), 16 < N < 32
     * (guarded), N >= 32 (wide, its last tile shifted). */
    static const int shapes[][3] = {{13, 37, 19}, {7, 131, 45}, {29, 10, 23}, {11, 23, 17}};
    static const float betas[] = {0.0f, -0.5f, 0.0f, -0.5f};
    static const enum kernel_id own[4][4] = {
        {KERNEL_GEMM_NN_WIDE, KERNEL_GEMM_NN_WIDE, KERNEL_GEMM_NN_NARROW, KERNEL_GEMM_NN_GUARDED},
        {KERNEL_GEMM_TN_WIDE, KERNEL_GEMM_TN_WIDE, KERNEL_GEMM_TN_NARROW, KERNEL_GEMM_TN_GUARDED},
        {KERNEL_GEMM_NT, KERNEL_GEMM_NT, KERNEL_GEMM_NT, KERNEL_GEMM_NT},
        {KERNEL_GEMM_ANY, KERNEL_GEMM_ANY, KERNEL_GEMM_ANY, KERNEL_GEMM_ANY}};
    for (int t = 0; t < 4 && c->status == CLNET_OK; t++) {
        bool ta = t == 1 || t == 3, tb = t >= 2;
        for (int s = 0; s < 4 && c->status == CLNET_OK; s++) {
            check_gemm(c, op_gemm_own, SC_LINE(own[t][s]), ta, tb, shapes[s][0], shapes[s][1],
                       shapes[s][2], betas[s]);
            sc_release(c);
        }
        check_gemm(c, op_gemm_clblast, SC_EXTRA(SELFCHECK_CLBLAST), ta, tb, shapes[t % 2][0],
                   shapes[t % 2][1], shapes[t % 2][2], betas[t / 2]);
        sc_release(c);
    }
    /* A B with K beyond one block of gemm_nn_blocked (ops/gemm.c's OWN_KB, 128): 12 row tiles
     * (work-items of 5, 5 and 2 row tiles, the last tile shifted), the last column panel one
     * vector wide; whole panels and K a multiple of the block; then panels enough for the
     * work-items of 10 row tiles (8 per compute unit: ops/gemm.c), 12 rows tiles as 10 and 2. */
    unsigned units = runtime_device(c->rt)->compute_units;
    const int wide_n = 8 * 32 * (int)(units < 1 ? 1 : units > 64 ? 64 : units) + 11;
    const int blocked[3][3] = {{117, 75, 301}, {23, 64, 256}, {117, wide_n, 130}};
    for (int s = 0; s < 3 && c->status == CLNET_OK; s++) {
        check_gemm(c, op_gemm_own, SC_LINE(KERNEL_GEMM_NN_BLOCKED), false, false, blocked[s][0],
                   blocked[s][1], blocked[s][2], betas[s % 2]);
        sc_release(c);
    }
}

/* The inputs of check_gemm_epilogues: A (M, K) (or stored (K, M)), B (K, N), B^T (N, K), a bias
 * (N), an activation's outputs y (M, N) and the SGD step's start [C; e] (M + 1, N). */
struct epi_case {
    int m, n, k, act;
    enum kernel_id nn, tn; /* the tile path's kernels of A B and A^T B (the report's lines) */
    float *a, *b, *bt, *bias, *y, *w0;
    cl_mem ad, bd, btd, biasd, yd;
};

/* C = act(A B + bias) */
static void check_epi_bias_act(struct sc *c, const struct epi_case *t)
{
    const int m = t->m, n = t->n, k = t->k;
    const size_t nc = (size_t)m * n;
    cl_mem out = sc_output(c, NULL, nc);
    float *want = sc_with_canaries(c, NULL, nc);
    if (c->status != CLNET_OK) return;
    struct gemm_epilogue e = {.kind = GEMM_EPI_BIAS_ACT, .buf = t->biasd, .act = t->act};
    SC_OP(c, op_gemm_own_epi(c->rt, false, false, m, n, k, 1.0f, t->ad, 0, k, t->bd, 0, n, 0.0f,
                             out, 0, n, &e));
    if (c->status != CLNET_OK) return;
    ref_gemm(false, false, m, n, k, 1.0f, t->a, k, t->b, n, 0.0f, want, n);
    ref_bias_act_forward(want, t->bias, m, n, t->act);
    char what[96];
    snprintf(what, sizeof what, "+ bias, %s M=%d N=%d K=%d", activation_name(t->act), m, n, k);
    sc_compare(c, SC_LINE(t->nn), what, sc_download_all(c, out, nc), want,
               nc + SC_CANARIES, fmax(SC_ELEMENT, sc_scale(want, nc)), SC_TOL);
    if (t->nn != KERNEL_GEMM_NN_BLOCKED || c->status != CLNET_OK) return;
    /* the same from B panel-major (op_gemm_nn_panels, the dense stack's first W), its
     * padding NaN: it must reach no stored column */
    const size_t w = OP_GEMM_TILE_COLS, nb = (size_t)k * op_gemm_panel_cols((size_t)n);
    float *bp = sc_host(c, nb, 0.0f, NAN);
    if (!bp) return;
    for (size_t p = 0; p < (size_t)k; p++)
        for (size_t j = 0; j < (size_t)n; j++)
            bp[j / w * k * w + p * w + j % w] = t->b[p * n + j];
    cl_mem bpd = sc_buffer(c, bp, nb * sizeof *bp), out2 = sc_output(c, NULL, nc);
    SC_OP(c, op_gemm_nn_panels(c->rt, m, n, k, t->ad, 0, k, bpd, 0, out2, 0, n, &e));
    if (c->status != CLNET_OK) return;
    snprintf(what, sizeof what, "+ bias, %s M=%d N=%d K=%d, B panel-major",
             activation_name(t->act), m, n, k);
    sc_compare(c, SC_LINE(t->nn), what, sc_download_all(c, out2, nc), want,
               nc + SC_CANARIES, fmax(SC_ELEMENT, sc_scale(want, nc)), SC_TOL);
}

/* C = (A op(B)) * act'(y), B as stored or transposed (gemm_nt) */
static void check_epi_act_grad(struct sc *c, const struct epi_case *t, bool trans_b)
{
    const int m = t->m, n = t->n, k = t->k;
    const size_t nc = (size_t)m * n;
    cl_mem out = sc_output(c, NULL, nc);
    float *want = sc_with_canaries(c, NULL, nc);
    if (c->status != CLNET_OK) return;
    struct gemm_epilogue e = {.kind = GEMM_EPI_ACT_GRAD, .buf = t->yd, .ld = n, .act = t->act};
    SC_OP(c, op_gemm_own_epi(c->rt, false, trans_b, m, n, k, 1.0f, t->ad, 0, k,
                             trans_b ? t->btd : t->bd, 0, trans_b ? k : n, 0.0f, out, 0, n, &e));
    if (c->status != CLNET_OK) return;
    ref_gemm(false, trans_b, m, n, k, 1.0f, t->a, k, trans_b ? t->bt : t->b, trans_b ? k : n,
             0.0f, want, n);
    ref_act_backward(want, t->y, want, nc, t->act);
    char what[96];
    snprintf(what, sizeof what, "* %s', B%s M=%d N=%d K=%d", activation_name(t->act),
             trans_b ? "^T" : "", m, n, k);
    sc_compare(c, SC_LINE(trans_b ? KERNEL_GEMM_NT : t->nn), what,
               sc_download_all(c, out, nc), want, nc + SC_CANARIES,
               fmax(SC_ELEMENT, sc_scale(want, nc)), SC_TOL);
}

/* [C; e] = -0.5 [A^T B; colsum(B)] + [C; e]: A stored (K, M) */
static void check_epi_colsum(struct sc *c, const struct epi_case *t)
{
    const int m = t->m, n = t->n, k = t->k;
    const size_t nc = (size_t)m * n, nw = nc + (size_t)n;
    cl_mem wd = sc_output(c, t->w0, nw);
    float *want = sc_with_canaries(c, t->w0, nw);
    if (c->status != CLNET_OK) return;
    struct gemm_epilogue e = {.kind = GEMM_EPI_COLSUM, .buf = wd, .off = nc};
    SC_OP(c, op_gemm_own_epi(c->rt, true, false, m, n, k, -0.5f, t->ad, 0, m, t->bd, 0, n, 1.0f,
                             wd, 0, n, &e));
    if (c->status != CLNET_OK) return;
    ref_gemm(true, false, m, n, k, -0.5f, t->a, m, t->b, n, 1.0f, want, n);
    for (int j = 0; j < n; j++) {
        float sum = 0.0f;
        for (int p = 0; p < k; p++)
            sum += t->b[(size_t)p * n + j];
        want[nc + j] = -0.5f * sum + want[nc + j];
    }
    char what[96];
    snprintf(what, sizeof what, "SGD step with column sums M=%d N=%d K=%d", m, n, k);
    sc_compare(c, SC_LINE(t->tn), what, sc_download_all(c, wd, nw), want, nw + SC_CANARIES,
               fmax(SC_ELEMENT, sc_scale(want, nw)), SC_TOL);
}

/* op_gemm_own_epi's epilogues (the dense layers' path on CPU devices) on each tile path:
 * act(A B + bias), (A B) * act'(y) also through B^T, and A^T B with the column sums of B, as
 * a fused SGD step (alpha -0.5, beta 1) onto C and the sums' row. Errors relative to the
 * outputs' scale, as check_gemm's: the products' rounding differs from the host's. */
static void check_gemm_epilogues(struct sc *c, int n, int K, int act)
{
    enum { M = 13 };
    static const enum kernel_id nn[3] = {KERNEL_GEMM_NN_NARROW, KERNEL_GEMM_NN_GUARDED,
                                         KERNEL_GEMM_NN_WIDE};
    static const enum kernel_id tn[3] = {KERNEL_GEMM_TN_NARROW, KERNEL_GEMM_TN_GUARDED,
                                         KERNEL_GEMM_TN_WIDE};
    const int path = n <= 16 ? 0 : n < 32 ? 1 : 2;
    struct epi_case t = {.m = M, .n = n, .k = K, .act = act, .nn = nn[path], .tn = tn[path]};
    if (path == 2 && K > 128) t.nn = KERNEL_GEMM_NN_BLOCKED; /* ops/gemm.c's OWN_KB */
    const size_t nc = (size_t)M * n;
    t.a = sc_host(c, (size_t)M * K, 1.0f, 0.0f), t.b = sc_host(c, (size_t)K * n, 1.0f, 0.0f);
    t.bt = sc_host(c, (size_t)n * K, 1.0f, 0.0f), t.bias = sc_host(c, (size_t)n, 1.0f, 0.0f);
    t.y = sc_host(c, nc, 0.5f, 0.5f), t.w0 = sc_host(c, nc + (size_t)n, 1.0f, 0.0f);
    if (c->status != CLNET_OK) return;
    t.ad = sc_buffer(c, t.a, (size_t)M * K * sizeof *t.a);
    t.bd = sc_buffer(c, t.b, (size_t)K * n * sizeof *t.b);
    t.btd = sc_buffer(c, t.bt, (size_t)n * K * sizeof *t.bt);
    t.biasd = sc_buffer(c, t.bias, (size_t)n * sizeof *t.bias);
    t.yd = sc_buffer(c, t.y, nc * sizeof *t.y);
    check_epi_bias_act(c, &t);
    for (int trans_b = 0; trans_b < 2 && c->status == CLNET_OK; trans_b++)
        check_epi_act_grad(c, &t, trans_b);
    if (c->status == CLNET_OK) check_epi_colsum(c, &t);
}

/* check_dense_tail's expected arena: layers 1 and 2 forward from the given y of layer 0, the
 * loss on layer 2's logits, then every layer's dz, by the host references. */
static void dense_tail_reference(const struct dense_tail_layout *t, float *want,
                                 const float *params, const size_t w_off[3], const size_t b_off[3],
                                 const int units[4], const int act[3], const int32_t *labels,
                                 int batch, float *rl, float *rc, int loss)
{
    float *y[3], *dz[3];
    for (int i = 0; i < 3; i++) {
        y[i] = want + t->y_off[i];
        dz[i] = want + t->dz_off[i];
    }
    const int n0 = units[1], n1 = units[2], n2 = units[3];
    const float *w1 = params + w_off[1], *b1 = params + b_off[1];
    const float *w2 = params + w_off[2], *b2 = params + b_off[2];
    ref_gemm(false, false, batch, n1, n0, 1.0f, y[0], n0, w1, n1, 0.0f, y[1], n1);
    ref_bias_act_forward(y[1], b1, batch, n1, act[1]);
    ref_gemm(false, false, batch, n2, n1, 1.0f, y[1], n1, w2, n2, 0.0f, y[2], n2);
    ref_bias_act_forward(y[2], b2, batch, n2, act[2]);
    ref_loss_forward_backward(dz[2], rl, rc, y[2], labels, batch, n2, loss);
    ref_gemm(false, true, batch, n1, n2, 1.0f, dz[2], n2, w2, n2, 0.0f, dz[1], n1);
    ref_act_backward(dz[1], y[1], dz[1], (size_t)batch * n1, act[1]);
    float *dz0 = malloc((size_t)batch * n0 * sizeof *dz0); /* NULL: the caller's check fails */
    if (!dz0) return;
    ref_gemm(false, true, batch, n0, n1, 1.0f, dz[1], n1, w1, n1, 0.0f, dz0, n0);
    ref_act_backward(dz0, y[0], dz0, (size_t)batch * n0, act[0]);
    /* panel-major: zeros up to the end of the 16 units that hold the last one */
    const int n0_to = dense_tail_dz_panels(t, 0) ? (n0 + 15) / 16 * 16 : n0;
    for (int p = 0; p < batch; p++)
        for (int j = 0; j < n0_to; j++)
            want[dense_tail_dz_at(t, 0, batch, p, j)] = j < n0 ? dz0[(size_t)p * n0 + j] : 0.0f;
    free(dz0);
}

/* op_dense_tail on three layers (a sigmoid first layer's output given, 45 -> 18 relu -> 7
 * logits above it) for 19 rows of at most 23 (a 16-row block and a partial one), parameters
 * at offsets into their arena, against the per-layer references: each upper layer's y, the
 * loss, and every layer's dz (the first layer's panel-major: 45 units, two panels, the
 * second's 13 units and 3 of padding written). Rows past the batch must stay unwritten (NaN). */
static void check_dense_tail(struct sc *c, int loss)
{
    enum { B = 19, MAX_B = 23, N0 = 45, N1 = 18, N2 = 7, W1 = 3, B1 = W1 + N0 * N1,
           W2 = B1 + N1 + 2, B2 = W2 + N1 * N2, P = B2 + N2 };
    const int units[4] = {12, N0, N1, N2};
    const int act[3] = {ACTIVATION_SIGMOID, ACTIVATION_RELU, ACTIVATION_IDENTITY};
    const size_t w_off[3] = {0, W1, W2}, b_off[3] = {0, B1, B2};
    struct dense_tail_layout t;
    SC_OP(c, dense_tail_layout(&t, 3, units, act, w_off, b_off, MAX_B));
    if (c->status != CLNET_OK) return;
    const size_t na = t.arena_floats, nw = t.scratch_off; /* what is compared: all but scratch */
    float *params = sc_host(c, P, 0.4f, 0.0f), *arena = sc_with_canaries(c, NULL, na);
    float *want = sc_with_canaries(c, NULL, na), *y0 = sc_host(c, (size_t)B * N0, 0.5f, 0.0f);
    float *want_rl = sc_with_canaries(c, NULL, B), *want_rc = sc_with_canaries(c, NULL, B);
    int32_t labels[B];
    if (c->status != CLNET_OK) {
        dense_tail_layout_free(&t);
        return;
    }
    for (int i = 0; i < B * N0; i++) /* a sigmoid's outputs */
        arena[t.y_off[0] + (size_t)i] = want[t.y_off[0] + (size_t)i] = y0[i] + 0.5f;
    for (int b = 0; b < B; b++)
        labels[b] = (b * 3 + 1) % N2;
    const size_t table_bytes = 2 * DENSE_TAIL_FIELDS * sizeof *t.table;
    cl_mem pd = sc_buffer(c, params, P * sizeof *params), td = sc_buffer(c, t.table, table_bytes);
    cl_mem ad = sc_buffer(c, arena, (na + SC_CANARIES) * sizeof *arena);
    cl_mem ld = sc_buffer(c, labels, sizeof labels), rl = sc_output(c, NULL, B);
    cl_mem rc = sc_output(c, NULL, B);
    SC_OP(c, op_dense_tail(c->rt, &t, ad, pd, td, ld, rl, rc, 0, B, loss));
    if (c->status == CLNET_OK) {
        dense_tail_reference(&t, want, params, w_off, b_off, units, act, labels, B, want_rl,
                             want_rc, loss);
        float *got = sc_download_all(c, ad, na);
        char what[128];
        const uint64_t line = SC_LINE(KERNEL_DENSE_TAIL);
        snprintf(what, sizeof what, "%s, 45 -> 18 relu -> 7, B=%d of %d: y and dz", loss_name(loss),
                 B, MAX_B);
        if (got) {
            sc_compare(c, line, what, got, want, nw, fmax(SC_ELEMENT, sc_scale(want, nw)), SC_TOL);
            snprintf(what, sizeof what, "%s: canaries past the arena", loss_name(loss));
            sc_compare(c, line, what, got + na, want + na, SC_CANARIES, SC_ELEMENT, 0.0);
        }
        snprintf(what, sizeof what, "%s row loss B=%d", loss_name(loss), B);
        sc_compare(c, line, what, sc_download_all(c, rl, B), want_rl, B + SC_CANARIES, SC_ELEMENT, SC_TOL);
        snprintf(what, sizeof what, "%s row correct B=%d", loss_name(loss), B);
        sc_compare(c, line, what, sc_download_all(c, rc, B), want_rc, B + SC_CANARIES, SC_ELEMENT, 0.0);
    }
    dense_tail_layout_free(&t);
}

/* op_dense_dw on four layers (45 -> 40 wide with dz panel-major and a last panel of 8 columns,
 * 40 -> 7 narrow, 7 -> 23 guarded, 23 -> 36 wide with the top layer's dz batch-major and a
 * shifted last panel) for 19 rows of at most 23: each layer's x^T dz and the column sums of
 * its dz, as gradients (alpha 1, beta 0) or as a fused SGD step (alpha -0.5, beta 1), onto
 * parameters at offsets into their arena whose gaps must stay as they were; the SGD step with
 * the first layer's W panel-major in a buffer of its own (the dense stack's), where it is
 * updated, its padding and its rows in the arena left as they were. */
static void check_dense_dw(struct sc *c, bool sgd)
{
    enum { L = 4, B = 19, MAX_B = 23, N0 = 45, N1 = 40, N2 = 7, N3 = 23, N4 = 36, W0 = 3,
           B0 = W0 + N0 * N1, W1 = B0 + N1 + 2, B1 = W1 + N1 * N2, W2 = B1 + N2 + 1,
           B2 = W2 + N2 * N3, W3 = B2 + N3, B3 = W3 + N3 * N4, P = B3 + N4 + 2 };
    const int units[L + 1] = {N0, N1, N2, N3, N4};
    const int act[L] = {ACTIVATION_SIGMOID, ACTIVATION_RELU, ACTIVATION_TANH,
                        ACTIVATION_IDENTITY};
    const size_t w_off[L] = {W0, W1, W2, W3}, b_off[L] = {B0, B1, B2, B3};
    struct dense_tail_layout t;
    SC_OP(c, dense_tail_layout(&t, L, units, act, w_off, b_off, MAX_B));
    if (c->status != CLNET_OK) return;
    const size_t na = t.arena_floats;
    float *arena = sc_host(c, na, 1.0f, 0.0f), *x = sc_host(c, (size_t)B * N0, 1.0f, 0.0f);
    float *p0 = sc_host(c, P, 1.0f, 0.0f), *want = sc_with_canaries(c, p0, P);
    cl_mem ad = arena ? sc_buffer(c, arena, na * sizeof *arena) : NULL;
    cl_mem xd = x ? sc_buffer(c, x, (size_t)B * N0 * sizeof *x) : NULL;
    cl_mem td = sc_buffer(c, t.dw_table, L * DENSE_DW_FIELDS * sizeof *t.dw_table);
    cl_mem pd = sc_output(c, p0, P);
    enum { NP = N0 * 64 }; /* W0 panel-major: 45 rows of two 32-unit panels */
    float *wp = sgd ? sc_host(c, NP, 1.0f, 0.0f) : NULL, w0[N0 * N1];
    for (int p = 0; wp && p0 && p < N0; p++)
        for (int j = 0; j < N1; j++)
            wp[j / 32 * N0 * 32 + p * 32 + j % 32] = w0[p * N1 + j] = p0[W0 + p * N1 + j];
    cl_mem wpd = wp ? sc_output(c, wp, NP) : NULL;
    float *want_wp = wp ? sc_with_canaries(c, wp, NP) : NULL;
    const float alpha = sgd ? -0.5f : 1.0f, beta = sgd ? 1.0f : 0.0f;
    SC_OP(c, op_dense_dw(c->rt, &t, td, pd, xd, ad, B, alpha, beta, wpd));
    if (c->status == CLNET_OK) {
        float dz[B * N1]; /* the widest layer's */
        for (int i = 0; i < L; i++) {
            const int m = units[i], n = units[i + 1];
            const float *a = i > 0 ? arena + t.y_off[i - 1] : x;
            for (int p = 0; p < B; p++) /* dz batch-major, from its layout in the arena */
                for (int j = 0; j < n; j++)
                    dz[p * n + j] = arena[dense_tail_dz_at(&t, i, B, p, j)];
            float *w = i == 0 && want_wp ? w0 : want + w_off[i]; /* W0's rows stay */
            ref_gemm(true, false, m, n, B, alpha, a, m, dz, n, beta, w, n);
            for (int j = 0; j < n; j++) {
                float sum = 0.0f;
                for (int p = 0; p < B; p++)
                    sum += dz[p * n + j];
                want[b_off[i] + j] = alpha * sum + beta * want[b_off[i] + j];
            }
        }
        char what[96];
        snprintf(what, sizeof what, "45 -> 40 -> 7 -> 23 -> 36, B=%d of %d, %s", B, MAX_B,
                 sgd ? "SGD step" : "gradients");
        sc_compare(c, SC_LINE(KERNEL_GEMM_TN_LAYERS), what, sc_download_all(c, pd, P), want,
                   P + SC_CANARIES, fmax(SC_ELEMENT, sc_scale(want, P)), SC_TOL);
        for (int p = 0; want_wp && p < N0; p++)
            for (int j = 0; j < N1; j++)
                want_wp[j / 32 * N0 * 32 + p * 32 + j % 32] = w0[p * N1 + j];
        snprintf(what, sizeof what, "45 -> 40: W panel-major, SGD step");
        if (want_wp)
            sc_compare(c, SC_LINE(KERNEL_GEMM_TN_LAYERS), what, sc_download_all(c, wpd, NP),
                       want_wp, NP + SC_CANARIES, fmax(SC_ELEMENT, sc_scale(want, P)), SC_TOL);
    }
    dense_tail_layout_free(&t);
}

/* op_transpose: an exact copy, the source at an offset with a wider row stride: 7 x 13 (one
 * edge block), and 37 x 21 (two whole 16 x 16 blocks, the others edges of 5 rows or columns). */
static void check_transpose(struct sc *c, int rows, int cols, int ld)
{
    enum { OFF = 4 };
    const size_t ns = OFF + (size_t)rows * ld, n = (size_t)rows * cols;
    float *src = sc_host(c, ns, 1.0f, 0.0f);
    cl_mem sd = src ? sc_buffer(c, src, ns * sizeof *src) : NULL, dst = sc_output(c, NULL, n);
    float *want = sc_with_canaries(c, NULL, n);
    SC_OP(c, op_transpose(c->rt, dst, sd, OFF, ld, rows, cols));
    if (c->status != CLNET_OK) return;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            want[j * rows + i] = src[OFF + i * ld + j];
    char what[48];
    snprintf(what, sizeof what, "%d x %d, stride %d", rows, cols, ld);
    sc_compare(c, SC_LINE(KERNEL_GEMM_TRANSPOSE), what, sc_download_all(c, dst, n), want,
               n + SC_CANARIES, SC_ELEMENT, 0.0);
}

void selfcheck_gemm_cases(struct sc *c)
{
    if (c->status == CLNET_OK) check_gemms(c);
    /* narrow, guarded, wide (a shifted last tile), blocked (K in three blocks, the last short) */
    static const int epi_n[] = {10, 23, 45, 45}, epi_k[] = {19, 19, 19, 301};
    for (int i = 0; i < 4 && c->status == CLNET_OK; i++) {
        check_gemm_epilogues(c, epi_n[i], epi_k[i],
                             i == 1 ? ACTIVATION_RELU : ACTIVATION_SIGMOID);
        sc_release(c);
    }
    for (int loss = 0; loss < LOSS_COUNT && c->status == CLNET_OK; loss++) {
        check_dense_tail(c, loss);
        sc_release(c);
    }
    for (int sgd = 0; sgd < 2 && c->status == CLNET_OK; sgd++) {
        check_dense_dw(c, sgd);
        sc_release(c);
    }
    if (c->status == CLNET_OK) check_transpose(c, 7, 13, 15);
    if (c->status == CLNET_OK) check_transpose(c, 37, 21, 23);
    sc_release(c);
}
