/* Where a dense network's training step goes on this device: the fixed cost of a kernel launch
 * (an empty kernel), then each op of the step at the network's shapes, then the whole step, all
 * enqueued back to back as training does (no wait between launches; one clFinish per batch of
 * launches). Times are per launch (or per step), the minimum over REPS batches of CALLS each:
 *     build/bench/step_profile [--reps R] [--calls N] [--act sigmoid|relu] 784 200 10
 * The sizes are the input and each dense layer's units; hidden layers use --act, the last is
 * identity (logits), the loss cross-entropy, the optimizer plain SGD, the batch 100. The ops are
 * the ones layers/dense.c and train/train.c call, in the same order; dx = dz W^T is timed both
 * as gemm_nt and as transpose + gemm_nn (--dx-transposed: the step uses the latter). */
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/experiment.h"
#include "ops/ops.h"
#include "util/status.h"

#include "bench.h"

#define B 100
#define MAX_LAYERS 8
#define N_IMAGES 60000 /* MNIST's training set: gathers miss the caches as training's do */
#define N_BATCHES 600  /* batches of one shuffled epoch; gathers walk through them in turn */

struct net {
    struct runtime *rt;
    int n_layers, act;
    int size[MAX_LAYERS + 1];
    size_t w_off[MAX_LAYERS], b_off[MAX_LAYERS], n_params;
    cl_mem params, grads, images, labels, index, x, y, dz, row_loss, row_correct, acc;
    cl_mem out[MAX_LAYERS], dx[MAX_LAYERS], wt[MAX_LAYERS];
    bool dx_transposed; /* the step's dx as transpose + gemm_nn, as layers/dense.c on CPUs */
    int next_batch;     /* the index batch the next gather reads */
};

static int act_of(const struct net *n, int l)
{
    return l == n->n_layers - 1 ? ACTIVATION_IDENTITY : n->act;
}

static cl_mem input_of(const struct net *n, int l)
{
    return l == 0 ? n->x : n->out[l - 1];
}

/* One op of the step, by number: the step is ops 0 .. n_ops-1 in order. */
enum {
    OP_GATHER, OP_GEMM_FWD, OP_BIAS_ACT, OP_LOSS, OP_REDUCE, OP_BIAS_ACT_BWD, OP_GEMM_DW,
    OP_GEMM_DX, OP_GEMM_DX_T, OP_SGD, OP_KINDS
};
static const char *const op_names[OP_KINDS] = {
    "gather_batch", "gemm_nn (forward)", "bias_act_forward", "loss_forward_backward",
    "loss_reduce", "bias_act_backward", "gemm_tn (dW)", "gemm_nt (dx)", "transpose+nn (dx)",
    "sgd_update"};

struct op {
    int kind, layer;
};

static int step_ops(const struct net *n, struct op *ops)
{
    int k = 0;
    ops[k++] = (struct op){OP_GATHER, 0};
    for (int l = 0; l < n->n_layers; l++) {
        ops[k++] = (struct op){OP_GEMM_FWD, l};
        ops[k++] = (struct op){OP_BIAS_ACT, l};
    }
    ops[k++] = (struct op){OP_LOSS, 0};
    ops[k++] = (struct op){OP_REDUCE, 0};
    for (int l = n->n_layers - 1; l >= 0; l--) {
        ops[k++] = (struct op){OP_BIAS_ACT_BWD, l};
        ops[k++] = (struct op){OP_GEMM_DW, l};
        if (l > 0) ops[k++] = (struct op){n->dx_transposed ? OP_GEMM_DX_T : OP_GEMM_DX, l};
    }
    ops[k++] = (struct op){OP_SGD, 0};
    return k;
}

