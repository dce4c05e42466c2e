/* cl/conv2d.cl (the CPU path) and cl/conv2d_gpu.cl (the GPU path), each against ops/ref_conv.c:
 * forward, dW, db and dx on odd shapes (pad 0 and more, stride above the kernel, 1x1 to 7x7,
 * rectangular kernels, strides and pads, one and several channels and filters) for every
 * activation, and the homework CNN's three layers at batch 100, on each path; the paths
 * against each other. Weights and bias sit at offsets inside arenas whose other values must stay
 * untouched; errors are norm-wise (||got - want|| / ||want|| < 1e-5). Two runs of the same
 * step are bitwise identical, and so are the batch-minor layouts' results (NaN in the lanes
 * past the batch of the inputs, zeros there in the outputs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "ops/ref.h"
#include "ops_tests.h"
#include "util/status.h"

/* B, C, H, W, K, R, S, stride_r, stride_c, pad_r, pad_c */
static const int shapes[][11] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},   /* all ones */
    {2, 3, 7, 5, 2, 3, 3, 1, 1, 0, 0},   /* odd sizes, pad 0 */
    {3, 2, 9, 11, 3, 2, 2, 3, 3, 0, 0},  /* stride > kernel: inputs no tap reads */
    {1, 1, 13, 13, 1, 7, 7, 1, 1, 3, 3}, /* 7x7 */
    {2, 3, 10, 7, 5, 3, 5, 2, 1, 1, 2},  /* rectangular kernel, stride and pad */
    {1, 2, 5, 5, 1, 5, 5, 1, 1, 0, 0},   /* kernel = input: P = Q = 1 */
    {5, 5, 8, 8, 7, 1, 1, 2, 2, 0, 0},   /* 1x1, stride 2 */
    {2, 1, 4, 4, 2, 3, 3, 1, 1, 2, 2},   /* windows wholly inside the padding */
    {1, 3, 31, 1, 2, 3, 1, 2, 1, 1, 0},  /* one column */
    {3, 4, 6, 9, 3, 4, 2, 3, 2, 2, 1},   /* stride 3, pad 2 */
    {2, 2, 3, 4, 2, 2, 3, 1, 2, 3, 2},   /* pad > kernel: whole output rows of bias alone */
    {1, 1, 5, 40, 2, 3, 3, 3, 3, 1, 1},  /* wide rows, stride 3: several column blocks */
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* The homework's CNN (seed question 5) at batch 100. */
static const int homework[][11] = {
    {100, 1, 28, 28, 4, 5, 5, 1, 1, 2, 2},
    {100, 4, 28, 28, 8, 5, 5, 2, 2, 2, 2},
    {100, 8, 14, 14, 12, 4, 4, 2, 2, 1, 1},
};

static struct conv_geom make_geom(const int *v)
{
    struct conv_geom g = {.c = v[1], .h = v[2], .w = v[3], .k = v[4], .r = v[5], .s = v[6],
                          .stride_r = v[7], .stride_c = v[8], .pad_r = v[9], .pad_c = v[10]};
    g.p = (g.h + 2 * g.pad_r - g.r) / g.stride_r + 1;
    g.q = (g.w + 2 * g.pad_c - g.s) / g.stride_c + 1;
    return g;
}

/* ||got - want|| / ||want|| < 1e-5 (got exactly zero when want is); on failure the first
 * values that differ by more than 1e-5 of the largest |want|. */
