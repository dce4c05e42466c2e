/* Data-parallel training over MPI ranks (dist/dist.h): how a batch splits over the ranks, the
 * gradients averaged after each step, and a signal the ranks agree on. One process is rank 0
 * of 1, and each of these is then a no-op. (The chunk's losses, summed over the ranks, are
 * chunk.c's.) */
#include "train/trainer.h"

#include <stdlib.h>

#include "dist/dist.h"
#include "util/interrupt.h"
#include "util/status.h"

void ranks_init(struct trainer_ranks *r, int batch)
{
    const struct dist *w = dist_world();
    r->count = w->size;
    r->rows = batch / w->size;
    r->row0 = w->rank * r->rows;
    r->lead = w->rank == 0;
}

int ranks_alloc(struct trainer_ranks *r, size_t params)
{
    if (r->count > 1 && !(r->grad_host = malloc((params ? params : 1) * sizeof(float))))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the gradients");
    return CLNET_OK;
}

/* Each rank's gradient is the mean over its rows; their mean over the ranks is the whole
 * batch's, so every rank applies the same update. One MPI_Allreduce over the whole arena per
 * step. */
int ranks_average_gradients(struct trainer *t)
{
    if (!t->ranks.grad_host)
        return CLNET_OK;
    struct session *s = &t->s;
    size_t n = s->model.n_params;
    float *g = t->ranks.grad_host;
    int status = runtime_download(s->rt, g, s->model.grads, 0, n * sizeof(float));
    if (status == CLNET_OK)
        status = dist_sum_float(g, n);
    float inv = 1.0f / (float)t->ranks.count;
    for (size_t i = 0; i < n && status == CLNET_OK; i++)
        g[i] *= inv;
    if (status == CLNET_OK)
        status = runtime_upload(s->rt, s->model.grads, 0, g, n * sizeof(float));
    return status;
}

/* The signal that stops the run, or 0. Under MPI the ranks agree on it at chunk boundaries
 * only (boundary true), so every rank stops after the same step. */
int ranks_stop_signal(const struct trainer *t, bool boundary)
{
    int sig = interrupt_requested();
    if (t->ranks.count == 1)
        return sig;
    if (!boundary || dist_max_int(&sig, 1) != CLNET_OK)
        return 0;
    return sig;
}

int ranks_share_stop(struct trainer *t)
{
    if (t->ranks.count == 1 || !t->exp->train.has_early_stopping)
        return CLNET_OK;
    int stop = t->best.stop;
    int status = dist_max_int(&stop, 1);
    t->best.stop = stop != 0;
    return status;
}
