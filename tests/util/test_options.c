/* util/options.h: the settings read once from the environment and the flags. Each kind of
 * value parsed and refused with one line naming it, the flag over its variable, the defaults
 * when unset or empty, the cache folder's fallbacks, and the flags a sweep gives its runs. */
#include "util_tests.h"

#include <stdio.h>
#include <string.h>

#include "util/options.h"
#include "util/status.h"

/* options_from_env over one "NAME=value" entry. */
static int from_one(struct clnet_options *o, const char *entry)
{
    char *env[] = {(char *)entry, NULL};
    return options_from_env(o, env);
}

START_TEST(defaults)
{
    struct clnet_options o;
    char *env[] = {"PATH=/bin", "CLNET_SPIN_US=", "CLNET_GEMM=", NULL};
    ck_assert_int_eq(options_from_env(&o, env), CLNET_OK);
    ck_assert_ptr_null(o.device);
    ck_assert_ptr_null(o.cl_dir);
    ck_assert(!o.no_cache && !o.no_mpi && !o.mpi_launched);
    ck_assert(o.dense_stack && o.fused_sgd);
    ck_assert_int_eq(o.gemm, OPTIONS_GEMM_AUTO);
    ck_assert_int_eq(o.progress, OPTIONS_PROGRESS_AUTO);
    ck_assert_int_eq(o.compile_helper, OPTIONS_UNSET);
    ck_assert_int_eq(o.spin_us, OPTIONS_UNSET);
    ck_assert_int_eq(o.workers, OPTIONS_UNSET);
    ck_assert_int_eq(o.columns, 0);
    const char *argv[8];
    ck_assert_int_eq(options_child_flags(&o, argv, 8), 0);
}
END_TEST

START_TEST(values_of_each_kind)
{
    struct clnet_options o;
    char *env[] = {"CLNET_DEVICE=gpu", "CLNET_GEMM=clblast", "CLNET_PROGRESS=plain",
                   "CLNET_COMPILE_HELPER=0", "CLNET_SPIN_US=250", "CLNET_DENSE_STACK=0",
                   "CLNET_FUSED_SGD=0", "CLNET_NO_MPI=1", "CLNET_NO_CACHE=1",
                   "POCL_MAX_PTHREAD_COUNT=3", "COLUMNS=120", "PMI_RANK=0", NULL};
    ck_assert_int_eq(options_from_env(&o, env), CLNET_OK);
    ck_assert_str_eq(o.device, "gpu");
    ck_assert_int_eq(o.gemm, OPTIONS_GEMM_CLBLAST);
    ck_assert_int_eq(o.progress, OPTIONS_PROGRESS_PLAIN);
    ck_assert_int_eq(o.compile_helper, 0);
    ck_assert_int_eq(o.spin_us, 250);
    ck_assert(!o.dense_stack && !o.fused_sgd);
    ck_assert(o.no_mpi && o.no_cache && o.mpi_launched);
    ck_assert_int_eq(o.workers, 3);
    ck_assert_int_eq(o.columns, 120);
    /* COLUMNS is the shell's: an implausible width is no width, not an error */
    ck_assert_int_eq(from_one(&o, "COLUMNS=5"), CLNET_OK);
    ck_assert_int_eq(o.columns, 0);
    ck_assert_int_eq(from_one(&o, "CLNET_SPIN_US=100000"), CLNET_OK);
    ck_assert_int_eq(o.spin_us, 100000);
}
END_TEST

