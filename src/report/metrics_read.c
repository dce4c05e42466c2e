/* metrics.csv and steps.csv back into columns by name (see metrics_read.h). */
#include "report/metrics_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
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

/* The columns kept: the ones a plot or page can draw. */
static bool kept(const char *name)
{
    return strcmp(name, "iteration") == 0 || strcmp(name, "epoch") == 0 ||
           strcmp(name, "lr") == 0 || ends_with(name, "_loss") || ends_with(name, "_acc");
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

/* Splits line at commas into fields (pointers into line, which is cut at each comma). */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        if (n == max)
            return max + 1;
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
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

/* The header: each field's column in t (-1: skipped); the required columns are there. */
static int parse_header(struct metrics_table *t, int *map, char **fields, int n,
                        const char *path, const struct layout *k)
{
    for (int i = 0; i < n; i++) {
        map[i] = -1;
        if (!kept(fields[i]))
            continue;
        if (find(t, fields[i]) >= 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s:1: column '%s' appears twice", path,
                                fields[i]);
        if (!(t->names[t->n_cols] = strdup(fields[i])))
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
        map[i] = t->n_cols++;
    }
    for (int r = 0; r < k->n_required; r++)
        if (find(t, k->required[r]) < 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s:1: no '%s' column (not a clnet %s)", path,
                                k->required[r], k->file);
    return check_pairs(t, path);
}

static int parse_value(double *v, const char *text, const char *path, long line, int col,
                       const char *name)
{
    char *end;
    *v = strtod(text, &end); /* out of range: inf or 0, as the writer would print them */
    if (end == text || *end != '\0')
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): '%s' is not a number", path,
                            line, col, name, text);
    if (strcmp(name, "iteration") == 0 && !(*v >= 0 && *v == floor(*v) && *v < 1e15))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (iteration): '%s' is not a "
                            "whole number >= 0", path, line, col, text);
    if (strcmp(name, "epoch") == 0 && !(*v >= 0 && isfinite(*v)))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (epoch): '%s' is not a number "
                            ">= 0", path, line, col, text);
    return CLNET_OK;
}

/* A row as clnet writes them: iterations increase (one row per evaluation, a resumed run
 * rewrites the rows before its checkpoint), and only a loss may be non-finite, besides
 * train_acc in row 0 (the evaluation before the first step: no mini-batch yet, nan). A loss over a
 * set (test_loss, full_train_loss) is NaN or inf when the model overflows on an image of it,
 * and a run that diverges stops at its mini-batch loss; lr and the accuracies are always
 * numbers, accuracies in [0, 1]. Anything else is a damaged or hand-edited file, whose plots
 * would be wrong without a word. */
static int check_row(const struct metrics_table *t, const int *map, int n, const char *path,
                     long line)
{
    int r = t->n;
    const double *it = metrics_column(t, "iteration");
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
        if (!isfinite(v) || (acc && (v < 0 || v > 1)))
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): %g is not %s", path,
                                line, i + 1, name, v,
                                acc ? "an accuracy in [0, 1]" : "a finite number");
    }
    return CLNET_OK;
}

static int grow(struct metrics_table *t, int *cap)
{
    int want = *cap ? 2 * *cap : 64;
    for (int c = 0; c < t->n_cols; c++) {
        double *p = realloc(t->cols[c], (size_t)want * sizeof *p);
        if (!p)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading metrics");
        t->cols[c] = p;
    }
    *cap = want;
    return CLNET_OK;
}

/* One data row (fields, n of them) appended to t. */
static int parse_row(struct metrics_table *t, const int *map, char **fields, int n, int *cap,
                     const char *path, long lineno)
{
    int status = t->n == *cap ? grow(t, cap) : CLNET_OK;
    for (int i = 0; i < n && status == CLNET_OK; i++)
        if (map[i] >= 0)
            status = parse_value(&t->cols[map[i]][t->n], fields[i], path, lineno, i + 1,
                                 t->names[map[i]]);
    if (status == CLNET_OK)
        status = check_row(t, map, n, path, lineno);
    if (status == CLNET_OK)
        t->n++;
    return status;
}

/* The next line of [*p, end) cut out and NUL-terminated (a final '\r' dropped); *p moves past
 * it. A NUL byte inside it is an error. */
static int next_line(char **line, char **p, char *end, const char *path, long lineno)
{
    char *nl = memchr(*p, '\n', (size_t)(end - *p));
    char *stop = nl ? nl : end;
    *line = *p;
    *p = nl ? nl + 1 : end;
    *stop = '\0';
    size_t ll = strlen(*line);
    if (ll != (size_t)(stop - *line))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: a NUL byte in the text", path, lineno);
    if (ll > 0 && (*line)[ll - 1] == '\r')
        (*line)[ll - 1] = '\0';
    return CLNET_OK;
}

static int parse(struct metrics_table *t, const char *text, size_t len, const char *path,
                 const struct layout *k)
{
    memset(t, 0, sizeof *t);
    char *copy = malloc(len + 1);
    if (!copy)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int status = CLNET_OK, cap = 0, n_header = 0;
    int map[METRICS_MAX_COLUMNS];
    char *fields[METRICS_MAX_COLUMNS + 1];
    long lineno = 0;
    for (char *p = copy, *line; status == CLNET_OK && p < copy + len;) {
        status = next_line(&line, &p, copy + len, path, ++lineno);
        int n = status == CLNET_OK ? split(line, fields, METRICS_MAX_COLUMNS) : 0;
        if (status != CLNET_OK)
            break;
        if (n > METRICS_MAX_COLUMNS)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %d columns", path, lineno,
                                  METRICS_MAX_COLUMNS);
        else if (lineno == 1)
            status = parse_header(t, map, fields, n_header = n, path, k);
        else if (n == 1 && !*fields[0])
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: an empty line", path, lineno);
        else if (n != n_header)
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: %d values; the header has %d columns",
                                  path, lineno, n, n_header);
        else
            status = parse_row(t, map, fields, n, &cap, path, lineno);
    }
    free(copy);
    if (status != CLNET_OK)
        metrics_table_free(t);
    bind(t);
    t->full_train = t->full_train_loss != NULL;
    t->has_epoch = t->epoch != NULL;
    return status;
}

static int read_file(struct metrics_table *t, const char *path, const struct layout *k)
{
    memset(t, 0, sizeof *t);
    void *data;
    size_t len;
    int status = fs_read_file(&data, &len, path);
    if (status != CLNET_OK)
        return status;
    status = parse(t, data, len, path, k);
    free(data);
    return status;
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
