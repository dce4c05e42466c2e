/* C wrappers of the kernels: op_<kernel name>(rt, outputs..., inputs..., sizes...). Each sets
 * its kernel's arguments and enqueues it on the runtime's in-order queue without waiting; a
 * failure names the OpenCL call and kernel. ref.h holds the host reference of each. */
#ifndef CLNET_OPS_OPS_H
#define CLNET_OPS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/runtime.h"

/* Letters: B batch, F features per image (C*H*W), N images held on the device; I inputs and
 * O outputs (units) of a dense layer, C classes, P parameters. Matrices are row-major. Offsets
 * (*_off) count floats: parameters live in one arena buffer and layers see (buffer, offset)
 * views of it. `act` is an enum activation, `loss` an enum loss_kind (util/nn.h). */

/* x (B, F) float = images[index[b]] / 255.0f (correctly rounded), y (B) int32 =
 * labels[index[b]]; images (N, F) and labels (N) are uint8, index (B) int32 starting index_off
 * ints into its buffer. An index outside [0, N) gives zeros and label -1 (never a stray read). */
int op_gather_batch(struct runtime *rt, cl_mem x, cl_mem y, cl_mem images, cl_mem labels,
                    cl_mem index, size_t index_off, int batch, int features, int n_images);

/* data.noise's draw for one batch (src/data/noise.h): the key of the seed, the split, and the
 * pass: (pos0 + b) / per_pass for row b while training (pos0 the sampler's item number of row
 * 0, per_pass the split's N), evaluation's fixed pass when per_pass is 0. */
struct op_noise {
    cl_mem table; /* NOISE_TABLE_SIZE floats: noise_table's */
    uint64_t key; /* noise_key(seed) */
    uint32_t split;
    uint64_t pos0;
    int per_pass;
    float sigma;
};

/* x (B, F) = x_clean + sigma n, n the noise of the image index[index_off + b] (as
 * op_gather_batch read it into x_clean) in draw d, each operation rounded once: the same bits
 * on every device (noise_ref_batch is the host reference): noise_batch (16 values a
 * work-item) on the CPU path, noise_batch_2d (one) on the GPU path (runtime_ops_path). */
int op_noise_batch(struct runtime *rt, cl_mem x, cl_mem x_clean, cl_mem index, size_t index_off,
                   int batch, int features, int n_images, const struct op_noise *d);

/* Copies bytes from src to dst (both from offset 0), enqueued like a kernel. */
int op_copy(struct runtime *rt, cl_mem dst, cl_mem src, size_t bytes);

/* Copies rows x cols floats: row r of src, at src_off + r src_ld floats, to dst_off + r dst_ld
 * floats of dst (a block of columns in or out of a wider matrix); enqueued like a kernel. */
int op_copy_block(struct runtime *rt, cl_mem dst, size_t dst_off, size_t dst_ld, cl_mem src,
                  size_t src_off, size_t src_ld, size_t rows, size_t cols);

/* C (M, N) = alpha * op(A) op(B) + beta * C, op = transpose when trans_* is true; lda, ldb,
 * ldc are the row strides of the matrices as stored (A is (M, K) or, transposed, (K, M)).
 * M, N, K > 0; beta == 0 never reads C. Two implementations with these same parameters:
 * op_gemm_clblast (CLBlastSgemm; its status codes pass through unchanged) and op_gemm_own
 * (cl/gemm.cl, cl/gemm_t.cl: register-tiled kernels for CPU devices; a stride below the row
 * length or a matrix outside its buffer is CLNET_ERR_INTERNAL). op_gemm calls the one
 * op_gemm_choice names. */
int op_gemm(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
            cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb, float beta,
            cl_mem c, size_t c_off, int ldc);
int op_gemm_clblast(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
                    int ldb, float beta, cl_mem c, size_t c_off, int ldc);
int op_gemm_own(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb,
                float beta, cl_mem c, size_t c_off, int ldc);

/* The temp buffer CLBlast needs for this product with packed operands, in bytes (0: none, or
 * the query failed); op_gemm_clblast gives it the runtime's one scratch buffer
 * (runtime_scratch), so that CLBlast allocates none per call. */
size_t op_gemm_clblast_temp_bytes(struct runtime *rt, bool trans_a, bool trans_b, int m, int n,
                                  int k);

