/* Nothing is lost: a run killed with SIGKILL at random moments (and inside checkpoint writes)
 * and started again ends byte-identical to an uninterrupted one; SIGINT checkpoints and exits
 * 130; a second process on one run directory is refused; a changed config is refused naming
 * the keys; a full disk (a file-size limit) fails the run but keeps the last good checkpoint
 * (models too large for the device: test_limits.c); a model with batch norm's state resumes
 * byte-identical too. All through the clnet binary, on the synthetic data set of synth.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "synth.h"

/* 600 steps of a 784-256-256-10 net with Adam, a checkpoint (about 3 MB) every 20 steps: a
 * good part of the run is spent writing checkpoints, so random kills land inside them too. */
#define LONG_RUN                                                                               \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 256, activation: relu}\n"                                            \
    "    - dense: {units: 256, activation: relu}\n"                                            \
    "    - dense: {units: 10}\n"                                                               \
    "init: {weights: {normal: {std: 0.05}}}\n"                                                 \
    "train:\n"                                                                                 \
    "  iterations: 600\n"                                                                      \
    "  batch_size: 50\n"                                                                       \
    "  optimizer: {adam: {lr: 0.001}}\n"                                                       \
    "  eval_every: 50\n"                                                                       \
    "  eval_batch_size: 200\n"                                                                 \
    "  log_every: 10\n"                                                                        \
    "  checkpoint_every: 20\n"

static char *config;       /* LONG_RUN's file */
static char *reference;    /* its uninterrupted run */
static double run_seconds; /* how long that took */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Starts `clnet train config --out dir [extra]` in the background, output to dir.log (next to
 * the run directory); fsize > 0 limits the size of every file it writes. */
static pid_t start_train(const char *dir, const char *extra, long fsize)
{
    char *log = NULL;
    if (asprintf(&log, "%s.log", dir) < 0)
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fsize > 0) {
            struct rlimit r = {(rlim_t)fsize, (rlim_t)fsize};
            setrlimit(RLIMIT_FSIZE, &r);
        }
        putenv(synth_cache_env);
        const char *bin = getenv("CLNET_BIN");
        if (extra)
            execl(bin, bin, "train", config, "--out", dir, "--quiet", extra, (char *)NULL);
        else
            execl(bin, bin, "train", config, "--out", dir, "--quiet", (char *)NULL);
        _exit(127);
    }
    free(log);
    return pid;
}


static char *log_of(const char *dir)
{
    char *path = NULL;
    if (asprintf(&path, "%s.log", dir) < 0)
        abort();
    char *text = read_all(path, NULL);
    free(path);
    return text ? text : strdup("");
}

/* Names in dir matching "*.tmp.*" (fs_atomic's temporary files). */
static int temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void assert_same_as_reference(const char *dir)
{
    /* checkpoint.bin holds the run's times too, so it is not compared byte for byte. */
    static const char *const outputs[] = {"metrics.csv", "steps.csv", "model.safetensors",
                                          "config.yaml"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        ck_assert_msg(same_file(reference, dir, outputs[i]), "%s/%s differs from the "
                      "uninterrupted run's", dir, outputs[i]);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "completed"), "%s", summary);
    char *ref = read_in(reference, "summary.json", NULL);
    static const char *const keys[] = {"iterations", "epochs", "final_test_accuracy",
                                       "best_test_accuracy", "final_test_loss"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_number(summary, keys[i]) == json_number(ref, keys[i]),
                      "%s: %s %g, uninterrupted %g", dir, keys[i], json_number(summary, keys[i]),
                      json_number(ref, keys[i]));
    ck_assert_msg(temp_files(dir) == 0, "%s: temporary files left behind", dir);
    free(summary);
    free(ref);
}

static void setup_reference(void)
{
    config = write_config("long.yaml", LONG_RUN);
    reference = run_dir("reference");
    double t0 = now();
    int code = synth_wait(start_train(reference, NULL, 0));
    run_seconds = now() - t0;
    if (code != 0) {
        fprintf(stderr, "reference run failed (%d): %s\n", code, log_of(reference));
        abort();
    }
}

