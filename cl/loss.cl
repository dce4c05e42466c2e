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
