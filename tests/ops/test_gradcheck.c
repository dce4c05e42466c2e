/* Finite-difference gradient checks in double on the host: a dense layer (x W + b, then an
 * activation) feeding each loss. The analytic gradients use the formulas of ops/ref.c, written
 * again here in double (dz = loss gradient * act'(y), dW = x^T dz, db = column sums of dz,
 * dx = dz W^T); they must match a fourth-order central difference of the mean loss to 1e-6.
 * Step has a zero gradient everywhere: checked to be exactly zero. Then ref.c's float code is
 * checked against the double formulas, so the device kernels (tested against ref.c) inherit
 * the check. Host only: runs without a device. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "harness.h"
#include "ops/ref.h"
#include "layers/layer.h" /* layer_host_act, layer_host_act_grad */

enum { B = 3, I = 4, O = 5 }; /* batch rows, inputs, outputs (= classes of the loss) */

/* y (B, O) = act(x (B, I) W (I, O) + b (O)). */
static void dense_forward_d(double *y, const double *x, const double *w, const double *b, int act)
{
    for (int r = 0; r < B; r++)
        for (int j = 0; j < O; j++) {
            double z = b[j];
            for (int i = 0; i < I; i++)
                z += x[r * I + i] * w[i * O + j];
            y[r * O + j] = layer_host_act(z, act);
        }
}

/* Mean loss over the rows of logits z (B, O); dz = d(mean loss)/dz when not NULL, by the
 * formulas of ref_loss_forward_backward. */
static double loss_d(double *dz, const double *z, const int *labels, int loss)
{
    double total = 0.0;
    for (int r = 0; r < B; r++) {
        const double *zr = z + r * O;
        double max = zr[0], sum = 0.0, p[O];
        for (int j = 1; j < O; j++)
            max = zr[j] > max ? zr[j] : max;
        for (int j = 0; j < O; j++)
            sum += (p[j] = exp(zr[j] - max));
        for (int j = 0; j < O; j++)
            p[j] /= sum;
        const int label = labels[r];
        if (loss == LOSS_CROSS_ENTROPY)
            total += log(sum) - (zr[label] - max);
        else
            total += -log(p[label]);
        if (!dz)
            continue;
        if (loss == LOSS_CROSS_ENTROPY) {
            for (int j = 0; j < O; j++)
                dz[r * O + j] = (p[j] - (j == label ? 1.0 : 0.0)) / B;
        } else {
            const double g = (-1.0 / B) / p[label], dot = p[label] * g;
            for (int j = 0; j < O; j++)
                dz[r * O + j] = p[j] * ((j == label ? g : 0.0) - dot);
        }
    }
    return total / B;
}

struct problem {
    double x[B * I], w[I * O], b[O];
    int labels[B];
    int act, loss;
};

static double total_loss(const struct problem *p)
{
    double y[B * O];
    dense_forward_d(y, p->x, p->w, p->b, p->act);
    return loss_d(NULL, y, p->labels, p->loss);
}

/* dW, db, dx by the analytic formulas. */
static void analytic(const struct problem *p, double *dw, double *db, double *dx)
{
    double y[B * O], dy[B * O], dz[B * O];
    dense_forward_d(y, p->x, p->w, p->b, p->act);
    loss_d(dy, y, p->labels, p->loss);
    for (int k = 0; k < B * O; k++)
        dz[k] = layer_host_act_grad(dy[k], y[k], p->act);
    for (int i = 0; i < I; i++)
        for (int j = 0; j < O; j++) {
            dw[i * O + j] = 0.0;
            for (int r = 0; r < B; r++)
                dw[i * O + j] += p->x[r * I + i] * dz[r * O + j];
        }
    for (int j = 0; j < O; j++) {
        db[j] = 0.0;
        for (int r = 0; r < B; r++)
            db[j] += dz[r * O + j];
    }
    for (int r = 0; r < B; r++)
        for (int i = 0; i < I; i++) {
            dx[r * I + i] = 0.0;
            for (int j = 0; j < O; j++)
                dx[r * I + i] += dz[r * O + j] * p->w[i * O + j];
        }
}

/* Fourth-order central difference of the loss in one variable of p. */
static double numeric(struct problem *p, double *v)
{
    const double h = 1e-3, keep = *v;
    double f[4];
    const double at[4] = {-2.0, -1.0, 1.0, 2.0};
    for (int s = 0; s < 4; s++) {
        *v = keep + at[s] * h;
        f[s] = total_loss(p);
    }
    *v = keep;
    if (f[0] == f[1] && f[1] == f[2] && f[2] == f[3])
        return 0.0; /* the stencil's own rounding would not give exactly 0 */
    return (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * h);
}

static void compare(struct problem *p, const char *name, double *vars, const double *grad, int n)
{
    for (int k = 0; k < n; k++) {
        double num = numeric(p, &vars[k]);
        if (p->act == ACTIVATION_STEP) {
            ck_assert_msg(grad[k] == 0.0 && num == 0.0, "step %s %s[%d]: analytic %g, numeric %g",
                          loss_name(p->loss), name, k, grad[k], num);
            continue;
        }
        double scale = fmax(fmax(fabs(num), fabs(grad[k])), 1e-6);
        double rel = fabs(num - grad[k]) / scale;
        ck_assert_msg(rel < 1e-6, "%s %s d/d%s[%d]: analytic %.12g, numeric %.12g (rel %.3g)",
                      activation_name(p->act), loss_name(p->loss), name, k, grad[k], num, rel);
    }
}

