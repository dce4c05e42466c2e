/* train.loss's list form (config/loss_terms.c, model/loss_terms.c): the terms read and written
 * back, their default names, --set into a term, and every error as one line with its
 * file:line:col: those of the list itself when loading, those that need the model's shapes
 * (a layer, a target's or r's size, r's file) from shape_check_classes. */
#include "config_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/loss_terms.h"
#include "model/safetensors.h"
#include "model/shape.h"

/* Question 3's network, lines 1-6; train: starts on line 7, its loss on line 8. */
#define Q3                                                                                     \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 16, activation: sigmoid, name: h}\n"                                 \
    "    - dense: {units: 784, name: w2h}\n"                                                   \
    "    - add: {from: [input, w2h], name: y}\n"                                               \
    "train:\n"                                                                                 \
    "  loss:\n"

/* A classifier with a named hidden layer; the same line numbers. */
#define CLASSIFIER                                                                             \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 32, activation: relu, name: h}\n"                                    \
    "    - dense: {units: 10, name: logits}\n"                                                 \
    "    - activation: identity\n"                                                             \
    "train:\n"                                                                                 \
    "  loss:\n"

START_TEST(test_terms_read)
{
    struct experiment e;
    cfg_load_ok(&e, "q3.yaml",
                Q3 "    - mse: {on: y, target: clean, name: S}\n"
                   "    - linear: {on: h, r: 0.001, name: R, weight: 2}\n",
                NULL, 0);
    ck_assert_int_eq(e.train.n_terms, 2);
    const struct loss_term *s = &e.train.terms[0], *r = &e.train.terms[1];
    ck_assert_int_eq(s->kind, TERM_MSE);
    ck_assert_str_eq(s->on, "y");
    ck_assert_int_eq(s->target_kind, TARGET_CLEAN);
    ck_assert_str_eq(s->name, "S");
    ck_assert(s->weight == 1.0);
    ck_assert_int_eq(r->kind, TERM_LINEAR);
    ck_assert_int_eq(r->r.kind, LOSS_R_CONSTANT);
    ck_assert(r->r.constant == 0.001);
    ck_assert(r->weight == 2.0);
    ck_assert_int_eq(r->on_pos.line, 10);
    ck_assert_int_eq(r->on_pos.col, 20);
    struct model_shape sh;
    ck_assert_int_eq(shape_infer(&sh, &e), CLNET_OK);
    struct loss_terms t;
    ck_assert_int_eq(loss_terms_resolve(&t, &e, &sh), CLNET_OK);
    ck_assert_int_eq(t.n, 2);
    ck_assert_int_eq(t.classify, -1);
    ck_assert_int_eq(t.t[0].node, 2);
    ck_assert_int_eq(t.t[0].size, 784);
    ck_assert_int_eq(t.t[1].node, 0);
    ck_assert_int_eq(t.t[1].size, 16);
    ck_assert(t.t[1].r[15] == 0.001f);
    ck_assert_int_eq(shape_check_classes(&e, &sh), CLNET_OK); /* no class scores needed */
    loss_terms_free(&t);
    shape_free(&sh);
    experiment_free(&e);
}
END_TEST

/* Names default to the kind, or KIND_NODE when two terms share a kind; the scalar form is
 * untouched (no terms). */
START_TEST(test_default_names)
{
    struct experiment e;
    cfg_load_ok(&e, "names.yaml",
                CLASSIFIER "    - cross_entropy\n"
                           "    - l2: {on: h, weight: 0.01}\n"
                           "    - l1: {on: h}\n"
                           "    - l1: {on: logits}\n",
                NULL, 0);
    ck_assert_int_eq(e.train.n_terms, 4);
    ck_assert_str_eq(e.train.terms[0].name, "cross_entropy");
    ck_assert_ptr_null(e.train.terms[0].on);
    ck_assert_str_eq(e.train.terms[1].name, "l2");
    ck_assert_str_eq(e.train.terms[2].name, "l1_h");
    ck_assert_str_eq(e.train.terms[3].name, "l1_logits");
    experiment_free(&e);
    cfg_load_ok(&e, "scalar.yaml", MODEL4 "train: {loss: naive_softmax_log}\n", NULL, 0);
    ck_assert_int_eq(e.train.n_terms, 0);
    ck_assert_ptr_null(e.train.terms);
    ck_assert_int_eq(e.train.loss, LOSS_NAIVE_SOFTMAX_LOG);
    experiment_free(&e);
}
END_TEST

