/* 2-D convolution (PyTorch's conv2d: cross-correlation, zero padding) as direct kernels, with
 * bias and activation fused into the forward and the activation gradient into the copy of dz
 * the backward kernels read. Written for PoCL on CPUs, which does not vectorise across
 * work-items around inner loops: the vector lanes are 16 images of the batch, so every load
 * and every FMA is a whole vector whatever the layer's shape, and a work-item holds 4 filters
 * (or input channels) x 4 positions in registers. The kernels read a zero-padded copy of x and
 * a zero-margined copy of dz, both batch-minor (the image index fastest): no bounds tests.
 * No atomics: every sum has one owner and a fixed order, so results are bitwise reproducible.
 * Letters: B batch, C input channels, H W input rows and columns, K filters, R S kernel rows
 * and columns, P Q output rows and columns; weights (K, C, R, S) and bias (K) at offsets inside
 * the parameter arena. The geometry travels as one int16:
 * c h w k r s stride_r stride_c pad_r pad_c p q batch; the workspace layout as one int16.
 *
 * Tensors x, dx (B, C, H, W) and y, dy (B, K, P, Q) are NCHW, or batch-minor (C, H, W, BP) and
 * (K, P, Q, BP) with BP = B rounded up to 16 and the lanes past B zero: between two conv layers
 * (ops/conv2d.c), so that no transpose runs there. Between two conv layers the lower one's
 * forward also stores y straight into the upper one's zero-padded copy of x (y inside a border
 * of YR rows and YC columns: the upper one skips conv2d_pad), and the upper one's dx kernel
 * stores the lower one's dz = dx * act'(y) straight into its zero-margined copy (the lower one
 * skips conv2d_backward_dz). */
#pragma OPENCL FP_CONTRACT OFF

#define CONV_GEOM(g)                                                                           \
    const int C = (g).s0, H = (g).s1, W = (g).s2, K = (g).s3, R = (g).s4, S = (g).s5;         \
    const int SR = (g).s6, SC = (g).s7, PR = (g).s8, PC = (g).s9, P = (g).sa, Q = (g).sb;     \
    const int B = (g).sc

#define CONV_V 16      /* images per vector */
#define CONV_BLOCK 4   /* filters (forward, dW) or input channels (dx) per work-item */
#define CONV_COLS 4    /* output positions (forward) or input positions of one phase (dx) */
#define CONV_DW_TAPS 5 /* conv2d_backward_weights: column taps per pass (5 x 4 accumulators) */

/* The workspace (ops/conv2d.c computes the layout, the int16 l):
 *   xp  (C, H + 2 PR, WP, BP) at xp_off: x with its zero border, WP = W + 2 PC;
 *   dzp (K, PP, QQ, BP) at dzp_off: dz at rows MR + p, columns ML + q, zeros around it, so that
 *       dx reads the out-of-range output positions of its window as zeros; without dx (the
 *       first layer) MR = ML = 0, PP = P, QQ = Q: no margins to write.
 * OB: dx's blocks of CONV_COLS positions per stride phase; XB, YB: x and dx, y and dy are
 * batch-minor; YR, YC: y's border (0 but between conv layers); DZB: dx is stored as the layer
 * below's dz, in its dzp of PPB x QQB positions a plane from row MRB and column MLB. */
#define CONV_LAYOUT(l)                                                                         \
    const int WP = (l).s0, PP = (l).s1, QQ = (l).s2, MR = (l).s3, ML = (l).s4, OB = (l).s5;  \
    const int BP = (l).s6, XB = (l).s7 & 1, YB = (l).s7 >> 1 & 1, DZB = (l).s7 >> 2 & 1;     \
    const int YR = (l).s8, YC = (l).s9, PPB = (l).sa, QQB = (l).sb, MRB = (l).sc;           \
    const int MLB = (l).sd, HP = H + 2 * PR, NB = BP / CONV_V

/* v with the lanes of images b0 + e >= B set to zero. */
float16 conv_mask(const float16 v, const int b0, const int B)
{
    if (B - b0 >= CONV_V)
        return v;
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return select((float16)(0.0f), v, lane < (int16)(B - b0));
}

/* Images b0 .. b0 + 15 of value pos of a tensor of n values per image: batch-minor (bm) or
 * NCHW; lanes past B are zero. */
