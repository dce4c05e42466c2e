/* Chunks of steps: the chunk's batch indices go to the device in one copy, its steps are
 * enqueued without waiting, and one read of the per-step loss slots ends it. A non-finite
 * loss replays the chunk step by step from a snapshot taken at its start, to name the
 * iteration and the first layer whose output went non-finite. Chunking changes no result:
 * every step runs the same kernels either way. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>

#include "dist/dist.h"
#include "layers/layer.h"
#include "ops/ops.h"
#include "util/status.h"

/* The next chunks' length: as many log_every multiples as run in about TRAIN_CHUNK_SECONDS at
 * the last chunk's pace, at least log_every, at most chunk.max (one process; MPI ranks keep
 * log_every). Each chunk ends in one blocking read, a round trip to the device's threads
 * (0.1-0.3 ms on PoCL here: q4_i trained 25% faster with chunks of 100 steps than of 10), so
 * fast steps run in longer chunks; the progress line then moves once a chunk (a few times a
 * second) rather than every log_every steps. */
#define TRAIN_CHUNK_SECONDS 0.2
#define TRAIN_CHUNK_MAX 100
static void adapt_chunk(struct trainer *t, double step_seconds)
{
    if (t->ranks.count > 1) /* ranks must agree on every chunk's end: keep log_every's */
        return;
    long every = t->exp->train.log_every, cap = t->chunk.max / every * every;
    long n = step_seconds > 0 ? (long)(TRAIN_CHUNK_SECONDS / step_seconds) / every * every : cap;
    if (n > cap)
        n = cap;
    t->chunk.length = n > every ? n : every;
}

long next_multiple(long t, long every)
{
    return every > 0 ? (t / every + 1) * every : -1;
}

int chunk_open(struct trainer *t)
{
    const struct train_spec *ts = &t->exp->train;
    struct trainer_chunks *c = &t->chunk;
    struct runtime *rt = t->s.rt;
    /* Chunks of up to TRAIN_CHUNK_MAX steps (adapt_chunk), or log_every if longer; they end at
     * every evaluation anyway. */
    c->max = ts->log_every > TRAIN_CHUNK_MAX ? ts->log_every : TRAIN_CHUNK_MAX;
    if (ts->eval_every < c->max)
        c->max = ts->eval_every;
    c->length = ts->log_every < c->max ? ts->log_every : c->max;
    size_t idx = (size_t)c->max * (size_t)t->batch, n = t->s.model.n_params;
    c->index = malloc(idx * sizeof *c->index);
    c->acc_host = malloc((size_t)c->max * 2 * sizeof *c->acc_host);
    int status = c->index && c->acc_host ? CLNET_OK
                                         : clnet_errorf(CLNET_ERR_NOMEM,
                                                        "out of host memory for batch indices");
    if (status == CLNET_OK)
        status = ranks_alloc(&t->ranks, n);
    if (status == CLNET_OK)
        status = runtime_alloc(rt, &c->index_dev, idx * sizeof *c->index, "batch indices");
    if (status == CLNET_OK)
        status = runtime_alloc(rt, &c->acc, (size_t)c->max * 2 * sizeof(float), "step losses");
    size_t rows = (size_t)c->max * (size_t)t->ranks.rows * sizeof(float);
    if (status == CLNET_OK)
        status = runtime_alloc(rt, &c->row_loss, rows, "per-row losses of a chunk");
    if (status == CLNET_OK)
        status = runtime_alloc(rt, &c->row_correct, rows, "per-row hits of a chunk");
    size_t terms = (size_t)t->s.model.terms.n;
    if (status == CLNET_OK && terms > 0)
        status = runtime_alloc(rt, &c->row_terms, rows * terms, "the loss terms' rows of a chunk");
    if (status == CLNET_OK && terms > 0)
        status = runtime_alloc(rt, &c->terms_acc, terms * 2 * sizeof(float), "the terms' sums");
    if (status == CLNET_OK && terms > 0 && !(c->terms_host = calloc(terms * 2, sizeof(float))))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the terms' sums");
    for (int i = 0; i < 1 + t->optim.n_state && status == CLNET_OK && n > 0; i++)
        status = runtime_alloc(rt, &c->snapshot[i], n * sizeof(float),
                               "a snapshot for divergence replay");
    return status;
}

void chunk_close(struct trainer_chunks *c)
{
    runtime_free(c->index_dev);
    runtime_free(c->acc);
    runtime_free(c->row_loss);
    runtime_free(c->row_correct);
    runtime_free(c->row_terms);
    runtime_free(c->terms_acc);
    free(c->terms_host);
    for (int i = 0; i < 3; i++)
        runtime_free(c->snapshot[i]);
    free(c->index);
    free(c->acc_host);
}

