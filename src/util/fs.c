/* File helpers (see fs.h). POSIX only: mkstemp, fsync, rename, flock. */
#define _DEFAULT_SOURCE
#include "util/fs.h"

#include "util/status.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int fs_read_file(void **data, size_t *len, const char *path)
{
    *data = NULL;
    *len = 0;
    int rc = 0;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return clnet_errorf(CLNET_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    /* Regular files: one read of the known size; anything else: grow as we go. */
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
    size_t n = 0;
    buf = malloc(cap);
    if (!buf) {
        rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, cap);
        goto done;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return rc;
}

/* fsync of the folder holding path, so the rename itself is durable. */
static int sync_parent(const char *path)
{
    char *dir = dup_str(path);
    if (!dir)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int rc = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        /* Some file systems refuse fsync on folders (EINVAL); the data itself is synced. */
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            rc = clnet_errorf(CLNET_ERR_IO, "%s: fsync: %s", dir, strerror(errno));
        close(fd);
    }
    free(dir);
    return rc;
}

int fs_atomic_open(struct fs_atomic *a, const char *path)
{
    a->f = NULL;
    a->path = dup_str(path);
    size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
    a->tmp = malloc(n);
    if (!a->path || !a->tmp) {
        fs_atomic_abort(a);
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(a->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot create: %s", a->tmp, strerror(errno));
        free(a->tmp);
        a->tmp = NULL; /* nothing to remove */
        fs_atomic_abort(a);
        return rc;
    }
    if (fchmod(fd, 0644) != 0 || !(a->f = fdopen(fd, "wb"))) {
        int rc = clnet_errorf(CLNET_ERR_IO, "%s: %s", a->tmp, strerror(errno));
        if (!a->f)
            close(fd);
        fs_atomic_abort(a);
        return rc;
    }
    return 0;
}

void fs_atomic_abort(struct fs_atomic *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    a->f = NULL;
    a->tmp = NULL;
    a->path = NULL;
}

int fs_atomic_commit(struct fs_atomic *a)
{
    int rc = 0;
    if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", a->tmp, strerror(errno));
    int closed = fclose(a->f);
    a->f = NULL;
    if (!rc && closed != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", a->tmp, strerror(errno));
    if (!rc && rename(a->tmp, a->path) != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot rename to %s: %s", a->tmp, a->path,
                          strerror(errno));
    if (rc) {
        fs_atomic_abort(a);
        return rc;
    }
    rc = sync_parent(a->path);
    free(a->tmp);
    free(a->path);
    a->tmp = NULL;
    a->path = NULL;
    return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len)
{
    struct fs_atomic a;
    int rc = fs_atomic_open(&a, path);
    if (rc)
        return rc;
    if (len && fwrite(data, 1, len, a.f) != len) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", a.tmp, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}

int fs_mkdir_p(const char *path)
{
    if (!path[0])
        return clnet_errorf(CLNET_ERR_IO, "cannot create a folder with an empty name");
    char *p = dup_str(path);
    if (!p)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", path);
    int rc = 0;
    /* Create each prefix ending at a '/', then the whole path. */
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        struct stat st;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
            break;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot create folder: not a folder", p);
            break;
        }
        *c = saved;
        if (saved == '\0')
            break;
    }
    free(p);
    return rc;
}

bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_lock_dir(const char *dir, int *fd)
{
    size_t n = strlen(dir) + sizeof "/.lock";
    char *path = malloc(n);
    if (!path)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", dir);
    snprintf(path, n, "%s/.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = 0;
    if (*fd < 0) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    } else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char pid[32] = "";
        ssize_t k = pread(*fd, pid, sizeof pid - 1, 0);
        pid[k > 0 ? k : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        rc = err == EWOULDBLOCK
                 ? clnet_errorf(CLNET_ERR_IO, "%s: in use by another clnet process (pid %s)",
                                dir, pid[0] ? pid : "unknown")
                 : clnet_errorf(CLNET_ERR_IO, "%s: cannot lock: %s", path, strerror(err));
    } else {
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(*fd, 0) != 0 || pwrite(*fd, pid, (size_t)len, 0) != len)
            rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    if (rc && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    free(path);
    return rc;
}

/* NAME.tmp.XXXXXX: six characters of mkstemp after ".tmp.". */
static bool is_stale_temp(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    return t && t != name && strlen(t + 5) == 6 && !strstr(t + 5, ".");
}

int fs_remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!is_stale_temp(e->d_name))
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        if (path) {
            snprintf(path, n, "%s/%s", dir, e->d_name);
            removed += unlink(path) == 0;
        }
        free(path);
    }
    closedir(d);
    return removed;
}
