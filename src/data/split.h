/* A validation split: `data.validation: N` holds out N of the training images. Which ones
 * depends on the seed alone, drawn on the host from a stream of its own (not the sampler's,
 * not the device's), so the same config holds out the same images on every device and
 * machine, and a run without a split draws nothing and is unchanged. The images held out
 * keep their file order, and so do the ones left to train on. */
#ifndef CLNET_DATA_SPLIT_H
#define CLNET_DATA_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* held[i] = whether training image i (of n) is held out; n_val of them are (0 <= n_val <= n).
 * A partial Fisher-Yates shuffle on rng_seed(rng_mix64(seed ^ SPLIT_STREAM)): integer
 * arithmetic only. CLNET_ERR_NOMEM. */
#define SPLIT_STREAM 0x76616c6964617465ull /* "validate" */
int split_choose(bool *held /* (n) */, int n, int n_val, uint64_t seed);

/* Moves the images (each `features` bytes) and labels that held marks to the end, in order,
 * the others to the front, in order: the training images are then [0, n - n_val) and the
 * validation images [n - n_val, n). CLNET_ERR_NOMEM. */
int split_apply(uint8_t *images, uint8_t *labels, const bool *held, int n, size_t features);

#endif
