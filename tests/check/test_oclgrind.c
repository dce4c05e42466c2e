/* clnet on Oclgrind, a simulator that checks every memory access of every work-item, as a
 * second OpenCL platform: `clnet selfcheck` and two steps of a dense net and of a small CNN
 * (on the synthetic set of tests/train/synth_data.c) run with OCLGRIND_CHECK_API=1 and
 * OCLGRIND_DATA_RACES=1 and must leave stderr empty (Oclgrind prints its findings there),
 * exit 0, and write the same metrics.csv as PoCL within 1e-4 relative (two devices' exp/log
 * and GEMM orders differ in the last bits, so same_file's bitwise test does not apply). A
 * copy of cl/ whose act_forward reads past its input must make Oclgrind report, so the clean
 * runs are not clean by accident. Only Oclgrind is visible to those runs: OCL_ICD_VENDORS
 * names a folder of this test's own with one oclgrind.icd, never /etc/OpenCL/vendors.
 * Exit 77 when Oclgrind is not installed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../train/synth.h"
#include "harness.h"

static char icd_env[4300];

/* Messages quote at most 2000 characters of stderr: Check cannot carry longer ones, and
 * Oclgrind's first reports are the ones that matter. */

/* Oclgrind's ICD library where Debian (and a source install) put it; NULL when absent. */
static const char *oclgrind_icd_library(void)
{
    static const char *const paths[] = {
        "/usr/lib/oclgrind/liboclgrind-rt-icd.so",
        "/usr/lib/x86_64-linux-gnu/liboclgrind-rt-icd.so",
        "/usr/lib/aarch64-linux-gnu/liboclgrind-rt-icd.so",
        "/usr/local/lib/liboclgrind-rt-icd.so",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

/* TMP/icd/oclgrind.icd naming the library: the loader then sees Oclgrind and nothing else. */
static void write_icd(const char *library)
{
    char dir[4200], line[4200];
    snprintf(dir, sizeof dir, "%s/icd", harness_tmpdir());
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        abort();
    }
    snprintf(line, sizeof line, "%s\n", library);
    harness_write(dir, "oclgrind.icd", line);
    snprintf(icd_env, sizeof icd_env, "OCL_ICD_VENDORS=%s", dir);
}

/* clnet with argv on Oclgrind alone, its API and data-race checks on. */
static struct run_result *on_oclgrind(const char *const *argv)
{
    struct run_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    const char *env[] = {synth_cache_env, icd_env, "OCLGRIND_CHECK_API=1",
                         "OCLGRIND_DATA_RACES=1", NULL};
    run_clnet(r, argv, env);
    return r;
}

START_TEST(selfcheck_is_clean)
{
    const char *argv[] = {"selfcheck", "--device", "oclgrind", NULL};
    struct run_result *r = on_oclgrind(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(strstr(r->out, "selfcheck on Oclgrind"), "not on Oclgrind:\n%s", r->out);
    ck_assert_msg(r->err[0] == '\0', "Oclgrind reported:\n%.2000s", r->err);
    printf("selfcheck on Oclgrind: %.1f s\n", r->seconds);
    free(r);
}
END_TEST

/* A copy of cl/ in TMP/name with act_forward reading n floats past the start of its input. */
static char *out_of_bounds_cl(const char *name)
{
    const char *from = "y[i] = act_value(x[i], act);", *to = "y[i] = act_value(x[i + n], act);";
    char *src = harness_source_path("cl"), *dst = NULL;
    ck_assert_int_ge(asprintf(&dst, "%s/%s", harness_tmpdir(), name), 0);
    ck_assert_int_eq(mkdir(dst, 0755), 0);
    DIR *d = opendir(src);
    ck_assert_ptr_nonnull(d);
    bool planted = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        char *path = path_in(src, e->d_name);
        size_t n = 0;
        char *text = read_all(path, &n);
        ck_assert_msg(text, "%s: cannot read", path);
        char *at = strcmp(e->d_name, "elementwise.cl") == 0 ? strstr(text, from) : NULL;
        if (at) {
            char *changed = NULL;
            ck_assert_int_ge(asprintf(&changed, "%.*s%s%s", (int)(at - text), text, to,
                                      at + strlen(from)), 0);
            harness_write(dst, e->d_name, changed);
            free(changed);
            planted = true;
        } else {
            harness_write_bytes(dst, e->d_name, text, n);
        }
        free(text);
    }
    closedir(d);
    ck_assert_msg(planted, "'%s' not in cl/elementwise.cl: update the planted fault", from);
    return harness_keep(dst);
}

START_TEST(out_of_bounds_read_is_reported)
{
    char *cl = out_of_bounds_cl("cl_oob");
    const char *argv[] = {"selfcheck", "--device", "oclgrind", "--cl-dir", cl, NULL};
    struct run_result *r = on_oclgrind(argv);
    ck_assert_msg(strstr(r->err, "Invalid read") && strstr(r->err, "Kernel: act_forward"),
                  "Oclgrind did not report act_forward's read past its buffer (exit %d):\n%.2000s",
                  r->exit_code, r->err);
    free(r);
}
END_TEST

/* Only simulators visible: auto picks none and says how to choose one. */
START_TEST(auto_passes_over_oclgrind)
{
    const char *argv[] = {"devices", NULL};
    struct run_result *r = on_oclgrind(argv);
    ck_assert_msg(r->exit_code == 2, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(strstr(r->out, "Oclgrind Simulator  (simulator: auto passes over it)"), "%s",
                  r->out);
    ck_assert_msg(strstr(r->out, "     OpenCL C        OpenCL C 1.2"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "     float           "), "%s", r->out);
    ck_assert_msg(strstr(r->err, "auto passes over simulators such as Oclgrind"), "%s", r->err);
    free(r);
}
END_TEST

/* metrics.csv's rows as numbers; the header and the row count must match exactly; nan only where
 * both have it. */
static void same_metrics(const char *a_dir, const char *b_dir, double tolerance)
{
    char *a = read_in(a_dir, "metrics.csv", NULL), *b = read_in(b_dir, "metrics.csv", NULL);
    ck_assert_msg(a && b, "no metrics.csv in %s or %s", a_dir, b_dir);
    ck_assert_msg(count_lines(a) == count_lines(b) && count_lines(a) >= 2, "rows:\n%s\n%s", a, b);
    const char *nl_a = strchr(a, '\n'), *nl_b = strchr(b, '\n');
    ck_assert_msg(nl_a - a == nl_b - b && strncmp(a, b, (size_t)(nl_a - a)) == 0, "headers:\n%s\n%s",
                  a, b);
    const char *p = nl_a + 1, *q = nl_b + 1;
    int values = 0;
    while (*p && *q) {
        char *end_p, *end_q;
        double x = strtod(p, &end_p), y = strtod(q, &end_q);
        ck_assert_msg(end_p != p && end_q != q, "not a number at '%.20s' / '%.20s'", p, q);
        double rel = fabs(x - y) / fmax(fmax(fabs(x), fabs(y)), 1e-30);
        /* both nan: row 0's mini-batch columns (no step yet) */
        ck_assert_msg(x == y || rel <= tolerance || (isnan(x) && isnan(y)),
                      "value %d: %.9g on Oclgrind, %.9g on PoCL:\n%s\n%s", values, x, y, a, b);
        ck_assert_msg(*end_p == *end_q, "layout:\n%s\n%s", a, b);
        values++;
        p = *end_p ? end_p + 1 : end_p;
        q = *end_q ? end_q + 1 : end_q;
    }
    ck_assert_msg(!*p && !*q && values >= 7, "%d values:\n%s\n%s", values, a, b);
    free(a);
    free(b);
}

/* Two steps of batch 8, then one eval of the 200 test images: what a simulator can afford. */
#define STEPS                                                                                  \
    "train:\n"                                                                                 \
    "  iterations: 2\n"                                                                        \
    "  batch_size: 8\n"                                                                        \
    "  eval_every: 2\n"                                                                        \
    "  eval_batch_size: 200\n"

static const char *const nets[][2] = {
    {"dense", "model:\n"
              "  input: [784]\n"
              "  layers:\n"
              "    - dense: {units: 16, activation: relu}\n"
              "    - dense: {units: 10}\n" STEPS "  optimizer: {adam: {lr: 0.01}}\n"},
    {"cnn", "model:\n"
            "  input: [1, 28, 28]\n"
            "  layers:\n"
            "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 1, activation: relu}\n"
            "    - flatten\n"
            "    - dense: {units: 10}\n" STEPS "  optimizer: {sgd: {lr: 0.05}}\n"},
};

START_TEST(training_is_clean_and_matches_pocl)
{
    const char *name = nets[_i][0];
    char file[64], ocl_name[64];
    snprintf(file, sizeof file, "%s.yaml", name);
    snprintf(ocl_name, sizeof ocl_name, "%s_oclgrind", name);
    char *config = write_config(file, nets[_i][1]);
    char *pocl = run_dir(name), *ocl = run_dir(ocl_name);
    struct run_result *r = train(config, pocl, NULL);
    free(completed_summary(r, pocl));
    free(r);
    const char *argv[] = {"train", config, "--out", ocl, "--device", "oclgrind", NULL};
    r = on_oclgrind(argv);
    ck_assert_msg(r->err[0] == '\0', "%s: Oclgrind reported (exit %d):\n%.2000s", name,
                  r->exit_code, r->err);
    free(completed_summary(r, ocl));
    printf("%s: 2 steps and an eval on Oclgrind: %.1f s\n", name, r->seconds);
    same_metrics(ocl, pocl, 1e-4);
    free(r);
    free(config);
}
END_TEST

int main(void)
{
    const char *library = oclgrind_icd_library();
    if (!library) {
        fprintf(stderr, "skipped: Oclgrind is not installed (apt-get install oclgrind; "
                        "scripts/setup installs it)\n");
        return 77;
    }
    synth_setup();
    write_icd(library);
    Suite *s = suite_create("oclgrind");
    TCase *tc = tcase_create("oclgrind");
    tcase_set_timeout(tc, 600); /* a simulator: each work-item is interpreted */
    tcase_add_test(tc, auto_passes_over_oclgrind);
    tcase_add_test(tc, selfcheck_is_clean);
    tcase_add_test(tc, out_of_bounds_read_is_reported);
    tcase_add_loop_test(tc, training_is_clean_and_matches_pocl, 0,
                        (int)(sizeof nets / sizeof nets[0]));
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
