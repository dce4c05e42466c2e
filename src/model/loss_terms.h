/* train.loss's list form resolved against the model's shapes (config/experiment.h's struct
 * loss_term): the layer each term reads, its size, the target layer of an mse term and a
 * linear term's r as floats. A term on an unknown layer, a target or r of the wrong size, a
 * missing r file or tensor, or a classification term on a layer that does not give one score
 * per class is a config error at the file:line:col of the key at fault. Host only. */
#ifndef CLNET_MODEL_LOSS_TERMS_H
#define CLNET_MODEL_LOSS_TERMS_H

#include <stdbool.h>

#include "config/experiment.h"
#include "model/shape.h"

struct term_node {
    int node;   /* the layer whose output v the term reads */
    int size;   /* v's values per row */
    int target; /* mse on a layer: that layer; else -1 */
    float *r;   /* linear: (size) r; else NULL */
};

struct loss_terms {
    int n;
    struct term_node *t; /* (n), in the config's order */
    int classify;        /* the first classification term (accuracy is its node's), or -1 */
};

/* Resolves e's list form (e->train.n_terms > 0) against s. On success out owns memory
 * (loss_terms_free); on failure it is left freed. */
int loss_terms_resolve(struct loss_terms *out, const struct experiment *e,
                       const struct model_shape *s);
void loss_terms_free(struct loss_terms *t);

/* The layer term i of e's list reads: its on:, or the last layer; -1 for a name no layer has
 * (loss_terms_resolve's error). */
int loss_term_node(const struct experiment *e, int i);

#endif
