/* End-to-end tests of training, run as a user runs clnet: `clnet train` on a tiny synthetic
 * MNIST-shaped data set (written here with idx_write, so the suite needs no download) learns,
 * is reproducible, stops with the right status when the loss diverges, keeps zero-initialised
 * hidden units identical, and refuses bad data or configs before it creates a run directory;
 * `clnet eval` agrees with the run's summary and computes a hand-set network's outputs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synth.h"
#include "data/idx.h"
#include "harness.h"
#include "model/safetensors.h"
#include "runtime/quirks.h"

#define DENSE_RELU_ADAM                                                                        \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 32, activation: relu}\n"                                             \
    "    - dense: {units: 10}\n"                                                               \
    "init:\n"                                                                                  \
    "  weights: {normal: {std: 0.1}}\n"                                                        \
    "  biases: zeros\n"                                                                        \
    "train:\n"                                                                                 \
    "  iterations: 150\n"                                                                      \
    "  batch_size: 32\n"                                                                       \
    "  optimizer: {adam: {lr: 0.01}}\n"                                                        \
    "  eval_every: 40\n"                                                                       \
    "  eval_batch_size: 100\n"

/* ---- 1. learns ---------------------------------------------------------------------------- */

START_TEST(test_learns)
{
    char *config = write_config("learns.yaml", DENSE_RELU_ADAM);
    char *dir = run_dir("learns");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    double acc = json_number(summary, "final_test_accuracy");
    printf("dense relu, adam: test accuracy %.4f\n", acc);
    ck_assert_msg(acc > 0.9, "final_test_accuracy %g (chance 0.1): %s", acc, summary);
    ck_assert_msg(json_number(summary, "iterations") == 150, "%s", summary);
    /* 784*32 + 32 + 32*10 + 10 */
    ck_assert_msg(json_number(summary, "parameters") == 25450, "%s", summary);

    /* Question 4 (iv)'s numbers on the first line: 600 images in batches of 32. */
    ck_assert_msg(strstr(r->out, "; 600 images / 32 = 18.75 iterations per epoch; 150 "
                                 "iterations = 8 epochs\n"), "first line: %s", r->out);
    ck_assert_msg(json_number(summary, "epochs") == 8 &&
                      json_number(summary, "train_images") == 600, "%s", summary);

    /* metrics.csv: the header, iteration 0 (the initial weights: no mini-batch yet), then
     * iterations 40, 80, 120 (eval_every) and 150 (the end), each with its epoch, iteration x
     * 32 / 600 to four places. */
    char *metrics = read_in(dir, "metrics.csv", NULL);
    ck_assert_msg(metrics, "no metrics.csv");
    const char *header = "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc\n";
    ck_assert_msg(strncmp(metrics, header, strlen(header)) == 0, "header: %s", metrics);
    ck_assert_msg(count_lines(metrics) == 6, "want header + 5 rows: %s", metrics);
    const char *row0 = "0,0.0000,0.01,nan,nan,";
    const char *p = metrics + strlen(header);
    ck_assert_msg(strncmp(p, row0, strlen(row0)) == 0, "row 0: %s", metrics);
    p = strchr(p, '\n') + 1;
    const long want_it[4] = {40, 80, 120, 150};
    const char *const want_epoch[4] = {",2.1333,", ",4.2667,", ",6.4000,", ",8.0000,"};
    double last_acc = NAN;
    for (int i = 0; i < 4; i++) {
        char *end;
        long it = strtol(p, &end, 10);
        ck_assert_msg(it == want_it[i], "row %d: iteration %ld, want %ld: %s", i, it, want_it[i],
                      metrics);
        ck_assert_msg(strncmp(end, want_epoch[i], strlen(want_epoch[i])) == 0,
                      "row %d: epoch, want %s: %s", i, want_epoch[i], metrics);
        end += strlen(want_epoch[i]) - 1;
        double v[5];
        for (int k = 0; k < 5; k++) {
            ck_assert_msg(*end == ',', "row %d: %s", i, metrics);
            p = end + 1;
            v[k] = strtod(p, &end);
            ck_assert_msg(end != p && isfinite(v[k]), "row %d, column %d: %s", i, k + 3, metrics);
        }
        ck_assert_msg(v[0] == 0.01, "row %d: lr %g, want 0.01", i, v[0]);
        ck_assert_msg(v[2] >= 0 && v[2] <= 1 && v[4] >= 0 && v[4] <= 1, "row %d: %s", i, metrics);
        last_acc = v[4];
        ck_assert_msg(*end == '\n', "row %d: %s", i, metrics);
        p = end + 1;
    }
    ck_assert_msg(fabs(last_acc - acc) < 1e-6, "metrics' last test_acc %g, summary %g", last_acc,
                  acc);

    /* The resolved config loads again. */
    char *resolved = path_in(dir, "config.yaml");
    const char *argv[] = {"summary", resolved, NULL};
    struct run_result *s = malloc(sizeof *s);
    clnet(s, argv);
    ck_assert_msg(s->exit_code == 0, "clnet summary %s: exit %d: %s", resolved, s->exit_code,
                  s->err);

    ck_assert_msg(file_size(dir, "model.safetensors") > 0, "model.safetensors missing or empty");
    ck_assert_msg(file_size(dir, "checkpoint.bin") > 0, "checkpoint.bin missing or empty");
    /* The weights load and have the shapes of the design ([in, out] for dense). */
    char *weights = path_in(dir, "model.safetensors");
    struct safetensors st;
    ck_assert_msg(safetensors_read(&st, weights) == 0, "cannot read %s", weights);
    const struct st_entry *w0 = safetensors_find(&st, "layers.0.weight");
    const struct st_entry *b1 = safetensors_find(&st, "layers.1.bias");
    ck_assert_msg(w0 && w0->rank == 2 && w0->shape[0] == 784 && w0->shape[1] == 32,
                  "layers.0.weight");
    ck_assert_msg(b1 && b1->rank == 1 && b1->shape[0] == 10, "layers.1.bias");
    safetensors_free(&st);
    free(metrics);
    free(summary);
    free(r);
    free(s);
}
END_TEST

/* summary.json's memory fields (bench/startup.py reads them): the process's peak RSS, and the
 * device bytes clnet allocated, at least the parameters, their gradients and Adam's two
 * moments plus the data set's images (one byte a pixel), and far below a GiB for this run. */
START_TEST(test_summary_memory)
{
    char *config = write_config("memory.yaml", DENSE_RELU_ADAM);
    char *dir = run_dir("memory");
    const char *const sets[] = {"train.iterations=5", "train.eval_every=5", NULL};
    struct run_result *r = train(config, dir, sets);
    char *summary = completed_summary(r, dir);
    double params = json_number(summary, "parameters");
    double rss = json_number(summary, "peak_host_rss_bytes");
    double dev = json_number(summary, "device_bytes_allocated");
    double images = (600.0 + 200.0) * 784.0;
    ck_assert_msg(params == 25450, "%s", summary);
    ck_assert_msg(rss > 1e6 && rss < 64.0 * (1 << 30), "peak_host_rss_bytes %g: %s", rss, summary);
    ck_assert_msg(dev >= 4 * 4 * params + images, "device_bytes_allocated %g, want >= %g: %s", dev,
                  4 * 4 * params + images, summary);
    ck_assert_msg(dev < (double)(1 << 30), "device_bytes_allocated %g: %s", dev, summary);
    free(summary);
    free(r);
}
END_TEST

