/* model_programs: the kernel programs a run builds are those its layers, loss and optimizer
 * launch, so a dense net never compiles cl/conv2d.cl or cl/dropout.cl (a cold start's compile
 * time), and a CNN with dropout gets both. Host only: no device is opened. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "harness.h"
#include "model/model.h"
#include "util/status.h"

#define P(id) RUNTIME_PROGRAM(PROGRAM_##id)
#define ALWAYS (P(DATA) | P(LOSS))
#define CONV (P(CONV2D) | P(CONV2D_GPU)) /* both paths' conv programs: runtime_open keeps one */
/* the dense kind's programs: its stack's too */
#define DENSE (P(GEMM) | P(GEMM_T) | P(ELEMENTWISE) | P(DENSE_TAIL))

static unsigned programs_of(const enum layer_type *types, int n, bool training)
{
    struct layer_spec layers[8];
    ck_assert_int_le(n, 8);
    memset(layers, 0, sizeof layers);
    for (int i = 0; i < n; i++)
        layers[i].type = types[i];
    struct experiment e = {.layers = layers, .n_layers = n};
    unsigned set = 0xdead;
    clnet_error_clear();
    int status = model_programs(&set, &e, training);
    ck_assert_msg(status == CLNET_OK, "model_programs: %s", clnet_error_message());
    return set;
}

START_TEST(test_dense)
{
    const enum layer_type t[] = {LAYER_DENSE, LAYER_DENSE};
    ck_assert_uint_eq(programs_of(t, 2, true), ALWAYS | P(OPTIM) | DENSE);
    /* Evaluation alone has no optimizer step. */
    ck_assert_uint_eq(programs_of(t, 2, false), ALWAYS | DENSE);
}
END_TEST

START_TEST(test_cnn_with_dropout)
{
    const enum layer_type t[] = {LAYER_CONV2D, LAYER_CONV2D, LAYER_FLATTEN, LAYER_DROPOUT,
                                 LAYER_DENSE};
    ck_assert_uint_eq(programs_of(t, 5, true), ALWAYS | P(OPTIM) | CONV | P(DROPOUT) | DENSE);
}
END_TEST

START_TEST(test_each_kind_alone)
{
    const enum layer_type conv[] = {LAYER_CONV2D, LAYER_FLATTEN};
    ck_assert_uint_eq(programs_of(conv, 2, false), ALWAYS | CONV);
    const enum layer_type act[] = {LAYER_ACTIVATION};
    ck_assert_uint_eq(programs_of(act, 1, false), ALWAYS | P(ELEMENTWISE));
    const enum layer_type drop[] = {LAYER_DROPOUT};
    ck_assert_uint_eq(programs_of(drop, 1, false), ALWAYS | P(DROPOUT));
    ck_assert_uint_eq(programs_of(NULL, 0, true), ALWAYS | P(OPTIM));
}
END_TEST

START_TEST(test_unknown_type_is_internal)
{
    struct layer_spec layer = {.type = LAYER_TYPE_COUNT};
    struct experiment e = {.layers = &layer, .n_layers = 1};
    unsigned set = 0;
    clnet_error_clear();
    ck_assert_int_eq(model_programs(&set, &e, true), CLNET_ERR_INTERNAL);
    ck_assert_msg(strstr(clnet_error_message(), "layers/kinds.def"), "%s", clnet_error_message());
    clnet_error_clear();
}
END_TEST

static unsigned hw2_programs(const char *rel)
{
    char name[256];
    snprintf(name, sizeof name, "configs/hw2/%s", rel);
    char *path = harness_source_path(name);
    struct experiment e;
    clnet_error_clear();
    int status = config_load(&e, path, NULL, 0);
    ck_assert_msg(status == CLNET_OK, "config_load %s: %s", rel, clnet_error_message());
    unsigned set = 0;
    status = model_programs(&set, &e, e.has_train);
    ck_assert_msg(status == CLNET_OK, "model_programs %s: %s", rel, clnet_error_message());
    experiment_free(&e);
    free(path);
    return set;
}

/* The homework's dense nets skip conv2d.cl and dropout.cl; its CNNs build conv2d.cl (or, on the
 * GPU path, conv2d_gpu.cl: runtime_open keeps the one of its path). */
START_TEST(test_hw2)
{
    const unsigned dense = ALWAYS | P(OPTIM) | DENSE;
    ck_assert_uint_eq(hw2_programs("q4_v_two_sigmoid.yaml"), dense);
    ck_assert_uint_eq(hw2_programs("q4_xiii_adam.yaml"), dense);
    ck_assert_uint_eq(hw2_programs("q5_iii_cnn_decay.yaml"), dense | CONV);
    ck_assert_uint_eq(hw2_programs("q5_v_cnn_99.yaml"), dense | CONV | P(DROPOUT));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_programs");
    TCase *tc = tcase_create("programs");
    tcase_add_test(tc, test_dense);
    tcase_add_test(tc, test_cnn_with_dropout);
    tcase_add_test(tc, test_each_kind_alone);
    tcase_add_test(tc, test_unknown_type_is_internal);
    tcase_add_test(tc, test_hw2);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
