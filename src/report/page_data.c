/* The data of the pages (see page.h): a run's metrics.csv and steps.csv as columns, its summary.json,
 * config.yaml, layer_stats.csv and confusion.json as texts, which of its files exist, and,
 * in a sweep, its settings in a few words and the config keys where it differs from the
 * sweep's most common choice. page.js draws them. */
#define _GNU_SOURCE
#include "report/page.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/metrics_read.h"
#include "report/plot.h"
#include "report/settings.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/status.h"

/* The files a run page links to when they exist, in this order. */
static const char *const run_files[] = {
    "accuracy.png",    "loss.png",    "lr.png",     "predictions.png", "confusion.png",
    "layer_stats.png", "accuracy.pdf", "loss.pdf",  "lr.pdf",          "predictions.pdf",
    "confusion.pdf",   "layer_stats.pdf", "metrics.csv", "steps.csv", "predictions.csv",
    "predictions.safetensors", "confusion.json", "layer_stats.csv", "summary.json", "config.yaml", "model.safetensors"};

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static void json_column(struct json_writer *w, const char *key, const double *v, int n)
{
    json_key(w, key);
    if (!v) {
        json_null(w);
        return;
    }
    json_begin_array(w);
    for (int i = 0; i < n; i++)
        json_double(w, v[i]);
    json_end_array(w);
}

/* key: the named columns of dir/file as read (metrics_read, steps_read; a column the file
 * lacks is null), with terms also each loss term's columns, or null when there is no such
 * file. */
static int json_table(struct json_writer *w, const char *key, const char *dir, const char *file,
                      int (*read)(struct metrics_table *, const char *),
                      const char *const *names, int n, bool terms)
{
    char *path = path_in(dir, file);
    if (!path)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct metrics_table t = {0};
    bool exists = fs_exists(path);
    int status = exists ? read(&t, path) : CLNET_OK;
    json_key(w, key);
    if (status == CLNET_OK && exists) {
        json_begin_object(w);
        for (int i = 0; i < n; i++)
            json_column(w, names[i], metrics_column(&t, names[i]), t.n);
        for (int i = 0; i < t.n_cols && terms; i++) /* train.loss's terms: *_loss_NAME */
            if (!strncmp(t.names[i], "test_loss_", 10) || !strncmp(t.names[i], "train_loss_", 11))
                json_column(w, t.names[i], t.cols[i], t.n);
        json_end_object(w);
    } else {
        json_null(w);
    }
    metrics_table_free(&t);
    free(path);
    return status;
}

/* "metrics": metrics.csv's columns (all, with each loss term's, or the test curves and lr:
 * the first four). */
static int json_metrics(struct json_writer *w, const char *dir, bool all)
{
    static const char *const names[] = {"iteration",  "lr",        "test_acc",
                                        "test_loss",  "train_acc", "train_loss",
                                        "full_train_acc", "full_train_loss", "val_acc",
                                        "val_loss"};
    return json_table(w, "metrics", dir, "metrics.csv", metrics_read, names, all ? 10 : 4, all);
}

/* "steps": steps.csv's columns (every step's mini-batch loss and accuracy: the noisy curve),
 * null for a run from a clnet before the file. */
static int json_steps(struct json_writer *w, const char *dir)
{
    static const char *const names[] = {"iteration", "train_acc", "train_loss"};
    return json_table(w, "steps", dir, "steps.csv", steps_read, names, 3, false);
}

/* key: the text of dir/name, or null when there is no such file. */
static int json_file_text(struct json_writer *w, const char *key, const char *dir,
                          const char *name)
{
    char *path = path_in(dir, name);
    if (!path)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    void *text = NULL;
    size_t len = 0;
    int status = fs_exists(path) ? fs_read_file(&text, &len, path) : CLNET_OK;
    json_key(w, key);
    if (status == CLNET_OK && text)
        json_string_n(w, text, len);
    else
        json_null(w);
    free(text);
    free(path);
    return status;
}

static void json_files(struct json_writer *w, const char *dir)
{
    json_key(w, "files");
    json_begin_array(w);
    for (size_t i = 0; i < sizeof run_files / sizeof *run_files; i++) {
        char *path = path_in(dir, run_files[i]);
        if (path && fs_exists(path))
            json_string(w, run_files[i]);
        free(path);
    }
    json_end_array(w);
}

static bool differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* The value most runs have for key (NULL: most lack it); *clear: no other value is as common
 * (seven runs of seven widths have none). */
