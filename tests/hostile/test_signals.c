/* Hostile input, signals at any moment (issue 21, class 3): SIGINT or SIGTERM while clnet train
 * loads its data, opens the device or compiles its kernels cold ends it within seconds, with
 * exit 130 (SIGINT) or 143 (SIGTERM) and one line, no temp file of clnet's left and nothing
 * written outside the run's folder; the same command then trains to the metrics of an
 * uninterrupted run. Each case has its own empty PoCL and clnet caches, so the compile is cold
 * (several seconds for the CNN on this suite's machines). */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "hostile.h"

#define MEM_MIB 8192

static const char CNN[] = "model:\n  input: [1, 28, 28]\n  layers:\n"
                          "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 2, activation: relu}\n"
                          "    - flatten\n    - dense: {units: 10}\n"
                          "train: {iterations: 4, batch_size: 10, eval_every: 2}\n";

static char *case_config(const char *dir)
{
    char *text = NULL;
    if (asprintf(&text, "name: cnn\nseed: 1\ndata: {dir: %s}\n%s", hostile_data_dir, CNN) < 0)
        abort();
    char *path = hostile_file(dir, "c.yaml", text);
    free(text);
    return path;
}

/* The environment of a cold start in dir: its own caches, and the compile helper as asked.
 * On an empty (or half-filled) PoCL cache, LeakSanitizer reports 16 bytes PoCL's kernel
 * compiler leaks, with a stack cut at operator new by the frame-pointer unwinder; unwound
 * fully it lies in libpocl or libLLVM, which tests/sanitizer/lsan.supp names (as
 * test_train.c's compile-helper test does). Elsewhere ASAN_OPTIONS is ignored. */
static void cold_env(const char *dir, bool helper, char env[4][4300])
{
    snprintf(env[0], 4300, "POCL_CACHE_DIR=%s/pocl-cache", dir);
    snprintf(env[1], 4300, "CLNET_CACHE_DIR=%s/clnet-cache", dir);
    snprintf(env[2], 4300, "CLNET_COMPILE_HELPER=%d", helper ? 1 : 0);
    snprintf(env[3], 4300, "%s", harness_asan_full_unwind());
}

static char *metrics_of(const char *dir)
{
    char *path = NULL;
    if (asprintf(&path, "%s/runs/cnn/metrics.csv", dir) < 0)
        abort();
    FILE *f = fopen(path, "rb"); /* plain checks: main calls it outside a test */
    char *text = calloc(1, 65536);
    if (!f || !text) {
        fprintf(stderr, "cannot read %s\n", path);
        abort();
    }
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    free(path);
    return text;
}

/* An uninterrupted run's metrics.csv, made once in main before the tests fork. */
static char *reference;

static void run_reference(void)
{
    char *dir = hostile_dir("sig-reference"), *out = NULL;
    char *config = case_config(dir);
    if (asprintf(&out, "%s/runs/cnn", dir) < 0)
        abort();
    static struct run_result r; /* run_clnet: no Check assertions outside a test */
    const char *argv[] = {"train", config, "--out", out, NULL};
    run_clnet(&r, argv, NULL);
    free(out);
    if (r.exit_code != 0) {
        fprintf(stderr, "reference run: exit %d: %s\n", r.exit_code, r.err);
        abort();
    }
    reference = harness_keep(metrics_of(dir));
}

/* _i: bit 0 SIGTERM (else SIGINT), bit 1 late (1.5 s: compiling) or early (0.3 s: data,
 * device), bit 2 with the compile helper. */
START_TEST(signal_during_start)
{
    int sig = _i & 1 ? SIGTERM : SIGINT;
    double after = _i & 2 ? 1.5 : 0.3;
    const char *want = reference;
    char folder[32];
    snprintf(folder, sizeof folder, "sig-%d", _i);
    char *dir = hostile_dir(folder);
    case_config(dir);
    char env[4][4300];
    cold_env(dir, _i & 4, env);
    const char *const envp[] = {env[0], env[1], env[2], env[3], NULL};
    const char *argv[] = {"train", "c.yaml", NULL};
    struct tree *before = tree_snapshot(harness_tmpdir());
    struct run_result r;
    hostile_run_signal(&r, dir, argv, envp, 120, MEM_MIB, sig, after);
    struct tree *after_run = tree_snapshot(harness_tmpdir());
    const char *const allowed[] = {folder, NULL};
    tree_assert_same(before, after_run, allowed);
    tree_free(before);
    tree_free(after_run);
    assert_no_temp_files(dir);
    const char *const words[] = {sig == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGINT",
                                 NULL};
    hostile_assert_error(&r, 128 + sig, words);
    ck_assert_msg(r.seconds < harness_time_limit(3), "%.1f s from the signal to the end",
                  r.seconds);
    hostile_run(&r, dir, argv, envp, 300, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "the run after: exit %d: %s", r.exit_code, r.err);
    char *got = metrics_of(dir);
    ck_assert_msg(strcmp(got, want) == 0, "metrics differ from an uninterrupted run:\n%s\n%s",
                  got, want);
    free(got);
}
END_TEST

static Suite *signals_suite(void)
{
    Suite *s = suite_create("hostile signals");
    TCase *tc = tcase_create("start-up");
    tcase_set_timeout(tc, 600);
    /* In a sanitizer build (harness_time_limit scaled) two of the eight: SIGINT early without
     * the helper, SIGTERM late with it. Each case is two cold starts, minutes there; the
     * normal build runs all eight. */
    if (harness_time_limit(1) > 1) {
        tcase_add_loop_test(tc, signal_during_start, 0, 1);
        tcase_add_loop_test(tc, signal_during_start, 7, 8);
    } else {
        tcase_add_loop_test(tc, signal_during_start, 0, 8);
    }
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hostile_setup();
    run_reference();
    return harness_run(signals_suite(), true);
}
