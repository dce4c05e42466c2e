/* The layer-kind registry (layers/kinds.def, layers/registry.c): every row is a whole kind,
 * and the check that says so finds a part that is missing. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "layers/layer.h"
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

int main(void)
{
    Suite *s = suite_create("kinds");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, every_kind_is_whole);
    tcase_add_test(tc, a_planted_null_is_found);
    tcase_add_test(tc, programs_and_examples_belong_to_the_kind);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
