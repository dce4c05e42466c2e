/* Config suite: what loads, into which fields, with which defaults; base: inheritance;
 * --set overrides. */
#define _GNU_SOURCE /* realpath */
#include "config_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EQ(a, b) ck_assert_double_eq_tol((a), (b), 1e-12)

START_TEST(test_every_key)
{
    struct experiment e;
    cfg_load_ok(&e, "every.yaml",
                "name: cnn_decay\nseed: 7\ndevice: '1:0'\n"
                "data: {set: mnist, dir: /data/m, shuffle: false}\n"
                "model:\n  input: [1, 28, 28]\n  layers:\n"
                "    - conv2d: {filters: 4, size: [5, 3], stride: 2, pad: [2, 1], activation: "
                "relu, init: {weights: he, biases: {constant: 0.2}}}\n"
                "    - flatten\n    - dropout: {p: 0.25}\n    - activation: tanh\n"
                "    - dense: {units: 10, activation: sigmoid}\n"
                "init:\n  weights: {uniform: {low: -0.3, high: 0.4}}\n  biases: {constant: 0.1}\n"
                "train:\n  iterations: 6000\n  batch_size: 64\n  loss: naive_softmax_log\n"
                "  optimizer: {adam: {lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 1e-7, "
                "weight_decay: 0.01}}\n"
                "  schedule: {exp_decay: {lr_max: 0.003, lr_min: 0.0001, tau: 2000}}\n"
                "  eval_every: 50\n  eval_batch_size: 500\n  eval_train: full\n  log_every: 5\n"
                "  checkpoint_every: 0\n  layer_stats: 20\n  parallel: data\n"
                "report: {format: pdf}\n",
                NULL, 0);
    ck_assert_str_eq(e.name, "cnn_decay");
    ck_assert_uint_eq(e.seed, 7);
    ck_assert_str_eq(e.device, "1:0");
    ck_assert_int_eq(e.data.set, DATA_MNIST);
    ck_assert_str_eq(e.data.dir, "/data/m");
    ck_assert(!e.data.shuffle);
    ck_assert_int_eq(e.input_rank, 3);
    ck_assert_int_eq(e.input[0], 1);
    ck_assert_int_eq(e.input[2], 28);
    ck_assert_int_eq(e.n_layers, 5);
    const struct layer_spec *c = &e.layers[0];
    ck_assert_int_eq(c->type, LAYER_CONV2D);
    ck_assert_int_eq(c->conv2d.filters, 4);
    ck_assert_int_eq(c->conv2d.size[0], 5);
    ck_assert_int_eq(c->conv2d.size[1], 3);
    ck_assert_int_eq(c->conv2d.stride[0], 2);
    ck_assert_int_eq(c->conv2d.stride[1], 2);
    ck_assert_int_eq(c->conv2d.pad[0], 2);
    ck_assert_int_eq(c->conv2d.pad[1], 1);
    ck_assert_int_eq(c->activation, ACTIVATION_RELU);
    ck_assert_int_eq(c->weight_init.kind, INIT_HE);
    ck_assert_int_eq(c->bias_init.kind, INIT_CONSTANT);
    EQ(c->bias_init.a, 0.2);
    ck_assert_int_eq(e.layers[1].type, LAYER_FLATTEN);
    ck_assert_int_eq(e.layers[2].type, LAYER_DROPOUT);
    EQ(e.layers[2].dropout.p, 0.25);
    ck_assert_int_eq(e.layers[3].type, LAYER_ACTIVATION);
    ck_assert_int_eq(e.layers[3].activation, ACTIVATION_TANH);
    ck_assert_int_eq(e.layers[4].dense.units, 10);
    ck_assert_int_eq(e.layers[4].activation, ACTIVATION_SIGMOID);
    ck_assert_int_eq(e.layers[4].weight_init.kind, INIT_UNSET);
    ck_assert_ptr_null(e.layers[4].dense.weights);
    ck_assert_int_eq(e.weight_init.kind, INIT_UNIFORM);
    EQ(e.weight_init.a, -0.3);
    EQ(e.weight_init.b, 0.4);
    ck_assert_int_eq(e.bias_init.kind, INIT_CONSTANT);
    ck_assert(e.has_train);
    ck_assert_int_eq(e.train.iterations, 6000);
    ck_assert_int_eq(e.train.batch_size, 64);
    ck_assert_int_eq(e.train.loss, LOSS_NAIVE_SOFTMAX_LOG);
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_ADAM);
    EQ(e.train.optimizer.lr, 0.003);
    EQ(e.train.optimizer.beta1, 0.8);
    EQ(e.train.optimizer.beta2, 0.99);
    EQ(e.train.optimizer.eps, 1e-7);
    EQ(e.train.optimizer.weight_decay, 0.01);
    ck_assert_int_eq(e.train.schedule.kind, SCHEDULE_EXP_DECAY);
    EQ(e.train.schedule.lr_max, 0.003);
    EQ(e.train.schedule.lr_min, 0.0001);
    EQ(e.train.schedule.tau, 2000);
    ck_assert_int_eq(e.train.eval_every, 50);
    ck_assert_int_eq(e.train.eval_batch_size, 500);
    ck_assert_int_eq(e.train.eval_train, EVAL_TRAIN_FULL);
    ck_assert_int_eq(e.train.log_every, 5);
    ck_assert_int_eq(e.train.checkpoint_every, 0);
    ck_assert_int_eq(e.train.layer_stats, 20);
    ck_assert_int_eq(e.train.parallel, PARALLEL_DATA);
    ck_assert_int_eq(e.report.format, REPORT_PDF);
    ck_assert_ptr_null(e.base);
    ck_assert_ptr_nonnull(strstr(e.path, "every.yaml"));
    experiment_free(&e);
}
END_TEST

