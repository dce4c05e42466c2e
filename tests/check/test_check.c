/* End-to-end tests of `clnet gradcheck` and `clnet selfcheck`, run as a user runs them: the
 * gradients of a small dense net and a small CNN (on a tiny synthetic MNIST-shaped set written
 * here) and of a net on random inputs pass against finite differences; a copy of cl/ with one
 * backward kernel broken fails, exit 1, naming the tensor; selfcheck passes with a line for
 * every kernel of the kernel table and fails, naming the kernel, when one is broken, also in
 * front of `clnet train --selfcheck`, which then writes nothing. Exit 77 without a device. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli/run.h"
#include "data/idx.h"
#include "harness.h"
#include "runtime/device.h"
#include "runtime/kernels.h"

static char data_dir[4200];
static char cache_env[4300];

/* 20 training and 10 test images of 28x28 noise with a bright square per class (the test
 * split is the training split's first 10). Called from main: no Check asserts here. */
static void write_data_set(void)
{
    enum { N_TRAIN = 20, N_TEST = 10, SIDE = 28 };
    snprintf(data_dir, sizeof data_dir, "%s/mnist", harness_tmpdir());
    if (mkdir(data_dir, 0755) != 0) {
        perror(data_dir);
        abort();
    }
    static uint8_t images[N_TRAIN * SIDE * SIDE], labels[N_TRAIN];
    uint32_t x = 12345u;
    for (int i = 0; i < N_TRAIN; i++) {
        labels[i] = (uint8_t)(i % 10);
        for (int p = 0; p < SIDE * SIDE; p++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            int r = p / SIDE, c = p % SIDE, r0 = 4 + (i % 10) / 5 * 12, c0 = 2 + i % 5 * 5;
            bool square = r >= r0 && r < r0 + 6 && c >= c0 && c < c0 + 6;
            images[(size_t)i * SIDE * SIDE + p] = (uint8_t)(square  ? 180 + x % 76
                                                            : x % 3 ? 0
                                                                    : x % 64);
        }
    }
    const struct {
        const char *name;
        int rank, n;
    } files[] = {{"train-images-idx3-ubyte", 3, N_TRAIN},
                 {"train-labels-idx1-ubyte", 1, N_TRAIN},
                 {"t10k-images-idx3-ubyte", 3, N_TEST},
                 {"t10k-labels-idx1-ubyte", 1, N_TEST}};
    for (int i = 0; i < 4; i++) {
        char path[4400];
        int dims[3] = {files[i].n, SIDE, SIDE};
        snprintf(path, sizeof path, "%s/%s", data_dir, files[i].name);
        if (idx_write(path, files[i].rank == 3 ? images : labels, files[i].rank, dims) != 0) {
            fprintf(stderr, "idx_write %s failed\n", path);
            abort();
        }
    }
}

static char *write_config(const char *name, const char *body)
{
    char *text = NULL;
    ck_assert_int_ge(asprintf(&text, "seed: 3\ndata: {dir: \"%s\"}\n%s", data_dir, body), 0);
    char *path = harness_write(NULL, name, text);
    free(text);
    return path;
}

static const char *dense_yaml = "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 24, activation: sigmoid}\n"
                                "    - dense: {units: 16, activation: relu}\n"
                                "    - dense: {units: 10}\n";

/* Dense under dense: each layer's dx GEMM applies the act' of the layer below in its epilogue
 * (layer 1 through W's transposed copy, 40 inputs; layer 2 through gemm_nt, 24 inputs), and
 * every bias gradient comes from the column sums of a dW GEMM. */
static const char *fused_yaml = "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 40, activation: sigmoid}\n"
                                "    - dense: {units: 24, activation: relu}\n"
                                "    - dense: {units: 10}\n";

static const char *cnn_yaml = "model:\n"
                              "  input: [1, 28, 28]\n"
                              "  layers:\n"
                              "    - conv2d: {filters: 3, size: 5, stride: 2, pad: 1, "
                              "activation: relu}\n"
                              "    - conv2d: {filters: 5, size: [3, 2], stride: 2, activation: "
                              "tanh}\n"
                              "    - flatten\n"
                              "    - dropout: {p: 0.5}\n"
                              "    - dense: {units: 10}\n"
                              "train: {loss: naive_softmax_log}\n";

