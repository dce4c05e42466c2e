/* Scratch files and status checks shared by the fuzz targets (see fuzz_util.h). */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS */
#include "fuzz_util.h"

#include "util/status.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[4096];
static pid_t scratch_owner;

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: fuzz check failed: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_scratch(void)
{
    if (scratch[0] && getpid() == scratch_owner)
        nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *scratch_dir(void)
{
    if (!scratch[0]) {
        struct stat st;
        const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                                   access("/dev/shm", W_OK) == 0
                               ? "/dev/shm"
                               : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(scratch, sizeof scratch, "%s/clnet-fuzz-XXXXXX", base);
        FUZZ_CHECK(mkdtemp(scratch), "cannot create a scratch folder under %s", base);
        scratch_owner = getpid();
        atexit(remove_scratch);
    }
    return scratch;
}

struct named {
    const char *name;
    char *path;
};

const char *fuzz_path(const char *name)
{
    static struct named paths[16];
    int i = 0;
    for (; i < 16 && paths[i].name; i++)
        if (!strcmp(paths[i].name, name)) return paths[i].path;
    FUZZ_CHECK(i < 16, "fuzz_path: more than 16 names");
    const char *dir = scratch_dir();
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    FUZZ_CHECK(p, "out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    paths[i] = (struct named){name, p};
    return p;
}

void fuzz_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f, "cannot create %s", path);
    FUZZ_CHECK(len == 0 || fwrite(data, 1, len, f) == len, "cannot write %s", path);
    FUZZ_CHECK(fclose(f) == 0, "cannot write %s", path);
}

void fuzz_check_status(int rc, int bad_code, const char *what)
{
    const char *msg = clnet_error_message();
    if (rc == CLNET_OK) {
        FUZZ_CHECK(!msg[0], "%s succeeded but left an error message: %s", what, msg);
        return;
    }
    FUZZ_CHECK(rc == bad_code || rc == CLNET_ERR_NOMEM, "%s: status %s, expected %s: %s", what,
               clnet_status_name(rc), clnet_status_name(bad_code), msg);
    FUZZ_CHECK(msg[0], "%s failed with %s and no message", what, clnet_status_name(rc));
    FUZZ_CHECK(!strchr(msg, '\n') && !strchr(msg, '\r'), "%s: message is not one line: %s",
               what, msg);
    clnet_error_clear();
}
