/* The training loop. Steps run in chunks that end at the next progress line, evaluation or
 * checkpoint: the chunk's batch indices go to the device in one copy, its steps are enqueued
 * without waiting, and one read of the per-step loss slots ends it. A non-finite loss replays
 * the chunk step by step from a snapshot taken at its start, to name the iteration and the
 * first layer whose output went non-finite. */
#define _GNU_SOURCE
#include "train/train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/config.h"
#include "config/flat.h"
#include "data/epoch.h"
#include "data/sampler.h"
#include "dist/dist.h"
#include "layers/layer.h"
#include "model/checkpoint.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "report/report.h"
#include "runtime/spinwait.h"
#include "train/compile_helper.h"
#include "train/layer_stats.h"
#include "train/plots.h"
#include "train/run_dir.h"
#include "train/session.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/status.h"

struct trainer {
    struct session s;
    const struct experiment *exp;
    const struct train_options *opt;
    struct optim optim;
    struct sampler sampler;
    int batch;          /* B */
    int ranks, rows, row0; /* data-parallel: this rank trains rows [row0, row0 + rows) of B */
    bool lead;          /* rank 0: the one that evaluates and writes the run directory */
    float *grad_host;   /* (P) the gradient arena on its way through MPI; NULL for one rank */
    struct dense_stack *stack; /* the all-dense step in fewer launches, or NULL */
    bool diagnosing;    /* replaying a chunk: the per-layer path, which leaves each output */
    long chunk_max;     /* S: most steps in one chunk */
    long chunk_steps;   /* the current chunk length: a multiple of log_every, at most S */
    int32_t *index;     /* (S, B) host indices of the chunk */
    cl_mem index_dev;   /* (S, B) */
    cl_mem acc;         /* (S, 2) loss sum and correct count of each step */
    cl_mem row_loss, row_correct; /* (S, rows) each step's per-row values, summed into acc by
                                   * one op_loss_reduce at the chunk's end */
    float *acc_host;    /* (S, 2) */
    cl_mem snapshot[3]; /* params and optimizer state at the chunk start */
    char *dir;
    uint64_t config_hash;
    long start;            /* the iteration this process starts at: 0, or a checkpoint's */
    FILE *metrics;
    char *metrics_path;
    struct run_summary sum;
    double train_seconds, eval_seconds;
    double first_step_train_seconds; /* the part of train_seconds the first step took */
    pid_t helper; /* the cold start's compile helper until the first step is done, or 0 */
    int dir_lock; /* the run directory's lock when taken before the helper forks, else -1 */
    bool compile_record;  /* record compile_key once the first step is done (not yet recorded) */
    uint64_t compile_key; /* compile_helper_key of this run */
    struct layer_stats *stats; /* layer_stats.csv; NULL unless train.layer_stats > 0 */
    struct run_plots plots;    /* accuracy.png, loss.png, ... redrawn after each evaluation */
};

/* Data-parallel: each rank's gradient is the mean over its rows; their mean over the ranks
 * is the whole batch's, so every rank applies the same update. One MPI_Allreduce over the
 * whole arena per step. */
static int average_gradients(struct trainer *t)
{
    struct session *s = &t->s;
    size_t n = s->model.n_params;
    int status = runtime_download(s->rt, t->grad_host, s->model.grads, 0, n * sizeof(float));
    if (status == CLNET_OK)
        status = dist_sum_float(t->grad_host, n);
    float inv = 1.0f / (float)t->ranks;
    for (size_t i = 0; i < n && status == CLNET_OK; i++)
        t->grad_host[i] *= inv;
    if (status == CLNET_OK)
        status = runtime_upload(s->rt, s->model.grads, 0, t->grad_host, n * sizeof(float));
    return status;
}

/* The signal that stops the run, or 0. Under MPI the ranks agree on it at chunk boundaries
 * only (boundary true), so every rank stops after the same step. */
static int stop_signal(const struct trainer *t, bool boundary)
{
    int sig = interrupt_requested();
    if (t->ranks == 1)
        return sig;
    if (!boundary || dist_max_int(&sig, 1) != CLNET_OK)
        return 0;
    return sig;
}

