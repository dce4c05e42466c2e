/* Shape inference and the layer table: PyTorch's conv output sizes, every shape error with
 * its file:line:col, parameter and FLOP counts by hand, and every configs/hw2 file loaded
 * through config_load and shape-checked (the homework's parameter counts). Host only. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "harness.h"
#include "model/shape.h"
#include "util/status.h"

/* ---- experiments built in C ---- */

#define MAX_LAYERS 16

struct fixture {
    struct experiment e;
    struct layer_spec layers[MAX_LAYERS];
};

static void fx_init(struct fixture *fx, int rank, int c, int h, int w)
{
    memset(fx, 0, sizeof *fx);
    fx->e.path = "x.yaml";
    fx->e.name = "x";
    fx->e.input_rank = rank;
    fx->e.input[0] = c;
    fx->e.input[1] = h;
    fx->e.input[2] = w;
    fx->e.layers = fx->layers;
}

/* Appends a layer whose list entry is at x.yaml:(10 + index):5. */
static struct layer_spec *fx_add(struct fixture *fx, enum layer_type t)
{
    ck_assert_int_lt(fx->e.n_layers, MAX_LAYERS);
    struct layer_spec *l = &fx->layers[fx->e.n_layers];
    l->type = t;
    l->pos.file = "x.yaml";
    l->pos.line = 10 + fx->e.n_layers;
    l->pos.col = 5;
    fx->e.n_layers++;
    return l;
}

static struct layer_spec *fx_dense(struct fixture *fx, int units, enum activation a)
{
    struct layer_spec *l = fx_add(fx, LAYER_DENSE);
    l->dense.units = units;
    l->activation = a;
    return l;
}

static struct layer_spec *fx_conv(struct fixture *fx, int filters, int size, int stride, int pad)
{
    struct layer_spec *l = fx_add(fx, LAYER_CONV2D);
    l->conv2d.filters = filters;
    l->conv2d.size[0] = l->conv2d.size[1] = size;
    l->conv2d.stride[0] = l->conv2d.stride[1] = stride;
    l->conv2d.pad[0] = l->conv2d.pad[1] = pad;
    l->activation = ACTIVATION_RELU;
    return l;
}

/* Runs shape_infer expecting a config error with exactly this message. */
static void expect_error(struct fixture *fx, const char *msg)
{
    struct model_shape s;
    clnet_error_clear();
    int status = shape_infer(&s, &fx->e);
    ck_assert_int_eq(status, CLNET_ERR_CONFIG);
    ck_assert_str_eq(clnet_error_message(), msg);
    ck_assert_ptr_null(s.layers);
    ck_assert_int_eq(s.n_layers, 0);
}

static void expect_ok(struct fixture *fx, struct model_shape *s)
{
    clnet_error_clear();
    int status = shape_infer(s, &fx->e);
    ck_assert_msg(status == CLNET_OK, "shape_infer: %s", clnet_error_message());
}

/* ---- conv output sizes ---- */

struct conv_case {
    int h, w, size[2], stride[2], pad[2];
    int out_h, out_w; /* floor((H + 2 * pad - size) / stride) + 1, as torch.nn.Conv2d */
};

static const struct conv_case conv_cases[] = {
    {28, 28, {5, 5}, {1, 1}, {2, 2}, 28, 28}, /* the homework's conv 1 */
    {28, 28, {5, 5}, {2, 2}, {2, 2}, 14, 14}, /* conv 2: floor(27 / 2) + 1 */
    {14, 14, {4, 4}, {2, 2}, {1, 1}, 7, 7},   /* conv 3 */
    {28, 28, {5, 5}, {1, 1}, {0, 0}, 24, 24}, /* pad 0 */
    {10, 10, {2, 2}, {3, 3}, {0, 0}, 3, 3},   /* stride > kernel: rows 0, 3, 6 */
    {7, 7, {3, 3}, {5, 5}, {1, 1}, 2, 2},     /* stride > kernel with pad */
    {28, 20, {5, 3}, {2, 1}, {0, 1}, 12, 20}, /* rectangular everything */
    {3, 3, {5, 5}, {1, 1}, {1, 1}, 1, 1},     /* kernel exactly the padded input */
    {1, 1, {1, 1}, {1, 1}, {0, 0}, 1, 1},
    {9, 9, {3, 3}, {3, 3}, {0, 0}, 3, 3}, /* non-overlapping tiles */
    {8, 8, {3, 3}, {3, 3}, {0, 0}, 2, 2}, /* last partial tile dropped (floor) */
};

