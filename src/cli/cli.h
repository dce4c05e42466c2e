/* The command line: one option table (cli.c) feeds both the parser and `clnet help`; each
 * command lives in its own file here and returns a status (util/status.h). */
#ifndef CLNET_CLI_CLI_H
#define CLNET_CLI_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/options.h"

#define CLI_MAX_SETS 64
#define CLI_MAX_POSITIONAL 1024

struct cli_args {
    const char *command;
    const char *positional[CLI_MAX_POSITIONAL]; /* after the command */
    int n_positional;
    struct clnet_options opt; /* the environment's settings with the flags over them */
    const char *out;     /* --out DIR, or NULL */
    const char *sets[CLI_MAX_SETS]; /* --set key.path=value, in order */
    int n_sets;
    const char *inputs;  /* --inputs FILE.csv (eval, grad) */
    const char *weights; /* --weights best|final (eval, predict), or NULL: final */
    const char *targets; /* --targets FILE.csv (grad) */
    const char *nodes;   /* --nodes a,b (grad) */
    const char *format;  /* --format png|pdf|both (report), or NULL */
    const char *devices; /* --devices SPEC,... (sweep) */
    int jobs;            /* --jobs N (sweep); default 1 */
    bool quiet, verbose;
    bool build;          /* devices --build */
    bool restart;        /* train --restart */
    bool fail_fast;      /* sweep --fail-fast */
    bool selfcheck;      /* train --selfcheck */
    bool wrt_input;      /* gradcheck --wrt input */
    bool plan;           /* summary --plan */
    pid_t parent;        /* compile-helper --parent PID */
    double process_start; /* monotonic seconds, taken first thing in cli_parse */
};

/* Parses argv into args, its settings starting from env's (options_from_env); on bad usage
 * records a message and returns CLNET_ERR_USAGE. */
int cli_parse(struct cli_args *args, int argc, char **argv, const struct clnet_options *env);

/* Runs the parsed command. */
int cli_run(const struct cli_args *args);

int cli_train(const struct cli_args *args);
int cli_eval(const struct cli_args *args);
int cli_grad(const struct cli_args *args);
/* A run directory's config.yaml and its weights: model.safetensors, or best.safetensors for
 * which "best" (*weights NULL for a config file, when configs_too; cli/eval.c). */
int cli_run_files(const char *target, const char *which, bool configs_too, char **config,
                  char **weights);
int cli_predict(const struct cli_args *args);
int cli_devices(const struct cli_args *args);
int cli_summary(const struct cli_args *args);
int cli_graph(const struct cli_args *args);
int cli_config(const struct cli_args *args);
int cli_report(const struct cli_args *args);
int cli_sweep(const struct cli_args *args);
int cli_gradcheck(const struct cli_args *args);
int cli_selfcheck(const struct cli_args *args);
int cli_help(const struct cli_args *args);
int cli_compile_helper(const struct cli_args *args); /* hidden: train's cold start starts it */

#endif
