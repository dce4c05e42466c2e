/* The command line of clnet: one table of commands and one of options feed both the parser
 * and `clnet help`, so an option cannot be documented without being parsed or the reverse.
 * Each command lives in its own file; this one only parses and dispatches. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/report.h"
#include "util/env.h"
#include "util/status.h"
#include "util/wrap.h"

struct command {
    const char *name;
    const char *usage;
    const char *help;
    int (*run)(const struct cli_args *args);
    int min_positional, max_positional;
};

static int cli_help_config(const struct cli_args *args);

static const struct command commands[] = {
    {"train", "train CONFIG.yaml [--device SPEC] [--out DIR] [--restart] [--set key.path=value ...]",
     "train the experiment; writes runs/NAME/ (or DIR); resumes from DIR's checkpoint when it "
     "holds one of the same config; SIGINT/SIGTERM checkpoint and exit 130",
     cli_train, 1, 1},
    {"sweep", "sweep DIR [--jobs N] [--devices SPEC,...] [--out ROOT] [--set key.path=value ...]",
     "train every DIR/**/*.yaml (not _*.yaml) into ROOT/DIRNAME/NAME/ (ROOT: runs), skipping "
     "runs already completed with the same config; then ROOT/DIRNAME/summary.csv, summary.md "
     "and comparison plots",
     cli_sweep, 1, 1},
    {"report", "report DIR... [--format png|pdf|both]",
     "draw a run's plots and write its page (index.html) again from its files (DIR: a run "
     "directory), or every run's, the comparison plots and the pages of a sweep (DIR: a folder "
     "of run directories)",
     cli_report, 1, CLI_MAX_POSITIONAL},
    {"eval", "eval CONFIG.yaml|RUN_DIR [--inputs FILE.csv|-]",
     "test-set loss and accuracy of a run's weights (or a config's initial model); with "
     "--inputs, a CSV of each input row's class and probabilities (a hand-set model: its "
     "outputs)",
     cli_eval, 1, 1},
    {"predict", "predict RUN_DIR IMAGE.png...",
     "the class of each PNG image of a handwritten digit (any size, dark on light or light on "
     "dark; prepared as MNIST's digits were), with its probability and the next two classes",
     cli_predict, 2, CLI_MAX_POSITIONAL},
    {"summary", "summary CONFIG.yaml [--set key.path=value ...]",
     "layer table: output shape, parameters, FLOPs per image; totals; the training set, "
     "iterations per epoch and the epochs the iterations make", cli_summary, 1, 1},
    {"config", "config CONFIG.yaml [--set key.path=value ...]",
     "the resolved config (base: merged, --set applied, every default filled in): the bytes "
     "train writes as config.yaml", cli_config, 1, 1},
    {"devices", "devices [--device SPEC] [--build]",
     "OpenCL platforms and devices with their index P:D and limits; marks the one SPEC picks",
     cli_devices, 0, 0},
    {"gradcheck", "gradcheck CONFIG.yaml [--device SPEC] [--set key.path=value ...]",
     "the device's gradients against finite differences in double on the host, on a few "
     "samples: per parameter tensor, max absolute and relative error and ok/FAIL (exit 1)",
     cli_gradcheck, 1, 1},
    {"selfcheck", "selfcheck [--device SPEC]",
     "run every kernel on small random inputs against the host reference; catches drivers "
     "that miscompile (fast-math exp/log, flushed denormals, NaN folding), wrong offsets or "
     "buffers and stray writes (exit 1)",
     cli_selfcheck, 0, 0},
    {"help", "help [config]", "this text; `help config` lists every experiment-file key",
     cli_help, 0, 1},
};

/* Which commands accept an option: a space-separated list, matched as whole words. */
struct option {
    const char *name; /* long form, without -- */
    char short_name;
    const char *arg;  /* NULL for a flag */
    const char *commands;
    const char *help;
};

