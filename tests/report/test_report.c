/* The plots without a device: the PNG checker itself, reading metrics.csv and steps.csv (good
 * files, columns by name, and every kind of malformed one, each naming PATH:LINE), curve plots
 * of the expected size that are not blank and whose dots are whole, the predictions grid
 * marking exactly the wrong cells in red, confusion.json and its figure, a run's plots from
 * hand-written files, and the comparison of runs with the one parameter that varies and the
 * name its plots give it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "pngc.h"
#include "report/metrics_read.h"
#include "report/plot.h"
#include "util/fs.h"
#include "util/status.h"

static char *make_dir(const char *name)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/%s", harness_tmpdir(), name) < 0)
        abort();
    ck_assert_msg(mkdir(dir, 0755) == 0, "mkdir %s", dir);
    return dir;
}

static char *in_dir(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static bool exists_in(const char *dir, const char *name)
{
    char *p = in_dir(dir, name);
    struct stat st;
    bool yes = stat(p, &st) == 0;
    free(p);
    return yes;
}

/* Asserts dir/name is a valid PNG of w x h that is not blank. */
static void assert_png(const char *dir, const char *name, int w, int h)
{
    char *path = in_dir(dir, name), err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(img.width == w && img.height == h, "%s: %dx%d, want %dx%d", path, img.width,
                  img.height, w, h);
    double v = pngc_variance(&img);
    ck_assert_msg(v > 100, "%s: pixel variance %.1f: blank?", path, v);
    pngc_free(&img);
    free(path);
}

/* No NAME.tmp.XXXXXX left behind by the atomic writes. */
static void assert_no_temps(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert(d);
    for (struct dirent *e; (e = readdir(d));)
        ck_assert_msg(!strstr(e->d_name, ".tmp."), "%s/%s left behind", dir, e->d_name);
    closedir(d);
}

/* ---- the PNG checker -------------------------------------------------------------------- */

START_TEST(test_png_checker)
{
    enum { W = 37, H = 23 };
    unsigned char rgb[W * H * 3], blank[W * H * 3];
    for (int i = 0; i < W * H * 3; i++) {
        rgb[i] = (unsigned char)((i * 7 + (i / (W * 3)) * 13) & 0xff);
        blank[i] = 200;
    }
    char err[512];
    {
        char *path = in_dir(harness_tmpdir(), "rgb.png");
        ck_assert(pngc_write(path, W, H, rgb) == 0);
        struct pngc_image img;
        ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
        ck_assert(img.width == W && img.height == H);
        ck_assert_msg(memcmp(img.rgb, rgb, sizeof rgb) == 0, "pixels differ");
        ck_assert(pngc_variance(&img) > 100);
        pngc_free(&img);
        free(path);
    }
    char *path = in_dir(harness_tmpdir(), "blank.png");
    ck_assert(pngc_write(path, W, H, blank) == 0);
    struct pngc_image img;
    ck_assert(pngc_read(&img, path, err, sizeof err) == 0);
    ck_assert_msg(pngc_variance(&img) == 0, "blank image variance %g", pngc_variance(&img));
    ck_assert(pngc_count_red(&img, 0, 0, W, H) == 0);
    pngc_free(&img);

    /* A flipped byte inside the image data (libpng reports the zlib check or the chunk's CRC,
     * whichever it meets first); a cut file is truncated. */
    size_t len;
    FILE *f = fopen(path, "rb");
    unsigned char buf[8192];
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    buf[len - 20] ^= 0x40;
    char *bad = harness_write_bytes(NULL, "bad_crc.png", buf, len);
    ck_assert(pngc_read(&img, bad, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "bad_crc.png: ") && (strstr(err, "CRC") || strstr(err, "check")),
                  "%s", err);
    buf[len - 20] ^= 0x40;
    char *cut = harness_write_bytes(NULL, "cut.png", buf, len - 16);
    ck_assert(pngc_read(&img, cut, err, sizeof err) != 0);
    char *text = harness_write(NULL, "text.png", "not a png at all");
    ck_assert(pngc_read(&img, text, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "Not a PNG file"), "%s", err);
    free(path);
}
END_TEST

/* ---- metrics.csv ------------------------------------------------------------------------ */

