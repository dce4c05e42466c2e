/* Wrappers of cl/conv2d.cl (the CPU path) and, through ops/conv2d_gpu.c, cl/conv2d_gpu.cl (the
 * GPU path, runtime_ops_path): the geometry and workspace checks are shared. The CPU path's
 * kernels are direct convolution kernels with 16 images of the batch in the vector lanes.
 * Forward: a zero-padded batch-minor copy of x, then the convolution with bias and activation
 * fused. Backward (from that copy): dz = dy * act'(y) into a zero-margined batch-minor copy,
 * dW and db in one launch, dx. Between two conv layers the neighbours store those copies
 * instead (ops.h: conv_geom's fusions). Every sum has one owner and a fixed order (bitwise
 * reproducible). Measured on PoCL (2-core CPU): the homework CNN's three layers
 * forward and backward in 2.0 ms at batch 100 (bench/conv_layers), against 6.0 ms for the
 * previous kernels (8 columns of one image in the lanes, per-image dW partial sums); those
 * had run the layers 5-10x faster than the GEMM alone of im2col + CLBlast. */
#include <assert.h>
#include <limits.h>

#include "util/nn.h"
#include "ops/conv2d_gpu.h"
#include "ops/ops.h"
#include "util/status.h"

/* cl/conv2d.cl mirrors enum activation with #defines. */
static_assert(ACTIVATION_IDENTITY == 0 && ACTIVATION_SIGMOID == 1 && ACTIVATION_RELU == 2 &&
                  ACTIVATION_TANH == 3 && ACTIVATION_STEP == 4 && ACTIVATION_COUNT == 5,
              "update the ACT_ constants in cl/conv2d.cl");

/* a*b*c*d <= INT_MAX: the kernels' work-item counts (below B*K*P*Q, B*C*H*(W + stride_c)),
 * which they index with int, stay in range. */
static bool fits(size_t a, size_t b, size_t c, size_t d)
{
    const size_t limit = (size_t)INT_MAX;
    return a <= limit && b <= limit / a && c <= limit / (a * b) && d <= limit / (a * b * c);
}

static int check_geom(const char *op, const struct conv_geom *g, int batch, int act)
{
    bool ok = g->c > 0 && g->h > 0 && g->w > 0 && g->k > 0 && g->r > 0 && g->s > 0 &&
              g->stride_r > 0 && g->stride_c > 0 && g->pad_r >= 0 && g->pad_c >= 0 &&
              batch > 0 && g->h + 2 * g->pad_r >= g->r && g->w + 2 * g->pad_c >= g->s &&
              g->p == (g->h + 2 * g->pad_r - g->r) / g->stride_r + 1 &&
              g->q == (g->w + 2 * g->pad_c - g->s) / g->stride_c + 1;
    ok = ok && fits((size_t)batch, (size_t)g->k, (size_t)g->p, (size_t)g->q) &&
         fits((size_t)batch, (size_t)g->c, (size_t)g->h, (size_t)g->w + (size_t)g->stride_c) &&
         fits((size_t)batch, (size_t)g->k, (size_t)g->c * (size_t)g->r * (size_t)g->s + 1, 1) &&
         conv2d_gpu_fits(g, batch, op_conv2d_batch_stride(batch));
    if (!ok)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "%s: bad geometry B=%d C=%d H=%d W=%d K=%d R=%d S=%d stride %d,%d "
                            "pad %d,%d P=%d Q=%d",
                            op, batch, g->c, g->h, g->w, g->k, g->r, g->s, g->stride_r,
                            g->stride_c, g->pad_r, g->pad_c, g->p, g->q);
    if (act < 0 || act >= ACTIVATION_COUNT)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: bad activation %d", op, act);
    return CLNET_OK;
}

/* The int16 every conv kernel takes (cl/conv2d.cl's CONV_GEOM). */
static cl_int16 pack_geom(const struct conv_geom *g, int batch)
{
    cl_int16 v = {{0}};
    const int fields[] = {g->c,        g->h,     g->w,     g->k, g->r, g->s, g->stride_r,
                          g->stride_c, g->pad_r, g->pad_c, g->p, g->q, batch};
    for (int i = 0; i < N_ARGS(fields); i++)
        v.s[i] = fields[i];
    return v;
}

/* The kernels' CONV_V (images per vector), CONV_BLOCK (filters or input channels per
 * work-item) and CONV_COLS (columns per work-item). */
