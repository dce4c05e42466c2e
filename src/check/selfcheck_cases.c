/* The comparisons of `clnet selfcheck` (selfcheck.h): one function per op family, each
 * running the op on the device and its reference (ops/ref.h) on the host with the same inputs.
 * Outputs are filled with NaN before the op (a value it fails to write cannot pass) and
 * followed by canaries (a write past the end changes one). */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check/selfcheck_cases.h"
#include "config/experiment.h"
#include "data/noise.h"
#include "ops/ops.h"
#include "ops/ref.h"
#include "util/status.h"

float *sc_with_canaries(struct sc *c, const float *src, size_t n)
{
    float *v = sc_host(c, n + SC_CANARIES, 0.0f, SC_CANARY);
    for (size_t i = 0; v && i < n; i++)
        v[i] = src ? src[i] : NAN;
    return v;
}

cl_mem sc_output(struct sc *c, const float *init, size_t n)
{
    float *v = sc_with_canaries(c, init, n);
    return v ? sc_buffer(c, v, (n + SC_CANARIES) * sizeof *v) : NULL;
}

float *sc_download_all(struct sc *c, cl_mem buf, size_t n)
{
    return sc_download(c, buf, n + SC_CANARIES);
}

static void check_gather(struct sc *c)
{
    enum { N = 9, F = 37, B = 7, OFF = 3 };
    uint8_t images[N * F], labels[N];
    int32_t index[OFF + B];
    for (int i = 0; i < N * F; i++)
        images[i] = (uint8_t)(i == 0 ? 0 : i == 1 ? 255 : (int)(128.0f + sc_uniform(c, 128.0f)));
    for (int i = 0; i < N; i++)
        labels[i] = (uint8_t)(i % 10);
    for (int b = 0; b < OFF + B; b++)
        index[b] = b < OFF ? -5 : (b * 4 + 1) % N;
    index[OFF + B - 1] = N; /* outside the set: zeros and label -1 */
    cl_mem x = sc_output(c, NULL, B * F), y = sc_output(c, NULL, B);
    cl_mem im = sc_buffer(c, images, sizeof images), lb = sc_buffer(c, labels, sizeof labels);
    cl_mem ix = sc_buffer(c, index, sizeof index);
    float *want_x = sc_with_canaries(c, NULL, B * F), *want_y = sc_with_canaries(c, NULL, B);
    int32_t ys[B];
    SC_OP(c, op_gather_batch(c->rt, x, y, im, lb, ix, OFF, B, F, N));
    if (c->status != CLNET_OK) return;
    ref_gather_batch(want_x, ys, images, labels, index + OFF, B - 1, F);
    for (int f = 0; f < F; f++)
        want_x[(B - 1) * F + f] = 0.0f;
    for (int b = 0; b < B; b++) { /* labels compared as the floats of their int32 bits */
        int32_t v = b < B - 1 ? ys[b] : -1;
        memcpy(&want_y[b], &v, sizeof v);
    }
    sc_compare(c, SC_LINE(KERNEL_GATHER_BATCH), "x B=7 F=37", sc_download_all(c, x, B * F), want_x,
               B * F + SC_CANARIES, SC_ELEMENT, 0.0);
    float *got_y = sc_download_all(c, y, B);
    for (int b = 0; got_y && b < B; b++) { /* int32 bits -> values, exact either way */
        int32_t v;
        memcpy(&v, &got_y[b], sizeof v);
        got_y[b] = (float)v;
        memcpy(&v, &want_y[b], sizeof v);
        want_y[b] = (float)v;
    }
    sc_compare(c, SC_LINE(KERNEL_GATHER_BATCH), "labels B=7", got_y, want_y, B + SC_CANARIES,
               SC_ELEMENT, 0.0);
}

enum { BA_B = 37, BA_O = 33, BA_ARENA = 50 }; /* BA_B: the GPU kernel's 16-row lanes, 2 and a part */

/* Largest over the columns of m (rows, cols) of the sum of |m[r][j]|: the scale of a column
 * sum, the floor of its comparison when the device sums in another order (the rounding of
 * such a sum is bounded by a multiple of it, however the terms cancel). */
