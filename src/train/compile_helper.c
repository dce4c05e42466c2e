/* train/compile_helper.h: the record of a run's compiled kernels. */
#include "train/compile_helper.h"

#include <stdlib.h>

#include "runtime/cache.h"
#include "runtime/quirks.h"
#include "runtime/runtime.h"

uint64_t compile_helper_key(uint64_t config_hash, const char *device_spec, const char *cl_dir)
{
    uint64_t h = cache_hash_string(CACHE_HASH_INIT, "clnet compile helper " CLNET_VERSION);
    h = cl_dir ? cache_hash_string(h, cl_dir) : runtime_sources_hash(h);
    h = cache_hash(h, &config_hash, sizeof config_hash);
    h = cache_hash_string(h, device_spec ? device_spec : "");
    return quirks_cache_key(h);
}

static bool record_path(char *path, size_t size, uint64_t key)
{
    char dir[4096];
    if (!cache_dir(dir, sizeof dir))
        return false;
    cache_path(path, size, dir, "compiled.mark", key);
    return true;
}

bool compile_helper_recorded(uint64_t key)
{
    char path[4200];
    unsigned char *data = NULL;
    size_t len = 0;
    if (!record_path(path, sizeof path, key) || cache_load(path, key, &data, &len) != CACHE_FOUND)
        return false;
    free(data);
    return true;
}

void compile_helper_record(uint64_t key)
{
    char path[4200];
    const unsigned char one = 1;
    if (record_path(path, sizeof path, key))
        cache_store(path, key, &one, 1);
}
