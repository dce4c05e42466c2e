/* `clnet gradcheck` (gradcheck.h): device gradients of one small batch against finite
 * differences of the double-precision host model, tensor by tensor. */
#include "check/gradcheck.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/gradcheck_internal.h"
#include "check/host_model.h"
#include "data/mnist.h"
#include "model/model.h"
#include "ops/ops.h"
#include "report/report.h"
#include "runtime/device.h"
#include "util/rng.h"
#include "util/status.h"

static bool has_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) == 0) return true;
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    return stat(path, &st) == 0;
}

/* Decides between the config's data and random inputs; loads the data when it fits. */
static int choose_source(struct gradcheck *g)
{
    const char *dir = g->e->data.dir;
    if (g->classes < MNIST_CLASSES) {
        snprintf(g->source, sizeof g->source, "the model has %d output%s, MNIST %d classes",
                 g->classes, g->classes == 1 ? "" : "s", MNIST_CLASSES);
        return CLNET_OK;
    }
    if (!has_file(dir, "train-images-idx3-ubyte") || !has_file(dir, "train-labels-idx1-ubyte")) {
        snprintf(g->source, sizeof g->source, "%s holds no MNIST training files", dir);
        return CLNET_OK;
    }
    int status = mnist_load(&g->data, dir);
    if (status != CLNET_OK) return status;
    size_t f = (size_t)g->data.rows * (size_t)g->data.cols;
    if (f != g->m.input_size || g->data.n_train < 1) {
        snprintf(g->source, sizeof g->source, "the model reads %zu values, %s's images hold %zu",
                 g->m.input_size, dir, f);
        mnist_free(&g->data);
        return CLNET_OK;
    }
    g->use_data = true;
    return CLNET_OK;
}

/* Fills x and labels for draw number `draw`: distinct training images, or random rows. */
static void draw_inputs(struct gradcheck *g, int draw)
{
    struct rng r;
    rng_seed(&r, g->e->seed + UINT64_C(0x632be59bd9b4e019) * (uint64_t)(draw + 1));
    size_t f = g->m.input_size;
    for (int b = 0; b < g->batch; b++) {
        float *xb = g->x + (size_t)b * f;
        if (!g->use_data) {
            for (size_t i = 0; i < f; i++)
                xb[i] = (float)rng_uniform(&r);
            g->labels[b] = (int32_t)rng_below(&r, (uint32_t)g->classes);
            continue;
        }
        bool fresh;
        do {
            g->rows[b] = (int)rng_below(&r, (uint32_t)g->data.n_train);
            fresh = true;
            for (int k = 0; k < b && g->data.n_train >= g->batch; k++)
                fresh = fresh && g->rows[k] != g->rows[b];
        } while (!fresh);
        const uint8_t *img = g->data.train_images + (size_t)g->rows[b] * f;
        for (size_t i = 0; i < f; i++)
            xb[i] = (float)img[i] / 255.0f;
        g->labels[b] = g->data.train_labels[g->rows[b]];
    }
    for (size_t i = 0; i < (size_t)g->batch * f; i++)
        g->h.x[i] = g->x[i];
    memcpy(g->h.labels, g->labels, (size_t)g->batch * sizeof *g->labels);
    host_model_inputs_set(&g->h);
}

/* Forward on the device; *disagree = ReLU/step units whose side differs from the host's. */
static int forward(struct gradcheck *g, cl_mem *logits, size_t *disagree)
{
    size_t f = g->m.input_size;
    int status = runtime_upload(g->rt, g->x_dev, 0, g->x, (size_t)g->batch * f * sizeof(float));
    if (status == CLNET_OK)
        status =
            runtime_upload(g->rt, g->labels_dev, 0, g->labels, (size_t)g->batch * sizeof(int32_t));
    if (status == CLNET_OK) status = model_forward(&g->m, logits, g->x_dev, g->batch, true);
    host_model_base(&g->h);
    *disagree = 0;
    for (int i = 0; status == CLNET_OK && i < g->m.n_layers; i++) {
        const struct host_layer *hl = &g->h.layers[i];
        if (!hl->kinked) continue;
        size_t n = (size_t)g->batch * hl->out_size;
        status = runtime_download(g->rt, g->y, g->m.layers[i].out, 0, n * sizeof *g->y);
        for (size_t k = 0; status == CLNET_OK && k < n; k++) {
            bool on = hl->act == ACTIVATION_STEP ? g->y[k] >= 0.5f : g->y[k] > 0.0f;
            *disagree += on != (hl->branch[k] != 0);
        }
    }
    return status;
}