static void check_norm(const float *got, const float *want, size_t n, const char *what,
                       const struct conv_geom *g, int batch, int act)
{
    double diff = 0.0, norm = 0.0, max = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - (double)want[i];
        diff += d * d;
        norm += (double)want[i] * want[i];
        max = fmax(max, fabs((double)want[i]));
    }
    double rel = norm > 0.0 ? sqrt(diff / norm) : sqrt(diff);
    if (rel < 1e-5 && !isnan(rel))
        return;
    char report[1024] = "";
    size_t used = 0;
    for (size_t i = 0, shown = 0; i < n && shown < 5 && used < sizeof report; i++)
        if (!(fabs((double)got[i] - (double)want[i]) <= 1e-5 * max)) {
            used += (size_t)snprintf(report + used, sizeof report - used,
                                     "\n  [%zu] device %.9g host %.9g", i, (double)got[i],
                                     (double)want[i]);
            shown++;
        }
    ck_abort_msg("conv2d %s (%s) B=%d C=%d H=%d W=%d K=%d R=%d S=%d stride %d,%d pad %d,%d: "
                 "norm-wise relative error %.3g:%s",
                 what, activation_name(act), batch, g->c, g->h, g->w, g->k, g->r, g->s,
                 g->stride_r, g->stride_c, g->pad_r, g->pad_c, rel, report);
}

/* Fails when an arena value outside [off, off + n) changed. */
static void check_untouched(const float *got, const float *before, size_t size, size_t off,
                            size_t n, const char *what)
{
    for (size_t i = 0; i < size; i++)
        if ((i < off || i >= off + n) && memcmp(&got[i], &before[i], sizeof(float)) != 0)
            ck_abort_msg("conv2d %s: arena[%zu] outside [%zu, %zu) changed", what, i, off,
                         off + n);
}

static float *floats(size_t n)
{
    float *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* t (B, n) as batch-minor (n, bp), the lanes past B set to fill. */
static float *to_batch_minor(const float *t, int batch, size_t n, size_t bp, float fill)
{
    float *v = floats(n * bp);
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < bp; b++)
            v[i * bp + b] = b < (size_t)batch ? t[b * n + i] : fill;
    return v;
}

/* Fails unless the batch-minor got (n, bp) holds want (B, n) bit for bit and zeros past B. */
static void check_batch_minor(cl_mem got_dev, const float *want, int batch, size_t n, size_t bp,
                              const char *what)
{
    float *got = ops_download(got_dev, 0, n * bp);
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < bp; b++) {
            float w = b < (size_t)batch ? want[b * n + i] : 0.0f;
            ck_assert_msg(memcmp(&got[i * bp + b], &w, sizeof w) == 0,
                          "conv2d batch-minor %s: value %zu of image %zu is %.9g, NCHW %.9g", what,
                          i, b, (double)got[i * bp + b], (double)w);
        }
    free(got);
}

/* Fails unless the device's grads arena holds want (n floats) bit for bit. */
static void check_same_grads(cl_mem got_dev, const float *want, size_t n, const char *what)
{
    float *got = ops_download(got_dev, 0, n);
    long d = ops_first_difference(got, want, n);
    ck_assert_msg(d < 0, "conv2d grads %s at %ld", what, d);
    free(got);
}

/* The same forward and backward as check_conv's NCHW run (whose device results are y, grads
 * and dx) with x, dx, y and dy batch-minor: bitwise the same values. */
static void check_layouts(struct conv_geom g, int batch, int act, const float *x, const float *dy,
                          const float *host_y, const float *grads0, size_t arena, cl_mem mp,
                          size_t w_off, size_t b_off, const float *y, const float *grads,
                          const float *dx)
{
    g.x_batch_minor = g.y_batch_minor = true;
    const size_t bp = op_conv2d_batch_stride(batch), chw = (size_t)g.c * g.h * g.w;
    const size_t kpq = (size_t)g.k * g.p * g.q;
    float *xb = to_batch_minor(x, batch, chw, bp, NAN);
    float *dyb = to_batch_minor(dy, batch, kpq, bp, NAN);
    float *yb = to_batch_minor(host_y, batch, kpq, bp, NAN);
    cl_mem mx = ops_buffer(xb, chw * bp * 4), my = ops_buffer(NULL, kpq * bp * 4);
    cl_mem mdy = ops_buffer(dyb, kpq * bp * 4), mg = ops_buffer(grads0, arena * 4);
    cl_mem mdx = ops_buffer(NULL, chw * bp * 4);
    cl_mem work = ops_buffer(NULL, op_conv2d_workspace(&g, batch));
    ck_assert_int_eq(op_conv2d_forward(ops_rt, my, mx, mp, w_off, b_off, work, &g, batch, act), 0);
    check_batch_minor(my, y, batch, kpq, bp, "y");
    ck_assert_int_eq(runtime_upload(ops_rt, my, 0, yb, kpq * bp * 4), 0);
    ck_assert_int_eq(op_conv2d_backward(ops_rt, mdx, mg, w_off, b_off, mx, my, mdy, mp, w_off, work,
                                        &g, batch, act),
                     0);
    check_batch_minor(mdx, dx, batch, chw, bp, "dx");
    check_same_grads(mg, grads, arena, "batch-minor differ from NCHW's");
    free(xb);
    free(dyb);
    free(yb);
    runtime_free(mx);
    runtime_free(my);
    runtime_free(mdy);
    runtime_free(mg);
    runtime_free(mdx);
    runtime_free(work);
}

