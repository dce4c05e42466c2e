/* Training graph models end to end (model/graph_run.c), on the synthetic set: a graph whose
 * live part is a plain stack trains to the same bytes of metrics.csv as that stack, which
 * takes the fused paths (fused SGD, the dense stack) where the graph takes the plain ones;
 * a residual CNN whose nodes are read by several layers learns and repeats byte for byte;
 * naming the layers of a stack changes nothing; and a batch norm in a graph trains and
 * evaluates as in the stack. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "harness.h"

#define TRAIN_SGD                                                                              \
    "train: {iterations: 60, batch_size: 32, optimizer: {sgd: {lr: 0.1}}, eval_every: 20,\n"  \
    "        eval_batch_size: 100}\n"

static const char *stack_yaml = "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 16, activation: relu}\n"
                                "    - dense: {units: 10}\n" TRAIN_SGD;

/* The stack, with a layer between its two that reads the input and leads nowhere: zero
 * initialised (no draws from the seed's stream), so the live layers start where the stack's
 * do. */
static const char *graph_yaml = "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 16, activation: relu, name: a}\n"
                                "    - dense: {units: 5, from: input, init: {weights: zeros, "
                                "biases: zeros}}\n"
                                "    - dense: {units: 10, from: a}\n" TRAIN_SGD;

static char *run(const char *name, const char *yaml, const char *const *sets)
{
    char cfg[64];
    snprintf(cfg, sizeof cfg, "%s.yaml", name);
    char *config = write_config(cfg, yaml), *dir = run_dir(name);
    struct run_result *r = train(config, dir, sets);
    char *summary = completed_summary(r, dir);
    free(r);
    free(config);
    return summary;
}

START_TEST(test_graph_plain_path_matches_stack)
{
    char *stack = run("stack", stack_yaml, NULL), *graph = run("graph", graph_yaml, NULL);
    ck_assert_msg(same_file(run_dir("stack"), run_dir("graph"), "metrics.csv"),
                  "the graph's metrics.csv differs from the stack's");
    ck_assert_msg(strstr(graph, "\"sgd_fused\": false") && strstr(graph, "\"dense_stack\": false"),
                  "%s", graph);
    free(stack);
    free(graph);
}
END_TEST

/* Naming every layer and saying from: the one before: the same stack, the same bytes. */
START_TEST(test_named_stack_same_bytes)
{
    static const char *named = "model:\n"
                               "  input: [784]\n"
                               "  layers:\n"
                               "    - dense: {units: 16, activation: relu, name: a, from: input}\n"
                               "    - dense: {units: 10, from: a, name: logits}\n" TRAIN_SGD;
    char *a = run("plain", stack_yaml, NULL), *b = run("named", named, NULL);
    ck_assert(same_file(run_dir("plain"), run_dir("named"), "metrics.csv"));
    ck_assert(same_file(run_dir("plain"), run_dir("named"), "model.safetensors"));
    free(a);
    free(b);
}
END_TEST

/* Batch norm inside a graph: its state at l->s_off of the state arena. The stack with a batch
 * norm, and the same as a graph with a batch norm ahead of it in the list that reads the input
 * and leads nowhere (so the live one's state lies after 1,568 values of another's): the same
 * training steps, and the same evaluations, which read the running statistics. */
static const char *stack_bn_yaml = "model:\n"
                                   "  input: [784]\n"
                                   "  layers:\n"
                                   "    - dense: {units: 16, activation: relu}\n"
                                   "    - batchnorm: {momentum: 0.2}\n"
                                   "    - dense: {units: 10}\n" TRAIN_SGD;
static const char *graph_bn_yaml = "model:\n"
                                   "  input: [784]\n"
                                   "  layers:\n"
                                   "    - dense: {units: 16, activation: relu, name: a}\n"
                                   "    - batchnorm: {from: input}\n"
                                   "    - batchnorm: {momentum: 0.2, from: a, name: n}\n"
                                   "    - dense: {units: 10, from: n}\n" TRAIN_SGD;

