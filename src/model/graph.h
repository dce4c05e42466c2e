/* The model as a directed acyclic graph: which nodes each layer reads and an order to run
 * them in. A layer's `from:` names the layers (their `name:`) or `input` it reads; without
 * `from:` it reads the layer before it (layer 0: the input), so a config that names nothing
 * is the plain stack, `linear`, and runs exactly as it always did. The model's output is the
 * last layer of the list. Host only, before any device: model/shape.c builds the graph
 * first, and a dangling name, a name given twice or a cycle is a config error at the
 * file:line:col of the name at fault. */
#ifndef CLNET_MODEL_GRAPH_H
#define CLNET_MODEL_GRAPH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/experiment.h"

/* The node number of the model's input in graph.in. */
#define GRAPH_INPUT (-1)

struct graph {
    int n;                         /* nodes: the layers, in the config's order */
    int (*in)[LAYER_MAX_INPUTS];   /* (n): in[i][k] the node layer i reads k-th, or GRAPH_INPUT */
    int *n_in;                     /* (n): how many it reads (at least 1) */
    int *order;                    /* (n): every node after the nodes it reads; among the nodes
                                    * ready at once, the config's order */
    int *n_uses;                   /* (n): the input slots that read node i (a layer reading it
                                    * twice counts twice); GRAPH_INPUT's in input_uses */
    int input_uses;
    bool linear;                   /* layer i reads layer i - 1 alone: the plain stack */
};

/* Resolves e's names into g. On success g owns memory (graph_free); on failure it is left
 * freed and the error is CLNET_ERR_CONFIG "FILE:LINE:COL: layer I (kind): what". */
int graph_build(struct graph *g, const struct experiment *e);
void graph_free(struct graph *g);

/* Node i's name as `from:` writes it: its name:, "input" for GRAPH_INPUT, else "layer I"
 * (which from: cannot name). Returns buf. */
const char *graph_node_name(char *buf, size_t n, const struct experiment *e, int i);

/* Records "FILE:LINE:COL: layer I (kind): what" at pos (a name's place), or at the layer's
 * list entry when pos has no file, or the experiment's path when neither has; returns
 * CLNET_ERR_CONFIG. shape_layer_error is this at the entry. */
int graph_layer_error(const struct experiment *e, int i, struct src_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int graph_layer_verror(const struct experiment *e, int i, struct src_pos pos, const char *fmt,
                       va_list ap);

/* "input, h" for node i's inputs, into buf (always terminated); returns buf. */
char *graph_inputs_format(char *buf, size_t n, const struct experiment *e, const struct graph *g,
                          int i);

#endif