enum { LANES = 16, BLOCK = 4, COLS = 4 };

size_t op_conv2d_batch_stride(int batch)
{
    return batch > 0 ? ((size_t)batch + LANES - 1) / LANES * LANES : 0;
}

static int ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* The padded copies' shapes (cl/conv2d.cl's CONV_LAYOUT explains them). */
struct layout {
    int wp;     /* row length of xp */
    int pp, qq; /* rows and columns of a dzp plane */
    int mr, ml; /* dz's first row and column inside it */
    int mb;     /* CONV_COLS-column blocks of input columns per stride phase (dzp's width) */
    int ob;     /* dx's blocks of CONV_COLS positions per stride phase (row, column), the most */
    int bp;     /* the batch stride: B rounded up to LANES */
};

/* With dx false (a backward without dx: the network's first layer), dzp has no margins: only
 * conv2d_backward_data reads them, so conv2d_backward_dz then writes dz alone (the homework
 * CNN's first layer: 3,136 positions instead of 4,624 a step, bench/RESULTS.md). The workspace
 * is sized for the margins (op_conv2d_workspace), which fits both. A dz that the layer above
 * stores (dy_is_dz) always has them: that layer cannot know whether this one computes dx,
 * and only the positions inside are written each step. */
static struct layout make_layout(const struct conv_geom *g, int batch, bool dx)
{
    struct layout l;
    dx = dx || g->dy_is_dz;
    l.wp = g->w + 2 * g->pad_c;
    l.mr = dx ? ceil_div(g->r, g->stride_r) - 1 : 0;
    l.ml = dx ? ceil_div(g->s, g->stride_c) - 1 : 0;
    /* Phase pw holds the input columns w = m*stride_c + pw - pad_c, m in [m_lo, m_hi]. */
    l.mb = 1;
    int m_lo_max = 0, cols_max = 0, rows_max = 0;
    for (int pw = 0; pw < g->stride_c; pw++) {
        int m_lo = g->pad_c - pw > 0 ? ceil_div(g->pad_c - pw, g->stride_c) : 0;
        int m_hi = (g->w - 1 + g->pad_c - pw) / g->stride_c;
        l.mb = max_int(l.mb, ceil_div(m_hi - m_lo + 1, COLS));
        m_lo_max = max_int(m_lo_max, m_lo);
        cols_max = max_int(cols_max, m_hi - m_lo + 1);
    }
    for (int ph = 0; ph < g->stride_r; ph++) { /* rows h = a*stride_r + ph - pad_r likewise */
        int a_lo = g->pad_r - ph > 0 ? ceil_div(g->pad_r - ph, g->stride_r) : 0;
        rows_max = max_int(rows_max, (g->h - 1 + g->pad_r - ph) / g->stride_r - a_lo + 1);
    }
    l.ob = max_int(1, (int)(((size_t)rows_max * (size_t)cols_max + COLS - 1) / COLS));
    /* dx reads rows a - jr with a up to (h + pad_r) / stride_r, and columns m - js up to the
     * last column of the last block. */
    l.pp = dx ? l.mr + max_int(g->p, (g->h - 1 + g->pad_r) / g->stride_r + 1) : g->p;
    l.qq = dx ? l.ml + max_int(g->q, m_lo_max + l.mb * COLS) : g->q;
    l.bp = (int)op_conv2d_batch_stride(batch);
    return l;
}

/* Workspace layout, in floats: xp (C, H + 2 pad_r, wp, bp) from 0, dzp (K, pp, qq, bp) from
 * dzp_off. */
struct offsets {
    size_t dzp, end;
};

static struct offsets make_offsets(const struct conv_geom *g, const struct layout *l)
{
    struct offsets o;
    o.dzp = (size_t)g->c * (size_t)(g->h + 2 * g->pad_r) * (size_t)l->wp * (size_t)l->bp;
    o.end = o.dzp + (size_t)g->k * (size_t)l->pp * (size_t)l->qq * (size_t)l->bp;
    return o;
}

struct conv_dz_layout op_conv2d_dz_layout(const struct conv_geom *g)
{
    struct layout l = make_layout(g, 1, true);
    return (struct conv_dz_layout){l.pp, l.qq, l.mr, l.ml};
}