/* load -> write -> load -> write gives the same bytes, r in each of its forms. */
START_TEST(test_terms_round_trip)
{
    struct experiment a, b;
    cfg_load_ok(&a, "rt.yaml",
                Q3 "    - mse: {on: y, target: input, name: S}\n"
                   "    - linear: {on: h, r: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
                   "0.5]}\n"
                   "    - {linear: {on: h, r: {file: r.safetensors, tensor: r}, weight: -1, "
                   "name: R}}\n"
                   "    - l2: {on: h}\n",
                NULL, 0);
    char *first = cfg_resolved(&a);
    ck_assert_ptr_nonnull(strstr(first, "  loss:\n    - mse: {on: \"y\", target: \"input\", "
                                        "weight: 1, name: \"S\"}\n"));
    ck_assert_ptr_nonnull(strstr(first, "r: [1, 2, 3, 4, 5, 6, 7, 8, 9, 1e+01, 11, 12, 13, "
                                        "14, 15, 0.5], weight: 1, name: \"linear_h\"}"));
    ck_assert_ptr_nonnull(strstr(first, "/r.safetensors\", tensor: \"r\"}, weight: -1"));
    cfg_load_ok(&b, "rt2.yaml", first, NULL, 0);
    char *second = cfg_resolved(&b);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    experiment_free(&a);
    experiment_free(&b);
}
END_TEST

START_TEST(test_set_into_term)
{
    struct experiment e;
    const char *sets[] = {"train.loss.1.linear.weight=3", "train.loss.1.linear.r=0.5"};
    cfg_load_ok(&e, "set.yaml",
                Q3 "    - mse: {on: y, target: clean}\n    - linear: {on: h, r: 0.001}\n", sets, 2);
    ck_assert(e.train.terms[1].weight == 3.0);
    ck_assert(e.train.terms[1].r.constant == 0.5);
    experiment_free(&e);
    const char *whole[] = {"train.loss=[cross_entropy, {l2: {on: h}}]"};
    cfg_load_ok(&e, "set2.yaml", CLASSIFIER "    - cross_entropy\n", whole, 1);
    ck_assert_int_eq(e.train.n_terms, 2);
    ck_assert_int_eq(e.train.terms[1].kind, TERM_L2);
    experiment_free(&e);
}
END_TEST

