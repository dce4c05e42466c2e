/* Building a model on a device (see model.h): shapes first, then the arena layout, then every
 * buffer; and the forward and backward passes as plain walks over the layers. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "model/graph_run.h"
#include "model/safetensors.h"
#include "util/rng.h"
#include "util/status.h"

int model_build_with(struct model *m, struct runtime *rt, const struct experiment *e,
                     int max_batch, unsigned flags)
{
    memset(m, 0, sizeof *m);
    m->input_grad = flags & MODEL_INPUT_GRAD;
    m->node_grads = flags & MODEL_NODE_GRADS;
    m->rt = rt;
    m->exp = e;
    m->max_batch = max_batch;
    int status = shape_infer(&m->shape, e);
    if (status != CLNET_OK)
        return status;
    m->n_layers = e->n_layers;
    m->layers = calloc((size_t)e->n_layers, sizeof *m->layers);
    if (!m->layers) {
        model_free(m);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d layers", e->n_layers);
    }
    m->input_size = (size_t)tensor_shape_size(&m->shape.input);
    size_t off = 0;
    for (int i = 0; i < e->n_layers; i++) {
        struct layer *l = &m->layers[i];
        l->spec = &e->layers[i];
        l->index = i;
        l->shape = &m->shape.layers[i];
        l->in_size = (size_t)tensor_shape_size(&l->shape->in);
        l->out_size = (size_t)tensor_shape_size(&l->shape->out);
        l->kind = layer_kind_find(l->spec->type);
        if (!l->kind) {
            status = config_errorf_at(l->spec->pos, "layer %d (%s): this build cannot train %s "
                                      "layers yet", i, layer_type_name(l->spec->type),
                                      layer_type_name(l->spec->type));
            model_free(m);
            return status;
        }
        l->w_off = off;
        off += (size_t)l->shape->weights;
        l->b_off = off;
        off += (size_t)l->shape->biases;
    }
    m->n_params = off;
    m->output_size = m->n_layers ? m->layers[m->n_layers - 1].out_size : m->input_size;
    if (m->n_params > 0) {
        status = runtime_alloc(rt, &m->params, m->n_params * sizeof(float), "the parameters");
        if (status == CLNET_OK)
            status = runtime_alloc(rt, &m->grads, m->n_params * sizeof(float), "the gradients");
    }
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++)
        status = m->layers[i].kind->setup(&m->layers[i], m, max_batch);
    if (status == CLNET_OK && (!m->shape.graph.linear || m->node_grads)) /* graph models */
        status = graph_run_open(&m->graph_run, m, max_batch);
    if (status != CLNET_OK)
        model_free(m);
    return status;
}

int model_build(struct model *m, struct runtime *rt, const struct experiment *e, int max_batch)
{
    return model_build_with(m, rt, e, max_batch, 0);
}

void model_free(struct model *m)
{
    for (int i = 0; m->layers && i < m->n_layers; i++)
        if (m->layers[i].kind && m->layers[i].kind->free)
            m->layers[i].kind->free(&m->layers[i]);
    graph_run_free(m->graph_run, m->n_layers);
    free(m->layers);
    runtime_free(m->params);
    runtime_free(m->grads);
    shape_free(&m->shape);
    memset(m, 0, sizeof *m);
}

int model_init_params(const struct model *m, float *host_params)
{
    struct rng rng;
    rng_seed(&rng, m->exp->seed);
    for (int i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        int status = l->kind->init_params(l, m, host_params + l->w_off, host_params + l->b_off,
                                          &rng);
        if (status != CLNET_OK)
            return status;
    }
    return CLNET_OK;
}

int model_upload_params(struct model *m, const float *host_params)
{
    if (m->n_params == 0)
        return CLNET_OK;
    return runtime_upload(m->rt, m->params, 0, host_params, m->n_params * sizeof(float));
}

int model_download_params(struct model *m, float *host_params)
{
    if (m->n_params == 0)
        return CLNET_OK;
    return runtime_download(m->rt, host_params, m->params, 0, m->n_params * sizeof(float));
}

int model_forward(struct model *m, cl_mem *logits, cl_mem x, int batch, bool train)
{
    if (m->graph_run) /* graph models: model/graph_run.c */
        return graph_forward(m, logits, x, batch, train);
    cl_mem cur = x;
    for (int i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        int status = l->kind->forward(l, m, &cur, cur, batch, train);
        if (status != CLNET_OK)
            return status;
        l->out = cur;
    }
    *logits = cur;
    return CLNET_OK;
}

int model_backward(struct model *m, cl_mem x, cl_mem dlogits, int batch)
{
    if (m->graph_run) /* graph models: model/graph_run.c */
        return graph_backward(m, x, dlogits, batch);
    cl_mem dy = dlogits;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        struct layer *l = &m->layers[i];
        cl_mem in = i > 0 ? m->layers[i - 1].out : x;
        /* Layers below the first one with parameters need no input gradient. */
        bool need_dx = m->input_grad;
        for (int j = 0; j < i; j++)
            need_dx = need_dx || m->layers[j].shape->weights + m->layers[j].shape->biases > 0;
        cl_mem dx = NULL;
        int status = l->kind->backward(l, m, &dx, in, dy, batch, need_dx);
        if (status != CLNET_OK)
            return status;
        if (i == 0 && m->input_grad)
            m->input_dx = dx;
        if (!need_dx)
            break;
        dy = dx;
    }
    return CLNET_OK;
}

