/* The record that a run's kernels were compiled: once a run's first step is done, a mark in
 * clnet's cache folder (runtime/cache.h: cache_dir) keyed by the config, the device spec, the
 * kernel sources and the driver's settings that change its cache. A later run of the same key
 * is a warm start: it starts no compile helper (runtime/quirks.h; on a warm start it would
 * only take the other core: measured 0.1 s more to q5_iii's first step) and needs a smaller
 * file-size limit (train.c). A driver cache emptied behind clnet's back then means a cold
 * start without the helper, no other harm. */
#ifndef CLNET_TRAIN_COMPILE_HELPER_H
#define CLNET_TRAIN_COMPILE_HELPER_H

#include <stdbool.h>
#include <stdint.h>

/* The key of a run's record: the config's resolved hash, the device spec, the cl/ folder
 * (NULL: the embedded sources, hashed) and the driver's settings (quirks_cache_key). */
uint64_t compile_helper_key(uint64_t config_hash, const char *device_spec, const char *cl_dir);

/* Whether a record of key is in clnet's cache folder; false when the cache is off. */
bool compile_helper_recorded(uint64_t key);

/* Writes the record of key (nothing when the cache is off; a failure is ignored: the next
 * run then starts a helper it does not need). */
void compile_helper_record(uint64_t key);

#endif