START_TEST(test_metrics_read_good)
{
    const char *text = "iteration,lr,train_loss,train_acc,test_loss,test_acc\n"
                       "100,0.5,0.3,0.9,0.25,0.92\n"
                       "200,0.25,nan,0.95,inf,0.94\r\n";
    struct metrics_table t;
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert_int_eq(t.n, 2);
    ck_assert(!t.full_train && !t.full_train_acc);
    ck_assert(!t.has_epoch && !t.epoch); /* written before the epoch column existed */
    ck_assert(t.iteration[0] == 100 && t.iteration[1] == 200);
    ck_assert(t.lr[1] == 0.25 && t.test_acc[0] == 0.92 && t.train_acc[1] == 0.95);
    ck_assert(isnan(t.train_loss[1]) && isinf(t.test_loss[1]));
    metrics_table_free(&t);

    /* Whole-set columns, and a column this reader does not know, in another order. */
    text = "iteration,seconds,test_acc,test_loss,train_acc,train_loss,lr,full_train_loss,"
           "full_train_acc\n"
           "10,1.5,0.5,1.2,0.4,1.3,0.01,1.1,0.55\n";
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert(t.n == 1 && t.full_train);
    ck_assert(t.test_acc[0] == 0.5 && t.lr[0] == 0.01 && t.full_train_acc[0] == 0.55 &&
              t.full_train_loss[0] == 1.1 && t.train_loss[0] == 1.3);
    metrics_table_free(&t);

    /* A loss without a classification term (train.loss's list form): no accuracies. */
    text = "iteration,lr,train_loss,train_acc,test_loss,test_acc\n"
           "0,0.5,nan,nan,18,nan\n100,0.5,0.3,nan,0.25,nan\n";
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert(t.n == 2 && isnan(t.train_acc[1]) && isnan(t.test_acc[1]) && t.test_loss[1] == 0.25);
    metrics_table_free(&t);

    /* The epoch column, second as clnet writes it. */
    text = "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc\n"
           "2000,3.3333,0.5,0.3,0.9,0.25,0.92\n";
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert(t.n == 1 && t.has_epoch && t.epoch[0] == 3.3333 && t.lr[0] == 0.5 &&
              t.test_acc[0] == 0.92);
    metrics_table_free(&t);

    /* Row 0, the evaluation before the first step: no mini-batch (nan train columns); and the
     * validation split's columns, which this reader skips. */
    text = "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc,val_loss,val_acc\n"
           "0,0.0000,0.5,nan,nan,2.3,0.1,2.31,0.09\n"
           "100,0.1818,0.5,0.3,0.9,0.25,0.92,0.27,0.9\n";
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert(t.n == 2 && t.iteration[0] == 0 && isnan(t.train_acc[0]) &&
              isnan(t.train_loss[0]) && t.test_acc[1] == 0.92);
    metrics_table_free(&t);

    /* A run that has not evaluated yet: only the header, or nothing at all. */
    text = "iteration,lr,train_loss,train_acc,test_loss,test_acc\n";
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    ck_assert_int_eq(t.n, 0);
    metrics_table_free(&t);
    ck_assert_int_eq(metrics_parse(&t, "", 0, "m.csv"), CLNET_OK);
    ck_assert_int_eq(t.n, 0);
    metrics_table_free(&t);

    /* Many rows (the arrays grow). */
    char *big = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&big, &len);
    fprintf(m, "iteration,lr,train_loss,train_acc,test_loss,test_acc\n");
    for (int i = 1; i <= 1000; i++)
        fprintf(m, "%d,0.1,1,0.5,1,%g\n", i * 10, i / 1000.0);
    fclose(m);
    ck_assert_int_eq(metrics_parse(&t, big, len, "m.csv"), CLNET_OK);
    ck_assert(t.n == 1000 && t.iteration[999] == 10000 && t.test_acc[999] == 1.0);
    metrics_table_free(&t);
    free(big);
}
END_TEST

/* Columns by name: a validation split's val_* pair is kept and found; steps.csv has its own
 * required columns. */
START_TEST(test_metrics_columns_by_name)
{
    const char *text = "iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc,val_loss,"
                       "val_acc,seconds\n"
                       "0,0,0.5,2.3,0.1,2.31,0.09,2.29,0.11,0.5\n"
                       "100,0.1667,0.5,0.5,0.84,0.51,0.85,0.49,0.86,1.5\n";
    struct metrics_table t;
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_OK);
    const double *va = metrics_column(&t, "val_acc"), *vl = metrics_column(&t, "val_loss");
    ck_assert(t.n == 2 && va && vl && va[1] == 0.86 && vl[0] == 2.29);
    ck_assert(t.test_acc == metrics_column(&t, "test_acc") && t.iteration[0] == 0);
    ck_assert(!metrics_column(&t, "seconds") && !metrics_column(&t, "full_train_acc"));
    metrics_table_free(&t);
    text = "iteration,lr,train_loss,train_acc,test_loss,test_acc,val_loss\n";
    clnet_error_clear();
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_ERR_DATA);
    ck_assert_msg(strstr(clnet_error_message(), "val_loss and val_acc come together"), "%s",
                  clnet_error_message());
    text = "iteration,lr,train_loss,train_acc,test_loss,test_acc,val_loss,val_acc\n"
           "1,1,1,1,1,1,nan,1.5\n";
    clnet_error_clear();
    ck_assert_int_eq(metrics_parse(&t, text, strlen(text), "m.csv"), CLNET_ERR_DATA);
    ck_assert_msg(strstr(clnet_error_message(), "column 8 (val_acc): 1.5 is not an accuracy"),
                  "%s", clnet_error_message());

    text = "iteration,train_loss,train_acc\n1,2.47,0.12\n2,nan,0.24\n3,1.5,0.3";
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_OK);
    ck_assert(t.n == 3 && t.iteration[2] == 3 && isnan(t.train_loss[1]) &&
              t.train_acc[2] == 0.3 && !t.test_acc);
    metrics_table_free(&t);
    /* A loss without accuracies: train_acc nan in every row, as in the first. */
    text = "iteration,train_loss,train_acc\n1,2.5,nan\n2,1.5,nan\n";
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_OK);
    ck_assert(t.n == 2 && isnan(t.train_acc[1]));
    metrics_table_free(&t);
    text = "iteration,train_loss,train_acc\n1,2.5,0.5\n2,1.5,nan\n";
    clnet_error_clear();
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_ERR_DATA);
    text = "iteration,train_loss,train_acc\n1,2.5,nan\n2,1.5,0.5\n";
    clnet_error_clear();
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_ERR_DATA);
    ck_assert_msg(strstr(clnet_error_message(), "0.5 in a row whose first train_acc is nan"),
                  "%s", clnet_error_message());
    text = "iteration,train_loss\n1,2\n";
    clnet_error_clear();
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_ERR_DATA);
    ck_assert_msg(strstr(clnet_error_message(), "steps.csv:1: no 'train_acc' column (not a "
                                                "clnet steps.csv)"),
                  "%s", clnet_error_message());
    text = "iteration,train_loss,train_acc\n1,2,0.5\n1,2,0.5\n";
    clnet_error_clear();
    ck_assert_int_eq(steps_parse(&t, text, strlen(text), "steps.csv"), CLNET_ERR_DATA);
    ck_assert_msg(strstr(clnet_error_message(), "steps.csv:3: iteration 1 after 1"), "%s",
                  clnet_error_message());
}
END_TEST

