/* Config suite: helpers, the resolved-config round trip, help output and names. Loading,
 * inheritance, --set and error cases live in test_config_load.c and test_config_errors.c. */
#include "config_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

char *cfg_write(const char *name, const char *text)
{
    return harness_write(NULL, name, text);
}

void cfg_load_ok(struct experiment *e, const char *name, const char *text, const char *const *sets,
                 int n_sets)
{
    clnet_error_clear();
    char *path = cfg_write(name, text);
    int rc = config_load(e, path, sets, n_sets);
    ck_assert_msg(rc == 0, "%s: rc %d: %s", name, rc, clnet_error_message());
}

void cfg_expect_error(const char *name, const char *text, const char *rest)
{
    clnet_error_clear();
    char *path = cfg_write(name, text);
    struct experiment e;
    int rc = config_load(&e, path, NULL, 0);
    ck_assert_int_eq(rc, CLNET_ERR_CONFIG);
    char want[4096];
    snprintf(want, sizeof want, "%s:%s", path, rest);
    ck_assert_str_eq(clnet_error_message(), want);
    ck_assert_ptr_null(e.layers);
    ck_assert_ptr_null(e.name);
    ck_assert_int_eq(e.n_src_names, 0);
}

void cfg_expect_set_error(const char *text, const char *set, const char *message)
{
    clnet_error_clear();
    char *path = cfg_write("set_error.yaml", text);
    struct experiment e;
    const char *sets[] = {set};
    ck_assert_int_eq(config_load(&e, path, sets, 1), CLNET_ERR_CONFIG);
    ck_assert_str_eq(clnet_error_message(), message);
}

char *cfg_resolved(const struct experiment *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(config_write_resolved(e, f), 0);
    fclose(f);
    return buf;
}

/* Configs that together use every form: each must survive load -> write -> load -> write
 * with identical bytes. */
static const char *const round_trip_configs[] = {
    MODEL4,
    "name: full\nseed: 42\ndevice: '0:1'\ndata: {set: mnist, dir: \"my data/mnist\", "
    "shuffle: false}\n"
    "model:\n  input: [1, 28, 28]\n  layers:\n"
    "    - conv2d: {filters: 4, size: 5, stride: 1, pad: 2, activation: relu}\n"
    "    - conv2d: {filters: 8, size: [5, 3], stride: [2, 1], pad: [2, 0], activation: "
    "tanh, init: {weights: he, biases: {constant: 0.1}}}\n"
    "    - flatten\n    - dropout: {p: 0.25}\n    - activation: sigmoid\n"
    "    - dense: {units: 200, activation: step, init: {weights: xavier}}\n"
    "    - dense: {units: 10, init: {biases: {uniform: {low: -0.5, high: 0.5}}}}\n"
    "init:\n  weights: {normal: {mean: 0.01, std: 0.1}}\n  biases: {constant: 0.1}\n"
    "train:\n  iterations: 6000\n  batch_size: 64\n  loss: naive_softmax_log\n"
    "  optimizer: {adam: {lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 1e-7, weight_decay: "
    "0.0001}}\n"
    "  schedule: {exp_decay: {lr_max: 0.003, lr_min: 0.0001, tau: 2000}}\n"
    "  eval_every: 50\n  eval_batch_size: 500\n  eval_train: full\n  log_every: 5\n"
    "  checkpoint_every: 0\n  layer_stats: 100\n  parallel: data\n"
    "report: {format: both}\n",
    "model:\n  input: [2]\n  layers:\n"
    "    - dense: {units: 2, activation: step, weights: [[1, 1], [-1, -1]], bias: [-0.5, "
    "1.5]}\n"
    "    - dense: {units: 1, activation: step, weights: [[1, 1]], bias: [-1.5]}\n",
    MODEL4 "train:\n  optimizer: {sgd: {lr: 0.1, momentum: 0.9, weight_decay: 0.0005}}\n"
           "  schedule: {step: {every: 1000, gamma: 0.5}}\n",
    MODEL4 "init:\n  weights: {uniform: {low: -0.1, high: 0.1}}\n  biases: {file: w.safetensors}\n"
           "train:\n  schedule: constant\n",
    MODEL4 "init:\n  weights: zeros\n  biases: he\n"
           "train:\n  optimizer: {sgd: {lr: 0.30000000000000004}}\n  iterations: 1\n",
};

