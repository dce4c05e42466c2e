/* What a run writes besides weights: metrics.csv (one row per evaluation), summary.json, and
 * the progress line (updated in place on a terminal, plain lines otherwise). */
#ifndef CLNET_REPORT_REPORT_H
#define CLNET_REPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "data/epoch.h"
#include "util/options.h"

enum run_status {
    RUN_COMPLETED,
    RUN_DIVERGED,
    RUN_INTERRUPTED,
    RUN_FAILED,
    RUN_STATUS_COUNT
};

const char *run_status_name(enum run_status s);

struct metrics_row {
    long iteration; /* steps done; row 0 is the evaluation before the first step */
    struct epoch_ratio epoch; /* epochs done: iteration * batch / training images */
    double lr; /* the rate of step `iteration` (row 0: of the first step) */
    double train_loss, train_acc; /* the last step's mini-batch; NaN in row 0 (no step yet) */
    double test_loss, test_acc;
    double val_loss, val_acc; /* the validation split (data.validation) */
    double full_train_loss, full_train_acc; /* the whole training set (train.eval_train: full) */
    /* train.loss's list form: each term's mean value (before its weight) over the last step's
     * rows and over the test set, (n_terms) each; NaN in train_terms' row 0. */
    int n_terms;
    const double *train_terms, *test_terms;
};

/* The optional columns of metrics.csv, present only when the run has what they measure, so
 * a run without them writes the bytes it wrote before they existed. */
enum {
    METRICS_VALIDATION = 1u << 0, /* val_loss, val_acc after test_acc */
    METRICS_FULL_TRAIN = 1u << 1, /* full_train_loss, full_train_acc at the end */
};

/* metrics.csv, written row by row and flushed, so a long run can be watched. It holds no
 * times, so the same seed on the same device gives the same bytes (times: summary.json).
 * The epoch column comes second, EPOCH_FILE_DECIMALS digits computed from integers; columns
 * is a set of METRICS_* flags, the same for every row of a file. */
int metrics_open(FILE **f, const char *path, unsigned columns);
/* With train.loss's list form's n terms named names: the columns train_loss_NAME of each term,
 * then test_loss_NAME of each, after the others. */
int metrics_open_terms(FILE **f, const char *path, unsigned columns, int n,
                       const char *const *names);
int metrics_write(FILE *f, const struct metrics_row *r, unsigned columns);
int metrics_close(FILE *f, const char *path);

struct run_summary {
    const char *name;
    enum run_status status;
    long iterations;
    struct epoch_ratio epochs; /* iterations * batch / training images; den 0: unknown */
    double final_test_accuracy, best_test_accuracy, final_test_loss, final_train_loss;
    /* The best evaluation, chosen on the validation set when there is one (best_on says on
     * what), and the test set's figures there: best.safetensors holds its weights. Doubles,
     * as a checkpoint keeps them; NaN: none yet (or no validation split). */
    const char *best_on; /* "val_acc", "val_loss" or "test_acc" */
    double best_iteration, best_test_loss;
    int validation_images; /* data.validation; 0: no split, and no val_* fields written */
    double final_val_accuracy, final_val_loss, best_val_accuracy, best_val_loss;
    double stopped_early_at; /* the iteration early stopping ended the run at; NaN: it did not */
    const double *per_class_accuracy; /* (classes) the final weights' on each test class (NaN:
                                       * no image of it), or NULL: not counted */
    int classes;
    long long parameters;
    double startup_seconds, train_seconds, iterations_per_second, eval_seconds;
    double first_step_seconds; /* process start to the first step finished; NaN: none ran */
    long long peak_host_rss_bytes;    /* getrusage's ru_maxrss * 1024 when the run ended */
    long long device_bytes_allocated; /* runtime_bytes_allocated when the run ended */
    const char *device, *platform;
    long long device_compute_units; /* CL_DEVICE_MAX_COMPUTE_UNITS: PoCL's worker threads */
    const char *ops_path; /* "cpu" or "gpu": the kernels the ops ran (runtime_ops_path) */
    bool sgd_fused; /* the SGD update ran inside the backward GEMMs (model.sgd_fused) */
    bool dense_stack; /* training steps ran as layers/dense_stack.c's fewer launches */
    long long spin_wait_us; /* PoCL's waits spun this long first (runtime/spinwait.h); 0: off */
    long long spin_waits_caught, spin_waits_spun_out; /* spinwait_counts at the end */
    const char *message; /* why it diverged or failed, or NULL */
    uint64_t config_hash; /* of the resolved config (train.c), as 16 hex digits: what a sweep
                           * compares to skip a run that completed with the same config */
};

