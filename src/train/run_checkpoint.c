/* What a run keeps in its checkpoint.bin (model/checkpoint.h: the format) and takes back from
 * it: the parameters, the optimizer's state, the layers' state (`state`, only for a model that
 * has some, so other models' checkpoints keep their bytes), the sampler, metrics.csv's bytes,
 * the config it is of, and the run totals, so a resumed run reports and ends byte-identical
 * to one never interrupted. Also the run's model.safetensors. */
#define _GNU_SOURCE
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/flat.h"
#include "dist/dist.h"
#include "model/checkpoint.h"
#include "util/fs.h"
#include "util/status.h"

/* The checkpoint's tensor holding metrics.csv's bytes, and the run totals kept in its
 * metadata, so a resumed run reports what an uninterrupted one would. */
#define METRICS_BLOB "log:metrics.csv"
#define CONFIG_BLOB "log:config.yaml"
#define SUMMARY_KEYS 14
static const char *const summary_keys[SUMMARY_KEYS] = {
    "final_test_accuracy", "best_test_accuracy", "final_test_loss",   "final_train_loss",
    "train_seconds",       "eval_seconds",       "best_iteration",    "best_test_loss",
    "final_val_accuracy",  "final_val_loss",     "best_val_accuracy", "best_val_loss",
    "stopped_early_at",    "evals_since_best"};
#define SUMMARY_FIELDS(t)                                                                      \
    &(t)->sum.final_test_accuracy, &(t)->sum.best_test_accuracy, &(t)->sum.final_test_loss,    \
        &(t)->sum.final_train_loss, &(t)->sum.train_seconds, &(t)->sum.eval_seconds,           \
        &(t)->sum.best_iteration, &(t)->sum.best_test_loss, &(t)->sum.final_val_accuracy,      \
        &(t)->sum.final_val_loss, &(t)->sum.best_val_accuracy, &(t)->sum.best_val_loss,        \
        &(t)->sum.stopped_early_at, &(t)->best.evals_since

/* A checkpoint's contents on the host, in the order written. */
struct saved {
    float *host; /* (1 + n_state, P): the parameters, then each optimizer state */
    float *layers; /* (S): the layers' state (model.state) */
    unsigned char sampler[TRAIN_SAMPLER_STATE_MAX];
    void *log; /* metrics.csv as it is now, so a resumed run rewrites these rows and appends */
    size_t log_len;
    char *config; /* the config it is of, so a refusal to resume under another one names the
                   * keys that differ from this, not from config.yaml (which a copied-in
                   * checkpoint does not match) */
    size_t config_len;
    struct checkpoint_blob blobs[7];
    int n;
};

static int saved_state(struct trainer *t, struct saved *sv)
{
    size_t n = t->s.model.n_params;
    sv->host = malloc((1 + (size_t)t->optim.n_state) * (n ? n : 1) * sizeof *sv->host);
    if (!sv->host || sampler_state_size() > sizeof sv->sampler)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a checkpoint");
    sampler_state_save(&t->sampler, sv->sampler);
    int status = model_download_params(&t->s.model, sv->host);
    sv->blobs[sv->n++] = (struct checkpoint_blob){"params", "F32", sv->host, n * sizeof(float),
                                                  (int64_t)n};
    for (int i = 0; i < t->optim.n_state && status == CLNET_OK; i++) {
        float *state = sv->host + (size_t)(i + 1) * n;
        status = runtime_download(t->s.rt, state, t->optim.state[i], 0, n * sizeof(float));
        sv->blobs[sv->n++] = (struct checkpoint_blob){t->optim.state_names[i], "F32", state,
                                                      n * sizeof(float), (int64_t)n};
    }
    size_t s = t->s.model.n_state;
    sv->layers = s && status == CLNET_OK ? malloc(s * sizeof *sv->layers) : NULL;
    if (s && status == CLNET_OK)
        status = sv->layers ? model_download_state(&t->s.model, sv->layers)
                            : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a checkpoint");
    if (s)
        sv->blobs[sv->n++] = (struct checkpoint_blob){"state", "F32", sv->layers,
                                                      s * sizeof(float), (int64_t)s};
    sv->blobs[sv->n++] = (struct checkpoint_blob){"sampler", "U8", sv->sampler,
                                                  sampler_state_size(),
                                                  (int64_t)sampler_state_size()};
    return status;
}