size_t op_conv2d_dz_floats(const struct conv_geom *g, int batch)
{
    struct conv_dz_layout d = op_conv2d_dz_layout(g);
    return (size_t)g->k * (size_t)d.pp * (size_t)d.qq * op_conv2d_batch_stride(batch);
}

size_t op_conv2d_y_floats(const struct conv_geom *g, int batch)
{
    int br = g->y_padded ? g->y_pad_r : 0, bc = g->y_padded ? g->y_pad_c : 0;
    size_t rows = g->y_batch_minor ? op_conv2d_batch_stride(batch) : (size_t)max_int(batch, 0);
    return (size_t)g->k * (size_t)(g->p + 2 * br) * (size_t)(g->q + 2 * bc) * rows;
}

size_t op_conv2d_x_floats(const struct conv_geom *g, int batch)
{
    int br = g->x_padded ? g->pad_r : 0, bc = g->x_padded ? g->pad_c : 0;
    size_t rows = g->x_batch_minor ? op_conv2d_batch_stride(batch) : (size_t)max_int(batch, 0);
    return (size_t)g->c * (size_t)(g->h + 2 * br) * (size_t)(g->w + 2 * bc) * rows;
}

size_t op_conv2d_workspace(const struct conv_geom *g, int batch)
{
    if (batch <= 0)
        return 0;
    struct layout l = make_layout(g, batch, true);
    size_t cpu = make_offsets(g, &l).end, gpu = conv2d_gpu_workspace_floats(g, batch, l.bp);
    return (cpu > gpu ? cpu : gpu) * sizeof(cl_float);
}

static cl_int16 pack_layout(const struct layout *l, const struct conv_geom *g)
{
    const struct conv_dz_layout *d = &g->dz_below;
    cl_int16 v = {{l->wp, l->pp, l->qq, l->mr, l->ml, l->ob, l->bp,
                   (g->x_batch_minor ? 1 : 0) | (g->y_batch_minor ? 2 : 0) | (g->dx_dz ? 4 : 0),
                   g->y_padded ? g->y_pad_r : 0, g->y_padded ? g->y_pad_c : 0, d->pp, d->qq,
                   d->mr, d->ml, 0, 0}};
    return v;
}

/* Launches over n work-items in groups of GROUP (or the kernel's limit, if smaller): a conv
 * kernel's work-items are few and heavy (the homework CNN's third layer's forward is 294 of
 * them, its first layer's dW 5), and in the usual groups of 256 they would run on one thread.
 * The dW kernel's in groups of 1: its first layer's 5 items ran as groups of 4 and 1 on two
 * workers, 3 and 2 now (net_profile on q5_ii_cnn: 160-189 -> 129-136 us). One size per kernel:
 * PoCL compiles a kernel again for each work-group size. */
enum { GROUP = 4 };

static int launch(struct runtime *rt, enum kernel_id id, const struct runtime_arg *args, int n,
                  size_t items)
{
    int status = runtime_set_args(rt, id, args, n);
    size_t max = runtime_kernel_local_size(rt, id);
    size_t group = id == KERNEL_CONV2D_BACKWARD_WEIGHTS ? 1 : GROUP;
    return status != CLNET_OK ? status
                              : runtime_launch_1d_local(rt, id, items, max < group ? max : group);
}

/* conv2d_pad's work-items for 16 x 16 blocks of an NCHW tensor of n values per image (none
 * when batch-minor); one per padded position follows them. */
static size_t edge_blocks(const struct layout *l, bool batch_minor, size_t n)
{
    return batch_minor ? 0 : (n + LANES - 1) / LANES * (size_t)(l->bp / LANES);
}

/* Checks that buf holds `floats` floats. */
static int check_size(const char *op, const char *what, cl_mem buf, size_t floats, int batch)
{
    size_t have = 0, need = floats * sizeof(cl_float);
    if (!buf || clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof have, &have, NULL) != CL_SUCCESS ||
        have < need)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s of %zu bytes, %zu needed for B=%d", op,
                            what, have, need, batch);
    return CLNET_OK;
}