/* PoCL's worker threads (runtime/quirks_pocl.c): one for a small training step, PoCL's default
 * (one per core, as `clnet devices` shows in a fresh process) for a large one (a middle one
 * too, unless CLNET_SPIN_US=0 keeps the waits from spinning), and the user's
 * POCL_MAX_PTHREAD_COUNT over all. summary.json's device_compute_units shows which ran. Only
 * PoCL's pthread device has worker threads; on any other device the test says so and stops.
 * Without the quirks unit (-Dpocl_quirks=false) every run has PoCL's default. */
static double units_of_run(const char *name, const char *body)
{
    char file[64];
    snprintf(file, sizeof file, "%s.yaml", name);
    char *config = write_config(file, body);
    char *dir = run_dir(name);
    const char *const sets[] = {"train.iterations=2", "train.eval_every=2", NULL};
    struct run_result *r = train(config, dir, sets);
    char *summary = completed_summary(r, dir);
    double units = json_number(summary, "device_compute_units");
    free(summary);
    free(r);
    return units;
}

START_TEST(test_pocl_worker_threads)
{
    const char *user = getenv("POCL_MAX_PTHREAD_COUNT");
    char *saved = user ? strdup(user) : NULL;
    unsetenv("POCL_MAX_PTHREAD_COUNT");
    struct run_result *r = malloc(sizeof *r);
    const char *argv[] = {"devices", NULL};
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "clnet devices: %s", r->err);
    const char *sel = strstr(r->out, "(selected)");
    ck_assert_msg(sel, "no selected device: %s", r->out);
    const char *line = sel;
    while (line > r->out && line[-1] != '\n')
        line--;
    if (!strstr(line, "pthread") || strstr(line, "pthread") > sel) {
        printf("pocl worker threads: the selected device is not PoCL's pthread device; "
               "nothing to check\n");
    } else {
        const char *cu = strstr(sel, "compute units");
        ck_assert_msg(cu, "no compute units: %s", r->out);
        double cores = strtod(cu + strlen("compute units"), NULL);
        /* 3 x 2 x 784 x 32 x 32 = 5 MFLOP a step: one worker */
        double small = units_of_run("threads_small", DENSE_RELU_ADAM);
        /* 3 x 2 x (784 x 3000 + 3000 x 10) x 50 = 714 MFLOP a step: PoCL's default */
        double large = units_of_run("threads_large", "model:\n"
                                                     "  input: [784]\n"
                                                     "  layers:\n"
                                                     "    - dense: {units: 3000, activation: relu}\n"
                                                     "    - dense: {units: 10}\n"
                                                     "train:\n"
                                                     "  batch_size: 50\n"
                                                     "  optimizer: {sgd: {lr: 0.1}}\n");
        /* 3 x 2 x (784 x 100 + 100 x 10) x 100 = 48 MFLOP a step: PoCL's default while waits
         * spin, else one worker */
        const char *mid_body = "model:\n"
                               "  input: [784]\n"
                               "  layers:\n"
                               "    - dense: {units: 100, activation: sigmoid}\n"
                               "    - dense: {units: 10}\n"
                               "train:\n"
                               "  batch_size: 100\n"
                               "  optimizer: {sgd: {lr: 0.1}}\n";
        const char *user_spin = getenv("CLNET_SPIN_US");
        char *saved_spin = user_spin ? strdup(user_spin) : NULL;
        unsetenv("CLNET_SPIN_US");
        double mid = units_of_run("threads_mid", mid_body);
        setenv("CLNET_SPIN_US", "0", 1);
        double mid_still = units_of_run("threads_mid_still", mid_body);
        if (saved_spin)
            setenv("CLNET_SPIN_US", saved_spin, 1);
        else
            unsetenv("CLNET_SPIN_US");
        free(saved_spin);
        setenv("POCL_MAX_PTHREAD_COUNT", "2", 1);
        double asked = units_of_run("threads_user", DENSE_RELU_ADAM);
        printf("pocl worker threads: default %g, small step %g, large step %g, middle step %g "
               "(%g with CLNET_SPIN_US=0), POCL_MAX_PTHREAD_COUNT=2 %g\n", cores, small, large,
               mid, mid_still, asked);
        double one = quirks_built ? 1 : cores;
        ck_assert_msg(small == one, "small step ran on %g worker threads, want %g", small, one);
        ck_assert_msg(mid == cores, "middle step ran on %g worker threads, want %g", mid, cores);
        ck_assert_msg(mid_still == one, "middle step without spinning ran on %g worker threads, "
                      "want %g", mid_still, one);
        ck_assert_msg(large == cores, "large step ran on %g worker threads, want %g", large,
                      cores);
        ck_assert_msg(asked == 2, "POCL_MAX_PTHREAD_COUNT=2 gave %g worker threads", asked);
    }
    if (saved)
        setenv("POCL_MAX_PTHREAD_COUNT", saved, 1);
    else
        unsetenv("POCL_MAX_PTHREAD_COUNT");
    free(saved);
    free(r);
}
END_TEST

/* A run builds only the kernel programs its model uses (a cold start compiles each): --verbose
 * lists them. The dense net skips conv2d.cl and dropout.cl; the CNN with dropout builds both.
 * summary.json's first_step_seconds comes after startup_seconds. */
