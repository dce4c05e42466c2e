/* No process clnet starts outlives the process that started it (util/parent.h), however that
 * one ended: a cold `clnet train` killed with SIGKILL while its compile helper works leaves no
 * clnet process behind, and the next run on the same caches and run directory writes the
 * metrics.csv of an uninterrupted run; the same for the run of a `clnet sweep` killed with
 * SIGKILL (its run stops cleanly, with a checkpoint) and for `clnet train` under an
 * `mpirun -np 1` killed with SIGKILL ($MPIRUN, when meson found MPI). Processes are found in
 * /proc: by parent, and by the run's folder in their command line. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/quirks.h"
#include "synth.h"

/* The small CNN of test_compile_helper_same_bits: a cold start of a few seconds, most of it
 * compiling kernels, with the helper compiling half of them. */
#define SMALL_CNN                                                                              \
    "model:\n"                                                                                 \
    "  input: [1, 28, 28]\n"                                                                   \
    "  layers:\n"                                                                              \
    "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 2, activation: relu}\n"               \
    "    - flatten\n"                                                                          \
    "    - dense: {units: 10}\n"                                                               \
    "init:\n"                                                                                  \
    "  weights: {normal: {std: 0.1}}\n"                                                        \
    "train:\n"                                                                                 \
    "  iterations: 6\n"                                                                        \
    "  optimizer: {adam: {lr: 0.003}}\n"                                                       \
    "  eval_every: 3\n"                                                                        \
    "  eval_batch_size: 100\n"

static char *config;    /* SMALL_CNN's file */
static char *reference; /* its uninterrupted run (warm caches, no helper: the same bits) */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void sleep_s(double s)
{
    nanosleep(&(struct timespec){(time_t)s, (long)((s - (double)(time_t)s) * 1e9)}, NULL);
}

/* ---- processes, from /proc ---------------------------------------------------------------- */

/* pid's parent, or -1 when pid has ended (gone, or a zombie waiting to be reaped). */
static pid_t parent_of(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    char *end = strrchr(text, ')'); /* after the command name, which may hold anything */
    char state = 0;
    int ppid = -1;
    if (!end || sscanf(end + 1, " %c %d", &state, &ppid) != 2 || state == 'Z' || state == 'X')
        return -1;
    return (pid_t)ppid;
}

/* pid's command line, arguments joined by spaces ("" when it has ended). */
static void command_line(pid_t pid, char *text, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = 0; i < n; i++)
        text[i] = text[i] ? text[i] : ' ';
    text[n] = '\0';
}

/* A live process other than this one whose command line holds token (a run's folder: the
 * training process, its helper, mpirun and the rank, a sweep and its run; not the linker PoCL
 * runs for a moment per kernel), and whose parent is parent when that is not 0; else 0. */
static pid_t find_process(pid_t parent, const char *token)
{
    DIR *d = opendir("/proc");
    pid_t hit = 0;
    for (struct dirent *e; d && !hit && (e = readdir(d)) != NULL;) {
        pid_t pid = (pid_t)atoi(e->d_name), ppid = pid > 0 ? parent_of(pid) : -1;
        if (pid == getpid() || ppid <= 0 || (parent && ppid != parent))
            continue;
        char text[8192];
        command_line(pid, text, sizeof text);
        if (strstr(text, token))
            hit = pid;
    }
    if (d)
        closedir(d);
    return hit;
}

/* Waits up to seconds for a grandchild of pid that holds token (the compile helper under a
 * sweep or mpirun); it, or 0. */
static pid_t wait_for_grandchild(pid_t pid, const char *token, double seconds)
{
    for (double t0 = now(); now() - t0 < seconds; sleep_s(0.01)) {
        pid_t child = find_process(pid, token);
        pid_t grandchild = child ? find_process(child, token) : 0;
        if (grandchild)
            return grandchild;
    }
    return 0;
}

/* Waits up to seconds for every process whose command line holds token to end; fails the
 * test naming the one left, after killing what is left (the test started them; they would
 * outlive it). */
static void assert_none_left(const char *token, double seconds, const char *what)
{
    double t0 = now();
    pid_t left;
    while ((left = find_process(0, token)) != 0 && now() - t0 < seconds)
        sleep_s(0.02);
    if (!left)
        return;
    char text[8192];
    command_line(left, text, sizeof text);
    for (pid_t p; (p = find_process(0, token)) != 0; sleep_s(0.01))
        kill(p, SIGKILL);
    ck_abort_msg("%s: a clnet process outlived it by %.0f s: pid %d: %s", what, seconds,
                 (int)left, text);
}

/* ---- running clnet ------------------------------------------------------------------------ */

/* Starts argv (argv[0] a path; mpi: mpirun's) in a process group of its own, output to
 * caches/log, with a cold start's environment: the caches under caches/ (empty at first) and
 * the helper forced on. */