cl_mem model_node_grad(const struct model *m, int i)
{
    return m->node_grads ? graph_node_grad(m, i) : NULL;
}

int model_first_nonfinite_layer(struct model *m, int *layer, int batch)
{
    *layer = -1;
    int status = CLNET_OK;
    for (int i = 0; i < m->n_layers && *layer < 0 && status == CLNET_OK; i++) {
        struct layer *l = &m->layers[i];
        size_t n = (size_t)batch * l->out_size;
        float *buf = malloc(n * sizeof *buf);
        if (!buf)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer %d's output", i);
        status = runtime_download(m->rt, buf, l->out, 0, n * sizeof *buf);
        for (size_t k = 0; status == CLNET_OK && k < n; k++)
            if (!isfinite(buf[k])) {
                *layer = i;
                break;
            }
        free(buf);
    }
    return status;
}

/* The safetensors name and shape of layer l's weights (bias false) or biases, as its kind lays
 * them out (layer_kind.param). Returns the rank, 0 if it has none. */
static int param_tensor(const struct layer *l, bool bias, char *name, size_t n, int64_t *shape)
{
    struct param_tensor t;
    layer_param_tensor(l, bias, &t, name, n);
    for (int k = 0; k < t.rank; k++)
        shape[k] = t.dims[k];
    return t.rank;
}

int model_save_safetensors(const struct model *m, const float *host_params, const char *path)
{
    struct st_tensor *t = calloc((size_t)(2 * m->n_layers) + 1, sizeof *t);
    char (*names)[64] = calloc((size_t)(2 * m->n_layers) + 1, sizeof *names);
    if (!t || !names) {
        free(t);
        free(names);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory writing %s", path);
    }
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        for (int bias = 0; bias < 2; bias++) {
            int rank = param_tensor(l, bias, names[n], sizeof names[n], t[n].shape);
            if (rank == 0)
                continue;
            t[n].name = names[n];
            t[n].dtype = "F32";
            t[n].rank = rank;
            t[n].data = host_params + (bias ? l->b_off : l->w_off);
            t[n].bytes = (size_t)(bias ? l->shape->biases : l->shape->weights) * sizeof(float);
            n++;
        }
    }
    const char *meta[] = {"format", "pt", "producer", "clnet " CLNET_VERSION, NULL};
    int status = safetensors_write_checked(path, t, n, meta);
    free(t);
    free(names);
    return status;
}

/* Copies a tensor's F32 values into dst, refusing NaN and infinities: a weight that is not a
 * number gives every output it reaches NaN, so evaluating with it reports `test loss nan`
 * and training from it diverges at the first step, far from the file at fault. */
static int copy_finite(float *dst, const struct st_entry *e, const char *path)
{
    memcpy(dst, e->data, e->bytes);
    for (int64_t i = 0; i < e->count; i++)
        if (!isfinite(dst[i]))
            return clnet_errorf(CLNET_ERR_DATA, "%s: tensor '%s' holds %s at element %lld of "
                                "%lld: weights must be finite numbers", path, e->name,
                                isnan(dst[i]) ? "NaN" : dst[i] > 0 ? "+inf" : "-inf",
                                (long long)i, (long long)e->count);
    return CLNET_OK;
}

/* Copies layer l's weights (bias false) or biases from an open file into dst. */
static int load_param(const struct safetensors *st, const struct layer *l, bool bias,
                      float *dst)
{
    char name[64];
    int64_t shape[4];
    int rank = param_tensor(l, bias, name, sizeof name, shape);
    if (rank == 0)
        return CLNET_OK;
    const struct st_entry *e = safetensors_find(st, name);
    bool ok = e && strcmp(e->dtype, "F32") == 0 && e->rank == rank;
    for (int k = 0; ok && k < rank; k++)
        ok = e->shape[k] == shape[k];
    if (!ok) {
        char want[96];
        int n = snprintf(want, sizeof want, "F32 [");
        for (int k = 0; k < rank; k++)
            n += snprintf(want + n, sizeof want - (size_t)n, "%s%lld", k ? ", " : "",
                          (long long)shape[k]);
        snprintf(want + n, sizeof want - (size_t)n, "]");
        return clnet_errorf(CLNET_ERR_DATA, "%s: layer %d needs tensor '%s' of %s; %s", st->path,
                            l->index, name, want,
                            e ? "the file's has another dtype or shape" : "the file has none");
    }
    return copy_finite(dst, e, st->path);
}

int layer_load_param(const struct layer *l, bool bias, const char *path, float *dst)
{
    struct safetensors st;
    int status = safetensors_read(&st, path);
    if (status == CLNET_OK)
        status = load_param(&st, l, bias, dst);
    safetensors_free(&st);
    return status;
}

int model_load_safetensors(const struct model *m, float *host_params, const char *path)
{
    struct safetensors st;
    int status = safetensors_read(&st, path);
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        status = load_param(&st, l, false, host_params + l->w_off);
        if (status == CLNET_OK)
            status = load_param(&st, l, true, host_params + l->b_off);
    }
    safetensors_free(&st);
    return status;
}
