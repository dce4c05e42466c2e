/* Softmax, loss and its gradient in one kernel, and the per-step sums of the batch's loss and
 * accuracy into device-side slots, for all of a chunk's steps in one launch (read back by the
 * host only every log_every steps).
 * Letters: B batch rows, C classes. Contraction off: see elementwise.cl. */
#pragma OPENCL FP_CONTRACT OFF

/* One work-item per row: loss_row (common.h) on each row of z. */
__kernel void loss_forward_backward(__global float *dz,             /* (B, C) */
                                    __global float *row_loss,       /* (B) at row_off */
                                    __global float *row_correct,    /* (B) at row_off */
                                    __global const float *z,        /* (B, C) logits */
                                    __global const int *labels,     /* (B) */
                                    const int batch, const int classes, const int loss,
                                    const ulong row_off)
{
    const size_t r = get_global_id(0);
    if (r >= (size_t)batch)
        return;
    loss_row(dz + r * (size_t)classes, row_loss + row_off + r, row_correct + row_off + r,
             z + r * (size_t)classes, labels[r], batch, classes, loss);
}

/* For each of `slots` steps i: acc[2 (slot + i)] = sum of its row_loss, acc[2 (slot + i) + 1]
 * = sum of its row_correct, the step's B rows at row_off + i B; each sum by one work-item in
 * row order: deterministic, and the same float sum as the host's. */
__kernel void loss_reduce(__global float *acc, __global const float *row_loss,
                          __global const float *row_correct, const int slot, const int batch,
                          const int slots, const ulong row_off)
{
    const size_t w = get_global_id(0);
    if (w >= 2 * (size_t)slots)
        return;
    const size_t i = w / 2, rows = row_off + i * (size_t)batch;
    __global const float *v = (w % 2 == 0 ? row_loss : row_correct) + rows;
    float sum = 0.0f;
    for (int r = 0; r < batch; r++)
        sum += v[r];
    acc[2 * ((size_t)slot + i) + w % 2] = sum;
}

/* ---- train.loss's list form (src/model/loss_run.c): each term's per-row value into its rows
 * of row_val, and weight times the gradient of the batch's mean of it into its slot of the
 * node's gradients: row r's values at dz + dz_off + r dz_ld. One work-item per row, each
 * row's values in index order: the same bits every run. TERM_* are enum loss_term_kind's. */
#define TERM_MSE 2
#define TERM_LINEAR 3
#define TERM_L1 4
#define TERM_L2 5

/* A classification term: loss_row on the node's rows z (B, C), its dz scaled by weight. */
__kernel void loss_term_classify(__global float *dz, const ulong dz_off, const int dz_ld,
                                 __global float *row_val, const ulong val_off,
                                 __global float *row_correct, const ulong correct_off,
                                 __global const float *z, __global const int *labels,
                                 const int batch, const int classes, const int loss,
                                 const float weight)
{
    const size_t r = get_global_id(0);
    if (r >= (size_t)batch)
        return;
    __global float *dr = dz + dz_off + r * (size_t)dz_ld;
    loss_row(dr, row_val + val_off + r, row_correct + correct_off + r, z + r * (size_t)classes,
             labels[r], batch, classes, loss);
    for (int j = 0; j < classes; j++)
        dr[j] = weight * dr[j];
}

/* mse, linear, l1, l2 on the node's rows v (B, size): t the target's rows (mse: t_ld apart;
 * NULL-free: with labels, t_ld 0 and the one-hot of labels[r]), r the linear term's (size). */
__kernel void loss_term_rows(__global float *dz, const ulong dz_off, const int dz_ld,
                             __global float *row_val, const ulong val_off,
                             __global const float *v,
                             __global const float *t, const int t_ld,
                             __global const int *labels, __global const float *rv,
                             const int batch, const int size, const int kind, const float weight)
{
    const size_t r = get_global_id(0);
    if (r >= (size_t)batch)
        return;
    __global float *dr = dz + dz_off + r * (size_t)dz_ld;
    __global const float *vr = v + r * (size_t)size;
    __global const float *tr = t + r * (size_t)t_ld;
    const int label = labels[r];
    const float b = (float)batch;
    float sum = 0.0f;
    for (int j = 0; j < size; j++) {
        const float x = vr[j];
        float d;
        if (kind == TERM_MSE) {
            d = x - (t_ld > 0 ? tr[j] : (j == label ? 1.0f : 0.0f));
            sum += 0.5f * d * d;
        } else if (kind == TERM_LINEAR) {
            d = rv[j];
            sum += d * x;
        } else if (kind == TERM_L1) {
            d = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
            sum += fabs(x);
        } else {
            d = 2.0f * x;
            sum += x * x;
        }
        dr[j] = weight * (d / b);
    }
    row_val[val_off + r] = sum;
}

/* row_loss[r] = sum over the terms k, in list order, of w[k] row_val[k stride + r], the rows
 * of one step at row_off; row_correct[r] = 0 when no term classifies (classify 0). */
__kernel void loss_terms_total(__global float *row_loss, __global float *row_correct,
                               __global const float *row_val, __global const float *w,
                               const int n_terms, const ulong stride, const ulong row_off,
                               const int batch, const int classify)
{
    const size_t r = get_global_id(0);
    if (r >= (size_t)batch)
        return;
    float sum = 0.0f;
    for (int k = 0; k < n_terms; k++)
        sum += w[k] * row_val[k * stride + row_off + r];
    row_loss[row_off + r] = sum;
    if (!classify)
        row_correct[row_off + r] = 0.0f;
}
