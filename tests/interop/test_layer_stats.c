/* train.layer_stats end to end: the homework's own configs (question 4 (ix), (x), (vii) and
 * the question-5 CNN) trained for a few steps on the synthetic MNIST-shaped set, and their
 * layer_stats.csv read back. The effects the homework asks about must show: ReLU units whose
 * whole weight-gradient row is zero next to live ones (ix); zero-initialised layers whose units
 * stay identical (x, vii). The last record is checked against the run's model.safetensors
 * (the weights after the same step), and nothing is written when layer_stats is 0. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../train/synth.h"
#include "harness.h"
#include "model/safetensors.h"

#define HEADER                                                                                     \
    "iteration,layer,kind,tensor,act_zero,act_mean,act_std,rows,grad_zero,grad_zero_rows,"         \
    "distinct_rows,grad_norm,weight_norm\n"

enum {
    ACT_ZERO,
    ACT_MEAN,
    ACT_STD,
    ROWS,
    GRAD_ZERO,
    GRAD_ZERO_ROWS,
    DISTINCT,
    GRAD_NORM,
    WEIGHT_NORM,
    N_VALUES
};

struct stat_row {
    long it;
    int layer;
    char kind[16], tensor[8];
    double v[N_VALUES]; /* NAN where the field is empty */
};

struct stats {
    struct stat_row *rows;
    int n;
};