START_TEST(test_conv_output_size)
{
    const struct conv_case *c = &conv_cases[_i];
    struct fixture fx;
    fx_init(&fx, 3, 3, c->h, c->w);
    struct layer_spec *l = fx_conv(&fx, 6, 1, 1, 0);
    memcpy(l->conv2d.size, c->size, sizeof c->size);
    memcpy(l->conv2d.stride, c->stride, sizeof c->stride);
    memcpy(l->conv2d.pad, c->pad, sizeof c->pad);
    struct model_shape s;
    expect_ok(&fx, &s);
    ck_assert_int_eq(s.layers[0].out.rank, 3);
    ck_assert_int_eq(s.layers[0].out.dim[0], 6);
    ck_assert_int_eq(s.layers[0].out.dim[1], c->out_h);
    ck_assert_int_eq(s.layers[0].out.dim[2], c->out_w);
    ck_assert_int_eq(s.layers[0].weights, 6 * 3 * c->size[0] * c->size[1]);
    ck_assert_int_eq(s.layers[0].biases, 6);
    ck_assert_int_eq(s.layers[0].flops,
                     2LL * 3 * c->size[0] * c->size[1] * 6 * c->out_h * c->out_w);
    shape_free(&s);
}
END_TEST

/* ---- shape errors ---- */

START_TEST(test_dense_after_conv_needs_flatten)
{
    struct fixture fx;
    fx_init(&fx, 3, 1, 28, 28);
    fx_conv(&fx, 4, 5, 1, 2);
    fx_conv(&fx, 8, 5, 2, 2);
    fx_conv(&fx, 12, 4, 2, 1);
    fx_add(&fx, LAYER_DROPOUT)->dropout.p = 0.25;
    fx_dense(&fx, 200, ACTIVATION_RELU);
    expect_error(&fx, "x.yaml:14:5: layer 4 (dense): input is (12, 7, 7); add a flatten layer "
                      "before it");
}
END_TEST

START_TEST(test_dense_after_image_input_needs_flatten)
{
    struct fixture fx;
    fx_init(&fx, 3, 1, 28, 28);
    fx_dense(&fx, 10, ACTIVATION_IDENTITY);
    expect_error(&fx, "x.yaml:10:5: layer 0 (dense): input is (1, 28, 28); add a flatten layer "
                      "before it");
}
END_TEST

START_TEST(test_conv_needs_image)
{
    struct fixture fx;
    fx_init(&fx, 1, 784, 0, 0);
    fx_conv(&fx, 4, 5, 1, 2);
    expect_error(&fx, "x.yaml:10:5: layer 0 (conv2d): input is (784); conv2d needs a (C, H, W) "
                      "input, e.g. model.input: [1, 28, 28]");
}
END_TEST

START_TEST(test_kernel_larger_than_padded_input)
{
    struct fixture fx;
    fx_init(&fx, 3, 1, 3, 3);
    fx_add(&fx, LAYER_DROPOUT)->dropout.p = 0.5;
    fx_add(&fx, LAYER_ACTIVATION)->activation = ACTIVATION_RELU;
    fx_conv(&fx, 8, 5, 1, 0);
    expect_error(&fx, "x.yaml:12:5: layer 2 (conv2d): kernel 5x5 is larger than the padded "
                      "input 3x3");
}
END_TEST

