/* The training loop's plots (see plots.h). */
#include "train/plots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "report/report.h"
#include "train/predictions.h"
#include "util/status.h"

/* Refreshes may take at most this share of the wall time between them. */
#define PLOT_SHARE 0.05

void run_plots_init(struct run_plots *p, const char *dir, const struct experiment *e,
                    bool verbose)
{
    memset(p, 0, sizeof *p);
    p->dir = dir;
    p->name = e->name;
    p->title = e->report.title ? e->report.title : e->name;
    p->x_axis = e->report.x_axis;
    p->verbose = verbose;
}

/* Keeps the first failure's message and clears it, so a later training error is the one
 * recorded if the run fails after all. */
static void keep(struct run_plots *p, int status)
{
    if (status == CLNET_OK || p->status != CLNET_OK)
        return;
    p->status = status;
    snprintf(p->message, sizeof p->message, "%s", clnet_error_message());
    clnet_error_clear();
}

static int draw(struct run_plots *p, const struct mnist *data, enum report_format fmt)
{
#if !CLNET_HAVE_PLOTS
    return CLNET_OK; /* PLOT_NONE_MESSAGE: metrics.csv and predictions.csv are the run's record */
#endif
    double t0 = clock_seconds();
    int status = report_run_with(p->dir, p->title, data, fmt, p->x_axis);
    double t1 = clock_seconds();
    if (!data) {
        p->cost = t1 - t0;
        p->total += p->cost;
        p->drawn++;
        p->next = t1 + p->cost * (1 - PLOT_SHARE) / PLOT_SHARE;
    }
    return status;
}

int run_plots_steps(struct run_plots *p, long first, const float *acc, int n, int batch,
                    bool sync)
{
    int status = p->steps.f ? CLNET_OK : steps_open(&p->steps, p->dir, first);
    return status == CLNET_OK ? steps_append(&p->steps, first, acc, n, batch, sync) : status;
}

/* confusion.json of the final weights on the test set, and its per-class accuracy kept for
 * summary.json. */
static int write_confusion(struct run_plots *p, struct session *s)
{
    struct confusion c;
    int status = train_confusion(&c, s, &s->test, s->data.test_labels);
    if (status == CLNET_OK && c.classes == 0)
        return CLNET_OK; /* too many classes to show */
    char *path = status == CLNET_OK ? plot_path(p->dir, "confusion", "json") : NULL;
    if (status == CLNET_OK)
        status = path ? confusion_write(&c, "test", "final", path)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int k = 0; status == CLNET_OK && k < c.classes; k++)
        p->per_class[k] = confusion_class_accuracy(&c, k);
    if (status == CLNET_OK) {
        p->classes = c.classes;
        p->per_class_accuracy = p->per_class;
    }
    confusion_free(&c);
    free(path);
    return status;
}

void run_plots_refresh(struct run_plots *p)
{
    if (p->status != CLNET_OK)
        return; /* one failure is enough: the end of the run reports it */
    if (clock_seconds() < p->next) {
        p->skipped++;
        return;
    }
    keep(p, draw(p, NULL, REPORT_PNG));
}

int run_plots_finish(struct run_plots *p, struct session *s, const struct experiment *e,
                     int run_status)
{
    keep(p, steps_close(&p->steps));
    if (run_status != CLNET_OK) {
        /* The run's own error stays the recorded one: what the plots say is dropped. */
        if (p->status == CLNET_OK)
            draw(p, NULL, REPORT_PNG);
        return run_status;
    }
    bool classifies = experiment_classifies(e); /* predictions are classes */
    if (p->status == CLNET_OK && classifies)
        keep(p, train_write_predictions(s, p->dir, e->seed));
    if (p->status == CLNET_OK && classifies)
        keep(p, write_confusion(p, s));
    if (p->status == CLNET_OK)
        keep(p, draw(p, &s->data, e->report.format));
    if (p->verbose && !CLNET_HAVE_PLOTS)
        printf("%s: no plots: %s\n", p->name, PLOT_NONE_MESSAGE);
    else if (p->verbose)
        printf("%s: plots drawn %d times during the run (%.0f ms each on average), skipped %d "
               "times to stay under %.0f%% of the time\n",
               p->name, p->drawn, p->drawn ? 1e3 * p->total / p->drawn : 0.0, p->skipped,
               100 * PLOT_SHARE);
    if (p->status == CLNET_OK)
        return CLNET_OK;
    return clnet_errorf(p->status, "%s: plots: %s; the run itself completed", p->name,
                        p->message);
}
