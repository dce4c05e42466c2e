/* Config suite: every kind of error, each checked for its code and its whole message:
 * file:line:col, the key path, what is wrong and the suggestion. Columns count from 1 at
 * the offending token. */
#include "config_tests.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *yaml, *rest;
} cases[] = {
    {"seed: 1\n"
     "trian: {iterations: 5}\n"
     "model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 10}\n",
     "2:1: unknown key 'trian' (did you mean 'train'?)"},
    {"zzzzzz: 1\n"
     "model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 10}\n",
     "1:1: unknown key 'zzzzzz' (valid keys: name, seed, device, data, model, init, "
     "train, report)"},
    {MODEL4 "data: {set: mnist, dri: x}\n", "5:20: data: unknown key 'dri' (did you mean 'dir'?)"},
    /* data.noise: its sigma named, finite, in [0, 1e20], 0 or clear of the subnormals */
    {MODEL4 "data: {noise: {gausian: 0.3}}\n",
     "5:16: data.noise: unknown key 'gausian' (did you mean 'gaussian'?)"},
    {MODEL4 "data: {noise: {}}\n", "5:15: data: noise: missing required key 'gaussian' (the "
                                   "noise's sigma)"},
    {MODEL4 "data: {noise: 0.3}\n", "5:15: data.noise: expected a map of settings, got a "
                                    "single value"},
    {MODEL4 "data: {noise: {gaussian: -0.1}}\n",
     "5:26: data.noise.gaussian: must be in [0, 1e+20], got -0.1"},
    {MODEL4 "data: {noise: {gaussian: .inf}}\n",
     "5:26: data.noise.gaussian: expected a number, got '.inf'"},
    {MODEL4 "data: {noise: {gaussian: 1e-30}}\n",
     "5:26: data: noise.gaussian: 1e-30 is below 1e-20: noise that small would be subnormal "
     "floats, which devices round differently; use 0 or at least 1e-20"},
    {"model:\n"
     "  input: [784]\n"
     "  layer:\n"
     "    - flatten\n",
     "3:3: model: unknown key 'layer' (did you mean 'layers'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flatten\n"
     "    - dense: {units: 10, activaton: relu}\n",
     "5:26: layer 1 (dense): unknown key 'activaton' (did you mean 'activation'?)"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 4, sise: 5}\n",
     "4:28: layer 0 (conv2d): unknown key 'sise' (did you mean 'size'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flatten\n"
     "    - dropout: {q: 0.5}\n",
     "5:17: layer 1 (dropout): unknown key 'q' (valid keys: p)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 10, init: {wieghts: he}}\n",
     "4:33: layer 0 (dense): init: unknown key 'wieghts' (did you mean 'weights'?)"},
    {MODEL4 "init:\n"
            "  weights: {normal: {sdt: 0.1}}\n",
     "6:22: init.weights.normal: unknown key 'sdt' (did you mean 'std'?)"},
    {MODEL4 "init:\n"
            "  wieghts: he\n",
     "6:3: init: unknown key 'wieghts' (did you mean 'weights'?)"},
    {MODEL4 "train:\n"
            "  iteratons: 5\n",
     "6:3: train: unknown key 'iteratons' (did you mean 'iterations'?)"},
    {MODEL4 "train:\n"
            "  optimizer: {adam: {lr: 0.1, bta1: 0.8}}\n",
     "6:31: train.optimizer.adam: unknown key 'bta1' (did you mean 'beta1'?)"},
    {MODEL4 "train:\n"
            "  optimizer: {adam: {lr: 0.1, eps: 1e-40}}\n",
     "6:36: train.optimizer.adam.eps: must be >= 1.17549e-38, got 1e-40"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: 0.1, momentun: 0.8}}\n",
     "6:30: train.optimizer.sgd: unknown key 'momentun' (did you mean 'momentum'?)"},
    {MODEL4 "train:\n"
            "  schedule: {step: {every: 10, gama: 0.5}}\n",
     "6:32: train.schedule.step: unknown key 'gama' (did you mean 'gamma'?)"},
    {MODEL4 "train:\n"
            "  schedule: {exp_decay: {lr_max: 1, lr_min: 0.1, tua: 5}}\n",
     "6:50: train.schedule.exp_decay: unknown key 'tua' (did you mean 'tau'?)"},
    {MODEL4 "report: {fromat: pdf}\n",
     "5:10: report: unknown key 'fromat' (did you mean 'format'?)"},
    {MODEL4 "seed: abc\n", "5:7: seed: expected an integer, got 'abc'"},
    {MODEL4 "seed: -1\n", "5:7: seed: must be >= 0, got -1"},
    {MODEL4 "train:\n"
            "  iterations: 1.5\n",
     "6:15: train.iterations: expected an integer, got '1.5'"},
    {MODEL4 "train:\n"
            "  iterations: 1e3\n",
     "6:15: train.iterations: expected an integer, got '1e3'"},
    {MODEL4 "train:\n"
            "  iterations: {a: 1}\n",
     "6:15: train.iterations: expected an integer, got a map"},
    {MODEL4 "train:\n"
            "  iterations: 99999999999999999999\n",
     "6:15: train.iterations: integer out of range, got 99999999999999999999 (limit "
     "9223372036854775807)"},
    {MODEL4 "train:\n"
            "  batch_size: 3000000000\n",
     "6:15: train.batch_size: integer out of range, got 3000000000 (limit 2147483647)"},
    {MODEL4 "train: [1, 2]\n", "5:8: train: expected a map of settings, got a list"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: abc}}\n",
     "6:25: train.optimizer.sgd.lr: expected a number, got 'abc'"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: nan}}\n",
     "6:25: train.optimizer.sgd.lr: expected a number, got 'nan'"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: .inf}}\n",
     "6:25: train.optimizer.sgd.lr: expected a number, got '.inf'"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: 1e999}}\n",
     "6:25: train.optimizer.sgd.lr: expected a finite number, got '1e999'"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: [1]}}\n",
     "6:25: train.optimizer.sgd.lr: expected a number, got a list"},
    {MODEL4 "data: {shuffle: yes}\n", "5:17: data.shuffle: expected true or false, got 'yes'"},
    {MODEL4 "device: [a]\n", "5:9: device: expected a string, got a list"},
    {MODEL4 "device: ''\n", "5:9: device: must not be empty"},
    {MODEL4 "name: ~\n", "5:7: name: expected a string, got nothing"},
    {MODEL4 "train:\n"
            "  optimizer: [sgd]\n",
     "6:14: train.optimizer: expected an optimizer (one of: sgd, adam), got a list"},
    {"model:\n"
     "  input: 784\n"
     "  layers: [flatten]\n",
     "2:10: model.input: expected a list like [784] or [1, 28, 28], got a single "
     "value"},
    {"model:\n"
     "  input: [784]\n"
     "  layers: {dense: {units: 1}}\n",
     "3:11: model.layers: expected a list of layers, got a map"},
    {MODEL4 "train:\n"
            "  iterations: 0\n",
     "6:15: train.iterations: must be > 0, got 0"},
    {MODEL4 "train:\n"
            "  batch_size: -5\n",
     "6:15: train.batch_size: must be > 0, got -5"},
    {MODEL4 "train:\n"
            "  eval_every: 0\n",
     "6:15: train.eval_every: must be > 0, got 0"},
    {MODEL4 "train:\n"
            "  checkpoint_every: -1\n",
     "6:21: train.checkpoint_every: must be >= 0, got -1"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: 0}}\n",
     "6:25: train.optimizer.sgd.lr: must be > 0, got 0"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: 0.1, momentum: 1}}\n",
     "6:40: train.optimizer.sgd.momentum: must be in [0, 1), got 1"},
    {MODEL4 "train:\n"
            "  optimizer: {adam: {lr: 0.1, beta1: 1.0}}\n",
     "6:38: train.optimizer.adam.beta1: must be in [0, 1), got 1.0"},
    {MODEL4 "train:\n"
            "  optimizer: {adam: {lr: 0.1, beta2: -0.1}}\n",
     "6:38: train.optimizer.adam.beta2: must be in [0, 1), got -0.1"},
    {MODEL4 "train:\n"
            "  schedule: {step: {every: 5, gamma: 0}}\n",
     "6:38: train.schedule.step.gamma: must be in (0, 1], got 0"},
    {MODEL4 "train:\n"
            "  schedule: {exp_decay: {lr_max: 1, lr_min: 0, tau: 5}}\n",
     "6:45: train.schedule.exp_decay.lr_min: must be > 0, got 0"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flatten\n"
     "    - dropout: {p: 1}\n",
     "5:20: layer 1 (dropout): p: must be in [0, 1), got 1"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dropout: {p: -0.1}\n",
     "4:20: layer 0 (dropout): p: must be in [0, 1), got -0.1"},
    {MODEL4 "init:\n"
            "  weights: {normal: {std: -1}}\n",
     "6:27: init.weights.normal.std: must be >= 0, got -1"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 0}\n",
     "4:22: layer 0 (dense): units: must be > 0, got 0"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 0, size: 3}\n",
     "4:25: layer 0 (conv2d): filters: must be > 0, got 0"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 1, size: 0}\n",
     "4:34: layer 0 (conv2d): size: must be > 0, got 0"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 1, size: 3, stride: [1, 0]}\n",
     "4:49: layer 0 (conv2d): stride: must be > 0, got 0"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 1, size: 3, pad: -1}\n",
     "4:42: layer 0 (conv2d): pad: must be >= 0, got -1"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 1, size: [3, 3, 3]}\n",
     "4:34: layer 0 (conv2d): size: expected [rows, cols], got 3 numbers"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 1, size: 1.5}\n",
     "4:34: layer 0 (conv2d): size: expected an integer, got '1.5'"},
    {"model:\n"
     "  input: [1, 0, 28]\n"
     "  layers:\n"
     "    - flatten\n",
     "2:14: model.input: must be > 0, got 0"},
    {"model:\n"
     "  input: [28, 28]\n"
     "  layers:\n"
     "    - flatten\n",
     "2:10: model.input: expected 1 number (features) or 3 (channels, rows, cols), "
     "got 2"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 10, activation: rleu}\n",
     "4:38: layer 0 (dense): activation: unknown activation 'rleu' (did you mean "
     "'relu'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - activation: sigmod\n",
     "4:19: layer 0 (activation): activation: unknown activation 'sigmod' (did you "
     "mean 'sigmoid'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 10, activation: softmax}\n",
     "4:38: layer 0 (dense): activation: unknown activation 'softmax' (expected one "
     "of: identity, sigmoid, relu, tanh, step, linear, none)"},
    {MODEL4 "train:\n"
            "  loss: cross_entrpy\n",
     "6:9: train.loss: unknown loss 'cross_entrpy' (did you mean 'cross_entropy'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flatten\n"
     "    - dens: {units: 10}\n",
     "5:7: layer 1: unknown layer kind 'dens' (did you mean 'dense'?)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flaten\n",
     "4:7: layer 0: unknown layer kind 'flaten' (did you mean 'flatten'?)"},
    {MODEL4 "train:\n"
            "  optimizer: {adma: {lr: 0.1}}\n",
     "6:15: train.optimizer: unknown optimizer 'adma' (did you mean 'adam'?)"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {lr: 1}, adam: {lr: 1}}\n",
     "6:14: train.optimizer: expected exactly one optimizer (one of: sgd, adam), "
     "got 2 keys"},
    {MODEL4 "train:\n"
            "  schedule: foo\n",
     "6:13: train.schedule: unknown schedule 'foo' (expected one of: constant, "
     "exp_decay, step)"},
    {MODEL4 "init:\n"
            "  biases: zero\n",
     "6:11: init.biases: unknown init 'zero' (did you mean 'zeros'?)"},
    {MODEL4 "report: {format: svg}\n",
     "5:18: report.format: unknown report format 'svg' (expected one of: png, pdf, "
     "both)"},
    {MODEL4 "data: {set: cifar}\n",
     "5:13: data.set: unknown data set 'cifar' (expected one of: mnist)"},
    {MODEL4 "train:\n"
            "  eval_train: ful\n",
     "6:15: train.eval_train: unknown eval_train mode 'ful' (did you mean 'full'?)"},
    {"seed: 1\n", "1:1: missing required key 'model'"},
    {"model:\n"
     "  layers: [flatten]\n",
     "2:3: model: missing required key 'input'"},
    {"model:\n"
     "  input: [784]\n",
     "2:3: model: missing required key 'layers'"},
    {"model:\n"
     "  input: [784]\n"
     "  layers: []\n",
     "3:11: model.layers: expected at least one layer"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {activation: relu}\n",
     "4:14: layer 0 (dense): missing required key 'units'"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense\n",
     "4:7: layer 0 (dense): missing required key 'units'"},
    {"model:\n"
     "  input: [1, 28, 28]\n"
     "  layers:\n"
     "    - conv2d: {filters: 3}\n",
     "4:15: layer 0 (conv2d): missing required key 'size'"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dropout: {}\n",
     "4:16: layer 0 (dropout): missing required key 'p'"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: {momentum: 0.5}}\n",
     "6:20: train.optimizer.sgd: missing required key 'lr'"},
    {MODEL4 "train:\n"
            "  optimizer: adam\n",
     "6:14: train.optimizer.adam: missing required key 'lr'"},
    {MODEL4 "train:\n"
            "  schedule: {exp_decay: {lr_max: 1, tau: 5}}\n",
     "6:25: train.schedule.exp_decay: missing required key 'lr_min'"},
    {MODEL4 "init:\n"
            "  weights: {normal: {}}\n",
     "6:21: init.weights.normal: missing required key 'std'"},
    {MODEL4 "init:\n"
            "  weights: {uniform: {low: 0}}\n",
     "6:22: init.weights.uniform: missing required key 'high'"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - activation\n",
     "4:7: layer 0 (activation): 'activation' needs a value, as in {activation: ...}"},
    {MODEL4 "init:\n"
            "  weights: constant\n",
     "6:12: init.weights: 'constant' needs a value, as in {constant: ...}"},
    {MODEL4 "init:\n"
            "  weights: {file: }\n",
     "6:12: init.weights: 'file' needs a value, as in {file: ...}"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - flatten: {x: 1}\n",
     "4:16: layer 0 (flatten): 'flatten' takes no options, got a map"},
    {MODEL4 "init:\n"
            "  weights: {he: 2}\n",
     "6:17: init.weights: 'he' takes no options, got a single value"},
    {MODEL4 "train:\n"
            "  optimizer: {sgd: 0.1}\n",
     "6:20: train.optimizer.sgd: expected a map of settings, got a single value"},
    {MODEL4 "init:\n"
            "  weights: {uniform: {low: 1, high: 0}}\n",
     "6:22: init.weights.uniform: low (1) must be <= high (0)"},
    {MODEL4 "train:\n"
            "  schedule: {exp_decay: {lr_max: 0.1, lr_min: 0.5, tau: 10}}\n",
     "6:25: train.schedule.exp_decay: lr_min (0.5) must be <= lr_max (0.1)"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 3, weights: [[1, 2], [3, 4]]}\n",
     "4:34: layer 0 (dense): weights has 2 rows, but units is 3"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 2, weights: [[1, 2], [3]]}\n",
     "4:43: layer 0 (dense): weights: row 1 has 1 numbers, row 0 has 2"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 1, weights: [1, 2]}\n",
     "4:35: layer 0 (dense): weights: row 0: expected a list of numbers, got a "
     "single value"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 1, weights: [[1, x]]}\n",
     "4:39: layer 0 (dense): weights: expected a number, got 'x'"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 1, weights: [[1e39]]}\n",
     "4:36: layer 0 (dense): weights: 1e39 does not fit a 32-bit float"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - dense: {units: 2, bias: [1]}\n",
     "4:31: layer 0 (dense): bias has 1 numbers, but units is 2"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - batchnorm: {momentum: 1.5}\n",
     "4:29: layer 0 (batchnorm): momentum: must be in [0, 1], got 1.5"},
    {"model:\n"
     "  input: [784]\n"
     "  layers:\n"
     "    - batchnorm: {eps: 0}\n",
     "4:24: layer 0 (batchnorm): eps: must be > 0, got 0"},
};