static double column_abs_sum_max(const float *m, int rows, int cols)
{
    double most = 1e-30;
    for (int j = 0; j < cols; j++) {
        double s = 0.0;
        for (int r = 0; r < rows; r++)
            s += fabs((double)m[(size_t)r * cols + j]);
        most = fmax(most, s);
    }
    return most;
}

/* Backward in place (dz over dy), as the dense layer runs it, from the forward's outputs act_y
 * (valid activations); db into a canary arena. */
static void check_bias_act_backward(struct sc *c, int act, uint64_t line, const float *act_y)
{
    enum { B = BA_B, O = BA_O, ARENA = BA_ARENA, DB_OFF = 9 };
    const size_t n = B * O;
    char what[96];
    float *dy = sc_host(c, n, 1.0f, 0.0f), *arena = sc_host(c, ARENA, 0.0f, SC_CANARY);
    float *want_dz = sc_with_canaries(c, dy, n), *want_arena = sc_with_canaries(c, arena, ARENA);
    if (c->status != CLNET_OK) return;
    cl_mem yd = sc_buffer(c, act_y, n * sizeof *act_y), dyd = sc_output(c, dy, n);
    cl_mem grads = sc_output(c, arena, ARENA);
    SC_OP(c, op_bias_act_backward(c->rt, dyd, grads, DB_OFF, yd, dyd, B, O, act));
    if (c->status != CLNET_OK) return;
    ref_bias_act_backward(want_dz, want_arena + DB_OFF, act_y, want_dz, B, O, act);
    snprintf(what, sizeof what, "%s dz B=%d O=%d", activation_name(act), B, O);
    sc_compare(c, line, what, sc_download_all(c, dyd, n), want_dz, n + SC_CANARIES, SC_ELEMENT, SC_TOL);
    snprintf(what, sizeof what, "%s db (in a canary arena) B=%d O=%d", activation_name(act), B, O);
    sc_compare(c, line, what, sc_download_all(c, grads, ARENA), want_arena, ARENA + SC_CANARIES,
               fmax(SC_ELEMENT, column_abs_sum_max(want_dz, B, O)), SC_TOL);
}

static void check_bias_act(struct sc *c, int act)
{
    enum { B = BA_B, O = BA_O, BIAS_OFF = 11, ARENA = BA_ARENA };
    const size_t n = B * O;
    char what[96];
    float *y0 = sc_host(c, n, 4.0f, 0.0f), *params = sc_host(c, ARENA, 1.0f, 0.0f);
    if (c->status != CLNET_OK) return;
    y0[0] = 30.0f, y0[1] = -30.0f, y0[2] = -95.0f; /* saturation; sigmoid(-95) is denormal */
    if (!c->denorms) {
        y0[2] = -80.0f; /* sigmoid(-80) is still a normal float */
        c->report->denormal_skips++;
    }
    cl_mem y = sc_output(c, y0, n), p = sc_buffer(c, params, ARENA * sizeof *params);
    float *want = sc_with_canaries(c, y0, n);
    SC_OP(c, op_bias_act_forward(c->rt, y, p, BIAS_OFF, B, O, act));
    if (c->status != CLNET_OK) return;
    ref_bias_act_forward(want, params + BIAS_OFF, B, O, act);
    snprintf(what, sizeof what, "%s B=%d O=%d", activation_name(act), B, O);
    const bool two_d = op_bias_act_choice(c->rt) == OP_BIAS_ACT_2D;
    sc_compare(c, SC_LINE(two_d ? KERNEL_BIAS_ACT_FORWARD_2D : KERNEL_BIAS_ACT_FORWARD), what,
               sc_download_all(c, y, n), want, n + SC_CANARIES, SC_ELEMENT, SC_TOL);
    check_bias_act_backward(
        c, act, SC_LINE(two_d ? KERNEL_BIAS_ACT_BACKWARD_2D : KERNEL_BIAS_ACT_BACKWARD), want);
}

