/* Host references of the ops (ref.h): the simplest correct code, no speed tricks. */
#include "ops/ref.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "util/nn.h"

void ref_gather_batch(float *x, int32_t *y, const uint8_t *images, const uint8_t *labels,
                      const int32_t *index, int batch, int features)
{
    for (int b = 0; b < batch; b++) {
        const uint8_t *image = images + (size_t)index[b] * (size_t)features;
        for (int f = 0; f < features; f++)
            x[(size_t)b * (size_t)features + (size_t)f] = (float)image[f] / 255.0f;
        y[b] = labels[index[b]];
    }
}

void ref_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0.0;
            for (int p = 0; p < k; p++) {
                float av = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float bv = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                sum += (double)av * (double)bv;
            }
            float *cij = &c[(size_t)i * ldc + j];
            double old = beta == 0.0f ? 0.0 : (double)beta * (double)*cij;
            *cij = (float)((double)alpha * sum + old);
        }
}

float ref_act_value(float z, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return 1.0f / (1.0f + expf(-z));
    case ACTIVATION_RELU:
        return z < 0.0f ? 0.0f : z;
    case ACTIVATION_TANH:
        return tanhf(z);
    case ACTIVATION_STEP:
        return z >= 0.0f ? 1.0f : 0.0f;
    default:
        return z;
    }
}

float ref_act_gradient(float dy, float y, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return dy * (1.0f - y) * y;
    case ACTIVATION_RELU:
        return y > 0.0f ? dy : 0.0f;
    case ACTIVATION_TANH:
        return dy * (1.0f - y * y);
    case ACTIVATION_STEP:
        return 0.0f;
    default:
        return dy;
    }
}

void ref_bias_act_forward(float *y, const float *bias, int batch, int out, int act)
{
    for (int r = 0; r < batch; r++)
        for (int j = 0; j < out; j++) {
            float *v = &y[(size_t)r * out + j];
            *v = ref_act_value(*v + bias[j], act);
        }
}

void ref_bias_act_backward(float *dz, float *db, const float *y, const float *dy, int batch,
                           int out, int act)
{
    for (int j = 0; j < out; j++) {
        float sum = 0.0f;
        for (int r = 0; r < batch; r++) {
            size_t i = (size_t)r * out + j;
            dz[i] = ref_act_gradient(dy[i], y[i], act);
            sum += dz[i];
        }
        db[j] = sum;
    }
}

void ref_act_forward(float *y, const float *x, size_t n, int act)
{
    for (size_t i = 0; i < n; i++)
        y[i] = ref_act_value(x[i], act);
}

void ref_act_backward(float *dx, const float *y, const float *dy, size_t n, int act)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = ref_act_gradient(dy[i], y[i], act);
}

void ref_loss_forward_backward(float *dz, float *row_loss, float *row_correct, const float *z,
                               const int32_t *labels, int batch, int classes, int loss)
{
    const float b = (float)batch;
    for (int r = 0; r < batch; r++) {
        const float *zr = z + (size_t)r * classes;
        float *dr = dz + (size_t)r * classes;
        int label = labels[r], arg = 0;
        float max = zr[0];
        for (int j = 1; j < classes; j++)
            if (zr[j] > max) {
                max = zr[j];
                arg = j;
            }
        if (label < 0 || label >= classes) {
            for (int j = 0; j < classes; j++)
                dr[j] = 0.0f;
            row_loss[r] = NAN;
            row_correct[r] = 0.0f;
            continue;
        }
        const float z_label = zr[label];
        row_correct[r] = arg == label ? 1.0f : 0.0f;
        float sum = 0.0f;
        for (int j = 0; j < classes; j++) {
            dr[j] = expf(zr[j] - max);
            sum += dr[j];
        }
        if (loss == LOSS_CROSS_ENTROPY) {
            row_loss[r] = logf(sum) - (z_label - max);
            for (int j = 0; j < classes; j++)
                dr[j] = (dr[j] / sum - (j == label ? 1.0f : 0.0f)) / b;
            continue;
        }
        for (int j = 0; j < classes; j++)
            dr[j] = dr[j] / sum;
        const float p_label = dr[label];
        row_loss[r] = -logf(p_label);
        const float g = (-1.0f / b) / p_label;
        const float dot = p_label * g;
        for (int j = 0; j < classes; j++)
            dr[j] = dr[j] * ((j == label ? g : 0.0f) - dot);
    }
}