static int step(struct trainer *t, long iteration, int slot, bool train)
{
    struct session *s = &t->s;
    cl_mem logits;
    int b = t->rows;
    s->model.step = (uint64_t)iteration;
    double lr = schedule_lr(&t->exp->train, iteration);
    s->model.sgd_lr = (float)lr; /* the rate a fused step uses: optim_step's (float)lr */
    int status = op_gather_batch(s->rt, s->x, s->y, s->train.images, s->train.labels,
                                 t->index_dev, (size_t)slot * (size_t)t->batch + (size_t)t->row0,
                                 b, s->features, s->train.n);
    if (status == CLNET_OK && t->stack && !t->diagnosing) {
        status = dense_stack_step(t->stack, &s->model, s->x, s->y, t->row_loss, t->row_correct,
                                  (size_t)slot * (size_t)b, b, t->exp->train.loss);
    } else {
        if (status == CLNET_OK)
            status = model_forward(&s->model, &logits, s->x, b, train);
        if (status == CLNET_OK)
            status = op_loss_forward_backward(s->rt, s->dz, t->row_loss, t->row_correct,
                                              (size_t)slot * (size_t)b, logits, s->y, b,
                                              s->classes, t->exp->train.loss);
        if (status == CLNET_OK)
            status = model_backward(&s->model, s->x, s->dz, b);
    }
    if (status == CLNET_OK && s->model.sgd_fused) {
        optim_count_step(&t->optim); /* the update ran inside model_backward */
        return status;
    }
    if (status == CLNET_OK && t->grad_host)
        status = average_gradients(t);
    if (status == CLNET_OK)
        status = optim_step(&t->optim, s->model.params, s->model.grads, lr);
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
    t->diagnosing = true; /* the same bits as the stack's step, and every layer's output kept */
    s->model.plain_outputs = true; /* as (B, O) rows, for model_first_nonfinite_layer */
    for (int k = 0; k < steps && status == CLNET_OK; k++) {
        status = step(t, first + k, k, true);
        float a[2];
        if (status == CLNET_OK)
            status = op_loss_reduce(s->rt, t->acc, k, 1, t->row_loss, t->row_correct,
                                    (size_t)k * (size_t)t->rows, t->rows);
        if (status == CLNET_OK)
            status = runtime_download(s->rt, a, t->acc, (size_t)k * 2 * sizeof(float), sizeof a);
        if (status == CLNET_OK)
            status = dist_sum_float(a, 2);
        if (status != CLNET_OK || isfinite(a[0]))
            continue;
        int layer = -1;
        status = model_first_nonfinite_layer(&s->model, &layer, t->rows);
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

/* The checkpoint's tensor holding metrics.csv's bytes, and the run totals kept in its
 * metadata, so a resumed run reports what an uninterrupted one would. */
#define METRICS_BLOB "log:metrics.csv"
#define CONFIG_BLOB "log:config.yaml"
#define SUMMARY_KEYS 6
static const char *const summary_keys[SUMMARY_KEYS] = {
    "final_test_accuracy", "best_test_accuracy", "final_test_loss", "final_train_loss",
    "train_seconds",       "eval_seconds"};
#define SUMMARY_FIELDS(t)                                                                      \
    &(t)->sum.final_test_accuracy, &(t)->sum.best_test_accuracy, &(t)->sum.final_test_loss,    \
        &(t)->sum.final_train_loss, &(t)->train_seconds, &(t)->eval_seconds

static int save_checkpoint(struct trainer *t, long iteration)
{
    if (!t->lead) /* every rank holds the same state; rank 0 writes it */
        return CLNET_OK;
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
    struct checkpoint_blob blobs[6] = {
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
    /* metrics.csv as it is now, so a resumed run rewrites exactly these rows and appends. */
    void *log = NULL;
    size_t log_len = 0;
    if (status == CLNET_OK && fflush(t->metrics) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", t->metrics_path,
                              strerror(errno));
    if (status == CLNET_OK)
        status = fs_read_file(&log, &log_len, t->metrics_path);
    blobs[nb++] = (struct checkpoint_blob){METRICS_BLOB, "U8", log, log_len, (int64_t)log_len};
    /* The config it is of, so a refusal to resume under another one names the keys that
     * differ from this, not from config.yaml (which a copied-in checkpoint does not match). */
    char *config = NULL;
    size_t config_len = 0;
    if (status == CLNET_OK)
        status = config_resolved_text(t->exp, &config, &config_len);
    blobs[nb++] = (struct checkpoint_blob){CONFIG_BLOB, "U8", config, config_len,
                                           (int64_t)config_len};
    char values[SUMMARY_KEYS][32];
    const char *extra[2 * SUMMARY_KEYS + 1];
    double *fields[SUMMARY_KEYS] = {SUMMARY_FIELDS(t)};
    for (int i = 0; i < SUMMARY_KEYS; i++) {
        snprintf(values[i], sizeof values[i], "%.17g", *fields[i]);
        extra[2 * i] = summary_keys[i];
        extra[2 * i + 1] = values[i];
    }
    extra[2 * SUMMARY_KEYS] = NULL;
    char *path = path_in(t->dir, "checkpoint.bin");
    if (status == CLNET_OK)
        status = path ? checkpoint_save_meta(path, iteration, t->config_hash, blobs, nb, extra)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(log);
    free(config);
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
                    struct progress *p)
{
    bool full = t->exp->train.eval_train == EVAL_TRAIN_FULL;
    double t0 = clock_seconds(), loss, acc, full_loss = NAN, full_acc = NAN;
    int status = session_evaluate(&t->s, &t->s.test, &loss, &acc);
    if (status == CLNET_OK && full)
        status = session_evaluate(&t->s, &t->s.train, &full_loss, &full_acc);
    t->eval_seconds += clock_seconds() - t0;
    progress_eval(p, clock_seconds() - t0);
    if (status != CLNET_OK)
        return status;
    struct metrics_row row = {
        .iteration = iteration,
        .epoch = epoch_count(iteration, t->batch, t->s.train.n),
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
    progress_update(p, iteration, row.train_loss, row.train_acc, acc, row.lr, true);
    status = metrics_write(metrics, &row, full);
    if (status == CLNET_OK)
        run_plots_refresh(&t->plots); /* a plotting failure is reported at the end */
    return status;
}

/* summary.json's first_step_seconds: process start to this process's first step finished,
 * which includes what the driver compiles at a kernel's first launch (PoCL: each kernel's
 * work-group function for its local size). One wait, at this step only. */
static int time_first_step(struct trainer *t, struct progress *p, double chunk_start)
{
    int status = runtime_finish(t->s.rt);
    double now = clock_seconds();
    enum compile_helper_end helper = compile_helper_stop(t->helper);
    t->helper = 0;
    if (status == CLNET_OK && t->compile_record)
        compile_helper_record(t->compile_key);
    t->sum.first_step_seconds = now - t->opt->process_start;
    t->first_step_train_seconds = now - chunk_start;
    static const char *const end[] = {
        [COMPILE_HELPER_NONE] = "", [COMPILE_HELPER_DONE] = " (compile helper: done)",
        [COMPILE_HELPER_FAILED] = " (compile helper: failed)",
        [COMPILE_HELPER_STOPPED] = " (compile helper: stopped)"};
    if (status == CLNET_OK && t->opt->verbose)
        progress_note(p, "%s: first step done %.2f s after start%s", t->exp->name,
                      t->sum.first_step_seconds, end[helper]);
    return status;
}

/* The next chunks' length: as many log_every multiples as run in about TRAIN_CHUNK_SECONDS at
 * the last chunk's pace, at least log_every, at most chunk_max (one process; MPI ranks keep
 * log_every). Each chunk ends in one blocking read, a round trip to the device's threads
 * (0.1-0.3 ms on PoCL here: q4_i trained 25% faster with chunks of 100 steps than of 10), so
 * fast steps run in longer chunks; the progress line then moves once a chunk (a few times a
 * second) rather than every log_every steps. Chunking changes no result: every step runs the
 * same kernels either way. */
#define TRAIN_CHUNK_SECONDS 0.2
#define TRAIN_CHUNK_MAX 100
static void adapt_chunk(struct trainer *t, double step_seconds)
{
    if (t->ranks > 1) /* ranks must agree on every chunk's end: keep log_every's */
        return;
    long every = t->exp->train.log_every, cap = t->chunk_max / every * every;
    long n = step_seconds > 0 ? (long)(TRAIN_CHUNK_SECONDS / step_seconds) / every * every : cap;
    if (n > cap)
        n = cap;
    t->chunk_steps = n > every ? n : every;
}

static long next_multiple(long t, long every)
{
    return every > 0 ? (t / every + 1) * every : -1;
}

static int run_loop(struct trainer *t)
{
    const struct train_spec *ts = &t->exp->train;
    struct progress p;
    progress_init(&p, t->start, ts->iterations, t->opt->quiet || !t->lead);
    p.verbose = t->opt->verbose;
    p.batch = t->batch;
    p.train_images = t->s.train.n;
    p.eval_every = ts->eval_every;
    t->sum.startup_seconds = clock_seconds() - t->opt->process_start;
    if (t->opt->verbose && !t->opt->quiet) {
        const struct runtime_stats *st = runtime_stats(t->s.rt);
        printf("%s: started in %.2f s; OpenCL %.2f s, of it %d kernel programs %.2f s (binary "
               "cache %s: %d loaded, %d built, %d rejected)\n", t->exp->name,
               t->sum.startup_seconds, st->open_seconds, st->programs, st->build_seconds,
               st->cache_enabled ? runtime_cache_dir(t->s.rt)
               : st->cache_pocl  ? "off, PoCL caches itself"
                                 : "off",
               st->cache_hits, st->cache_misses, st->cache_rejected);
        char split[512] = "";
        for (int i = 0, n = 0; i < PROGRAM_COUNT && n >= 0 && (size_t)n < sizeof split; i++)
            if (st->program_set & RUNTIME_PROGRAM(i))
                n += snprintf(split + n, sizeof split - (size_t)n, "%s%s %.2f s", n ? ", " : "",
                              program_file((enum program_id)i), st->program_seconds[i]);
        printf("%s: kernel programs: %s\n", t->exp->name, split);
    }
    unsigned char chunk_start[256]; /* the sampler before the chunk's batches were drawn */
    int status = sampler_state_size() <= sizeof chunk_start
                     ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_INTERNAL, "sampler state larger than expected");
    long it = t->start, saved = -1;
    if (status == CLNET_OK && ts->layer_stats > 0 && t->lead) {
        char *path = path_in(t->dir, "layer_stats.csv");
        status = path ? layer_stats_open(&t->stats, &t->s.model, t->rows, path, t->start)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        free(path);
    }
    int sig = 0;
    while (it < ts->iterations && status == CLNET_OK && !(sig = stop_signal(t, true))) {
        long end = ts->iterations;
        long marks[4] = {next_multiple(it, t->chunk_steps), next_multiple(it, ts->eval_every),
                         next_multiple(it, ts->checkpoint_every),
                         next_multiple(it, ts->layer_stats)};
        for (int i = 0; i < 4; i++)
            if (marks[i] > 0 && marks[i] < end)
                end = marks[i];
        int steps = (int)(end - it), done = 0;
        double t0 = clock_seconds();
        bool cold = isnan(t->sum.first_step_seconds); /* this chunk runs the first step */
        sampler_state_save(&t->sampler, chunk_start);
        for (int k = 0; k < steps; k++)
            sampler_next(&t->sampler, t->index + (size_t)k * (size_t)t->batch);
        /* Not waited for: t->index is next written after this chunk's blocking download. */
        status = runtime_upload_async(t->s.rt, t->index_dev, 0, t->index,
                                      (size_t)steps * (size_t)t->batch * sizeof *t->index);
        if (status == CLNET_OK)
            status = snapshot(t, false);
        for (; done < steps && status == CLNET_OK && !stop_signal(t, false); done++) {
            status = step(t, it + done, done, true);
            if (status == CLNET_OK && isnan(t->sum.first_step_seconds)) {
                status = time_first_step(t, &p, t0);
                interrupt_set_immediate(false); /* from now on a signal checkpoints */
            }
        }
        if (status == CLNET_OK && done < steps) {
            /* Interrupted inside the chunk: give back the batches it did not train on (redrawn
             * into t->index once the upload of the chunk's indices has surely run). */
            status = runtime_finish(t->s.rt);
            if (status == CLNET_OK)
                status = sampler_state_load(&t->sampler, chunk_start, sampler_state_size());
            for (int k = 0; k < done && status == CLNET_OK; k++)
                status = sampler_next(&t->sampler, t->index + (size_t)k * (size_t)t->batch);
        }
        if (status == CLNET_OK && done > 0)
            status = op_loss_reduce(t->s.rt, t->acc, 0, done, t->row_loss, t->row_correct, 0,
                                    t->rows);
        if (status == CLNET_OK && done > 0)
            status = runtime_download(t->s.rt, t->acc_host, t->acc, 0,
                                      (size_t)done * 2 * sizeof *t->acc_host);
        if (status == CLNET_OK && done > 0) /* each rank summed its rows: the batch's sums */
            status = dist_sum_float(t->acc_host, (size_t)done * 2);
        double chunk_seconds = clock_seconds() - t0;
        t->train_seconds += chunk_seconds;
        if (status != CLNET_OK || done == 0)
            break;
        adapt_chunk(t, chunk_seconds / done);
        for (int k = 0; k < done; k++)
            if (!isfinite(t->acc_host[2 * k]))
                return diagnose(t, it, done);
        /* The rate shown: steady-state steps only, as summary.json's iterations_per_second. */
        if (cold)
            progress_chunk(&p, done - 1, chunk_seconds - t->first_step_train_seconds);
        else
            progress_chunk(&p, done, chunk_seconds);
        /* The log_every marks inside a longer chunk (adapt_chunk), in order, then its end. */
        for (long m = next_multiple(it, ts->log_every); m < it + done; m += ts->log_every) {
            const float *a = t->acc_host + 2 * (m - it - 1);
            progress_update(&p, m, a[0] / t->batch, a[1] / t->batch, NAN, schedule_lr(ts, m - 1),
                            false);
        }
        it += done;
        const float *last = t->acc_host + 2 * (done - 1);
        t->sum.iterations = it;
        t->sum.final_train_loss = last[0] / t->batch;
        /* Before evaluating: an evaluation overwrites the layer outputs of the last step. */
        if (ts->layer_stats > 0 && it % ts->layer_stats == 0 && t->lead)
            status = layer_stats_record(t->stats, &t->s.model, it);
        if (status == CLNET_OK && t->lead && (it % ts->eval_every == 0 || it == ts->iterations))
            status = evaluate(t, it, last, t->metrics, &p);
        else
            progress_update(&p, it, last[0] / t->batch, last[1] / t->batch, NAN,
                            schedule_lr(ts, it - 1), false);
        if (status == CLNET_OK && ((ts->checkpoint_every > 0 && it % ts->checkpoint_every == 0) ||
                                   it == ts->iterations)) {
            status = save_checkpoint(t, it);
            saved = it;
            if (status == CLNET_OK && t->opt->verbose)
                progress_note(&p, "%s: checkpoint at iteration %ld: %s/checkpoint.bin",
                              t->exp->name, it, t->dir);
        }
    }
    progress_end(&p);
    int st = layer_stats_close(t->stats);
    t->stats = NULL;
    status = status ? status : st;
    if (!sig && t->ranks == 1)
        sig = interrupt_requested(); /* it stopped inside a chunk */
    if (status == CLNET_OK && sig && it < ts->iterations) {
        if (saved != it)
            status = save_checkpoint(t, it);
        if (status == CLNET_OK)
            status = clnet_errorf(CLNET_ERR_INTERRUPTED, "%s: stopped by %s at iteration %ld of "
                                  "%ld; checkpoint written: the same command resumes",
                                  t->exp->name, interrupt_signal_name(sig), it, ts->iterations);
    }
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
    const struct dist *w = dist_world();
    t->ranks = w->size;
    t->rows = t->batch / w->size;
    t->row0 = w->rank * t->rows;
    s->model.first_row = (uint64_t)t->row0;
    t->lead = w->rank == 0;
    /* Chunks of up to TRAIN_CHUNK_MAX steps (adapt_chunk), or log_every if longer; they end at
     * every evaluation anyway. */
    t->chunk_max = e->train.log_every > TRAIN_CHUNK_MAX ? e->train.log_every : TRAIN_CHUNK_MAX;
    if (e->train.eval_every < t->chunk_max)
        t->chunk_max = e->train.eval_every;
    t->chunk_steps = e->train.log_every < t->chunk_max ? e->train.log_every : t->chunk_max;
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
    /* Plain SGD on an all-dense model runs inside the backward GEMMs; not where the gradients
     * themselves are needed (averaged across ranks, or written by layer_stats), nor with
     * CLNET_FUSED_SGD=0 (for measurements: the same bits either way). */
    const char *fuse = getenv("CLNET_FUSED_SGD");
    if (fuse && *fuse && strcmp(fuse, "0") != 0 && strcmp(fuse, "1") != 0 && status == CLNET_OK)
        status = clnet_errorf(CLNET_ERR_USAGE, "CLNET_FUSED_SGD=%s: expected 0 or 1", fuse);
    s->model.sgd_fused = status == CLNET_OK && !(fuse && strcmp(fuse, "0") == 0) &&
                         optim_is_plain_sgd(&t->optim) && t->ranks == 1 &&
                         e->train.layer_stats == 0 && layer_dense_fuses_sgd(&s->model);
    s->model.plain_outputs = e->train.layer_stats > 0; /* layer_stats reads them */
    /* The all-dense step in fewer launches, unless layer_stats reads the layers' outputs, or
     * CLNET_DENSE_STACK=0 (for measurements and the tests: the same bits either way). */
    const char *stack = getenv("CLNET_DENSE_STACK");
    if (stack && *stack && strcmp(stack, "0") != 0 && strcmp(stack, "1") != 0 &&
        status == CLNET_OK)
        status = clnet_errorf(CLNET_ERR_USAGE, "CLNET_DENSE_STACK=%s: expected 0 or 1", stack);
    if (status == CLNET_OK && !(stack && strcmp(stack, "0") == 0) &&
        e->train.layer_stats == 0 && dense_stack_usable(&s->model)) {
        char why[160] = "";
        status = dense_stack_open(&t->stack, &s->model, t->rows, why, sizeof why);
        if (status == CLNET_OK && !t->stack && t->opt->verbose && !t->opt->quiet)
            printf("%s: the dense stack is off: %s\n", e->name, why);
    }
    size_t idx = (size_t)t->chunk_max * (size_t)t->batch;
    t->index = malloc(idx * sizeof *t->index);
    t->acc_host = malloc((size_t)t->chunk_max * 2 * sizeof *t->acc_host);
    if (status == CLNET_OK && (!t->index || !t->acc_host))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for batch indices");
    if (status == CLNET_OK && t->ranks > 1 && !(t->grad_host = malloc((n ? n : 1) * sizeof(float))))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the gradients");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->index_dev, idx * sizeof *t->index, "batch indices");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->acc, (size_t)t->chunk_max * 2 * sizeof(float), "step losses");
    size_t rows = (size_t)t->chunk_max * (size_t)t->rows * sizeof(float);
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->row_loss, rows, "per-row losses of a chunk");
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &t->row_correct, rows, "per-row hits of a chunk");
    for (int i = 0; i < 1 + t->optim.n_state && status == CLNET_OK && n > 0; i++)
        status = runtime_alloc(s->rt, &t->snapshot[i], n * sizeof(float), "a snapshot for divergence replay");
    return status;
}

/* The compile helper's process (train/compile_helper.h), forked before trainer_open. It opens
 * a trainer of its own as the training process does (the same programs, model and launch
 * sizes, so PoCL's kernel cache keys match), building the programs in reverse order so that
 * the training process finds the last ones in the cache. It notes in what order one training
 * step first launches its kernels, enqueueing nothing, then runs the step enqueueing only the
 * launches of the second half of those kernels. The training process meanwhile compiles the
 * first half at their first launches and finds the rest in the cache, ready or nearly. Its
 * step computes nothing that is read: the kernels skipped leave their outputs as they are,
 * and every kernel bounds its reads by its size arguments, not by data (the gather kernel and
 * the loss check indices and labels). On a device that compiles at build time it ends once
 * the trainer is open (where the device is known: opening OpenCL first would make PoCL miss
 * POCL_MAX_PTHREAD_COUNT, which session_open sets). */
static int compile_helper_body(void *arg)
{
    const struct trainer *parent = arg;
    /* Its copy of the lock would keep the run directory locked until the helper has gone: a
     * run started the moment the training process was killed would be refused. */
    if (parent->dir_lock >= 0)
        close(parent->dir_lock);
    struct trainer t = {.exp = parent->exp, .opt = parent->opt};
    runtime_build_reversed(true);
    int status = trainer_open(&t); /* it opens the device: nothing may touch OpenCL before */
    if (status == CLNET_OK && runtime_compiles_at_launch(runtime_device(t.s.rt))) {
        runtime_set_launch_mode(t.s.rt, RUNTIME_LAUNCH_RECORD, 0);
        status = step(&t, t.start, 0, true);
        runtime_set_launch_mode(t.s.rt, RUNTIME_LAUNCH_SKIP_FIRST,
                                runtime_kernels_launched(t.s.rt) / 2);
        if (status == CLNET_OK)
            status = step(&t, t.start, 0, true);
        if (status == CLNET_OK)
            status = runtime_finish(t.s.rt);
    }
    return status;
}

/* A cold start writes every kernel it compiles into the driver's cache (PoCL: files of up to
 * about 1 MB here); under a smaller file-size limit the compiler inside the driver (PoCL's LLVM)
 * ends the process itself with its own message, and clnet never regains control. So a run
 * whose kernels no earlier run recorded compiled is refused, with clnet's line, under a limit
 * below COLD_START_FSIZE, and any run below WARM_START_FSIZE (PoCL writes each program's
 * preprocessed source, up to 0.96 MB here, on every start). Above those a run keeps its limit:
 * a checkpoint past it fails the run as a full disk does, keeping the last good one. */
#define COLD_START_FSIZE ((rlim_t)16 << 20)
#define WARM_START_FSIZE ((rlim_t)2 << 20)

static int check_cold_start_fsize(const struct trainer *t, bool recorded)
{
    struct rlimit r;
    rlim_t need = recorded ? WARM_START_FSIZE : COLD_START_FSIZE;
    if (getrlimit(RLIMIT_FSIZE, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= need)
        return CLNET_OK;
    return clnet_errorf(CLNET_ERR_USAGE, "%s: the file-size limit (ulimit -f) of %llu KiB is "
                        "below the %llu MiB %s into the OpenCL driver's kernel cache; raise "
                        "it%s", t->exp->path, (unsigned long long)(r.rlim_cur >> 10),
                        (unsigned long long)(need >> 20),
                        recorded ? "any run writes" : "a first run may write",
                        recorded ? "" : " for this run (later runs of this config find their "
                                        "kernels compiled)");
}

/* Forks the compile helper when it is wanted, this is one process (not MPI ranks) and no
 * earlier run recorded these kernels compiled; lock: the run directory's lock, or -1. Called
 * on the main thread (compile_helper_start). Every run that finds no record writes one after
 * its first step, helper or not. */
static int start_compile_helper(struct trainer *t, int lock)
{
    t->dir_lock = lock;
    t->compile_key = compile_helper_key(
        t->config_hash, runtime_device_spec(t->opt->device_flag, t->exp->device), t->opt->cl_dir);
    bool recorded = compile_helper_recorded(t->compile_key), want = false;
    t->compile_record = !recorded;
    int status = check_cold_start_fsize(t, recorded);
    if (status == CLNET_OK)
        status = compile_helper_wanted(&want);
    if (status != CLNET_OK || !want || dist_world()->size > 1)
        return status;
    bool verbose = t->opt->verbose && !t->opt->quiet;
    if (recorded) {
        if (verbose)
            printf("%s: no compile helper: an earlier run of this config compiled its kernels\n",
                   t->exp->name);
        return CLNET_OK;
    }
    t->helper = compile_helper_start(compile_helper_body, t);
    if (t->helper < 0) {
        if (verbose)
            printf("%s: no compile helper: fork: %s\n", t->exp->name, strerror(errno));
        t->helper = 0;
    }
    return CLNET_OK;
}

static void trainer_close(struct trainer *t)
{
    compile_helper_stop(t->helper);
    t->helper = 0;
    if (t->s.rt) /* an index upload may still be pending on an error path */
        runtime_finish(t->s.rt);
    layer_stats_close(t->stats); /* run_loop closes it, except when it stops on a divergence */
    dense_stack_free(t->stack);
    runtime_free(t->index_dev);
    runtime_free(t->acc);
    runtime_free(t->row_loss);
    runtime_free(t->row_correct);
    for (int i = 0; i < 3; i++)
        runtime_free(t->snapshot[i]);
    if (t->optim.rt)
        optim_free(&t->optim);
    sampler_free(&t->sampler);
    free(t->index);
    free(t->acc_host);
    free(t->grad_host);
    session_close(&t->s);
    free(t->dir);
}

/* Where the checkpoint ck (at iteration it) left the run: weights, optimizer state and step,
 * sampler, run totals, and metrics.csv's rows up to it (rewritten, then appended to). */
static int resume_from(struct trainer *t, const struct safetensors *ck, long it)
{
    struct session *s = &t->s;
    int64_t n = (int64_t)s->model.n_params;
    const struct st_entry *e = NULL;
    int status = checkpoint_find(&e, ck, "params", "F32", n);
    if (status == CLNET_OK)
        status = model_upload_params(&s->model, e->data);
    for (int i = 0; i < t->optim.n_state && status == CLNET_OK; i++) {
        status = checkpoint_find(&e, ck, t->optim.state_names[i], "F32", n);
        if (status == CLNET_OK && n > 0)
            status = runtime_upload(s->rt, t->optim.state[i], 0, e->data,
                                    (size_t)n * sizeof(float));
    }
    if (status == CLNET_OK)
        status = checkpoint_find(&e, ck, "sampler", "U8", (int64_t)sampler_state_size());
    if (status == CLNET_OK)
        status = sampler_state_load(&t->sampler, e->data, e->bytes);
    const struct st_entry *log = safetensors_find(ck, METRICS_BLOB);
    if (status == CLNET_OK && (!log || strcmp(log->dtype, "U8") != 0 || log->rank != 1))
        status = clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint tensor '%s' is missing or not "
                              "U8", ck->path, METRICS_BLOB);
    double *fields[SUMMARY_KEYS] = {SUMMARY_FIELDS(t)};
    for (int i = 0; i < SUMMARY_KEYS && status == CLNET_OK; i++) {
        const char *v = safetensors_meta(ck, summary_keys[i]);
        char *end = NULL;
        *fields[i] = v ? strtod(v, &end) : NAN;
        if (!v || end == v || *end)
            status = clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint metadata '%s' is missing or "
                                  "not a number", ck->path, summary_keys[i]);
    }
    if (status == CLNET_OK && t->lead)
        status = fs_write_atomic(t->metrics_path, log->data, log->bytes);
    if (status == CLNET_OK && t->lead)
        status = fs_open_write(&t->metrics, t->metrics_path, true);
    t->optim.step = it;
    t->start = t->sum.iterations = it;
    return status;
}

