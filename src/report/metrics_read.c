/* metrics.csv and steps.csv back into columns by name (see metrics_read.h), through clnet's
 * one CSV reader (util/csv.h). */
#include "report/metrics_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/status.h"

/* What one kind of file must hold. */
struct layout {
    const char *file; /* for "not a clnet FILE" */
    const char *const *required;
    int n_required;
};

static const char *const metrics_required[] = {"iteration", "lr",        "train_loss",
                                               "train_acc", "test_loss", "test_acc"};
static const char *const steps_required[] = {"iteration", "train_loss", "train_acc"};
static const struct layout metrics_layout = {"metrics.csv", metrics_required, 6};
static const struct layout steps_layout = {"steps.csv", steps_required, 3};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The columns kept: the ones a plot or page can draw (train.loss's terms' too:
 * train_loss_NAME, test_loss_NAME). */
static bool kept(const char *name)
{
    return strcmp(name, "iteration") == 0 || strcmp(name, "epoch") == 0 ||
           strcmp(name, "lr") == 0 || ends_with(name, "_loss") || ends_with(name, "_acc") ||
           !strncmp(name, "train_loss_", 11) || !strncmp(name, "test_loss_", 10);
}

/* The index of the column called name, or -1. */
static int find(const struct metrics_table *t, const char *name)
{
    for (int c = 0; c < t->n_cols; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}

const double *metrics_column(const struct metrics_table *t, const char *name)
{
    int c = find(t, name);
    return c < 0 ? NULL : t->cols[c];
}

static double *column(struct metrics_table *t, const char *name)
{
    return (double *)metrics_column(t, name);
}

/* The named pointers, once the columns have stopped growing. */
static void bind(struct metrics_table *t)
{
    t->iteration = column(t, "iteration");
    t->lr = column(t, "lr");
    t->train_loss = column(t, "train_loss");
    t->train_acc = column(t, "train_acc");
    t->test_loss = column(t, "test_loss");
    t->test_acc = column(t, "test_acc");
    t->full_train_loss = column(t, "full_train_loss");
    t->full_train_acc = column(t, "full_train_acc");
    t->epoch = column(t, "epoch");
}

void metrics_table_free(struct metrics_table *t)
{
    for (int c = 0; c < t->n_cols; c++) {
        free(t->cols[c]);
        free(t->names[c]);
    }
    memset(t, 0, sizeof *t);
}

/* Each P_loss comes with its P_acc and the other way round (full_train_*, val_*). */
static int check_pairs(const struct metrics_table *t, const char *path)
{
    for (int c = 0; c < t->n_cols; c++) {
        const char *name = t->names[c];
        bool loss = ends_with(name, "_loss");
        if (!loss && !ends_with(name, "_acc"))
            continue;
        size_t stem = strlen(name) - (loss ? 5 : 4);
        char other[256];
        snprintf(other, sizeof other, "%.*s%s", (int)stem, name, loss ? "_acc" : "_loss");
        if (find(t, other) < 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s:1: %s and %s come together; only one is "
                                "there", path, loss ? name : other, loss ? other : name);
    }
    return CLNET_OK;
}

/* The header: each of the file's columns' place in t (-1: skipped); the required columns are
 * there. */
static int parse_header(struct metrics_table *t, int *map, const struct csv *c,
                        const struct layout *k)
{
    int col;
    for (int i = 0; i < c->n_cols; i++) {
        map[i] = -1;
        if (!kept(c->names[i]))
            continue;
        if (t->n_cols == METRICS_MAX_COLUMNS)
            return clnet_errorf(CLNET_ERR_DATA, "%s:1: more than %d columns", c->path,
                                METRICS_MAX_COLUMNS);
        if (!(t->names[t->n_cols] = strdup(c->names[i])))
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", c->path);
        map[i] = t->n_cols++;
    }
    for (int r = 0; r < k->n_required; r++)
        if (csv_require(c, k->required[r], k->file, &col) != CLNET_OK)
            return CLNET_ERR_DATA;
    return check_pairs(t, c->path);
}

static int parse_value(double *v, const struct csv *c, int r, int col)
{
    const char *name = c->names[col];
    long long whole;
    if (strcmp(name, "iteration") == 0) {
        int status = csv_whole(c, r, col, 0, INFINITY, &whole);
        *v = (double)whole;
        return status;
    }
    int status = csv_number(c, r, col, v);
    if (status == CLNET_OK && strcmp(name, "epoch") == 0 && !(*v >= 0 && isfinite(*v)))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (epoch): '%s' is not a number "
                            ">= 0", c->path, csv_line(r), col + 1, csv_field(c, r, col));
    return status;
}

/* A row as clnet writes them: iterations increase (one row per evaluation, a resumed run
 * rewrites the rows before its checkpoint), and only a loss may be non-finite, besides
 * train_acc in row 0 (the evaluation before the first step: no mini-batch yet, nan). A loss over a
 * set (test_loss, full_train_loss) is NaN or inf when the model overflows on an image of it,
 * and a run that diverges stops at its mini-batch loss; lr is always a number, accuracies
 * are in [0, 1], or all of a row's nan (in steps.csv: in every row, as in the first) for a
 * model whose loss does not classify (train.loss's list form). Anything
 * else is a damaged or hand-edited file, whose plots would be wrong without a word. */
