/* Building a model on a device (see model.h): shapes first, then the arena layout, the plan,
 * then every buffer (a graph's executor's too); the arenas to and from the host and weights
 * files. The passes over the plan's steps are model_run.c's. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "model/graph_run.h"
#include "model/init.h"
#include "model/loss_run.h"
#include "model/safetensors.h"
#include "util/rng.h"
#include "util/status.h"

/* The state arena's init values, on the host (S floats, malloc'd), or NULL after an error. */
static float *state_init_values(const struct model *m)
{
    float *host = malloc((m->n_state ? m->n_state : 1) * sizeof *host);
    if (!host) {
        clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the layers' state");
        return NULL;
    }
    for (int i = 0; i < m->n_layers; i++) {
        struct state_tensor t[LAYER_MAX_STATE];
        float *v = host + m->layers[i].s_off;
        for (int k = 0, n = layer_state_tensors(&m->layers[i], t, NULL); k < n; k++)
            for (int64_t j = 0, count = state_tensor_count(&t[k]); j < count; j++)
                *v++ = t[k].init;
    }
    return host;
}

/* The state arena, filled with its tensors' init values. */
static int state_open(struct model *m)
{
    if (m->n_state == 0)
        return CLNET_OK;
    float *host = state_init_values(m);
    int status = host ? runtime_alloc(m->rt, &m->state, m->n_state * sizeof(float),
                                      "the layers' state")
                      : CLNET_ERR_NOMEM;
    if (status == CLNET_OK)
        status = model_upload_state(m, host);
    free(host);
    return status;
}

static int state_from_files(struct model *m);

/* Every layer's kind, shapes and slices of the arenas. */
static int lay_out(struct model *m, const struct experiment *e)
{
    m->n_layers = e->n_layers;
    m->layers = calloc((size_t)e->n_layers, sizeof *m->layers);
    if (!m->layers)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d layers", e->n_layers);
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
        if (!l->kind)
            return config_errorf_at(l->spec->pos, "layer %d (%s): this build cannot train %s "
                                    "layers yet", i, layer_type_name(l->spec->type),
                                    layer_type_name(l->spec->type));
        l->w_off = off;
        off += (size_t)l->shape->weights;
        l->b_off = off;
        off += (size_t)l->shape->biases;
        l->s_off = m->n_state;
        m->n_state += layer_state_floats(l->kind, l->spec, l->shape);
    }
    m->n_params = off;
    m->output_size = m->n_layers ? m->layers[m->n_layers - 1].out_size : m->input_size;
    return CLNET_OK;
}

/* The plan for needs on this device, each layer pointed at its part. */
static int plan_model(struct model *m, const struct plan_needs *needs)
{
    struct plan_device dev;
    plan_device_of(&dev, m->rt);
    plan_free(&m->plan);
    int status = plan_build(&m->plan, m->exp, &m->shape, &dev, needs);
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++)
        m->layers[i].plan = &m->plan.layers[i];
    return status;
}

/* The dense stack's buffers when the plan takes the stack and they are not there yet. */
static int open_stack(struct model *m)
{
    if (!m->plan.dense_stack.on || m->stack)
        return CLNET_OK;
    return dense_stack_open(&m->stack, m, m->plan.needs.rows);
}

int model_build(struct model *m, struct runtime *rt, const struct experiment *e, int max_batch)
{
    return model_build_for(m, rt, e, max_batch, &plan_needs_eval);
}

int model_build_with(struct model *m, struct runtime *rt, const struct experiment *e,
                     int max_batch, unsigned flags)
{
    struct plan_needs needs = plan_needs_eval;
    needs.input_grad = flags & MODEL_INPUT_GRAD;
    needs.node_grads = flags & MODEL_NODE_GRADS;
    return model_build_for(m, rt, e, max_batch, &needs);
}