static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * UINT64_C(0x2545f4914f6cdd1d)) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

/* Random problem; for relu and step, no pre-activation within 0.05 of the kink (the
 * difference stencil reaches 2e-3 away). */
static void make_problem(struct problem *p, uint64_t *seed, int act, int loss)
{
    for (;;) {
        for (int k = 0; k < B * I; k++)
            p->x[k] = uniform(seed);
        for (int k = 0; k < I * O; k++)
            p->w[k] = uniform(seed);
        for (int k = 0; k < O; k++)
            p->b[k] = 0.5 * uniform(seed);
        for (int r = 0; r < B; r++)
            p->labels[r] = (int)((uniform(seed) + 1.0) * 0.5 * O) % O;
        p->act = act;
        p->loss = loss;
        bool near_kink = false;
        for (int r = 0; r < B; r++)
            for (int j = 0; j < O; j++) {
                double z = p->b[j];
                for (int i = 0; i < I; i++)
                    z += p->x[r * I + i] * p->w[i * O + j];
                near_kink |= fabs(z) < 0.05;
            }
        if (!near_kink || act == ACTIVATION_IDENTITY || act == ACTIVATION_SIGMOID ||
            act == ACTIVATION_TANH)
            return;
    }
}

START_TEST(dense_loss_gradients)
{
    uint64_t seed = 0x3f84d5b5b5470917u;
    for (int act = 0; act < ACTIVATION_COUNT; act++)
        for (int loss = 0; loss < LOSS_COUNT; loss++)
            for (int trial = 0; trial < 3; trial++) {
                struct problem p;
                make_problem(&p, &seed, act, loss);
                double dw[I * O], db[O], dx[B * I];
                analytic(&p, dw, db, dx);
                compare(&p, "W", p.w, dw, I * O);
                compare(&p, "b", p.b, db, O);
                compare(&p, "x", p.x, dx, B * I);
            }
}
END_TEST

/* ref.c in float against the double formulas above: forward, loss gradient, bias/activation
 * backward and the two GEMMs of the backward pass. */
START_TEST(reference_matches_double)
{
    uint64_t seed = 0x9216d5d98979fb1bu;
    for (int act = 0; act < ACTIVATION_COUNT; act++)
        for (int loss = 0; loss < LOSS_COUNT; loss++) {
            struct problem p;
            make_problem(&p, &seed, act, loss);
            float x[B * I], w[I * O], b[O], y[B * O], dz[B * O], rl[B], rc[B], db[O];
            float dw[I * O], dx[B * I];
            int32_t labels[B];
            for (int k = 0; k < B * I; k++)
                x[k] = (float)p.x[k];
            for (int k = 0; k < I * O; k++)
                w[k] = (float)p.w[k];
            for (int k = 0; k < O; k++)
                b[k] = (float)p.b[k];
            for (int r = 0; r < B; r++)
                labels[r] = p.labels[r];
            /* Use the float-rounded values in double too. */
            for (int k = 0; k < B * I; k++)
                p.x[k] = x[k];
            for (int k = 0; k < I * O; k++)
                p.w[k] = w[k];
            for (int k = 0; k < O; k++)
                p.b[k] = b[k];
            ref_gemm(false, false, B, O, I, 1.0f, x, I, w, O, 0.0f, y, O);
            ref_bias_act_forward(y, b, B, O, act);
            ref_loss_forward_backward(dz, rl, rc, y, labels, B, O, loss);
            ref_bias_act_backward(dz, db, y, dz, B, O, act);
            ref_gemm(true, false, I, O, B, 1.0f, x, I, dz, O, 0.0f, dw, O);
            ref_gemm(false, true, B, I, O, 1.0f, dz, O, w, O, 0.0f, dx, I);
            double yd[B * O], dwd[I * O], dbd[O], dxd[B * I];
            dense_forward_d(yd, p.x, p.w, p.b, act);
            double mean = 0.0;
            for (int r = 0; r < B; r++)
                mean += rl[r];
            mean /= B;
            double want = loss_d(NULL, yd, p.labels, loss);
            ck_assert_msg(fabs(mean - want) <= 1e-5 * fmax(fabs(want), 1e-3),
                          "%s %s: ref loss %.9g, double %.9g", activation_name(act),
                          loss_name(loss), mean, want);
            analytic(&p, dwd, dbd, dxd);
            const struct {
                const char *name;
                const float *got;
                const double *want;
                int n;
            } t[] = {{"y", y, yd, B * O}, {"dW", dw, dwd, I * O}, {"db", db, dbd, O},
                     {"dx", dx, dxd, B * I}};
            for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
                for (int e = 0; e < t[k].n; e++)
                    ck_assert_msg(fabs(t[k].got[e] - t[k].want[e]) <=
                                      1e-5 * fmax(fabs(t[k].want[e]), 1e-2 / B),
                                  "%s %s: ref %s[%d] = %.9g, double %.9g", activation_name(act),
                                  loss_name(loss), t[k].name, e, (double)t[k].got[e],
                                  t[k].want[e]);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops_gradcheck");
    TCase *tc = tcase_create("gradcheck");
    tcase_add_test(tc, dense_loss_gradients);
    tcase_add_test(tc, reference_matches_double);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
