/* A training step and the step loop. Steps run in chunks (chunk.c) that end at the next
 * progress line, evaluation or checkpoint: a chunk's steps are enqueued without waiting, and
 * the host waits once, at the chunk's end, to read back their losses. */
#include "train/trainer.h"

#include <math.h>

#include "layers/layer.h"
#include "ops/ops.h"
#include "runtime/profile.h"
#include "train/layer_stats.h"
#include "util/interrupt.h"
#include "util/status.h"

/* Forward, loss with its gradient, backward, on the batch gathered into s->x, s->y; the
 * per-row losses and hits go to the step's slots from row `out` of row_loss, row_correct. */
static int forward_loss_backward(struct trainer *t, size_t out)
{
    struct session *s = &t->s;
    const struct model_batch b = {.x = s->x, .labels = s->y, .dz = s->dz,
                                  .row_loss = t->chunk.row_loss,
                                  .row_correct = t->chunk.row_correct, .row_off = out,
                                  .rows = t->ranks.rows, .classes = s->classes,
                                  .loss = (int)t->exp->train.loss, .x_clean = s->x_clean,
                                  .row_terms = t->chunk.row_terms,
                                  .terms_stride = (size_t)t->chunk.max * (size_t)t->ranks.rows};
    return model_train_pass(&s->model, &b); /* the plan's steps, or its dense stack */
}

/* The optimizer over the parameter arena with the gradients averaged over the ranks, or
 * nothing to do when the plan fused the update into the backward pass. */
static int update(struct trainer *t, double lr)
{
    if (t->s.model.plan.sgd_fused.on) {
        optim_count_step(&t->optim);
        return CLNET_OK;
    }
    int status = ranks_average_gradients(t);
    if (status == CLNET_OK)
        status = optim_step(&t->optim, t->s.model.params, t->s.model.grads, lr);
    return status;
}

int trainer_step(struct trainer *t, long iteration, int slot)
{
    struct session *s = &t->s;
    double lr = schedule_lr(&t->exp->train, iteration);
    s->model.step = (uint64_t)iteration;
    s->model.sgd_lr = (float)lr; /* the rate a fused step uses: optim_step's (float)lr */
    runtime_profile_step(s->rt, iteration); /* bench/net_profile's step marks; off: nothing */
    int status = session_gather(s, &s->train, t->chunk.index_dev,
                                (size_t)slot * (size_t)t->batch + (size_t)t->ranks.row0,
                                t->ranks.rows,
                                (uint64_t)iteration * (uint64_t)t->batch + (uint64_t)t->ranks.row0);
    if (status == CLNET_OK)
        status = forward_loss_backward(t, (size_t)slot * (size_t)t->ranks.rows);
    if (status == CLNET_OK)
        status = update(t, lr);
    runtime_profile_step(s->rt, -1);
    return status;
}

/* The progress shown and the run totals after a chunk of steps from iteration it; returns
 * the (loss sum, correct count) of its last step. */
static const float *record(struct trainer *t, struct progress *p, const struct chunk *c, long it)
{
    const struct train_spec *ts = &t->exp->train;
    /* The rate shown: steady-state steps only, as summary.json's iterations_per_second. */
    if (c->cold)
        progress_chunk(p, c->done - 1, c->seconds - t->cold.first_step_train_seconds);
    else
        progress_chunk(p, c->done, c->seconds);
    /* The log_every marks inside a longer chunk (chunk_end), in order, then its end. */
    for (long m = next_multiple(it, ts->log_every); m < it + c->done; m += ts->log_every) {
        const float *a = t->chunk.acc_host + 2 * (m - it - 1);
        progress_update(p, m, a[0] / t->batch, a[1] / t->batch, NAN, schedule_lr(ts, m - 1),
                        false);
    }
    const float *last = t->chunk.acc_host + 2 * (c->done - 1);
    t->sum.iterations = it + c->done;
    t->sum.final_train_loss = last[0] / t->batch;
    return last;
}

static bool due(long it, long every)
{
    return every > 0 && it % every == 0;
}