/* A bad value in the environment: one line naming the variable and what it takes. */
START_TEST(bad_environment)
{
    static const char *const cases[][2] = {
        {"CLNET_SPIN_US=x", "environment: CLNET_SPIN_US=x: expected a whole number from 0 to 100000"},
        {"CLNET_SPIN_US=-1", "CLNET_SPIN_US=-1: expected a whole number"},
        {"CLNET_SPIN_US=100001", "CLNET_SPIN_US=100001: expected a whole number"},
        {"CLNET_SPIN_US=50us", "CLNET_SPIN_US=50us: expected a whole number"},
        {"CLNET_SPIN_US= 5", "CLNET_SPIN_US= 5: expected a whole number"},
        {"CLNET_SPIN_US=99999999999999999999", "expected a whole number from 0 to 100000"},
        {"CLNET_GEMM=fast", "environment: CLNET_GEMM=fast: expected own|clblast"},
        {"CLNET_FUSED_SGD=2", "CLNET_FUSED_SGD=2: expected 0|1"},
        {"POCL_MAX_PTHREAD_COUNT=0", "POCL_MAX_PTHREAD_COUNT=0: expected a whole number from 1"},
        {"CLNET_CL_DIR=a\nb", "environment: CLNET_CL_DIR holds a line break"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct clnet_options o;
        clnet_error_clear();
        ck_assert_int_eq(from_one(&o, cases[i][0]), CLNET_ERR_USAGE);
        ck_assert_msg(strstr(clnet_error_message(), cases[i][1]), "%s: %s", cases[i][0],
                      clnet_error_message());
    }
    clnet_error_clear();
}
END_TEST

/* A flag wins over its variable, and is checked the same way. */
START_TEST(flags_over_environment)
{
    struct clnet_options o;
    ck_assert_int_eq(from_one(&o, "CLNET_GEMM=clblast"), CLNET_OK);
    bool found = false;
    ck_assert_int_eq(options_set_flag(&o, "gemm", "own", &found), CLNET_OK);
    ck_assert(found);
    ck_assert_int_eq(o.gemm, OPTIONS_GEMM_OWN);
    ck_assert_int_eq(options_set_flag(&o, "no-mpi", NULL, &found), CLNET_OK);
    ck_assert(found && o.no_mpi);
    ck_assert_int_eq(options_set_flag(&o, "out", "x", &found), CLNET_OK);
    ck_assert(!found); /* not a setting: cli.c's */
    clnet_error_clear();
    ck_assert_int_eq(options_set_flag(&o, "spin-us", "lots", &found), CLNET_ERR_USAGE);
    ck_assert_str_eq(clnet_error_message(), "--spin-us lots: expected a whole number from 0 to "
                                            "100000");
    clnet_error_clear();
}
END_TEST

START_TEST(cache_folder)
{
    struct clnet_options o;
    char dir[64];
    char *xdg[] = {"HOME=/h", "XDG_CACHE_HOME=/x", NULL};
    ck_assert_int_eq(options_from_env(&o, xdg), CLNET_OK);
    ck_assert(options_cache_dir(&o, dir, sizeof dir));
    ck_assert_str_eq(dir, "/x/clnet");
    char *home[] = {"HOME=/h", NULL};
    ck_assert_int_eq(options_from_env(&o, home), CLNET_OK);
    ck_assert(options_cache_dir(&o, dir, sizeof dir));
    ck_assert_str_eq(dir, "/h/.cache/clnet");
    char *set[] = {"HOME=/h", "CLNET_CACHE_DIR=/c", NULL};
    ck_assert_int_eq(options_from_env(&o, set), CLNET_OK);
    ck_assert(options_cache_dir(&o, dir, sizeof dir));
    ck_assert_str_eq(dir, "/c");
    bool found;
    ck_assert_int_eq(options_set_flag(&o, "no-cache", NULL, &found), CLNET_OK);
    ck_assert(!options_cache_dir(&o, dir, sizeof dir));
    ck_assert_str_eq(dir, "");
    ck_assert_int_eq(options_from_env(&o, (char *[]){NULL}), CLNET_OK);
    ck_assert(!options_cache_dir(&o, dir, sizeof dir));
}
END_TEST

/* What a sweep hands its runs: every setting given, as flags, but not the device or sources
 * (passed on their own) nor a switch at its default. */
START_TEST(child_flags)
{
    struct clnet_options o;
    char *env[] = {"CLNET_DEVICE=gpu", "CLNET_GEMM=own", "CLNET_NO_CACHE=0",
                   "CLNET_SPIN_US=0", "HOME=/h", NULL};
    ck_assert_int_eq(options_from_env(&o, env), CLNET_OK);
    bool found;
    ck_assert_int_eq(options_set_flag(&o, "no-mpi", NULL, &found), CLNET_OK);
    const char *argv[16];
    int n = options_child_flags(&o, argv, 16);
    char line[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", argv[i]);
    ck_assert_str_eq(line, "--gemm own --spin-us 0 --no-mpi");
    ck_assert_int_eq(options_child_flags(&o, argv, 3), 3); /* never past max */
}
END_TEST

void add_options_tests(Suite *s)
{
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, values_of_each_kind);
    tcase_add_test(tc, bad_environment);
    tcase_add_test(tc, flags_over_environment);
    tcase_add_test(tc, cache_folder);
    tcase_add_test(tc, child_flags);
    suite_add_tcase(s, tc);
}
