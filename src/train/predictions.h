/* The predictions figure's data: the trained model's class for 100 test images drawn at
 * random (report/run_report.c draws predictions.png from it). */
#ifndef CLNET_TRAIN_PREDICTIONS_H
#define CLNET_TRAIN_PREDICTIONS_H

#include <stdint.h>

#include "train/session.h"

#define PREDICTIONS_COUNT 100 /* images in the figure (fewer when the test set is smaller) */

/* Picks PREDICTIONS_COUNT test images without repetition (the same ones for the same seed and
 * test-set size), runs the model forward on them on the device, and writes
 * RUN_DIR/predictions.csv atomically: the header index,label,predicted, then one row per
 * image in the order drawn (index into the test set, true label, the model's argmax). */
int train_write_predictions(struct session *s, const char *run_dir, uint64_t seed);

#endif
