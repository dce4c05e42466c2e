/* Setting up a device for training or evaluation (see session.h). */
#include "train/session.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ops/ops.h"
#include "runtime/device.h"
#include "util/status.h"

static int upload_split(struct session *s, struct device_split *d, const uint8_t *images,
                        const uint8_t *labels, int n, enum noise_split split)
{
    size_t bytes = (size_t)n * (size_t)s->features;
    d->n = n;
    d->split = split;
    int status = runtime_alloc_from(s->rt, &d->images, images, bytes, "the images");
    if (status == CLNET_OK)
        status = runtime_alloc_from(s->rt, &d->labels, labels, (size_t)n, "the labels");
    return status;
}

/* The data set from data.dir, with data.validation's images held out of its training file. */
static int load_data(struct mnist *m, const struct experiment *e)
{
    int status = experiment_check_data_dir(e);
    if (status == CLNET_OK)
        status = mnist_load(m, e->data.dir);
    if (status == CLNET_OK)
        status = mnist_hold_out(m, e->data.validation, e->seed, e->path, e->data.dir);
    return status;
}

/* The training, test and validation images and labels to the device, as bytes. */
static int upload_data(struct session *s)
{
    const struct mnist *m = &s->data;
    int status = upload_split(s, &s->train, m->train_images, m->train_labels, m->n_train,
                              NOISE_SPLIT_TRAIN);
    if (status == CLNET_OK)
        status = upload_split(s, &s->test, m->test_images, m->test_labels, m->n_test,
                              NOISE_SPLIT_TEST);
    if (status == CLNET_OK && m->n_val > 0)
        status = upload_split(s, &s->val, m->val_images, m->val_labels, m->n_val,
                              NOISE_SPLIT_VALIDATION);
    return status;
}

/* data.noise's buffers: the clean batch beside x and the table (x_clean is x without it). */
static int alloc_noise(struct session *s)
{
    s->x_clean = s->x;
    if (!s->exp->data.has_noise)
        return CLNET_OK;
    float *table = malloc(NOISE_TABLE_SIZE * sizeof *table);
    if (!table)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the noise's table");
    noise_table(table);
    s->noise_key = noise_key(s->exp->seed);
    size_t bytes = (size_t)s->max_batch * (size_t)s->features * sizeof(float);
    int status = runtime_alloc(s->rt, &s->x_clean, bytes, "a batch of inputs before noise");
    if (status == CLNET_OK)
        status = runtime_alloc_from(s->rt, &s->noise_table, table,
                                    NOISE_TABLE_SIZE * sizeof *table, "the noise's table");
    free(table);
    return status;
}

static int alloc_buffers(struct session *s)
{
    size_t b = (size_t)s->max_batch;
    int status = runtime_alloc(s->rt, &s->x, b * (size_t)s->features * sizeof(float), "a batch of inputs");
    if (status == CLNET_OK)
        status = alloc_noise(s);
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->y, b * sizeof(int32_t), "a batch of labels");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->dz, b * (size_t)s->classes * sizeof(float), "the loss gradient");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->row_loss, b * sizeof(float), "per-row losses");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->row_correct, b * sizeof(float), "per-row hits");
    if (status == CLNET_OK && s->model.terms.n > 0)
        status = runtime_alloc(s->rt, &s->row_terms, (size_t)s->model.terms.n * b * sizeof(float),
                               "the loss terms' row values");
    int n = s->train.n > s->test.n ? s->train.n : s->test.n;
    n = n > s->val.n ? n : s->val.n;
    int eb = s->exp->train.eval_batch_size;
    s->eval_slots = (n + eb - 1) / eb;
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->eval_acc, (size_t)s->eval_slots * 2 * sizeof(float), "evaluation sums");
    if (status == CLNET_OK && s->model.terms.n > 0)
        status = runtime_alloc(s->rt, &s->eval_terms, (size_t)s->eval_slots *
                               (size_t)s->model.terms.n * 2 * sizeof(float), "the terms' sums");
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    if (!ids)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d indices", n);
    for (int i = 0; i < n; i++)
        ids[i] = i;
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &s->eval_index, (size_t)n * sizeof *ids, "evaluation indices");
    if (status == CLNET_OK)
        status = runtime_upload(s->rt, s->eval_index, 0, ids, (size_t)n * sizeof *ids);
    free(ids);
    return status;
}