/* Row r has no accuracy: every _acc column nan (in steps.csv, as in its first row). */
static bool no_accuracy(const struct metrics_table *t, const int *map, int n, int r)
{
    bool all = true;
    for (int i = 0; i < n; i++)
        if (map[i] >= 0 && ends_with(t->names[map[i]], "_acc"))
            all = all && isnan(t->cols[map[i]][r]);
    const double *train_acc = metrics_column(t, "train_acc");
    return all && (metrics_column(t, "test_acc") || (train_acc && isnan(train_acc[0])));
}

static int check_row(const struct metrics_table *t, const int *map, int n, const char *path,
                     long line)
{
    int r = t->n;
    const double *it = metrics_column(t, "iteration"), *test_acc = metrics_column(t, "test_acc");
    const double *train_acc = metrics_column(t, "train_acc");
    bool none = no_accuracy(t, map, n, r), steps_none = !test_acc && isnan(train_acc[0]);
    if (r > 0 && !(it[r] > it[r - 1]))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: iteration %.0f after %.0f: iterations "
                            "must increase", path, line, it[r], it[r - 1]);
    for (int i = 0; i < n; i++) {
        if (map[i] < 0)
            continue;
        const char *name = t->names[map[i]];
        bool acc = ends_with(name, "_acc");
        if (!acc && strcmp(name, "lr") != 0) /* iteration, epoch: checked as read; losses */
            continue;
        double v = t->cols[map[i]][r];
        if (strcmp(name, "train_acc") == 0 && it[r] == 0 && isnan(v))
            continue; /* row 0, before the first step, has no mini-batch */
        if (acc && none && isnan(v))
            continue; /* a loss that does not classify (train.loss's list form) */
        if (acc && steps_none)
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): %g in a row whose "
                                "first train_acc is nan (a loss without accuracies)", path,
                                line, i + 1, name, v);
        if (!isfinite(v) || (acc && (v < 0 || v > 1)))
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): %g is not %s", path,
                                line, i + 1, name, v,
                                acc ? "an accuracy in [0, 1]" : "a finite number");
    }
    return CLNET_OK;
}

/* Row r of c appended to t. */
static int parse_row(struct metrics_table *t, const int *map, const struct csv *c, int r)
{
    int status = CLNET_OK;
    for (int i = 0; i < c->n_cols && status == CLNET_OK; i++)
        if (map[i] >= 0)
            status = parse_value(&t->cols[map[i]][t->n], c, r, i);
    if (status == CLNET_OK)
        status = check_row(t, map, c->n_cols, c->path, csv_line(r));
    if (status == CLNET_OK)
        t->n++;
    return status;
}

/* The columns kept of c, its rows checked, into t. */
static int fill(struct metrics_table *t, const struct csv *c, const struct layout *k)
{
    int *map = malloc((size_t)(c->n_cols ? c->n_cols : 1) * sizeof *map);
    int status = map ? CLNET_OK : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK && c->n_cols > 0) /* zero bytes: a run that has not evaluated */
        status = parse_header(t, map, c, k);
    for (int i = 0; i < t->n_cols && status == CLNET_OK; i++)
        if (!(t->cols[i] = malloc((size_t)(c->n_rows ? c->n_rows : 1) * sizeof(double))))
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", c->path);
    for (int r = 0; r < c->n_rows && status == CLNET_OK; r++)
        status = parse_row(t, map, c, r);
    free(map);
    return status;
}

static int finish(struct metrics_table *t, int status)
{
    if (status != CLNET_OK)
        metrics_table_free(t);
    bind(t);
    t->full_train = t->full_train_loss != NULL;
    t->has_epoch = t->epoch != NULL;
    return status;
}

static int parse(struct metrics_table *t, const char *text, size_t len, const char *path,
                 const struct layout *k)
{
    memset(t, 0, sizeof *t);
    struct csv c;
    int status = csv_parse(&c, text, len, path);
    if (status == CLNET_OK)
        status = fill(t, &c, k);
    csv_free(&c);
    return finish(t, status);
}

static int read_file(struct metrics_table *t, const char *path, const struct layout *k)
{
    memset(t, 0, sizeof *t);
    struct csv c;
    int status = csv_read(&c, path);
    if (status == CLNET_OK)
        status = fill(t, &c, k);
    csv_free(&c);
    return finish(t, status);
}

int metrics_parse(struct metrics_table *t, const char *text, size_t len, const char *path)
{
    return parse(t, text, len, path, &metrics_layout);
}

int metrics_read(struct metrics_table *t, const char *path)
{
    return read_file(t, path, &metrics_layout);
}

int steps_parse(struct metrics_table *t, const char *text, size_t len, const char *path)
{
    return parse(t, text, len, path, &steps_layout);
}

int steps_read(struct metrics_table *t, const char *path)
{
    return read_file(t, path, &steps_layout);
}
