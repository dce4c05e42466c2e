/* The layer-kind registry (layers/kinds.def, layers/registry.c): every row is a whole kind,
 * and the check that says so finds a part that is missing. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "harness.h"
#include "layers/layer.h"
#include "util/status.h"
#include "runtime/kernels.h"

START_TEST(every_kind_is_whole)
{
    for (int t = 0; t < LAYER_TYPE_COUNT; t++) {
        const struct layer_kind *k = layer_kind_find((enum layer_type)t);
        ck_assert_msg(k, "layer type %d has no kind", t);
        const char *missing = layer_kind_missing(k, (enum layer_type)t);
        ck_assert_msg(!missing, "kind %s lacks its %s", layer_type_name((enum layer_type)t),
                      missing ? missing : "");
    }
    ck_assert_ptr_null(layer_kind_find(LAYER_TYPE_COUNT));
    ck_assert_ptr_null(layer_kind_find((enum layer_type)-1));
}
END_TEST

/* Each part set to NULL in a copy of a whole kind: the check names that part. */
START_TEST(a_planted_null_is_found)
{
    const struct layer_kind *k = layer_kind_find(LAYER_CONV2D);
    struct layer_kind bad;
#define PLANT(field, word)                                                                     \
    do {                                                                                       \
        bad = *k;                                                                              \
        bad.field = NULL;                                                                      \
        const char *m = layer_kind_missing(&bad, LAYER_CONV2D);                                \
        ck_assert_msg(m && !strcmp(m, word), "NULL %s: %s", word, m ? m : "whole");            \
    } while (0)
    PLANT(name, "name");
    PLANT(infer, "infer");
    PLANT(describe, "describe");
    PLANT(param, "param");
    PLANT(state, "state");
    PLANT(setup, "setup");
    PLANT(init_params, "init_params");
    PLANT(forward, "forward");
    PLANT(backward, "backward");
    PLANT(free, "free");
    PLANT(host_forward, "host_forward");
    PLANT(host_backward, "host_backward");
    PLANT(examples, "examples");
#undef PLANT
    bad = *k;
    bad.n_examples = 0;
    ck_assert_str_eq(layer_kind_missing(&bad, LAYER_CONV2D), "examples");
    ck_assert_str_eq(layer_kind_missing(k, LAYER_DENSE), "name"); /* another row's kind */
}
END_TEST

/* The programs a kind asks for exist, and a kind's examples are of its own type. */
START_TEST(programs_and_examples_belong_to_the_kind)
{
    for (int t = 0; t < LAYER_TYPE_COUNT; t++) {
        const struct layer_kind *k = layer_kind_find((enum layer_type)t);
        ck_assert_uint_eq(k->programs & ~RUNTIME_PROGRAMS_ALL, 0);
        for (int i = 0; i < k->n_examples; i++)
            ck_assert_int_eq(k->examples[i].spec.type, t);
    }
}
END_TEST

/* Loads a model of `layers` (YAML lines) on `input` and infers its shapes (the status). */
static int pool_shapes(const char *input, const char *layers, struct model_shape *s,
                       struct experiment *e)
{
    static int serial;
    char text[512], name[32];
    snprintf(text, sizeof text, "model:\n  input: %s\n  layers:\n%s", input, layers);
    snprintf(name, sizeof name, "pool%d.yaml", serial++);
    char *path = harness_write(NULL, name, text);
    clnet_error_clear();
    int rc = config_load(e, path, NULL, 0);
    ck_assert_msg(rc == CLNET_OK, "%s", clnet_error_message());
    return shape_infer(s, e);
}

/* The pooling kinds' keys and shape rule, as PyTorch's: stride defaults to the size, the
 * output floors, pad at most half the size, and an image input. */