START_TEST(test_kernel_larger_after_shrinking)
{
    /* 28 -> 14 -> 7 -> 4 -> 2: a fifth stride-2 5x5 conv without pad no longer fits. */
    struct fixture fx;
    fx_init(&fx, 3, 1, 28, 28);
    fx_conv(&fx, 4, 5, 2, 2);
    fx_conv(&fx, 4, 5, 2, 2);
    fx_conv(&fx, 4, 5, 2, 2);
    fx_conv(&fx, 4, 5, 2, 2);
    struct layer_spec *l = fx_conv(&fx, 4, 5, 2, 1);
    l->conv2d.size[1] = 3;
    expect_error(&fx, "x.yaml:14:5: layer 4 (conv2d): kernel 5x3 is larger than the padded "
                      "input 4x4");
}
END_TEST

static float q1_w1[4 * 5], q1_w2[1 * 4], q1_b1[4], q1_b2[1];

static void fx_q1(struct fixture *fx)
{
    fx_init(fx, 1, 5, 0, 0);
    struct layer_spec *h = fx_dense(fx, 4, ACTIVATION_STEP);
    h->dense.weights = q1_w1;
    h->dense.weight_rows = 4;
    h->dense.weight_cols = 5;
    h->dense.bias = q1_b1;
    h->dense.bias_len = 4;
    struct layer_spec *o = fx_dense(fx, 1, ACTIVATION_STEP);
    o->dense.weights = q1_w2;
    o->dense.weight_rows = 1;
    o->dense.weight_cols = 4;
    o->dense.bias = q1_b2;
    o->dense.bias_len = 1;
}

START_TEST(test_inline_weights_ok)
{
    struct fixture fx;
    fx_q1(&fx);
    struct model_shape s;
    expect_ok(&fx, &s);
    ck_assert_int_eq(s.parameters, 5 * 4 + 4 + 4 * 1 + 1);
    ck_assert_int_eq(s.layers[1].out.dim[0], 1);
    shape_free(&s);
}
END_TEST

START_TEST(test_inline_weights_wrong_width)
{
    struct fixture fx;
    fx_q1(&fx);
    fx.layers[1].dense.weight_cols = 5;
    fx.layers[1].dense.weight_rows = 1;
    expect_error(&fx, "x.yaml:11:5: layer 1 (dense): inline weights have 5 columns but the "
                      "input has 4 values (one row per unit, one column per input)");
}
END_TEST

START_TEST(test_inline_weights_wrong_rows)
{
    struct fixture fx;
    fx_q1(&fx);
    fx.layers[0].dense.weight_rows = 3;
    expect_error(&fx, "x.yaml:10:5: layer 0 (dense): inline weights have 3 rows but units is 4");
}
END_TEST

START_TEST(test_inline_bias_wrong_length)
{
    struct fixture fx;
    fx_q1(&fx);
    fx.layers[0].dense.bias_len = 5;
    expect_error(&fx, "x.yaml:10:5: layer 0 (dense): inline bias has 5 values but units is 4");
}
END_TEST

START_TEST(test_bad_input)
{
    struct fixture fx;
    fx_init(&fx, 2, 28, 28, 0);
    expect_error(&fx, "x.yaml: model.input: has 2 values; it must be [F] or [C, H, W]");
}
END_TEST

START_TEST(test_overflow_is_an_error)
{
    struct fixture fx;
    fx_init(&fx, 3, 1000, 1000, 1000); /* 1e9 values: fits in int */
    fx_add(&fx, LAYER_FLATTEN);
    fx_dense(&fx, 2000000000, ACTIVATION_IDENTITY); /* 2e18 weights, 4e18 FLOPs: fit */
    fx_dense(&fx, 2000000000, ACTIVATION_IDENTITY); /* 8e18 more FLOPs: the total does not */
    clnet_error_clear();
    struct model_shape s;
    ck_assert_int_eq(shape_infer(&s, &fx.e), CLNET_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "layer 2 (dense)"));
}
END_TEST