float16 conv_load(__global const float *t, const int bm, const size_t n, const size_t pos,
                  const int BP, const int b0, const int B)
{
    if (bm)
        return conv_mask(vload16(0, t + pos * BP + b0), b0, B);
    float v[CONV_V];
    for (int e = 0; e < CONV_V; e++)
        v[e] = b0 + e < B ? t[(size_t)(b0 + e) * n + pos] : 0.0f;
    return vload16(0, v);
}

/* The store of conv_load's values (lanes past B: zero when batch-minor, not stored in NCHW). */
void conv_store(__global float *t, const int bm, const size_t n, const size_t pos, const int BP,
                const int b0, const int B, const float16 v)
{
    if (bm) {
        vstore16(conv_mask(v, b0, B), 0, t + pos * BP + b0);
        return;
    }
    float a[CONV_V];
    vstore16(v, 0, a);
    for (int e = 0; e < CONV_V && b0 + e < B; e++)
        t[(size_t)(b0 + e) * n + pos] = a[e];
}

/* The sum of the 16 lanes, by halves: a fixed order. */
float conv_hsum(const float16 v)
{
    const float8 a8 = v.lo + v.hi;
    const float4 a4 = a8.lo + a8.hi;
    const float2 a2 = a4.lo + a4.hi;
    return a2.x + a2.y;
}

/* Item i of a grid of planes of rows_b x cols_b positions that hold a rows x cols tensor from
 * row r0 and column c0 on (zeros around it, as xp and dzp): the index of its value in the
 * tensor without the border, or -1 on the border. */
long conv_inner(const size_t i, const int rows_b, const int cols_b, const int r0, const int c0,
                const int rows, const int cols)
{
    const int v = (int)(i % cols_b) - c0, u = (int)(i / cols_b % rows_b) - r0;
    const size_t plane = i / ((size_t)cols_b * rows_b);
    if (u < 0 || u >= rows || v < 0 || v >= cols)
        return -1;
    return (long)((plane * rows + u) * cols + v);
}

/* The BP values of one position of xp or dzp set to zero. */
void conv_zero(__global float *dst, const int BP)
{
    for (int b0 = 0; b0 < BP; b0 += CONV_V)
        vstore16((float16)(0.0f), 0, dst + b0);
}

/* xp = x with its zero border. From NCHW: NB * ceil(n / 16) work-items of 16 values of 16
 * images (b0, pos0), then one per border position (all images); from batch-minor: one per
 * position of xp. */
__kernel void conv2d_pad(__global float *work, __global const float *x, const ulong xp_off,
                         const int16 g, const int16 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t n = (size_t)C * H * W, i = get_global_id(0);
    const size_t blocks = XB ? 0 : (n + CONV_V - 1) / CONV_V * NB, at = i - blocks;
    const int b0 = (int)(i % NB) * CONV_V;
    const size_t pos0 = i / NB * CONV_V;
    if (i < blocks) {
        float16 v[CONV_V];
        clnet_load_transposed16(v, x, n, b0, B, pos0, n);
        int c = (int)(pos0 / ((size_t)H * W)), h = (int)(pos0 / W % H), w = (int)(pos0 % W);
#pragma unroll
        for (int j = 0; j < CONV_V; j++) {
            if (pos0 + j >= n)
                break;
            vstore16(v[j], 0, work + xp_off + (((size_t)c * HP + h + PR) * WP + w + PC) * BP + b0);
            if (++w == W && (w = 0, ++h == H))
                h = 0, c++;
        }
        return;
    }
    if (at >= (size_t)C * HP * WP)
        return;
    __global float *dst = work + xp_off + at * BP;
    const long pos = conv_inner(at, HP, WP, PR, PC, H, W);
    if (pos < 0) {
        conv_zero(dst, BP);
        return;
    }
    if (!XB)
        return; /* the blocks stored it */
    for (int bb = 0; bb < BP; bb += CONV_V)
        vstore16(conv_load(x, XB, n, pos, BP, bb, B), 0, dst + bb);
}

/* conv2d_forward's sums (acc: 4 filters x 4 positions) over c, r, s in that order: x0 is xp
 * at the item's images, col its positions' windows from there, wk its filters' weights. */
static inline __attribute__((always_inline)) void
conv_fwd_sums(float16 (*acc)[CONV_COLS], __global const float *x0,
              __global const float *const *wk, const size_t *col, const int16 g, const int16 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++) {
            __global const float *row = x0 + ((size_t)c * HP + r) * WP * BP;
            const int t0 = (c * R + r) * S;
            for (int s = 0; s < S; s++) {
                float16 v[CONV_COLS];
#pragma unroll
                for (int n = 0; n < CONV_COLS; n++)
                    v[n] = vload16(0, row + (size_t)s * BP + col[n]);
#pragma unroll
                for (int j = 0; j < CONV_BLOCK; j++) {
                    const float16 wv = (float16)(wk[j][t0 + s]);
#pragma unroll
                    for (int n = 0; n < CONV_COLS; n++)
                        acc[j][n] = fma(v[n], wv, acc[j][n]);
                }
            }
        }
}

