/* Plots that compare runs (see plot.h): every run's test curves overlaid, final test accuracy
 * against the one parameter that varies, and finding that parameter from the runs'
 * resolved config.yaml files. */
#include "report/plot.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/flat.h"
#include "report/metrics_read.h"
#include "util/fs.h"
#include "util/status.h"

#define MARKERS_BELOW 30
#define LEGEND_INSIDE_MAX 4 /* more runs than this: the legend goes right of the plot */

static const char *base_name(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    snprintf(buf, cap, "%.*s", (int)(len - start), path + start);
    return buf;
}

struct loaded {
    struct metrics_table *t; /* (n) */
    int *run;                /* (n) index into runs of each loaded table */
    int n;
};

static void loaded_free(struct loaded *l, int cap)
{
    for (int i = 0; i < cap && l->t; i++)
        metrics_table_free(&l->t[i]);
    free(l->t);
    free(l->run);
}

/* Reads every run's metrics.csv; missing files and runs with no row yet are left out. */
static int load(struct loaded *l, const struct report_run_ref *runs, int n)
{
    l->t = calloc((size_t)(n > 0 ? n : 1), sizeof *l->t);
    l->run = calloc((size_t)(n > 0 ? n : 1), sizeof *l->run);
    l->n = 0;
    if (!l->t || !l->run)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < n; i++) {
        char *path = plot_path(runs[i].dir, "metrics", "csv");
        if (!path)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        int status = fs_exists(path) ? metrics_read(&l->t[l->n], path) : CLNET_OK;
        free(path);
        if (status != CLNET_OK)
            return status;
        if (l->t[l->n].n > 0)
            l->run[l->n++] = i;
        else
            metrics_table_free(&l->t[l->n]);
    }
    return CLNET_OK;
}

/* The value of key in every run's config.yaml when all runs have the same one (malloc'd), else
 * NULL: a sweep's report.title or report.label, set in the base its experiments share. */
static char *common_value(const struct report_run_ref *runs, int n, const char *key)
{
    char *common = NULL;
    bool same = n > 0;
    for (int i = 0; i < n && same; i++) {
        char *path = plot_path(runs[i].dir, "config", "yaml");
        struct config_flat f = {0};
        const char *v = NULL;
        if (path && config_flatten_file(path, &f) == CLNET_OK)
            v = config_flat_get(&f, key);
        clnet_error_clear(); /* unreadable: no common value, the default words */
        same = v && (!common || strcmp(common, v) == 0);
        if (same && !common)
            common = strdup(v);
        config_flat_free(&f);
        free(path);
    }
    if (!same) {
        free(common);
        common = NULL;
    }
    return common;
}

void report_setting_name(char *out, size_t cap, const char *key)
{
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    int layer = -1, used = 0;
    if (sscanf(key, "model.layers.%d.%*[^.].%n", &layer, &used) == 1 && used > 0 &&
        key + used == last)
        snprintf(out, cap, "%s (layer %d)", last, layer);
    else
        snprintf(out, cap, "%s", last);
}

