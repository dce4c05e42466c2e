/* The program binary cache: a first open writes one entry per program, a second loads them;
 * truncated, bit-flipped and driver-refused entries are rebuilt (and overwritten) rather than
 * trusted; CLNET_NO_CACHE and an unusable folder turn it off without failing. On PoCL it is off
 * unless asked for (runtime_options.pocl_cache): these tests ask, and check that default too. */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/cache.h"
#include "runtime/quirks.h"
#include "runtime_tests.h"
#include "util/options.h"
#include "util/status.h"

/* Calls fn(path) on every entry of dir; returns how many. */
static int for_each_entry(const char *dir, void (*fn)(const char *path))
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = NULL;
        ck_assert_int_gt(asprintf(&path, "%s/%s", dir, e->d_name), 0);
        ck_assert_msg(strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp"), "stray %s", path);
        if (fn)
            fn(path);
        free(path);
        n++;
    }
    closedir(d);
    return n;
}

/* The cache in use whatever the driver (PoCL leaves it off by default). */
static const struct runtime_options with_cache = {.own_cache_always = true};

/* Opens with the cache in dir, checks what the stats say, checks the kernels work. */
static void open_expect(const char *dir, int hits, int misses, int rejected, int writes)
{
    cache_set_dir(dir);
    struct runtime *rt;
    int status = runtime_open_with(&rt, "auto", NULL, &with_cache);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    const struct runtime_stats *st = runtime_stats(rt);
    ck_assert(st->cache_enabled);
    ck_assert_str_eq(runtime_cache_dir(rt), dir);
    ck_assert_int_eq(st->cache_hits, hits);
    ck_assert_int_eq(st->cache_misses, misses);
    ck_assert_int_eq(st->cache_rejected, rejected);
    ck_assert_int_eq(st->cache_writes, writes);
    runtime_tests_check_gather(rt);
    runtime_close(rt);
}

static void truncate_entry(const char *path)
{
    ck_assert_int_eq(truncate(path, CACHE_HEADER_SIZE + 3), 0);
}

static void flip_payload_byte(const char *path)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_gt(size, CACHE_HEADER_SIZE + 1);
    long at = CACHE_HEADER_SIZE + (size - CACHE_HEADER_SIZE) / 2;
    ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ 0x5a, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A well-formed entry (right header, key and checksum) whose binary is garbage: only the
 * driver can refuse it. */
static void garbage_binary(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char header[CACHE_HEADER_SIZE];
    ck_assert_uint_eq(fread(header, 1, sizeof header, f), sizeof header);
    fclose(f);
    uint64_t key;
    memcpy(&key, header + 16, sizeof key);
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    ck_assert(cache_store(path, key, junk, sizeof junk));
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(cache_load(path, key, &data, &len), CACHE_FOUND);
    ck_assert_uint_eq(len, sizeof junk);
    free(data);
}

START_TEST(cache_write_then_hit)
{
    char *dir = runtime_tests_dir("cache-hit");
    open_expect(dir, 0, PROGRAM_COUNT, 0, PROGRAM_COUNT);
    ck_assert_int_eq(for_each_entry(dir, NULL), PROGRAM_COUNT);
    open_expect(dir, PROGRAM_COUNT, 0, 0, 0);
    ck_assert_int_eq(for_each_entry(dir, NULL), PROGRAM_COUNT);
    free(dir);
}
END_TEST

START_TEST(cache_corrupt_rebuilt)
{
    char *dir = runtime_tests_dir("cache-corrupt");
    open_expect(dir, 0, PROGRAM_COUNT, 0, PROGRAM_COUNT);
    void (*damage[])(const char *) = {truncate_entry, flip_payload_byte, garbage_binary};
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        ck_assert_int_eq(for_each_entry(dir, damage[i]), PROGRAM_COUNT);
        open_expect(dir, 0, PROGRAM_COUNT, PROGRAM_COUNT, PROGRAM_COUNT); /* rebuilt, rewritten */
        open_expect(dir, PROGRAM_COUNT, 0, 0, 0);                         /* and good again */
    }
    free(dir);
}
END_TEST