/* y = act(bias + sum over c, r, s of x * w), the taps in that order, from xp (the workspace's,
 * or x itself when the layer below stored it padded). One work-item per (block of 16 images,
 * block of 4 positions of the P x Q plane in row-major order, across row ends: 14 x 14 wastes
 * none, 4 columns of a row wasted 2 of 16; block of 4 filters); positions past P*Q repeat the
 * last one and are not stored (one code path: PoCL compiles each kernel at first launch). */
__kernel void conv2d_forward(__global float *y,            /* (B, K, P, Q) */
                             __global const float *work,   /* xp at xp_off */
                             __global const float *params, /* w (K, C, R, S), bias (K) */
                             const ulong xp_off, const ulong w_off, const ulong b_off,
                             const int16 g, const int16 l, const int act)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int KB = (K + CONV_BLOCK - 1) / CONV_BLOCK, PQ = P * Q;
    const int PB = (PQ + CONV_COLS - 1) / CONV_COLS; /* blocks of positions */
    if (get_global_id(0) >= (size_t)NB * PB * KB)
        return;
    const int i = (int)get_global_id(0); /* ops/conv2d.c keeps every count below 2^31 */
    const int b0 = i % NB * CONV_V, o0 = i / NB % PB * CONV_COLS;
    const int k0 = i / (NB * PB) * CONV_BLOCK, N = min(PQ - o0, CONV_COLS);
    const int PY = P + 2 * YR, QY = Q + 2 * YC; /* y's rows and columns, border included */
    __global const float *x0 = work + xp_off + b0;
    const size_t crs = (size_t)C * R * S;
    __global const float *wk[CONV_BLOCK];
    size_t col[CONV_COLS]; /* each position's window in xp */
    int at[CONV_COLS];     /* and its place in y: row * QY + column */
    float16 acc[CONV_BLOCK][CONV_COLS];
    int p = o0 / Q, q = o0 % Q; /* one division; the next positions step along the row */
#pragma unroll
    for (int n = 0; n < CONV_COLS; n++) {
        col[n] = ((size_t)p * SR * WP + (size_t)q * SC) * BP;
        at[n] = (p + YR) * QY + YC + q;
        if (n + 1 < N && ++q == Q)
            q = 0, p++;
    }
#pragma unroll
    for (int j = 0; j < CONV_BLOCK; j++) {
        wk[j] = params + w_off + (size_t)min(k0 + j, K - 1) * crs; /* lanes past K: not stored */
#pragma unroll
        for (int n = 0; n < CONV_COLS; n++)
            acc[j][n] = 0.0f;
    }
    conv_fwd_sums(acc, x0, wk, col, g, l);
#pragma unroll /* a constant bound: acc indexed by constants stays in registers */
    for (int j = 0; j < CONV_BLOCK; j++) {
        if (k0 + j >= K)
            break;
        const float bias = params[b_off + k0 + j];
#pragma unroll
        for (int n = 0; n < CONV_COLS; n++)
            if (n < N)
                conv_store(y, YB, (size_t)K * PY * QY, (size_t)(k0 + j) * PY * QY + at[n], BP,
                           b0, B, act_value16(acc[j][n] + bias, act));
    }
}

/* dzp = dy * act'(y) with its zero margins. One work-item per position (k, row, column) of
 * dzp, all images (16 x 16 blocks as conv2d_pad's ran slower: bench/RESULTS.md, session 18). */
__kernel void conv2d_backward_dz(__global float *work,    /* dzp at dzp_off */
                                 __global const float *dy, /* (B, K, P, Q) */
                                 __global const float *y,  /* (B, K, P, Q) */
                                 const ulong dzp_off, const int16 g, const int16 l, const int act)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t i = get_global_id(0);
    if (i >= (size_t)K * PP * QQ)
        return;
    __global float *dst = work + dzp_off + i * BP;
    const long pos = conv_inner(i, PP, QQ, MR, ML, P, Q);
    const size_t n = (size_t)K * P * Q;
    if (pos < 0) {
        conv_zero(dst, BP);
        return;
    }
    for (int b0 = 0; b0 < BP; b0 += CONV_V) /* lanes past B: dy 0, so dz 0 */
        vstore16(act_gradient16(conv_load(dy, YB, n, pos, BP, b0, B),
                                conv_load(y, YB, n, pos, BP, b0, B), act),
                 0, dst + b0);
}

