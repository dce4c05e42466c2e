/* The cold start's compile helper (runtime/quirks.h). PoCL's CPU device compiles each kernel
 * at its first launch, on the one host thread that reaches it, one after another under a
 * process-wide lock (PoCL 3.1); a second process compiles on the other core into the same
 * on-disk kernel cache, where the training process then finds what it has not reached yet
 * (train_warm_kernels says what the helper runs). It changes no result: the kernels are the
 * same either way.
 *
 * The helper is `clnet compile-helper` with the run's config, flags and settings, started with
 * posix_spawn (glibc: a vfork-style clone, then exec): the training process is never copied,
 * so a process that is an MPI rank (`mpirun -np 1`) never forks after MPI_Init, and nothing
 * of OpenCL's or MPI's state is shared. It ties itself to its parent first thing
 * (quirks_helper_tie). */
#define _GNU_SOURCE
#include "runtime/quirks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/quirks_pocl.h"
#include "util/parent.h"

#define HELPER_MAX_ARGS 256

extern char **environ;

static int helper_setting = OPTIONS_UNSET;

void quirks_helper_configure(int compile_helper)
{
    helper_setting = compile_helper;
}

bool quirks_helper_wanted(void)
{
    if (helper_setting != OPTIONS_UNSET)
        return helper_setting == 1;
    return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/* argv with "--parent PID" after argv[1], into out (NULL-ended); false when it does not fit. */
static bool with_parent(char **out, const char *const *argv, char *pid)
{
    int n = 0;
    for (int i = 0; argv[i]; i++) {
        if (n + 4 >= HELPER_MAX_ARGS)
            return false;
        out[n++] = (char *)argv[i];
        if (i == 1) {
            out[n++] = "--parent";
            out[n++] = pid;
        }
    }
    out[n] = NULL;
    return n >= 4;
}

pid_t quirks_helper_start(const char *const *argv)
{
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "%ld", (long)getpid());
    char *args[HELPER_MAX_ARGS];
    if (!with_parent(args, argv, pid_text)) {
        errno = E2BIG;
        return -1;
    }
    fflush(NULL);
    posix_spawn_file_actions_t files;
    posix_spawnattr_t attr;
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    int err = posix_spawn_file_actions_init(&files);
    if (err == 0 && (err = posix_spawnattr_init(&attr)) != 0)
        posix_spawn_file_actions_destroy(&files);
    if (err != 0) {
        errno = err;
        return -1;
    }
    for (int fd = 0; fd < 3 && err == 0; fd++)
        err = posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY,
                                               0);
    if (err == 0)
        err = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (err == 0)
        err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    if (err == 0)
        err = posix_spawn(&pid, "/proc/self/exe", &files, &attr, args, environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return pid;
}

/* SIGKILL when the training process ends, however it ends: the helper's work is of use to that
 * process only, and nothing it leaves is half-written (PoCL writes its cache through temporary
 * files and rename). */
bool quirks_helper_tie(pid_t parent)
{
    return parent_tie(parent, SIGKILL);
}

enum quirks_helper_end quirks_helper_stop(pid_t pid)
{
    if (pid <= 0)
        return QUIRKS_HELPER_NONE;
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == pid)
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? QUIRKS_HELPER_DONE : QUIRKS_HELPER_FAILED;
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return QUIRKS_HELPER_STOPPED;
}
