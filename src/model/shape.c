/* Shape inference and the layer table (see shape.h): the walk over the layers, each kind's rule
 * being its infer part (layers/NAME.c), and the helpers those rules share. Host only: no
 * OpenCL is called, so every shape rule is tested without a device. */
#include "model/shape.h"

#include "model/loss_terms.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "layers/layer.h"
#include "util/status.h"

int shape_layer_error(const struct experiment *e, int i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = graph_layer_verror(e, i, (struct src_pos){0}, fmt, ap);
    va_end(ap);
    return status;
}

/* a * b for a, b >= 0; false when it would not fit in int64_t. */
bool shape_mul_ok(int64_t *r, int64_t a, int64_t b)
{
    if (a != 0 && b > INT64_MAX / a) return false;
    *r = a * b;
    return true;
}

static bool shape_add_ok(int64_t *r, int64_t a, int64_t b)
{
    if (b > INT64_MAX - a) return false;
    *r = a + b;
    return true;
}

bool shape_prod_ok(int64_t *r, int n, const int64_t *v)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        if (!shape_mul_ok(&p, p, v[i])) return false;
    *r = p;
    return true;
}

int64_t tensor_shape_size(const struct tensor_shape *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        if (!shape_mul_ok(&n, n, t->dim[i])) return INT64_MAX;
    return n;
}

char *tensor_shape_format(char *buf, size_t n, const struct tensor_shape *t)
{
    if (n == 0) return buf;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%d", i ? ", " : "(", t->dim[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used < n) snprintf(buf + used, n - used, "%s", t->rank ? ")" : "()");
    return buf;
}

const char *shape_pair(char *buf, size_t n, const int v[2])
{
    if (v[0] == v[1])
        snprintf(buf, n, "%d", v[0]);
    else
        snprintf(buf, n, "%dx%d", v[0], v[1]);
    return buf;
}

char *shape_describe_layer(char *buf, size_t n, const struct layer_spec *l)
{
    const struct layer_kind *k = layer_kind_find(l->type);
    if (k)
        k->describe(buf, n, l);
    else
        snprintf(buf, n, "%s", layer_type_name(l->type));
    return buf;
}

int shape_window(int out[2], const struct experiment *e, int i, const struct tensor_shape *in,
                 const int size[2], const int stride[2], const int pad[2])
{
    for (int d = 0; d < 2; d++) {
        if (size[d] < 1 || stride[d] < 1 || pad[d] < 0)
            return shape_layer_error(e, i,
                                     "size and stride must be at least 1 and pad at least 0, "
                                     "not size %d, stride %d, pad %d",
                                     size[d], stride[d], pad[d]);
    }
    int64_t padded[2], o[2];
    for (int d = 0; d < 2; d++)
        padded[d] = (int64_t)in->dim[1 + d] + 2 * (int64_t)pad[d];
    if (size[0] > padded[0] || size[1] > padded[1])
        return shape_layer_error(e, i, "kernel %dx%d is larger than the padded input %lldx%lld",
                                 size[0], size[1], (long long)padded[0], (long long)padded[1]);
    for (int d = 0; d < 2; d++) {
        o[d] = (padded[d] - size[d]) / stride[d] + 1; /* floor: both terms are >= 0 */
        if (o[d] < 1 || o[d] > INT32_MAX)
            return shape_layer_error(e, i, "output size would be %lld", (long long)o[d]);
        out[d] = (int)o[d];
    }
    return CLNET_OK;
}

static int infer_input(struct tensor_shape *t, const struct experiment *e)
{
    const char *file = e->path ? e->path : "config";
    if (e->input_rank != 1 && e->input_rank != 3)
        return clnet_errorf(CLNET_ERR_CONFIG,
                            "%s: model.input: has %d values; it must be [F] or [C, H, W]", file,
                            e->input_rank);
    t->rank = e->input_rank;
    for (int d = 0; d < t->rank; d++) {
        if (e->input[d] < 1)
            return clnet_errorf(CLNET_ERR_CONFIG, "%s: model.input: sizes must be at least 1",
                                file);
        t->dim[d] = e->input[d];
    }
    if (tensor_shape_size(t) > INT32_MAX)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: model.input: too large", file);
    return CLNET_OK;
}

void shape_free(struct model_shape *s)
{
    free(s->layers);
    graph_free(&s->graph);
    memset(s, 0, sizeof *s);
}

/* ls->ins from the nodes layer i reads, and ls->in: that node's shape, or for a kind that
 * reads several (layer.h's LAYER_KIND_DEFINE_MERGE) all of them packed, (F) of their sum. */