START_TEST(test_batchnorm_in_a_graph_matches_stack)
{
    char *stack = run("stack_bn", stack_bn_yaml, NULL);
    char *graph = run("graph_bn", graph_bn_yaml, NULL);
    ck_assert_msg(same_file(run_dir("stack_bn"), run_dir("graph_bn"), "metrics.csv"),
                  "the graph's metrics.csv differs from the stack's");
    free(stack);
    free(graph);
}
END_TEST

static const char *resnet_yaml =
    "model:\n"
    "  input: [1, 28, 28]\n"
    "  layers:\n"
    "    - conv2d: {filters: 4, size: 3, stride: 2, pad: 1, activation: relu, name: stem}\n"
    "    - conv2d: {filters: 4, size: 3, pad: 1, activation: relu}\n"
    "    - conv2d: {filters: 4, size: 3, pad: 1, name: r}\n"
    "    - add: {from: [stem, r]}\n"
    "    - {activation: relu, name: b}\n"
    "    - maxpool2d: {size: 2}\n"
    "    - flatten: {name: f}\n"
    "    - concat: {from: [f, f]}\n"
    "    - dense: {units: 10}\n"
    "init: {weights: he}\n"
    "train: {iterations: 80, batch_size: 32, optimizer: {adam: {lr: 0.01}}, eval_every: 40,\n"
    "        eval_batch_size: 100}\n";

START_TEST(test_residual_cnn_learns_and_repeats)
{
    char *a = run("res_a", resnet_yaml, NULL), *b = run("res_b", resnet_yaml, NULL);
    ck_assert_msg(json_number(a, "final_test_accuracy") > 0.5, "%s", a);
    ck_assert(same_file(run_dir("res_a"), run_dir("res_b"), "metrics.csv"));
    ck_assert(same_file(run_dir("res_a"), run_dir("res_b"), "model.safetensors"));
    free(a);
    free(b);
}
END_TEST

/* train.loss as a list of one cross_entropy term: the stack's weights, byte for byte, on the
 * graph's executor (the term's kernel is the scalar form's loss_row, times weight 1). */
START_TEST(test_one_term_list_matches_stack)
{
    static const char *list = "model:\n"
                              "  input: [784]\n"
                              "  layers:\n"
                              "    - dense: {units: 16, activation: relu}\n"
                              "    - dense: {units: 10}\n" TRAIN_SGD;
    static const char *const sets[] = {"train.loss=[cross_entropy]", NULL};
    char *a = run("scalar_loss", stack_yaml, NULL), *b = run("list_loss", list, sets);
    ck_assert(same_file(run_dir("scalar_loss"), run_dir("list_loss"), "model.safetensors"));
    char *m = read_in(run_dir("list_loss"), "metrics.csv", NULL);
    ck_assert_msg(m && !strncmp(m, "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc,"
                                   "train_loss_cross_entropy,test_loss_cross_entropy\n", 108),
                  "%s", m);
    free(m);
    free(a);
    free(b);
}
END_TEST

/* Question 3's network and loss (S on y against the clean input, R = r^T h) trains, repeats
 * byte for byte, and records each term; without a classification term there is no accuracy
 * (nan), no predictions, and the best weights are the lowest test loss's. */
static const char *q3_yaml =
    "model:\n"
    "  input: [784]\n"
    "  layers:\n"
    "    - dense: {units: 16, activation: sigmoid, name: h}\n"
    "    - dense: {units: 784, name: w2h}\n"
    "    - add: {from: [input, w2h], name: y}\n"
    "train:\n"
    "  iterations: 40\n"
    "  batch_size: 32\n"
    "  eval_every: 20\n"
    "  eval_batch_size: 100\n"
    "  optimizer: {sgd: {lr: 0.1}}\n"
    "  loss:\n"
    "    - mse: {on: y, target: clean, name: S}\n"
    "    - linear: {on: h, r: 0.01, name: R}\n";