/* One geometry and activation end to end; `twice` reruns forward and backward and requires
 * bitwise equal results. */
static void check_conv(const int *v, int act, uint64_t *seed, bool twice)
{
    const struct conv_geom g = make_geom(v);
    const int batch = v[0];
    const size_t nx = (size_t)batch * g.c * g.h * g.w, ny = (size_t)batch * g.k * g.p * g.q;
    const size_t nw = (size_t)g.k * g.c * g.r * g.s, nb = (size_t)g.k;
    /* Arena: [gap][w][gap][b][gap], offsets varying by shape. */
    const size_t w_off = 1 + ops_random(seed) % 13, b_off = w_off + nw + ops_random(seed) % 5;
    const size_t arena = b_off + nb + 3;
    float *x = ops_random_floats(seed, nx, 1.0f);
    float *params = ops_random_floats(seed, arena, 1.0f / sqrtf((float)(g.c * g.r * g.s)));
    float *grads0 = ops_random_floats(seed, arena, 1.0f);
    float *dy = ops_random_floats(seed, ny, 1.0f);

    float *want_y = floats(ny), *want_dz = floats(ny), *want_dx = floats(nx);
    float *want_grads = floats(arena);
    ref_conv2d_forward(want_y, x, params + w_off, params + b_off, &g, batch, act);
    memcpy(want_dz, dy, ny * sizeof *dy);
    memcpy(want_grads, grads0, arena * sizeof(float));
    ref_conv2d_backward(want_dx, want_grads + w_off, want_grads + b_off, x, want_y, want_dz,
                        params + w_off, &g, batch, act);

    cl_mem mx = ops_buffer(x, nx * 4), mp = ops_buffer(params, arena * 4);
    cl_mem my = ops_buffer(NULL, ny * 4), mdy = ops_buffer(dy, ny * 4);
    cl_mem mg = ops_buffer(grads0, arena * 4), mdx = ops_buffer(NULL, nx * 4);
    cl_mem work = ops_buffer(NULL, op_conv2d_workspace(&g, batch));
    ck_assert_msg(op_conv2d_forward(ops_rt, my, mx, mp, w_off, b_off, work, &g, batch, act) == 0,
                  "%s", clnet_error_message());
    float *y = ops_download(my, 0, ny);
    check_norm(y, want_y, ny, "forward y", &g, batch, act);

    /* Backward from the host's y, so that both sides take the same activation gradient. */
    ck_assert_int_eq(runtime_upload(ops_rt, my, 0, want_y, ny * 4), 0);
    ck_assert_msg(op_conv2d_backward(ops_rt, mdx, mg, w_off, b_off, mx, my, mdy, mp, w_off, work,
                                     &g, batch, act) == 0,
                  "%s", clnet_error_message());
    float *dy_after = ops_download(mdy, 0, ny), *grads = ops_download(mg, 0, arena);
    float *dx = ops_download(mdx, 0, nx);
    ck_assert_msg(ops_first_difference(dy_after, dy, ny) < 0, "conv2d backward changed dy");
    check_norm(grads + w_off, want_grads + w_off, nw, "backward dW", &g, batch, act);
    check_norm(grads + b_off, want_grads + b_off, nb, "backward db", &g, batch, act);
    check_norm(dx, want_dx, nx, "backward dx", &g, batch, act);
    check_untouched(grads, grads0, b_off, w_off, nw, "dW");
    check_untouched(grads + b_off, grads0 + b_off, arena - b_off, 0, nb, "db");

    check_layouts(g, batch, act, x, dy, want_y, grads0, arena, mp, w_off, b_off, y, grads, dx);

    if (twice) {
        /* Same inputs again (dx NULL): bitwise the same y, dW and db. */
        ck_assert_int_eq(op_conv2d_forward(ops_rt, my, mx, mp, w_off, b_off, work, &g, batch,
                                           act), 0);
        float *y2 = ops_download(my, 0, ny);
        ck_assert_msg(ops_first_difference(y2, y, ny) < 0, "conv2d forward not reproducible");
        ck_assert_int_eq(runtime_upload(ops_rt, my, 0, want_y, ny * 4), 0);
        ck_assert_int_eq(runtime_upload(ops_rt, mg, 0, grads0, arena * 4), 0);
        ck_assert_msg(op_conv2d_backward(ops_rt, NULL, mg, w_off, b_off, mx, my, mdy, mp, w_off,
                                         work, &g, batch, act) == 0,
                      "%s", clnet_error_message());
        check_same_grads(mg, grads, arena, "not reproducible");
        free(y2);
    }
    free(x);
    free(params);
    free(grads0);
    free(dy);
    free(want_y);
    free(want_dz);
    free(want_dx);
    free(want_grads);
    free(y);
    free(dy_after);
    free(grads);
    free(dx);
    runtime_free(mx);
    runtime_free(mp);
    runtime_free(my);
    runtime_free(mdy);
    runtime_free(mg);
    runtime_free(mdx);
    runtime_free(work);
}

