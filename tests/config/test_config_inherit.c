/* Config suite: base: inheritance (merge, list replace, relative paths, cycles, errors in
 * the base file) and --set overrides. */
#include "config_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EQ(a, b) ck_assert_double_eq_tol((a), (b), 1e-12)

static const char *subdir(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", harness_tmpdir(), name);
    mkdir(path, 0777);
    return path;
}

static const char *const base_text =
    "name: from_base\nseed: 5\ndata: {dir: base/dir, shuffle: false}\n"
    "model:\n  input: [784]\n  layers:\n    - dense: {units: 100}\n    - dense: {units: 10}\n"
    "train:\n  iterations: 100\n  batch_size: 50\n"
    "  optimizer: {adam: {lr: 0.01, beta1: 0.8}}\n"
    "  schedule: {step: {every: 10, gamma: 0.5}}\n";

START_TEST(test_merge)
{
    harness_write(NULL, "base.yaml", base_text);
    struct experiment e;
    cfg_load_ok(&e, "child.yaml",
                "base: base.yaml\ndata: {dir: child/dir}\n"
                "model:\n  layers:\n    - flatten\n    - dense: {units: 5}\n"
                "train:\n  iterations: 7\n  optimizer: {adam: {lr: 0.02}}\n",
                NULL, 0);
    ck_assert_str_eq(e.name, "child"); /* a run is named by its own file */
    ck_assert_str_eq(e.base, "base.yaml");
    ck_assert_uint_eq(e.seed, 5);
    ck_assert_str_eq(e.data.dir, "child/dir");
    ck_assert(!e.data.shuffle); /* maps merge key by key */
    ck_assert_int_eq(e.input[0], 784);
    ck_assert_int_eq(e.n_layers, 2); /* lists replace */
    ck_assert_int_eq(e.layers[0].type, LAYER_FLATTEN);
    ck_assert_int_eq(e.layers[1].dense.units, 5);
    ck_assert_int_eq(e.train.iterations, 7);
    ck_assert_int_eq(e.train.batch_size, 50);
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_ADAM);
    EQ(e.train.optimizer.lr, 0.02);
    EQ(e.train.optimizer.beta1, 0.8); /* same choice word: options merge */
    ck_assert_int_eq(e.train.schedule.kind, SCHEDULE_STEP);
    experiment_free(&e);
}
END_TEST

START_TEST(test_merge_choice_replaced)
{
    harness_write(NULL, "base2.yaml", base_text);
    struct experiment e;
    cfg_load_ok(&e, "child2.yaml",
                "base: base2.yaml\nname: mine\n"
                "train: {optimizer: {sgd: {lr: 0.1}}, schedule: constant}\n",
                NULL, 0);
    ck_assert_str_eq(e.name, "mine");
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_SGD);
    EQ(e.train.optimizer.lr, 0.1);
    EQ(e.train.optimizer.momentum, 0);
    ck_assert_int_eq(e.train.schedule.kind, SCHEDULE_CONSTANT);
    ck_assert_int_eq(e.n_layers, 2);
    experiment_free(&e);
}
END_TEST

START_TEST(test_relative_paths)
{
    const char *common = subdir("common");
    harness_write(common, "root.yaml",
                  "model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\n");
    harness_write(common, "mid.yaml", "base: root.yaml\nseed: 9\n");
    const char *exp = subdir("exp");
    char *path = harness_write(exp, "run.yaml", "base: ../common/mid.yaml\nseed: 11\n");
    struct experiment e;
    clnet_error_clear();
    ck_assert_int_eq(config_load(&e, path, NULL, 0), 0);
    ck_assert_uint_eq(e.seed, 11);
    ck_assert_str_eq(e.base, "../common/mid.yaml");
    char want[4300];
    snprintf(want, sizeof want, "%s/exp/../common/root.yaml", harness_tmpdir());
    ck_assert_str_eq(e.layers[0].pos.file, want); /* positions name the file they are in */
    ck_assert_int_eq(e.layers[0].pos.line, 4);
    experiment_free(&e);
}
END_TEST

