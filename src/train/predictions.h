/* The model's classes for test images: 100 drawn at random for the predictions figure
 * (report/run_report.c draws predictions.png from predictions.csv), and every image of a set
 * for its confusion matrix. */
#ifndef CLNET_TRAIN_PREDICTIONS_H
#define CLNET_TRAIN_PREDICTIONS_H

#include <stdint.h>

#include "report/confusion.h"
#include "train/session.h"

#define PREDICTIONS_COUNT 100 /* images in the figure (fewer when the test set is smaller) */
#define RECONSTRUCTIONS_COUNT 10 /* a reconstruction model's figure: 3 pictures per image */

/* Picks PREDICTIONS_COUNT test images without repetition (the same ones for the same seed and
 * test-set size), runs the model forward on them on the device, and writes
 * RUN_DIR/predictions.csv atomically: the header index,label,predicted, then one row per
 * image in the order drawn (index into the test set, true label, the model's argmax).
 * A reconstruction model (train_reconstruction_target) instead gets
 * RUN_DIR/predictions.safetensors for the first RECONSTRUCTIONS_COUNT of them: the tensors
 * index (n) I32, and input (what the model read, with data.noise's evaluation draw), target
 * (the mse term's: the clean image, or the input) and output (the model's), each F32 (n, R, C);
 * metadata target: clean or input. report/run_figures.c draws predictions.png from it. */
int train_write_predictions(struct session *s, const char *run_dir, uint64_t seed);

/* The target of a reconstruction model's mse term (TARGET_INPUT or TARGET_CLEAN): a model
 * whose last layer gives one value per input value (output_size == features) and has an mse
 * term against the input or the clean image; TARGET_NONE for any other model. */
enum loss_target train_reconstruction_target(const struct experiment *e, size_t output_size,
                                             int features);

/* The confusion matrix of the model as it is on the device over the whole split d (labels:
 * its labels on the host, (N)): c gets K = the model's classes, each image counted at (its
 * label, the model's argmax, the first of equal maxima as the accuracy the loss kernel
 * counts). More than CONFUSION_MAX_CLASSES classes: none counted, c->classes 0. A label >= K
 * is CLNET_ERR_DATA. */
int train_confusion(struct confusion *c, struct session *s, const struct device_split *d,
                    const uint8_t *labels);

#endif