int model_build_for(struct model *m, struct runtime *rt, const struct experiment *e,
                    int max_batch, const struct plan_needs *needs)
{
    memset(m, 0, sizeof *m);
    m->rt = rt;
    m->exp = e;
    m->max_batch = max_batch;
    int status = shape_infer(&m->shape, e);
    if (status != CLNET_OK)
        return status;
    if (e->train.n_terms > 0) /* the list form's terms, resolved against the shapes */
        status = loss_terms_resolve(&m->terms, e, &m->shape);
    if (status == CLNET_OK)
        status = lay_out(m, e);
    if (status == CLNET_OK && m->n_params > 0) {
        status = runtime_alloc(rt, &m->params, m->n_params * sizeof(float), "the parameters");
        if (status == CLNET_OK)
            status = runtime_alloc(rt, &m->grads, m->n_params * sizeof(float), "the gradients");
    }
    if (status == CLNET_OK)
        status = state_open(m);
    /* The layers' setup reads their plan (which GEMM, which buffers); the dense stack's
     * buffers come after theirs. */
    if (status == CLNET_OK)
        status = plan_model(m, needs);
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++)
        status = m->layers[i].kind->setup(&m->layers[i], m, max_batch);
    if (status == CLNET_OK)
        status = open_stack(m);
    if (status == CLNET_OK && m->plan.graph.on)
        status = graph_run_open(&m->graph_run, m, max_batch);
    if (status == CLNET_OK && m->terms.n > 0)
        status = loss_run_open(&m->loss_run, m, max_batch);
    if (status != CLNET_OK)
        model_free(m);
    return status;
}

int model_replan(struct model *m, const struct plan_needs *needs)
{
    int status = plan_model(m, needs);
    return status == CLNET_OK ? open_stack(m) : status;
}

void model_free(struct model *m)
{
    for (int i = 0; m->layers && i < m->n_layers; i++)
        if (m->layers[i].kind && m->layers[i].kind->free)
            m->layers[i].kind->free(&m->layers[i]);
    graph_run_free(m->graph_run, m->n_layers);
    loss_run_free(m->loss_run, m->terms.n);
    loss_terms_free(&m->terms);
    free(m->layers);
    dense_stack_free(m->stack);
    plan_free(&m->plan);
    runtime_free(m->params);
    runtime_free(m->grads);
    runtime_free(m->state);
    shape_free(&m->shape);
    memset(m, 0, sizeof *m);
}

int model_init_params(struct model *m, float *host_params)
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
    return state_from_files(m);
}

void model_params_written(struct model *m)
{
    m->params_version++;
    m->params_behind = false;
}

int model_params_sync(struct model *m)
{
    return m->params_behind ? dense_stack_sync(m->stack, m) : CLNET_OK;
}

int model_upload_params(struct model *m, const float *host_params)
{
    model_params_written(m);
    if (m->n_params == 0)
        return CLNET_OK;
    return runtime_upload(m->rt, m->params, 0, host_params, m->n_params * sizeof(float));
}

int model_download_params(struct model *m, float *host_params)
{
    int status = model_params_sync(m);
    if (m->n_params == 0 || status != CLNET_OK)
        return status;
    return runtime_download(m->rt, host_params, m->params, 0, m->n_params * sizeof(float));
}

int model_upload_state(struct model *m, const float *host_state)
{
    if (m->n_state == 0)
        return CLNET_OK;
    return runtime_upload(m->rt, m->state, 0, host_state, m->n_state * sizeof(float));
}