/* What op_gemm_own_epi does in the GEMM's own launch, instead of a kernel after it (a dense
 * layer's elementwise passes; cl/gemm.cl):
 *   GEMM_EPI_BIAS_ACT (A B, A^T B; beta 0): C = act(alpha op(A) B + bias), bias (N) at off in
 *     buf; the same bits as op_gemm then op_bias_act_forward on the CPU path;
 *   GEMM_EPI_ACT_GRAD (A B, A^T B, A B^T; beta 0): C = (alpha op(A) op(B)) * act'(y), y (M, N)
 *     at off in buf with row stride ld, the activation's output; the same bits as
 *     op_act_backward after op_gemm;
 *   GEMM_EPI_COLSUM (A^T B only; any beta): also buf[off + j] = alpha s + beta buf[off + j]
 *     (beta 0: not read), s = sum over rows p of B[p][j] in order: at alpha 1, beta 0 the same
 *     bits as op_bias_act_backward's db; at alpha -lr, beta 1 (C the weights) an SGD step of
 *     weights and bias with the same bits as op_sgd_update's.
 * Anything else is CLNET_ERR_INTERNAL. */
enum gemm_epi { GEMM_EPI_NONE, GEMM_EPI_BIAS_ACT, GEMM_EPI_ACT_GRAD, GEMM_EPI_COLSUM };
struct gemm_epilogue {
    enum gemm_epi kind;
    cl_mem buf;
    size_t off; /* floats */
    int ld;     /* GEMM_EPI_ACT_GRAD: y's row stride */
    int act;    /* GEMM_EPI_BIAS_ACT, GEMM_EPI_ACT_GRAD: enum activation */
};
int op_gemm_own_epi(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k,
                    float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
                    int ldb, float beta, cl_mem c, size_t c_off, int ldc,
                    const struct gemm_epilogue *epi);

/* op_gemm_own_epi's C = A B (alpha 1, beta 0) with B (K, N) stored panel-major: for each panel
 * of OP_GEMM_TILE_COLS columns (the last one padded), its K rows of that many floats, panel
 * after panel from b_off (as op_dense_dw's w0p). Only where op_gemm_own_epi takes
 * gemm_nn_blocked (op_gemm_panels_ok), else CLNET_ERR_INTERNAL. */
bool op_gemm_panels_ok(struct runtime *rt, int m, int n, int k);
int op_gemm_nn_panels(struct runtime *rt, int m, int n, int k, cl_mem a, size_t a_off, int lda,
                      cl_mem b, size_t b_off, cl_mem c, size_t c_off, int ldc,
                      const struct gemm_epilogue *epi);

/* dst (cols, rows) = src (rows, cols)^T: src at src_off floats with row stride ld (>= cols),
 * dst dense from offset 0; both must lie inside their buffers (else CLNET_ERR_INTERNAL). For
 * running an A B^T product as op_gemm(A, B^T) where that is faster (layers/dense.c). */
int op_transpose(struct runtime *rt, cl_mem dst, cl_mem src, size_t src_off, int ld, int rows,
                 int cols);

/* cl/dense_tail.cl's kernel: the upper layers of an all-dense model's training step (forward,
 * loss and every dz) in one launch; layers/dense_stack.c runs the first layer's forward
 * before it and the dW GEMMs after it. Its buffers follow a layout: an arena with every
 * layer's y and dz (B, units) for batches up to max_batch, but a dz panel-major where the
 * kernel writes it (not the top layer's) and its dW takes the wide tiles (op_gemm_own_path 2):
 * the units rounded up to whole panels of OP_GEMM_TILE_COLS, each panel B rows of that many
 * floats; then a scratch for each work-item of DENSE_TAIL_ROWS rows (two dz^T, then every
 * layer's y^T), and a table of DENSE_TAIL_FIELDS ints per upper layer (see cl/dense_tail.cl). */
