/* Hostile and careless input (issue 21), the integrity classes: files clnet wrote and reads
 * back (a checkpoint or model.safetensors with a flipped bit, a checkpoint of another config),
 * non-finite numbers in (weights files, inline weights, --inputs rows), a model's shapes
 * against the data (and `summary` refusing what train would), and metrics.csv read back by
 * `report`. Each case runs clnet in a folder of its own holding a copy of one small trained
 * run (trained once, in the fixture), and checks the exit code, one stderr line naming the
 * file, tensor or line, the time, and that nothing in its folder changed (or only the run it
 * was meant to write) and no temp file is left. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"
#include "hostile.h"

#define SECONDS 60.0 /* a case takes about a second; PoCL's first kernel build more */
#define MEM_MIB 8192 /* PoCL and its LLVM reserve address space freely */

static char *fixture; /* TMP/fixture/run: a completed 2-iteration run of hostile_config */

/* ---- files ---------------------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    for (size_t k; b && (k = fread(b + n, 1, cap - n, f)) > 0;)
        if ((n += k) == cap)
            b = realloc(b, cap *= 2);
    fclose(f);
    ck_assert_ptr_nonnull(b);
    *len = n;
    return b;
}

static void spill(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f && fwrite(data, 1, len, f) == len && fclose(f) == 0, "cannot write %s", path);
}

static char *join(const char *dir, const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return harness_keep(p);
}

/* A case's folder TMP/name holding run/, a copy of the fixture's run (every file, .lock
 * included, so that taking the lock again changes nothing). */
static char *case_dir(const char *name)
{
    char *dir = hostile_dir(name), *run = join(dir, "run");
    ck_assert_int_eq(mkdir(run, 0755), 0);
    DIR *d = opendir(fixture);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
            continue;
        size_t len;
        unsigned char *b = slurp(join(fixture, de->d_name), &len);
        spill(join(run, de->d_name), b, len);
        free(b);
    }
    closedir(d);
    return dir;
}

/* The offset of the first occurrence of text in the file (which must hold it). */
static size_t offset_of(const char *path, const char *text)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    unsigned char *at = memmem(b, len, text, strlen(text));
    ck_assert_msg(at, "%s holds no '%s'", path, text);
    size_t off = (size_t)(at - b);
    free(b);
    return off;
}

/* Overwrites n bytes at off (n = 0: flips the lowest bit of the byte there, which keeps a
 * digit a digit and a letter a letter: the header stays JSON, only the checksum can tell). */
static void patch(const char *path, size_t off, const void *bytes, size_t n)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    ck_assert_uint_lt(off + (n ? n : 1), len + 1);
    if (n)
        memcpy(b + off, bytes, n);
    else
        b[off] ^= 0x01;
    spill(path, b, len);
    free(b);
}

/* A safetensors file's data starts after its 8-byte length and header. */
static size_t data_start(const char *path)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--)
        h = h << 8 | b[i];
    free(b);
    return 8 + (size_t)h;
}

/* The file as another tool would write it: the checksum's key renamed, same length. */
static void strip_checksum(const char *path)
{
    patch(path, offset_of(path, "\"clnet_crc32\""), "\"torch_note0\"", 13);
}

/* ---- running -------------------------------------------------------------------------- */

/* Runs clnet in dir and asserts a refusal with code and one line holding words, nothing in
 * dir changed but run/.lock (the lock on the run directory, taken before anything is
 * examined, holds the pid of its holder) and no temp file left. */