static int gather_inputs(struct layer_shape *ls, const struct model_shape *out,
                         const struct experiment *e, int i, const struct layer_kind *k)
{
    const struct graph *g = &out->graph;
    if (g->n_in[i] > k->max_inputs)
        return graph_layer_error(e, i, e->layers[i].from_pos[1],
                                 "from: names %d layers; a %s layer reads one (add and concat "
                                 "combine several)", g->n_in[i], k->name);
    ls->n_in = g->n_in[i];
    int64_t packed = 0;
    for (int j = 0; j < ls->n_in; j++) {
        int from = g->in[i][j];
        ls->ins[j] = from == GRAPH_INPUT ? out->input : out->layers[from].out;
        if (!shape_add_ok(&packed, packed, tensor_shape_size(&ls->ins[j])) || packed > INT32_MAX)
            return shape_layer_error(e, i, "its inputs hold too many values together");
    }
    ls->in = ls->ins[0];
    if (k->max_inputs > 1) {
        ls->in.rank = 1;
        ls->in.dim[0] = (int)packed;
    }
    return CLNET_OK;
}

/* Layer i's shape by its kind's rule, and the model's totals with it. */
static int infer_layer(struct model_shape *out, const struct experiment *e, int i)
{
    struct layer_shape *ls = &out->layers[i];
    const struct layer_kind *k = layer_kind_find(e->layers[i].type);
    if (!k)
        return clnet_errorf(CLNET_ERR_INTERNAL, "shape_infer: layer %d has type %d", i,
                            (int)e->layers[i].type);
    int status = gather_inputs(ls, out, e, i, k);
    if (status == CLNET_OK) status = k->infer(ls, e, i);
    if (status != CLNET_OK) return status;
    int64_t size = tensor_shape_size(&ls->out);
    if (size > out->largest_activation) out->largest_activation = size;
    if (!shape_add_ok(&out->parameters, out->parameters, ls->weights) ||
        !shape_add_ok(&out->parameters, out->parameters, ls->biases) ||
        !shape_add_ok(&out->flops, out->flops, ls->flops))
        return shape_layer_error(e, i, "the model's totals are too large to count");
    return CLNET_OK;
}

int shape_infer(struct model_shape *out, const struct experiment *e)
{
    memset(out, 0, sizeof *out);
    int status = infer_input(&out->input, e);
    if (status != CLNET_OK) return status;
    if (e->n_layers < 0 || (e->n_layers > 0 && !e->layers))
        return clnet_errorf(CLNET_ERR_INTERNAL, "shape_infer: %d layers and no list", e->n_layers);
    status = graph_build(&out->graph, e);
    if (status != CLNET_OK) return status;
    if (e->n_layers > 0) {
        out->layers = calloc((size_t)e->n_layers, sizeof *out->layers);
        if (!out->layers) {
            shape_free(out);
            return clnet_errorf(CLNET_ERR_NOMEM, "out of memory for %d layer shapes", e->n_layers);
        }
    }
    out->n_layers = e->n_layers;
    out->largest_activation = tensor_shape_size(&out->input);
    for (int o = 0; o < e->n_layers && status == CLNET_OK; o++)
        status = infer_layer(out, e, out->graph.order[o]);
    if (status != CLNET_OK) shape_free(out);
    return status;
}

/* 122270 -> "122,270". */
static char *count_format(char *buf, size_t n, int64_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t o = 0;
    for (int k = 0; k < len && o + 1 < n; k++) {
        buf[o++] = digits[k];
        int left = len - k - 1;
        if (left > 0 && left % 3 == 0 && digits[k] != '-' && o + 1 < n) buf[o++] = ',';
    }
    if (n) buf[o < n ? o : n - 1] = '\0';
    return buf;
}

int shape_check_classes(const struct experiment *e, const struct model_shape *s)
{
    if (e->train.n_terms > 0) { /* each term checks its own layer */
        struct loss_terms t;
        int status = loss_terms_resolve(&t, e, s);
        if (status == CLNET_OK) loss_terms_free(&t);
        return status;
    }
    const struct tensor_shape *out = s->n_layers ? &s->layers[s->n_layers - 1].out : &s->input;
    if (out->rank == 1 && out->dim[0] == SHAPE_CLASSES)
        return CLNET_OK;
    char buf[64];
    struct src_pos where = {e->path, 0, 0};
    if (s->n_layers && e->layers[s->n_layers - 1].pos.file)
        where = e->layers[s->n_layers - 1].pos;
    return config_errorf_at(where, "the last layer must give one score per class (%d for "
                            "MNIST); it gives %s", SHAPE_CLASSES,
                            tensor_shape_format(buf, sizeof buf, out));
}