static void check_act(struct sc *c, int act)
{
    const size_t n = 101;
    static const float special[] = {NAN,   INFINITY, -INFINITY, 0.0f,    -0.0f, 1e-40f, -1e-40f,
                                    88.5f, -88.5f,   100.0f,    -100.0f, 20.0f, -20.0f};
    /* The same without denormal inputs or results (exp(-88.5), sigmoid(-100)). */
    static const float normal[] = {NAN,   INFINITY, -INFINITY, 0.0f,   -0.0f, 1e-30f, -1e-30f,
                                   80.0f, -80.0f,   86.0f,     -86.0f, 20.0f, -20.0f};
    static_assert(sizeof special == sizeof normal, "one list of specials per device kind");
    const size_t ns = sizeof special / sizeof special[0];
    char what[96];
    float *x = sc_host(c, n, 6.0f, 0.0f), *dy = sc_host(c, n, 1.0f, 0.0f);
    if (c->status != CLNET_OK) return;
    memcpy(x, c->denorms ? special : normal, sizeof special);
    c->report->denormal_skips += !c->denorms;
    cl_mem xd = sc_buffer(c, x, n * sizeof *x), y = sc_output(c, NULL, n);
    float *want = sc_with_canaries(c, NULL, n);
    SC_OP(c, op_act_forward(c->rt, y, xd, n, act));
    if (c->status != CLNET_OK) return;
    ref_act_forward(want, x, n, act);
    snprintf(what, sizeof what, "%s n=%zu (NaN, infinities, denormals, %zu specials)",
             activation_name(act), n, ns);
    sc_compare(c, SC_LINE(KERNEL_ACT_FORWARD), what, sc_download_all(c, y, n), want, n + SC_CANARIES,
               SC_ELEMENT, SC_TOL);
    cl_mem yd = sc_buffer(c, want, n * sizeof *want), dyd = sc_buffer(c, dy, n * sizeof *dy);
    cl_mem dx = sc_output(c, NULL, n);
    float *want_dx = sc_with_canaries(c, NULL, n);
    SC_OP(c, op_act_backward(c->rt, dx, yd, dyd, n, act));
    if (c->status != CLNET_OK) return;
    ref_act_backward(want_dx, want, dy, n, act);
    snprintf(what, sizeof what, "%s gradient n=%zu (specials)", activation_name(act), n);
    sc_compare(c, SC_LINE(KERNEL_ACT_BACKWARD), what, sc_download_all(c, dx, n), want_dx,
               n + SC_CANARIES, SC_ELEMENT, SC_TOL);
}

static void check_loss(struct sc *c, int loss)
{
    enum { B = 7, C = 13 };
    char what[128];
    float *z = sc_host(c, B * C, 3.0f, 0.0f);
    int32_t labels[B];
    if (c->status != CLNET_OK) return;
    for (int b = 0; b < B; b++)
        labels[b] = (b * 5 + 2) % C;
    /* Row 1: the label's logit 90 below the largest, so its probability exp(-90) / sum is a
     * float denormal: a device that flushes denormals turns its finite loss into infinity. */
    z[1 * C + 0] = 5.0f;
    z[1 * C + labels[1]] = c->denorms ? 5.0f - 90.0f : 5.0f - 60.0f;
    c->report->denormal_skips += !c->denorms;
    for (int j = 0; j < C; j++) /* row 2: all tied, the first maximum wins */
        z[2 * C + j] = 1.0f;
    labels[3] = C; /* row 3: a label outside [0, C): loss NaN, dz 0 */
    cl_mem zd = sc_buffer(c, z, B * C * sizeof *z), ld = sc_buffer(c, labels, sizeof labels);
    cl_mem dz = sc_output(c, NULL, B * C), rl = sc_output(c, NULL, B), rc = sc_output(c, NULL, B);
    float *want_dz = sc_with_canaries(c, NULL, B * C), *want_rl = sc_with_canaries(c, NULL, B);
    float *want_rc = sc_with_canaries(c, NULL, B);
    SC_OP(c, op_loss_forward_backward(c->rt, dz, rl, rc, 0, zd, ld, B, C, loss));
    if (c->status != CLNET_OK) return;
    ref_loss_forward_backward(want_dz, want_rl, want_rc, z, labels, B, C, loss);
    const uint64_t line = SC_LINE(KERNEL_LOSS_FORWARD_BACKWARD);
    snprintf(what, sizeof what, "%s row loss B=%d C=%d (denormal probability, ties, bad label)",
             loss_name(loss), B, C);
    sc_compare(c, line, what, sc_download_all(c, rl, B), want_rl, B + SC_CANARIES, SC_ELEMENT, SC_TOL);
    snprintf(what, sizeof what, "%s row correct B=%d C=%d", loss_name(loss), B, C);
    sc_compare(c, line, what, sc_download_all(c, rc, B), want_rc, B + SC_CANARIES, SC_ELEMENT, 0.0);
    snprintf(what, sizeof what, "%s dz B=%d C=%d", loss_name(loss), B, C);
    sc_compare(c, line, what, sc_download_all(c, dz, B * C), want_dz, B * C + SC_CANARIES, 0.1 / B,
               SC_TOL);
}