/* Errors of the list itself, found when loading. */
static const struct {
    const char *yaml, *rest;
} load_errors[] = {
    {Q3 "    - mae: {on: y, target: clean}\n",
     "9:7: train.loss.0: unknown loss term 'mae' (did you mean 'mse'?)"},
    {Q3 "    - hinge\n",
     "9:7: train.loss.0: unknown loss term 'hinge' (expected one of: cross_entropy, "
     "naive_softmax_log, mse, linear, l1, l2)"},
    {"model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\ntrain:\n  loss: []\n",
     "6:9: train.loss: expected at least one term, as in [cross_entropy] or "
     "[{mse: {target: input}}]"},
    {Q3 "    - mse: {on: y, target: clean, name: S}\n"
        "    - linear: {on: h, r: 0.001, name: S}\n",
     "10:39: train.loss.1: the name 'S' is term 0's too: names are metrics columns "
     "(train_loss_NAME); give one a name: of its own"},
    {Q3 "    - l2: {on: h}\n    - l2: {on: h}\n",
     "10:7: train.loss.1: the name 'l2_h' is term 0's too: names are metrics columns "
     "(train_loss_NAME); give this term a name: of its own"},
    {Q3 "    - l2: {on: h, weight: 1e999}\n",
     "9:27: train.loss.0.l2.weight: expected a finite number, got '1e999'"},
    {Q3 "    - l2: {on: h, weight: .nan}\n",
     "9:27: train.loss.0.l2.weight: expected a number, got '.nan'"},
    {Q3 "    - l1: {on: input}\n",
     "9:16: train.loss.0.l1: on: the model's input has no gradient path to train; a term "
     "reads a layer's output (mse's target: input compares with it)"},
    {Q3 "    - mse: {on: y}\n", "9:12: train.loss.0.mse: missing required key 'target'"},
    {Q3 "    - mse: {on: y, taget: clean}\n",
     "9:20: train.loss.0.mse: unknown key 'taget' (did you mean 'target'?)"},
    {Q3 "    - l2: {on: h, r: 1}\n",
     "9:19: train.loss.0.l2: unknown key 'r' (valid keys: on, weight, name)"},
    {Q3 "    - linear: {on: h}\n", "9:15: train.loss.0.linear: missing required key 'r'"},
    {Q3 "    - linear: {on: h, r: {file: r.safetensors}}\n",
     "9:26: train.loss.0.linear.r: missing required key 'tensor'"},
    {Q3 "    - l2: {on: h, name: \"a b\"}\n",
     "9:25: train.loss.0.l2: name: a name is a letter or '_' and then letters, digits or '_' "
     "(at most 63), not 'a b'"},
    {Q3 "    mse: {on: y, target: clean}\n",
     "9:5: train.loss: expected a loss's name (cross_entropy, naive_softmax_log) or a list of "
     "terms, got a map: write it as a list item, - KIND: {...}"},
    {MODEL4 "train: {loss: mse}\n",
     "5:15: train.loss: unknown loss 'mse' (expected one of: cross_entropy, naive_softmax_log)"},
};

START_TEST(test_load_error)
{
    char name[32];
    snprintf(name, sizeof name, "lerr%02d.yaml", _i);
    cfg_expect_error(name, load_errors[_i].yaml, load_errors[_i].rest);
}
END_TEST

/* Errors that need the model's shapes: the config loads, shape_check_classes refuses it. */
static const struct {
    const char *yaml, *rest;
} shape_errors[] = {
    {Q3 "    - mse: {on: yy, target: clean}\n",
     "9:17: train.loss.0 (mse): on: no layer is named 'yy' (the layers' names: h, w2h, y)"},
    {Q3 "    - mse: {on: y, target: hh}\n",
     "9:28: train.loss.0 (mse): target: no layer is named 'hh' (the layers' names: h, w2h, y)"},
    {Q3 "    - mse: {on: y, target: h}\n",
     "9:28: train.loss.0 (mse): target: h has 16 values a row, and y gives 784"},
    {Q3 "    - mse: {on: y, target: labels}\n",
     "9:28: train.loss.0 (mse): target: labels (one-hot, one value per class) has 10 values a "
     "row, and y gives 784"},
    {Q3 "    - mse: {on: h, target: input}\n",
     "9:28: train.loss.0 (mse): target: input has 784 values a row, and h gives 16"},
    {Q3 "    - mse: {on: h, target: clean}\n",
     "9:28: train.loss.0 (mse): target: clean (the input before noise) has 784 values a row, "
     "and h gives 16"},
    {Q3 "    - mse: {on: y, target: y}\n",
     "9:28: train.loss.0 (mse): target: 'y' is the layer the term reads (on:); the term would "
     "be 0"},
    {Q3 "    - linear: {on: h, r: [1, 2, 3]}\n",
     "9:26: train.loss.0 (linear): r has 3 numbers, and h gives 16 values a row"},
    {Q3 "    - cross_entropy\n",
     "9:7: train.loss.0 (cross_entropy): cross_entropy needs one score per class (10 for MNIST), "
     "and y gives (784)"},
    {Q3 "    - naive_softmax_log: {on: h}\n",
     "9:31: train.loss.0 (naive_softmax_log): naive_softmax_log needs one score per class (10 "
     "for MNIST), and h gives (16)"},
};