static struct run_result *clnet(const char *const *argv)
{
    struct run_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    const char *env[] = {cache_env, NULL};
    run_clnet(r, argv, env);
    return r;
}

/* The report's row for a tensor or kernel: the line starting with two spaces and name. */
static const char *row(const char *out, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "  ", 2) == 0 && strncmp(p + 2, name, n) == 0 && p[2 + n] == ' ') return p;
    return NULL;
}

/* Whether the row for name ends its numbers with result ("ok" or "FAIL"). */
static bool row_says(const char *out, const char *name, const char *result)
{
    const char *r = row(out, name);
    if (!r) return false;
    const char *end = strchr(r, '\n');
    char line[512];
    snprintf(line, sizeof line, "%.*s", end ? (int)(end - r) : (int)strlen(r), r);
    char word[16];
    snprintf(word, sizeof word, " %s", result);
    return strstr(line, word) != NULL;
}

/* A copy of the source tree's cl/ in TMP/name with `from` replaced by `to` in `file`; the
 * text must be there, so a changed kernel fails this test instead of escaping sabotage. */
static char *sabotaged_cl(const char *name, const char *file, const char *from, const char *to)
{
    char *src = harness_source_path("cl"), *dst = NULL;
    ck_assert_int_ge(asprintf(&dst, "%s/%s", harness_tmpdir(), name), 0);
    ck_assert_int_eq(mkdir(dst, 0755), 0);
    DIR *d = opendir(src);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    bool found = false;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", src, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        if (strcmp(e->d_name, file) == 0) {
            char *at = strstr(text, from);
            ck_assert_msg(at, "%s: '%s' not found: update the sabotage", path, from);
            char *changed = NULL;
            ck_assert_int_ge(
                asprintf(&changed, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)), 0);
            harness_write(dst, e->d_name, changed);
            free(changed);
            found = true;
        } else {
            harness_write_bytes(dst, e->d_name, text, n);
        }
    }
    closedir(d);
    ck_assert_msg(found, "no %s in %s", file, src);
    free(src);
    return dst;
}

START_TEST(gradcheck_dense_passes)
{
    /* dz through the GEMMs' epilogues and W's transposed copy for dx */
    const char *yamls[] = {dense_yaml, fused_yaml}, *weights[] = {"200 of 18816", "200 of 31360"};
    for (int y = 0; y < 2; y++) {
        char *config = write_config(y ? "fused.yaml" : "dense.yaml", yamls[y]);
        const char *argv[] = {"gradcheck", config, NULL};
        struct run_result *r = clnet(argv);
        ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
        ck_assert_msg(strstr(r->out, "training images of"), "%s", r->out);
        const char *tensors[] = {"layers.0.weight", "layers.0.bias",   "layers.1.weight",
                                 "layers.1.bias",   "layers.2.weight", "layers.2.bias"};
        for (int i = 0; i < 6; i++)
            ck_assert_msg(row_says(r->out, tensors[i], "ok"), "%s:\n%s", tensors[i], r->out);
        ck_assert_msg(strstr(r->out, weights[y]), "784 x O weights: a subset of 200\n%s", r->out);
        ck_assert_msg(strstr(r->out, "6 tensors, all within tolerance"), "%s", r->out);
        free(r);
        free(config);
    }
}
END_TEST

