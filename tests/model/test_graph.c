/* The model as a graph (model/graph.h) on the host: `name:` and `from:` read from YAML and
 * written back, the nodes each layer reads and the order they run in, shapes through add and
 * concat, the layer table's from column, and every graph error (a cycle, a dangling name, a
 * name given twice, a shape mismatch, several inputs to a one-input kind) as one line with
 * its file:line:col. Every config of configs/ without names is the plain stack. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "harness.h"
#include "model/shape.h"
#include "report/graph_draw.h"
#include "util/status.h"

/* Question 3's network: z = W1 x + b1, h = sigmoid(z), y = x + W2 h + b2. */
#define Q3_LAYERS                                                                              \
    "    - dense: {units: 16, activation: sigmoid, name: h}\n"                                 \
    "    - dense: {units: 784, name: o}\n"                                                     \
    "    - add: {from: [input, o], name: y}\n"

static char *load(struct experiment *e, const char *name, const char *yaml)
{
    char *path = harness_write(NULL, name, yaml);
    memset(e, 0, sizeof *e);
    clnet_error_clear();
    ck_assert_msg(config_load(e, path, NULL, 0) == CLNET_OK, "%s", clnet_error_message());
    return path;
}

START_TEST(test_q3_graph)
{
    struct experiment e;
    struct model_shape s;
    char *path = load(&e, "q3.yaml", "model:\n  input: [784]\n  layers:\n" Q3_LAYERS);
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    const struct graph *g = &s.graph;
    ck_assert(!g->linear);
    ck_assert_int_eq(g->n_in[0], 1);
    ck_assert_int_eq(g->in[0][0], GRAPH_INPUT);
    ck_assert_int_eq(g->in[1][0], 0);
    ck_assert_int_eq(g->n_in[2], 2);
    ck_assert_int_eq(g->in[2][0], GRAPH_INPUT);
    ck_assert_int_eq(g->in[2][1], 1);
    ck_assert_int_eq(g->input_uses, 2);
    ck_assert_int_eq(g->n_uses[0], 1);
    ck_assert_int_eq(g->n_uses[2], 0);
    ck_assert_int_eq(s.layers[2].out.dim[0], 784);
    ck_assert_int_eq(s.layers[2].in.dim[0], 2 * 784); /* packed */
    ck_assert_int_eq(s.parameters, 784 * 16 + 16 + 16 * 784 + 784);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

/* A layer listed before the one it reads runs after it; ties keep the config's order. */
START_TEST(test_order_follows_from)
{
    struct experiment e;
    struct model_shape s;
    char *path = load(&e, "order.yaml", "model:\n  input: [8]\n  layers:\n"
                                        "    - dense: {units: 3, from: b}\n"
                                        "    - dense: {units: 5, from: input, name: a}\n"
                                        "    - dense: {units: 5, from: a, name: b}\n"
                                        "    - concat: {from: [layer0x, a]}\n"
                                        "    - dense: {units: 3, from: input, name: layer0x}\n");
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    const int want[] = {1, 2, 0, 4, 3};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(s.graph.order[i], want[i]);
    ck_assert_int_eq(s.layers[3].out.dim[0], 8);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

START_TEST(test_concat_channels)
{
    struct experiment e;
    struct model_shape s;
    char *path = load(&e, "cat.yaml",
                      "model:\n  input: [1, 8, 8]\n  layers:\n"
                      "    - conv2d: {filters: 4, size: 3, pad: 1, name: a}\n"
                      "    - conv2d: {filters: 2, size: 3, pad: 1, from: input, name: b}\n"
                      "    - concat: {from: [a, b, input]}\n");
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    ck_assert_int_eq(s.layers[2].out.rank, 3);
    ck_assert_int_eq(s.layers[2].out.dim[0], 7);
    ck_assert_int_eq(s.layers[2].out.dim[1], 8);
    ck_assert_int_eq(s.layers[2].in.dim[0], 7 * 64);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

static const struct {
    const char *yaml, *rest;
} errors[] = {
    {"    - dense: {units: 16, activation: sigmoid, name: h, from: y}\n"
     "    - dense: {units: 784, name: o}\n"
     "    - add: {from: [input, o], name: y}\n",
     "4:62: layer 0 (dense): from: makes a cycle (h -> y -> o -> h, each reading the next)"},
    {"    - dense: {units: 16, name: h, from: h}\n",
     "4:41: layer 0 (dense): from: makes a cycle (h -> h, each reading the next)"},
    {"    - dense: {units: 16, activation: sigmoid, name: h}\n"
     "    - dense: {units: 784, name: o}\n"
     "    - add: {from: [input, oo], name: y}\n",
     "6:27: layer 2 (add): from: no layer is named 'oo' (the names: input, h, o, y)"},
    {"    - dense: {units: 16, name: h}\n"
     "    - dense: {units: 16, name: h}\n",
     "5:32: layer 1 (dense): name: 'h' is layer 0's name already"},
    {"    - dense: {units: 16, activation: sigmoid, name: h}\n"
     "    - dense: {units: 78, name: o}\n"
     "    - add: {from: [input, o], name: y}\n",
     "6:7: layer 2 (add): add's inputs must have one shape; they are input (784), o (78)"},
    {"    - dense: {units: 16, name: h}\n"
     "    - add: {from: h}\n",
     "5:7: layer 1 (add): add sums two or more nodes (from: [a, b]), got h (16)"},
    {"    - dense: {units: 16, name: h}\n"
     "    - dense: {units: 16, from: [h, input]}\n",
     "5:36: layer 1 (dense): from: names 2 layers; a dense layer reads one (add and concat "
     "combine several)"},
    {"    - dense: {units: 16, name: h}\n"
     "    - flatten: {from: input, name: f}\n"
     "    - conv2d: {filters: 2, size: 1, from: input, name: c}\n",
     "6:7: layer 2 (conv2d): input is (784); conv2d needs a (C, H, W) input, "
     "e.g. model.input: [1, 28, 28]"},
    {"    - dense: {units: 16, name: h}\n"
     "    - concat: {from: [h, input]}\n"
     "    - reshape_me: {}\n",
     "6:7: layer 2: unknown layer kind 'reshape_me' (expected one of: dense, conv2d, flatten, "
     "dropout, activation, maxpool2d, avgpool2d, batchnorm, add, concat)"},
};

/* Loads yaml (graph_err<i>.yaml, key_err<i>.yaml) and expects "PATH:rest" from the loader
 * or, with shapes true, from the loader or shape_infer, whichever finds it. */
static void expect_error(const char *prefix, int i, const char *layers, const char *rest,
                         bool shapes)
{
    char yaml[1024], name[32], want[2048];
    snprintf(yaml, sizeof yaml, "model:\n  input: [784]\n  layers:\n%s", layers);
    snprintf(name, sizeof name, "%s%d.yaml", prefix, i);
    char *path = harness_write(NULL, name, yaml);
    snprintf(want, sizeof want, "%s:%s", path, rest);
    struct experiment e;
    memset(&e, 0, sizeof e);
    clnet_error_clear();
    int status = config_load(&e, path, NULL, 0);
    if (status == CLNET_OK && shapes) {
        struct model_shape s;
        status = shape_infer(&s, &e);
        if (status == CLNET_OK) shape_free(&s);
    }
    ck_assert_int_eq(status, CLNET_ERR_CONFIG);
    ck_assert_str_eq(clnet_error_message(), want);
    experiment_free(&e);
    free(path);
}

START_TEST(test_graph_error)
{
    expect_error("graph_err", _i, errors[_i].yaml, errors[_i].rest, true);
}
END_TEST

/* The loader's own checks of the keys. */
static const struct {
    const char *yaml, *rest;
} key_errors[] = {
    {"    - dense: {units: 16, name: 2h}\n",
     "4:32: layer 0 (dense): name: a name is a letter or '_' and then letters, digits or '_' "
     "(at most 63), not '2h'"},
    {"    - dense: {units: 16, name: input}\n",
     "4:32: layer 0 (dense): name: 'input' is the model's input; choose another name"},
    {"    - add: {from: []}\n", "4:19: layer 0 (add): from: expected 1 to 8 names, got 0"},
    {"    - add: {from: [{a: 1}]}\n",
     "4:20: layer 0 (add): expected a layer's name, got a map"},
    {"    - flatten: {nme: f}\n", "4:16: layer 0 (flatten): 'flatten' takes no options, got a map"},
    {"    - {activation: {name: y}, name: z}\n",
     "4:21: layer 0 (activation): 'name' is given twice, beside the kind and in its map"},
    {"    - {activation: relu, nme: z}\n",
     "4:7: layer 0: expected exactly one layer kind (one of: dense, conv2d, flatten, dropout, "
     "activation, maxpool2d, avgpool2d, batchnorm, add, concat), got 2 keys"},
};

START_TEST(test_key_error)
{
    expect_error("key_err", _i, key_errors[_i].yaml, key_errors[_i].rest, false);
}
END_TEST

/* The resolved config writes name: and from: back, and reading it gives the same config. */
START_TEST(test_resolved_round_trip)
{
    struct experiment e, again;
    char *path = load(&e, "rt.yaml", "model:\n  input: [784]\n  layers:\n" Q3_LAYERS
                                     "    - concat: {from: [y, h]}\n    - flatten: {name: f}\n"
                                     "    - {activation: relu, from: f, name: a}\n"
                                     "    - {dense: {units: 3}, from: [a]}\n");
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(config_write_resolved(&e, f), CLNET_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "- add: {name: \"y\", from: [\"input\", \"o\"]}"));
    ck_assert_ptr_nonnull(strstr(text, "- dense: {units: 16, activation: sigmoid, name: \"h\"}"));
    ck_assert_ptr_nonnull(strstr(text, "- flatten: {name: \"f\"}"));
    ck_assert_ptr_nonnull(strstr(text, "- {activation: relu, name: \"a\", from: [\"f\"]}"));
    ck_assert_ptr_nonnull(strstr(text, "- dense: {units: 3, activation: identity, from: [\"a\"]}"));
    char *path2 = load(&again, "rt2.yaml", text);
    f = open_memstream(&text2, &len2);
    ck_assert_int_eq(config_write_resolved(&again, f), CLNET_OK);
    fclose(f);
    ck_assert_str_eq(text, text2);
    free(text), free(text2), free(path), free(path2);
    experiment_free(&e);
    experiment_free(&again);
}
END_TEST

/* `clnet summary`'s table: the nodes in the order they run, each with the nodes it reads. */
START_TEST(test_table_from_column)
{
    struct experiment e;
    struct model_shape s;
    char *path = load(&e, "tab.yaml", "model:\n  input: [784]\n  layers:\n" Q3_LAYERS
                                      "    - dense: {units: 10}\n");
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(shape_print_table(f, &e, &s), CLNET_OK);
    fclose(f);
    const char *want[] = {
        "  #  layer                 output  parameters   FLOPs  from\n"
        "     input                 (784)\n"
        "  0  h = dense 16 sigmoid  (16)        12,560  25,088  input\n"
        "  1  o = dense 784         (784)       13,328  25,088  h\n"
        "  2  y = add               (784)            0       0  input, o\n"
        "  3  dense 10              (10)         7,850  15,680  y\n"};
    ck_assert_msg(strstr(text, want[0]), "not in:\n%s", text);
    free(text);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

/* Every config of configs/ names nothing: each is the plain stack it always was. */
START_TEST(test_configs_are_linear)
{
    const char *files[] = {"configs/hw2/q4_xiii_adam.yaml", "configs/hw2/q5_v_cnn_99.yaml",
                           "configs/examples/cnn_pool.yaml", "configs/hw2/q1_descending.yaml"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char *path = harness_source_path(files[k]);
        struct experiment e;
        struct model_shape s;
        memset(&e, 0, sizeof e);
        ck_assert_msg(config_load(&e, path, NULL, 0) == CLNET_OK, "%s", clnet_error_message());
        ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
        ck_assert_msg(s.graph.linear, "%s", files[k]);
        for (int i = 0; i < s.n_layers; i++)
            ck_assert_int_eq(s.graph.order[i], i);
        shape_free(&s);
        experiment_free(&e);
        free(path);
    }
}
END_TEST

/* The drawing of question 3's network names its nodes as the homework does, and Graphviz's
 * rendering of it (SVG: each node a <g class="node"> with its <title>) holds those nodes. */
START_TEST(test_drawing_q3)
{
    struct experiment e;
    struct model_shape s;
    struct drawing d;
    char *path = load(&e, "draw.yaml", "model:\n  input: [784]\n  layers:\n" Q3_LAYERS);
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    ck_assert_int_eq(drawing_build(&d, &e, &s), CLNET_OK);
    const char *want[] = {"x", "W1", "b1", "z", "h", "W2", "b2", "o", "y", "L"};
    const int n = (int)(sizeof want / sizeof want[0]);
    ck_assert_int_eq(d.n_nodes, n);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(d.nodes[i].id, want[i]);
    ck_assert_str_eq(d.nodes[drawing_find(&d, "z")].label, "z = W1 x + b1\\n(16)");
    ck_assert_str_eq(d.nodes[drawing_find(&d, "y")].label, "y = x + o\\n(784)");
    char *svg = harness_write(NULL, "q3.svg", "");
    int status = drawing_render(&d, svg);
    if (!drawing_available()) { /* a build without Graphviz says so */
        ck_assert_int_eq(status, CLNET_ERR_USAGE);
        ck_assert_ptr_nonnull(strstr(clnet_error_message(), "this build has no Graphviz"));
    } else {
        ck_assert_msg(status == CLNET_OK, "%s", clnet_error_message());
        FILE *f = fopen(svg, "r");
        ck_assert_ptr_nonnull(f);
        char line[1024];
        int found = 0, nodes = 0;
        bool in_node = false;
        while (fgets(line, sizeof line, f)) {
            in_node = in_node || strstr(line, "class=\"node\"");
            char *t = in_node ? strstr(line, "<title>") : NULL;
            if (!t) continue;
            char *end = strstr(t, "</title>");
            ck_assert_ptr_nonnull(end);
            *end = '\0';
            nodes++, in_node = false;
            for (int i = 0; i < n; i++)
                found += !strcmp(t + strlen("<title>"), want[i]);
        }
        fclose(f);
        ck_assert_int_eq(nodes, n);
        ck_assert_int_eq(found, n);
    }
    free(svg);
    drawing_free(&d);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

/* Whether the drawing has an edge from node id a to node id b. */
static bool has_edge(const struct drawing *d, const char *a, const char *b)
{
    int from = drawing_find(d, a), to = drawing_find(d, b);
    for (int k = 0; k < d->n_edges; k++)
        if (d->edges[k].from == from && d->edges[k].to == to) return true;
    return false;
}

/* Question 3's loss as train.loss's terms: S on y against the clean input s, R on h, and L
 * their sum, each a loss node reading its layer; a weight shows in L. */
START_TEST(test_drawing_q3_terms)
{
    struct experiment e;
    struct model_shape s;
    struct drawing d;
    char *path = load(&e, "draw_terms.yaml",
                      "model:\n  input: [784]\n  layers:\n" Q3_LAYERS
                      "train:\n  loss:\n"
                      "    - mse: {on: y, target: clean, name: S}\n"
                      "    - linear: {on: h, r: 0.001, name: R, weight: 2}\n");
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_OK);
    ck_assert_int_eq(drawing_build(&d, &e, &s), CLNET_OK);
    const char *want[] = {"x", "W1", "b1", "z", "h", "W2", "b2", "o", "y", "S", "R", "L"};
    const int n = (int)(sizeof want / sizeof want[0]);
    ck_assert_int_eq(d.n_nodes, n);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(d.nodes[i].id, want[i]);
    ck_assert_str_eq(d.nodes[drawing_find(&d, "S")].label, "S = 1/2 ||y - s||^2");
    ck_assert_str_eq(d.nodes[drawing_find(&d, "R")].label, "R = r^T h");
    ck_assert_str_eq(d.nodes[drawing_find(&d, "L")].label, "L = S + 2 R");
    ck_assert(has_edge(&d, "y", "S") && has_edge(&d, "h", "R") && has_edge(&d, "S", "L") &&
              has_edge(&d, "R", "L") && !has_edge(&d, "y", "L"));
    ck_assert_int_eq(d.nodes[drawing_find(&d, "S")].kind, DRAW_LOSS);
    drawing_free(&d);
    shape_free(&s);
    experiment_free(&e);
    free(path);
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_test(tc, test_q3_graph);
    tcase_add_test(tc, test_order_follows_from);
    tcase_add_test(tc, test_concat_channels);
    tcase_add_loop_test(tc, test_graph_error, 0, (int)(sizeof errors / sizeof errors[0]));
    tcase_add_loop_test(tc, test_key_error, 0, (int)(sizeof key_errors / sizeof key_errors[0]));
    tcase_add_test(tc, test_resolved_round_trip);
    tcase_add_test(tc, test_table_from_column);
    tcase_add_test(tc, test_configs_are_linear);
    tcase_add_test(tc, test_drawing_q3);
    tcase_add_test(tc, test_drawing_q3_terms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(graph_suite(), true);
}