static int run_op(struct net *n, struct op o)
{
    int l = o.layer, in = n->size[l], out = n->size[l + 1];
    /* dy of layer l: the loss gradient for the last layer, else the layer above's dx */
    cl_mem dy = l == n->n_layers - 1 ? n->dz : n->dx[l + 1];
    switch (o.kind) {
    case OP_GATHER:
        n->next_batch = (n->next_batch + 1) % N_BATCHES;
        return op_gather_batch(n->rt, n->x, n->y, n->images, n->labels, n->index,
                               (size_t)n->next_batch * B, B, n->size[0], N_IMAGES);
    case OP_GEMM_FWD:
        return op_gemm(n->rt, false, false, B, out, in, 1.0f, input_of(n, l), 0, in, n->params,
                       n->w_off[l], out, 0.0f, n->out[l], 0, out);
    case OP_BIAS_ACT:
        return op_bias_act_forward(n->rt, n->out[l], n->params, n->b_off[l], B, out,
                                   act_of(n, l));
    case OP_LOSS:
        return op_loss_forward_backward(n->rt, n->dz, n->row_loss, n->row_correct, 0,
                                        n->out[n->n_layers - 1], n->y, B, n->size[n->n_layers],
                                        LOSS_CROSS_ENTROPY);
    case OP_REDUCE:
        return op_loss_reduce(n->rt, n->acc, 0, 1, n->row_loss, n->row_correct, 0, B);
    case OP_BIAS_ACT_BWD:
        return op_bias_act_backward(n->rt, dy, n->grads, n->b_off[l], n->out[l], dy, B, out,
                                    act_of(n, l));
    case OP_GEMM_DW:
        return op_gemm(n->rt, true, false, in, out, B, 1.0f, input_of(n, l), 0, in, dy, 0, out,
                       0.0f, n->grads, n->w_off[l], out);
    case OP_GEMM_DX:
        return op_gemm(n->rt, false, true, B, in, out, 1.0f, dy, 0, out, n->params, n->w_off[l],
                       out, 0.0f, n->dx[l], 0, in);
    case OP_GEMM_DX_T: {
        int status = op_transpose(n->rt, n->wt[l], n->params, n->w_off[l], out, in, out);
        return status ? status
                      : op_gemm(n->rt, false, false, B, in, out, 1.0f, dy, 0, out, n->wt[l], 0, in,
                                0.0f, n->dx[l], 0, in);
    }
    case OP_SGD:
        return op_sgd_update(n->rt, n->params, NULL, n->grads, n->n_params, 0.01f, 0.0f, 0.0f, 0);
    default:
        return CLNET_ERR_INTERNAL;
    }
}

static cl_mem buffer(struct runtime *rt, size_t bytes, unsigned seed)
{
    cl_mem m;
    CK(runtime_alloc(rt, &m, bytes, "a benchmark buffer"));
    unsigned char *h = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        h[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
    CK(runtime_upload(rt, m, 0, h, bytes));
    free(h);
    return m;
}

/* Floats in [-0.05, 0.05) so that nothing overflows over many calls. */
static cl_mem float_buffer(struct runtime *rt, size_t count, unsigned seed)
{
    cl_mem m;
    CK(runtime_alloc(rt, &m, count * sizeof(float), "a benchmark buffer"));
    float *h = malloc(count * sizeof *h);
    for (size_t i = 0; i < count; i++)
        h[i] = (float)(((i * 2654435761u + seed) >> 13) % 1000) / 10000.0f - 0.05f;
    CK(runtime_upload(rt, m, 0, h, count * sizeof *h));
    free(h);
    return m;
}

/* Seconds per launch of an empty kernel, calls back to back, global = local = wg. */
static double empty_kernel(struct runtime *rt, int calls, int reps, size_t wg, bool sync)
{
    static const char *src = "__kernel void empty(__global float *p) { (void)p; }\n";
    cl_int err;
    cl_program prog = clCreateProgramWithSource(runtime_context(rt), 1, &src, NULL, &err);
    CK(err);
    cl_device_id dev = runtime_device_id(rt);
    CK(clBuildProgram(prog, 1, &dev, "", NULL, NULL));
    cl_kernel k = clCreateKernel(prog, "empty", &err);
    CK(err);
    cl_mem dummy = float_buffer(rt, 16, 1);
    CK(clSetKernelArg(k, 0, sizeof dummy, &dummy));
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < calls; i++) {
            CK(clEnqueueNDRangeKernel(runtime_queue(rt), k, 1, NULL, &wg, &wg, 0, NULL, NULL));
            if (sync) CK(clFinish(runtime_queue(rt)));
        }
        CK(clFinish(runtime_queue(rt)));
        double t = (now() - t0) / calls;
        best = t < best ? t : best;
    }
    runtime_free(dummy);
    clReleaseKernel(k);
    clReleaseProgram(prog);
    return best;
}