void ref_loss_reduce(float *acc, int slot, const float *row_loss, const float *row_correct,
                     int batch)
{
    float loss = 0.0f, correct = 0.0f;
    for (int r = 0; r < batch; r++) {
        loss += row_loss[r];
        correct += row_correct[r];
    }
    acc[2 * (size_t)slot] = loss;
    acc[2 * (size_t)slot + 1] = correct;
}

void ref_sgd_update(float *params, float *velocity, const float *grads, size_t n, float lr,
                    float momentum, float weight_decay, int first_step)
{
    for (size_t i = 0; i < n; i++) {
        float w = params[i], g = grads[i];
        if (weight_decay != 0.0f)
            g = g + weight_decay * w;
        if (momentum != 0.0f) {
            velocity[i] = first_step ? g : momentum * velocity[i] + g;
            g = velocity[i];
        }
        params[i] = w - lr * g;
    }
}

/* As cl/optim.cl's flush_subnormal: Adam's moments below FLT_MIN become 0 of their sign. */
static float ref_flush_subnormal(float x)
{
    return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x;
}

void ref_adam_update(float *params, float *m, float *v, const float *grads, size_t n, float lr,
                     double beta1, double beta2, float eps, float weight_decay, float bc1,
                     float bc2)
{
    const float step_size = (float)((double)lr / (double)bc1);
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float bc2_sqrt = (float)sqrt((double)bc2);
    for (size_t i = 0; i < n; i++) {
        float w = params[i], g = grads[i];
        if (weight_decay != 0.0f)
            g = g + weight_decay * w;
        m[i] = ref_flush_subnormal(b1 * m[i] + one_minus_b1 * g);
        v[i] = ref_flush_subnormal(b2 * v[i] + one_minus_b2 * g * g);
        params[i] = w - step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

void ref_fill(float *buf, size_t n, float value)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = value;
}

void ref_loss_term_rows(float *dz, size_t dz_off, int dz_ld, float *row_val, const float *v,
                        const float *t, int t_ld, const int32_t *labels, const float *rv,
                        int batch, int size, int kind, float weight)
{
    const float b = (float)batch;
    for (int r = 0; r < batch; r++) {
        float *dr = dz + dz_off + (size_t)r * (size_t)dz_ld, sum = 0.0f;
        const float *vr = v + (size_t)r * (size_t)size, *tr = t + (size_t)r * (size_t)t_ld;
        for (int j = 0; j < size; j++) {
            const float x = vr[j];
            float d;
            if (kind == TERM_MSE) {
                d = x - (t_ld > 0 ? tr[j] : (j == labels[r] ? 1.0f : 0.0f));
                sum += 0.5f * d * d;
            } else if (kind == TERM_LINEAR) {
                d = rv[j];
                sum += d * x;
            } else if (kind == TERM_L1) {
                d = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
                sum += fabsf(x);
            } else {
                d = 2.0f * x;
                sum += x * x;
            }
            dr[j] = weight * (d / b);
        }
        row_val[r] = sum;
    }
}

void ref_loss_terms_total(float *row_loss, float *row_correct, const float *row_val,
                          const float *w, int n_terms, size_t stride, size_t row_off, int batch,
                          bool classify)
{
    for (int r = 0; r < batch; r++) {
        float sum = 0.0f;
        for (int k = 0; k < n_terms; k++)
            sum += w[k] * row_val[(size_t)k * stride + row_off + (size_t)r];
        row_loss[row_off + (size_t)r] = sum;
        if (!classify) row_correct[row_off + (size_t)r] = 0.0f;
    }
}
