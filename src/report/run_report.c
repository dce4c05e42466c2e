/* The plots of one run from its files (see plot.h): metrics.csv gives accuracy.png, loss.png
 * and lr.png; predictions.csv with the run's test images gives predictions.png. */
#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/metrics_read.h"
#include "util/fs.h"
#include "util/status.h"

/* Curves of few points get a dot at each point, so a single evaluation still shows. */
#define MARKERS_BELOW 30

/* One run's curves: its rows and what they are drawn against. */
struct curves {
    const char *dir, *name;
    const struct metrics_table *t;
    enum report_format fmt;
    const double *x;    /* (N) t->iteration, or t->epoch */
    const char *xlabel; /* "iteration" or "epoch" */
};

/* The last row with a finite test accuracy, or -1. */
static int last_test_row(const struct metrics_table *t)
{
    for (int i = t->n - 1; i >= 0; i--)
        if (isfinite(t->test_acc[i]))
            return i;
    return -1;
}

/* "NAME: what" and "test accuracy A at iteration I" (the last evaluation), with its epoch
 * when metrics.csv has them. */
static void titles(char *title, char *subtitle, size_t cap, const char *name,
                   const struct metrics_table *t, const char *what)
{
    snprintf(title, cap, "%s: %s", name, what);
    int last = last_test_row(t);
    if (last >= 0 && t->has_epoch)
        snprintf(subtitle, cap, "test accuracy %.4f at iteration %.0f (epoch %.4f)",
                 t->test_acc[last], t->iteration[last], t->epoch[last]);
    else if (last >= 0)
        snprintf(subtitle, cap, "test accuracy %.4f at iteration %.0f", t->test_acc[last],
                 t->iteration[last]);
    else
        snprintf(subtitle, cap, "no test accuracy yet");
}

/* True when every finite positive value of the columns spans more than ratio (and there is no
 * zero or negative one): worth a log axis. */
static bool spans(const double *const *cols, int n_cols, int n, double ratio)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int c = 0; c < n_cols; c++)
        for (int i = 0; i < n; i++) {
            double v = cols[c][i];
            if (!isfinite(v))
                continue;
            if (v <= 0)
                return false;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    return lo <= hi && hi > ratio * lo;
}

static bool any_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            return true;
    return false;
}

static struct plot_series series(const char *label, const struct curves *c, const double *y,
                                 int color, double width)
{
    return (struct plot_series){.label = label, .x = c->x, .y = y, .n = c->t->n,
                                .color = color, .width = width, .style = 1,
                                .markers = width > 1 && c->t->n < MARKERS_BELOW};
}

static int plot_accuracy(const struct curves *c)
{
    const struct metrics_table *t = c->t;
    char title[512], subtitle[512];
    titles(title, subtitle, sizeof title, c->name, t, "accuracy");
    struct plot_series s[3];
    int n = 0;
    s[n++] = series("train (mini-batch)", c, t->train_acc, 0, 1.0);
    if (t->full_train)
        s[n++] = series("train (whole set)", c, t->full_train_acc, 2, 2.0);
    s[n++] = series("test", c, t->test_acc, 1, 2.0);
    struct plot_axes a = {.title = title, .subtitle = subtitle, .xlabel = c->xlabel,
                          .ylabel = "accuracy",
                          .y_floor = 0, .y_ceil = 1, .legend = PLOT_LEGEND_LOWER_RIGHT};
    return plot_lines_files(c->dir, "accuracy", c->fmt, &a, s, n);
}

static int plot_loss(const struct curves *c)
{
    const struct metrics_table *t = c->t;
    char title[512], subtitle[512];
    titles(title, subtitle, sizeof title, c->name, t, "cross-entropy");
    struct plot_series s[3];
    const double *cols[3];
    int n = 0;
    s[n] = series("train (mini-batch)", c, t->train_loss, 0, 1.0);
    cols[n++] = t->train_loss;
    if (t->full_train) {
        s[n] = series("train (whole set)", c, t->full_train_loss, 2, 2.0);
        cols[n++] = t->full_train_loss;
    }
    s[n] = series("test", c, t->test_loss, 1, 2.0);
    cols[n++] = t->test_loss;
    bool log_y = spans(cols, n, t->n, 10);
    struct plot_axes a = {.title = title, .subtitle = subtitle, .xlabel = c->xlabel,
                          .ylabel = log_y ? "loss (log scale)" : "loss", .log_y = log_y,
                          .y_floor = 0, .y_ceil = INFINITY, .legend = PLOT_LEGEND_UPPER_RIGHT};
    return plot_lines_files(c->dir, "loss", c->fmt, &a, s, n);
}

static bool lr_changes(const struct metrics_table *t)
{
    for (int i = 1; i < t->n; i++)
        if (t->lr[i] != t->lr[0])
            return true;
    return false;
}

static int plot_lr(const struct curves *c)
{
    char title[512], subtitle[512];
    titles(title, subtitle, sizeof title, c->name, c->t, "learning rate");
    struct plot_series s = series("learning rate", c, c->t->lr, 4, 2.0);
    s.markers = false;
    const double *cols[1] = {c->t->lr};
    bool log_y = spans(cols, 1, c->t->n, 10);
    struct plot_axes a = {.title = title, .subtitle = subtitle, .xlabel = c->xlabel,
                          .ylabel = log_y ? "learning rate (log scale)" : "learning rate",
                          .log_y = log_y, .y_floor = 0, .y_ceil = INFINITY,
                          .legend = PLOT_LEGEND_UPPER_RIGHT};
    return plot_lines_files(c->dir, "lr", c->fmt, &a, &s, 1);
}

