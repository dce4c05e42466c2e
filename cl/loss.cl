/* Softmax, loss and its gradient in one kernel, and the per-step sums of the batch's loss and
 * accuracy into device-side slots, for all of a chunk's steps in one launch (read back by the
 * host only every log_every steps).
 * Letters: B batch rows, C classes. Contraction off: see elementwise.cl. */
#pragma OPENCL FP_CONTRACT OFF

/* enum loss_kind (config/experiment.h); ops/loss.c asserts the values match. */
#define LOSS_CROSS_ENTROPY 0
#define LOSS_NAIVE_SOFTMAX_LOG 1

/* One work-item per row. The row's exp(z - max) are parked in dz and normalised there, so dz
 * may alias z. cross_entropy: loss = log(sum) - (z_label - max), dz = (p - onehot) / B.
 * naive_softmax_log, as PyTorch's log(softmax(z)) and its autograd: p = exp(z - max) / sum,
 * loss = -log(p_label) unclamped (+inf once p_label underflows), g_label = (-1/B) / p_label,
 * dz_j = p_j * ([j == label] g_label - p_label g_label): NaN when p_label == 0, as PyTorch.
 * correct = argmax(z) == label, the first maximum winning. A label outside [0, C) cannot come
 * from the data; it gives loss NaN, correct 0 and dz 0 rather than a stray read. */
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
    row_loss += row_off;
    row_correct += row_off;
    __global const float *zr = z + r * (size_t)classes;
    __global float *dr = dz + r * (size_t)classes;
    const int label = labels[r];
    float max = zr[0];
    int arg = 0;
    for (int j = 1; j < classes; j++)
        if (zr[j] > max) {
            max = zr[j];
            arg = j;
        }
    if (label < 0 || label >= classes) {
        for (int j = 0; j < classes; j++)
            dr[j] = 0.0f;
        row_loss[r] = NAN;
        row_correct[r] = 0.0f;
        return;
    }
    const float z_label = zr[label];
    row_correct[r] = arg == label ? 1.0f : 0.0f;
    float sum = 0.0f;
    for (int j = 0; j < classes; j++) {
        const float e = exp(zr[j] - max);
        dr[j] = e;
        sum += e;
    }
    const float b = (float)batch;
    if (loss == LOSS_CROSS_ENTROPY) {
        row_loss[r] = log(sum) - (z_label - max);
        for (int j = 0; j < classes; j++)
            dr[j] = (dr[j] / sum - (j == label ? 1.0f : 0.0f)) / b;
        return;
    }
    for (int j = 0; j < classes; j++)
        dr[j] = dr[j] / sum;
    const float p_label = dr[label];
    row_loss[r] = -log(p_label);
    const float g = (-1.0f / b) / p_label;
    const float dot = p_label * g;
    for (int j = 0; j < classes; j++)
        dr[j] = dr[j] * ((j == label ? g : 0.0f) - dot);
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