static int loop_begin(struct trainer *t, struct progress *p)
{
    const struct train_spec *ts = &t->exp->train;
    progress_init(p, t->start, ts->iterations, t->opt->quiet || !t->ranks.lead);
    p->verbose = t->opt->verbose;
    p->batch = t->batch;
    p->train_images = t->s.train.n;
    p->eval_every = ts->eval_every;
    summary_startup(t);
    if (sampler_state_size() > TRAIN_SAMPLER_STATE_MAX)
        return clnet_errorf(CLNET_ERR_INTERNAL, "sampler state larger than expected");
    if (ts->layer_stats == 0 || !t->ranks.lead)
        return CLNET_OK;
    char *path = run_path(t->run.dir, "layer_stats.csv");
    int status = path ? layer_stats_open(&t->stats, &t->s.model, t->ranks.rows, path, t->start)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(path);
    return status;
}

/* The loop has ended at iteration it, after the signal sig or none (0): a run stopped before
 * its end leaves a checkpoint (unless the last one is of it) and says how to resume. */
static int loop_end(struct trainer *t, struct progress *p, int status, int sig, long it,
                    long saved)
{
    progress_end(p);
    int st = layer_stats_close(t->stats);
    t->stats = NULL;
    status = status ? status : st;
    if (!sig && t->ranks.count == 1)
        sig = interrupt_requested(); /* it stopped inside a chunk */
    if (status != CLNET_OK || !sig || it >= t->exp->train.iterations)
        return status;
    if (saved != it)
        status = checkpoint_write(t, it);
    if (status == CLNET_OK)
        status = clnet_errorf(CLNET_ERR_INTERRUPTED, "%s: stopped by %s at iteration %ld of "
                              "%ld; checkpoint written: the same command resumes", t->exp->name,
                              interrupt_signal_name(sig), it, t->exp->train.iterations);
    return status;
}

int trainer_loop(struct trainer *t)
{
    const struct train_spec *ts = &t->exp->train;
    struct progress p;
    long it = t->start, saved = -1;
    int sig = 0, status = loop_begin(t, &p);
    /* The curves start at iteration 0: the weights before the first step, evaluated. */
    if (status == CLNET_OK && it == 0 && t->ranks.lead)
        status = evaluate_at(t, 0, NULL, &p);
    while (it < ts->iterations && !t->best.stop && status == CLNET_OK &&
           !(sig = ranks_stop_signal(t, true))) {
        struct chunk c;
        status = chunk_begin(t, &c, it); /* its batches drawn and their indices uploaded */
        for (; c.done < c.steps && status == CLNET_OK && !ranks_stop_signal(t, false); c.done++) {
            /* gather the batch, forward, loss, backward, update */
            status = trainer_step(t, it + c.done, c.done);
            if (status == CLNET_OK && isnan(t->sum.first_step_seconds))
                status = cold_start_first_step(t, &p, c.t0);
        }
        status = chunk_end(t, &c, status); /* one wait: the steps' losses read back */
        if (status != CLNET_OK || c.done == 0)
            break;
        if (chunk_diverged(t, &c))
            return chunk_diagnose(t, it, c.done);
        const float *last = record(t, &p, &c, it);
        it += c.done;
        /* Every N steps: layer statistics (before an evaluation overwrites the layer outputs
         * of the last step), evaluation, checkpoint; the last step does the last two. */
        if (due(it, ts->layer_stats) && t->ranks.lead)
            status = layer_stats_record(t->stats, &t->s.model, it);
        bool final = it == ts->iterations, evaluating = due(it, ts->eval_every) || final;
        if (status == CLNET_OK && t->ranks.lead && evaluating)
            status = evaluate_at(t, it, last, &p);
        else
            progress_update(&p, it, last[0] / t->batch, last[1] / t->batch, NAN,
                            schedule_lr(ts, it - 1), false);
        if (status == CLNET_OK && evaluating)
            status = ranks_share_stop(t); /* early stopping: every rank ends here, or none */
        final = final || t->best.stop;
        if (status == CLNET_OK && (due(it, ts->checkpoint_every) || final)) {
            status = checkpoint_write(t, it);
            saved = it;
            if (status == CLNET_OK && t->opt->verbose)
                progress_note(&p, "%s: checkpoint at iteration %ld: %s/checkpoint.bin",
                              t->exp->name, it, t->run.dir);
        }
    }
    return loop_end(t, &p, status, sig, it, saved);
}
