/* End to end, as a user runs clnet: a tiny run on the synthetic data set (tests/train/synth.c)
 * writes its plots and predictions; predictions.csv agrees with `clnet eval --inputs` on the
 * same 100 images, and predictions.png is red exactly where they are wrong; the same seed picks
 * the same images; confusion.json counts what `clnet eval --inputs` says of every test image,
 * and `clnet eval` prints its per-class figures; steps.csv has every step, as metrics.csv
 * has them at its evaluations; `clnet report` draws deleted plots again, refuses a malformed
 * metrics.csv with its line, and compares the runs of a sweep; a plot that cannot be written
 * does not lose the run. */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../train/synth.h"
#include "data/idx.h"
#include "harness.h"
#include "pngc.h"
#include "report/plot.h"

/* Few steps of plain SGD: the model is right on some test images and wrong on others. */
#define HALF_TRAINED                                                                           \
    "model:\n"                                                                                 \
    "  input: [784]\n"                                                                         \
    "  layers:\n"                                                                              \
    "    - dense: {units: 16, activation: relu}\n"                                             \
    "    - dense: {units: 10}\n"                                                               \
    "init:\n"                                                                                  \
    "  weights: {normal: {std: 0.1}}\n"                                                        \
    "train:\n"                                                                                 \
    "  iterations: 20\n"                                                                       \
    "  batch_size: 16\n"                                                                       \
    "  optimizer: {sgd: {lr: 0.2}}\n"                                                          \
    "  eval_every: 4\n"                                                                        \
    "  eval_batch_size: 50\n"

static void assert_png(const char *dir, const char *name, int w, int h)
{
    char *path = path_in(dir, name), err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(img.width == w && img.height == h, "%s: %dx%d, want %dx%d", path, img.width,
                  img.height, w, h);
    ck_assert_msg(pngc_variance(&img) > 100, "%s: blank", path);
    pngc_free(&img);
    free(path);
}

static bool has(const char *dir, const char *name)
{
    char *path = path_in(dir, name);
    bool yes = exists(path);
    free(path);
    return yes;
}

static void completed(const char *config, const char *dir, const char *const *sets)
{
    struct run_result *r = train(config, dir, sets);
    free(completed_summary(r, dir));
    free(r);
}

struct prediction {
    int index, label, predicted;
};

/* predictions.csv: the header and 100 rows of distinct test images with their true labels. */
static int read_predictions(struct prediction *p, const char *dir, const struct idx_array *labels)
{
    char *text = read_in(dir, "predictions.csv", NULL);
    ck_assert_msg(text, "%s/predictions.csv missing", dir);
    const char *header = "index,label,predicted\n";
    ck_assert_msg(strncmp(text, header, strlen(header)) == 0, "header: %.40s", text);
    int n = 0, used = 0;
    bool seen[4096] = {false};
    for (const char *s = text + strlen(header); *s; s += used) {
        ck_assert(n < PRED_MAX);
        ck_assert_msg(sscanf(s, "%d,%d,%d\n%n", &p[n].index, &p[n].label, &p[n].predicted,
                             &used) == 3,
                      "row %d: %.40s", n + 1, s);
        ck_assert(p[n].index >= 0 && p[n].index < labels->dims[0] && !seen[p[n].index]);
        seen[p[n].index] = true;
        ck_assert_msg(p[n].label == labels->data[p[n].index], "row %d: label %d, data says %d",
                      n + 1, p[n].label, labels->data[p[n].index]);
        ck_assert(p[n].predicted >= 0 && p[n].predicted < 10);
        n++;
    }
    free(text);
    return n;
}

static void load_test_set(struct idx_array *images, struct idx_array *labels)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", synth_data_dir);
    ck_assert(idx_read(images, path) == 0);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", synth_data_dir);
    ck_assert(idx_read(labels, path) == 0);
}

/* One row of eval's classifier CSV: its row number, then the class, then 10 probabilities
 * that sum to 1, the class's the largest. Returns the class; *s moves to the next row. */
