/* Checkpoints: save and load round trip (params, optimizer state, rng, sampler bytes and the
 * metadata), a resumed rng continuing identically, corrupted and truncated files rejected
 * with a clear message, and valid safetensors files that are not checkpoints rejected. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/checkpoint.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/rng.h"
#include "util/status.h"

#define NP 1000

static float params[NP], m[NP], v[NP];
static uint8_t sampler_bytes[37];

static char *tmp_path(const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", harness_tmpdir(), name), 0);
    return p;
}

/* Saves a checkpoint of an Adam run at iteration 1234 with rng r; returns its path. */
static char *save(const char *name, struct rng *r, uint64_t hash)
{
    for (int i = 0; i < NP; i++) {
        params[i] = (float)i * 0.5f - 3.0f;
        m[i] = (float)i * 1e-3f;
        v[i] = (float)i * 1e-6f;
    }
    for (int i = 0; i < (int)sizeof sampler_bytes; i++)
        sampler_bytes[i] = (uint8_t)(i * 7);
    const struct checkpoint_blob blobs[] = {
        {"params", "F32", params, sizeof params, NP},
        {"optim.m", "F32", m, sizeof m, NP},
        {"optim.v", "F32", v, sizeof v, NP},
        {"rng", "U8", r, sizeof *r, sizeof *r},
        {"sampler", "U8", sampler_bytes, sizeof sampler_bytes, sizeof sampler_bytes},
    };
    char *path = tmp_path(name);
    ck_assert_int_eq(checkpoint_save(path, 1234, hash, blobs, 5), 0);
    return path;
}

START_TEST(test_round_trip)
{
    struct rng r;
    rng_seed(&r, 5);
    (void)rng_normal(&r, 0, 1); /* leaves a spare in the state */
    uint64_t hash = hash_bytes("config text", 11, HASH_SEED);
    char *path = save("checkpoint.bin", &r, hash);

    struct safetensors st;
    long it = -1;
    uint64_t h = 0;
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), 0);
    ck_assert_int_eq(it, 1234);
    ck_assert_uint_eq(h, hash);
    ck_assert_str_eq(safetensors_meta(&st, "format"), CHECKPOINT_FORMAT);
    ck_assert_str_eq(safetensors_meta(&st, "clnet_version"), CLNET_VERSION);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
    ck_assert_str_eq(safetensors_meta(&st, "config_hash"), hex);

    const struct st_entry *e;
    ck_assert_int_eq(checkpoint_find(&e, &st, "params", "F32", NP), 0);
    ck_assert_mem_eq(e->data, params, sizeof params);
    ck_assert_int_eq(checkpoint_find(&e, &st, "optim.v", "F32", NP), 0);
    ck_assert_mem_eq(e->data, v, sizeof v);
    ck_assert_int_eq(checkpoint_find(&e, &st, "sampler", "U8", sizeof sampler_bytes), 0);
    ck_assert_mem_eq(e->data, sampler_bytes, sizeof sampler_bytes);

    /* the restored rng continues exactly where the saved one was */
    ck_assert_int_eq(checkpoint_find(&e, &st, "rng", "U8", sizeof(struct rng)), 0);
    struct rng back;
    memcpy(&back, e->data, sizeof back);
    for (int i = 0; i < 5; i++)
        ck_assert(rng_normal(&back, 0, 1) == rng_normal(&r, 0, 1));

    /* a model or optimizer that does not match */
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_find(&e, &st, "params", "F32", NP + 1), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "another model"));
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_find(&e, &st, "optim.velocity", "F32", NP), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "no tensor 'optim.velocity'"));
    ck_assert_ptr_null(e);
    safetensors_free(&st);
    free(path);
}
END_TEST

START_TEST(test_extra_metadata_and_overwrite)
{
    char *path = tmp_path("extra.bin");
    const struct checkpoint_blob b = {"params", "F32", params, 8, 2};
    const char *extra[] = {"status", "interrupted", NULL};
    ck_assert_int_eq(checkpoint_save_meta(path, 0, 1, &b, 1, extra), 0);
    ck_assert_int_eq(checkpoint_save_meta(path, 7, UINT64_MAX, &b, 1, extra), 0); /* replaces */
    struct safetensors st;
    long it;
    uint64_t h;
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), 0);
    ck_assert_int_eq(it, 7);
    ck_assert_uint_eq(h, UINT64_MAX);
    ck_assert_str_eq(safetensors_meta(&st, "status"), "interrupted");
    safetensors_free(&st);
    const char *clash[] = {"format", "x", NULL};
    ck_assert_int_eq(checkpoint_save_meta(path, 0, 1, &b, 1, clash), CLNET_ERR_INTERNAL);
    ck_assert_int_eq(checkpoint_save(path, -1, 1, &b, 1), CLNET_ERR_INTERNAL);
    free(path);
}
END_TEST

