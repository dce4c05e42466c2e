/* util/options.h: the table of settings, their parsing from the environment and from flags,
 * and their listing. */
#include "util/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"
#include "util/wrap.h"

enum kind {
    KIND_TEXT,  /* any text without a line break */
    KIND_WORDS, /* one of words */
    KIND_COUNT, /* a whole number in [min, max] */
    KIND_READ,  /* another program's variable clnet reads as it is (HOME, COLUMNS) */
};

struct row {
    enum options_id id;
    const char *env;          /* NULL: a flag only */
    struct options_flag flag; /* flag.name NULL: the environment only */
    enum kind kind;
    const char *words;        /* KIND_WORDS: the values, separated by '|' */
    long min, max;            /* KIND_COUNT */
    const char *doc;          /* the variable's line in `clnet help` */
};

/* The commands that open a device, and those that train. */
#define DEVICE_COMMANDS "train eval predict devices gradcheck selfcheck sweep"
#define TRAIN_COMMANDS "train sweep"
#define ALL_COMMANDS "train sweep report eval predict summary config devices gradcheck selfcheck"

static const struct row rows[] = {
    {OPTIONS_DEVICE, "CLNET_DEVICE",
     {"device", 'd', "SPEC", "train eval predict devices gradcheck selfcheck summary",
      "auto, P:D as `devices` lists them, or a name substring (overrides CLNET_DEVICE and the "
      "config's device:)"},
     KIND_TEXT, NULL, 0, 0, "device spec (as --device; --device wins)"},
    {OPTIONS_CL_DIR, "CLNET_CL_DIR",
     {"cl-dir", 0, "DIR", "train eval predict devices sweep gradcheck selfcheck",
      "read the OpenCL sources from DIR instead of the embedded copy (or CLNET_CL_DIR)"},
     KIND_TEXT, NULL, 0, 0, "read the kernel sources from this folder (as --cl-dir)"},
    {OPTIONS_CACHE_DIR, "CLNET_CACHE_DIR",
     {"cache-dir", 0, "DIR", DEVICE_COMMANDS,
      "the kernel binary cache's folder (or CLNET_CACHE_DIR; default $XDG_CACHE_HOME/clnet, "
      "else ~/.cache/clnet)"},
     KIND_TEXT, NULL, 0, 0, "kernel binary cache (default $XDG_CACHE_HOME/clnet, else "
     "~/.cache/clnet; as --cache-dir)"},
    {OPTIONS_NO_CACHE, "CLNET_NO_CACHE",
     {"no-cache", 0, NULL, DEVICE_COMMANDS, "no kernel binary cache (or CLNET_NO_CACHE=1)"},
     KIND_WORDS, "0|1", 0, 0, "1: no kernel binary cache (as --no-cache)"},
    {OPTIONS_OPS_PATH, "CLNET_OPS_PATH",
     {"ops-path", 0, "auto|cpu|gpu", "train eval predict gradcheck selfcheck sweep summary",
      "kernels shaped for CPUs or GPUs (or CLNET_OPS_PATH; default auto: cpu on CPU devices, "
      "gpu elsewhere)"},
     KIND_WORDS, "auto|cpu|gpu", 0, 0, "kernels shaped for CPUs or GPUs (as --ops-path; "
     "default auto: cpu on CPU devices, gpu elsewhere)"},
    {OPTIONS_MAX_LOCAL, "CLNET_MAX_LOCAL",
     {"max-local", 0, "N", "train eval predict gradcheck selfcheck sweep",
      "cap on the work-group size of clnet's kernels, for testing small device limits (or "
      "CLNET_MAX_LOCAL)"},
     KIND_COUNT, NULL, 1, 4096, "cap on the work-group size of clnet's kernels (testing small "
     "device limits; as --max-local)"},
    {OPTIONS_GEMM, "CLNET_GEMM",
     {"gemm", 0, "own|clblast", "train eval predict gradcheck selfcheck sweep summary",
      "GEMM kernels (or CLNET_GEMM; default: own on the CPU path, CLBlast on the GPU path)"},
     KIND_WORDS, "own|clblast", 0, 0, "GEMM kernels (as --gemm; default: own on the CPU path, "
     "CLBlast on the GPU path)"},
    {OPTIONS_PROGRESS, "CLNET_PROGRESS",
     {"progress", 0, "tty|plain", TRAIN_COMMANDS,
      "tty: the progress line redrawn in place, plain: a line per evaluation (or "
      "CLNET_PROGRESS; default: tty on a terminal)"},
     KIND_WORDS, "tty|plain", 0, 0, "tty: progress in place, plain: a line per evaluation "
     "(as --progress; default: tty on a terminal)"},
    {OPTIONS_COMPILE_HELPER, "CLNET_COMPILE_HELPER",
     {"compile-helper", 0, "0|1", TRAIN_COMMANDS,
      "a cold start's compile helper process, where the device's quirks have one (or "
      "CLNET_COMPILE_HELPER; default: on with 2+ cores)"},
     KIND_WORDS, "0|1", 0, 0, "the cold start's compile helper process (as --compile-helper; "
     "default: on with 2+ cores)"},
    {OPTIONS_SPIN_US, "CLNET_SPIN_US",
     {"spin-us", 0, "N", DEVICE_COMMANDS,
      "microseconds the driver's waits spin before they sleep, where the device's quirks "
      "spin them (or CLNET_SPIN_US; default 50, 0 off)"},
     KIND_COUNT, NULL, 0, 100000, "microseconds PoCL's waits spin before they sleep (as "
     "--spin-us; default 50, 0 off)"},
    {OPTIONS_DENSE_STACK, "CLNET_DENSE_STACK",
     {"dense-stack", 0, "0|1", TRAIN_COMMANDS " summary",
      "0: an all-dense step layer by layer (or CLNET_DENSE_STACK; the same bits either way)"},
     KIND_WORDS, "0|1", 0, 0, "0: an all-dense step layer by layer (as --dense-stack)"},
    {OPTIONS_FUSED_SGD, "CLNET_FUSED_SGD",
     {"fused-sgd", 0, "0|1", TRAIN_COMMANDS " summary",
      "0: SGD as its own kernel, not in the GEMMs (or CLNET_FUSED_SGD; the same bits either "
      "way)"},
     KIND_WORDS, "0|1", 0, 0, "0: SGD as its own kernel, not in the GEMMs (as --fused-sgd)"},
    {OPTIONS_NO_MPI, "CLNET_NO_MPI",
     {"no-mpi", 0, NULL, ALL_COMMANDS,
      "not an MPI rank even under mpirun (or CLNET_NO_MPI=1; a sweep's runs get it)"},
     KIND_WORDS, "0|1", 0, 0, "1: not an MPI rank (as --no-mpi)"},
    {OPTIONS_WORKERS, "POCL_MAX_PTHREAD_COUNT", {0}, KIND_COUNT, NULL, 1, 4096,
     "PoCL's worker threads (clnet picks them when unset)"},
    {OPTIONS_COLUMNS, "COLUMNS", {0}, KIND_READ, NULL, 0, 0,
     "the terminal's width when the terminal does not say"},
    {OPTIONS_HOME, "HOME", {0}, KIND_READ, NULL, 0, 0, "for the default cache folders"},
    {OPTIONS_XDG_CACHE_HOME, "XDG_CACHE_HOME", {0}, KIND_READ, NULL, 0, 0,
     "for the default cache folders"},
    {OPTIONS_POCL_CACHE_DIR, "POCL_CACHE_DIR", {0}, KIND_READ, NULL, 0, 0,
     "PoCL's kernel cache (in the key of a cold start's record)"},
    {OPTIONS_POCL_DEVICES, "POCL_DEVICES", {0}, KIND_READ, NULL, 0, 0,
     "PoCL's devices (likewise)"},
};