static int eval_class_row(const char **s, int row)
{
    char *end;
    ck_assert_msg(strtol(*s, &end, 10) == row && *end == ',', "eval row %d: %.60s", row, *s);
    int cls = (int)strtol(end + 1, &end, 10);
    ck_assert_msg(cls >= 0 && cls < 10 && *end == ',', "eval row %d: class: %.60s", row, *s);
    double sum = 0.0, best = 0.0, p[10];
    for (int k = 0; k < 10; k++) {
        const char *v = end + 1;
        p[k] = strtod(v, &end);
        ck_assert_msg(end != v && p[k] >= 0.0 && p[k] <= 1.0, "eval row %d: p%d: %.60s", row, k,
                      v);
        sum += p[k];
        best = p[k] > best ? p[k] : best;
    }
    ck_assert_msg(*end == '\n', "eval row %d: more than 10 probabilities", row);
    ck_assert_msg(fabs(sum - 1.0) < 1e-4, "eval row %d: probabilities sum to %g", row, sum);
    ck_assert_msg(p[cls] == best, "eval row %d: class %d is not the most probable", row, cls);
    *s = end + 1;
    return cls;
}

/* `clnet eval DIR --inputs` on the chosen images (scaled to 0..1 as training reads them):
 * the class of each row. */
static void eval_argmax(int *out, const char *dir, const struct prediction *p, int n,
                        const struct idx_array *images)
{
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    size_t features = (size_t)images->dims[1] * (size_t)images->dims[2];
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < features; k++)
            fprintf(f, "%.9g%s", images->data[(size_t)p[i].index * features + k] / 255.0,
                    k + 1 < features ? "," : "\n");
    fclose(f);
    char *inputs = harness_write(NULL, "chosen.csv", csv);
    free(csv);
    const char *argv[] = {"eval", dir, "--inputs", inputs, NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "clnet eval: exit %d: %s", r->exit_code, r->err);
    static const char header[] = "row,class,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9\n";
    ck_assert_msg(strncmp(r->out, header, strlen(header)) == 0, "eval header: %.60s", r->out);
    const char *s = r->out + strlen(header);
    for (int i = 0; i < n; i++)
        out[i] = eval_class_row(&s, i + 1);
    ck_assert_msg(*s == '\0', "eval printed more than %d rows", n);
    free(r);
}

START_TEST(test_predictions_match_eval)
{
    char *config = write_config("half.yaml", HALF_TRAINED);
    char *dir = run_dir("half"), *again = run_dir("half_again"), *seed2 = run_dir("half_seed2");
    completed(config, dir, NULL);
    assert_png(dir, "accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "loss.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "predictions.png", PRED_WIDTH, PRED_HEIGHT);
    ck_assert_msg(!has(dir, "lr.png"), "lr.png for a constant learning rate");
    ck_assert_msg(!has(dir, "accuracy.pdf"), "a PDF with report.format png");

    struct idx_array images, labels;
    load_test_set(&images, &labels);
    struct prediction p[PRED_MAX];
    int n = read_predictions(p, dir, &labels);
    ck_assert_int_eq(n, PRED_MAX);
    int eval[PRED_MAX], wrong = 0;
    eval_argmax(eval, dir, p, n, &images);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(eval[i] == p[i].predicted, "image %d (row %d): predictions.csv says %d, "
                      "clnet eval %d", p[i].index, i + 1, p[i].predicted, eval[i]);
        wrong += p[i].predicted != p[i].label;
    }
    printf("half-trained model: %d of %d chosen test images wrong\n", wrong, n);
    ck_assert_msg(wrong > 0 && wrong < n, "%d wrong of %d: the test needs both kinds", wrong, n);

    /* The red cells of predictions.png are exactly the wrong ones. */
    char *png = path_in(dir, "predictions.png"), err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, png, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < n; i++) {
        int cell[4], label[4];
        plot_prediction_cell(i, cell, label);
        int red_label = pngc_count_red(&img, label[0], label[1], label[2], label[3]);
        int red_cell = pngc_count_red(&img, cell[0], cell[1], cell[2], cell[3]);
        if (p[i].predicted != p[i].label)
            ck_assert_msg(red_label >= 20, "cell %d: wrong, yet %d red pixels in its label", i,
                          red_label);
        else
            ck_assert_msg(red_cell == 0, "cell %d: right, yet %d red pixels", i, red_cell);
    }
    pngc_free(&img);

    /* The same seed picks the same images (and, trained the same, predicts the same); another
     * seed other images. */
    completed(config, again, NULL);
    ck_assert_msg(same_file(dir, again, "predictions.csv"), "same seed, other predictions.csv");
    const char *sets[] = {"seed=2", NULL};
    completed(config, seed2, sets);
    struct prediction q[PRED_MAX];
    ck_assert_int_eq(read_predictions(q, seed2, &labels), PRED_MAX);
    int same = 0;
    for (int i = 0; i < n; i++)
        same += p[i].index == q[i].index;
    ck_assert_msg(same < 10, "seed 2 chose %d of the same images in the same places", same);
    idx_free(&images);
    idx_free(&labels);
    free(png);
    free(config);
    free(dir);
    free(again);
    free(seed2);
}
END_TEST