START_TEST(test_q3_terms_train_and_repeat)
{
    char *a = run("q3_a", q3_yaml, NULL), *b = run("q3_b", q3_yaml, NULL);
    ck_assert(same_file(run_dir("q3_a"), run_dir("q3_b"), "metrics.csv"));
    ck_assert(same_file(run_dir("q3_a"), run_dir("q3_b"), "model.safetensors"));
    ck_assert_msg(json_has_string(a, "best_on", "test_loss"), "%s", a);
    ck_assert(!exists(path_in(run_dir("q3_a"), "predictions.csv")));
    char *m = read_in(run_dir("q3_a"), "metrics.csv", NULL);
    ck_assert_msg(m && strstr(m, "test_acc,train_loss_S,train_loss_R,test_loss_S,test_loss_R\n"),
                  "%s", m);
    const char *last = strrchr(m, '\n');
    while (last > m && last[-1] != '\n')
        last--; /* the last row: 40,...,nan,... with finite losses */
    ck_assert_msg(!strncmp(last, "40,", 3) && strstr(last, ",nan,"), "%s", last);
    double first_s = json_number(a, "final_test_loss");
    ck_assert_msg(first_s > 0 && first_s < 5.0, "%s", a); /* S falls from ~18 (random W2 h) */
    /* clnet eval prints each term's test mean, as the last row's test_loss_S and test_loss_R */
    double col[11], s_eval, r_eval, total;
    const char *p = last;
    for (int i = 0; i < 11 && p; i++) {
        col[i] = strtod(p, NULL);
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    struct run_result *r = calloc(1, sizeof *r);
    clnet(r, (const char *const[]){"eval", run_dir("q3_a"), NULL});
    const char *at = strstr(r->out, "test loss ");
    ck_assert_msg(r->exit_code == 0 && at && !strstr(r->out, "accuracy") &&
                      sscanf(at, "test loss %lf [S %lf, R %lf]", &total, &s_eval, &r_eval) == 3,
                  "exit %d: %s%s", r->exit_code, r->out, r->err);
    ck_assert_msg(fabs(s_eval - col[9]) <= 1e-5 * fabs(col[9]) &&
                      fabs(r_eval - col[10]) <= 1e-5 * fabs(col[10]) + 1e-6 &&
                      fabs(total - first_s) <= 1e-5 * first_s,
                  "eval %s against the last row %s", r->out, last);
    free(r);
    free(m);
    free(a);
    free(b);
}
END_TEST

/* A loss of terms that overflows (inputs noised by 1e19: S's squares pass FLT_MAX) is named
 * by its terms in the divergence's message, not by the scalar form's default. */
START_TEST(test_terms_overflow_named)
{
    char *config = write_config("q3_inf.yaml", q3_yaml);
    const char *sets[] = {"data.noise.gaussian=1e19", NULL};
    struct run_result *r = train(config, run_dir("q3_inf"), sets);
    ck_assert_msg(r->exit_code != 0 && strstr(r->err, "loss became infinite at iteration 1") &&
                      strstr(r->err, "the loss (the terms S, R) overflowed"),
                  "exit %d: %s", r->exit_code, r->err);
    free(r);
    free(config);
}
END_TEST

int main(void)
{
    synth_setup();
    Suite *s = suite_create("graph_train");
    TCase *tc = tcase_create("graph_train");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_graph_plain_path_matches_stack);
    tcase_add_test(tc, test_named_stack_same_bytes);
    tcase_add_test(tc, test_residual_cnn_learns_and_repeats);
    tcase_add_test(tc, test_batchnorm_in_a_graph_matches_stack);
    tcase_add_test(tc, test_one_term_list_matches_stack);
    tcase_add_test(tc, test_q3_terms_train_and_repeat);
    tcase_add_test(tc, test_terms_overflow_named);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
