/* The plots of runs, drawn with PLplot's cairo devices (pngcairo, pdfcairo): a run's curves
 * and predictions (run_report.c), the comparison of many runs (compare.c), and the drawing
 * primitives under them (plot.c). Every file is written under a temporary name in its folder
 * and renamed, so a watcher never sees half a PNG; every call draws on a fresh PLplot stream
 * and holds one lock while it does (PLplot keeps global state). */
#ifndef CLNET_REPORT_PLOT_H
#define CLNET_REPORT_PLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/experiment.h"
#include "data/mnist.h"
#include "report/confusion.h"

/* ---- run plots ------------------------------------------------------------------------------ */

/* Every plot of a run, from its files: accuracy.png (train mini-batch, test, and full-train
 * accuracy when metrics.csv has it), loss.png, lr.png when the learning rate changed during the
 * run, predictions.png when predictions.csv exists (its images come from the data.dir of
 * RUN_DIR/config.yaml) and layer_stats.png when layer_stats.csv does. REPORT_PDF and REPORT_BOTH write each as .pdf too. The curves are
 * drawn against RUN_DIR/config.yaml's report.x_axis (a metrics.csv without the epoch column,
 * from a run older than it, keeps the iteration axis). A run with no
 * evaluation yet gets no curves. Errors: CLNET_ERR_USAGE when run_dir has no metrics.csv or
 * config.yaml; CLNET_ERR_DATA "PATH:LINE: what" for a malformed metrics.csv,
 * predictions.csv or layer_stats.csv; CLNET_ERR_IO when a plot cannot be written. */
int report_run(const char *run_dir, enum report_format fmt);

/* DIR/layer_stats.png (and .pdf for REPORT_PDF, REPORT_BOTH) from DIR/layer_stats.csv
 * (train.layer_stats, train/layer_stats.h): per layer with weights, the fraction of units
 * whose weight-gradient row is entirely zero against the iteration. Errors: CLNET_ERR_IO when
 * the file cannot be read or the plot written, CLNET_ERR_DATA "PATH:LINE: what" for a
 * malformed file. (layer_stats_plot.c) */
int layer_stats_plot(const char *dir, const char *name, enum report_format fmt);

/* What report_run does, for a caller that already has the run's name, x axis and perhaps its
 * data (the training loop): data NULL skips predictions.png. */
int report_run_with(const char *run_dir, const char *name, const struct mnist *data,
                    enum report_format fmt, enum report_x_axis x_axis);

/* ---- comparison of runs (clnet sweep, clnet report SWEEP_DIR) ------------------------------- */

struct report_run_ref {
    const char *name; /* legend entry */
    const char *dir;  /* run directory */
    double param;     /* the value of the varying parameter (when there is one) */
};

/* Overlays all runs' test curves: SWEEP_DIR/compare_accuracy.png and compare_loss.png,
   legend by name; when param_name != NULL (exactly one numeric parameter varies),
   also SWEEP_DIR/final_vs_<param_name>.png (final test accuracy vs param, x axis log
   scale when the values span more than 10x, named by report_setting_name or the runs'
   common report.label). The titles start with the runs' common report.title, else the
   sweep folder's name. Runs whose metrics.csv is missing or empty are skipped with no
   error. */
int report_compare(const char *sweep_dir, const struct report_run_ref *runs, int n,
                   const char *param_name, enum report_format fmt);

/* How the comparison plots name a setting (unless every run's report.label names it): the
 * key's last part, with the layer for a layer's setting: "momentum" for
 * train.optimizer.sgd.momentum, "units (layer 0)" for model.layers.0.dense.units. */
void report_setting_name(char *out, size_t cap, const char *key);

/* The one numeric config value that differs between the runs' config.yaml files (keys
 * written as for --set: train.optimizer.adam.lr, model.layers.0.dense.units), ignoring
 * name: *param_name (malloc'd) and each run's value in values[i]. *param_name is NULL when
 * none or more than one value differs, or the one that differs is not a number in every run.
 * Errors: CLNET_ERR_IO when a config.yaml cannot be read, CLNET_ERR_CONFIG when it does not
 * parse. */
int report_varying_param(char **param_name, double *values, const char *const *run_dirs, int n);

/* ---- drawing primitives (plot.c) ------------------------------------------------------------- */

/* A build without PLplot (meson -Dplots=disabled, or PLplot not found) defines no
 * CLNET_HAVE_PLOTS and compiles plot_none.c, whose plot_lines, plot_predictions and
 * plot_confusion fail with this message: its callers draw nothing instead (the training loop, report_run, layer_stats_plot
 * and report_compare read and check their files and return CLNET_OK; `clnet report` says in one
 * line that the build has no plots and writes the pages). */
#ifndef CLNET_HAVE_PLOTS
#define CLNET_HAVE_PLOTS 0
#endif
#define PLOT_NONE_MESSAGE "this build of clnet has no plots (it was built without PLplot)"

enum plot_device { PLOT_PNG, PLOT_PDF };

