/* safetensors files (huggingface.co/docs/safetensors): model.safetensors, checkpoints, and
 * weights given to `init: {file: ...}`. Layout: an 8-byte little-endian header length N, N
 * bytes of JSON header, then the raw little-endian data:
 *   {"__metadata__": {"k": "v", ...},
 *    "name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...}
 * with offsets relative to the start of the data. The reader validates everything before it
 * hands anything out, as strictly as the reference (Rust) implementation: the header is JSON
 * (parsed by jansson: valid UTF-8, no \u0000, nothing after the object, a key given twice
 * refused), every tensor has a known dtype, a shape and offsets whose size matches, and the
 * tensors tile the data exactly: no overlaps, no gaps, nothing after the last one. Any other
 * input fails with CLNET_ERR_DATA and "PATH: what"; none can crash it. */
#ifndef CLNET_MODEL_SAFETENSORS_H
#define CLNET_MODEL_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MAX_RANK 8
#define ST_MAX_HEADER (100u << 20) /* as the reference implementation */

/* A tensor to write. dtype: "F32", "I32" or "U8" (or any dtype safetensors_dtype_size
 * knows); bytes must equal product(shape) * dtype size; rank 0 is a scalar. */
struct st_tensor {
    const char *name;
    const char *dtype;
    int rank;
    int64_t shape[ST_MAX_RANK];
    const void *data;
    size_t bytes;
};

/* Writes the tensors, in the given order and contiguous, to path atomically (temp file,
 * fsync, rename, fsync of the folder). meta_kv is NULL or "key", "value", ..., NULL: written
 * as __metadata__. The header is padded with spaces so the data starts at a multiple of 8;
 * a tensor whose elements are 2, 4 or 8 bytes must start at a multiple of its element size
 * (put U8 tensors last), so a reader's pointers are aligned. Bad arguments (size mismatch,
 * empty, duplicate or reserved name, misalignment) are CLNET_ERR_INTERNAL; write failures
 * CLNET_ERR_IO. */
int safetensors_write(const char *path, const struct st_tensor *tensors, int n,
                      const char *const *meta_kv);

/* The metadata key of a file's checksum: 8 lowercase hex digits of zlib's crc32 over the
 * whole file (length, header, data) as it reads with those digits written as "00000000".
 * The header is covered, not only the data: a flipped bit in a metadata value (a checkpoint's
 * iteration or config hash, a run total) or in a shape keeps the file valid and changes what
 * it means. Only clnet writes it; files without it (PyTorch's, an older clnet's) read as
 * before. */
#define ST_CRC_KEY "clnet_crc32"

/* safetensors_write, with ST_CRC_KEY added to the metadata (meta_kv must not hold it). */
int safetensors_write_checked(const char *path, const struct st_tensor *tensors, int n,
                              const char *const *meta_kv);

struct st_entry {
    const char *name;
    const char *dtype; /* "F32", "I32", "U8", ... (a static string) */
    int rank;
    int64_t shape[ST_MAX_RANK];
    int64_t count;    /* product(shape); 1 for rank 0 */
    const void *data; /* inside the loaded file; aligned to the element size, see below */
    size_t bytes;
};

/* A loaded file. Entries are in header order (JSON objects have no order, so do not rely on
 * it); data pointers stay valid until safetensors_free. The data section is placed at an
 * 8-byte aligned address (copied when the file's header length left it misaligned), so a
 * tensor is aligned to its element size when its begin offset is a multiple of it (always
 * for files from safetensors_write and from the reference writer). */
struct safetensors {
    char *path;
    int n;
    struct st_entry *entries; /* (n) */
    int n_meta;
    char **meta_keys, **meta_vals; /* (n_meta) */
    void *file;                    /* the whole file, or the header part when data moved */
    void *data_copy;               /* the data section when the file's was misaligned */
    bool checked;                  /* it held ST_CRC_KEY, and its contents matched it */
};

/* Loads and validates path; a file holding ST_CRC_KEY must match it ("PATH: damaged: ...").
 * On failure st is left freed (zeroed). */
int safetensors_read(struct safetensors *st, const char *path);

/* Parses and validates a file already in memory (copied; bytes need not outlive the call).
 * name is used in messages. */
int safetensors_parse(struct safetensors *st, const void *bytes, size_t len, const char *name);

/* The entry, or NULL. */
const struct st_entry *safetensors_find(const struct safetensors *st, const char *name);

/* The metadata value, or NULL. */
const char *safetensors_meta(const struct safetensors *st, const char *key);

/* Safe on a zeroed struct and twice. */
void safetensors_free(struct safetensors *st);

/* Bytes per element of a safetensors dtype (BOOL U8 I8 F8_E5M2 F8_E4M3 I16 U16 F16 BF16 I32
 * U32 F32 F64 I64 U64), or 0 for an unknown one. */
int safetensors_dtype_size(const char *dtype);

#endif