START_TEST(test_round_trip)
{
    struct experiment a, b;
    char name[32];
    snprintf(name, sizeof name, "rt%d.yaml", _i);
    cfg_load_ok(&a, name, round_trip_configs[_i], NULL, 0);
    char *first = cfg_resolved(&a);
    ck_assert_ptr_null(strstr(first, "\nbase:"));
    ck_assert_ptr_nonnull(strstr(first, "\nname: "));
    snprintf(name, sizeof name, "rt%d_resolved.yaml", _i);
    cfg_load_ok(&b, name, first, NULL, 0);
    char *second = cfg_resolved(&b);
    ck_assert_str_eq(first, second);
    ck_assert_int_eq(a.n_layers, b.n_layers);
    ck_assert_int_eq(a.has_train, b.has_train);
    ck_assert(a.train.optimizer.lr == b.train.optimizer.lr);
    free(first);
    free(second);
    experiment_free(&a);
    experiment_free(&b);
}
END_TEST

START_TEST(test_round_trip_with_base_and_sets)
{
    const char *dir = harness_tmpdir();
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/rtsub", dir);
    mkdir(sub, 0777);
    harness_write(sub, "base.yaml",
                  "name: base\n" MODEL4 "train: {optimizer: {adam: {lr: 0.1}}}\n");
    harness_write(sub, "child.yaml", "base: base.yaml\ntrain: {iterations: 3}\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/child.yaml", sub);
    const char *sets[] = {"train.optimizer.adam.beta1=0.5", "model.input=[1, 28, 28]"};
    struct experiment a, b;
    ck_assert_int_eq(config_load(&a, path, sets, 2), 0);
    char *first = cfg_resolved(&a);
    ck_assert_ptr_nonnull(strstr(first, "name: \"child\"\n"));
    ck_assert_ptr_nonnull(strstr(first, "beta1: 0.5,"));
    ck_assert_ptr_null(strstr(first, "\nbase:"));
    cfg_load_ok(&b, "rt_child_resolved.yaml", first, NULL, 0);
    char *second = cfg_resolved(&b);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    experiment_free(&a);
    experiment_free(&b);
}
END_TEST

START_TEST(test_resolved_layout)
{
    struct experiment e;
    cfg_load_ok(&e, "layout.yaml", round_trip_configs[1], NULL, 0);
    char *y = cfg_resolved(&e);
    const char *expect_lines[] = {
        "name: \"full\"\n",
        "seed: 42\n",
        "device: \"0:1\"\n",
        "data:\n  set: mnist\n  dir: \"my data/mnist\"\n  shuffle: false\n",
        "model:\n  input: [1, 28, 28]\n  layers:\n",
        "    - conv2d: {filters: 8, size: [5, 3], stride: [2, 1], pad: [2, 0], activation: tanh, "
        "init: {weights: he, biases: {constant: 0.1}}}  # layer 1\n",
        "    - flatten  # layer 2\n",
        "  optimizer: {adam: {lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 1e-07, weight_decay: "
        "0.0001}}\n",
        "  schedule: {exp_decay: {lr_max: 0.003, lr_min: 0.0001, tau: 2000}}\n",
        "report:\n  format: both\n",
    };
    for (size_t i = 0; i < sizeof expect_lines / sizeof *expect_lines; i++)
        ck_assert_msg(strstr(y, expect_lines[i]), "missing %s in:\n%s", expect_lines[i], y);
    free(y);
    experiment_free(&e);
}
END_TEST

START_TEST(test_resolved_without_train)
{
    struct experiment a, b;
    cfg_load_ok(&a, "notrain.yaml", round_trip_configs[2], NULL, 0);
    ck_assert(!a.has_train);
    char *y = cfg_resolved(&a);
    ck_assert_ptr_null(strstr(y, "train:"));
    ck_assert_ptr_nonnull(strstr(y, "weights: [[1, 1], [-1, -1]], bias: [-0.5, 1.5]"));
    cfg_load_ok(&b, "notrain_resolved.yaml", y, NULL, 0);
    ck_assert(!b.has_train);
    free(y);
    experiment_free(&a);
    experiment_free(&b);
}
END_TEST