#define N_ROWS (sizeof rows / sizeof rows[0])

/* An MPI launcher leaves one of these in each rank's environment (dist/dist.c). */
static const char *const launcher_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                            "PMI_SIZE", "MPI_LOCALNRANKS"};

#define N_LAUNCHER_VARS (sizeof launcher_vars / sizeof launcher_vars[0])

void options_init(struct clnet_options *o)
{
    memset(o, 0, sizeof *o);
    o->compile_helper = OPTIONS_UNSET;
    o->spin_us = OPTIONS_UNSET;
    o->dense_stack = true;
    o->fused_sgd = true;
    o->workers = OPTIONS_UNSET;
}

/* The index of value among words ('|'-separated), or -1. */
static int word_index(const char *value, const char *words)
{
    size_t n = strlen(value);
    int i = 0;
    for (const char *w = words; *w; i++) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);
        if (len == n && strncmp(w, value, n) == 0)
            return i;
        w += len + (bar ? 1 : 0);
    }
    return -1;
}

/* A whole number from min to max, or -1 (min is never negative). */
static long whole(const char *value, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(value, &end, 10);
    return errno || end == value || *end || value[0] < '0' || value[0] > '9' || n < min ||
                   n > max
               ? -1
               : n;
}

/* Checks value against row r; where and sep say where it came from, as the message starts:
 * "environment: NAME" and '=', or "--name" and ' '. */
