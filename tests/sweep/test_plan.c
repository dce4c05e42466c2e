/* A sweep's order (sweep/plan.c): experiment files sorted by path without ".yaml", numbers
 * compared as numbers, so mom0 < mom0.5 < mom0.9 and lr0.003 < lr0.01 < lr0.1 < lr1 (the
 * table, the page and the terminal follow it). Host only: nothing runs. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sweep/internal.h"
#include "util/status.h"

START_TEST(test_plan_order_numbers_as_numbers)
{
    const char *files[] = {"mom0.9.yaml", "lr1.yaml",   "mom0.yaml",    "lr0.1.yaml",
                           "h100.yaml",   "h25.yaml",   "lr0.003.yaml", "mom0.5.yaml",
                           "lr0.01.yaml", "h10.yaml"};
    const char *want[] = {"h10", "h25", "h100", "lr0.003", "lr0.01", "lr0.1", "lr1",
                          "mom0", "mom0.5", "mom0.9"};
    const char *dir = harness_tmpdir();
    for (int i = 0; i < 10; i++)
        harness_write(dir, files[i], "model: {input: [784], layers: [{dense: {units: 10}}]}\n"
                                     "train: {iterations: 10}\n");
    struct sweep_options o = {.dir = dir, .out_root = "/nonexistent", .jobs = 1, .quiet = true};
    struct sweep s = {.opt = &o};
    int status = sweep_plan(&s);
    ck_assert_msg(status == CLNET_OK, "sweep_plan: %s", clnet_error_message());
    ck_assert_int_eq(s.n, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_msg(strcmp(s.items[i].name, want[i]) == 0, "item %d is %s, want %s", i,
                      s.items[i].name, want[i]);
    sweep_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_plan_order_numbers_as_numbers);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
