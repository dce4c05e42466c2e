/* A run's settings in a few words (report/settings.h), from resolved configs written here: the
 * model in one line, then only what differs from the most common choice; when two choices are
 * equally common, every run shows its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/flat.h"
#include "harness.h"
#include "report/settings.h"
#include "util/status.h"

/* A resolved config: a model line, an optimizer line, a schedule line, an init and extra keys. */
static void flat(struct config_flat *f, const char *layers, const char *optimizer,
                 const char *schedule, const char *init, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "name: \"x\"\nseed: 1\ndata:\n  dir: \"/tmp/mnist\"\nmodel:\n  input: %s\n"
             "  layers:\n%s"
             "init: %s\ntrain:\n  iterations: 100\n  loss: cross_entropy\n"
             "  optimizer: %s\n  schedule: %s\n  eval_every: 10\n%s"
             "report:\n  format: png\n",
             strstr(layers, "conv2d") ? "[1, 28, 28]" : "[784]", layers, init, optimizer,
             schedule, extra ? extra : "");
    ck_assert_int_eq(config_flatten_text(text, strlen(text), "test", f), CLNET_OK);
}

#define DENSE_SIG "    - dense: {units: 200, activation: sigmoid}\n" \
                  "    - dense: {units: 10, activation: identity}\n"
#define SGD "{sgd: {lr: 0.5, momentum: 0, weight_decay: 0}}"
#define ADAM "{adam: {lr: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-08, weight_decay: 0}}"
#define INIT "{weights: {normal: {mean: 0, std: 0.1}}, biases: zeros}"

START_TEST(test_settings_model_and_differences)
{
    struct config_flat f[4];
    flat(&f[0], DENSE_SIG, SGD, "constant", INIT, NULL);
    flat(&f[1], DENSE_SIG, ADAM, "constant", INIT, NULL);
    flat(&f[2],
         "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 2, activation: relu}\n"
         "    - flatten\n    - dense: {units: 200, activation: relu}\n"
         "    - dropout: {p: 0.25}\n    - dense: {units: 10, activation: identity}\n",
         SGD, "{exp_decay: {lr_max: 0.003, lr_min: 0.0001, tau: 2000}}", INIT,
         "  batch_size: 50\n");
    flat(&f[3], DENSE_SIG, SGD, "constant", "{weights: zeros, biases: {constant: 0.1}}",
         "  eval_batch_size: 500\n");
    struct settings s;
    ck_assert_int_eq(settings_describe(&s, f, 4), CLNET_OK);
    ck_assert_str_eq(s.text[0], "784-200σ-10");
    ck_assert_str_eq(s.text[1], "784-200σ-10, adam, lr 0.003");
    ck_assert_str_eq(s.text[2], "1×28×28-c4·5/2⁺-200⁺-drop0.25-10, lr 0.003→0.0001 τ 2000, "
                                "batch_size 50");
    /* eval_batch_size changes no result: not a setting of its own */
    ck_assert_str_eq(s.text[3], "784-200σ-10, init 0, bias 0.1");
    ck_assert_str_eq(s.common, "sgd, lr 0.5, init N(0, 0.1), bias 0, cross_entropy");
    settings_free(&s);
    for (int i = 0; i < 4; i++)
        config_flat_free(&f[i]);
}
END_TEST

/* Two runs, one sgd and one adam: no common choice, so both say theirs; a run whose config is
 * unknown (no keys) gets an empty text and counts for nothing. */
START_TEST(test_settings_no_majority)
{
    struct config_flat f[3] = {0};
    flat(&f[0], DENSE_SIG, SGD, "constant", INIT, NULL);
    flat(&f[2], DENSE_SIG, ADAM, "{step: {every: 1000, gamma: 0.5}}", INIT, NULL);
    struct settings s;
    ck_assert_int_eq(settings_describe(&s, f, 3), CLNET_OK);
    ck_assert_str_eq(s.text[0], "784-200σ-10, sgd, lr 0.5");
    ck_assert_str_eq(s.text[1], "");
    ck_assert_str_eq(s.text[2], "784-200σ-10, adam, lr 0.003 ×0.5 every 1000");
    ck_assert_str_eq(s.common, "init N(0, 0.1), bias 0, cross_entropy");
    ck_assert_int_eq(settings_columns(s.text[2]), (int)strlen(s.text[2]) - 2); /* σ, × */
    settings_free(&s);
    config_flat_free(&f[0]);
    config_flat_free(&f[2]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, test_settings_model_and_differences);
    tcase_add_test(tc, test_settings_no_majority);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