/* The flattened config a checkpoint is of: its own copy (CONFIG_BLOB), or for a checkpoint
 * written before it held one, the run's config.yaml. */
static int checkpoint_config(const struct trainer *t, const struct safetensors *ck,
                             struct config_flat *out, bool *from_yaml)
{
    const struct st_entry *c = safetensors_find(ck, CONFIG_BLOB);
    *from_yaml = !c || strcmp(c->dtype, "U8") != 0;
    if (!*from_yaml)
        return config_flatten_text(c->data, c->bytes, ck->path, out);
    char *path = path_in(t->dir, "config.yaml");
    int status = path ? config_flatten_file(path, out)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(path);
    return status;
}

/* A checkpoint of another config: refused, naming the keys that differ. Those were once taken
 * from config.yaml alone, which a checkpoint copied in from another run (or one whose
 * config_hash was damaged, before checksums) does not match: no key differed, and the message
 * blamed config.yaml as "missing or unreadable" though it was there. */
static int refuse_other_config(const struct trainer *t, const struct safetensors *ck)
{
    char diff[640] = "";
    struct config_flat now, then;
    bool from_yaml = false, read = false;
    if (config_flatten(t->exp, &now) == CLNET_OK) {
        if (checkpoint_config(t, ck, &then, &from_yaml) == CLNET_OK) {
            read = true;
            config_flat_diff(&then, &now, diff, sizeof diff, 5);
            config_flat_free(&then);
        }
        config_flat_free(&now);
    }
    clnet_error_clear(); /* a missing config is reported below, not as the error */
    const char *why = diff[0] ? diff
                      : !read ? "its config.yaml is missing or unreadable"
                      : from_yaml ? "config.yaml is this config, so the checkpoint is of "
                                    "another run's"
                                  : "the same keys, but not the same config text";
    return clnet_errorf(CLNET_ERR_CONFIG, "%s: holds a checkpoint of a different config (%s); "
                        "--restart discards it, --out DIR trains elsewhere", t->dir, why);
}

