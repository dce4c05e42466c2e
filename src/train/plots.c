/* The training loop's plots (see plots.h). */
#include "train/plots.h"

#include <stdio.h>
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
    int status = report_run_with(p->dir, p->name, data, fmt, p->x_axis);
    double t1 = clock_seconds();
    if (!data) {
        p->cost = t1 - t0;
        p->total += p->cost;
        p->drawn++;
        p->next = t1 + p->cost * (1 - PLOT_SHARE) / PLOT_SHARE;
    }
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
    if (run_status != CLNET_OK) {
        /* The run's own error stays the recorded one: what the plots say is dropped. */
        if (p->status == CLNET_OK)
            draw(p, NULL, REPORT_PNG);
        return run_status;
    }
    if (p->status == CLNET_OK)
        keep(p, train_write_predictions(s, p->dir, e->seed));
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