static int compare_curves(const char *dir, const char *sweep, const struct report_run_ref *runs,
                          const struct loaded *l, bool loss, enum report_format fmt)
{
    struct plot_series *s = calloc((size_t)l->n, sizeof *s);
    if (!s)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < l->n; i++) {
        const struct metrics_table *t = &l->t[i];
        s[i] = (struct plot_series){.label = runs[l->run[i]].name, .x = t->iteration,
                                    .y = loss ? t->test_loss : t->test_acc, .n = t->n,
                                    .color = i % PLOT_PALETTE, .width = 2,
                                    .style = 1 + (i / PLOT_PALETTE) % 8,
                                    .markers = t->n < MARKERS_BELOW};
        for (int k = 0; loss && k < t->n; k++)
            if (isfinite(t->test_loss[k])) {
                lo = fmin(lo, t->test_loss[k]);
                hi = fmax(hi, t->test_loss[k]);
            }
    }
    bool log_y = loss && lo > 0 && hi > 10 * lo;
    char title[512], subtitle[64];
    snprintf(title, sizeof title, "%s: test %s", sweep, loss ? "cross-entropy" : "accuracy");
    snprintf(subtitle, sizeof subtitle, "%d runs", l->n);
    struct plot_axes a = {
        .title = title,
        .subtitle = subtitle,
        .xlabel = "iteration",
        .ylabel = loss ? (log_y ? "test loss (log scale)" : "test loss") : "test accuracy",
        .log_y = log_y,
        .y_floor = 0,
        .y_ceil = loss ? INFINITY : 1,
        .legend = l->n > LEGEND_INSIDE_MAX ? PLOT_LEGEND_OUTSIDE
                  : loss                   ? PLOT_LEGEND_UPPER_RIGHT
                                           : PLOT_LEGEND_LOWER_RIGHT};
    int status = plot_lines_files(dir, loss ? "compare_loss" : "compare_accuracy", fmt, &a, s,
                                  l->n);
    free(s);
    return status;
}