/* ---- shapes, counts and FLOPs by hand ---- */

START_TEST(test_dense_counts)
{
    struct fixture fx;
    fx_init(&fx, 1, 784, 0, 0);
    fx_dense(&fx, 10, ACTIVATION_IDENTITY);
    struct model_shape s;
    expect_ok(&fx, &s);
    ck_assert_int_eq(s.layers[0].weights, 7840);
    ck_assert_int_eq(s.layers[0].biases, 10);
    ck_assert_int_eq(s.parameters, 7850);
    ck_assert_int_eq(s.flops, 2 * 784 * 10); /* 15,680 */
    ck_assert_int_eq(s.largest_activation, 784);
    shape_free(&s);
}
END_TEST

START_TEST(test_keep_and_flatten)
{
    struct fixture fx;
    fx_init(&fx, 1, 30, 0, 0);
    fx_add(&fx, LAYER_FLATTEN); /* (F) in: a no-op */
    fx_add(&fx, LAYER_ACTIVATION)->activation = ACTIVATION_TANH;
    fx_add(&fx, LAYER_DROPOUT)->dropout.p = 0.1;
    struct model_shape s;
    expect_ok(&fx, &s);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(s.layers[i].out.rank, 1);
        ck_assert_int_eq(s.layers[i].out.dim[0], 30);
        ck_assert_int_eq(s.layers[i].weights + s.layers[i].biases + s.layers[i].flops, 0);
    }
    shape_free(&s);
}
END_TEST

static void fx_cnn(struct fixture *fx)
{
    fx_init(fx, 3, 1, 28, 28);
    fx_conv(fx, 4, 5, 1, 2);
    fx_conv(fx, 8, 5, 2, 2);
    fx_conv(fx, 12, 4, 2, 1);
    fx_add(fx, LAYER_FLATTEN);
    fx_dense(fx, 200, ACTIVATION_RELU);
    fx_dense(fx, 10, ACTIVATION_IDENTITY);
}

START_TEST(test_homework_cnn)
{
    struct fixture fx;
    fx_cnn(&fx);
    struct model_shape s;
    expect_ok(&fx, &s);
    ck_assert_int_eq(s.layers[0].flops, 2 * 1 * 5 * 5 * 4 * 28 * 28); /* 156,800 */
    ck_assert_int_eq(s.layers[1].out.dim[1], 14);
    ck_assert_int_eq(s.layers[2].out.dim[0], 12);
    ck_assert_int_eq(s.layers[2].out.dim[1], 7);
    ck_assert_int_eq(s.layers[2].out.dim[2], 7);
    ck_assert_int_eq(s.layers[3].out.rank, 1);
    ck_assert_int_eq(s.layers[3].out.dim[0], 588); /* question 5 (i): U3flat */
    ck_assert_int_eq(s.layers[0].weights + s.layers[0].biases, 104);
    ck_assert_int_eq(s.layers[1].weights + s.layers[1].biases, 808);
    ck_assert_int_eq(s.layers[2].weights + s.layers[2].biases, 1548);
    ck_assert_int_eq(s.parameters, 122270);
    ck_assert_int_eq(s.flops, 156800 + 313600 + 150528 + 235200 + 4000);
    ck_assert_int_eq(s.largest_activation, 4 * 28 * 28);
    shape_free(&s);
}
END_TEST

START_TEST(test_print_table)
{
    struct fixture fx;
    fx_cnn(&fx);
    fx.e.name = "q5_ii_cnn";
    struct model_shape s;
    expect_ok(&fx, &s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(shape_print_table(f, &fx.e, &s), CLNET_OK);
    fclose(f);
    const char *want[] = {
        "conv2d 8 5x5/2 pad 2 relu", "(12, 7, 7)",         "dense 200 relu", "parameters: 122,270",
        "name: q5_ii_cnn",           "input: (1, 28, 28)", "860,128",        "2 per multiply-add"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]), "'%s' not in:\n%s", want[i], text);
    free(text);
    shape_free(&s);
}
END_TEST

