/* The GPU path and small work-group limits through `clnet train` and `clnet selfcheck` on the
 * default device (PoCL here), on the synthetic set of tests/train/synth_data.c (issue 23 items
 * 2 and 3):
 *   - selfcheck through the forced GPU path, and under CLNET_MAX_LOCAL=3 (every launch of
 *     clnet's kernels in groups of at most 3, an odd size) on both paths, all within tolerance;
 *   - a small CNN trained through the forced GPU path writes the CPU path's metrics within
 *     1e-4 relative (different sums, same math);
 *   - the CPU path under POCL_MAX_WORK_GROUP_SIZE=4 (PoCL then refuses any launch past 4, and
 *     its kernels report 4 as their limit) and the GPU path under CLNET_MAX_LOCAL=3 write the
 *     same bytes of metrics.csv and model.safetensors as without the limit: no sum depends on
 *     the work-group size (the GPU path's limit set as variables, and as the flags --ops-path
 *     and --max-local). (CLBlast, the GPU path's GEMM, picks its own work-groups and needs 64
 *     on PoCL, so the GPU path is capped through clnet's hook, not the device.) */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../train/synth.h"
#include "harness.h"
#include "metrics_close.h"

/* clnet with argv and extra environment entries, its private kernel cache. */
static struct run_result *run_with(const char *const *argv, const char *const *extra)
{
    struct run_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    const char *env[8] = {synth_cache_env};
    for (int i = 0; extra && extra[i] && i < 6; i++)
        env[i + 1] = extra[i];
    run_clnet(r, argv, env);
    return r;
}

static void selfcheck_ok(const char *const *extra, const char *what)
{
    const char *argv[] = {"selfcheck", NULL};
    struct run_result *r = run_with(argv, extra);
    ck_assert_msg(r->exit_code == 0, "selfcheck %s: exit %d\n%s%s", what, r->exit_code, r->out,
                  r->err);
    ck_assert_msg(strstr(r->out, "all within tolerance"), "selfcheck %s:\n%s", what, r->out);
    free(r);
}

START_TEST(selfcheck_gpu_path_and_small_groups)
{
    const char *gpu[] = {"CLNET_OPS_PATH=gpu", NULL};
    selfcheck_ok(gpu, "CLNET_OPS_PATH=gpu");
    const char *gpu_capped[] = {"CLNET_OPS_PATH=gpu", "CLNET_MAX_LOCAL=3", NULL};
    selfcheck_ok(gpu_capped, "CLNET_OPS_PATH=gpu CLNET_MAX_LOCAL=3");
    const char *cpu_capped[] = {"CLNET_OPS_PATH=cpu", "CLNET_MAX_LOCAL=3", NULL};
    selfcheck_ok(cpu_capped, "CLNET_OPS_PATH=cpu CLNET_MAX_LOCAL=3");
}
END_TEST

/* The training of both models: 6 steps of 16 images and two evaluations of the 200 test
 * images. */
#define SIX_STEPS                                                                              \
    "train:\n"                                                                                 \
    "  iterations: 6\n"                                                                        \
    "  batch_size: 16\n"                                                                       \
    "  eval_every: 3\n"                                                                        \
    "  eval_batch_size: 200\n"

/* Two conv layers (batch-minor between them), dense layers on top; 6 steps of 16 images and
 * two evaluations of the 200 test images. */
static const char *const cnn =
    "model:\n"
    "  input: [1, 28, 28]\n"
    "  layers:\n"
    "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 2, activation: relu}\n"
    "    - conv2d: {filters: 6, size: 3, stride: 2, pad: 1, activation: tanh}\n"
    "    - flatten\n"
    "    - dense: {units: 24, activation: relu}\n"
    "    - dense: {units: 10}\n" SIX_STEPS
    "  optimizer: {adam: {lr: 0.01}}\n";

/* Two dense layers with plain SGD: every fast path of the CPU path can apply. */
static const char *const mlp =
    "model:\n"
    "  input: [784]\n"
    "  layers:\n"
    "    - dense: {units: 32, activation: sigmoid}\n"
    "    - dense: {units: 10}\n" SIX_STEPS
    "  optimizer: {sgd: {lr: 0.1}}\n";

