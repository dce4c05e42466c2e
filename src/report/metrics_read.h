/* Reading back what a run wrote: metrics.csv (report.c writes it) into columns, for the plots
 * and `clnet report`. N below is the number of rows. */
#ifndef CLNET_REPORT_METRICS_READ_H
#define CLNET_REPORT_METRICS_READ_H

#include <stdbool.h>
#include <stddef.h>

struct metrics_table {
    int n;           /* N rows (0: the run has not evaluated yet) */
    bool full_train; /* the full_train_* columns exist */
    bool has_epoch;  /* the epoch column exists (runs of clnet before it had none) */
    double *iteration, *lr, *train_loss, *train_acc, *test_loss, *test_acc; /* (N) */
    double *full_train_loss, *full_train_acc; /* (N), NULL unless full_train */
    double *epoch; /* (N), NULL unless has_epoch */
};

/* Reads path. The header names the columns: iteration, lr, train_loss, train_acc, test_loss
 * and test_acc must be there, full_train_loss and full_train_acc may be (both or neither),
 * epoch may be (a number >= 0), and other columns are skipped, so a newer writer's extra
 * columns do not break an older reader.
 * Values are numbers; iterations are whole numbers >= 0 that increase row by row; only the
 * loss columns may hold nan or inf (a set's loss when the model overflowed on it), and
 * train_acc nan in the row of iteration 0 (evaluated before the first step); lr is
 * finite and the accuracies lie in [0, 1]. A file of zero
 * bytes or only the header gives n = 0 (a run that has not evaluated yet). Errors:
 * CLNET_ERR_IO when the file cannot be read; CLNET_ERR_DATA "PATH:LINE: what" when it is
 * malformed. On error *t is left empty (metrics_table_free is still safe). */
int metrics_read(struct metrics_table *t, const char *path);

/* Parses text (len bytes; need not be NUL-terminated) as metrics_read does; path names it in
 * errors. */
int metrics_parse(struct metrics_table *t, const char *text, size_t len, const char *path);

void metrics_table_free(struct metrics_table *t);

#endif