START_TEST(test_defaults)
{
    struct experiment e;
    cfg_load_ok(&e, "minimal.yaml", MODEL4, NULL, 0);
    ck_assert_str_eq(e.name, "minimal");
    ck_assert_uint_eq(e.seed, 1);
    ck_assert_str_eq(e.device, "auto");
    ck_assert_int_eq(e.data.set, DATA_MNIST);
    ck_assert_str_eq(e.data.dir, "data/mnist");
    ck_assert(e.data.shuffle);
    ck_assert_int_eq(e.input_rank, 1);
    ck_assert_int_eq(e.input[0], 784);
    ck_assert_int_eq(e.layers[0].activation, ACTIVATION_IDENTITY);
    ck_assert_int_eq(e.layers[0].weight_init.kind, INIT_UNSET);
    ck_assert_int_eq(e.layers[0].bias_init.kind, INIT_UNSET);
    ck_assert_int_eq(e.weight_init.kind, INIT_NORMAL);
    EQ(e.weight_init.a, 0);
    EQ(e.weight_init.b, 0.1);
    ck_assert_int_eq(e.bias_init.kind, INIT_ZEROS);
    ck_assert(!e.has_train);
    ck_assert_int_eq(e.train.iterations, 2000);
    ck_assert_int_eq(e.train.batch_size, 100);
    ck_assert_int_eq(e.train.loss, LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_SGD);
    EQ(e.train.optimizer.lr, 0.5);
    EQ(e.train.optimizer.momentum, 0);
    EQ(e.train.optimizer.weight_decay, 0);
    ck_assert_int_eq(e.train.schedule.kind, SCHEDULE_CONSTANT);
    ck_assert_int_eq(e.train.eval_every, 100);
    ck_assert_int_eq(e.train.eval_batch_size, 1000);
    ck_assert_int_eq(e.train.eval_train, EVAL_TRAIN_NONE);
    ck_assert_int_eq(e.train.log_every, 10);
    ck_assert_int_eq(e.train.checkpoint_every, 1000);
    ck_assert_int_eq(e.train.layer_stats, 0);
    ck_assert_int_eq(e.train.parallel, PARALLEL_NONE);
    ck_assert_int_eq(e.report.format, REPORT_PNG);
    experiment_free(&e);

    cfg_load_ok(&e, "defaults2.yaml",
                MODEL4 "train:\n  optimizer: {adam: {lr: 0.01}}\n"
                       "  schedule: {step: {every: 10}}\n"
                       "    \ndata:\ninit:\n",
                NULL, 0);
    ck_assert(e.has_train);
    EQ(e.train.optimizer.beta1, 0.9);
    EQ(e.train.optimizer.beta2, 0.999);
    EQ(e.train.optimizer.eps, 1e-8);
    EQ(e.train.optimizer.weight_decay, 0);
    ck_assert_int_eq(e.train.schedule.every, 10);
    EQ(e.train.schedule.gamma, 0.1);
    ck_assert_str_eq(e.data.dir, "data/mnist");
    ck_assert_int_eq(e.weight_init.kind, INIT_NORMAL);
    experiment_free(&e);
}
END_TEST

