/* clnet under `mpirun --oversubscribe -np 2` ($MPIRUN), end to end on the synthetic data set
 * of tests/train/synth.c: a sweep over two ranks gives the table one process gives; 50 steps
 * of data-parallel training give the weights one process gives with the same global batch
 * (within 1e-5 relative); killing one rank mid-sweep keeps the finished runs and a rerun
 * completes the rest. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../train/synth.h"
#include "harness.h"
#include "model/safetensors.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Starts `mpirun --oversubscribe -np ranks CLNET_BIN args...` (ranks 0: clnet alone), output
 * to log. */
static pid_t start(int ranks, const char *log, const char *const *args)
{
    const char *argv[40];
    int n = 0;
    const char *mpirun = getenv("MPIRUN"), *bin = getenv("CLNET_BIN");
    char np[16];
    snprintf(np, sizeof np, "%d", ranks);
    if (ranks > 0) {
        argv[n++] = mpirun;
        argv[n++] = "--oversubscribe";
        argv[n++] = "-np";
        argv[n++] = np;
    }
    argv[n++] = bin;
    for (const char *const *a = args; *a && n < 38; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        putenv(synth_cache_env);
        putenv("OMPI_ALLOW_RUN_AS_ROOT=1");
        putenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
        putenv("OMPI_MCA_rmaps_base_oversubscribe=1");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}


/* The end of a log (Check's messages are limited to a few KB). */
static const char *tail_of(const char *log)
{
    char *text = read_all(log, NULL);
    if (!text)
        return "(no log)";
    size_t n = strlen(text);
    return n > 2000 ? text + n - 2000 : text;
}

static int run(int ranks, const char *log, const char *const *args)
{
    return synth_wait(start(ranks, log, args));
}

static char *tmp_path(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", harness_tmpdir(), name) < 0)
        abort();
    return p;
}

/* A folder of four small experiments (units 8, 16, 24, 32), iterations each. */
static char *write_sweep(const char *name, int iterations)
{
    char *dir = tmp_path(name);
    if (mkdir(dir, 0755) != 0)
        abort();
    for (int k = 1; k <= 4; k++) {
        char file[64], *text = NULL;
        snprintf(file, sizeof file, "u%02d.yaml", 8 * k);
        if (asprintf(&text,
                     "seed: 3\n"
                     "data: {dir: \"%s\"}\n"
                     "model:\n"
                     "  input: [784]\n"
                     "  layers:\n"
                     "    - dense: {units: %d, activation: sigmoid}\n"
                     "    - dense: {units: 10}\n"
                     "train:\n"
                     "  iterations: %d\n"
                     "  batch_size: 20\n"
                     "  optimizer: {sgd: {lr: 0.5}}\n"
                     "  eval_every: %d\n"
                     "  eval_batch_size: 100\n"
                     "  checkpoint_every: 20\n",
                     synth_data_dir, 8 * k, iterations, iterations / 2) < 0)
            abort();
        free(harness_write(dir, file, text));
        free(text);
    }
    return dir;
}

/* summary.csv without its iterations_per_second and seconds columns. */
static char *without_times(const char *csv)
{
    char *out = calloc(strlen(csv) + 1, 1);
    const char *line = csv;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        /* name,params...,final,best,ips,seconds,status: drop the 3rd and 2nd from the end */
        const char *commas[64];
        int n = 0;
        for (size_t i = 0; i < len && n < 64; i++)
            if (line[i] == ',')
                commas[n++] = line + i;
        ck_assert_msg(n >= 3, "summary.csv line: %.*s", (int)len, line);
        strncat(out, line, (size_t)(commas[n - 3] - line));
        strncat(out, commas[n - 1], (size_t)(line + len - commas[n - 1]));
        strcat(out, "\n");
        line = end ? end + 1 : line + len;
    }
    return out;
}

