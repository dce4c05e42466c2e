/* Checkpoints as safetensors files (see checkpoint.h). */
#include "model/checkpoint.h"

#include "util/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOBS 16

#ifndef CLNET_VERSION
#define CLNET_VERSION "unknown"
#endif

int checkpoint_save_meta(const char *path, long iteration, uint64_t config_hash,
                         const struct checkpoint_blob *blobs, int n, const char *const *extra_kv)
{
    if (n < 0 || n > MAX_BLOBS || iteration < 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: checkpoint of %d tensors at iteration %ld",
                            path, n, iteration);
    struct st_tensor t[MAX_BLOBS];
    for (int i = 0; i < n; i++)
        t[i] = (struct st_tensor){.name = blobs[i].name,
                                  .dtype = blobs[i].dtype,
                                  .rank = 1,
                                  .shape = {blobs[i].count},
                                  .data = blobs[i].data,
                                  .bytes = blobs[i].bytes};
    char iter[32], hash[32];
    snprintf(iter, sizeof iter, "%ld", iteration);
    snprintf(hash, sizeof hash, "%016" PRIx64, config_hash);
    enum { FIXED = 8, MAX_META = 64 };
    const char *meta[FIXED + 2 * MAX_META + 1] = {
        "format", CHECKPOINT_FORMAT, "iteration",  iter, "config_hash",
        hash,     "clnet_version",   CLNET_VERSION};
    int m = FIXED;
    for (int i = 0; extra_kv && extra_kv[i]; i += 2) {
        if (m + 2 > FIXED + 2 * MAX_META || !extra_kv[i + 1])
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: bad extra metadata", path);
        for (int j = 0; j < m; j += 2)
            if (!strcmp(meta[j], extra_kv[i]))
                return clnet_errorf(CLNET_ERR_INTERNAL, "%s: metadata '%s' given twice", path,
                                    extra_kv[i]);
        meta[m++] = extra_kv[i];
        meta[m++] = extra_kv[i + 1];
    }
    meta[m] = NULL;
    return safetensors_write_checked(path, t, n, meta);
}

int checkpoint_save(const char *path, long iteration, uint64_t config_hash,
                    const struct checkpoint_blob *blobs, int n)
{
    return checkpoint_save_meta(path, iteration, config_hash, blobs, n, NULL);
}

int checkpoint_find(const struct st_entry **out, const struct safetensors *st, const char *name,
                    const char *dtype, int64_t count)
{
    const struct st_entry *e = safetensors_find(st, name);
    *out = NULL;
    if (!e)
        return clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint has no tensor '%s'", st->path, name);
    if (e->rank != 1 || strcmp(e->dtype, dtype) != 0 || e->count != count)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: checkpoint tensor '%s' is %s with %lld values (rank %d); this "
                            "run needs %s with %lld (a checkpoint of another model or "
                            "optimizer?)",
                            st->path, name, e->dtype, (long long)e->count, e->rank, dtype,
                            (long long)count);
    *out = e;
    return 0;
}

static bool parse_iteration(const char *s, long *out)
{
    if (!s || *s < '0' || *s > '9' || (s[0] == '0' && s[1])) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_hash(const char *s, uint64_t *out)
{
    if (!s || strlen(s) != 16) return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

int checkpoint_load(struct safetensors *st, long *iteration, uint64_t *config_hash,
                    const char *path)
{
    int rc = safetensors_read(st, path);
    if (rc) return rc;
    const char *format = safetensors_meta(st, "format");
    const struct st_entry *params = safetensors_find(st, "params");
    bool v1 = format && strcmp(format, CHECKPOINT_FORMAT_1) == 0;
    if (!format || (strcmp(format, CHECKPOINT_FORMAT) != 0 && !v1))
        rc = clnet_errorf(CLNET_ERR_DATA,
                          "%s: not a clnet checkpoint (format '%.40s', expected "
                          "'%s')",
                          path, format ? format : "(none)", CHECKPOINT_FORMAT);
    else if (!v1 && !st->checked)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: damaged: a %s file without its checksum (%s)",
                          path, CHECKPOINT_FORMAT, ST_CRC_KEY);
    else if (!parse_iteration(safetensors_meta(st, "iteration"), iteration))
        rc = clnet_errorf(CLNET_ERR_DATA,
                          "%s: checkpoint metadata 'iteration' is missing or "
                          "not a non-negative integer",
                          path);
    else if (!parse_hash(safetensors_meta(st, "config_hash"), config_hash))
        rc = clnet_errorf(CLNET_ERR_DATA,
                          "%s: checkpoint metadata 'config_hash' is missing or "
                          "not 16 hex digits",
                          path);
    else if (!params || params->rank != 1 || strcmp(params->dtype, "F32") != 0)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: checkpoint has no rank-1 F32 tensor 'params'", path);
    if (rc) safetensors_free(st);
    return rc;
}
