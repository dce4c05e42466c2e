/* The training loop. Steps run in chunks that end at the next progress line, evaluation or
 * checkpoint: the chunk's batch indices go to the device in one copy, its steps are enqueued
 * without waiting, and one read of the per-step loss slots ends it. A non-finite loss replays
 * the chunk step by step from a snapshot taken at its start, to name the iteration and the
 * first layer whose output went non-finite. */
#define _GNU_SOURCE
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "data/sampler.h"
#include "model/checkpoint.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "report/report.h"
#include "train/session.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/status.h"

struct trainer {
    struct session s;
    const struct experiment *exp;
    const struct train_options *opt;
    struct optim optim;
    struct sampler sampler;
    int batch;          /* B */
    long chunk_max;     /* S: most steps in one chunk */
    int32_t *index;     /* (S, B) host indices of the chunk */
    cl_mem index_dev;   /* (S, B) */
    cl_mem acc;         /* (S, 2) loss sum and correct count of each step */
    float *acc_host;    /* (S, 2) */
    cl_mem snapshot[3]; /* params and optimizer state at the chunk start */
    char *dir;
    uint64_t config_hash;
    struct run_summary sum;
    double train_seconds, eval_seconds;
};

static int step(struct trainer *t, long iteration, int slot, bool train)
{
    struct session *s = &t->s;
    cl_mem logits;
    int b = t->batch;
    s->model.step = (uint64_t)iteration;
    int status = op_gather_batch(s->rt, s->x, s->y, s->train.images, s->train.labels,
                                 t->index_dev, (size_t)slot * (size_t)b, b, s->features,
                                 s->train.n);
    if (status == CLNET_OK)
        status = model_forward(&s->model, &logits, s->x, b, train);
    if (status == CLNET_OK)
        status = op_loss_forward_backward(s->rt, s->dz, s->row_loss, s->row_correct, logits,
                                          s->y, b, s->classes, t->exp->train.loss);
    if (status == CLNET_OK)
        status = op_loss_reduce(s->rt, t->acc, slot, s->row_loss, s->row_correct, b);
    if (status == CLNET_OK)
        status = model_backward(&s->model, s->x, s->dz, b);
    if (status == CLNET_OK)
        status = optim_step(&t->optim, s->model.params, s->model.grads,
                            schedule_lr(&t->exp->train, iteration));
    return status;
}

static int snapshot(struct trainer *t, bool restore)
{
    struct session *s = &t->s;
    size_t bytes = s->model.n_params * sizeof(float);
    cl_mem live[3] = {s->model.params, t->optim.state[0], t->optim.state[1]};
    int status = CLNET_OK;
    for (int i = 0; i < 1 + t->optim.n_state && status == CLNET_OK && bytes > 0; i++)
        status = restore ? op_copy(s->rt, live[i], t->snapshot[i], bytes)
                         : op_copy(s->rt, t->snapshot[i], live[i], bytes);
    return status;
}

/* The chunk [first, first + steps) had a non-finite loss: replay it from the snapshot, one
 * synchronised step at a time, and report where it went wrong. */
static int diagnose(struct trainer *t, long first, int steps)
{
    struct session *s = &t->s;
    long step0 = t->optim.step - steps;
    int status = snapshot(t, true);
    t->optim.step = step0;
    for (int k = 0; k < steps && status == CLNET_OK; k++) {
        status = step(t, first + k, k, true);
        float a[2];
        if (status == CLNET_OK)
            status = runtime_download(s->rt, a, t->acc, (size_t)k * 2 * sizeof(float), sizeof a);
        if (status != CLNET_OK || isfinite(a[0]))
            continue;
        int layer = -1;
        status = model_first_nonfinite_layer(&s->model, &layer, t->batch);
        if (status != CLNET_OK)
            return status;
        char where[128];
        if (layer >= 0)
            snprintf(where, sizeof where, "first non-finite output: layer %d (%s)", layer,
                     layer_type_name(t->exp->layers[layer].type));
        else
            snprintf(where, sizeof where, "every layer's output is finite: the loss (%s) "
                     "overflowed", loss_name(t->exp->train.loss));
        t->sum.iterations = first + k + 1;
        return clnet_errorf(CLNET_ERR_DIVERGED, "%s: loss became %s at iteration %ld; %s",
                            t->exp->name, isnan(a[0]) ? "NaN" : "infinite", first + k + 1, where);
    }
    if (status == CLNET_OK)
        status = clnet_errorf(CLNET_ERR_DIVERGED, "%s: loss became non-finite in iterations "
                              "%ld..%ld but not when replayed (a non-deterministic kernel?)",
                              t->exp->name, first + 1, first + steps);
    return status;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return NULL;
    return p;
}

