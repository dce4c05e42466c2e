/* The drawing of a model's computation graph (graph_draw.h): nodes named as the homework
 * names them, built from the experiment and its inferred shapes. Host only. */
#include "report/graph_draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/layer.h"
#include "model/loss_terms.h"
#include "util/status.h"

void drawing_free(struct drawing *d)
{
    free(d->nodes);
    free(d->edges);
    memset(d, 0, sizeof *d);
}

int drawing_find(const struct drawing *d, const char *id)
{
    for (int i = 0; i < d->n_nodes; i++)
        if (!strcmp(d->nodes[i].id, id)) return i;
    return -1;
}

const char *drawing_format(const char *path)
{
    static const char *const formats[] = {"png", "svg", "pdf", "dot"};
    const char *dot = strrchr(path, '.');
    for (size_t k = 0; dot && k < sizeof formats / sizeof formats[0]; k++)
        if (!strcmp(dot + 1, formats[k])) return formats[k];
    return NULL;
}

/* Adds a node; an id taken already gets primes (h, h', h'') so ids stay unique. */
static int add_node(struct drawing *d, const char *id, enum draw_kind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int add_node(struct drawing *d, const char *id, enum draw_kind kind, const char *fmt, ...)
{
    struct draw_node *n = &d->nodes[d->n_nodes];
    snprintf(n->id, sizeof n->id, "%s", id);
    while (drawing_find(d, n->id) >= 0 && strlen(n->id) + 2 < sizeof n->id)
        strcat(n->id, "'");
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(n->label, sizeof n->label, "%s%s%s", n->id, what[0] ? " = " : "", what);
    n->kind = kind;
    return d->n_nodes++;
}

static void add_edge(struct drawing *d, int from, int to)
{
    d->edges[d->n_edges++] = (struct draw_edge){from, to};
}

/* Appends "\n(100)": the node's shape. */
static void add_shape(struct draw_node *n, const struct tensor_shape *t)
{
    char shp[64];
    size_t len = strlen(n->label);
    snprintf(n->label + len, sizeof n->label - len, "\\n%s", tensor_shape_format(shp, sizeof shp, t));
}

/* The state of the walk: the node of each layer's output, the parameter layers' count. */
struct walk {
    int *out;         /* (n_layers) */
    int params;       /* parameter layers so far (W1, b1, ...) */
    bool one_hidden;  /* a single activated parameter layer: z and h without a number */
};

/* "z" or "z2" for parameter layer k. */
static void numbered(char *buf, size_t n, const char *letter, int k, bool bare)
{
    if (bare)
        snprintf(buf, n, "%s", letter);
    else
        snprintf(buf, n, "%s%d", letter, k);
}

/* A layer with parameters: W and b, z = W x + b (conv: W * x + b), and h = act(z). */
static void draw_param_layer(struct drawing *d, struct walk *w, const struct experiment *e,
                             const struct model_shape *s, int i, int in)
{
    const struct layer_spec *l = &e->layers[i];
    const struct layer_shape *ls = &s->layers[i];
    bool act = layer_kind_find(l->type)->activates && l->activation != ACTIVATION_IDENTITY;
    int k = ++w->params;
    char wn[16], bn[16], zn[64], hn[64];
    snprintf(wn, sizeof wn, "W%d", k);
    snprintf(bn, sizeof bn, "b%d", k);
    numbered(zn, sizeof zn, "z", k, act && w->one_hidden);
    numbered(hn, sizeof hn, "h", k, w->one_hidden);
    if (l->name) snprintf(act ? hn : zn, sizeof zn, "%s", l->name);
    int wi = add_node(d, wn, DRAW_PARAM, "%s", "");
    int bi = add_node(d, bn, DRAW_PARAM, "%s", "");
    char dims[64];
    struct param_tensor t;
    struct layer probe = {.kind = layer_kind_find(l->type), .spec = l, .shape = ls, .index = i};
    layer_param_tensor(&probe, false, &t, dims, sizeof dims);
    struct tensor_shape tw = {.rank = t.rank};
    for (int r = 0; r < t.rank && r < EXPERIMENT_MAX_RANK; r++)
        tw.dim[r] = (int)t.dims[r];
    if (t.rank <= EXPERIMENT_MAX_RANK) add_shape(&d->nodes[wi], &tw);
    struct tensor_shape tb = {.rank = 1, .dim = {(int)ls->biases}};
    add_shape(&d->nodes[bi], &tb);
    int zi = add_node(d, zn, DRAW_DATA, "%s %s%s + %s", wn, l->type == LAYER_CONV2D ? "* " : "",
                      d->nodes[in].id, bn);
    add_shape(&d->nodes[zi], &ls->out);
    add_edge(d, in, zi), add_edge(d, wi, zi), add_edge(d, bi, zi);
    w->out[i] = zi;
    if (!act) return;
    int hi = add_node(d, hn, DRAW_DATA, "%s(%s)", activation_name(l->activation), d->nodes[zi].id);
    add_shape(&d->nodes[hi], &ls->out);
    add_edge(d, zi, hi);
    w->out[i] = hi;
}

/* A layer without parameters: one node, "y = x + o", "relu(a)", "flatten(h)". */
static void draw_layer(struct drawing *d, struct walk *w, const struct experiment *e,
                       const struct model_shape *s, int i)
{
    const struct graph *g = &s->graph;
    const struct layer_spec *l = &e->layers[i];
    int in[LAYER_MAX_INPUTS];
    for (int k = 0; k < g->n_in[i]; k++)
        in[k] = g->in[i][k] == GRAPH_INPUT ? 0 : w->out[g->in[i][k]];
    if (s->layers[i].weights + s->layers[i].biases > 0) {
        draw_param_layer(d, w, e, s, i, in[0]);
        return;
    }
    char id[64], expr[200] = "";
    if (l->name)
        snprintf(id, sizeof id, "%s", l->name);
    else
        snprintf(id, sizeof id, "%s%d", layer_type_name(l->type), i);
    size_t used = 0;
    const char *sep = l->type == LAYER_ADD ? " + " : ", ";
    for (int k = 0; k < g->n_in[i] && used < sizeof expr; k++) {
        int n = snprintf(expr + used, sizeof expr - used, "%s%s", k ? sep : "", d->nodes[in[k]].id);
        used += n > 0 ? (size_t)n : 0;
    }
    int ni;
    if (l->type == LAYER_ADD)
        ni = add_node(d, id, DRAW_DATA, "%s", expr);
    else if (l->type == LAYER_ACTIVATION)
        ni = add_node(d, id, DRAW_DATA, "%s(%s)", activation_name(l->activation), expr);
    else
        ni = add_node(d, id, DRAW_DATA, "%s(%s)", layer_type_name(l->type), expr);
    add_shape(&d->nodes[ni], &s->layers[i].out);
    for (int k = 0; k < g->n_in[i]; k++)
        add_edge(d, in[k], ni);
    w->out[i] = ni;
}

/* The node of layer `node`'s output (the input for GRAPH_INPUT). */
static int node_of(const struct walk *w, int node)
{
    return node == GRAPH_INPUT ? 0 : w->out[node];
}

/* Term t of train.loss's list form: a loss node named by its name reading its layer's node
 * (and an mse target's); returns its node. */
static int draw_term(struct drawing *d, const struct walk *w, const struct experiment *e, int t)
{
    const struct loss_term *lt = &e->train.terms[t];
    int node = loss_term_node(e, t), v = node_of(w, node >= 0 ? node : e->n_layers - 1);
    const char *vid = d->nodes[v].id;
    char target[80] = "";
    int tnode = -1;
    if (lt->kind == TERM_MSE && lt->target_kind == TARGET_NODE) {
        for (int j = 0; j < e->n_layers && tnode < 0; j++)
            if (e->layers[j].name && !strcmp(e->layers[j].name, lt->target)) tnode = w->out[j];
        snprintf(target, sizeof target, "%s", tnode >= 0 ? d->nodes[tnode].id : lt->target);
    } else if (lt->kind == TERM_MSE) {
        snprintf(target, sizeof target, "%s", lt->target_kind == TARGET_LABELS ? "onehot(labels)"
                                              : lt->target_kind == TARGET_INPUT ? "x" : "s");
        tnode = lt->target_kind == TARGET_INPUT ? 0 : -1;
    }
    int k;
    if (lt->kind == TERM_MSE)
        k = add_node(d, lt->name, DRAW_LOSS, "1/2 ||%s - %s||^2", vid, target);
    else if (lt->kind == TERM_LINEAR)
        k = add_node(d, lt->name, DRAW_LOSS, "r^T %s", vid);
    else if (lt->kind == TERM_L1 || lt->kind == TERM_L2)
        k = add_node(d, lt->name, DRAW_LOSS, "||%s||%s", vid, lt->kind == TERM_L1 ? "_1" : "^2");
    else
        k = add_node(d, lt->name, DRAW_LOSS, "%s(%s, labels)", loss_term_kind_name(lt->kind), vid);
    add_edge(d, v, k);
    if (tnode >= 0) add_edge(d, tnode, k);
    return k;
}

/* The loss L: the scalar form's on the output, or the terms' weighted sum. */
static void draw_loss(struct drawing *d, const struct walk *w, const struct experiment *e,
                      int out)
{
    if (e->train.n_terms == 0) {
        int loss = add_node(d, "L", DRAW_LOSS, "%s(%s, labels)", loss_name(e->train.loss),
                            d->nodes[out].id);
        add_edge(d, out, loss);
        return;
    }
    int terms[LOSS_MAX_TERMS];
    char sum[200] = "";
    size_t used = 0;
    for (int t = 0; t < e->train.n_terms; t++) {
        terms[t] = draw_term(d, w, e, t);
        char wt[32] = "";
        if (e->train.terms[t].weight != 1.0)
            snprintf(wt, sizeof wt, "%g ", e->train.terms[t].weight);
        int n = snprintf(sum + used, sizeof sum - used, "%s%s%s", t ? " + " : "", wt,
                         d->nodes[terms[t]].id);
        used += n > 0 && (size_t)n < sizeof sum - used ? (size_t)n : 0;
    }
    int loss = add_node(d, "L", DRAW_LOSS, "%s", sum);
    for (int t = 0; t < e->train.n_terms; t++)
        add_edge(d, terms[t], loss);
}

int drawing_build(struct drawing *d, const struct experiment *e, const struct model_shape *s)
{
    memset(d, 0, sizeof *d);
    size_t n = (size_t)s->n_layers, terms = (size_t)e->train.n_terms;
    d->nodes = calloc(4 * n + terms + 8, sizeof *d->nodes);
    d->edges = calloc((LAYER_MAX_INPUTS + 4) * n + 3 * terms + 8, sizeof *d->edges);
    struct walk w = {.out = calloc(n ? n : 1, sizeof *w.out)};
    if (!d->nodes || !d->edges || !w.out) {
        free(w.out);
        drawing_free(d);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the graph's drawing");
    }
    int activated = 0;
    for (int i = 0; i < s->n_layers; i++)
        activated += s->layers[i].weights + s->layers[i].biases > 0 &&
                     layer_kind_find(e->layers[i].type)->activates &&
                     e->layers[i].activation != ACTIVATION_IDENTITY;
    w.one_hidden = activated == 1;
    int x = add_node(d, "x", DRAW_DATA, "%s", "");
    add_shape(&d->nodes[x], &s->input);
    for (int o = 0; o < s->n_layers; o++)
        draw_layer(d, &w, e, s, s->graph.order[o]);
    draw_loss(d, &w, e, s->n_layers ? w.out[s->n_layers - 1] : x);
    free(w.out);
    return CLNET_OK;
}