static int check(const struct row *r, const char *value, const char *where, char sep)
{
    if (strpbrk(value, "\n\r") && r->kind != KIND_READ)
        return clnet_errorf(CLNET_ERR_USAGE, "%s holds a line break", where);
    if (r->kind == KIND_WORDS && word_index(value, r->words) < 0)
        return clnet_errorf(CLNET_ERR_USAGE, "%s%c%.64s: expected %s", where, sep, value,
                            r->words);
    if (r->kind == KIND_COUNT && whole(value, r->min, r->max) < 0)
        return clnet_errorf(CLNET_ERR_USAGE, "%s%c%.64s: expected a whole number from %ld to "
                            "%ld", where, sep, value, r->min, r->max);
    return CLNET_OK;
}

static void store(struct clnet_options *o, const struct row *r, const char *value)
{
    o->given[r->id] = value;
    int word = r->kind == KIND_WORDS ? word_index(value, r->words) : -1;
    switch (r->id) {
    case OPTIONS_DEVICE: o->device = value; break;
    case OPTIONS_CL_DIR: o->cl_dir = value; break;
    case OPTIONS_CACHE_DIR: o->cache_dir = value; break;
    case OPTIONS_NO_CACHE: o->no_cache = word == 1; break;
    case OPTIONS_OPS_PATH: o->ops_path = (enum options_ops_path)word; break;
    case OPTIONS_MAX_LOCAL: o->max_local = (int)whole(value, r->min, r->max); break;
    case OPTIONS_GEMM: o->gemm = word == 0 ? OPTIONS_GEMM_OWN : OPTIONS_GEMM_CLBLAST; break;
    case OPTIONS_PROGRESS:
        o->progress = word == 0 ? OPTIONS_PROGRESS_TTY : OPTIONS_PROGRESS_PLAIN;
        break;
    case OPTIONS_COMPILE_HELPER: o->compile_helper = word; break;
    case OPTIONS_SPIN_US: o->spin_us = whole(value, r->min, r->max); break;
    case OPTIONS_DENSE_STACK: o->dense_stack = word == 1; break;
    case OPTIONS_FUSED_SGD: o->fused_sgd = word == 1; break;
    case OPTIONS_NO_MPI: o->no_mpi = word == 1; break;
    case OPTIONS_WORKERS: o->workers = (int)whole(value, r->min, r->max); break;
    case OPTIONS_COLUMNS: o->columns = (int)whole(value, 10, 10000); /* a shell's, or none */
        o->columns = o->columns < 0 ? 0 : o->columns;
        break;
    case OPTIONS_HOME: o->home = value; break;
    case OPTIONS_XDG_CACHE_HOME: o->xdg_cache_home = value; break;
    case OPTIONS_POCL_CACHE_DIR: o->pocl_cache_dir = value; break;
    case OPTIONS_POCL_DEVICES: o->pocl_devices = value; break;
    case OPTIONS_MPI_LAUNCHER:
    case OPTIONS_COUNT: break;
    }
}

