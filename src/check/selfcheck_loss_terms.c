/* selfcheck's comparisons of train.loss's list form's kernels (cl/loss.cl: loss_term_classify,
 * loss_term_rows, loss_terms_total) with their host twins (ops/ref.h), each writing into a
 * slot of a wider gradient (dz_off, dz_ld) and rows at an offset, as model/loss_run.c does. */
#include <math.h>
#include <stdio.h>

#include "check/selfcheck_cases.h"
#include "ops/ops.h"
#include "ops/ref.h"
#include "util/nn.h"
#include "util/status.h"

enum { B = 5, SIZE = 13, LD = 2 * SIZE, OFF = SIZE, VOFF = 3 };

/* A classification term on 10 scores, slot 1 of 2, its rows from 3 and hits from 2. */
static void check_classify(struct sc *c)
{
    enum { C = 10 };
    float *z = sc_host(c, B * C, 3.0f, 0.0f), *dz0 = sc_host(c, B * 2 * C, 0.0f, 7.0f);
    int32_t labels[B] = {3, 0, 9, 4, 4};
    if (c->status != CLNET_OK) return;
    cl_mem zd = sc_buffer(c, z, B * C * sizeof *z), ld = sc_buffer(c, labels, sizeof labels);
    cl_mem dz = sc_output(c, dz0, B * 2 * C), rv = sc_output(c, NULL, VOFF + B);
    cl_mem rc = sc_output(c, NULL, 2 + B);
    float *want_dz = sc_with_canaries(c, dz0, B * 2 * C);
    float *want_rv = sc_with_canaries(c, NULL, VOFF + B);
    float *want_rc = sc_with_canaries(c, NULL, 2 + B);
    float *dense = sc_host(c, B * C, 0.0f, 0.0f);
    struct op_term_out o = {dz, C, 2 * C, rv, VOFF};
    SC_OP(c, op_loss_term_classify(c->rt, &o, rc, 2, zd, ld, B, C, LOSS_CROSS_ENTROPY, 0.5f));
    if (c->status != CLNET_OK) return;
    ref_loss_forward_backward(dense, want_rv + VOFF, want_rc + 2, z, labels, B, C,
                              LOSS_CROSS_ENTROPY);
    for (int r = 0; r < B; r++)
        for (int j = 0; j < C; j++)
            want_dz[(size_t)r * 2 * C + C + (size_t)j] = 0.5f * dense[r * C + j];
    const uint64_t line = SC_LINE(KERNEL_LOSS_TERM_CLASSIFY);
    sc_compare(c, line, "cross_entropy term rows B=5 C=10 at 3", sc_download_all(c, rv, VOFF + B),
               want_rv, VOFF + B + SC_CANARIES, SC_ELEMENT, SC_TOL);
    sc_compare(c, line, "cross_entropy term hits at 2", sc_download_all(c, rc, 2 + B), want_rc,
               2 + B + SC_CANARIES, SC_ELEMENT, 0.0);
    sc_compare(c, line, "cross_entropy term dz x 0.5, slot 1 of 2",
               sc_download_all(c, dz, B * 2 * C), want_dz, B * 2 * C + SC_CANARIES, 0.1 / B,
               SC_TOL);
}

