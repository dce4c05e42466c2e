/* Opening a trainer: what the run needs of the model's plan, the session (data, device, the
 * model planned for them), the model's first weights, the optimizer and the sampler, and the
 * chunk's buffers, all allocated before the first step; and closing it. */
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

#include "layers/layer.h"
#include "runtime/quirks.h"
#include "train/layer_stats.h"
#include "util/status.h"

static int init_weights(struct session *s)
{
    size_t n = s->model.n_params;
    float *params = malloc((n ? n : 1) * sizeof *params);
    if (!params)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %zu parameters", n);
    int status = model_init_params(&s->model, params);
    if (status == CLNET_OK)
        status = model_upload_params(&s->model, params);
    free(params);
    return status;
}

int trainer_open(struct trainer *t)
{
    const struct experiment *e = t->exp;
    t->batch = e->train.batch_size;
    ranks_init(&t->ranks, t->batch);
    const struct plan_needs needs = plan_needs_train(e, t->ranks.count, t->ranks.rows,
                                                     t->opt->fused_sgd, t->opt->dense_stack);
    int status = session_open(&t->s, e, t->opt->device_flag, t->opt->cl_dir, &needs);
    if (status != CLNET_OK)
        return status;
    t->s.model.first_row = (uint64_t)t->ranks.row0;
    status = init_weights(&t->s);
    if (status == CLNET_OK)
        status = optim_init(&t->optim, t->s.rt, &e->train.optimizer, t->s.model.n_params);
    if (status == CLNET_OK)
        status = sampler_init(&t->sampler, t->s.train.n, t->batch, e->data.shuffle, e->seed);
    if (status == CLNET_OK && t->opt->verbose && !t->opt->quiet && t->ranks.lead)
        plan_print(stdout, &t->s.model.plan, e);
    if (status == CLNET_OK)
        status = chunk_open(t);
    return status;
}

void trainer_close(struct trainer *t)
{
    quirks_helper_stop(t->cold.helper);
    t->cold.helper = 0;
    if (t->s.rt) /* an index upload may still be pending on an error path */
        runtime_finish(t->s.rt);
    layer_stats_close(t->stats); /* trainer_loop closes it, except when it stops on a divergence */
    chunk_close(&t->chunk);
    if (t->optim.rt)
        optim_free(&t->optim);
    sampler_free(&t->sampler);
    free(t->ranks.grad_host);
    session_close(&t->s);
}
