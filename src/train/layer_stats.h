/* Per-layer statistics (train.layer_stats: N): right after every N-th step, each layer's output
 * on that step's batch, the step's parameter gradients and the weights after its update are
 * read back to the host and summarised in layer_stats.csv, one row per layer and parameter
 * tensor, flushed per record. It makes visible what the homework's questions 2 and 4 (vii),
 * (x) are about: ReLU zeroing whole rows of weight gradients (a unit dead on the whole batch)
 * and zero-initialised units that stay identical. The trainer opens it only when N > 0, so
 * nothing is allocated or read back otherwise. */
#ifndef CLNET_TRAIN_LAYER_STATS_H
#define CLNET_TRAIN_LAYER_STATS_H

#include "model/model.h"

struct layer_stats;

/* Opens path and the host buffers for a model trained on batches of `batch` rows. A run that
 * starts at iteration 0 writes a new file with its header line; a resumed one (start > 0)
 * keeps the existing file's header and records up to iteration `start` and appends. */
int layer_stats_open(struct layer_stats **ls, const struct model *m, int batch, const char *path,
                     long start);

/* Reads the model's layer outputs (first `batch` rows), gradients and parameters back and
 * appends one record for `iteration` (steps done). Call it after a step and before anything
 * else runs a forward pass (an evaluation overwrites the layer outputs). */
int layer_stats_record(struct layer_stats *ls, struct model *m, long iteration);

/* Closes the file (reporting a failed write) and frees everything; safe on NULL. */
int layer_stats_close(struct layer_stats *ls);

/* layer_stats.png is drawn from the file by report/layer_stats_plot.c (report/plot.h). */

#endif
