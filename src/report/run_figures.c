/* A run's figures beyond its curves (see run_figures.h). */
#include "report/run_figures.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/safetensors.h"
#include "report/plot.h"
#include "util/csv.h"
#include "util/fs.h"
#include "util/status.h"

/* Row r of predictions.csv (its columns index, label, predicted at col) checked against the
 * test set the run used, into *p. */
static int prediction_row(struct plot_prediction *p, const struct csv *c, int r, const int *col,
                          const struct mnist *data)
{
    long long index, label, predicted;
    int status = csv_whole(c, r, col[0], 0, data->n_test - 1, &index);
    if (status == CLNET_OK)
        status = csv_whole(c, r, col[1], 0, MNIST_CLASSES - 1, &label);
    if (status == CLNET_OK)
        status = csv_whole(c, r, col[2], 0, MNIST_CLASSES - 1, &predicted);
    if (status == CLNET_OK && label != data->test_labels[index])
        status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: label %lld, but test image %lld is a %d "
                              "(not the data set the run used?)", c->path, csv_line(r), label,
                              index, data->test_labels[index]);
    if (status == CLNET_OK)
        *p = (struct plot_prediction){
            .image = data->test_images + (size_t)index * data->rows * data->cols,
            .label = (int)label, .predicted = (int)predicted};
    return status;
}

/* predictions.csv: the columns index, label and predicted, up to PRED_MAX rows. */
static int read_predictions(struct plot_prediction *p, int *n, const char *path,
                            const struct mnist *data)
{
    static const char *const names[] = {"index", "label", "predicted"};
    struct csv c;
    int col[3];
    int status = csv_read(&c, path);
    for (int k = 0; k < 3 && status == CLNET_OK; k++)
        status = csv_require(&c, names[k], "predictions.csv", &col[k]);
    if (status == CLNET_OK && c.n_rows > PRED_MAX)
        status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %d rows", path,
                              csv_line(PRED_MAX), PRED_MAX);
    *n = 0;
    for (int r = 0; r < c.n_rows && status == CLNET_OK; r++)
        status = prediction_row(&p[(*n)++], &c, r, col, data);
    csv_free(&c);
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

struct recon_figure {
    const char *title, *subtitle;
    const struct plot_reconstruction *p;
    int n, rows, cols;
};

static int draw_recon(const char *path, enum plot_device dev, const void *ctx)
{
    const struct recon_figure *f = ctx;
    return plot_reconstructions(path, dev, f->title, f->subtitle, f->p, f->n, f->rows, f->cols);
}

/* The pictures of predictions.safetensors (see predictions.h): its tensors input, target
 * and output, F32 (n, rows, cols) alike with 0 < n <= PLOT_RECON_MAX, into p. */
static int recon_rows(struct plot_reconstruction *p, int *n, int *rows, int *cols,
                      const struct safetensors *st)
{
    static const char *const names[PLOT_RECON_IMAGES] = {"input", "target", "output"};
    const struct st_entry *e[PLOT_RECON_IMAGES];
    for (int k = 0; k < PLOT_RECON_IMAGES; k++) {
        e[k] = safetensors_find(st, names[k]);
        if (!e[k] || strcmp(e[k]->dtype, "F32") != 0 || e[k]->rank != 3 ||
            e[k]->shape[0] < 1 || e[k]->shape[0] > PLOT_RECON_MAX ||
            (k > 0 && memcmp(e[k]->shape, e[0]->shape, sizeof e[0]->shape) != 0))
            return clnet_errorf(CLNET_ERR_DATA, "%s: needs the tensors input, target and "
                                "output, F32 (n, rows, cols) alike with n 1 to %d; %s is not",
                                st->path, PLOT_RECON_MAX, names[k]);
    }
    *n = (int)e[0]->shape[0];
    *rows = (int)e[0]->shape[1];
    *cols = (int)e[0]->shape[2];
    size_t px = (size_t)*rows * (size_t)*cols;
    for (int i = 0; i < *n; i++) {
        double err = 0;
        for (int k = 0; k < PLOT_RECON_IMAGES; k++)
            p[i].image[k] = (const float *)e[k]->data + (size_t)i * px;
        for (size_t j = 0; j < px; j++) {
            double d = (double)p[i].image[2][j] - (double)p[i].image[1][j];
            err += 0.5 * d * d;
        }
        p[i].error = err;
    }
    return CLNET_OK;
}

int report_reconstruction_files(const char *dir, const char *title, enum report_format fmt)
{
    char *path = plot_path(dir, "predictions", "safetensors");
    if (!path)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    bool exists = fs_exists(path); /* not: a classifier, or a run that has not completed */
    struct safetensors st = {0};
    int status = exists ? safetensors_read(&st, path) : CLNET_OK;
    free(path);
    if (!exists)
        return status;
    struct plot_reconstruction p[PLOT_RECON_MAX];
    struct recon_figure f = {NULL, NULL, p, 0, 0, 0};
    if (status == CLNET_OK)
        status = recon_rows(p, &f.n, &f.rows, &f.cols, &st);
    const char *target = safetensors_meta(&st, "target");
    char text[512], sub[512];
    snprintf(text, sizeof text, "%s: %d test images", title, f.n);
    snprintf(sub, sizeof sub, "input (as read), target (%s), output; error = 1/2 "
             "||output - target||^2", target ? target : "?");
    f.title = text;
    f.subtitle = sub;
    if (status == CLNET_OK)
        status = figure_files(dir, "predictions", fmt, draw_recon, &f);
    safetensors_free(&st);
    return status;
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

