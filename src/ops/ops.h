/* C wrappers of the kernels: op_<kernel name>(rt, outputs..., inputs..., sizes...). Each sets
 * its kernel's arguments and enqueues it on the runtime's in-order queue without waiting; a
 * failure names the OpenCL call and kernel. ref.h holds the host reference of each. */
#ifndef CLNET_OPS_OPS_H
#define CLNET_OPS_OPS_H

#include "runtime/runtime.h"

/* Letters: B batch, F features per image (C*H*W), N images held on the device. */

/* x (B, F) float = images[index[b]] / 255.0f (correctly rounded), y (B) int32 =
 * labels[index[b]]; images (N, F) and labels (N) are uint8, index (B) int32. N comes from the
 * size of images; an index outside [0, N) gives zeros and label -1 (never a stray read). */
int op_gather_batch(struct runtime *rt, cl_mem x, cl_mem y, cl_mem images, cl_mem labels,
                    cl_mem index, int batch, int features);

#endif
