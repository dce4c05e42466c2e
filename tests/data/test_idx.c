/* IDX reading: round trips through idx_write, gzip, and every malformed file we can think
 * of, each with its message (which always starts with the file's path). */
#define _GNU_SOURCE /* asprintf */
#include "data_tests.h"

#include "data/idx.h"
#include "harness.h"
#include "util/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An IDX header for an unsigned-byte array of the given dims, followed by data_len bytes
 * of pattern (i * 7 + 3), in buf; returns the total length. */
static size_t make_idx(unsigned char *buf, int type, int rank, const unsigned *dims,
                       size_t data_len)
{
    size_t n = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = (unsigned char)type;
    buf[n++] = (unsigned char)rank;
    for (int i = 0; i < rank; i++) {
        buf[n++] = (unsigned char)(dims[i] >> 24);
        buf[n++] = (unsigned char)(dims[i] >> 16);
        buf[n++] = (unsigned char)(dims[i] >> 8);
        buf[n++] = (unsigned char)dims[i];
    }
    for (size_t i = 0; i < data_len; i++)
        buf[n++] = (unsigned char)(i * 7 + 3);
    return n;
}

/* Reads path expecting failure; checks the code, that the message starts with the path,
 * and that it contains want. */
static void expect_error(const char *path, const char *want)
{
    clnet_error_clear();
    struct idx_array a;
    int rc = idx_read(&a, path);
    const char *msg = clnet_error_message();
    ck_assert_msg(rc == CLNET_ERR_DATA, "%s: rc %d (%s), message '%s'", path, rc,
                  clnet_status_name(rc), msg);
    ck_assert_ptr_null(a.data);
    ck_assert_int_eq(a.rank, 0);
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':',
                  "message '%s' does not start with '%s:'", msg, path);
    ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
    idx_free(&a); /* safe on an empty array */
}

START_TEST(round_trip)
{
    uint8_t data[2 * 3 * 4];
    for (int i = 0; i < 24; i++)
        data[i] = (uint8_t)(i * 11);
    int dims[3] = {2, 3, 4};
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/rt-idx3", harness_tmpdir()), 0);
    harness_keep(path);
    ck_assert_int_eq(idx_write(path, data, 3, dims), 0);
    struct idx_array a;
    ck_assert_int_eq(idx_read(&a, path), 0);
    ck_assert_int_eq(a.rank, 3);
    ck_assert_int_eq(a.dims[0], 2);
    ck_assert_int_eq(a.dims[1], 3);
    ck_assert_int_eq(a.dims[2], 4);
    ck_assert_int_eq(a.dims[3], 0);
    ck_assert_uint_eq(a.size, 24);
    ck_assert_mem_eq(a.data, data, 24);
    idx_free(&a);
    ck_assert_ptr_null(a.data);

    /* Rank 1 and rank 4, the limits. */
    int d1 = 24, d4[4] = {1, 2, 3, 4};
    ck_assert_int_eq(idx_write(path, data, 1, &d1), 0);
    ck_assert_int_eq(idx_read(&a, path), 0);
    ck_assert_int_eq(a.rank, 1);
    ck_assert_int_eq(a.dims[0], 24);
    idx_free(&a);
    ck_assert_int_eq(idx_write(path, data, 4, d4), 0);
    ck_assert_int_eq(idx_read(&a, path), 0);
    ck_assert_int_eq(a.rank, 4);
    ck_assert_int_eq(a.dims[3], 4);
    ck_assert_mem_eq(a.data, data, 24);
    idx_free(&a);
}
END_TEST

START_TEST(handmade_bytes)
{
    /* Dims above 255 exercise the big-endian decoding. */
    static unsigned char buf[16 + 300 * 2];
    unsigned dims[2] = {300, 2};
    size_t n = make_idx(buf, 0x08, 2, dims, 600);
    char *path = harness_write_bytes(NULL, "hand-idx2", buf, n);
    struct idx_array a;
    ck_assert_int_eq(idx_read(&a, path), 0);
    ck_assert_int_eq(a.dims[0], 300);
    ck_assert_int_eq(a.dims[1], 2);
    ck_assert_uint_eq(a.size, 600);
    ck_assert_mem_eq(a.data, buf + 12, 600);
    idx_free(&a);
}
END_TEST

