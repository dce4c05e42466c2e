/* Hostile input, special files and sweeps (issue 21, classes 2 and 7): every file clnet reads
 * must be a regular file of bounded size. /dev/zero, a FIFO, a folder or a link loop in place
 * of a config, a base, a weights file, a checkpoint, an IDX file, --inputs or a metrics.csv
 * each gets one line and exit 2 at once, under a memory limit so that a regression fails
 * instead of eating the machine. A sweep never reads its own output as experiments, and a link
 * cycle or a dangling link in its folder is a clean exit 2. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"
#include "hostile.h"

#define SECONDS 20 /* a refusal is immediate; a hang is killed here and fails */
#define MEM_MIB 2048

enum special { ZERO, FIFO, FOLDER, LOOP, SPECIAL_COUNT };
static const char *const special_word[] = {"a device", "a FIFO", "a folder",
                                           "symbolic links"};

/* Puts the special file `kind` at dir/name. */
static void plant(const char *dir, const char *name, enum special kind)
{
    char *path = NULL, *other = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
    unlink(path);
    switch (kind) {
    case ZERO:
        ck_assert_int_eq(symlink("/dev/zero", path), 0);
        break;
    case FIFO:
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        break;
    case FOLDER:
        ck_assert_int_eq(mkdir(path, 0755), 0);
        break;
    case LOOP: /* name -> name.2 -> name */
        ck_assert_int_ge(asprintf(&other, "%s.2", path), 0);
        ck_assert_int_eq(symlink(other, path), 0);
        ck_assert_int_eq(symlink(path, other), 0);
        break;
    default:
        ck_abort();
    }
    free(path);
    free(other);
}

static void expect_refused(const struct run_result *r, const char *name, enum special kind)
{
    const char *const words[] = {name, special_word[kind], NULL};
    hostile_assert_error(r, 2, words);
}

/* A file named on the command line or in the config, planted as each special kind: the
 * config itself, a base:, init: {file:}, eval --inputs. _i: case * SPECIAL_COUNT + kind. */
static const struct {
    const char *name, *planted, *extra; /* extra: the config's added lines; NULL: no config */
    const char *argv[6];
} named_file[] = {
    {"config", "c.yaml", NULL, {"train", "c.yaml", NULL}},
    {"base", "b.yaml", "base: b.yaml\n", {"summary", "c.yaml", NULL}},
    {"weights", "w.safetensors", "init: {weights: {file: w.safetensors}}\n",
     {"train", "c.yaml", "--out", "run", NULL}},
    {"inputs", "x.csv", "", {"eval", "c.yaml", "--inputs", "x.csv", NULL}},
};

START_TEST(special_named_file)
{
    int c = _i / SPECIAL_COUNT;
    enum special kind = (enum special)(_i % SPECIAL_COUNT);
    char folder[32];
    snprintf(folder, sizeof folder, "s-%s-%d", named_file[c].name, (int)kind);
    char *dir = hostile_dir(folder);
    plant(dir, named_file[c].planted, kind);
    if (named_file[c].extra)
        hostile_config(dir, "c.yaml", NULL, named_file[c].extra);
    struct run_result r;
    hostile_run_in(&r, dir, named_file[c].argv, NULL, SECONDS, MEM_MIB);
    expect_refused(&r, named_file[c].planted, kind);
}
END_TEST

/* One of the four IDX files of data.dir. */
START_TEST(special_idx)
{
    char folder[32];
    snprintf(folder, sizeof folder, "s-idx-%d", _i);
    char *dir = hostile_dir(folder);
    char *data = hostile_dir(strcat(folder, "/data"));
    static const char *const files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++) {
        char *src = NULL, *dst = NULL;
        ck_assert_int_ge(asprintf(&src, "%s/%s", hostile_data_dir, files[i]), 0);
        ck_assert_int_ge(asprintf(&dst, "%s/%s", data, files[i]), 0);
        ck_assert_int_eq(symlink(src, dst), 0);
        free(src);
        free(dst);
    }
    plant(data, files[0], (enum special)_i);
    char text[400];
    snprintf(text, sizeof text, "data: {dir: %s}\nmodel:\n  input: [784]\n  layers:\n"
             "    - dense: {units: 10}\ntrain: {iterations: 2, batch_size: 10}\n", data);
    hostile_file(dir, "c.yaml", text);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "run", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    expect_refused(&r, files[0], (enum special)_i);
}
END_TEST

/* A run folder of clnet's whose checkpoint.bin is special: resuming refuses it. */
START_TEST(special_checkpoint)
{
    char folder[32];
    snprintf(folder, sizeof folder, "s-ckpt-%d", _i);
    char *dir = hostile_dir(folder);
    char *run = hostile_dir(strcat(folder, "/run"));
    hostile_file(run, ".lock", "");
    plant(run, "checkpoint.bin", (enum special)_i);
    hostile_config(dir, "c.yaml", NULL, NULL);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "run", NULL};
    char allowed[48];
    snprintf(allowed, sizeof allowed, "%s/.lock", folder); /* folder is now ".../run" */
    const char *const allow[] = {allowed, NULL};
    hostile_run_in(&r, dir, argv, allow, SECONDS, MEM_MIB);
    expect_refused(&r, "checkpoint.bin", (enum special)_i);
}
END_TEST