/* The widths of the table's columns: layer (with its name: "h = dense 100"), output,
 * parameters, FLOPs. */
struct table_widths {
    int layer, output, params, flops;
};

/* Layer i's description, "dense 100 sigmoid", or in a graph "h = dense 100 sigmoid". */
static const char *row_layer(char *buf, size_t n, const struct experiment *e,
                             const struct model_shape *s, int i)
{
    char desc[160];
    shape_describe_layer(desc, sizeof desc, &e->layers[i]);
    if (s->graph.linear || !e->layers[i].name)
        snprintf(buf, n, "%s", desc);
    else
        snprintf(buf, n, "%s = %s", e->layers[i].name, desc);
    return buf;
}

static struct table_widths table_widths(const struct experiment *e, const struct model_shape *s)
{
    char desc[240], shp[64], a[32];
    struct table_widths w = {(int)strlen("layer"), (int)strlen("output"), 10, 5};
    int in = (int)strlen(tensor_shape_format(shp, sizeof shp, &s->input));
    w.output = in > w.output ? in : w.output;
    for (int i = 0; i < s->n_layers; i++) {
        int n = (int)strlen(row_layer(desc, sizeof desc, e, s, i));
        int m = (int)strlen(tensor_shape_format(shp, sizeof shp, &s->layers[i].out));
        w.layer = n > w.layer ? n : w.layer;
        w.output = m > w.output ? m : w.output;
    }
    int p = (int)strlen(count_format(a, sizeof a, s->parameters));
    int fl = (int)strlen(count_format(a, sizeof a, s->flops));
    w.params = p > w.params ? p : w.params;
    w.flops = fl > w.flops ? fl : w.flops;
    return w;
}

/* One row per layer in the order they run; a graph's rows end with the nodes each reads. */
static void print_rows(FILE *f, const struct experiment *e, const struct model_shape *s,
                       struct table_widths w)
{
    char desc[240], shp[64], a[32], b[32], from[512];
    bool graph = !s->graph.linear;
    fprintf(f, "%3s  %-*s  %-*s  %*s  %*s%s\n", "#", w.layer, "layer", w.output, "output",
            w.params, "parameters", w.flops, "FLOPs", graph ? "  from" : "");
    fprintf(f, "%3s  %-*s  %s\n", "", w.layer, "input",
            tensor_shape_format(shp, sizeof shp, &s->input));
    for (int o = 0; o < s->n_layers; o++) {
        int i = s->graph.order[o];
        const struct layer_shape *ls = &s->layers[i];
        fprintf(f, "%3d  %-*s  %-*s  %*s  %*s", i, w.layer, row_layer(desc, sizeof desc, e, s, i),
                w.output, tensor_shape_format(shp, sizeof shp, &ls->out), w.params,
                count_format(a, sizeof a, ls->weights + ls->biases), w.flops,
                count_format(b, sizeof b, ls->flops));
        if (graph)
            fprintf(f, "  %s", graph_inputs_format(from, sizeof from, e, &s->graph, i));
        fputc('\n', f);
    }
}

int shape_print_table(FILE *f, const struct experiment *e, const struct model_shape *s)
{
    char shp[64], a[32], b[32];
    print_rows(f, e, s, table_widths(e, s));
    int64_t weights = 0;
    for (int i = 0; i < s->n_layers; i++)
        weights += s->layers[i].weights; /* <= s->parameters, which did not overflow */
    char w[32], bi[32];
    fprintf(f, "\nname: %s\n", e->name ? e->name : "(unnamed)");
    fprintf(f, "input: %s\n", tensor_shape_format(shp, sizeof shp, &s->input));
    fprintf(f, "parameters: %s (weights %s, biases %s; %.1f KiB as float32)\n",
            count_format(a, sizeof a, s->parameters), count_format(w, sizeof w, weights),
            count_format(bi, sizeof bi, s->parameters - weights),
            (double)s->parameters * 4.0 / 1024.0);
    fprintf(f,
            "FLOPs per image, forward: %s (2 per multiply-add; bias adds and activations "
            "not counted)\n",
            count_format(b, sizeof b, s->flops));
    fprintf(f, "largest activation: %s values per image\n",
            count_format(a, sizeof a, s->largest_activation));
    if (fflush(f) != 0 || ferror(f))
        return clnet_errorf(CLNET_ERR_IO, "could not write the layer table");
    return CLNET_OK;
}
