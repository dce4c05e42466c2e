/* clnet grad (grad.h): the rows and their classes read whole, one forward, loss and backward
 * on a model built for its input's and its layers' gradients (model_build_with), the
 * gradients written as CSV blocks. */
#include "train/grad.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "ops/ops.h"
#include "runtime/device.h"
#include "train/predict.h"
#include "util/fs.h"
#include "util/status.h"

struct grad_data {
    int rows;
    long lines[GRAD_MAX_ROWS]; /* each row's line in the inputs file */
    float *x;                  /* (rows, F) */
    int32_t labels[GRAD_MAX_ROWS];
    float *clean;              /* (rows, F) --targets' rows for mse's target clean, or NULL */
    int nodes[32], n_nodes; /* --nodes, as layer indices */
};

/* path opened for reading as a regular file (a missing one is the user's input: exit 2). */
static int open_input(const char *path, FILE **f)
{
    int fd;
    size_t size;
    int status = fs_open_regular(path, &fd, &size);
    if (status == CLNET_ERR_IO) status = CLNET_ERR_DATA;
    if (status == CLNET_OK && !(*f = fdopen(fd, "r"))) {
        close(fd);
        status = clnet_errorf(CLNET_ERR_NOMEM, "%s: %s", path, strerror(errno));
    }
    return status;
}

/* Rows of width values from path into *x (allocated); *rows of them. */
static int read_rows(struct grad_data *d, float **x, int *rows, const char *path, size_t width)
{
    FILE *f = NULL;
    int status = open_input(path, &f);
    *x = status == CLNET_OK ? malloc(GRAD_MAX_ROWS * width * sizeof **x) : NULL;
    if (status == CLNET_OK && !*x) status = clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    char *line = NULL;
    size_t cap = 0, got;
    for (long lineno = 1; status == CLNET_OK && getline(&line, &cap, f) >= 0; lineno++) {
        if (*rows == GRAD_MAX_ROWS)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %d rows (clnet grad "
                                  "takes at most %d at a time)", path, lineno, GRAD_MAX_ROWS,
                                  GRAD_MAX_ROWS);
        if (status == CLNET_OK)
            status = predict_parse_row(*x + (size_t)*rows * width, width, line, path, lineno,
                                       &got);
        if (status == CLNET_OK && got > 0 && x == &d->x) d->lines[*rows] = lineno;
        if (status == CLNET_OK && got > 0) ++*rows;
    }
    if (status == CLNET_OK && *rows == 0)
        status = clnet_errorf(CLNET_ERR_DATA, "%s: no rows", path);
    free(line);
    if (f) fclose(f);
    return status;
}

static int read_inputs(struct grad_data *d, const char *path, size_t width)
{
    return read_rows(d, &d->x, &d->rows, path, width);
}

/* --targets as rows of the input's width (mse's target clean), one per input row. */
static int read_clean(struct grad_data *d, const char *path, size_t width)
{
    int n = 0, status = read_rows(d, &d->clean, &n, path, width);
    if (status == CLNET_OK && n != d->rows)
        status = clnet_errorf(CLNET_ERR_DATA, "%s: %d rows for %d input rows", path, n, d->rows);
    return status;
}

/* One class (0 .. classes - 1) per non-blank line, as many as there are rows. */
static int read_targets(struct grad_data *d, const char *path, int classes)
{
    FILE *f = NULL;
    int status = open_input(path, &f), n = 0;
    char *line = NULL;
    size_t cap = 0;
    for (long lineno = 1; status == CLNET_OK && getline(&line, &cap, f) >= 0; lineno++) {
        char *p = line + strspn(line, " \t"), *end;
        if (*p == '\0' || *p == '\n' || *p == '\r') continue;
        long c = strtol(p, &end, 10);
        end += strspn(end, " \t\r\n");
        if (end == p || *end != '\0' || c < 0 || c >= classes)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: expected a class from 0 to %d, "
                                  "got '%.*s'", path, lineno, classes - 1,
                                  (int)strcspn(p, "\r\n"), p);
        else if (n == d->rows)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more classes than the %d input "
                                  "rows", path, lineno, d->rows);
        else
            d->labels[n++] = (int32_t)c;
    }
    if (status == CLNET_OK && n < d->rows)
        status = clnet_errorf(CLNET_ERR_DATA, "%s: %d classes for %d input rows", path, n,
                              d->rows);
    free(line);
    if (f) fclose(f);
    return status;
}