static const char *key_mode(const struct page_run *runs, int n, const char *key, bool *clear)
{
    const char *mode = NULL;
    int best = 0;
    *clear = false;
    for (int r = 0; r < n; r++) {
        if (!runs[r].flat.n)
            continue;
        const char *v = config_flat_get(&runs[r].flat, key);
        int count = 0;
        for (int q = 0; q < n; q++) {
            const char *u = runs[q].flat.n ? config_flat_get(&runs[q].flat, key) : NULL;
            count += runs[q].flat.n && ((!u && !v) || (u && v && strcmp(u, v) == 0));
        }
        if (count > best) {
            best = count;
            mode = v;
            *clear = true;
        } else if (count == best && differs(v, mode)) {
            *clear = false;
        }
    }
    return mode;
}

/* {key, value, common, tie}: tie when no value of key is the most common. */
static void json_diff(struct json_writer *w, const char *key, const char *v, const char *common,
                      bool clear)
{
    json_begin_object(w);
    json_key(w, "key");
    json_string(w, key);
    json_key(w, "value");
    v ? json_string(w, v) : json_null(w);
    json_key(w, "common");
    common && clear ? json_string(w, common) : json_null(w);
    json_key(w, "tie");
    json_bool(w, !clear);
    json_end_object(w);
}

/* "diffs": the keys of run i (and keys only others have) whose value is not the most common,
 * or that have no most common value. */
static void json_diffs(struct json_writer *w, const struct page_run *runs, int n, int i)
{
    json_key(w, "diffs");
    json_begin_array(w);
    const struct config_flat *f = &runs[i].flat;
    bool clear;
    for (int k = 0; k < f->n; k++) {
        const char *common = key_mode(runs, n, f->keys[k], &clear);
        if (strcmp(f->keys[k], "name") != 0 && (!clear || differs(f->values[k], common)))
            json_diff(w, f->keys[k], f->values[k], common, clear);
    }
    for (int r = 0; r < n && f->n; r++)
        for (int k = 0; k < runs[r].flat.n; k++) {
            const char *key = runs[r].flat.keys[k];
            bool first = true; /* listed once: by the first run that has it */
            for (int q = 0; q < r && first; q++)
                first = !config_flat_get(&runs[q].flat, key);
            if (!first || config_flat_get(f, key))
                continue;
            const char *common = key_mode(runs, n, key, &clear);
            if (common || !clear)
                json_diff(w, key, NULL, common, clear);
        }
    json_end_array(w);
}

