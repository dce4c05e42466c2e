/* End to end, the predictions figure of a reconstruction model (question 3's shape: a sigmoid
 * bottleneck, y = x + W2 h + b2, mse against the clean image plus a linear term on h, the
 * input noised) on the synthetic data set (tests/train/synth.c): the run writes
 * predictions.safetensors, not predictions.csv; its target rows are the clean test images
 * at its indices and its input rows those images with noise; predictions.png shows three
 * pictures on each image's row; `clnet report` draws it again from the file alone. A
 * classifier's run writes no predictions.safetensors. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../train/synth.h"
#include "data/idx.h"
#include "harness.h"
#include "model/safetensors.h"
#include "recon_png.h"

#define RECON                                                                                  \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 8, activation: sigmoid, name: h}\n"                                  \
    "    - dense: {units: 784, name: w2h}\n"                                                   \
    "    - add: {from: [input, w2h], name: y}\n"                                               \
    "train:\n"                                                                                 \
    "  iterations: 8\n"                                                                        \
    "  batch_size: 16\n"                                                                       \
    "  loss:\n"                                                                                \
    "    - mse: {on: y, target: clean, name: S}\n"                                             \
    "    - linear: {on: h, r: 0.01, name: R}\n"                                                \
    "  optimizer: {adam: {lr: 0.003}}\n"                                                       \
    "  eval_every: 4\n"                                                                        \
    "  eval_batch_size: 50\n"

/* predictions.png: three pictures on each of the n rows (recon_png.h). */
static void assert_three_per_row(const char *dir, int n)
{
    char *path = path_in(dir, "predictions.png");
    assert_recon_png(path, n);
    free(path);
}

/* predictions.safetensors: n distinct test images; target = the clean image (byte / 255),
 * input = it plus noise (not equal, within 10 sigma); returns n. */
static int check_file(const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", synth_data_dir);
    struct idx_array images;
    ck_assert(idx_read(&images, path) == 0);
    char *file = path_in(dir, "predictions.safetensors");
    struct safetensors st;
    ck_assert_msg(safetensors_read(&st, file) == 0, "%s", file);
    const struct st_entry *index = safetensors_find(&st, "index");
    const struct st_entry *in = safetensors_find(&st, "input");
    const struct st_entry *target = safetensors_find(&st, "target");
    ck_assert(index && in && target && safetensors_find(&st, "output"));
    int n = (int)index->count;
    ck_assert_int_eq(n, PLOT_RECON_MAX);
    ck_assert(in->rank == 3 && in->shape[0] == n && in->shape[1] == 28 && in->shape[2] == 28);
    ck_assert_str_eq(safetensors_meta(&st, "target"), "clean");
    const int32_t *ix = index->data;
    const float *x = in->data, *s = target->data;
    int differ = 0;
    for (int i = 0; i < n; i++) {
        ck_assert(ix[i] >= 0 && ix[i] < images.dims[0]);
        for (int j = 0; j < i; j++)
            ck_assert_msg(ix[j] != ix[i], "image %d twice", ix[i]);
        for (int f = 0; f < 784; f++) {
            float clean = (float)images.data[(size_t)ix[i] * 784 + f] / 255.0f;
            size_t k = (size_t)i * 784 + f;
            ck_assert_msg(s[k] == clean, "target row %d pixel %d: %g, image %g", i, f, s[k],
                          clean);
            ck_assert(x[k] > clean - 3.0f && x[k] < clean + 3.0f);
            differ += x[k] != clean;
        }
    }
    ck_assert_msg(differ > n * 784 * 9 / 10, "only %d of %d pixels noised", differ, n * 784);
    safetensors_free(&st);
    idx_free(&images);
    free(file);
    return n;
}

START_TEST(test_reconstruction_figure)
{
    char *config = write_config("recon.yaml", RECON);
    char *dir = run_dir("recon");
    const char *sets[] = {"data.noise.gaussian=0.3", NULL}; /* write_config writes data: */
    struct run_result *r = train(config, dir, sets);
    free(completed_summary(r, dir));
    free(r);
    char *csv = path_in(dir, "predictions.csv");
    ck_assert_msg(!exists(csv), "a reconstruction model got predictions.csv");
    int n = check_file(dir);
    assert_three_per_row(dir, n);

    /* Drawn again from predictions.safetensors alone. */
    char *png = path_in(dir, "predictions.png");
    ck_assert(unlink(png) == 0);
    const char *argv[] = {"report", dir, NULL};
    r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "clnet report: exit %d: %s", r->exit_code, r->err);
    free(r);
    assert_three_per_row(dir, n);

    /* A predictions.safetensors without the pictures: one line naming it, exit 2. */
    char *st = path_in(dir, "predictions.safetensors");
    int32_t ix[2] = {0, 1};
    struct st_tensor t = {"index", "I32", 1, {2}, ix, sizeof ix};
    ck_assert_int_eq(safetensors_write(st, &t, 1, NULL), 0);
    r = malloc(sizeof *r);
    clnet(r, argv);
    const char *nl = strchr(r->err, '\n');
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, "predictions.safetensors") &&
                      strstr(r->err, "input, target and output") && nl && !nl[1],
                  "clnet report on a bad file: exit %d: %s", r->exit_code, r->err);
    free(r);
    free(st);
    free(png);
    free(csv);
    free(dir);
    free(config);
}
END_TEST

START_TEST(test_classifier_no_reconstruction)
{
    char *config = write_config("cls.yaml", "model:\n  input: [784]\n  layers:\n"
                                            "    - dense: {units: 10}\n"
                                            "train: {iterations: 2, batch_size: 16, "
                                            "eval_every: 2, eval_batch_size: 50}\n");
    char *dir = run_dir("cls");
    struct run_result *r = train(config, dir, NULL);
    free(completed_summary(r, dir));
    free(r);
    char *st = path_in(dir, "predictions.safetensors"), *csv = path_in(dir, "predictions.csv");
    ck_assert(!exists(st) && exists(csv));
    free(st);
    free(csv);
    free(dir);
    free(config);
}
END_TEST

static Suite *recon_suite(void)
{
    Suite *s = suite_create("report_recon");
    TCase *tc = tcase_create("report_recon");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_reconstruction_figure);
    tcase_add_test(tc, test_classifier_no_reconstruction);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    harness_skip_without_plots("report_recon");
    synth_setup();
    return harness_run(recon_suite(), true);
}
