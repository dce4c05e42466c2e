/* A graph model's executor on the device (model/graph_run.c): what the plan's steps run when
 * its nodes are not the plain stack (model/graph.h, plan.graph). */
#ifndef CLNET_MODEL_GRAPH_RUN_H
#define CLNET_MODEL_GRAPH_RUN_H

#include <stdbool.h>

#include "runtime/runtime.h"

struct model;
struct graph_run;

/* The buffers of m's graph for batches of up to max_batch rows (after the layers' setup). */
int graph_run_open(struct graph_run **r, struct model *m, int max_batch);
void graph_run_free(struct graph_run *r, int n_layers);

/* A forward step's node i, x the model's input (B, F): its output in layer i's out. */
int graph_forward_node(struct model *m, int i, cl_mem x, int batch, bool train);
/* The backward: begin with the loss's gradient dlogits (B, K), or NULL when the loss terms
 * wrote their slots (graph_term_slot), before the first backward step (the parameters the
 * loss does not reach get zero gradients); each backward step's node
 * i; end (the input's gradient into m->input_dx, when the plan asks for it). */
int graph_backward_begin(struct model *m, cl_mem dlogits, int batch);
int graph_backward_node(struct model *m, int i, cl_mem x, int batch);
int graph_backward_end(struct model *m, int batch);
/* Where loss term t (train.loss's list form) writes its gradient: row r of its slot on its node
 * at buf[off + r ld], the node's size wide. */
void graph_term_slot(const struct model *m, int t, cl_mem *buf, size_t *off, int *ld);
/* model_node_grad's (MODEL_NODE_GRADS). */
cl_mem graph_node_grad(const struct model *m, int i);

#endif