/* The loop tests below run on the path _i names (runtime_ops_path), whichever the runtime
 * chose, and put its choice back. */
static const enum runtime_ops_path paths[] = {RUNTIME_OPS_CPU, RUNTIME_OPS_GPU};
static enum runtime_ops_path chosen_path;

static void use_path(int i)
{
    chosen_path = runtime_ops_path(ops_rt);
    runtime_set_ops_path(ops_rt, paths[i]);
}

START_TEST(conv2d_shapes)
{
    use_path(_i);
    uint64_t seed = 0x5be3a7c1d2096f4bu;
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int act = 0; act < ACTIVATION_COUNT; act++)
            check_conv(shapes[s], act, &seed, s == 4);
    runtime_set_ops_path(ops_rt, chosen_path);
}
END_TEST

START_TEST(conv2d_homework_layers)
{
    use_path(_i);
    uint64_t seed = 0x1f0e5d8c2b3a4968u;
    for (size_t l = 0; l < sizeof homework / sizeof homework[0]; l++)
        check_conv(homework[l], ACTIVATION_RELU, &seed, true);
    check_conv(homework[1], ACTIVATION_TANH, &seed, false);
    runtime_set_ops_path(ops_rt, chosen_path);
}
END_TEST

/* One forward and backward of v (batch-minor between conv layers, as layers/conv2d.c lays out
 * the homework CNN's middle layer) on the given path; y, dW and db (grads), dx downloaded. */
struct conv_run {
    float *y, *grads, *dx;
};