/* The model must read the data's images as they are: [rows * cols] (a dense net reads the
 * image flattened) or [1, rows, cols]. Equal counts are not enough: [1, 14, 56] on 28x28
 * images would train a CNN on pixels rearranged into rows they never formed. */
static int check_input_shape(const struct experiment *e, const struct tensor_shape *in,
                             const struct mnist *d)
{
    int64_t f = (int64_t)d->rows * d->cols;
    bool fits = in->rank == 1 ? in->dim[0] == f
                              : in->rank == 3 && in->dim[0] == 1 && in->dim[1] == d->rows &&
                                    in->dim[2] == d->cols;
    if (fits)
        return CLNET_OK;
    char buf[64];
    struct src_pos where = {e->path, 0, 0};
    return config_errorf_at(where, "model.input is %s but %s holds images of %dx%d: use "
                            "[1, %d, %d], or [%lld] for dense layers",
                            tensor_shape_format(buf, sizeof buf, in), e->data.dir, d->rows,
                            d->cols, d->rows, d->cols, (long long)f);
}

/* The model must read what the data holds and say one score per class. */
static int check_data_fits(const struct experiment *e, const struct model_shape *shape,
                           const struct mnist *d)
{
    int status = check_input_shape(e, &shape->input, d);
    return status == CLNET_OK ? shape_check_classes(e, shape) : status;
}

/* clnet's kernels index one batch of a layer's inputs or outputs with int (work-item counts
 * and row offsets), so a batch of a tensor holds at most INT_MAX values. Devices that allow
 * buffers past 8 GiB would otherwise reach an internal error inside an op. */
static int check_index_range(const struct experiment *e, const struct model_shape *shape,
                             int rows)
{
    for (int i = 0; i < shape->n_layers; i++) {
        const struct layer_shape *l = &shape->layers[i];
        int64_t in = tensor_shape_size(&l->in), out = tensor_shape_size(&l->out);
        int64_t widest = in > out ? in : out;
        if (widest > INT_MAX / rows) {
            struct src_pos pos = e->layers[i].pos;
            if (!pos.file)
                pos.file = e->path;
            return config_errorf_at(pos, "layer %d (%s): a batch of %d rows of %lld values "
                                    "passes the %d values clnet's kernels index in one tensor; "
                                    "lower train.batch_size and train.eval_batch_size or the "
                                    "layer's size", i, layer_type_name(e->layers[i].type), rows,
                                    (long long)widest, INT_MAX);
        }
    }
    return CLNET_OK;
}

/* The device buffers a run will hold, estimated from the shapes before any is allocated, so
 * a model too large for the device is one clear error naming the sizes rather than a failed
 * allocation half way through start-up. */
static int check_memory(const struct session *s, const struct model_shape *shape)
{
    const struct experiment *e = s->exp;
    const struct runtime_device_info *d = runtime_device(s->rt);
    double rows = s->max_batch, param_bytes = (double)shape->parameters * sizeof(float);
    /* params and grads; when training, the optimizer's state and the chunk snapshots too */
    int state = !e->has_train ? 0
                : e->train.optimizer.kind == OPTIM_ADAM ? 2
                : e->train.optimizer.momentum > 0 ? 1 : 0;
    double arenas = e->has_train ? 2 + 2.0 * state + 1 : 1;
    struct {
        const char *what;
        double bytes;
    } largest = {"the parameters", param_bytes};
    double total = arenas * param_bytes;
    for (int i = 0; i < shape->n_layers; i++) {
        const struct layer_shape *l = &shape->layers[i];
        double y = rows * (double)tensor_shape_size(&l->out) * sizeof(float);
        double dx = rows * (double)tensor_shape_size(&l->in) * sizeof(float);
        total += y + dx;
        if (y > largest.bytes)
            largest.what = "a layer's outputs", largest.bytes = y;
    }
    double train_images = (double)s->data.n_train * s->features;
    double held = (double)s->data.n_val * (s->features + 1); /* validation images, labels */
    if (e->data.has_noise) /* the clean batch beside the noisy one */
        total += rows * (double)s->features * sizeof(float);
    total += train_images + (double)s->data.n_test * s->features + s->data.n_train +
             s->data.n_test + held;
    if (train_images > largest.bytes)
        largest.what = "the training images", largest.bytes = train_images;
    const double gib = 1024.0 * 1024.0 * 1024.0;
    struct src_pos where = {e->path, 0, 0};
    if (largest.bytes > (double)d->max_alloc_bytes)
        return config_errorf_at(where, "%s need one device buffer of %.2f GiB; %s allows at "
                                "most %.2f GiB per buffer (%.2f GiB in all)",
                                largest.what, largest.bytes / gib, d->name,
                                (double)d->max_alloc_bytes / gib, (double)d->global_mem_bytes / gib);
    if (total > (double)d->global_mem_bytes)
        return config_errorf_at(where, "the model and data need about %.2f GiB of device "
                                "memory; %s has %.2f GiB", total / gib, d->name,
                                (double)d->global_mem_bytes / gib);
    return CLNET_OK;
}