/* Errors that list every layer kind: the registry's, in its order (layers/kinds.def). */
START_TEST(test_error_lists_kinds)
{
    char kinds[512] = "";
    for (int t = 0; t < LAYER_TYPE_COUNT; t++)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s", t ? ", " : "",
                 layer_type_name((enum layer_type)t));
    ck_assert_ptr_nonnull(strstr(kinds, "dense, conv2d, flatten, dropout, activation"));
    static const char *const yaml[] = {"    - residual: {size: 2}\n", "    - [dense]\n",
                                       "    - {dense: {units: 1}, flatten: {}}\n"};
    static const char *const what[] = {"unknown layer kind 'residual' (expected one of: %s)",
                                       "expected a layer kind (one of: %s), got a list",
                                       "expected exactly one layer kind (one of: %s), got 2 keys"};
    for (int i = 0; i < 3; i++) {
        char text[256], rest[1024], name[32];
        snprintf(text, sizeof text, "model:\n  input: [784]\n  layers:\n%s", yaml[i]);
        int n = snprintf(rest, sizeof rest, "4:7: layer 0: ");
        snprintf(rest + n, sizeof rest - (size_t)n, what[i], kinds);
        snprintf(name, sizeof name, "kinds%d.yaml", i);
        cfg_expect_error(name, text, rest);
    }
}
END_TEST

