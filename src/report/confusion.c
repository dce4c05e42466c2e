/* Confusion matrices (see confusion.h). confusion.json is written by hand, a row of counts to a
 * line so that it reads as the matrix it is, and read back with jansson. */
#include "report/confusion.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/num.h"
#include "util/status.h"

int confusion_init(struct confusion *c, int classes)
{
    c->classes = 0;
    c->counts = NULL;
    if (classes < 1 || classes > CONFUSION_MAX_CLASSES)
        return clnet_errorf(CLNET_ERR_INTERNAL, "a confusion matrix of %d classes (1..%d)",
                            classes, CONFUSION_MAX_CLASSES);
    c->counts = calloc((size_t)classes * (size_t)classes, sizeof *c->counts);
    if (!c->counts)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    c->classes = classes;
    return CLNET_OK;
}

void confusion_free(struct confusion *c)
{
    free(c->counts);
    c->counts = NULL;
    c->classes = 0;
}

long long confusion_row_total(const struct confusion *c, int k)
{
    long long n = 0;
    for (int j = 0; j < c->classes; j++)
        n += c->counts[(size_t)k * (size_t)c->classes + (size_t)j];
    return n;
}

long long confusion_total(const struct confusion *c)
{
    long long n = 0;
    for (int k = 0; k < c->classes; k++)
        n += confusion_row_total(c, k);
    return n;
}

long long confusion_correct(const struct confusion *c)
{
    long long n = 0;
    for (int k = 0; k < c->classes; k++)
        n += c->counts[(size_t)k * (size_t)c->classes + (size_t)k];
    return n;
}

double confusion_class_accuracy(const struct confusion *c, int k)
{
    long long n = confusion_row_total(c, k);
    return n > 0 ? (double)c->counts[(size_t)k * (size_t)c->classes + (size_t)k] / (double)n
                 : NAN;
}

static void put_number(FILE *f, double v)
{
    char buf[32];
    fputs(isfinite(v) ? num_shortest(buf, sizeof buf, v) : "null", f);
}

int confusion_write(const struct confusion *c, const char *set, const char *weights,
                    const char *path)
{
    struct fs_atomic a;
    int status = fs_atomic_open(&a, path);
    if (status != CLNET_OK)
        return status;
    int k = c->classes;
    fprintf(a.f, "{\n  \"set\": \"%s\",\n  \"weights\": \"%s\",\n  \"images\": %lld,\n"
            "  \"correct\": %lld,\n  \"per_class_accuracy\": [", set, weights,
            confusion_total(c), confusion_correct(c));
    for (int i = 0; i < k; i++) {
        fputs(i ? ", " : "", a.f);
        put_number(a.f, confusion_class_accuracy(c, i));
    }
    fputs("],\n  \"counts\": [\n", a.f);
    for (int i = 0; i < k; i++) {
        fputs("    [", a.f);
        for (int j = 0; j < k; j++)
            fprintf(a.f, "%s%lld", j ? ", " : "", c->counts[(size_t)i * (size_t)k + (size_t)j]);
        fprintf(a.f, "]%s\n", i + 1 < k ? "," : "");
    }
    fputs("  ]\n}\n", a.f);
    return fs_atomic_commit(&a);
}

/* counts: K arrays of K whole numbers >= 0. */
static int read_counts(struct confusion *c, const json_t *counts, const char *path)
{
    size_t k = json_is_array(counts) ? json_array_size(counts) : 0;
    if (k < 1 || k > CONFUSION_MAX_CLASSES)
        return clnet_errorf(CLNET_ERR_DATA, "%s: \"counts\" is not a list of 1 to %d rows",
                            path, CONFUSION_MAX_CLASSES);
    int status = confusion_init(c, (int)k);
    for (size_t i = 0; i < k && status == CLNET_OK; i++) {
        const json_t *row = json_array_get(counts, i);
        if (!json_is_array(row) || json_array_size(row) != k)
            status = clnet_errorf(CLNET_ERR_DATA, "%s: counts row %zu is not a list of %zu "
                                  "numbers", path, i, k);
        for (size_t j = 0; j < k && status == CLNET_OK; j++) {
            const json_t *v = json_array_get(row, j);
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                status = clnet_errorf(CLNET_ERR_DATA, "%s: counts[%zu][%zu] is not a whole "
                                      "number >= 0", path, i, j);
            else
                c->counts[i * k + j] = (long long)json_integer_value(v);
        }
    }
    if (status != CLNET_OK)
        confusion_free(c);
    return status;
}

int confusion_read(struct confusion *c, const char *path)
{
    c->classes = 0;
    c->counts = NULL;
    void *text = NULL;
    size_t len = 0;
    int status = fs_read_file(&text, &len, path);
    if (status != CLNET_OK)
        return status;
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    free(text);
    if (!root)
        return clnet_errorf(CLNET_ERR_DATA, "%s:%d:%d: %s", path, err.line, err.column,
                            err.text);
    const json_t *counts = json_is_object(root) ? json_object_get(root, "counts") : NULL;
    status = counts ? read_counts(c, counts, path)
                    : clnet_errorf(CLNET_ERR_DATA, "%s: no \"counts\" in it", path);
    json_decref(root);
    return status;
}

/* One block of classes [from, to): the class, images, correct and accuracy lines. */
static void print_block(FILE *f, const struct confusion *c, int from, int to)
{
    fprintf(f, "%-9s", "class");
    for (int k = from; k < to; k++)
        fprintf(f, " %6d", k);
    fprintf(f, "\n%-9s", "images");
    for (int k = from; k < to; k++)
        fprintf(f, " %6lld", confusion_row_total(c, k));
    fprintf(f, "\n%-9s", "correct");
    for (int k = from; k < to; k++)
        fprintf(f, " %6lld", c->counts[(size_t)k * (size_t)c->classes + (size_t)k]);
    fprintf(f, "\n%-9s", "accuracy");
    for (int k = from; k < to; k++) {
        double a = confusion_class_accuracy(c, k);
        if (isnan(a))
            fprintf(f, " %6s", "-");
        else
            fprintf(f, " %6.4f", a);
    }
    fputc('\n', f);
}

struct cell {
    long long count;
    int row, col;
};

/* Largest count first; equal counts in row, then column order. */
static int by_count(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->row != y->row ? x->row - y->row : x->col - y->col;
}

void confusion_print(FILE *f, const struct confusion *c)
{
    int k = c->classes;
    for (int from = 0; from < k; from += 10)
        print_block(f, c, from, from + 10 < k ? from + 10 : k);
    struct cell off[CONFUSION_MAX_CLASSES * (CONFUSION_MAX_CLASSES - 1)];
    int n = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            if (i != j && c->counts[(size_t)i * (size_t)k + (size_t)j] > 0)
                off[n++] = (struct cell){c->counts[(size_t)i * (size_t)k + (size_t)j], i, j};
    qsort(off, (size_t)n, sizeof *off, by_count);
    fprintf(f, "most confused (true -> predicted):");
    for (int p = 0; p < n && p < 3; p++)
        fprintf(f, "%s %d -> %d (%lld)", p ? "," : "", off[p].row, off[p].col, off[p].count);
    fputs(n ? "\n" : " none\n", f);
}