static bool summary_says_completed(const char *dir)
{
    char *path = path_in(dir, "summary.json");
    void *text = NULL;
    size_t len = 0;
    bool done = path && fs_read_file(&text, &len, path) == CLNET_OK &&
                strstr(text, "\"status\": \"completed\"");
    clnet_error_clear();
    free(text);
    free(path);
    return done;
}

/* What the run directory holds for this config: nothing to resume (*it = -1), a checkpoint
 * to resume from (loaded into ck), or a completed run (*it = the iterations). */
static int examine_run_dir(struct trainer *t, struct safetensors *ck, long *it, bool *completed)
{
    *it = -1;
    *completed = false;
    char *path = path_in(t->dir, "checkpoint.bin");
    char *weights = path_in(t->dir, "model.safetensors");
    int status = path && weights ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    uint64_t hash = 0;
    if (status == CLNET_OK && fs_exists(path)) {
        status = checkpoint_load(ck, it, &hash, path);
        if (status != CLNET_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", clnet_error_message());
            clnet_error_clear();
            status = clnet_errorf(status, "%s (--restart discards it)", why);
        }
        else if (hash != t->config_hash)
            status = refuse_other_config(t, ck);
        else if (!ck->checked && dist_world()->rank == 0 && !t->opt->quiet) /* format 1 */
            fprintf(stderr, "clnet: note: %s: written by clnet %s, before checkpoints carried "
                    "a checksum: resumed unverified (--restart discards it)\n", path,
                    safetensors_meta(ck, "clnet_version") ? safetensors_meta(ck, "clnet_version")
                                                          : "(unknown)");
        *completed = status == CLNET_OK && *it == t->exp->train.iterations &&
                     fs_exists(weights) && summary_says_completed(t->dir);
    }
    if (status != CLNET_OK)
        *it = -1;
    free(path);
    free(weights);
    return status;
}

