/* 2-D convolution (PyTorch's conv2d: cross-correlation, zero padding) as direct kernels, with
 * bias and activation fused into the forward and the activation and bias gradients fused into
 * the first backward kernel. Written for PoCL on CPUs, which does not vectorise across
 * work-items around inner loops: each work-item holds float8 rows of outputs for four filters
 * (or channels), reading zero-padded copies of x and dz so that its loops have no bounds tests.
 * No atomics: every sum has one owner and a fixed order, so results are bitwise reproducible.
 * Letters: B batch, C input channels, H W input rows and columns, K filters, R S kernel rows
 * and columns, P Q output rows and columns; NCHW row-major, weights (K, C, R, S) and bias (K)
 * at offsets inside the parameter arena. The geometry travels as one int16:
 * c h w k r s stride_r stride_c pad_r pad_c p q batch; the workspace layout as one int8. */
#pragma OPENCL FP_CONTRACT OFF

#define CONV_GEOM(g)                                                                           \
    const int C = (g).s0, H = (g).s1, W = (g).s2, K = (g).s3, R = (g).s4, S = (g).s5;         \
    const int SR = (g).s6, SC = (g).s7, PR = (g).s8, PC = (g).s9, P = (g).sa, Q = (g).sb;     \
    const int B = (g).sc

/* Work-item shape: a block of four filters (forward, dW) or input channels (dx) times eight
 * neighbouring output columns (forward, dW) or input columns of one stride phase (dx), as
 * float8 vectors. Lanes past the last filter or channel read the last one's weights and store
 * nothing; lanes past the last column read zeros of the padded copies and store nothing. Each
 * output's sum runs in one fixed order, so results are bitwise reproducible. */
#define CONV_BLOCK 4
#define CONV_LANES 8
#define CONV_DW_TAPS 5 /* conv2d_backward_weights: column taps per pass (5 x 4 accumulators) */

/* The padded copies in the workspace (ops/conv2d.c computes the layout, the int8 l):
 *   xp  (B, C, H + 2 PR, WP): x with its zero border, and zeros to the right up to WP columns
 *       so that every vector load of the forward and dW stays in its row;
 *   dzp (B, K, PP, QQ): dz at rows MR + p, columns ML + q, zeros around it, so that dx reads
 *       the out-of-range output positions of its window as zeros, and dW reads full vectors.
 * MB is the number of eight-lane column blocks per stride phase for dx. */
#define CONV_LAYOUT(l)                                                                         \
    const int WP = (l).s0, PP = (l).s1, QQ = (l).s2, MR = (l).s3, ML = (l).s4, MB = (l).s5;  \
    const int HP = H + 2 * PR

/* v[0], v[stride], ..., v[7 stride]; the stride-2 load reads v[15] too. */
float8 conv_load8(__global const float *v, const int stride)
{
    if (stride == 1)
        return vload8(0, v);
    if (stride == 2)
        return vload16(0, v).even;
    return (float8)(v[0], v[stride], v[2 * stride], v[3 * stride], v[4 * stride],
                    v[5 * stride], v[6 * stride], v[7 * stride]);
}

/* xp = x with its zero border, at xp_off floats inside work. One work-item per row of xp. */
__kernel void conv2d_pad(__global float *work, __global const float *x, /* (B, C, H, W) */
                         const ulong xp_off, const int16 g, const int8 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t i = get_global_id(0);
    if (i >= (size_t)B * C * HP)
        return;
    const int h = (int)(i % HP) - PR;
    __global float *row = work + xp_off + i * WP;
    if (h < 0 || h >= H) {
        for (int v = 0; v < WP; v++)
            row[v] = 0.0f;
        return;
    }
    __global const float *xr = x + (i / HP * H + h) * W;
    for (int v = 0; v < PC; v++)
        row[v] = 0.0f;
    const int wv = W / CONV_LANES * CONV_LANES;
    for (int w = 0; w < wv; w += CONV_LANES) /* by hand: LLVM left this loop scalar */
        vstore8(vload8(0, xr + w), 0, row + PC + w);
    for (int w = wv; w < W; w++)
        row[PC + w] = xr[w];
    for (int v = PC + W; v < WP; v++)
        row[v] = 0.0f;
}

/* y (B, K, P, Q) = act(bias + sum over c, r, s of x * w), the taps in that order, from xp.
 * One work-item per (b, block of 4 filters, p, block of 8 columns). */