static int save_checkpoint(struct trainer *t, long iteration)
{
    struct session *s = &t->s;
    size_t n = s->model.n_params;
    float *host = malloc((1 + (size_t)t->optim.n_state) * (n ? n : 1) * sizeof *host);
    unsigned char sampler_state[256];
    if (!host || sampler_state_size() > sizeof sampler_state) {
        free(host);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a checkpoint");
    }
    sampler_state_save(&t->sampler, sampler_state);
    int status = model_download_params(&s->model, host);
    struct checkpoint_blob blobs[4] = {
        {"params", "F32", host, n * sizeof *host, (int64_t)n},
    };
    int nb = 1;
    for (int i = 0; i < t->optim.n_state && status == CLNET_OK; i++, nb++) {
        status = runtime_download(s->rt, host + (size_t)(i + 1) * n, t->optim.state[i], 0,
                                  n * sizeof *host);
        blobs[nb] = (struct checkpoint_blob){t->optim.state_names[i], "F32",
                                             host + (size_t)(i + 1) * n, n * sizeof *host,
                                             (int64_t)n};
    }
    blobs[nb++] = (struct checkpoint_blob){"sampler", "U8", sampler_state, sampler_state_size(),
                                           (int64_t)sampler_state_size()};
    char *path = path_in(t->dir, "checkpoint.bin");
    if (status == CLNET_OK)
        status = path ? checkpoint_save(path, iteration, t->config_hash, blobs, nb)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(path);
    free(host);
    return status;
}

static int save_weights(struct trainer *t)
{
    struct session *s = &t->s;
    float *host = malloc((s->model.n_params ? s->model.n_params : 1) * sizeof *host);
    char *path = path_in(t->dir, "model.safetensors");
    int status = host && path ? model_download_params(&s->model, host)
                              : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = model_save_safetensors(&s->model, host, path);
    free(host);
    free(path);
    return status;
}

static int evaluate(struct trainer *t, long iteration, const float *last_step, FILE *metrics,
                    struct progress *p, double images_per_second)
{
    bool full = t->exp->train.eval_train == EVAL_TRAIN_FULL;
    double t0 = clock_seconds(), loss, acc, full_loss = NAN, full_acc = NAN;
    int status = session_evaluate(&t->s, &t->s.test, &loss, &acc);
    if (status == CLNET_OK && full)
        status = session_evaluate(&t->s, &t->s.train, &full_loss, &full_acc);
    t->eval_seconds += clock_seconds() - t0;
    if (status != CLNET_OK)
        return status;
    struct metrics_row row = {
        .iteration = iteration,
        .lr = schedule_lr(&t->exp->train, iteration - 1),
        .train_loss = last_step[0] / t->batch,
        .train_acc = last_step[1] / t->batch,
        .test_loss = loss,
        .test_acc = acc,
        .full_train_loss = full_loss,
        .full_train_acc = full_acc,
    };
    t->sum.final_test_accuracy = acc;
    t->sum.final_test_loss = loss;
    t->sum.final_train_loss = row.train_loss;
    if (acc > t->sum.best_test_accuracy || isnan(t->sum.best_test_accuracy))
        t->sum.best_test_accuracy = acc;
    progress_update(p, iteration, row.train_loss, row.train_acc, acc, row.lr, images_per_second,
                    true);
    return metrics_write(metrics, &row, full);
}

static long next_multiple(long t, long every)
{
    return every > 0 ? (t / every + 1) * every : -1;
}

