/* The run folder's life: its paths; what can refuse the run before anything is written (the
 * folder rule, another process's lock, a checkpoint of another config); what it holds (a
 * checkpoint to resume, a completed run); --restart's removal of a previous run; opening it
 * for this run; and completing it (weights, plots, summary.json). Rank 0 writes it. */
#define _GNU_SOURCE
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/flat.h"
#include "dist/dist.h"
#include "report/page.h"
#include "report/plot.h"
#include "train/layer_stats.h"
#include "train/run_dir.h"
#include "util/fs.h"
#include "util/status.h"

char *run_path(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return NULL;
    return p;
}

/* The run folder dir (taken) and its files' paths. */
static int set_dir(struct trainer_run *r, char *dir)
{
    free(r->dir);
    free(r->config_path);
    free(r->summary_path);
    free(r->metrics_path);
    r->dir = dir;
    r->config_path = dir ? run_path(dir, "config.yaml") : NULL;
    r->summary_path = dir ? run_path(dir, "summary.json") : NULL;
    r->metrics_path = dir ? run_path(dir, "metrics.csv") : NULL;
    return r->config_path && r->metrics_path && r->summary_path
               ? CLNET_OK
               : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
}

int run_paths(struct trainer *t)
{
    char *dir = NULL;
    if (t->opt->out_dir)
        dir = strdup(t->opt->out_dir);
    else if (asprintf(&dir, "runs/%s", t->exp->name) < 0)
        dir = NULL;
    int status = set_dir(&t->run, dir);
    return status == CLNET_OK ? config_resolved_hash(t->exp, &t->run.config_hash) : status;
}

static bool summary_says_completed(const char *dir)
{
    char *path = run_path(dir, "summary.json");
    void *text = NULL;
    size_t len = 0;
    bool done = path && fs_read_file(&text, &len, path) == CLNET_OK &&
                strstr(text, "\"status\": \"completed\"");
    clnet_error_clear();
    free(text);
    free(path);
    return done;
}

/* A folder without a checkpoint whose config.yaml is another config's (a run that failed or
 * diverged before its first checkpoint): the keys into diff. One that cannot be read is no
 * run's to keep. */
static bool config_yaml_differs(const struct trainer *t, char *diff, size_t cap)
{
    struct config_flat now, then;
    int n = 0;
    if (fs_exists(t->run.config_path) && config_flatten(t->exp, &now) == CLNET_OK) {
        if (config_flatten_file(t->run.config_path, &then) == CLNET_OK) {
            n = config_flat_diff(&then, &now, diff, cap, 5);
            config_flat_free(&then);
        }
        config_flat_free(&now);
    }
    clnet_error_clear();
    return n > 0;
}

/* What an existing run folder holds for this config (found): a checkpoint to resume, continue
 * or of a finished run (loaded into ck), another config's run (kind CK_OTHER), or nothing
 * (iteration -1). *completed: a finished run of this config, its weights and summary there. */
static int examine(struct trainer *t, struct safetensors *ck, struct ck_found *found,
                   bool *completed)
{
    *found = (struct ck_found){.kind = CK_RESUME, .iteration = -1};
    *completed = false;
    char *path = run_path(t->run.dir, "checkpoint.bin");
    char *weights = run_path(t->run.dir, "model.safetensors");
    int status = path && weights ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    if (status == CLNET_OK && fs_exists(path)) {
        status = checkpoint_read(t, ck, path, found);
        *completed = status == CLNET_OK && found->kind == CK_DONE && fs_exists(weights) &&
                     summary_says_completed(t->run.dir);
    } else if (status == CLNET_OK && !t->opt->out_dir &&
               config_yaml_differs(t, found->diff, sizeof found->diff)) {
        found->kind = CK_OTHER;
    }
    free(path);
    free(weights);
    return status;
}