START_TEST(gzip)
{
    static unsigned char buf[16 + 5000];
    unsigned dims[3] = {5, 10, 100};
    size_t n = make_idx(buf, 0x08, 3, dims, 5000);
    /* Named without .gz on purpose: the magic decides. */
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/gz-idx3", harness_tmpdir()), 0);
    harness_keep(path);
    data_write_gz(path, buf, n);
    struct idx_array a;
    ck_assert_int_eq(idx_read(&a, path), 0);
    ck_assert_int_eq(a.rank, 3);
    ck_assert_int_eq(a.dims[2], 100);
    ck_assert_mem_eq(a.data, buf + 16, 5000);
    idx_free(&a);

    /* gzip with the data truncated / with trailing bytes inside the compressed stream. */
    char *p2 = NULL;
    ck_assert_int_ge(asprintf(&p2, "%s/gz-short.gz", harness_tmpdir()), 0);
    harness_keep(p2);
    data_write_gz(p2, buf, n - 10);
    expect_error(p2, "truncated: expected 5000 bytes of data, found 4990");
    static unsigned char longer[16 + 5003];
    memcpy(longer, buf, n);
    data_write_gz(p2, longer, n + 3);
    expect_error(p2, "3 trailing bytes");
}
END_TEST

START_TEST(truncated)
{
    static unsigned char buf[16 + 100];
    unsigned dims[2] = {10, 10};
    size_t n = make_idx(buf, 0x08, 2, dims, 100);
    char *path = harness_write_bytes(NULL, "trunc-idx2", buf, n - 1);
    expect_error(path, "truncated: expected 100 bytes of data, found 99");
    path = harness_write_bytes(NULL, "trunc-header", buf, 9);
    expect_error(path, "truncated");
    path = harness_write_bytes(NULL, "trunc-magic", buf, 2);
    expect_error(path, "truncated");
    path = harness_write_bytes(NULL, "empty", buf, 0);
    expect_error(path, "truncated");
}
END_TEST

START_TEST(trailing)
{
    static unsigned char buf[16 + 105];
    unsigned dims[2] = {10, 10};
    make_idx(buf, 0x08, 2, dims, 105);
    char *path = harness_write_bytes(NULL, "trailing-idx2", buf, 12 + 105);
    expect_error(path, "5 trailing bytes");
}
END_TEST

START_TEST(wrong_magic)
{
    static unsigned char buf[16 + 4];
    unsigned dims[1] = {4};
    size_t n = make_idx(buf, 0x08, 1, dims, 4);
    buf[0] = 0x12;
    char *path = harness_write_bytes(NULL, "magic-idx1", buf, n);
    expect_error(path, "not an IDX file");
    char *text = harness_write(NULL, "text.txt", "hello, world\n");
    expect_error(text, "not an IDX file: starts with 68 65");
}
END_TEST

START_TEST(wrong_type)
{
    static unsigned char buf[16 + 16];
    unsigned dims[1] = {4};
    size_t n = make_idx(buf, 0x0d, 1, dims, 16);
    char *path = harness_write_bytes(NULL, "float-idx1", buf, n);
    expect_error(path, "data type 0x0d (float32) is not supported; only 0x08");
    n = make_idx(buf, 0x42, 1, dims, 4);
    path = harness_write_bytes(NULL, "odd-idx1", buf, n);
    expect_error(path, "data type 0x42 (unknown)");
}
END_TEST