/* --restart: the previous run's checkpoint, weights and summary go before anything new is
 * written, so nothing of it can be mistaken for this run's. */
static int remove_previous_run(const char *dir)
{
    static const char *const names[] = {"checkpoint.bin", "model.safetensors", "summary.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = path_in(dir, names[i]);
        if (!path)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        int rc = unlink(path) == 0 || errno == ENOENT
                     ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
        free(path);
        if (rc != CLNET_OK)
            return rc;
    }
    return CLNET_OK;
}

/* The run's first line: what trains, where, and question 4 (iv)'s numbers (the training set,
 * iterations per epoch, the epochs the run makes), or where a resumed run picks up. */
static void print_start(const struct trainer *t, long resume_at, int ranks)
{
    const struct experiment *e = t->exp;
    const char *device = runtime_device(t->s.rt)->name;
    char epochs[256], at[48], total[48];
    int n = t->s.train.n;
    if (resume_at >= 0) {
        printf("%s: resuming at iteration %ld of %ld (epoch %s of %s) from %s/checkpoint.bin on "
               "%s\n", e->name, resume_at, e->train.iterations,
               epoch_decimal(at, sizeof at, epoch_count(resume_at, t->batch, n), 2, EPOCH_TRIM),
               epoch_decimal(total, sizeof total, epoch_count(e->train.iterations, t->batch, n),
                             2, EPOCH_TRIM), t->dir, device);
        return;
    }
    epoch_line(epochs, sizeof epochs, n, t->batch, e->train.iterations);
    if (ranks > 1)
        printf("%s: %lld parameters, %ld iterations of %d (%d per rank on %d ranks) on %s; %s\n",
               e->name, t->sum.parameters, e->train.iterations, t->batch, t->rows, ranks, device,
               epochs);
    else
        printf("%s: %lld parameters, %ld iterations of %d on %s; %s\n", e->name,
               t->sum.parameters, e->train.iterations, t->batch, device, epochs);
}