static pid_t start(const char *const *argv, const char *caches, bool mpi)
{
    char *log = path_in(caches, "log");
    char cache[4400], pocl[4400], asan[1024];
    snprintf(cache, sizeof cache, "CLNET_CACHE_DIR=%s/clnet", caches);
    snprintf(pocl, sizeof pocl, "POCL_CACHE_DIR=%s/pocl", caches);
    /* As train_helper in test_train.c: PoCL's kernel compiler leaks 16 bytes in an empty
     * cache, which only the slow unwinder attributes to libpocl (tests/sanitizer/lsan.supp). */
    const char *user_asan = getenv("ASAN_OPTIONS");
    /* Under mpirun no leak check either, as for the mpi test (tests/dist/meson.build). */
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sfast_unwind_on_malloc=0%s",
             user_asan ? user_asan : "", user_asan && *user_asan ? ":" : "",
             mpi ? ":detect_leaks=0" : "");
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        putenv(cache);
        putenv(pocl);
        putenv(asan);
        putenv("CLNET_COMPILE_HELPER=1");
        putenv("OMPI_ALLOW_RUN_AS_ROOT=1");
        putenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* `clnet train config --out dir --quiet`, under `$MPIRUN -np 1` when mpi. */
static pid_t start_train(const char *dir, const char *caches, bool mpi)
{
    const char *bin = getenv("CLNET_BIN");
    const char *plain[] = {bin, "train", config, "--out", dir, "--quiet", NULL};
    const char *ranked[] = {getenv("MPIRUN"), "--oversubscribe", "-np", "1", bin, "train",
                            config, "--out", dir, "--quiet", NULL};
    return start(mpi ? ranked : plain, caches, mpi);
}

/* `clnet sweep folder --out root --quiet`. */
static pid_t start_sweep(const char *folder, const char *root, const char *caches)
{
    const char *argv[] = {getenv("CLNET_BIN"), "sweep", folder, "--out", root, "--quiet", NULL};
    return start(argv, caches, false);
}

/* The end of caches/log (Check's messages are limited to a few KB). */
static const char *log_tail(const char *caches)
{
    char *text = harness_keep(read_in(caches, "log", NULL));
    if (!text)
        return "(no log)";
    size_t n = strlen(text);
    return text + (n > 1500 ? n - 1500 : 0);
}

/* A fresh folder TMP/name: a trial's caches and log, or a sweep's experiments. */
static char *fresh_folder(const char *name)
{
    char *dir = path_in(harness_tmpdir(), name);
    if (mkdir(dir, 0755) != 0)
        abort();
    return dir;
}

/* Names in dir matching "*.tmp.*": clnet's temporary files (fs_atomic, cache_store). */
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

/* The "status" of a summary.json text (a static buffer), or "missing". */
static const char *status_of(const char *summary)
{
    static char status[64];
    const char *p = summary ? strstr(summary, "\"status\": \"") : NULL;
    if (!p)
        return "missing";
    p += strlen("\"status\": \"");
    snprintf(status, sizeof status, "%.*s", (int)strcspn(p, "\""), p);
    return status;
}

/* dir, run again to its end on the caches the killed run used, is the uninterrupted run. */
static void assert_rerun_matches(pid_t pid, const char *dir, const char *caches)
{
    int code = synth_wait(pid);
    ck_assert_msg(code == 0, "%s: the run after the kill: exit %d: %s", dir, code,
                  log_tail(caches));
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "completed"), "%s: %s", dir,
                  summary ? summary : "no summary.json");
    ck_assert_msg(same_file(reference, dir, "metrics.csv"),
                  "%s/metrics.csv differs from the uninterrupted run's", dir);
    char *clnet_cache = path_in(caches, "clnet");
    ck_assert_msg(temp_files(dir) == 0 && temp_files(clnet_cache) == 0,
                  "%s: temporary files left in the run folder or clnet's cache", dir);
    free(summary);
}

/* ---- train -------------------------------------------------------------------------------- */

/* SIGKILL 0.3 s, 1 s and 2.5 s after a cold start (each on empty caches): during the
 * helper's work, which lasts until the first step is done. The helper must have been seen
 * running at one moment at least, else the test proves nothing. In a sanitizer build
 * (harness_time_limit scaled) only the 1 s moment: each cold start there takes minutes, and
 * what the build adds (memory errors in the paths run) the one moment shows. */
