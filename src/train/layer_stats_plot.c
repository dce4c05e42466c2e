/* layer_stats.png from layer_stats.csv (see layer_stats.h): the sparsity of homework question
 * 2 on one chart, per layer with weights, the fraction of units whose whole weight-gradient row
 * is zero (a ReLU unit dead on the batch, or a layer whose input is all zero). The other
 * columns (zero outputs, distinct rows, norms) stay in the CSV: one line per layer keeps the
 * legend readable. */
#include "train/layer_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "util/fs.h"
#include "util/status.h"

#define STATS_FIELDS 13
#define MAX_PLOTTED 16 /* layers drawn; deeper ones are left out (the CSV has them all) */

struct stats_series {
    int layer;
    char kind[16];
    double *it, *zero_rows;
    int n, cap;
};

/* Splits line (modified) at commas into at most STATS_FIELDS fields; returns their count. */
static int split(char *line, char **field)
{
    int n = 0;
    for (char *p = line; n < STATS_FIELDS; p++) {
        field[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p = '\0';
    }
    return n;
}

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

/* The weight rows of the CSV text, grouped by layer in order of appearance. */
static int parse(char *text, const char *path, struct stats_series *s, int *n_series)
{
    *n_series = 0;
    long lineno = 1;
    char *line = strchr(text, '\n');
    for (line = line ? line + 1 : NULL; line && *line; lineno++) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *f[STATS_FIELDS], *end;
        int nf = split(line, f);
        line = next;
        if (nf == STATS_FIELDS && strcmp(f[3], "weight") != 0)
            continue; /* biases and layers without parameters are not drawn */
        double v[2];
        const int col[2] = {0, 9}; /* iteration, grad_zero_rows */
        bool ok = nf == STATS_FIELDS;
        for (int k = 0; ok && k < 2; k++) {
            v[k] = strtod(f[col[k]], &end);
            ok = end != f[col[k]] && *end == '\0';
        }
        long layer = ok ? strtol(f[1], &end, 10) : -1;
        if (!ok || *end != '\0' || layer < 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s:%ld: not a row of %d layer statistics", path,
                                lineno + 1, STATS_FIELDS);
        int i = 0;
        while (i < *n_series && s[i].layer != layer)
            i++;
        if (i == MAX_PLOTTED) continue;
        if (i == *n_series) {
            s[i] = (struct stats_series){.layer = (int)layer};
            snprintf(s[i].kind, sizeof s[i].kind, "%s", f[2]);
            (*n_series)++;
        }
        int status = add_point(&s[i], v[0], v[1]);
        if (status != CLNET_OK) return status;
    }
    return CLNET_OK;
}

int layer_stats_plot(const char *dir, const char *name, enum report_format fmt)
{
#if !CLNET_HAVE_PLOTS
    return CLNET_OK; /* PLOT_NONE_MESSAGE: layer_stats.csv is written all the same */
#endif
    char *path = plot_path(dir, "layer_stats", "csv"), *text = NULL;
    size_t len;
    int status = path ? fs_read_file((void **)&text, &len, path)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct stats_series s[MAX_PLOTTED];
    int n = 0;
    if (status == CLNET_OK) status = parse(text, path, s, &n);
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
    free(text);
    free(path);
    return status;
}