/* A file name part: letters, digits, '.', '_' and '-' kept, anything else '_'. */
static void file_safe(char *out, size_t cap, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++) {
        char c = in[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
}

struct point {
    double x, y;
};

static int by_x(const void *a, const void *b)
{
    double x = ((const struct point *)a)->x, y = ((const struct point *)b)->x;
    return (x > y) - (x < y);
}

static int final_vs_param(const char *dir, const char *sweep, const struct report_run_ref *runs,
                          const struct loaded *l, const char *param, const char *label,
                          enum report_format fmt)
{
    struct point *p = calloc((size_t)l->n, sizeof *p);
    double *x = calloc((size_t)l->n, sizeof *x), *y = calloc((size_t)l->n, sizeof *y);
    if (!p || !x || !y) {
        free(p);
        free(x);
        free(y);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    int n = 0;
    for (int i = 0; i < l->n; i++) {
        const struct metrics_table *t = &l->t[i];
        double v = runs[l->run[i]].param;
        for (int k = t->n - 1; k >= 0; k--)
            if (isfinite(t->test_acc[k])) {
                if (isfinite(v))
                    p[n++] = (struct point){v, t->test_acc[k]};
                break;
            }
    }
    qsort(p, (size_t)n, sizeof *p, by_x);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        x[i] = p[i].x;
        y[i] = p[i].y;
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    int status = CLNET_OK;
    if (n > 0) {
        bool log_x = lo > 0 && hi > 10 * lo;
        char title[512], subtitle[512], stem[300], xlabel[300];
        snprintf(title, sizeof title, "%s: final test accuracy", sweep);
        snprintf(subtitle, sizeof subtitle, "%d runs, against %s (%s)", n, label, param);
        snprintf(xlabel, sizeof xlabel, "%s%s", label, log_x ? " (log scale)" : "");
        char safe[256];
        file_safe(safe, sizeof safe, param);
        snprintf(stem, sizeof stem, "final_vs_%s", safe);
        struct plot_series s = {.label = "final test accuracy", .x = x, .y = y, .n = n,
                                .color = 0, .width = 2, .style = 1, .markers = true};
        struct plot_axes a = {.title = title, .subtitle = subtitle, .xlabel = xlabel,
                              .ylabel = "final test accuracy",
                              .log_x = log_x, .pad_x = true, .y_floor = 0, .y_ceil = 1,
                              .legend = PLOT_LEGEND_LOWER_RIGHT};
        status = plot_lines_files(dir, stem, fmt, &a, &s, 1);
    }
    free(p);
    free(x);
    free(y);
    return status;
}

/* Orders the loaded runs by their parameter (insertion sort: stable, and sweeps are small), so
 * the legend reads 10, 25, 50, 100 rather than in file-name order. */
static void sort_by_param(struct loaded *l, const struct report_run_ref *runs)
{
    for (int i = 1; i < l->n; i++)
        for (int j = i; j > 0 && runs[l->run[j]].param < runs[l->run[j - 1]].param; j--) {
            struct metrics_table t = l->t[j];
            int r = l->run[j];
            l->t[j] = l->t[j - 1];
            l->run[j] = l->run[j - 1];
            l->t[j - 1] = t;
            l->run[j - 1] = r;
        }
}

int report_compare(const char *sweep_dir, const struct report_run_ref *runs, int n,
                   const char *param_name, enum report_format fmt)
{
#if !CLNET_HAVE_PLOTS
    return CLNET_OK; /* PLOT_NONE_MESSAGE: a sweep's tables are written all the same */
#endif
    struct loaded l = {0};
    int status = load(&l, runs, n);
    if (status == CLNET_OK && param_name)
        sort_by_param(&l, runs);
    char sweep[256], label[256];
    char *title = common_value(runs, n, "report.title");
    char *named = param_name ? common_value(runs, n, "report.label") : NULL;
    snprintf(sweep, sizeof sweep, "%s", title ? title : "");
    if (!title)
        base_name(sweep_dir, sweep, sizeof sweep);
    if (named)
        snprintf(label, sizeof label, "%s", named);
    else if (param_name)
        report_setting_name(label, sizeof label, param_name);
    if (status == CLNET_OK && l.n > 0)
        status = compare_curves(sweep_dir, sweep, runs, &l, false, fmt);
    if (status == CLNET_OK && l.n > 0)
        status = compare_curves(sweep_dir, sweep, runs, &l, true, fmt);
    if (status == CLNET_OK && l.n > 0 && param_name)
        status = final_vs_param(sweep_dir, sweep, runs, &l, param_name, label, fmt);
    free(title);
    free(named);
    loaded_free(&l, n);
    return status;
}

/* ---- the parameter that varies ---------------------------------------------------------- */

/* Whether key has the same text in every config (absent counts as different). */
static bool same_everywhere(const struct config_flat *flats, int n, const char *key)
{
    const char *first = config_flat_get(&flats[0], key);
    for (int r = 1; r < n; r++) {
        const char *v = config_flat_get(&flats[r], key);
        if (!first || !v || strcmp(first, v) != 0)
            return false;
    }
    return first != NULL;
}

int report_varying_param(char **param_name, double *values, const char *const *run_dirs, int n)
{
    *param_name = NULL;
    struct config_flat *flats = calloc((size_t)(n > 0 ? n : 1), sizeof *flats);
    if (!flats)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int status = CLNET_OK;
    for (int r = 0; r < n && status == CLNET_OK; r++) {
        char *path = plot_path(run_dirs[r], "config", "yaml");
        status = path ? config_flatten_file(path, &flats[r])
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        free(path);
    }
    /* Every key that differs, seen from every run (a key one run lacks differs too); names and
 * titles are not settings. */
    const char *differs = NULL;
    int n_differ = 0;
    for (int r = 0; r < n && status == CLNET_OK && n > 1 && n_differ < 2; r++)
        for (int i = 0; i < flats[r].n && n_differ < 2; i++) {
            const char *k = flats[r].keys[i];
            if (strcmp(k, "name") == 0 || strcmp(k, "report.title") == 0 ||
                strcmp(k, "report.label") == 0 || same_everywhere(flats, n, k) ||
                (differs && strcmp(differs, k) == 0))
                continue;
            differs = k;
            n_differ++;
        }
    bool numeric = status == CLNET_OK && n_differ == 1;
    for (int r = 0; r < n && numeric; r++) {
        const char *v = config_flat_get(&flats[r], differs);
        char *end;
        values[r] = v ? strtod(v, &end) : NAN;
        numeric = v && end != v && *end == '\0' && isfinite(values[r]);
    }
    if (numeric && !(*param_name = strdup(differs)))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int r = 0; r < n; r++)
        config_flat_free(&flats[r]);
    free(flats);
    return status;
}
