/* Opening a trainer: the session (data, device, model), the model's first weights, the
 * optimizer and the sampler, the fast paths this model takes on this device, and the chunk's
 * buffers, all allocated before the first step; and closing it. */
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

/* The fast paths: fused SGD and the dense stack, where the model, the optimizer and the run
 * allow them. */
static int choose_paths(struct trainer *t)
{
    const struct experiment *e = t->exp;
    struct session *s = &t->s;
    int status = CLNET_OK;
    /* Plain SGD on an all-dense model runs inside the backward GEMMs; not where the gradients
     * themselves are needed (averaged across ranks, or written by layer_stats), nor with
     * --fused-sgd 0 (for measurements: the same bits either way). */
    s->model.sgd_fused = status == CLNET_OK && t->opt->fused_sgd &&
                         optim_is_plain_sgd(&t->optim) && t->ranks.count == 1 &&
                         e->train.layer_stats == 0 && layer_dense_fuses_sgd(&s->model);
    s->model.plain_outputs = e->train.layer_stats > 0; /* layer_stats reads them */
    /* The all-dense step in fewer launches, unless layer_stats reads the layers' outputs, or
     * --dense-stack 0 (for measurements and the tests: the same bits either way). */
    if (status == CLNET_OK && t->opt->dense_stack &&
        e->train.layer_stats == 0 && dense_stack_usable(&s->model)) {
        char why[160] = "";
        status = dense_stack_open(&t->stack, &s->model, t->ranks.rows, why, sizeof why);
        if (status == CLNET_OK && !t->stack && t->opt->verbose && !t->opt->quiet)
            printf("%s: the dense stack is off: %s\n", e->name, why);
    }
    return status;
}

int trainer_open(struct trainer *t)
{
    const struct experiment *e = t->exp;
    int status = session_open(&t->s, e, t->opt->device_flag, t->opt->cl_dir);
    if (status != CLNET_OK)
        return status;
    t->batch = e->train.batch_size;
    ranks_init(&t->ranks, t->batch);
    t->s.model.first_row = (uint64_t)t->ranks.row0;
    status = init_weights(&t->s);
    if (status == CLNET_OK)
        status = optim_init(&t->optim, t->s.rt, &e->train.optimizer, t->s.model.n_params);
    if (status == CLNET_OK)
        status = sampler_init(&t->sampler, t->s.train.n, t->batch, e->data.shuffle, e->seed);
    if (status == CLNET_OK)
        status = choose_paths(t);
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
    dense_stack_free(t->stack);
    chunk_close(&t->chunk);
    if (t->optim.rt)
        optim_free(&t->optim);
    sampler_free(&t->sampler);
    free(t->ranks.grad_host);
    session_close(&t->s);
}