#define PLOT_WIDTH 800 /* pixels of a curve plot (100 dpi: 8 x 6 inches) */
#define PLOT_HEIGHT 600
#define PLOT_DPI 100
#define PLOT_PALETTE 20 /* distinct line colours; series colour i % PLOT_PALETTE */
#define PLOT_LABEL_MAX 26 /* characters of a legend entry; a longer one ends in an ellipsis */

/* The RGB of series colour i (i % PLOT_PALETTE): the first eight are Okabe and Ito's
 * colour-blind-safe set (their yellow darkened to show on white), the rest chosen to stay at
 * least 60 apart (RGB distance) from every other. */
void plot_palette(int i, unsigned char rgb[3]);

struct plot_series {
    const char *label;     /* legend entry */
    const double *x, *y;   /* (n); non-finite points (and non-positive ones on a log axis)
                            * break the line */
    int n;
    int color;             /* palette index */
    double width;          /* line width in points (1 thin, 2 bold) */
    int style;             /* PLplot line style: 1 solid, 2.. dashed */
    bool markers;          /* a dot at every point too */
};

/* OUTSIDE: right of the plot, which narrows to make room; the legend's font shrinks and it
 * splits into columns until it fits the page's height. */
enum plot_legend_place { PLOT_LEGEND_LOWER_RIGHT, PLOT_LEGEND_UPPER_RIGHT, PLOT_LEGEND_OUTSIDE };

struct plot_axes {
    const char *title;    /* the first line above the plot */
    const char *subtitle; /* a smaller second line, or NULL */
    const char *xlabel, *ylabel;
    bool log_x, log_y;
    bool pad_x;             /* a margin left and right too (points at the ends stay whole) */
    double y_floor, y_ceil; /* the y range never goes beyond these (accuracy: 0, 1) */
    enum plot_legend_place legend;
};

/* Draws the series as lines on one pair of axes, ranges fitted to the finite data with a
 * margin, into path (PLOT_WIDTH x PLOT_HEIGHT); the plot leaves room on the right for its
 * last x tick label, and nothing (legend included) is drawn off the page. Nothing to draw (no finite point) is
 * CLNET_ERR_INTERNAL: callers decide before. */
int plot_lines(const char *path, enum plot_device dev, const struct plot_axes *a,
               const struct plot_series *s, int n_series);

/* plot_lines into DIR/STEM.png, and DIR/STEM.pdf too unless fmt is REPORT_PNG. */
int plot_lines_files(const char *dir, const char *stem, enum report_format fmt,
                     const struct plot_axes *a, const struct plot_series *s, int n_series);

/* DIR/STEM.EXT (malloc'd), or NULL when out of memory. */
char *plot_path(const char *dir, const char *stem, const char *ext);

/* The predictions grid: up to 100 images in rows of 10, each with its predicted label below
 * it; a wrong one framed in red with its label in red followed by the true label in
 * parentheses. Page PRED_WIDTH x PRED_HEIGHT pixels. */
#define PRED_COLUMNS 10
#define PRED_MAX 100
#define PRED_WIDTH 860
#define PRED_HEIGHT 960

struct plot_prediction {
    const uint8_t *image; /* (rows, cols), 0 black .. 255 white */
    int label, predicted;
};

int plot_predictions(const char *path, enum plot_device dev, const char *title,
                     const struct plot_prediction *p, int n, int rows, int cols);

/* Where cell i of the grid is in the PNG, in pixels from the top left: the whole cell and the
 * part that holds its label text ({x0, y0, x1, y1}, x1 and y1 excluded). For tests. */
void plot_prediction_cell(int i, int cell[4], int label[4]);

/* The predictions figure of a reconstruction model (plot_recon.c): one row per test image, up
 * to PLOT_RECON_MAX, of PLOT_RECON_IMAGES pictures side by side (the input the model read,
 * the target, the model's output; values clamped to [0, 1], 0 black) and the row's error as
 * text right of them. Page RECON_WIDTH x RECON_HEIGHT pixels. */
#define PLOT_RECON_IMAGES 3
#define PLOT_RECON_MAX 10
#define RECON_WIDTH 520
#define RECON_HEIGHT 740

struct plot_reconstruction {
    const float *image[PLOT_RECON_IMAGES]; /* input, target, output: (rows, cols) each */
    double error;                          /* printed beside them */
};

int plot_reconstructions(const char *path, enum plot_device dev, const char *title,
                         const char *subtitle, const struct plot_reconstruction *p, int n,
                         int rows, int cols);

/* Where picture k of row i is in the PNG, in pixels from the top left ({x0, y0, x1, y1}, x1
 * and y1 excluded): the picture is centred in it. For tests. */
void plot_reconstruction_cell(int i, int k, int cell[4]);

/* The confusion matrix: a K x K grid of cells, row the true class and column the predicted
 * one, each with its count in it (up to 20 classes) and coloured by its share of its row
 * (square-root scale, white to blue); each row's accuracy right of it. Page CONF_WIDTH x
 * CONF_HEIGHT pixels. */
#define CONF_WIDTH 800
#define CONF_HEIGHT 740

int plot_confusion(const char *path, enum plot_device dev, const char *title,
                   const char *subtitle, const struct confusion *c);

#endif