/* The loss and its gradient on the device: the scalar form's into dz, or train.loss's terms
 * into their slots (*dz NULL: the graph's backward takes them from there). */
static int device_loss_step(struct gradcheck *g, cl_mem logits, cl_mem *dz)
{
    *dz = g->m.terms.n > 0 ? NULL : g->dz;
    if (g->m.terms.n == 0)
        return op_loss_forward_backward(g->rt, g->dz, g->row_loss, g->row_correct, 0, logits,
                                        g->labels_dev, g->batch, g->classes,
                                        (int)g->e->train.loss);
    const struct model_batch b = {.x = g->x_dev, .labels = g->labels_dev,
                                  .row_loss = g->row_loss, .row_correct = g->row_correct,
                                  .rows = g->batch, .row_terms = g->row_terms,
                                  .terms_stride = (size_t)g->batch};
    return model_loss_terms(&g->m, &b);
}

/* Loss, its gradient and the backward pass on the device; grads read back. The gradient
 * arena is filled with NaN first, so a value no kernel writes cannot pass. */
static int backward(struct gradcheck *g, cl_mem logits, double *device_loss)
{
    float rows[GRADCHECK_BATCH];
    cl_mem dz = NULL;
    int status = op_fill(g->rt, g->m.grads, 0, g->m.n_params, NAN);
    if (status == CLNET_OK) status = device_loss_step(g, logits, &dz);
    if (status == CLNET_OK) status = model_backward(&g->m, g->x_dev, dz, g->batch);
    if (status == CLNET_OK && g->m.n_params > 0)
        status = runtime_download(g->rt, g->grads, g->m.grads, 0, g->m.n_params * sizeof *g->grads);
    if (status == CLNET_OK && g->m.input_dx)
        status = runtime_download(g->rt, g->dx, g->m.input_dx, 0,
                                  (size_t)g->batch * g->m.input_size * sizeof *g->dx);
    if (status == CLNET_OK)
        status = runtime_download(g->rt, rows, g->row_loss, 0, (size_t)g->batch * sizeof *rows);
    *device_loss = 0.0;
    for (int b = 0; b < g->batch; b++)
        *device_loss += rows[b] / (double)g->batch;
    return status;
}

enum fd_kind { FD_CENTRAL, FD_ONE_SIDED, FD_SKIPPED };

/* d(loss)/d(v[p]) of the host model, v its params (p a parameter of layer `layer`) or its
 * inputs (layer: the first in the graph's order). */
static enum fd_kind difference(struct host_model *h, double *v, int layer, size_t p, double *fd)
{
    const double x0 = v[p], step = GRADCHECK_STEP;
    bool up_crossed, down_crossed, far_crossed;
    v[p] = x0 + step;
    double up = host_model_loss_from(h, layer, &up_crossed);
    v[p] = x0 - step;
    double down = host_model_loss_from(h, layer, &down_crossed);
    enum fd_kind kind = FD_SKIPPED;
    if (!up_crossed && !down_crossed) {
        *fd = (up - down) / (2.0 * step);
        kind = FD_CENTRAL;
    } else if (!up_crossed || !down_crossed) {
        const double dir = up_crossed ? -1.0 : 1.0; /* the side that crosses no kink */
        v[p] = x0 + 2.0 * dir * step;
        double far = host_model_loss_from(h, layer, &far_crossed);
        if (!far_crossed) {
            *fd = dir * (-3.0 * h->base_loss + 4.0 * (up_crossed ? down : up) - far) / (2.0 * step);
            kind = FD_ONE_SIDED;
        }
    }
    v[p] = x0;
    return kind;
}

/* The name and shape of layer i's weights (bias false) or biases; false when it has none. */
static bool describe_tensor(const struct model *m, int i, bool bias, struct tensor_result *t)
{
    const struct layer *l = &m->layers[i];
    struct param_tensor pt;
    memset(t, 0, sizeof *t);
    layer_param_tensor(l, bias, &pt, t->name, sizeof t->name);
    if (pt.rank == 0) return false;
    t->total = (size_t)(bias ? l->shape->biases : l->shape->weights);
    t->rank = pt.rank;
    t->matrix = pt.rank == 2 && pt.unit_axis == 1 && pt.dims[0] == (int64_t)l->in_size;
    int used = snprintf(t->shape, sizeof t->shape, "[");
    for (int k = 0; k < t->rank; k++) {
        t->dims[k] = pt.dims[k];
        used += snprintf(t->shape + used, sizeof t->shape - (size_t)used, "%s%lld", k ? ", " : "",
                         (long long)t->dims[k]);
    }
    snprintf(t->shape + used, sizeof t->shape - (size_t)used, "]");
    return true;
}