static char *programs_line(const char *name, const char *body)
{
    char file[64];
    snprintf(file, sizeof file, "%s.yaml", name);
    char *config = write_config(file, body);
    char *dir = run_dir(name);
    const char *argv[] = {"train", config, "--out", dir, "--verbose", "--set",
                          "train.iterations=2", "--set", "train.eval_every=2", NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    char *summary = completed_summary(r, dir);
    double startup = json_number(summary, "startup_seconds");
    double first = json_number(summary, "first_step_seconds");
    ck_assert_msg(startup > 0 && first >= startup && first < 600, "%s", summary);
    const char *line = strstr(r->out, ": kernel programs: ");
    ck_assert_msg(line, "no 'kernel programs' line: %s", r->out);
    char *copy = strndup(line, strcspn(line, "\n"));
    printf("%s%s\n", name, copy);
    free(summary);
    free(r);
    return copy;
}

START_TEST(test_programs_built)
{
    char *dense = programs_line("programs_dense", DENSE_RELU_ADAM);
    const char *want[] = {"data.cl", "elementwise.cl", "loss.cl", "optim.cl", "gemm.cl"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(dense, want[i]), "dense: no %s in '%s'", want[i], dense);
    ck_assert_msg(!strstr(dense, "conv2d.cl") && !strstr(dense, "dropout.cl"),
                  "dense net built a program it does not use: '%s'", dense);
    char *cnn = programs_line("programs_cnn",
                              "model:\n"
                              "  input: [1, 28, 28]\n"
                              "  layers:\n"
                              "    - conv2d: {filters: 2, size: 3, stride: 2, pad: 1}\n"
                              "    - flatten\n"
                              "    - dropout: {p: 0.25}\n"
                              "    - dense: {units: 10}\n"
                              "train:\n"
                              "  batch_size: 16\n"
                              "  eval_batch_size: 100\n");
    ck_assert_msg(strstr(cnn, "conv2d.cl") && strstr(cnn, "dropout.cl") && strstr(cnn, "gemm.cl"),
                  "cnn: '%s'", cnn);
    free(dense);
    free(cnn);
}
END_TEST

/* ---- 2. deterministic --------------------------------------------------------------------- */

START_TEST(test_deterministic)
{
    char *config = write_config("determ.yaml", DENSE_RELU_ADAM);
    const char *sets[] = {"train.iterations=60", NULL};
    char *a = run_dir("determ_a"), *b = run_dir("determ_b"), *c = run_dir("determ_seed2");
    struct run_result *r = train(config, a, sets);
    free(completed_summary(r, a));
    free(r);
    r = train(config, b, sets);
    free(completed_summary(r, b));
    free(r);
    ck_assert_msg(same_file(a, b, "metrics.csv"), "metrics.csv differs between two runs");
    ck_assert_msg(same_file(a, b, "model.safetensors"),
                  "model.safetensors differs between two runs");
    const char *sets2[] = {"train.iterations=60", "seed=2", NULL};
    r = train(config, c, sets2);
    free(completed_summary(r, c));
    free(r);
    ck_assert_msg(!same_file(a, c, "metrics.csv"), "seed 2 gave the same metrics.csv as seed 1");
    ck_assert_msg(!same_file(a, c, "model.safetensors"),
                  "seed 2 gave the same model.safetensors as seed 1");
}
END_TEST

/* Trains config into dir with the measurement switch var unset (off false) or at 0, and
 * returns summary.json's boolean key: whether what it switches ran. */
static bool train_switched(const char *config, const char *dir, const char *var, bool off,
                           const char *key)
{
    if (off)
        setenv(var, "0", 1);
    else
        unsetenv(var);
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir), want[64];
    snprintf(want, sizeof want, "\"%s\": ", key);
    char *at = strstr(summary, want);
    ck_assert_msg(at, "%s", summary);
    bool on = strncmp(at + strlen(want), "true", 4) == 0;
    free(summary);
    free(r);
    return on;
}

/* A measurement switch (CLNET_FUSED_SGD, CLNET_DENSE_STACK) set to a bad value: training config
 * is a usage error naming it. Then the switch is put back to saved (the user's value, or unset),
 * which is freed. */
static void expect_bad_switch(const char *var, const char *value, const char *config, char *saved)
{
    setenv(var, value, 1);
    char *bad = run_dir("switch_bad"), want[64];
    struct run_result *r = train(config, bad, NULL);
    snprintf(want, sizeof want, "%s=%s", var, value);
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, want), "exit %d: %s", r->exit_code, r->err);
    free(r);
    free(bad);
    if (saved)
        setenv(var, saved, 1);
    else
        unsetenv(var);
    free(saved);
}

/* Plain SGD on an all-dense model runs inside the backward GEMMs where clnet's own GEMM runs
 * (CPU devices): the same bits as the separate update (CLNET_FUSED_SGD=0), every layer's dz
 * through the GEMMs' epilogues. summary.json says which ran; Adam never fuses. */
START_TEST(test_fused_sgd_same_bits)
{
    const char *body = "model:\n"
                       "  input: [784]\n"
                       "  layers:\n"
                       "    - dense: {units: 40, activation: sigmoid}\n"
                       "    - dense: {units: 24, activation: relu}\n"
                       "    - dense: {units: 12, activation: tanh}\n"
                       "    - dense: {units: 10}\n"
                       "init:\n"
                       "  weights: {normal: {std: 0.1}}\n"
                       "train:\n"
                       "  iterations: 40\n"
                       "  batch_size: 32\n"
                       "  optimizer: {sgd: {lr: 0.5}}\n"
                       "  schedule: {step: {every: 10, gamma: 0.5}}\n"
                       "  eval_every: 20\n"
                       "  eval_batch_size: 100\n";
    char *config = write_config("fused.yaml", body);
    const char *user = getenv("CLNET_FUSED_SGD");
    char *saved = user ? strdup(user) : NULL;
    char *dirs[2] = {run_dir("fused_on"), run_dir("fused_off")};
    bool fused[2];
    for (int off = 0; off < 2; off++)
        fused[off] = train_switched(config, dirs[off], "CLNET_FUSED_SGD", off, "sgd_fused");
    ck_assert_msg(fused[1] == 0, "CLNET_FUSED_SGD=0 still fused");
    printf("fused sgd: %s\n", fused[0] ? "on (own GEMM)" : "off on this device (CLBlast GEMM)");
    ck_assert_msg(same_file(dirs[0], dirs[1], "model.safetensors"),
                  "fused and separate SGD trained different weights");
    ck_assert_msg(same_file(dirs[0], dirs[1], "metrics.csv"), "metrics.csv differs");
    expect_bad_switch("CLNET_FUSED_SGD", "2", config, saved);
    for (int i = 0; i < 2; i++)
        free(dirs[i]);
    free(config);
}
END_TEST

/* An all-dense model's step as layers/dense_stack.c's few launches (the default where clnet's
 * own GEMM runs) trains the same bits as the layers' own forward and backward
 * (CLNET_DENSE_STACK=0): with fused SGD, Adam and momentum (the gradient arena), both losses,
 * batches that fill the kernel's 16-row blocks or not, and layers narrower than its 16-unit
 * tiles; the dW launch (op_dense_dw) with two layers on the wide tile path, one guarded, one
 * narrow, and one of 5 inputs; and a first layer of 350 units, its last panel 30 units wide.
 * With fused SGD the stack keeps the first layer's W panel-major and params' rows behind it
 * (model_params_sync): each evaluation (metrics.csv) and the saved weights read it. Batches of
 * 9 rows or fewer take the rows' path instead (too few rows for the panels' forward). */
START_TEST(test_dense_stack_same_bits)
{
    static const char *const variants[][3] = {
        {"sgd: {lr: 0.5}", "cross_entropy\n  batch_size: 37", "40"},
        {"adam: {lr: 0.003}", "naive_softmax_log\n  batch_size: 32", "40"},
        {"sgd: {lr: 0.1, momentum: 0.9}", "cross_entropy\n  batch_size: 16", "40"},
        {"sgd: {lr: 0.1}", "cross_entropy\n  batch_size: 23", "350"},
        {"sgd: {lr: 0.1}", "cross_entropy\n  batch_size: 7", "350"}};
    const char *user = getenv("CLNET_DENSE_STACK");
    char *saved = user ? strdup(user) : NULL;
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char body[1024], name[64];
        snprintf(body, sizeof body,
                 "model:\n"
                 "  input: [784]\n"
                 "  layers:\n"
                 "    - dense: {units: %s, activation: sigmoid}\n"
                 "    - dense: {units: 36, activation: relu}\n"
                 "    - dense: {units: 24, activation: relu}\n"
                 "    - dense: {units: 5, activation: tanh}\n"
                 "    - dense: {units: 10}\n"
                 "init:\n"
                 "  weights: {normal: {std: 0.1}}\n"
                 "train:\n"
                 "  iterations: 40\n"
                 "  optimizer: {%s}\n"
                 "  eval_every: 20\n"
                 "  eval_batch_size: 100\n"
                 "  loss: %s\n",
                 variants[v][2], variants[v][0], variants[v][1]);
        snprintf(name, sizeof name, "stack%zu.yaml", v);
        char *config = write_config(name, body);
        char *dirs[2];
        bool stacked[2];
        for (int off = 0; off < 2; off++) {
            snprintf(name, sizeof name, "stack%zu_%s", v, off ? "off" : "on");
            dirs[off] = run_dir(name);
            stacked[off] = train_switched(config, dirs[off], "CLNET_DENSE_STACK", off,
                                          "dense_stack");
        }
        ck_assert_msg(!stacked[1], "CLNET_DENSE_STACK=0 still ran the stack");
        printf("dense stack (%s): %s\n", variants[v][0],
               stacked[0] ? "on (own GEMM)" : "off on this device (CLBlast GEMM)");
        ck_assert_msg(same_file(dirs[0], dirs[1], "model.safetensors"),
                      "%s: the stack and the layers trained different weights", variants[v][0]);
        ck_assert_msg(same_file(dirs[0], dirs[1], "metrics.csv"), "%s: metrics.csv differs",
                      variants[v][0]);
        for (int i = 0; i < 2; i++)
            free(dirs[i]);
        free(config);
    }
    char *config = write_config("stack_bad.yaml", DENSE_RELU_ADAM);
    expect_bad_switch("CLNET_DENSE_STACK", "yes", config, saved);
    free(config);
}
END_TEST