static void check_loss_reduce(struct sc *c)
{
    enum { B = 7, SLOTS = 4, SLOT = 2 };
    float *rl = sc_host(c, B, 3.0f, 0.0f), *rc = sc_host(c, B, 0.0f, 0.0f);
    float *acc0 = sc_host(c, 2 * SLOTS, 0.0f, SC_CANARY);
    if (c->status != CLNET_OK) return;
    for (int b = 0; b < B; b++)
        rc[b] = b % 3 == 0 ? 1.0f : 0.0f;
    cl_mem rld = sc_buffer(c, rl, B * sizeof *rl), rcd = sc_buffer(c, rc, B * sizeof *rc);
    cl_mem acc = sc_output(c, acc0, 2 * SLOTS);
    float *want = sc_with_canaries(c, acc0, 2 * SLOTS);
    SC_OP(c, op_loss_reduce(c->rt, acc, SLOT, 1, rld, rcd, 0, B));
    if (c->status != CLNET_OK) return;
    ref_loss_reduce(want, SLOT, rl, rc, B);
    sc_compare(c, SC_LINE(KERNEL_LOSS_REDUCE), "slot 2 of 4, B=7", sc_download_all(c, acc, 2 * SLOTS),
               want, 2 * SLOTS + SC_CANARIES, SC_ELEMENT, 0.0);
}