static const struct {
    const char *text;
    const char *where; /* the message starts with this */
    const char *what;  /* and contains this */
} bad_metrics[] = {
    {"iteration,lr,train_loss,train_acc,test_loss\n1,2,3,4,5\n", "m.csv:1:", "test_acc"},
    {"step,lr,train_loss,train_acc,test_loss,test_acc\n", "m.csv:1:", "iteration"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc,test_acc\n", "m.csv:1:", "twice"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc,full_train_acc\n", "m.csv:1:",
     "full_train_loss"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n100,0.5,0.3,0.9,0.25\n",
     "m.csv:2:", "5 values"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,1,1,1\n2,1,1,1,1,1,1\n",
     "m.csv:3:", "7 values"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,x,1,1\n", "m.csv:2:",
     "column 4 (train_acc): 'x'"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,,1,1\n", "m.csv:2:",
     "not a number"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,0.5 x,1,1\n", "m.csv:2:",
     "not a number"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1.5,1,1,1,1,1\n", "m.csv:2:",
     "whole number"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n-10,1,1,1,1,1\n", "m.csv:2:",
     "whole number"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,1,1,1\n\n2,1,1,1,1,1\n",
     "m.csv:3:", "empty line"},
    {"iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc\n1,-0.5,1,1,1,1,1\n",
     "m.csv:2:", "column 2 (epoch): '-0.5' is not a number >= 0"},
    {"iteration,epoch,lr,train_loss,train_acc,test_loss,test_acc\n1,nan,1,1,1,1,1\n",
     "m.csv:2:", "column 2 (epoch)"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n20,1,1,1,1,1\n10,1,1,1,1,1\n",
     "m.csv:3:", "must increase"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n20,1,1,1,1,1\n20,1,1,1,1,1\n",
     "m.csv:3:", "must increase"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,nan,1,1,1,1\n", "m.csv:2:",
     "column 2 (lr)"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n10,1,1,nan,1,1\n", "m.csv:2:",
     "column 4 (train_acc): nan"}, /* only row 0 has no mini-batch */
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n10,1,1,0.5,1,nan\n", "m.csv:2:",
     "column 6 (test_acc): nan is not an accuracy"}, /* all of a row's nan, or none */
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,1,1,inf\n", "m.csv:2:",
     "column 6 (test_acc)"},
    {"iteration,lr,train_loss,train_acc,test_loss,test_acc\n1,1,1,1.5,1,1\n", "m.csv:2:",
     "accuracy in [0, 1]"},
};

START_TEST(test_metrics_read_bad)
{
    struct metrics_table t;
    const char *text = bad_metrics[_i].text;
    clnet_error_clear();
    int status = metrics_parse(&t, text, strlen(text), "m.csv");
    ck_assert_msg(status == CLNET_ERR_DATA, "case %d: status %d for %s", _i, status, text);
    const char *msg = clnet_error_message();
    ck_assert_msg(strncmp(msg, bad_metrics[_i].where, strlen(bad_metrics[_i].where)) == 0 &&
                      strstr(msg, bad_metrics[_i].what),
                  "case %d: '%s', want '%s ... %s'", _i, msg, bad_metrics[_i].where,
                  bad_metrics[_i].what);
    ck_assert(t.n == 0 && !t.iteration);
    metrics_table_free(&t);
}
END_TEST

START_TEST(test_metrics_read_missing_file)
{
    struct metrics_table t;
    clnet_error_clear();
    ck_assert_int_eq(metrics_read(&t, "/nonexistent/metrics.csv"), CLNET_ERR_IO);
    ck_assert(strstr(clnet_error_message(), "/nonexistent/metrics.csv"));
}
END_TEST

/* ---- curve plots ------------------------------------------------------------------------ */

