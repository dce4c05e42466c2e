/* Small file helpers: read a whole file, write one atomically (temp file, fsync, rename,
 * fsync of the folder, so a crash leaves the old file or the new one, never half of one),
 * and mkdir -p. Failures return CLNET_ERR_IO with "PATH: what: strerror" recorded. */
#ifndef CLNET_UTIL_FS_H
#define CLNET_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Reads the whole file into *data (malloc'd, with a NUL byte after the end so text can be
 * used as a string; not counted in *len). It must be a regular file (fs_open_regular). */
int fs_read_file(void **data, size_t *len, const char *path);
/* The same, refusing a file of more than max_bytes (CLNET_ERR_DATA) before reading it. */
int fs_read_file_max(void **data, size_t *len, const char *path, size_t max_bytes);

/* Opens path for reading only if it is a regular file (symbolic links to one are followed),
 * without blocking on a FIFO or a device: a folder, FIFO, socket, device or link loop is
 * CLNET_ERR_DATA "PATH: is a FIFO, not a regular file" at once, never a hang or a read
 * without end. *size is its size. Returns the descriptor in *fd. */
int fs_open_regular(const char *path, int *fd, size_t *size);

/* fopen(path, "w" or "a") for a file clnet writes in place (metrics.csv, layer_stats.csv),
 * but never through a symbolic link and never into anything but a regular file: a link or a
 * special file planted at path is CLNET_ERR_IO naming it, and its target stays untouched. */
int fs_open_write(FILE **f, const char *path, bool append);

/* Writes len bytes to path atomically; the file gets mode 0644. */
int fs_write_atomic(const char *path, const void *data, size_t len);

/* A file being written atomically in pieces: fs_atomic_open, fwrite to a.f, then exactly
 * one of fs_atomic_commit (fsync, rename into place) or fs_atomic_abort (remove the temp
 * file). Commit aborts on failure, so both leave nothing to clean up. */
struct fs_atomic {
    FILE *f;
    char *path; /* the destination (malloc'd copy) */
    char *tmp;  /* path.tmp.XXXXXX (malloc'd) */
    int slot;   /* interrupt_temp_add's, so an interrupted start-up removes it */
};
int fs_atomic_open(struct fs_atomic *a, const char *path);
int fs_atomic_commit(struct fs_atomic *a);
void fs_atomic_abort(struct fs_atomic *a);

/* Creates path and its missing parents (mode 0755); an existing folder is fine. */
int fs_mkdir_p(const char *path);

/* Why name cannot be one folder's name inside another (a run's name under runs/ or a sweep's
 * root): empty, "." or "..", a '/', a control character, or past NAME_MAX bytes; NULL when
 * it can. The one rule for every name clnet turns into a folder. */
const char *fs_name_problem(const char *name);

/* "a regular file", "a folder", "a FIFO", "a socket", "a device", "a symbolic link": what a
 * st_mode is, for messages. */
const char *fs_kind_name(mode_t m);

/* True when path exists (any kind of file, a symbolic link to nothing included). */
bool fs_exists(const char *path);

/* Takes an exclusive lock on dir (which must exist) through dir/.lock (flock, so it goes away
 * with the process, kill -9 included) and writes our pid into it. A held lock fails at once:
 * CLNET_ERR_IO "DIR: in use by another clnet process (pid N)". *fd is the lock; close it (or
 * exit) to release. The .lock file stays: removing it would let two processes lock two
 * different files of one name. */
int fs_lock_dir(const char *dir, int *fd);

/* Removes dir's leftover temporary files of fs_atomic_open (NAME.tmp.XXXXXX) from a process
 * killed while writing. Call it holding dir's lock. Returns how many were removed. */
int fs_remove_stale_temps(const char *dir);

#endif
