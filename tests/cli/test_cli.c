/* End-to-end tests of the command line, run as a user runs clnet: every kind of bad input
 * gives exit code 2 and exactly one line on stderr that says where and what, fast, before
 * any device is touched; and the commands that work print what they should. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "harness.h"
#include "run.h"

/* One bad input: a YAML file written to a temp folder (NULL: none) and the arguments, with
 * %s standing for the file's path; the error must contain every `want` string, where %s
 * again stands for the path. */
struct bad_case {
    const char *name;
    const char *yaml;
    const char *args[8];
    const char *want[3];
};

#define GOOD_MODEL                                                                             \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 10}\n"

static const struct bad_case bad_cases[] = {
    {"graph: a cycle",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a, from: b}\n"
     "    - dense: {units: 10, name: b}\n",
     {"summary", "%s"}, {"%s:4:41:", "layer 0 (dense)", "makes a cycle (a -> b -> a"}},
    {"graph: a dangling name",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a}\n"
     "    - add: {from: [a, c]}\n",
     {"graph", "%s"}, {"%s:5:23:", "layer 1 (add)", "no layer is named 'c'"}},
    {"graph: a shape mismatch",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a}\n"
     "    - add: {from: [a, input]}\n",
     {"eval", "%s"}, {"%s:5:7:", "layer 1 (add)", "a (10), input (784)"}},
    {"graph: --out of another format", GOOD_MODEL, {"graph", "%s", "--out", "g.gif"},
     {"--out g.gif", "must end in .png, .svg, .pdf or .dot"}},
    {"grad without --targets", GOOD_MODEL, {"grad", "%s", "--inputs", "x.csv"},
     {"grad: %s's loss needs --targets T.csv", "each row's class"}},
    {"grad: --targets for a loss without targets",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a}\n"
     "train:\n  loss: [{l2: {on: a}}]\n",
     {"grad", "%s", "--inputs", "x.csv", "--targets", "t.csv"},
     {"grad: %s's loss reads no targets", "leave --targets out"}},
    {"a loss term on an unknown layer",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a}\n"
     "train:\n  loss:\n    - mse: {on: b, target: labels}\n",
     {"summary", "%s"}, {"%s:7:17:", "train.loss.0 (mse)", "no layer is named 'b'"}},
    {"an empty loss list", GOOD_MODEL "train:\n  loss: []\n", {"train", "%s"},
     {"%s:6:9:", "train.loss", "expected at least one term"}},
    {"grad: an unknown node",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, name: a}\n",
     {"grad", "%s", "--inputs", "x.csv", "--targets", "t.csv", "--nodes", "a,q"},
     {"--nodes: no layer of %s is named 'q'"}},
    {"malformed yaml", "model: [1, 2\n", {"summary", "%s"}, {"%s:2:1:"}},
    {"tab indentation", "model:\n\tinput: [784]\n", {"summary", "%s"}, {"%s:2:"}},
    {"not a map", "- 1\n- 2\n", {"summary", "%s"}, {"%s:1:1:"}},
    {"empty file", "", {"summary", "%s"}, {"%s", "empty"}},
    {"unknown top-level key", "seeed: 3\n" GOOD_MODEL, {"summary", "%s"},
     {"%s:1:1:", "'seeed'", "did you mean 'seed'"}},
    {"unknown train key", GOOD_MODEL "train:\n  iteratons: 5\n", {"summary", "%s"},
     {"%s:6:3:", "'iteratons'", "did you mean 'iterations'"}},
    {"unknown layer key",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, activaton: relu}\n",
     {"summary", "%s"}, {"%s:4:", "layer 0 (dense)", "did you mean 'activation'"}},
    {"unknown data key", GOOD_MODEL "data: {dri: x}\n", {"summary", "%s"},
     {"%s:5:", "'dri'", "did you mean 'dir'"}},
    {"unknown optimizer", GOOD_MODEL "train:\n  optimizer: {adamw: {lr: 0.1}}\n",
     {"summary", "%s"}, {"%s:6:", "'adamw'", "adam"}},
    {"unknown optimizer parameter", GOOD_MODEL "train:\n  optimizer: {adam: {lr: 0.1, beta: 0.9}}\n",
     {"summary", "%s"}, {"%s:6:", "'beta'"}},
    {"unknown activation",
     "model:\n  input: [784]\n  layers:\n    - dense: {units: 10, activation: rleu}\n",
     {"summary", "%s"}, {"%s:4:", "'rleu'", "did you mean 'relu'"}},
    {"unknown layer kind", "model:\n  input: [784]\n  layers:\n    - dens: {units: 10}\n",
     {"summary", "%s"}, {"%s:4:", "'dens'", "did you mean 'dense'"}},
    {"unknown init scheme", GOOD_MODEL "init:\n  weights: {gaussian: {std: 0.1}}\n",
     {"summary", "%s"}, {"%s:6:", "'gaussian'"}},
    {"wrong type: string for int", GOOD_MODEL "train:\n  iterations: many\n", {"summary", "%s"},
     {"%s:6:15:", "'many'"}},
    {"wrong type: float for int", GOOD_MODEL "train:\n  batch_size: 1.5\n", {"summary", "%s"},
     {"%s:6:15:", "'1.5'"}},
    {"wrong type: map for scalar", GOOD_MODEL "seed: {a: 1}\n", {"summary", "%s"},
     {"%s:5:7:", "seed"}},
    {"out of range: negative iterations", GOOD_MODEL "train:\n  iterations: -5\n",
     {"summary", "%s"}, {"%s:6:15:", "iterations"}},
    {"out of range: dropout p", "model:\n  input: [784]\n  layers:\n    - dropout: {p: 1.5}\n"
                                "    - dense: {units: 10}\n",
     {"summary", "%s"}, {"%s:4:", "p"}},
    {"out of range: lr zero", GOOD_MODEL "train:\n  optimizer: {sgd: {lr: 0}}\n",
     {"summary", "%s"}, {"%s:6:", "lr"}},
    {"missing required key", "model:\n  input: [784]\n  layers:\n    - dense: {activation: relu}\n",
     {"summary", "%s"}, {"%s:4:", "units"}},
    {"missing model", "seed: 1\n", {"summary", "%s"}, {"%s", "model"}},
    {"bad input rank", "model:\n  input: [28, 28]\n  layers:\n    - dense: {units: 10}\n",
     {"summary", "%s"}, {"%s:2:", "input"}},
    {"shape: dense after conv without flatten",
     "model:\n  input: [1, 28, 28]\n  layers:\n    - conv2d: {filters: 4, size: 5}\n"
     "    - dense: {units: 10}\n",
     {"summary", "%s"}, {"%s:5:", "layer 1 (dense)", "flatten"}},
    {"shape: kernel larger than padded input",
     "model:\n  input: [1, 4, 4]\n  layers:\n    - conv2d: {filters: 4, size: 7}\n",
     {"summary", "%s"}, {"%s:4:", "layer 0 (conv2d)", "7x7"}},
    {"shape: inline weights wrong width",
     "model:\n  input: [3]\n  layers:\n    - dense: {units: 2, weights: [[1, 2], [3, 4]]}\n",
     {"summary", "%s"}, {"%s:4:", "layer 0 (dense)"}},
    {"yaml alias (billion laughs)",
     "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
     {"summary", "%s"}, {"%s:1:4:", "anchors"}},
    {"base: missing file", "base: nowhere.yaml\n", {"summary", "%s"},
     {"%s:1:7:", "nowhere.yaml"}},
    {"base: cycle", "base: %self\n" GOOD_MODEL, {"summary", "%s"}, {"%s:1:7:", "cycle"}},
    {"unknown report.x_axis", GOOD_MODEL "report: {x_axis: epochs}\n", {"summary", "%s"},
     {"%s:5:18:", "'epochs'", "did you mean 'epoch'"}},
    {"--set unknown key", GOOD_MODEL, {"summary", "%s", "--set", "train.iteratons=5"},
     {"--set train.iteratons=5:", "did you mean 'iterations'"}},
    {"--set bad value", GOOD_MODEL, {"summary", "%s", "--set", "train.iterations=abc"},
     {"--set train.iterations=abc:", "abc"}},
    {"--set bad list index", GOOD_MODEL, {"summary", "%s", "--set", "model.layers.7.dense.units=5"},
     {"--set model.layers.7.dense.units=5:", "7"}},
    {"--set without =", GOOD_MODEL, {"summary", "%s", "--set", "train.iterations"},
     {"--set train.iterations", "KEY.PATH=VALUE"}},
    {"missing config file", NULL, {"summary", "/nonexistent/x.yaml"}, {"/nonexistent/x.yaml"}},
    {"unknown command", NULL, {"trian"}, {"unknown command 'trian'"}},
    {"unknown option", NULL, {"summary", "x.yaml", "--devcie", "0:0"}, {"--devcie"}},
    {"option without value", NULL, {"summary", "x.yaml", "--device"}, {"--device"}},
    {"unknown device", NULL, {"devices", "--device", "nomatch"}, {"nomatch", "0:0"}},
    {"device index out of range", NULL, {"devices", "--device", "9:9"}, {"9:9", "0:0"}},
};