static struct conv_run run_path(enum runtime_ops_path path, const struct conv_geom *g, int batch,
                                int act, cl_mem mx, cl_mem mp, cl_mem mdy, size_t arena)
{
    runtime_set_ops_path(ops_rt, path);
    const size_t bp = op_conv2d_batch_stride(batch);
    const size_t nx = (size_t)g->c * g->h * g->w * bp, ny = (size_t)g->k * g->p * g->q * bp;
    cl_mem my = ops_buffer(NULL, ny * 4), mg = ops_buffer(NULL, arena * 4);
    cl_mem mdx = ops_buffer(NULL, nx * 4), work = ops_buffer(NULL, op_conv2d_workspace(g, batch));
    ck_assert_int_eq(op_fill(ops_rt, mg, 0, arena, 0.0f), 0);
    ck_assert_int_eq(
        op_conv2d_forward(ops_rt, my, mx, mp, 0, arena - (size_t)g->k, work, g, batch, act), 0);
    ck_assert_int_eq(op_conv2d_backward(ops_rt, mdx, mg, 0, arena - (size_t)g->k, mx, my, mdy, mp,
                                        0, work, g, batch, act),
                     0);
    struct conv_run r = {ops_download(my, 0, ny), ops_download(mg, 0, arena),
                         ops_download(mdx, 0, nx)};
    runtime_free(my);
    runtime_free(mg);
    runtime_free(mdx);
    runtime_free(work);
    return r;
}

/* Fails unless a and b (n floats) are bitwise equal. */
static void check_bitwise(const float *a, const float *b, size_t n, const char *what, size_t l)
{
    long d = ops_first_difference(a, b, n);
    ck_assert_msg(d < 0, "layer %zu: %s differs between the paths at %ld: %.9g, %.9g", l, what, d,
                  d < 0 ? 0.0 : (double)a[d], d < 0 ? 0.0 : (double)b[d]);
}

/* The GPU path against the CPU path on homework layer l, batch-minor. */
static void check_paths_agree(size_t l, uint64_t *seed)
{
    struct conv_geom g = make_geom(homework[l]);
    g.x_batch_minor = g.y_batch_minor = true;
    const int batch = homework[l][0], act = ACTIVATION_RELU;
    const size_t bp = op_conv2d_batch_stride(batch), chw = (size_t)g.c * g.h * g.w;
    const size_t kpq = (size_t)g.k * g.p * g.q, arena = (size_t)g.k * g.c * g.r * g.s + g.k;
    float *x = ops_random_floats(seed, chw * (size_t)batch, 1.0f);
    float *dy = ops_random_floats(seed, kpq * (size_t)batch, 1.0f);
    float *params = ops_random_floats(seed, arena, 0.3f);
    float *xb = to_batch_minor(x, batch, chw, bp, NAN);
    float *dyb = to_batch_minor(dy, batch, kpq, bp, NAN);
    cl_mem mx = ops_buffer(xb, chw * bp * 4), mdy = ops_buffer(dyb, kpq * bp * 4);
    cl_mem mp = ops_buffer(params, arena * 4);
    struct conv_run cpu = run_path(RUNTIME_OPS_CPU, &g, batch, act, mx, mp, mdy, arena);
    struct conv_run gpu = run_path(RUNTIME_OPS_GPU, &g, batch, act, mx, mp, mdy, arena);
    check_bitwise(gpu.y, cpu.y, kpq * bp, "y", l);
    check_bitwise(gpu.dx, cpu.dx, chw * bp, "dx", l);
    check_norm(gpu.grads, cpu.grads, arena, "GPU path's dW, db against the CPU path's", &g, batch,
               act);
    free(x), free(dy), free(params), free(xb), free(dyb);
    free(cpu.y), free(cpu.grads), free(cpu.dx), free(gpu.y), free(gpu.grads), free(gpu.dx);
    runtime_free(mx);
    runtime_free(mdy);
    runtime_free(mp);
}

/* The GPU path against the CPU path on the homework CNN's layers: y and dx sum their taps in
 * the same order, so with ReLU they are bitwise the same; dW and db sum in another order,
 * within the suite's 1e-5. */
START_TEST(conv2d_paths_agree)
{
    const enum runtime_ops_path chosen = runtime_ops_path(ops_rt);
    uint64_t seed = 0x7a3c91e5f02b6d48u;
    for (size_t l = 0; l < sizeof homework / sizeof homework[0]; l++)
        check_paths_agree(l, &seed);
    runtime_set_ops_path(ops_rt, chosen);
}
END_TEST

/* Two conv layers in a row, lo then hi, and what one step of them leaves: hi's y (NCHW), both
 * layers' dW and db (one arena: lo's w, b, then hi's), lo's dx (NCHW). */