/* The fusions' conditions (ops.h: conv_geom): each on the CPU path and a batch-minor side. */
static int check_fusions(const char *op, struct runtime *rt, const struct conv_geom *g)
{
    bool any = g->x_padded || g->y_padded || g->dy_is_dz || g->dx_dz;
    const char *bad = NULL;
    if (any && runtime_ops_path(rt) != RUNTIME_OPS_CPU)
        bad = "the GPU path fuses nothing between conv layers";
    else if ((g->x_padded || g->dx_dz) && !g->x_batch_minor)
        bad = "a padded x or a dx stored as dz needs a batch-minor x";
    else if ((g->y_padded || g->dy_is_dz) && !g->y_batch_minor)
        bad = "a padded y or a dy holding dz needs a batch-minor y";
    else if (g->dx_dz && !g->x_padded)
        bad = "a dx stored as dz reads the layer below's y from the padded x";
    else if (g->y_padded && (g->y_pad_r < 0 || g->y_pad_c < 0))
        bad = "a negative border of y";
    else if (g->dx_dz && (g->below_act < 0 || g->below_act >= ACTIVATION_COUNT))
        bad = "a bad activation below";
    return bad ? clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", op, bad) : CLNET_OK;
}

/* Everything a launch needs beyond the buffers. */
struct conv_args {
    cl_int16 geom;
    cl_int16 lay;
    cl_ulong xp_off, dzp_off;
    struct layout l;
};

/* dx: whether a backward computes dx (make_layout: dzp's margins); true for the forward. */
static int prepare(const char *op, struct runtime *rt, struct conv_args *a, cl_mem work,
                   const struct conv_geom *g, int batch, int act, bool dx)
{
    int status = check_geom(op, g, batch, act);
    if (status == CLNET_OK)
        status = check_fusions(op, rt, g);
    if (status == CLNET_OK)
        status = check_size(op, "workspace", work, op_conv2d_workspace(g, batch) / sizeof(cl_float),
                            batch);
    if (status != CLNET_OK)
        return status;
    a->geom = pack_geom(g, batch);
    a->l = make_layout(g, batch, dx);
    a->lay = pack_layout(&a->l, g);
    a->xp_off = 0;
    a->dzp_off = make_offsets(g, &a->l).dzp;
    return CLNET_OK;
}

int op_conv2d_forward(struct runtime *rt, cl_mem y, cl_mem x, cl_mem params, size_t w_off,
                      size_t b_off, cl_mem work, const struct conv_geom *g, int batch, int act)
{
    struct conv_args a;
    int status = prepare("conv2d_forward", rt, &a, work, g, batch, act, true);
    if (status == CLNET_OK)
        status = check_size("conv2d_forward", "x", x, op_conv2d_x_floats(g, batch), batch);
    if (status == CLNET_OK)
        status = check_size("conv2d_forward", "y", y, op_conv2d_y_floats(g, batch), batch);
    if (status != CLNET_OK)
        return status;
    if (runtime_ops_path(rt) == RUNTIME_OPS_GPU)
        return conv2d_gpu_forward(rt, y, x, params, w_off, b_off, g, &a.geom, (size_t)a.l.bp,
                                  batch, act);
    const struct runtime_arg pad[] = {RUNTIME_ARG(work), RUNTIME_ARG(x), RUNTIME_ARG(a.xp_off),
                                      RUNTIME_ARG(a.geom), RUNTIME_ARG(a.lay)};
    if (!g->x_padded)
        status = launch(rt, KERNEL_CONV2D_PAD, pad, N_ARGS(pad),
                        edge_blocks(&a.l, g->x_batch_minor, (size_t)g->c * g->h * g->w) +
                            (size_t)g->c * (size_t)(g->h + 2 * g->pad_r) * (size_t)a.l.wp);
    if (status != CLNET_OK)
        return status;
    cl_mem xp = g->x_padded ? x : work;
    cl_ulong woff = w_off, boff = b_off;
    cl_int act_arg = act;
    const struct runtime_arg args[] = {RUNTIME_ARG(y),        RUNTIME_ARG(xp),
                                       RUNTIME_ARG(params),   RUNTIME_ARG(a.xp_off),
                                       RUNTIME_ARG(woff),     RUNTIME_ARG(boff),
                                       RUNTIME_ARG(a.geom),   RUNTIME_ARG(a.lay),
                                       RUNTIME_ARG(act_arg)};
    size_t blocks = ((size_t)g->p * (size_t)g->q + COLS - 1) / COLS;
    return launch(rt, KERNEL_CONV2D_FORWARD, args, N_ARGS(args),
                  (size_t)(a.l.bp / LANES) * blocks * (size_t)ceil_div(g->k, BLOCK));
}

