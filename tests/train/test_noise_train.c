/* data.noise end to end (issue 24 item 3) on the synthetic set: sigma 0 trains to the bytes of
 * no noise (the noise path changes nothing but the noise), a noisy run repeats byte for byte
 * and differs from a clean one, a run continued to more iterations ends with the bytes of one
 * that went there at once (the noise depends on the step, not on the process), the
 * evaluation's fixed draw makes `clnet eval` agree with the run's summary, and a validation
 * split and full training-set evaluations run noised. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "harness.h"

/* 600 training images in batches of 32: 40 steps are 2.1 passes over them. */
#define DENSE                                                                                  \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 32, activation: relu}\n"                                             \
    "    - dense: {units: 10}\n"                                                               \
    "train:\n"                                                                                 \
    "  iterations: 40\n"                                                                       \
    "  batch_size: 32\n"                                                                       \
    "  optimizer: {adam: {lr: 0.01}}\n"                                                        \
    "  eval_every: 20\n"                                                                       \
    "  eval_batch_size: 64\n"

static char *trained(const char *config, const char *name, const char *const *sets)
{
    char *dir = run_dir(name);
    struct run_result *r = train(config, dir, sets);
    free(completed_summary(r, dir));
    free(r);
    return dir;
}

static void assert_same(const char *a, const char *b, bool same, const char *why)
{
    const char *files[] = {"metrics.csv", "model.safetensors"};
    for (int i = 0; i < 2; i++)
        ck_assert_msg(same_file(a, b, files[i]) == same, "%s: %s %s", why, files[i],
                      same ? "differs" : "is the same");
}

START_TEST(test_sigma_zero_is_no_noise)
{
    char *config = write_config("noise0.yaml", DENSE);
    const char *zero[] = {"data.noise.gaussian=0", NULL};
    assert_same(trained(config, "clean", NULL), trained(config, "sigma0", zero), true,
                "sigma 0 against no data.noise");
    free(config);
}
END_TEST

START_TEST(test_noisy_repeats_and_differs)
{
    char *config = write_config("noisy.yaml", DENSE);
    const char *noisy[] = {"data.noise.gaussian=0.3", NULL};
    char *a = trained(config, "noisy_a", noisy);
    assert_same(a, trained(config, "noisy_b", noisy), true, "two noisy runs");
    assert_same(a, trained(config, "noisy_clean", NULL), false, "noisy against clean");
    const char *seed2[] = {"data.noise.gaussian=0.3", "seed=2", NULL};
    assert_same(a, trained(config, "noisy_seed2", seed2), false, "seed 2 against seed 1");
    free(config);
}
END_TEST

START_TEST(test_continued_run_same_bits)
{
    char *config = write_config("noisycont.yaml", DENSE);
    const char *all[] = {"data.noise.gaussian=0.3", NULL};
    const char *half[] = {"data.noise.gaussian=0.3", "train.iterations=20", NULL};
    char *whole = trained(config, "noisy_whole", all);
    char *cont = trained(config, "noisy_cont", half);
    struct run_result *r = train(config, cont, all); /* continues from iteration 20 */
    free(completed_summary(r, cont));
    free(r);
    assert_same(whole, cont, true, "40 steps against 20 then 20 more");
    free(config);
}
END_TEST

START_TEST(test_eval_matches_summary)
{
    char *config = write_config("noisyeval.yaml", DENSE);
    const char *sets[] = {"data.noise.gaussian=0.5", "data.validation=100",
                          "train.eval_train=full", NULL};
    assert_eval_matches_summary(trained(config, "noisy_eval", sets));
    free(config);
}
END_TEST

static Suite *noise_suite(void)
{
    Suite *s = suite_create("noise_train");
    TCase *tc = tcase_create("noise");
    tcase_set_timeout(tc, harness_time_limit(120));
    tcase_add_test(tc, test_sigma_zero_is_no_noise);
    tcase_add_test(tc, test_noisy_repeats_and_differs);
    tcase_add_test(tc, test_continued_run_same_bits);
    tcase_add_test(tc, test_eval_matches_summary);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    return harness_run(noise_suite(), true);
}