/* Waits (at most 60 s) until dir holds its first checkpoint, then sends sig: the run is then
 * past its start-up and still far from its end (the first checkpoint is at 20 of 600). */
static void signal_after_first_checkpoint(pid_t pid, const char *dir, int sig)
{
    char *path = path_in(dir, "checkpoint.bin");
    double t0 = now();
    while (!exists(path) && now() - t0 < 60)
        usleep(1000);
    free(path);
    kill(pid, sig);
}

/* ---- kill -9 ------------------------------------------------------------------------------ */

/* Trial i: SIGKILL after a random delay within the run (even i), or the moment the k-th
 * checkpoint write has its temporary file (odd i); then once more in the resumed run for
 * some; then a run to the end. */
START_TEST(test_kill9_then_resume_is_identical)
{
    char name[32];
    snprintf(name, sizeof name, "kill9-%d", _i);
    char *dir = run_dir(name);
    srand(1000u + (unsigned)_i);
    int kills = 1 + (_i % 3 == 0), inside = 0;
    for (int k = 0; k < kills; k++) {
        pid_t pid = start_train(dir, NULL, 0);
        if (_i % 2 == 0) {
            double delay = run_seconds * (0.05 + 0.9 * rand() / (double)RAND_MAX);
            usleep((useconds_t)(delay * 1e6));
        } else {
            /* Wait for the n-th temporary checkpoint file to appear, then kill at once. */
            int want = 1 + rand() % 20, seen = 0;
            char *tmp_dir = dir;
            double t0 = now();
            bool was = false;
            while (seen < want && now() - t0 < 4 * run_seconds + 5) {
                bool is = temp_files(tmp_dir) > 0;
                seen += is && !was;
                was = is;
                if (seen < want)
                    usleep(100);
            }
            inside += seen == want;
        }
        kill(pid, SIGKILL);
        synth_wait(pid);
    }
    if (_i % 2 == 1)
        ck_assert_msg(inside > 0, "%s: never saw a checkpoint being written", dir);
    int code = synth_wait(start_train(dir, NULL, 0));
    char *log = log_of(dir);
    ck_assert_msg(code == 0, "%s: resumed run exit %d: %s", dir, code, log);
    assert_same_as_reference(dir);
    free(log);
    free(dir);
}
END_TEST

/* ---- SIGINT ------------------------------------------------------------------------------- */

START_TEST(test_sigint_checkpoints_and_resumes)
{
    char *dir = run_dir("sigint");
    pid_t pid = start_train(dir, NULL, 0);
    signal_after_first_checkpoint(pid, dir, SIGINT);
    int code = synth_wait(pid);
    ck_assert_msg(code == 130, "exit %d after SIGINT: %s", code, log_of(dir));
    char *log = log_of(dir);
    ck_assert_msg(strstr(log, "stopped by SIGINT at iteration") && count_lines(log) == 1,
                  "stderr: %s", log);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "interrupted"), "%s", summary);
    double done = json_number(summary, "iterations");
    ck_assert_msg(done > 0 && done < 600, "interrupted at %g", done);
    char *ckpt = path_in(dir, "checkpoint.bin");
    ck_assert_msg(exists(ckpt), "no checkpoint after SIGINT");
    ck_assert_int_eq(synth_wait(start_train(dir, NULL, 0)), 0);
    assert_same_as_reference(dir);
    /* Completed: running it again changes nothing. */
    struct stat before, after;
    char *weights = path_in(dir, "model.safetensors");
    ck_assert_int_eq(stat(weights, &before), 0);
    ck_assert_int_eq(synth_wait(start_train(dir, NULL, 0)), 0);
    ck_assert_int_eq(stat(weights, &after), 0);
    ck_assert(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
              before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    free(weights);
    free(ckpt);
    free(summary);
    free(log);
    free(dir);
}
END_TEST

/* ---- batch norm's state ------------------------------------------------------------------- */

/* A model with state (batch norm's running statistics, kept in checkpoint.bin's `state`):
 * interrupted by SIGINT after its first checkpoint and resumed, it ends with the bytes of an
 * uninterrupted run, running statistics (model.safetensors) and evaluations (metrics.csv,
 * which read them) included; and its weights file used as an init file evaluates as the run
 * does. */
