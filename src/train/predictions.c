/* predictions.csv (see predictions.h): the chosen images are gathered on the device from the
 * test set it already holds, in batches the model was built for. */
#include "train/predictions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "util/fs.h"
#include "util/rng.h"
#include "util/status.h"

/* Mixed into the run's seed so the choice of images is its own stream, not a replay of the
 * weight-initialisation numbers. */
#define PREDICTIONS_STREAM 0x7072656469637473ull /* "predicts" */

/* The first n of a seeded Fisher-Yates shuffle of 0..total-1. */
static int choose(int32_t *out, int n, int total, uint64_t seed)
{
    int32_t *all = malloc((size_t)total * sizeof *all);
    if (!all)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d indices", total);
    for (int i = 0; i < total; i++)
        all[i] = i;
    struct rng r;
    rng_seed(&r, rng_mix64(seed ^ PREDICTIONS_STREAM));
    for (int i = 0; i < n; i++) {
        int j = i + (int)rng_below(&r, (uint32_t)(total - i));
        int32_t t = all[i];
        all[i] = all[j];
        all[j] = t;
        out[i] = all[i];
    }
    free(all);
    return CLNET_OK;
}

/* The argmax of each row of logits (B, K); the first of equal maxima. */
static void argmax_rows(int *out, const float *logits, int rows, int k)
{
    for (int r = 0; r < rows; r++) {
        const float *row = logits + (size_t)r * (size_t)k;
        int best = 0;
        for (int c = 1; c < k; c++)
            if (row[c] > row[best])
                best = c;
        out[r] = best;
    }
}

/* The model's class for the n images of split d that index (n) names, in batches of up to
 * max_batch rows; logits_host holds (max_batch, K). */
static int predict(struct session *s, int *predicted, const struct device_split *d,
                   cl_mem index, int n, float *logits_host)
{
    int status = CLNET_OK;
    for (int start = 0; start < n && status == CLNET_OK; start += s->max_batch) {
        int b = n - start < s->max_batch ? n - start : s->max_batch;
        cl_mem logits;
        status = session_gather(s, d, index, (size_t)start, b, SESSION_EVAL);
        if (status == CLNET_OK)
            status = model_forward(&s->model, &logits, s->x, b, false);
        if (status == CLNET_OK)
            status = runtime_download(s->rt, logits_host, logits, 0,
                                      (size_t)b * (size_t)s->classes * sizeof *logits_host);
        if (status == CLNET_OK)
            argmax_rows(predicted + start, logits_host, b, s->classes);
    }
    return status;
}

int train_write_predictions(struct session *s, const char *run_dir, uint64_t seed)
{
    int n = s->test.n < PREDICTIONS_COUNT ? s->test.n : PREDICTIONS_COUNT;
    int32_t chosen[PREDICTIONS_COUNT];
    int predicted[PREDICTIONS_COUNT];
    float *logits = malloc((size_t)s->max_batch * (size_t)s->classes * sizeof *logits);
    char *path = NULL;
    size_t len = strlen(run_dir) + sizeof "/predictions.csv";
    if (logits && (path = malloc(len)))
        snprintf(path, len, "%s/predictions.csv", run_dir);
    int status = logits && path ? choose(chosen, n, s->test.n, seed)
                                : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    cl_mem index = NULL;
    if (status == CLNET_OK)
        status = runtime_alloc(s->rt, &index, (size_t)n * sizeof *chosen, "prediction indices");
    if (status == CLNET_OK)
        status = runtime_upload(s->rt, index, 0, chosen, (size_t)n * sizeof *chosen);
    if (status == CLNET_OK)
        status = predict(s, predicted, &s->test, index, n, logits);
    runtime_free(index);
    struct fs_atomic a;
    if (status == CLNET_OK)
        status = fs_atomic_open(&a, path);
    if (status == CLNET_OK) {
        fprintf(a.f, "index,label,predicted\n");
        for (int i = 0; i < n; i++)
            fprintf(a.f, "%d,%d,%d\n", chosen[i], s->data.test_labels[chosen[i]], predicted[i]);
        status = fs_atomic_commit(&a);
    }
    free(logits);
    free(path);
    return status;
}

int train_confusion(struct confusion *c, struct session *s, const struct device_split *d,
                    const uint8_t *labels)
{
    c->classes = 0;
    c->counts = NULL;
    if (s->classes > CONFUSION_MAX_CLASSES)
        return CLNET_OK; /* a table too large to show: none counted */
    int *predicted = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof *predicted);
    float *logits = malloc((size_t)s->max_batch * (size_t)s->classes * sizeof *logits);
    int status = predicted && logits ? confusion_init(c, s->classes)
                                     : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK) /* eval_index is 0, 1, 2, ...: the whole split in order */
        status = predict(s, predicted, d, s->eval_index, d->n, logits);
    for (int i = 0; i < d->n && status == CLNET_OK; i++) {
        if (labels[i] >= s->classes)
            status = clnet_errorf(CLNET_ERR_DATA, "image %d has the label %d, but the model has "
                                  "%d classes", i, labels[i], s->classes);
        else
            c->counts[(size_t)labels[i] * (size_t)s->classes + (size_t)predicted[i]]++;
    }
    if (status != CLNET_OK)
        confusion_free(c);
    free(predicted);
    free(logits);
    return status;
}