/* The FLOPs of one training step (3x the forward's per image, times the batch), 0 when the
 * experiment does not train: a device quirk may size the driver's threads by it. */
static double step_flops(const struct experiment *e, const struct model_shape *shape)
{
    return e->has_train ? 3.0 * (double)shape->flops * (double)e->train.batch_size : 0;
}

int session_open(struct session *s, const struct experiment *e, const char *device_flag,
                 const char *cl_dir, const struct plan_needs *needs)
{
    memset(s, 0, sizeof *s);
    s->exp = e;
    struct model_shape shape;
    int status = shape_infer(&shape, e);
    if (status != CLNET_OK)
        return status;
    /* The device opens after the data loads, on this thread. Opening it on a thread of its
     * own while the data loaded saved 0.1 s of a warm start, but PoCL's compiler replaces that
     * thread's alternate signal stack, and AddressSanitizer aborts when the thread ends. */
    struct runtime_options options = {.step_flops = step_flops(e, &shape)};
    status = model_programs(&options.programs, e, e->has_train);
    if (status == CLNET_OK)
        status = load_data(&s->data, e);
    s->max_batch = e->has_train && e->train.batch_size > e->train.eval_batch_size
                       ? e->train.batch_size
                       : e->train.eval_batch_size;
    if (status == CLNET_OK)
        status = check_data_fits(e, &shape, &s->data);
    if (status == CLNET_OK)
        status = check_index_range(e, &shape, s->max_batch);
    if (status == CLNET_OK)
        status = runtime_open_with(&s->rt, runtime_device_spec(device_flag, e->device), cl_dir,
                                   &options);
    s->features = s->data.rows * s->data.cols;
    if (status == CLNET_OK)
        status = check_memory(s, &shape);
    shape_free(&shape);
    if (status == CLNET_OK)
        status = model_build_for(&s->model, s->rt, e, s->max_batch,
                                 needs ? needs : &plan_needs_eval);
    if (status == CLNET_OK) {
        s->classes = (int)s->model.output_size;
        status = upload_data(s);
    }
    if (status == CLNET_OK)
        status = alloc_buffers(s);
    if (status != CLNET_OK)
        session_close(s);
    return status;
}

void session_close(struct session *s)
{
    if (s->x_clean == s->x)
        s->x_clean = NULL;
    cl_mem bufs[] = {s->train.images, s->train.labels, s->test.images, s->test.labels,
                     s->val.images, s->val.labels, s->x_clean, s->noise_table,
                     s->x, s->y, s->dz, s->row_loss, s->row_correct, s->eval_index, s->eval_acc,
                     s->row_terms, s->eval_terms};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        runtime_free(bufs[i]);
    if (s->model.layers)
        model_free(&s->model);
    if (s->rt)
        runtime_close(s->rt);
    mnist_free(&s->data);
    memset(s, 0, sizeof *s);
}

int session_gather(struct session *s, const struct device_split *d, cl_mem index,
                   size_t index_off, int rows, uint64_t pos0)
{
    int status = op_gather_batch(s->rt, s->x_clean, s->y, d->images, d->labels, index,
                                 index_off, rows, s->features, d->n);
    if (status != CLNET_OK || !s->noise_table)
        return status;
    const struct op_noise draw = {.table = s->noise_table, .key = s->noise_key,
                                  .split = (uint32_t)d->split,
                                  .pos0 = pos0 == SESSION_EVAL ? 0 : pos0,
                                  .per_pass = pos0 == SESSION_EVAL ? 0 : d->n,
                                  .sigma = (float)s->exp->data.noise.gaussian};
    return op_noise_batch(s->rt, s->x, s->x_clean, index, index_off, rows, s->features, d->n,
                          &draw);
}

