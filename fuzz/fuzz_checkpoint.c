/* libFuzzer target: the checkpoint reader with its checksum check (model/checkpoint.h). Two
 * checks a run: the input read as a checkpoint file must be accepted or refused as bad data
 * (one line), and an accepted one of the current format must have matched its checksum; then
 * a checkpoint written from the input's bytes must load back the same, and with one bit of it
 * flipped (which bit: from the input) must be refused. A fuzzer cannot forge a CRC by chance,
 * so the second half is where the checksum's coverage is tested: every bit, header or data. */
#include "fuzz_util.h"
#include "model/checkpoint.h"
#include "util/fs.h"
#include "util/status.h"

#include <stdlib.h>
#include <string.h>

static void check_as_file(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.bin");
    fuzz_write(path, data, size);
    struct safetensors st;
    long it = -1;
    uint64_t hash;
    int rc = checkpoint_load(&st, &it, &hash, path);
    fuzz_check_status(rc, CLNET_ERR_DATA, "checkpoint_load");
    if (rc != CLNET_OK) {
        FUZZ_CHECK(!st.entries && !st.file, "a refused checkpoint left data behind");
        return;
    }
    const char *format = safetensors_meta(&st, "format");
    FUZZ_CHECK(it >= 0 && format, "accepted without iteration or format");
    FUZZ_CHECK(st.checked || !strcmp(format, CHECKPOINT_FORMAT_1),
               "a %s checkpoint accepted without its checksum", format);
    FUZZ_CHECK(safetensors_find(&st, "params"), "accepted without params");
    safetensors_free(&st);
}

/* Writes a checkpoint of the input's bytes (params F32, the rest as a U8 blob), reads it back,
 * then flips one bit of the file and expects a refusal. */
static void check_bit_flip(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    uint32_t pick;
    memcpy(&pick, data, 4);
    size_t floats = (size - 4) / 4 / 2;
    float *params = malloc(floats * 4 + 4);
    FUZZ_CHECK(params, "out of memory");
    memcpy(params, data + 4, floats * 4);
    struct checkpoint_blob b[2] = {
        {"params", "F32", params, floats * 4, (int64_t)floats},
        {"sampler", "U8", data + 4 + floats * 4, size - 4 - floats * 4,
         (int64_t)(size - 4 - floats * 4)},
    };
    const char *path = fuzz_path("written.bin");
    int rc = checkpoint_save(path, (long)(pick % 1000), pick, b, 2);
    FUZZ_CHECK(rc == CLNET_OK, "checkpoint_save failed: %s", clnet_error_message());
    struct safetensors st;
    long it;
    uint64_t hash;
    rc = checkpoint_load(&st, &it, &hash, path);
    FUZZ_CHECK(rc == CLNET_OK && st.checked && it == (long)(pick % 1000) && hash == pick,
               "a written checkpoint does not load back: %s", clnet_error_message());
    const struct st_entry *e = safetensors_find(&st, "params");
    FUZZ_CHECK(e && e->bytes == floats * 4 && !memcmp(e->data, params, e->bytes),
               "params differ after writing");
    safetensors_free(&st);
    free(params);

    uint8_t *file;
    size_t len;
    FUZZ_CHECK(fs_read_file((void **)&file, &len, path) == CLNET_OK, "cannot read back");
    size_t bit = (size_t)(pick / 1000) % (len * 8);
    file[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    fuzz_write(path, file, len);
    free(file);
    rc = checkpoint_load(&st, &it, &hash, path);
    FUZZ_CHECK(rc == CLNET_ERR_DATA, "bit %zu of %zu flipped and the checkpoint accepted", bit,
               len * 8);
    fuzz_check_status(rc, CLNET_ERR_DATA, "checkpoint_load of a flipped file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clnet_error_clear();
    check_as_file(data, size);
    check_bit_flip(data, size);
    return 0;
}