#define DENSE_TAIL_ROWS 16   /* cl/dense_tail.cl: TAIL_ROWS */
#define DENSE_TAIL_FIELDS 13 /* cl/dense_tail.cl: TAIL_FIELDS */
#define DENSE_DW_FIELDS 8    /* cl/gemm.cl: GEMM_LAYERS_FIELDS */
struct dense_tail_layout {
    int n_layers, max_batch;  /* the first layer and n_layers - 1 upper ones */
    size_t *y_off, *dz_off;   /* (n_layers) floats into the arena */
    size_t arena_floats;      /* the arena's size */
    size_t scratch_off;       /* the first work-item's scratch */
    int scratch_len, dzt_len; /* floats of one work-item's scratch, of one dz^T in it */
    int *table;               /* (n_layers - 1, DENSE_TAIL_FIELDS) */
    int *dw_table;            /* (n_layers, DENSE_DW_FIELDS): op_dense_dw's */
    int dw_items;             /* op_dense_dw's work-items: every layer's tiles */
    size_t dw_c_floats;       /* the parameters (or gradients) op_dense_dw writes end here */
    bool fits;                /* every offset and length fits the kernel's ints */
};
/* The layout of n_layers (>= 2) dense layers: units[0] the input's width, units[i + 1] layer
 * i's; act[i] its activation; w_off[i] and b_off[i] its weights (units[i], units[i + 1]) and
 * biases in the parameter arena. CLNET_ERR_NOMEM, or CLNET_ERR_INTERNAL for fewer than 2
 * layers or no rows. A layout whose offsets or lengths pass INT_MAX (t->fits false) is made
 * all the same; op_dense_tail refuses it (the caller takes the per-layer path instead). */
int dense_tail_layout(struct dense_tail_layout *t, int n_layers, const int *units, const int *act,
                      const size_t *w_off, const size_t *b_off, int max_batch);
void dense_tail_layout_free(struct dense_tail_layout *t);
/* Whether layer i's dz is panel-major in the arena, and where op_dense_tail writes its row p
 * (< batch, the launch's rows) at unit j, as an index into the arena. Panel-major, j may run
 * to the end of its panel: op_dense_tail writes zeros up to the end of the 16 units that hold
 * the last unit, and nothing past them. */
bool dense_tail_dz_panels(const struct dense_tail_layout *t, int i);
size_t dense_tail_dz_at(const struct dense_tail_layout *t, int i, int batch, int p, int j);
/* One launch for batch rows (<= max_batch): layer 0's y must be in the arena; writes every
 * upper layer's y, every layer's dz, and the loss into row_loss / row_correct at row_off, as
 * op_loss_forward_backward does. table holds t->table on the device. */
int op_dense_tail(struct runtime *rt, const struct dense_tail_layout *t, cl_mem arena,
                  cl_mem params, cl_mem table, cl_mem labels, cl_mem row_loss,
                  cl_mem row_correct, size_t row_off, int batch, int loss);
/* Every layer's dW = x^T dz after op_dense_tail, in one launch (cl/gemm.cl: gemm_tn_layers)
 * instead of one op_gemm_own_epi per layer, with the same sums: C = alpha dW + beta C at each
 * layer's W in c, and its column sums of dz likewise at its b (alpha 1, beta 0: the gradients;
 * alpha -lr, beta 1: plain SGD on the parameters). x is the batch (batch, units[0]); dw_table
 * holds t->dw_table on the device. w0p (NULL: none): the first layer's W is there, panel-major
 * (op_gemm_nn_panels' B; its dz must be panel-major too, dense_tail_dz_panels), read and
 * updated there, and c's rows for it are neither read nor written. */
int op_dense_dw(struct runtime *rt, const struct dense_tail_layout *t, cl_mem dw_table, cl_mem c,
                cl_mem x, cl_mem arena, int batch, float alpha, float beta, cl_mem w0p);
/* op_gemm_own's tile path for A B or A^T B of M rows and N columns: 0 narrow (N <= 16), 1
 * guarded (N < 32 or M < 10), 2 wide; the tiles' rows and columns. */
int op_gemm_own_path(int m, int n);
/* n columns rounded up to whole panels of OP_GEMM_TILE_COLS: a panel-major matrix's row width
 * (op_gemm_nn_panels' B, op_dense_dw's w0p, a panel-major dz). */
