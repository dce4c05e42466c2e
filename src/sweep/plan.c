/* A sweep's plan: the experiment files under DIR (recursively, sorted by path, `_` bases and
 * hidden files left out), each loaded and validated with the sweep's --set overrides before
 * anything runs, its run directory, the hash of its resolved config (as train computes it, so
 * summary.json's config_hash can be compared) and its resolved config flattened into key
 * paths (config/flat.h), from which the table's differing columns come. */
#define _GNU_SOURCE
#include "sweep/internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/node.h"
#include "util/fs.h"
#include "util/status.h"

bool sweep_is_experiment_name(const char *f)
{
    size_t n = strlen(f);
    return n > 5 && strcmp(f + n - 5, ".yaml") == 0 && f[0] != '_' && f[0] != '.';
}

struct file_list {
    char **paths;
    int n, cap;
};

static int list_add(struct file_list *l, char *path)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->paths, (size_t)cap * sizeof *p);
        if (!p) {
            free(path);
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        }
        l->paths = p;
        l->cap = cap;
    }
    l->paths[l->n++] = path;
    return CLNET_OK;
}

/* The folders above the one being listed, to find a symbolic link that leads back up. */
struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
};

/* A folder that is not experiments: a run directory (clnet's .lock in it) or the sweep's own
 * output root, so that `clnet sweep .` run twice, or with --out inside DIR, never reads its
 * runs' config.yaml as experiments. */
static bool is_output(const char *dir, const struct stat *st, const struct stat *root)
{
    if (root && st->st_dev == root->st_dev && st->st_ino == root->st_ino)
        return true;
    char *lock = NULL;
    struct stat ls;
    bool run = asprintf(&lock, "%s/.lock", dir) >= 0 && lstat(lock, &ls) == 0 &&
               S_ISREG(ls.st_mode);
    free(lock);
    return run;
}

static int find_in(struct file_list *l, const char *dir, const struct ancestor *up,
                   const struct stat *root);

/* One entry of a listed folder: an experiment file is added, a folder listed in turn. */
static int find_entry(struct file_list *l, char *path, const char *name,
                      const struct ancestor *up, const struct stat *root)
{
    struct stat st;
    int status = CLNET_OK;
    if (stat(path, &st) != 0) {
        status = clnet_errorf(errno == ENOENT || errno == ELOOP ? CLNET_ERR_USAGE : CLNET_ERR_IO,
                              "sweep: %s: %s", path, errno == ENOENT ? "a dangling symbolic link"
                              : strerror(errno));
    } else if (S_ISDIR(st.st_mode) && !is_output(path, &st, root)) {
        for (const struct ancestor *a = up; a; a = a->up)
            if (a->dev == st.st_dev && a->ino == st.st_ino) {
                status = clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: a symbolic link back to a "
                                      "folder above it (a cycle)", path);
                free(path);
                return status;
            }
        struct ancestor here = {st.st_dev, st.st_ino, up};
        status = find_in(l, path, &here, root);
    } else if (S_ISREG(st.st_mode) && sweep_is_experiment_name(name)) {
        return list_add(l, path);
    }
    free(path);
    return status;
}