static int run_loop(struct trainer *t, FILE *metrics)
{
    const struct train_spec *ts = &t->exp->train;
    struct progress p;
    progress_init(&p, ts->iterations, t->opt->quiet);
    t->sum.startup_seconds = clock_seconds() - t->opt->process_start;
    int status = CLNET_OK;
    for (long it = 0; it < ts->iterations && status == CLNET_OK;) {
        long end = ts->iterations;
        long marks[3] = {next_multiple(it, ts->log_every), next_multiple(it, ts->eval_every),
                         next_multiple(it, ts->checkpoint_every)};
        for (int i = 0; i < 3; i++)
            if (marks[i] > 0 && marks[i] < end)
                end = marks[i];
        int steps = (int)(end - it);
        double t0 = clock_seconds();
        for (int k = 0; k < steps; k++)
            sampler_next(&t->sampler, t->index + (size_t)k * (size_t)t->batch);
        status = runtime_upload(t->s.rt, t->index_dev, 0, t->index,
                                (size_t)steps * (size_t)t->batch * sizeof *t->index);
        if (status == CLNET_OK)
            status = snapshot(t, false);
        for (int k = 0; k < steps && status == CLNET_OK; k++)
            status = step(t, it + k, k, true);
        if (status == CLNET_OK)
            status = runtime_download(t->s.rt, t->acc_host, t->acc, 0,
                                      (size_t)steps * 2 * sizeof *t->acc_host);
        t->train_seconds += clock_seconds() - t0;
        if (status != CLNET_OK)
            break;
        for (int k = 0; k < steps; k++)
            if (!isfinite(t->acc_host[2 * k]))
                return diagnose(t, it, steps);
        it = end;
        const float *last = t->acc_host + 2 * (steps - 1);
        double ips = (double)it * t->batch / t->train_seconds;
        t->sum.iterations = it;
        t->sum.final_train_loss = last[0] / t->batch;
        if (it % ts->eval_every == 0 || it == ts->iterations)
            status = evaluate(t, it, last, metrics, &p, ips);
        else
            progress_update(&p, it, last[0] / t->batch, last[1] / t->batch, NAN,
                            schedule_lr(ts, it - 1), ips, false);
        if (status == CLNET_OK && ((ts->checkpoint_every > 0 && it % ts->checkpoint_every == 0) ||
                                   it == ts->iterations))
            status = save_checkpoint(t, it);
    }
    progress_end(&p);
    return status;
}

static int trainer_open(struct trainer *t)
{
    const struct experiment *e = t->exp;
    int status = session_open(&t->s, e, t->opt->device_flag, t->opt->cl_dir);
    if (status != CLNET_OK)
        return status;
    struct session *s = &t->s;
    t->batch = e->train.batch_size;
    t->chunk_max = e->train.log_every;
    if (e->train.eval_every < t->chunk_max)
        t->chunk_max = e->train.eval_every;
    size_t n = s->model.n_params;
    float *params = malloc((n ? n : 1) * sizeof *params);
    if (!params)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %zu parameters", n);
    status = model_init_params(&s->model, params);
    if (status == CLNET_OK)
        status = model_upload_params(&s->model, params);
    free(params);
    if (status == CLNET_OK)
        status = optim_init(&t->optim, s->rt, &e->train.optimizer, n);
    if (status == CLNET_OK)
        status = sampler_init(&t->sampler, s->train.n, t->batch, e->data.shuffle, e->seed);
    size_t idx = (size_t)t->chunk_max * (size_t)t->batch;
    t->index = malloc(idx * sizeof *t->index);
    t->acc_host = malloc((size_t)t->chunk_max * 2 * sizeof *t->acc_host);
    if (status == CLNET_OK && (!t->index || !t->acc_host))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for batch indices");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->index_dev, idx * sizeof *t->index);
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->acc, (size_t)t->chunk_max * 2 * sizeof(float));
    for (int i = 0; i < 1 + t->optim.n_state && status == CLNET_OK && n > 0; i++)
        status = runtime_alloc(s->rt, &t->snapshot[i], n * sizeof(float));
    return status;
}

static void trainer_close(struct trainer *t)
{
    runtime_free(t->index_dev);
    runtime_free(t->acc);
    for (int i = 0; i < 3; i++)
        runtime_free(t->snapshot[i]);
    if (t->optim.rt)
        optim_free(&t->optim);
    sampler_free(&t->sampler);
    free(t->index);
    free(t->acc_host);
    session_close(&t->s);
    free(t->dir);
}

