/* A run's figures beyond its curves (see run_figures.h). */
#include "report/run_figures.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "util/fs.h"
#include "util/status.h"

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

/* A figure drawn into a file of either device. */
typedef int (*figure_fn)(const char *path, enum plot_device dev, const void *ctx);

/* DIR/STEM.png, and DIR/STEM.pdf too unless fmt is REPORT_PNG. */
static int figure_files(const char *dir, const char *stem, enum report_format fmt,
                        figure_fn draw, const void *ctx)
{
    int status = CLNET_OK;
    for (int d = 0; d < 2 && status == CLNET_OK; d++) {
        if (d == 1 && fmt == REPORT_PNG)
            break;
        char *path = plot_path(dir, stem, d ? "pdf" : "png");
        status = path ? draw(path, d ? PLOT_PDF : PLOT_PNG, ctx)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        free(path);
    }
    return status;
}

struct predictions_figure {
    const char *title;
    const struct plot_prediction *p;
    int n;
    const struct mnist *data;
};

static int draw_predictions(const char *path, enum plot_device dev, const void *ctx)
{
    const struct predictions_figure *f = ctx;
    return plot_predictions(path, dev, f->title, f->p, f->n, f->data->rows, f->data->cols);
}

int report_predictions_files(const char *dir, const char *title, const struct mnist *data,
                             enum report_format fmt)
{
    char *csv = plot_path(dir, "predictions", "csv");
    if (!csv)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct plot_prediction p[PRED_MAX];
    int n = 0;
    bool exists = fs_exists(csv); /* not: a run that has not completed */
    int status = exists ? read_predictions(p, &n, csv, data) : CLNET_OK;
    free(csv);
    if (!exists)
        return CLNET_OK;
    int wrong = 0;
    for (int i = 0; i < n; i++)
        wrong += p[i].label != p[i].predicted;
    char text[512];
    snprintf(text, sizeof text, "%s: %d test images, %d wrong", title, n, wrong);
    struct predictions_figure f = {text, p, n, data};
    return status == CLNET_OK ? figure_files(dir, "predictions", fmt, draw_predictions, &f)
                              : status;
}

struct confusion_figure {
    const char *title, *subtitle;
    const struct confusion *c;
};

static int draw_confusion(const char *path, enum plot_device dev, const void *ctx)
{
    const struct confusion_figure *f = ctx;
    return plot_confusion(path, dev, f->title, f->subtitle, f->c);
}

int report_confusion_files(const char *dir, const char *title, enum report_format fmt)
{
    char *json = plot_path(dir, "confusion", "json");
    if (!json)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct confusion c = {0};
    bool exists = fs_exists(json); /* not: a run that has not completed, or an older one */
    int status = exists ? confusion_read(&c, json) : CLNET_OK;
    free(json);
    if (!exists)
        return CLNET_OK;
    char text[512], sub[512];
    snprintf(text, sizeof text, "%s: confusion matrix", title);
    long long n = confusion_total(&c), right = confusion_correct(&c);
    snprintf(sub, sizeof sub, "test set, final weights: %lld of %lld right (%.4f); colour: the "
             "share of the true class", right, n, n ? (double)right / (double)n : 0.0);
    struct confusion_figure f = {text, sub, &c};
    if (status == CLNET_OK)
        status = figure_files(dir, "confusion", fmt, draw_confusion, &f);
    confusion_free(&c);
    return status;
}

