/* Outputs of a model for inputs given as rows of numbers (clnet eval --inputs): one output row
 * per input row, no data set needed (a hand-set network of any input width). */
#ifndef CLNET_TRAIN_PREDICT_H
#define CLNET_TRAIN_PREDICT_H

#include <stdio.h>

#include "config/experiment.h"

/* Reads rows of numbers separated by commas or by blanks from in (named `name` in messages),
 * each with as many values as the model's input; writes to out a CSV header, then for each
 * row its line number and, for a classifier (a model with a train: section), the class and
 * its softmax probabilities (row,class,p0,...), else the raw outputs (row,y0,...). weights: a
 * safetensors file, or NULL for the experiment's own init (inline weights). */
int predict_csv(const struct experiment *e, const char *weights, const char *device_flag,
                const char *cl_dir, FILE *in, const char *name, FILE *out);

/* Parses one line of exactly n numbers, separated by commas or by blanks, into v (*got of
 * them); a blank line gives 0 values. A data error names name:lineno and the column. */
int predict_parse_row(float *v, size_t n, char *line, const char *name, long lineno,
                      size_t *got);

/* clnet predict: reads each of the n PNG images (data/digit_png.h: any size, prepared as MNIST
 * digits) and writes a line per image to out: its class and probability, then the next two
 * classes with theirs. The model must be a classifier of 28 x 28 inputs. */
int predict_images(const struct experiment *e, const char *weights, const char *device_flag,
                   const char *cl_dir, const char *const *paths, int n, FILE *out);

#endif