/* confusion.json's counts: a row per true class, a column per predicted one. */
static void read_confusion(long counts[10][10], const char *dir)
{
    char *text = read_in(dir, "confusion.json", NULL);
    ck_assert_msg(text, "%s/confusion.json missing", dir);
    const char *s = strstr(text, "\"counts\": [");
    ck_assert_msg(s, "confusion.json: no counts: %s", text);
    s += strlen("\"counts\": [");
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            while (*s && !isdigit((unsigned char)*s))
                s++;
            char *end;
            counts[i][j] = strtol(s, &end, 10);
            ck_assert_msg(end != s, "confusion.json: counts[%d][%d] missing", i, j);
            s = end;
        }
    ck_assert_msg(strcmp(s, "]\n  ]\n}\n") == 0, "confusion.json: more than 10x10: %s", s);
    free(text);
}

/* The numbers of `clnet eval`'s table line that starts with `what` (images, correct). */
static void eval_table_line(long *out, const char *text, const char *what)
{
    char key[32];
    snprintf(key, sizeof key, "\n%s ", what);
    const char *s = strstr(text, key);
    ck_assert_msg(s, "clnet eval: no '%s' line: %s", what, text);
    s += strlen(key);
    for (int k = 0; k < 10; k++) {
        char *end;
        out[k] = strtol(s, &end, 10);
        ck_assert_msg(end != s, "clnet eval: '%s' line: %.80s", what, s);
        s = end;
    }
}

/* The confusion matrix of the final weights over the whole test set: the cell of each image is
 * (its label, the class `clnet eval --inputs` gives it); it sums to the test set, its diagonal
 * to accuracy x N; summary.json's per-class accuracy and `clnet eval`'s table agree. */
START_TEST(test_confusion_matches_eval)
{
    char *config = write_config("confusion.yaml", HALF_TRAINED);
    char *dir = run_dir("confusion");
    completed(config, dir, NULL);
    assert_png(dir, "confusion.png", CONF_WIDTH, CONF_HEIGHT);
    long counts[10][10];
    read_confusion(counts, dir);
    struct idx_array images, labels;
    load_test_set(&images, &labels);
    int n = labels.dims[0];
    struct prediction *all = calloc((size_t)n, sizeof *all);
    int *cls = calloc((size_t)n, sizeof *cls);
    for (int i = 0; i < n; i++)
        all[i] = (struct prediction){i, labels.data[i], -1};
    eval_argmax(cls, dir, all, n, &images);
    long want[10][10] = {{0}}, total = 0, diagonal = 0, rows[10] = {0};
    for (int i = 0; i < n; i++) {
        want[labels.data[i]][cls[i]]++;
        rows[labels.data[i]]++;
    }
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            ck_assert_msg(counts[i][j] == want[i][j], "confusion[%d][%d] = %ld, clnet eval "
                          "--inputs gives %ld", i, j, counts[i][j], want[i][j]);
            total += counts[i][j];
            diagonal += i == j ? counts[i][j] : 0;
        }
    char *summary = read_in(dir, "summary.json", NULL);
    double acc = json_number(summary, "final_test_accuracy");
    ck_assert_msg(total == n, "the matrix sums to %ld, the test set has %d", total, n);
    ck_assert_msg(diagonal == lround(acc * n) && diagonal > 0 && diagonal < n,
                  "diagonal %ld, accuracy %g x %d", diagonal, acc, n);
    /* summary.json: per_class_accuracy, each the diagonal over its row. */
    const char *pc = strstr(summary, "\"per_class_accuracy\": [");
    ck_assert_msg(pc, "summary.json: no per_class_accuracy: %s", summary);
    pc += strlen("\"per_class_accuracy\": [");
    for (int k = 0; k < 10; k++) {
        char *end;
        double a = strtod(pc, &end);
        ck_assert_msg(end != pc && fabs(a - (double)counts[k][k] / (double)rows[k]) < 1e-12,
                      "per_class_accuracy[%d] %g, want %ld/%ld", k, a, counts[k][k], rows[k]);
        pc = end + 1;
    }
    /* clnet eval: the test set's figures, then the table of the same counts. */
    const char *argv[] = {"eval", dir, NULL};
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    ck_assert_msg(r->exit_code == 0, "clnet eval: exit %d: %s", r->exit_code, r->err);
    long images_of[10], correct[10];
    eval_table_line(images_of, r->out, "images");
    eval_table_line(correct, r->out, "correct");
    for (int k = 0; k < 10; k++)
        ck_assert_msg(images_of[k] == rows[k] && correct[k] == counts[k][k],
                      "clnet eval class %d: %ld of %ld, confusion.json %ld of %ld", k,
                      correct[k], images_of[k], counts[k][k], rows[k]);
    ck_assert_msg(strstr(r->out, "most confused (true -> predicted): "), "%s", r->out);
    free(r);
    free(summary);
    free(all);
    free(cls);
    idx_free(&images);
    idx_free(&labels);
    free(config);
    free(dir);
}
END_TEST

