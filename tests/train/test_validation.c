/* A validation split and the best model, early stopping, and reruns, through the clnet binary
 * on synth.c's set (600 training images, 200 test): the split's columns, epochs and summary
 * fields (issue 29's numbers for a split and an odd batch), best.safetensors against `clnet
 * eval`, the evaluation at iteration 0, early stopping (and what it keeps across a resume), a
 * finished run continued to more iterations byte-identical to one run of the larger count,
 * and a changed config trained into runs/NAME-2 with the old run untouched. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "synth.h"

/* 100 of the 600 training images held out (--set, as the header holds data:): 500 train, and
 * a batch of 37 does not divide them. */
#define SPLIT_RUN                                                                              \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 32, activation: relu}\n"                                             \
    "    - dense: {units: 10}\n"                                                               \
    "init: {weights: {normal: {std: 0.1}}}\n"                                                  \
    "train:\n"                                                                                 \
    "  iterations: 60\n"                                                                       \
    "  batch_size: 37\n"                                                                       \
    "  optimizer: {adam: {lr: 0.003}}\n"                                                       \
    "  eval_every: 10\n"                                                                       \
    "  eval_batch_size: 100\n"                                                                 \
    "  checkpoint_every: 20\n"

#define VAL_SET "data.validation=100"

/* The rows of metrics.csv after its header (malloc'd lines), and the header. */
struct rows {
    char header[256];
    char *line[256];
    int n;
};

static void read_rows(struct rows *r, const char *dir)
{
    char *text = read_in(dir, "metrics.csv", NULL);
    ck_assert_msg(text, "%s/metrics.csv is missing", dir);
    memset(r, 0, sizeof *r);
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!r->header[0])
            snprintf(r->header, sizeof r->header, "%s", l);
        else if (r->n < 256)
            r->line[r->n++] = strdup(l);
    }
    free(text);
}

/* Column c (0-based) of a row, as a number. */
static double column(const char *line, int c)
{
    const char *p = line;
    for (int i = 0; i < c && p; i++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    ck_assert_msg(p, "no column %d in %s", c, line);
    return strtod(p, NULL);
}

static void free_rows(struct rows *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->line[i]);
}

/* ---- the split, its numbers and the best model -------------------------------------------- */

/* Issue 29's numbers with a split and an odd batch: 500 images / 37 = 13.51 iterations an
 * epoch; iteration 14 takes the last 19 images of epoch 1 and the first 18 of epoch 2. */
