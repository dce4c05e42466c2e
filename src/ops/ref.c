/* Host references of the ops (ref.h): the simplest correct code, no speed tricks. */
#include "ops/ref.h"

#include <stddef.h>

void ref_gather_batch(float *x, int32_t *y, const uint8_t *images, const uint8_t *labels,
                      const int32_t *index, int batch, int features)
{
    for (int b = 0; b < batch; b++) {
        const uint8_t *image = images + (size_t)index[b] * (size_t)features;
        for (int f = 0; f < features; f++)
            x[(size_t)b * (size_t)features + (size_t)f] = (float)image[f] / 255.0f;
        y[b] = labels[index[b]];
    }
}
