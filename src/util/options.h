/* Every setting clnet takes from its environment or from a tuning flag, in one typed struct
 * filled once at start-up: main.c reads the environment into it (options_from_env), the
 * command line's flags go over that (cli.c: options_set_flag; a flag wins over its variable),
 * and main hands each module the settings it uses. A bad value is CLNET_ERR_USAGE naming it
 * (exit 2) before MPI or OpenCL start. One table (options.c) feeds the parser, `clnet help`
 * and the flags a sweep gives its runs, so no setting is read anywhere else: nothing below
 * src/cli and main.c calls getenv. */
#ifndef CLNET_UTIL_OPTIONS_H
#define CLNET_UTIL_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define OPTIONS_UNSET (-1)

enum options_gemm { OPTIONS_GEMM_AUTO, OPTIONS_GEMM_OWN, OPTIONS_GEMM_CLBLAST };
enum options_ops_path { OPTIONS_OPS_PATH_AUTO, OPTIONS_OPS_PATH_CPU, OPTIONS_OPS_PATH_GPU };
enum options_progress { OPTIONS_PROGRESS_AUTO, OPTIONS_PROGRESS_TTY, OPTIONS_PROGRESS_PLAIN };

/* The settings that have a row in the table (options.c), in its order. */
enum options_id {
    OPTIONS_DEVICE,
    OPTIONS_CL_DIR,
    OPTIONS_CACHE_DIR,
    OPTIONS_NO_CACHE,
    OPTIONS_OPS_PATH,
    OPTIONS_MAX_LOCAL,
    OPTIONS_GEMM,
    OPTIONS_PROGRESS,
    OPTIONS_COMPILE_HELPER,
    OPTIONS_SPIN_US,
    OPTIONS_DENSE_STACK,
    OPTIONS_FUSED_SGD,
    OPTIONS_NO_MPI,
    OPTIONS_WORKERS, /* POCL_MAX_PTHREAD_COUNT */
    OPTIONS_COLUMNS,
    OPTIONS_HOME,
    OPTIONS_XDG_CACHE_HOME,
    OPTIONS_POCL_CACHE_DIR,
    OPTIONS_POCL_DEVICES,
    OPTIONS_MPI_LAUNCHER,
    OPTIONS_COUNT
};

struct clnet_options {
    const char *device;       /* --device / CLNET_DEVICE; NULL: the config's device:, else auto */
    const char *cl_dir;       /* --cl-dir / CLNET_CL_DIR; NULL: the embedded kernel sources */
    const char *cache_dir;    /* --cache-dir / CLNET_CACHE_DIR; NULL: options_cache_dir's default */
    bool no_cache;            /* --no-cache / CLNET_NO_CACHE=1: no kernel binary cache */
    enum options_ops_path ops_path; /* --ops-path / CLNET_OPS_PATH (runtime/runtime.h) */
    int max_local;            /* --max-local / CLNET_MAX_LOCAL: 1..4096, or 0 (no cap) */
    enum options_gemm gemm;   /* --gemm / CLNET_GEMM */
    enum options_progress progress; /* --progress / CLNET_PROGRESS */
    int compile_helper;       /* --compile-helper / CLNET_COMPILE_HELPER: 0, 1 or UNSET (auto) */
    long spin_us;             /* --spin-us / CLNET_SPIN_US: 0..100000, or UNSET (the default) */
    bool dense_stack;         /* --dense-stack / CLNET_DENSE_STACK (default true) */
    bool fused_sgd;           /* --fused-sgd / CLNET_FUSED_SGD (default true) */
    bool no_mpi;              /* --no-mpi / CLNET_NO_MPI=1: never an MPI rank */
    int workers;              /* POCL_MAX_PTHREAD_COUNT as the user set it, or UNSET */
    int columns;              /* COLUMNS when a width from 10 to 10000, else 0 */
    const char *home, *xdg_cache_home;        /* HOME, XDG_CACHE_HOME; NULL when unset or "" */
    const char *pocl_cache_dir, *pocl_devices; /* POCL_CACHE_DIR, POCL_DEVICES; likewise */
    bool mpi_launched;        /* an MPI launcher's variable is set (dist/dist.c) */
    const char *given[OPTIONS_COUNT]; /* each setting's text as given (flag or variable), or NULL */
};

/* The defaults: nothing given. */
void options_init(struct clnet_options *o);

/* options_init, then every variable of the table found in env ("NAME=value" strings, NULL
 * ended: main passes environ). Unset and empty mean the default alike. */
int options_from_env(struct clnet_options *o, char *const *env);

/* A flag (long name without "--") of the table: *found says whether name is one; when it is,
 * value (NULL for a flag that takes none) is checked and stored. */
int options_set_flag(struct clnet_options *o, const char *name, const char *value, bool *found);

/* The folder of clnet's kernel binary cache: cache_dir, else $XDG_CACHE_HOME/clnet, else
 * $HOME/.cache/clnet; false (and "") with no_cache or none of them. */
bool options_cache_dir(const struct clnet_options *o, char *buf, size_t size);

/* The flags that give a child `clnet` the settings of o that were given and have a flag
 * (device and cl-dir excepted: the caller passes those): at most max entries of argv, the
 * count returned. The strings are o's (or static): they live as long as o's given texts. */
int options_child_flags(const struct clnet_options *o, const char **argv, int max);

/* The table's flags as `clnet help` lists them (cli.c merges them into its own). */
struct options_flag {
    const char *name; /* long form, without -- */
    char short_name;
    const char *arg;  /* NULL for a flag */
    const char *commands; /* the commands that take it, space-separated */
    const char *help;
};
int options_flag_count(void);
const struct options_flag *options_flag_at(int i);

/* The environment variables, one line each, indented by two spaces. */
void options_print_env(FILE *f);

#endif
