/* safetensors files (see safetensors.h): the dtype table, the file's envelope (its 8-byte
 * header length, the header, the data placed at an aligned address) and the lookups. The
 * header's JSON and its layout checks are in safetensors_header.c, the writer in
 * safetensors_write.c, the checksum in safetensors_crc.c. */
#include "model/safetensors_internal.h"

#include "util/fs.h"
#include "util/status.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    {"F32", 4},     {"I32", 4},     {"U8", 1},  {"BOOL", 1}, {"I8", 1},
    {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2},  {"F16", 2},
    {"BF16", 2},    {"U32", 4},     {"F64", 8}, {"I64", 8},  {"U64", 8},
};

const char *st_dtype_known(const char *dtype, int *size)
{
    for (int i = 0; dtype && i < (int)(sizeof dtypes / sizeof dtypes[0]); i++)
        if (strcmp(dtypes[i].name, dtype) == 0) {
            *size = dtypes[i].size;
            return dtypes[i].name;
        }
    return NULL;
}

int safetensors_dtype_size(const char *dtype)
{
    int size = 0;
    return st_dtype_known(dtype, &size) ? size : 0;
}

int64_t st_tensor_bytes(const int64_t *shape, int rank, int size, int64_t *count)
{
    int64_t c = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && c > INT64_MAX / shape[i])) return -1;
        c *= shape[i];
    }
    if (count) *count = c;
    return c > INT64_MAX / size ? -1 : c * size;
}

static uint64_t get_le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* The header's length from the file's first 8 bytes, checked against the file and the limit. */
static int header_length(const char *name, const unsigned char *buf, size_t len, size_t *hlen)
{
    if (len < 8)
        return clnet_errorf(CLNET_ERR_DATA, "%s: %zu bytes: too short for a safetensors file",
                            name, len);
    uint64_t h = get_le64(buf);
    if (h > len - 8)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: header length %llu is more than the %zu bytes "
                            "after it (truncated, or not a safetensors file)",
                            name, (unsigned long long)h, len - 8);
    if (h > ST_MAX_HEADER)
        return clnet_errorf(CLNET_ERR_DATA, "%s: header length %llu is over the %u byte limit",
                            name, (unsigned long long)h, ST_MAX_HEADER);
    *hlen = (size_t)h;
    return 0;
}

/* Takes ownership of buf (len bytes, malloc'd) whatever happens. */
static int parse_owned(struct safetensors *st, unsigned char *buf, size_t len, const char *name)
{
    memset(st, 0, sizeof *st);
    st->file = buf;
    if (!(st->path = strdup(name))) {
        safetensors_free(st);
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", name);
    }
    size_t hlen = 0;
    int rc = header_length(name, buf, len, &hlen);
    const unsigned char *data = rc ? NULL : buf + 8 + hlen;
    size_t data_len = rc ? 0 : len - 8 - hlen;
    if (data && (uintptr_t)data % 8 != 0) { /* so each tensor is aligned to its element size */
        if ((st->data_copy = malloc(data_len ? data_len : 1)))
            memcpy(st->data_copy, data, data_len);
        else
            rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", name);
        data = st->data_copy;
    }
    if (!rc) rc = st_header_read(st, (const char *)buf + 8, hlen, data, data_len);
    if (!rc) rc = st_crc_verify(st, buf, hlen, data_len);
    if (rc) safetensors_free(st);
    return rc;
}

int safetensors_read(struct safetensors *st, const char *path)
{
    void *buf;
    size_t len;
    memset(st, 0, sizeof *st);
    int rc = fs_read_file(&buf, &len, path);
    return rc ? rc : parse_owned(st, buf, len, path);
}

int safetensors_parse(struct safetensors *st, const void *bytes, size_t len, const char *name)
{
    memset(st, 0, sizeof *st);
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", name, len);
    if (len) memcpy(buf, bytes, len);
    return parse_owned(st, buf, len, name);
}

const struct st_entry *safetensors_find(const struct safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->entries[i].name, name)) return &st->entries[i];
    return NULL;
}

const char *safetensors_meta(const struct safetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_vals[i];
    return NULL;
}

void safetensors_free(struct safetensors *st)
{
    if (st->entries)
        for (int i = 0; i < st->n; i++)
            free((char *)st->entries[i].name);
    if (st->meta_keys)
        for (int i = 0; i < st->n_meta; i++) {
            free(st->meta_keys[i]);
            free(st->meta_vals[i]);
        }
    free(st->entries);
    free(st->meta_keys);
    free(st->meta_vals);
    free(st->file);
    free(st->data_copy);
    free(st->path);
    memset(st, 0, sizeof *st);
}
