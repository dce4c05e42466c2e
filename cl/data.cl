/* Data movement kernels: the training set lives on the device as bytes and each step builds
 * its normalised mini-batch here from an index list, so no images cross the bus per step.
 * Letters: B batch, F features per image (C*H*W), N images on the device. */

/* x (B, F) = images[index[b]] / 255, y (B) = labels[index[b]], where index starts index_off
 * ints into its buffer (one upload holds the indices of many steps). A 2-D range: dimension 0
 * over 16-byte pieces of a row (rounded up, hence the bounds check), dimension 1 over groups of
 * GATHER_ROWS rows; each work-item loads its piece of all its rows first, then converts each
 * as one float16 vector (a row's last piece byte by byte when F is not a multiple of 16). The
 * rows are random images of a training set larger than the caches, so a step's gather waits
 * on memory: several rows' loads in flight at once measured 43 -> 27 us per MNIST batch on one
 * PoCL thread (bench/step_profile; 1 row per work-item before, 4-6 rows equally good, 8 and 16
 * slower). An index outside [0, N) cannot come from the sampler; it yields zeros and label -1
 * rather than a read out of bounds. */
#define GATHER_ROWS 5 /* ops/data.c: keep in step */
__kernel void gather_batch(__global float *x,            /* (B, F) */
                           __global int *y,              /* (B) */
                           __global const uchar *images, /* (N, F) */
                           __global const uchar *labels, /* (N) */
                           __global const int *index,    /* (B) from index_off */
                           const int index_off, const int batch, const int features,
                           const int n_images)
{
    const int f0 = 16 * (int)get_global_id(0), b0 = GATHER_ROWS * (int)get_global_id(1);
    if (f0 >= features || b0 >= batch)
        return;
    const bool whole = f0 + 16 <= features;
    float16 v[GATHER_ROWS];
    int k[GATHER_ROWS];
#pragma unroll
    for (int r = 0; r < GATHER_ROWS; r++) {
        const int b = min(b0 + r, batch - 1);
        k[r] = index[index_off + b];
        const bool valid = k[r] >= 0 && k[r] < n_images;
        if (!valid) k[r] = -1;
        if (whole && valid)
            v[r] = convert_float16(vload16(0, images + (size_t)k[r] * (size_t)features + f0));
    }
#pragma unroll
    for (int r = 0; r < GATHER_ROWS; r++) {
        const int b = b0 + r;
        if (b >= batch) break;
        __global float *xr = x + (size_t)b * (size_t)features;
        if (f0 == 0) y[b] = k[r] >= 0 ? (int)labels[k[r]] : -1;
        if (k[r] < 0) {
            for (int f = f0; f < min(f0 + 16, features); f++)
                xr[f] = 0.0f;
        } else if (whole) {
            vstore16(clnet_byte_unit16(v[r]), 0, xr + f0);
        } else {
            __global const uchar *img = images + (size_t)k[r] * (size_t)features;
            for (int f = f0; f < features; f++)
                xr[f] = clnet_byte_unit(img[f]);
        }
    }
}