START_TEST(test_cycle)
{
    const char *d = subdir("cycle");
    char *a = harness_write(d, "a.yaml", "base: b.yaml\n" MODEL4);
    char *b = harness_write(d, "b.yaml", "seed: 2\nbase: a.yaml\n");
    struct experiment e;
    clnet_error_clear();
    ck_assert_int_eq(config_load(&e, a, NULL, 0), CLNET_ERR_CONFIG);
    char want[8192];
    snprintf(want, sizeof want, "%s:2:7: base: '%s' is already being loaded (a base: cycle)", b, a);
    ck_assert_str_eq(clnet_error_message(), want);
}
END_TEST

START_TEST(test_self_cycle)
{
    char want[4300];
    snprintf(want, sizeof want, "1:7: base: '%s/self.yaml' is already being loaded (a base: cycle)",
             harness_tmpdir());
    cfg_expect_error("self.yaml", "base: self.yaml\n" MODEL4, want);
}
END_TEST

START_TEST(test_missing_base)
{
    char want[4300];
    snprintf(want, sizeof want,
             "2:7: base: %s/nothere.yaml: cannot open: No such file or directory",
             harness_tmpdir());
    cfg_expect_error("nobase.yaml", "seed: 1\nbase: nothere.yaml\n" MODEL4, want);
}
END_TEST

START_TEST(test_base_not_a_path)
{
    cfg_expect_error("badbase.yaml", "base: [a.yaml]\n" MODEL4,
                     "1:7: base: expected a file path, got a list");
}
END_TEST

START_TEST(test_error_in_base)
{
    char *base = harness_write(NULL, "badparent.yaml", MODEL4 "train:\n  iterations: 0\n");
    clnet_error_clear();
    char *child = cfg_write("goodchild.yaml", "base: badparent.yaml\nseed: 3\n");
    struct experiment e;
    ck_assert_int_eq(config_load(&e, child, NULL, 0), CLNET_ERR_CONFIG);
    char want[4300];
    snprintf(want, sizeof want, "%s:6:15: train.iterations: must be > 0, got 0", base);
    ck_assert_str_eq(clnet_error_message(), want);

    harness_write(NULL, "brokenparent.yaml", "seed: [1,\n");
    clnet_error_clear();
    child = cfg_write("child3.yaml", "base: brokenparent.yaml\n");
    ck_assert_int_eq(config_load(&e, child, NULL, 0), CLNET_ERR_CONFIG);
    snprintf(want, sizeof want, "%s/brokenparent.yaml:2:1: invalid YAML:", harness_tmpdir());
    ck_assert_msg(!strncmp(clnet_error_message(), want, strlen(want)), "%s", clnet_error_message());
}
END_TEST

/* ---- --set */

static void load_with(struct experiment *e, const char *text, const char *const *sets, int n)
{
    cfg_load_ok(e, "sets.yaml", text, sets, n);
}

START_TEST(test_set_scalar)
{
    struct experiment e;
    const char *sets[] = {"train.iterations=5", "seed=8",       "data.shuffle=false",
                          "device=1:0",         "name=renamed", "train.iterations=6"};
    load_with(&e, MODEL4, sets, 6);
    ck_assert(e.has_train);                  /* the section was created */
    ck_assert_int_eq(e.train.iterations, 6); /* in order: the last one wins */
    ck_assert_uint_eq(e.seed, 8);
    ck_assert(!e.data.shuffle);
    ck_assert_str_eq(e.device, "1:0");
    ck_assert_str_eq(e.name, "renamed");
    experiment_free(&e);
}
END_TEST

