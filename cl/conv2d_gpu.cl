/* 2-D convolution shaped for GPUs (the GPU path, runtime_ops_path; cl/conv2d.cl is the CPU
 * path): direct kernels, one output position per work-item for a block of GPU_BLOCK filters
 * (or input channels), the block's weights staged in local memory by the work-group, and the
 * weight gradient as fixed partial sums reduced in a second launch. Why direct rather than
 * im2col + GEMM, and the resource figures: ops/conv2d_gpu.c.
 *
 * No atomics, and no sum whose order depends on the work-group size: each output is summed by
 * one work-item in a fixed order, so results are bitwise the same run to run and for any
 * work-group size the device allows. The forward and dx sum their taps in cl/conv2d.cl's order
 * (c, r, s; k, r, s), skipping the taps that fall in the padding, which that path reads as
 * zeros.
 *
 * Letters and layouts as cl/conv2d.cl: geometry int16 g = c h w k r s stride_r stride_c pad_r
 * pad_c p q batch; x, dx (B, C, H, W) and y, dy (B, K, P, Q) NCHW, or batch-minor (C, H, W, BP)
 * and (K, P, Q, BP) when the layout int4 l = (BP, x batch-minor, y batch-minor, 0) says so.
 * Batch-minor lanes past B are never read and are written as zeros. */
#pragma OPENCL FP_CONTRACT OFF

#define GPU_BLOCK 4   /* filters (forward) or input channels (dx) per work-item: a float4 */
#define GPU_PARTS 256 /* partial sums per weight gradient (ops/conv2d_gpu.c: GPU_PARTS) */

/* The geometry int16 g and layout int4 l as names (cl/conv2d.cl's letters). */
#define GPU_GEOM(g, l)                                                                         \
    const int C = (g).s0, H = (g).s1, W = (g).s2, K = (g).s3, R = (g).s4, S = (g).s5;         \
    const int SR = (g).s6, SC = (g).s7, PR = (g).s8, PC = (g).s9, P = (g).sa, Q = (g).sb;     \
    const int B = (g).sc, BP = (l).s0, XB = (l).s1, YB = (l).s2

/* Where image b's values start in a tensor of n values per image, and the step from one value
 * to the next: batch-minor (b, BP) or NCHW (b n, 1). ops/conv2d_gpu.c keeps every index of
 * these tensors below 2^31. */
int2 gpu_image(const int bm, const int n, const int BP, const int b)
{
    return bm ? (int2)(b, BP) : (int2)(b * n, 1);
}

/* Item i of a grid of nb images times rows x cols positions: (b, u, v), the image index
 * fastest when bfirst (neighbouring work-items then read neighbouring batch-minor values),
 * else the column. */
int3 gpu_position(const int i, const int bfirst, const int nb, const int rows, const int cols)
{
    if (bfirst) return (int3)(i % nb, i / nb / cols, i / nb % cols);
    return (int3)(i / (rows * cols), i / cols % rows, i % cols);
}

/* The weight at (filter k, channel c, tap rs), or 0 past K or C. */
float gpu_weight(__global const float *w, const int16 g, const int k, const int c, const int rs)
{
    const int C = g.s0, K = g.s3, RS = g.s4 * g.s5;
    return k < K && c < C ? w[(k * C + c) * RS + rs] : 0.0f;
}

/* The group's weights for a chunk of n rows, a float4 per tap holding the work-item's block of
 * 4 (GPU_BLOCK) filters or channels, so that one local read feeds its four sums:
 *   forward (by_filter): wl[(u R + r) S + s] = w[block .. block + 3, chunk + u, r, s];
 *   dx: wl[(u R + r) S + s] = w[chunk + u, block .. block + 3, r, s];
 * zeros past K and C. One float per work-item and step (fewer registers than a float4 of four
 * loads). A barrier before (the last chunk's reads are done) and after. */
