/* What a launch costs on an idle queue: an empty kernel with a GEMM's 19 arguments, enqueued
 * back to back N times (a clFinish every 100, as a training chunk waits once), on the first
 * CPU device of the first platform, with the enqueueing thread's own CPU time in the enqueue
 * calls (what it takes from the workers on a machine with no spare core); and the 19
 * clSetKernelArg calls alone. Issue 26's floor
 * for the tiny networks (bench/RESULTS.md, session 14). Not built by meson; by hand:
 *     gcc -O2 bench/launch_cost.c -o /tmp/launch_cost -lOpenCL
 *     /tmp/launch_cost ; POCL_MAX_PTHREAD_COUNT=1 /tmp/launch_cost */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <time.h>

#define N 20000

static double clock_of(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_of(CLOCK_MONOTONIC);
}

static const char *src =
    "__kernel void k(__global float *a, __global float *b, __global float *c, int m, int n,"
    " int k2, float al, float be, __global float *e, ulong o1, ulong o2, ulong o3, int x1,"
    " int x2, int x3, int x4, int x5, int x6, int x7)"
    "{ if (get_global_id(0) == 0) a[0] += 1.0f; }";

static cl_int set_args(cl_kernel k, cl_mem *buf)
{
    cl_int err = CL_SUCCESS, iv = 3;
    cl_float fv = 1.0f;
    cl_ulong uv = 0;
    for (cl_uint i = 0; i < 19; i++) {
        if (i < 3 || i == 8) err |= clSetKernelArg(k, i, sizeof *buf, buf);
        else if (i == 6 || i == 7) err |= clSetKernelArg(k, i, sizeof fv, &fv);
        else if (i >= 9 && i <= 11) err |= clSetKernelArg(k, i, sizeof uv, &uv);
        else err |= clSetKernelArg(k, i, sizeof iv, &iv);
    }
    return err;
}

int main(void)
{
    cl_platform_id p;
    cl_device_id d;
    cl_int err = clGetPlatformIDs(1, &p, NULL);
    if (err == CL_SUCCESS) err = clGetDeviceIDs(p, CL_DEVICE_TYPE_CPU, 1, &d, NULL);
    if (err != CL_SUCCESS) {
        fprintf(stderr, "launch_cost: no OpenCL CPU device (%d)\n", err);
        return 1;
    }
    cl_context c = clCreateContext(NULL, 1, &d, NULL, NULL, &err);
    cl_command_queue q = err == CL_SUCCESS ? clCreateCommandQueue(c, d, 0, &err) : NULL;
    cl_program pr = err == CL_SUCCESS ? clCreateProgramWithSource(c, 1, &src, NULL, &err) : NULL;
    if (err == CL_SUCCESS) err = clBuildProgram(pr, 1, &d, "", NULL, NULL);
    cl_kernel k = err == CL_SUCCESS ? clCreateKernel(pr, "k", &err) : NULL;
    cl_mem b = err == CL_SUCCESS ? clCreateBuffer(c, CL_MEM_READ_WRITE, 4096, NULL, &err) : NULL;
    size_t g = 16, l = 16;
    if (err == CL_SUCCESS) err = set_args(k, &b);
    if (err == CL_SUCCESS) err = clEnqueueNDRangeKernel(q, k, 1, NULL, &g, &l, 0, NULL, NULL);
    if (err == CL_SUCCESS) err = clFinish(q); /* the compile out of the way */
    if (err != CL_SUCCESS) {
        fprintf(stderr, "launch_cost: OpenCL set-up failed (%d)\n", err);
        return 1;
    }
    double t = now();
    for (int r = 0; r < N && err == CL_SUCCESS; r++)
        err = set_args(k, &b);
    double args = (now() - t) / N;
    t = now();
    double host = 0; /* the enqueueing thread's CPU time in the enqueue calls */
    for (int r = 0; r < N && err == CL_SUCCESS; r++) {
        double h = clock_of(CLOCK_THREAD_CPUTIME_ID);
        err = clEnqueueNDRangeKernel(q, k, 1, NULL, &g, &l, 0, NULL, NULL);
        host += clock_of(CLOCK_THREAD_CPUTIME_ID) - h;
        if (err == CL_SUCCESS && r % 100 == 99) err = clFinish(q);
    }
    if (err == CL_SUCCESS) err = clFinish(q);
    double launch = (now() - t) / N;
    if (err != CL_SUCCESS) {
        fprintf(stderr, "launch_cost: a launch failed (%d)\n", err);
        return 1;
    }
    printf("19 clSetKernelArg: %.2f us; an empty launch, enqueued and run: %.2f us, of which "
           "the enqueueing thread's CPU in clEnqueueNDRangeKernel: %.2f us\n",
           args * 1e6, launch * 1e6, host / N * 1e6);
    clReleaseMemObject(b);
    clReleaseKernel(k);
    clReleaseProgram(pr);
    clReleaseCommandQueue(q);
    clReleaseContext(c);
    return 0;
}