/* One kind of loss_term_rows (mse against rows, or the labels' one-hot when t_ld is 0). */
static void check_rows(struct sc *c, int kind, int t_ld)
{
    float *v = sc_host(c, B * SIZE, 2.0f, 0.0f), *t = sc_host(c, B * SIZE, 2.0f, 0.0f);
    float *r = sc_host(c, SIZE, 1.0f, 0.0f), *dz0 = sc_host(c, B * LD, 0.0f, 7.0f);
    int32_t labels[B] = {12, 0, 5, 7, 1};
    if (c->status != CLNET_OK) return;
    v[3] = v[17] = 0.0f; /* l1's gradient at 0 */
    cl_mem vd = sc_buffer(c, v, B * SIZE * sizeof *v), td = sc_buffer(c, t, B * SIZE * sizeof *t);
    cl_mem rd = sc_buffer(c, r, SIZE * sizeof *r), ld = sc_buffer(c, labels, sizeof labels);
    cl_mem dz = sc_output(c, dz0, B * LD), rv = sc_output(c, NULL, VOFF + B);
    float *want_dz = sc_with_canaries(c, dz0, B * LD);
    float *want_rv = sc_with_canaries(c, NULL, VOFF + B);
    struct op_term_out o = {dz, OFF, LD, rv, VOFF};
    SC_OP(c, op_loss_term_rows(c->rt, &o, vd, td, t_ld, ld, rd, B, SIZE, kind, 0.25f));
    if (c->status != CLNET_OK) return;
    ref_loss_term_rows(want_dz, OFF, LD, want_rv + VOFF, v, t, t_ld, labels, r, B, SIZE, kind,
                       0.25f);
    char what[96];
    const uint64_t line = SC_LINE(KERNEL_LOSS_TERM_ROWS);
    snprintf(what, sizeof what, "term %d%s rows B=5 size 13 at 3", kind,
             kind == TERM_MSE && t_ld == 0 ? " (labels)" : "");
    sc_compare(c, line, what, sc_download_all(c, rv, VOFF + B), want_rv, VOFF + B + SC_CANARIES,
               SC_ELEMENT, SC_TOL);
    snprintf(what, sizeof what, "term %d gradient x 0.25, slot 1 of 2", kind);
    sc_compare(c, line, what, sc_download_all(c, dz, B * LD), want_dz, B * LD + SC_CANARIES,
               0.1 / B, SC_TOL);
}

/* Three terms' rows at stride 11 summed from row 2, with and without a classifying term. */
static void check_total(struct sc *c, bool classify)
{
    enum { N = 3, STRIDE = 11, ROW = 2 };
    float *vals = sc_host(c, N * STRIDE, 3.0f, 0.0f), w[N] = {1.0f, 0.5f, -2.0f};
    float *hits0 = sc_host(c, ROW + B, 0.0f, 1.0f);
    if (c->status != CLNET_OK) return;
    cl_mem vd = sc_buffer(c, vals, N * STRIDE * sizeof *vals), wd = sc_buffer(c, w, sizeof w);
    cl_mem rl = sc_output(c, NULL, ROW + B), rc = sc_output(c, hits0, ROW + B);
    float *want_rl = sc_with_canaries(c, NULL, ROW + B);
    float *want_rc = sc_with_canaries(c, hits0, ROW + B);
    SC_OP(c, op_loss_terms_total(c->rt, rl, rc, vd, wd, N, STRIDE, ROW, B, classify));
    if (c->status != CLNET_OK) return;
    ref_loss_terms_total(want_rl, want_rc, vals, w, N, STRIDE, ROW, B, classify);
    const uint64_t line = SC_LINE(KERNEL_LOSS_TERMS_TOTAL);
    sc_compare(c, line, classify ? "3 terms' sum from row 2 (a classifier)"
                                 : "3 terms' sum from row 2",
               sc_download_all(c, rl, ROW + B), want_rl, ROW + B + SC_CANARIES, SC_ELEMENT, SC_TOL);
    sc_compare(c, line, classify ? "hits kept" : "hits 0", sc_download_all(c, rc, ROW + B),
               want_rc, ROW + B + SC_CANARIES, SC_ELEMENT, 0.0);
}

void selfcheck_loss_terms_cases(struct sc *c)
{
    if (c->status == CLNET_OK) check_classify(c);
    sc_release(c);
    const int kinds[] = {TERM_MSE, TERM_MSE, TERM_LINEAR, TERM_L1, TERM_L2};
    for (int k = 0; k < 5 && c->status == CLNET_OK; k++) {
        check_rows(c, kinds[k], k == 0 ? 0 : SIZE);
        sc_release(c);
    }
    for (int k = 0; k < 2 && c->status == CLNET_OK; k++) {
        check_total(c, k == 1);
        sc_release(c);
    }
}