START_TEST(test_truncated_and_corrupted)
{
    struct rng r;
    rng_seed(&r, 1);
    char *path = save("c.bin", &r, 42);
    void *raw;
    size_t len;
    ck_assert_int_eq(fs_read_file(&raw, &len, path), 0);
    struct safetensors st;
    long it;
    uint64_t h;

    char *cut = harness_write_bytes(NULL, "cut.bin", raw, len / 2);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, cut), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "cut.bin: "));
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "truncated"));
    ck_assert_ptr_null(st.entries);

    char *tiny = harness_write_bytes(NULL, "tiny.bin", raw, 3);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, tiny), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "too short"));

    /* a byte of the header changed */
    unsigned char *b = raw;
    char *hdr = memmem(b + 8, len - 8, "\"data_offsets\"", 14);
    ck_assert_ptr_nonnull(hdr);
    hdr[1] = 'D';
    char *bad = harness_write_bytes(NULL, "bad.bin", raw, len);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, bad), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "unknown key 'Data_offsets'"));

    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, "/nonexistent/checkpoint.bin"), CLNET_ERR_IO);
    free(raw);
    free(path);
}
END_TEST

START_TEST(test_safetensors_but_not_checkpoint)
{
    struct safetensors st;
    long it;
    uint64_t h;
    float w[2] = {1, 2};
    struct st_tensor t = {
        .name = "params", .dtype = "F32", .rank = 1, .shape = {2}, .data = w, .bytes = sizeof w};
    char *path = tmp_path("model.safetensors");

    ck_assert_int_eq(safetensors_write(path, &t, 1, NULL), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "not a clnet checkpoint"));
    ck_assert_ptr_null(st.entries);

    const char *other[] = {"format", "pt", NULL};
    ck_assert_int_eq(safetensors_write(path, &t, 1, other), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "format 'pt'"));

    const char *no_iter[] = {"format", CHECKPOINT_FORMAT, "config_hash", "0123456789abcdef", NULL};
    ck_assert_int_eq(safetensors_write_checked(path, &t, 1, no_iter), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "'iteration'"));

    const char *bad_hash[] = {"format",      CHECKPOINT_FORMAT,  "iteration", "5",
                              "config_hash", "0123456789ABCDEF", NULL};
    ck_assert_int_eq(safetensors_write_checked(path, &t, 1, bad_hash), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "'config_hash'"));

    const char *neg[] = {"format",      CHECKPOINT_FORMAT,  "iteration", "-5",
                         "config_hash", "0123456789abcdef", NULL};
    ck_assert_int_eq(safetensors_write_checked(path, &t, 1, neg), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);

    const char *good[] = {"format",      CHECKPOINT_FORMAT,  "iteration", "5",
                          "config_hash", "0123456789abcdef", NULL};
    t.name = "weights";
    ck_assert_int_eq(safetensors_write_checked(path, &t, 1, good), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "'params'"));

    /* The current format must carry its checksum; the one before it loads unchecked. */
    t.name = "params";
    ck_assert_int_eq(safetensors_write(path, &t, 1, good), 0);
    clnet_error_clear();
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), CLNET_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "without its checksum"));
    ck_assert_int_eq(safetensors_write_checked(path, &t, 1, good), 0);
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), 0);
    ck_assert_int_eq(it, 5);
    ck_assert_uint_eq(h, UINT64_C(0x0123456789abcdef));
    ck_assert(st.checked);
    safetensors_free(&st);
    good[1] = CHECKPOINT_FORMAT_1;
    ck_assert_int_eq(safetensors_write(path, &t, 1, good), 0);
    ck_assert_int_eq(checkpoint_load(&st, &it, &h, path), 0);
    ck_assert(!st.checked);
    safetensors_free(&st);
    free(path);
}

/* Any one flipped bit of a checkpoint is refused, in the header or in the data. */
START_TEST(test_every_bit_flip_refused)
{
    float w[3] = {1, 2, 3};
    struct checkpoint_blob b = {"params", "F32", w, sizeof w, 3};
    char *path = tmp_path("flip.bin");
    ck_assert_int_eq(checkpoint_save(path, 12, 99, &b, 1), 0);
    void *raw;
    size_t len;
    ck_assert_int_eq(fs_read_file(&raw, &len, path), 0);
    unsigned char *orig = raw, *m = malloc(len);
    struct safetensors st;
    long it;
    uint64_t h;
    char *p = tmp_path("flipped.bin");
    for (size_t i = 0; i < len * 8; i++) {
        memcpy(m, orig, len);
        m[i / 8] ^= (unsigned char)(1u << (i % 8));
        FILE *f = fopen(p, "wb"); /* not fs_write_atomic: 8 fsyncs a byte are slow */
        ck_assert(f && fwrite(m, 1, len, f) == len && fclose(f) == 0);
        clnet_error_clear();
        ck_assert_msg(checkpoint_load(&st, &it, &h, p) == CLNET_ERR_DATA, "bit %zu accepted", i);
    }
    free(p);
    free(m);
    free(raw);
    free(path);
}
END_TEST
END_TEST

int main(void)
{
    Suite *s = suite_create("model_checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_extra_metadata_and_overwrite);
    tcase_add_test(tc, test_truncated_and_corrupted);
    tcase_add_test(tc, test_safetensors_but_not_checkpoint);
    tcase_add_test(tc, test_every_bit_flip_refused);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