/* clnet report on a run whose metrics.csv is special. */
START_TEST(special_metrics)
{
    char folder[32];
    snprintf(folder, sizeof folder, "s-metrics-%d", _i);
    char *dir = hostile_dir(folder);
    char *run = hostile_dir(strcat(folder, "/run"));
    hostile_file(run, ".lock", "");
    hostile_config(run, "config.yaml", "run", NULL);
    plant(run, "metrics.csv", (enum special)_i);
    struct run_result r;
    const char *argv[] = {"report", "run", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    expect_refused(&r, "metrics.csv", (enum special)_i);
}
END_TEST

/* A config file past the size a config may have (16 MiB): refused before it is read. */
START_TEST(config_too_large)
{
    char *dir = hostile_dir("s-large");
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/c.yaml", dir), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (16L << 20) + 1, SEEK_SET), 0);
    fputc('\n', f);
    fclose(f);
    struct run_result r;
    const char *argv[] = {"summary", "c.yaml", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"c.yaml", "more than", NULL};
    hostile_assert_error(&r, 2, words);
    free(path);
}
END_TEST

/* ---- sweeps ------------------------------------------------------------------------------ */

/* `clnet sweep .` twice in a folder of experiments: the second finds its runs completed and
 * reads none of their config.yaml as an experiment; the same with --out inside the folder. */
static void sweep_twice(const char *folder, const char *out)
{
    char *dir = hostile_dir(folder);
    hostile_config(dir, "a.yaml", NULL, NULL);
    hostile_config(dir, "b.yaml", "bee", NULL);
    const char *argv[] = {"sweep", ".", out ? "--out" : NULL, out, NULL};
    struct run_result r;
    const char *const allowed[] = {folder, NULL};
    for (int round = 0; round < 2; round++) {
        hostile_run_in(&r, dir, argv, allowed, SECONDS, MEM_MIB);
        ck_assert_msg(r.exit_code == 0 && r.signal == 0, "round %d: exit %d: %s%s", round,
                      r.exit_code, r.out, r.err);
    }
    ck_assert_msg(!strstr(r.out, "config.yaml") && !strstr(r.err, "config.yaml"),
                  "the second sweep read a run's config.yaml: %s%s", r.out, r.err);
}

START_TEST(sweep_twice_default_out) { sweep_twice("w1", NULL); }
END_TEST
START_TEST(sweep_twice_out_inside) { sweep_twice("w2", "results"); }
END_TEST

/* A link in the sweep's folder to a folder above it, and a dangling link. */
static void sweep_bad_link(const char *folder, const char *target, const char *word)
{
    char *dir = hostile_dir(folder);
    hostile_config(dir, "a.yaml", NULL, NULL);
    char *sub = NULL, *link = NULL;
    ck_assert_int_ge(asprintf(&sub, "%s/sub", dir), 0);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_ge(asprintf(&link, "%s/sub/link", dir), 0);
    ck_assert_int_eq(symlink(target ? target : dir, link), 0);
    const char *argv[] = {"sweep", ".", NULL};
    struct run_result r;
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"sub/link", word, NULL};
    hostile_assert_error(&r, 2, words);
    free(sub);
    free(link);
}

START_TEST(sweep_link_cycle) { sweep_bad_link("w3", NULL, "cycle"); }
END_TEST
START_TEST(sweep_dangling_link) { sweep_bad_link("w4", "/nonexistent/clnet", "dangling"); }
END_TEST

/* ---- the environment -------------------------------------------------------------------- */

static const struct {
    const char *env, *word;
} bad_env[] = {
    {"CLNET_PROGRESS=rainbow", "CLNET_PROGRESS=rainbow: expected tty|plain"},
    {"CLNET_GEMM=fast", "CLNET_GEMM=fast: expected own|clblast"},
    {"CLNET_OPS_PATH=fpga", "CLNET_OPS_PATH=fpga: expected auto|cpu|gpu"},
    {"CLNET_MAX_LOCAL=0", "CLNET_MAX_LOCAL=0: expected a whole number from 1 to 4096"},
    {"CLNET_SPIN_US=lots", "CLNET_SPIN_US=lots: expected a whole number"},
    {"CLNET_COMPILE_HELPER=yes", "CLNET_COMPILE_HELPER=yes: expected 0|1"},
    {"POCL_MAX_PTHREAD_COUNT=-3", "POCL_MAX_PTHREAD_COUNT=-3: expected a whole number"},
    {"CLNET_NO_CACHE=1\nX", "CLNET_NO_CACHE holds a line break"},
};

/* A bad value of a variable clnet reads: one line naming it, exit 2, before anything runs
 * (POCL_MAX_PTHREAD_COUNT=-3 made PoCL 3.1 crash). */