START_TEST(test_name_from_file)
{
    struct experiment e;
    cfg_load_ok(&e, "q1.yml", MODEL4, NULL, 0);
    ck_assert_str_eq(e.name, "q1");
    experiment_free(&e);
    cfg_load_ok(&e, "plain", MODEL4, NULL, 0);
    ck_assert_str_eq(e.name, "plain");
    experiment_free(&e);
}
END_TEST

START_TEST(test_layer_forms)
{
    struct experiment e;
    cfg_load_ok(&e, "forms.yaml",
                "model:\n  input: [3, 8, 8]\n  layers:\n"
                "    - conv2d: {filters: 2, size: 3}\n"
                "    - flatten\n    - flatten: {}\n    - flatten: null\n    - {flatten: }\n"
                "    - activation: linear\n    - activation: none\n    - dropout: {p: 0}\n"
                "    - dense:\n        units: 3\n        activation: relu\n",
                NULL, 0);
    ck_assert_int_eq(e.n_layers, 9);
    ck_assert_int_eq(e.layers[0].conv2d.size[1], 3);
    ck_assert_int_eq(e.layers[0].conv2d.stride[0], 1);
    ck_assert_int_eq(e.layers[0].conv2d.stride[1], 1);
    ck_assert_int_eq(e.layers[0].conv2d.pad[1], 0);
    for (int i = 1; i <= 4; i++)
        ck_assert_int_eq(e.layers[i].type, LAYER_FLATTEN);
    ck_assert_int_eq(e.layers[5].activation, ACTIVATION_IDENTITY);
    ck_assert_int_eq(e.layers[6].activation, ACTIVATION_IDENTITY);
    EQ(e.layers[7].dropout.p, 0);
    ck_assert_int_eq(e.layers[8].dense.units, 3);
    ck_assert_int_eq(e.layers[8].activation, ACTIVATION_RELU);
    experiment_free(&e);
}
END_TEST

static const struct {
    const char *yaml;
    enum init_kind kind;
    double a, b;
} init_forms[] = {
    {"zeros", INIT_ZEROS, 0, 0},
    {"xavier", INIT_XAVIER, 0, 0},
    {"he", INIT_HE, 0, 0},
    {"{zeros: {}}", INIT_ZEROS, 0, 0},
    {"{constant: -0.5}", INIT_CONSTANT, -0.5, 0},
    {"{normal: {std: 0.2}}", INIT_NORMAL, 0, 0.2},
    {"{normal: {mean: 1, std: 0}}", INIT_NORMAL, 1, 0},
    {"{uniform: {low: -1e-3, high: .5}}", INIT_UNIFORM, -1e-3, 0.5},
    {"{uniform: {low: 2, high: 2}}", INIT_UNIFORM, 2, 2},
};