/* --nodes "h,y" as layer indices. */
static int find_nodes(struct grad_data *d, const struct experiment *e, const char *list)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < e->n_layers && found < 0; i++)
            if (e->layers[i].name && !strcmp(e->layers[i].name, name)) found = i;
        if (found < 0)
            return clnet_errorf(CLNET_ERR_USAGE, "--nodes: no layer of %s is named '%s' (give "
                                "layers a name: in the config)", e->path, name);
        if (d->n_nodes == (int)(sizeof d->nodes / sizeof d->nodes[0]))
            return clnet_errorf(CLNET_ERR_USAGE, "--nodes: too many names");
        d->nodes[d->n_nodes++] = found;
    }
    return CLNET_OK;
}

/* A block: "dL/dNAME: R rows x N" and a line per row (zeros where no gradient reaches). */
static int write_block(FILE *out, struct runtime *rt, const struct grad_data *d, const char *name,
                       cl_mem grad, size_t width)
{
    float *v = calloc((size_t)d->rows * width, sizeof *v);
    if (!v) return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int status = grad ? runtime_download(rt, v, grad, 0, (size_t)d->rows * width * sizeof *v)
                      : CLNET_OK;
    fprintf(out, "dL/d%s: %d rows x %zu%s\nrow", name, d->rows, width,
            grad ? "" : " (no gradient reaches it: zeros)");
    for (size_t j = 0; j < width; j++)
        fprintf(out, ",d%zu", j);
    for (int r = 0; status == CLNET_OK && r < d->rows; r++) {
        fprintf(out, "\n%ld", d->lines[r]);
        for (size_t j = 0; j < width; j++)
            fprintf(out, ",%.9g", v[(size_t)r * width + j]);
    }
    fprintf(out, "\n");
    free(v);
    return status;
}

struct loss_buffers {
    cl_mem x, y, dz, row_loss, row_correct;
};

/* The loss and its gradient, then the backward: the scalar form's on the output, or
 * train.loss's terms (mse's clean target the --targets rows). */
static int loss_and_backward(struct model *m, const struct grad_data *d,
                             const struct loss_buffers *b, cl_mem logits)
{
    size_t n = (size_t)d->rows;
    if (m->terms.n == 0) {
        int status = op_loss_forward_backward(m->rt, b->dz, b->row_loss, b->row_correct, 0,
                                              logits, b->y, d->rows, (int)m->output_size,
                                              (int)m->exp->train.loss);
        return status == CLNET_OK ? model_backward(m, b->x, b->dz, d->rows) : status;
    }
    cl_mem terms = NULL, clean = NULL;
    int status = runtime_alloc(m->rt, &terms, n * (size_t)m->terms.n * sizeof(float),
                               "the terms' rows");
    if (status == CLNET_OK && d->clean)
        status = runtime_alloc_from(m->rt, &clean, d->clean, n * m->input_size * sizeof(float),
                                    "the clean rows");
    const struct model_batch mb = {.x = b->x, .labels = b->y, .row_loss = b->row_loss,
                                   .row_correct = b->row_correct, .rows = d->rows,
                                   .x_clean = clean, .row_terms = terms, .terms_stride = n};
    if (status == CLNET_OK) status = model_loss_terms(m, &mb);
    if (status == CLNET_OK) status = model_backward(m, b->x, NULL, d->rows);
    runtime_free(terms);
    runtime_free(clean);
    return status;
}

/* The device part: forward, loss, backward; then the blocks. */
static int run(struct experiment *e, const struct grad_request *q, struct grad_data *d,
               struct runtime *rt, struct model *m, FILE *out)
{
    size_t n = (size_t)d->rows, f = m->input_size, k = m->output_size;
    float *params = malloc((m->n_params ? m->n_params : 1) * sizeof *params), rows[GRAD_MAX_ROWS];
    cl_mem x = NULL, y = NULL, dz = NULL, rl = NULL, rc = NULL, logits = NULL;
    int status = params ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = q->weights ? model_load_safetensors(m, params, q->weights)
                            : model_init_params(m, params);
    if (status == CLNET_OK) status = model_upload_params(m, params);
    if (status == CLNET_OK) status = runtime_alloc_from(rt, &x, d->x, n * f * sizeof(float), "the rows");
    if (status == CLNET_OK) status = runtime_alloc_from(rt, &y, d->labels, n * sizeof(int32_t), "the classes");
    if (status == CLNET_OK) status = runtime_alloc(rt, &dz, n * k * sizeof(float), "the loss gradient");
    if (status == CLNET_OK) status = runtime_alloc(rt, &rl, n * sizeof(float), "per-row losses");
    if (status == CLNET_OK) status = runtime_alloc(rt, &rc, n * sizeof(float), "per-row hits");
    if (status == CLNET_OK) status = model_forward(m, &logits, x, d->rows, true);
    const struct loss_buffers lb = {x, y, dz, rl, rc};
    if (status == CLNET_OK) status = loss_and_backward(m, d, &lb, logits);
    if (status == CLNET_OK) status = runtime_download(rt, rows, rl, 0, n * sizeof(float));
    double loss = 0;
    for (size_t r = 0; status == CLNET_OK && r < n; r++)
        loss += rows[r] / (double)n;
    char words[256];
    if (status == CLNET_OK)
        fprintf(out, "loss (%s, mean over %d rows): %.9g\n",
                experiment_loss_words(words, sizeof words, e), d->rows, loss);
    if (status == CLNET_OK) status = write_block(out, rt, d, "x", m->input_dx, f);
    for (int i = 0; status == CLNET_OK && i < d->n_nodes; i++) {
        const struct layer *l = &m->layers[d->nodes[i]];
        status = write_block(out, rt, d, l->spec->name, model_node_grad(m, l->index), l->out_size);
    }
    cl_mem bufs[] = {x, y, dz, rl, rc};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        runtime_free(bufs[i]);
    free(params);
    return status;
}

