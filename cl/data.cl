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

/* data.noise (src/data/noise.h, the definition): 32 bits of a counter-based hash per pixel,
 * their top bit the sign and the other 31 (m) a tail probability (m + 1/2) / 2^32 whose
 * magnitude is read from table: directly for m < 64, else in octave o (m's bit length - 7),
 * segment j (the 6 bits below m's top bit), start + slope t with t the bits below those as a
 * fraction; only integer operations, float + and * (contraction off, common.h) and
 * lookups, so the bits are the same on every device. */
float noise_normal(__global const float *table, const uint bits)
{
    const uint m = bits & 0x7fffffffu;
    float z;
    if (m < 64u) {
        z = table[m];
    } else {
        const int o = 32 - (int)clz(m) - 7;
        const int j = (int)(m >> o) & 63;
        const float t = convert_float(m & ((1u << o) - 1u)) * as_float((127 - o) << 23);
        __global const float *seg = table + 64 + 2 * (o * 64 + j);
        const float dt = seg[1] * t;
        z = seg[0] + dt;
    }
    return (bits >> 31) ? -z : z;
}

/* The key of row b's image k in split `split`: its pass (pos0 + b) / per_pass while training,
 * NOISE_PASS_EVAL (all ones) when per_pass is 0; pixel f's bits are then the top 32 of
 * clnet_mix64(image + f). */
ulong noise_image(const ulong key, const uint split, const ulong pos0, const int b,
                  const int per_pass, const int k)
{
    const uint pass = per_pass > 0 ? (uint)((pos0 + (ulong)b) / (ulong)per_pass) : 0xffffffffu;
    return clnet_mix64(clnet_mix64(key ^ ((ulong)split << 32 | (ulong)pass)) + (ulong)k);
}

/* clnet_mix64 of 16 values at once. */
ulong16 mix64_16(ulong16 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}

/* x (B, F) = x_clean + sigma n, n the noise of row b's image index[index_off + b] in split
 * `split` on its pass: (pos0 + b) / per_pass while training (pos0: the sampler's item number
 * of row 0), NOISE_PASS_EVAL when per_pass is 0. A 2-D range: dimension 0 over 16-value pieces
 * of a row, dimension 1 over rows; the image's key is hashed once per piece, and a whole
 * piece's pixel hashes as one vector (q4_i_single's noisy training ran 1.45x as many steps a
 * second as with a scalar loop on PoCL pthread; one value per work-item, 0.75x). The table
 * lookups stay one lane at a time: a 16-lane version read out of bounds on Oclgrind. An index
 * outside [0, N) has a zero row (gather_batch's) and keeps it. */
__kernel void noise_batch(__global float *x,              /* (B, F) */
                          __global const float *x_clean,  /* (B, F) */
                          __global const int *index,      /* (B) from index_off */
                          __global const float *table,    /* NOISE_TABLE_SIZE */
                          const int index_off, const int batch, const int features,
                          const int n_images, const ulong key, const uint split,
                          const ulong pos0, const int per_pass, const float sigma)
{
    const int f0 = 16 * (int)get_global_id(0), b = (int)get_global_id(1);
    if (f0 >= features || b >= batch)
        return;
    const int k = index[index_off + b];
    const size_t row = (size_t)b * (size_t)features;
    const int f1 = min(f0 + 16, features);
    if (k < 0 || k >= n_images) {
        for (int f = f0; f < f1; f++)
            x[row + f] = x_clean[row + f];
        return;
    }
    const ulong image = noise_image(key, split, pos0, b, per_pass, k);
    if (f1 - f0 == 16) { /* the hashes of a whole piece as one vector */
        const ulong16 z = mix64_16((ulong16)(image + (ulong)f0) +
                                   (ulong16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        uint bits[16];
        vstore16(convert_uint16(z >> 32), 0, bits);
        float n[16];
        for (int l = 0; l < 16; l++)
            n[l] = noise_normal(table, bits[l]);
        const float16 sn = sigma * vload16(0, n);
        vstore16(vload16(0, x_clean + row + f0) + sn, 0, x + row + f0);
        return;
    }
    for (int f = f0; f < f1; f++) {
        const float n = noise_normal(table, (uint)(clnet_mix64(image + (ulong)f) >> 32));
        const float sn = sigma * n;
        x[row + f] = x_clean[row + f] + sn;
    }
}

/* noise_batch's values one per work-item (the GPU path: no vectors or private arrays, which
 * spilled on gfx906 and nvptx; scripts/gpu-resources), the same bits: dimension 0 over a row's
 * F values, dimension 1 over its B rows; each work-item hashes its image's key itself. */
__kernel void noise_batch_2d(__global float *x,              /* (B, F) */
                             __global const float *x_clean,  /* (B, F) */
                             __global const int *index,      /* (B) from index_off */
                             __global const float *table,    /* NOISE_TABLE_SIZE */
                             const int index_off, const int batch, const int features,
                             const int n_images, const ulong key, const uint split,
                             const ulong pos0, const int per_pass, const float sigma)
{
    const int f = (int)get_global_id(0), b = (int)get_global_id(1);
    if (f >= features || b >= batch)
        return;
    const int k = index[index_off + b];
    const size_t at = (size_t)b * (size_t)features + (size_t)f;
    if (k < 0 || k >= n_images) {
        x[at] = x_clean[at];
        return;
    }
    const ulong image = noise_image(key, split, pos0, b, per_pass, k);
    const float n = noise_normal(table, (uint)(clnet_mix64(image + (ulong)f) >> 32));
    const float sn = sigma * n;
    x[at] = x_clean[at] + sn;
}