static void refused(const char *dir, const char *const *argv, int code, const char *const *words)
{
    const char *lock[] = {"run/.lock", NULL};
    struct tree *before = tree_snapshot(dir);
    struct run_result r;
    hostile_run(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    hostile_assert_error(&r, code, words);
    ck_assert_msg(r.seconds < harness_time_limit(SECONDS), "took %.1f s", r.seconds);
    struct tree *after = tree_snapshot(dir);
    tree_assert_same(before, after, lock);
    assert_no_temp_files(dir);
    tree_free(before);
    tree_free(after);
}

/* Runs clnet in dir and asserts exit 0 with stderr lines containing note (NULL: none),
 * changes only under allowed (NULL-terminated) and no temp file left. */
static void accepted(const char *dir, const char *const *argv, const char *note,
                     const char *const *allowed, struct run_result *r)
{
    struct tree *before = tree_snapshot(dir);
    hostile_run(r, dir, argv, NULL, SECONDS, MEM_MIB);
    ck_assert_msg(r->signal == 0 && r->exit_code == 0, "exit %d signal %d: %s", r->exit_code,
                  r->signal, r->err);
    if (note)
        ck_assert_msg(count_lines(r->err) == 1 && strstr(r->err, note), "want one line with "
                      "'%s': %s", note, r->err);
    else
        ck_assert_msg(r->err[0] == '\0', "stderr: %s", r->err);
    struct tree *after = tree_snapshot(dir);
    tree_assert_same(before, after, allowed);
    assert_no_temp_files(dir);
    tree_free(before);
    tree_free(after);
}

static void train_fixture(void)
{
    hostile_setup();
    char *dir = hostile_dir("fixture");
    char *config = hostile_config(dir, "c.yaml", "fix", NULL);
    fixture = join(dir, "run");
    const char *argv[] = {"train", config, "--out", fixture, "-q", NULL};
    struct run_result r;
    hostile_run(&r, dir, argv, NULL, 120, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "the fixture's run failed: %s", r.err);
}

/* The fixture's config, for a case's run/ (same data, same model). */
static const char *run_config(const char *dir)
{
    return join(dir, "run/config.yaml");
}

/* ---- 4. what clnet wrote, read back ----------------------------------------------------- */

/* A flipped bit in a checkpoint's data, in its iteration, in its config hash: each used to
 * resume (or, for the hash, to be blamed on config.yaml); now each is damage, named with the
 * way to start over. */
static void damaged_checkpoint(const char *name, const char *at, size_t extra)
{
    char *dir = case_dir(name), *ck = join(dir, "run/checkpoint.bin");
    size_t off = at ? offset_of(ck, at) + strlen(at) + extra : data_start(ck) + extra;
    patch(ck, off, NULL, 0);
    const char *argv[] = {"train", run_config(dir), "--out", "run", NULL};
    const char *words[] = {"run/checkpoint.bin", "damaged", "--restart", NULL};
    refused(dir, argv, 2, words);
}

START_TEST(ckpt_flipped_data)
{
    damaged_checkpoint("ckpt_flipped_data", NULL, 41);
}
END_TEST

START_TEST(ckpt_flipped_iteration)
{
    damaged_checkpoint("ckpt_flipped_iteration", "\"iteration\":\"", 0);
}
END_TEST

START_TEST(ckpt_flipped_config_hash)
{
    damaged_checkpoint("ckpt_flipped_config_hash", "\"config_hash\":\"", 3);
}
END_TEST

START_TEST(ckpt_flipped_checksum)
{
    damaged_checkpoint("ckpt_flipped_checksum", "\"clnet_crc32\":\"", 5);
}
END_TEST

START_TEST(ckpt_truncated)
{
    char *dir = case_dir("ckpt_truncated"), *ck = join(dir, "run/checkpoint.bin");
    size_t len;
    unsigned char *b = slurp(ck, &len);
    spill(ck, b, len - 100);
    free(b);
    const char *argv[] = {"train", run_config(dir), "--out", "run", NULL};
    const char *words[] = {"run/checkpoint.bin", "truncated", "--restart", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* The current format without its checksum: the key's name damaged, or removed. */
START_TEST(ckpt_checksum_missing)
{
    char *dir = case_dir("ckpt_checksum_missing"), *ck = join(dir, "run/checkpoint.bin");
    strip_checksum(ck);
    const char *argv[] = {"train", run_config(dir), "--out", "run", NULL};
    const char *words[] = {"run/checkpoint.bin", "without its checksum", "--restart", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* A checkpoint of an older clnet (format 1, no checksum) resumes, with a note that says so. */
START_TEST(ckpt_format1_resumes_with_note)
{
    char *dir = case_dir("ckpt_format1"), *ck = join(dir, "run/checkpoint.bin");
    strip_checksum(ck);
    patch(ck, offset_of(ck, "clnet-checkpoint-2"), "clnet-checkpoint-1", 18);
    ck_assert_int_eq(unlink(join(dir, "run/summary.json")), 0); /* not completed: resume */
    const char *argv[] = {"train", run_config(dir), "--out", "run", NULL}; /* -q: no note */
    const char *allowed[] = {"run", NULL};
    struct run_result r;
    accepted(dir, argv, "before checkpoints carried a checksum", allowed, &r);
    ck_assert_msg(strstr(r.err, "run/checkpoint.bin"), "%s", r.err);
}
END_TEST

/* --restart, the way out the refusal names, trains again. */
START_TEST(ckpt_damaged_restart_trains)
{
    char *dir = case_dir("ckpt_restart"), *ck = join(dir, "run/checkpoint.bin");
    patch(ck, data_start(ck) + 17, NULL, 0);
    const char *argv[] = {"train", run_config(dir), "--out", "run", "--restart", "-q", NULL};
    const char *allowed[] = {"run", NULL};
    struct run_result r;
    accepted(dir, argv, NULL, allowed, &r);
}
END_TEST

/* A checkpoint copied in from a run of another config: the keys that differ are named (the
 * message used to say config.yaml was missing or unreadable, with config.yaml there). */
START_TEST(ckpt_of_other_config)
{
    char *dir = hostile_dir("ckpt_other_config");
    char *config = hostile_config(dir, "other.yaml", "other", "init: {weights: zeros}\n");
    const char *first[] = {"train", config, "--out", "run", "-q", NULL};
    const char *allowed[] = {"run", NULL};
    struct run_result r;
    accepted(dir, first, NULL, allowed, &r);
    size_t len;
    unsigned char *b = slurp(join(fixture, "checkpoint.bin"), &len);
    spill(join(dir, "run/checkpoint.bin"), b, len);
    free(b);
    ck_assert_int_eq(unlink(join(dir, "run/summary.json")), 0);
    const char *argv[] = {"train", config, "--out", "run", NULL};
    const char *words[] = {"run: holds a checkpoint of a different config", "name (fix -> other)",
                           "init.weights", "--restart", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

START_TEST(model_flipped_eval)
{
    char *dir = case_dir("model_flipped_eval"), *m = join(dir, "run/model.safetensors");
    patch(m, data_start(m) + 101, NULL, 0);
    const char *argv[] = {"eval", "run", NULL};
    const char *words[] = {"run/model.safetensors", "damaged", "--restart", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

START_TEST(model_flipped_header_eval)
{
    char *dir = case_dir("model_flipped_header"), *m = join(dir, "run/model.safetensors");
    patch(m, offset_of(m, "\"producer\":\"clnet ") + 13, NULL, 0);
    const char *argv[] = {"eval", "run", NULL};
    const char *words[] = {"run/model.safetensors", "damaged", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* clnet's weights, damaged, as another run's init: {file:}. */
START_TEST(model_flipped_init_file)
{
    char *dir = case_dir("model_flipped_init"), *m = join(dir, "run/model.safetensors");
    patch(m, data_start(m) + 6, NULL, 0);
    char *config = hostile_config(dir, "c.yaml", "from_file",
                                  "init:\n  weights: {file: run/model.safetensors}\n"
                                  "  biases: {file: run/model.safetensors}\n");
    const char *argv[] = {"train", config, "--out", "out", NULL};
    const char *words[] = {"run/model.safetensors", "damaged", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* Weights without a checksum (PyTorch's safetensors, an older clnet's) still load. */
START_TEST(weights_without_checksum_load)
{
    char *dir = case_dir("weights_no_checksum"), *m = join(dir, "run/model.safetensors");
    strip_checksum(m);
    char *config = hostile_config(dir, "c.yaml", "from_file",
                                  "init:\n  weights: {file: run/model.safetensors}\n"
                                  "  biases: {file: run/model.safetensors}\n");
    const char *argv[] = {"train", config, "--out", "out", "-q", NULL};
    const char *allowed[] = {"out", NULL};
    struct run_result r;
    accepted(dir, argv, NULL, allowed, &r);
    const char *eval[] = {"eval", "run", NULL};
    accepted(dir, eval, NULL, NULL, &r);
    ck_assert_msg(strstr(r.out, "test accuracy"), "%s", r.out);
}
END_TEST

/* ---- 5. non-finite numbers in ----------------------------------------------------------- */

/* The fixture's weights as another tool's file (no checksum) with value bits at a tensor's
 * element; trained from, they are refused naming the file and the tensor. */
static void nonfinite_init(const char *name, size_t element, uint32_t bits, const char *tensor,
                           const char *what)
{
    char *dir = case_dir(name), *m = join(dir, "run/model.safetensors");
    strip_checksum(m);
    size_t len;
    free(slurp(m, &len));
    size_t off = element == SIZE_MAX ? len - 4 : data_start(m) + 4 * element;
    patch(m, off, &bits, 4);
    char *config = hostile_config(dir, "c.yaml", "from_file",
                                  "init:\n  weights: {file: run/model.safetensors}\n"
                                  "  biases: {file: run/model.safetensors}\n");
    const char *argv[] = {"train", config, "--out", "out", NULL};
    const char *words[] = {"run/model.safetensors", tensor, what, NULL};
    refused(dir, argv, 2, words);
}

START_TEST(init_file_nan)
{
    nonfinite_init("init_file_nan", 5, 0x7fc00000u, "'layers.0.weight'", "NaN at element 5");
}
END_TEST

START_TEST(init_file_minus_inf)
{
    nonfinite_init("init_file_minus_inf", SIZE_MAX, 0xff800000u, "'layers.1.bias'", "-inf");
}
END_TEST

/* eval of a run whose (unchecked) weights hold +inf: it used to print `test loss nan`. */
START_TEST(eval_weights_inf)
{
    char *dir = case_dir("eval_weights_inf"), *m = join(dir, "run/model.safetensors");
    strip_checksum(m);
    uint32_t inf = 0x7f800000u;
    patch(m, data_start(m) + 4 * 100, &inf, 4);
    const char *argv[] = {"eval", "run", NULL};
    const char *words[] = {"run/model.safetensors", "'layers.0.weight'", "+inf", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* A hand-set model (question 1's kind) with an inline weight that is not a finite float. */
static void inline_weight(const char *name, const char *value, const char *what)
{
    char *dir = hostile_dir(name), *text = NULL;
    ck_assert_int_ge(asprintf(&text, "model:\n  input: [2]\n  layers:\n    - dense:\n"
                              "        units: 1\n        weights: [[1, %s]]\n"
                              "        bias: [0]\n", value), 0);
    hostile_file(dir, "q.yaml", text);
    free(text);
    hostile_file(dir, "in.csv", "0.5,0.25\n");
    const char *argv[] = {"eval", "q.yaml", "--inputs", "in.csv", NULL};
    const char *words[] = {"q.yaml:6:", what, NULL};
    refused(dir, argv, 2, words);
}

START_TEST(inline_weight_nan)
{
    inline_weight("inline_weight_nan", ".nan", "expected a number");
}
END_TEST

START_TEST(inline_weight_inf)
{
    inline_weight("inline_weight_inf", "-1e400", "finite");
}
END_TEST

START_TEST(inline_weight_past_float)
{
    inline_weight("inline_weight_past_float", "1e39", "32-bit float");
}
END_TEST

/* A file of --inputs rows for the fixture's model (784 values a row), row 3 holding bad at
 * column 7. */
static char *inputs_file(const char *dir, const char *bad)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int r = 1; r <= 4; r++)
        for (int c = 1; c <= 784; c++)
            fprintf(f, "%s%s", r == 3 && c == 7 ? bad : "0.5", c < 784 ? "," : "\n");
    fclose(f);
    char *path = hostile_file(dir, "in.csv", text);
    free(text);
    return path;
}

static void bad_input(const char *name, const char *bad)
{
    char *dir = case_dir(name);
    inputs_file(dir, bad);
    const char *argv[] = {"eval", "run", "--inputs", "in.csv", NULL};
    char quoted[64];
    snprintf(quoted, sizeof quoted, "'%s'", bad);
    const char *words[] = {"in.csv:3: column 7", quoted, "not a finite", NULL};
    refused(dir, argv, 2, words);
}

START_TEST(inputs_nan)
{
    bad_input("inputs_nan", "nan");
}
END_TEST

START_TEST(inputs_minus_inf)
{
    bad_input("inputs_minus_inf", "-inf");
}
END_TEST

START_TEST(inputs_past_float)
{
    bad_input("inputs_past_float", "3.5e38");
}
END_TEST

/* Unscaled pixels: a warning, once, and the outputs all the same. */
START_TEST(inputs_out_of_scale_warns_once)
{
    char *dir = case_dir("inputs_scale");
    inputs_file(dir, "255");
    const char *argv[] = {"eval", "run", "--inputs", "in.csv", NULL};
    struct run_result r;
    accepted(dir, argv, "in.csv:3: column 7: 255 is outside [0, 1]", NULL, &r);
    ck_assert_int_eq(count_lines(r.out), 5); /* the header and 4 rows */
    ck_assert_msg(strncmp(r.out, "row,class,", 10) == 0, "no header: %.40s", r.out);
}
END_TEST

/* ---- 6. shapes against the data --------------------------------------------------------- */

static const char cnn_model[] = "model:\n  input: [%s]\n  layers:\n"
                                "    - conv2d: {filters: 2, size: 3}\n    - flatten\n"
                                "    - dense: {units: %d}\n";

/* A small CNN config in dir (hostile_config's data and training, this model). */
static char *cnn_config(const char *dir, const char *input, int units)
{
    char *text = NULL, *config = hostile_config(dir, "base.yaml", NULL, NULL);
    ck_assert_int_ge(asprintf(&text, "base: base.yaml\nname: cnn\n"), 0);
    char *model = NULL;
    ck_assert_int_ge(asprintf(&model, cnn_model, input, units), 0);
    char *all = NULL;
    ck_assert_int_ge(asprintf(&all, "%s%s", text, model), 0);
    char *path = hostile_file(dir, "cnn.yaml", all);
    free(text), free(model), free(all);
    (void)config;
    return path;
}

/* 14x56 has the 784 values of a 28x28 image: it used to train on rearranged pixels. */
START_TEST(input_shape_not_the_images)
{
    char *dir = hostile_dir("input_14x56");
    const char *argv[] = {"train", cnn_config(dir, "1, 14, 56", 10), "--out", "run", NULL};
    const char *words[] = {"cnn.yaml", "model.input is (1, 14, 56)", "28x28", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

START_TEST(input_two_channels)
{
    char *dir = hostile_dir("input_2ch");
    const char *argv[] = {"train", cnn_config(dir, "2, 28, 14", 10), "--out", "run", NULL};
    const char *words[] = {"model.input is (2, 28, 14)", "[1, 28, 28]", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* [1, 28, 28] and (the fixture) [784] are the image as it is. */
START_TEST(input_shape_of_the_images_trains)
{
    char *dir = hostile_dir("input_1x28x28");
    const char *argv[] = {"train", cnn_config(dir, "1, 28, 28", 10), "--out", "run", "-q", NULL};
    const char *allowed[] = {"run", NULL};
    struct run_result r;
    accepted(dir, argv, NULL, allowed, &r);
}
END_TEST

/* summary refuses, without the data, the last layer train refuses: the same line. */
START_TEST(summary_refuses_wrong_classes)
{
    char *dir = hostile_dir("summary_classes");
    char *config = cnn_config(dir, "1, 28, 28", 11);
    const char *summary[] = {"summary", config, NULL};
    const char *words[] = {"cnn.yaml:", "one score per class (10 for MNIST); it gives (11)",
                           NULL};
    refused(dir, summary, 2, words);
    const char *train[] = {"train", config, "--out", "run", NULL};
    refused(dir, train, 2, words);
}
END_TEST

START_TEST(summary_refuses_too_few_classes)
{
    char *dir = hostile_dir("summary_few_classes");
    const char *argv[] = {"summary", cnn_config(dir, "1, 28, 28", 9), NULL};
    const char *words[] = {"it gives (9)", NULL};
    refused(dir, argv, 2, words);
}
END_TEST

/* A hand-set model (no train:) is for eval --inputs: any width. */
START_TEST(summary_hand_set_model_any_width)
{
    char *dir = hostile_dir("summary_hand_set");
    hostile_file(dir, "q.yaml", "model:\n  input: [2]\n  layers:\n    - dense:\n"
                 "        units: 1\n        weights: [[1, 2]]\n        bias: [0]\n");
    const char *argv[] = {"summary", "q.yaml", NULL};
    struct run_result r;
    accepted(dir, argv, NULL, NULL, &r);
}
END_TEST

/* ---- 9. metrics read back --------------------------------------------------------------- */

static const char header[] = "iteration,lr,train_loss,train_acc,test_loss,test_acc\n";

static void bad_metrics(const char *name, const char *rows, const char *const *words)
{
    char *dir = case_dir(name), *text = NULL;
    ck_assert_int_ge(asprintf(&text, "%s%s", header, rows), 0);
    hostile_file(join(dir, "run"), "metrics.csv", text);
    free(text);
    const char *argv[] = {"report", "run", NULL};
    refused(dir, argv, 2, words);
}

START_TEST(metrics_iterations_go_back)
{
    const char *words[] = {"run/metrics.csv:4:", "iteration 2 after 4", NULL};
    bad_metrics("metrics_back", "2,0.5,2.3,0.1,2.3,0.1\n4,0.5,2.2,0.2,2.2,0.2\n"
                "2,0.5,2.1,0.3,2.1,0.3\n", words);
}
END_TEST

START_TEST(metrics_iteration_repeated)
{
    const char *words[] = {"run/metrics.csv:3:", "must increase", NULL};
    bad_metrics("metrics_repeat", "2,0.5,2.3,0.1,2.3,0.1\n2,0.5,2.3,0.1,2.3,0.1\n", words);
}
END_TEST

START_TEST(metrics_nan_accuracy)
{
    const char *words[] = {"run/metrics.csv:3:", "column 6 (test_acc)", NULL};
    bad_metrics("metrics_nan_acc", "2,0.5,2.3,0.1,2.3,0.1\n4,0.5,2.2,0.2,2.2,nan\n", words);
}
END_TEST

START_TEST(metrics_inf_lr)
{
    const char *words[] = {"run/metrics.csv:2:", "column 2 (lr)", NULL};
    bad_metrics("metrics_inf_lr", "2,inf,2.3,0.1,2.3,0.1\n", words);
}
END_TEST

/* A set's loss that overflowed is what clnet writes: reported, plots drawn. */
START_TEST(metrics_nonfinite_loss_reported)
{
    char *dir = case_dir("metrics_loss_inf");
    hostile_file(join(dir, "run"), "metrics.csv",
                 "iteration,lr,train_loss,train_acc,test_loss,test_acc\n"
                 "2,0.5,2.3,0.1,inf,0.1\n4,0.5,2.2,0.2,nan,0.2\n");
    const char *argv[] = {"report", "run", NULL};
    const char *allowed[] = {"run", NULL};
    struct run_result r;
    accepted(dir, argv, NULL, allowed, &r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile_integrity");
    TCase *tc = tcase_create("integrity");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, train_fixture, NULL);
    TTest const *cases[] = {
        ckpt_flipped_data, ckpt_flipped_iteration, ckpt_flipped_config_hash,
        ckpt_flipped_checksum, ckpt_truncated, ckpt_checksum_missing,
        ckpt_format1_resumes_with_note, ckpt_damaged_restart_trains, ckpt_of_other_config,
        model_flipped_eval, model_flipped_header_eval, model_flipped_init_file,
        weights_without_checksum_load, init_file_nan, init_file_minus_inf, eval_weights_inf,
        inline_weight_nan, inline_weight_inf, inline_weight_past_float, inputs_nan,
        inputs_minus_inf, inputs_past_float, inputs_out_of_scale_warns_once,
        input_shape_not_the_images, input_two_channels, input_shape_of_the_images_trains,
        summary_refuses_wrong_classes, summary_refuses_too_few_classes,
        summary_hand_set_model_any_width, metrics_iterations_go_back,
        metrics_iteration_repeated, metrics_nan_accuracy, metrics_inf_lr,
        metrics_nonfinite_loss_reported,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tcase_add_test(tc, cases[i]);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
