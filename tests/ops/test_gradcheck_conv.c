/* Finite-difference gradient checks in double on the host for conv2d (x, W, b, then an
 * activation) feeding a fixed linear loss L = sum of y * coef. The analytic gradients use the
 * formulas of ops/ref_conv.c written again in double (dz = coef * act'(y), db = sums of dz,
 * dW = sums of dz * x over the window, dx = sums of dz * w over the outputs that read x); they
 * must match a fourth-order central difference of L to 1e-6. Then ref_conv.c's float code is
 * checked against them, so the device kernels (tested against ref_conv.c) inherit the check.
 * Host only: runs without a device. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "harness.h"
#include "ops/ops.h"
#include "ops/ref.h"
#include "layers/layer.h" /* layer_host_act, layer_host_act_grad */

enum { MAX_VALUES = 512 };

/* B, C, H, W, K, R, S, stride_r, stride_c, pad_r, pad_c */
static const int shapes[][11] = {
    {2, 2, 5, 6, 3, 3, 2, 2, 1, 1, 1}, /* rectangular kernel, stride and pad */
    {1, 3, 4, 4, 2, 1, 1, 1, 1, 0, 0}, /* 1x1 */
    {2, 1, 7, 7, 2, 4, 4, 2, 2, 1, 1}, /* the homework's third layer, small */
    {1, 2, 6, 5, 2, 2, 2, 3, 3, 0, 0}, /* stride > kernel */
};

struct problem {
    struct conv_geom g;
    int batch, act;
    double x[MAX_VALUES], w[MAX_VALUES], b[MAX_VALUES], coef[MAX_VALUES];
    int nx, nw, ny;
};

static int xi(const struct conv_geom *g, int b, int c, int h, int w)
{
    return ((b * g->c + c) * g->h + h) * g->w + w;
}

static int yi(const struct conv_geom *g, int b, int k, int p, int q)
{
    return ((b * g->k + k) * g->p + p) * g->q + q;
}

static int wi(const struct conv_geom *g, int k, int c, int r, int s)
{
    return ((k * g->c + c) * g->r + r) * g->s + s;
}

/* z (pre-activation) and y = act(z), both (B, K, P, Q). */
static void forward_d(const struct problem *pr, double *z, double *y)
{
    const struct conv_geom *g = &pr->g;
    for (int b = 0; b < pr->batch; b++)
        for (int k = 0; k < g->k; k++)
            for (int p = 0; p < g->p; p++)
                for (int q = 0; q < g->q; q++) {
                    double sum = pr->b[k];
                    for (int c = 0; c < g->c; c++)
                        for (int r = 0; r < g->r; r++)
                            for (int s = 0; s < g->s; s++) {
                                int h = p * g->stride_r - g->pad_r + r;
                                int v = q * g->stride_c - g->pad_c + s;
                                if (h >= 0 && h < g->h && v >= 0 && v < g->w)
                                    sum += pr->x[xi(g, b, c, h, v)] * pr->w[wi(g, k, c, r, s)];
                            }
                    z[yi(g, b, k, p, q)] = sum;
                    y[yi(g, b, k, p, q)] = layer_host_act(sum, pr->act);
                }
}

static double loss(const struct problem *pr)
{
    double z[MAX_VALUES], y[MAX_VALUES], total = 0.0;
    forward_d(pr, z, y);
    for (int i = 0; i < pr->ny; i++)
        total += y[i] * pr->coef[i];
    return total;
}

/* dW, db, dx by the formulas of ref_conv2d_backward, with dy = coef. */
static void analytic(const struct problem *pr, double *dw, double *db, double *dx)
{
    const struct conv_geom *g = &pr->g;
    double z[MAX_VALUES], y[MAX_VALUES], dz[MAX_VALUES];
    forward_d(pr, z, y);
    for (int i = 0; i < pr->ny; i++)
        dz[i] = layer_host_act_grad(pr->coef[i], y[i], pr->act);
    memset(dw, 0, (size_t)pr->nw * sizeof *dw);
    memset(db, 0, (size_t)g->k * sizeof *db);
    memset(dx, 0, (size_t)pr->nx * sizeof *dx);
    for (int b = 0; b < pr->batch; b++)
        for (int k = 0; k < g->k; k++)
            for (int p = 0; p < g->p; p++)
                for (int q = 0; q < g->q; q++) {
                    const double d = dz[yi(g, b, k, p, q)];
                    db[k] += d;
                    for (int c = 0; c < g->c; c++)
                        for (int r = 0; r < g->r; r++)
                            for (int s = 0; s < g->s; s++) {
                                int h = p * g->stride_r - g->pad_r + r;
                                int v = q * g->stride_c - g->pad_c + s;
                                if (h < 0 || h >= g->h || v < 0 || v >= g->w)
                                    continue;
                                dw[wi(g, k, c, r, s)] += d * pr->x[xi(g, b, c, h, v)];
                                dx[xi(g, b, c, h, v)] += d * pr->w[wi(g, k, c, r, s)];
                            }
                }
}

static double numeric(struct problem *pr, double *v)
{
    const double h = 1e-3, keep = *v;
    const double at[4] = {-2.0, -1.0, 1.0, 2.0};
    double f[4];
    for (int s = 0; s < 4; s++) {
        *v = keep + at[s] * h;
        f[s] = loss(pr);
    }
    *v = keep;
    if (f[0] == f[1] && f[1] == f[2] && f[2] == f[3])
        return 0.0;
    return (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * h);
}