void gpu_stage(__local float4 *wl, __global const float *w, const int16 g, const int by_filter,
               const int block, const int chunk, const int n)
{
    const int RS = g.s4 * g.s5, taps = n * RS;
    __local float *wf = (__local float *)wl;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = (int)get_local_id(0); t < GPU_BLOCK * taps; t += (int)get_local_size(0)) {
        const int j = t / taps, u = t % taps / RS, rs = t % RS;
        wf[t % taps * GPU_BLOCK + j] = by_filter ? gpu_weight(w, g, block + j, chunk + u, rs)
                                                 : gpu_weight(w, g, chunk + u, block + j, rs);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* y = act(bias + sum over c, r, s of x * w). One work-item per (image, p, q) and block of
 * GPU_BLOCK filters (dimension 1, launched one work-item wide: the group's index is the block,
 * which keeps the block's values in scalar registers on GPUs); the group stages its filters'
 * weights for `cc` channels at a time (wl: cc R S float4). The taps inside the image only: [r0, r1)
 * x [s0, s1). */
__kernel void conv2d_gpu_forward(__global float *y, __global const float *x,
                                 __global const float *params, const ulong w_off, const ulong b_off,
                                 const int16 g, const int4 l, const int act, __local float4 *wl,
                                 const int cc)
{
    GPU_GEOM(g, l);
    const int NB = YB ? BP : B, k0 = (int)get_group_id(1) * GPU_BLOCK;
    const bool valid = get_global_id(0) < (size_t)NB * P * Q;
    const int3 at = gpu_position(valid ? (int)get_global_id(0) : 0, XB, NB, P, Q);
    const int b = at.x, p = at.y, q = at.z, h0 = p * SR - PR, w0 = q * SC - PC;
    const int r0 = max(0, -h0), r1 = min(R, H - h0), s0 = max(0, -w0), s1 = min(S, W - w0);
    const bool live = valid && b < B;
    const int2 xi = gpu_image(XB, C * H * W, BP, live ? b : 0);
    float4 acc = 0.0f;
    for (int c0 = 0; c0 < C; c0 += cc) {
        gpu_stage(wl, params + w_off, g, 1, k0, c0, min(cc, C - c0));
        for (int u = 0; live && u < min(cc, C - c0); u++)
            for (int r = r0; r < r1; r++) {
                const int row = xi.x + (((c0 + u) * H + h0 + r) * W + w0) * xi.y;
                const int wr = (u * R + r) * S;
                for (int s = s0; s < s1; s++)
                    acc = fma((float4)(x[row + s * xi.y]), wl[wr + s], acc);
            }
    }
    const int2 yi = gpu_image(YB, K * P * Q, BP, b);
    const float a[GPU_BLOCK] = {acc.x, acc.y, acc.z, acc.w};
#pragma unroll
    for (int j = 0; j < GPU_BLOCK; j++)
        if (valid && k0 + j < K)
            y[yi.x + ((k0 + j) * P * Q + p * Q + q) * yi.y] =
                live ? act_value(a[j] + params[b_off + k0 + j], act) : 0.0f;
}

/* dz (at the workspace's start) = dy * act'(y) over n values (y's layout, lanes past B
 * included: the kernels below never read them). */
__kernel void conv2d_gpu_dz(__global float *dz, __global const float *dy, __global const float *y,
                            const int n, const int act)
{
    const int i = (int)get_global_id(0);
    if (i < n) dz[i] = act_gradient(dy[i], y[i], act);
}

/* dx = sum over k, r, s of dz[k, p, q] * w[k, c, r, s] with p SR + r = h + PR and
 * q SC + s = w + PC: the taps r = ph + jr SR, s = pw + js SC of the input's stride phases
 * (ph, pw), jr and js ascending (cl/conv2d.cl's order) over those that read inside dz. One
 * work-item per (image, h, w) and block of GPU_BLOCK channels (dimension 1, as the forward's
 * filters); the group stages
 * its channels' weights for `kc` filters at a time (wl: kc R S float4). */
__kernel void conv2d_gpu_backward_data(__global float *dx,
                                       __global const float *dz, /* the workspace */
                                       __global const float *params, const ulong w_off,
                                       const int16 g, const int4 l, __local float4 *wl,
                                       const int kc)
{
    GPU_GEOM(g, l);
    const int NB = XB ? BP : B, c0 = (int)get_group_id(1) * GPU_BLOCK;
    const bool valid = get_global_id(0) < (size_t)NB * H * W;
    const int3 at = gpu_position(valid ? (int)get_global_id(0) : 0, YB, NB, H, W);
    const int b = at.x, h = at.y, w = at.z;
    const bool live = valid && b < B;
    const int a = (h + PR) / SR, ph = (h + PR) % SR, m = (w + PC) / SC, pw = (w + PC) % SC;
    /* jr in [jr0, jr1): r = ph + jr SR < R and p = a - jr in [0, P); js likewise */
    const int jr0 = max(0, a - P + 1), jr1 = min((R - ph + SR - 1) / SR, a + 1);
    const int js0 = max(0, m - Q + 1), js1 = min((S - pw + SC - 1) / SC, m + 1);
    const int2 zi = gpu_image(YB, K * P * Q, BP, live ? b : 0);
    float4 acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += kc) {
        gpu_stage(wl, params + w_off, g, 0, c0, k0, min(kc, K - k0));
        for (int u = 0; live && u < min(kc, K - k0); u++)
            for (int jr = jr0; jr < jr1; jr++) {
                const int row = zi.x + (((k0 + u) * P + a - jr) * Q + m) * zi.y;
                const int wr = (u * R + ph + jr * SR) * S + pw;
                for (int js = js0; js < js1; js++)
                    acc = fma((float4)(dz[row - js * zi.y]), wl[wr + js * SC], acc);
            }
    }
    const int2 xo = gpu_image(XB, C * H * W, BP, b);
    const float v[GPU_BLOCK] = {acc.x, acc.y, acc.z, acc.w};
#pragma unroll
    for (int j = 0; j < GPU_BLOCK; j++)
        if (valid && c0 + j < C)
            dx[xo.x + ((c0 + j) * H * W + h * W + w) * xo.y] = live ? v[j] : 0.0f;
}

/* Partial sums of the weight gradient: for tap t (t < C R S: (c, r, s); t = C R S: the bias,
 * whose x is 1) and filters k0 .. k0 + 3, partial e sums the terms n = e, e + GPU_PARTS, ... of
 * the B P Q terms dz[b, k, p, q] x[b, c, p SR + r - PR, q SC + s - PC], n = (p Q + q) B + b
 * (the image fastest, whatever the layout), in that order: with 256 partials the chains of
 * rounding stay short (306 terms for the homework CNN's first layer at batch 100). Taps in the
 * padding add x = 0, as the CPU path's padded copy does. One work-item per (tap, partial) and
 * filter block (dimension 1, one work-item wide, as the forward's); output o (dW in (K, C, R, S)
 * order, then db) gets its partials at part[o GPU_PARTS + e]. */
__kernel void conv2d_gpu_weights_partial(__global float *work, /* dz at 0, part at part_off */
                                         __global const float *x, const ulong part_off,
                                         const int16 g, const int4 l)
{
    GPU_GEOM(g, l);
    const int CRS = C * R * S, i = (int)get_global_id(0), k0 = (int)get_group_id(1) * GPU_BLOCK;
    if (get_global_id(0) >= (size_t)(CRS + 1) * GPU_PARTS) return;
    const int e = i % GPU_PARTS, t = i / GPU_PARTS, bias = t == CRS;
    const int c = t / (R * S), rs = t - c * R * S, r = rs / S, s = rs - r * S;
    /* dz of filters k0 .. k0 + 3 (the last repeated past K: not stored) at image b, position
     * pq: zk[j] + b zb + pq zs; x of channel c at image b, input position v: b xb + v xs */
    const int zb = YB ? 1 : K * P * Q, zs = YB ? BP : 1, xb = XB ? 1 : C * H * W, xs = XB ? BP : 1;
    const int4 zk = (int4)(k0, min(k0 + 1, K - 1), min(k0 + 2, K - 1), min(k0 + 3, K - 1)) *
                    (YB ? P * Q * BP : P * Q);
    /* term n = e, then every GPU_PARTS-th: image b, position (p, q), stepped without divisions */
    const int eb = e / B, steps = GPU_PARTS / B, dp = steps / Q, dq = steps - dp * Q;
    const int db = GPU_PARTS - steps * B;
    int b = e - eb * B, p = eb / Q, q = eb - p * Q;
    float4 total = 0.0f;
    for (int n = e; n < B * P * Q; n += GPU_PARTS) {
        const int h = p * SR + r - PR, w = q * SC + s - PC, z = b * zb + (p * Q + q) * zs;
        const float v = bias ? 1.0f
                        : (uint)h < (uint)H && (uint)w < (uint)W
                            ? x[b * xb + ((c * H + h) * W + w) * xs]
                            : 0.0f;
        total = fma((float4)(work[zk.x + z], work[zk.y + z], work[zk.z + z], work[zk.w + z]),
                    (float4)(v), total);
        b += db;
        const int carry = b >= B;
        b -= carry ? B : 0;
        q += dq + carry;
        p += dp + (q >= Q);
        q -= q >= Q ? Q : 0;
    }
    const float sums[GPU_BLOCK] = {total.x, total.y, total.z, total.w};
#pragma unroll
    for (int j = 0; j < GPU_BLOCK; j++)
        if (k0 + j < K)
            work[part_off + (size_t)(bias ? K * CRS + k0 + j : (k0 + j) * CRS + t) * GPU_PARTS +
                 e] = sums[j];
}

/* dW and db from conv2d_gpu_weights_partial's sums: each output's GPU_PARTS partials added in
 * runs of 16, in order. One work-item per output. */
__kernel void conv2d_gpu_weights_reduce(__global float *grads, __global const float *work,
                                        const ulong part_off, const ulong dw_off,
                                        const ulong db_off, const int k_crs, const int k)
{
    const int o = (int)get_global_id(0);
    if (get_global_id(0) >= (size_t)(k_crs + k)) return;
    __global const float *v = work + part_off + (size_t)o * GPU_PARTS;
    float sum = 0.0f;
#pragma unroll 1
    for (int run = 0; run < GPU_PARTS; run += 16) {
        float t = 0.0f;
        for (int e = 0; e < 16; e++)
            t += v[run + e];
        sum += t;
    }
    grads[o < k_crs ? dw_off + o : db_off + (o - k_crs)] = sum;
}
