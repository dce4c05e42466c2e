/* A graph model's passes on the device (model/graph_run.c): what model_forward and
 * model_backward run when the model's layers are not the plain stack (model/graph.h). */
#ifndef CLNET_MODEL_GRAPH_RUN_H
#define CLNET_MODEL_GRAPH_RUN_H

#include <stdbool.h>

#include "runtime/runtime.h"

struct model;
struct graph_run;

/* The buffers of m's graph for batches of up to max_batch rows (after the layers' setup). */
int graph_run_open(struct graph_run **r, struct model *m, int max_batch);
void graph_run_free(struct graph_run *r, int n_layers);

/* model_forward's and model_backward's contracts, for a graph model. */
int graph_forward(struct model *m, cl_mem *logits, cl_mem x, int batch, bool train);
int graph_backward(struct model *m, cl_mem x, cl_mem dlogits, int batch);
/* model_node_grad's (MODEL_NODE_GRADS). */
cl_mem graph_node_grad(const struct model *m, int i);

#endif
