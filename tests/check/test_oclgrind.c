/* clnet on Oclgrind, a simulator that checks every memory access of every work-item, as a
 * second OpenCL platform: `clnet selfcheck` (every kernel of both ops paths) and two steps of a
 * dense net (GPU path) and of a small CNN (the CPU and the GPU path, forced) (on the synthetic
 * set of tests/train/synth_data.c), run with OCLGRIND_CHECK_API=1 and
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
#include "metrics_close.h"

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

/* clnet with argv on Oclgrind alone, its API and data-race checks on, and `extra` (an
 * environment entry, or NULL). */
static struct run_result *on_oclgrind_with(const char *const *argv, const char *extra)
{
    struct run_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    const char *env[] = {synth_cache_env, icd_env, "OCLGRIND_CHECK_API=1",
                         "OCLGRIND_DATA_RACES=1", extra, NULL};
    run_clnet(r, argv, env);
    return r;
}

static struct run_result *on_oclgrind(const char *const *argv)
{
    return on_oclgrind_with(argv, NULL);
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
            "    - conv2d: {filters: 3, size: 3, stride: 2, pad: 1, activation: tanh}\n"
            "    - flatten\n"
            "    - dense: {units: 10}\n" STEPS "  optimizer: {sgd: {lr: 0.05}}\n"},
};

/* Runs on Oclgrind, each through a forced ops path (Oclgrind calls itself a GPU: auto takes
 * the GPU path): the dense net on the GPU path (CLBlast, the 2-D bias_act), the CNN on both
 * (the CPU path's conv kernels, with its fusions between the two conv layers, and the GPU
 * path's); each against PoCL's default path. */
static const struct {
    int net;
    const char *path;
} runs[] = {{0, "gpu"}, {1, "cpu"}, {1, "gpu"}};

START_TEST(training_is_clean_and_matches_pocl)
{
    const char *name = nets[runs[_i].net][0], *path = runs[_i].path;
    char file[64], pocl_name[64], ocl_name[64], force[32];
    snprintf(file, sizeof file, "%s.yaml", name);
    snprintf(pocl_name, sizeof pocl_name, "%s_pocl_%s", name, path);
    snprintf(ocl_name, sizeof ocl_name, "%s_oclgrind_%s", name, path);
    snprintf(force, sizeof force, "CLNET_OPS_PATH=%s", path);
    char *config = write_config(file, nets[runs[_i].net][1]);
    char *pocl = run_dir(pocl_name), *ocl = run_dir(ocl_name);
    struct run_result *r = train(config, pocl, NULL);
    free(completed_summary(r, pocl));
    free(r);
    const char *argv[] = {"train", config, "--out", ocl, "--device", "oclgrind", NULL};
    r = on_oclgrind_with(argv, force);
    ck_assert_msg(r->err[0] == '\0', "%s: Oclgrind reported (exit %d):\n%.2000s", name,
                  r->exit_code, r->err);
    char *summary = completed_summary(r, ocl);
    ck_assert_msg(json_has_string(summary, "ops_path", path), "%s: not on the %s path:\n%s",
                  name, path, summary);
    printf("%s: 2 steps and an eval on Oclgrind, %s path: %.1f s\n", name, path, r->seconds);
    metrics_close(ocl, "Oclgrind", pocl, "PoCL", 1e-4);
    free(summary);
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
                        (int)(sizeof runs / sizeof runs[0]));
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