/* The value of NAME in a "NAME=value" entry, or NULL. */
static const char *value_of(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=' ? entry + n + 1 : NULL;
}

int options_from_env(struct clnet_options *o, char *const *env)
{
    options_init(o);
    for (size_t e = 0; env && env[e]; e++) {
        for (size_t i = 0; i < N_LAUNCHER_VARS; i++)
            if (value_of(env[e], launcher_vars[i]))
                o->mpi_launched = true;
        for (size_t i = 0; i < N_ROWS; i++) {
            const char *value = value_of(env[e], rows[i].env);
            if (!value || !*value) /* unset and empty mean the default alike */
                continue;
            char where[64];
            snprintf(where, sizeof where, "environment: %s", rows[i].env);
            int status = check(&rows[i], value, where, '=');
            if (status != CLNET_OK)
                return status;
            store(o, &rows[i], value);
        }
    }
    return CLNET_OK;
}

int options_set_flag(struct clnet_options *o, const char *name, const char *value, bool *found)
{
    *found = false;
    for (size_t i = 0; i < N_ROWS; i++) {
        const struct row *r = &rows[i];
        if (!r->flag.name || strcmp(r->flag.name, name) != 0)
            continue;
        *found = true;
        if (!r->flag.arg)
            value = "1";
        char where[64];
        snprintf(where, sizeof where, "--%s", name);
        int status = check(r, value, where, ' ');
        if (status == CLNET_OK)
            store(o, r, value);
        return status;
    }
    return CLNET_OK;
}

bool options_cache_dir(const struct clnet_options *o, char *buf, size_t size)
{
    int n = -1;
    if (o->no_cache)
        n = -1;
    else if (o->cache_dir)
        n = snprintf(buf, size, "%s", o->cache_dir);
    else if (o->xdg_cache_home)
        n = snprintf(buf, size, "%s/clnet", o->xdg_cache_home);
    else if (o->home)
        n = snprintf(buf, size, "%s/.cache/clnet", o->home);
    if (n < 0 || (size_t)n >= size) {
        if (size)
            buf[0] = '\0';
        return false;
    }
    return true;
}

int options_child_flags(const struct clnet_options *o, const char **argv, int max)
{
    int n = 0;
    for (size_t i = 0; i < N_ROWS; i++) {
        const struct row *r = &rows[i];
        const char *value = o->given[r->id];
        if (!r->flag.name || !value || r->id == OPTIONS_DEVICE || r->id == OPTIONS_CL_DIR)
            continue;
        if (!r->flag.arg && strcmp(value, "1") != 0)
            continue; /* NAME=0: the default, which has no flag */
        static char dashed[N_ROWS][32];
        snprintf(dashed[i], sizeof dashed[i], "--%s", r->flag.name);
        if (n < max)
            argv[n++] = dashed[i];
        if (r->flag.arg && n < max)
            argv[n++] = value;
    }
    return n;
}

int options_flag_count(void)
{
    int n = 0;
    for (size_t i = 0; i < N_ROWS; i++)
        n += rows[i].flag.name != NULL;
    return n;
}

const struct options_flag *options_flag_at(int k)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (rows[i].flag.name && k-- == 0)
            return &rows[i].flag;
    return NULL;
}

void options_print_env(FILE *f)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        char name[64], doc[1024];
        snprintf(name, sizeof name, "  %s", rows[i].env);
        snprintf(doc, sizeof doc, "%s%s%s", rows[i].doc, rows[i].kind == KIND_WORDS ? "; " : "",
                 rows[i].kind == KIND_WORDS ? rows[i].words : "");
        wrap_entry(f, name, 25, doc, WRAP_HELP_COLUMNS);
    }
    char names[256] = "";
    for (size_t i = 0, n = 0; i < N_LAUNCHER_VARS && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", launcher_vars[i]);
    char doc[512];
    snprintf(doc, sizeof doc, "%s: set by an MPI launcher, the process is one rank of a job",
             names);
    fputs("  ", f);
    wrap_text(f, doc, 2, 4, WRAP_HELP_COLUMNS);
}
