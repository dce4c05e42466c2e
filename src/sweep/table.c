/* A sweep's results: ROOT/<sweep>/summary.csv, one row per experiment (name, every config key
 * whose value differs between the experiments, final and best test accuracy, iterations/s,
 * time, status), summary.md for people (the differing keys as a few words of settings,
 * report/settings.h), the comparison plots of report/plot.h and the pages of report/page.h. */
#define _GNU_SOURCE
#include "sweep/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/page.h"
#include "report/plot.h"
#include "report/settings.h"
#include "util/fs.h"
#include "util/status.h"

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The keys (sorted; pointers into the items' flat configs) whose value is not the same in
 * every experiment, a key missing in some counting as different. The name is its own column. */
static int differing_keys(const struct sweep *s, const char ***out, int *n_out)
{
    int total = 0;
    for (int i = 0; i < s->n; i++)
        total += s->items[i].flat.n;
    const char **keys = malloc(((size_t)total + 1) * sizeof *keys);
    if (!keys)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int n = 0;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->items[i].flat.n; k++)
            keys[n++] = s->items[i].flat.keys[k];
    qsort(keys, (size_t)n, sizeof *keys, by_string);
    int kept = 0;
    for (int k = 0; k < n; k++) {
        if ((kept > 0 && strcmp(keys[kept - 1], keys[k]) == 0) || strcmp(keys[k], "name") == 0)
            continue;
        const char *first = config_flat_get(&s->items[0].flat, keys[k]);
        bool differs = false;
        for (int i = 1; i < s->n && !differs; i++)
            differs = !same(first, config_flat_get(&s->items[i].flat, keys[k]));
        if (differs)
            keys[kept++] = keys[k];
    }
    *out = keys;
    *n_out = kept;
    return CLNET_OK;
}

/* A run's numbers are shown only when they are this sweep's: it ran now, or was up to date. */
static const struct run_record *record(const struct sweep_item *it)
{
    bool ours = it->state == ITEM_UP_TO_DATE || (it->state == ITEM_DONE && it->rec.has);
    return ours ? &it->rec : NULL;
}

static void number(FILE *f, double v, int decimals)
{
    if (isfinite(v))
        fprintf(f, "%.*f", decimals, v);
}

static void csv_field(FILE *f, const char *v)
{
    if (!v)
        return;
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void md_field(FILE *f, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '|')
            fputc('\\', f);
        fputc(*p == '\n' ? ' ' : *p, f);
    }
}

static void write_csv(FILE *f, const struct sweep *s, const char *const *keys, int n_keys)
{
    fputs("name", f);
    for (int k = 0; k < n_keys; k++) {
        fputc(',', f);
        csv_field(f, keys[k]);
    }
    fputs(",final_test_accuracy,best_test_accuracy,iterations_per_second,seconds,status\n", f);
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        csv_field(f, it->name);
        for (int k = 0; k < n_keys; k++) {
            fputc(',', f);
            csv_field(f, config_flat_get(&it->flat, keys[k]));
        }
        double v[4];
        sweep_row_numbers(it, v);
        for (int c = 0; c < 4; c++) {
            fputc(',', f);
            number(f, v[c], sweep_row_decimals[c]);
        }
        fprintf(f, ",%s\n", sweep_item_status(it));
    }
}

/* The items' resolved configs side by side (shallow copies: the items own them). */
static struct config_flat *item_flats(const struct sweep *s)
{
    struct config_flat *flats = calloc((size_t)s->n + 1, sizeof *flats);
    for (int i = 0; flats && i < s->n; i++)
        flats[i] = s->items[i].flat;
    return flats;
}

int sweep_settings(const struct sweep *s, struct settings *out)
{
    struct config_flat *flats = item_flats(s);
    int status = flats ? settings_describe(out, flats, s->n)
                       : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(flats);
    return status;
}

/* The numbers a table shows for item i: final and best test accuracy, iterations/s, seconds. */
void sweep_row_numbers(const struct sweep_item *it, double v[4])
{
    const struct run_record *r = record(it);
    v[0] = r ? r->final_acc : NAN;
    v[1] = r ? r->best_acc : NAN;
    v[2] = r ? r->iterations_per_second : NAN;
    v[3] = r ? r->seconds : NAN;
}

const int sweep_row_decimals[4] = {4, 4, 1, 1};

/* For people: name, settings (settings.h), the four numbers, status: 7 columns however many
 * settings differ (summary.csv has them all). */