static const char *config_path(const char *yaml)
{
    static char *paths[2];
    int k = yaml == cnn ? 0 : 1;
    if (!paths[k])
        paths[k] = write_config(k ? "gpu_path_mlp.yaml" : "gpu_path_cnn.yaml", yaml);
    return paths[k];
}

/* Trains the config (cnn or mlp) into TMP/runs/name with extra environment and flags (NULL
 * ended, at most 4); returns the run folder. */
static char *train_config(const char *yaml, const char *name, const char *const *extra,
                          const char *const *flags)
{
    const char *config = config_path(yaml);
    char *dir = run_dir(name);
    const char *argv[9] = {"train", config, "--out", dir};
    for (int i = 0; flags && flags[i] && i < 4; i++)
        argv[4 + i] = flags[i];
    struct run_result *r = run_with(argv, extra);
    char *summary = completed_summary(r, dir);
    bool gpu = (extra && extra[0] && strstr(extra[0], "gpu")) ||
               (flags && flags[0] && flags[1] && strcmp(flags[1], "gpu") == 0);
    const char *path = gpu ? "gpu" : "cpu";
    ck_assert_msg(json_has_string(summary, "ops_path", path), "%s: not on the %s path:\n%s", name,
                  path, summary);
    free(summary);
    free(r);
    return dir;
}

static char *train_flags(const char *name, const char *const *extra, const char *const *flags)
{
    return train_config(cnn, name, extra, flags);
}

static char *train_with(const char *name, const char *const *extra)
{
    return train_flags(name, extra, NULL);
}

static void same_bytes(const char *a, const char *b, const char *what)
{
    ck_assert_msg(same_file(a, b, "metrics.csv"), "%s: metrics.csv differs", what);
    ck_assert_msg(same_file(a, b, "model.safetensors"), "%s: model.safetensors differs", what);
}

START_TEST(gpu_path_trains_as_cpu_path)
{
    const char *cpu[] = {"CLNET_OPS_PATH=cpu", NULL}, *gpu[] = {"CLNET_OPS_PATH=gpu", NULL};
    char *on_cpu = train_with("cnn_cpu", cpu), *on_gpu = train_with("cnn_gpu", gpu);
    metrics_close(on_gpu, "the GPU path", on_cpu, "the CPU path", 1e-4);
    char *again = train_with("cnn_gpu_again", gpu);
    same_bytes(on_gpu, again, "the GPU path twice");
}
END_TEST

START_TEST(small_groups_change_no_bit)
{
    const char *cpu[] = {"CLNET_OPS_PATH=cpu", NULL};
    const char *cpu_small[] = {"CLNET_OPS_PATH=cpu", "POCL_MAX_WORK_GROUP_SIZE=4", NULL};
    same_bytes(train_with("cnn_cpu_wide", cpu), train_with("cnn_cpu_small", cpu_small),
               "the CPU path under POCL_MAX_WORK_GROUP_SIZE=4");
    const char *gpu[] = {"CLNET_OPS_PATH=gpu", NULL};
    const char *gpu_small[] = {"CLNET_OPS_PATH=gpu", "CLNET_MAX_LOCAL=3", NULL};
    char *gpu_wide = train_with("cnn_gpu_wide", gpu);
    same_bytes(gpu_wide, train_with("cnn_gpu_small", gpu_small),
               "the GPU path under CLNET_MAX_LOCAL=3");
    /* the same settings as flags: the options table hands them to the runtime too */
    const char *flags[] = {"--ops-path", "gpu", "--max-local", "3", NULL};
    same_bytes(gpu_wide, train_flags("cnn_gpu_small_flags", NULL, flags),
               "the GPU path under --ops-path gpu --max-local 3");
}
END_TEST

/* summary.json's word on a fast path of the run in dir. */
static bool took(const char *dir, const char *path)
{
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_ptr_nonnull(summary);
    char key[64];
    snprintf(key, sizeof key, "\"%s\": true", path);
    bool on = strstr(summary, key) != NULL;
    free(summary);
    return on;
}