static void compare(struct problem *pr, const char *name, double *vars, const double *grad,
                    int n)
{
    for (int i = 0; i < n; i++) {
        double num = numeric(pr, &vars[i]);
        double scale = fmax(fmax(fabs(num), fabs(grad[i])), 1e-6);
        double rel = fabs(num - grad[i]) / scale;
        ck_assert_msg(rel < 1e-6,
                      "%s shape C=%d H=%d W=%d K=%d R=%d S=%d: d/d%s[%d] analytic %.12g "
                      "numeric %.12g (rel %.3g)",
                      activation_name(pr->act), pr->g.c, pr->g.h, pr->g.w, pr->g.k, pr->g.r,
                      pr->g.s, name, i, grad[i], num, rel);
    }
}

static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * UINT64_C(0x2545f4914f6cdd1d)) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

/* Values rounded to float, so that ref_conv.c sees the same problem. For relu, no
 * pre-activation within 0.05 of the kink (the stencil reaches 2e-3 away, moving z by less). */
static void make_problem(struct problem *pr, const int *v, int act, uint64_t *seed)
{
    memset(pr, 0, sizeof *pr);
    pr->g = (struct conv_geom){.c = v[1], .h = v[2], .w = v[3], .k = v[4], .r = v[5], .s = v[6],
                               .stride_r = v[7], .stride_c = v[8], .pad_r = v[9],
                               .pad_c = v[10]};
    pr->g.p = (pr->g.h + 2 * pr->g.pad_r - pr->g.r) / pr->g.stride_r + 1;
    pr->g.q = (pr->g.w + 2 * pr->g.pad_c - pr->g.s) / pr->g.stride_c + 1;
    pr->batch = v[0];
    pr->act = act;
    pr->nx = pr->batch * pr->g.c * pr->g.h * pr->g.w;
    pr->nw = pr->g.k * pr->g.c * pr->g.r * pr->g.s;
    pr->ny = pr->batch * pr->g.k * pr->g.p * pr->g.q;
    ck_assert(pr->nx <= MAX_VALUES && pr->nw <= MAX_VALUES && pr->ny <= MAX_VALUES);
    for (;;) {
        for (int i = 0; i < pr->nx; i++)
            pr->x[i] = (float)uniform(seed);
        for (int i = 0; i < pr->nw; i++)
            pr->w[i] = (float)(uniform(seed) / sqrt(pr->g.c * pr->g.r * pr->g.s));
        for (int i = 0; i < pr->g.k; i++)
            pr->b[i] = (float)(0.5 * uniform(seed));
        for (int i = 0; i < pr->ny; i++)
            pr->coef[i] = (float)uniform(seed);
        if (act != ACTIVATION_RELU && act != ACTIVATION_STEP)
            return;
        double z[MAX_VALUES], y[MAX_VALUES];
        forward_d(pr, z, y);
        bool near_kink = false;
        for (int i = 0; i < pr->ny; i++)
            near_kink |= fabs(z[i]) < 0.05;
        if (!near_kink)
            return;
    }
}

START_TEST(conv2d_gradients)
{
    static const int acts[] = {ACTIVATION_IDENTITY, ACTIVATION_RELU, ACTIVATION_SIGMOID,
                               ACTIVATION_TANH};
    uint64_t seed = 0x6c1f2e9d3b5a7084u;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
            static struct problem pr;
            make_problem(&pr, shapes[s], acts[a], &seed);
            double dw[MAX_VALUES], db[MAX_VALUES], dx[MAX_VALUES];
            analytic(&pr, dw, db, dx);
            compare(&pr, "W", pr.w, dw, pr.nw);
            compare(&pr, "b", pr.b, db, pr.g.k);
            compare(&pr, "x", pr.x, dx, pr.nx);
        }
}
END_TEST

static void check_float(const char *what, const struct problem *pr, const float *got,
                        const double *want, int n)
{
    double max = 0.0;
    for (int i = 0; i < n; i++)
        max = fmax(max, fabs(want[i]));
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-5 * fmax(fabs(want[i]), 1e-2 * max),
                      "%s: ref %s[%d] = %.9g, double %.9g", activation_name(pr->act), what, i,
                      (double)got[i], want[i]);
}

/* ref_conv.c in float against the double formulas: y, dW, db, dx. */
START_TEST(reference_matches_double)
{
    uint64_t seed = 0x0b7d3e5f1a2c4968u;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int act = 0; act < ACTIVATION_COUNT; act++) {
            static struct problem pr;
            make_problem(&pr, shapes[s], act, &seed);
            float x[MAX_VALUES], w[MAX_VALUES], b[MAX_VALUES], y[MAX_VALUES], dy[MAX_VALUES];
            float dw[MAX_VALUES], db[MAX_VALUES], dx[MAX_VALUES];
            for (int i = 0; i < pr.nx; i++)
                x[i] = (float)pr.x[i];
            for (int i = 0; i < pr.nw; i++)
                w[i] = (float)pr.w[i];
            for (int i = 0; i < pr.g.k; i++)
                b[i] = (float)pr.b[i];
            for (int i = 0; i < pr.ny; i++)
                dy[i] = (float)pr.coef[i];
            ref_conv2d_forward(y, x, w, b, &pr.g, pr.batch, act);
            ref_conv2d_backward(dx, dw, db, x, y, dy, w, &pr.g, pr.batch, act);
            double zd[MAX_VALUES], yd[MAX_VALUES], dwd[MAX_VALUES], dbd[MAX_VALUES],
                dxd[MAX_VALUES];
            forward_d(&pr, zd, yd);
            analytic(&pr, dwd, dbd, dxd);
            check_float("y", &pr, y, yd, pr.ny);
            check_float("dW", &pr, dw, dwd, pr.nw);
            check_float("db", &pr, db, dbd, pr.g.k);
            check_float("dx", &pr, dx, dxd, pr.nx);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_gradcheck_conv");
    TCase *tc = tcase_create("gradcheck_conv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conv2d_gradients);
    tcase_add_test(tc, reference_matches_double);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
