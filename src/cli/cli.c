/* The command line of clnet: one table of commands and one of options (with util/options.c's
 * table of settings, which have flags too) feed both the parser and `clnet help`, so an option
 * cannot be documented without being parsed or the reverse. Each command lives in its own
 * file; this one only parses and dispatches. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/report.h"
#include "util/options.h"
#include "util/status.h"
#include "util/wrap.h"

struct command {
    const char *name;
    const char *usage;
    const char *help;
    int (*run)(const struct cli_args *args);
    int min_positional, max_positional;
    bool hidden; /* started by clnet itself; not in `clnet help` */
};

static int cli_help_config(const struct cli_args *args);

static const struct command commands[] = {
    {"train", "train CONFIG.yaml [--device SPEC] [--out DIR] [--restart] [--set key.path=value ...]",
     "train the experiment; writes runs/NAME/ (or DIR); resumes from DIR's checkpoint when it "
     "holds one of the same config; SIGINT/SIGTERM checkpoint and exit 130",
     cli_train, 1, 1, false},
    {"sweep", "sweep DIR [--jobs N] [--devices SPEC,...] [--out ROOT] [--set key.path=value ...]",
     "train every DIR/**/*.yaml (not _*.yaml) into ROOT/DIRNAME/NAME/ (ROOT: runs), skipping "
     "runs already completed with the same config; then ROOT/DIRNAME/summary.csv, summary.md "
     "and comparison plots",
     cli_sweep, 1, 1, false},
    {"report", "report DIR... [--format png|pdf|both]",
     "draw a run's plots and write its page (index.html) again from its files (DIR: a run "
     "directory), or every run's, the comparison plots and the pages of a sweep (DIR: a folder "
     "of run directories)",
     cli_report, 1, CLI_MAX_POSITIONAL, false},
    {"eval", "eval CONFIG.yaml|RUN_DIR [--weights best|final] [--inputs FILE.csv|-]",
     "test-set loss and accuracy of a run's final (or best) weights, or a config's initial "
     "model; with "
     "--inputs, a CSV of each input row's class and probabilities (a hand-set model: its "
     "outputs)",
     cli_eval, 1, 1, false},
    {"grad", "grad CONFIG.yaml|RUN_DIR --inputs X.csv [--targets T.csv] [--nodes a,b] [--weights W]",
     "the gradient of the loss with respect to each input row (dL/dx) and to the named layers' "
     "outputs, at a run's weights (W: final or best; a config's: its initial ones), for rows of "
     "X.csv (pixels / 255, as eval --inputs) and, as the loss needs, their classes in T.csv (one a line) or "
     "their clean inputs (rows, for an mse term against clean)",
     cli_grad, 1, 1, false},
    {"predict", "predict RUN_DIR IMAGE.png... [--weights best|final]",
     "the class of each PNG image of a handwritten digit (any size, dark on light or light on "
     "dark; prepared as MNIST's digits were), with its probability and the next two classes",
     cli_predict, 2, CLI_MAX_POSITIONAL, false},
    {"summary", "summary CONFIG.yaml [--set key.path=value ...] [--plan]",
     "layer table: output shape, parameters, FLOPs per image; totals; the training set, "
     "iterations per epoch and the epochs the iterations make; with --plan, the execution "
     "plan on the device", cli_summary, 1, 1, false},
    {"graph", "graph CONFIG.yaml [--out FILE.png|.svg|.pdf|.dot] [--set key.path=value ...]",
     "draw the model's computation graph with Graphviz: the input x, each layer's "
     "pre-activation z and activation h, its parameters W and b, the loss (default FILE: "
     "NAME_graph.png)", cli_graph, 1, 1, false},
    {"config", "config CONFIG.yaml [--set key.path=value ...]",
     "the resolved config (base: merged, --set applied, every default filled in): the bytes "
     "train writes as config.yaml", cli_config, 1, 1, false},
    {"devices", "devices [--device SPEC] [--build]",
     "OpenCL platforms and devices with their index P:D and limits; marks the one SPEC picks",
     cli_devices, 0, 0, false},
    {"gradcheck", "gradcheck CONFIG.yaml [--device SPEC] [--wrt input] [--set key.path=value ...]",
     "the device's gradients against finite differences in double on the host, on a few "
     "samples: per parameter tensor, max absolute and relative error and ok/FAIL (exit 1)",
     cli_gradcheck, 1, 1, false},
    {"selfcheck", "selfcheck [--device SPEC]",
     "run every kernel on small random inputs against the host reference; catches drivers "
     "that miscompile (fast-math exp/log, flushed denormals, NaN folding), wrong offsets or "
     "buffers and stray writes (exit 1)",
     cli_selfcheck, 0, 0, false},
    {"help", "help [COMMAND | config]",
     "this text; `help COMMAND` one command's usage and options; `help config` lists every "
     "experiment-file key",
     cli_help, 0, 1, false},
    {"compile-helper", "compile-helper --parent PID CONFIG.yaml [train's options]",
     "a cold start's compile helper (runtime/quirks.h)", cli_compile_helper, 1, 1, true},
};

