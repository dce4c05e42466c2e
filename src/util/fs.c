/* File helpers (see fs.h). POSIX only: mkstemp, fsync, rename, flock. */
#define _DEFAULT_SOURCE
#include "util/fs.h"

#include "util/interrupt.h"
#include "util/status.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
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

const char *fs_kind_name(mode_t m)
{
    return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISLNK(m) ? "a symbolic link" : "not a regular file";
}

int fs_open_regular(const char *path, int *fd, size_t *size)
{
    /* O_NONBLOCK: opening a FIFO with no writer would wait for one forever. */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return clnet_errorf(errno == ENOENT ? CLNET_ERR_IO : CLNET_ERR_DATA,
                            "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = CLNET_OK;
    if (fstat(*fd, &st) != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: is %s, not a regular file", path,
                          fs_kind_name(st.st_mode));
    else if (fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK) != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc != CLNET_OK) {
        close(*fd);
        *fd = -1;
        return rc;
    }
    *size = (size_t)st.st_size;
    return CLNET_OK;
}

int fs_read_file_max(void **data, size_t *len, const char *path, size_t max_bytes)
{
    *data = NULL;
    *len = 0;
    int fd;
    size_t size;
    int rc = fs_open_regular(path, &fd, &size);
    if (rc != CLNET_OK)
        return rc;
    char *buf = NULL;
    if (size > max_bytes)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: %zu bytes, more than the %zu this file may hold",
                          path, size, max_bytes);
    else if (!(buf = malloc(size + 1)))
        rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, size);
    /* Exactly the size fstat gave: a file growing meanwhile is read as it was. */
    size_t n = 0;
    while (rc == CLNET_OK && n < size) {
        ssize_t k = read(fd, buf + n, size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = k < 0 ? clnet_errorf(CLNET_ERR_IO, "%s: read error: %s", path, strerror(errno))
                       : clnet_errorf(CLNET_ERR_DATA, "%s: shrank while being read", path);
            break;
        }
        n += (size_t)k;
    }
    close(fd);
    if (rc != CLNET_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return CLNET_OK;
}

int fs_read_file(void **data, size_t *len, const char *path)
{
    return fs_read_file_max(data, len, path, SIZE_MAX - 1);
}

int fs_open_write(FILE **f, const char *path, bool append)
{
    *f = NULL;
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int fd = open(path, flags | (append ? O_APPEND : 0), 0644);
    if (fd < 0)
        return clnet_errorf(CLNET_ERR_IO, "%s: cannot write: %s", path,
                            errno == ELOOP ? "it is a symbolic link" : strerror(errno));
    struct stat st;
    int rc = CLNET_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot write: it is not a regular file", path);
    else if (!append && ftruncate(fd, 0) != 0)
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
             !(*f = fdopen(fd, append ? "a" : "w")))
        rc = clnet_errorf(CLNET_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc != CLNET_OK)
        close(fd);
    return rc;
}

const char *fs_name_problem(const char *name)
{
    if (!name[0])
        return "it is empty";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "'.' and '..' are not folders of their own";
    if (strlen(name) > 255)
        return "it is longer than 255 bytes";
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c == '/')
            return "it contains '/'";
        if (*c < 0x20 || *c == 0x7f)
            return "it contains a control character";
    }
    return NULL;
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
    a->slot = fd >= 0 ? interrupt_temp_add(a->tmp) : -1;
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
    if (a->tmp)
        interrupt_temp_remove(a->slot);
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
    interrupt_temp_remove(a->slot);
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
    struct stat st; /* lstat: a dangling or looping link is there too, to be refused */
    return lstat(path, &st) == 0;
}

int fs_lock_dir(const char *dir, int *fd)
{
    size_t n = strlen(dir) + sizeof "/.lock";
    char *path = malloc(n);
    if (!path)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory", dir);
    snprintf(path, n, "%s/.lock", dir);
    /* Never through a planted link or into a FIFO: O_NOFOLLOW, O_NONBLOCK, then a regular file. */
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat st;
    int rc = 0;
    if (*fd < 0) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot create: %s", path,
                          errno == ELOOP ? "it is a symbolic link" : strerror(errno));
    } else if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: cannot lock: it is not a regular file", path);
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
