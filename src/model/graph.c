/* The model's graph (see graph.h): names resolved to nodes, then a topological order. */
#include "model/graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/status.h"

void graph_free(struct graph *g)
{
    free(g->in);
    free(g->n_in);
    free(g->order);
    free(g->n_uses);
    memset(g, 0, sizeof *g);
}

const char *graph_node_name(char *buf, size_t n, const struct experiment *e, int i)
{
    if (i == GRAPH_INPUT)
        snprintf(buf, n, "%s", LAYER_INPUT_NAME);
    else if (e->layers[i].name)
        snprintf(buf, n, "%s", e->layers[i].name);
    else
        snprintf(buf, n, "layer %d", i);
    return buf;
}

char *graph_inputs_format(char *buf, size_t n, const struct experiment *e, const struct graph *g,
                          int i)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < g->n_in[i] && used < n; k++) {
        char name[80];
        int w = snprintf(buf + used, n - used, "%s%s", k ? ", " : "",
                         graph_node_name(name, sizeof name, e, g->in[i][k]));
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

int graph_layer_verror(const struct experiment *e, int i, struct src_pos pos, const char *fmt,
                       va_list ap)
{
    if (!pos.file) pos = e->layers[i].pos;
    if (!pos.file) pos.file = e->path;
    char what[1024];
    vsnprintf(what, sizeof what, fmt, ap);
    return config_errorf_at(pos, "layer %d (%s): %s", i, layer_type_name(e->layers[i].type), what);
}

int graph_layer_error(const struct experiment *e, int i, struct src_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = graph_layer_verror(e, i, pos, fmt, ap);
    va_end(ap);
    return status;
}

/* Every name given once, and never `input` (config/layer_graph.c refuses that already). */
static int check_names(const struct experiment *e)
{
    for (int i = 0; i < e->n_layers; i++)
        for (int j = 0; e->layers[i].name && j < i; j++)
            if (e->layers[j].name && !strcmp(e->layers[i].name, e->layers[j].name))
                return graph_layer_error(e, i, e->layers[i].name_pos,
                                  "name: '%s' is layer %d's name already", e->layers[i].name, j);
    return CLNET_OK;
}

/* The node `from:` name k of layer i refers to, into *node. */
static int resolve(const struct experiment *e, int i, int k, int *node)
{
    const char *want = e->layers[i].from[k];
    if (!strcmp(want, LAYER_INPUT_NAME)) {
        *node = GRAPH_INPUT;
        return CLNET_OK;
    }
    for (int j = 0; j < e->n_layers; j++)
        if (e->layers[j].name && !strcmp(e->layers[j].name, want)) {
            *node = j;
            return CLNET_OK;
        }
    char names[512] = LAYER_INPUT_NAME;
    size_t used = strlen(names);
    for (int j = 0; j < e->n_layers && used < sizeof names; j++)
        if (e->layers[j].name) {
            int w = snprintf(names + used, sizeof names - used, ", %s", e->layers[j].name);
            used += w > 0 ? (size_t)w : 0;
        }
    return graph_layer_error(e, i, e->layers[i].from_pos[k],
                      "from: no layer is named '%s' (the names: %s)", want, names);
}

static int resolve_all(struct graph *g, const struct experiment *e)
{
    g->linear = true;
    for (int i = 0; i < e->n_layers; i++) {
        const struct layer_spec *l = &e->layers[i];
        g->n_in[i] = l->n_from ? l->n_from : 1;
        g->in[i][0] = i - 1; /* the layer before, GRAPH_INPUT for layer 0 */
        for (int k = 0; k < l->n_from; k++) {
            int status = resolve(e, i, k, &g->in[i][k]);
            if (status != CLNET_OK) return status;
        }
        g->linear = g->linear && g->n_in[i] == 1 && g->in[i][0] == i - 1;
        for (int k = 0; k < g->n_in[i]; k++) {
            if (g->in[i][k] == GRAPH_INPUT)
                g->input_uses++;
            else
                g->n_uses[g->in[i][k]]++;
        }
    }
    return CLNET_OK;
}

/* The first input of node i not placed yet, as a slot of in[i]; -1 when i is ready. */
static int unplaced_input(const struct graph *g, const bool *placed, int i)
{
    for (int k = 0; k < g->n_in[i]; k++)
        if (g->in[i][k] != GRAPH_INPUT && !placed[g->in[i][k]]) return k;
    return -1;
}

/* When no node is ready, every node left reads one left: following those from any of them
 * comes back to a node met before. The error names that cycle, at its first node's from:. */
static int cycle_error(const struct graph *g, const struct experiment *e, const bool *placed,
                       int start)
{
    int *walk = malloc(((size_t)g->n + 1) * sizeof *walk);
    if (!walk) return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the graph");
    int len = 0, first = -1;
    for (int node = start; first < 0; node = g->in[node][unplaced_input(g, placed, node)]) {
        for (int j = 0; j < len && first < 0; j++)
            if (walk[j] == node) first = j;
        walk[len++] = node;
    }
    char path[512], name[80];
    size_t used = 0;
    for (int j = first; j < len && used < sizeof path; j++) {
        int w = snprintf(path + used, sizeof path - used, "%s%s", j > first ? " -> " : "",
                         graph_node_name(name, sizeof name, e, walk[j]));
        used += w > 0 ? (size_t)w : 0;
    }
    int at = walk[first];
    free(walk);
    return graph_layer_error(e, at, e->layers[at].from_pos[unplaced_input(g, placed, at)],
                      "from: makes a cycle (%s, each reading the next)", path);
}

/* Kahn's order, taking the first ready node of the config's order each time. */
static int sort(struct graph *g, const struct experiment *e)
{
    bool *placed = calloc((size_t)g->n, sizeof *placed);
    if (!placed) return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the graph");
    for (int done = 0; done < g->n; done++) {
        int next = -1;
        for (int i = 0; i < g->n && next < 0; i++) {
            if (!placed[i] && unplaced_input(g, placed, i) < 0) next = i;
        }
        if (next < 0) {
            int start = 0;
            while (placed[start]) start++;
            int status = cycle_error(g, e, placed, start);
            free(placed);
            return status;
        }
        placed[next] = true;
        g->order[done] = next;
    }
    free(placed);
    return CLNET_OK;
}

int graph_build(struct graph *g, const struct experiment *e)
{
    memset(g, 0, sizeof *g);
    size_t n = e->n_layers > 0 ? (size_t)e->n_layers : 1;
    g->n = e->n_layers;
    g->in = calloc(n, sizeof *g->in);
    g->n_in = calloc(n, sizeof *g->n_in);
    g->order = calloc(n, sizeof *g->order);
    g->n_uses = calloc(n, sizeof *g->n_uses);
    int status = g->in && g->n_in && g->order && g->n_uses
                     ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the graph");
    if (status == CLNET_OK) status = check_names(e);
    if (status == CLNET_OK) status = resolve_all(g, e);
    if (status == CLNET_OK) status = sort(g, e);
    if (status != CLNET_OK) graph_free(g);
    return status;
}
