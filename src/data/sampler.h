/* Mini-batch index lists, epoch after epoch, without replacement within an epoch.
 *
 * Semantics: an infinite stream. Each epoch is a fresh Fisher-Yates permutation of 0..n-1
 * (shuffle) or 0..n-1 in order (no shuffle), and batches are cut from the concatenation of
 * the epochs. A batch that would cross the end of an epoch takes the items left in it and
 * continues with the next epoch's permutation, so every batch is full and no item is ever
 * dropped (PyTorch's DataLoader instead ends the epoch with a short batch, or drops it with
 * drop_last=True). With batch > n a batch spans several epochs.
 *
 * The state saved for a checkpoint is small and independent of n: the rng as it was before
 * the current epoch's permutation was drawn, the position in that permutation and the
 * epoch number; restoring redraws the permutation, so a resumed run continues identically. */
#ifndef CLNET_DATA_SAMPLER_H
#define CLNET_DATA_SAMPLER_H

#include "util/rng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sampler {
    int n, batch;
    bool shuffle;
    int pos;               /* next item of perm to hand out, 0..n */
    int64_t epoch;         /* the epoch perm belongs to, from 0 */
    struct rng rng;        /* advanced by each permutation drawn */
    struct rng epoch_rng;  /* rng before perm was drawn: what a checkpoint keeps */
    int32_t *perm;         /* (n) the current epoch's order, malloc'd */
};

/* n items, batch indices per sampler_next; seed only matters with shuffle. Draws epoch 0's
 * permutation. CLNET_ERR_CONFIG for n or batch <= 0, CLNET_ERR_NOMEM. */
int sampler_init(struct sampler *s, int n, int batch, bool shuffle, uint64_t seed);

/* Writes the next batch of indices (each in 0..n-1) to index[0..batch-1]; always 0. */
int sampler_next(struct sampler *s, int32_t *index /* (batch) */);

void sampler_free(struct sampler *s);

/* The state as bytes: a fixed little-endian layout (magic, n, batch, shuffle, pos, epoch,
 * epoch_rng) of sampler_state_size() bytes, the same on every machine. */
size_t sampler_state_size(void);
void sampler_state_save(const struct sampler *s, void *buf /* sampler_state_size() */);

/* Restores a state saved by a sampler with the same n, batch and shuffle (s is one made by
 * sampler_init); CLNET_ERR_DATA if the bytes are not a sampler state, or are one for a
 * different n, batch or shuffle. On error s is unchanged. */
int sampler_state_load(struct sampler *s, const void *buf, size_t len);

#endif