START_TEST(test_error_case)
{
    char name[32];
    snprintf(name, sizeof name, "err%03d.yaml", _i);
    cfg_expect_error(name, cases[_i].yaml, cases[_i].rest);
}
END_TEST

/* ---- YAML-level problems */

START_TEST(test_billion_laughs)
{
    const char *lol = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
                      "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n" MODEL4;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cfg_expect_error("lol.yaml", lol,
                     "1:4: YAML anchors and aliases (&a) are not supported; write the value out");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ck_assert_msg(s < harness_time_limit(1.0), "took %g s", s);
}
END_TEST

START_TEST(test_alias)
{
    cfg_expect_error("alias.yaml", MODEL4 "seed: *x\n",
                     "5:7: YAML anchors and aliases (*x) are not supported; write the value out");
    cfg_expect_error("anchor.yaml", MODEL4 "train: &t {iterations: 5}\n",
                     "5:8: YAML anchors and aliases (&t) are not supported; write the value out");
}
END_TEST

START_TEST(test_empty_file)
{
    cfg_expect_error("empty.yaml", "", "1:1: empty file: expected a map of settings");
    cfg_expect_error("comments.yaml", "# nothing here\n\n",
                     "1:1: empty file: expected a map of settings");
}
END_TEST

START_TEST(test_not_a_map)
{
    cfg_expect_error("list.yaml", "- a\n- b\n",
                     "1:1: expected a map of settings at the top level, got a list");
    cfg_expect_error("scalar.yaml", "\n  hello\n",
                     "2:3: expected a map of settings at the top level, got a single value");
    cfg_expect_error("null.yaml", "---\n...\n",
                     "2:1: expected a map of settings at the top level, got nothing");
}
END_TEST

