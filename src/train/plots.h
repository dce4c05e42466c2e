/* A run's plots while it trains: steps.csv, the curves redrawn after each evaluation so a long
 * run can be watched (skipped when drawing would take more than a twentieth of the run's
 * time), and at the end every plot, predictions.png and confusion.png included. A plotting
 * failure never stops the training: it is kept and reported once the run's own files are
 * written. */
#ifndef CLNET_TRAIN_PLOTS_H
#define CLNET_TRAIN_PLOTS_H

#include <stdbool.h>

#include "config/experiment.h"
#include "report/confusion.h"
#include "train/session.h"
#include "train/steps.h"

struct run_plots {
    const char *dir, *name;
    const char *title;         /* report.title, else the name */
    enum report_x_axis x_axis; /* report.x_axis */
    bool verbose;
    double cost;      /* seconds the last refresh took */
    double next;      /* monotonic seconds before which a refresh is skipped */
    int drawn, skipped;
    double total;     /* seconds spent in refreshes */
    int status;       /* the first plotting failure, or CLNET_OK */
    char message[512];
    struct run_steps steps; /* steps.csv, the thin curve under the evaluations */
    /* The final weights' accuracy on each test class (summary.json), when the run completed
     * and its confusion matrix was counted; per_class NULL otherwise. */
    double per_class[CONFUSION_MAX_CLASSES];
    const double *per_class_accuracy;
    int classes;
};

void run_plots_init(struct run_plots *p, const char *dir, const struct experiment *e,
                    bool verbose);

/* The rows of n steps from iteration first + 1 into steps.csv (steps.h), opened at the first
 * call: a run that resumes at iteration first keeps the rows before it. */
int run_plots_steps(struct run_plots *p, long first, const float *acc, int n, int batch,
                    bool sync);

/* After an evaluation row is in metrics.csv: accuracy.png, loss.png (and lr.png) again. */
void run_plots_refresh(struct run_plots *p);

/* The end of a run whose status is run_status: steps.csv closed; the curves once more (never
 * skipped); for a completed run (CLNET_OK) also predictions.csv, the test set's confusion
 * matrix (confusion.json, per_class_accuracy) and every plot in e's report.format. Returns
 * run_status when it is a failure (that stays the error reported), else the first plotting
 * failure (CLNET_ERR_IO, message "NAME: plots: ...; the run itself completed") or CLNET_OK. */
int run_plots_finish(struct run_plots *p, struct session *s, const struct experiment *e,
                     int run_status);

#endif