START_TEST(test_save_resolved)
{
    struct experiment a, b;
    cfg_load_ok(&a, "save.yaml", round_trip_configs[1], NULL, 0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/savedir", harness_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    ck_assert_int_eq(config_save_resolved(&a, path), 0);
    ck_assert_int_eq(config_save_resolved(&a, path), 0); /* replaces */
    ck_assert_int_eq(config_load(&b, path, NULL, 0), 0);
    char *x = cfg_resolved(&a), *y = cfg_resolved(&b);
    ck_assert_str_eq(x, y);
    int entries = 0; /* no temporary file left behind */
    DIR *d = opendir(dir);
    for (struct dirent *de; (de = readdir(d));)
        entries += de->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 1);
    free(x);
    free(y);
    clnet_error_clear();
    ck_assert_int_eq(config_save_resolved(&a, "/nonexistent-dir/config.yaml"), CLNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "/nonexistent-dir/config.yaml"));
    experiment_free(&a);
    experiment_free(&b);
}
END_TEST

START_TEST(test_help)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f);
    fclose(f);
    const char *keys[] = {"seed",
                          "data.dir",
                          "model.input",
                          "model.layers.N.conv2d.size",
                          "model.layers.N.dropout.p",
                          "init.weights",
                          "train.optimizer.adam.beta1",
                          "train.schedule.exp_decay.tau",
                          "train.layer_stats",
                          "report.format",
                          "{sgd: {lr: 0.5}}",
                          "float in [0, 1)"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_msg(strstr(buf, keys[i]), "help lacks %s", keys[i]);
    free(buf);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(activation_name(ACTIVATION_RELU), "relu");
    ck_assert_str_eq(activation_name(ACTIVATION_IDENTITY), "identity");
    ck_assert_str_eq(layer_type_name(LAYER_CONV2D), "conv2d");
    ck_assert_str_eq(layer_type_name(LAYER_ACTIVATION), "activation");
    ck_assert_str_eq(init_kind_name(INIT_NORMAL), "normal");
    ck_assert_str_eq(init_kind_name(INIT_FILE), "file");
    ck_assert_str_eq(loss_name(LOSS_NAIVE_SOFTMAX_LOG), "naive_softmax_log");
    ck_assert_str_eq(optim_name(OPTIM_ADAM), "adam");
    ck_assert_str_eq(schedule_name(SCHEDULE_EXP_DECAY), "exp_decay");
    ck_assert_str_eq(activation_name((enum activation)99), "unknown");
}
END_TEST

START_TEST(test_errorf_at)
{
    clnet_error_clear();
    struct src_pos p = {"configs/x.yaml", 14, 7};
    ck_assert_int_eq(config_errorf_at(p, "layer %d (dense): bad", 3), CLNET_ERR_CONFIG);
    ck_assert_str_eq(clnet_error_message(), "configs/x.yaml:14:7: layer 3 (dense): bad");
    clnet_error_clear();
    struct src_pos q = {"--set model.layers=[flatten]", 0, 0};
    config_errorf_at(q, "layer 0 (flatten): bad");
    ck_assert_str_eq(clnet_error_message(), "--set model.layers=[flatten]: layer 0 (flatten): bad");
    struct experiment zero = {0};
    experiment_free(&zero); /* safe on a zeroed struct */
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("resolved");
    tcase_set_timeout(tc, 60);
    int n = (int)(sizeof round_trip_configs / sizeof *round_trip_configs);
    tcase_add_loop_test(tc, test_round_trip, 0, n);
    tcase_add_test(tc, test_round_trip_with_base_and_sets);
    tcase_add_test(tc, test_resolved_layout);
    tcase_add_test(tc, test_resolved_without_train);
    tcase_add_test(tc, test_save_resolved);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_errorf_at);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, config_load_tcase());
    suite_add_tcase(s, config_inherit_tcase());
    suite_add_tcase(s, config_set_tcase());
    suite_add_tcase(s, config_errors_tcase());
    suite_add_tcase(s, config_yaml_tcase());
    suite_add_tcase(s, config_loss_tcase());
    return s;
}

int main(void)
{
    return harness_run(config_suite(), true);
}