/* Weights of a matrix [I, O] (dense's) whose input is 0 in every row of the batch: their
 * gradient is exactly 0 and a difference would only confirm it, so they are checked for 0
 * without one and the random subset is drawn from the others. NULL (no such split) for other
 * tensors. */
static bool *zero_inputs(const struct gradcheck *g, int layer, const struct tensor_result *t,
                         size_t *count)
{
    const struct layer *l = &g->m.layers[layer];
    *count = 0;
    if (!t->matrix) return NULL;
    bool *zero = malloc(l->in_size * sizeof *zero);
    const double *in = host_model_input(&g->h, layer);
    for (size_t i = 0; zero && i < l->in_size; i++) {
        zero[i] = true;
        for (int b = 0; b < g->batch; b++)
            zero[i] = zero[i] && in[(size_t)b * l->in_size + i] == 0.0;
        *count += zero[i] ? l->out_size : 0;
    }
    return zero;
}

/* The elements to difference: all candidates, or a seeded random subset of
 * GRADCHECK_ELEMENTS of them (a partial Fisher-Yates shuffle). */
static void pick_elements(size_t *candidates, size_t n_candidates, size_t *count, uint64_t seed)
{
    size_t n = n_candidates < GRADCHECK_ELEMENTS ? n_candidates : GRADCHECK_ELEMENTS;
    struct rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n && n < n_candidates; i++) {
        size_t j = i + rng_below(&r, (uint32_t)(n_candidates - i));
        size_t t = candidates[i];
        candidates[i] = candidates[j];
        candidates[j] = t;
    }
    *count = n;
}

/* One comparison into the tensor's tally (fd exactly 0 for a zero-input weight). */
static void tally(struct tensor_result *t, size_t e, double device, double fd, double floor)
{
    double diff = fabs(device - fd);
    double rel = diff / fmax(fmax(fabs(device), fabs(fd)), floor);
    if (isnan(rel)) rel = INFINITY; /* a NaN gradient fails */
    t->max_abs = isnan(diff) ? INFINITY : fmax(t->max_abs, diff);
    if (rel > t->max_rel || t->worst == SIZE_MAX) {
        t->max_rel = rel;
        t->worst = e;
        t->worst_device = device;
        t->worst_fd = fd;
    }
}

/* What one tensor's check differences: the host values (params or inputs, from off), the
 * device's gradient of each, the layer the host recomputes from, and the seed of the subset. */
struct target {
    double *host;
    const float *device;
    size_t off;
    int layer;
    uint64_t seed;
};

static int check_values(struct gradcheck *g, const struct target *v, const bool *zero,
                        size_t per_zero, struct tensor_result *t)
{
    size_t *cand = malloc(t->total * sizeof *cand), n_cand = 0, n = 0;
    double *dev = malloc(GRADCHECK_ELEMENTS * sizeof *dev);
    double *fd = malloc(GRADCHECK_ELEMENTS * sizeof *fd);
    size_t *at = malloc(GRADCHECK_ELEMENTS * sizeof *at);
    if (!cand || !dev || !fd || !at) {
        free(cand), free(dev), free(fd), free(at);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory checking %s", t->name);
    }
    for (size_t e = 0; e < t->total; e++)
        if (!zero || !zero[e / per_zero]) cand[n_cand++] = e;
    pick_elements(cand, n_cand, &n, v->seed);
    double scale = 0.0;
    for (size_t k = 0; k < n; k++) {
        double d;
        enum fd_kind kind = difference(&g->h, v->host, v->layer, v->off + cand[k], &d);
        if (kind == FD_SKIPPED) {
            t->skipped++;
            continue;
        }
        t->one_sided += kind == FD_ONE_SIDED;
        dev[t->checked] = v->device[v->off + cand[k]];
        fd[t->checked] = d;
        at[t->checked++] = cand[k];
        scale = fmax(scale, fabs(d));
    }
    const double floor = fmax(GRADCHECK_FLOOR * scale, 1e-9);
    t->worst = SIZE_MAX;
    for (size_t k = 0; k < t->checked; k++)
        tally(t, at[k], dev[k], fd[k], floor);
    for (size_t e = 0; zero && e < t->total; e++)
        if (zero[e / per_zero]) tally(t, e, v->device[v->off + e], 0.0, floor);
    t->ok = !(t->max_rel > GRADCHECK_TOLERANCE);
    free(cand), free(dev), free(fd), free(at);
    return CLNET_OK;
}