size_t op_gemm_panel_cols(size_t n);
#define OP_GEMM_TILE_ROWS 10   /* cl/gemm.cl: GEMM_TM */
#define OP_GEMM_TILE_COLS 32   /* cl/gemm.cl: GEMM_W */
#define OP_GEMM_NARROW_ROWS 12 /* cl/gemm.cl: GEMM_NARROW_TM, the narrow path's rows (one panel) */

/* op_gemm's implementation for this runtime: the one op_gemm_set_choice forced (--gemm /
 * CLNET_GEMM, for measurements), else OP_GEMM_OWN on the CPU path and OP_GEMM_CLBLAST on the GPU
 * path (runtime_ops_path). */
enum { OP_GEMM_CLBLAST = 1, OP_GEMM_OWN = 2 };
int op_gemm_choice(const struct runtime *rt);

/* Forces op_gemm_choice for the rest of the process: OP_GEMM_OWN, OP_GEMM_CLBLAST, or 0 (the
 * default: by the ops path). main sets it from the options. */
void op_gemm_set_choice(int choice);
/* The choice op_gemm_set_choice forced, or 0 (the plan's words for it: model/plan.c). */
int op_gemm_forced(void);

/* The path choice of op_bias_act_forward and op_bias_act_backward (an execution plan may ask
 * it): OP_BIAS_ACT_ROWS, the CPU-shaped kernels (forward a row per work-item in float16
 * vectors, backward a column per work-item), on the CPU path; OP_BIAS_ACT_2D, the GPU-shaped
 * ones (forward a value per work-item, backward row lanes of each column summed in a
 * work-group), on the GPU path (runtime_ops_path). */
enum op_bias_act_kernels { OP_BIAS_ACT_ROWS, OP_BIAS_ACT_2D };
enum op_bias_act_kernels op_bias_act_choice(const struct runtime *rt);

/* y (B, O) = act(y + bias) in place; bias (O) at bias_off inside params. */
int op_bias_act_forward(struct runtime *rt, cl_mem y, cl_mem params, size_t bias_off, int batch,
                        int out, int act);

/* dz (B, O) = dy * act'(y), y the activation's output (sigmoid' = y (1 - y), relu' = y > 0,
 * tanh' = 1 - y^2, step' = 0, identity' = 1); db (O) at db_off inside grads = column sums of
 * dz, overwritten, in a fixed order: over rows in order (OP_BIAS_ACT_ROWS), or over 16 row
 * lanes (rows r, r + 16, ... in order) and then the lanes in order (OP_BIAS_ACT_2D). dz may
 * alias dy. */
int op_bias_act_backward(struct runtime *rt, cl_mem dz, cl_mem grads, size_t db_off, cl_mem y,
                         cl_mem dy, int batch, int out, int act);

/* y = act(x) over n values (the standalone activation layer); y may alias x. */
int op_act_forward(struct runtime *rt, cl_mem y, cl_mem x, size_t n, int act);

/* dx = dy * act'(y) over n values, y the activation's output; dx may alias dy. */
int op_act_backward(struct runtime *rt, cl_mem dx, cl_mem y, cl_mem dy, size_t n, int act);

/* Over logits z (B, C) and labels (B) int32: row_loss (B), row_correct (B) (1 when the first
 * maximum of the row is the label, else 0) and dz (B, C) = d(mean loss)/dz. cross_entropy:
 * stable log-sum-exp, dz = (softmax - onehot) / B. naive_softmax_log: softmax then log in
 * float32 with no clamping and PyTorch's autograd through both, so a probability that
 * underflows to 0 gives loss +inf and dz NaN on purpose. dz may alias z. A label outside
 * [0, C) gives loss NaN, correct 0, dz 0. row_loss and row_correct are written from float
 * row_off on (a chunk's steps each keep their rows until op_loss_reduce). */
int op_loss_forward_backward(struct runtime *rt, cl_mem dz, cl_mem row_loss, cl_mem row_correct,
                             size_t row_off, cl_mem z, cl_mem labels, int batch, int classes,
                             int loss);

/* For `slots` steps i from 0: acc[2 (slot + i)] = sum of row_loss's B values at
 * row_off + i B, acc[2 (slot + i) + 1] the same of row_correct, overwriting those slots;
 * summed in row order, so the result is deterministic. One launch per chunk of steps, read
 * back by the host every log_every steps: no host sync per step, no atomics. */