/* Seconds per repetition of ops[0 .. count-1], enqueued back to back `calls` times. */
static double time_ops(struct net *n, const struct op *ops, int count, int calls, int reps)
{
    for (int i = 0; i < count; i++) /* warm-up */
        CK(run_op(n, ops[i]));
    CK(runtime_finish(n->rt));
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            for (int i = 0; i < count; i++)
                CK(run_op(n, ops[i]));
        CK(runtime_finish(n->rt));
        double t = (now() - t0) / calls;
        best = t < best ? t : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    int reps = 5, calls = 200, dx_t = 0;
    struct net n = {.act = ACTIVATION_SIGMOID};
    int sizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            calls = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dx-transposed") == 0) {
            dx_t = 1;
        } else if (strcmp(argv[i], "--act") == 0 && i + 1 < argc) {
            i++;
            n.act = strcmp(argv[i], "relu") == 0 ? ACTIVATION_RELU : ACTIVATION_SIGMOID;
        } else if (sizes <= MAX_LAYERS && atoi(argv[i]) > 0) {
            n.size[sizes++] = atoi(argv[i]);
        } else {
            fprintf(stderr, "usage: step_profile [--reps R] [--calls N] [--act sigmoid|relu] "
                            "[--dx-transposed] INPUTS UNITS... (at most %d layers)\n",
                    MAX_LAYERS);
            return 2;
        }
    }
    if (sizes < 2) {
        fprintf(stderr, "step_profile: give the input size and at least one layer's units\n");
        return 2;
    }
    if (reps < 1) reps = 1;
    if (calls < 1) calls = 1;
    n.n_layers = sizes - 1;
    n.dx_transposed = dx_t;
    CK(runtime_open(&n.rt, "auto", NULL));
    struct runtime *rt = n.rt;

    size_t off = 0;
    for (int l = 0; l < n.n_layers; l++) {
        n.w_off[l] = off;
        off += (size_t)n.size[l] * (size_t)n.size[l + 1];
        n.b_off[l] = off;
        off += (size_t)n.size[l + 1];
    }
    n.n_params = off;
    n.params = float_buffer(rt, off, 3);
    n.grads = float_buffer(rt, off, 5);
    n.images = buffer(rt, (size_t)N_IMAGES * (size_t)n.size[0], 7);
    unsigned char *lab = malloc(N_IMAGES);
    for (int i = 0; i < N_IMAGES; i++)
        lab[i] = (unsigned char)(i % n.size[n.n_layers]);
    CK(runtime_alloc(rt, &n.labels, N_IMAGES, "labels"));
    CK(runtime_upload(rt, n.labels, 0, lab, N_IMAGES));
    free(lab);
    /* a shuffled epoch, as data/sampler.c draws them (any permutation will do here) */
    static int32_t idx[N_BATCHES * B];
    for (int i = 0; i < N_BATCHES * B; i++)
        idx[i] = i;
    unsigned long long r = 88172645463325252ull;
    for (int i = N_BATCHES * B - 1; i > 0; i--) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int j = (int)(r % (unsigned long long)(i + 1));
        int32_t t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
    CK(runtime_alloc(rt, &n.index, sizeof idx, "index"));
    CK(runtime_upload(rt, n.index, 0, idx, sizeof idx));
    n.x = float_buffer(rt, (size_t)B * (size_t)n.size[0], 9);
    CK(runtime_alloc(rt, &n.y, B * sizeof(int32_t), "y"));
    n.dz = float_buffer(rt, (size_t)B * (size_t)n.size[n.n_layers], 11);
    n.row_loss = float_buffer(rt, B, 13);
    n.row_correct = float_buffer(rt, B, 15);
    n.acc = float_buffer(rt, 2, 17);
    for (int l = 0; l < n.n_layers; l++) {
        n.out[l] = float_buffer(rt, (size_t)B * (size_t)n.size[l + 1], 19 + (unsigned)l);
        n.dx[l] = float_buffer(rt, (size_t)B * (size_t)n.size[l], 29 + (unsigned)l);
        n.wt[l] = float_buffer(rt, (size_t)n.size[l] * (size_t)n.size[l + 1], 37 + (unsigned)l);
    }

    printf("network");
    for (int i = 0; i < sizes; i++)
        printf(" %d", n.size[i]);
    printf(", batch %d, %s hidden; minimum over %d batches of %d calls\n", B,
           n.act == ACTIVATION_RELU ? "relu" : "sigmoid", reps, calls);
    printf("empty kernel, 1 work-item:        %7.1f us per launch (back to back)\n",
           1e6 * empty_kernel(rt, calls, reps, 1, false));
    printf("empty kernel, 16 work-items:      %7.1f us per launch (back to back)\n",
           1e6 * empty_kernel(rt, calls, reps, 16, false));
    printf("empty kernel, 1 work-item:        %7.1f us per launch (clFinish after each)\n",
           1e6 * empty_kernel(rt, calls, reps, 1, true));

    struct op ops[4 * MAX_LAYERS + 8];
    int count = step_ops(&n, ops);
    double sum = 0;
    for (int i = 0; i < count; i++) {
        double t = time_ops(&n, &ops[i], 1, calls, reps);
        sum += t;
        int l = ops[i].layer, in = n.size[l], out = n.size[l + 1];
        printf("%-22s layer %d (%4d -> %4d): %7.1f us", op_names[ops[i].kind], l, in, out, 1e6 * t);
        if (ops[i].kind == OP_GEMM_DX || ops[i].kind == OP_GEMM_DX_T) {
            struct op other = {ops[i].kind == OP_GEMM_DX ? OP_GEMM_DX_T : OP_GEMM_DX, l};
            printf("  (%s: %.1f us)", op_names[other.kind], 1e6 * time_ops(&n, &other, 1, calls,
                                                                           reps));
        }
        printf("\n");
    }
    double step = time_ops(&n, ops, count, calls, reps);
    printf("sum of the %d launches: %.1f us; the whole step back to back: %.1f us "
           "(%.0f steps/s)\n", count, 1e6 * sum, 1e6 * step, 1.0 / step);
    runtime_close(rt);
    return 0;
}