static void check_optim(struct sc *c)
{
    const size_t n = 1031; /* not a multiple of any work-group size */
    float *w = sc_host(c, n, 1.0f, 0.0f), *g = sc_host(c, n, 0.1f, 0.0f);
    float *vel = sc_host(c, n, 0.1f, 0.0f), *m = sc_host(c, n, 0.1f, 0.0f);
    float *v = sc_host(c, n, 0.01f, 0.0f);
    if (c->status != CLNET_OK) return;
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] * v[i];
    cl_mem gd = sc_buffer(c, g, n * sizeof *g);
    /* SGD */
    cl_mem wd = sc_output(c, w, n);
    float *want_w = sc_with_canaries(c, w, n);
    SC_OP(c, op_sgd_update(c->rt, wd, NULL, gd, n, 0.1f, 0.0f, 0.01f, 0));
    if (c->status != CLNET_OK) return;
    ref_sgd_update(want_w, NULL, g, n, 0.1f, 0.0f, 0.01f, 0);
    sc_compare(c, SC_LINE(KERNEL_SGD_UPDATE), "params n=1031 wd 0.01", sc_download_all(c, wd, n),
               want_w, n + SC_CANARIES, SC_ELEMENT, SC_TOL);
    /* SGD with momentum, not the first step */
    cl_mem wm = sc_output(c, w, n), vd = sc_output(c, vel, n);
    float *want_wm = sc_with_canaries(c, w, n), *want_v = sc_with_canaries(c, vel, n);
    SC_OP(c, op_sgd_update(c->rt, wm, vd, gd, n, 0.1f, 0.9f, 0.01f, 0));
    if (c->status != CLNET_OK) return;
    ref_sgd_update(want_wm, want_v, g, n, 0.1f, 0.9f, 0.01f, 0);
    const uint64_t mom = SC_LINE(KERNEL_SGD_MOMENTUM_UPDATE);
    sc_compare(c, mom, "params n=1031 momentum 0.9", sc_download_all(c, wm, n), want_wm,
               n + SC_CANARIES, SC_ELEMENT, SC_TOL);
    sc_compare(c, mom, "velocity n=1031", sc_download_all(c, vd, n), want_v, n + SC_CANARIES, SC_ELEMENT,
               SC_TOL);
    /* Adam at step 3 */
    const float bc1 = (float)(1.0 - pow(0.9, 3)), bc2 = (float)(1.0 - pow(0.999, 3));
    cl_mem wa = sc_output(c, w, n), md = sc_output(c, m, n), vdd = sc_output(c, v, n);
    float *want_wa = sc_with_canaries(c, w, n), *want_m = sc_with_canaries(c, m, n);
    float *want_vv = sc_with_canaries(c, v, n);
    SC_OP(c,
          op_adam_update(c->rt, wa, md, vdd, gd, n, 0.003f, 0.9, 0.999, 1e-8f, 0.001f, bc1, bc2));
    if (c->status != CLNET_OK) return;
    ref_adam_update(want_wa, want_m, want_vv, g, n, 0.003f, 0.9, 0.999, 1e-8f, 0.001f, bc1, bc2);
    const uint64_t adam = SC_LINE(KERNEL_ADAM_UPDATE);
    sc_compare(c, adam, "params n=1031 step 3", sc_download_all(c, wa, n), want_wa, n + SC_CANARIES,
               SC_ELEMENT, SC_TOL);
    sc_compare(c, adam, "m n=1031", sc_download_all(c, md, n), want_m, n + SC_CANARIES, SC_ELEMENT, SC_TOL);
    sc_compare(c, adam, "v n=1031", sc_download_all(c, vdd, n), want_vv, n + SC_CANARIES, 1e-6, SC_TOL);
}

/* The kernels a conv case checks on the runtime's path: y, dW and db, the arena around them,
 * dx. */
struct conv_lines {
    uint64_t y, dw, arena, dx;
};

static struct conv_lines conv_lines(const struct runtime *rt)
{
    if (runtime_ops_path(rt) == RUNTIME_OPS_GPU)
        return (struct conv_lines){.y = SC_LINE(KERNEL_CONV2D_GPU_FORWARD),
                                   .dw = SC_LINE(KERNEL_CONV2D_GPU_DZ) |
                                         SC_LINE(KERNEL_CONV2D_GPU_WEIGHTS_PARTIAL) |
                                         SC_LINE(KERNEL_CONV2D_GPU_WEIGHTS_REDUCE),
                                   .arena = SC_LINE(KERNEL_CONV2D_GPU_WEIGHTS_REDUCE),
                                   .dx = SC_LINE(KERNEL_CONV2D_GPU_BACKWARD_DATA)};
    return (struct conv_lines){.y = SC_LINE(KERNEL_CONV2D_PAD) | SC_LINE(KERNEL_CONV2D_FORWARD),
                               .dw = SC_LINE(KERNEL_CONV2D_BACKWARD_DZ) |
                                     SC_LINE(KERNEL_CONV2D_BACKWARD_WEIGHTS),
                               .arena = SC_LINE(KERNEL_CONV2D_BACKWARD_WEIGHTS),
                               .dx = SC_LINE(KERNEL_CONV2D_BACKWARD_DATA)};
}