static int saved_logs(struct trainer *t, struct saved *sv)
{
    int status = CLNET_OK;
    if (fflush(t->run.metrics) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", t->run.metrics_path,
                              strerror(errno));
    if (status == CLNET_OK)
        status = fs_read_file(&sv->log, &sv->log_len, t->run.metrics_path);
    sv->blobs[sv->n++] = (struct checkpoint_blob){METRICS_BLOB, "U8", sv->log, sv->log_len,
                                                  (int64_t)sv->log_len};
    if (status == CLNET_OK)
        status = config_resolved_text(t->exp, &sv->config, &sv->config_len);
    sv->blobs[sv->n++] = (struct checkpoint_blob){CONFIG_BLOB, "U8", sv->config,
                                                  sv->config_len, (int64_t)sv->config_len};
    return status;
}

int checkpoint_write(struct trainer *t, long iteration)
{
    if (!t->ranks.lead) /* every rank holds the same state; rank 0 writes it */
        return CLNET_OK;
    struct saved sv = {0};
    int status = saved_state(t, &sv);
    if (status == CLNET_OK)
        status = saved_logs(t, &sv);
    char values[SUMMARY_KEYS][32];
    const char *extra[2 * SUMMARY_KEYS + 1];
    double *fields[SUMMARY_KEYS] = {SUMMARY_FIELDS(t)};
    for (int i = 0; i < SUMMARY_KEYS; i++) {
        snprintf(values[i], sizeof values[i], "%.17g", *fields[i]);
        extra[2 * i] = summary_keys[i];
        extra[2 * i + 1] = values[i];
    }
    extra[2 * SUMMARY_KEYS] = NULL;
    char *path = run_path(t->run.dir, "checkpoint.bin");
    if (status == CLNET_OK)
        status = path ? checkpoint_save_meta(path, iteration, t->run.config_hash, sv.blobs, sv.n,
                                             extra)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(sv.log);
    free(sv.config);
    free(path);
    free(sv.host);
    free(sv.layers);
    return status;
}

int weights_write(struct trainer *t, const char *name)
{
    struct session *s = &t->s;
    float *host = malloc((s->model.n_params ? s->model.n_params : 1) * sizeof *host);
    char *path = run_path(t->run.dir, name);
    int status = host && path ? model_download_params(&s->model, host)
                              : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = model_save_safetensors(&s->model, host, path);
    free(host);
    free(path);
    return status;
}

/* The run totals of the checkpoint's metadata into t->sum. */
static int resume_totals(struct trainer *t, const struct safetensors *ck)
{
    double *fields[SUMMARY_KEYS] = {SUMMARY_FIELDS(t)};
    for (int i = 0; i < SUMMARY_KEYS; i++) {
        const char *v = safetensors_meta(ck, summary_keys[i]);
        char *end = NULL;
        *fields[i] = v ? strtod(v, &end) : NAN;
        if (!v || end == v || *end)
            return clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint metadata '%s' is missing or "
                                "not a number", ck->path, summary_keys[i]);
    }
    return CLNET_OK;
}

int checkpoint_resume(struct trainer *t, const struct safetensors *ck, long it)
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
    int64_t n_state = (int64_t)s->model.n_state;
    if (status == CLNET_OK && n_state > 0)
        status = checkpoint_find(&e, ck, "state", "F32", n_state);
    if (status == CLNET_OK && n_state > 0)
        status = model_upload_state(&s->model, e->data);
    if (status == CLNET_OK)
        status = checkpoint_find(&e, ck, "sampler", "U8", (int64_t)sampler_state_size());
    if (status == CLNET_OK)
        status = sampler_state_load(&t->sampler, e->data, e->bytes);
    const struct st_entry *log = safetensors_find(ck, METRICS_BLOB);
    if (status == CLNET_OK && (!log || strcmp(log->dtype, "U8") != 0 || log->rank != 1))
        status = clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint tensor '%s' is missing or not "
                              "U8", ck->path, METRICS_BLOB);
    if (status == CLNET_OK)
        status = resume_totals(t, ck);
    t->best.stop = !isnan(t->sum.stopped_early_at); /* it ended there: nothing left to train */
    if (status == CLNET_OK && t->ranks.lead)
        status = fs_write_atomic(t->run.metrics_path, log->data, log->bytes);
    if (status == CLNET_OK && t->ranks.lead)
        status = fs_open_write(&t->run.metrics, t->run.metrics_path, true);
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
    return config_flatten_file(t->run.config_path, out);
}

/* Whether the learning rate of step t depends on train.iterations: a run continued to more
 * iterations would then not be the run of the larger count. None of clnet's does: exp_decay
 * (by t and tau) and step (by t and every) are functions of t alone, constant of nothing; a
 * cosine or linear decay to the last iteration would be. A new kind must decide here. */
