/* Wrappers of cl/loss.cl's kernels for train.loss's list form (src/model/loss_run.c). */
#include <assert.h>

#include "util/nn.h"
#include "ops/ops.h"
#include "util/status.h"

/* cl/loss.cl mirrors enum loss_term_kind's numbers with #defines. */
static_assert(TERM_MSE == 2 && TERM_LINEAR == 3 && TERM_L1 == 4 && TERM_L2 == 5,
              "update the TERM_ constants in cl/loss.cl");

int op_loss_term_classify(struct runtime *rt, const struct op_term_out *o, cl_mem row_correct,
                          size_t correct_off, cl_mem z, cl_mem labels, int batch, int classes,
                          int loss, float weight)
{
    if (batch <= 0 || classes <= 0 || loss < 0 || loss >= LOSS_COUNT || o->dz_ld < classes)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_term_classify: B=%d C=%d loss %d ld %d",
                            batch, classes, loss, o->dz_ld);
    cl_ulong dz_off = o->dz_off, val_off = o->val_off, c_off = correct_off;
    cl_int ld = o->dz_ld, b = batch, c = classes, l = loss;
    cl_float w = weight;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(o->dz),      RUNTIME_ARG(dz_off), RUNTIME_ARG(ld),     RUNTIME_ARG(o->row_val),
        RUNTIME_ARG(val_off),    RUNTIME_ARG(row_correct), RUNTIME_ARG(c_off), RUNTIME_ARG(z),
        RUNTIME_ARG(labels),     RUNTIME_ARG(b),      RUNTIME_ARG(c),      RUNTIME_ARG(l),
        RUNTIME_ARG(w)};
    int status = runtime_set_args(rt, KERNEL_LOSS_TERM_CLASSIFY, args, N_ARGS(args));
    return status == CLNET_OK ? runtime_launch_1d(rt, KERNEL_LOSS_TERM_CLASSIFY, (size_t)batch)
                              : status;
}

int op_loss_term_rows(struct runtime *rt, const struct op_term_out *o, cl_mem v, cl_mem t,
                      int t_ld, cl_mem labels, cl_mem r, int batch, int size, int kind,
                      float weight)
{
    if (batch <= 0 || size <= 0 || kind < TERM_MSE || kind > TERM_L2 || o->dz_ld < size)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_term_rows: B=%d size %d kind %d ld %d",
                            batch, size, kind, o->dz_ld);
    cl_ulong dz_off = o->dz_off, val_off = o->val_off;
    cl_int ld = o->dz_ld, tld = t_ld, b = batch, n = size, k = kind;
    cl_float w = weight;
    const struct runtime_arg args[] = {
        RUNTIME_ARG(o->dz), RUNTIME_ARG(dz_off), RUNTIME_ARG(ld), RUNTIME_ARG(o->row_val),
        RUNTIME_ARG(val_off), RUNTIME_ARG(v),    RUNTIME_ARG(t),  RUNTIME_ARG(tld),
        RUNTIME_ARG(labels), RUNTIME_ARG(r),     RUNTIME_ARG(b),  RUNTIME_ARG(n),
        RUNTIME_ARG(k),      RUNTIME_ARG(w)};
    int status = runtime_set_args(rt, KERNEL_LOSS_TERM_ROWS, args, N_ARGS(args));
    return status == CLNET_OK ? runtime_launch_1d(rt, KERNEL_LOSS_TERM_ROWS, (size_t)batch)
                              : status;
}

int op_loss_terms_total(struct runtime *rt, cl_mem row_loss, cl_mem row_correct, cl_mem row_val,
                        cl_mem w, int n_terms, size_t stride, size_t row_off, int batch,
                        bool classify)
{
    if (batch <= 0 || n_terms <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_terms_total: B=%d, %d terms", batch,
                            n_terms);
    cl_int n = n_terms, b = batch, c = classify;
    cl_ulong st = stride, ro = row_off;
    const struct runtime_arg args[] = {RUNTIME_ARG(row_loss), RUNTIME_ARG(row_correct),
                                       RUNTIME_ARG(row_val),  RUNTIME_ARG(w),
                                       RUNTIME_ARG(n),        RUNTIME_ARG(st),
                                       RUNTIME_ARG(ro),       RUNTIME_ARG(b),
                                       RUNTIME_ARG(c)};
    int status = runtime_set_args(rt, KERNEL_LOSS_TERMS_TOTAL, args, N_ARGS(args));
    return status == CLNET_OK ? runtime_launch_1d(rt, KERNEL_LOSS_TERMS_TOTAL, (size_t)batch)
                              : status;
}