/* c->rt's conv2d forward and backward on geometry g against ref_conv.c. */
static void check_conv(struct sc *c, struct conv_geom g, int batch, int act)
{
    const struct conv_lines lines = conv_lines(c->rt);
    g.p = (g.h + 2 * g.pad_r - g.r) / g.stride_r + 1;
    g.q = (g.w + 2 * g.pad_c - g.s) / g.stride_c + 1;
    const size_t nx = (size_t)batch * g.c * g.h * g.w, nw = (size_t)g.k * g.c * g.r * g.s;
    const size_t ny = (size_t)batch * g.k * g.p * g.q;
    const size_t w_off = 5, b_off = w_off + nw + 3, arena = b_off + (size_t)g.k + 4;
    const size_t work_n = op_conv2d_workspace(&g, batch) / sizeof(float);
    char what[160], shape[96];
    snprintf(shape, sizeof shape, "%s B=%d C=%d %dx%d K=%d %dx%d/%d,%d pad %d,%d",
             activation_name(act), batch, g.c, g.h, g.w, g.k, g.r, g.s, g.stride_r, g.stride_c,
             g.pad_r, g.pad_c);
    float *x = sc_host(c, nx, 1.0f, 0.0f), *params = sc_host(c, arena, 0.5f, 0.0f);
    float *nan_work = sc_host(c, work_n, 0.0f, NAN), *dy = sc_host(c, ny, 1.0f, 0.0f);
    float *grads0 = sc_host(c, arena, 0.0f, SC_CANARY);
    float *want_y = sc_with_canaries(c, NULL, ny);
    cl_mem xd = sc_buffer(c, x, nx * sizeof *x), pd = sc_buffer(c, params, arena * sizeof *x);
    cl_mem work = nan_work ? sc_buffer(c, nan_work, work_n * sizeof *x) : NULL;
    cl_mem y = sc_output(c, NULL, ny);
    SC_OP(c, op_conv2d_forward(c->rt, y, xd, pd, w_off, b_off, work, &g, batch, act));
    if (c->status != CLNET_OK) return;
    ref_conv2d_forward(want_y, x, params + w_off, params + b_off, &g, batch, act);
    snprintf(what, sizeof what, "y %s", shape);
    sc_compare(c, lines.y, what, sc_download_all(c, y, ny), want_y, ny + SC_CANARIES,
               sc_scale(want_y, ny), SC_TOL);

    /* Backward from the host's y into a canary arena. */
    cl_mem yd = sc_buffer(c, want_y, ny * sizeof *x), dyd = sc_output(c, dy, ny);
    cl_mem grads = sc_output(c, grads0, arena), dx = sc_output(c, NULL, nx);
    float *want_dz = sc_with_canaries(c, dy, ny), *want_g = sc_with_canaries(c, grads0, arena);
    float *want_dx = sc_with_canaries(c, NULL, nx);
    SC_OP(c, op_conv2d_backward(c->rt, dx, grads, w_off, b_off, xd, yd, dyd, pd, w_off, work, &g,
                                batch, act));
    if (c->status != CLNET_OK) return;
    ref_conv2d_backward(want_dx, want_g + w_off, want_g + b_off, x, want_y, want_dz, params + w_off,
                        &g, batch, act);
    float *got_g = sc_download_all(c, grads, arena);
    if (!got_g) return;
    snprintf(what, sizeof what, "dW %s", shape);
    const uint64_t dw_line = lines.dw;
    sc_compare(c, dw_line, what, got_g + w_off, want_g + w_off, nw, sc_scale(want_g + w_off, nw),
               SC_TOL);
    snprintf(what, sizeof what, "db %s", shape);
    sc_compare(c, dw_line, what, got_g + b_off, want_g + b_off, (size_t)g.k,
               sc_scale(want_g + b_off, g.k), SC_TOL);
    /* The arena outside dW and db must hold its canaries: patch the checked parts over. */
    memcpy(got_g + w_off, want_g + w_off, nw * sizeof *got_g);
    memcpy(got_g + b_off, want_g + b_off, (size_t)g.k * sizeof *got_g);
    snprintf(what, sizeof what, "grads arena outside dW, db %s", shape);
    sc_compare(c, lines.arena, what, got_g, want_g, arena + SC_CANARIES, SC_ELEMENT, 0.0);
    snprintf(what, sizeof what, "dx %s", shape);
    sc_compare(c, lines.dx, what, sc_download_all(c, dx, nx), want_dx, nx + SC_CANARIES,
               sc_scale(want_dx, nx), SC_TOL);
}

