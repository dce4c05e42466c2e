/* train_run: a run as its steps. Everything that can refuse it is checked before the run
 * folder is written; then the trainer opens, the folder is made this run's, the step loop
 * runs (loop.c) and the run completes (weights, plots, summary.json). trainer.h names the
 * file of each part. */
#include "train/train.h"

#include <stdio.h>
#include <stdlib.h>

#include "dist/dist.h"
#include "model/checkpoint.h"
#include "report/page.h"
#include "train/trainer.h"
#include "util/fs.h"
#include "util/status.h"

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

/* The trainer open, the run folder made this run's (rank 0), and where it starts: from the
 * checkpoint ck at resume_at, or from the beginning with a new metrics.csv. */
/* metrics.csv, with a column pair per loss term (train.loss's list form). */
static int open_metrics(struct trainer *t)
{
    const char *names[LOSS_MAX_TERMS];
    for (int k = 0; k < t->exp->train.n_terms; k++)
        names[k] = t->exp->train.terms[k].name;
    return metrics_open_terms(&t->run.metrics, t->run.metrics_path, evaluate_columns(t),
                              t->exp->train.n_terms, names);
}

static int start(struct trainer *t, const struct safetensors *ck, long resume_at)
{
    int status = cold_start_begin(t); /* forks: before the trainer opens OpenCL */
    if (status == CLNET_OK)
        status = trainer_open(t);
    if (status == CLNET_OK && t->ranks.lead)
        status = run_open(t);
    if (status == CLNET_OK && resume_at >= 0)
        status = checkpoint_resume(t, ck, resume_at);
    else if (status == CLNET_OK && t->ranks.lead)
        status = open_metrics(t);
    return status;
}

/* A completed run's folder as its end leaves it: a run killed after summary.json said
 * completed (while drawing layer statistics or writing index.html, run_finish) left a
 * temporary file, and perhaps no page; the lock is held (run_paths). */
static int completed_tidy(struct trainer *t)
{
    if (dist_world()->rank != 0)
        return CLNET_OK;
    fs_remove_stale_temps(t->run.dir);
    char *page = run_path(t->run.dir, "index.html");
    int status = page ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK && !fs_exists(page))
        status = page_write_run(t->run.dir);
    free(page);
    return status;
}

int train_run(const struct experiment *e, const struct train_options *o)
{
    int status = check_trainable(e, dist_world());
    if (status != CLNET_OK)
        return status;
    struct trainer t = {.exp = e, .opt = o, .run.lock = -1};
    summary_init(&t);
    struct safetensors ck = {0};
    long resume_at = -1;
    bool completed = false;
    /* Refused before the run folder is written: another process on it (its lock, taken first
     * when it exists), a checkpoint of another config; then (start) bad data, a device that
     * cannot hold the model. */
    status = run_paths(&t);
    if (status == CLNET_OK)
        status = run_examine(&t, &ck, &resume_at, &completed);
    if (status == CLNET_OK && completed) {
        status = completed_tidy(&t);
        if (status == CLNET_OK && !o->quiet && dist_world()->rank == 0)
            printf("%s: already completed (%ld iterations) in %s/; --restart trains it again\n",
                   e->name, resume_at, t.run.dir);
    } else {
        if (status == CLNET_OK)
            status = start(&t, &ck, resume_at);
        safetensors_free(&ck);
        if (status == CLNET_OK) {
            summary_device(&t);
            if (!o->quiet && t.ranks.lead)
                summary_print_start(&t, resume_at);
            status = trainer_loop(&t);
        }
        status = run_finish(&t, status);
    }
    safetensors_free(&ck);
    trainer_close(&t);
    run_close(&t);
    return status;
}
