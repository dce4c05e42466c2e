/* train/compile_helper.h: forking the cold start's compile helper and ending it. */
#include "train/compile_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cache.h"
#include "runtime/runtime.h"
#include "util/parent.h"
#include "util/status.h"

int compile_helper_wanted(bool *want)
{
    const char *env = getenv("CLNET_COMPILE_HELPER");
    if (env && *env) {
        if (strcmp(env, "0") != 0 && strcmp(env, "1") != 0)
            return clnet_errorf(CLNET_ERR_USAGE, "CLNET_COMPILE_HELPER=%s: expected 0 or 1",
                                env);
        *want = strcmp(env, "1") == 0;
        return CLNET_OK;
    }
    *want = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    return CLNET_OK;
}

pid_t compile_helper_start(int (*body)(void *), void *arg)
{
    fflush(NULL); /* else both processes would write what is buffered */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* SIGKILL when the training process ends, however it ends: the helper's work is of use to
     * that process only, and nothing it leaves is half-written (PoCL writes its cache through
     * temporary files and rename). */
    if (!parent_tie(parent, SIGKILL))
        _exit(1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    _exit(body(arg) == 0 ? 0 : 1);
}

enum compile_helper_end compile_helper_stop(pid_t pid)
{
    if (pid <= 0)
        return COMPILE_HELPER_NONE;
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == pid)
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? COMPILE_HELPER_DONE : COMPILE_HELPER_FAILED;
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return COMPILE_HELPER_STOPPED;
}

uint64_t compile_helper_key(uint64_t config_hash, const char *device_spec, const char *cl_dir)
{
    uint64_t h = cache_hash_string(CACHE_HASH_INIT, "clnet compile helper " CLNET_VERSION);
    h = cl_dir ? cache_hash_string(h, cl_dir) : runtime_sources_hash(h);
    h = cache_hash(h, &config_hash, sizeof config_hash);
    h = cache_hash_string(h, device_spec ? device_spec : "");
    const char *vars[] = {"CLNET_CL_DIR", "POCL_DEVICES", "POCL_CACHE_DIR", "XDG_CACHE_HOME"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        h = cache_hash_string(h, v ? v : "");
    }
    return h;
}

static bool record_path(char *path, size_t size, uint64_t key)
{
    char dir[4096];
    if (!cache_dir(dir, sizeof dir))
        return false;
    cache_path(path, size, dir, "compiled.mark", key);
    return true;
}

bool compile_helper_recorded(uint64_t key)
{
    char path[4200];
    unsigned char *data = NULL;
    size_t len = 0;
    if (!record_path(path, sizeof path, key) || cache_load(path, key, &data, &len) != CACHE_FOUND)
        return false;
    free(data);
    return true;
}

void compile_helper_record(uint64_t key)
{
    char path[4200];
    const unsigned char one = 1;
    if (record_path(path, sizeof path, key))
        cache_store(path, key, &one, 1);
}