static void check_convs(struct sc *c)
{
    /* c h w k r s stride_r stride_c pad_r pad_c: rectangular with uneven strides and pads;
     * the homework's first layer, small; its third (K not a multiple of 4, stride 2). */
    const struct conv_geom g[] = {
        {.c = 3, .h = 9, .w = 11, .k = 5, .r = 3, .s = 4, .stride_r = 2, .stride_c = 1,
         .pad_r = 1, .pad_c = 2},
        {.c = 1, .h = 12, .w = 12, .k = 4, .r = 5, .s = 5, .stride_r = 1, .stride_c = 1,
         .pad_r = 2, .pad_c = 2},
        {.c = 6, .h = 7, .w = 7, .k = 9, .r = 4, .s = 4, .stride_r = 2, .stride_c = 2,
         .pad_r = 1, .pad_c = 1},
    };
    const int batch[] = {2, 3, 2};
    const int act[] = {ACTIVATION_RELU, ACTIVATION_TANH, ACTIVATION_SIGMOID};
    for (int i = 0; i < 3 && c->status == CLNET_OK; i++) {
        check_conv(c, g[i], batch[i], act[i]);
        sc_release(c);
    }
}

static void check_dropout(struct sc *c)
{
    const size_t n = 1001;
    const uint64_t seed = UINT64_C(0x243f6a8885a308d3), iteration = 17;
    float *x = sc_host(c, n, 1.0f, 0.0f);
    cl_mem xd = x ? sc_buffer(c, x, n * sizeof *x) : NULL;
    cl_mem y = sc_output(c, NULL, n), dx = sc_output(c, NULL, n);
    float *want_y = sc_with_canaries(c, NULL, n), *want_dx = sc_with_canaries(c, NULL, n);
    SC_OP(c, op_dropout_forward(c->rt, y, xd, n, 1000, 0.3f, seed, iteration));
    SC_OP(c, op_dropout_backward(c->rt, dx, xd, n, 1000, 0.3f, seed, iteration));
    if (c->status != CLNET_OK) return;
    ref_dropout_forward(want_y, x, n, 1000, 0.3f, seed, iteration);
    ref_dropout_backward(want_dx, x, n, 1000, 0.3f, seed, iteration);
    sc_compare(c, SC_LINE(KERNEL_DROPOUT_FORWARD), "p 0.3 n=1001", sc_download_all(c, y, n), want_y,
               n + SC_CANARIES, SC_ELEMENT, 0.0);
    sc_compare(c, SC_LINE(KERNEL_DROPOUT_BACKWARD), "p 0.3 n=1001", sc_download_all(c, dx, n), want_dx,
               n + SC_CANARIES, SC_ELEMENT, 0.0);
}

static void check_fill_copy(struct sc *c)
{
    enum { N = 50, OFF = 7, COUNT = 31 };
    float *v = sc_host(c, N, 1.0f, 0.0f);
    cl_mem buf = v ? sc_output(c, v, N) : NULL, dst = sc_output(c, NULL, N);
    float *want = sc_with_canaries(c, v, N);
    SC_OP(c, op_fill(c->rt, buf, OFF, COUNT, 3.5f));
    SC_OP(c, op_copy(c->rt, dst, buf, N * sizeof(float)));
    if (c->status != CLNET_OK) return;
    for (int i = OFF; i < OFF + COUNT; i++)
        want[i] = 3.5f;
    sc_compare(c, SC_EXTRA(SELFCHECK_FILL), "31 floats at 7 of 50", sc_download_all(c, buf, N), want,
               N + SC_CANARIES, SC_ELEMENT, 0.0);
    sc_compare(c, SC_EXTRA(SELFCHECK_COPY), "50 floats", sc_download_all(c, dst, N), want,
               N + SC_CANARIES, SC_ELEMENT, 0.0);
}

static void check_noise(struct sc *c);

/* The cases whose kernels differ between the CPU and the GPU path (runtime_ops_path), on
 * both paths, whichever the runtime chose. */