static bool schedule_uses_total(enum schedule_kind k)
{
    switch (k) {
    case SCHEDULE_CONSTANT:
    case SCHEDULE_EXP_DECAY:
    case SCHEDULE_STEP:
        return false;
    case SCHEDULE_COUNT:
        break;
    }
    return true;
}

/* How the checkpoint's config differs from this run's: the keys into diff, and whether the one
 * key is train.iterations. Those were once taken from config.yaml alone, which a checkpoint
 * copied in from another run (or one whose config_hash was damaged, before checksums) does not
 * match: no key differed, and the message blamed config.yaml as "missing or unreadable"
 * though it was there. */
static void describe_change(const struct trainer *t, const struct safetensors *ck, char *diff,
                            size_t cap, bool *only_iterations)
{
    struct config_flat now, then;
    bool from_yaml = false, read = false;
    diff[0] = '\0';
    *only_iterations = false;
    if (config_flatten(t->exp, &now) == CLNET_OK) {
        if (checkpoint_config(t, ck, &then, &from_yaml) == CLNET_OK) {
            read = true;
            int n = config_flat_diff(&then, &now, diff, cap, 5);
            const char *a = config_flat_get(&then, "train.iterations");
            const char *b = config_flat_get(&now, "train.iterations");
            *only_iterations = n == 1 && a && b && strcmp(a, b) != 0;
            config_flat_free(&then);
        }
        config_flat_free(&now);
    }
    clnet_error_clear(); /* a missing config is said in diff, not as the error */
    if (!diff[0])
        snprintf(diff, cap, "%s", !read ? "its config.yaml is missing or unreadable"
                                  : from_yaml ? "config.yaml is this config, so the checkpoint "
                                                "is of another run's"
                                              : "the same keys, but not the same config text");
}

int checkpoint_refuse(const struct trainer *t, const char *diff)
{
    return clnet_errorf(CLNET_ERR_CONFIG, "%s: holds a checkpoint of a different config (%s); "
                        "--restart discards it, --out DIR trains elsewhere (without --out a "
                        "changed config gets a folder of its own)", t->run.dir, diff);
}

/* The stopped_early_at of a checkpoint at iteration it: whether early stopping ended its run
 * there. */
static bool stopped_early(const struct safetensors *ck, long it)
{
    const char *v = safetensors_meta(ck, "stopped_early_at");
    char *end = NULL;
    double at = v ? strtod(v, &end) : NAN;
    return v && end != v && !*end && at == (double)it;
}

/* A checkpoint of this config at it: done when the run ended there, else to resume. Of this
 * config but for fewer iterations (train.iterations the only key that differs): continued to
 * the new count (CK_CONTINUE), or done if early stopping ended it (the run of more iterations
 * stops there too); refused when the schedule depends on the total. */
static int classify(const struct trainer *t, const struct safetensors *ck, long it, bool same,
                    struct ck_found *f)
{
    const struct train_spec *ts = &t->exp->train;
    bool only_iterations = false;
    if (!same)
        describe_change(t, ck, f->diff, sizeof f->diff, &only_iterations);
    bool early = stopped_early(ck, it);
    if (same) {
        f->kind = it == ts->iterations || early ? CK_DONE : CK_RESUME;
    } else if (!only_iterations || it > ts->iterations) {
        f->kind = CK_OTHER;
    } else if (schedule_uses_total(ts->schedule.kind)) {
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: holds this config's run but for %s, and "
                            "train.schedule %s depends on the total: continued, it would not "
                            "be the run of %ld iterations; --restart trains it again",
                            t->run.dir, f->diff, schedule_name(ts->schedule.kind),
                            ts->iterations);
    } else {
        f->kind = early ? CK_DONE : CK_CONTINUE;
    }
    return CLNET_OK;
}

int checkpoint_read(struct trainer *t, struct safetensors *ck, const char *path,
                    struct ck_found *f)
{
    uint64_t hash = 0;
    f->diff[0] = '\0';
    int status = checkpoint_load(ck, &f->iteration, &hash, path);
    if (status != CLNET_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", clnet_error_message());
        clnet_error_clear();
        return clnet_errorf(status, "%s (--restart discards it)", why);
    }
    status = classify(t, ck, f->iteration, hash == t->run.config_hash, f);
    if (status == CLNET_OK && f->kind != CK_OTHER && !ck->checked &&
        dist_world()->rank == 0 && !t->opt->quiet) /* format 1 */
        fprintf(stderr, "clnet: note: %s: written by clnet %s, before checkpoints carried "
                "a checksum: resumed unverified (--restart discards it)\n", path,
                safetensors_meta(ck, "clnet_version") ? safetensors_meta(ck, "clnet_version")
                                                      : "(unknown)");
    return status;
}
