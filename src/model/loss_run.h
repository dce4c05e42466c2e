/* The device buffers of train.loss's list form (model/loss_run.c): the weights, each linear
 * term's r, a second classification term's hits. model_loss_terms (model.h) runs them. */
#ifndef CLNET_MODEL_LOSS_RUN_H
#define CLNET_MODEL_LOSS_RUN_H

struct model;
struct loss_run;

/* For m's resolved terms (m->terms) and batches of up to max_batch rows. */
int loss_run_open(struct loss_run **out, struct model *m, int max_batch);
void loss_run_free(struct loss_run *r, int n_terms);

#endif