struct chain {
    struct conv_geom lo, hi;
    int batch, act_lo, act_hi;
    size_t arena, w_hi;
};

struct chain_run {
    float *y, *grads, *dx;
};

/* One forward and backward of the chain c, batch-minor between the layers and, with `fused`,
 * lo's y stored inside hi's padding and hi's dx stored as lo's dz (ops.h: conv_geom), their
 * borders zero-filled here as layers/conv2d.c does. */
static struct chain_run run_chain(const struct chain *c, bool fused, cl_mem mx, cl_mem mp,
                                  cl_mem mdy)
{
    struct conv_geom lo = c->lo, hi = c->hi;
    lo.y_batch_minor = hi.x_batch_minor = true;
    if (fused) {
        lo.y_padded = hi.x_padded = lo.dy_is_dz = hi.dx_dz = true;
        lo.y_pad_r = hi.pad_r, lo.y_pad_c = hi.pad_c;
        hi.dz_below = op_conv2d_dz_layout(&lo);
        hi.below_act = c->act_lo;
    }
    const int b = c->batch;
    const size_t ny = (size_t)hi.k * hi.p * hi.q * b, nx = (size_t)lo.c * lo.h * lo.w * b;
    const size_t ylo = op_conv2d_y_floats(&lo, b);
    const size_t dxhi = fused ? op_conv2d_dz_floats(&lo, b) : op_conv2d_x_floats(&hi, b);
    cl_mem my_lo = ops_buffer(NULL, ylo * 4), my_hi = ops_buffer(NULL, ny * 4);
    cl_mem mdx_hi = ops_buffer(NULL, dxhi * 4), mdx_lo = ops_buffer(NULL, nx * 4);
    cl_mem mg = ops_buffer(NULL, c->arena * 4);
    cl_mem work_lo = ops_buffer(NULL, op_conv2d_workspace(&lo, b));
    cl_mem work_hi = ops_buffer(NULL, op_conv2d_workspace(&hi, b));
    const size_t bias_lo = (size_t)lo.k * lo.c * lo.r * lo.s;
    const size_t bias_hi = c->w_hi + (size_t)hi.k * hi.c * hi.r * hi.s;
    ck_assert_int_eq(op_fill(ops_rt, my_lo, 0, ylo, 0.0f), 0);
    ck_assert_int_eq(op_fill(ops_rt, mdx_hi, 0, dxhi, 0.0f), 0);
    ck_assert_int_eq(op_fill(ops_rt, mg, 0, c->arena, 0.0f), 0);
    ck_assert_msg(op_conv2d_forward(ops_rt, my_lo, mx, mp, 0, bias_lo, work_lo, &lo, b,
                                    c->act_lo) == 0 &&
                      op_conv2d_forward(ops_rt, my_hi, my_lo, mp, c->w_hi, bias_hi, work_hi, &hi,
                                        b, c->act_hi) == 0 &&
                      op_conv2d_backward(ops_rt, mdx_hi, mg, c->w_hi, bias_hi, my_lo, my_hi, mdy,
                                         mp, c->w_hi, work_hi, &hi, b, c->act_hi) == 0 &&
                      op_conv2d_backward(ops_rt, mdx_lo, mg, 0, bias_lo, mx, my_lo, mdx_hi, mp, 0,
                                         work_lo, &lo, b, c->act_lo) == 0,
                  "%s", clnet_error_message());
    struct chain_run r = {ops_download(my_hi, 0, ny), ops_download(mg, 0, c->arena),
                          ops_download(mdx_lo, 0, nx)};
    runtime_free(my_lo), runtime_free(my_hi), runtime_free(mdx_hi), runtime_free(mdx_lo);
    runtime_free(mg), runtime_free(work_lo), runtime_free(work_hi);
    return r;
}

/* lo then hi on a batch of `batch` and the given activations: the fused chain's y, dW, db and
 * dx bitwise those of the plain batch-minor chain. */
