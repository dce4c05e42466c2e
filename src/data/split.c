/* The validation split (see split.h). */
#include "data/split.h"

#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "util/status.h"

int split_choose(bool *held, int n, int n_val, uint64_t seed)
{
    memset(held, 0, (size_t)n * sizeof *held);
    if (n_val <= 0)
        return CLNET_OK;
    int32_t *order = malloc((size_t)n * sizeof *order);
    if (!order)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d indices", n);
    for (int i = 0; i < n; i++)
        order[i] = i;
    struct rng r;
    rng_seed(&r, rng_mix64(seed ^ SPLIT_STREAM));
    for (int i = 0; i < n_val && i < n; i++) { /* the first n_val of a Fisher-Yates shuffle */
        int j = i + (int)rng_below(&r, (uint32_t)(n - i));
        int32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
        held[order[i]] = true;
    }
    free(order);
    return CLNET_OK;
}

int split_apply(uint8_t *images, uint8_t *labels, const bool *held, int n, size_t features)
{
    int n_val = 0;
    for (int i = 0; i < n; i++)
        n_val += held[i];
    uint8_t *img = malloc((size_t)n_val * features + 1), *lab = malloc((size_t)n_val + 1);
    if (!img || !lab) {
        free(img);
        free(lab);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for %d validation images",
                            n_val);
    }
    int kept = 0, out = 0;
    for (int i = 0; i < n; i++) {
        if (held[i]) {
            memcpy(img + (size_t)out * features, images + (size_t)i * features, features);
            lab[out++] = labels[i];
        } else {
            if (kept != i) /* kept < i: a forward move within the array */
                memmove(images + (size_t)kept * features, images + (size_t)i * features,
                        features);
            labels[kept++] = labels[i];
        }
    }
    memcpy(images + (size_t)kept * features, img, (size_t)n_val * features);
    memcpy(labels + kept, lab, (size_t)n_val);
    free(img);
    free(lab);
    return CLNET_OK;
}
