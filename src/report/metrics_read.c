/* metrics.csv back into columns (see metrics_read.h). */
#include "report/metrics_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/status.h"

enum column {
    COL_ITERATION,
    COL_LR,
    COL_TRAIN_LOSS,
    COL_TRAIN_ACC,
    COL_TEST_LOSS,
    COL_TEST_ACC,
    COL_FULL_TRAIN_LOSS,
    COL_FULL_TRAIN_ACC,
    COL_EPOCH,
    COL_COUNT,
    COL_REQUIRED = COL_FULL_TRAIN_LOSS /* the columns before this one must be there */
};

static const char *const column_names[COL_COUNT] = {
    "iteration", "lr",       "train_loss",      "train_acc",
    "test_loss", "test_acc", "full_train_loss", "full_train_acc", "epoch",
};

#define MAX_FIELDS 64

static double **column_slot(struct metrics_table *t, enum column c)
{
    double **slots[COL_COUNT] = {&t->iteration, &t->lr,        &t->train_loss,
                                 &t->train_acc, &t->test_loss, &t->test_acc,
                                 &t->full_train_loss, &t->full_train_acc, &t->epoch};
    return slots[c];
}

void metrics_table_free(struct metrics_table *t)
{
    for (int c = 0; c < COL_COUNT; c++)
        free(*column_slot(t, (enum column)c));
    memset(t, 0, sizeof *t);
}

/* Splits line [p, end) at commas into fields (pointers into a NUL-terminated copy). */
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

/* The column of each header field (-1: skipped); checks the required ones are there. */
static int parse_header(int *map, char **fields, int n, const char *path, bool *full,
                        bool *epoch)
{
    int found[COL_COUNT];
    for (int c = 0; c < COL_COUNT; c++)
        found[c] = -1;
    for (int i = 0; i < n; i++) {
        map[i] = -1;
        for (int c = 0; c < COL_COUNT; c++)
            if (strcmp(fields[i], column_names[c]) == 0) {
                if (found[c] >= 0)
                    return clnet_errorf(CLNET_ERR_DATA, "%s:1: column '%s' appears twice", path,
                                        column_names[c]);
                found[c] = i;
                map[i] = c;
            }
    }
    for (int c = 0; c < COL_REQUIRED; c++)
        if (found[c] < 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s:1: no '%s' column (not a clnet metrics.csv)",
                                path, column_names[c]);
    if ((found[COL_FULL_TRAIN_LOSS] < 0) != (found[COL_FULL_TRAIN_ACC] < 0))
        return clnet_errorf(CLNET_ERR_DATA, "%s:1: full_train_loss and full_train_acc come "
                            "together; only one is there", path);
    *full = found[COL_FULL_TRAIN_LOSS] >= 0;
    *epoch = found[COL_EPOCH] >= 0;
    return CLNET_OK;
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
    if (r > 0 && !(t->iteration[r] > t->iteration[r - 1]))
        return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: iteration %.0f after %.0f: iterations "
                            "must increase", path, line, t->iteration[r], t->iteration[r - 1]);
    for (int i = 0; i < n; i++) {
        enum column c = map[i] < 0 ? COL_COUNT : (enum column)map[i];
        if (c == COL_COUNT || c == COL_ITERATION || c == COL_TRAIN_LOSS || c == COL_TEST_LOSS ||
            c == COL_FULL_TRAIN_LOSS || c == COL_EPOCH) /* the epoch is checked as it is read */
            continue;
        double v = (*column_slot((struct metrics_table *)t, c))[r];
        bool acc = c != COL_LR;
        if (c == COL_TRAIN_ACC && t->iteration[r] == 0 && isnan(v))
            continue; /* row 0, before the first step, has no mini-batch */
        if (!isfinite(v) || (acc && (v < 0 || v > 1)))
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: column %d (%s): %g is not %s", path,
                                line, i + 1, column_names[c], v,
                                acc ? "an accuracy in [0, 1]" : "a finite number");
    }
    return CLNET_OK;
}

static int grow(struct metrics_table *t, int *cap)
{
    int want = *cap ? 2 * *cap : 64;
    for (int c = 0; c < COL_COUNT; c++) {
        if ((c == COL_FULL_TRAIN_LOSS || c == COL_FULL_TRAIN_ACC) && !t->full_train)
            continue;
        if (c == COL_EPOCH && !t->has_epoch)
            continue;
        double **slot = column_slot(t, (enum column)c);
        double *p = realloc(*slot, (size_t)want * sizeof *p);
        if (!p)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading metrics");
        *slot = p;
    }
    *cap = want;
    return CLNET_OK;
}

int metrics_parse(struct metrics_table *t, const char *text, size_t len, const char *path)
{
    memset(t, 0, sizeof *t);
    char *copy = malloc(len + 1);
    if (!copy)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory reading %s", path);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int status = CLNET_OK, cap = 0, n_header = 0;
    int map[MAX_FIELDS];
    char *fields[MAX_FIELDS + 1];
    long lineno = 0;
    for (char *p = copy; status == CLNET_OK && p < copy + len;) {
        char *nl = memchr(p, '\n', (size_t)(copy + len - p));
        char *line = p;
        p = nl ? nl + 1 : copy + len;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t ll = strlen(line);
        if (ll != (size_t)((nl ? nl : copy + len) - line)) {
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: a NUL byte in the text", path, lineno);
            break;
        }
        if (ll > 0 && line[ll - 1] == '\r')
            line[--ll] = '\0';
        int n = split(line, fields, MAX_FIELDS);
        if (n > MAX_FIELDS) {
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: more than %d columns", path, lineno,
                                  MAX_FIELDS);
        } else if (lineno == 1) {
            n_header = n;
            status = parse_header(map, fields, n, path, &t->full_train, &t->has_epoch);
        } else if (ll == 0) {
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: an empty line", path, lineno);
        } else if (n != n_header) {
            status = clnet_errorf(CLNET_ERR_DATA, "%s:%ld: %d values; the header has %d columns",
                                  path, lineno, n, n_header);
        } else {
            if (t->n == cap)
                status = grow(t, &cap);
            for (int i = 0; i < n && status == CLNET_OK; i++) {
                if (map[i] < 0)
                    continue;
                double *col = *column_slot(t, (enum column)map[i]);
                status = parse_value(&col[t->n], fields[i], path, lineno, i + 1,
                                     column_names[map[i]]);
            }
            if (status == CLNET_OK)
                status = check_row(t, map, n, path, lineno);
            if (status == CLNET_OK)
                t->n++;
        }
    }
    free(copy);
    if (status != CLNET_OK)
        metrics_table_free(t);
    return status;
}

int metrics_read(struct metrics_table *t, const char *path)
{
    memset(t, 0, sizeof *t);
    void *data;
    size_t len;
    int status = fs_read_file(&data, &len, path);
    if (status != CLNET_OK)
        return status;
    status = metrics_parse(t, data, len, path);
    free(data);
    return status;
}