static void check_chain(const int *vlo, const int *vhi, int batch, int act_lo, int act_hi,
                        uint64_t *seed)
{
    struct chain c = {make_geom(vlo), make_geom(vhi), batch, act_lo, act_hi, 0, 0};
    ck_assert(c.hi.c == c.lo.k && c.hi.h == c.lo.p && c.hi.w == c.lo.q);
    c.w_hi = (size_t)c.lo.k * c.lo.c * c.lo.r * c.lo.s + (size_t)c.lo.k;
    c.arena = c.w_hi + (size_t)c.hi.k * c.hi.c * c.hi.r * c.hi.s + (size_t)c.hi.k;
    const size_t nx = (size_t)c.lo.c * c.lo.h * c.lo.w * batch;
    const size_t ny = (size_t)c.hi.k * c.hi.p * c.hi.q * batch;
    float *x = ops_random_floats(seed, nx, 1.0f), *dy = ops_random_floats(seed, ny, 1.0f);
    float *params = ops_random_floats(seed, c.arena, 0.3f);
    cl_mem mx = ops_buffer(x, nx * 4), mdy = ops_buffer(dy, ny * 4);
    cl_mem mp = ops_buffer(params, c.arena * 4);
    struct chain_run plain = run_chain(&c, false, mx, mp, mdy);
    struct chain_run fused = run_chain(&c, true, mx, mp, mdy);
    check_bitwise(fused.y, plain.y, ny, "fused chain: y of the upper layer", 1);
    check_bitwise(fused.grads, plain.grads, c.arena, "fused chain: dW and db", 0);
    check_bitwise(fused.dx, plain.dx, nx, "fused chain: dx of the lower layer", 0);
    free(x), free(dy), free(params);
    free(plain.y), free(plain.grads), free(plain.dx), free(fused.y), free(fused.grads);
    free(fused.dx);
    runtime_free(mx), runtime_free(mdy), runtime_free(mp);
}

/* The CPU path's fusions between two conv layers change no bit: odd shapes with stride and
 * pads on both sides, an upper layer without padding, the homework's first two layers; batches
 * below, at and past the 16 lanes. */
START_TEST(conv2d_fused_chain)
{
    const enum runtime_ops_path chosen = runtime_ops_path(ops_rt);
    runtime_set_ops_path(ops_rt, RUNTIME_OPS_CPU);
    uint64_t seed = 0x3d5e2a1b9c087f64u;
    static const int odd_lo[] = {0, 2, 9, 11, 5, 3, 2, 2, 1, 1, 0};
    static const int odd_hi[] = {0, 5, 5, 10, 3, 3, 3, 1, 2, 2, 1};
    static const int nopad_lo[] = {0, 1, 8, 8, 4, 3, 3, 1, 1, 1, 1};
    static const int nopad_hi[] = {0, 4, 8, 8, 6, 2, 2, 2, 2, 0, 0};
    check_chain(odd_lo, odd_hi, 19, ACTIVATION_TANH, ACTIVATION_RELU, &seed);
    check_chain(nopad_lo, nopad_hi, 16, ACTIVATION_SIGMOID, ACTIVATION_TANH, &seed);
    check_chain(homework[0], homework[1], 37, ACTIVATION_RELU, ACTIVATION_RELU, &seed);
    runtime_set_ops_path(ops_rt, chosen);
}
END_TEST