/* steps.csv: a row for every step, 1..20, and at each evaluation the same text as
 * metrics.csv's train_loss and train_acc there. */
START_TEST(test_steps_every_iteration)
{
    char *config = write_config("steps.yaml", HALF_TRAINED);
    char *dir = run_dir("steps");
    completed(config, dir, NULL);
    char *steps = read_in(dir, "steps.csv", NULL), *metrics = read_in(dir, "metrics.csv", NULL);
    ck_assert_msg(steps && strncmp(steps, "iteration,train_loss,train_acc\n", 31) == 0,
                  "steps.csv: %.60s", steps ? steps : "(missing)");
    const char *s = strchr(steps, '\n') + 1;
    for (int it = 1; it <= 20; it++) {
        char *end;
        ck_assert_msg(strtol(s, &end, 10) == it && *end == ',', "steps.csv row %d: %.40s", it,
                      s);
        const char *nl = strchr(end, '\n');
        ck_assert(nl);
        if (it % 4 == 0) { /* eval_every 4: metrics.csv's row "it,epoch,lr,LOSS,ACC,..." */
            char row[64];
            snprintf(row, sizeof row, "\n%d,", it);
            const char *m = strstr(metrics, row);
            ck_assert_msg(m, "metrics.csv: no row %d", it);
            for (int f = 0; f < 3; f++)
                m = strchr(m + 1, ',');
            ck_assert_msg(strncmp(m, end, (size_t)(nl - end)) == 0 && m[nl - end] == ',',
                          "iteration %d: steps.csv '%.*s', metrics.csv '%.40s'", it,
                          (int)(nl - end), end, m);
        }
        s = nl + 1;
    }
    ck_assert_msg(*s == '\0', "steps.csv: rows after 20: %s", s);
    free(steps);
    free(metrics);
    free(config);
    free(dir);
}
END_TEST

static struct run_result *report(const char *const *argv)
{
    struct run_result *r = malloc(sizeof *r);
    clnet(r, argv);
    return r;
}

