/* MNIST loading and validation (see mnist.h). */
#include "data/mnist.h"

#include "data/idx.h"
#include "data/split.h"
#include "util/fs.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS, MNIST_FILES };
_Static_assert(MNIST_FILES == sizeof ((struct mnist *)0)->files / sizeof(struct idx_array),
               "struct mnist holds one idx_array per file");

static const char *const file_names[MNIST_FILES] = {
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
};

/* dir/name if it exists, else dir/name.gz if that exists; paths has room for both. */
static int find_file(char *path, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(path, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n + 3 >= cap)
        return clnet_errorf(CLNET_ERR_DATA, "%s/%s: path too long", dir, name);
    if (fs_exists(path))
        return 0;
    strcat(path, ".gz");
    if (fs_exists(path))
        return 0;
    return clnet_errorf(CLNET_ERR_DATA,
                        "%s/%s: cannot open: No such file or directory (nor %s.gz); run "
                        "scripts/fetch-mnist to download MNIST",
                        dir, name, name);
}

static int check_labels(const struct idx_array *labels, const char *path)
{
    for (size_t i = 0; i < labels->size; i++)
        if (labels->data[i] >= MNIST_CLASSES)
            return clnet_errorf(CLNET_ERR_DATA, "%s: label %d at index %zu is outside 0..%d",
                                path, labels->data[i], i, MNIST_CLASSES - 1);
    return 0;
}

int mnist_load(struct mnist *m, const char *dir)
{
    memset(m, 0, sizeof *m);
    struct idx_array a[MNIST_FILES] = {0};
    char path[MNIST_FILES][4096];
    int rc = 0;
    for (int i = 0; i < MNIST_FILES && !rc; i++) {
        rc = find_file(path[i], sizeof path[i], dir, file_names[i]);
        if (!rc)
            rc = idx_read(&a[i], path[i]);
        if (rc)
            break;
        bool images = i == TRAIN_IMAGES || i == TEST_IMAGES;
        int want = images ? 3 : 1;
        if (a[i].rank != want)
            rc = clnet_errorf(CLNET_ERR_DATA, "%s: rank %d, expected %d (%s)", path[i],
                              a[i].rank, want, images ? "images, rows, columns" : "labels");
        else if (!images)
            rc = check_labels(&a[i], path[i]);
    }
    for (int s = 0; s < 2 && !rc; s++) {
        int im = s ? TEST_IMAGES : TRAIN_IMAGES, lb = s ? TEST_LABELS : TRAIN_LABELS;
        if (a[im].dims[0] != a[lb].dims[0])
            rc = clnet_errorf(CLNET_ERR_DATA, "%s has %d images but %s has %d labels",
                              path[im], a[im].dims[0], path[lb], a[lb].dims[0]);
    }
    if (!rc && (a[TRAIN_IMAGES].dims[1] != a[TEST_IMAGES].dims[1] ||
                a[TRAIN_IMAGES].dims[2] != a[TEST_IMAGES].dims[2]))
        rc = clnet_errorf(CLNET_ERR_DATA, "%s has %dx%d images but %s has %dx%d",
                          path[TEST_IMAGES], a[TEST_IMAGES].dims[1], a[TEST_IMAGES].dims[2],
                          path[TRAIN_IMAGES], a[TRAIN_IMAGES].dims[1], a[TRAIN_IMAGES].dims[2]);
    if (rc) {
        for (int i = 0; i < MNIST_FILES; i++)
            idx_free(&a[i]);
        return rc;
    }
    m->n_train = a[TRAIN_IMAGES].dims[0];
    m->n_test = a[TEST_IMAGES].dims[0];
    m->rows = a[TRAIN_IMAGES].dims[1];
    m->cols = a[TRAIN_IMAGES].dims[2];
    m->train_images = a[TRAIN_IMAGES].data;
    m->train_labels = a[TRAIN_LABELS].data;
    m->test_images = a[TEST_IMAGES].data;
    m->test_labels = a[TEST_LABELS].data;
    memcpy(m->files, a, sizeof a);
    return 0;
}

void mnist_free(struct mnist *m)
{
    for (int i = 0; i < MNIST_FILES; i++)
        idx_free(&m->files[i]);
    memset(m, 0, sizeof *m);
}

int mnist_train_count(const char *dir, int *n, char *path, size_t cap)
{
    struct idx_array a = {0};
    *n = 0;
    int rc = find_file(path, cap, dir, file_names[TRAIN_LABELS]);
    if (!rc)
        rc = idx_read(&a, path);
    if (!rc && a.rank != 1)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: rank %d, expected 1 (labels)", path, a.rank);
    if (!rc)
        *n = a.dims[0];
    idx_free(&a);
    return rc;
}

int mnist_hold_out(struct mnist *m, int n_val, uint64_t seed, const char *where,
                   const char *dir)
{
    if (n_val <= 0)
        return CLNET_OK;
    if (n_val >= m->n_train)
        return clnet_errorf(CLNET_ERR_CONFIG, "%s: data.validation %d leaves no image to train "
                            "on: %s holds %d training images", where, n_val, dir, m->n_train);
    bool *held = malloc((size_t)m->n_train * sizeof *held);
    if (!held)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for the validation split");
    size_t features = (size_t)m->rows * (size_t)m->cols;
    int rc = split_choose(held, m->n_train, n_val, seed);
    if (rc == CLNET_OK)
        rc = split_apply(m->train_images, m->train_labels, held, m->n_train, features);
    free(held);
    if (rc != CLNET_OK)
        return rc;
    m->n_train -= n_val;
    m->n_val = n_val;
    m->val_images = m->train_images + (size_t)m->n_train * features;
    m->val_labels = m->train_labels + m->n_train;
    return CLNET_OK;
}