int op_loss_reduce(struct runtime *rt, cl_mem acc, int slot, int slots, cl_mem row_loss,
                   cl_mem row_correct, size_t row_off, int batch);

/* train.loss's list form (cl/loss.cl; model/loss_run.c). A term writes its per-row values at
 * row_val[val_off + r] and weight times the gradient of the batch's mean of them into row r of
 * its slot: dz[dz_off + r dz_ld + j]. */
struct op_term_out {
    cl_mem dz;
    size_t dz_off;
    int dz_ld;
    cl_mem row_val;
    size_t val_off;
};
/* A classification term on z (B, C): op_loss_forward_backward's row values, hits (at
 * row_correct + correct_off) and dz, the dz times weight. */
int op_loss_term_classify(struct runtime *rt, const struct op_term_out *o, cl_mem row_correct,
                          size_t correct_off, cl_mem z, cl_mem labels, int batch, int classes,
                          int loss, float weight);
/* mse (t the target's rows t_ld apart; t_ld 0: the one-hot of labels), linear (r, (size)),
 * l1 or l2 (enum loss_term_kind) on v (B, size); t and r any buffer when unused. */
int op_loss_term_rows(struct runtime *rt, const struct op_term_out *o, cl_mem v, cl_mem t,
                      int t_ld, cl_mem labels, cl_mem r, int batch, int size, int kind,
                      float weight);
/* row_loss[row_off + r] = sum over the terms k in order of w[k] row_val[k stride + row_off +
 * r]; row_correct's rows 0 unless classify. */
int op_loss_terms_total(struct runtime *rt, cl_mem row_loss, cl_mem row_correct, cl_mem row_val,
                        cl_mem w, int n_terms, size_t stride, size_t row_off, int batch,
                        bool classify);

/* One launch over n (P) parameters, as torch.optim.SGD: g = grad + wd * w; with momentum
 * v = mu v + g (v = g when first_step), w -= lr v; without, w -= lr g. velocity may be NULL
 * when momentum == 0. */
int op_sgd_update(struct runtime *rt, cl_mem params, cl_mem velocity, cl_mem grads, size_t n,
                  float lr, float momentum, float weight_decay, int first_step);

/* One launch over n (P) parameters, as torch.optim.Adam (L2 weight decay added to g):
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr (m / bc1) / (sqrt(v / bc2) + eps),
 * bc1 = 1 - b1^t and bc2 = 1 - b2^t computed by the caller in double. The betas are double
 * because 1 - b2 must come from the double: (1 - 0.999f) is 1.3e-5 off, which would scale
 * every step by 1 + 6e-6 against PyTorch. Arranged as PyTorch does: lr / bc1 and sqrt(bc2)
 * in double on the host, w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps) on the device. */
int op_adam_update(struct runtime *rt, cl_mem params, cl_mem m, cl_mem v, cl_mem grads, size_t n,
                   float lr, double beta1, double beta2, float eps, float weight_decay,
                   float bc1, float bc2);

/* Convolution letters: B batch, C input channels, H W input rows/cols, K output channels
 * (filters), R S kernel rows/cols, P Q output rows/cols. PyTorch's conv2d (cross-correlation),
 * zero padding, P = (H + 2 pad_r - R) / stride_r + 1. Weights (K, C, R, S) at w_off and bias
 * (K) at b_off inside the params arena (floats). x and dx are (B, C, H, W), y and dy
 * (B, K, P, Q), row-major (NCHW), unless x_batch_minor (y_batch_minor) is set: then they are
 * (C, H, W, BP) ((K, P, Q, BP)) with BP = op_conv2d_batch_stride(B), the image index fastest
 * and the values of images B to BP - 1 zero (the ops write them so). Between two conv layers
 * that layout saves a transpose each way (layers/conv2d.c). */
