/* File helpers: whole-file reads, atomic writes (no temp file left behind, old content
 * replaced), mkdir -p, and their error messages. */
#define _GNU_SOURCE /* asprintf */
#include "util_tests.h"

#include "harness.h"
#include "util/fs.h"
#include "util/status.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

START_TEST(read_whole_file)
{
    char *path = harness_write(NULL, "text.txt", "hello\nworld");
    void *data;
    size_t len;
    ck_assert_int_eq(fs_read_file(&data, &len, path), 0);
    ck_assert_uint_eq(len, 11);
    ck_assert_str_eq(data, "hello\nworld");
    free(data);

    char *empty = harness_write(NULL, "empty.txt", "");
    ck_assert_int_eq(fs_read_file(&data, &len, empty), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    free(data);
}
END_TEST

START_TEST(read_missing)
{
    clnet_error_clear();
    void *data = (void *)1;
    size_t len = 1;
    ck_assert_int_eq(fs_read_file(&data, &len, "/nonexistent/x.txt"), CLNET_ERR_IO);
    ck_assert_ptr_null(data);
    ck_assert_str_eq(clnet_error_message(),
                     "/nonexistent/x.txt: cannot open: No such file or directory");
}
END_TEST

START_TEST(write_atomic)
{
    char *dir = NULL;
    ck_assert_int_ge(asprintf(&dir, "%s/atomic", harness_tmpdir()), 0);
    harness_keep(dir);
    ck_assert_int_eq(fs_mkdir_p(dir), 0);
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/out.bin", dir), 0);
    harness_keep(path);
    ck_assert_int_eq(fs_write_atomic(path, "first version", 13), 0);
    ck_assert_int_eq(fs_write_atomic(path, "second", 6), 0);
    void *data;
    size_t len;
    ck_assert_int_eq(fs_read_file(&data, &len, path), 0);
    ck_assert_uint_eq(len, 6);
    ck_assert_str_eq(data, "second");
    free(data);
    ck_assert_int_eq(count_entries(dir), 1); /* no temp file left */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);

    /* Streaming, then aborting: the old content stays, no temp file. */
    struct fs_atomic a;
    ck_assert_int_eq(fs_atomic_open(&a, path), 0);
    fputs("partial", a.f);
    fs_atomic_abort(&a);
    ck_assert_int_eq(fs_read_file(&data, &len, path), 0);
    ck_assert_str_eq(data, "second");
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);

    ck_assert_int_eq(fs_atomic_open(&a, path), 0);
    fputs("streamed", a.f);
    ck_assert_int_eq(fs_atomic_commit(&a), 0);
    ck_assert_int_eq(fs_read_file(&data, &len, path), 0);
    ck_assert_str_eq(data, "streamed");
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(write_atomic_bad_folder)
{
    clnet_error_clear();
    ck_assert_int_eq(fs_write_atomic("/nonexistent/dir/f.bin", "x", 1), CLNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "/nonexistent/dir/f.bin.tmp."));
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "No such file or directory"));
}
END_TEST

START_TEST(mkdir_p)
{
    char *dir = NULL;
    ck_assert_int_ge(asprintf(&dir, "%s/a/b//c/", harness_tmpdir()), 0);
    harness_keep(dir);
    ck_assert_int_eq(fs_mkdir_p(dir), 0);
    ck_assert(fs_exists(dir));
    ck_assert_int_eq(fs_mkdir_p(dir), 0); /* again: fine */

    char *file = harness_write(NULL, "plain", "x");
    char *under = NULL;
    ck_assert_int_ge(asprintf(&under, "%s/sub", file), 0);
    harness_keep(under);
    clnet_error_clear();
    ck_assert_int_eq(fs_mkdir_p(under), CLNET_ERR_IO);
    ck_assert_int_eq(fs_mkdir_p(file), CLNET_ERR_IO);
    ck_assert_int_eq(fs_mkdir_p(""), CLNET_ERR_IO);
    ck_assert(!fs_exists("/nonexistent/x"));
}
END_TEST

void add_fs_tests(Suite *s)
{
    TCase *tc = tcase_create("fs");
    tcase_add_test(tc, read_whole_file);
    tcase_add_test(tc, read_missing);
    tcase_add_test(tc, write_atomic);
    tcase_add_test(tc, write_atomic_bad_folder);
    tcase_add_test(tc, mkdir_p);
    suite_add_tcase(s, tc);
}