START_TEST(test_set_nested_and_choices)
{
    struct experiment e;
    const char *sets[] = {"train.optimizer.sgd.lr=0.1", "train.optimizer.sgd.momentum=0.9"};
    load_with(&e, MODEL4, sets, 2);
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_SGD);
    EQ(e.train.optimizer.lr, 0.1);
    EQ(e.train.optimizer.momentum, 0.9);
    experiment_free(&e);

    const char *text = MODEL4 "train:\n  optimizer: {adam: {lr: 0.01, beta1: 0.7}}\n";
    const char *same[] = {"train.optimizer.adam.lr=0.5"};
    load_with(&e, text, same, 1);
    EQ(e.train.optimizer.lr, 0.5);
    EQ(e.train.optimizer.beta1, 0.7);
    experiment_free(&e);

    const char *other[] = {"train.optimizer.sgd.lr=2", "train.schedule.exp_decay={lr_max: 1, "
                                                       "lr_min: 0.5, tau: 3}"};
    load_with(&e, text, other, 2);
    ck_assert_int_eq(e.train.optimizer.kind, OPTIM_SGD);
    EQ(e.train.optimizer.lr, 2);
    ck_assert_int_eq(e.train.schedule.kind, SCHEDULE_EXP_DECAY);
    EQ(e.train.schedule.tau, 3);
    experiment_free(&e);

    const char *whole[] = {"train.optimizer={adam: {lr: 0.25}}", "init.weights=he"};
    load_with(&e, text, whole, 2);
    EQ(e.train.optimizer.lr, 0.25);
    EQ(e.train.optimizer.beta1, 0.9);
    ck_assert_int_eq(e.weight_init.kind, INIT_HE);
    experiment_free(&e);
}
END_TEST

START_TEST(test_set_list_index)
{
    struct experiment e;
    const char *sets[] = {"model.layers.1.dense.units=50", "model.layers.0=flatten",
                          "model.layers.1.dense.activation=relu"};
    load_with(&e,
              "model:\n  input: [784]\n  layers:\n    - dense: {units: 100}\n"
              "    - dense: {units: 10}\n",
              sets, 3);
    ck_assert_int_eq(e.layers[0].type, LAYER_FLATTEN);
    ck_assert_int_eq(e.layers[1].dense.units, 50);
    ck_assert_int_eq(e.layers[1].activation, ACTIVATION_RELU);
    experiment_free(&e);
}
END_TEST

START_TEST(test_set_flow_values)
{
    struct experiment e;
    const char *sets[] = {"model.input=[1,28,28]", "model.layers.0.conv2d.size=[3, 5]",
                          "model.layers.0.conv2d.pad.1=2"};
    load_with(
        &e, "model:\n  input: [784]\n  layers:\n    - conv2d: {filters: 2, size: 3, pad: [0, 0]}\n",
        sets, 3);
    ck_assert_int_eq(e.input_rank, 3);
    ck_assert_int_eq(e.input[1], 28);
    ck_assert_int_eq(e.layers[0].conv2d.size[0], 3);
    ck_assert_int_eq(e.layers[0].conv2d.size[1], 5);
    ck_assert_int_eq(e.layers[0].conv2d.pad[0], 0);
    ck_assert_int_eq(e.layers[0].conv2d.pad[1], 2);
    experiment_free(&e);

    const char *layers[] = {"model.layers=[flatten, {dense: {units: 4}}]"};
    load_with(&e, MODEL4, layers, 1);
    ck_assert_int_eq(e.n_layers, 2);
    ck_assert_int_eq(e.layers[1].dense.units, 4);
    ck_assert_str_eq(e.layers[1].pos.file, "--set model.layers=[flatten, {dense: {units: 4}}]");
    ck_assert_int_eq(e.layers[1].pos.line, 0);
    experiment_free(&e);
}
END_TEST

