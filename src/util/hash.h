/* FNV-1a, 64-bit: a small, stable, non-cryptographic hash for fingerprints that are stored
 * on disk (the resolved config's hash in a checkpoint), so its values must never change.
 * Chain calls by passing the previous result as h; start from HASH_SEED (FNV's offset basis). */
#ifndef CLNET_UTIL_HASH_H
#define CLNET_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT UINT64_C(0xcbf29ce484222325)
#define HASH_SEED HASH_FNV1A_INIT

uint64_t hash_bytes(const void *p, size_t n, uint64_t h);

#endif
