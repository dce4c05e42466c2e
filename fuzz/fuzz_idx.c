/* libFuzzer target: the IDX reader, plain and gzip. Each input is read as a file as it is
 * (so mutated gzip streams reach zlib when it starts with 1f 8b), and, when it is not
 * gzip already, once more gzip-compressed: both reads must agree on the status and, when
 * they succeed, on every byte. An accepted array must be exactly what its header says. */
#include "data/idx.h"
#include "fuzz_util.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void check_array(const struct idx_array *a, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(a->rank >= 1 && a->rank <= IDX_MAX_RANK, "rank %d", a->rank);
    size_t n = 1;
    for (int i = 0; i < IDX_MAX_RANK; i++) {
        FUZZ_CHECK(i < a->rank ? a->dims[i] > 0 : a->dims[i] == 0, "dims[%d] = %d", i,
                   a->dims[i]);
        if (i < a->rank) n *= (size_t)a->dims[i];
    }
    size_t header = 4 + 4 * (size_t)a->rank;
    FUZZ_CHECK(a->size == n && a->data, "size %zu, product of dims %zu", a->size, n);
    if (data) /* the plain file: the data is the rest of it, byte for byte */
        FUZZ_CHECK(size == header + n && !memcmp(a->data, data + header, n),
                   "data differs from the file");
}

static void write_gzip(const char *path, const uint8_t *data, size_t size)
{
    gzFile gz = gzopen(path, "wb1");
    FUZZ_CHECK(gz, "gzopen %s failed", path);
    FUZZ_CHECK(size == 0 || gzwrite(gz, data, (unsigned)size) == (int)size, "gzwrite failed");
    FUZZ_CHECK(gzclose(gz) == Z_OK, "gzclose failed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *plain_path = fuzz_path("input.idx"), *gz_path = fuzz_path("input.idx.gz");
    bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    fuzz_write(plain_path, data, size);
    struct idx_array a, b;
    clnet_error_clear();
    int rc = idx_read(&a, plain_path);
    fuzz_check_status(rc, CLNET_ERR_DATA, "idx_read");
    if (rc == CLNET_OK) check_array(&a, is_gzip ? NULL : data, size);
    else FUZZ_CHECK(!a.data && a.rank == 0 && a.size == 0, "a failed read left data behind");
    if (!is_gzip && size < (1u << 30)) {
        write_gzip(gz_path, data, size);
        int rc2 = idx_read(&b, gz_path);
        fuzz_check_status(rc2, CLNET_ERR_DATA, "idx_read (gzip)");
        FUZZ_CHECK(rc2 == rc, "plain read gave %s, gzip read %s", clnet_status_name(rc),
                   clnet_status_name(rc2));
        if (rc == CLNET_OK) {
            FUZZ_CHECK(b.rank == a.rank && !memcmp(b.dims, a.dims, sizeof a.dims) &&
                           b.size == a.size && !memcmp(b.data, a.data, a.size),
                       "gzip read differs from plain read");
        }
        idx_free(&b);
    }
    idx_free(&a);
    return 0;
}