START_TEST(test_sweep_two_ranks_same_table)
{
    char *dir = write_sweep("sweep-table", 60);
    char *one = tmp_path("one"), *two = tmp_path("two");
    char *log1 = tmp_path("one.log"), *log2 = tmp_path("two.log");
    const char *a1[] = {"sweep", dir, "--out", one, NULL};
    const char *a2[] = {"sweep", dir, "--out", two, NULL};
    ck_assert_msg(run(0, log1, a1) == 0, "%s", tail_of(log1));
    ck_assert_msg(run(2, log2, a2) == 0, "%s", tail_of(log2));
    char *t1 = read_in(one, "sweep-table/summary.csv", NULL);
    char *t2 = read_in(two, "sweep-table/summary.csv", NULL);
    ck_assert_msg(t1 && t2, "summary.csv missing");
    char *c1 = without_times(t1), *c2 = without_times(t2);
    ck_assert_msg(strcmp(c1, c2) == 0, "one process:\n%s\ntwo ranks:\n%s", c1, c2);
    ck_assert_int_eq(count_lines(c1), 5);
    /* Both ranks ran some of them: each run directory has its weights, once. */
    for (int k = 1; k <= 4; k++) {
        char run[64];
        snprintf(run, sizeof run, "sweep-table/u%02d", 8 * k);
        char *rd = path_in(two, run);
        ck_assert_msg(same_file(path_in(one, run), rd, "metrics.csv"), "%s differs", run);
        free(rd);
    }
    free(c1), free(c2), free(t1), free(t2);
    free(dir), free(one), free(two), free(log1), free(log2);
}
END_TEST

/* The largest |a - b| over the largest |a|, over every tensor of two safetensors files. */
static double weights_difference(const char *a_path, const char *b_path)
{
    struct safetensors a, b;
    ck_assert_msg(safetensors_read(&a, a_path) == 0, "%s", a_path);
    ck_assert_msg(safetensors_read(&b, b_path) == 0, "%s", b_path);
    ck_assert_int_eq(a.n, b.n);
    double diff = 0, scale = 0;
    for (int i = 0; i < a.n; i++) {
        const struct st_entry *x = &a.entries[i], *y = safetensors_find(&b, x->name);
        ck_assert_msg(y && y->count == x->count, "%s", x->name);
        const float *p = x->data, *q = y->data;
        for (int64_t k = 0; k < x->count; k++) {
            diff = fmax(diff, fabs((double)p[k] - q[k]));
            scale = fmax(scale, fabs((double)p[k]));
        }
    }
    safetensors_free(&a);
    safetensors_free(&b);
    return diff / scale;
}

static const char *const optimizers[] = {"{sgd: {lr: 0.5, momentum: 0.9}}",
                                         "{adam: {lr: 0.003}}"};

START_TEST(test_data_parallel_matches_one_process)
{
    char body[1024], name[32];
    snprintf(body, sizeof body,
             "model:\n"
             "  input: [784]\n"
             "  layers:\n"
             "    - dense: {units: 64, activation: sigmoid}\n"
             "    - dense: {units: 10}\n"
             "train:\n"
             "  iterations: 50\n"
             "  batch_size: 40\n"
             "  optimizer: %s\n"
             "  eval_every: 25\n"
             "  eval_batch_size: 100\n",
             optimizers[_i]);
    snprintf(name, sizeof name, "dp%d.yaml", _i);
    char *config = write_config(name, body);
    snprintf(name, sizeof name, "dp%d-one", _i);
    char *one = run_dir(name);
    snprintf(name, sizeof name, "dp%d-two", _i);
    char *two = run_dir(name);
    char *log1 = tmp_path("dp-one.log"), *log2 = tmp_path("dp-two.log");
    const char *a1[] = {"train", config, "--out", one, NULL};
    const char *a2[] = {"train", config, "--out", two, NULL};
    ck_assert_msg(run(0, log1, a1) == 0, "%s", tail_of(log1));
    ck_assert_msg(run(2, log2, a2) == 0, "%s", tail_of(log2));
    char *w1 = path_in(one, "model.safetensors"), *w2 = path_in(two, "model.safetensors");
    double d = weights_difference(w1, w2);
    ck_assert_msg(d <= 1e-5, "%s: weights differ by %g relative after 50 steps", optimizers[_i],
                  d);
    char *log = read_all(log2, NULL);
    ck_assert_msg(strstr(log, "(20 per rank on 2 ranks)"), "%s", log);
    /* Only rank 0 wrote: one metrics.csv, with the batch's loss (all 40 rows). */
    char *m1 = read_in(one, "metrics.csv", NULL), *m2 = read_in(two, "metrics.csv", NULL);
    ck_assert_int_eq(count_lines(m1), count_lines(m2));
    free(m1), free(m2), free(log), free(w1), free(w2);
    free(config), free(one), free(two), free(log1), free(log2);
}
END_TEST