/* Loads yaml and asserts that shape_check_classes refuses it with one line: "<path>:<rest>",
 * or with what it starts with rest and names `what` (a message from a reader). */
static void expect_shape_error(const char *name, const char *yaml, const char *rest,
                               const char *what)
{
    struct experiment e;
    struct model_shape s;
    cfg_load_ok(&e, name, yaml, NULL, 0);
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    clnet_error_clear();
    ck_assert_int_eq(shape_check_classes(&e, &s), CLNET_ERR_CONFIG);
    char want[8192];
    snprintf(want, sizeof want, "%.4000s:%.4000s", e.path, rest);
    const char *msg = clnet_error_message();
    if (!what)
        ck_assert_str_eq(msg, want);
    else
        ck_assert_msg(!strncmp(msg, want, strlen(want)) && strstr(msg, what) &&
                          !strchr(msg, '\n'), "%s", msg);
    shape_free(&s);
    experiment_free(&e);
}

START_TEST(test_shape_error)
{
    char name[32];
    snprintf(name, sizeof name, "serr%02d.yaml", _i);
    expect_shape_error(name, shape_errors[_i].yaml, shape_errors[_i].rest, NULL);
}
END_TEST

/* r from a safetensors file: read when it is F32 [size]; a missing file, a missing tensor and
 * another shape are errors at r. */
START_TEST(test_r_file)
{
    float r[16];
    for (int i = 0; i < 16; i++)
        r[i] = 0.25f * (float)i;
    char *dir = cfg_write("r_dir_marker", "");
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    char path[2048];
    snprintf(path, sizeof path, "%s/r.safetensors", dir);
    struct st_tensor t[] = {{"r", "F32", 1, {16}, r, sizeof r},
                            {"r2", "F32", 2, {4, 4}, r, sizeof r}};
    ck_assert_int_eq(safetensors_write(path, t, 2, NULL), CLNET_OK);

    struct experiment e;
    struct model_shape s;
    struct loss_terms lt;
    cfg_load_ok(&e, "rfile.yaml", Q3 "    - linear: {on: h, r: {file: r.safetensors, tensor: r}}\n",
                NULL, 0);
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    ck_assert_int_eq(loss_terms_resolve(&lt, &e, &s), CLNET_OK);
    ck_assert(memcmp(lt.t[0].r, r, sizeof r) == 0);
    loss_terms_free(&lt);
    shape_free(&s);
    experiment_free(&e);

    char want[8192];
    snprintf(want, sizeof want, "9:26: train.loss.0 (linear): r: %s has no tensor 'q'", path);
    expect_shape_error("rfile2.yaml",
                       Q3 "    - linear: {on: h, r: {file: r.safetensors, tensor: q}}\n", want, NULL);
    snprintf(want, sizeof want, "9:26: train.loss.0 (linear): r: tensor 'r2' of %s is F32 of "
             "rank 2 (16 values); r is F32 of shape [16], the layer's size", path);
    expect_shape_error("rfile3.yaml",
                       Q3 "    - linear: {on: h, r: {file: r.safetensors, tensor: r2}}\n", want, NULL);
    snprintf(want, sizeof want, "9:26: train.loss.0 (linear): r: ");
    expect_shape_error("rfile4.yaml",
                       Q3 "    - linear: {on: h, r: {file: nothere.safetensors, tensor: r}}\n",
                       want, "nothere.safetensors");
    free(dir);
}
END_TEST

TCase *config_loss_tcase(void)
{
    TCase *tc = tcase_create("loss terms");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_terms_read);
    tcase_add_test(tc, test_default_names);
    tcase_add_test(tc, test_terms_round_trip);
    tcase_add_test(tc, test_set_into_term);
    tcase_add_loop_test(tc, test_load_error, 0, (int)(sizeof load_errors / sizeof load_errors[0]));
    tcase_add_loop_test(tc, test_shape_error, 0,
                        (int)(sizeof shape_errors / sizeof shape_errors[0]));
    tcase_add_test(tc, test_r_file);
    return tc;
}
