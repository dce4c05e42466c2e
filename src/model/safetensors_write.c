/* Writing safetensors files (see safetensors.h): the arguments checked, the header built with
 * util/json.h's writer (compact, padded with spaces so the data starts at a multiple of 8),
 * the checksum filled in when asked for, and the file written atomically. */
#include "model/safetensors_internal.h"

#include "util/fs.h"
#include "util/json.h"
#include "util/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_le64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static int check_tensors(const char *path, const struct st_tensor *t, int n)
{
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const char *name = t[i].name;
        int size = safetensors_dtype_size(t[i].dtype);
        if (!name || !*name || strcmp(name, "__metadata__") == 0)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor %d: bad name '%s'", path, i,
                                name ? name : "(null)");
        if (!size)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s': unknown dtype '%s'", path,
                                name, t[i].dtype ? t[i].dtype : "(null)");
        if (t[i].rank < 0 || t[i].rank > ST_MAX_RANK)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s': rank %d", path, name,
                                t[i].rank);
        int64_t bytes = st_tensor_bytes(t[i].shape, t[i].rank, size, NULL);
        if (bytes < 0 || (uint64_t)bytes != t[i].bytes || (bytes > 0 && !t[i].data))
            return clnet_errorf(CLNET_ERR_INTERNAL,
                                "%s: tensor '%s': %zu bytes of data do not match its shape", path,
                                name, t[i].bytes);
        if (off % size != 0)
            return clnet_errorf(CLNET_ERR_INTERNAL,
                                "%s: tensor '%s' would start at offset %lld, not a multiple of "
                                "its element size (write U8 tensors last)",
                                path, name, (long long)off);
        if (off > INT64_MAX - bytes)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensors too large", path);
        off += bytes;
        for (int j = 0; j < i; j++)
            if (strcmp(t[j].name, name) == 0)
                return clnet_errorf(CLNET_ERR_INTERNAL, "%s: tensor '%s' given twice", path, name);
    }
    return 0;
}

/* The header's JSON, padded so the data starts at a multiple of 8; with crc, the metadata
 * ends with ST_CRC_KEY holding the placeholder "00000000". */
static int build_header(const char *path, const struct st_tensor *tensors, int n,
                        const char *const *meta_kv, bool crc, char **header, size_t *hlen)
{
    struct json_writer w;
    json_init_buffer(&w, 0);
    json_begin_object(&w);
    if ((meta_kv && meta_kv[0]) || crc) {
        json_key(&w, "__metadata__");
        json_begin_object(&w);
        for (int i = 0; meta_kv && meta_kv[i]; i += 2) {
            if (!meta_kv[i + 1] || !strcmp(meta_kv[i], ST_CRC_KEY)) {
                json_free_buffer(&w);
                return clnet_errorf(CLNET_ERR_INTERNAL, "%s: metadata '%s' %s", path, meta_kv[i],
                                    meta_kv[i + 1] ? "is the writer's own" : "has no value");
            }
            json_key(&w, meta_kv[i]);
            json_string(&w, meta_kv[i + 1]);
        }
        if (crc) {
            json_key(&w, ST_CRC_KEY);
            json_string(&w, "00000000");
        }
        json_end_object(&w);
    }
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const struct st_tensor *t = &tensors[i];
        json_key(&w, t->name);
        json_begin_object(&w);
        json_key(&w, "dtype");
        json_string(&w, t->dtype);
        json_key(&w, "shape");
        json_begin_array(&w);
        for (int d = 0; d < t->rank; d++)
            json_int(&w, t->shape[d]);
        json_end_array(&w);
        json_key(&w, "data_offsets");
        json_begin_array(&w);
        json_int(&w, off);
        json_int(&w, off + (int64_t)t->bytes);
        json_end_array(&w);
        json_end_object(&w);
        off += (int64_t)t->bytes;
    }
    json_end_object(&w);
    /* Spaces (JSON whitespace) so the data starts at a multiple of 8. */
    while (w.len % 8)
        json_raw(&w, " ", 1);
    int rc = json_finish(&w);
    *header = json_take_buffer(&w, hlen);
    return rc ? rc : *header ? 0 : CLNET_ERR_NOMEM;
}

static int write_file(const char *path, const struct st_tensor *tensors, int n,
                      const char *const *meta_kv, bool crc)
{
    int rc = check_tensors(path, tensors, n);
    char *header = NULL;
    size_t hlen = 0;
    if (!rc)
        rc = build_header(path, tensors, n, meta_kv, crc, &header, &hlen);
    if (rc) {
        free(header);
        return rc;
    }
    unsigned char len8[8];
    put_le64(len8, hlen);
    char *digits = crc ? (char *)st_crc_digits(header, hlen) : NULL;
    if (crc && !digits) {
        free(header);
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: no place for the checksum", path);
    }
    if (digits) {
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", st_file_crc(len8, header, hlen, digits, tensors, n,
                                                   NULL, 0));
        memcpy(digits, hex, 8);
    }
    struct fs_atomic a;
    rc = fs_atomic_open(&a, path);
    if (rc) {
        free(header);
        return rc;
    }
    bool ok = fwrite(len8, 1, 8, a.f) == 8 && fwrite(header, 1, hlen, a.f) == hlen;
    for (int i = 0; ok && i < n; i++)
        ok = tensors[i].bytes == 0 ||
             fwrite(tensors[i].data, 1, tensors[i].bytes, a.f) == tensors[i].bytes;
    free(header);
    if (!ok) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", a.tmp, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}

int safetensors_write(const char *path, const struct st_tensor *tensors, int n,
                      const char *const *meta_kv)
{
    return write_file(path, tensors, n, meta_kv, false);
}

int safetensors_write_checked(const char *path, const struct st_tensor *tensors, int n,
                              const char *const *meta_kv)
{
    return write_file(path, tensors, n, meta_kv, true);
}
