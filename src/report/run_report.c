/* The plots of one run from its files (see plot.h): metrics.csv (its columns by name) and
 * steps.csv give accuracy.png, loss.png and lr.png; run_figures.c draws predictions.png and
 * confusion.png. */
#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/metrics_read.h"
#include "report/run_figures.h"
#include "util/fs.h"
#include "util/status.h"

/* Curves of few points get a dot at each point, so a single evaluation still shows. */
#define MARKERS_BELOW 30

/* One run's curves: its rows and what they are drawn against. */
struct curves {
    const char *dir, *title;
    const struct metrics_table *t;
    enum report_format fmt;
    const double *x;    /* (N) t->iteration, or t->epoch */
    const char *xlabel; /* "iteration" or "epoch" */
    const struct metrics_table *steps; /* steps.csv's rows, or NULL (none, or no x for them) */
    const double *steps_x;             /* (steps->n) */
};

/* The last row where column `name` is finite, or -1. */
static int last_row(const struct metrics_table *t, const char *name)
{
    const double *v = metrics_column(t, name);
    for (int i = t->n - 1; v && i >= 0; i--)
        if (isfinite(v[i]))
            return i;
    return -1;
}

/* " at iteration I (epoch E)" of row r. */
static void where(char *buf, size_t cap, const struct metrics_table *t, int r)
{
    if (t->has_epoch)
        snprintf(buf, cap, " at iteration %.0f (epoch %.4f)", t->iteration[r], t->epoch[r]);
    else
        snprintf(buf, cap, " at iteration %.0f", t->iteration[r]);
}

/* The subtitle of the accuracy or loss plot (what: "acc" or "loss"): the last evaluation's
 * validation (when metrics.csv has it) and test value. */
static void subtitle(char *buf, size_t cap, const struct metrics_table *t, const char *what)
{
    char test[32], val[32], at[96];
    snprintf(test, sizeof test, "test_%s", what);
    snprintf(val, sizeof val, "val_%s", what);
    int r = last_row(t, test);
    if (r < 0) {
        snprintf(buf, cap, "no evaluation yet");
        return;
    }
    bool acc = strcmp(what, "acc") == 0;
    const char *noun = acc ? "accuracy" : "loss", *fmt = acc ? "%.4f" : "%.4g";
    char tv[32], vv[32] = "";
    snprintf(tv, sizeof tv, fmt, metrics_column(t, test)[r]);
    const double *v = metrics_column(t, val);
    if (v && isfinite(v[r]))
        snprintf(vv, sizeof vv, fmt, v[r]);
    where(at, sizeof at, t, r);
    if (vv[0])
        snprintf(buf, cap, "validation %s %s, test %s %s%s", noun, vv, noun, tv, at);
    else
        snprintf(buf, cap, "test %s %s%s", noun, tv, at);
}

/* True when every finite positive value of the columns spans more than ratio (and there is no
 * zero or negative one): worth a log axis. */
static bool spans(const double *const *cols, const int *n, int n_cols, double ratio)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int c = 0; c < n_cols; c++)
        for (int i = 0; i < n[c]; i++) {
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
    for (int i = 0; v && i < n; i++)
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

/* The series of the accuracy (what "acc") or loss plot: the mini-batch's thin curve (every
 * step from steps.csv, else the evaluation rows'), then the evaluations' bold ones. */
static int curve_series(struct plot_series *s, const struct curves *c, const char *what)
{
    static const struct {
        const char *prefix, *label;
        int color;
    } sets[] = {{"full_train", "train (whole set)", 2}, {"val", "validation", 4},
                {"test", "test", 1}};
    char name[32];
    snprintf(name, sizeof name, "train_%s", what);
    int n = 0;
    if (c->steps) {
        s[n] = series("train (every mini-batch)", c, metrics_column(c->steps, name), 5,
                      1.0);
        s[n].x = c->steps_x;
        s[n++].n = c->steps->n;
    } else {
        s[n++] = series("train (mini-batch)", c, metrics_column(c->t, name), 0, 1.0);
    }
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        snprintf(name, sizeof name, "%s_%s", sets[k].prefix, what);
        const double *y = metrics_column(c->t, name);
        if (y)
            s[n++] = series(sets[k].label, c, y, sets[k].color, 2.0);
    }
    return n;
}

static int plot_accuracy(const struct curves *c)
{
    char title[512], sub[512];
    snprintf(title, sizeof title, "%s: accuracy", c->title);
    subtitle(sub, sizeof sub, c->t, "acc");
    struct plot_series s[4];
    int n = curve_series(s, c, "acc");
    struct plot_axes a = {.title = title, .subtitle = sub, .xlabel = c->xlabel,
                          .ylabel = "accuracy",
                          .y_floor = 0, .y_ceil = 1, .legend = PLOT_LEGEND_LOWER_RIGHT};
    return plot_lines_files(c->dir, "accuracy", c->fmt, &a, s, n);
}

/* train.loss's terms: each one's test curve (test_loss_NAME, labelled NAME), up to PLOT_TERMS. */
#define PLOT_TERMS 6
static int term_series(struct plot_series *s, const struct curves *c)
{
    int n = 0;
    for (int k = 0; k < c->t->n_cols && n < PLOT_TERMS; k++)
        if (!strncmp(c->t->names[k], "test_loss_", 10))
            s[n] = series(c->t->names[k] + 10, c, c->t->cols[k], 6 + n, 1.5), n++; /* "S" */
    return n;
}