/* What --targets gives for e's loss: classes (the scalar form, a classification term, mse
 * against labels), rows of clean inputs (mse against clean), or nothing (no such term); a
 * loss needing both, --targets missing when needed or given when not: a usage error. */
static int loss_targets(const struct experiment *e, const char *path, bool *labels, bool *clean)
{
    *labels = e->train.n_terms == 0, *clean = false;
    for (int t = 0; t < e->train.n_terms; t++) {
        const struct loss_term *lt = &e->train.terms[t];
        *labels |= loss_term_classifies(lt->kind) ||
                   (lt->kind == TERM_MSE && lt->target_kind == TARGET_LABELS);
        *clean |= lt->kind == TERM_MSE && lt->target_kind == TARGET_CLEAN;
    }
    bool labels_ = *labels, clean_ = *clean;
    return labels_ && clean_ ? clnet_errorf(CLNET_ERR_USAGE, "grad: %s's loss needs each row's "
                                            "class and its clean input; --targets gives one of "
                                            "them", e->path)
           : (labels_ || clean_) && !path
               ? clnet_errorf(CLNET_ERR_USAGE, "grad: %s's loss needs --targets T.csv: %s",
                              e->path, labels_ ? "each row's class, one a line"
                                               : "each row's clean input (mse's target), as "
                                                 "--inputs' rows")
           : !labels_ && !clean_ && path
               ? clnet_errorf(CLNET_ERR_USAGE, "grad: %s's loss reads no targets (its terms "
                              "need no class and no clean input): leave --targets out", e->path)
               : CLNET_OK;
}


int grad_rows(struct experiment *e, const struct grad_request *q, FILE *out)
{
    for (int i = 0; i < e->n_layers; i++)
        if (e->layers[i].type == LAYER_DROPOUT) e->layers[i].dropout.p = 0.0;
    struct grad_data d = {0};
    struct model_shape s;
    int status = shape_infer(&s, e);
    if (status != CLNET_OK) return status;
    size_t width = (size_t)tensor_shape_size(&s.input);
    int classes = s.n_layers ? (int)tensor_shape_size(&s.layers[s.n_layers - 1].out) : 0;
    shape_free(&s);
    bool labels, clean;
    status = loss_targets(e, q->targets, &labels, &clean);
    if (status == CLNET_OK) status = find_nodes(&d, e, q->nodes);
    if (status == CLNET_OK) status = read_inputs(&d, q->inputs, width);
    if (status == CLNET_OK && clean) status = read_clean(&d, q->targets, width);
    if (status == CLNET_OK && labels) /* a term's classes are the data's */
        status = read_targets(&d, q->targets, e->train.n_terms ? SHAPE_CLASSES : classes);
    struct runtime *rt = NULL;
    struct model m = {0};
    if (status == CLNET_OK)
        status = runtime_open(&rt, runtime_device_spec(q->device_flag, e->device), q->cl_dir);
    if (status == CLNET_OK)
        status = model_build_with(&m, rt, e, d.rows,
                                  MODEL_INPUT_GRAD | (d.n_nodes ? MODEL_NODE_GRADS : 0));
    if (status == CLNET_OK) status = run(e, q, &d, rt, &m, out);
    if (m.layers) model_free(&m);
    if (rt) runtime_close(rt);
    free(d.x);
    free(d.clean);
    return status;
}
