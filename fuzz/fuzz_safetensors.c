/* libFuzzer target: the safetensors reader. An accepted file must describe tensors that lie
 * inside it, tile its data exactly and are found by name; written back with
 * safetensors_write (which refuses only tensors it could not align; with its checksum anew
 * when it had one) and read from the file, it must give the same tensors and metadata. */
#include "fuzz_util.h"
#include "model/safetensors.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void check_entries(const struct safetensors *st)
{
    for (int i = 0; i < st->n; i++) {
        const struct st_entry *e = &st->entries[i];
        int size = safetensors_dtype_size(e->dtype);
        FUZZ_CHECK(size > 0 && e->rank >= 0 && e->rank <= ST_MAX_RANK, "entry %d", i);
        int64_t count = 1;
        for (int d = 0; d < e->rank; d++)
            count *= e->shape[d];
        FUZZ_CHECK(count == e->count && (uint64_t)count * (uint64_t)size == e->bytes,
                   "tensor '%s': count %lld, bytes %zu", e->name, (long long)e->count, e->bytes);
        FUZZ_CHECK(safetensors_find(st, e->name) == e, "tensor '%s' not found", e->name);
        /* Every byte is read, so ASan sees a tensor that points outside the file. */
        volatile unsigned char sum = 0;
        for (size_t b = 0; b < e->bytes; b++)
            sum += ((const unsigned char *)e->data)[b];
        (void)sum;
    }
    for (int i = 0; i < st->n_meta; i++)
        FUZZ_CHECK(safetensors_meta(st, st->meta_keys[i]) == st->meta_vals[i], "metadata '%s'",
                   st->meta_keys[i]);
}

/* Writes st's tensors in its order and reads them back. */
static void check_write_back(const struct safetensors *st)
{
    struct st_tensor *t = calloc((size_t)st->n + 1, sizeof *t);
    const char **meta = calloc(2 * (size_t)st->n_meta + 1, sizeof *meta);
    FUZZ_CHECK(t && meta, "out of memory");
    bool aligned = true;
    size_t off = 0;
    for (int i = 0; i < st->n; i++) {
        const struct st_entry *e = &st->entries[i];
        t[i] = (struct st_tensor){.name = e->name, .dtype = e->dtype, .rank = e->rank,
                                  .data = e->data, .bytes = e->bytes};
        memcpy(t[i].shape, e->shape, sizeof e->shape);
        aligned = aligned && off % (size_t)safetensors_dtype_size(e->dtype) == 0;
        off += e->bytes;
    }
    /* A checksum is the writer's own: written back anew, so left out of what is passed. */
    int m = 0;
    for (int i = 0; i < st->n_meta; i++) {
        if (!strcmp(st->meta_keys[i], ST_CRC_KEY))
            continue;
        meta[m++] = st->meta_keys[i];
        meta[m++] = st->meta_vals[i];
    }
    const char *path = fuzz_path("out.safetensors");
    int rc = st->checked ? safetensors_write_checked(path, t, st->n, meta)
                         : safetensors_write(path, t, st->n, meta);
    if (!aligned) {
        FUZZ_CHECK(rc == CLNET_ERR_INTERNAL, "misaligned tensors written: %s",
                   clnet_status_name(rc));
        clnet_error_clear();
    } else {
        FUZZ_CHECK(rc == CLNET_OK, "safetensors_write failed: %s", clnet_error_message());
        struct safetensors back;
        rc = safetensors_read(&back, path);
        FUZZ_CHECK(rc == CLNET_OK, "written file does not read back: %s",
                   clnet_error_message());
        FUZZ_CHECK(back.n == st->n && back.n_meta == st->n_meta, "%d tensors, %d metadata back",
                   back.n, back.n_meta);
        for (int i = 0; i < st->n; i++) {
            const struct st_entry *e = &st->entries[i], *f = safetensors_find(&back, e->name);
            FUZZ_CHECK(f && !strcmp(f->dtype, e->dtype) && f->rank == e->rank &&
                           !memcmp(f->shape, e->shape, sizeof e->shape) &&
                           f->bytes == e->bytes && !memcmp(f->data, e->data, e->bytes),
                       "tensor '%s' differs after writing", e->name);
            FUZZ_CHECK((uintptr_t)f->data % (uintptr_t)safetensors_dtype_size(f->dtype) == 0,
                       "tensor '%s' misaligned after writing", e->name);
        }
        FUZZ_CHECK(back.checked == st->checked, "checksum %s after writing",
                   st->checked ? "lost" : "gained");
        for (int i = 0; i < st->n_meta; i++) {
            if (!strcmp(st->meta_keys[i], ST_CRC_KEY))
                continue;
            const char *v = safetensors_meta(&back, st->meta_keys[i]);
            FUZZ_CHECK(v && !strcmp(v, st->meta_vals[i]), "metadata '%s' differs",
                       st->meta_keys[i]);
        }
        safetensors_free(&back);
    }
    free(t);
    free(meta);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct safetensors st;
    clnet_error_clear();
    int rc = safetensors_parse(&st, data, size, "input.safetensors");
    fuzz_check_status(rc, CLNET_ERR_DATA, "safetensors_parse");
    if (rc == CLNET_OK) {
        check_entries(&st);
        check_write_back(&st);
    } else {
        FUZZ_CHECK(!st.entries && !st.file && st.n == 0, "a failed parse left data behind");
    }
    safetensors_free(&st);
    return 0;
}