__kernel void conv2d_forward(__global float *y,            /* (B, K, P, Q) */
                             __global const float *work,   /* xp at xp_off */
                             __global const float *params, /* w (K, C, R, S), bias (K) */
                             const ulong xp_off, const ulong w_off, const ulong b_off,
                             const int16 g, const int8 l, const int act)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int KB = (K + CONV_BLOCK - 1) / CONV_BLOCK, QB = (Q + CONV_LANES - 1) / CONV_LANES;
    if (get_global_id(0) >= (size_t)B * KB * P * QB)
        return;
    const int i = (int)get_global_id(0); /* ops/conv2d.c keeps every count below 2^31 */
    const int q0 = i % QB * CONV_LANES, p = i / QB % P, k0 = i / (QB * P) % KB * CONV_BLOCK;
    const int b = i / (QB * P * KB);
    __global const float *xb =
        work + xp_off + (size_t)b * C * HP * WP + (size_t)p * SR * WP + (size_t)q0 * SC;
    const size_t crs = (size_t)C * R * S;
    __global const float *wk0 = params + w_off + (size_t)k0 * crs;
    __global const float *wk1 = params + w_off + (size_t)min(k0 + 1, K - 1) * crs;
    __global const float *wk2 = params + w_off + (size_t)min(k0 + 2, K - 1) * crs;
    __global const float *wk3 = params + w_off + (size_t)min(k0 + 3, K - 1) * crs;
    float8 a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++) {
            __global const float *row = xb + ((size_t)c * HP + r) * WP;
            const int t0 = (c * R + r) * S;
            for (int s = 0; s < S; s++) {
                const float8 v = conv_load8(row + s, SC);
                a0 += v * wk0[t0 + s];
                a1 += v * wk1[t0 + s];
                a2 += v * wk2[t0 + s];
                a3 += v * wk3[t0 + s];
            }
        }
    float out[CONV_BLOCK][CONV_LANES];
    vstore8(a0, 0, out[0]);
    vstore8(a1, 0, out[1]);
    vstore8(a2, 0, out[2]);
    vstore8(a3, 0, out[3]);
    const int lanes = min(CONV_LANES, Q - q0);
    for (int j = 0; j < CONV_BLOCK && k0 + j < K; j++) {
        const float bias = params[b_off + k0 + j];
        __global float *yr = y + (((size_t)b * K + k0 + j) * P + p) * Q + q0;
        for (int e = 0; e < lanes; e++)
            yr[e] = act_value(out[j][e] + bias, act);
    }
}

/* dz = dy * act'(y), written over dy and into dzp (with its zero margins), and part
 * (B, K*C*R*S + K): the per-image bias gradient at part[b][KCRS + k]. One work-item per
 * (b, k); each row of the plane in float8 vectors, its last Q % 8 columns one by one. The sum
 * runs in eight lanes over each row's vectors, rows in order, reduced by halves at the end,
 * plus the tail columns' sum in order: a fixed order, so bitwise reproducible (a plain
 * sequential sum measured 8% of a CNN step: one dependent add per element). */
__kernel void conv2d_backward_bias(__global float *dy,      /* (B, K, P, Q), becomes dz */
                                   __global float *work,    /* part at 0, dzp at dzp_off */
                                   __global const float *y, /* (B, K, P, Q) */
                                   const ulong dzp_off, const int16 g, const int8 l,
                                   const int act)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t i = get_global_id(0);
    if (i >= (size_t)B * K)
        return;
    const size_t kcrs = (size_t)K * C * R * S, base = i * P * Q;
    __global float *plane = work + dzp_off + i * PP * QQ;
    const int qv = Q / CONV_LANES * CONV_LANES;
    float8 acc = (float8)(0.0f);
    float tail = 0.0f;
    for (int u = 0; u < PP; u++) {
        const int p = u - MR;
        __global float *prow = plane + u * QQ;
        if (p < 0 || p >= P) {
            for (int v = 0; v < QQ; v++)
                prow[v] = 0.0f;
            continue;
        }
        for (int v = 0; v < ML; v++)
            prow[v] = 0.0f;
        __global float *dyr = dy + base + (size_t)p * Q;
        __global const float *yr = y + base + (size_t)p * Q;
        for (int q = 0; q < qv; q += CONV_LANES) {
            const float8 dz = act_gradient8(vload8(0, dyr + q), vload8(0, yr + q), act);
            vstore8(dz, 0, dyr + q);
            vstore8(dz, 0, prow + ML + q);
            acc += dz;
        }
        for (int q = qv; q < Q; q++) {
            const float dz = act_gradient(dyr[q], yr[q], act);
            dyr[q] = dz;
            prow[ML + q] = dz;
            tail += dz;
        }
        for (int v = ML + Q; v < QQ; v++)
            prow[v] = 0.0f;
    }
    const float4 a4 = acc.lo + acc.hi;
    const float2 a2 = a4.lo + a4.hi;
    work[i / K * (kcrs + K) + kcrs + i % K] = (a2.x + a2.y) + tail;
}