START_TEST(test_init_forms)
{
    char text[512];
    snprintf(text, sizeof text,
             "model:\n  input: [4]\n  layers:\n    - dense: {units: 2, init: {weights: %s}}\n"
             "init:\n  weights: %s\n  biases: %s\n",
             init_forms[_i].yaml, init_forms[_i].yaml, init_forms[_i].yaml);
    struct experiment e;
    cfg_load_ok(&e, "initform.yaml", text, NULL, 0);
    const struct init_spec *specs[] = {&e.weight_init, &e.bias_init, &e.layers[0].weight_init};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(specs[i]->kind, init_forms[_i].kind);
        EQ(specs[i]->a, init_forms[_i].a);
        EQ(specs[i]->b, init_forms[_i].b);
        ck_assert_ptr_null(specs[i]->path);
    }
    ck_assert_int_eq(e.layers[0].bias_init.kind, INIT_UNSET);
    experiment_free(&e);
}
END_TEST

START_TEST(test_init_file_relative_to_config)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/initsub", harness_tmpdir());
    mkdir(sub, 0777);
    harness_write(sub, "w.yaml",
                  MODEL4 "init:\n  weights: {file: weights/w.safetensors}\n"
                         "  biases: {file: /abs/b.safetensors}\n");
    char path[4200], want[8400];
    snprintf(path, sizeof path, "%s/w.yaml", sub);
    struct experiment e;
    ck_assert_int_eq(config_load(&e, path, NULL, 0), 0);
    ck_assert_int_eq(e.weight_init.kind, INIT_FILE);
    snprintf(want, sizeof want, "%s/weights/w.safetensors", sub);
    if (want[0] != '/') { /* $TMPDIR relative: made absolute from the working folder */
        char cwd[4096];
        ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
        snprintf(want, sizeof want, "%s/%s/weights/w.safetensors", cwd, sub);
    }
    ck_assert_str_eq(e.weight_init.path, want);
    ck_assert_str_eq(e.bias_init.path, "/abs/b.safetensors");
    experiment_free(&e);
}
END_TEST

/* data.dir: next to the config when that folder exists; else the working folder's when that
 * one does (configs run from the folder above); else as written, and the error names both. */
START_TEST(test_data_dir_relative_to_config)
{
    char root[4096], cwd[4096], sub[4200], want[8400];
    ck_assert_ptr_nonnull(realpath(harness_tmpdir(), root));
    snprintf(sub, sizeof sub, "%s/datasub", root);
    mkdir(sub, 0777);
    snprintf(want, sizeof want, "%s/near", sub);
    mkdir(want, 0777);
    snprintf(want, sizeof want, "%s/here", root);
    mkdir(want, 0777);
    ck_assert_int_eq(chdir(root), 0); /* Check forks each test: the folder stays this test's */
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    static const char *const dirs[] = {"near", "here", "nowhere"};
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text, MODEL4 "data: {dir: %s}\n", dirs[i]);
        const char *path = harness_write(sub, "d.yaml", text);
        struct experiment e;
        ck_assert_int_eq(config_load(&e, path, NULL, 0), 0);
        if (i == 0)
            snprintf(want, sizeof want, "%s/near", sub);
        else if (i == 1)
            snprintf(want, sizeof want, "%s/here", cwd);
        else
            snprintf(want, sizeof want, "nowhere");
        ck_assert_str_eq(e.data.dir, want);
        char *yaml = cfg_resolved(&e); /* the resolved config records the folder used */
        ck_assert_msg(strstr(yaml, want), "no %s in %s", want, yaml);
        free(yaml);
        ck_assert_int_eq(experiment_check_data_dir(&e), i < 2 ? CLNET_OK : CLNET_ERR_DATA);
        if (i == 2) {
            snprintf(want, sizeof want, "looked in %s/nowhere (next to the config) and %s/nowhere "
                     "(the working folder)", sub, cwd);
            ck_assert_msg(strstr(clnet_error_message(), want), "%s", clnet_error_message());
        }
        experiment_free(&e);
    }
    /* From --set (and the default), the working folder's, recorded absolute too: a run's own
     * config.yaml then resumes it wherever it is run from. */
    const char *path = harness_write(sub, "s.yaml", MODEL4);
    const char *const sets[] = {"data.dir=here"};
    struct experiment e;
    ck_assert_int_eq(config_load(&e, path, sets, 1), 0);
    snprintf(want, sizeof want, "%s/here", cwd);
    ck_assert_str_eq(e.data.dir, want);
    experiment_free(&e);
}
END_TEST

