/* tests/hostile/hostile.h: running clnet under limits, and snapshots of what it touched. */
#define _GNU_SOURCE
#include "hostile.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "../train/synth_data.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif

char hostile_data_dir[4200];
long hostile_fsize;

void hostile_setup(void)
{
    snprintf(hostile_data_dir, sizeof hostile_data_dir, "%s/mnist", harness_tmpdir());
    synth_data_write(hostile_data_dir);
}

char *hostile_dir(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", harness_tmpdir(), name) < 0 || (mkdir(p, 0755) && errno != EEXIST))
        abort();
    return harness_keep(p);
}

char *hostile_file(const char *dir, const char *name, const char *text)
{
    return harness_write(dir, name, text);
}

char *hostile_config(const char *dir, const char *name, const char *run_name, const char *extra)
{
    char *text = NULL;
    if (asprintf(&text,
                 "%s%s%sseed: 1\ndata: {dir: %s}\nmodel:\n  input: [784]\n  layers:\n"
                 "    - dense: {units: 16, activation: relu}\n    - dense: {units: 10}\n"
                 "train: {iterations: 2, batch_size: 10, eval_every: 2}\n%s",
                 run_name ? "name: '" : "", run_name ? run_name : "", run_name ? "'\n" : "",
                 hostile_data_dir, extra ? extra : "") < 0)
        abort();
    char *path = harness_write(dir, name, text);
    free(text);
    return path;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The child's side: limits, folder, environment, exec. */
static void child(const char *cwd, const char *const *argv, const char *const *env, int mem_mib,
                  const int out[2], const int err[2])
{
    dup2(out[1], 1);
    dup2(err[1], 2);
    /* only 1 and 2 may hold the pipes: a process clnet leaves behind must not keep them open */
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
#ifndef HOSTILE_ASAN
    struct rlimit lim = {(rlim_t)mem_mib << 20, (rlim_t)mem_mib << 20};
    setrlimit(RLIMIT_AS, &lim);
#else
    (void)mem_mib;
#endif
    if (hostile_fsize > 0) {
        struct rlimit f = {(rlim_t)hostile_fsize, (rlim_t)hostile_fsize};
        setrlimit(RLIMIT_FSIZE, &f);
    }
    if (cwd && chdir(cwd) != 0)
        _exit(126);
    for (const char *const *e = env; e && *e; e++)
        putenv((char *)*e);
    const char *args[64] = {getenv("CLNET_BIN")};
    int n = 1;
    for (const char *const *a = argv; *a && n < 63; a++)
        args[n++] = *a;
    args[n] = NULL;
    execv(args[0], (char *const *)args);
    _exit(127);
}

void hostile_run(struct run_result *r, const char *cwd, const char *const *argv,
                 const char *const *env, double seconds, int mem_mib)
{
    hostile_run_signal(r, cwd, argv, env, seconds, mem_mib, 0, 0);
}

void hostile_run_signal(struct run_result *r, const char *cwd, const char *const *argv,
                        const char *const *env, double seconds, int mem_mib, int sig,
                        double after)
{
    memset(r, 0, sizeof *r);
    ck_assert_ptr_nonnull(getenv("CLNET_BIN"));
    int out[2], err[2];
    ck_assert(pipe(out) == 0 && pipe(err) == 0);
    double t0 = now(), limit = harness_time_limit(seconds);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        child(cwd, argv, env, mem_mib, out, err);
    close(out[1]);
    close(err[1]);
    size_t len[2] = {0, 0};
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    bool killed = false, signalled = sig == 0;
    double t_sig = t0;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        double left = limit - (now() - t0), to_sig = after - (now() - t0);
        if (!signalled && to_sig <= 0) {
            kill(pid, sig);
            signalled = true;
            t_sig = now();
        }
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        double wait = left > 0 ? left : 0.1;
        if (!signalled && to_sig < wait)
            wait = to_sig > 0 ? to_sig : 0;
        if (poll(fds, 2, (int)(wait * 1000) + 1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i == 0 ? r->out : r->err;
            char scratch[4096];
            ssize_t k = read(fds[i].fd, scratch, sizeof scratch);
            if (k <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                continue;
            }
            size_t room = sizeof r->out - 1 - len[i], take = (size_t)k < room ? (size_t)k : room;
            memcpy(buf + len[i], scratch, take);
            len[i] += take;
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->seconds = now() - (sig ? t_sig : t0);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

void hostile_assert_error(const struct run_result *r, int code, const char *const *words)
{
    ck_assert_msg(r->signal == 0, "killed by signal %d after %.1f s (a hang or a crash); "
                  "stderr: %s", r->signal, r->seconds, r->err);
    ck_assert_msg(r->exit_code == code, "exit %d, want %d; stderr: %s", r->exit_code, code,
                  r->err);
    ck_assert_msg(count_lines(r->err) == 1, "want one stderr line: %s", r->err);
    for (const char *const *w = words; w && *w; w++)
        ck_assert_msg(strstr(r->err, *w), "stderr lacks '%s': %s", *w, r->err);
}

/* ---- snapshots ---------------------------------------------------------------------------- */

struct entry {
    char *path; /* relative to the root */
    mode_t type;
    long long size;
    uint64_t hash; /* content (regular files) or link target */
};

struct tree {
    struct entry *e;
    size_t n, cap;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t content_hash(const char *path)
{
    uint64_t h = 14695981039346656037ULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    char buf[65536];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        h = fnv(h, buf, (size_t)k);
    close(fd);
    return h;
}

static void add_entry(struct tree *t, const char *rel, const char *full, const struct stat *st)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->e = realloc(t->e, t->cap * sizeof *t->e);
        ck_assert_ptr_nonnull(t->e);
    }
    struct entry *e = &t->e[t->n++];
    e->path = strdup(rel);
    e->type = st->st_mode & S_IFMT;
    e->size = (long long)st->st_size;
    e->hash = 0;
    if (S_ISREG(st->st_mode))
        e->hash = content_hash(full);
    else if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t k = readlink(full, target, sizeof target);
        e->hash = k > 0 ? fnv(14695981039346656037ULL, target, (size_t)k) : 0;
    }
}

static void walk(struct tree *t, const char *root, const char *rel)
{
    char full[8192];
    snprintf(full, sizeof full, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(full);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char r2[4096], f2[8192];
        snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(f2, sizeof f2, "%s/%s", root, r2);
        struct stat st;
        if (lstat(f2, &st) != 0)
            continue;
        add_entry(t, r2, f2, &st);
        if (S_ISDIR(st.st_mode))
            walk(t, root, r2);
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

struct tree *tree_snapshot(const char *root)
{
    struct tree *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    walk(t, root, "");
    qsort(t->e, t->n, sizeof *t->e, by_path);
    return t;
}

static bool allowed_path(const char *path, const char *const *allowed)
{
    for (const char *const *a = allowed; a && *a; a++) {
        size_t n = strlen(*a);
        if (strncmp(path, *a, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return true;
    }
    return false;
}

static const struct entry *find(const struct tree *t, const char *path)
{
    struct entry key = {.path = (char *)path};
    return bsearch(&key, t->e, t->n, sizeof *t->e, by_path);
}

void tree_assert_same(const struct tree *before, const struct tree *after,
                      const char *const *allowed)
{
    for (size_t i = 0; i < before->n; i++) {
        const struct entry *b = &before->e[i], *a = find(after, b->path);
        if (allowed_path(b->path, allowed))
            continue;
        ck_assert_msg(a, "%s was removed", b->path);
        ck_assert_msg(a->type == b->type && a->size == b->size && a->hash == b->hash,
                      "%s was changed", b->path);
    }
    for (size_t i = 0; i < after->n; i++)
        ck_assert_msg(allowed_path(after->e[i].path, allowed) || find(before, after->e[i].path),
                      "%s was created", after->e[i].path);
}

void tree_free(struct tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].path);
    free(t->e);
    free(t);
}

void assert_no_temp_files(const char *root)
{
    struct tree *t = tree_snapshot(root);
    for (size_t i = 0; i < t->n; i++)
        ck_assert_msg(!strstr(t->e[i].path, ".tmp."), "temp file left: %s/%s", root,
                      t->e[i].path);
    tree_free(t);
}

void hostile_run_in(struct run_result *r, const char *dir, const char *const *argv,
                    const char *const *allowed, double seconds, int mem_mib)
{
    struct tree *before = tree_snapshot(harness_tmpdir());
    hostile_run(r, dir, argv, NULL, seconds, mem_mib);
    struct tree *after = tree_snapshot(harness_tmpdir());
    tree_assert_same(before, after, allowed);
    tree_free(before);
    tree_free(after);
    assert_no_temp_files(harness_tmpdir());
}
