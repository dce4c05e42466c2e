/* The on-disk cache of program binaries (as ggml's): one file per program, named by a 64-bit
 * FNV-1a key of everything that affects the binary, written to a temporary file and renamed
 * so a reader never sees half an entry. A header (magic, format, key, length, checksum) lets a
 * truncated or corrupt entry be detected and rebuilt rather than trusted. Exposed for tests. */
#ifndef CLNET_RUNTIME_CACHE_H
#define CLNET_RUNTIME_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_HASH_INIT UINT64_C(0xcbf29ce484222325)
#define CACHE_HEADER_SIZE 40

/* FNV-1a 64 of data continued from h (start from CACHE_HASH_INIT). */
uint64_t cache_hash(uint64_t h, const void *data, size_t len);

/* Continues h with a string and a terminator, so ("ab","c") and ("a","bc") differ. */
uint64_t cache_hash_string(uint64_t h, const char *s);

/* Sets the cache folder of this process (main: options_cache_dir, from --cache-dir,
 * CLNET_CACHE_DIR, XDG_CACHE_HOME or HOME); NULL, the default, turns the cache off. False when
 * out of memory (the setting is then unchanged). */
bool cache_set_dir(const char *dir);

/* The cache folder, created if needed. False (and dir "") when none is set or the folder
 * cannot be made: the cache is then off, silently. */
bool cache_dir(char *dir, size_t size);

/* dir/STEM-KEY.bin, STEM being file without its extension. */
void cache_path(char *path, size_t size, const char *dir, const char *file, uint64_t key);

enum cache_result {
    CACHE_FOUND,   /* *data (malloc'd) and *len hold the entry's binary */
    CACHE_MISSING, /* no entry */
    CACHE_CORRUPT, /* short, wrong magic, format or key, or checksum mismatch */
};

enum cache_result cache_load(const char *path, uint64_t key, unsigned char **data, size_t *len);

/* Writes the entry through path.tmp.PID.N and rename(); false on any failure (caller ignores). */
bool cache_store(const char *path, uint64_t key, const void *data, size_t len);

#endif