/* Between two conv layers the CPU path stores a layer's y inside the padding of the layer
 * above and that layer's dx as its dz (model/plan.c, layers/conv2d.c); the borders stay zero
 * across batch strides (training batches of 23 rows, evaluation of 50: 32 and 64 lanes). The
 * same bits as the plain NCHW layers that layer_stats asks for, which read every output: three
 * conv layers (tanh, relu, sigmoid), pads on both sides, then none. */
START_TEST(test_conv_chain_same_bits)
{
    char *config = write_config("chain.yaml",
                                "model:\n"
                                "  input: [1, 28, 28]\n"
                                "  layers:\n"
                                "    - conv2d: {filters: 3, size: 5, stride: 1, pad: 2, "
                                "activation: tanh}\n"
                                "    - conv2d: {filters: 6, size: [5, 3], stride: 2, pad: [2, 1], "
                                "activation: relu}\n"
                                "    - conv2d: {filters: 5, size: 3, stride: [2, 1], pad: 0, "
                                "activation: sigmoid}\n"
                                "    - flatten\n"
                                "    - dense: {units: 10}\n"
                                "init:\n"
                                "  weights: {normal: {std: 0.1}}\n"
                                "  biases: {constant: 0.1}\n"
                                "train:\n"
                                "  iterations: 30\n"
                                "  batch_size: 23\n"
                                "  optimizer: {adam: {lr: 0.003}}\n"
                                "  eval_every: 10\n"
                                "  eval_batch_size: 50\n");
    char *dirs[2] = {run_dir("chain_fused"), run_dir("chain_plain")};
    const char *const stats[] = {"train.layer_stats=10", NULL};
    for (int i = 0; i < 2; i++) {
        struct run_result *r = train(config, dirs[i], i ? stats : NULL);
        free(completed_summary(r, dirs[i]));
        free(r);
    }
    ck_assert_msg(same_file(dirs[0], dirs[1], "model.safetensors"),
                  "the fused conv layers and the plain ones trained different weights");
    ck_assert_msg(same_file(dirs[0], dirs[1], "metrics.csv"), "metrics.csv differs");
    for (int i = 0; i < 2; i++)
        free(dirs[i]);
    free(config);
}
END_TEST

/* The cold start's compile helper (runtime/quirks.h) changes no result: a small CNN trained
 * from empty kernel caches (a fresh POCL_CACHE_DIR and clnet cache folder for each run) with
 * the helper and without gives the same weights and metrics; --verbose says the helper had
 * finished or was stopped, never that it failed. A second run of the config on the helper's
 * caches starts none (the first run recorded its kernels compiled), and a bad
 * CLNET_COMPILE_HELPER is a usage error. Without the quirks unit no run starts a helper. */
static struct run_result *train_helper(const char *config, const char *dir, const char *helper,
                                       const char *caches)
{
    char cache[4400], pocl[4400], env_helper[64], asan[1024];
    snprintf(cache, sizeof cache, "CLNET_CACHE_DIR=%s/clnet", caches);
    snprintf(pocl, sizeof pocl, "POCL_CACHE_DIR=%s/pocl", caches);
    snprintf(env_helper, sizeof env_helper, "CLNET_COMPILE_HELPER=%s", helper);
    /* The only runs of the suite with an empty PoCL cache. In the sanitizer build LeakSanitizer
     * reports 16 bytes that PoCL's kernel compiler leaks there (helper on or off), with a stack
     * cut at operator new by the frame-pointer unwinder; unwound fully, it is inside libpocl or
     * libLLVM, which tests/sanitizer/lsan.supp names. Elsewhere ASAN_OPTIONS is ignored. */
    const char *user_asan = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sfast_unwind_on_malloc=0",
             user_asan ? user_asan : "", user_asan && *user_asan ? ":" : "");
    const char *env[] = {cache, pocl, env_helper, asan, NULL};
    const char *argv[] = {"train", config, "--out", dir, "--verbose", NULL};
    struct run_result *r = malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    run_clnet(r, argv, env);
    return r;
}

START_TEST(test_compile_helper_same_bits)
{
    char *config = write_config("helper.yaml", "model:\n"
                                               "  input: [1, 28, 28]\n"
                                               "  layers:\n"
                                               "    - conv2d: {filters: 4, size: 5, stride: 2, "
                                               "pad: 2, activation: relu}\n"
                                               "    - flatten\n"
                                               "    - dense: {units: 10}\n"
                                               "init:\n"
                                               "  weights: {normal: {std: 0.1}}\n"
                                               "train:\n"
                                               "  iterations: 6\n"
                                               "  optimizer: {adam: {lr: 0.003}}\n"
                                               "  eval_every: 3\n"
                                               "  eval_batch_size: 100\n");
    const char *names[] = {"helper_on", "helper_off"}, *values[] = {"1", "0"};
    char *dirs[2], *caches[2];
    for (int h = 0; h < 2; h++) {
        dirs[h] = run_dir(names[h]);
        caches[h] = path_in(harness_tmpdir(), names[h]);
        struct run_result *r = train_helper(config, dirs[h], values[h], caches[h]);
        free(completed_summary(r, dirs[h]));
        const char *line = strstr(r->out, "first step done");
        ck_assert_msg(line, "no first-step line: %s", r->out);
        bool done = strstr(line, "(compile helper: done)") != NULL,
             stopped = strstr(line, "(compile helper: stopped)") != NULL;
        if (h == 0 && quirks_built)
            ck_assert_msg(done || stopped, "the helper did not end well: %s", r->out);
        else
            ck_assert_msg(!strstr(r->out, "compile helper"), "helper off, yet: %s", r->out);
        printf("compile helper %s: %.*s\n", values[h], (int)strcspn(line, "\n"), line);
        free(r);
    }
    ck_assert_msg(same_file(dirs[0], dirs[1], "model.safetensors"),
                  "with and without the helper: different weights");
    ck_assert_msg(same_file(dirs[0], dirs[1], "metrics.csv"), "metrics.csv differs");
    char *again = run_dir("helper_again");
    struct run_result *r = train_helper(config, again, "1", caches[0]);
    free(completed_summary(r, again));
    ck_assert_msg(!quirks_built ||
                      strstr(r->out, "no compile helper: an earlier run of this config compiled"),
                  "%s", r->out);
    ck_assert_msg(!strstr(r->out, "(compile helper:"), "%s", r->out);
    free(r);
    r = train_helper(config, run_dir("helper_bad"), "2", caches[0]);
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, "CLNET_COMPILE_HELPER=2: expected 0|1"),
                  "exit %d: %s", r->exit_code, r->err);
    free(r);
    free(again);
    for (int h = 0; h < 2; h++)
        free(dirs[h]);
    free(config);
}
END_TEST

