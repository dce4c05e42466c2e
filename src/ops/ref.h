/* Host references of the ops (ops.h), plain C on host memory: what the device kernels are
 * tested against. Same argument order as the op, without the runtime. */
#ifndef CLNET_OPS_REF_H
#define CLNET_OPS_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x (B, F) = images[index[b]] / 255.0f, y (B) = labels[index[b]]; indices must be valid. */
void ref_gather_batch(float *x, int32_t *y, const uint8_t *images, const uint8_t *labels,
                      const int32_t *index, int batch, int features);

/* C (M, N) = alpha * op(A) op(B) + beta * C, row-major with row strides lda, ldb, ldc;
 * products summed in double. beta == 0 ignores C's old values. */
void ref_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* act(z) and dy * act'(z) written through y = act(z): the float arithmetic of
 * cl/elementwise.cl. act is an enum activation. */
float ref_act_value(float z, int act);
float ref_act_gradient(float dy, float y, int act);

/* y (B, O) = act(y + bias (O)) in place. */
void ref_bias_act_forward(float *y, const float *bias, int batch, int out, int act);

/* dz (B, O) = dy * act'(y); db (O) = column sums of dz in row order. dz may alias dy. */
void ref_bias_act_backward(float *dz, float *db, const float *y, const float *dy, int batch,
                           int out, int act);

void ref_act_forward(float *y, const float *x, size_t n, int act);
void ref_act_backward(float *dx, const float *y, const float *dy, size_t n, int act);

/* Per-row loss and correctness and dz (B, C) = d(mean loss)/dz, as op_loss_forward_backward;
 * loss is an enum loss_kind. */
void ref_loss_forward_backward(float *dz, float *row_loss, float *row_correct, const float *z,
                               const int32_t *labels, int batch, int classes, int loss);

/* train.loss's list form, as op_loss_term_rows (row values into row_val[0, B)) and
 * op_loss_terms_total; kind an enum loss_term_kind. */
void ref_loss_term_rows(float *dz, size_t dz_off, int dz_ld, float *row_val, const float *v,
                        const float *t, int t_ld, const int32_t *labels, const float *rv,
                        int batch, int size, int kind, float weight);
void ref_loss_terms_total(float *row_loss, float *row_correct, const float *row_val,
                          const float *w, int n_terms, size_t stride, size_t row_off, int batch,
                          bool classify);

/* acc[2 slot], acc[2 slot + 1] = float sums of row_loss and row_correct in row order. */
void ref_loss_reduce(float *acc, int slot, const float *row_loss, const float *row_correct,
                     int batch);

/* As op_sgd_update and op_adam_update (velocity unused when momentum == 0). */
void ref_sgd_update(float *params, float *velocity, const float *grads, size_t n, float lr,
                    float momentum, float weight_decay, int first_step);
void ref_adam_update(float *params, float *m, float *v, const float *grads, size_t n, float lr,
                     double beta1, double beta2, float eps, float weight_decay, float bc1,
                     float bc2);

struct conv_geom; /* ops/ops.h */

/* y (B, K, P, Q) = act(conv(x (B, C, H, W), w (K, C, R, S)) + bias (K)), sums in double. */
void ref_conv2d_forward(float *y, const float *x, const float *w, const float *bias,
                        const struct conv_geom *g, int batch, int act);

/* dy (B, K, P, Q) is overwritten with dz = dy * act'(y) (ref_act_gradient); then dw
 * (K, C, R, S), db (K) and, when dx is not NULL, dx (B, C, H, W), sums in double. */
void ref_conv2d_backward(float *dx, float *dw, float *db, const float *x, const float *y,
                         float *dy, const float *w, const struct conv_geom *g, int batch,
                         int act);

/* As op_dropout_forward/backward, the mask straight from rng_hash3: keep element i when
 * (double)rng_hash3(seed, iteration, first + i) >= p * 2^32. */
void ref_dropout_forward(float *y, const float *x, size_t n, uint64_t first, float p,
                         uint64_t seed, uint64_t iteration);
void ref_dropout_backward(float *dx, const float *dy, size_t n, uint64_t first, float p,
                          uint64_t seed, uint64_t iteration);

void ref_fill(float *buf, size_t n, float value);

#endif