static int plot_loss(const struct curves *c)
{
    char title[512], sub[512];
    struct plot_series s[4 + PLOT_TERMS];
    int n = curve_series(s, c, "loss"), terms = term_series(s + n, c);
    snprintf(title, sizeof title, "%s: %s", c->title,
             terms ? "loss and its terms" : "cross-entropy");
    subtitle(sub, sizeof sub, c->t, "loss");
    n += terms;
    const double *cols[4 + PLOT_TERMS];
    int lens[4 + PLOT_TERMS];
    for (int i = 0; i < n; i++) {
        cols[i] = s[i].y;
        lens[i] = s[i].n;
    }
    bool log_y = spans(cols, lens, n, 10);
    struct plot_axes a = {.title = title, .subtitle = sub, .xlabel = c->xlabel,
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
    const struct metrics_table *t = c->t;
    char title[512], sub[512];
    snprintf(title, sizeof title, "%s: learning rate", c->title);
    snprintf(sub, sizeof sub, "from %.4g at iteration %.0f to %.4g at iteration %.0f", t->lr[0],
             t->iteration[0], t->lr[t->n - 1], t->iteration[t->n - 1]);
    struct plot_series s = series("learning rate", c, t->lr, 4, 2.0);
    s.markers = false;
    const double *cols[1] = {t->lr};
    bool log_y = spans(cols, &t->n, 1, 10);
    struct plot_axes a = {.title = title, .subtitle = sub, .xlabel = c->xlabel,
                          .ylabel = log_y ? "learning rate (log scale)" : "learning rate",
                          .log_y = log_y, .y_floor = 0, .y_ceil = INFINITY,
                          .legend = PLOT_LEGEND_UPPER_RIGHT};
    return plot_lines_files(c->dir, "lr", c->fmt, &a, &s, 1);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* The x of each steps.csv row on the curves' axis: its iteration, or its epoch at the ratio of
 * metrics.csv's last row (epochs are iterations x batch / training images); NULL when there
 * is no such row to scale by. */
static double *steps_axis(const struct metrics_table *steps, const struct metrics_table *t,
                          bool epochs)
{
    double scale = epochs ? NAN : 1;
    for (int i = t->n - 1; epochs && i >= 0 && isnan(scale); i--)
        if (t->iteration[i] > 0)
            scale = t->epoch[i] / t->iteration[i];
    double *x = isnan(scale) ? NULL : malloc((size_t)(steps->n ? steps->n : 1) * sizeof *x);
    for (int i = 0; x && i < steps->n; i++)
        x[i] = steps->iteration[i] * scale;
    return x;
}

/* accuracy.png, loss.png and lr.png from metrics.csv, with steps.csv's rows when it exists. */
static int plot_curves(const char *run_dir, const char *title, enum report_format fmt,
                       enum report_x_axis x_axis)
{
    char *metrics = plot_path(run_dir, "metrics", "csv");
    char *steps_path = plot_path(run_dir, "steps", "csv");
    struct metrics_table t = {0}, steps = {0};
    int status = metrics && steps_path ? metrics_read(&t, metrics)
                                       : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK && fs_exists(steps_path))
        status = steps_read(&steps, steps_path);
    bool acc = t.n > 0 && (any_finite(t.train_acc, t.n) || any_finite(t.test_acc, t.n));
    bool any = CLNET_HAVE_PLOTS && status == CLNET_OK && t.n > 0 && /* else: read, not drawn */
               (acc || any_finite(t.train_loss, t.n) || any_finite(t.test_loss, t.n));
    /* A run written before metrics.csv had the epoch column keeps the iteration axis. */
    bool epochs = x_axis == REPORT_X_EPOCH && t.has_epoch;
    double *steps_x = any && steps.n > 0 ? steps_axis(&steps, &t, epochs) : NULL;
    struct curves c = {run_dir, title, &t, fmt, epochs ? t.epoch : t.iteration,
                       epochs ? "epoch" : "iteration", steps_x ? &steps : NULL, steps_x};
    if (any && acc) /* a loss without a classification term has none (train.loss) */
        status = plot_accuracy(&c);
    if (any && status == CLNET_OK)
        status = plot_loss(&c);
    if (any && status == CLNET_OK && lr_changes(&t))
        status = plot_lr(&c);
    free(steps_x);
    metrics_table_free(&steps);
    metrics_table_free(&t);
    free(metrics);
    free(steps_path);
    return status;
}

int report_run_with(const char *run_dir, const char *title, const struct mnist *data,
                    enum report_format fmt, enum report_x_axis x_axis)
{
    int status = plot_curves(run_dir, title, fmt, x_axis);
    if (CLNET_HAVE_PLOTS && status == CLNET_OK && data)
        status = report_predictions_files(run_dir, title, data, fmt);
    if (CLNET_HAVE_PLOTS && status == CLNET_OK && data)
        status = report_confusion_files(run_dir, title, fmt);
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
    bool with_data = status == CLNET_OK && fs_exists(predictions);
    if (with_data)
        status = mnist_load(&data, e.data.dir);
    if (status == CLNET_OK)
        status = report_run_with(run_dir, e.report.title ? e.report.title : e.name,
                                 with_data ? &data : NULL, fmt, e.report.x_axis);
    char *stats = status == CLNET_OK ? plot_path(run_dir, "layer_stats", "csv") : NULL;
    if (stats && fs_exists(stats))
        status = layer_stats_plot(run_dir, e.name, fmt);
    mnist_free(&data);
    experiment_free(&e);
    free(metrics);
    free(config);
    free(predictions);
    free(stats);
    return status;
}