START_TEST(test_inline_weights)
{
    struct experiment e;
    cfg_load_ok(&e, "inline.yaml",
                "model:\n  input: [3]\n  layers:\n"
                "    - dense:\n        units: 2\n        activation: step\n"
                "        weights: [[1, 2, 3], [-4, 5e-1, .25]]\n        bias: [0.5, -1]\n",
                NULL, 0);
    const struct layer_spec *l = &e.layers[0];
    ck_assert_int_eq(l->dense.weight_rows, 2);
    ck_assert_int_eq(l->dense.weight_cols, 3);
    ck_assert_int_eq(l->dense.bias_len, 2);
    const float w[] = {1, 2, 3, -4, 0.5f, 0.25f};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(l->dense.weights[i], w[i]);
    ck_assert_float_eq(l->dense.bias[0], 0.5f);
    ck_assert_float_eq(l->dense.bias[1], -1.0f);
    experiment_free(&e);
}
END_TEST

START_TEST(test_layer_positions)
{
    struct experiment e;
    cfg_load_ok(&e, "pos.yaml",
                "model:\n  input: [784]\n  layers:\n    - flatten\n"
                "    - dense: {units: 10}\n    -   dense:\n          units: 3\n",
                NULL, 0);
    ck_assert_ptr_nonnull(strstr(e.layers[0].pos.file, "pos.yaml"));
    ck_assert_int_eq(e.layers[0].pos.line, 4);
    ck_assert_int_eq(e.layers[0].pos.col, 7);
    ck_assert_int_eq(e.layers[1].pos.line, 5);
    ck_assert_int_eq(e.layers[1].pos.col, 7);
    ck_assert_int_eq(e.layers[2].pos.line, 6);
    ck_assert_int_eq(e.layers[2].pos.col, 9);
    ck_assert_ptr_eq(e.layers[0].pos.file, e.layers[2].pos.file);
    experiment_free(&e);
}
END_TEST

START_TEST(test_numbers)
{
    struct experiment e;
    cfg_load_ok(&e, "numbers.yaml",
                MODEL4 "seed: +3\ntrain:\n  iterations: 9223372036854775807\n"
                       "  optimizer: {sgd: {lr: 1e-3, momentum: .5, weight_decay: 0.0}}\n"
                       "  schedule: {step: {every: 3, gamma: 1}}\n",
                NULL, 0);
    ck_assert_uint_eq(e.seed, 3);
    ck_assert_int_eq(e.train.iterations, 9223372036854775807L);
    EQ(e.train.optimizer.lr, 1e-3);
    EQ(e.train.optimizer.momentum, 0.5);
    EQ(e.train.schedule.gamma, 1);
    experiment_free(&e);
}
END_TEST

TCase *config_load_tcase(void)
{
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_key);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_name_from_file);
    tcase_add_test(tc, test_layer_forms);
    tcase_add_loop_test(tc, test_init_forms, 0, (int)(sizeof init_forms / sizeof *init_forms));
    tcase_add_test(tc, test_init_file_relative_to_config);
    tcase_add_test(tc, test_inline_weights);
    tcase_add_test(tc, test_data_dir_relative_to_config);
    tcase_add_test(tc, test_layer_positions);
    tcase_add_test(tc, test_numbers);
    return tc;
}