START_TEST(test_killed_train_leaves_no_helper)
{
    static const double moments[] = {0.3, 1.0, 2.5};
    bool slow = harness_time_limit(1) > 1;
    int seen = 0;
    for (size_t i = slow ? 1 : 0; i < (slow ? 2 : sizeof moments / sizeof moments[0]); i++) {
        char name[32];
        snprintf(name, sizeof name, "train-kill-%zu", i);
        char *dir = run_dir(name), *caches = fresh_folder(name);
        pid_t pid = start_train(dir, caches, false);
        sleep_s(moments[i]);
        pid_t helper = find_process(pid, dir);
        kill(pid, SIGKILL);
        ck_assert_msg(synth_wait(pid) == 128 + SIGKILL, "%s: the run ended before %.1f s: %s",
                      dir, moments[i], log_tail(caches));
        seen += helper != 0;
        printf("train killed at %.1f s: compile helper %s\n", moments[i],
               helper ? "running" : "not running");
        assert_none_left(dir, harness_time_limit(5), "a killed clnet train");
        assert_rerun_matches(start_train(dir, caches, false), dir, caches);
    }
    ck_assert_msg(seen > 0, "the compile helper was never running when the run was killed");
}
END_TEST

/* ---- sweep -------------------------------------------------------------------------------- */

/* A sweep of the one experiment, killed while its run's helper works: the run gets SIGTERM,
 * so it ends (before its first step at once, with nothing to keep; after it at its next step,
 * with a checkpoint and status interrupted), and its helper with it; the same sweep started
 * again trains or resumes it to the uninterrupted run's metrics. */
START_TEST(test_killed_sweep_leaves_no_run)
{
    char *folder = fresh_folder("sweep"), *caches = fresh_folder("sweep-caches");
    char *text = read_all(config, NULL);
    harness_write(folder, "cnn.yaml", text);
    free(text);
    char *root = path_in(harness_tmpdir(), "sweep-out");
    char *dir = path_in(root, "sweep/cnn");
    pid_t pid = start_sweep(folder, root, caches);
    pid_t helper = wait_for_grandchild(pid, root, harness_time_limit(30));
    ck_assert_msg(helper, "no compile helper under the sweep within 30 s: %s",
                  log_tail(caches));
    kill(pid, SIGKILL);
    ck_assert_int_eq(synth_wait(pid), 128 + SIGKILL);
    assert_none_left(root, harness_time_limit(60), "a killed clnet sweep");
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(!summary || json_has_string(summary, "status", "interrupted"),
                  "the sweep's run was not stopped by the sweep's end: its status is %s, not "
                  "interrupted or none", status_of(summary));
    assert_rerun_matches(start_sweep(folder, root, caches), dir, caches);
    free(summary);
}
END_TEST

/* ---- mpirun ------------------------------------------------------------------------------- */

/* `mpirun -np 1 clnet train` (one rank: it starts a helper) with mpirun killed while the
 * helper works: Open MPI ends the rank (its launcher is gone), clnet the rank's helper. */
START_TEST(test_killed_mpirun_leaves_no_rank)
{
    char *dir = run_dir("mpi-kill"), *caches = fresh_folder("mpi-kill");
    pid_t pid = start_train(dir, caches, true);
    pid_t helper = wait_for_grandchild(pid, dir, harness_time_limit(30));
    ck_assert_msg(helper, "no compile helper under mpirun within 30 s: %s", log_tail(caches));
    kill(pid, SIGKILL);
    ck_assert_int_eq(synth_wait(pid), 128 + SIGKILL);
    assert_none_left(dir, harness_time_limit(10), "a killed mpirun -np 1 clnet train");
    assert_rerun_matches(start_train(dir, caches, true), dir, caches);
}
END_TEST

static Suite *children_suite(void)
{
    Suite *s = suite_create("children");
    /* Cold starts (empty caches) and runs after them, and in the sanitizer build every clnet
     * process slower: long. */
    TCase *tc = tcase_create("killed parents");
    tcase_set_timeout(tc, harness_time_limit(300));
    /* Each case kills its parent while the compile helper works: without the quirks unit
     * (-Dpocl_quirks=false) no helper starts, and a sweep's runs are tested in tests/sweep. */
    if (!quirks_built)
        printf("children: this build has no device quirks, hence no compile helper: the "
               "killed-parent cases are not run\n");
    if (quirks_built)
        tcase_add_test(tc, test_killed_train_leaves_no_helper);
    if (quirks_built)
        tcase_add_test(tc, test_killed_sweep_leaves_no_run);
    if (quirks_built && getenv("MPIRUN"))
        tcase_add_test(tc, test_killed_mpirun_leaves_no_rank);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    config = write_config("cnn.yaml", SMALL_CNN);
    reference = run_dir("reference");
    struct run_result *r = train(config, reference, NULL);
    if (r->exit_code != 0) {
        fprintf(stderr, "the uninterrupted run failed (exit %d): %s\n", r->exit_code, r->err);
        return 1;
    }
    free(r);
    return harness_run(children_suite(), true);
}
