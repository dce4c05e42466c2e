/* Optimizers over the whole parameter arena, one kernel launch per step (sgd.c, adam.c share
 * this interface), and the learning-rate schedules (schedule.c). */
#ifndef CLNET_OPTIM_OPTIM_H
#define CLNET_OPTIM_OPTIM_H

#include <stddef.h>

#include "config/experiment.h"
#include "runtime/runtime.h"

struct optim {
    const struct optim_spec *spec;
    struct runtime *rt;
    size_t n;      /* P */
    long step;     /* steps taken, for Adam's bias correction and SGD's first momentum step */
    int n_state;   /* state buffers in use: 0 (plain SGD), 1 (SGD velocity) or 2 (Adam m, v) */
    cl_mem state[2];             /* (P) each */
    const char *state_names[2];  /* "optim.velocity", "optim.m", "optim.v" (checkpoint names) */
};

/* Allocates the state buffers (zeroed) for n parameters. */
int optim_init(struct optim *o, struct runtime *rt, const struct optim_spec *spec, size_t n);
void optim_free(struct optim *o);

/* params -= update(grads) at learning rate lr; one launch. */
int optim_step(struct optim *o, cl_mem params, cl_mem grads, double lr);

/* Plain SGD (no momentum, no weight decay): an update w -= lr g that a model can apply inside
 * its backward pass (the plan's sgd_fused, model/plan.h); optim_count_step then stands for
 * optim_step. */
bool optim_spec_is_plain_sgd(const struct optim_spec *s);
void optim_count_step(struct optim *o);

/* The learning rate at iteration t (from 0). */
double schedule_lr(const struct train_spec *train, long t);

#endif
