/* util: rng, fs, status, parent, options, num and csv. */
#include "harness.h"
#include "util_tests.h"

int main(void)
{
    Suite *s = suite_create("util");
    add_rng_tests(s);
    add_fs_tests(s);
    add_status_tests(s);
    add_parent_tests(s);
    add_options_tests(s);
    add_num_tests(s);
    add_csv_tests(s);
    return harness_run(s, true);
}