/* PoCL's waits spinning first (runtime/spinwait.h, on by default with two or more workers)
 * change timing only: two workers with and without (CLNET_SPIN_US=0) train the same bits.
 * summary.json shows the waits reached clnet's pthread_cond_wait from PoCL and caught signals
 * while spinning; a bad CLNET_SPIN_US is a usage error. On a device other than PoCL's pthread
 * device nothing spins, which the test checks and says. */
static struct run_result *train_spin(const char *config, const char *dir, const char *spin)
{
    char env_spin[64];
    snprintf(env_spin, sizeof env_spin, "CLNET_SPIN_US=%s", spin);
    const char *env[] = {"POCL_MAX_PTHREAD_COUNT=2", env_spin, NULL};
    const char *argv[] = {"train", config, "--out", dir, NULL};
    struct run_result *r = malloc(sizeof *r);
    run_clnet(r, argv, env);
    return r;
}

static char *spin_summary(const char *config, const char *dir, const char *spin)
{
    struct run_result *r = train_spin(config, dir, spin);
    char *summary = completed_summary(r, dir);
    free(r);
    return summary;
}

START_TEST(test_spin_wait_same_bits)
{
    char *config = write_config("spin.yaml", "model:\n"
                                             "  input: [784]\n"
                                             "  layers:\n"
                                             "    - dense: {units: 48, activation: sigmoid}\n"
                                             "    - dense: {units: 10}\n"
                                             "init:\n"
                                             "  weights: {normal: {std: 0.1}}\n"
                                             "train:\n"
                                             "  iterations: 100\n"
                                             "  batch_size: 32\n"
                                             "  optimizer: {sgd: {lr: 0.5}}\n"
                                             "  eval_every: 50\n"
                                             "  eval_batch_size: 100\n");
    char *dirs[2] = {run_dir("spin_on"), run_dir("spin_off")};
    /* a long bound, so that even on a loaded machine some signal comes while a wait spins */
    char *on = spin_summary(config, dirs[0], "2000"), *off = spin_summary(config, dirs[1], "0");
    double us = json_number(on, "spin_wait_us"), caught = json_number(on, "spin_waits_caught");
    bool pocl_pthread = json_has_string(on, "platform", "Portable Computing Language") &&
                        json_number(on, "device_compute_units") == 2;
    printf("spin wait: %g us, %g waits caught spinning, %g spun out (%s)\n", us, caught,
           json_number(on, "spin_waits_spun_out"),
           pocl_pthread ? "PoCL, two workers" : "not PoCL's pthread device: nothing spins");
    if (pocl_pthread && quirks_built)
        ck_assert_msg(us == 2000 && caught > 0, "no wait spun: %s", on);
    else
        ck_assert_msg(us == 0 && caught == 0, "%s", on);
    ck_assert_msg(json_number(off, "spin_wait_us") == 0 &&
                      json_number(off, "spin_waits_caught") == 0,
                  "CLNET_SPIN_US=0 still spun: %s", off);
    ck_assert_msg(same_file(dirs[0], dirs[1], "model.safetensors"),
                  "with and without spinning waits: different weights");
    ck_assert_msg(same_file(dirs[0], dirs[1], "metrics.csv"), "metrics.csv differs");
    const char *bad[] = {"x", "-1", "100001", "50us"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[128], *dir = run_dir("spin_bad");
        snprintf(want, sizeof want, "CLNET_SPIN_US=%s: expected a whole number from 0 to "
                 "100000", bad[i]); /* util/options.c's check, at start */
        struct run_result *r = train_spin(config, dir, bad[i]);
        ck_assert_msg(r->exit_code == 2 && strstr(r->err, want), "%s: exit %d: %s", bad[i],
                      r->exit_code, r->err);
        free(dir);
        free(r);
    }
    free(on);
    free(off);
    for (int i = 0; i < 2; i++)
        free(dirs[i]);
    free(config);
}
END_TEST

/* ---- 3. SGD and a single layer ------------------------------------------------------------ */