static void write_md(FILE *f, const struct sweep *s, const struct settings *st)
{
    fprintf(f, "# Sweep %s\n\n", s->name);
    fprintf(f, "%d experiments from `%s`, runs in `%s/`; `index.html` shows them in a browser. "
               "Settings: the model (%s), then where the run differs from the most common choice, "
               "which is: %s. Every setting of every run: `summary.csv`.\n\n",
            s->n, s->opt->dir, s->root, SETTINGS_LEGEND, st->common[0] ? st->common : "-");
    fputs("| name | settings | final test accuracy | best test accuracy | iterations/s | "
          "time (s) | status |\n|---|---|---:|---:|---:|---:|---|\n", f);
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        fputs("| ", f);
        md_field(f, it->name);
        fputs(" | ", f);
        md_field(f, st->text[i]);
        fputs(" |", f);
        double v[4];
        sweep_row_numbers(it, v);
        for (int c = 0; c < 4; c++) {
            fputc(' ', f);
            number(f, v[c], sweep_row_decimals[c]);
            fputs(" |", f);
        }
        fprintf(f, " %s |\n", sweep_item_status(it));
    }
}

static int write_file(const struct sweep *s, const char *name, const char *const *keys,
                      int n_keys, const struct settings *st)
{
    char *text = NULL, *path = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || asprintf(&path, "%s/%s", s->root, name) < 0) {
        if (f)
            fclose(f);
        free(text);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    if (st)
        write_md(f, s, st);
    else
        write_csv(f, s, keys, n_keys);
    int status = fclose(f) == 0 && text ? fs_write_atomic(path, text, len)
                                        : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    free(text);
    free(path);
    return status;
}

int sweep_write_tables(const struct sweep *s)
{
    const char **keys = NULL;
    int n_keys = 0;
    int status = differing_keys(s, &keys, &n_keys);
    if (status == CLNET_OK)
        status = fs_mkdir_p(s->root);
    if (status == CLNET_OK)
        status = write_file(s, "summary.csv", keys, n_keys, NULL);
    struct settings st = {0};
    if (status == CLNET_OK)
        status = sweep_settings(s, &st);
    if (status == CLNET_OK)
        status = write_file(s, "summary.md", NULL, 0, &st);
    settings_free(&st);
    free(keys);
    return status;
}

/* The one differing key when it is a number in every experiment, else NULL. */
static const char *numeric_param(const struct sweep *s, const char *const *keys, int n_keys,
                                 double *values)
{
    if (n_keys != 1)
        return NULL;
    for (int i = 0; i < s->n; i++) {
        const char *v = config_flat_get(&s->items[i].flat, keys[0]);
        char *end = NULL;
        values[i] = v ? strtod(v, &end) : NAN;
        if (!v || end == v || *end != '\0' || !isfinite(values[i]))
            return NULL;
    }
    return keys[0];
}

int sweep_compare(const struct sweep *s)
{
    const char **keys = NULL;
    int n_keys = 0;
    int status = differing_keys(s, &keys, &n_keys);
    double *values = status == CLNET_OK ? calloc((size_t)s->n, sizeof *values) : NULL;
    struct report_run_ref *refs = values ? calloc((size_t)s->n, sizeof *refs) : NULL;
    if (status == CLNET_OK && !refs)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK) {
        const char *param = numeric_param(s, keys, n_keys, values);
        enum report_format fmt = s->items[0].format;
        int n = 0;
        for (int i = 0; i < s->n; i++) {
            const struct sweep_item *it = &s->items[i];
            if (it->format != fmt)
                fmt = REPORT_BOTH; /* the experiments disagree: write both kinds */
            if (record(it))
                refs[n++] = (struct report_run_ref){it->name, it->dir, param ? values[i] : NAN};
        }
        if (n > 0)
            status = report_compare(s->root, refs, n, param, fmt);
    }
    free(refs);
    free(values);
    free(keys);
    return status;
}

int sweep_write_pages(const struct sweep *s)
{
    struct page_run *runs = calloc((size_t)s->n + 1, sizeof *runs);
    if (!runs)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < s->n; i++) {
        const struct sweep_item *it = &s->items[i];
        runs[i] = (struct page_run){it->name, it->dir, sweep_item_status(it), it->flat};
    }
    int status = page_write_sweep(s->root, s->name, s->opt->dir, runs, s->n);
    free(runs);
    return status;
}