/* Row p's terms of conv_dw_taps, added to the totals tot (taps x filters) and totb: a row's
 * sums first, then added (shorter chains of rounding: P*Q*BP/16 terms in one accumulator made
 * the homework CNN's gradients 4x less accurate). Each lane adds its images' terms over q in
 * order. */
static inline __attribute__((always_inline)) void
conv_dw_row(float16 (*tot)[CONV_BLOCK], float16 *totb, __global const float *xc,
            __global const float *const *dk, const size_t *tap, const int16 g, const int16 l,
            const int p, const int s0, const int NS, const int bias)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    float16 acc[CONV_DW_TAPS][CONV_BLOCK], accb[CONV_BLOCK];
#pragma unroll
    for (int j = 0; j < CONV_BLOCK; j++) {
        accb[j] = 0.0f;
#pragma unroll
        for (int s = 0; s < NS; s++)
            acc[s][j] = 0.0f;
    }
    for (int q = 0; q < Q; q++) {
        __global const float *xr = xc + ((size_t)p * SR * WP + (size_t)q * SC + s0) * BP;
        const size_t t = ((size_t)p * QQ + q) * BP;
        for (int b0 = 0; b0 < BP; b0 += CONV_V) {
            float16 d[CONV_BLOCK];
#pragma unroll
            for (int j = 0; j < CONV_BLOCK; j++)
                d[j] = vload16(0, dk[j] + t + b0);
#pragma unroll
            for (int s = 0; s < NS; s++) {
                const float16 v = vload16(0, xr + tap[s] + b0);
#pragma unroll
                for (int j = 0; j < CONV_BLOCK; j++)
                    acc[s][j] = fma(d[j], v, acc[s][j]);
            }
            if (bias)
#pragma unroll
                for (int j = 0; j < CONV_BLOCK; j++)
                    accb[j] += d[j];
        }
    }
#pragma unroll
    for (int j = 0; j < CONV_BLOCK; j++) {
        totb[j] += accb[j];
#pragma unroll
        for (int s = 0; s < NS; s++)
            tot[s][j] += acc[s][j];
    }
}

/* The sums of conv2d_backward_weights for the taps s0 .. s0 + min(NS, left) - 1 of one (filter
 * block, c, r), NS a constant after inlining so that the NS x 4 accumulators stay in registers
 * (taps past `left` repeat the last one and are not stored); with
 * `bias`, the filters' sums of dz too. Each lane adds its images' terms row by row
 * (conv_dw_row), the rows' sums in order, then the lanes are added by halves. */
static inline __attribute__((always_inline)) void
conv_dw_taps(__global float *grads, const ulong dw_off, const ulong db_off,
             __global const float *xc, __global const float *dz, const int16 g, const int16 l,
             const int k0, const int c, const int r, const int s0, const int NS, const int left,
             const int bias)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t plane = (size_t)PP * QQ * BP;
    __global const float *dk[CONV_BLOCK];
    float16 tot[CONV_DW_TAPS][CONV_BLOCK], totb[CONV_BLOCK];
    size_t tap[CONV_DW_TAPS];
#pragma unroll
    for (int s = 0; s < NS; s++)
        tap[s] = (size_t)min(s, left - 1) * BP;
#pragma unroll
    for (int j = 0; j < CONV_BLOCK; j++) {
        dk[j] = dz + (size_t)min(k0 + j, K - 1) * plane; /* lanes past K: not stored */
        totb[j] = 0.0f;
#pragma unroll
        for (int s = 0; s < NS; s++)
            tot[s][j] = 0.0f;
    }
    for (int p = 0; p < P; p++)
        conv_dw_row(tot, totb, xc, dk, tap, g, l, p, s0, NS, bias);
#pragma unroll /* a constant bound: tot indexed by constants stays in registers */
    for (int j = 0; j < CONV_BLOCK; j++) {
        if (k0 + j >= K)
            break;
        __global float *dw = grads + dw_off + (((size_t)(k0 + j) * C + c) * R + r) * S + s0;
#pragma unroll
        for (int s = 0; s < NS; s++)
            if (s < left)
                dw[s] = conv_hsum(tot[s][j]);
        if (bias)
            grads[db_off + k0 + j] = conv_hsum(totb[j]);
    }
}