START_TEST(test_report_draws_again)
{
    char *config = write_config("decay.yaml",
                                HALF_TRAINED "  schedule: {exp_decay: {lr_max: 0.05, lr_min: "
                                             "0.001, tau: 4}}\n"
                                             "report: {format: pdf}\n");
    char *dir = run_dir("decay");
    completed(config, dir, NULL);
    const char *plots[] = {"accuracy", "loss", "lr", "predictions"};
    for (int i = 0; i < 4; i++) {
        char png[64], pdf[64];
        snprintf(png, sizeof png, "%s.png", plots[i]);
        snprintf(pdf, sizeof pdf, "%s.pdf", plots[i]);
        ck_assert_msg(has(dir, png) && has(dir, pdf), "%s/%s or .pdf missing", dir, plots[i]);
        char *p = path_in(dir, png), *q = path_in(dir, pdf);
        ck_assert(unlink(p) == 0 && unlink(q) == 0);
        free(p);
        free(q);
    }
    const char *argv[] = {"report", dir, NULL};
    struct run_result *r = report(argv);
    ck_assert_msg(r->exit_code == 0, "clnet report: exit %d: %s", r->exit_code, r->err);
    free(r);
    assert_png(dir, "accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "loss.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "lr.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "predictions.png", PRED_WIDTH, PRED_HEIGHT);
    ck_assert_msg(has(dir, "accuracy.pdf") && has(dir, "predictions.pdf"),
                  "report.format pdf: no PDF drawn again");

    /* --format png: only PNGs. */
    char *pdf = path_in(dir, "loss.pdf");
    ck_assert(unlink(pdf) == 0);
    const char *png_only[] = {"report", dir, "--format", "png", NULL};
    r = report(png_only);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert(!exists(pdf));
    free(r);
    const char *bad_format[] = {"report", dir, "--format", "svg", NULL};
    r = report(bad_format);
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, "--format svg"), "exit %d: %s",
                  r->exit_code, r->err);
    free(r);

    /* clnet's own CSVs are read by column name (util/csv.h): predictions.csv with its columns
     * in another order draws the same grid; a malformed one is exit 2 and one line at its line;
     * layer_stats.csv is drawn again, and refused the same way when malformed. */
    char *pred = read_in(dir, "predictions.csv", NULL);
    ck_assert_ptr_nonnull(pred);
    char *swapped = NULL, *line = NULL;
    size_t cap = 0;
    FILE *in = fmemopen(pred, strlen(pred), "r"), *out = open_memstream(&swapped, &cap);
    for (int i = 0, a, b, c; getline(&line, &cap, in) > 0; i++)
        if (i == 0)
            fputs("predicted,index,label\n", out);
        else if (sscanf(line, "%d,%d,%d", &a, &b, &c) == 3)
            fprintf(out, "%d,%d,%d\n", c, a, b);
    fclose(in);
    fclose(out);
    free(line);
    harness_write(dir, "predictions.csv", swapped);
    char *png = path_in(dir, "predictions.png");
    ck_assert(unlink(png) == 0);
    r = report(argv);
    ck_assert_msg(r->exit_code == 0, "columns by name: exit %d: %s", r->exit_code, r->err);
    assert_png(dir, "predictions.png", PRED_WIDTH, PRED_HEIGHT);
    free(r);
    char bad[256];
    snprintf(bad, sizeof bad, "%.*s0,0,x\n", (int)(strchr(strchr(pred, '\n') + 1, '\n') - pred + 1),
             pred); /* the header, the first row, then a malformed one */
    harness_write(dir, "predictions.csv", bad);
    r = report(argv);
    char *where = path_in(dir, "predictions.csv:3: column 3 (predicted): 'x' is not a number");
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, where) && count_lines(r->err) == 1,
                  "malformed predictions.csv: exit %d: %s", r->exit_code, r->err);
    free(r);
    free(where);
    harness_write(dir, "predictions.csv", pred);
    const char *stats_header = "iteration,layer,kind,tensor,act_zero,act_mean,act_std,rows,"
                               "grad_zero,grad_zero_rows,distinct_rows,grad_norm,weight_norm\n";
    char stats[1024];
    snprintf(stats, sizeof stats, "%s4,0,dense,weight,0.5,1,1,16,0.1,0.25,16,1,1\n"
             "4,0,dense,bias,0.5,1,1,1,0,0,1,1,1\n8,0,dense,weight,0.5,1,1,16,0.1,0.5,16,1,1\n",
             stats_header);
    harness_write(dir, "layer_stats.csv", stats);
    r = report(argv);
    ck_assert_msg(r->exit_code == 0, "layer_stats.csv: exit %d: %s", r->exit_code, r->err);
    assert_png(dir, "layer_stats.png", PLOT_WIDTH, PLOT_HEIGHT);
    free(r);
    snprintf(stats, sizeof stats, "%s4,0,dense,weight,0.5,1,1,16,0.1,0.25,16,1,1\n8,0,dense,w",
             stats_header);
    harness_write(dir, "layer_stats.csv", stats);
    r = report(argv);
    where = path_in(dir, "layer_stats.csv:3: 4 values; the header has 13 columns");
    ck_assert_msg(r->exit_code == 2 && strstr(r->err, where) && count_lines(r->err) == 1,
                  "malformed layer_stats.csv: exit %d: %s", r->exit_code, r->err);
    free(r);
    free(where);
    free(png);
    free(pred);
    free(swapped);
    char *stats_path = path_in(dir, "layer_stats.csv");
    ck_assert(unlink(stats_path) == 0);
    free(stats_path);

    /* A malformed metrics.csv: exit 2, one line naming the file and line. */
    char *metrics = path_in(dir, "metrics.csv");
    harness_write(dir, "metrics.csv", "iteration,lr,train_loss,train_acc,test_loss,test_acc\n"
                                      "4,0.05,1.2,0.5,1.3,0.4\n"
                                      "8,0.05,1.1,zero,1.2,0.5\n");
    r = report(argv);
    char want[4600];
    snprintf(want, sizeof want, "clnet: error: %s:3: ", metrics);
    ck_assert_msg(r->exit_code == 2, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strncmp(r->err, want, strlen(want)) == 0 && count_lines(r->err) == 1,
                  "stderr: %s (want %s...)", r->err, want);
    free(r);
    const char *missing[] = {"report", "/nonexistent/run", NULL};
    r = report(missing);
    ck_assert_msg(r->exit_code == 2 && count_lines(r->err) == 1, "exit %d: %s", r->exit_code,
                  r->err);
    free(r);
    free(metrics);
    free(pdf);
    free(config);
    free(dir);
}
END_TEST