static const struct option options[] = {
    {"device", 'd', "SPEC", "train eval predict devices gradcheck selfcheck",
     "auto, P:D as `devices` lists them, or a name substring (overrides CLNET_DEVICE and "
     "the config's device:)"},
    {"out", 'o', "DIR", "train sweep",
     "run directory (default runs/NAME); for sweep, the folder of sweeps (default runs)"},
    {"jobs", 'j', "N", "sweep", "runs at once (default 1)"},
    {"devices", 0, "SPEC,...", "sweep",
     "devices for the runs, round-robin over the job slots (default: each config's device:)"},
    {"fail-fast", 0, NULL, "sweep",
     "after a failed run, start no more and interrupt the running ones (they checkpoint)"},
    {"format", 0, "png|pdf|both", "report",
     "plot files to write (default: each run's report.format); PNG is always written"},
    {"inputs", 'i', "FILE.csv", "eval",
     "rows of inputs (pixels / 255), separated by commas or by spaces, one output row each "
     "('-' reads standard input)"},
    {"set", 's', "KEY.PATH=VALUE", "train eval summary config sweep gradcheck",
     "override one config value, e.g. train.iterations=200 (repeatable)"},
    {"cl-dir", 0, "DIR", "train eval predict devices sweep gradcheck selfcheck",
     "read the OpenCL sources from DIR instead of the embedded copy (or CLNET_CL_DIR)"},
    {"build", 0, NULL, "devices",
     "build every kernel on the selected device and report the time and binary-cache use"},
    {"selfcheck", 0, NULL, "train",
     "run `clnet selfcheck` on the device first and stop (exit 1) if a kernel fails it"},
    {"restart", 0, NULL, "train",
     "start over in a run directory that holds a checkpoint (default: resume from it)"},
    {"quiet", 'q', NULL, "train sweep report", "print only errors"},
    {"verbose", 'v', NULL, "train sweep",
     "also keep every evaluation as its own line on a terminal, and print start-up timing, "
     "kernel binary-cache use and each checkpoint written (sweep: and each run's command)"},
    {"help", 'h', NULL, "train eval predict summary config devices sweep report gradcheck selfcheck help", "show this help"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int accepts(const struct option *o, const char *command)
{
    size_t n = strlen(command);
    for (const char *p = o->commands; (p = strstr(p, command)) != NULL; p += n)
        if ((p == o->commands || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static const struct option *find_option(const char *arg, const char **value)
{
    *value = NULL;
    if (arg[1] != '-') { /* -x */
        for (size_t i = 0; i < COUNT(options); i++)
            if (options[i].short_name && arg[1] == options[i].short_name && arg[2] == '\0')
                return &options[i];
        return NULL;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t i = 0; i < COUNT(options); i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0) {
            if (eq)
                *value = eq + 1;
            return &options[i];
        }
    return NULL;
}

static int set_option(struct cli_args *a, const struct option *o, const char *v)
{
    const char *n = o->name;
    if (strcmp(n, "device") == 0)
        a->device = v;
    else if (strcmp(n, "cl-dir") == 0)
        a->cl_dir = v;
    else if (strcmp(n, "out") == 0)
        a->out = v;
    else if (strcmp(n, "inputs") == 0)
        a->inputs = v;
    else if (strcmp(n, "format") == 0)
        a->format = v;
    else if (strcmp(n, "set") == 0) {
        if (a->n_sets == CLI_MAX_SETS)
            return clnet_errorf(CLNET_ERR_USAGE, "too many --set options (at most %d)",
                                CLI_MAX_SETS);
        if (!strchr(v, '='))
            return clnet_errorf(CLNET_ERR_USAGE, "--set %s: expected KEY.PATH=VALUE", v);
        a->sets[a->n_sets++] = v;
    } else if (strcmp(n, "build") == 0)
        a->build = true;
    else if (strcmp(n, "restart") == 0)
        a->restart = true;
    else if (strcmp(n, "selfcheck") == 0)
        a->selfcheck = true;
    else if (strcmp(n, "quiet") == 0)
        a->quiet = true;
    else if (strcmp(n, "verbose") == 0)
        a->verbose = true;
    else if (strcmp(n, "fail-fast") == 0)
        a->fail_fast = true;
    else if (strcmp(n, "devices") == 0)
        a->devices = v;
    else if (strcmp(n, "jobs") == 0) {
        char *end = NULL;
        errno = 0;
        long j = strtol(v, &end, 10);
        if (end == v || *end != '\0' || errno || j < 1 || j > 256)
            return clnet_errorf(CLNET_ERR_USAGE, "--jobs %s: expected a whole number from 1 to "
                                "256", v);
        a->jobs = (int)j;
    }
    else if (strcmp(n, "help") == 0) {
        a->positional[0] = a->command;
        a->n_positional = 1;
        a->command = "help";
    } else
        return clnet_errorf(CLNET_ERR_INTERNAL, "option --%s has no handler in cli.c", n);
    return CLNET_OK;
}

int cli_parse(struct cli_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->process_start = clock_seconds();
    a->jobs = 1;
    if (argc < 2) {
        a->command = "help";
        return CLNET_OK;
    }
    a->command = argv[1];
    if (strcmp(a->command, "--help") == 0 || strcmp(a->command, "-h") == 0)
        a->command = "help";
    else if (strcmp(a->command, "--version") == 0)
        a->command = "version";
    else if (!find_command(a->command))
        return clnet_errorf(CLNET_ERR_USAGE, "unknown command '%s' (commands: train, sweep, "
                            "eval, predict, report, summary, config, devices, gradcheck, selfcheck, help; "
                            "see "
                            "`clnet help`)", a->command);
    const char *command = a->command;
    bool only_positional = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            if (a->n_positional == CLI_MAX_POSITIONAL)
                return clnet_errorf(CLNET_ERR_USAGE, "too many arguments");
            a->positional[a->n_positional++] = arg;
            continue;
        }
        const char *value;
        const struct option *o = find_option(arg, &value);
        if (!o || !accepts(o, command))
            return clnet_errorf(CLNET_ERR_USAGE, "%s: unknown option '%s' (see `clnet help`)",
                                command, arg);
        if (o->arg && !value) {
            if (i + 1 >= argc)
                return clnet_errorf(CLNET_ERR_USAGE, "%s: option --%s needs %s", command,
                                    o->name, o->arg);
            value = argv[++i];
        } else if (!o->arg && value) {
            return clnet_errorf(CLNET_ERR_USAGE, "%s: option --%s takes no value", command,
                                o->name);
        }
        int status = set_option(a, o, value);
        if (status)
            return status;
        if (strcmp(a->command, "help") == 0)
            return CLNET_OK;
    }
    const struct command *c = find_command(a->command);
    if (c && (a->n_positional < c->min_positional || a->n_positional > c->max_positional))
        return clnet_errorf(CLNET_ERR_USAGE, "usage: clnet %s", c->usage);
    return CLNET_OK;
}

int cli_run(const struct cli_args *a)
{
    if (strcmp(a->command, "version") == 0) {
        printf("clnet %s\n", CLNET_VERSION);
        return CLNET_OK;
    }
    return find_command(a->command)->run(a);
}

static void print_usage(FILE *f, const struct command *only)
{
    if (!only)
        fprintf(f, "clnet %s: trains neural networks described in YAML on any OpenCL "
                   "device\n\nusage:\n",
                CLNET_VERSION);
    for (size_t i = 0; i < COUNT(commands); i++) {
        const struct command *c = &commands[i];
        if (only && only != c)
            continue;
        fprintf(f, "  clnet %s\n    ", c->usage); /* usages run to 87 columns */
        wrap_text(f, c->help, 4, 4, WRAP_HELP_COLUMNS);
        for (size_t j = 0; j < COUNT(options); j++) {
            const struct option *o = &options[j];
            if (!only || !accepts(o, c->name))
                continue;
            char left[64];
            snprintf(left, sizeof left, "%s%c%s--%s%s%s", o->short_name ? "-" : "",
                     o->short_name ? o->short_name : ' ', o->short_name ? ", " : " ", o->name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
            char entry[80];
            snprintf(entry, sizeof entry, "      %s", o->short_name ? left : left + 2);
            wrap_entry(f, entry, 43, o->help, WRAP_HELP_COLUMNS);
        }
    }
    if (!only) {
        fprintf(f, "\noptions (`clnet help COMMAND` says which command takes which):\n");
        for (size_t j = 0; j < COUNT(options); j++) {
            char entry[32];
            snprintf(entry, sizeof entry, "  --%s", options[j].name);
            wrap_entry(f, entry, 19, options[j].help, WRAP_HELP_COLUMNS);
        }
        fprintf(f, "\nenvironment (a bad value is refused at start, exit 2):\n");
        env_print(f);
        wrap_text(f, "exit codes: 0 success, 1 the run failed (sweep: a run did not complete), "
                  "2 bad usage, configuration or data, 130 interrupted by SIGINT, 143 by "
                  "SIGTERM", 0, 2, WRAP_HELP_COLUMNS);
    }
}

int cli_help(const struct cli_args *a)
{
    if (a->n_positional == 0) {
        print_usage(stdout, NULL);
        return CLNET_OK;
    }
    const char *topic = a->positional[0];
    if (strcmp(topic, "config") == 0)
        return cli_help_config(a);
    const struct command *c = find_command(topic);
    if (!c || strcmp(topic, "help") == 0) {
        if (c) {
            print_usage(stdout, NULL);
            return CLNET_OK;
        }
        return clnet_errorf(CLNET_ERR_USAGE, "help: no help on '%s' (try `clnet help`)", topic);
    }
    printf("usage:\n");
    print_usage(stdout, c);
    return CLNET_OK;
}

static int cli_help_config(const struct cli_args *a)
{
    (void)a;
    config_print_help(stdout);
    return CLNET_OK;
}