START_TEST(test_plot_lines)
{
    char *dir = make_dir("lines");
    double x[50], a[50], b[50];
    for (int i = 0; i < 50; i++) {
        x[i] = 10.0 * (i + 1);
        a[i] = 1 - 0.5 * exp(-i / 10.0);
        b[i] = i == 20 ? NAN : 0.9 - 0.3 * exp(-i / 8.0);
    }
    struct plot_series s[2] = {
        {.label = "train", .x = x, .y = a, .n = 50, .color = 0, .width = 1, .style = 1},
        {.label = "test", .x = x, .y = b, .n = 50, .color = 1, .width = 2, .style = 2,
         .markers = true},
    };
    struct plot_axes ax = {.title = "lines", .subtitle = "two curves", .xlabel = "iteration",
                           .ylabel = "accuracy", .y_floor = 0, .y_ceil = 1};
    ck_assert_int_eq(plot_lines_files(dir, "acc", REPORT_BOTH, &ax, s, 2), CLNET_OK);
    assert_png(dir, "acc.png", PLOT_WIDTH, PLOT_HEIGHT);
    char *pdf = in_dir(dir, "acc.pdf");
    FILE *f = fopen(pdf, "rb");
    char head[5] = "";
    ck_assert_msg(f && fread(head, 1, 4, f) == 4 && memcmp(head, "%PDF", 4) == 0,
                  "%s is not a PDF", pdf);
    fclose(f);
    /* Log axes, one point, and the legend outside. */
    struct plot_axes lg = {.title = "log", .xlabel = "units", .ylabel = "loss", .log_x = true,
                           .log_y = true, .y_floor = 0, .y_ceil = INFINITY,
                           .legend = PLOT_LEGEND_OUTSIDE};
    ck_assert_int_eq(plot_lines_files(dir, "log", REPORT_PNG, &lg, s, 2), CLNET_OK);
    assert_png(dir, "log.png", PLOT_WIDTH, PLOT_HEIGHT);
    s[0].n = s[1].n = 1;
    ck_assert_int_eq(plot_lines_files(dir, "one", REPORT_PNG, &ax, s, 2), CLNET_OK);
    assert_png(dir, "one.png", PLOT_WIDTH, PLOT_HEIGHT);
    ck_assert(!exists_in(dir, "log.pdf"));
    assert_no_temps(dir);
    /* A folder that does not exist: an error naming the file, nothing written. */
    clnet_error_clear();
    ck_assert_int_eq(plot_lines("/nonexistent/x.png", PLOT_PNG, &ax, s, 2), CLNET_ERR_IO);
    ck_assert_msg(strstr(clnet_error_message(), "/nonexistent/x.png"), "%s",
                  clnet_error_message());
    free(pdf);
    free(dir);
}
END_TEST

/* ---- the predictions grid --------------------------------------------------------------- */

static void check_grid(int n)
{
    enum { R = 28, C = 28 };
    uint8_t *images = malloc((size_t)n * R * C);
    struct plot_prediction p[PRED_MAX];
    for (int i = 0; i < n; i++) {
        uint8_t *img = images + (size_t)i * R * C;
        for (int k = 0; k < R * C; k++)
            img[k] = (uint8_t)((k / C - 14) * (k / C - 14) + (k % C - 14) * (k % C - 14) <
                                       30 + 5 * (i % 10)
                                   ? 255
                                   : 0);
        int wrong = i % 7 == 3 || i == n - 1;
        p[i] = (struct plot_prediction){img, i % 10, wrong ? (i + 3) % 10 : i % 10};
    }
    char *dir = make_dir(n == PRED_MAX ? "grid100" : "grid_few");
    char *path = in_dir(dir, "predictions.png"), err[512];
    ck_assert_int_eq(plot_predictions(path, PLOT_PNG, "grid", p, n, R, C), CLNET_OK);
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    ck_assert(img.width == PRED_WIDTH && img.height == PRED_HEIGHT);
    ck_assert(pngc_variance(&img) > 100);
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        int cell[4], label[4];
        plot_prediction_cell(i, cell, label);
        ck_assert(cell[2] <= PRED_WIDTH && cell[3] <= PRED_HEIGHT);
        int in_label = pngc_count_red(&img, label[0], label[1], label[2], label[3]);
        int in_cell = pngc_count_red(&img, cell[0], cell[1], cell[2], cell[3]);
        if (p[i].label != p[i].predicted) {
            wrong++;
            ck_assert_msg(in_label >= 20, "cell %d is wrong but its label has %d red pixels", i,
                          in_label);
        } else {
            ck_assert_msg(in_cell == 0, "cell %d is right but has %d red pixels", i, in_cell);
        }
    }
    ck_assert(wrong > 0 && wrong < n);
    /* Nothing red outside the cells either. */
    int total = pngc_count_red(&img, 0, 0, PRED_WIDTH, PRED_HEIGHT), cells = 0;
    for (int i = 0; i < n; i++) {
        int cell[4], label[4];
        plot_prediction_cell(i, cell, label);
        cells += pngc_count_red(&img, cell[0], cell[1], cell[2], cell[3]);
    }
    ck_assert_int_eq(total, cells);
    pngc_free(&img);
    free(images);
    free(path);
    free(dir);
}

START_TEST(test_plot_predictions_grid)
{
    check_grid(PRED_MAX);
    check_grid(37);
}
END_TEST

/* ---- a run's plots from its files ------------------------------------------------------- */

static const char *run_config = "name: handmade\n"
                                "model:\n"
                                "  input: [784]\n"
                                "  layers:\n"
                                "    - dense: {units: 10}\n";

static char *make_run(const char *name, const char *config, bool decaying, double final)
{
    char *dir = make_dir(name);
    harness_write(dir, "config.yaml", config);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    fprintf(m, "iteration,lr,train_loss,train_acc,test_loss,test_acc\n");
    for (int i = 1; i <= 20; i++) {
        double acc = final - (final - 0.3) * exp(-i / 4.0);
        fprintf(m, "%d,%g,%g,%g,%g,%g\n", i * 50, decaying ? 0.1 * exp(-i / 5.0) : 0.1,
                2.3 * exp(-i / 3.0), acc + 0.02 * ((i % 3) - 1), 2.3 * exp(-i / 3.5), acc);
    }
    fclose(m);
    harness_write(dir, "metrics.csv", text);
    free(text);
    return dir;
}