START_TEST(test_report_sweep)
{
    char *config = write_config("sweep.yaml", HALF_TRAINED);
    char root[4400];
    snprintf(root, sizeof root, "%s/runs/sweep", harness_tmpdir());
    ck_assert(mkdir(root, 0755) == 0);
    const int units[3] = {4, 16, 64};
    for (int i = 0; i < 3; i++) {
        char dir[4500], set[64];
        snprintf(dir, sizeof dir, "%s/u%d", root, units[i]);
        snprintf(set, sizeof set, "model.layers.0.dense.units=%d", units[i]);
        const char *sets[] = {set, NULL};
        completed(config, dir, sets);
    }
    const char *argv[] = {"report", root, NULL};
    struct run_result *r = report(argv);
    ck_assert_msg(r->exit_code == 0, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(strstr(r->out, "model.layers.0.dense.units"), "stdout: %s", r->out);
    free(r);
    assert_png(root, "compare_accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(root, "compare_loss.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(root, "final_vs_model.layers.0.dense.units.png", PLOT_WIDTH, PLOT_HEIGHT);
    free(config);
}
END_TEST

/* accuracy.png cannot be written (a folder has its name): the run still completes and keeps
 * its files; the failure is one error line at the end, exit 1. */
START_TEST(test_plot_failure_keeps_run)
{
    char *config = write_config("blocked.yaml", HALF_TRAINED);
    char *dir = run_dir("blocked");
    ck_assert(mkdir(dir, 0755) == 0);
    free(harness_write(dir, ".lock", "")); /* a run folder of clnet's (run_dir_check) */
    char *blocker = path_in(dir, "accuracy.png");
    ck_assert(mkdir(blocker, 0755) == 0);
    struct run_result *r = train(config, dir, NULL);
    ck_assert_msg(r->exit_code == 1, "exit %d: %s", r->exit_code, r->err);
    ck_assert_msg(count_lines(r->err) == 1 && strstr(r->err, "accuracy.png") &&
                      strstr(r->err, "the run itself completed"),
                  "stderr: %s", r->err);
    char *summary = read_in(dir, "summary.json", NULL);
    ck_assert_msg(summary && json_has_string(summary, "status", "completed"), "%s", summary);
    ck_assert(file_size(dir, "model.safetensors") > 0);
    free(summary);
    free(r);
    free(blocker);
    free(config);
    free(dir);
}
END_TEST

static Suite *report_run_suite(void)
{
    Suite *s = suite_create("report_run");
    TCase *tc = tcase_create("report_run");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_predictions_match_eval);
    tcase_add_test(tc, test_confusion_matches_eval);
    tcase_add_test(tc, test_steps_every_iteration);
    tcase_add_test(tc, test_report_draws_again);
    tcase_add_test(tc, test_report_sweep);
    tcase_add_test(tc, test_plot_failure_keeps_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    harness_skip_without_plots("report_run");
    synth_setup();
    return harness_run(report_run_suite(), true);
}