/* Folder k of this config's name: runs/NAME, then runs/NAME-2, -3, ... */
#define RUN_DIR_TRIES 1000
static int try_dir(struct trainer *t, int k)
{
    char *dir = NULL;
    if (k > 1 && asprintf(&dir, "runs/%s-%d", t->exp->name, k) < 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int status = k > 1 ? set_dir(&t->run, dir) : CLNET_OK;
    if (status != CLNET_OK)
        return status;
    if (t->run.lock >= 0)
        close(t->run.lock);
    t->run.lock = -1;
    status = run_dir_check(t->run.dir, t->opt->out_dir != NULL);
    if (status == CLNET_OK && fs_exists(t->run.dir) && dist_world()->rank == 0)
        status = fs_lock_dir(t->run.dir, &t->run.lock);
    return status;
}

int run_examine(struct trainer *t, struct safetensors *ck, long *resume_at, bool *completed)
{
    struct ck_found found = {.kind = CK_RESUME, .iteration = -1};
    char first[4200] = "", diff[640] = "";
    *completed = false;
    int status = CLNET_OK;
    /* A changed config trains into a new folder, the old run untouched; --out names one. */
    for (int k = 1; k <= RUN_DIR_TRIES && status == CLNET_OK; k++) {
        if ((status = try_dir(t, k)) != CLNET_OK || !fs_exists(t->run.dir) || t->opt->restart)
            break;
        status = examine(t, ck, &found, completed);
        if (status != CLNET_OK || found.kind != CK_OTHER)
            break;
        if (t->opt->out_dir)
            return checkpoint_refuse(t, found.diff);
        if (k == 1) {
            snprintf(first, sizeof first, "%s", t->run.dir);
            snprintf(diff, sizeof diff, "%s", found.diff);
        }
        safetensors_free(ck);
        found = (struct ck_found){.kind = CK_RESUME, .iteration = -1};
        if (k == RUN_DIR_TRIES)
            status = clnet_errorf(CLNET_ERR_USAGE, "%s and %s-2 ... -%d hold runs of other "
                                  "configs; --set name=NEW trains elsewhere", first, first, k);
    }
    if (status == CLNET_OK && first[0] && !t->opt->quiet && dist_world()->rank == 0)
        fprintf(stderr, "clnet: note: %s holds a run of another config (%s): this config's "
                "run is %s (--restart trains over %s instead)\n", first, diff, t->run.dir, first);
    *resume_at = status == CLNET_OK ? found.iteration : -1;
    t->run.continuing = status == CLNET_OK && found.kind == CK_CONTINUE;
    return status;
}

/* --restart: the previous run's checkpoint, weights and summary go before anything new is
 * written, so nothing of it can be mistaken for this run's. */
static int remove_previous_run(const char *dir)
{
    /* The predictions too: a run whose loss does not classify writes none (train.loss). */
    static const char *const names[] = {"checkpoint.bin", "model.safetensors",
                                        "best.safetensors", "summary.json", "predictions.csv",
                                        "predictions.png", "confusion.json", "confusion.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = run_path(dir, names[i]);
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

int run_open(struct trainer *t)
{
    struct trainer_run *r = &t->run;
    int status = fs_mkdir_p(r->dir);
    if (status == CLNET_OK && r->lock < 0)
        status = fs_lock_dir(r->dir, &r->lock);
    if (status == CLNET_OK) {
        fs_remove_stale_temps(r->dir);
        if (t->opt->restart)
            status = remove_previous_run(r->dir);
    }
    if (status == CLNET_OK) {
        r->wrote = true;
        run_plots_init(&t->plots, r->dir, t->exp, t->opt->verbose);
        status = config_save_resolved(t->exp, r->config_path);
    }
    return status;
}

/* The run's last line: the test accuracy of the final and the best weights; with a validation
 * split, which iteration was best and its validation accuracy; whether it stopped early. */
static void print_result(const struct trainer *t)
{
    const struct run_summary *sum = &t->sum;
    const char *name = t->exp->name;
    if (!isnan(sum->stopped_early_at))
        printf("%s: stopped early at iteration %.0f: no better %s in %d evaluation%s\n", name,
               sum->stopped_early_at, sum->best_on, t->exp->train.early_stopping.patience,
               t->exp->train.early_stopping.patience == 1 ? "" : "s");
    if (!experiment_classifies(t->exp))
        printf("%s: test loss %.6g (best %.6g at iteration %.0f), %.1f iterations/s; %s/\n",
               name, sum->final_test_loss, sum->best_test_loss, sum->best_iteration,
               sum->iterations_per_second, t->run.dir);
    else if (sum->validation_images > 0)
        printf("%s: test accuracy %.4f (best %.4f at iteration %.0f, validation %.4f), %.1f "
               "iterations/s; %s/\n", name, sum->final_test_accuracy, sum->best_test_accuracy,
               sum->best_iteration, sum->best_val_accuracy, sum->iterations_per_second,
               t->run.dir);
    else
        printf("%s: test accuracy %.4f (best %.4f), %.1f iterations/s; %s/\n", name,
               sum->final_test_accuracy, sum->best_test_accuracy, sum->iterations_per_second,
               t->run.dir);
}

int run_finish(struct trainer *t, int status)
{
    const struct experiment *e = t->exp;
    if (t->run.metrics) {
        int st = metrics_close(t->run.metrics, t->run.metrics_path);
        status = status ? status : st;
    }
    if (status == CLNET_OK && t->ranks.lead)
        status = weights_write(t, "model.safetensors");
    if (!t->run.wrote)
        return status;
    /* Predictions and plots come before summary.json says completed, so a run killed while
     * drawing them is resumed, not taken for a finished one; a plotting failure is reported
     * once summary.json is written: it cannot lose the run. */
    int plots = run_plots_finish(&t->plots, &t->s, e, status);
    summary_fill(t, status);
    int st = summary_write(t->run.summary_path, &t->sum);
    status = status ? status : st;
    if (status == CLNET_OK && !t->opt->quiet)
        print_result(t);
    status = status ? status : plots;
    if (e->train.layer_stats > 0 && t->sum.iterations >= e->train.layer_stats) {
        st = layer_stats_plot(t->run.dir, e->name, e->report.format);
        status = status ? status : st;
    }
    st = page_write_run(t->run.dir); /* index.html: the run's page (report/page.h) */
    return status ? status : st;
}

void run_close(struct trainer *t)
{
    if (t->run.lock >= 0)
        close(t->run.lock);
    free(t->run.dir);
    free(t->run.config_path);
    free(t->run.metrics_path);
    free(t->run.summary_path);
}