static int check_tensor(struct gradcheck *g, int layer, bool bias, struct tensor_result *t)
{
    const struct layer *l = &g->m.layers[layer];
    bool *zero = zero_inputs(g, layer, t, &t->zero_inputs);
    if (t->matrix && !zero)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory checking %s", t->name);
    const struct target v = {g->h.params, g->grads, bias ? l->b_off : l->w_off, layer,
                             rng_mix64(g->e->seed ^ (uint64_t)(2 * layer + bias + 1))};
    int status = check_values(g, &v, zero, l->out_size, t);
    free(zero);
    return status;
}

/* --wrt input: dL/dx of the batch, every layer recomputed for each difference. */
static int check_input(struct gradcheck *g, struct tensor_result *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "input");
    t->rank = 2;
    t->dims[0] = g->batch;
    t->dims[1] = (int64_t)g->m.input_size;
    t->total = (size_t)g->batch * g->m.input_size;
    snprintf(t->shape, sizeof t->shape, "[%d, %zu]", g->batch, g->m.input_size);
    const struct target v = {g->h.x, g->dx, 0, g->m.shape.graph.order[0],
                             rng_mix64(g->e->seed ^ UINT64_C(0x696e707574))};
    return check_values(g, &v, NULL, 1, t);
}

static int setup(struct gradcheck *g, const struct gradcheck_options *o)
{
    int status = runtime_open(&g->rt, runtime_device_spec(o->device_flag, g->e->device), o->cl_dir);
    if (status == CLNET_OK)
        status = model_build_with(&g->m, g->rt, g->e, g->batch, o->wrt_input ? MODEL_INPUT_GRAD : 0);
    if (status != CLNET_OK) return status;
    g->classes = (int)g->m.output_size;
    size_t p = g->m.n_params ? g->m.n_params : 1, bf = (size_t)g->batch * g->m.input_size;
    size_t largest = g->m.output_size;
    for (int i = 0; i < g->m.n_layers; i++)
        largest = g->m.layers[i].out_size > largest ? g->m.layers[i].out_size : largest;
    g->params = malloc(p * sizeof *g->params);
    g->grads = malloc(p * sizeof *g->grads);
    g->x = malloc(bf * sizeof *g->x);
    g->dx = malloc(bf * sizeof *g->dx);
    g->y = malloc((size_t)g->batch * largest * sizeof *g->y);
    if (!g->params || !g->grads || !g->x || !g->dx || !g->y)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for gradcheck");
    status = model_init_params(&g->m, g->params);
    if (status == CLNET_OK) status = model_upload_params(&g->m, g->params);
    size_t b = (size_t)g->batch;
    if (status == CLNET_OK) status = runtime_alloc(g->rt, &g->x_dev, bf * sizeof(float), "gradcheck inputs");
    if (status == CLNET_OK) status = runtime_alloc(g->rt, &g->labels_dev, b * sizeof(int32_t), "gradcheck labels");
    if (status == CLNET_OK)
        status = runtime_alloc(g->rt, &g->dz, b * g->m.output_size * sizeof(float), "the loss gradient");
    if (status == CLNET_OK) status = runtime_alloc(g->rt, &g->row_loss, b * sizeof(float), "per-row losses");
    if (status == CLNET_OK) status = runtime_alloc(g->rt, &g->row_correct, b * sizeof(float), "per-row hits");
    if (status == CLNET_OK && g->m.terms.n > 0)
        status = runtime_alloc(g->rt, &g->row_terms, b * (size_t)g->m.terms.n * sizeof(float),
                               "the loss terms' rows");
    if (status == CLNET_OK) status = choose_source(g);
    if (status == CLNET_OK)
        status = host_model_init(&g->h, &g->m, g->params, g->x, g->labels, g->batch,
                                 (int)g->e->train.loss);
    return status;
}