/* ---- predictions ------------------------------------------------------------------------ */

/* predictions.csv: the header index,label,predicted, then up to PRED_MAX rows. */
static int read_predictions(struct plot_prediction *p, int *n, const char *path,
                            const struct mnist *data)
{
    void *text;
    size_t len;
    int status = fs_read_file(&text, &len, path);
    if (status != CLNET_OK)
        return status;
    *n = 0;
    long lineno = 0;
    const char *header = "index,label,predicted";
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && status == CLNET_OK;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, header) != 0)
                status = clnet_errorf(CLNET_ERR_DATA, "%s:1: expected the header '%s'", path,
                                      header);
            continue;
        }
        int index, label, predicted, used = 0;
        if (sscanf(line, "%d,%d,%d%n", &index, &label, &predicted, &used) != 3 ||
            line[used] != '\0')
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: expected index,label,predicted",
                                  path, lineno);
        else if (*n == PRED_MAX)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %d rows", path, lineno,
                                  PRED_MAX);
        else if (index < 0 || index >= data->n_test)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: index %d outside the %d test images",
                                  path, lineno, index, data->n_test);
        else if (label != data->test_labels[index])
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: label %d, but test image %d is a %d "
                                  "(not the data set the run used?)",
                                  path, lineno, label, index, data->test_labels[index]);
        else if (predicted < 0 || predicted >= MNIST_CLASSES)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: predicted class %d outside 0..%d",
                                  path, lineno, predicted, MNIST_CLASSES - 1);
        else
            p[(*n)++] = (struct plot_prediction){
                .image = data->test_images + (size_t)index * data->rows * data->cols,
                .label = label, .predicted = predicted};
    }
    if (status == CLNET_OK && lineno == 0)
        status = clnet_errorf(CLNET_ERR_DATA, "%s: empty file", path);
    free(text);
    return status;
}

static int plot_predictions_files(const char *dir, const char *name, const struct mnist *data,
                                  enum report_format fmt)
{
    char *csv = plot_path(dir, "predictions", "csv");
    if (!csv)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct plot_prediction p[PRED_MAX];
    int n = 0;
    int status = read_predictions(p, &n, csv, data);
    free(csv);
    int wrong = 0;
    for (int i = 0; i < n; i++)
        wrong += p[i].label != p[i].predicted;
    char title[512];
    snprintf(title, sizeof title, "%s: %d test images, %d wrong", name, n, wrong);
    for (int d = 0; d < 2 && status == CLNET_OK; d++) {
        if (d == 1 && fmt == REPORT_PNG)
            break;
        char *path = plot_path(dir, "predictions", d ? "pdf" : "png");
        status = path ? plot_predictions(path, d ? PLOT_PDF : PLOT_PNG, title, p, n, data->rows,
                                         data->cols)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        free(path);
    }
    return status;
}

/* ---- the run ---------------------------------------------------------------------------- */

int report_run_with(const char *run_dir, const char *name, const struct mnist *data,
                    enum report_format fmt, enum report_x_axis x_axis)
{
    char *metrics = plot_path(run_dir, "metrics", "csv");
    char *predictions = plot_path(run_dir, "predictions", "csv");
    struct metrics_table t = {0};
    int status = metrics && predictions ? metrics_read(&t, metrics)
                                        : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    bool any = CLNET_HAVE_PLOTS && status == CLNET_OK && t.n > 0 && /* else: read, not drawn */
               (any_finite(t.train_acc, t.n) || any_finite(t.test_acc, t.n));
    /* A run written before metrics.csv had the epoch column keeps the iteration axis. */
    bool epochs = x_axis == REPORT_X_EPOCH && t.has_epoch;
    struct curves c = {run_dir, name, &t, fmt, epochs ? t.epoch : t.iteration,
                       epochs ? "epoch" : "iteration"};
    if (any)
        status = plot_accuracy(&c);
    if (any && status == CLNET_OK)
        status = plot_loss(&c);
    if (any && status == CLNET_OK && lr_changes(&t))
        status = plot_lr(&c);
    if (CLNET_HAVE_PLOTS && status == CLNET_OK && data && fs_exists(predictions))
        status = plot_predictions_files(run_dir, name, data, fmt);
    metrics_table_free(&t);
    free(metrics);
    free(predictions);
    return status;
}

int report_run(const char *run_dir, enum report_format fmt)
{
    char *metrics = plot_path(run_dir, "metrics", "csv");
    char *config = plot_path(run_dir, "config", "yaml");
    char *predictions = plot_path(run_dir, "predictions", "csv");
    int status = metrics && config && predictions
                     ? CLNET_OK
                     : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK && (!fs_exists(metrics) || !fs_exists(config)))
        status = clnet_errorf(CLNET_ERR_USAGE, "%s: no %s: not a run directory", run_dir,
                              fs_exists(metrics) ? "config.yaml" : "metrics.csv");
    struct experiment e = {0};
    if (status == CLNET_OK)
        status = config_load(&e, config, NULL, 0);
    struct mnist data = {0};
    bool with_data = CLNET_HAVE_PLOTS && status == CLNET_OK && fs_exists(predictions);
    if (with_data)
        status = mnist_load(&data, e.data.dir);
    if (status == CLNET_OK)
        status = report_run_with(run_dir, e.name, with_data ? &data : NULL, fmt, e.report.x_axis);
    mnist_free(&data);
    experiment_free(&e);
    free(metrics);
    free(config);
    free(predictions);
    return status;
}