int model_download_state(struct model *m, float *host_state)
{
    if (m->n_state == 0)
        return CLNET_OK;
    return runtime_download(m->rt, host_state, m->state, 0, m->n_state * sizeof(float));
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

/* Layer l's state tensors as files see them, into t from n on (names into names[n...], their
 * data in host_state, the state arena on the host); returns the new count. */
static int state_entries(const struct layer *l, const float *host_state, struct st_tensor *t,
                         char (*names)[64], int n)
{
    struct state_tensor s[LAYER_MAX_STATE];
    const float *v = host_state + l->s_off;
    for (int k = 0, count = layer_state_tensors(l, s, names + n); k < count; k++, n++) {
        t[n] = (struct st_tensor){.name = names[n], .dtype = "F32", .rank = s[k].rank,
                                  .data = v, .bytes = (size_t)state_tensor_count(&s[k]) * 4};
        memcpy(t[n].shape, s[k].dims, sizeof s[k].dims);
        v += state_tensor_count(&s[k]);
    }
    return n;
}

int model_save_safetensors(struct model *m, const float *host_params, const char *path)
{
    size_t most = (size_t)(2 + LAYER_MAX_STATE) * (size_t)m->n_layers + 1;
    struct st_tensor *t = calloc(most, sizeof *t);
    char (*names)[64] = calloc(most, sizeof *names);
    float *state = malloc((m->n_state ? m->n_state : 1) * sizeof *state);
    if (!t || !names || !state) {
        free(t), free(names), free(state);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory writing %s", path);
    }
    int n = 0, status = model_download_state(m, state);
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
        n = state_entries(l, state, t, names, n);
    }
    const char *meta[] = {"format", "pt", "producer", "clnet " CLNET_VERSION, NULL};
    if (status == CLNET_OK)
        status = safetensors_write_checked(path, t, n, meta);
    free(t), free(names), free(state);
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

/* Copies tensor name of layer l, F32 of shape (rank), from an open file into dst. */
static int load_tensor(const struct safetensors *st, const struct layer *l, const char *name,
                       int rank, const int64_t *shape, float *dst)
{
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

/* Copies layer l's weights (bias false) or biases from an open file into dst. */
static int load_param(const struct safetensors *st, const struct layer *l, bool bias,
                      float *dst)
{
    char name[64];
    int64_t shape[4];
    int rank = param_tensor(l, bias, name, sizeof name, shape);
    return rank == 0 ? CLNET_OK : load_tensor(st, l, name, rank, shape, dst);
}

/* Copies layer l's state tensors from an open file into host_state (the arena on the host). */
static int load_state(const struct safetensors *st, const struct layer *l, float *host_state)
{
    struct state_tensor t[LAYER_MAX_STATE];
    char names[LAYER_MAX_STATE][64];
    float *v = host_state + l->s_off;
    int status = CLNET_OK;
    for (int k = 0, n = layer_state_tensors(l, t, names); status == CLNET_OK && k < n; k++) {
        status = load_tensor(st, l, names[k], t[k].rank, t[k].dims, v);
        v += state_tensor_count(&t[k]);
    }
    return status;
}

/* Layer l's state tensors that the open file holds into host_state; the others keep theirs. */
static int state_if_present(const struct safetensors *st, const struct layer *l,
                            float *host_state)
{
    struct state_tensor t[LAYER_MAX_STATE];
    char names[LAYER_MAX_STATE][64];
    float *v = host_state + l->s_off;
    int status = CLNET_OK;
    for (int k = 0, n = layer_state_tensors(l, t, names); status == CLNET_OK && k < n; k++) {
        if (safetensors_find(st, names[k]))
            status = load_tensor(st, l, names[k], t[k].rank, t[k].dims, v);
        v += state_tensor_count(&t[k]);
    }
    return status;
}

/* A layer whose weights come from a file (init: {weights: {file: F}}) takes its state from F
 * when F holds it (a model.safetensors or best.safetensors), else its init values; then the
 * arena goes to the device. Nothing to do for a model without state. */
static int state_from_files(struct model *m)
{
    if (m->n_state == 0)
        return CLNET_OK;
    float *host = state_init_values(m);
    int status = host ? CLNET_OK : CLNET_ERR_NOMEM;
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        const struct init_spec *wi = init_resolve(&l->spec->weight_init, &m->exp->weight_init);
        if (layer_state_floats(l->kind, l->spec, l->shape) == 0 || wi->kind != INIT_FILE)
            continue;
        struct safetensors st = {0};
        status = safetensors_read(&st, wi->path);
        if (status == CLNET_OK)
            status = state_if_present(&st, l, host);
        safetensors_free(&st);
    }
    if (status == CLNET_OK)
        status = model_upload_state(m, host);
    free(host);
    return status;
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

int model_load_safetensors(struct model *m, float *host_params, const char *path)
{
    struct safetensors st = {0};
    float *state = malloc((m->n_state ? m->n_state : 1) * sizeof *state);
    int status = state ? safetensors_read(&st, path)
                       : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
    for (int i = 0; status == CLNET_OK && i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        status = load_param(&st, l, false, host_params + l->w_off);
        if (status == CLNET_OK)
            status = load_param(&st, l, true, host_params + l->b_off);
        if (status == CLNET_OK)
            status = load_state(&st, l, state);
    }
    if (status == CLNET_OK)
        status = model_upload_state(m, state);
    safetensors_free(&st);
    free(state);
    return status;
}
