/* The registry (layers/kinds.def as a table), the check that a kind is whole, and the small
 * parts that several kinds share. */
#include "layers/layer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "util/status.h"

static const struct layer_kind *const kinds[] = {
#define LAYER_KIND(ENUM, name, form, cl) [LAYER_##ENUM] = &layer_kind_##name,
#include "layers/kinds.def"
#undef LAYER_KIND
};

_Static_assert(sizeof kinds / sizeof kinds[0] == LAYER_TYPE_COUNT,
               "every layer type has a row in layers/kinds.def");

const struct layer_kind *layer_kind_find(enum layer_type t)
{
    if ((int)t < 0 || t >= LAYER_TYPE_COUNT)
        return NULL;
    return kinds[t];
}

const char *layer_kind_missing(const struct layer_kind *k, enum layer_type t)
{
    const struct {
        const char *part;
        bool there;
    } parts[] = {
        {"name", k->name && !strcmp(k->name, layer_type_name(t))},
        {"infer", k->infer != NULL},
        {"describe", k->describe != NULL},
        {"param", k->param != NULL},
        {"state", k->state != NULL},
        {"setup", k->setup != NULL},
        {"init_params", k->init_params != NULL},
        {"forward", k->forward != NULL},
        {"backward", k->backward != NULL},
        {"free", k->free != NULL},
        {"host_forward", k->host_forward != NULL},
        {"host_backward", k->host_backward != NULL},
        {"examples", k->examples != NULL && k->n_examples > 0},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!parts[i].there)
            return parts[i].part;
    for (int i = 0; i < k->n_examples; i++)
        if (k->examples[i].spec.type != t)
            return "examples (of another kind)";
    return NULL;
}

void layer_param_tensor(const struct layer *l, bool bias, struct param_tensor *t, char *name,
                        size_t n)
{
    l->kind->param(t, l->spec, l->shape, bias);
    if (t->rank > 0 && name)
        snprintf(name, n, "layers.%d.%s", l->index, bias ? "bias" : "weight");
}

void layer_no_param(struct param_tensor *t, const struct layer_spec *s,
                    const struct layer_shape *ls, bool bias)
{
    (void)s, (void)ls, (void)bias;
    memset(t, 0, sizeof *t);
}

int layer_no_state(struct state_tensor *t, const struct layer_spec *s,
                   const struct layer_shape *ls)
{
    (void)t, (void)s, (void)ls;
    return 0;
}

int layer_state_tensors(const struct layer *l, struct state_tensor *t, char (*names)[64])
{
    int n = l->kind->state(t, l->spec, l->shape);
    for (int k = 0; names && k < n; k++)
        snprintf(names[k], sizeof names[k], "layers.%d.%s", l->index, t[k].name);
    return n;
}

int64_t state_tensor_count(const struct state_tensor *t)
{
    int64_t count = 1;
    for (int d = 0; d < t->rank; d++)
        count *= t->dims[d];
    return count;
}

size_t layer_state_floats(const struct layer_kind *k, const struct layer_spec *s,
                          const struct layer_shape *ls)
{
    struct state_tensor t[LAYER_MAX_STATE];
    size_t total = 0;
    for (int i = 0, n = k->state(t, s, ls); i < n; i++)
        total += (size_t)state_tensor_count(&t[i]);
    return total;
}

int layer_no_init(struct layer *l, const struct model *m, float *w, float *b, struct rng *rng)
{
    (void)l, (void)m, (void)w, (void)b, (void)rng;
    return CLNET_OK;
}

int layer_infer_same(struct layer_shape *ls, const struct experiment *e, int i)
{
    (void)e, (void)i;
    ls->out = ls->in;
    return CLNET_OK;
}

void layer_describe_name(char *buf, size_t n, const struct layer_spec *s)
{
    snprintf(buf, n, "%s", layer_type_name(s->type));
}

double layer_host_act(double z, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    case ACTIVATION_RELU:
        return z < 0.0 ? 0.0 : z;
    case ACTIVATION_TANH:
        return tanh(z);
    case ACTIVATION_STEP:
        return z >= 0.0 ? 1.0 : 0.0;
    default:
        return z;
    }
}

double layer_host_act_grad(double dy, double y, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return dy * y * (1.0 - y);
    case ACTIVATION_RELU:
        return y > 0.0 ? dy : 0.0;
    case ACTIVATION_TANH:
        return dy * (1.0 - y * y);
    case ACTIVATION_STEP:
        return 0.0;
    default:
        return dy;
    }
}

int32_t layer_host_kink(double z, int act)
{
    if (act == ACTIVATION_STEP)
        return z >= 0.0;
    return act == ACTIVATION_RELU ? z > 0.0 : 0;
}

int layer_alloc_outputs(struct layer *l, struct model *m, int max_batch, bool need_dx)
{
    size_t rows = (size_t)max_batch;
    int status = runtime_alloc(m->rt, &l->y, rows * l->out_size * sizeof(float), "a layer's outputs");
    if (status == CLNET_OK && need_dx)
        status = runtime_alloc(m->rt, &l->dx, rows * l->in_size * sizeof(float), "a layer's input gradients");
    return status;
}

void layer_free_outputs(struct layer *l)
{
    runtime_free(l->y);
    runtime_free(l->dx);
    l->y = l->dx = NULL;
}