START_TEST(test_report_run_files)
{
    char *dir = make_run("run_const", run_config, false, 0.95);
    ck_assert_int_eq(report_run(dir, REPORT_PNG), CLNET_OK);
    assert_png(dir, "accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(dir, "loss.png", PLOT_WIDTH, PLOT_HEIGHT);
    ck_assert_msg(!exists_in(dir, "lr.png"), "lr.png for a constant learning rate");
    ck_assert(!exists_in(dir, "predictions.png") && !exists_in(dir, "accuracy.pdf"));
    assert_no_temps(dir);

    char *decay = make_run("run_decay", run_config, true, 0.97);
    ck_assert_int_eq(report_run(decay, REPORT_PDF), CLNET_OK);
    assert_png(decay, "lr.png", PLOT_WIDTH, PLOT_HEIGHT);
    ck_assert(exists_in(decay, "lr.pdf") && exists_in(decay, "accuracy.pdf") &&
              exists_in(decay, "loss.pdf") && exists_in(decay, "accuracy.png"));

    /* Malformed metrics.csv: a data error at its line; no metrics.csv: not a run. */
    harness_write(dir, "metrics.csv", "iteration,lr,train_loss,train_acc,test_loss,test_acc\n"
                                      "1,1,1,1,1,1\n2,1,1,1,1\n");
    clnet_error_clear();
    ck_assert_int_eq(report_run(dir, REPORT_PNG), CLNET_ERR_DATA);
    char *where = in_dir(dir, "metrics.csv:3:");
    ck_assert_msg(strncmp(clnet_error_message(), where, strlen(where)) == 0, "%s",
                  clnet_error_message());
    char *empty = make_dir("not_a_run");
    clnet_error_clear();
    ck_assert_int_eq(report_run(empty, REPORT_PNG), CLNET_ERR_USAGE);
    ck_assert_msg(strstr(clnet_error_message(), "not a run directory"), "%s",
                  clnet_error_message());
    free(where);
    free(empty);
    free(dir);
    free(decay);
}
END_TEST

/* dir/name's bytes (malloc'd, NUL-terminated; *len without the NUL). */
static char *bytes_in(const char *dir, const char *name, size_t *len)
{
    char *path = in_dir(dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "cannot open %s", path);
    char *buf = malloc(1 << 22);
    *len = fread(buf, 1, (1 << 22) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    free(path);
    return buf;
}

static bool same_png(const char *a, const char *b, const char *name)
{
    size_t la, lb;
    char *x = bytes_in(a, name, &la), *y = bytes_in(b, name, &lb);
    bool same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* A run of 20 evaluations every 50 iterations of batch 100 on 60,000 images, with an epoch
 * column (iteration x 100 / 60,000; when epochs) or without it (a run older than the column). */
static char *make_epoch_run(const char *name, const char *x_axis, bool epochs)
{
    char config[256];
    snprintf(config, sizeof config, "%sreport: {x_axis: %s}\n", run_config, x_axis);
    char *dir = make_dir(name);
    harness_write(dir, "config.yaml", config);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    fprintf(m, "iteration,%slr,train_loss,train_acc,test_loss,test_acc\n", epochs ? "epoch," : "");
    for (int i = 1; i <= 20; i++) {
        fprintf(m, "%d,", i * 50);
        if (epochs)
            fprintf(m, "%d.%04d,", i * 50 * 100 / 60000, i * 50 * 100 % 60000 * 10000 / 60000);
        fprintf(m, "0.1,%g,%g,%g,%g\n", 2.3 * exp(-i / 3.0), 0.9 - 0.5 * exp(-i / 4.0),
                2.3 * exp(-i / 3.5), 0.92 - 0.5 * exp(-i / 4.0));
    }
    fclose(m);
    harness_write(dir, "metrics.csv", text);
    free(text);
    return dir;
}

/* report.x_axis: epoch draws the curves against metrics.csv's epoch column; a run without
 * that column keeps the iteration axis (the same plot as x_axis: iteration). */
START_TEST(test_report_x_axis)
{
    char *iter = make_epoch_run("x_iteration", "iteration", true);
    char *epoch = make_epoch_run("x_epoch", "epoch", true);
    ck_assert_int_eq(report_run(iter, REPORT_PNG), CLNET_OK);
    ck_assert_int_eq(report_run(epoch, REPORT_PNG), CLNET_OK);
    assert_png(epoch, "accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    ck_assert_msg(!same_png(iter, epoch, "accuracy.png"), "x_axis: epoch drew the same plot");
    ck_assert_msg(!same_png(iter, epoch, "loss.png"), "x_axis: epoch drew the same loss plot");
    char *old_iter = make_epoch_run("old_iteration", "iteration", false);
    char *old_epoch = make_epoch_run("old_epoch", "epoch", false);
    ck_assert_int_eq(report_run(old_iter, REPORT_PNG), CLNET_OK);
    ck_assert_int_eq(report_run(old_epoch, REPORT_PNG), CLNET_OK);
    ck_assert_msg(same_png(old_iter, old_epoch, "accuracy.png"), "no epoch column: the plot "
                  "should keep the iteration axis");
    free(iter);
    free(epoch);
    free(old_iter);
    free(old_epoch);
}
END_TEST

static bool is_background(const struct pngc_image *img, int x, int y)
{
    const unsigned char *px = img->rgb + ((size_t)y * img->width + x) * 3;
    return px[0] == 255 && px[1] == 255 && px[2] == 255;
}

/* Nothing drawn on the image's outermost rows and columns: nothing runs off the page. */
static void assert_unclipped(const struct pngc_image *img, const char *what)
{
    for (int x = 0; x < img->width; x++)
        ck_assert_msg(is_background(img, x, 0) && is_background(img, x, img->height - 1),
                      "%s: drawn on the top or bottom edge at x %d", what, x);
    for (int y = 0; y < img->height; y++)
        ck_assert_msg(is_background(img, 0, y) && is_background(img, img->width - 1, y),
                      "%s: drawn on the left or right edge at y %d", what, y);
}

/* Pixels of exactly palette colour `colour` in columns [x0, x1). */
static int count_colour(const struct pngc_image *img, int colour, int x0, int x1)
{
    unsigned char rgb[3];
    plot_palette(colour, rgb);
    int n = 0;
    for (int y = 0; y < img->height; y++)
        for (int x = x0; x < x1; x++)
            n += memcmp(img->rgb + ((size_t)y * img->width + x) * 3, rgb, 3) == 0;
    return n;
}

START_TEST(test_plot_palette)
{
    /* Every pair of the PLOT_PALETTE colours at least 60 apart (RGB distance), and none the
     * white background; colour i + PLOT_PALETTE is colour i again. */
    ck_assert_int_ge(PLOT_PALETTE, 20);
    for (int i = 0; i < PLOT_PALETTE; i++) {
        unsigned char a[3], again[3];
        plot_palette(i, a);
        plot_palette(i + PLOT_PALETTE, again);
        ck_assert(memcmp(a, again, 3) == 0);
        ck_assert_msg(a[0] + a[1] + a[2] < 3 * 240, "colour %d is near white", i);
        for (int j = 0; j < i; j++) {
            unsigned char b[3];
            plot_palette(j, b);
            double d = 0;
            for (int k = 0; k < 3; k++)
                d += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
            ck_assert_msg(sqrt(d) >= 60, "colours %d and %d are %.1f apart", j, i, sqrt(d));
        }
    }
}
END_TEST

START_TEST(test_plot_many_series)
{
    /* 20 runs with long names and x up to 10000 (a sweep's overlay): the legend outside on the
     * right, every series its own colour, nothing off the page. */
    enum { SERIES = 20, POINTS = 100 };
    char *dir = make_dir("many");
    static double x[POINTS], y[SERIES][POINTS];
    char labels[SERIES][80];
    struct plot_series s[SERIES];
    for (int k = 0; k < POINTS; k++)
        x[k] = 100.0 * (k + 1);
    for (int i = 0; i < SERIES; i++) {
        for (int k = 0; k < POINTS; k++)
            y[i][k] = 0.7 + 0.01 * i + (0.28 - 0.01 * i) * (1 - exp(-x[k] / (500 + 150 * i)));
        snprintf(labels[i], sizeof labels[i], "q4_run_%02d_with_a_name_far_too_long_for_a_legend",
                 i);
        s[i] = (struct plot_series){.label = labels[i], .x = x, .y = y[i], .n = POINTS,
                                    .color = i, .width = 2, .style = 1};
    }
    struct plot_axes ax = {.title = "many", .subtitle = "20 runs", .xlabel = "iteration",
                           .ylabel = "test accuracy", .y_floor = 0, .y_ceil = 1,
                           .legend = PLOT_LEGEND_OUTSIDE};
    ck_assert_int_eq(plot_lines_files(dir, "many", REPORT_PNG, &ax, s, SERIES), CLNET_OK);
    char *path = in_dir(dir, "many.png"), err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    assert_unclipped(&img, path);
    /* A blank band of columns between the plot (its tick labels included) and the legend:
     * every colour left of it (the curves) and right of it (the legend's lines). */
    int band = -1;
    for (int x0 = img.width / 4; x0 + 4 < img.width - 1 && band < 0; x0++) {
        bool blank = true;
        for (int x1 = x0; x1 < x0 + 4 && blank; x1++)
            for (int y1 = 0; y1 < img.height && blank; y1++)
                blank = is_background(&img, x1, y1);
        if (blank && count_colour(&img, 0, x0 + 4, img.width) > 0)
            band = x0;
    }
    ck_assert_msg(band > 0, "%s: no blank band between the plot and the legend", path);
    for (int i = 0; i < SERIES; i++) {
        ck_assert_msg(count_colour(&img, i, 0, band) > 0, "%s: series %d not drawn", path, i);
        ck_assert_msg(count_colour(&img, i, band, img.width) > 0,
                      "%s: no legend entry in colour %d right of column %d", path, i, band);
    }
    pngc_free(&img);
    free(path);

    /* The legend inside and a wide last x tick label (10000000): still on the page. */
    for (int k = 0; k < POINTS; k++)
        x[k] = 1e5 * (k + 1);
    ax.legend = PLOT_LEGEND_LOWER_RIGHT;
    ck_assert_int_eq(plot_lines_files(dir, "wide", REPORT_PNG, &ax, s, 2), CLNET_OK);
    path = in_dir(dir, "wide.png");
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    assert_unclipped(&img, path);
    pngc_free(&img);
    free(path);
    free(dir);
}
END_TEST

/* ---- confusion matrix -------------------------------------------------------------------- */

START_TEST(test_confusion_file)
{
    char *dir = make_dir("confusion");
    struct confusion c;
    ck_assert_int_eq(confusion_init(&c, 3), CLNET_OK);
    long long counts[9] = {5, 1, 0, 2, 7, 1, 0, 3, 0}; /* class 2: none right */
    memcpy(c.counts, counts, sizeof counts);
    ck_assert(confusion_total(&c) == 19 && confusion_correct(&c) == 12 &&
              confusion_row_total(&c, 1) == 10 && confusion_class_accuracy(&c, 0) == 5 / 6.0);
    char *path = in_dir(dir, "confusion.json");
    ck_assert_int_eq(confusion_write(&c, "test", "final", path), CLNET_OK);
    void *raw = NULL;
    size_t raw_len = 0;
    ck_assert_int_eq(fs_read_file(&raw, &raw_len, path), CLNET_OK);
    char *text = raw;
    ck_assert_msg(strstr(text, "\"images\": 19,\n  \"correct\": 12,\n") &&
                      strstr(text, "\"counts\": [\n    [5, 1, 0],\n    [2, 7, 1],\n"
                                   "    [0, 3, 0]\n  ]\n}\n") &&
                      strstr(text, "\"per_class_accuracy\": [0.8333333333333334, 0.7, 0]"),
                  "%s", text);
    struct confusion back;
    ck_assert_int_eq(confusion_read(&back, path), CLNET_OK);
    ck_assert(back.classes == 3 && memcmp(back.counts, counts, sizeof counts) == 0);
    confusion_free(&back);
    /* A class with no image has no accuracy: null in the file, "-" in eval's table. */
    memset(c.counts + 6, 0, 3 * sizeof *c.counts);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    confusion_print(f, &c);
    fclose(f);
    ck_assert_msg(strcmp(out, "class          0      1      2\n"
                              "images         6     10      0\n"
                              "correct        5      7      0\n"
                              "accuracy  0.8333 0.7000      -\n"
                              "most confused (true -> predicted): 1 -> 0 (2), 0 -> 1 (1), "
                              "1 -> 2 (1)\n") == 0, "%s", out);
    free(out);
    confusion_free(&c);
    static const struct {
        const char *text, *what;
    } bad[] = {
        {"{\"counts\": [[1, 2], [3]]}", "counts row 1 is not a list of 2 numbers"},
        {"{\"counts\": [[1, -2], [3, 4]]}", "counts[0][1] is not a whole number >= 0"},
        {"{\"counts\": [[1, 2.5], [3, 4]]}", "counts[0][1]"},
        {"{\"counts\": []}", "not a list of 1 to"},
        {"{\"cells\": [[1]]}", "no \"counts\""},
        {"{\"counts\": [[1]], \"counts\": [[2]]}", "duplicate"},
        {"[1, 2", ":1:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        harness_write(dir, "bad.json", bad[i].text);
        char *p = in_dir(dir, "bad.json");
        clnet_error_clear();
        ck_assert_int_eq(confusion_read(&back, p), CLNET_ERR_DATA);
        ck_assert_msg(strncmp(clnet_error_message(), p, strlen(p)) == 0 &&
                          strstr(clnet_error_message(), bad[i].what),
                      "case %zu: %s", i, clnet_error_message());
        ck_assert(!back.counts);
        free(p);
    }
    free(text);
    free(path);
    free(dir);
}
END_TEST

START_TEST(test_plot_confusion)
{
    char *dir = make_dir("confusion_plot");
    struct confusion c;
    ck_assert_int_eq(confusion_init(&c, 10), CLNET_OK);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            c.counts[i * 10 + j] = i == j ? 900 + 10 * i : (i + j) % 7;
    char *path = in_dir(dir, "confusion.png"), err[512];
    ck_assert_int_eq(plot_confusion(path, PLOT_PNG, "net: confusion matrix", "test set", &c),
                     CLNET_OK);
    assert_png(dir, "confusion.png", CONF_WIDTH, CONF_HEIGHT);
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    assert_unclipped(&img, path);
    pngc_free(&img);
    confusion_free(&c);
    free(path);
    free(dir);
}
END_TEST

/* A dot on a point at the plot's corner (the last evaluation, an accuracy of 1) is whole: as
 * many pixels of its colour as a dot in the middle. */
START_TEST(test_plot_dots_unclipped)
{
    char *dir = make_dir("dots");
    double x[3] = {0, 50, 100}, y[3] = {0.2, 0.6, 1.0};
    struct plot_series s[3];
    for (int i = 0; i < 3; i++)
        s[i] = (struct plot_series){.label = "p", .x = x + i, .y = y + i, .n = 1, .color = i,
                                    .width = 2, .style = 1, .markers = true};
    struct plot_axes ax = {.title = "dots", .xlabel = "iteration", .ylabel = "accuracy",
                           .y_floor = 0, .y_ceil = 1, .legend = PLOT_LEGEND_LOWER_RIGHT};
    ck_assert_int_eq(plot_lines_files(dir, "dots", REPORT_PNG, &ax, s, 3), CLNET_OK);
    char *path = in_dir(dir, "dots.png"), err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    int middle = count_colour(&img, 1, 0, img.width);
    for (int i = 0; i < 3; i += 2) {
        int n = count_colour(&img, i, 0, img.width);
        ck_assert_msg(n >= middle * 9 / 10, "%s: the dot at (%g, %g) has %d pixels of its "
                      "colour, the middle one %d: cut by the plot's edge", path, x[i], y[i], n,
                      middle);
    }
    pngc_free(&img);
    free(path);
    free(dir);
}
END_TEST

START_TEST(test_setting_names)
{
    static const char *const cases[][2] = {
        {"train.optimizer.sgd.momentum", "momentum"},
        {"model.layers.0.dense.units", "units (layer 0)"},
        {"model.layers.12.conv2d.filters", "filters (layer 12)"},
        {"train.batch_size", "batch_size"},
        {"seed", "seed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        report_setting_name(out, sizeof out, cases[i][0]);
        ck_assert_msg(strcmp(out, cases[i][1]) == 0, "%s: '%s', want '%s'", cases[i][0], out,
                      cases[i][1]);
    }
}
END_TEST

/* ---- comparison ------------------------------------------------------------------------- */

START_TEST(test_compare_runs)
{
    char *sweep = make_dir("sweep");
    const int units[3] = {10, 100, 750};
    char *dirs[5];
    for (int i = 0; i < 3; i++) {
        char name[64], config[512];
        snprintf(name, sizeof name, "sweep/h%d", units[i]);
        snprintf(config, sizeof config,
                 "name: h%d\nmodel:\n  input: [784]\n  layers:\n    - dense: {units: %d}\n"
                 "    - dense: {units: 10}\n",
                 units[i], units[i]);
        dirs[i] = make_run(name, config, false, 0.9 + 0.03 * i);
    }
    /* Not started (no metrics.csv) and not evaluated yet (only the header): skipped. */
    dirs[3] = make_dir("sweep/unstarted");
    dirs[4] = make_dir("sweep/fresh");
    harness_write(dirs[4], "metrics.csv", "iteration,lr,train_loss,train_acc,test_loss,test_acc\n");

    char *param = NULL;
    double values[3];
    ck_assert_int_eq(report_varying_param(&param, values, (const char *const *)dirs, 3),
                     CLNET_OK);
    ck_assert_msg(param && strcmp(param, "model.layers.0.dense.units") == 0, "param %s",
                  param ? param : "(none)");
    ck_assert(values[0] == 10 && values[1] == 100 && values[2] == 750);

    struct report_run_ref refs[5] = {{"h10", dirs[0], 10}, {"unstarted", dirs[3], 5},
                                     {"h100", dirs[1], 100}, {"fresh", dirs[4], 7},
                                     {"h750", dirs[2], 750}};
    ck_assert_int_eq(report_compare(sweep, refs, 5, param, REPORT_PNG), CLNET_OK);
    assert_png(sweep, "compare_accuracy.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(sweep, "compare_loss.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_png(sweep, "final_vs_model.layers.0.dense.units.png", PLOT_WIDTH, PLOT_HEIGHT);
    assert_no_temps(sweep);

    /* No parameter: no final_vs plot; no run with rows: nothing, and no error. */
    char *other = make_dir("sweep2");
    ck_assert_int_eq(report_compare(other, refs, 5, NULL, REPORT_PNG), CLNET_OK);
    ck_assert(exists_in(other, "compare_accuracy.png"));
    DIR *d = opendir(other);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        files += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(files, 2);
    char *none = make_dir("sweep3");
    ck_assert_int_eq(report_compare(none, refs + 3, 1, "x", REPORT_PNG), CLNET_OK);
    ck_assert(!exists_in(none, "compare_accuracy.png"));

    /* Two values differ (units and the seed): no single parameter. */
    harness_write(dirs[1], "config.yaml",
                  "name: h100\nseed: 7\nmodel:\n  input: [784]\n  layers:\n"
                  "    - dense: {units: 100}\n    - dense: {units: 10}\n");
    free(param);
    ck_assert_int_eq(report_varying_param(&param, values, (const char *const *)dirs, 3),
                     CLNET_OK);
    ck_assert_msg(!param, "param %s with two differing values", param);
    /* One value differs but is not a number. */
    for (int i = 0; i < 2; i++)
        harness_write(dirs[i], "config.yaml",
                      i ? "name: b\ndevice: cpu\n" : "name: a\ndevice: auto\n");
    ck_assert_int_eq(report_varying_param(&param, values, (const char *const *)dirs, 2),
                     CLNET_OK);
    ck_assert_msg(!param, "param %s is not numeric", param);
    for (int i = 0; i < 5; i++)
        free(dirs[i]);
    free(sweep);
    free(other);
    free(none);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_png_checker);
    tcase_add_test(tc, test_metrics_read_good);
    tcase_add_loop_test(tc, test_metrics_read_bad, 0,
                        (int)(sizeof bad_metrics / sizeof bad_metrics[0]));
    tcase_add_test(tc, test_metrics_read_missing_file);
    tcase_add_test(tc, test_metrics_columns_by_name);
    tcase_add_test(tc, test_confusion_file);
    harness_add_plot_test(tc, test_plot_confusion);
    harness_add_plot_test(tc, test_plot_dots_unclipped);
    tcase_add_test(tc, test_setting_names);
    harness_add_plot_test(tc, test_plot_lines);
    tcase_add_test(tc, test_plot_palette);
    harness_add_plot_test(tc, test_plot_many_series);
    harness_add_plot_test(tc, test_plot_predictions_grid);
    harness_add_plot_test(tc, test_report_run_files);
    harness_add_plot_test(tc, test_report_x_axis);
    harness_add_plot_test(tc, test_compare_runs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return harness_run(report_suite(), true);
}