/* The parameters and optimizer state copied to the snapshot, or back from it (restore). */
static int snapshot(struct trainer *t, bool restore)
{
    struct session *s = &t->s;
    size_t bytes = s->model.n_params * sizeof(float);
    cl_mem live[3] = {s->model.params, t->optim.state[0], t->optim.state[1]};
    int status = restore ? CLNET_OK : model_params_sync(&s->model);
    if (restore) model_params_written(&s->model);
    for (int i = 0; i < 1 + t->optim.n_state && status == CLNET_OK && bytes > 0; i++)
        status = restore ? op_copy(s->rt, live[i], t->chunk.snapshot[i], bytes)
                         : op_copy(s->rt, t->chunk.snapshot[i], live[i], bytes);
    return status;
}

int chunk_begin(struct trainer *t, struct chunk *c, long it)
{
    const struct train_spec *ts = &t->exp->train;
    long end = ts->iterations;
    long marks[4] = {next_multiple(it, t->chunk.length), next_multiple(it, ts->eval_every),
                     next_multiple(it, ts->checkpoint_every), next_multiple(it, ts->layer_stats)};
    for (int i = 0; i < 4; i++)
        if (marks[i] > 0 && marks[i] < end)
            end = marks[i];
    c->first = it;
    c->steps = (int)(end - it);
    c->done = 0;
    c->t0 = clock_seconds();
    c->cold = isnan(t->sum.first_step_seconds); /* this chunk runs the first step */
    sampler_state_save(&t->sampler, c->sampler);
    for (int k = 0; k < c->steps; k++)
        sampler_next(&t->sampler, t->chunk.index + (size_t)k * (size_t)t->batch);
    /* Not waited for: chunk.index is next written after this chunk's blocking download. */
    int status = runtime_upload_async(t->s.rt, t->chunk.index_dev, 0, t->chunk.index,
                                      (size_t)c->steps * (size_t)t->batch * sizeof(int32_t));
    if (status == CLNET_OK)
        status = snapshot(t, false);
    return status;
}

/* Whether steps.csv goes to disk after chunk c: when a checkpoint may follow it (its mark,
 * the run's end, a stop inside it), so that a resume finds the rows the checkpoint holds. */
static bool synced(const struct trainer *t, const struct chunk *c)
{
    const struct train_spec *ts = &t->exp->train;
    long end = c->first + c->done;
    return c->done < c->steps || end == ts->iterations ||
           (ts->checkpoint_every > 0 && end % ts->checkpoint_every == 0);
}

/* Each loss term's sums over the rows of the chunk's last step (done > 0) into terms_host,
 * summed over the ranks. */
static int last_step_terms(struct trainer *t, int done)
{
    struct trainer_chunks *ch = &t->chunk;
    int n = t->s.model.terms.n, status = CLNET_OK;
    size_t rows = (size_t)t->ranks.rows, stride = (size_t)ch->max * rows;
    for (int k = 0; k < n && status == CLNET_OK; k++)
        status = op_loss_reduce(t->s.rt, ch->terms_acc, k, 1, ch->row_terms, ch->row_terms,
                                (size_t)k * stride + (size_t)(done - 1) * rows, t->ranks.rows);
    if (status == CLNET_OK && n > 0)
        status = runtime_download(t->s.rt, ch->terms_host, ch->terms_acc, 0,
                                  (size_t)n * 2 * sizeof *ch->terms_host);
    if (status == CLNET_OK && n > 0)
        status = dist_sum_float(ch->terms_host, (size_t)n * 2);
    return status;
}