/* Every experiment file under dir, recursively; hidden folders are left out like files. */
static int find_in(struct file_list *l, const char *dir, const struct ancestor *up,
                   const struct stat *root)
{
    DIR *d = opendir(dir);
    if (!d)
        return clnet_errorf(errno == ENOENT || errno == ENOTDIR ? CLNET_ERR_USAGE : CLNET_ERR_IO,
                            "sweep: %s: %s", dir, strerror(errno));
    int status = CLNET_OK;
    struct dirent *e;
    while (status == CLNET_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = NULL;
        size_t n = strlen(dir);
        if (asprintf(&path, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", e->d_name) < 0)
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        else
            status = find_entry(l, path, e->d_name, up, root);
    }
    closedir(d);
    return status;
}

static int find_files(struct file_list *l, const char *dir, const char *out_root)
{
    struct stat top, root;
    bool have_root = stat(out_root, &root) == 0;
    if (stat(dir, &top) != 0)
        return clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: %s", dir, strerror(errno));
    struct ancestor here = {top.st_dev, top.st_ino, NULL};
    return find_in(l, dir, &here, have_root ? &root : NULL);
}

/* By path without ".yaml", with runs of digits compared as numbers (h10, h25, h100; mom0,
 * mom0.5, mom0.9; lr0.003, lr0.01, lr0.1), as `ls -v` does. */
static int compare_paths(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t nx = strlen(x), ny = strlen(y);
    nx -= nx >= 5 && strcmp(x + nx - 5, ".yaml") == 0 ? 5 : 0;
    ny -= ny >= 5 && strcmp(y + ny - 5, ".yaml") == 0 ? 5 : 0;
    char *sx = strndup(x, nx), *sy = strndup(y, ny);
    int c = sx && sy ? strverscmp(sx, sy) : strcmp(x, y);
    free(sx);
    free(sy);
    return c ? c : strcmp(x, y);
}

/* The hash of the resolved config's bytes: the one train stores with a checkpoint and in
 * summary.json. */
static int resolve(struct sweep_item *it, const struct experiment *e)
{
    int status = config_resolved_hash(e, &it->hash);
    return status == CLNET_OK ? config_flatten(e, &it->flat) : status;
}

/* ---- summary.json of a run ---------------------------------------------------------------- */

static double number_at(const struct node *map, const char *key)
{
    int i = node_find(map, key);
    if (i < 0 || map->vals[i]->kind != NODE_SCALAR || node_is_null(map->vals[i]))
        return NAN;
    char *end;
    double v = strtod(map->vals[i]->text, &end);
    return end != map->vals[i]->text && *end == '\0' ? v : NAN;
}

static const char *text_at(const struct node *map, const char *key)
{
    int i = node_find(map, key);
    return i >= 0 && map->vals[i]->kind == NODE_SCALAR ? map->vals[i]->text : NULL;
}

void sweep_read_record(struct sweep_item *it)
{
    struct run_record *r = &it->rec;
    *r = (struct run_record){.final_acc = NAN, .best_acc = NAN,
                             .iterations_per_second = NAN, .seconds = NAN};
    char *path = NULL;
    if (asprintf(&path, "%s/summary.json", it->dir) < 0)
        return;
    void *data = NULL;
    size_t len = 0;
    bool had_error = clnet_error_message()[0] != '\0';
    struct arena arena = {NULL};
    struct node *root = NULL;
    /* JSON is YAML: the config reader's tree reads summary.json too. A file that does not
     * parse is treated as absent (the run is started again); its error is not the sweep's. */
    if (fs_exists(path) && fs_read_file(&data, &len, path) == CLNET_OK &&
        node_parse(&arena, &root, data, len, path, true) == CLNET_OK && root &&
        root->kind == NODE_MAP) {
        const char *status = text_at(root, "status");
        const char *hash = text_at(root, "config_hash");
        r->has = status != NULL;
        snprintf(r->status, sizeof r->status, "%s", status ? status : "");
        char *end = NULL;
        if (hash && strlen(hash) == 16) {
            r->config_hash = strtoull(hash, &end, 16);
            r->has_hash = *end == '\0';
        }
        r->final_acc = number_at(root, "final_test_accuracy");
        r->best_acc = number_at(root, "best_test_accuracy");
        r->iterations_per_second = number_at(root, "iterations_per_second");
        double parts[3] = {number_at(root, "startup_seconds"), number_at(root, "train_seconds"),
                           number_at(root, "eval_seconds")};
        for (int i = 0; i < 3; i++)
            if (!isnan(parts[i]))
                r->seconds = (isnan(r->seconds) ? 0 : r->seconds) + parts[i];
    }
    if (!had_error)
        clnet_error_clear();
    arena_free(&arena);
    free(data);
    free(path);
}

bool sweep_item_failed(const struct sweep_item *it)
{
    return it->state == ITEM_DONE && it->exit_code != 0 && !it->stopped;
}

const char *sweep_item_status(const struct sweep_item *it)
{
    switch (it->state) {
    case ITEM_UP_TO_DATE:
        return "completed";
    case ITEM_DONE:
        if (it->rec.has) /* written by this run (jobs.c drops an older file's record) */
            return it->rec.status;
        if (it->exit_code == 130 || it->term_signal == SIGINT || it->term_signal == SIGTERM)
            return "interrupted";
        return it->exit_code == 0 ? "completed" : "failed";
    default:
        return "not run";
    }
}

/* ---- the plan ----------------------------------------------------------------------------- */

static char *sweep_name(const char *dir)
{
    char *copy = strdup(dir);
    if (!copy)
        return NULL;
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    const char *slash = strrchr(copy, '/');
    const char *last = slash ? slash + 1 : copy;
    char *name = NULL;
    if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0 || last[0] == '\0') {
        char *real = realpath(copy, NULL);
        const char *r = real ? strrchr(real, '/') : NULL;
        name = strdup(r && r[1] ? r + 1 : "sweep");
        free(real);
    } else {
        name = strdup(last);
    }
    free(copy);
    return name;
}

static int plan_item(struct sweep *s, struct sweep_item *it, const struct experiment *e)
{
    for (int j = 0; j < s->n; j++)
        if (strcmp(s->items[j].name, e->name) == 0)
            return clnet_errorf(CLNET_ERR_CONFIG, "sweep %s: two experiments are named '%s': "
                                "%s and %s (a run's folder is its name; set name: in one)",
                                s->opt->dir, e->name, s->items[j].path, e->path);
    it->path = strdup(e->path);
    it->name = strdup(e->name);
    it->format = e->report.format;
    if (!it->path || !it->name || asprintf(&it->dir, "%s/%s", s->root, e->name) < 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    return resolve(it, e);
}

int sweep_plan(struct sweep *s)
{
    const struct sweep_options *o = s->opt;
    s->name = sweep_name(o->dir);
    if (!s->name || asprintf(&s->root, "%s/%s", o->out_root ? o->out_root : "runs", s->name) < 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct stat st;
    if (stat(o->dir, &st) != 0)
        return clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: %s", o->dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: not a folder", o->dir);
    struct file_list files = {NULL, 0, 0};
    int status = find_files(&files, o->dir, s->root);
    if (status == CLNET_OK && files.n == 0)
        status = clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: no experiment files (*.yaml whose "
                              "name does not start with '_')", o->dir);
    if (status == CLNET_OK) {
        qsort(files.paths, (size_t)files.n, sizeof *files.paths, compare_paths);
        s->items = calloc((size_t)files.n, sizeof *s->items);
        if (!s->items)
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    for (int i = 0; i < files.n && status == CLNET_OK; i++) {
        struct experiment e;
        status = config_load(&e, files.paths[i], o->sets, o->n_sets);
        if (status != CLNET_OK)
            break;
        if (!e.has_train) {
            if (!o->quiet)
                printf("%s: no train: section (a hand-set model): not part of the sweep; "
                       "`clnet eval %s` evaluates it\n", e.path, e.path);
            s->n_skipped_untrainable++;
        } else {
            status = plan_item(s, &s->items[s->n], &e);
            s->n++;
        }
        experiment_free(&e);
    }
    if (status == CLNET_OK && s->n == 0)
        status = clnet_errorf(CLNET_ERR_USAGE, "sweep: %s: no experiment with a train: section",
                              o->dir);
    for (int i = 0; i < files.n; i++)
        free(files.paths[i]);
    free(files.paths);
    return status;
}

void sweep_free(struct sweep *s)
{
    for (int i = 0; i < s->n; i++) {
        struct sweep_item *it = &s->items[i];
        config_flat_free(&it->flat);
        free(it->path);
        free(it->name);
        free(it->dir);
        free(it->error);
    }
    free(s->items);
    for (int i = 0; i < s->n_devices; i++)
        free(s->devices[i]);
    free(s->devices);
    free(s->name);
    free(s->root);
}