/* The loss of the b rows just run forward into row_loss and row_correct: the classification
 * loss on the output, or train.loss's terms, each term's sum into eval_terms at batch slot. */
static int evaluate_loss(struct session *s, cl_mem logits, int b, int slot)
{
    int loss_kind = s->exp->has_train ? (int)s->exp->train.loss : LOSS_CROSS_ENTROPY;
    if (s->model.terms.n == 0)
        return op_loss_forward_backward(s->rt, s->dz, s->row_loss, s->row_correct, 0, logits,
                                        s->y, b, s->classes, loss_kind);
    const struct model_batch batch = {.x = s->x, .labels = s->y, .row_loss = s->row_loss,
                                      .row_correct = s->row_correct, .rows = b,
                                      .x_clean = s->x_clean, .row_terms = s->row_terms,
                                      .terms_stride = (size_t)s->max_batch};
    int status = model_loss_terms(&s->model, &batch);
    for (int t = 0; t < s->model.terms.n && status == CLNET_OK; t++) /* each term's sum */
        status = op_loss_reduce(s->rt, s->eval_terms, slot * s->model.terms.n + t, 1,
                                s->row_terms, s->row_terms, (size_t)t * (size_t)s->max_batch, b);
    return status;
}

/* Each term's mean over the split's n rows from the sums of `slots` evaluation batches. */
static int terms_means(struct session *s, int slots, int n, double *terms)
{
    int k = s->model.terms.n;
    float *sums = malloc((size_t)slots * (size_t)k * 2 * sizeof *sums);
    if (!sums) return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for evaluation");
    int status = runtime_download(s->rt, sums, s->eval_terms, 0,
                                  (size_t)slots * (size_t)k * 2 * sizeof *sums);
    for (int t = 0; t < k; t++) {
        double total = 0.0;
        for (int i = 0; i < slots; i++)
            total += sums[2 * ((size_t)i * (size_t)k + (size_t)t)];
        terms[t] = total / n;
    }
    free(sums);
    return status;
}

int session_evaluate(struct session *s, const struct device_split *d, double *loss, double *acc)
{
    return session_evaluate_terms(s, d, loss, acc, NULL);
}

int session_evaluate_terms(struct session *s, const struct device_split *d, double *loss,
                           double *acc, double *terms)
{
    int eb = s->exp->train.eval_batch_size;
    int status = CLNET_OK, slots = 0;
    for (int start = 0; start < d->n && status == CLNET_OK; start += eb, slots++) {
        int b = d->n - start < eb ? d->n - start : eb;
        cl_mem logits;
        status = session_gather(s, d, s->eval_index, (size_t)start, b, SESSION_EVAL);
        if (status == CLNET_OK)
            status = model_forward(&s->model, &logits, s->x, b, false);
        if (status == CLNET_OK)
            status = evaluate_loss(s, logits, b, slots);
        if (status == CLNET_OK)
            status = op_loss_reduce(s->rt, s->eval_acc, slots, 1, s->row_loss, s->row_correct, 0,
                                    b);
    }
    float *acc_host = malloc((size_t)slots * 2 * sizeof *acc_host);
    if (!acc_host)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for evaluation");
    if (status == CLNET_OK)
        status = runtime_download(s->rt, acc_host, s->eval_acc, 0,
                                  (size_t)slots * 2 * sizeof *acc_host);
    double l = 0, c = 0;
    for (int i = 0; status == CLNET_OK && i < slots; i++) {
        l += acc_host[2 * i];
        c += acc_host[2 * i + 1];
    }
    free(acc_host);
    *loss = l / d->n;
    *acc = s->model.terms.n > 0 && s->model.terms.classify < 0 ? NAN : c / d->n;
    if (status == CLNET_OK && terms && s->model.terms.n > 0)
        status = terms_means(s, slots, d->n, terms);
    return status;
}