struct conv_dz_layout {
    int pp, qq, mr, ml; /* rows and columns of a plane; dz's first row and column in it */
};
struct conv_geom {
    int c, h, w, k, r, s, stride_r, stride_c, pad_r, pad_c, p, q;
    bool x_batch_minor, y_batch_minor;
    /* Fusions between two conv layers on the CPU path (model/plan.c), each on a batch-minor
     * side: x_padded: x is this layer's zero-padded copy already, (C, H + 2 pad_r,
     * W + 2 pad_c, BP), which the forward then does not write. y_padded: y is stored as
     * (K, P + 2 y_pad_r, Q + 2 y_pad_c, BP) inside a zero border (the layer above's x_padded).
     * dy_is_dz: dy holds dz = dy act'(y) already, in op_conv2d_dz_layout(this layer) (the
     * backward then does not compute it). dx_dz (needs x_padded): dx is stored as the layer
     * below's dz, dx times below_act'(x), in dz_below = op_conv2d_dz_layout(that layer). The
     * ops write neither y's border nor dz's margins: the caller zeroes them (op_fill) before
     * the first use and after a change of the batch stride. */
    bool x_padded, y_padded, dy_is_dz, dx_dz;
    int y_pad_r, y_pad_c, below_act;
    struct conv_dz_layout dz_below;
};

/* The layout of a layer's dz with dy_is_dz (zero margins around it for dx), and its floats,
 * the batch stride BP = op_conv2d_batch_stride(batch) included (0 when batch <= 0). */
struct conv_dz_layout op_conv2d_dz_layout(const struct conv_geom *g);
size_t op_conv2d_dz_floats(const struct conv_geom *g, int batch);
/* Floats of y (its border with y_padded) and of x (this layer's padding with x_padded) at
 * batches of up to batch, the batch stride included when batch-minor. */
size_t op_conv2d_y_floats(const struct conv_geom *g, int batch);
size_t op_conv2d_x_floats(const struct conv_geom *g, int batch);

/* BP: batch rounded up to the kernels' 16 images per vector (0 when batch <= 0). */
size_t op_conv2d_batch_stride(int batch);

/* Bytes of scratch the conv ops need for batches of up to `batch` (0 when batch <= 0), on
 * either path; the caller allocates it once per layer. On the CPU path it holds a zero-padded
 * copy of x, which the forward writes and the backward reads, and a zero-margined copy of dz;
 * on the GPU path dz and the weight gradient's partial sums. */
size_t op_conv2d_workspace(const struct conv_geom *g, int batch);

/* y = act(conv(x, W) + b); work as op_conv2d_workspace. */
int op_conv2d_forward(struct runtime *rt, cl_mem y, cl_mem x, cl_mem params, size_t w_off,
                      size_t b_off, cl_mem work, const struct conv_geom *g, int batch, int act);

/* The backward of the last op_conv2d_forward on `work` (the CPU path reads its padded copy of
 * x there, the GPU path x itself: x must be the forward's input, unchanged), given y (the
 * activation OUTPUT) and dy, which it leaves as they are: dW (K, C, R, S) into grads at dw_off
 * and db (K) at db_off (overwritten, not accumulated), and, when dx is not NULL, dx (the first
 * layer needs none: pass NULL). */
int op_conv2d_backward(struct runtime *rt, cl_mem dx, cl_mem grads, size_t dw_off, size_t db_off,
                       cl_mem x, cl_mem y, cl_mem dy, cl_mem params, size_t w_off, cl_mem work,
                       const struct conv_geom *g, int batch, int act);

/* Inverted dropout over n values: element i is kept when rng_hash3(seed, iteration, first + i)
 * >= p 2^32 (util/rng.h, reproduced bit for bit on the device; first numbers the buffer's
 * elements within the whole batch, 0 except on data-parallel ranks after the first), y = keep ? x * scale : 0 with
 * scale = 1 / (1 - p) rounded to float (PyTorch's factor; p = 0 is the identity, p = 1 drops
 * everything). The backward recomputes the same mask: dx = keep ? dy * scale : 0. No mask
 * buffer. y may alias x, dx dy. 0 <= p <= 1. */
int op_dropout_forward(struct runtime *rt, cl_mem y, cl_mem x, size_t n, uint64_t first, float p,
                       uint64_t seed, uint64_t iteration);
int op_dropout_backward(struct runtime *rt, cl_mem dx, cl_mem dy, size_t n, uint64_t first,
                        float p, uint64_t seed, uint64_t iteration);

/* Sets n floats from off to value (clEnqueueFillBuffer); n == 0 does nothing. */
int op_fill(struct runtime *rt, cl_mem buf, size_t off, size_t n, float value);

#endif