START_TEST(bad_rank)
{
    static unsigned char buf[64];
    unsigned dims[5] = {1, 1, 1, 1, 1};
    size_t n = make_idx(buf, 0x08, 0, dims, 1);
    char *path = harness_write_bytes(NULL, "rank0", buf, n);
    expect_error(path, "rank 0 is outside 1..4");
    n = make_idx(buf, 0x08, 5, dims, 1);
    path = harness_write_bytes(NULL, "rank5", buf, n);
    expect_error(path, "rank 5 is outside 1..4");
}
END_TEST

START_TEST(zero_dim)
{
    static unsigned char buf[64];
    unsigned dims[3] = {3, 0, 2};
    size_t n = make_idx(buf, 0x08, 3, dims, 0);
    char *path = harness_write_bytes(NULL, "zero-idx3", buf, n);
    expect_error(path, "dimension 1 is 0");
}
END_TEST

START_TEST(too_large)
{
    /* 65536^2 = 4 GiB, and a product that would overflow 32 bits (and 64 with 4 dims). */
    static unsigned char buf[64];
    unsigned dims[4] = {65536, 65536, 1, 1};
    size_t n = make_idx(buf, 0x08, 2, dims, 3);
    char *path = harness_write_bytes(NULL, "huge-idx2", buf, n);
    expect_error(path, "more than 2147483648 bytes");
    unsigned dmax[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    n = make_idx(buf, 0x08, 4, dmax, 3);
    path = harness_write_bytes(NULL, "max-idx4", buf, n);
    expect_error(path, "more than 2147483648 bytes");
}
END_TEST

START_TEST(missing)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/no-such-file", harness_tmpdir()), 0);
    harness_keep(path);
    expect_error(path, "cannot open: No such file or directory");
    clnet_error_clear();
    struct idx_array a;
    ck_assert_int_eq(idx_read(&a, path), CLNET_ERR_DATA);
    char *want = NULL;
    ck_assert_int_ge(asprintf(&want, "%s: cannot open: No such file or directory", path), 0);
    harness_keep(want);
    ck_assert_str_eq(clnet_error_message(), want);
}
END_TEST

START_TEST(corrupt_gzip)
{
    static unsigned char buf[16 + 5000];
    unsigned dims[1] = {5000};
    size_t n = make_idx(buf, 0x08, 1, dims, 5000);
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/bad.gz", harness_tmpdir()), 0);
    harness_keep(path);
    data_write_gz(path, buf, n);

    /* Garble the deflate stream in the middle. */
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_gt(size, 40);
    static unsigned char z[1 << 16];
    ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
    ck_assert_uint_eq(fread(z, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    for (long i = 12; i < size - 8; i++)
        z[i] = (unsigned char)(z[i] ^ 0x5a);
    char *garbled = harness_write_bytes(NULL, "garbled.gz", z, (size_t)size);
    expect_error(garbled, "gzip");

    /* Cut off half way (no gzip trailer). */
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(z, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    char *cut = harness_write_bytes(NULL, "cut.gz", z, (size_t)size / 2);
    expect_error(cut, "");

    /* Bad CRC in the trailer. */
    z[size - 8] ^= 0xff;
    char *crc = harness_write_bytes(NULL, "crc.gz", z, (size_t)size);
    expect_error(crc, "gzip");

    /* Only the magic, then garbage. */
    unsigned char junk[] = {0x1f, 0x8b, 0x99, 0x00, 0x01, 0x02, 0x03};
    char *j = harness_write_bytes(NULL, "junk.gz", junk, sizeof junk);
    expect_error(j, "");
}
END_TEST

void add_idx_tests(Suite *s)
{
    TCase *tc = tcase_create("idx");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, handmade_bytes);
    tcase_add_test(tc, gzip);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, trailing);
    tcase_add_test(tc, wrong_magic);
    tcase_add_test(tc, wrong_type);
    tcase_add_test(tc, bad_rank);
    tcase_add_test(tc, zero_dim);
    tcase_add_test(tc, too_large);
    tcase_add_test(tc, missing);
    tcase_add_test(tc, corrupt_gzip);
    suite_add_tcase(s, tc);
}