int chunk_end(struct trainer *t, struct chunk *c, int status)
{
    struct trainer_chunks *ch = &t->chunk;
    int done = c->done;
    if (status == CLNET_OK && done < c->steps) {
        /* Interrupted inside the chunk: give back the batches it did not train on (redrawn
         * into chunk.index once the upload of the chunk's indices has surely run). */
        status = runtime_finish(t->s.rt);
        if (status == CLNET_OK)
            status = sampler_state_load(&t->sampler, c->sampler, sampler_state_size());
        for (int k = 0; k < done && status == CLNET_OK; k++)
            status = sampler_next(&t->sampler, ch->index + (size_t)k * (size_t)t->batch);
    }
    if (status == CLNET_OK && done > 0)
        status = op_loss_reduce(t->s.rt, ch->acc, 0, done, ch->row_loss, ch->row_correct, 0,
                                t->ranks.rows);
    if (status == CLNET_OK && done > 0)
        status = runtime_download(t->s.rt, ch->acc_host, ch->acc, 0,
                                  (size_t)done * 2 * sizeof *ch->acc_host);
    if (status == CLNET_OK && done > 0) /* each rank summed its rows: the batch's sums */
        status = dist_sum_float(ch->acc_host, (size_t)done * 2);
    for (int k = 0; k < done && !experiment_classifies(t->exp); k++)
        ch->acc_host[2 * k + 1] = NAN; /* no accuracy without a classification term */
    if (status == CLNET_OK && done > 0)
        status = last_step_terms(t, done);
    if (status == CLNET_OK && done > 0 && t->ranks.lead)
        status = run_plots_steps(&t->plots, c->first, ch->acc_host, done, t->batch,
                                 synced(t, c));
    c->seconds = clock_seconds() - c->t0;
    t->sum.train_seconds += c->seconds;
    if (status == CLNET_OK && done > 0)
        adapt_chunk(t, c->seconds / done);
    return status;
}

bool chunk_diverged(const struct trainer *t, const struct chunk *c)
{
    for (int k = 0; k < c->done; k++)
        if (!isfinite(t->chunk.acc_host[2 * k]))
            return true;
    return false;
}

/* The loss's name, or its terms' names ("the terms S, R") for train.loss's list form. */
static const char *loss_what(const struct experiment *e, char *buf, size_t cap)
{
    if (e->train.n_terms == 0)
        return loss_name(e->train.loss);
    size_t n = (size_t)snprintf(buf, cap, "the terms");
    for (int i = 0; i < e->train.n_terms && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s %s", i ? "," : "", e->train.terms[i].name);
    return buf;
}

/* The error of a divergence found at iteration `iteration`, loss `loss`, on replay. */
static int diverged(struct trainer *t, long iteration, float loss)
{
    int layer = -1;
    int status = model_first_nonfinite_layer(&t->s.model, &layer, t->ranks.rows);
    if (status != CLNET_OK)
        return status;
    char where[256], terms[128];
    if (layer >= 0)
        snprintf(where, sizeof where, "first non-finite output: layer %d (%s)", layer,
                 layer_type_name(t->exp->layers[layer].type));
    else
        snprintf(where, sizeof where, "every layer's output is finite: the loss (%s) "
                 "overflowed", loss_what(t->exp, terms, sizeof terms));
    t->sum.iterations = iteration;
    return clnet_errorf(CLNET_ERR_DIVERGED, "%s: loss became %s at iteration %ld; %s",
                        t->exp->name, isnan(loss) ? "NaN" : "infinite", iteration, where);
}

/* The chunk [first, first + steps) had a non-finite loss: replay it from the snapshot, one
 * synchronised step at a time, and report where it went wrong. */
int chunk_diagnose(struct trainer *t, long first, int steps)
{
    struct session *s = &t->s;
    struct trainer_chunks *ch = &t->chunk;
    long step0 = t->optim.step - steps;
    int status = snapshot(t, true);
    t->optim.step = step0;
    /* Every layer's output kept as (B, O) rows, for model_first_nonfinite_layer: off the dense
     * stack, which gives the same bits. */
    struct plan_needs needs = s->model.plan.needs;
    needs.outputs_read_by = "the divergence replay";
    if (status == CLNET_OK)
        status = model_replan(&s->model, &needs);
    for (int k = 0; k < steps && status == CLNET_OK; k++) {
        status = trainer_step(t, first + k, k);
        float a[2];
        if (status == CLNET_OK)
            status = op_loss_reduce(s->rt, ch->acc, k, 1, ch->row_loss, ch->row_correct,
                                    (size_t)k * (size_t)t->ranks.rows, t->ranks.rows);
        if (status == CLNET_OK)
            status = runtime_download(s->rt, a, ch->acc, (size_t)k * 2 * sizeof(float), sizeof a);
        if (status == CLNET_OK)
            status = dist_sum_float(a, 2);
        if (status == CLNET_OK && !isfinite(a[0]))
            return diverged(t, first + k + 1, a[0]);
    }
    if (status == CLNET_OK)
        status = clnet_errorf(CLNET_ERR_DIVERGED, "%s: loss became non-finite in iterations "
                              "%ld..%ld but not when replayed (a non-deterministic kernel?)",
                              t->exp->name, first + 1, first + steps);
    return status;
}
