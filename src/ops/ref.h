/* Host references of the ops (ops.h), plain C on host memory: what the device kernels are
 * tested against. Same argument order as the op, without the runtime. */
#ifndef CLNET_OPS_REF_H
#define CLNET_OPS_REF_H

#include <stdint.h>

/* x (B, F) = images[index[b]] / 255.0f, y (B) = labels[index[b]]; indices must be valid. */
void ref_gather_batch(float *x, int32_t *y, const uint8_t *images, const uint8_t *labels,
                      const int32_t *index, int batch, int features);

#endif