/* What makes a config untrainable in this process: no train: section, data parallelism
 * without MPI, a batch that does not split over the ranks. */
static int check_trainable(const struct experiment *e, const struct dist *w)
{
    if (!e->has_train)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: nothing to train: the config has no train: "
                            "section (use clnet eval for a hand-set model)", e->path);
#ifndef CLNET_HAVE_MPI
    if (e->train.parallel != PARALLEL_NONE)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: train.parallel: data needs clnet built with "
                            "MPI, which this build is not (use parallel: none)", e->path);
#endif
    /* Under mpirun/srun with N > 1 ranks, training is data-parallel (README, Scale-out). */
    if (w->size > 1 && e->train.batch_size % w->size != 0)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: train.batch_size %d does not split evenly "
                            "over %d ranks", e->path, e->train.batch_size, w->size);
    return CLNET_OK;
}

/* The run folder made and locked (lock: taken already when it existed), a previous run's
 * stale temp files removed, and with --restart its results; then the plots set up and the
 * resolved config written. *wrote: from here on the folder is this run's (its summary.json
 * is written however the run ends). Rank 0 only. */
static int open_run_dir(struct trainer *t, int *lock, const char *config_path, bool *wrote)
{
    int status = fs_mkdir_p(t->dir);
    if (status == CLNET_OK && *lock < 0)
        status = fs_lock_dir(t->dir, lock);
    if (status == CLNET_OK) {
        fs_remove_stale_temps(t->dir);
        if (t->opt->restart)
            status = remove_previous_run(t->dir);
    }
    if (status == CLNET_OK) {
        *wrote = true;
        run_plots_init(&t->plots, t->dir, t->exp, t->opt->verbose);
        status = config_save_resolved(t->exp, config_path);
    }
    return status;
}

