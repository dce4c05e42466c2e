/* The run folder's life: its paths; what can refuse the run before anything is written (the
 * folder rule, another process's lock, a checkpoint of another config); what it holds (a
 * checkpoint to resume, a completed run); --restart's removal of a previous run; opening it
 * for this run; and completing it (weights, plots, summary.json). Rank 0 writes it. */
#define _GNU_SOURCE
#include "train/trainer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "dist/dist.h"
#include "report/page.h"
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

int run_paths(struct trainer *t)
{
    struct trainer_run *r = &t->run;
    if (t->opt->out_dir)
        r->dir = strdup(t->opt->out_dir);
    else if (asprintf(&r->dir, "runs/%s", t->exp->name) < 0)
        r->dir = NULL;
    if (!r->dir)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    r->config_path = run_path(r->dir, "config.yaml");
    r->summary_path = run_path(r->dir, "summary.json");
    r->metrics_path = run_path(r->dir, "metrics.csv");
    return r->config_path && r->metrics_path && r->summary_path
               ? config_resolved_hash(t->exp, &r->config_hash)
               : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
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

/* What an existing run folder holds for this config: nothing to resume (*it = -1), a
 * checkpoint to resume from (loaded into ck), or a completed run (*it = the iterations). */
static int examine(struct trainer *t, struct safetensors *ck, long *it, bool *completed)
{
    *it = -1;
    *completed = false;
    char *path = run_path(t->run.dir, "checkpoint.bin");
    char *weights = run_path(t->run.dir, "model.safetensors");
    int status = path && weights ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    if (status == CLNET_OK && fs_exists(path)) {
        status = checkpoint_read(t, ck, it, path);
        *completed = status == CLNET_OK && *it == t->exp->train.iterations &&
                     fs_exists(weights) && summary_says_completed(t->run.dir);
    }
    if (status != CLNET_OK)
        *it = -1;
    free(path);
    free(weights);
    return status;
}

int run_examine(struct trainer *t, struct safetensors *ck, long *resume_at, bool *completed)
{
    int status = run_dir_check(t->run.dir, t->opt->out_dir != NULL);
    bool existed = fs_exists(t->run.dir);
    if (status == CLNET_OK && existed && dist_world()->rank == 0)
        status = fs_lock_dir(t->run.dir, &t->run.lock);
    if (status == CLNET_OK && existed && !t->opt->restart)
        status = examine(t, ck, resume_at, completed);
    return status;
}

/* --restart: the previous run's checkpoint, weights and summary go before anything new is
 * written, so nothing of it can be mistaken for this run's. */
static int remove_previous_run(const char *dir)
{
    static const char *const names[] = {"checkpoint.bin", "model.safetensors", "summary.json"};
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
        printf("%s: test accuracy %.4f (best %.4f), %.1f iterations/s; %s/\n", e->name,
               t->sum.final_test_accuracy, t->sum.best_test_accuracy,
               t->sum.iterations_per_second, t->run.dir);
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