START_TEST(test_describe_layer)
{
    struct fixture fx;
    fx_init(&fx, 3, 1, 28, 28);
    struct layer_spec *l = fx_conv(&fx, 8, 5, 2, 2);
    l->conv2d.size[1] = 3;
    l->conv2d.stride[1] = 1;
    l->activation = ACTIVATION_IDENTITY;
    char buf[128];
    ck_assert_str_eq(shape_describe_layer(buf, sizeof buf, l), "conv2d 8 5x3/2x1 pad 2");
    l = fx_add(&fx, LAYER_DROPOUT);
    l->dropout.p = 0.25;
    ck_assert_str_eq(shape_describe_layer(buf, sizeof buf, l), "dropout 0.25");
    l = fx_add(&fx, LAYER_FLATTEN);
    ck_assert_str_eq(shape_describe_layer(buf, sizeof buf, l), "flatten");
}
END_TEST

/* ---- configs/hw2 through the loader ---- */

/* Loads configs/hw2/rel and infers its shape; fails the test with the loader's message. */
static void load_hw2(struct experiment *e, struct model_shape *s, const char *rel)
{
    char name[512];
    snprintf(name, sizeof name, "configs/hw2/%s", rel);
    char *path = harness_source_path(name);
    memset(e, 0, sizeof *e);
    memset(s, 0, sizeof *s);
    clnet_error_clear();
    int status = config_load(e, path, NULL, 0);
    ck_assert_msg(status == CLNET_OK, "config_load %s: %s", rel, clnet_error_message());
    status = shape_infer(s, e);
    ck_assert_msg(status == CLNET_OK, "shape_infer %s: %s", rel, clnet_error_message());
    free(path);
}

static int64_t hw2_parameters(const char *rel)
{
    struct experiment e;
    struct model_shape s;
    load_hw2(&e, &s, rel);
    int64_t p = s.parameters;
    shape_free(&s);
    experiment_free(&e);
    return p;
}

START_TEST(test_hw2_parameter_counts)
{
    ck_assert_int_eq(hw2_parameters("q4_i_single.yaml"), 7850);        /* 4 (iii) */
    ck_assert_int_eq(hw2_parameters("q4_v_two_sigmoid.yaml"), 159010); /* 784-200-10 */
    ck_assert_int_eq(hw2_parameters("q4_vii_two_zero.yaml"), 159010);
    ck_assert_int_eq(hw2_parameters("q4_viii_five_sigmoid.yaml"), 185300); /* 4 (xii) */
    ck_assert_int_eq(hw2_parameters("q4_ix_five_relu.yaml"), 185300);
    ck_assert_int_eq(hw2_parameters("q4_xi_logits.yaml"), 185300);
    ck_assert_int_eq(hw2_parameters("q4_xiii_adam.yaml"), 185300);
    ck_assert_int_eq(hw2_parameters("q1_descending.yaml"), 5 * 4 + 4 + 4 + 1);
}
END_TEST

START_TEST(test_hw2_cnn)
{
    const char *files[] = {"q5_ii_cnn.yaml", "q5_iii_cnn_decay.yaml", "q5_v_cnn_99.yaml"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        struct experiment e;
        struct model_shape s;
        load_hw2(&e, &s, files[k]);
        ck_assert_int_eq(s.parameters, 122270);
        ck_assert_int_eq(e.layers[2].type, LAYER_CONV2D);
        ck_assert_int_eq(s.layers[2].out.dim[0], 12);
        ck_assert_int_eq(s.layers[2].out.dim[1], 7);
        ck_assert_int_eq(s.layers[2].out.dim[2], 7);
        ck_assert_int_eq(tensor_shape_size(&s.layers[2].out), 588);
        shape_free(&s);
        experiment_free(&e);
    }
}
END_TEST