/* The resolved config's bytes, hashed: what a checkpoint belongs to. */
static int config_hash(const struct experiment *e, uint64_t *hash)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int status = config_write_resolved(e, f);
    fclose(f);
    *hash = hash_bytes(text, len, HASH_SEED);
    free(text);
    return status;
}

int train_run(const struct experiment *e, const struct train_options *o)
{
    if (!e->has_train)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: nothing to train: the config has no train: "
                            "section (use clnet eval for a hand-set model)", e->path);
    struct trainer t = {.exp = e, .opt = o};
    t.sum = (struct run_summary){.name = e->name, .status = RUN_FAILED,
                                 .final_test_accuracy = NAN, .best_test_accuracy = NAN,
                                 .final_test_loss = NAN, .final_train_loss = NAN};
    if (o->out_dir)
        t.dir = strdup(o->out_dir);
    else if (asprintf(&t.dir, "runs/%s", e->name) < 0)
        t.dir = NULL;
    if (!t.dir)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    char *config_path = path_in(t.dir, "config.yaml");
    char *metrics_path = path_in(t.dir, "metrics.csv");
    char *summary_path = path_in(t.dir, "summary.json");
    FILE *metrics = NULL;
    int status = config_path && metrics_path && summary_path
                     ? config_hash(e, &t.config_hash)
                     : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    /* Everything that can be refused is checked before the run directory is touched. */
    if (status == CLNET_OK)
        status = trainer_open(&t);
    bool wrote_dir = false;
    if (status == CLNET_OK)
        status = fs_mkdir_p(t.dir);
    if (status == CLNET_OK) {
        wrote_dir = true;
        status = config_save_resolved(e, config_path);
    }
    if (status == CLNET_OK)
        status = metrics_open(&metrics, metrics_path, e->train.eval_train == EVAL_TRAIN_FULL);
    if (status == CLNET_OK) {
        const struct runtime_device_info *d = runtime_device(t.s.rt);
        t.sum.device = d->name;
        t.sum.platform = d->platform_name;
        t.sum.parameters = (long long)t.s.model.n_params;
        if (!o->quiet)
            printf("%s: %lld parameters, %ld iterations of %d on %s\n", e->name,
                   t.sum.parameters, e->train.iterations, t.batch, d->name);
        status = run_loop(&t, metrics);
    }
    if (metrics) {
        int st = metrics_close(metrics, metrics_path);
        status = status ? status : st;
    }
    if (status == CLNET_OK)
        status = save_weights(&t);
    if (wrote_dir) {
        t.sum.status = status == CLNET_OK             ? RUN_COMPLETED
                       : status == CLNET_ERR_DIVERGED ? RUN_DIVERGED
                                                      : RUN_FAILED;
        t.sum.message = status == CLNET_OK ? NULL : clnet_error_message();
        t.sum.train_seconds = t.train_seconds;
        t.sum.eval_seconds = t.eval_seconds;
        t.sum.iterations_per_second =
            t.train_seconds > 0 ? (double)t.sum.iterations / t.train_seconds : 0;
        int st = summary_write(summary_path, &t.sum);
        status = status ? status : st;
        if (status == CLNET_OK && !o->quiet)
            printf("%s: test accuracy %.4f (best %.4f), %.1f iterations/s; %s/\n", e->name,
                   t.sum.final_test_accuracy, t.sum.best_test_accuracy,
                   t.sum.iterations_per_second, t.dir);
    }
    trainer_close(&t);
    free(config_path);
    free(metrics_path);
    free(summary_path);
    return status;
}

int train_evaluate(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, double *test_loss, double *test_acc)
{
    struct session s;
    int status = session_open(&s, e, device_flag, cl_dir);
    if (status != CLNET_OK)
        return status;
    size_t n = s.model.n_params;
    float *params = malloc((n ? n : 1) * sizeof *params);
    if (!params)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = weights ? model_load_safetensors(&s.model, params, weights)
                         : model_init_params(&s.model, params);
    if (status == CLNET_OK)
        status = model_upload_params(&s.model, params);
    free(params);
    if (status == CLNET_OK)
        status = session_evaluate(&s, &s.test, test_loss, test_acc);
    session_close(&s);
    return status;
}