START_TEST(bad_environment)
{
    char folder[32];
    snprintf(folder, sizeof folder, "s-env-%d", _i);
    char *dir = hostile_dir(folder);
    hostile_config(dir, "c.yaml", NULL, NULL);
    const char *const env[] = {bad_env[_i].env, NULL};
    const char *argv[] = {"train", "c.yaml", NULL};
    struct tree *before = tree_snapshot(harness_tmpdir());
    struct run_result r;
    hostile_run(&r, dir, argv, env, SECONDS, MEM_MIB);
    struct tree *after = tree_snapshot(harness_tmpdir());
    tree_assert_same(before, after, NULL);
    tree_free(before);
    tree_free(after);
    const char *const words[] = {"environment", bad_env[_i].word, NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* A cache folder that cannot be made (XDG_CACHE_HOME=/proc) is named as the cause, not read
 * as "no OpenCL device". */
START_TEST(unwritable_cache)
{
    char *dir = hostile_dir("s-cache");
    hostile_config(dir, "c.yaml", NULL, NULL);
    const char *const env[] = {"XDG_CACHE_HOME=/proc", NULL};
    const char *argv[] = {"train", "c.yaml", NULL};
    struct run_result r;
    unsetenv("POCL_CACHE_DIR");
    hostile_run(&r, dir, argv, env, SECONDS, MEM_MIB);
    ck_assert_msg(r.signal == 0 && count_lines(r.err) <= 1, "%s", r.err);
    ck_assert_msg(r.exit_code == 0 || strstr(r.err, "/proc"), "exit %d without naming the "
                  "folder: %s", r.exit_code, r.err);
}
END_TEST

/* A cold start (its own empty caches) under `ulimit -f 64`: PoCL's compiler would end the
 * process with its own "LLVM ERROR" line while writing its cache; clnet refuses first, naming
 * the limit. Then the same warm. */
START_TEST(cold_start_under_file_size_limit)
{
    char *dir = hostile_dir("s-fsize");
    hostile_config(dir, "c.yaml", NULL, NULL);
    char pocl[4300], cache[4300];
    snprintf(pocl, sizeof pocl, "POCL_CACHE_DIR=%s/pocl", dir);
    snprintf(cache, sizeof cache, "CLNET_CACHE_DIR=%s/clnet", dir);
    const char *const env[] = {pocl, cache, harness_asan_full_unwind(), NULL};
    const char *argv[] = {"train", "c.yaml", NULL};
    struct run_result r;
    hostile_fsize = 64 << 10;
    hostile_run(&r, dir, argv, env, SECONDS, MEM_MIB);
    hostile_fsize = 0;
    const char *const words[] = {"c.yaml", "file-size limit (ulimit -f) of 64 KiB", NULL};
    hostile_assert_error(&r, 2, words);
    char *runs = NULL;
    ck_assert_int_ge(asprintf(&runs, "%s/runs", dir), 0);
    ck_assert_msg(access(runs, F_OK) != 0, "a run folder was made");
    free(runs);
    /* Warm (a run without the limit compiled and recorded the kernels): PoCL still writes
     * each program's preprocessed source (about 1 MB) on every start. */
    hostile_run(&r, dir, argv, env, 120, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "the run without a limit: exit %d: %s", r.exit_code, r.err);
    const char *const again[] = {"train", "c.yaml", "--restart", NULL};
    hostile_fsize = 64 << 10;
    hostile_run(&r, dir, again, env, SECONDS, MEM_MIB);
    hostile_fsize = 0;
    const char *const warm[] = {"c.yaml", "of 64 KiB is below the 2 MiB any run writes", NULL};
    hostile_assert_error(&r, 2, warm);
}
END_TEST

static Suite *special_suite(void)
{
    Suite *s = suite_create("hostile special files");
    TCase *tc = tcase_create("special files");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, special_named_file, 0,
                        (int)(sizeof named_file / sizeof named_file[0]) * SPECIAL_COUNT);
    tcase_add_loop_test(tc, special_idx, 0, SPECIAL_COUNT);
    tcase_add_loop_test(tc, special_checkpoint, 0, SPECIAL_COUNT);
    tcase_add_loop_test(tc, special_metrics, 0, SPECIAL_COUNT);
    tcase_add_test(tc, config_too_large);
    suite_add_tcase(s, tc);
    tc = tcase_create("environment");
    tcase_set_timeout(tc, harness_time_limit(90)); /* a cold start: minutes under ASan */
    tcase_add_loop_test(tc, bad_environment, 0, (int)(sizeof bad_env / sizeof bad_env[0]));
    tcase_add_test(tc, unwritable_cache);
    tcase_add_test(tc, cold_start_under_file_size_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("sweeps");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, sweep_twice_default_out);
    tcase_add_test(tc, sweep_twice_out_inside);
    tcase_add_test(tc, sweep_link_cycle);
    tcase_add_test(tc, sweep_dangling_link);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hostile_setup();
    return harness_run(special_suite(), true);
}