START_TEST(gradcheck_cnn_passes)
{
    char *config = write_config("cnn.yaml", cnn_yaml);
    const char *argv[] = {"gradcheck", config, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    const char *tensors[] = {"layers.0.weight", "layers.0.bias",   "layers.1.weight",
                             "layers.1.bias",   "layers.4.weight", "layers.4.bias"};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(row_says(r->out, tensors[i], "ok"), "%s:\n%s", tensors[i], r->out);
    ck_assert_msg(strstr(r->out, "dropout: layer 3 runs with p = 0"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "[5, 3, 3, 2]"), "conv weight shape\n%s", r->out);
    free(r);
    free(config);
}
END_TEST

/* Inputs of another width than the data's: random rows; a standalone activation layer. */
START_TEST(gradcheck_random_inputs_pass)
{
    char *config = write_config("small.yaml", "model:\n"
                                              "  input: [7]\n"
                                              "  layers:\n"
                                              "    - dense: {units: 5, activation: tanh}\n"
                                              "    - activation: sigmoid\n"
                                              "    - dense: {units: 3}\n");
    const char *argv[] = {"gradcheck", config, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(strstr(r->out, "random rows"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layers.2.weight", "ok"), "%s", r->out);
    free(r);
    free(config);
}
END_TEST

/* Runs gradcheck on yaml with one line of a cl/ file changed, expects exit 1, and checks each
 * named tensor's row for want[i] ("ok" or "FAIL"; "FAIL" rows also named on the one error
 * line). */
static void gradcheck_sabotaged(const char *yaml, const char *file, const char *from,
                                const char *to, int n, const char *const tensors[],
                                const char *const want[])
{
    static int serial;
    char name[32], cfg[32];
    snprintf(name, sizeof name, "cl_sabotage%d", serial);
    snprintf(cfg, sizeof cfg, "sabotage%d.yaml", serial++);
    char *config = write_config(cfg, yaml);
    char *cl = sabotaged_cl(name, file, from, to);
    const char *argv[] = {"gradcheck", config, "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(row_says(r->out, tensors[i], want[i]), "%s not %s:\n%s", tensors[i],
                      want[i], r->out);
        ck_assert_msg(!strstr(r->err, tensors[i]) == !strcmp(want[i], "ok"), "%s: %s",
                      tensors[i], r->err);
    }
    ck_assert_msg(strstr(r->out, "worst at [") && strstr(r->out, "finite difference"), "%s",
                  r->out);
    ck_assert_int_eq(count_lines(r->err), 1);
    free(r);
    free(cl);
    free(config);
}

static const char *const dense3[6] = {"layers.0.weight", "layers.0.bias",   "layers.1.weight",
                                      "layers.1.bias",   "layers.2.weight", "layers.2.bias"};

/* A dense layer under a standalone activation layer gets its dz and db from
 * bias_act_backward; the top one (no activation) its db from its dW GEMM's column sums, on
 * devices where clnet's own GEMM runs (CPUs, as here). */
START_TEST(gradcheck_fails_on_broken_bias_gradient)
{
    static const char *yaml = "model:\n"
                              "  input: [784]\n"
                              "  layers:\n"
                              "    - dense: {units: 24, activation: sigmoid}\n"
                              "    - activation: tanh\n"
                              "    - dense: {units: 10}\n";
    static const char *const tensors[] = {"layers.0.weight", "layers.0.bias", "layers.2.weight",
                                          "layers.2.bias"};
    static const char *const want[] = {"ok", "FAIL", "ok", "ok"};
    gradcheck_sabotaged(yaml, "elementwise.cl", "grads[db_off + j] = sum;",
                        "grads[db_off + j] = 1.5f * sum;", 4, tensors, want);
}
END_TEST

/* fused_yaml: every bias gradient comes from the column sums of a dW GEMM. */
START_TEST(gradcheck_fails_on_broken_fused_bias_gradient)
{
    static const char *const want[6] = {"ok", "FAIL", "ok", "FAIL", "ok", "FAIL"};
    gradcheck_sabotaged(fused_yaml, "gemm.cl", "gemm_store1(e + j0 + jl, t[jl], alpha, beta);",
                        "gemm_store1(e + j0 + jl, 1.5f * t[jl], alpha, beta);", 6, dense3, want);
}
END_TEST

START_TEST(gradcheck_fails_without_fused_activation_gradient)
{
    /* The epilogues (gemm_nn's and gemm_nt's) never multiply by act': both hidden layers get
     * dy for dz. */
    static const char *const want[6] = {"FAIL", "FAIL", "FAIL", "FAIL", "ok", "ok"};
    gradcheck_sabotaged(fused_yaml, "common.h", "#define GEMM_EPI_ACT_GRAD 2",
                        "#define GEMM_EPI_ACT_GRAD 9", 6, dense3, want);
}
END_TEST

START_TEST(gradcheck_fails_on_broken_conv_weight_gradient)
{
    char *config = write_config("cnn_broken.yaml", cnn_yaml);
    /* Tap s = 1 of every filter: half its weight gradient. */
    char *cl =
        sabotaged_cl("cl_conv", "conv2d.cl", "dw[s] = conv_hsum(tot[s][j]);",
                     "dw[s] = (s0 + s == 1 ? 0.5f : 1.0f) * conv_hsum(tot[s][j]);");
    const char *argv[] = {"gradcheck", config, "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "layers.0.weight", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layers.1.weight", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layers.0.bias", "ok"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layers.4.weight", "ok"), "%s", r->out);
    ck_assert_msg(strstr(r->err, "layers.0.weight") && strstr(r->err, "layers.1.weight"), "%s",
                  r->err);
    free(r);
    free(cl);
    free(config);
}
END_TEST

/* Max and average pooling between convolutions, windows that overlap and do not divide the
 * input: the gradients of the layers below a pool pass through its backward. */
static const char *pool_yaml = "model:\n"
                               "  input: [1, 28, 28]\n"
                               "  layers:\n"
                               "    - conv2d: {filters: 3, size: 5, pad: 2, activation: relu}\n"
                               "    - maxpool2d: {size: 3, stride: 2, pad: 1}\n"
                               "    - conv2d: {filters: 4, size: 3, activation: tanh}\n"
                               "    - avgpool2d: {size: 3, stride: 2, pad: 1}\n"
                               "    - flatten\n"
                               "    - dense: {units: 10}\n";
static const char *const pool_tensors[6] = {"layers.0.weight", "layers.0.bias",
                                            "layers.2.weight", "layers.2.bias",
                                            "layers.5.weight", "layers.5.bias"};

/* gradcheck on yaml (written to file; with --wrt input when wrt_input) passes, each of the n
 * tensors' rows saying ok. */
static void gradcheck_passes(const char *file, const char *yaml, bool wrt_input, int n,
                             const char *const tensors[])
{
    char *config = write_config(file, yaml);
    const char *argv[] = {"gradcheck", config, wrt_input ? "--wrt" : NULL, "input", NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    for (int i = 0; i < n; i++)
        ck_assert_msg(row_says(r->out, tensors[i], "ok"), "%s:\n%s", tensors[i], r->out);
    free(r);
    free(config);
}

START_TEST(gradcheck_pool_passes)
{
    gradcheck_passes("pool.yaml", pool_yaml, false, 6, pool_tensors);
}
END_TEST

/* A graph (model/graph.h): a residual block of convolutions, two dense branches of one
 * flatten, concatenated with one of them twice: the stem, f and h are each read by several
 * layers, whose gradients backward sums. */
static const char *graph_yaml =
    "model:\n"
    "  input: [1, 28, 28]\n"
    "  layers:\n"
    "    - conv2d: {filters: 3, size: 3, stride: 2, pad: 1, activation: tanh, name: stem}\n"
    "    - conv2d: {filters: 3, size: 3, pad: 1, activation: tanh, name: r}\n"
    "    - add: {from: [stem, r]}\n"
    "    - flatten: {name: f}\n"
    "    - dense: {units: 8, activation: sigmoid, name: h}\n"
    "    - {dense: {units: 8, activation: tanh}, from: f, name: g}\n"
    "    - concat: {from: [h, g, h]}\n"
    "    - dense: {units: 10}\n";
static const char *const graph_tensors[10] = {
    "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.4.weight",
    "layers.4.bias",   "layers.5.weight", "layers.5.bias", "layers.7.weight", "layers.7.bias"};

START_TEST(gradcheck_graph_passes)
{
    gradcheck_passes("graph.yaml", graph_yaml, false, 10, graph_tensors);
}
END_TEST

/* add's backward hands its inputs half the gradient: the convolutions below it fail. */
START_TEST(gradcheck_fails_on_broken_add_backward)
{
    static const char *const want[10] = {"FAIL", "FAIL", "FAIL", "FAIL", "ok",
                                         "ok",   "ok",   "ok",   "ok",   "ok"};
    gradcheck_sabotaged(graph_yaml, "add.cl",
                        "dx[i] = dy[(size_t)(i / (k * o)) * (size_t)o + (size_t)(i % o)];",
                        "dx[i] = 0.5f * dy[(size_t)(i / (k * o)) * (size_t)o + (size_t)(i % o)];",
                        10, graph_tensors, want);
}
END_TEST

/* Question 3's residual block under a classifier, checked with respect to the input too: x
 * feeds the hidden layer and the sum, so dL/dx adds two gradients (model/graph_run.c). */
static const char *residual_yaml = "model:\n"
                                   "  input: [784]\n"
                                   "  layers:\n"
                                   "    - dense: {units: 8, activation: sigmoid, name: h}\n"
                                   "    - dense: {units: 784, name: o}\n"
                                   "    - add: {from: [input, o]}\n"
                                   "    - dense: {units: 10}\n";
static const char *const residual_tensors[7] = {"layers.0.weight", "layers.0.bias",
                                                "layers.1.weight", "layers.1.bias",
                                                "layers.3.weight", "layers.3.bias", "input"};

/* Runs gradcheck --wrt input on residual_yaml, with cl/ as it is (cl NULL) or from cl. */
static struct run_result *gradcheck_wrt_input(const char *cl)
{
    char *config = write_config("residual.yaml", residual_yaml);
    const char *argv[] = {"gradcheck", config, "--wrt", "input", cl ? "--cl-dir" : NULL, cl, NULL};
    struct run_result *r = clnet(argv);
    free(config);
    return r;
}

START_TEST(gradcheck_wrt_input_passes)
{
    struct run_result *r = gradcheck_wrt_input(NULL);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    for (int i = 0; i < 7; i++)
        ck_assert_msg(row_says(r->out, residual_tensors[i], "ok"), "%s:\n%s",
                      residual_tensors[i], r->out);
    ck_assert_msg(strstr(r->out, "input            [4, 784]"), "%s", r->out);
    free(r);
}
END_TEST

/* add's backward halved: the input's gradient, which half comes through add, fails. */
START_TEST(gradcheck_wrt_input_fails_on_broken_add)
{
    char *cl = sabotaged_cl("cl_add_input", "add.cl",
                            "dx[i] = dy[(size_t)(i / (k * o)) * (size_t)o + (size_t)(i % o)];",
                            "dx[i] = 0.5f * dy[(size_t)(i / (k * o)) * (size_t)o + (size_t)(i % o)];");
    struct run_result *r = gradcheck_wrt_input(cl);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "input", "FAIL") && row_says(r->out, "layers.3.weight", "ok"),
                  "%s", r->out);
    free(r);
    free(cl);
}
END_TEST

/* train.loss's list form: question 3's two terms (S on y against the clean input, R = r^T h)
 * checked with respect to the input too, and a classifier with an l2 penalty on its hidden
 * layer. The weights are large enough that each term's gradient matters. */
static const char *q3_terms_yaml = "model:\n"
                                   "  input: [784]\n"
                                   "  layers:\n"
                                   "    - dense: {units: 8, activation: sigmoid, name: h}\n"
                                   "    - dense: {units: 784, name: w2h}\n"
                                   "    - add: {from: [input, w2h], name: y}\n"
                                   "train:\n"
                                   "  loss:\n"
                                   "    - mse: {on: y, target: clean, name: S}\n"
                                   "    - linear: {on: h, r: 0.5, name: R}\n";
static const char *const q3_terms_tensors[5] = {"layers.0.weight", "layers.0.bias",
                                                "layers.1.weight", "layers.1.bias", "input"};
static const char *l2_terms_yaml = "model:\n"
                                   "  input: [784]\n"
                                   "  layers:\n"
                                   "    - dense: {units: 16, activation: tanh, name: h}\n"
                                   "    - dense: {units: 10}\n"
                                   "train:\n"
                                   "  loss:\n"
                                   "    - cross_entropy\n"
                                   "    - l2: {on: h, weight: 0.5}\n";
static const char *const l2_terms_tensors[4] = {"layers.0.weight", "layers.0.bias",
                                                "layers.1.weight", "layers.1.bias"};

START_TEST(gradcheck_loss_terms_pass)
{
    gradcheck_passes("q3_terms.yaml", q3_terms_yaml, true, 5, q3_terms_tensors);
    gradcheck_passes("l2_terms.yaml", l2_terms_yaml, true, 4, l2_terms_tensors);
}
END_TEST

/* l2's gradient v instead of 2 v: the hidden layer's tensors fail, the output layer's not. */
START_TEST(gradcheck_fails_on_broken_l2_term)
{
    static const char *const want[4] = {"FAIL", "FAIL", "ok", "ok"};
    gradcheck_sabotaged(l2_terms_yaml, "loss.cl", "d = 2.0f * x;", "d = 1.0f * x;", 4,
                        l2_terms_tensors, want);
}
END_TEST

/* linear's gradient half of r: h's tensors fail (w2h's reads only S's gradient). */
START_TEST(gradcheck_fails_on_broken_linear_term)
{
    static const char *const want[4] = {"FAIL", "FAIL", "ok", "ok"};
    gradcheck_sabotaged(q3_terms_yaml, "loss.cl", "d = rv[j];", "d = 0.5f * rv[j];", 4,
                        q3_terms_tensors, want);
}
END_TEST

/* The max pool's backward routes half of each gradient: the tensors below it fail. */
START_TEST(gradcheck_fails_on_broken_maxpool_backward)
{
    static const char *const want[6] = {"FAIL", "FAIL", "ok", "ok", "ok", "ok"};
    gradcheck_sabotaged(pool_yaml, "maxpool2d.cl", "sum += dy[base + (size_t)(i * q + j)];",
                        "sum += 0.5f * dy[base + (size_t)(i * q + j)];", 6, pool_tensors, want);
}
END_TEST

/* The average pool's backward divides by one less than the window's size: every tensor below
 * it fails. */
START_TEST(gradcheck_fails_on_broken_avgpool_backward)
{
    static const char *const want[6] = {"FAIL", "FAIL", "FAIL", "FAIL", "ok", "ok"};
    gradcheck_sabotaged(pool_yaml, "avgpool2d.cl", "const float size = (float)(r * s);",
                        "const float size = (float)(r * s - 1);", 6, pool_tensors, want);
}
END_TEST

/* A max pool's backward that routes to every input but the chosen one: its kernel's line and
 * the kind's fail. */
START_TEST(selfcheck_fails_on_broken_maxpool)
{
    char *cl = sabotaged_cl("cl_maxpool", "maxpool2d.cl", "if (argmax[base + (size_t)(i * q + j)] == self)",
                            "if (argmax[base + (size_t)(i * q + j)] != self)");
    const char *argv[] = {"selfcheck", "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "maxpool2d_backward", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layer maxpool2d", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "maxpool2d_forward", "ok"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layer conv2d", "ok"), "%s", r->out);
    free(r);
    free(cl);
}
END_TEST

/* Batch norm after a convolution (per channel, over the batch and the positions) and after a
 * dense layer (per feature), each below an activation, so that no bias sits directly under a
 * batch norm (its gradient is then exactly 0, and rounding noise against 0 reads as a
 * relative error of 1). */
static const char *bn_yaml = "model:\n"
                             "  input: [1, 28, 28]\n"
                             "  layers:\n"
                             "    - conv2d: {filters: 3, size: 5, pad: 2, activation: relu}\n"
                             "    - batchnorm: {}\n"
                             "    - maxpool2d: {size: 2}\n"
                             "    - flatten\n"
                             "    - dense: {units: 16, activation: tanh}\n"
                             "    - batchnorm: {momentum: 0.2, eps: 0.001}\n"
                             "    - dense: {units: 10}\n";
static const char *const bn_tensors[10] = {
    "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.4.weight",
    "layers.4.bias",   "layers.5.weight", "layers.5.bias", "layers.6.weight", "layers.6.bias"};

START_TEST(gradcheck_batchnorm_passes)
{
    gradcheck_passes("bn.yaml", bn_yaml, false, 10, bn_tensors);
}
END_TEST

/* Batch norm inside a graph (its state at l->s_off): a residual block whose two branches
 * each end in a batch norm, checked with respect to the input too. */
static const char *graph_bn_yaml =
    "model:\n"
    "  input: [1, 28, 28]\n"
    "  layers:\n"
    "    - conv2d: {filters: 3, size: 3, stride: 2, pad: 1, activation: relu, name: stem}\n"
    "    - batchnorm: {name: n0}\n"
    "    - conv2d: {filters: 3, size: 3, pad: 1, activation: tanh}\n"
    "    - batchnorm: {momentum: 0.2, name: r}\n"
    "    - add: {from: [n0, r]}\n"
    "    - flatten\n"
    "    - dense: {units: 10}\n";
static const char *const graph_bn_tensors[11] = {
    "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight",
    "layers.2.bias",   "layers.3.weight", "layers.3.bias", "layers.6.weight", "layers.6.bias",
    "input"};

START_TEST(gradcheck_batchnorm_in_a_graph_passes)
{
    gradcheck_passes("graph_bn.yaml", graph_bn_yaml, true, 11, graph_bn_tensors);
}
END_TEST

/* The batch norm's dx without the term of the batch mean of dy xhat: every tensor below the
 * upper batch norm fails, its own gradients and those above it do not. */
START_TEST(gradcheck_fails_on_broken_batchnorm_backward)
{
    static const char *const want[10] = {"FAIL", "FAIL", "FAIL", "FAIL", "FAIL",
                                         "FAIL", "ok",   "ok",   "ok",   "ok"};
    gradcheck_sabotaged(bn_yaml, "batchnorm.cl", "(dy[at + (size_t)p] - mean_dy - xhat * mean_g)",
                        "(dy[at + (size_t)p] - mean_dy)", 10, bn_tensors, want);
}
END_TEST

/* The running variance moved toward the batch's biased variance instead of the unbiased one:
 * the training output is right, the state it keeps is not; selfcheck's state comparison
 * fails, the backward's passes. */
START_TEST(selfcheck_fails_on_broken_batchnorm_running_var)
{
    char *cl = sabotaged_cl("cl_bn", "batchnorm.cl", "momentum * (var * n / (n - 1.0f))",
                            "momentum * var");
    const char *argv[] = {"selfcheck", "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "batchnorm_forward", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "layer batchnorm", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "batchnorm_backward", "ok"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "B=3 state"), "%s", r->out);
    free(r);
    free(cl);
}
END_TEST

/* Evaluation's forward that ignores the running mean: only the evaluation comparison fails. */
START_TEST(selfcheck_fails_on_broken_batchnorm_evaluation)
{
    char *cl = sabotaged_cl("cl_bn_eval", "batchnorm.cl", "mean = run_mean[c];", "mean = 0.0f;");
    const char *argv[] = {"selfcheck", "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "batchnorm_forward", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "batchnorm_backward", "ok"), "%s", r->out);
    ck_assert_msg(strstr(r->out, "y (evaluation)"), "%s", r->out);
    free(r);
    free(cl);
}
END_TEST

START_TEST(selfcheck_covers_every_kernel)
{
    const char *argv[] = {"selfcheck", NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    for (int id = 0; id < KERNEL_COUNT; id++)
        ck_assert_msg(row_says(r->out, kernel_name((enum kernel_id)id), "ok"),
                      "kernel %s has no ok line:\n%s", kernel_name((enum kernel_id)id), r->out);
    const char *extras[] = {"gemm (CLBlast)", "fill", "copy"};
    for (int i = 0; i < 3; i++)
        ck_assert_msg(row_says(r->out, extras[i], "ok"), "%s:\n%s", extras[i], r->out);
    char summary[96];
    snprintf(summary, sizeof summary, "%d of %d kernels of the table", KERNEL_COUNT, KERNEL_COUNT);
    ck_assert_msg(strstr(r->out, summary), "%s", r->out);
    free(r);
}
END_TEST

START_TEST(selfcheck_fails_on_broken_kernel)
{
    char *cl = sabotaged_cl("cl_adam", "optim.cl", "m[i] = mi;", "m[i] = 0.5f * mi;");
    const char *argv[] = {"selfcheck", "--cl-dir", cl, NULL};
    struct run_result *r = clnet(argv);
    ck_assert_msg(r->exit_code == 1, "exit %d\n%s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(row_says(r->out, "adam_update", "FAIL"), "%s", r->out);
    ck_assert_msg(row_says(r->out, "sgd_update", "ok"), "%s", r->out);
    ck_assert_msg(strstr(r->err, "adam_update"), "%s", r->err);
    ck_assert_int_eq(count_lines(r->err), 1);
    /* train --selfcheck stops before it writes anything. */
    char *config = write_config("train.yaml", dense_yaml), *out = NULL;
    ck_assert_int_ge(asprintf(&out, "%s/run_selfcheck", harness_tmpdir()), 0);
    const char *train[] = {"train", config, "--selfcheck", "--cl-dir", cl, "--out", out, NULL};
    struct run_result *t = clnet(train);
    ck_assert_msg(t->exit_code == 1, "exit %d\n%s%s", t->exit_code, t->out, t->err);
    ck_assert_msg(strstr(t->err, "adam_update"), "%s", t->err);
    struct stat st;
    ck_assert_msg(stat(out, &st) != 0, "%s was created", out);
    free(t);
    free(r);
    free(out);
    free(config);
    free(cl);
}
END_TEST

/* Unless told otherwise, keep kernel binaries next to this executable (the build folder):
 * warm across runs, and the sabotaged programs never reach the user's cache. */
static void set_cache(const char *argv0)
{
    const char *env = getenv("CLNET_CACHE_DIR");
    const char *slash = strrchr(argv0, '/');
    if (env && env[0])
        snprintf(cache_env, sizeof cache_env, "CLNET_CACHE_DIR=%s", env);
    else
        snprintf(cache_env, sizeof cache_env, "CLNET_CACHE_DIR=%.*s/clnet-cache",
                 slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
}

int main(int argc, char **argv)
{
    (void)argc;
    struct runtime_device_info *list;
    int n;
    if (runtime_list_devices(&list, &n) != 0) {
        fprintf(stderr, "skipped: no OpenCL device\n");
        return 77;
    }
    free(list);
    set_cache(argv[0]);
    write_data_set();
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 300); /* a cold kernel cache builds every program first */
    tcase_add_test(tc, gradcheck_dense_passes);
    tcase_add_test(tc, gradcheck_cnn_passes);
    tcase_add_test(tc, gradcheck_random_inputs_pass);
    tcase_add_test(tc, gradcheck_fails_on_broken_bias_gradient);
    tcase_add_test(tc, gradcheck_fails_on_broken_fused_bias_gradient);
    tcase_add_test(tc, gradcheck_fails_without_fused_activation_gradient);
    tcase_add_test(tc, gradcheck_fails_on_broken_conv_weight_gradient);
    tcase_add_test(tc, gradcheck_pool_passes);
    tcase_add_test(tc, gradcheck_fails_on_broken_maxpool_backward);
    tcase_add_test(tc, gradcheck_fails_on_broken_avgpool_backward);
    tcase_add_test(tc, gradcheck_graph_passes);
    tcase_add_test(tc, gradcheck_fails_on_broken_add_backward);
    tcase_add_test(tc, gradcheck_wrt_input_passes);
    tcase_add_test(tc, gradcheck_loss_terms_pass);
    tcase_add_test(tc, gradcheck_fails_on_broken_l2_term);
    tcase_add_test(tc, gradcheck_fails_on_broken_linear_term);
    tcase_add_test(tc, gradcheck_wrt_input_fails_on_broken_add);
    tcase_add_test(tc, selfcheck_fails_on_broken_maxpool);
    tcase_add_test(tc, gradcheck_batchnorm_passes);
    tcase_add_test(tc, gradcheck_fails_on_broken_batchnorm_backward);
    tcase_add_test(tc, gradcheck_batchnorm_in_a_graph_passes);
    tcase_add_test(tc, selfcheck_fails_on_broken_batchnorm_running_var);
    tcase_add_test(tc, selfcheck_fails_on_broken_batchnorm_evaluation);
    suite_add_tcase(s, tc);
    tc = tcase_create("selfcheck");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, selfcheck_covers_every_kernel);
    tcase_add_test(tc, selfcheck_fails_on_broken_kernel);
    suite_add_tcase(s, tc);
    return harness_run(s, false);
}
