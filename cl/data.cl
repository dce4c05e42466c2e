/* Data movement kernels: the training set lives on the device as bytes and each step builds
 * its normalised mini-batch here from an index list, so no images cross the bus per step.
 * Letters: B batch, F features per image (C*H*W), N images on the device. */

/* x (B, F) = images[index[b]] / 255, y (B) = labels[index[b]], where index starts index_off
 * ints into its buffer (one upload holds the indices of many steps). A 2-D range: dimension 0
 * over 16-byte pieces of a row (rounded up, hence the bounds check), dimension 1 over the rows;
 * each work-item converts its piece as one float16 vector, the row's last piece byte by byte
 * when F is not a multiple of 16. (One work-item per element, with a division by F to find its
 * row, measured 10-20x slower on PoCL.) An index outside [0, N) cannot come from the sampler;
 * it yields zeros and label -1 rather than a read out of bounds. */
__kernel void gather_batch(__global float *x,            /* (B, F) */
                           __global int *y,              /* (B) */
                           __global const uchar *images, /* (N, F) */
                           __global const uchar *labels, /* (N) */
                           __global const int *index,    /* (B) from index_off */
                           const int index_off, const int batch, const int features,
                           const int n_images)
{
    const int f0 = 16 * (int)get_global_id(0), b = (int)get_global_id(1);
    if (f0 >= features || b >= batch)
        return;
    const int k = index[index_off + b];
    const bool valid = k >= 0 && k < n_images;
    __global float *xr = x + (size_t)b * (size_t)features;
    if (f0 == 0)
        y[b] = valid ? (int)labels[k] : -1;
    if (!valid) {
        for (int f = f0; f < min(f0 + 16, features); f++)
            xr[f] = 0.0f;
        return;
    }
    __global const uchar *img = images + (size_t)k * (size_t)features;
    if (f0 + 16 <= features) {
        vstore16(clnet_byte_unit16(convert_float16(vload16(0, img + f0))), 0, xr + f0);
        return;
    }
    for (int f = f0; f < features; f++)
        xr[f] = clnet_byte_unit(img[f]);
}
