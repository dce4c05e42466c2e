/* The MNIST set from its four IDX files in one folder (scripts/fetch-mnist puts them in
 * data/mnist/), each plain or with .gz appended. N is the number of images, R and C their
 * rows and columns. */
#ifndef CLNET_DATA_MNIST_H
#define CLNET_DATA_MNIST_H

#include <stddef.h>
#include <stdint.h>

#include "data/idx.h"

#define MNIST_CLASSES 10

struct mnist {
    int n_train, n_test; /* N of each split (n_train: the images left to train on) */
    int n_val;           /* N held out of the training file for validation (mnist_hold_out) */
    int rows, cols;      /* R, C (28, 28 for the real set) */
    uint8_t *train_images; /* (n_train, R, C) row-major, 0..255 */
    uint8_t *train_labels; /* (n_train) 0..9 */
    uint8_t *test_images;  /* (n_test, R, C) */
    uint8_t *test_labels;  /* (n_test) */
    uint8_t *val_images;   /* (n_val, R, C) right after the training images; NULL: none */
    uint8_t *val_labels;   /* (n_val) */
    struct idx_array files[4]; /* what the pointers above point into (mnist_free's) */
};

/* Loads dir/{train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte}, preferring the plain file over the .gz when both exist, and
 * checks ranks (images 3, labels 1), that image and label counts agree, that train and
 * test images have the same size, and that every label is in 0..9. Errors are
 * CLNET_ERR_DATA; a missing file's message says to run scripts/fetch-mnist. On error *m is
 * left empty (mnist_free is still safe). */
int mnist_load(struct mnist *m, const char *dir);

void mnist_free(struct mnist *m);

/* Holds out n_val of the training images as a validation set (data/split.h: chosen from the
 * seed, in file order): n_train becomes the images left, val_* the ones held out. n_val 0
 * changes nothing; n_val >= n_train is CLNET_ERR_CONFIG naming `where` (the config) and dir. */
int mnist_hold_out(struct mnist *m, int n_val, uint64_t seed, const char *where,
                   const char *dir);

/* MNIST's training set as published: what `clnet summary` counts epochs with when the files
 * are not there to read. */
#define MNIST_TRAIN_IMAGES 60000

/* The number of training images in dir, read from its train-labels file alone (60 KB, not the
 * 47 MB of images: `clnet summary` stays quick); the file read goes to path. Errors as
 * mnist_load's (CLNET_ERR_DATA). */
int mnist_train_count(const char *dir, int *n, char *path, size_t cap);

#endif