/* dW[k, c, r, s] = sum over images, p, q of dz[k, p, q] * xp[c, p*SR + r, q*SC + s], and db[k]
 * = the sum of dz[k] (by the work-items of c = r = 0). One work-item per (block of 4 filters,
 * c, r), the taps s in groups of CONV_DW_TAPS, the last one of 4 (conv_dw_taps: two code
 * paths, each compiled at a kernel's first launch). */
__kernel void conv2d_backward_weights(__global float *grads,     /* dW at dw_off, db at db_off */
                                      __global const float *xpb,  /* xp at xp_off */
                                      __global const float *dzpb, /* dzp at dzp_off */
                                      const ulong xp_off, const ulong dzp_off, const ulong dw_off,
                                      const ulong db_off, const int16 g, const int16 l)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int KB = (K + CONV_BLOCK - 1) / CONV_BLOCK;
    if (get_global_id(0) >= (size_t)KB * C * R)
        return;
    const int i = (int)get_global_id(0);
    const int r = i % R, c = i / R % C, k0 = i / (R * C) * CONV_BLOCK;
    __global const float *dz = dzpb + dzp_off + ((size_t)MR * QQ + ML) * BP;
    __global const float *xc = xpb + xp_off + ((size_t)c * HP + r) * WP * BP;
    const int bias = c == 0 && r == 0;
    for (int s0 = 0; s0 < S; s0 += CONV_DW_TAPS) {
        const int left = S - s0, b = bias && s0 == 0;
        if (left >= CONV_DW_TAPS)
            conv_dw_taps(grads, dw_off, db_off, xc, dz, g, l, k0, c, r, s0, CONV_DW_TAPS, left, b);
        else
            conv_dw_taps(grads, dw_off, db_off, xc, dz, g, l, k0, c, r, s0, 4, left, b);
    }
}

/* The sums of conv2d_backward_data's work-item (acc, CONV_BLOCK channels x CONV_COLS
 * positions): over k, then the row taps jr, then the column taps js, in that order; dz0 is dzp
 * at its images, col its positions' dz offsets from there, wc its channels' weights, ph and pw
 * its phases, n_r and n_s its taps. */
static inline __attribute__((always_inline)) void
conv_dx_sums(float16 (*acc)[CONV_COLS], __global const float *dz0,
             __global const float *const *wc, const size_t *col, const int16 g, const int16 l,
             const int ph, const int pw, const int n_r, const int n_s)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const size_t plane = (size_t)PP * QQ * BP, crs = (size_t)C * R * S;
    for (int k = 0; k < K; k++)
        for (int jr = 0; jr < n_r; jr++) {
            __global const float *row = dz0 + k * plane - (size_t)jr * QQ * BP;
            const size_t t0 = k * crs + (size_t)(ph + jr * SR) * S + pw;
            for (int js = 0; js < n_s; js++) {
                float16 v[CONV_COLS];
#pragma unroll
                for (int n = 0; n < CONV_COLS; n++)
                    v[n] = vload16(0, row + col[n] - js * BP);
#pragma unroll
                for (int j = 0; j < CONV_BLOCK; j++) {
                    const float16 wv = (float16)(wc[j][t0 + (size_t)js * SC]);
#pragma unroll
                    for (int n = 0; n < CONV_COLS; n++)
                        acc[j][n] = fma(v[n], wv, acc[j][n]);
                }
            }
        }
}

/* conv2d_backward_data's stores of acc (channels c0.., N positions at hh, ww): dx, or (DZB) the
 * layer below's dz, act_below' of its y in xp (at the images). */
static inline __attribute__((always_inline)) void
conv_dx_store(__global float *dx, __global const float *xp, float16 (*acc)[CONV_COLS],
              const int *hh, const int *ww, const int N, const int c0, const int b0,
              const int16 g, const int16 l, const int act_below)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
#pragma unroll /* a constant bound: acc indexed by constants stays in registers */
    for (int j = 0; j < CONV_BLOCK; j++)
#pragma unroll
        for (int n = 0; n < CONV_COLS; n++) {
            const int h = hh[n], w = ww[n];
            if (n >= N || c0 + j >= C)
                continue;
            if (!DZB) {
                conv_store(dx, XB, (size_t)C * H * W, ((size_t)(c0 + j) * H + h) * W + w, BP, b0,
                           B, acc[j][n]);
                continue;
            }
            const float16 yb = vload16(0, xp + (((size_t)(c0 + j) * HP + h + PR) * WP + w + PC) * BP);
            vstore16(conv_mask(act_gradient16(acc[j][n], yb, act_below), b0, B), 0,
                     dx + (((size_t)(c0 + j) * PPB + MRB + h) * QQB + MLB + w) * BP + b0);
        }
}