START_TEST(conv2d_bad_arguments)
{
    struct conv_geom g = make_geom(shapes[1]);
    cl_mem m = ops_buffer(NULL, 64), work = ops_buffer(NULL, 16);
    clnet_error_clear();
    g.p++;
    ck_assert_int_eq(op_conv2d_forward(ops_rt, m, m, m, 0, 0, NULL, &g, 1, 0), CLNET_ERR_INTERNAL);
    g.p--;
    clnet_error_clear();
    ck_assert_int_eq(op_conv2d_forward(ops_rt, m, m, m, 0, 0, NULL, &g, 0, 0), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_conv2d_forward(ops_rt, m, m, m, 0, 0, NULL, &g, 1, ACTIVATION_COUNT),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_conv2d_backward(ops_rt, NULL, m, 0, 0, m, m, m, m, 0, work, &g, 2, 0),
                     CLNET_ERR_INTERNAL); /* workspace too small */
    clnet_error_clear();
    ck_assert_int_eq(op_conv2d_backward(ops_rt, NULL, m, 0, 0, m, m, m, m, 0, NULL, &g, 2, 0),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_uint_eq(op_conv2d_workspace(&g, 0), 0);
    /* the fusions' conditions (ops.h: conv_geom) */
    cl_mem big = ops_buffer(NULL, op_conv2d_workspace(&g, 2) + 4096);
    const enum runtime_ops_path chosen = runtime_ops_path(ops_rt);
    runtime_set_ops_path(ops_rt, RUNTIME_OPS_CPU);
    struct conv_geom f = g;
    f.x_padded = true; /* x NCHW */
    ck_assert_int_eq(op_conv2d_forward(ops_rt, big, big, big, 0, 0, big, &f, 2, 0),
                     CLNET_ERR_INTERNAL);
    f = g;
    f.x_batch_minor = f.dx_dz = true; /* dx as dz reads a padded x */
    ck_assert_int_eq(op_conv2d_backward(ops_rt, big, big, 0, 0, big, big, big, big, 0, big, &f,
                                        2, 0),
                     CLNET_ERR_INTERNAL);
    f = g;
    f.y_batch_minor = f.y_padded = true; /* its dz from the layer above, not conv2d_backward_dz */
    ck_assert_int_eq(op_conv2d_backward(ops_rt, NULL, big, 0, 0, big, big, big, big, 0, big, &f,
                                        2, 0),
                     CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(op_conv2d_forward(ops_rt, big, big, big, 0, 0, big, &f, 2, 0), CLNET_OK);
    runtime_set_ops_path(ops_rt, RUNTIME_OPS_GPU);
    ck_assert_int_eq(op_conv2d_forward(ops_rt, big, big, big, 0, 0, big, &f, 2, 0),
                     CLNET_ERR_INTERNAL); /* the GPU path fuses nothing */
    runtime_set_ops_path(ops_rt, chosen);
    clnet_error_clear();
    runtime_free(big);
    runtime_free(m);
    runtime_free(work);
}
END_TEST

/* A run's program set names both paths' conv programs (layers/conv2d.c's kind row); runtime_open builds
 * the one of its path, whichever the caller or --ops-path chose (runtime_configure); every program (set 0)
 * builds both. */
START_TEST(conv2d_program_per_path)
{
    const unsigned cpu = RUNTIME_PROGRAM(PROGRAM_CONV2D), gpu = RUNTIME_PROGRAM(PROGRAM_CONV2D_GPU);
    for (int i = 0; i < 2; i++) {
        struct runtime_options o = {.programs = RUNTIME_PROGRAM(PROGRAM_DATA) | cpu | gpu,
                                    .ops_path = paths[i]};
        struct runtime *rt;
        ck_assert_msg(runtime_open_with(&rt, runtime_device_spec(NULL, NULL), NULL, &o) == 0,
                      "%s", clnet_error_message());
        ck_assert_int_eq(runtime_ops_path(rt), paths[i]);
        ck_assert_str_eq(runtime_ops_path_reason(rt), "asked by the caller");
        ck_assert_uint_eq(runtime_stats(rt)->program_set & (cpu | gpu), i == 0 ? cpu : gpu);
        runtime_close(rt);
    }
    ck_assert_uint_eq(runtime_stats(ops_rt)->program_set & (cpu | gpu), cpu | gpu);
}
END_TEST

TCase *ops_conv2d_tcase(void)
{
    TCase *tc = tcase_create("conv2d");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, conv2d_shapes, 0, 2);
    tcase_add_loop_test(tc, conv2d_homework_layers, 0, 2);
    tcase_add_test(tc, conv2d_paths_agree);
    tcase_add_test(tc, conv2d_fused_chain);
    tcase_add_test(tc, conv2d_program_per_path);
    tcase_add_test(tc, conv2d_bad_arguments);
    return tc;
}
