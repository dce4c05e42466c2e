/* IDX files (the MNIST format): magic 00 00 TYPE RANK, RANK big-endian 32-bit dimensions,
 * then the data in row-major order. Only unsigned bytes (type 0x08) are read, plain or
 * gzip-compressed (recognised by the gzip magic 1f 8b, whatever the name). */
#ifndef CLNET_DATA_IDX_H
#define CLNET_DATA_IDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDX_MAX_RANK 4
#define IDX_MAX_BYTES ((size_t)1 << 31) /* 2 GiB: anything larger is refused as corrupt */

struct idx_array {
    int rank;               /* 1..IDX_MAX_RANK */
    int dims[IDX_MAX_RANK]; /* dims[0..rank-1] > 0; the rest 0 */
    size_t size;            /* product of the dims = number of bytes in data */
    uint8_t *data;          /* (dims[0], ..., dims[rank-1]) row-major */
    bool mapped;            /* data is an anonymous mapping (plain files), else malloc'd */
};

/* Reads path into *out. Errors (CLNET_ERR_DATA, message starting with the path): missing
 * or unreadable file, bad magic, a type other than 0x08, rank outside 1..4, a zero
 * dimension, more than IDX_MAX_BYTES, data shorter or longer than the dims say, a corrupt
 * gzip stream. On error *out is left empty (idx_free is still safe). */
int idx_read(struct idx_array *out, const char *path);

void idx_free(struct idx_array *a);

/* Writes an uncompressed unsigned-byte IDX file atomically (tests, synthetic data).
 * dims[0..rank-1] > 0, rank 1..4; CLNET_ERR_IO on failure. */
int idx_write(const char *path, const uint8_t *data, int rank, const int *dims);

#endif
