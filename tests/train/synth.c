/* The synthetic MNIST-shaped data set and the helpers the end-to-end training tests share
 * (see synth.h). */
#define _GNU_SOURCE
#include "synth.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "synth_data.h"
#include "harness.h"

char synth_data_dir[4200];
char synth_cache_env[4300];

/* ---- helpers ---------------------------------------------------------------------------- */

/* Writes a config that reads the synthetic set: a header (seed, data dir) then body. */
char *write_config(const char *name, const char *body)
{
    char *text = NULL;
    if (asprintf(&text, "seed: 1\ndata: {dir: \"%s\"}\n%s", synth_data_dir, body) < 0)
        abort();
    char *path = harness_write(NULL, name, text);
    free(text);
    return path;
}

/* A run directory path under the temp folder (not created). */
char *run_dir(const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/runs/%s", harness_tmpdir(), name) < 0)
        abort();
    return harness_keep(path);
}

char *path_in(const char *dir, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    return harness_keep(path);
}

void clnet(struct run_result *r, const char *const *argv)
{
    const char *env[] = {synth_cache_env, NULL};
    memset(r, 0, sizeof *r);
    run_clnet(r, argv, env);
}

/* clnet train CONFIG --out OUT [--set SET]... (sets NULL-terminated, may be NULL). */
struct run_result *train(const char *config, const char *out, const char *const *sets)
{
    const char *argv[40] = {"train", config, "--out", out};
    int n = 4;
    for (const char *const *s = sets; s && *s && n < 37; s++) {
        argv[n++] = "--set";
        argv[n++] = *s;
    }
    argv[n] = NULL;
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    return r;
}

/* The whole file (NUL-terminated), or NULL when it cannot be read. */
char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *read_in(const char *dir, const char *name, size_t *len)
{
    char *path = path_in(dir, name);
    char *text = read_all(path, len);
    free(path);
    return text;
}

bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

long long file_size(const char *dir, const char *name)
{
    char *path = path_in(dir, name);
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    free(path);
    return size;
}

/* The number after "key": in a JSON text (NAN when absent or not a number). */
double json_number(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return NAN;
    p += strlen(pat);
    char *end;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

/* Whether "key": "value" is in a JSON text (one space or none after the colon). */
bool json_has_string(const char *json, const char *key, const char *value)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "\"%s\": \"%s\"", key, value);
    snprintf(b, sizeof b, "\"%s\":\"%s\"", key, value);
    return json && (strstr(json, a) || strstr(json, b));
}

bool same_file(const char *dir_a, const char *dir_b, const char *name)
{
    size_t la, lb;
    char *a = read_in(dir_a, name, &la), *b = read_in(dir_b, name, &lb);
    bool same = a && b && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    return same;
}

/* Asserts a completed run and returns its summary.json text. */
char *completed_summary(const struct run_result *r, const char *dir)
{
    ck_assert_msg(r->exit_code == 0, "exit %d (signal %d); stderr: %s; stdout: %s", r->exit_code,
                  r->signal, r->err, r->out);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary, "%s/summary.json is missing", dir);
    ck_assert_msg(json_has_string(summary, "status", "completed"), "%s", summary);
    return summary;
}

void assert_eval_matches_summary(const char *dir)
{
    struct run_result *r = calloc(1, sizeof *r);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(r && summary, "%s/summary.json is missing", dir);
    char want[64];
    snprintf(want, sizeof want, "test accuracy %.4f", json_number(summary, "final_test_accuracy"));
    const char *argv[] = {"eval", dir, NULL};
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "clnet eval %s: exit %d: %s", dir, r->exit_code, r->err);
    ck_assert_msg(strstr(r->out, want), "want '%s' in: %s", want, r->out);
    free(summary);
    free(r);
}

void synth_setup(void)
{
    snprintf(synth_data_dir, sizeof synth_data_dir, "%s/mnist", harness_tmpdir());
    synth_data_write(synth_data_dir);
    snprintf(synth_cache_env, sizeof synth_cache_env, "CLNET_CACHE_DIR=%s/cache",
             harness_tmpdir());
    char runs[4300];
    snprintf(runs, sizeof runs, "%s/runs", harness_tmpdir());
    if (mkdir(runs, 0755) != 0) {
        perror(runs);
        abort();
    }
}

int synth_wait(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            abort();
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