START_TEST(pooling_shapes)
{
    static const char *const kinds[] = {"maxpool2d", "avgpool2d"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct experiment e;
        struct model_shape s;
        char l[256];
        snprintf(l, sizeof l, "    - %s: {size: 3}\n    - %s: {size: [3, 2], stride: 2, "
                 "pad: [1, 0]}\n", kinds[k], kinds[k]);
        ck_assert_int_eq(pool_shapes("[2, 29, 28]", l, &s, &e), CLNET_OK);
        ck_assert_int_eq(e.layers[0].args.i[2], 3); /* stride: the size */
        ck_assert_int_eq(e.layers[0].args.i[3], 3);
        /* (29 - 3) / 3 + 1 = 9, (28 - 3) / 3 + 1 = 9; then (9 + 2 - 3) / 2 + 1, (9 - 2) / 2 + 1 */
        const int want[2][3] = {{2, 9, 9}, {2, 5, 4}};
        for (int i = 0; i < 2; i++)
            for (int d = 0; d < 3; d++)
                ck_assert_int_eq(s.layers[i].out.dim[d], want[i][d]);
        ck_assert_int_eq(s.parameters, 0);
        shape_free(&s);
        experiment_free(&e);
        snprintf(l, sizeof l, "    - %s: {size: 3, pad: 2}\n", kinds[k]);
        ck_assert_int_eq(pool_shapes("[1, 8, 8]", l, &s, &e), CLNET_ERR_CONFIG);
        ck_assert_msg(strstr(clnet_error_message(), "pad 2 is more than half the size 3"), "%s",
                      clnet_error_message());
        experiment_free(&e);
        snprintf(l, sizeof l, "    - %s: {size: 2}\n", kinds[k]);
        ck_assert_int_eq(pool_shapes("[784]", l, &s, &e), CLNET_ERR_CONFIG);
        ck_assert_msg(strstr(clnet_error_message(), "needs a (C, H, W) input"), "%s",
                      clnet_error_message());
        experiment_free(&e);
    }
}
END_TEST

/* Batch norm: one scale and one shift per feature or channel, PyTorch's defaults, its two
 * state tensors, and a batch that would give a feature one value refused. */
START_TEST(batchnorm_shapes)
{
    struct experiment e;
    struct model_shape s;
    ck_assert_int_eq(pool_shapes("[784]", "    - dense: {units: 6}\n    - batchnorm: {}\n", &s, &e),
                     CLNET_OK);
    ck_assert_int_eq(s.layers[1].out.rank, 1);
    ck_assert_int_eq(s.layers[1].out.dim[0], 6);
    ck_assert_int_eq(s.layers[1].weights, 6);
    ck_assert_int_eq(s.layers[1].biases, 6);
    ck_assert(e.layers[1].args.r[0] == 0.1 && e.layers[1].args.r[1] == 1e-5);
    struct state_tensor t[LAYER_MAX_STATE];
    const struct layer_kind *k = layer_kind_find(LAYER_BATCHNORM);
    ck_assert_int_eq(k->state(t, &e.layers[1], &s.layers[1]), 2);
    ck_assert_str_eq(t[0].name, "running_mean");
    ck_assert_str_eq(t[1].name, "running_var");
    ck_assert(t[0].rank == 1 && t[0].dims[0] == 6 && t[0].init == 0.0f);
    ck_assert(t[1].rank == 1 && t[1].dims[0] == 6 && t[1].init == 1.0f);
    ck_assert_int_eq(layer_state_floats(k, &e.layers[1], &s.layers[1]), 12);
    shape_free(&s);
    experiment_free(&e);
    /* per channel of an image: 20 positions, so a batch of 1 is enough */
    ck_assert_int_eq(pool_shapes("[3, 4, 5]", "    - batchnorm\ntrain: {batch_size: 1}\n", &s, &e),
                     CLNET_OK);
    ck_assert_int_eq(s.layers[0].weights, 3);
    shape_free(&s);
    experiment_free(&e);
    ck_assert_int_eq(pool_shapes("[784]", "    - batchnorm: {momentum: 0.5}\n"
                                 "train: {batch_size: 1}\n", &s, &e),
                     CLNET_ERR_CONFIG);
    ck_assert_msg(strstr(clnet_error_message(), "4:7: layer 0 (batchnorm): batches of 1 give "
                                                "each feature of (784) one value"),
                  "%s", clnet_error_message());
    experiment_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kinds");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, every_kind_is_whole);
    tcase_add_test(tc, a_planted_null_is_found);
    tcase_add_test(tc, programs_and_examples_belong_to_the_kind);
    tcase_add_test(tc, pooling_shapes);
    tcase_add_test(tc, batchnorm_shapes);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