static void check_both_paths(struct sc *c)
{
    const enum runtime_ops_path chosen = runtime_ops_path(c->rt);
    const enum runtime_ops_path paths[] = {RUNTIME_OPS_CPU, RUNTIME_OPS_GPU};
    for (int i = 0; i < 2 && c->status == CLNET_OK; i++) {
        runtime_set_ops_path(c->rt, paths[i]);
        for (int act = 0; act < ACTIVATION_COUNT && c->status == CLNET_OK; act++) {
            check_bias_act(c, act);
            sc_release(c);
        }
        if (c->status == CLNET_OK) check_convs(c);
        if (c->status == CLNET_OK) check_noise(c);
    }
    runtime_set_ops_path(c->rt, chosen);
}

/* data.noise on a gathered batch against noise_ref_batch, bit for bit: training's passes from
 * an item number past 2^32 (ulong arithmetic), a row width that is not a multiple of 16, and
 * an index outside the set (its zero row kept). */
static void check_noise(struct sc *c)
{
    enum { N = 9, F = 37, B = 7, OFF = 2 };
    const uint64_t pos0 = (UINT64_C(1) << 33) + 5;
    uint8_t images[N * F], labels[N] = {0};
    int32_t index[OFF + B];
    uint32_t pass[B];
    for (int i = 0; i < N * F; i++)
        images[i] = (uint8_t)(i == 0 ? 0 : i == 1 ? 255 : (int)(128.0f + sc_uniform(c, 128.0f)));
    for (int b = 0; b < OFF + B; b++)
        index[b] = b < OFF ? -5 : (b * 4 + 1) % N;
    index[OFF + B - 1] = N;
    for (int b = 0; b < B; b++)
        pass[b] = noise_train_pass(pos0 + (uint64_t)b, N);
    float *table = sc_host(c, NOISE_TABLE_SIZE, 0.0f, 0.0f);
    if (!table) return;
    noise_table(table);
    struct op_noise d = {.table = sc_buffer(c, table, NOISE_TABLE_SIZE * sizeof *table),
                         .key = noise_key(12345), .split = NOISE_SPLIT_TEST, .pos0 = pos0,
                         .per_pass = N, .sigma = 0.7f};
    cl_mem clean = sc_output(c, NULL, B * F), x = sc_output(c, NULL, B * F), y = sc_output(c, NULL, B);
    cl_mem ix = sc_buffer(c, index, sizeof index);
    SC_OP(c, op_gather_batch(c->rt, clean, y, sc_buffer(c, images, sizeof images),
                             sc_buffer(c, labels, sizeof labels), ix, OFF, B, F, N));
    SC_OP(c, op_noise_batch(c->rt, x, clean, ix, OFF, B, F, N, &d));
    float *want = sc_with_canaries(c, NULL, B * F);
    if (c->status != CLNET_OK || !want) return;
    noise_ref_batch(want, images, index + OFF, pass, B - 1, F, table, d.key, NOISE_SPLIT_TEST,
                    d.sigma);
    for (int f = 0; f < F; f++)
        want[(B - 1) * F + f] = 0.0f;
    const bool gpu = runtime_ops_path(c->rt) == RUNTIME_OPS_GPU;
    sc_compare(c, SC_LINE(gpu ? KERNEL_NOISE_BATCH_2D : KERNEL_NOISE_BATCH),
               "x B=7 F=37, bit for bit",
               sc_download_all(c, x, B * F), want, B * F + SC_CANARIES, SC_ELEMENT, 0.0);
}

int selfcheck_cases(struct sc *c)
{
    check_gather(c);
    sc_release(c);
    sc_release(c);
    for (int act = 0; act < ACTIVATION_COUNT && c->status == CLNET_OK; act++) {
        check_act(c, act);
        sc_release(c);
    }
    check_both_paths(c);
    for (int loss = 0; loss < LOSS_COUNT && c->status == CLNET_OK; loss++) {
        check_loss(c, loss);
        sc_release(c);
    }
    if (c->status == CLNET_OK) check_loss_reduce(c);
    sc_release(c);
    selfcheck_loss_terms_cases(c);
    if (c->status == CLNET_OK) check_optim(c);
    sc_release(c);
    if (c->status == CLNET_OK) check_dropout(c);
    sc_release(c);
    selfcheck_gemm_cases(c);
    if (c->status == CLNET_OK) check_fill_copy(c);
    sc_release(c);
    return c->status;
}
