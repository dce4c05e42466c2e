/* SGD (with optional momentum and weight decay) and Adam as torch.optim defines them, each one
 * kernel over the whole arena; Adam's bias corrections are computed here in double. */
#include "optim/optim.h"

#include <math.h>
#include <string.h>

#include "ops/ops.h"
#include "util/status.h"

int optim_init(struct optim *o, struct runtime *rt, const struct optim_spec *spec, size_t n)
{
    memset(o, 0, sizeof *o);
    o->spec = spec;
    o->rt = rt;
    o->n = n;
    if (spec->kind == OPTIM_ADAM) {
        o->n_state = 2;
        o->state_names[0] = "optim.m";
        o->state_names[1] = "optim.v";
    } else if (spec->momentum > 0) {
        o->n_state = 1;
        o->state_names[0] = "optim.velocity";
    }
    int status = CLNET_OK;
    for (int i = 0; i < o->n_state && status == CLNET_OK && n > 0; i++) {
        status = runtime_alloc(rt, &o->state[i], n * sizeof(float), o->state_names[i]);
        if (status == CLNET_OK)
            status = op_fill(rt, o->state[i], 0, n, 0.0f);
    }
    if (status != CLNET_OK)
        optim_free(o);
    return status;
}

void optim_free(struct optim *o)
{
    for (int i = 0; i < 2; i++)
        runtime_free(o->state[i]);
    memset(o, 0, sizeof *o);
}

int optim_step(struct optim *o, cl_mem params, cl_mem grads, double lr)
{
    const struct optim_spec *s = o->spec;
    if (o->n == 0)
        return CLNET_OK;
    o->step++;
    if (s->kind == OPTIM_ADAM) {
        double bc1 = 1.0 - pow(s->beta1, (double)o->step);
        double bc2 = 1.0 - pow(s->beta2, (double)o->step);
        return op_adam_update(o->rt, params, o->state[0], o->state[1], grads, o->n, (float)lr,
                              s->beta1, s->beta2, (float)s->eps,
                              (float)s->weight_decay, (float)bc1, (float)bc2);
    }
    return op_sgd_update(o->rt, params, o->n_state ? o->state[0] : NULL, grads, o->n,
                         (float)lr, (float)s->momentum, (float)s->weight_decay, o->step == 1);
}

bool optim_spec_is_plain_sgd(const struct optim_spec *s)
{
    return s->kind == OPTIM_SGD && s->momentum == 0.0 && s->weight_decay == 0.0;
}

void optim_count_step(struct optim *o)
{
    o->step++;
}

double schedule_lr(const struct train_spec *train, long t)
{
    const struct schedule_spec *s = &train->schedule;
    switch (s->kind) {
    case SCHEDULE_EXP_DECAY:
        return s->lr_min + (s->lr_max - s->lr_min) * exp(-(double)t / s->tau);
    case SCHEDULE_STEP:
        return train->optimizer.lr * pow(s->gamma, (double)(t / s->every));
    case SCHEDULE_CONSTANT:
    default:
        return train->optimizer.lr;
    }
}
