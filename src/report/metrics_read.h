/* Reading back what a run wrote: metrics.csv (report.c writes it, one row per evaluation) and
 * steps.csv (train/steps.c, one row per step) into columns found by name, for the plots, the
 * pages and `clnet report`. N below is the number of rows. */
#ifndef CLNET_REPORT_METRICS_READ_H
#define CLNET_REPORT_METRICS_READ_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_MAX_COLUMNS 64

struct metrics_table {
    int n;       /* N rows (0: the run has not evaluated yet) */
    int n_cols;  /* the columns kept, in the header's order */
    char *names[METRICS_MAX_COLUMNS];
    double *cols[METRICS_MAX_COLUMNS]; /* (N) each */
    /* The columns the plots use by name, pointers into cols (NULL when absent). */
    bool full_train; /* the full_train_* columns exist */
    bool has_epoch;  /* the epoch column exists (runs of clnet before it had none) */
    double *iteration, *lr, *train_loss, *train_acc, *test_loss, *test_acc; /* (N) */
    double *full_train_loss, *full_train_acc; /* (N), NULL unless full_train */
    double *epoch; /* (N), NULL unless has_epoch */
};

/* Reads a metrics.csv at path. The header names the columns: iteration, lr, train_loss,
 * train_acc, test_loss and test_acc must be there; every other column named epoch or ending
 * in _loss or _acc is kept too (full_train_*, val_*: metrics_column finds them), a P_loss
 * only with its P_acc; other columns are skipped, so a newer writer's extra columns do not
 * break an older reader. Values are numbers; iterations are whole numbers >= 0 that increase
 * row by row; only the _loss columns may hold nan or inf (a set's loss when the model
 * overflowed on it), and train_acc nan in the row of iteration 0 (evaluated before the
 * first step); lr is finite, epoch finite and >= 0, and the _acc columns lie in [0, 1].
 * A file of zero bytes or only the header gives n = 0 (a run that has not evaluated yet).
 * Errors: CLNET_ERR_IO when the file cannot be read; CLNET_ERR_DATA "PATH:LINE: what" when it
 * is malformed. On error *t is left empty (metrics_table_free is still safe). */
int metrics_read(struct metrics_table *t, const char *path);

/* Parses text (len bytes; need not be NUL-terminated) as metrics_read does; path names it in
 * errors. */
int metrics_parse(struct metrics_table *t, const char *text, size_t len, const char *path);

/* steps.csv, the same rules with the columns iteration, train_loss, train_acc required. */
int steps_read(struct metrics_table *t, const char *path);
int steps_parse(struct metrics_table *t, const char *text, size_t len, const char *path);

/* The column called name, or NULL when the file has none. */
const double *metrics_column(const struct metrics_table *t, const char *name);

void metrics_table_free(struct metrics_table *t);

#endif