/* The sums of conv2d_backward_weights for the taps s of one (b, filter block, c, r), SS of
 * them at once (a constant after inlining, so the SS x 4 float8 accumulators stay in
 * registers): each dz vector is loaded once per (p, q block) and used for every s, where a
 * loop over s outside would load it S times. Per (k, s) the lanes still add the (p, q block)
 * terms in the same order, so the sums are bitwise those of one s at a time. */
static inline __attribute__((always_inline)) void
conv_dw_taps(__global float *part, const size_t crs, __global const float *xc,
             __global const float *dz0, __global const float *dz1, __global const float *dz2,
             __global const float *dz3, const int s0, const int SS, const int P, const int QB,
             const int SR, const int SC, const int WP, const int QQ, const int K, const int k0)
{
    float8 acc[CONV_DW_TAPS][CONV_BLOCK];
#pragma unroll
    for (int s = 0; s < SS; s++)
#pragma unroll
        for (int j = 0; j < CONV_BLOCK; j++)
            acc[s][j] = 0.0f;
    for (int p = 0; p < P; p++) {
        __global const float *xr = xc + (size_t)p * SR * WP + s0;
        const int t = p * QQ;
        for (int q0 = 0; q0 < QB * CONV_LANES; q0 += CONV_LANES) {
            const float8 d0 = vload8(0, dz0 + t + q0), d1 = vload8(0, dz1 + t + q0);
            const float8 d2 = vload8(0, dz2 + t + q0), d3 = vload8(0, dz3 + t + q0);
#pragma unroll
            for (int s = 0; s < SS; s++) {
                const float8 v = conv_load8(xr + q0 * SC + s, SC);
                acc[s][0] += d0 * v;
                acc[s][1] += d1 * v;
                acc[s][2] += d2 * v;
                acc[s][3] += d3 * v;
            }
        }
    }
#pragma unroll
    for (int s = 0; s < SS; s++) {
        float out[CONV_BLOCK][CONV_LANES];
#pragma unroll
        for (int j = 0; j < CONV_BLOCK; j++)
            vstore8(acc[s][j], 0, out[j]);
        for (int j = 0; j < CONV_BLOCK && k0 + j < K; j++) {
            float sum = out[j][0];
            for (int e = 1; e < CONV_LANES; e++)
                sum += out[j][e];
            part[(size_t)(k0 + j) * crs + s0 + s] = sum;
        }
    }
}

/* part[b][kcrs] = sum over p, q of dz[b, k, p, q] * x[b, c, p*SR - PR + r, q*SC - PC + s]: the
 * weight gradient of one image, from dzp and xp. One work-item per (b, block of 4 filters, c,
 * r), for the taps s in groups of at most CONV_DW_TAPS (conv_dw_taps); lane e sums the columns
 * q = e mod 8, then the lanes are added in order. */
__kernel void conv2d_backward_weights(__global float *work, /* part at 0, xp, dzp */
                                      const ulong xp_off, const ulong dzp_off, const int16 g,
                                      const int8 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int KB = (K + CONV_BLOCK - 1) / CONV_BLOCK, QB = (Q + CONV_LANES - 1) / CONV_LANES;
    if (get_global_id(0) >= (size_t)B * KB * C * R)
        return;
    const int i = (int)get_global_id(0);
    const int r = i % R, c = i / R % C, k0 = i / (R * C) % KB * CONV_BLOCK, b = i / (R * C * KB);
    const size_t crs = (size_t)C * R * S, kcrs = (size_t)K * crs, plane = (size_t)PP * QQ;
    __global const float *dzb = work + dzp_off + (size_t)b * K * plane + (size_t)MR * QQ + ML;
    __global const float *dz0 = dzb + (size_t)k0 * plane;
    __global const float *dz1 = dzb + (size_t)min(k0 + 1, K - 1) * plane;
    __global const float *dz2 = dzb + (size_t)min(k0 + 2, K - 1) * plane;
    __global const float *dz3 = dzb + (size_t)min(k0 + 3, K - 1) * plane;
    __global const float *xc = work + xp_off + ((size_t)b * C + c) * HP * WP + (size_t)r * WP;
    __global float *part = work + (size_t)b * (kcrs + K) + ((size_t)c * R + r) * S;
    for (int s0 = 0; s0 < S; s0 += CONV_DW_TAPS) {
        const int left = S - s0;
        if (left >= CONV_DW_TAPS)
            conv_dw_taps(part, crs, xc, dz0, dz1, dz2, dz3, s0, CONV_DW_TAPS, P, QB, SR, SC, WP,
                         QQ, K, k0);
        else if (left == 4)
            conv_dw_taps(part, crs, xc, dz0, dz1, dz2, dz3, s0, 4, P, QB, SR, SC, WP, QQ, K, k0);
        else if (left == 3)
            conv_dw_taps(part, crs, xc, dz0, dz1, dz2, dz3, s0, 3, P, QB, SR, SC, WP, QQ, K, k0);
        else if (left == 2)
            conv_dw_taps(part, crs, xc, dz0, dz1, dz2, dz3, s0, 2, P, QB, SR, SC, WP, QQ, K, k0);
        else
            conv_dw_taps(part, crs, xc, dz0, dz1, dz2, dz3, s0, 1, P, QB, SR, SC, WP, QQ, K, k0);
    }
}