START_TEST(test_binary_file)
{
    const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 3, 0};
    clnet_error_clear();
    char *path = harness_write_bytes(NULL, "binary.yaml", elf, sizeof elf);
    struct experiment e;
    ck_assert_int_eq(config_load(&e, path, NULL, 0), CLNET_ERR_CONFIG);
    char want[4300];
    snprintf(want, sizeof want, "%s:1:1: invalid YAML: control characters are not allowed", path);
    ck_assert_msg(!strncmp(clnet_error_message(), want, strlen(want)), "%s", clnet_error_message());

    const char latin1[] = "seed: 1\nname: caf\xe9\n";
    clnet_error_clear();
    path = harness_write(NULL, "latin1.yaml", latin1);
    ck_assert_int_eq(config_load(&e, path, NULL, 0), CLNET_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:2:10: invalid YAML: ", path);
    ck_assert_msg(!strncmp(clnet_error_message(), want, strlen(want)), "%s", clnet_error_message());
}
END_TEST

START_TEST(test_malformed)
{
    clnet_error_clear();
    char *path = cfg_write("malformed.yaml", "model:\n  input: [784\n  layers: x\n");
    struct experiment e;
    ck_assert_int_eq(config_load(&e, path, NULL, 0), CLNET_ERR_CONFIG);
    char want[4300];
    snprintf(want, sizeof want,
             "%s:3:9: invalid YAML: did not find expected ',' or ']' "
             "(while parsing a flow sequence at line 2)",
             path);
    ck_assert_str_eq(clnet_error_message(), want);

    cfg_expect_error("tab.yaml", "model:\n\tinput: [784]\n",
                     "2:1: invalid YAML: found character that cannot start any token "
                     "(while scanning for the next token at line 2)");
}
END_TEST

