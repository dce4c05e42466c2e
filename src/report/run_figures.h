/* A run's figures beyond its curves (internal to src/report/; run_report.c draws them): the
 * predictions grid from predictions.csv and the run's test images (a reconstruction model's
 * from predictions.safetensors), and the confusion matrix
 * from confusion.json. */
#ifndef CLNET_REPORT_RUN_FIGURES_H
#define CLNET_REPORT_RUN_FIGURES_H

#include "config/experiment.h"
#include "data/mnist.h"

/* DIR/predictions.png (and .pdf unless fmt is REPORT_PNG) when DIR/predictions.csv exists;
 * a malformed one is CLNET_ERR_DATA "PATH:LINE: what". */
int report_predictions_files(const char *dir, const char *title, const struct mnist *data,
                             enum report_format fmt);

/* DIR/predictions.png (and .pdf) of a reconstruction model when DIR/predictions.safetensors
 * exists (train/predictions.h writes it): the input, target and output of each test image in
 * it side by side; a malformed one is CLNET_ERR_DATA naming it. */
int report_reconstruction_files(const char *dir, const char *title, enum report_format fmt);

/* DIR/confusion.png (and .pdf) when DIR/confusion.json exists; a malformed one is
 * CLNET_ERR_DATA naming it. */
int report_confusion_files(const char *dir, const char *title, enum report_format fmt);

#endif