#define BN_RUN                                                                                 \
    "model:\n"                                                                                 \
    "  input: [1, 28, 28]\n"                                                                   \
    "  layers:\n"                                                                              \
    "    - conv2d: {filters: 4, size: 5, stride: 2}\n"                                         \
    "    - batchnorm: {}\n"                                                                    \
    "    - activation: relu\n"                                                                 \
    "    - flatten\n"                                                                          \
    "    - dense: {units: 32}\n"                                                               \
    "    - batchnorm: {momentum: 0.3}\n"                                                       \
    "    - activation: relu\n"                                                                 \
    "    - dense: {units: 10}\n"                                                               \
    "init: {weights: {normal: {std: 0.1}}}\n"                                                  \
    "train:\n"                                                                                 \
    "  iterations: 400\n"                                                                      \
    "  batch_size: 50\n"                                                                       \
    "  optimizer: {sgd: {lr: 0.05}}\n"                                                         \
    "  eval_every: 50\n"                                                                       \
    "  eval_batch_size: 200\n"                                                                 \
    "  log_every: 10\n"                                                                        \
    "  checkpoint_every: 20\n"

/* "test loss L, test accuracy A" of `clnet eval`'s output (static; empty when absent). */
static const char *test_figures(const char *out)
{
    static char figures[128];
    const char *at = strstr(out, "test loss");
    const char *end = at ? strstr(at, " (") : NULL;
    size_t n = end && (size_t)(end - at) < sizeof figures ? (size_t)(end - at) : 0;
    memcpy(figures, at ? at : "", n);
    figures[n] = '\0';
    return figures;
}

/* A run's weights file given as the init file of its config (how docs/outputs.md evaluates
 * best.safetensors) brings its running statistics too: the figures of `clnet eval DIR`. */
static void assert_file_init_brings_state(const char *dir)
{
    char *weights = path_in(dir, "model.safetensors"), *cfg = path_in(dir, "config.yaml");
    char set_w[4200], set_b[4200], want[128];
    snprintf(set_w, sizeof set_w, "init.weights.file=%s", weights);
    snprintf(set_b, sizeof set_b, "init.biases.file=%s", weights);
    struct run_result r;
    const char *of_run[] = {"eval", dir, NULL};
    clnet(&r, of_run);
    ck_assert_msg(r.exit_code == 0 && *test_figures(r.out), "exit %d: %s%s", r.exit_code, r.out,
                  r.err);
    snprintf(want, sizeof want, "%s", test_figures(r.out));
    const char *of_file[] = {"eval", cfg, "--set", set_w, "--set", set_b, NULL};
    clnet(&r, of_file);
    ck_assert_msg(r.exit_code == 0 && !strcmp(test_figures(r.out), want),
                  "init from the run's weights: '%s', clnet eval of the run: '%s'\n%s",
                  test_figures(r.out), want, r.err);
    free(weights);
    free(cfg);
}

START_TEST(test_batchnorm_resume_is_identical)
{
    char *long_config = config, *long_reference = reference; /* start_train's, this test's */
    config = write_config("bn.yaml", BN_RUN);
    reference = run_dir("bn-reference");
    ck_assert_int_eq(synth_wait(start_train(reference, NULL, 0)), 0);
    char *dir = run_dir("bn-sigint");
    pid_t pid = start_train(dir, NULL, 0);
    signal_after_first_checkpoint(pid, dir, SIGINT);
    int code = synth_wait(pid);
    ck_assert_msg(code == 130, "exit %d after SIGINT: %s", code, log_of(dir));
    char *summary = read_in(dir, "summary.json", NULL);
    double done = json_number(summary, "iterations");
    ck_assert_msg(done > 0 && done < 400, "interrupted at %g", done);
    ck_assert_int_eq(synth_wait(start_train(dir, NULL, 0)), 0);
    assert_same_as_reference(dir);
    assert_file_init_brings_state(dir);
    free(summary);
    free(dir);
    config = long_config, reference = long_reference;
}
END_TEST

/* ---- lock, changed config, --restart ------------------------------------------------------ */

