/* Data movement kernels: the training set lives on the device as bytes and each step builds
 * its normalised mini-batch here from an index list, so no images cross the bus per step.
 * Letters: B batch, F features per image (C*H*W), N images on the device. */

/* x (B, F) = images[index[b]] / 255, y (B) = labels[index[b]], where index starts index_off
 * ints into its buffer (one upload holds the indices of many steps). One work-item per element of x;
 * the global size is rounded up to the work-group size, hence the bounds check. An index
 * outside [0, N) cannot come from the sampler; it yields zeros and label -1 rather than a read
 * out of bounds. */
__kernel void gather_batch(__global float *x,            /* (B, F) */
                           __global int *y,              /* (B) */
                           __global const uchar *images, /* (N, F) */
                           __global const uchar *labels, /* (N) */
                           __global const int *index,    /* (B) from index_off */
                           const int index_off, const int batch, const int features,
                           const int n_images)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)batch * (size_t)features)
        return;
    const size_t b = i / (size_t)features;
    const size_t f = i - b * (size_t)features;
    const int k = index[(size_t)index_off + b];
    const bool valid = k >= 0 && k < n_images;
    x[i] = valid ? clnet_byte_unit(images[(size_t)k * (size_t)features + f]) : 0.0f;
    if (f == 0)
        y[b] = valid ? (int)labels[k] : -1;
}