#define N_BAD (int)(sizeof bad_cases / sizeof bad_cases[0])

/* Replaces every %s in fmt with path (and %self with path too). */
static char *subst(const char *fmt, const char *path)
{
    size_t cap = strlen(fmt) + 8 * strlen(path) + 1;
    char *out = malloc(cap), *o = out;
    for (const char *p = fmt; *p;) {
        if (p[0] == '%' && strncmp(p, "%self", 5) == 0) {
            o += sprintf(o, "%s", path);
            p += 5;
        } else if (p[0] == '%' && p[1] == 's') {
            o += sprintf(o, "%s", path);
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

START_TEST(test_bad_input)
{
    const struct bad_case *c = &bad_cases[_i];
    char name[64];
    snprintf(name, sizeof name, "bad%02d.yaml", _i);
    char *path = NULL;
    if (c->yaml) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", harness_tmpdir(), name);
        char *text = subst(c->yaml, full);
        path = harness_write(NULL, name, text);
        free(text);
    }
    const char *argv[9] = {0};
    for (int i = 0; i < 8 && c->args[i]; i++)
        argv[i] = path ? harness_keep(subst(c->args[i], path)) : c->args[i];
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_msg(r->exit_code == 2, "%s: exit code %d (signal %d), want 2; stderr: %s", c->name,
                  r->exit_code, r->signal, r->err);
    ck_assert_msg(count_lines(r->err) == 1, "%s: want one line on stderr, got: %s", c->name,
                  r->err);
    ck_assert_msg(strncmp(r->err, "clnet: error: ", 14) == 0, "%s: %s", c->name, r->err);
    for (int i = 0; i < 3 && c->want[i]; i++) {
        char *want = path ? subst(c->want[i], path) : strdup(c->want[i]);
        ck_assert_msg(strstr(r->err, want), "%s: want '%s' in: %s", c->name, want, r->err);
        free(want);
    }
    /* Generous against a loaded machine; a config error touches no device. */
    ck_assert_msg(r->seconds < harness_time_limit(1.0), "%s: took %.2f s", c->name, r->seconds);
    free(r);
}
END_TEST

START_TEST(test_summary_hw2_cnn)
{
    char *path = harness_source_path("configs/hw2/q5_ii_cnn.yaml");
    const char *argv[] = {"summary", path, NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strstr(r->out, "122,270"), "no 122,270 in: %s", r->out);
    ck_assert_msg(strstr(r->out, "(12, 7, 7)"), "no (12, 7, 7) in: %s", r->out);
    free(r);
}
END_TEST

START_TEST(test_set_changes_summary)
{
    char *path = harness_source_path("configs/hw2/q4_v_two_sigmoid.yaml");
    const char *argv[] = {"summary", path, "--set", "model.layers.0.dense.units=10", NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    /* 784*10 + 10 + 10*10 + 10 */
    ck_assert_msg(strstr(r->out, "7,960"), "no 7,960 in: %s", r->out);
    free(r);
}
END_TEST

/* `clnet config`: the resolved config with the --set applied, which loads back to the same
 * bytes; no device is touched (a device spec that matches none would stop train). */
START_TEST(test_config_prints_resolved)
{
    char *path = harness_source_path("configs/hw2/q4_i_single.yaml");
    const char *argv[] = {"config", path, "--set", "train.iterations=7", NULL};
    const char *env[] = {"CLNET_DEVICE=no-such-device", NULL};
    struct run_result *r = calloc(1, sizeof *r), *again = calloc(1, sizeof *again);
    run_clnet(r, argv, env);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strncmp(r->out, "# Fully resolved", 16) == 0, "not a resolved config: %s",
                  r->out);
    ck_assert_msg(strstr(r->out, "\n  iterations: 7\n"), "the --set is not applied: %s", r->out);
    ck_assert_msg(strstr(r->out, "\n  eval_batch_size: "), "no default filled in: %s", r->out);
    ck_assert_msg(r->err[0] == '\0', "stderr: %s", r->err);
    char *saved = harness_write(harness_tmpdir(), "resolved.yaml", r->out);
    const char *argv2[] = {"config", saved, NULL};
    run_clnet(again, argv2, NULL);
    ck_assert_msg(again->exit_code == 0, "exit %d: %s", again->exit_code, again->err);
    ck_assert_msg(strcmp(again->out, r->out) == 0, "not the same bytes again:\n%s\nvs\n%s",
                  again->out, r->out);
    free(r);
    free(again);
}
END_TEST

/* A --set naming another alternative of a one-of choice says so on stderr, for every command
 * that takes --set; one that keeps the choice says nothing. */
START_TEST(test_set_switch_said)
{
    static const char *const commands[] = {"config", "summary"};
    static const char *const want =
        "--set train.optimizer.adam.lr: switches train.optimizer from sgd to adam";
    char *path = harness_source_path("configs/hw2/q4_i_single.yaml");
    for (int i = 0; i < 2; i++) {
        const char *argv[] = {commands[i], path, "--set", "train.optimizer.adam.lr=0.001", NULL};
        struct run_result *r = calloc(1, sizeof *r);
        run_clnet(r, argv, NULL);
        ck_assert_msg(r->exit_code == 0, "%s: exit %d: %s", commands[i], r->exit_code, r->err);
        ck_assert_msg(strstr(r->err, want) && count_lines(r->err) == 1, "%s: stderr: %s",
                      commands[i], r->err);
        const char *keep[] = {commands[i], path, "--set", "train.optimizer.sgd.lr=0.1", NULL};
        run_clnet(r, keep, NULL);
        ck_assert_msg(r->exit_code == 0 && r->err[0] == '\0', "%s: exit %d, stderr: %s",
                      commands[i], r->exit_code, r->err);
        free(r);
    }
    const char *argv[] = {"config", path, "--set", "train.optimizer.adam.lr=0.001", NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_msg(strstr(r->out, "optimizer: {adam: {lr: 0.001,"), "not adam: %s", r->out);
    free(r);
}
END_TEST

/* A folder holding only MNIST's training labels, 60,000 of them: what `clnet summary` counts. */
static const char *labels_60000(void)
{
    static uint8_t labels[60000];
    char *dir = NULL, *file = NULL;
    ck_assert_int_ge(asprintf(&dir, "%s/mnist60k-XXXXXX", harness_tmpdir()), 0);
    ck_assert_ptr_nonnull(mkdtemp(harness_keep(dir)));
    ck_assert_int_ge(asprintf(&file, "%s/train-labels-idx1-ubyte", dir), 0);
    int n = 60000;
    ck_assert_int_eq(idx_write(file, labels, 1, &n), 0);
    free(file);
    return dir;
}

/* `clnet summary` on config (with --set data.dir=DIR and one more --set when set is not NULL)
 * exits 0 and prints every want line. */
static void assert_summary(const char *config, const char *dir, const char *set,
                           const char *const *want)
{
    char *path = harness_source_path(config), data[4200];
    snprintf(data, sizeof data, "data.dir=%s", dir);
    const char *argv[] = {"summary", path, "--set", data, set ? "--set" : NULL, set, NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_msg(r->exit_code == 0, "%s: exit %d: %s", config, r->exit_code, r->err);
    for (int i = 0; want[i]; i++)
        ck_assert_msg(strstr(r->out, want[i]), "%s %s: no '%s' in:\n%s", config,
                      set ? set : "", want[i], r->out);
    free(r);
}

/* Question 4 (iv): the training set's size, iterations per epoch and epochs, counted from the
 * data folder, with how the batch that crosses an epoch's end is counted. */
START_TEST(test_summary_epochs)
{
    const char *dir = labels_60000();
    char source[4300];
    snprintf(source, sizeof source, "training set: 60,000 images (%s/train-labels-idx1-ubyte; "
             "all of them train", dir);
    const char *q4_v[] = {
        source,
        "\nepochs: 60,000 images / 100 = 600 iterations per epoch; 2,000 iterations = 3.33 "
        "epochs\n",
        "an epoch: one pass over the 60,000 training images, in a new shuffle each epoch\n",
        "epochs = iterations x 100 / 60,000\n",
        "100 divides 60,000: every epoch ends exactly at the end of a batch\n", NULL};
    assert_summary("configs/hw2/q4_v_two_sigmoid.yaml", dir, NULL, q4_v);
    const char *q4_xiv[] = {
        "\nepochs: 60,000 images / 100 = 600 iterations per epoch; 10,000 iterations = 16.67 "
        "epochs\n", NULL};
    assert_summary("configs/hw2/q4_xiv_adam_10k.yaml", dir, NULL, q4_xiv);
    const char *odd[] = {
        "\nepochs: 60,000 images / 128 = 468.75 iterations per epoch; 2,000 iterations = 4.27 "
        "epochs\n",
        "128 does not divide 60,000: iteration 469 is the first batch across an epoch's end,\n"
        "  the last 96 images of epoch 1 and the first 32 of epoch 2, each counted towards its "
        "own epoch\n", NULL};
    assert_summary("configs/hw2/q4_v_two_sigmoid.yaml", dir, "train.batch_size=128", odd);
    /* No data yet: still the numbers, on MNIST's published size, and why. */
    const char *none[] = {"training set: not read (", "fetch-mnist",
                          "the epochs below count MNIST's 60,000 training images\n",
                          "600 iterations per epoch; 2,000 iterations = 3.33 epochs\n", NULL};
    assert_summary("configs/hw2/q4_i_single.yaml", "/nonexistent", NULL, none);
}
END_TEST

START_TEST(test_help_lists_commands_and_config_keys)
{
    const char *argv[] = {"help", NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_int_eq(r->exit_code, 0);
    ck_assert_msg(strstr(r->out, "summary") && strstr(r->out, "devices"), "%s", r->out);
    const char *argv2[] = {"help", "config", NULL};
    run_clnet(r, argv2, NULL);
    ck_assert_int_eq(r->exit_code, 0);
    ck_assert_msg(strstr(r->out, "train.iterations") || strstr(r->out, "iterations"), "%s",
                  r->out);
    ck_assert_msg(strstr(r->out, "exp_decay"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "\nreport.x_axis ") && strstr(r->out, " iteration|epoch\n"),
                  "%s", r->out);
    free(r);
}
END_TEST

/* Columns of the line at s (UTF-8: continuation bytes take none); *next: the line after it. */
static int line_columns(const char *s, const char **next)
{
    int cols = 0;
    for (; *s && *s != '\n'; s++)
        cols += ((unsigned char)*s & 0xC0) != 0x80;
    *next = *s ? s + 1 : s;
    return cols;
}

static void assert_fits(const char *out, const char *what)
{
    int lineno = 1;
    for (const char *s = out, *next; *s; s = next, lineno++) {
        int cols = line_columns(s, &next);
        ck_assert_msg(cols <= 100, "%s: line %d has %d columns: %.*s", what, lineno, cols,
                      (int)(next - s), s);
    }
}

/* `clnet help` and `clnet help config` fit 100 columns, and in the key table (its lines that
 * do not start with a space, up to the first blank line) a key and its type never run
 * together: the key, one space or more, the type. */
START_TEST(test_help_fits_100_columns)
{
    struct run_result *r = calloc(1, sizeof *r);
    const char *argv[] = {"help", NULL};
    run_clnet(r, argv, NULL);
    ck_assert_int_eq(r->exit_code, 0);
    assert_fits(r->out, "clnet help");
    const char *argv2[] = {"help", "config", NULL};
    run_clnet(r, argv2, NULL);
    ck_assert_int_eq(r->exit_code, 0);
    assert_fits(r->out, "clnet help config");
    int keys = 0;
    for (const char *s = r->out, *next; *s && *s != '\n'; s = next) {
        line_columns(s, &next);
        if (*s == ' ')
            continue;
        size_t key = strcspn(s, " \n");
        ck_assert_msg(s[key] == ' ' && s + key + strspn(s + key, " ") < next - 1,
                      "a key line without a space and a type: %.*s", (int)(next - s), s);
        keys++;
    }
    ck_assert_int_gt(keys, 50);
    free(r);
}
END_TEST

/* --inputs states the scale a trained model reads: raw pixels give confident nonsense. */
START_TEST(test_help_eval_states_input_scale)
{
    const char *argv[] = {"help", "eval", NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    ck_assert_int_eq(r->exit_code, 0);
    const char *inputs = strstr(r->out, "--inputs FILE.csv ");
    ck_assert_msg(inputs && strstr(inputs, "pixels / 255"), "%s", r->out);
    free(r);
}
END_TEST

START_TEST(test_devices_lists_and_selects)
{
    const char *argv[] = {"devices", NULL};
    struct run_result *r = calloc(1, sizeof *r);
    run_clnet(r, argv, NULL);
    if (r->exit_code == 2 && strstr(r->err, "no OpenCL")) {
        free(r);
        return; /* no platform on this machine: the device suites skip too */
    }
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strstr(r->out, "0:0"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "(selected)"), "%s", r->out);
    /* a case-insensitive name substring: the selected device's first four letters, upper
     * case ("PTHR" on PoCL's pthread device, "BASI" on its basic one) */
    const char *sel = strstr(r->out, "(selected)");
    const char *name = sel;
    while (name > r->out && name[-1] != '\n')
        name--;
    name = strstr(name, "  ");
    ck_assert_msg(name && name < sel, "no device name before (selected): %s", r->out);
    name += strspn(name, " ");
    char upper[5] = "";
    for (int i = 0; i < 4 && name[i] && name[i] != ' '; i++)
        upper[i] = (char)toupper((unsigned char)name[i]);
    const char *build[] = {"devices", "--build", NULL};
    char cache[4200];
    snprintf(cache, sizeof cache, "CLNET_CACHE_DIR=%s/cache", harness_tmpdir());
    const char *env[] = {cache, NULL};
    run_clnet(r, build, env);
    ck_assert_msg(r->exit_code == 0, "--build: exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strstr(r->out, "built "), "--build: %s", r->out);
    const char *specs[] = {"0:0", "auto", upper};
    for (int i = 0; i < 3; i++) {
        const char *argv2[] = {"devices", "--device", specs[i], NULL};
        run_clnet(r, argv2, NULL);
        ck_assert_msg(r->exit_code == 0, "--device %s: exit %d: %s", specs[i], r->exit_code,
                      r->err);
    }
    free(r);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("bad input");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_bad_input, 0, N_BAD);
    suite_add_tcase(s, tc);
    tc = tcase_create("commands");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_summary_hw2_cnn);
    tcase_add_test(tc, test_set_changes_summary);
    tcase_add_test(tc, test_config_prints_resolved);
    tcase_add_test(tc, test_set_switch_said);
    tcase_add_test(tc, test_summary_epochs);
    tcase_add_test(tc, test_help_lists_commands_and_config_keys);
    tcase_add_test(tc, test_help_eval_states_input_scale);
    tcase_add_test(tc, test_help_fits_100_columns);
    tcase_add_test(tc, test_devices_lists_and_selects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(cli_suite(), true);
}