/* summary.json, through a temporary file renamed into place. Non-finite numbers are null. */
int summary_write(const char *path, const struct run_summary *s);

/* The rate and ETA come from the last PROGRESS_WINDOW_SECONDS of steps (progress_chunk's
 * chunks, newest first, up to PROGRESS_WINDOW of them): recent enough to follow a change of
 * pace, long enough to smooth one slow chunk. A window of so many chunks was 0.4 s for fast
 * steps (chunks of at most 100 steps), which a loaded machine shook by 20% and more. */
#define PROGRESS_WINDOW 256
#define PROGRESS_WINDOW_SECONDS 3.0

struct progress {
    bool tty, quiet;
    bool verbose;    /* on a terminal, keep each evaluation's line (set after progress_init) */
    double test_acc; /* the last evaluation's test accuracy, NaN before the first */
    long total;
    long first;     /* the iteration the process started at (a resumed run's checkpoint) */
    int batch, train_images; /* for the epoch shown; 0 (progress_init's): none shown */
    long eval_every;         /* for the ETA's evaluations still to come; 0: none counted */
    long window_steps[PROGRESS_WINDOW];
    double window_seconds[PROGRESS_WINDOW];
    int window_next;
    double eval_seconds; /* all evaluations so far, and their count: the ETA's mean */
    int evals;
    /* The wall clock since the first steady-state chunk began, less its steps' seconds: what
     * evaluations, plots, checkpoints and writes took between the chunks. Its growth from one
     * evaluation to the next is the ETA's cost of an evaluation left, so the ETA counts them
     * all (the latest: a cold start's first evaluation compiles what it runs). */
    double wall_first, step_seconds_since, between_at_eval, eval_cost;
    int evals_since;
    double drawn; /* monotonic seconds of the last in-place update, for the 10-a-second cap */
    int last_len;
};

void progress_init(struct progress *p, long first, long total, bool quiet);
/* Whether progress_init takes stdout for a terminal: by isatty (AUTO, the default) or as
 * --progress / CLNET_PROGRESS said; main sets it. */
void progress_set_mode(enum options_progress mode);
/* A chunk of `steps` steady-state steps that took `seconds` (the caller leaves out the first
 * step, which carries the kernels' compilation). */
void progress_chunk(struct progress *p, long steps, double seconds);
/* An evaluation that took `seconds`. */
void progress_eval(struct progress *p, double seconds);
/* One update: in place on a terminal, at most PROGRESS_PER_SECOND a second unless `plain`, cut
 * to the terminal's width (term_columns) by dropping fields; on a pipe only when `plain` (at
 * evaluations), every field. CLNET_PROGRESS=tty or =plain chooses instead of isatty(stdout). */
#define PROGRESS_PER_SECOND 10
void progress_update(struct progress *p, long iteration, double loss, double acc,
                     double test_acc, double lr, bool plain);
/* A line that stays (--verbose notes: a checkpoint written), printed above the in-place line
 * on a terminal; the next update redraws that. Nothing when quiet. */
void progress_note(struct progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void progress_end(struct progress *p);

double clock_seconds(void); /* monotonic */

#endif
