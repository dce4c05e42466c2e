/* What the hostile-input tests share (tests/hostile/): running clnet the way an attacker or a
 * careless user would, under a memory limit and a time limit, and checking what it left
 * behind. Every case asserts its exit code, exactly one stderr line where it is an error, a
 * bounded time, that no file outside the intended place was created or changed (a snapshot of
 * the neighbourhood before and after), no temp files left, and a planted symlink's target
 * unchanged. */
#ifndef CLNET_TESTS_HOSTILE_H
#define CLNET_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../cli/run.h"

/* A case's folder: TMP/NAME (created empty), holding a copy-free config that reads the small
 * synthetic data set written once by hostile_setup. */
void hostile_setup(void);
extern char hostile_data_dir[4200];

/* A fresh folder TMP/name, returned malloc'd and kept. */
char *hostile_dir(const char *name);
/* dir/name holding text; the path, malloc'd and kept. */
char *hostile_file(const char *dir, const char *name, const char *text);
/* A small dense config in dir/name ("data: {dir: <synthetic>}", 2 iterations, name: given or
 * none when NULL), extra appended verbatim; the path. */
char *hostile_config(const char *dir, const char *name, const char *run_name, const char *extra);

/* Runs clnet with argv in folder cwd (NULL: the current one) and extra env entries, under
 * RLIMIT_AS of mem_mib MiB where the build allows it (not under AddressSanitizer, which
 * reserves terabytes of address space) and killed after seconds (scaled by
 * harness_time_limit): r->signal is then SIGKILL. */
void hostile_run(struct run_result *r, const char *cwd, const char *const *argv,
                 const char *const *env, double seconds, int mem_mib);

/* When > 0, the runs that follow get RLIMIT_FSIZE of this many bytes (a full disk, or a
 * careless `ulimit -f`). */
extern long hostile_fsize;

/* The same, sending sig to clnet `after` seconds after it started; r->seconds is then the time
 * from the signal to clnet's end. */
void hostile_run_signal(struct run_result *r, const char *cwd, const char *const *argv,
                        const char *const *env, double seconds, int mem_mib, int sig,
                        double after);

/* hostile_run in dir, asserting that nothing in the whole test folder changed but the paths
 * under `allowed` (relative to it, NULL-terminated; NULL: nothing) and that no temp file of
 * clnet's is left anywhere in it. */
void hostile_run_in(struct run_result *r, const char *dir, const char *const *argv,
                    const char *const *allowed, double seconds, int mem_mib);

/* Asserts a refusal: exit code, one stderr line containing each of the NULL-terminated
 * words, within the time limit. */
void hostile_assert_error(const struct run_result *r, int code, const char *const *words);

/* A snapshot of every entry under root (recursively, symlinks not followed): path, type, size,
 * a hash of the content, the link target. */
struct tree;
struct tree *tree_snapshot(const char *root);
/* Asserts two snapshots are the same except for entries under the relative paths in allowed
 * (NULL-terminated; a prefix allows its whole subtree); names the first difference. */
void tree_assert_same(const struct tree *before, const struct tree *after,
                      const char *const *allowed);
void tree_free(struct tree *t);
/* Asserts no entry under root is a temp file of clnet's (NAME.tmp.XXXXXX). */
void assert_no_temp_files(const char *root);

#endif
