/* util/env.h: the table of environment variables. */
#include "util/env.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"
#include "util/wrap.h"

enum env_kind { ENV_TEXT, ENV_WORDS, ENV_COUNT };

struct env_var {
    const char *name;
    enum env_kind kind;
    const char *words; /* ENV_WORDS: allowed values, separated by '|' */
    long min, max;     /* ENV_COUNT: a whole number in [min, max] */
    const char *doc;
};

static const struct env_var vars[] = {
    {"CLNET_DEVICE", ENV_TEXT, NULL, 0, 0, "device spec (as --device; --device wins)"},
    {"CLNET_CL_DIR", ENV_TEXT, NULL, 0, 0, "read the kernel sources from this folder"},
    {"CLNET_CACHE_DIR", ENV_TEXT, NULL, 0, 0, "kernel binary cache (default "
     "$XDG_CACHE_HOME/clnet, else ~/.cache/clnet)"},
    {"CLNET_NO_CACHE", ENV_WORDS, "0|1", 0, 0, "1: no kernel binary cache"},
    {"CLNET_OPS_PATH", ENV_WORDS, "auto|cpu|gpu", 0, 0, "kernels shaped for CPUs or GPUs "
     "(default auto: cpu on CPU devices, gpu elsewhere)"},
    {"CLNET_MAX_LOCAL", ENV_COUNT, NULL, 1, 4096, "cap on the work-group size of clnet's "
     "kernels (testing small device limits)"},
    {"CLNET_GEMM", ENV_WORDS, "own|clblast", 0, 0, "GEMM kernels (default: own on the CPU path, "
     "CLBlast on the GPU path)"},
    {"CLNET_PROGRESS", ENV_WORDS, "tty|plain", 0, 0, "tty: progress in place, plain: a line "
     "per evaluation (default: tty on a terminal)"},
    {"CLNET_COMPILE_HELPER", ENV_WORDS, "0|1", 0, 0, "the cold start's compile helper process "
     "(default: on with 2+ cores)"},
    {"CLNET_SPIN_US", ENV_COUNT, NULL, 0, 100000, "microseconds PoCL's waits spin before they "
     "sleep (default 50, 0 off)"},
    {"CLNET_DENSE_STACK", ENV_WORDS, "0|1", 0, 0, "0: an all-dense step layer by layer"},
    {"CLNET_FUSED_SGD", ENV_WORDS, "0|1", 0, 0, "0: SGD as its own kernel, not in the GEMMs"},
    {"CLNET_NO_MPI", ENV_WORDS, "0|1", 0, 0, "1: not an MPI rank (set for a sweep's runs)"},
    {"POCL_MAX_PTHREAD_COUNT", ENV_COUNT, NULL, 1, 4096, "PoCL's worker threads (clnet picks "
     "them when unset)"},
};

#define N_VARS (sizeof vars / sizeof vars[0])

static bool in_words(const char *value, const char *words)
{
    size_t n = strlen(value);
    for (const char *w = words; *w;) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);
        if (len == n && strncmp(w, value, n) == 0)
            return true;
        w += len + (bar ? 1 : 0);
    }
    return false;
}

static int check(const struct env_var *v, const char *value)
{
    if (v->kind == ENV_WORDS && !in_words(value, v->words))
        return clnet_errorf(CLNET_ERR_USAGE, "environment: %s=%.64s: expected %s", v->name,
                            value, v->words);
    if (v->kind == ENV_COUNT) {
        char *end = NULL;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < v->min || n > v->max)
            return clnet_errorf(CLNET_ERR_USAGE, "environment: %s=%.64s: expected a whole "
                                "number from %ld to %ld", v->name, value, v->min, v->max);
    }
    return CLNET_OK;
}

int env_validate(void)
{
    for (size_t i = 0; i < N_VARS; i++) {
        const char *value = getenv(vars[i].name);
        if (!value || !*value)
            continue; /* unset and empty mean the default alike */
        if (strpbrk(value, "\n\r"))
            return clnet_errorf(CLNET_ERR_USAGE, "environment: %s holds a line break",
                                vars[i].name);
        int status = check(&vars[i], value);
        if (status != CLNET_OK)
            return status;
    }
    return CLNET_OK;
}

void env_print(FILE *f)
{
    for (size_t i = 0; i < N_VARS; i++) {
        char name[64], doc[1024];
        snprintf(name, sizeof name, "  %s", vars[i].name);
        snprintf(doc, sizeof doc, "%s%s%s", vars[i].doc, vars[i].kind == ENV_WORDS ? "; " : "",
                 vars[i].kind == ENV_WORDS ? vars[i].words : "");
        wrap_entry(f, name, 25, doc, WRAP_HELP_COLUMNS);
    }
}
