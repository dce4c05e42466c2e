/* End-to-end tests of `clnet sweep` and of the progress output, run as a user runs them, on a
 * tiny synthetic MNIST-shaped set (tests/train/synth_data.c): the table has one row per
 * experiment and a column for the setting that differs; a failing run does not stop the
 * others (unless --fail-fast) and is listed; a sweep killed half way finishes only the missing
 * runs when started again; --jobs 2 gives the rows of --jobs 1; bad configs and clashing
 * names stop the sweep before anything runs; progress is updated in place on a terminal
 * (pseudo-terminal) and one plain line per evaluation in a pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cli/run.h"
#include "../train/synth_data.h"
#include "harness.h"

static char data_dir[4200];
static char cache_env[4300];

/* ---- helpers ---------------------------------------------------------------------------- */

static char *str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return harness_keep(s);
}

/* A fresh folder under the temp folder. */
static char *folder(const char *name)
{
    char *path = str("%s/%s", harness_tmpdir(), name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        abort();
    return path;
}

/* The base every experiment here starts from: the synthetic set, a small dense net, a few
 * dozen steps (iterations as given). */
static void write_base(const char *dir, int iterations)
{
    char *text = str("seed: 1\n"
                     "data: {dir: \"%s\"}\n"
                     "model:\n"
                     "  input: [784]\n"
                     "  layers:\n"
                     "    - dense: {units: 16, activation: relu}\n"
                     "    - dense: {units: 10}\n"
                     "train:\n"
                     "  iterations: %d\n"
                     "  batch_size: 16\n"
                     "  optimizer: {adam: {lr: 0.01}}\n"
                     "  eval_every: 20\n"
                     "  eval_batch_size: 100\n",
                     data_dir, iterations);
    harness_write(dir, "_base.yaml", text);
    free(text);
}

/* dir/file: an experiment on the base (a relative path) with `units` hidden units and extra
 * YAML after it. */
static void write_experiment(const char *dir, const char *file, const char *base, int units,
                             const char *extra)
{
    char *text = str("base: %s\n"
                     "model:\n"
                     "  layers:\n"
                     "    - dense: {units: %d, activation: relu}\n"
                     "    - dense: {units: 10}\n"
                     "%s",
                     base, units, extra ? extra : "");
    harness_write(dir, file, text);
    free(text);
}

static struct run_result *clnet(const char *const *argv)
{
    const char *env[] = {cache_env, NULL};
    struct run_result *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    run_clnet(r, argv, env);
    return r;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return harness_keep(strdup(buf));
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Line i (0-based) of text, without its newline (malloc'd), or NULL. */
static char *line_at(const char *text, int i)
{
    const char *p = text;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return NULL;
    return harness_keep(strndup(p, strcspn(p, "\n")));
}

static int count_prefix(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

static void assert_exit(const struct run_result *r, int want, const char *what)
{
    ck_assert_msg(r->exit_code == want, "%s: exit %d (signal %d), want %d; stderr: %s; stdout: %s",
                  what, r->exit_code, r->signal, want, r->err, r->out);
}

/* ---- 1. a sweep's table ------------------------------------------------------------------ */

START_TEST(test_sweep_table)
{
    char *dir = folder("grid"), *more = str("%s/more", dir), *root = folder("out1");
    write_base(dir, 100); /* --set below makes it 60 in every experiment */
    write_experiment(dir, "u8.yaml", "_base.yaml", 8, NULL);
    write_experiment(dir, "u16.yaml", "_base.yaml", 16, NULL);
    write_experiment(dir, "u32.yaml", "_base.yaml", 32, NULL);
    if (mkdir(more, 0755) != 0)
        abort();
    write_experiment(more, "u64.yaml", "../_base.yaml", 64, NULL);
    const char *argv[] = {"sweep", dir, "--out", root, "--set", "train.iterations=60", NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 0, "sweep grid");
    printf("sweep of 4: %.2f s\n", r->seconds);

    /* One row per experiment, in path order with numbers compared as numbers (more/u64.yaml
     * sorts before u8.yaml), and one column for the one setting that differs (the name is the
     * first column, not a setting). */
    char *csv = read_text(str("%s/grid/summary.csv", root));
    ck_assert_msg(csv, "no summary.csv; stdout: %s", r->out);
    const char *header = "name,model.layers.0.dense.units,final_test_accuracy,"
                         "best_test_accuracy,iterations_per_second,seconds,status";
    ck_assert_msg(strcmp(line_at(csv, 0), header) == 0, "header: %s", csv);
    ck_assert_msg(count_lines(csv) == 5, "want 4 rows: %s", csv);
    const char *names[] = {"u64", "u8", "u16", "u32"};
    const int units[] = {64, 8, 16, 32};
    for (int i = 0; i < 4; i++) {
        char *row = line_at(csv, i + 1);
        char *want = str("%s,%d,", names[i], units[i]);
        ck_assert_msg(strncmp(row, want, strlen(want)) == 0, "row %d: %s", i, csv);
        ck_assert_msg(strstr(row, ",completed") && strlen(strstr(row, ",completed")) == 10,
                      "row %d: %s", i, csv);
        double acc = strtod(row + strlen(want), NULL);
        ck_assert_msg(acc > 0.5, "row %d: final accuracy %g (chance 0.1): %s", i, acc, csv);
        char *summary = read_text(str("%s/grid/%s/summary.json", root, names[i]));
        ck_assert_msg(summary && strstr(summary, "\"status\": \"completed\"") &&
                          strstr(summary, "\"config_hash\": \"") &&
                          strstr(summary, "\"iterations\": 60,"),
                      "%s/summary.json: %s", names[i], summary);
    }
    char *md = read_text(str("%s/grid/summary.md", root));
    /* For people: 7 columns, the settings in a few words (the model; nothing else differs). */
    ck_assert_msg(md && strstr(md, "| u64 | 784-64⁺-10 | ") &&
                      strstr(md, "| name | settings | final test accuracy | best test accuracy "
                                 "| iterations/s | time (s) | status |\n"),
                  "summary.md: %s", md);
    /* The comparison plots: drawn only by a build with plots. */
    ck_assert_msg(exists(str("%s/grid/compare_accuracy.png", root)) == CLNET_HAVE_PLOTS,
                  "compare_accuracy.png: %s", CLNET_HAVE_PLOTS ? "missing" : "drawn");
    ck_assert_msg(exists(str("%s/grid/final_vs_model.layers.0.dense.units.png", root)) ==
                      CLNET_HAVE_PLOTS,
                  "final_vs_model.layers.0.dense.units.png: %s",
                  CLNET_HAVE_PLOTS ? "missing" : "drawn");

    /* In a pipe: plain lines, each prefixed by its run (or the sweep), one per evaluation. */
    ck_assert_msg(!strchr(r->out, '\r'), "a carriage return in piped output: %s", r->out);
    for (int i = 0; line_at(r->out, i); i++) {
        char *l = line_at(r->out, i);
        ck_assert_msg(strncmp(l, "sweep grid: ", 12) == 0 || strncmp(l, "u8: ", 4) == 0 ||
                          strncmp(l, "u16: ", 5) == 0 || strncmp(l, "u32: ", 5) == 0 ||
                          strncmp(l, "u64: ", 5) == 0,
                      "line %d has no run name: '%s'", i, l);
    }
    ck_assert_msg(count_prefix(r->out, "u32: iter ") == 4, "want 4 evaluations of u32 (the "
                  "first at iteration 0): %s", r->out);
    free(r);
}
END_TEST

/* ---- 2. failures ------------------------------------------------------------------------- */

static char *failing_dir(const char *name)
{
    char *dir = folder(name);
    write_base(dir, 40);
    /* a: diverges at once; c: its data folder is missing, found only when it runs. */
    write_experiment(dir, "a.yaml", "_base.yaml", 16,
                     "train: {optimizer: {sgd: {lr: 1e30}}}\n");
    write_experiment(dir, "b.yaml", "_base.yaml", 16, NULL);
    write_experiment(dir, "c.yaml", "_base.yaml", 16, "data: {dir: /nonexistent/mnist}\n");
    return dir;
}

START_TEST(test_sweep_failures_listed)
{
    char *dir = failing_dir("bad"), *root = folder("out2");
    const char *argv[] = {"sweep", dir, "--out", root, NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 1, "sweep with a diverging and a failing run");
    char *csv = read_text(str("%s/bad/summary.csv", root));
    ck_assert_msg(csv, "no summary.csv");
    ck_assert_msg(strstr(csv, "\na,") && strstr(line_at(csv, 1), ",diverged"), "a: %s", csv);
    ck_assert_msg(strstr(line_at(csv, 2), ",completed"), "b did not complete: %s", csv);
    ck_assert_msg(strstr(line_at(csv, 3), ",failed"), "c: %s", csv);
    ck_assert_msg(strstr(r->err, "2 of 3 runs did not complete"), "stderr: %s", r->err);
    ck_assert_msg(strstr(r->err, "\n  a: diverged (exit 1): ") &&
                      strstr(r->err, "\n  c: failed (exit 2): ") &&
                      strstr(r->err, "/nonexistent/mnist"),
                  "the list names each failure and its error: %s", r->err);
    const char *last = strstr(r->err, "clnet: error: sweep bad: 2 of 3 runs did not complete: "
                                      "a, c\n");
    ck_assert_msg(last && last[strcspn(last, "\n") + 1] == '\0', "last line: %s", r->err);
    free(r);
}
END_TEST

START_TEST(test_sweep_fail_fast)
{
    char *dir = failing_dir("badff"), *root = folder("out3");
    const char *argv[] = {"sweep", dir, "--out", root, "--fail-fast", NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 1, "sweep --fail-fast");
    char *csv = read_text(str("%s/badff/summary.csv", root));
    ck_assert_msg(csv && strstr(line_at(csv, 1), ",diverged") &&
                      strstr(line_at(csv, 2), ",not run") && strstr(line_at(csv, 3), ",not run"),
                  "after a fails, b and c are not run: %s", csv);
    ck_assert_msg(!exists(str("%s/badff/b", root)), "b ran");
    ck_assert_msg(strstr(r->err, "1 of 3 runs did not complete: a"), "stderr: %s", r->err);
    free(r);
}
END_TEST

/* ---- 3. resume after a kill ---------------------------------------------------------------- */

static long long mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

START_TEST(test_sweep_resumes_after_kill)
{
    char *dir = folder("resume"), *root = folder("out4");
    write_base(dir, 200);
    write_experiment(dir, "r1.yaml", "_base.yaml", 16, NULL);
    write_experiment(dir, "r2.yaml", "_base.yaml", 24, NULL);
    write_experiment(dir, "r3.yaml", "_base.yaml", 32, NULL);
    char *first = str("%s/resume/r1/summary.json", root);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0); /* a group of its own, to kill as a group */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        putenv(cache_env);
        execl(getenv("CLNET_BIN"), "clnet", "sweep", dir, "--out", root, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    /* Kill it as soon as the first run's summary says completed. */
    bool done = false;
    for (int i = 0; i < 6000 && !done; i++) {
        char *s = read_text(first);
        done = s && strstr(s, "\"status\": \"completed\"");
        free(s);
        if (!done)
            nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    ck_assert_msg(done, "the first run did not complete within 60 s");
    kill(-pid, SIGKILL);
    int ws;
    waitpid(pid, &ws, 0);
    ck_assert_msg(WIFSIGNALED(ws), "the sweep ended before it was killed");
    char *bytes = read_text(first);
    long long mtime = mtime_ns(first);
    char *third = str("%s/resume/r3/summary.json", root);
    ck_assert_msg(!exists(third) || !strstr(read_text(third), "\"completed\""),
                  "r3 completed before the kill: make the runs longer");

    const char *argv[] = {"sweep", dir, "--out", root, NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 0, "the sweep run again");
    ck_assert_msg(strstr(r->out, "r1: up to date"), "r1 is not reported up to date: %s", r->out);
    ck_assert_msg(!strstr(r->out, "r1: iter"), "r1 trained again: %s", r->out);
    char *again = read_text(first);
    ck_assert_msg(mtime_ns(first) == mtime && strcmp(again, bytes) == 0,
                  "r1's summary.json changed");
    char *csv = read_text(str("%s/resume/summary.csv", root));
    ck_assert_msg(csv && count_prefix(csv, "r") == 3 && strstr(line_at(csv, 1), ",completed") &&
                      strstr(line_at(csv, 2), ",completed") &&
                      strstr(line_at(csv, 3), ",completed"),
                  "every run completed: %s", csv);
    free(r);
}
END_TEST

/* Whether files a and b hold the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    bool same = f && g;
    for (int x = 0, y = 0; same && (x != EOF || y != EOF);) {
        x = fgetc(f);
        y = fgetc(g);
        same = x == y;
    }
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    return same;
}

/* A sweep given again with more iterations continues its runs from their checkpoints, as
 * `clnet train` does, and ends with the bytes a sweep of the larger count writes; a change of
 * anything else starts the run over. */
START_TEST(test_sweep_continues_to_more_iterations)
{
    char *dir = folder("more"), *root = folder("out_more"), *once = folder("out_once");
    write_base(dir, 40);
    write_experiment(dir, "m1.yaml", "_base.yaml", 16, NULL);
    const char *first[] = {"sweep", dir, "--out", root, NULL};
    struct run_result *r = clnet(first);
    assert_exit(r, 0, "a sweep of 40 iterations");
    free(r);
    const char *more[] = {"sweep", dir, "--out", root, "--set", "train.iterations=80", NULL};
    r = clnet(more);
    assert_exit(r, 0, "the sweep again with 80 iterations");
    ck_assert_msg(strstr(r->out, "m1: continuing a run of fewer iterations at iteration 40 of 80"),
                  "not continued: %s%s", r->out, r->err);
    free(r);
    const char *whole[] = {"sweep", dir, "--out", once, "--set", "train.iterations=80", NULL};
    r = clnet(whole);
    assert_exit(r, 0, "a sweep of 80 iterations");
    free(r);
    static const char *const files[] = {"metrics.csv", "steps.csv", "model.safetensors",
                                        "best.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        ck_assert_msg(same_bytes(str("%s/more/m1/%s", root, files[i]),
                                 str("%s/more/m1/%s", once, files[i])),
                      "%s: continued 40 -> 80 differs from one run of 80", files[i]);
    const char *other[] = {"sweep", dir, "--out", root, "--set", "train.iterations=80",
                           "--set", "train.optimizer.adam.lr=0.02", NULL};
    r = clnet(other);
    assert_exit(r, 0, "the sweep again with another learning rate");
    ck_assert_msg(!strstr(r->out, "continuing") && !strstr(r->err, "continuing") &&
                      !same_bytes(str("%s/more/m1/metrics.csv", root),
                                  str("%s/more/m1/metrics.csv", once)),
                  "another config was not started over: %s%s", r->out, r->err);
    free(r);
}
END_TEST

/* ---- 4. --jobs 2 ------------------------------------------------------------------------- */

/* The CSV without its iterations_per_second and seconds columns (the last three columns are
 * iterations_per_second, seconds, status): what does not depend on timing. */
static char *without_times(const char *csv)
{
    char *out = calloc(strlen(csv) + 1, 1);
    if (!out)
        abort();
    for (int i = 0; line_at(csv, i); i++) {
        char *l = line_at(csv, i);
        char *status = strrchr(l, ',');
        ck_assert_msg(status, "line %d: %s", i, csv);
        *status = '\0';
        char *seconds = strrchr(l, ',');
        ck_assert_msg(seconds, "line %d: %s", i, csv);
        *seconds = '\0';
        char *ips = strrchr(l, ',');
        ck_assert_msg(ips, "line %d: %s", i, csv);
        *ips = '\0';
        strcat(out, l);
        strcat(out, ",");
        strcat(out, status + 1);
        strcat(out, "\n");
        free(l);
    }
    return harness_keep(out);
}

START_TEST(test_sweep_jobs_same_rows)
{
    char *dir = folder("jobs"), *one = folder("out5"), *two = folder("out6");
    write_base(dir, 40);
    write_experiment(dir, "j1.yaml", "_base.yaml", 8, NULL);
    write_experiment(dir, "j2.yaml", "_base.yaml", 16, NULL);
    write_experiment(dir, "j3.yaml", "_base.yaml", 24, "seed: 7\n");
    const char *argv1[] = {"sweep", dir, "--out", one, "--jobs", "1", NULL};
    const char *argv2[] = {"sweep", dir, "--out", two, "-j", "2", NULL};
    struct run_result *r1 = clnet(argv1), *r2 = clnet(argv2);
    assert_exit(r1, 0, "--jobs 1");
    assert_exit(r2, 0, "--jobs 2");
    printf("3 runs: --jobs 1 %.2f s, --jobs 2 %.2f s\n", r1->seconds, r2->seconds);
    char *a = read_text(str("%s/jobs/summary.csv", one));
    char *b = read_text(str("%s/jobs/summary.csv", two));
    ck_assert_msg(a && b, "summary.csv missing");
    ck_assert_msg(strncmp(a, "name,model.layers.0.dense.units,seed,", 37) == 0,
                  "two settings differ: %s", a);
    char *ta = without_times(a), *tb = without_times(b);
    ck_assert_msg(strcmp(ta, tb) == 0, "--jobs 1:\n%s--jobs 2:\n%s", a, b);
    ck_assert_msg(count_prefix(ta, "j") == 3, "%s", ta);
    free(r1);
    free(r2);
}
END_TEST

/* A sweep hands its runs their settings as flags (util/options.h), never through their
 * environment: the user's (--dense-stack 0 here), and its own (--progress as it renders their
 * lines, --no-mpi, and with several jobs no compile helper and no spinning waits unless set);
 * --verbose shows each run's command, and the runs did as told. */
START_TEST(test_sweep_passes_settings_as_flags)
{
    char *dir = folder("flags"), *root = folder("out-flags");
    write_base(dir, 10);
    write_experiment(dir, "f1.yaml", "_base.yaml", 8, NULL);
    write_experiment(dir, "f2.yaml", "_base.yaml", 16, NULL);
    const char *argv[] = {"sweep", dir, "--out", root, "--jobs", "2", "--verbose",
                          "--dense-stack", "0", NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 0, "sweep --dense-stack 0");
    const char *want[] = {"--dense-stack 0", "--progress plain", "--no-mpi", "--spin-us 0",
                          "--compile-helper 0"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(r->out, want[i]),
                      "no %s in the runs' commands: %s", want[i], r->out);
    for (int k = 1; k <= 2; k++) {
        char *summary = read_text(str("%s/flags/f%d/summary.json", root, k));
        ck_assert_msg(summary && strstr(summary, "\"dense_stack\": false"), "f%d: %s", k,
                      summary ? summary : "no summary.json");
    }
    free(r);
}
END_TEST

/* ---- 5. refused before anything runs ------------------------------------------------------ */

START_TEST(test_sweep_bad_config_first)
{
    char *dir = folder("badcfg"), *root = folder("out7");
    write_base(dir, 40);
    write_experiment(dir, "a_good.yaml", "_base.yaml", 8, NULL);
    write_experiment(dir, "b_bad.yaml", "_base.yaml", 8, "train: {iteratons: 5}\n");
    const char *argv[] = {"sweep", dir, "--out", root, NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 2, "a bad config");
    ck_assert_msg(count_lines(r->err) == 1, "want one error line: %s", r->err);
    ck_assert_msg(strstr(r->err, "b_bad.yaml:6:") && strstr(r->err, "iterations"),
                  "want file:line:col and a suggestion: %s", r->err);
    ck_assert_msg(!exists(str("%s/badcfg", root)), "something ran");
    free(r);
}
END_TEST

START_TEST(test_sweep_same_name_refused)
{
    char *dir = folder("clash"), *root = folder("out8");
    write_base(dir, 40);
    write_experiment(dir, "x.yaml", "_base.yaml", 8, "name: same\n");
    write_experiment(dir, "y.yaml", "_base.yaml", 16, "name: same\n");
    const char *argv[] = {"sweep", dir, "--out", root, NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 2, "two experiments of one name");
    ck_assert_msg(count_lines(r->err) == 1 && strstr(r->err, "'same'") &&
                      strstr(r->err, "/clash/x.yaml") && strstr(r->err, "/clash/y.yaml"),
                  "want one line naming both files: %s", r->err);
    ck_assert_msg(!exists(str("%s/clash", root)), "something ran");
    free(r);
}
END_TEST

START_TEST(test_sweep_bad_device_refused)
{
    char *dir = folder("dev"), *root = folder("out9");
    write_base(dir, 40);
    write_experiment(dir, "d.yaml", "_base.yaml", 8, NULL);
    const char *argv[] = {"sweep", dir, "--out", root, "--devices", "nosuchdevice", NULL};
    struct run_result *r = clnet(argv);
    assert_exit(r, 2, "--devices nosuchdevice");
    ck_assert_msg(count_lines(r->err) == 1 && strstr(r->err, "nosuchdevice"), "%s", r->err);
    ck_assert_msg(!exists(str("%s/dev", root)), "something ran");
    free(r);
}
END_TEST

/* ---- 6. progress output ------------------------------------------------------------------- */

/* When each read of the last pseudo-terminal run arrived: its bytes end at read_end[k] of the
 * output and came at read_at[k] (monotonic seconds). */
#define MAX_READS (1 << 16)
static size_t read_end[MAX_READS];
static double read_at[MAX_READS];
static int n_reads;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* When the byte at offset of the last pseudo-terminal run's output arrived. */
static double arrival(size_t offset)
{
    for (int k = 0; k < n_reads; k++)
        if (read_end[k] > offset)
            return read_at[k];
    return NAN;
}

/* Runs clnet on a pseudo-terminal `columns` wide (TIOCSWINSZ, through forkpty) with the extra
 * environment entries env (NULL-terminated, may be NULL); returns all it printed, and keeps
 * when each part of it arrived (arrival). */
static char *run_on_pty_sized(const char *const *argv, int columns, const char *const *env,
                              int *exit_code)
{
    int master;
    struct winsize ws = {.ws_row = 40, .ws_col = (unsigned short)columns};
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    ck_assert(pid >= 0);
    if (pid == 0) {
        putenv(cache_env);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        const char *args[32] = {"clnet"};
        int n = 1;
        for (const char *const *a = argv; *a && n < 31; a++)
            args[n++] = *a;
        execv(getenv("CLNET_BIN"), (char *const *)args);
        _exit(127);
    }
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    n_reads = 0;
    for (;;) {
        ssize_t k = read(master, out + len, cap - 1 - len);
        if (k <= 0) /* EIO once the child has exited and closed the terminal */
            break;
        len += (size_t)k;
        if (n_reads < MAX_READS) {
            read_end[n_reads] = len;
            read_at[n_reads++] = now_seconds();
        }
    }
    out[len] = '\0';
    close(master);
    int ws_status;
    waitpid(pid, &ws_status, 0);
    *exit_code = WIFEXITED(ws_status) ? WEXITSTATUS(ws_status) : -1;
    return harness_keep(out);
}

static char *run_on_pty(const char *const *argv, int *exit_code)
{
    return run_on_pty_sized(argv, 160, NULL, exit_code);
}

/* The longest progress segment ("iter ..." between carriage returns and newlines). */
static size_t longest_progress(const char *out)
{
    size_t longest = 0;
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "\r\n");
        if (strncmp(p, "iter ", 5) == 0 && n > longest)
            longest = n;
        p += n + (p[n] != '\0');
    }
    return longest;
}

/* The images/s of the last progress line that shows one; NaN when none does. */
static double last_rate(const char *out)
{
    const char *last = NULL;
    for (const char *p = out; (p = strstr(p, " img/s")) != NULL; p++)
        last = p;
    if (!last)
        return NAN;
    while (last > out && last[-1] >= '0' && last[-1] <= '9')
        last--;
    return strtod(last, NULL);
}

/* The progress updates of a pseudo-terminal run's output after the first evaluation (at
 * first_eval) and before the last (total): each one's rate against want (images/s) and ETA
 * against the time that really was left until the final update arrived. The medians must be
 * within 20% (rate) and 30% (ETA; over the updates with at least 3 s left, less the half second
 * of its rounding to whole seconds); returns how many updates had an ETA checked. */
static int check_rate_and_eta(const char *out, long first_eval, long total, double want)
{
    char final[64];
    snprintf(final, sizeof final, "\riter %ld/%ld ", total, total);
    const char *last = strstr(out, final);
    ck_assert_msg(last, "no final update");
    double end = arrival((size_t)(last - out)), rate_err[4096], eta_err[4096];
    int n_rate = 0, n_eta = 0;
    for (const char *p = out; (p = strstr(p, "\riter ")) != NULL && p < last; p++) {
        long it = strtol(p + 6, NULL, 10);
        size_t len = strcspn(p + 1, "\r\n");
        char seg[256];
        snprintf(seg, sizeof seg, "%.*s", (int)(len < 255 ? len : 255), p + 1);
        const char *img = strstr(seg, " img/s"), *eta = strstr(seg, "ETA ");
        if (it < first_eval || !img || !eta || n_rate == 4096)
            continue;
        while (img > seg && img[-1] >= '0' && img[-1] <= '9')
            img--;
        rate_err[n_rate++] = fabs(strtod(img, NULL) / want - 1);
        long m = 0, sec = 0;
        double real = end - arrival((size_t)(p - out));
        if (sscanf(eta, "ETA %ld:%ld", &m, &sec) == 2 && real >= 3) /* shown to +-0.5 s */
            eta_err[n_eta++] = fmax(0, fabs((double)(60 * m + sec) - real) - 0.5) / real;
    }
    qsort(rate_err, (size_t)n_rate, sizeof *rate_err, compare_doubles);
    qsort(eta_err, (size_t)n_eta, sizeof *eta_err, compare_doubles);
    ck_assert_msg(n_rate > 0, "no update with a rate after the first evaluation");
    double rate_median = rate_err[n_rate / 2], eta_median = n_eta ? eta_err[n_eta / 2] : NAN;
    printf("progress at 80 columns after the first evaluation: rate error median %.1f%% (worst "
           "%.1f%%) over %d updates; ETA error median %.1f%% (worst %.1f%%) over %d updates "
           "with >= 3 s left\n", 100 * rate_median, 100 * rate_err[n_rate - 1], n_rate,
           100 * eta_median, n_eta ? 100 * eta_err[n_eta - 1] : NAN, n_eta);
    ck_assert_msg(rate_median <= 0.2, "the rate is off by %.0f%% (median)", 100 * rate_median);
    ck_assert_msg(n_eta == 0 || eta_median <= 0.3, "the ETA is off by %.0f%% (median)",
                  100 * eta_median);
    return n_eta;
}

/* A cold first run (empty kernel caches) on a terminal 60 and 80 columns wide: no progress line
 * passes the width, and at 80 the median rate after the first evaluation is within 20% of
 * summary.json's steady-state rate, though the first step carried
 * the kernels' compilation, and the median ETA within 30% of the time really left. */
START_TEST(test_train_progress_fits_width)
{
    static const int widths[] = {60, 80};
    char *dir = folder("fits");
    write_base(dir, 600);
    write_experiment(dir, "w.yaml", "_base.yaml", 256, "train: {eval_every: 200}\n");
    for (int i = 0; i < 2; i++) {
        char *out = str("%s/runs-%d", dir, widths[i]), *cold = folder(str("fits/cold%d",
                                                                           widths[i]));
        /* At 80 columns, steps enough for seconds of ETA to check (about 5 s here), at a
         * steady pace: plain SGD. (Adam's steps here slow down about 5 times after some 800
         * steps, it seems when first moments that stopped getting gradients decay into denormal
         * floats (beta1 0.5 or 0 runs at one pace): the window's rate follows the pace,
         * summary.json's mean mixes the two.) */
        long total = widths[i] < 80 ? 600 : 20000, every = total / 4;
        const char *argv[] = {"train", str("%s/w.yaml", dir), "--out", out, "--set",
                              str("train.iterations=%ld", total), "--set",
                              str("train.eval_every=%ld", every), "--set",
                              widths[i] < 80 ? "train.optimizer.adam.lr=0.01"
                                             : "train.optimizer.sgd.lr=0.1", NULL};
        const char *env[] = {str("COLUMNS=%d", widths[i]), str("CLNET_CACHE_DIR=%s/c", cold),
                             str("XDG_CACHE_HOME=%s", cold), harness_asan_full_unwind(), NULL};
        int code;
        char *tty = run_on_pty_sized(argv, widths[i], env, &code);
        ck_assert_msg(code == 0, "exit %d: %s", code, tty);
        ck_assert_msg(strstr(tty, str("\riter %ld/%ld  loss ", total, total)),
                      "no final update: %s", tty);
        size_t longest = longest_progress(tty);
        ck_assert_msg(longest < (size_t)widths[i], "a %zu-column progress line on %d columns: %s",
                      longest, widths[i], tty);
        if (widths[i] < 80)
            continue;
        char *summary = read_text(str("%s/summary.json", out));
        const char *ips = summary ? strstr(summary, "\"iterations_per_second\": ") : NULL;
        ck_assert_msg(ips, "no iterations_per_second: %s", summary);
        ck_assert_msg(summary[strlen(summary) - 1] == '\n', "summary.json ends without a "
                      "newline: %s", summary);
        /* Against the run's mean: a machine whose load changes during the run moves single
         * updates (a 2-core machine shared by a dozen jobs: up to 35% here), not the median. */
        double want = 16 * strtod(ips + 25, NULL);
        printf("progress at 80 columns: the last rate shown %.0f img/s, summary.json %.0f\n",
               last_rate(tty), want);
        if (check_rate_and_eta(tty, every, total, want) < 3)
            printf("the ETA was not checked: fewer than 3 updates with >= 3 s left (a fast "
                   "machine: more iterations would check it)\n");
    }
}
END_TEST

START_TEST(test_train_progress_tty_and_pipe)
{
    char *dir = folder("progress");
    write_base(dir, 60);
    write_experiment(dir, "p.yaml", "_base.yaml", 16, NULL);
    char *config = str("%s/p.yaml", dir);
    char *out_tty = str("%s/runs-tty", dir), *out_pipe = str("%s/runs-pipe", dir);
    const char *argv_tty[] = {"train", config, "--out", out_tty, NULL};
    int code;
    char *tty = run_on_pty(argv_tty, &code);
    ck_assert_msg(code == 0, "exit %d: %s", code, tty);
    /* In place: carriage returns, at least each evaluation's (20, 40, 60; the updates between
     * are at most 10 a second), and the final line. */
    int updates = 0;
    for (const char *p = tty; (p = strstr(p, "\riter ")) != NULL; p++)
        updates++;
    ck_assert_msg(updates >= 3, "want an in-place update at each evaluation: %d in %s", updates,
                  tty);
    /* The epoch: 60 steps of 16 of the 600 images are 1.6 epochs. */
    ck_assert_msg(strstr(tty, "\riter 60/60  epoch 1.60/1.60  loss "), "no final update: %s",
                  tty);
    ck_assert_msg(strstr(tty, "p: test accuracy "), "no final line: %s", tty);
    const char *fields[] = {"loss ", "acc ", "test ", "lr ", "img/s", "ETA ", "epoch "};
    for (int i = 0; i < 7; i++)
        ck_assert_msg(strstr(tty, fields[i]), "the progress line has no '%s': %s", fields[i], tty);

    const char *argv_pipe[] = {"train", config, "--out", out_pipe, NULL};
    struct run_result *r = clnet(argv_pipe);
    assert_exit(r, 0, "train in a pipe");
    ck_assert_msg(!strchr(r->out, '\r'), "a carriage return in a pipe: %s", r->out);
    ck_assert_msg(count_prefix(r->out, "iter ") == 4, "want one line per evaluation (0, 20, "
                  "40, 60): %s", r->out);
    ck_assert_msg(count_prefix(r->out, "iter 0/60  epoch 0.00/1.60  test ") == 1, "%s", r->out);
    ck_assert_msg(count_prefix(r->out, "iter 40/60  epoch 1.07/1.60  loss ") == 1, "%s", r->out);
    free(r);
}
END_TEST

START_TEST(test_sweep_progress_tty)
{
    char *dir = folder("sweeptty"), *root = folder("out10");
    /* Runs long enough that the live lines (redrawn at most every 0.1 s) show their progress
     * before they end: a build without plots did 600 iterations of t1 in 26 ms. */
    write_base(dir, 3000);
    write_experiment(dir, "t1.yaml", "_base.yaml", 8, NULL);
    write_experiment(dir, "t2.yaml", "_base.yaml", 16, NULL);
    const char *argv[] = {"sweep", dir, "--out", root, "--jobs", "2", "--set",
                          "train.eval_every=500", NULL};
    int code;
    char *tty = run_on_pty(argv, &code);
    ck_assert_msg(code == 0, "exit %d: %s", code, tty);
    /* Live lines (name, then the run's progress) redrawn in place with cursor movements; the
     * lines that stay are each run's first and last and the sweep's. */
    ck_assert_msg(strstr(tty, "\033[") && strstr(tty, "t1  iter ") && strstr(tty, "t2  iter "),
                  "no live lines: %s", tty);
    ck_assert_msg(strstr(tty, "t1: test accuracy ") && strstr(tty, "t2: test accuracy "),
                  "no final lines: %s", tty);
    ck_assert_msg(strstr(tty, "sweep sweeptty: 2 of 2 completed"), "no closing line: %s", tty);
    /* On a terminal, summary.md's table in columns: name, settings (the model here), ... */
    ck_assert_msg(strstr(tty, "name  settings") && strstr(tty, "t1    784-8⁺-10") &&
                      strstr(tty, "t2    784-16⁺-10"),
                  "no table: %s", tty);
}
END_TEST

static double test_started;

static void timer_start(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    test_started = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void timer_report(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    printf("  %.2f s\n", (double)t.tv_sec + 1e-9 * (double)t.tv_nsec - test_started);
}

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, timer_start, timer_report);
    tcase_add_test(tc, test_sweep_table);
    tcase_add_test(tc, test_sweep_failures_listed);
    tcase_add_test(tc, test_sweep_fail_fast);
    tcase_add_test(tc, test_sweep_resumes_after_kill);
    tcase_add_test(tc, test_sweep_continues_to_more_iterations);
    tcase_add_test(tc, test_sweep_jobs_same_rows);
    tcase_add_test(tc, test_sweep_passes_settings_as_flags);
    tcase_add_test(tc, test_sweep_bad_config_first);
    tcase_add_test(tc, test_sweep_same_name_refused);
    tcase_add_test(tc, test_sweep_bad_device_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("progress");
    tcase_set_timeout(tc, harness_time_limit(120)); /* cold starts: minutes under ASan */
    tcase_add_checked_fixture(tc, timer_start, timer_report);
    tcase_add_test(tc, test_train_progress_tty_and_pipe);
    tcase_add_test(tc, test_sweep_progress_tty);
    tcase_add_test(tc, test_train_progress_fits_width);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    snprintf(data_dir, sizeof data_dir, "%s/mnist", harness_tmpdir());
    synth_data_write(data_dir);
    snprintf(cache_env, sizeof cache_env, "CLNET_CACHE_DIR=%s/cache", harness_tmpdir());
    return harness_run(sweep_suite(), true);
}