/* summary.json's fields known once the run has ended with status. */
static void summary_fill(struct trainer *t, int status)
{
    t->sum.status = status == CLNET_OK                ? RUN_COMPLETED
                    : status == CLNET_ERR_DIVERGED    ? RUN_DIVERGED
                    : status == CLNET_ERR_INTERRUPTED ? RUN_INTERRUPTED
                                                      : RUN_FAILED;
    t->sum.message = status == CLNET_OK ? NULL : clnet_error_message();
    t->sum.train_seconds = t->train_seconds;
    t->sum.eval_seconds = t->eval_seconds;
    t->sum.config_hash = t->config_hash;
    /* Steps after the first: the first step's one-time costs (the driver loading or
     * compiling each kernel at its first launch, one wait) are first_step_seconds' part;
     * bench/torch_ref.py leaves out PyTorch's first step likewise. */
    double steps = (double)(t->sum.iterations - t->start), secs = t->train_seconds;
    if (steps > 1 && secs > t->first_step_train_seconds) {
        steps -= 1;
        secs -= t->first_step_train_seconds;
    }
    t->sum.iterations_per_second = secs > 0 ? steps / secs : 0;
    struct rusage ru; /* this process's peak so far: a resumed run counts from its resume */
    t->sum.peak_host_rss_bytes = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss * 1024LL : 0;
    t->sum.device_bytes_allocated = t->s.rt ? (long long)runtime_bytes_allocated(t->s.rt) : 0;
    if (t->s.rt && runtime_stats(t->s.rt)->spin_us > 0) {
        struct spinwait_counts c = spinwait_counts();
        t->sum.spin_wait_us = runtime_stats(t->s.rt)->spin_us;
        t->sum.spin_waits_caught = (long long)c.caught;
        t->sum.spin_waits_spun_out = (long long)c.spun_out;
    }
    if (t->s.train.n > 0) /* the data was read */
        t->sum.epochs = epoch_count(t->sum.iterations, t->batch, t->s.train.n);
}