START_TEST(test_hw2_hidden_sizes)
{
    const int hidden[] = {10, 25, 50, 100, 200, 400, 750};
    for (size_t k = 0; k < sizeof hidden / sizeof hidden[0]; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "q4_vi_hidden/h%d.yaml", hidden[k]);
        int64_t h = hidden[k];
        ck_assert_int_eq(hw2_parameters(rel), 784 * h + h + h * 10 + 10);
    }
}
END_TEST

/* A shape error in a real file points at the layer's list entry in that file. */
START_TEST(test_loaded_shape_error_position)
{
    const char *yaml = "model:\n"
                       "  input: [1, 28, 28]\n"
                       "  layers:\n"
                       "    - conv2d: {filters: 4, size: 5, stride: 1, pad: 2}\n"
                       "    - dense: {units: 10}\n";
    char *path = harness_write(NULL, "bad.yaml", yaml);
    struct experiment e;
    struct model_shape s;
    memset(&e, 0, sizeof e);
    clnet_error_clear();
    ck_assert_msg(config_load(&e, path, NULL, 0) == CLNET_OK, "%s", clnet_error_message());
    ck_assert_int_eq(shape_infer(&s, &e), CLNET_ERR_CONFIG);
    char want[2048];
    snprintf(want, sizeof want,
             "%s:5:7: layer 1 (dense): input is (4, 28, 28); add a flatten layer before it", path);
    ck_assert_str_eq(clnet_error_message(), want);
    experiment_free(&e);
    free(path);
}
END_TEST

/* Loads and shape-checks every *.yaml under dir (recursively), skipping bases (`_*`). */
static int check_folder(const char *root, const char *rel)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, rel);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        if (name[0] == '.' || name[0] == '_') continue;
        char sub[1024], full[2100];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n += check_folder(root, sub);
            continue;
        }
        size_t len = strlen(name);
        if (len < 5 || strcmp(name + len - 5, ".yaml") != 0) continue;
        struct experiment e;
        struct model_shape s;
        load_hw2(&e, &s, sub);
        ck_assert_int_gt(s.parameters, 0);
        shape_free(&s);
        experiment_free(&e);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_hw2_every_file_loads)
{
    char *root = harness_source_path("configs/hw2");
    int n = check_folder(root, "");
    ck_assert_int_ge(n, 21); /* q1, 10 of q4, 7 hidden sizes, 3 of q5 */
    free(root);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("shape");
    tcase_add_loop_test(tc, test_conv_output_size, 0,
                        (int)(sizeof conv_cases / sizeof conv_cases[0]));
    tcase_add_test(tc, test_dense_after_conv_needs_flatten);
    tcase_add_test(tc, test_dense_after_image_input_needs_flatten);
    tcase_add_test(tc, test_conv_needs_image);
    tcase_add_test(tc, test_kernel_larger_than_padded_input);
    tcase_add_test(tc, test_kernel_larger_after_shrinking);
    tcase_add_test(tc, test_inline_weights_ok);
    tcase_add_test(tc, test_inline_weights_wrong_width);
    tcase_add_test(tc, test_inline_weights_wrong_rows);
    tcase_add_test(tc, test_inline_bias_wrong_length);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_overflow_is_an_error);
    tcase_add_test(tc, test_dense_counts);
    tcase_add_test(tc, test_keep_and_flatten);
    tcase_add_test(tc, test_homework_cnn);
    tcase_add_test(tc, test_print_table);
    tcase_add_test(tc, test_describe_layer);
    suite_add_tcase(s, tc);

    TCase *hw2 = tcase_create("hw2");
    tcase_add_test(hw2, test_hw2_parameter_counts);
    tcase_add_test(hw2, test_hw2_cnn);
    tcase_add_test(hw2, test_hw2_hidden_sizes);
    tcase_add_test(hw2, test_hw2_every_file_loads);
    tcase_add_test(hw2, test_loaded_shape_error_position);
    suite_add_tcase(s, hw2);
    return s;
}

int main(void)
{
    return harness_run(model_suite(), true);
}