static const struct {
    const char *set, *message;
} set_errors[] = {
    {"train.iteratons=5", "--set train.iteratons=5: unknown key 'iteratons' (did you mean "
                          "'iterations'?)"},
    {"trian.iterations=5", "--set trian.iterations=5: unknown key 'trian' (did you mean "
                           "'train'?)"},
    {"train.iterations=abc", "--set train.iterations=abc: train.iterations: expected an "
                             "integer, got 'abc'"},
    {"train.iterations=1.5", "--set train.iterations=1.5: train.iterations: expected an "
                             "integer, got '1.5'"},
    {"train.batch_size=0", "--set train.batch_size=0: train.batch_size: must be > 0, got 0"},
    {"train.optimizer.sgd.lr=nan", "--set train.optimizer.sgd.lr=nan: train.optimizer.sgd.lr: "
                                   "expected a number, got 'nan'"},
    {"train.optimizer.sgd.lr=-inf", "--set train.optimizer.sgd.lr=-inf: "
                                    "train.optimizer.sgd.lr: expected a finite number, got "
                                    "'-inf'"},
    {"train.optimizer.adma.lr=1", "--set train.optimizer.adma.lr=1: unknown optimizer 'adma' "
                                  "(did you mean 'adam'?)"},
    {"model.layers.5.dense.units=1", "--set model.layers.5.dense.units=1: index 5 out of range "
                                     "(layers has 1 entries)"},
    {"model.layers.x=1", "--set model.layers.x=1: expected a list index, got 'x'"},
    {"model.layers.0.dense.unit=1", "--set model.layers.0.dense.unit=1: unknown key 'unit' "
                                    "(did you mean 'units'?)"},
    {"model.input=[1, 28]", "--set model.input=[1, 28]: model.input: expected 1 number "
                            "(features) or 3 (channels, rows, cols), got 2"},
    {"seed.x=1", "--set seed.x=1: 'seed' is a single value, it has no key 'x'"},
    {"base=x.yaml", "--set base=x.yaml: 'base' can only be set in a file"},
    {"train.iterations", "--set train.iterations: expected key.path=value"},
    {"=5", "--set =5: expected key.path=value"},
    {"train..iterations=5", "--set train..iterations=5: empty key in 'train..iterations'"},
    {"train.iterations=", "--set train.iterations=: train.iterations: expected an integer, got "
                          "nothing"},
    {"model.layers.0.flatten.x=1", "--set model.layers.0.flatten.x=1: 'flatten' takes no "
                                   "options"},
};

START_TEST(test_set_errors)
{
    cfg_expect_set_error(MODEL4, set_errors[_i].set, set_errors[_i].message);
}
END_TEST

START_TEST(test_set_bad_yaml)
{
    clnet_error_clear();
    char *path = cfg_write("setyaml.yaml", MODEL4);
    const char *sets[] = {"model.input=[1,2"};
    struct experiment e;
    ck_assert_int_eq(config_load(&e, path, sets, 1), CLNET_ERR_CONFIG);
    const char *want = "--set model.input=[1,2: invalid YAML: ";
    ck_assert_msg(!strncmp(clnet_error_message(), want, strlen(want)), "%s", clnet_error_message());
}
END_TEST

TCase *config_inherit_tcase(void)
{
    TCase *tc = tcase_create("inherit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_merge);
    tcase_add_test(tc, test_merge_choice_replaced);
    tcase_add_test(tc, test_relative_paths);
    tcase_add_test(tc, test_cycle);
    tcase_add_test(tc, test_self_cycle);
    tcase_add_test(tc, test_missing_base);
    tcase_add_test(tc, test_base_not_a_path);
    tcase_add_test(tc, test_error_in_base);
    return tc;
}

TCase *config_set_tcase(void)
{
    TCase *tc = tcase_create("set");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_set_scalar);
    tcase_add_test(tc, test_set_nested_and_choices);
    tcase_add_test(tc, test_set_list_index);
    tcase_add_test(tc, test_set_flow_values);
    tcase_add_loop_test(tc, test_set_errors, 0, (int)(sizeof set_errors / sizeof *set_errors));
    tcase_add_test(tc, test_set_bad_yaml);
    return tc;
}