int op_conv2d_backward(struct runtime *rt, cl_mem dx, cl_mem grads, size_t dw_off, size_t db_off,
                       cl_mem x, cl_mem y, cl_mem dy, cl_mem params, size_t w_off, cl_mem work,
                       const struct conv_geom *g, int batch, int act)
{
    const char *op = "conv2d_backward";
    struct conv_args a;
    int status = prepare(op, rt, &a, work, g, batch, act, dx != NULL);
    if (status == CLNET_OK && g->y_padded && !g->dy_is_dz)
        status = clnet_errorf(CLNET_ERR_INTERNAL, "%s: conv2d_backward_dz reads no padded y", op);
    if (status == CLNET_OK && g->dy_is_dz)
        status = check_size(op, "dz", dy, op_conv2d_dz_floats(g, batch), batch);
    if (status == CLNET_OK && g->x_padded)
        status = check_size(op, "x", x, op_conv2d_x_floats(g, batch), batch);
    if (status == CLNET_OK && dx && g->dx_dz) {
        const struct conv_dz_layout *d = &g->dz_below;
        size_t need = (size_t)g->c * (size_t)d->pp * (size_t)d->qq * (size_t)a.l.bp;
        bool fits = d->mr >= 0 && d->ml >= 0 && d->pp >= d->mr + g->h && d->qq >= d->ml + g->w;
        status = fits ? check_size(op, "dx", dx, need, batch)
                      : clnet_errorf(CLNET_ERR_INTERNAL, "%s: dz below smaller than x", op);
    }
    if (status != CLNET_OK)
        return status;
    if (runtime_ops_path(rt) == RUNTIME_OPS_GPU)
        return conv2d_gpu_backward(rt, dx, grads, dw_off, db_off, x, y, dy, params, w_off, work,
                                   g, &a.geom, (size_t)a.l.bp, batch, act);
    cl_ulong dwoff = dw_off, dboff = db_off, woff = w_off;
    cl_int act_arg = act, below_act = g->below_act;
    const struct runtime_arg dz[] = {RUNTIME_ARG(work),      RUNTIME_ARG(dy),
                                     RUNTIME_ARG(y),         RUNTIME_ARG(a.dzp_off),
                                     RUNTIME_ARG(a.geom),    RUNTIME_ARG(a.lay),
                                     RUNTIME_ARG(act_arg)};
    if (!g->dy_is_dz)
        status = launch(rt, KERNEL_CONV2D_BACKWARD_DZ, dz, N_ARGS(dz),
                        (size_t)g->k * (size_t)a.l.pp * (size_t)a.l.qq);
    if (status != CLNET_OK)
        return status;
    cl_mem xp = g->x_padded ? x : work, dzp = g->dy_is_dz ? dy : work;
    if (g->dy_is_dz)
        a.dzp_off = 0;
    const struct runtime_arg weights[] = {RUNTIME_ARG(grads),     RUNTIME_ARG(xp),
                                          RUNTIME_ARG(dzp),       RUNTIME_ARG(a.xp_off),
                                          RUNTIME_ARG(a.dzp_off),
                                          RUNTIME_ARG(dwoff),     RUNTIME_ARG(dboff),
                                          RUNTIME_ARG(a.geom),    RUNTIME_ARG(a.lay)};
    status = launch(rt, KERNEL_CONV2D_BACKWARD_WEIGHTS, weights, N_ARGS(weights),
                    (size_t)ceil_div(g->k, BLOCK) * (size_t)g->c * (size_t)g->r);
    if (status != CLNET_OK || !dx)
        return status;
    const struct runtime_arg data[] = {RUNTIME_ARG(dx),     RUNTIME_ARG(dzp),
                                       RUNTIME_ARG(params), RUNTIME_ARG(xp),
                                       RUNTIME_ARG(a.dzp_off), RUNTIME_ARG(woff),
                                       RUNTIME_ARG(a.xp_off),  RUNTIME_ARG(a.geom),
                                       RUNTIME_ARG(a.lay),     RUNTIME_ARG(below_act)};
    return launch(rt, KERNEL_CONV2D_BACKWARD_DATA, data, N_ARGS(data),
                  (size_t)(a.l.bp / LANES) * (size_t)a.l.ob * (size_t)g->stride_c *
                      (size_t)g->stride_r * (size_t)ceil_div(g->c, BLOCK));
}