/* summary.json's fields of the device and the model's plan; --verbose prints the ops path. */
static void summary_device(struct trainer *t)
{
    if (t->opt->verbose && !t->opt->quiet && t->lead)
        printf("%s: ops path %s (%s)\n", t->exp->name,
               runtime_ops_path_name(runtime_ops_path(t->s.rt)), runtime_ops_path_reason(t->s.rt));
    const struct runtime_device_info *d = runtime_device(t->s.rt);
    t->sum.device = d->name;
    t->sum.platform = d->platform_name;
    t->sum.device_compute_units = d->compute_units;
    t->sum.ops_path = runtime_ops_path_name(runtime_ops_path(t->s.rt));
    t->sum.sgd_fused = t->s.model.sgd_fused;
    t->sum.dense_stack = t->stack != NULL;
    t->sum.parameters = (long long)t->s.model.n_params;
}

int train_run(const struct experiment *e, const struct train_options *o)
{
    const struct dist *w = dist_world();
    int status = check_trainable(e, w);
    if (status != CLNET_OK)
        return status;
    bool lead = w->rank == 0; /* only rank 0 writes the run directory */
    struct trainer t = {.exp = e, .opt = o};
    t.sum = (struct run_summary){.name = e->name, .status = RUN_FAILED,
                                 .final_test_accuracy = NAN, .best_test_accuracy = NAN,
                                 .final_test_loss = NAN, .final_train_loss = NAN,
                                 .first_step_seconds = NAN};
    if (o->out_dir)
        t.dir = strdup(o->out_dir);
    else if (asprintf(&t.dir, "runs/%s", e->name) < 0)
        t.dir = NULL;
    if (!t.dir)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    char *config_path = path_in(t.dir, "config.yaml");
    char *summary_path = path_in(t.dir, "summary.json");
    t.metrics_path = path_in(t.dir, "metrics.csv");
    status = config_path && t.metrics_path && summary_path
                     ? config_resolved_hash(e, &t.config_hash)
                     : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    /* Everything that can be refused is checked before the run directory is written: another
     * process on it (its lock, taken first when it exists), a checkpoint of another config,
     * bad data, a device that cannot hold the model. */
    int lock = -1;
    if (status == CLNET_OK)
        status = run_dir_check(t.dir, o->out_dir != NULL);
    bool existed = fs_exists(t.dir), completed = false;
    struct safetensors ck = {0};
    long resume_at = -1;
    if (status == CLNET_OK && existed && lead)
        status = fs_lock_dir(t.dir, &lock);
    if (status == CLNET_OK && existed && !o->restart)
        status = examine_run_dir(&t, &ck, &resume_at, &completed);
    if (status == CLNET_OK && completed) {
        if (!o->quiet && lead)
            printf("%s: already completed (%ld iterations) in %s/; --restart trains it again\n",
                   e->name, resume_at, t.dir);
        resume_at = -1;
        goto done;
    }
    if (status == CLNET_OK)
        status = start_compile_helper(&t, lock);
    if (status == CLNET_OK)
        status = trainer_open(&t);
    bool wrote_dir = false;
    if (status == CLNET_OK && lead)
        status = open_run_dir(&t, &lock, config_path, &wrote_dir);
    if (status == CLNET_OK && resume_at >= 0)
        status = resume_from(&t, &ck, resume_at);
    else if (status == CLNET_OK && lead)
        status = metrics_open(&t.metrics, t.metrics_path, e->train.eval_train == EVAL_TRAIN_FULL);
    safetensors_free(&ck);
    if (status == CLNET_OK) {
        summary_device(&t);
        if (!o->quiet && lead)
            print_start(&t, resume_at, w->size);
        status = run_loop(&t);
    }
    if (t.metrics) {
        int st = metrics_close(t.metrics, t.metrics_path);
        status = status ? status : st;
    }
    if (status == CLNET_OK && lead)
        status = save_weights(&t);
    /* Predictions and plots come before summary.json says completed, so a run killed while
     * drawing them is resumed, not taken for a finished one; a plotting failure is reported
     * once summary.json is written: it cannot lose the run. */
    int plots = wrote_dir ? run_plots_finish(&t.plots, &t.s, e, status) : CLNET_OK;
    if (wrote_dir) {
        summary_fill(&t, status);
        int st = summary_write(summary_path, &t.sum);
        status = status ? status : st;
        if (status == CLNET_OK && !o->quiet)
            printf("%s: test accuracy %.4f (best %.4f), %.1f iterations/s; %s/\n", e->name,
                   t.sum.final_test_accuracy, t.sum.best_test_accuracy,
                   t.sum.iterations_per_second, t.dir);
        status = status ? status : plots;
        if (e->train.layer_stats > 0 && t.sum.iterations >= e->train.layer_stats) {
            st = layer_stats_plot(t.dir, e->name, e->report.format);
            status = status ? status : st;
        }
    }
done:
    safetensors_free(&ck);
    trainer_close(&t);
    if (lock >= 0)
        close(lock);
    free(config_path);
    free(t.metrics_path);
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
