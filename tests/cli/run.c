/* Runs the clnet binary in a child process with its output captured (see run.h). */
#define _GNU_SOURCE
#include "run.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void run_clnet(struct run_result *r, const char *const *argv, const char *const *env)
{
    const char *bin = getenv("CLNET_BIN");
    if (!bin) {
        fprintf(stderr, "run_clnet: CLNET_BIN is not set (meson sets it)\n");
        abort();
    }
    int out[2], err[2];
    if (pipe(out) || pipe(err))
        abort();
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        const char *args[64] = {bin};
        int n = 1;
        for (const char *const *a = argv; *a && n < 63; a++)
            args[n++] = *a;
        args[n] = NULL;
        execv(bin, (char *const *)args);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    size_t no = 0, ne = 0;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i == 0 ? r->out : r->err;
            size_t *len = i == 0 ? &no : &ne;
            char scratch[4096];
            ssize_t k = read(fds[i].fd, scratch, sizeof scratch);
            if (k <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            size_t room = sizeof r->out - 1 - *len;
            size_t take = (size_t)k < room ? (size_t)k : room;
            memcpy(buf + *len, scratch, take);
            *len += take;
        }
    }
    r->out[no] = '\0';
    r->err[ne] = '\0';
    int status = 0;
    waitpid(pid, &status, 0);
    r->seconds = now() - t0;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int count_lines(const char *s)
{
    int n = 0;
    for (const char *p = s; *p; p++)
        if (*p == '\n')
            n++;
    if (*s && s[strlen(s) - 1] != '\n')
        n++;
    return n;
}