/* The plan on the GPU path (issue 23 item 2): with CLBlast the fusions valid on any device
 * (bias + activation in one 2-D kernel, the loss and the optimizer in one launch each) and
 * none of the own GEMM's, within tolerance of the CPU path; with --gemm own the epilogues and
 * the fused SGD update too, the same bytes as the CPU path (which adds the dense stack, the
 * same bits again) and as the GPU path without the fused update. */
START_TEST(gpu_path_fusions_from_the_plan)
{
    const char *cpu[] = {"CLNET_OPS_PATH=cpu", NULL}, *gpu[] = {"CLNET_OPS_PATH=gpu", NULL};
    char *on_cpu = train_config(mlp, "mlp_cpu", cpu, NULL);
    ck_assert(took(on_cpu, "sgd_fused") && took(on_cpu, "dense_stack"));
    char *clblast = train_config(mlp, "mlp_gpu", gpu, NULL);
    ck_assert(!took(clblast, "sgd_fused") && !took(clblast, "dense_stack"));
    metrics_close(clblast, "the GPU path", on_cpu, "the CPU path", 1e-4);
    const char *own[] = {"--gemm", "own", NULL}, *own_unfused[] = {"--gemm", "own", "--fused-sgd",
                                                                   "0", NULL};
    char *gpu_own = train_config(mlp, "mlp_gpu_own", gpu, own);
    ck_assert(took(gpu_own, "sgd_fused") && !took(gpu_own, "dense_stack"));
    char *gpu_own_unfused = train_config(mlp, "mlp_gpu_own_unfused", gpu, own_unfused);
    ck_assert(!took(gpu_own_unfused, "sgd_fused"));
    same_bytes(gpu_own, gpu_own_unfused, "the GPU path's fused SGD");
    same_bytes(gpu_own, on_cpu, "the GPU path on clnet's GEMM against the CPU path");
}
END_TEST

/* `clnet summary --plan` on the forced GPU path and `train --verbose` print the plan. */
START_TEST(the_plan_is_printed)
{
    const char *argv[] = {"summary", config_path(mlp), "--plan", "--ops-path", "gpu", NULL};
    struct run_result *r = run_with(argv, NULL);
    ck_assert_msg(r->exit_code == 0, "summary --plan: exit %d\n%s", r->exit_code, r->err);
    harness_unwrap(r->out);
    const char *want[] = {
        "the GPU path (--ops-path / CLNET_OPS_PATH), GEMM CLBlast (the GPU path)\n",
        "  forward   layer 0 (dense 32 sigmoid): CLBlast sgemm, then bias_act_forward_2d",
        "  loss      loss_forward_backward: softmax, cross_entropy and dz in one launch",
        "  update    sgd_update over the whole parameter arena, one launch",
        "fused SGD (the update inside the dW GEMMs): off: it rides in clnet's own GEMM's "
        "epilogues and the GEMM is CLBlast (the GPU path)\n",
        "dense stack (an all-dense step in 3 launches): off: it rides in clnet's own",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(r->out, want[i]), "no '%s' in:\n%s", want[i], r->out);
    free(r);
    const char *cpu[] = {"CLNET_OPS_PATH=cpu", NULL};
    const char *train_argv[] = {"train", config_path(mlp), "--out", run_dir("mlp_verbose"),
                                "--verbose", NULL};
    r = run_with(train_argv, cpu);
    ck_assert_msg(r->exit_code == 0, "train --verbose: exit %d\n%s", r->exit_code, r->err);
    harness_unwrap(r->out);
    ck_assert_msg(strstr(r->out, "training step (after the batch's gather):\n"
                                 "  forward+loss+backward layers 0-1 (dense stack): "),
                  "%s", r->out);
    free(r);
}
END_TEST

int main(void)
{
    synth_setup();
    Suite *s = suite_create("gpu_path");
    TCase *tc = tcase_create("gpu_path");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, selfcheck_gpu_path_and_small_groups);
    tcase_add_test(tc, gpu_path_trains_as_cpu_path);
    tcase_add_test(tc, small_groups_change_no_bit);
    tcase_add_test(tc, gpu_path_fusions_from_the_plan);
    tcase_add_test(tc, the_plan_is_printed);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
