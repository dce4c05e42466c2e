/* What the end-to-end training tests share: a tiny synthetic MNIST-shaped data set written
 * with idx_write (class c is a bright 6x6 square at one of ten positions on noise; 600 train
 * and 200 test images, balanced, chance 0.1), configs that read it, and running `clnet` with a
 * private kernel cache. synth_setup() first, in main. */
#ifndef CLNET_TESTS_TRAIN_SYNTH_H
#define CLNET_TESTS_TRAIN_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../cli/run.h"

extern char synth_data_dir[4200];  /* the IDX files */
extern char synth_cache_env[4300]; /* "CLNET_CACHE_DIR=..." for every clnet run */

/* Writes the data set and creates TMP/runs. */
void synth_setup(void);

/* Writes TMP/name: "seed: 1", "data: {dir: ...}" then body; returns the path (malloc'd). */
char *write_config(const char *name, const char *body);
/* TMP/runs/name (not created) and dir/name: malloc'd, kept until exit (harness_keep). */
char *run_dir(const char *name);
char *path_in(const char *dir, const char *name);

/* Runs clnet with argv (no program name, NULL-terminated) and the private cache. */
void clnet(struct run_result *r, const char *const *argv);
/* clnet train CONFIG --out OUT [--set SET]... (sets NULL-terminated, may be NULL); malloc'd. */
struct run_result *train(const char *config, const char *out, const char *const *sets);

/* The whole file, NUL-terminated, or NULL when it cannot be read. */
char *read_all(const char *path, size_t *len);
char *read_in(const char *dir, const char *name, size_t *len);
bool exists(const char *path);
long long file_size(const char *dir, const char *name);
/* The number after "key": in a JSON text (NAN when absent or not a number). */
double json_number(const char *json, const char *key);
/* Whether "key": "value" is in a JSON text. */
bool json_has_string(const char *json, const char *key, const char *value);
/* dir_a/name and dir_b/name exist and hold the same bytes. */
bool same_file(const char *dir_a, const char *dir_b, const char *name);
/* Asserts a completed run (exit 0, summary.json status completed); returns summary.json. */
char *completed_summary(const struct run_result *r, const char *dir);

/* `clnet eval dir` prints the test accuracy of the run's summary.json. */
void assert_eval_matches_summary(const char *dir);

/* Waits for a child process; its exit code, or 128 + the signal that ended it. */
int synth_wait(pid_t pid);

#endif
