/* Epochs: what the word means in clnet, and the numbers a run and `clnet summary` print about
 * them, computed from integers so every machine prints the same digits.
 *
 * The sampler (sampler.h) cuts batches from one endless stream of epochs, each a permutation
 * of the N training images (a fresh one per epoch with data.shuffle). A batch that reaches the
 * end of an epoch takes the images left in it and continues with the next epoch's first ones,
 * so every batch has B images and none is dropped; PyTorch's DataLoader instead ends each
 * epoch with a short batch (or drops it). So after I iterations exactly I * B images were
 * drawn and I * B / N epochs are done, a fraction in general; an epoch is N / B iterations,
 * a whole number only when B divides N (MNIST's 60,000 by 100: 600; by 128: 468.75, and
 * iteration 469 takes the last 96 images of epoch 1 and the first 32 of epoch 2, each
 * counted towards its own epoch). N is the images left to train on: the training file's
 * less a validation split's (data.validation, data/split.h). */
#ifndef CLNET_DATA_EPOCH_H
#define CLNET_DATA_EPOCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* whole + rem / den, with 0 <= rem < den. */
struct epoch_ratio {
    int64_t whole, rem, den;
};

/* Epochs done after `iterations` steps of `batch` images from n: iterations * batch / n
 * (iterations >= 0; batch, n > 0). Exact while the whole part fits in int64. */
struct epoch_ratio epoch_count(int64_t iterations, int batch, int n);

/* Iterations per epoch: n / batch. */
struct epoch_ratio epoch_iterations(int n, int batch);

enum {
    EPOCH_TRIM = 1u << 0,  /* exact values drop trailing zeros and a bare point: 600, 468.75 */
    EPOCH_GROUP = 1u << 1, /* commas in the whole part: 60,000 */
};

/* r in decimal, rounded half up to `decimals` digits (0..9; den <= INT32_MAX), with exactly
 * that many unless EPOCH_TRIM applies: 3.3333, 16.67, 600. Returns buf. */
char *epoch_decimal(char *buf, size_t cap, struct epoch_ratio r, int decimals, unsigned flags);

/* Digits of the metrics.csv epoch column and the summary.json epochs field (fixed, rounded
 * half up: 3.3333). The progress line uses 1, `clnet summary` 2 (trimmed when exact). */
#define EPOCH_FILE_DECIMALS 4

/* "60,000 images / 100 = 600 iterations per epoch; 2,000 iterations = 3.33 epochs" */
char *epoch_line(char *buf, size_t cap, int n, int batch, int64_t iterations);

/* `clnet summary`'s lines on epochs: epoch_line, what an epoch is, and, when batch does not
 * divide n, which iteration first crosses an epoch's end and how its images are counted. */
void epoch_print_summary(FILE *f, int n, int batch, int64_t iterations, int shuffle);

#endif
