/* A model's computation graph as the homework draws it (question 3 (a)), for `clnet graph`:
 * the input x; each layer with parameters as its pre-activation z = W x + b with its
 * parameters W and b as nodes of their own (numbered W1, b1, W2, ... in the config's order),
 * and its activation h = act(z) when it has one; every other layer as one node, named by its
 * `name:` when it has one; the loss L on the output, or with train.loss's list form each
 * term as a loss node named by its name (S = 1/2 ||y - s||^2, R = r^T h) reading its layer
 * (and an mse target's node: x for the input, s for the clean input), and L their weighted
 * sum. Single-hidden-layer models write z and
 * h without a number, as the homework does. drawing_build is host only (it is tested without
 * Graphviz); drawing_render lays it out and writes it with Graphviz's libgvc
 * (report/graph_render.c), or, in a build without Graphviz, says so
 * (report/graph_render_none.c). */
#ifndef CLNET_REPORT_GRAPH_DRAW_H
#define CLNET_REPORT_GRAPH_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include "config/experiment.h"
#include "model/shape.h"

enum draw_kind { DRAW_DATA, DRAW_PARAM, DRAW_LOSS };

struct draw_node {
    char id[64];      /* "x", "z", "h", "W1", "L": unique in the drawing */
    char label[256];  /* what the node shows: "h = sigmoid(z)\n(100)" */
    enum draw_kind kind;
};

struct draw_edge {
    int from, to; /* node indices */
};

struct drawing {
    int n_nodes, n_edges;
    struct draw_node *nodes;
    struct draw_edge *edges;
};

/* The drawing of e, whose shapes s are inferred. */
int drawing_build(struct drawing *d, const struct experiment *e, const struct model_shape *s);
void drawing_free(struct drawing *d);

/* The node called id, or -1. */
int drawing_find(const struct drawing *d, const char *id);

/* The format path's extension names ("png", "svg", "pdf", "dot"), or NULL for another. */
const char *drawing_format(const char *path);

/* Lays d out (Graphviz's dot) and writes it to path in its extension's format, atomically. A
 * build without Graphviz: CLNET_ERR_USAGE saying so. */
int drawing_render(const struct drawing *d, const char *path);

/* Whether this build can render (it has Graphviz). */
bool drawing_available(void);

#endif