/* Reads dir/layer_stats.csv, asserting its header and that every row has 13 fields. */
static struct stats read_stats(const char *dir)
{
    char *text = read_in(dir, "layer_stats.csv", NULL);
    ck_assert_msg(text, "%s/layer_stats.csv is missing", dir);
    ck_assert_msg(strncmp(text, HEADER, strlen(HEADER)) == 0, "header: %.200s", text);
    struct stats s = {malloc((size_t)count_lines(text) * sizeof *s.rows), 0};
    char *save = NULL;
    for (char *line = strtok_r(text + strlen(HEADER), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct stat_row *r = &s.rows[s.n++];
        char *f[13], *p = line;
        int nf = 0;
        for (; nf < 13 && p; nf++) {
            f[nf] = p;
            p = strchr(p, ',');
            if (p) *p++ = '\0';
        }
        ck_assert_msg(nf == 13 && !p, "row %d: want 13 fields", s.n);
        r->it = strtol(f[0], NULL, 10);
        r->layer = (int)strtol(f[1], NULL, 10);
        snprintf(r->kind, sizeof r->kind, "%s", f[2]);
        snprintf(r->tensor, sizeof r->tensor, "%s", f[3]);
        for (int k = 0; k < N_VALUES; k++)
            r->v[k] = *f[4 + k] ? strtod(f[4 + k], NULL) : NAN;
    }
    free(text);
    return s;
}

static const struct stat_row *find(const struct stats *s, long it, int layer, const char *t)
{
    for (int i = 0; i < s->n; i++)
        if (s->rows[i].it == it && s->rows[i].layer == layer && strcmp(s->rows[i].tensor, t) == 0)
            return &s->rows[i];
    ck_abort_msg("no row for iteration %ld, layer %d, tensor '%s'", it, layer, t);
    return NULL;
}

/* clnet train CONFIG (a file of configs/hw2) on the synthetic set with extra --sets. */
static char *train_hw2(const char *config, const char *name, const char *const *extra)
{
    char *path = harness_source_path(config), *data = NULL;
    if (asprintf(&data, "data.dir=%s", synth_data_dir) < 0) abort();
    const char *sets[8] = {data};
    int n = 1;
    for (; extra && extra[n - 1]; n++)
        sets[n] = extra[n - 1];
    sets[n] = NULL;
    char *dir = run_dir(name);
    struct run_result *r = train(path, dir, sets);
    free(completed_summary(r, dir));
    free(r);
    free(data);
    free(path);
    return dir;
}

/* The record of the last iteration against model.safetensors (the weights after that step):
 * the weight norm and the number of distinct unit rows, computed here from the file. */
static void check_against_weights(const struct stats *s, const char *dir, long last)
{
    char *path = path_in(dir, "model.safetensors");
    struct safetensors st;
    ck_assert_msg(safetensors_read(&st, path) == 0, "cannot read %s", path);
    int checked = 0;
    for (int i = 0; i < s->n; i++) {
        const struct stat_row *r = &s->rows[i];
        if (r->it != last || !*r->tensor) continue;
        char name[64];
        snprintf(name, sizeof name, "layers.%d.%s", r->layer, r->tensor);
        const struct st_entry *e = safetensors_find(&st, name);
        ck_assert_msg(e, "%s missing", name);
        const float *w = e->data;
        int units =
            (int)(strcmp(r->tensor, "bias") == 0 || e->rank == 4 ? e->shape[0] : e->shape[1]);
        int len = (int)(e->count / units);
        bool dense = e->rank == 2; /* [in, out]: unit u is column u */
        double sq = 0;
        for (int64_t k = 0; k < e->count; k++)
            sq += (double)w[k] * (double)w[k];
        int distinct = 0;
        for (int u = 0; u < units; u++) {
            bool seen = false;
            for (int v = 0; v < u && !seen; v++) {
                bool same = true;
                for (int k = 0; k < len && same; k++) {
                    float a = dense ? w[k * units + u] : w[u * len + k];
                    float b = dense ? w[k * units + v] : w[v * len + k];
                    same = memcmp(&a, &b, sizeof a) == 0;
                }
                seen = same;
            }
            distinct += !seen;
        }
        ck_assert_msg(r->v[ROWS] == units, "%s: rows %g, want %d", name, r->v[ROWS], units);
        ck_assert_msg(r->v[DISTINCT] == distinct, "%s: distinct_rows %g, the file has %d", name,
                      r->v[DISTINCT], distinct);
        ck_assert_msg(fabs(r->v[WEIGHT_NORM] - sqrt(sq)) <= 1e-6 * (1 + sqrt(sq)),
                      "%s: weight_norm %.9g, the file's %.9g", name, r->v[WEIGHT_NORM], sqrt(sq));
        checked++;
    }
    ck_assert_msg(checked > 0, "no tensor rows at iteration %ld", last);
    safetensors_free(&st);
    free(path);
}

/* Question 4 (ix), five ReLU layers: some hidden layer has units with an all-zero weight-gradient
 * row (dead on the whole batch) beside live ones. */
START_TEST(test_five_relu_dead_rows)
{
    const char *sets[] = {"train.iterations=20", "train.layer_stats=5", NULL};
    char *dir = train_hw2("configs/hw2/q4_ix_five_relu.yaml", "stats_ix", sets);
    struct stats s = read_stats(dir);
    /* 4 records (5, 10, 15, 20) x 5 layers x (weight, bias) */
    ck_assert_msg(s.n == 40, "%d rows, want 40", s.n);
    int partial = 0;
    for (int i = 0; i < s.n; i++) {
        const struct stat_row *r = &s.rows[i];
        ck_assert_msg(r->it % 5 == 0 && r->it >= 5 && r->it <= 20, "iteration %ld", r->it);
        ck_assert_msg(strcmp(r->kind, "dense") == 0, "kind %s", r->kind);
        for (int k = 0; k < N_VALUES; k++)
            ck_assert_msg(isfinite(r->v[k]), "row %d value %d is not finite", i, k);
        if (strcmp(r->tensor, "weight") != 0 || r->layer > 3) continue;
        /* Random init: no two units alike. */
        ck_assert_msg(r->v[DISTINCT] == r->v[ROWS], "layer %d: %g distinct rows of %g", r->layer,
                      r->v[DISTINCT], r->v[ROWS]);
        if (r->v[GRAD_ZERO_ROWS] > 0 && r->v[GRAD_ZERO_ROWS] < 1) {
            partial++;
            printf("(ix) iteration %ld, layer %d: %.0f of %.0f units have an all-zero "
                   "weight-gradient row; zero outputs %.3f\n",
                   r->it, r->layer, r->v[GRAD_ZERO_ROWS] * r->v[ROWS], r->v[ROWS], r->v[ACT_ZERO]);
        }
        /* A unit dead on the batch outputs zero on every row: dead rows <= zero outputs. */
        ck_assert_msg(r->v[GRAD_ZERO_ROWS] <= r->v[ACT_ZERO] + 1e-9,
                      "layer %d: %g dead rows but only %g zero outputs", r->layer,
                      r->v[GRAD_ZERO_ROWS], r->v[ACT_ZERO]);
    }
    ck_assert_msg(partial > 0, "no hidden layer had some (but not all) all-zero gradient rows");
    char *png = path_in(dir, "layer_stats.png"); /* drawn only by a build with plots */
    ck_assert_msg(exists(png) == CLNET_HAVE_PLOTS, "%s %s", png,
                  CLNET_HAVE_PLOTS ? "missing" : "written by a build without plots");
    free(png);
    /* The logits: no ReLU, so no dead rows. */
    ck_assert_msg(find(&s, 20, 4, "weight")->v[ACT_ZERO] == 0, "logits with exact zeros");
    check_against_weights(&s, dir, 20);
    free(s.rows);
    free(dir);
}
END_TEST

/* Question 4 (x), every weight and bias zero: every ReLU input is 0, so the hidden layers get no
 * gradient and their units stay identical (all zero); the output layer's input is all zero, so
 * its weights stay zero too, and only its biases learn. */
START_TEST(test_five_relu_zero_init_identical)
{
    const char *sets[] = {"train.iterations=20", "train.layer_stats=10", NULL};
    char *dir = train_hw2("configs/hw2/q4_x_five_relu_zero.yaml", "stats_x", sets);
    struct stats s = read_stats(dir);
    ck_assert_msg(s.n == 20, "%d rows, want 20", s.n);
    for (long it = 10; it <= 20; it += 10) {
        for (int l = 0; l < 4; l++) {
            const struct stat_row *w = find(&s, it, l, "weight"), *b = find(&s, it, l, "bias");
            ck_assert_msg(w->v[DISTINCT] == 1,
                          "iteration %ld, layer %d: %g distinct weight rows "
                          "of %g, want 1",
                          it, l, w->v[DISTINCT], w->v[ROWS]);
            ck_assert_msg(b->v[DISTINCT] == 1, "layer %d: %g distinct biases", l, b->v[DISTINCT]);
            ck_assert_msg(w->v[ACT_ZERO] == 1 && w->v[GRAD_ZERO] == 1 &&
                              w->v[GRAD_ZERO_ROWS] == 1 && w->v[WEIGHT_NORM] == 0 &&
                              w->v[GRAD_NORM] == 0,
                          "layer %d: want all-zero outputs, gradients and weights", l);
        }
        const struct stat_row *w = find(&s, it, 4, "weight"), *b = find(&s, it, 4, "bias");
        ck_assert_msg(w->v[DISTINCT] == 1 && w->v[WEIGHT_NORM] == 0 && w->v[GRAD_ZERO_ROWS] == 1,
                      "output weights moved");
        ck_assert_msg(b->v[WEIGHT_NORM] > 0 && b->v[DISTINCT] > 1,
                      "iteration %ld: the output biases did not learn", it);
    }
    check_against_weights(&s, dir, 20);
    free(s.rows);
    free(dir);
}
END_TEST

/* Question 4 (vii), two sigmoid layers from zero: sigmoid(0) = 0.5 passes a gradient, so the
 * hidden units move, but identically: one distinct weight row of 200, with a non-zero norm. */
START_TEST(test_two_sigmoid_zero_init_identical)
{
    const char *sets[] = {"train.iterations=20", "train.layer_stats=20", NULL};
    char *dir = train_hw2("configs/hw2/q4_vii_two_zero.yaml", "stats_vii", sets);
    struct stats s = read_stats(dir);
    const struct stat_row *w = find(&s, 20, 0, "weight"), *o = find(&s, 20, 1, "weight");
    ck_assert_msg(w->v[ROWS] == 200 && w->v[DISTINCT] == 1 && w->v[WEIGHT_NORM] > 0,
                  "hidden layer: %g distinct rows of %g, weight norm %g; want 1 of 200, > 0",
                  w->v[DISTINCT], w->v[ROWS], w->v[WEIGHT_NORM]);
    ck_assert_msg(o->v[DISTINCT] == 10, "output layer: %g distinct rows of 10", o->v[DISTINCT]);
    printf("(vii) after 20 steps: hidden weight norm %.4f, 1 distinct row of 200\n",
           w->v[WEIGHT_NORM]);
    check_against_weights(&s, dir, 20);
    free(s.rows);
    free(dir);
}
END_TEST

/* The question-5 CNN: conv2d rows are filters; flatten has no tensor (empty columns). */
START_TEST(test_cnn_rows_are_filters)
{
    const char *sets[] = {"train.iterations=4", "train.layer_stats=2", "train.batch_size=20", NULL};
    char *dir = train_hw2("configs/hw2/q5_ii_cnn.yaml", "stats_cnn", sets);
    struct stats s = read_stats(dir);
    /* 2 records x (5 layers with 2 tensors + flatten) */
    ck_assert_msg(s.n == 22, "%d rows, want 22", s.n);
    const int filters[3] = {4, 8, 12};
    for (int l = 0; l < 3; l++) {
        const struct stat_row *r = find(&s, 4, l, "weight");
        ck_assert_msg(strcmp(r->kind, "conv2d") == 0 && r->v[ROWS] == filters[l],
                      "layer %d: %s with %g rows", l, r->kind, r->v[ROWS]);
    }
    const struct stat_row *f = find(&s, 4, 3, "");
    ck_assert_msg(strcmp(f->kind, "flatten") == 0 && isnan(f->v[ROWS]) && isnan(f->v[GRAD_NORM]),
                  "flatten row: %s", f->kind);
    /* flatten is a view of layer 2's output: the same activation statistics. */
    const struct stat_row *c = find(&s, 4, 2, "weight");
    ck_assert_msg(f->v[ACT_MEAN] == c->v[ACT_MEAN] && f->v[ACT_ZERO] == c->v[ACT_ZERO],
                  "flatten's activations differ from its input's");
    check_against_weights(&s, dir, 4);
    free(s.rows);
    free(dir);
}
END_TEST

START_TEST(test_off_writes_nothing)
{
    const char *sets[] = {"train.iterations=5", NULL};
    char *dir = train_hw2("configs/hw2/q4_ix_five_relu.yaml", "stats_off", sets);
    char *csv = path_in(dir, "layer_stats.csv"), *png = path_in(dir, "layer_stats.png");
    ck_assert_msg(!exists(csv) && !exists(png), "layer_stats 0 wrote %s", csv);
    free(csv);
    free(png);
    free(dir);
}
END_TEST

int main(void)
{
    synth_setup();
    Suite *s = suite_create("layer_stats");
    TCase *tc = tcase_create("layer_stats");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_five_relu_dead_rows);
    tcase_add_test(tc, test_five_relu_zero_init_identical);
    tcase_add_test(tc, test_two_sigmoid_zero_init_identical);
    tcase_add_test(tc, test_cnn_rows_are_filters);
    tcase_add_test(tc, test_off_writes_nothing);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