/* dW (K*C*R*S) and db (K) = sums of part over the images in order. One work-item per value. */
__kernel void conv2d_backward_reduce(__global float *grads,      /* dW at dw_off, db at db_off */
                                     __global const float *part, /* (B, K*C*R*S + K) */
                                     const ulong dw_off, const ulong db_off, const int16 g)
{
    CONV_GEOM(g);
    const size_t kcrs = (size_t)K * C * R * S, n = kcrs + K;
    const size_t j = get_global_id(0);
    if (j >= n)
        return;
    float sum = 0.0f;
    for (int b = 0; b < B; b++)
        sum += part[(size_t)b * n + j];
    grads[j < kcrs ? dw_off + j : db_off + (j - kcrs)] = sum;
}

/* dx (B, C, H, W) = sum over k, r, s of dz[b, k, p, q] * w[k, c, r, s] with p*SR + r = h + PR
 * and q*SC + s = w + PC. Write h + PR = a*SR + ph and w + PC = m*SC + pw: the taps are
 * r = ph + jr*SR, s = pw + js*SC and read dz at p = a - jr, q = m - js, so the inputs of one
 * column phase pw and consecutive m read consecutive dz columns: eight of them form the lanes,
 * and dzp's zero margins stand for the positions outside dz. One work-item per (b, block of 4
 * input channels, h, pw, block of 8 values of m). */
__kernel void conv2d_backward_data(__global float *dx,           /* (B, C, H, W) */
                                   __global const float *work,   /* dzp at dzp_off */
                                   __global const float *params, /* w (K, C, R, S) */
                                   const ulong dzp_off, const ulong w_off, const int16 g,
                                   const int8 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int CB = (C + CONV_BLOCK - 1) / CONV_BLOCK;
    if (get_global_id(0) >= (size_t)B * CB * H * SC * MB)
        return;
    const int i = (int)get_global_id(0);
    const int mb = i % MB, pw = i / MB % SC, h = i / (MB * SC) % H;
    const int c0 = i / (MB * SC * H) % CB * CONV_BLOCK, b = i / (MB * SC * H * CB);
    const int a = (h + PR) / SR, ph = (h + PR) % SR;
    /* The inputs of this phase: w = m*SC + pw - PC in [0, W). */
    const int m_lo = PC - pw > 0 ? (PC - pw + SC - 1) / SC : 0, m0 = m_lo + mb * CONV_LANES;
    const int n_r = R > ph ? (R - ph + SR - 1) / SR : 0, n_s = S > pw ? (S - pw + SC - 1) / SC : 0;
    const size_t plane = (size_t)PP * QQ, rs = (size_t)R * S, crs = (size_t)C * rs;
    __global const float *dzb =
        work + dzp_off + (size_t)b * K * plane + (size_t)(MR + a) * QQ + ML + m0;
    __global const float *wc0 = params + w_off + (size_t)c0 * rs;
    __global const float *wc1 = params + w_off + (size_t)min(c0 + 1, C - 1) * rs;
    __global const float *wc2 = params + w_off + (size_t)min(c0 + 2, C - 1) * rs;
    __global const float *wc3 = params + w_off + (size_t)min(c0 + 3, C - 1) * rs;
    float8 a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (int k = 0; k < K; k++)
        for (int jr = 0; jr < n_r; jr++) {
            __global const float *row = dzb + k * plane - (size_t)jr * QQ;
            const size_t t0 = k * crs + (size_t)(ph + jr * SR) * S + pw;
            for (int js = 0; js < n_s; js++) {
                const float8 v = vload8(0, row - js);
                const size_t t = t0 + (size_t)js * SC;
                a0 += v * wc0[t];
                a1 += v * wc1[t];
                a2 += v * wc2[t];
                a3 += v * wc3[t];
            }
        }
    float out[CONV_BLOCK][CONV_LANES];
    vstore8(a0, 0, out[0]);
    vstore8(a1, 0, out[1]);
    vstore8(a2, 0, out[2]);
    vstore8(a3, 0, out[3]);
    for (int j = 0; j < CONV_BLOCK && c0 + j < C; j++) {
        __global float *dxr = dx + (((size_t)b * C + c0 + j) * H + h) * W;
        for (int e = 0; e < CONV_LANES; e++) {
            const int w = (m0 + e) * SC + pw - PC;
            if (w < W)
                dxr[w] = out[j][e];
        }
    }
}
