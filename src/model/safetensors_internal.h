/* Pieces shared by the safetensors files and nothing else: safetensors.c (the API, the file's
 * envelope, the dtype table), safetensors_header.c (the JSON header to entries, every layout
 * check), safetensors_write.c and safetensors_crc.c (the clnet_crc32 checksum). */
#ifndef CLNET_MODEL_SAFETENSORS_INTERNAL_H
#define CLNET_MODEL_SAFETENSORS_INTERNAL_H

#include "model/safetensors.h"

/* The dtype's static name (safetensors_dtype_size's table) and its size in *size, or NULL
 * for an unknown one. */
const char *st_dtype_known(const char *dtype, int *size);

/* product(shape) * size, or -1 when it does not fit in int64_t (or a dimension is < 0);
 * *count (when not NULL) gets product(shape). */
int64_t st_tensor_bytes(const int64_t *shape, int rank, int size, int64_t *count);

/* Fills st's entries and metadata from the hlen bytes of JSON header and checks that the
 * tensors tile the data_len bytes at data exactly (entries then point into data). */
int st_header_read(struct safetensors *st, const char *header, size_t hlen,
                   const unsigned char *data, size_t data_len);

/* Where ST_CRC_KEY's 8 digits are in a header as safetensors_write_checked writes it, or
 * NULL when there is not exactly one such place. */
const char *st_crc_digits(const char *header, size_t hlen);

/* The file's checksum with the 8 digits at crc_at (inside header) read as "00000000": len8,
 * the header, then the n tensors' data (writing) or data_len bytes at data (reading). */
uint32_t st_file_crc(const unsigned char *len8, const char *header, size_t hlen,
                     const char *crc_at, const struct st_tensor *t, int n, const void *data,
                     size_t data_len);

/* A file holding ST_CRC_KEY must match it (sets st->checked); buf is the whole file. */
int st_crc_verify(struct safetensors *st, const unsigned char *buf, size_t hlen,
                  size_t data_len);

#endif