START_TEST(test_second_process_is_refused)
{
    char *dir = run_dir("locked");
    pid_t pid = start_train(dir, NULL, 0);
    char *lock = path_in(dir, ".lock");
    double t0 = now();
    while (!exists(lock) && now() - t0 < 30)
        usleep(1000);
    struct run_result r;
    const char *argv[] = {"train", config, "--out", dir, NULL};
    clnet(&r, argv);
    kill(pid, SIGKILL);
    synth_wait(pid);
    ck_assert_msg(r.exit_code == 1 && strstr(r.err, "in use by another clnet process (pid") &&
                      count_lines(r.err) == 1,
                  "exit %d: %s", r.exit_code, r.err);
    ck_assert_msg(r.seconds < 2, "the second process took %.1f s to give up", r.seconds);
    free(lock);
    free(dir);
}
END_TEST

START_TEST(test_changed_config_is_refused_then_restarted)
{
    char *dir = run_dir("changed");
    pid_t pid = start_train(dir, NULL, 0);
    signal_after_first_checkpoint(pid, dir, SIGINT);
    ck_assert_int_eq(synth_wait(pid), 130);
    struct run_result r;
    const char *argv[] = {"train", config, "--out", dir, "--set", "train.optimizer.adam.lr=0.002",
                          NULL};
    clnet(&r, argv);
    ck_assert_msg(r.exit_code == 2 && strstr(r.err, "holds a checkpoint of a different config") &&
                      strstr(r.err, "train.optimizer.adam.lr (0.001 -> 0.002)") &&
                      count_lines(r.err) == 1,
                  "exit %d: %s", r.exit_code, r.err);
    const char *again[] = {"train", config, "--out", dir, "--restart", "--quiet", NULL};
    clnet(&r, again);
    ck_assert_msg(r.exit_code == 0, "--restart: exit %d: %s", r.exit_code, r.err);
    assert_same_as_reference(dir);
    free(dir);
}
END_TEST

/* ---- full disk ---------------------------------------------------------------------------- */

START_TEST(test_full_disk_keeps_last_checkpoint)
{
    char *dir = run_dir("full");
    pid_t pid = start_train(dir, NULL, 0);
    signal_after_first_checkpoint(pid, dir, SIGINT);
    ck_assert_int_eq(synth_wait(pid), 130);
    size_t len_before;
    char *ckpt_before = read_in(dir, "checkpoint.bin", &len_before);
    ck_assert(ckpt_before);
    /* Files of at most 2 MiB (the least clnet accepts once its kernels were compiled; the
     * checkpoint is 3.2 MB): the run resumes, then cannot write its next checkpoint. */
    int code = synth_wait(start_train(dir, NULL, 2 << 20));
    char *log = log_of(dir);
    ck_assert_msg(code == 1 && strstr(log, "checkpoint.bin") && strstr(log, "File too large"),
                  "exit %d: %s", code, log);
    size_t len_after;
    char *ckpt_after = read_in(dir, "checkpoint.bin", &len_after);
    ck_assert_msg(ckpt_after && len_after == len_before &&
                      memcmp(ckpt_before, ckpt_after, len_before) == 0,
                  "the last good checkpoint changed");
    ck_assert_msg(temp_files(dir) == 0, "temporary files left behind");
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "failed"), "%s", summary);
    ck_assert_int_eq(synth_wait(start_train(dir, NULL, 0)), 0);
    assert_same_as_reference(dir);
    free(summary);
    free(ckpt_before);
    free(ckpt_after);
    free(log);
    free(dir);
}
END_TEST

static Suite *resume_suite(void)
{
    Suite *s = suite_create("resume");
    TCase *tc = tcase_create("kill -9");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_kill9_then_resume_is_identical, 0, 20);
    suite_add_tcase(s, tc);
    tc = tcase_create("signals and locks");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sigint_checkpoints_and_resumes);
    tcase_add_test(tc, test_batchnorm_resume_is_identical);
    tcase_add_test(tc, test_second_process_is_refused);
    tcase_add_test(tc, test_changed_config_is_refused_then_restarted);
    tcase_add_test(tc, test_full_disk_keeps_last_checkpoint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    setup_reference();
    return harness_run(resume_suite(), true);
}