/* The pid of a rank: a child of mpirun whose command line is CLNET_BIN sweep ... */
static pid_t find_rank(pid_t mpirun)
{
    const char *bin = getenv("CLNET_BIN");
    DIR *d = opendir("/proc");
    pid_t found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d)) != NULL;) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        int ppid = 0;
        if (!f)
            continue;
        if (fscanf(f, "%*d %*s %*c %d", &ppid) != 1)
            ppid = 0;
        fclose(f);
        if (ppid != mpirun)
            continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        if (strcmp(buf, bin) == 0 && strcmp(buf + strlen(buf) + 1, "sweep") == 0)
            found = pid;
    }
    if (d)
        closedir(d);
    return found;
}

static long long mtime_ns(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_mtim.tv_sec * 1000000000LL +
                                      st.st_mtim.tv_nsec
                                : -1;
}

START_TEST(test_killed_rank_keeps_finished_runs)
{
    char *dir = write_sweep("sweep-kill", 400);
    char *out = tmp_path("killed"), *log = tmp_path("killed.log");
    const char *args[] = {"sweep", dir, "--out", out, NULL};
    pid_t pid = start(2, log, args);
    /* Wait for the first completed run, then SIGKILL one rank. */
    char *finished = NULL;
    double t0 = now();
    while (!finished && now() - t0 < 120) {
        for (int k = 1; k <= 4 && !finished; k++) {
            char rel[64];
            snprintf(rel, sizeof rel, "sweep-kill/u%02d", 8 * k);
            char *rd = path_in(out, rel);
            char *summary = read_in(rd, "summary.json", NULL);
            if (summary && json_has_string(summary, "status", "completed"))
                finished = rd;
            else
                free(rd);
            free(summary);
        }
        usleep(20000);
    }
    ck_assert_msg(finished, "no run completed in 120 s: %s", tail_of(log));
    pid_t rank = find_rank(pid);
    ck_assert_msg(rank > 0, "no rank process found under mpirun %d", pid);
    char *weights = path_in(finished, "model.safetensors");
    long long before = mtime_ns(weights);
    kill(rank, SIGKILL);
    int code = synth_wait(pid);
    ck_assert_msg(code != 0, "mpirun exit 0 after a rank was killed");
    ck_assert_msg(mtime_ns(weights) == before, "%s changed", weights);
    /* The rerun (one process here) completes the rest and leaves the finished run alone. */
    char *log2 = tmp_path("rerun.log");
    ck_assert_msg(run(0, log2, args) == 0, "%s", tail_of(log2));
    ck_assert_msg(mtime_ns(weights) == before, "the finished run was trained again");
    char *table = read_in(out, "sweep-kill/summary.csv", NULL);
    ck_assert_msg(table && count_lines(table) == 5 && !strstr(table, "failed") &&
                      !strstr(table, "interrupted"),
                  "%s", table);
    free(table), free(log2), free(weights), free(finished), free(dir), free(out), free(log);
}
END_TEST

int main(void)
{
    synth_setup();
    Suite *s = suite_create("mpi");
    TCase *tc = tcase_create("mpi");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sweep_two_ranks_same_table);
    tcase_add_loop_test(tc, test_data_parallel_matches_one_process, 0, 2);
    tcase_add_test(tc, test_killed_rank_keeps_finished_runs);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