START_TEST(test_sgd_sigmoid_learns)
{
    char *config = write_config("sgd.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 32, activation: sigmoid}\n"
                                "    - dense: {units: 10}\n"
                                "init:\n"
                                "  weights: {normal: {std: 0.1}}\n"
                                "  biases: zeros\n"
                                "train:\n"
                                "  iterations: 150\n"
                                "  batch_size: 32\n"
                                "  optimizer: {sgd: {lr: 0.1}}\n"
                                "  eval_every: 150\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("sgd");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    double acc = json_number(summary, "final_test_accuracy");
    printf("dense sigmoid, sgd: test accuracy %.4f\n", acc);
    ck_assert_msg(acc > 0.5, "SGD + sigmoid: final_test_accuracy %g (chance 0.1)", acc);
    free(summary);
    free(r);
}
END_TEST

/* The homework's CNN shape, smaller: strided convolutions, flatten, dropout; it must learn,
 * report the whole training set when asked (train.eval_train: full), and reproduce itself
 * byte for byte, dropout masks included. */
START_TEST(test_cnn_dropout_learns_and_repeats)
{
    char *config = write_config("cnn.yaml",
                                "model:\n"
                                "  input: [1, 28, 28]\n"
                                "  layers:\n"
                                "    - conv2d: {filters: 4, size: 5, stride: 1, pad: 2, "
                                "activation: relu}\n"
                                "    - conv2d: {filters: 8, size: [5, 3], stride: 2, pad: [2, 1], "
                                "activation: relu}\n"
                                "    - flatten\n"
                                "    - dropout: {p: 0.25}\n"
                                "    - dense: {units: 10}\n"
                                "init:\n"
                                "  weights: {normal: {std: 0.1}}\n"
                                "  biases: {constant: 0.1}\n"
                                "train:\n"
                                "  iterations: 60\n"
                                "  batch_size: 32\n"
                                "  optimizer: {adam: {lr: 0.003}}\n"
                                "  eval_every: 30\n"
                                "  eval_batch_size: 100\n"
                                "  eval_train: full\n");
    char *dir = run_dir("cnn"), *again = run_dir("cnn2");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    double acc = json_number(summary, "final_test_accuracy");
    printf("cnn with dropout: test accuracy %.4f\n", acc);
    ck_assert_msg(acc > 0.9, "CNN: final_test_accuracy %g (chance 0.1)", acc);
    size_t len;
    char *metrics = read_in(dir, "metrics.csv", &len);
    const char *header = "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc,"
                         "full_train_loss,full_train_acc\n";
    ck_assert_msg(strncmp(metrics, header, strlen(header)) == 0, "metrics.csv header: %s",
                  metrics);
    free(r);
    r = train(config, again, NULL);
    free(completed_summary(r, again));
    ck_assert_msg(same_file(dir, again, "metrics.csv"), "CNN metrics.csv differs between runs");
    ck_assert_msg(same_file(dir, again, "model.safetensors"), "CNN weights differ between runs");
    free(metrics);
    free(summary);
    free(r);
}
END_TEST

START_TEST(test_single_layer_learns)
{
    char *config = write_config("single.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 10}\n"
                                "init: {weights: zeros, biases: zeros}\n"
                                "train:\n"
                                "  iterations: 100\n"
                                "  batch_size: 32\n"
                                "  optimizer: {sgd: {lr: 0.1}}\n"
                                "  eval_every: 100\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("single");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    double acc = json_number(summary, "final_test_accuracy");
    printf("single layer, sgd: test accuracy %.4f\n", acc);
    ck_assert_msg(acc > 0.8, "single softmax layer: final_test_accuracy %g (chance 0.1)", acc);
    /* 784*10 + 10 */
    ck_assert_msg(json_number(summary, "parameters") == 7850, "%s", summary);
    free(summary);
    free(r);
}
END_TEST

/* ---- 4. divergence ------------------------------------------------------------------------ */

/* Asserts a diverged run: exit 1, one error line naming the iteration, summary "diverged". */
static void assert_diverged(const struct run_result *r, const char *dir, const char *what)
{
    ck_assert_msg(r->exit_code == 1, "%s: exit %d (signal %d), want 1; stderr: %s", what,
                  r->exit_code, r->signal, r->err);
    ck_assert_msg(count_lines(r->err) == 1, "%s: want one line on stderr: %s", what, r->err);
    ck_assert_msg(strncmp(r->err, "clnet: error: ", 14) == 0, "%s: %s", what, r->err);
    ck_assert_msg(strstr(r->err, "loss became") && strstr(r->err, "iteration"), "%s: %s", what,
                  r->err);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary, "%s: no summary.json", what);
    ck_assert_msg(json_has_string(summary, "status", "diverged"), "%s: %s", what, summary);
    ck_assert_msg(strstr(summary, "loss became"), "%s: summary has no message: %s", what,
                  summary);
    /* summary.json's iterations is the one the message names. */
    const char *at = strstr(r->err, "at iteration ");
    ck_assert_msg(at, "%s: no 'at iteration N' in: %s", what, r->err);
    long it = strtol(at + strlen("at iteration "), NULL, 10);
    ck_assert_msg(it >= 1 && json_number(summary, "iterations") == it,
                  "%s: the message says iteration %ld, summary.json: %s", what, it, summary);
    char *metrics = read_in(dir, "metrics.csv", NULL);
    ck_assert_msg(metrics && strncmp(metrics, "iteration,", 10) == 0, "%s: metrics.csv: %s",
                  what, metrics ? metrics : "(missing)");
    free(metrics);
    free(summary);
}

START_TEST(test_naive_loss_diverges)
{
    char *config = write_config("naive.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 32, activation: relu}\n"
                                "    - dense: {units: 10}\n"
                                "init:\n"
                                "  weights: {normal: {std: 0.1}}\n"
                                "  biases: zeros\n"
                                "train:\n"
                                "  iterations: 100\n"
                                "  batch_size: 32\n"
                                "  loss: naive_softmax_log\n"
                                "  optimizer: {sgd: {lr: 50}}\n"
                                "  eval_every: 100\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("naive");
    struct run_result *r = train(config, dir, NULL);
    assert_diverged(r, dir, "naive_softmax_log, lr 50");
    printf("naive_softmax_log, lr 50: %s", r->err);
    free(r);
}
END_TEST

START_TEST(test_huge_lr_diverges)
{
    char *config = write_config("huge.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 32, activation: relu}\n"
                                "    - dense: {units: 10}\n"
                                "init:\n"
                                "  weights: {normal: {std: 0.1}}\n"
                                "  biases: zeros\n"
                                "train:\n"
                                "  iterations: 100\n"
                                "  batch_size: 32\n"
                                "  optimizer: {sgd: {lr: 1e30}}\n"
                                "  eval_every: 100\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("huge");
    struct run_result *r = train(config, dir, NULL);
    assert_diverged(r, dir, "cross_entropy, lr 1e30");
    ck_assert_msg(strstr(r->err, "layer ") || strstr(r->err, "the loss"),
                  "the message names neither a layer nor the loss: %s", r->err);
    printf("cross_entropy, lr 1e30: %s", r->err);
    free(r);
}
END_TEST

/* ---- 5. zero init ------------------------------------------------------------------------- */

START_TEST(test_zero_init_units_stay_identical)
{
    char *config = write_config("zero2.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 16, activation: sigmoid}\n"
                                "    - dense: {units: 10}\n"
                                "init: {weights: zeros, biases: zeros}\n"
                                "train:\n"
                                "  iterations: 50\n"
                                "  batch_size: 32\n"
                                "  optimizer: {sgd: {lr: 0.5}}\n"
                                "  eval_every: 50\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("zero2");
    struct run_result *r = train(config, dir, NULL);
    free(completed_summary(r, dir));
    char *path = path_in(dir, "model.safetensors");
    struct safetensors st;
    ck_assert_msg(safetensors_read(&st, path) == 0, "cannot read %s", path);
    const struct st_entry *w = safetensors_find(&st, "layers.0.weight");
    const struct st_entry *b = safetensors_find(&st, "layers.0.bias");
    ck_assert_msg(w && strcmp(w->dtype, "F32") == 0 && w->rank == 2 && w->shape[0] == 784 &&
                      w->shape[1] == 16,
                  "layers.0.weight: want F32 [784, 16]");
    ck_assert_msg(b && b->rank == 1 && b->shape[0] == 16, "layers.0.bias: want [16]");
    const float *wv = w->data, *bv = b->data;
    bool moved = false;
    for (int i = 0; i < 784; i++) {
        moved = moved || wv[i * 16] != 0;
        for (int j = 1; j < 16; j++)
            ck_assert_msg(wv[i * 16 + j] == wv[i * 16],
                          "layers.0.weight[%d][%d] = %.9g but [%d][0] = %.9g: hidden units differ",
                          i, j, (double)wv[i * 16 + j], i, (double)wv[i * 16]);
    }
    for (int j = 1; j < 16; j++)
        ck_assert_msg(bv[j] == bv[0], "layers.0.bias[%d] = %.9g, [0] = %.9g", j, (double)bv[j],
                      (double)bv[0]);
    /* Not trivially so: the hidden layer did learn (sigmoid(0) = 0.5 passes a gradient). */
    ck_assert_msg(moved, "layers.0.weight is still all zero after 50 steps");
    safetensors_free(&st);
    free(r);
}
END_TEST

START_TEST(test_zero_init_five_relu_stays_at_chance)
{
    char *config = write_config("zero5.yaml",
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 32, activation: relu}\n"
                                "    - dense: {units: 24, activation: relu}\n"
                                "    - dense: {units: 16, activation: relu}\n"
                                "    - dense: {units: 12, activation: relu}\n"
                                "    - dense: {units: 10}\n"
                                "init: {weights: zeros, biases: zeros}\n"
                                "train:\n"
                                "  iterations: 50\n"
                                "  batch_size: 32\n"
                                "  optimizer: {sgd: {lr: 0.5}}\n"
                                "  eval_every: 50\n"
                                "  eval_batch_size: 100\n");
    char *dir = run_dir("zero5");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    double acc = json_number(summary, "final_test_accuracy");
    printf("five relu, zero init: test accuracy %.4f\n", acc);
    ck_assert_msg(acc < 0.3, "five zero-initialised ReLU layers learnt: accuracy %g", acc);
    char *path = path_in(dir, "model.safetensors");
    struct safetensors st;
    ck_assert_msg(safetensors_read(&st, path) == 0, "cannot read %s", path);
    for (int l = 0; l < 4; l++) {
        char name[32];
        snprintf(name, sizeof name, "layers.%d.weight", l);
        const struct st_entry *w = safetensors_find(&st, name);
        ck_assert_msg(w && strcmp(w->dtype, "F32") == 0, "%s missing", name);
        const float *v = w->data;
        for (int64_t i = 0; i < w->count; i++)
            ck_assert_msg(v[i] == 0, "%s[%lld] = %.9g, want 0", name, (long long)i,
                          (double)v[i]);
    }
    safetensors_free(&st);
    free(summary);
    free(r);
}
END_TEST

/* ---- 6. eval ------------------------------------------------------------------------------ */

START_TEST(test_eval_run_dir_matches_summary)
{
    char *config = write_config("evalrun.yaml", DENSE_RELU_ADAM);
    char *dir = run_dir("evalrun");
    const char *sets[] = {"train.iterations=60", NULL};
    struct run_result *r = train(config, dir, sets);
    free(completed_summary(r, dir));
    free(r);
    assert_eval_matches_summary(dir);
}
END_TEST

/* Rows for the hand-set network of homework question 1: 1 exactly when strictly descending. */
static const char descending_csv[] = "5,4,3,2,1\n"
                                     "5,4,4,2,1\n"
                                     "1,1,1,1,1\n"
                                     "1,2,3,4,5\n"
                                     "10, 8, 6, 4, 2\n"
                                     "0.5,0.4,0.3,0.2,0.1\n"
                                     "5,4,3,2,2\n"
                                     "-1,-2,-3,-4,-5\n"
                                     "9,7,8,3,1\n";
/* eval's CSV for them: a header, then each row's line number and the raw output. */
static const char descending_out[] = "row,y0\n1,1\n2,0\n3,0\n4,0\n5,1\n6,1\n7,0\n8,1\n9,0\n";

START_TEST(test_eval_inputs_hand_set)
{
    char *config = harness_source_path("configs/hw2/q1_descending.yaml");
    char *csv = harness_write(NULL, "descending.csv", descending_csv);
    const char *argv[] = {"eval", config, "--inputs", csv, NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strcmp(r->out, descending_out) == 0, "want:\n%sgot:\n%s", descending_out,
                  r->out);
    free(r);
}
END_TEST

/* The same rows separated by spaces and tabs (np.savetxt's default is one space), with a
 * blank line: the same outputs, each row numbered by its line. */
static const char descending_blank_csv[] = "5 4 3 2 1\n"
                                           "5\t4\t4\t2\t1\n"
                                           "\n"
                                           "  1  1 1 1 1  \n"
                                           "10 8 6 4 2\r\n";
static const char descending_blank_out[] = "row,y0\n1,1\n2,0\n4,0\n5,1\n";

START_TEST(test_eval_inputs_blank_separated)
{
    char *config = harness_source_path("configs/hw2/q1_descending.yaml");
    char *csv = harness_write(NULL, "descending.txt", descending_blank_csv);
    const char *argv[] = {"eval", config, "--inputs", csv, NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strcmp(r->out, descending_blank_out) == 0, "want:\n%sgot:\n%s",
                  descending_blank_out, r->out);
    free(r);
}
END_TEST

/* Question 1, exhaustively: every 5-tuple over {0, 1, 2, 3, 4} (3,125, ties included) and
 * 100,000 random real tuples (a quarter of them strictly descending, a quarter with one tie
 * or one pair of neighbouring floats, so both answers and the boundary are well covered);
 * the network must answer 1 exactly for x1 > x2 > x3 > x4 > x5 of the float32 values it
 * reads. */
static bool descending(const float *x)
{
    return x[0] > x[1] && x[1] > x[2] && x[2] > x[3] && x[3] > x[4];
}

START_TEST(test_q1_exhaustive)
{
    enum { GRID = 3125, RANDOM = 100000, N = GRID + RANDOM };
    float(*x)[5] = malloc(sizeof(float[5]) * N);
    ck_assert_ptr_nonnull(x);
    for (int i = 0; i < GRID; i++)
        for (int k = 0, v = i; k < 5; k++, v /= 5)
            x[i][4 - k] = (float)(v % 5);
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (int i = GRID; i < N; i++) {
        float *t = x[i];
        for (int k = 0; k < 5; k++) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            t[k] = (float)((double)(state >> 11) / 9007199254740992.0 * 2000.0 - 1000.0);
        }
        int kind = i % 4, k = (int)(state % 4);
        if (kind >= 1) /* sorted descending */
            for (int a = 0; a < 5; a++)
                for (int b = a + 1; b < 5; b++)
                    if (t[b] > t[a]) {
                        float tmp = t[a];
                        t[a] = t[b];
                        t[b] = tmp;
                    }
        if (kind == 2) /* one tie */
            t[k + 1] = t[k];
        else if (kind == 3) /* one pair of neighbouring floats, still descending */
            t[k + 1] = nextafterf(t[k], -INFINITY);
    }
    char *csv_path = path_in(harness_tmpdir(), "q1_all.csv");
    FILE *f = fopen(csv_path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < N; i++)
        fprintf(f, "%.9g,%.9g,%.9g,%.9g,%.9g\n", x[i][0], x[i][1], x[i][2], x[i][3], x[i][4]);
    ck_assert_int_eq(fclose(f), 0);
    char *config = harness_source_path("configs/hw2/q1_descending.yaml");
    char *out_path = path_in(harness_tmpdir(), "q1_all.out");
    char *cmd = NULL;
    ck_assert_int_ge(asprintf(&cmd, "\"%s\" eval \"%s\" --inputs \"%s\" > \"%s\"",
                              getenv("CLNET_BIN"), config, csv_path, out_path), 0);
    ck_assert_int_eq(system(cmd), 0);
    char *out = read_all(out_path, NULL);
    ck_assert_ptr_nonnull(out);
    int positives = 0, boundary = 0;
    ck_assert_msg(strncmp(out, "row,y0\n", 7) == 0, "no header: %.40s", out);
    char *line = out + 7;
    for (int i = 0; i < N; i++) {
        ck_assert_msg(*line, "only %d output rows for %d inputs", i, N);
        char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        *end = '\0';
        bool want = descending(x[i]);
        positives += want;
        boundary += i >= GRID && i % 4 >= 2;
        char expect[32];
        snprintf(expect, sizeof expect, "%d,%d", i + 1, want);
        ck_assert_msg(strcmp(line, expect) == 0,
                      "row %d (%.9g, %.9g, %.9g, %.9g, %.9g): got %s, want %s", i + 1, x[i][0],
                      x[i][1], x[i][2], x[i][3], x[i][4], line, expect);
        line = end + 1;
    }
    ck_assert_msg(*line == '\0', "more output rows than inputs");
    /* The grid has C(5,5) = 1 descending tuple; the random part about half of its rows. */
    ck_assert_int_gt(positives, RANDOM / 2 - 1000);
    ck_assert_int_eq(boundary, RANDOM / 2);
    free(out), free(cmd), free(out_path), free(config), free(csv_path), free(x);
}
END_TEST

START_TEST(test_eval_inputs_stdin)
{
    char *config = harness_source_path("configs/hw2/q1_descending.yaml");
    char *csv = harness_write(NULL, "descending_stdin.csv", descending_csv);
    /* run_clnet's child inherits our stdin: point it at the file for this (forked) test. */
    int saved = dup(0), fd = open(csv, O_RDONLY);
    ck_assert_msg(saved >= 0 && fd >= 0 && dup2(fd, 0) == 0, "cannot redirect stdin: %s",
                  strerror(errno));
    close(fd);
    const char *argv[] = {"eval", config, "--inputs", "-", NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    dup2(saved, 0);
    close(saved);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strcmp(r->out, descending_out) == 0, "want:\n%sgot:\n%s", descending_out,
                  r->out);
    free(r);
}
END_TEST

static const struct {
    const char *name, *csv;
    int line;
} bad_csv[] = {
    {"too few values", "5,4,3,2,1\n1,2,3,4\n", 2},
    {"too many values", "5,4,3,2,1\n5,4,3,2,1\n1,2,3,4,5,6\n", 3},
    {"not a number", "1,2,x,4,5\n", 1},
    {"empty field", "5,4,3,2,1\n1,,3,4,5\n", 2},
    /* a space and commas in one row: columns ambiguous ("1 2,3" is two or three values) */
    {"space then commas", "5,4,3,2,1\n1 2,3,4,5\n", 2},
    {"commas then space", "5 4 3 2 1\n1,2,3 4,5\n", 2},
    {"a stray character", "5 4 3 2 1;\n", 1},
};

START_TEST(test_eval_inputs_malformed)
{
    char *config = harness_source_path("configs/hw2/q1_descending.yaml");
    char name[32];
    snprintf(name, sizeof name, "bad%d.csv", _i);
    char *csv = harness_write(NULL, name, bad_csv[_i].csv);
    const char *argv[] = {"eval", config, "--inputs", csv, NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 2, "%s: exit %d, want 2; stderr: %s", bad_csv[_i].name,
                  r->exit_code, r->err);
    ck_assert_msg(count_lines(r->err) == 1 && strncmp(r->err, "clnet: error: ", 14) == 0,
                  "%s: want one error line: %s", bad_csv[_i].name, r->err);
    char where[4200];
    snprintf(where, sizeof where, "%s:%d:", csv, bad_csv[_i].line);
    ck_assert_msg(strstr(r->err, where), "%s: want '%s' in: %s", bad_csv[_i].name, where, r->err);
    free(r);
}
END_TEST

/* ---- 7, 8. bad run inputs: exit 2, a message, and no run directory ------------------------- */

struct bad_run {
    const char *name;
    const char *body; /* the config after the seed and data lines */
    const char *data; /* data dir override: NULL keeps the synthetic set */
    const char *want[2];
};

#define SMALL_TRAIN "train: {iterations: 5, batch_size: 8, eval_batch_size: 100}\n"

static const struct bad_run bad_runs[] = {
    {"data dir missing",
     "model: {input: [784], layers: [dense: {units: 10}]}\n" SMALL_TRAIN, "/nonexistent/mnist",
     {"/nonexistent/mnist", "fetch-mnist"}},
    {"no train section", "model: {input: [784], layers: [dense: {units: 10}]}\n", NULL,
     {"no train: section", NULL}},
    {"input width does not match the data",
     "model: {input: [100], layers: [dense: {units: 10}]}\n" SMALL_TRAIN, NULL,
     {"model.input", "28x28"}},
    {"too few outputs for the classes",
     "model: {input: [784], layers: [dense: {units: 3}]}\n" SMALL_TRAIN, NULL,
     {"10", NULL}},
};

START_TEST(test_bad_run)
{
    const struct bad_run *c = &bad_runs[_i];
    char name[32], *text = NULL;
    snprintf(name, sizeof name, "badrun%d.yaml", _i);
    if (c->data) {
        if (asprintf(&text, "seed: 1\ndata: {dir: \"%s\"}\n%s", c->data, c->body) < 0)
            abort();
    }
    char *config = c->data ? harness_write(NULL, name, text) : write_config(name, c->body);
    snprintf(name, sizeof name, "badrun%d", _i);
    char *dir = run_dir(name);
    struct run_result *r = train(config, dir, NULL);
    ck_assert_msg(r->exit_code == 2, "%s: exit %d (signal %d), want 2; stderr: %s", c->name,
                  r->exit_code, r->signal, r->err);
    ck_assert_msg(count_lines(r->err) == 1 && strncmp(r->err, "clnet: error: ", 14) == 0,
                  "%s: want one error line: %s", c->name, r->err);
    for (int i = 0; i < 2 && c->want[i]; i++)
        ck_assert_msg(strstr(r->err, c->want[i]), "%s: want '%s' in: %s", c->name, c->want[i],
                      r->err);
    ck_assert_msg(!exists(dir), "%s: the run directory %s was created", c->name, dir);
    free(text);
    free(r);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_learns);
    tcase_add_test(tc, test_summary_memory);
    tcase_add_test(tc, test_pocl_worker_threads);
    tcase_add_test(tc, test_programs_built);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_fused_sgd_same_bits);
    tcase_add_test(tc, test_dense_stack_same_bits);
    tcase_add_test(tc, test_conv_chain_same_bits);
    tcase_add_test(tc, test_spin_wait_same_bits);
    tcase_add_test(tc, test_sgd_sigmoid_learns);
    tcase_add_test(tc, test_cnn_dropout_learns_and_repeats);
    tcase_add_test(tc, test_single_layer_learns);
    tcase_add_test(tc, test_naive_loss_diverges);
    tcase_add_test(tc, test_huge_lr_diverges);
    tcase_add_test(tc, test_zero_init_units_stay_identical);
    tcase_add_test(tc, test_zero_init_five_relu_stays_at_chance);
    suite_add_tcase(s, tc);
    /* Three runs, two from empty kernel caches, stack traces unwound fully in the sanitizer
     * build (train_helper): longer than the others. */
    tc = tcase_create("compile helper");
    tcase_set_timeout(tc, harness_time_limit(120));
    tcase_add_test(tc, test_compile_helper_same_bits);
    suite_add_tcase(s, tc);
    tc = tcase_create("eval");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_eval_run_dir_matches_summary);
    tcase_add_test(tc, test_eval_inputs_hand_set);
    tcase_add_test(tc, test_eval_inputs_blank_separated);
    tcase_add_test(tc, test_q1_exhaustive);
    tcase_add_test(tc, test_eval_inputs_stdin);
    tcase_add_loop_test(tc, test_eval_inputs_malformed, 0,
                        (int)(sizeof bad_csv / sizeof bad_csv[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("bad run");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_bad_run, 0, (int)(sizeof bad_runs / sizeof bad_runs[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    return harness_run(train_suite(), true);
}
