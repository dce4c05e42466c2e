/* The GPU path of ops/conv2d.c (cl/conv2d_gpu.cl), for ops/conv2d.c alone: it checks the
 * geometry and the workspace, then calls these. geom is the packed geometry (cl/conv2d.cl's
 * CONV_GEOM order), bp the batch stride of batch-minor tensors. */
#ifndef CLNET_OPS_CONV2D_GPU_H
#define CLNET_OPS_CONV2D_GPU_H

#include "ops/ops.h"

/* Floats of workspace the GPU path needs: dz, then the weight gradient's partial sums. */
size_t conv2d_gpu_workspace_floats(const struct conv_geom *g, int batch, size_t bp);

/* Whether the work-item counts of the GPU path's launches fit its kernels' ints. */
bool conv2d_gpu_fits(const struct conv_geom *g, int batch, size_t bp);

int conv2d_gpu_forward(struct runtime *rt, cl_mem y, cl_mem x, cl_mem params, size_t w_off,
                       size_t b_off, const struct conv_geom *g, const cl_int16 *geom, size_t bp,
                       int batch, int act);

int conv2d_gpu_backward(struct runtime *rt, cl_mem dx, cl_mem grads, size_t dw_off, size_t db_off,
                        cl_mem x, cl_mem y, cl_mem dy, cl_mem params, size_t w_off, cl_mem work,
                        const struct conv_geom *g, const cl_int16 *geom, size_t bp, int batch,
                        int act);

#endif
