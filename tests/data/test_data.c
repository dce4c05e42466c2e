/* data: IDX files, the MNIST set, the batch sampler, epochs, the validation split. */
#define _GNU_SOURCE /* asprintf */
#include "data_tests.h"

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

char *data_test_dir(void)
{
    char *dir = NULL;
    ck_assert_int_ge(asprintf(&dir, "%s/d-XXXXXX", harness_tmpdir()), 0);
    harness_keep(dir);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

void data_write_gz(const char *path, const void *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

int main(void)
{
    Suite *s = suite_create("data");
    add_idx_tests(s);
    add_mnist_tests(s);
    add_sampler_tests(s);
    add_epoch_tests(s);
    add_split_tests(s);
    add_noise_tests(s);
    return harness_run(s, true);
}