/* dx (B, C, H, W) = sum over k, r, s of dz[k, p, q] * w[k, c, r, s] with p*SR + r = h + PR
 * and q*SC + s = w + PC. Write h + PR = a*SR + ph and w + PC = m*SC + pw: the taps are
 * r = ph + jr*SR, s = pw + js*SC and read dz at p = a - jr, q = m - js, so the inputs of one
 * phase (ph, pw) share their taps, and dzp's zero margins stand for the positions outside dz.
 * One work-item per (block of 16 images, block of 4 positions (a, m) of one phase in row-major
 * order, pw, ph, block of 4 input channels): a block may run across the end of a row (the
 * homework CNN's phases of 14 x 14 and 7 x 7 inputs in blocks of 4 columns of a row had
 * computed 16 for 14 and 8 for 7); a block's positions past its phase's repeat its last one
 * and are not stored. With DZB, dx is stored as the layer below's dz: times act_below'(its y,
 * read from xp) in its dzp (CONV_LAYOUT's PPB...). */
__kernel void conv2d_backward_data(__global float *dx,           /* (B, C, H, W), or the dzp */
                                   __global const float *dzpb,   /* dzp at dzp_off */
                                   __global const float *params, /* w (K, C, R, S) */
                                   __global const float *xpb,    /* xp at xp_off (DZB) */
                                   const ulong dzp_off, const ulong w_off, const ulong xp_off,
                                   const int16 g, const int16 l, const int act_below)
{
    CONV_GEOM(g);
    CONV_LAYOUT(l);
    const int CB = (C + CONV_BLOCK - 1) / CONV_BLOCK;
    if (get_global_id(0) >= (size_t)NB * OB * SC * SR * CB)
        return;
    const int i = (int)get_global_id(0);
    const int b0 = i % NB * CONV_V, o0 = i / NB % OB * CONV_COLS, pw = i / (NB * OB) % SC;
    const int ph = i / (NB * OB * SC) % SR, c0 = i / (NB * OB * SC * SR) * CONV_BLOCK;
    /* The inputs of this phase: h = a*SR + ph - PR in [0, H), w = m*SC + pw - PC in [0, W). */
    const int a_lo = PR - ph > 0 ? (PR - ph + SR - 1) / SR : 0;
    const int m_lo = PC - pw > 0 ? (PC - pw + SC - 1) / SC : 0;
    const int rows = (H - 1 + PR - ph) / SR - a_lo + 1, cols = (W - 1 + PC - pw) / SC - m_lo + 1;
    if (rows <= 0 || cols <= 0 || o0 >= rows * cols)
        return;
    const int N = min(rows * cols - o0, CONV_COLS);
    __global const float *dz0 = dzpb + dzp_off + b0;
    const int n_r = R > ph ? (R - ph + SR - 1) / SR : 0, n_s = S > pw ? (S - pw + SC - 1) / SC : 0;
    const size_t rs = (size_t)R * S;
    __global const float *wc[CONV_BLOCK];
    size_t col[CONV_COLS];
    int hh[CONV_COLS], ww[CONV_COLS]; /* each position's input row and column */
    float16 acc[CONV_BLOCK][CONV_COLS];
    int a = a_lo + o0 / cols, m = m_lo + o0 % cols; /* then step along the row */
#pragma unroll
    for (int n = 0; n < CONV_COLS; n++) {
        col[n] = ((size_t)(MR + a) * QQ + ML + m) * BP;
        hh[n] = a * SR + ph - PR;
        ww[n] = m * SC + pw - PC;
        if (n + 1 < N && ++m == m_lo + cols)
            m = m_lo, a++;
    }
#pragma unroll
    for (int j = 0; j < CONV_BLOCK; j++) {
        wc[j] = params + w_off + (size_t)min(c0 + j, C - 1) * rs; /* past C: not stored */
#pragma unroll
        for (int n = 0; n < CONV_COLS; n++)
            acc[j][n] = 0.0f;
    }
    conv_dx_sums(acc, dz0, wc, col, g, l, ph, pw, n_r, n_s);
    conv_dx_store(dx, xpb + xp_off + b0, acc, hh, ww, N, c0, b0, g, l, act_below);
}
