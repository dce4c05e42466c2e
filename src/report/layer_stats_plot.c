/* layer_stats.png from layer_stats.csv (see plot.h; train/layer_stats.h writes the file): the
 * sparsity of homework question 2 on one chart, per layer with weights, the fraction of units
 * whose whole weight-gradient row is zero (a ReLU unit dead on the batch, or a layer whose
 * input is all zero). The other columns (zero outputs, distinct rows, norms) stay in the CSV:
 * one line per layer keeps the legend readable. */
#include "report/plot.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/status.h"

#define MAX_PLOTTED 16 /* layers drawn; deeper ones are left out (the CSV has them all) */

struct stats_series {
    int layer;
    char kind[16];
    double *it, *zero_rows;
    int n, cap;
};

static int add_point(struct stats_series *s, double it, double zero_rows)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        double *a = realloc(s->it, (size_t)cap * sizeof *a);
        if (a) s->it = a;
        double *b = a ? realloc(s->zero_rows, (size_t)cap * sizeof *b) : NULL;
        if (!b) return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for layer statistics");
        s->zero_rows = b;
        s->cap = cap;
    }
    s->it[s->n] = it;
    s->zero_rows[s->n++] = zero_rows;
    return CLNET_OK;
}

/* The series of layer (of that kind), added when new: an index into s, or MAX_PLOTTED
 * when the chart is full. */
static int series_of(struct stats_series *s, int *n_series, long long layer, const char *kind)
{
    int i = 0;
    while (i < *n_series && s[i].layer != layer)
        i++;
    if (i < MAX_PLOTTED && i == *n_series) {
        s[i] = (struct stats_series){.layer = (int)layer};
        snprintf(s[i].kind, sizeof s[i].kind, "%s", kind);
        (*n_series)++;
    }
    return i;
}

/* The weight rows of layer_stats.csv, grouped by layer in order of appearance. */
static int parse(const struct csv *c, struct stats_series *s, int *n_series)
{
    static const char *const names[] = {"iteration", "layer", "kind", "tensor",
                                        "grad_zero_rows"};
    int col[5], status = CLNET_OK;
    *n_series = 0;
    for (int k = 0; k < 5 && status == CLNET_OK; k++)
        status = csv_require(c, names[k], "layer_stats.csv", &col[k]);
    for (int r = 0; r < c->n_rows && status == CLNET_OK; r++) {
        if (strcmp(csv_field(c, r, col[3]), "weight") != 0)
            continue; /* biases and layers without parameters are not drawn */
        long long it, layer;
        double zero_rows;
        status = csv_whole(c, r, col[0], 0, INFINITY, &it);
        if (status == CLNET_OK)
            status = csv_whole(c, r, col[1], 0, INT_MAX, &layer);
        if (status == CLNET_OK)
            status = csv_number(c, r, col[4], &zero_rows);
        int i = status == CLNET_OK ? series_of(s, n_series, layer, csv_field(c, r, col[2]))
                                   : MAX_PLOTTED;
        if (i < MAX_PLOTTED)
            status = add_point(&s[i], (double)it, zero_rows);
    }
    return status;
}

int layer_stats_plot(const char *dir, const char *name, enum report_format fmt)
{
#if !CLNET_HAVE_PLOTS
    return CLNET_OK; /* PLOT_NONE_MESSAGE: layer_stats.csv is written all the same */
#endif
    char *path = plot_path(dir, "layer_stats", "csv");
    struct csv c = {0};
    int status = path ? csv_read(&c, path) : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct stats_series s[MAX_PLOTTED];
    int n = 0;
    if (status == CLNET_OK) status = parse(&c, s, &n);
    struct plot_series lines[MAX_PLOTTED];
    char labels[MAX_PLOTTED][64];
    double high = 0; /* the legend goes where the lines are not */
    for (int i = 0; i < n; i++) {
        snprintf(labels[i], sizeof labels[0], "layer %d (%s)", s[i].layer, s[i].kind);
        lines[i] = (struct plot_series){.label = labels[i],
                                        .x = s[i].it,
                                        .y = s[i].zero_rows,
                                        .n = s[i].n,
                                        .color = i,
                                        .width = 2,
                                        .style = 1,
                                        .markers = s[i].n < 30};
        for (int k = 0; k < s[i].n; k++)
            high += s[i].zero_rows[k] > 0.5 ? 1 : -1;
    }
    char title[256];
    snprintf(title, sizeof title, "%s: per-layer sparsity", name);
    struct plot_axes a = {.title = title,
                          .subtitle = "units whose weight-gradient row is all zero",
                          .xlabel = "iteration",
                          .ylabel = "fraction of units",
                          .y_floor = 0,
                          .y_ceil = 1,
                          .legend = high > 0 ? PLOT_LEGEND_LOWER_RIGHT : PLOT_LEGEND_UPPER_RIGHT};
    if (status == CLNET_OK && n > 0)
        status = plot_lines_files(dir, "layer_stats", fmt, &a, lines, n);
    for (int i = 0; i < n; i++) {
        free(s[i].it);
        free(s[i].zero_rows);
    }
    csv_free(&c);
    free(path);
    return status;
}