static void teardown(struct gradcheck *g)
{
    cl_mem bufs[] = {g->x_dev, g->labels_dev, g->dz, g->row_loss, g->row_correct, g->row_terms};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        runtime_free(bufs[i]);
    host_model_free(&g->h);
    if (g->m.layers) model_free(&g->m);
    runtime_close(g->rt);
    mnist_free(&g->data);
    free(g->params), free(g->grads), free(g->x), free(g->dx), free(g->y);
}

/* The tensors' rows: every parameter tensor, then with --wrt input the input. */
struct tally_all {
    int tensors, failed;
    double worst;
    char failures[1024];
};

static void count_row(struct gradcheck *g, struct tally_all *all, const struct tensor_result *t)
{
    all->tensors++;
    gradcheck_print_row(g->out, t);
    if (t->ok) return;
    size_t used = strlen(all->failures);
    snprintf(all->failures + used, sizeof all->failures - used, "%s%s", all->failed ? ", " : "",
             t->name);
    all->worst = fmax(all->worst, t->max_rel);
    all->failed++;
}

static int check_all(struct gradcheck *g, struct tally_all *all)
{
    int status = CLNET_OK;
    struct tensor_result t;
    for (int i = 0; status == CLNET_OK && i < g->m.n_layers; i++)
        for (int bias = 0; status == CLNET_OK && bias < 2; bias++) {
            if (!describe_tensor(&g->m, i, bias, &t)) continue;
            status = check_tensor(g, i, bias, &t);
            if (status == CLNET_OK) count_row(g, all, &t);
        }
    if (status == CLNET_OK && g->o->wrt_input && g->m.n_layers > 0) {
        status = check_input(g, &t);
        if (status == CLNET_OK) count_row(g, all, &t);
    }
    return status;
}

/* Every tensor compared, its rows and the verdict. */
static int report(struct gradcheck *g, double device_loss, double t0)
{
    FILE *out = g->out;
    char loss[256];
    experiment_loss_words(loss, sizeof loss, g->e);
    fprintf(out, "loss (%s, mean over %d rows): device %.9g, host in double %.9g\n", loss,
            g->batch, device_loss, g->h.base_loss);
    fprintf(out, "\n  %-16s %-16s %-16s %5s %5s  %11s  %11s  %s\n", "tensor", "shape", "checked",
            "1-sid", "skip", "max abs err", "max rel err", "result");
    struct tally_all all = {0};
    int status = check_all(g, &all);
    if (status != CLNET_OK) return status;
    fprintf(out, "\n");
    gradcheck_print_notes(g);
    fprintf(out, "gradcheck: %d tensor%s, %s (%.2f s)\n", all.tensors, all.tensors == 1 ? "" : "s",
            all.failed ? "FAILED" : "all within tolerance", clock_seconds() - t0);
    if (g->m.n_params == 0) fprintf(out, "note: the model has no parameters\n");
    if (all.failed)
        status = clnet_errorf(CLNET_ERR_CHECK,
                              "gradcheck %s: %d of %d tensors differ from finite differences "
                              "beyond relative error %g (largest %.3g): %s",
                              g->e->name, all.failed, all.tensors, GRADCHECK_TOLERANCE, all.worst,
                              all.failures);
    return status;
}

int gradcheck_run(struct experiment *e, const struct gradcheck_options *o, FILE *out)
{
    double t0 = clock_seconds();
    for (int i = 0; i < e->n_layers; i++)
        if (e->layers[i].type == LAYER_DROPOUT) e->layers[i].dropout.p = 0.0;
    struct gradcheck g = {.o = o, .e = e, .out = out, .batch = GRADCHECK_BATCH};
    int status = setup(&g, o);
    cl_mem logits = NULL;
    size_t disagree = 0;
    int draw = 0;
    for (; status == CLNET_OK && draw < MAX_DRAWS; draw++) {
        draw_inputs(&g, draw);
        status = forward(&g, &logits, &disagree);
        if (disagree == 0) break;
    }
    draw = draw < MAX_DRAWS ? draw : MAX_DRAWS - 1;
    double device_loss = 0.0;
    if (status == CLNET_OK) status = backward(&g, logits, &device_loss);
    if (status != CLNET_OK) {
        teardown(&g);
        return status;
    }
    gradcheck_print_header(&g, draw, disagree);
    status = report(&g, device_loss, t0);
    teardown(&g);
    return status;
}