static void json_palette(struct json_writer *w)
{
    json_key(w, "palette");
    json_begin_array(w);
    for (int i = 0; i < PLOT_PALETTE; i++) {
        unsigned char rgb[3];
        char hex[8];
        plot_palette(i, rgb);
        snprintf(hex, sizeof hex, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
        json_string(w, hex);
    }
    json_end_array(w);
}

/* The fields of one run: on the sweep page its table row and test curves, on its own page
 * (full) everything it shows. */
static int json_run(struct json_writer *w, const struct page_run *run, const char *settings,
                    bool full)
{
    json_key(w, "name");
    json_string(w, run->name);
    json_key(w, "settings");
    json_string(w, settings ? settings : "");
    json_key(w, "status");
    run->status ? json_string(w, run->status) : json_null(w);
    int status = json_file_text(w, "summary", run->dir, "summary.json");
    if (status == CLNET_OK)
        status = json_metrics(w, run->dir, full);
    if (status == CLNET_OK && full)
        status = json_steps(w, run->dir);
    if (status == CLNET_OK && full)
        status = json_file_text(w, "config", run->dir, "config.yaml");
    if (status == CLNET_OK && full)
        status = json_file_text(w, "layer_stats", run->dir, "layer_stats.csv");
    if (status == CLNET_OK && full)
        status = json_file_text(w, "confusion_json", run->dir, "confusion.json");
    if (full)
        json_files(w, run->dir);
    return status;
}

/* Takes the finished JSON and writes it as dir/index.html. */
static int write_page(struct json_writer *w, int status, const char *dir, const char *title)
{
    if (status == CLNET_OK)
        status = json_finish(w);
    else
        json_finish(w); /* keeps the first error, already recorded */
    size_t len = 0;
    char *json = json_take_buffer(w, &len);
    char *path = path_in(dir, "index.html");
    if (status == CLNET_OK && (!json || !path))
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = page_write_file(path, title, json, len);
    free(json);
    free(path);
    return status;
}

/* Run i's page, in a sweep of n (sweep != NULL) or alone. */
static int run_page(const struct page_run *runs, int n, int i, const char *settings,
                    const char *sweep)
{
    struct json_writer w;
    json_init_buffer(&w, 0);
    json_begin_object(&w);
    json_key(&w, "kind");
    json_string(&w, "run");
    json_palette(&w);
    json_key(&w, "sweep");
    sweep ? json_string(&w, sweep) : json_null(&w);
    json_key(&w, "run");
    json_begin_object(&w);
    int status = json_run(&w, &runs[i], settings, true);
    if (sweep)
        json_diffs(&w, runs, n, i);
    json_end_object(&w);
    json_end_object(&w);
    char title[512];
    snprintf(title, sizeof title, "%s%s%s", runs[i].name, sweep ? " · " : "", sweep ? sweep : "");
    return write_page(&w, status, runs[i].dir, title);
}

int page_write_run(const char *run_dir)
{
    char *config = path_in(run_dir, "config.yaml");
    if (!config)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct page_run run = {.dir = run_dir};
    int status = fs_exists(config) ? config_flatten_file(config, &run.flat) : CLNET_OK;
    const char *name = config_flat_get(&run.flat, "name");
    const char *slash = strrchr(run_dir, '/');
    run.name = name ? name : slash && slash[1] ? slash + 1 : run_dir;
    struct settings st = {0};
    if (status == CLNET_OK)
        status = settings_describe(&st, &run.flat, 1);
    if (status == CLNET_OK)
        status = run_page(&run, 1, 0, st.text[0], NULL);
    settings_free(&st);
    config_flat_free(&run.flat);
    free(config);
    return status;
}

/* "href": the run's page relative to the sweep's (its folder's last name, percent-encoded), or
 * null when the run has no folder. */
static void json_href(struct json_writer *w, const char *dir)
{
    json_key(w, "href");
    const char *slash = strrchr(dir, '/');
    const char *name = slash ? slash + 1 : dir;
    if (!fs_exists(dir) || !*name) {
        json_null(w);
        return;
    }
    char href[4096];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 16 < sizeof href; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        n += (size_t)snprintf(href + n, sizeof href - n, plain ? "%c" : "%%%02X", *p);
    }
    snprintf(href + n, sizeof href - n, "/index.html");
    json_string(w, href);
}

static int is_plot(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 &&
           (strcmp(d->d_name + n - 4, ".png") == 0 || strcmp(d->d_name + n - 4, ".pdf") == 0);
}

/* "images": the sweep's comparison plots (PNG and PDF files in its folder). */
static void json_images(struct json_writer *w, const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_plot, versionsort);
    json_key(w, "images");
    json_begin_array(w);
    for (int i = 0; i < n; i++) {
        json_string(w, list[i]->d_name);
        free(list[i]);
    }
    json_end_array(w);
    free(list);
}

static int sweep_page(const char *dir, const char *name, const char *source,
                      const struct page_run *runs, int n, const struct settings *st)
{
    struct json_writer w;
    json_init_buffer(&w, 0);
    json_begin_object(&w);
    json_key(&w, "kind");
    json_string(&w, "sweep");
    json_key(&w, "name");
    json_string(&w, name);
    json_key(&w, "source");
    source ? json_string(&w, source) : json_null(&w);
    json_key(&w, "legend");
    json_string(&w, SETTINGS_LEGEND);
    json_key(&w, "common");
    json_string(&w, st->common);
    json_palette(&w);
    json_images(&w, dir);
    json_key(&w, "runs");
    json_begin_array(&w);
    int status = CLNET_OK;
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        json_begin_object(&w);
        json_href(&w, runs[i].dir);
        status = json_run(&w, &runs[i], st->text[i], false);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    char title[512];
    snprintf(title, sizeof title, "sweep %s", name);
    return write_page(&w, status, dir, title);
}

int page_write_sweep(const char *dir, const char *name, const char *source,
                     const struct page_run *runs, int n)
{
    struct config_flat *flats = calloc((size_t)n + 1, sizeof *flats);
    if (!flats)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int i = 0; i < n; i++)
        flats[i] = runs[i].flat;
    struct settings st = {0};
    int status = settings_describe(&st, flats, n);
    free(flats);
    if (status == CLNET_OK)
        status = sweep_page(dir, name, source, runs, n, &st);
    for (int i = 0; i < n && status == CLNET_OK; i++)
        if (fs_exists(runs[i].dir))
            status = run_page(runs, n, i, st.text[i], name);
    settings_free(&st);
    return status;
}