START_TEST(test_two_documents)
{
    cfg_expect_error("twodocs.yaml", MODEL4 "---\nseed: 2\n",
                     "5:1: more than one YAML document (only one is allowed)");
}
END_TEST

START_TEST(test_duplicate_key)
{
    cfg_expect_error("dup.yaml", "seed: 1\n" MODEL4 "seed: 2\n",
                     "6:1: duplicate key 'seed' (first at line 1)");
}
END_TEST

START_TEST(test_complex_key)
{
    cfg_expect_error("complexkey.yaml", MODEL4 "? [a, b]\n: 1\n",
                     "5:3: a key must be a single word, not a list");
}
END_TEST

START_TEST(test_too_deep)
{
    char text[512] = "seed: ";
    for (int i = 0; i < 100; i++)
        strcat(text, "[");
    cfg_expect_error("deep.yaml", text, "1:70: nested deeper than 64 levels");
}
END_TEST

START_TEST(test_missing_file)
{
    struct experiment e;
    clnet_error_clear();
    ck_assert_int_eq(config_load(&e, "/nonexistent/dir/x.yaml", NULL, 0), CLNET_ERR_CONFIG);
    ck_assert_str_eq(clnet_error_message(),
                     "/nonexistent/dir/x.yaml: cannot open: No such file or directory");
    clnet_error_clear();
    ck_assert_int_eq(config_load(&e, harness_tmpdir(), NULL, 0), CLNET_ERR_CONFIG);
    char want[4300];
    snprintf(want, sizeof want, "%s: is a folder, not a regular file", harness_tmpdir());
    ck_assert_str_eq(clnet_error_message(), want);
}
END_TEST

TCase *config_errors_tcase(void)
{
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_error_case, 0, (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, test_error_lists_kinds);
    return tc;
}

TCase *config_yaml_tcase(void)
{
    TCase *tc = tcase_create("yaml");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_billion_laughs);
    tcase_add_test(tc, test_alias);
    tcase_add_test(tc, test_empty_file);
    tcase_add_test(tc, test_not_a_map);
    tcase_add_test(tc, test_binary_file);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_two_documents);
    tcase_add_test(tc, test_duplicate_key);
    tcase_add_test(tc, test_complex_key);
    tcase_add_test(tc, test_too_deep);
    tcase_add_test(tc, test_missing_file);
    return tc;
}