START_TEST(cache_entry_format)
{
    char *dir = runtime_tests_dir("cache-format");
    char path[4200];
    cache_path(path, sizeof path, dir, "data.cl", UINT64_C(0x0123456789abcdef));
    char *want = NULL;
    ck_assert_int_gt(asprintf(&want, "%s/data-0123456789abcdef.bin", dir), 0);
    ck_assert_str_eq(path, want);
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(cache_load(path, 1, &data, &len), CACHE_MISSING);
    ck_assert(cache_store(path, 7, "binary", 6));
    ck_assert_int_eq(cache_load(path, 7, &data, &len), CACHE_FOUND);
    ck_assert_uint_eq(len, 6);
    ck_assert_int_eq(memcmp(data, "binary", 6), 0);
    free(data);
    ck_assert_int_eq(cache_load(path, 8, &data, &len), CACHE_CORRUPT); /* another key */
    ck_assert_ptr_null(data);
    harness_write(dir, "data-0123456789abcdef.bin", "CLNETBIN but short");
    ck_assert_int_eq(cache_load(path, 7, &data, &len), CACHE_CORRUPT);
    ck_assert_uint_ne(cache_hash_string(CACHE_HASH_INIT, "ab"),
                      cache_hash(cache_hash_string(CACHE_HASH_INIT, "a"), "b", 2));
    free(want);
    free(dir);
}
END_TEST

START_TEST(cache_off)
{
    char *dir = runtime_tests_dir("cache-off");
    cache_set_dir(dir);
    /* CLNET_NO_CACHE=1 (or --no-cache) over CLNET_CACHE_DIR: main sets no folder */
    char *var = NULL;
    ck_assert_int_ne(asprintf(&var, "CLNET_CACHE_DIR=%s", dir), -1);
    char *env[] = {var, "CLNET_NO_CACHE=1", NULL};
    struct clnet_options o;
    char folder[4096];
    ck_assert_int_eq(options_from_env(&o, env), CLNET_OK);
    ck_assert(!options_cache_dir(&o, folder, sizeof folder));
    free(var);
    cache_set_dir(NULL);
    struct runtime *rt;
    ck_assert_int_eq(runtime_open_with(&rt, "auto", NULL, &with_cache), 0);
    const struct runtime_stats *st = runtime_stats(rt);
    ck_assert(!st->cache_enabled);
    ck_assert(!st->cache_driver);
    ck_assert_str_eq(runtime_cache_dir(rt), "");
    ck_assert_int_eq(st->cache_hits + st->cache_misses + st->cache_writes, 0);
    runtime_close(rt);
    ck_assert_int_eq(for_each_entry(dir, NULL), 0);

    /* A folder that cannot be made (even by root): no cache, no failure, no noise. */
    cache_set_dir("/proc/clnet-no-such-dir/cache");
    ck_assert_int_eq(runtime_open_with(&rt, "auto", NULL, &with_cache), 0);
    ck_assert(!runtime_stats(rt)->cache_enabled);
    ck_assert(!runtime_stats(rt)->cache_driver);
    runtime_tests_check_gather(rt);
    runtime_close(rt);
    cache_set_dir(dir);
    free(dir);
}
END_TEST

/* By default PoCL keeps the binaries (its own cache): clnet's is off there, writes nothing and
 * says why; on any other platform it is on. */
START_TEST(cache_default_pocl)
{
    char *dir = runtime_tests_dir("cache-pocl");
    cache_set_dir(dir);
    struct runtime *rt;
    ck_assert_int_eq(runtime_open(&rt, "auto", NULL), 0);
    const struct runtime_device_info *d = runtime_device(rt);
    /* only with the quirks unit: without it clnet's cache is asked of PoCL too */
    bool pocl = (strcmp(d->platform_name, "Portable Computing Language") == 0 ||
                 strstr(d->platform_version, "PoCL")) && quirks_built;
    const struct runtime_stats *st = runtime_stats(rt);
    ck_assert(st->cache_driver == pocl);
    ck_assert(st->cache_enabled == !pocl);
    ck_assert_int_eq(st->cache_writes, pocl ? 0 : PROGRAM_COUNT);
    runtime_tests_check_gather(rt);
    runtime_close(rt);
    ck_assert_int_eq(for_each_entry(dir, NULL), pocl ? 0 : PROGRAM_COUNT);
    free(dir);
}
END_TEST

TCase *runtime_cache_tcase(void)
{
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, cache_entry_format);
    tcase_add_test(tc, cache_write_then_hit);
    tcase_add_test(tc, cache_corrupt_rebuilt);
    tcase_add_test(tc, cache_off);
    tcase_add_test(tc, cache_default_pocl);
    return tc;
}