/* Which commands accept an option: a space-separated list, matched as whole words (the
 * compile-helper takes what train takes). The settings' flags (device, cl-dir, gemm, ...) are
 * util/options.c's. A NULL help hides the option. */
static const struct options_flag options[] = {
    {"out", 'o', "DIR", "train sweep graph",
     "run directory (default runs/NAME); for sweep, the folder of sweeps (default runs); for "
     "graph, the picture's file"},
    {"jobs", 'j', "N", "sweep", "runs at once (default 1)"},
    {"devices", 0, "SPEC,...", "sweep",
     "devices for the runs, round-robin over the job slots (default: each config's device:)"},
    {"fail-fast", 0, NULL, "sweep",
     "after a failed run, start no more and interrupt the running ones (they checkpoint)"},
    {"format", 0, "png|pdf|both", "report",
     "plot files to write (default: each run's report.format); PNG is always written"},
    {"targets", 0, "FILE.csv", "grad", "each input row's class, one a line, or its clean input "
     "(the loss's target)"},
    {"nodes", 0, "NAME,...", "grad", "also the gradient with respect to these layers' outputs "
     "(their name:)"},
    {"inputs", 'i', "FILE.csv", "eval grad",
     "rows of inputs (pixels / 255), separated by commas or by spaces, one output row each "
     "('-' reads standard input)"},
    {"weights", 0, "best|final", "eval predict grad",
     "a run's weights: final (model.safetensors, the default) or best (best.safetensors, the "
     "best evaluation's: on the validation split when there is one)"},
    {"set", 's', "KEY.PATH=VALUE", "train eval grad summary config sweep gradcheck graph",
     "override one config value, e.g. train.iterations=200 (repeatable)"},
    {"wrt", 0, "input", "gradcheck",
     "also check the gradient of the loss with respect to the input rows, dL/dx"},
    {"build", 0, NULL, "devices",
     "build every kernel on the selected device and report the time and binary-cache use"},
    {"plan", 0, NULL, "summary",
     "also print the execution plan on the device (--device, or the config's device:): each "
     "step's layers, kernels and fusions, and why a fast path is off (train --verbose prints "
     "it too)"},
    {"selfcheck", 0, NULL, "train",
     "run `clnet selfcheck` on the device first and stop (exit 1) if a kernel fails it"},
    {"restart", 0, NULL, "train",
     "start over in a run directory that holds a checkpoint (default: resume from it)"},
    {"quiet", 'q', NULL, "train sweep report", "print only errors"},
    {"verbose", 'v', NULL, "train sweep",
     "also keep every evaluation as its own line on a terminal, and print start-up timing, "
     "kernel binary-cache use and each checkpoint written (sweep: and each run's command)"},
    {"help", 'h', NULL, "train eval grad predict summary graph config devices sweep report gradcheck selfcheck help", "show this help"},
    {"parent", 0, "PID", "compile-helper", NULL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every option: this file's, then the settings'. */
static size_t n_flags(void)
{
    return COUNT(options) + (size_t)options_flag_count();
}

static const struct options_flag *flag_at(size_t i)
{
    return i < COUNT(options) ? &options[i] : options_flag_at((int)(i - COUNT(options)));
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int accepts(const struct options_flag *o, const char *command)
{
    if (strcmp(command, "compile-helper") == 0 && accepts(o, "train"))
        return 1;
    size_t n = strlen(command);
    for (const char *p = o->commands; (p = strstr(p, command)) != NULL; p += n)
        if ((p == o->commands || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static const struct options_flag *find_option(const char *arg, const char **value)
{
    *value = NULL;
    if (arg[1] != '-') { /* -x */
        for (size_t i = 0; i < n_flags(); i++)
            if (flag_at(i)->short_name && arg[1] == flag_at(i)->short_name && arg[2] == '\0')
                return flag_at(i);
        return NULL;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t i = 0; i < n_flags(); i++) {
        const struct options_flag *o = flag_at(i);
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
            if (eq)
                *value = eq + 1;
            return o;
        }
    }
    return NULL;
}

/* A whole number from min to max into *out, else the usage error naming --name. */
static int whole_option(long *out, const char *name, const char *v, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long j = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno || j < min || j > max)
        return clnet_errorf(CLNET_ERR_USAGE, "--%s %s: expected a whole number from %ld to %ld",
                            name, v, min, max);
    *out = j;
    return CLNET_OK;
}

/* The options that only keep their value (--out FILE) or say yes (--quiet): true when n is
 * one of them, set. */
static bool set_plain(struct cli_args *a, const char *n, const char *v)
{
    const struct {
        const char *name;
        const char **value;
        bool *yes;
    } plain[] = {
        {"out", &a->out, NULL},         {"inputs", &a->inputs, NULL},
        {"targets", &a->targets, NULL}, {"nodes", &a->nodes, NULL},
        {"format", &a->format, NULL},   {"devices", &a->devices, NULL},
        {"build", NULL, &a->build},     {"restart", NULL, &a->restart},
        {"selfcheck", NULL, &a->selfcheck}, {"plan", NULL, &a->plan},
        {"quiet", NULL, &a->quiet},     {"verbose", NULL, &a->verbose},
        {"fail-fast", NULL, &a->fail_fast},
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (strcmp(n, plain[i].name) != 0)
            continue;
        if (plain[i].value)
            *plain[i].value = v;
        else
            *plain[i].yes = true;
        return true;
    }
    return false;
}

static int set_option(struct cli_args *a, const struct options_flag *o, const char *v)
{
    const char *n = o->name;
    bool setting;
    int status = options_set_flag(&a->opt, n, v, &setting);
    if (setting || set_plain(a, n, v))
        return status;
    long j;
    if (strcmp(n, "weights") == 0) {
        if (strcmp(v, "best") != 0 && strcmp(v, "final") != 0)
            return clnet_errorf(CLNET_ERR_USAGE, "--weights %s: expected best or final", v);
        a->weights = v;
    } else if (strcmp(n, "set") == 0) {
        if (a->n_sets == CLI_MAX_SETS)
            return clnet_errorf(CLNET_ERR_USAGE, "too many --set options (at most %d)",
                                CLI_MAX_SETS);
        if (!strchr(v, '='))
            return clnet_errorf(CLNET_ERR_USAGE, "--set %s: expected KEY.PATH=VALUE", v);
        a->sets[a->n_sets++] = v;
    } else if (strcmp(n, "wrt") == 0) {
        if (strcmp(v, "input") != 0)
            return clnet_errorf(CLNET_ERR_USAGE, "--wrt %s: the one choice is --wrt input (the "
                                "parameters are always checked)", v);
        a->wrt_input = true;
    } else if (strcmp(n, "jobs") == 0) {
        if ((status = whole_option(&j, n, v, 1, 256)) != CLNET_OK)
            return status;
        a->jobs = (int)j;
    } else if (strcmp(n, "parent") == 0) {
        if ((status = whole_option(&j, n, v, 1, 1L << 30)) != CLNET_OK)
            return status;
        a->parent = (pid_t)j;
    } else if (strcmp(n, "help") == 0) {
        a->positional[0] = a->command;
        a->n_positional = 1;
        a->command = "help";
    } else
        return clnet_errorf(CLNET_ERR_INTERNAL, "option --%s has no handler in cli.c", n);
    return CLNET_OK;
}

int cli_parse(struct cli_args *a, int argc, char **argv, const struct clnet_options *env)
{
    memset(a, 0, sizeof *a);
    a->opt = *env;
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
                            "eval, grad, predict, report, summary, graph, config, devices, gradcheck, selfcheck, help; "
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
        const struct options_flag *o = find_option(arg, &value);
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

/* The optional extras this build has (meson features; docs/building.md). */
static void print_extras(void)
{
#ifdef CLNET_PLPLOT_VERSION
    printf("plots: yes (PLplot %s)\n", CLNET_PLPLOT_VERSION);
#else
    printf("plots: no (built without PLplot: no PNG or PDF figures, every CSV and JSON)\n");
#endif
#ifdef CLNET_HAVE_GRAPHVIZ
    printf("graphviz: yes (Graphviz %s: clnet graph)\n", CLNET_GRAPHVIZ_VERSION);
#else
    printf("graphviz: no (built without Graphviz: no clnet graph)\n");
#endif
#ifdef CLNET_HAVE_MPI
    printf("mpi: yes (MPI %s)\n", CLNET_MPI_VERSION);
#else
    printf("mpi: no (built without MPI: no train.parallel, no sweeps over ranks)\n");
#endif
}

int cli_run(const struct cli_args *a)
{
    if (strcmp(a->command, "version") == 0) {
        printf("clnet %s\n", CLNET_VERSION);
        print_extras();
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
        if ((only && only != c) || (!only && c->hidden))
            continue;
        fprintf(f, "  clnet %s\n    ", c->usage); /* usages run to 87 columns */
        wrap_text(f, c->help, 4, 4, WRAP_HELP_COLUMNS);
        for (size_t j = 0; j < n_flags(); j++) {
            const struct options_flag *o = flag_at(j);
            if (!only || !o->help || !accepts(o, c->name))
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
        for (size_t j = 0; j < n_flags(); j++) {
            char entry[32];
            if (!flag_at(j)->help)
                continue;
            snprintf(entry, sizeof entry, "  --%s", flag_at(j)->name);
            wrap_entry(f, entry, 19, flag_at(j)->help, WRAP_HELP_COLUMNS);
        }
        fprintf(f, "\nenvironment (read at start, a bad value refused, exit 2; a flag wins):\n");
        options_print_env(f);
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