START_TEST(test_split_epochs)
{
    char *config = write_config("split_epochs.yaml", SPLIT_RUN);
    struct run_result r;
    const char *argv[] = {"summary", config, "--set", VAL_SET, NULL};
    clnet(&r, argv);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    static const char *const want[] = {
        "100 held out for validation (data.validation), 500 train",
        "500 images / 37 = 13.51 iterations per epoch; 60 iterations = 4.44 epochs",
        "iteration 14 is the first batch across an epoch's end",
        "the last 19 images of epoch 1 and the first 18 of epoch 2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(r.out, want[i]), "want '%s' in: %s", want[i], r.out);
    const char *all[] = {"summary", config, "--set", "data.validation=600", NULL};
    clnet(&r, all);
    ck_assert_msg(r.exit_code == 2 && strstr(r.err, "data.validation 600 leaves no image") &&
                      count_lines(r.err) == 1, "exit %d: %s", r.exit_code, r.err);
}
END_TEST

START_TEST(test_split_run)
{
    char *config = write_config("split.yaml", SPLIT_RUN);
    char *dir = run_dir("split");
    const char *sets[] = {VAL_SET, NULL};
    struct run_result *r = train(config, dir, sets);
    char *summary = completed_summary(r, dir);
    struct rows m;
    read_rows(&m, dir);
    ck_assert_str_eq(m.header, "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc,"
                               "val_loss,val_acc");
    /* row 0: the initial weights, before any step: no mini-batch */
    ck_assert_msg(m.n == 7 && strncmp(m.line[0], "0,0.0000,0.003,nan,nan,", 23) == 0,
                  "%d rows, first %s", m.n, m.line[0]);
    /* epochs of the 500 images left: 20 x 37 / 500 = 1.48, 60 x 37 / 500 = 4.44 */
    ck_assert_msg(strncmp(m.line[2], "20,1.4800,", 10) == 0, "%s", m.line[2]);
    ck_assert_msg(strncmp(m.line[6], "60,4.4400,", 10) == 0, "%s", m.line[6]);
    ck_assert(json_number(summary, "epochs") == 4.44 &&
              json_number(summary, "train_images") == 500);
    /* best: the first row of the highest val_acc; final: the last row */
    int best = 0;
    for (int i = 1; i < m.n; i++)
        if (column(m.line[i], 8) > column(m.line[best], 8))
            best = i;
    ck_assert_msg(json_has_string(summary, "best_on", "val_acc") &&
                      json_number(summary, "validation_images") == 100 &&
                      json_number(summary, "best_iteration") == column(m.line[best], 0) &&
                      json_number(summary, "best_val_accuracy") == column(m.line[best], 8) &&
                      json_number(summary, "best_test_accuracy") == column(m.line[best], 6) &&
                      json_number(summary, "final_val_accuracy") == column(m.line[6], 8) &&
                      json_number(summary, "final_test_accuracy") == column(m.line[6], 6) &&
                      strstr(summary, "\"stopped_early_at\": null"),
                  "best row %d (%s); %s", best, m.line[best], summary);
    /* best.safetensors holds the best evaluation's weights: clnet eval gives its test accuracy */
    char *weights = path_in(dir, "best.safetensors"), *resolved = path_in(dir, "config.yaml");
    char w[4400], b[4400], want[64];
    snprintf(w, sizeof w, "init.weights.file=%s", weights);
    snprintf(b, sizeof b, "init.biases.file=%s", weights);
    const char *argv[] = {"eval", resolved, "--set", w, "--set", b, NULL};
    clnet(r, argv);
    snprintf(want, sizeof want, "test accuracy %.4f", json_number(summary, "best_test_accuracy"));
    ck_assert_msg(r->exit_code == 0 && strstr(r->out, want), "want '%s': exit %d: %s%s", want,
                  r->exit_code, r->out, r->err);
    free_rows(&m);
    free(summary);
    free(r);
}
END_TEST

/* Without a split: the columns of before, row 0 added; best on the test set, kept too. */
START_TEST(test_no_split_run)
{
    char *config = write_config("nosplit.yaml", SPLIT_RUN);
    char *dir = run_dir("nosplit");
    struct run_result *r = train(config, dir, NULL);
    char *summary = completed_summary(r, dir);
    struct rows m;
    read_rows(&m, dir);
    ck_assert_str_eq(m.header, "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc");
    ck_assert_msg(strncmp(m.line[0], "0,0.0000,", 9) == 0, "%s", m.line[0]);
    ck_assert_msg(json_has_string(summary, "best_on", "test_acc") &&
                      !strstr(summary, "validation_images") &&
                      exists(path_in(dir, "best.safetensors")) &&
                      json_number(summary, "train_images") == 600,
                  "%s", summary);
    free_rows(&m);
    free(summary);
    free(r);
}
END_TEST

START_TEST(test_early_stopping_needs_a_split)
{
    char *config = write_config("es_nosplit.yaml", SPLIT_RUN);
    struct run_result r;
    const char *argv[] = {"config", config, "--set", "train.early_stopping.patience=2", NULL};
    clnet(&r, argv);
    ck_assert_msg(r.exit_code == 2 && strstr(r.err, "train.early_stopping watches a validation "
                                                    "set, and data.validation is 0") &&
                      count_lines(r.err) == 1, "exit %d: %s", r.exit_code, r.err);
}
END_TEST

/* ---- early stopping ----------------------------------------------------------------------- */

/* An evaluation every 5 steps of 400, patience 2: the synthetic set is learnt long before. */
static const char *const es_sets[] = {VAL_SET, "train.iterations=400", "train.eval_every=5",
                                      "train.early_stopping.patience=2", NULL};

/* `clnet eval DIR --weights best|final` (and no flag: final) give summary.json's best and final
 * test loss of a run whose best evaluation is not its last; --weights on a config or with
 * another word is one usage line, exit 2. */
static void assert_eval_weights(struct run_result *r, const char *dir, const char *summary)
{
    static const char *const which[] = {"best", "final", NULL};
    const char *keys[] = {"best_test_loss", "final_test_loss", "final_test_loss"};
    char want[3][64];
    for (int i = 0; i < 3; i++) {
        snprintf(want[i], sizeof want[i], "test loss %.6f", json_number(summary, keys[i]));
        const char *argv[] = {"eval", dir, "--weights", which[i], NULL};
        if (!which[i])
            argv[2] = NULL;
        clnet(r, argv);
        ck_assert_msg(r->exit_code == 0 && strstr(r->out, want[i]) &&
                          strstr(r->out, i == 0 ? "best.safetensors" : "model.safetensors"),
                      "eval --weights %s: want '%s': exit %d: %s%s", which[i] ? which[i] : "-",
                      want[i], r->exit_code, r->out, r->err);
    }
    ck_assert_msg(strcmp(want[0], want[1]) != 0, "best and final weights give the same %s: "
                  "the run does not tell them apart", want[0]);
    char *config = path_in(dir, "config.yaml");
    const char *bad[][5] = {{"eval", dir, "--weights", "middle", NULL},
                            {"eval", config, "--weights", "best", NULL}};
    for (int i = 0; i < 2; i++) {
        clnet(r, bad[i]);
        ck_assert_msg(r->exit_code == 2 && strstr(r->err, "--weights") &&
                          count_lines(r->err) == 1,
                      "%s: exit %d: %s", bad[i][3], r->exit_code, r->err);
    }
    free(config);
}

START_TEST(test_early_stopping)
{
    char *config = write_config("es.yaml", SPLIT_RUN);
    char *dir = run_dir("es"), *part = run_dir("es_part");
    struct run_result *r = train(config, dir, es_sets);
    char *summary = completed_summary(r, dir);
    double at = json_number(summary, "stopped_early_at"), best = json_number(summary,
                                                                            "best_iteration");
    ck_assert_msg(at > 0 && at < 400 && at == best + 2 * 5 &&
                      json_number(summary, "iterations") == at,
                  "stopped at %g, best %g: %s", at, best, summary);
    ck_assert_msg(strstr(r->out, "stopped early at iteration"), "%s", r->out);
    struct rows m;
    read_rows(&m, dir);
    ck_assert_msg(column(m.line[m.n - 1], 0) == at, "last row %s", m.line[m.n - 1]);
    /* done: trained again, even for more iterations, it stays where it stopped */
    const char *more[] = {VAL_SET, "train.iterations=800", "train.eval_every=5",
                          "train.early_stopping.patience=2", NULL};
    /* as a run killed while writing index.html after summary.json said completed leaves it */
    char *page = path_in(dir, "index.html");
    harness_write(dir, "index.html.tmp.Ab12Cd", "partial");
    ck_assert_int_eq(unlink(page), 0);
    for (int i = 0; i < 2; i++) {
        free(r);
        r = train(config, dir, i ? more : es_sets);
        ck_assert_msg(r->exit_code == 0 && strstr(r->out, "already completed"), "%d: %s %s", i,
                      r->out, r->err);
    }
    ck_assert_msg(exists(page) && !exists(path_in(dir, "index.html.tmp.Ab12Cd")),
                  "a completed run's folder keeps a temporary file or lacks its page");
    /* What best and early stopping keep survives a checkpoint: a run of fewer iterations that
     * ends one evaluation after the best, continued, stops at the same place with the same
     * bytes (it counts the evaluation before its checkpoint). */
    char k[48];
    snprintf(k, sizeof k, "train.iterations=%ld", (long)best + 5);
    const char *first[] = {VAL_SET, k, "train.eval_every=5", "train.early_stopping.patience=2",
                           NULL};
    free(r);
    r = train(config, part, first);
    free(completed_summary(r, part));
    free(r);
    r = train(config, part, es_sets);
    free(completed_summary(r, part));
    static const char *const same[] = {"metrics.csv", "model.safetensors", "best.safetensors"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        ck_assert_msg(same_file(dir, part, same[i]), "%s differs", same[i]);
    assert_eval_weights(r, dir, summary);
    free_rows(&m);
    free(summary);
    free(r);
}
END_TEST

/* ---- reruns ------------------------------------------------------------------------------- */

/* 30 iterations, then the same config with 60: the run continues from its checkpoint, and its
 * files are those of one run of 60. */
START_TEST(test_continue_to_more_iterations)
{
    char *config = write_config("more.yaml", SPLIT_RUN);
    char *once = run_dir("more_once"), *twice = run_dir("more_twice");
    const char *sets60[] = {VAL_SET, NULL}, *sets30[] = {VAL_SET, "train.iterations=30", NULL};
    struct run_result *r = train(config, once, sets60);
    free(completed_summary(r, once));
    free(r);
    r = train(config, twice, sets30);
    free(completed_summary(r, twice));
    free(r);
    r = train(config, twice, sets60);
    char *summary = completed_summary(r, twice);
    ck_assert_msg(strstr(r->out, "continuing a run of fewer iterations at iteration 30 of 60"),
                  "%s", r->out);
    static const char *const same[] = {"metrics.csv", "model.safetensors", "best.safetensors",
                                       "config.yaml"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        ck_assert_msg(same_file(once, twice, same[i]), "%s differs", same[i]);
    char *ref = read_in(once, "summary.json", NULL);
    static const char *const keys[] = {"iterations", "epochs", "best_iteration",
                                       "best_test_accuracy", "final_val_accuracy"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_number(summary, keys[i]) == json_number(ref, keys[i]), "%s", keys[i]);
    /* fewer iterations than it holds is another config: refused where --out names the folder */
    const char *fewer[] = {VAL_SET, "train.iterations=40", NULL};
    free(r);
    r = train(config, twice, fewer);
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, "train.iterations (60 -> 40)") &&
                      count_lines(r->err) == 1, "exit %d: %s", r->exit_code, r->err);
    free(ref);
    free(summary);
    free(r);
}
END_TEST

/* Every file of dir and its bytes, concatenated with their names, in name order. */
static char *folder_bytes(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    ck_assert_msg(n >= 0, "%s: cannot list", dir);
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    for (int i = 0; i < n; i++) {
        size_t flen = 0;
        char *f = names[i]->d_name[0] == '.' ? NULL : read_in(dir, names[i]->d_name, &flen);
        size_t name = strlen(names[i]->d_name);
        if (f) {
            cap = len + name + flen + 2;
            all = realloc(all, cap);
            memcpy(all + len, names[i]->d_name, name);
            all[len + name] = '\n';
            memcpy(all + len + name + 1, f, flen);
            len += name + 1 + flen;
            all[len] = '\0';
        }
        free(f);
        free(names[i]);
    }
    free(names);
    return all;
}

/* Without --out a changed config trains into runs/NAME-2, the old run untouched; trained
 * again it is found there; --restart trains over runs/NAME on purpose. */
START_TEST(test_changed_config_new_folder)
{
    char *config = write_config("changed.yaml", SPLIT_RUN);
    char *home = run_dir("changed_home");
    ck_assert_int_eq(mkdir(home, 0755), 0);
    char *cwd = getcwd(NULL, 0);
    ck_assert_int_eq(chdir(home), 0);
    struct run_result r;
    const char *first[] = {"train", config, "--quiet", NULL};
    clnet(&r, first);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    char *before = folder_bytes("runs/changed");
    const char *other[] = {"train", config, "--set", "train.optimizer.adam.lr=0.01", NULL};
    clnet(&r, other);
    ck_assert_msg(r.exit_code == 0 && strstr(r.err, "runs/changed holds a run of another config "
                                                    "(train.optimizer.adam.lr (0.003 -> 0.01))") &&
                      strstr(r.out, "runs/changed-2/") && count_lines(r.err) == 1,
                  "exit %d: %s%s", r.exit_code, r.out, r.err);
    char *after = folder_bytes("runs/changed");
    ck_assert_msg(strcmp(before, after) == 0, "runs/changed changed");
    char *summary = read_in("runs/changed-2", "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "completed"), "%s", summary);
    clnet(&r, other);
    ck_assert_msg(r.exit_code == 0 && strstr(r.out, "already completed") &&
                      strstr(r.out, "runs/changed-2/") && !exists("runs/changed-3"),
                  "exit %d: %s%s", r.exit_code, r.out, r.err);
    const char *restart[] = {"train", config, "--set", "train.optimizer.adam.lr=0.01",
                             "--restart", "--quiet", NULL};
    clnet(&r, restart);
    char *yaml = read_in("runs/changed", "config.yaml", NULL);
    ck_assert_msg(r.exit_code == 0 && yaml && strstr(yaml, "lr: 0.01,") &&
                      !exists("runs/changed-3"), "exit %d: %s %s", r.exit_code, r.err, yaml);
    ck_assert_int_eq(chdir(cwd), 0);
    free(yaml);
    free(summary);
    free(before);
    free(after);
    free(cwd);
}
END_TEST

static Suite *validation_suite(void)
{
    Suite *s = suite_create("validation");
    TCase *tc = tcase_create("validation");
    tcase_set_timeout(tc, harness_time_limit(120));
    tcase_add_test(tc, test_split_epochs);
    tcase_add_test(tc, test_split_run);
    tcase_add_test(tc, test_no_split_run);
    tcase_add_test(tc, test_early_stopping_needs_a_split);
    tcase_add_test(tc, test_early_stopping);
    tcase_add_test(tc, test_continue_to_more_iterations);
    tcase_add_test(tc, test_changed_config_new_folder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    return harness_run(validation_suite(), true);
}
