/* Checkpoints: checkpoint.bin in the run directory is a safetensors file (one format, one
 * validated reader). Tensors: `params` (F32, the whole parameter arena), the optimizer's
 * state by its own names (`optim.m`, `optim.v`, `optim.velocity`, F32), `state` (F32, the
 * layers' state arena, model.state: only for a model with state tensors), `rng` (U8, the bytes
 * of struct rng) and `sampler` (U8, sampler_state_save's bytes), all rank 1. Metadata:
 * format = "clnet-checkpoint-1", iteration (decimal), config_hash (16 lowercase hex digits
 * of hash_bytes over the resolved config), clnet_version, and whatever the caller adds.
 * Written atomically: a crash leaves the previous checkpoint or the new one, and with the
 * file's checksum (ST_CRC_KEY, safetensors.h), so a flipped bit is refused on load instead of
 * resuming a run from damaged weights. */
#ifndef CLNET_MODEL_CHECKPOINT_H
#define CLNET_MODEL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "model/safetensors.h"

/* Format 2 carries the checksum and must: a file claiming it without one is refused. Format
 * 1 (clnet before the checksum) still loads, unchecked (safetensors' `checked` false): an
 * interrupted run survives an upgrade, its structure is validated as before, and the caller
 * says it was not verified. No single flipped bit turns "2" into "1". */
#define CHECKPOINT_FORMAT "clnet-checkpoint-2"
#define CHECKPOINT_FORMAT_1 "clnet-checkpoint-1"

/* One rank-1 tensor of count elements, bytes = count * size of dtype ("F32", "I32", "U8").
 * Blobs are written in the given order; put the F32 ones first and the U8 ones last (the
 * writer refuses a 4-byte tensor at an offset that is not a multiple of 4). */
struct checkpoint_blob {
    const char *name;
    const char *dtype;
    const void *data;
    size_t bytes;
    int64_t count;
};

/* Writes path atomically. extra_kv: NULL or "key", "value", ..., NULL, more metadata (keys
 * must not repeat the four above). iteration >= 0. */
int checkpoint_save_meta(const char *path, long iteration, uint64_t config_hash,
                         const struct checkpoint_blob *blobs, int n, const char *const *extra_kv);

/* checkpoint_save_meta without extra metadata. */
int checkpoint_save(const char *path, long iteration, uint64_t config_hash,
                    const struct checkpoint_blob *blobs, int n);

/* Reads and validates path as safetensors, then as a checkpoint: format must be
 * CHECKPOINT_FORMAT with a matching checksum, or CHECKPOINT_FORMAT_1, iteration a non-negative decimal, config_hash 16 hex digits, and a
 * rank-1 F32 `params` tensor present. Comparing config_hash with the run's own is the
 * caller's job (it knows whether a changed config is allowed). On failure st is freed and
 * the error is CLNET_ERR_DATA "PATH: ..." (or CLNET_ERR_IO when the file cannot be read). */
int checkpoint_load(struct safetensors *st, long *iteration, uint64_t *config_hash,
                    const char *path);

/* The blob name of a loaded checkpoint, checked to be rank 1 of dtype with count elements;
 * CLNET_ERR_DATA "PATH: checkpoint tensor 'NAME' ..." when it is missing or differs (a
 * checkpoint of another model or optimizer). */
int checkpoint_find(const struct st_entry **out, const struct safetensors *st, const char *name,
                    const char *dtype, int64_t count);

#endif
