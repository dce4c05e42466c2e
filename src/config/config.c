/* config_load: read the file and its base: chain into node trees, merge them (maps key by
 * key, the including file winning; lists replaced), apply --set overrides on the tree, then
 * run the one validation pass (validate.c). Also the resolved-config writers. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config/config.h"

#include "config/node.h"
#include "config/schema.h"
#include "config/set.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/status.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BASE_DEPTH 16

struct loader {
    struct arena arena;
    char **names; /* becomes experiment.src_names */
    int n_names, cap_names;
    char *chain[MAX_BASE_DEPTH + 1]; /* real paths of the files being loaded, for cycles */
    int depth;
};

static const char *pool_add(struct loader *L, const char *prefix, const char *name)
{
    if (L->n_names == L->cap_names) {
        int cap = L->cap_names ? 2 * L->cap_names : 8;
        char **names = realloc(L->names, sizeof *names * (size_t)cap);
        if (!names) return NULL;
        L->names = names;
        L->cap_names = cap;
    }
    size_t size = strlen(prefix) + strlen(name) + 1;
    char *s = malloc(size);
    if (!s) return NULL;
    snprintf(s, size, "%s%s", prefix, name);
    L->names[L->n_names++] = s;
    return s;
}


/* Reads and parses one file; from is the base: value that named it (NULL for the top). */
/* An experiment file is a few KiB; a larger limit only bounds what a wrong path can cost. */
#define CONFIG_MAX_BYTES (16u << 20)

static int load_file(struct loader *L, const char *path, const struct node *from, struct node **out)
{
    const char *name = pool_add(L, "", path);
    if (!name) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    void *data = NULL;
    size_t len = 0;
    /* A regular file of at most CONFIG_MAX_BYTES: never /dev/zero, a FIFO or a folder. */
    int rc = fs_read_file_max(&data, &len, path, CONFIG_MAX_BYTES);
    char *buf = data;
    if (rc == CLNET_ERR_NOMEM) return rc;
    if (rc) {
        char why[1024];
        snprintf(why, sizeof why, "%s", clnet_error_message());
        clnet_error_clear();
        if (from) return node_error_at(from->file, from->line, from->col, "base: %s", why);
        return clnet_errorf(CLNET_ERR_CONFIG, "%s", why);
    }
    rc = node_parse(&L->arena, out, buf, len, name, true);
    free(buf);
    if (rc) return rc;
    if (!*out) return node_error_at(name, 1, 1, "empty file: expected a map of settings");
    if ((*out)->kind != NODE_MAP)
        return node_error_at(name, (*out)->line, (*out)->col,
                             "expected a map of settings at the top level, got %s",
                             node_kind_word(*out));
    return 0;
}

/* Merges src into dst (both maps) key by key; table (may be NULL) tells which values are
 * sections to merge further and which are choices ({adam: {...}}) that merge only when
 * both files pick the same word. Everything else, lists included, is replaced. */
static int merge(struct loader *L, struct node *dst, const struct node *src, const struct table *t)
{
    for (int i = 0; i < src->n; i++) {
        struct node *sk = src->keys[i], *sv = src->vals[i];
        int k = node_find(dst, sk->text);
        if (k < 0) {
            int rc = node_append(&L->arena, dst, sk, sv);
            if (rc) return rc;
            continue;
        }
        struct node *dv = dst->vals[k];
        const struct field *f = t ? schema_find(t, sk->text) : NULL;
        int rc = 0;
        if (f && f->type == FT_MAP && dv->kind == NODE_MAP && sv->kind == NODE_MAP) {
            rc = merge(L, dv, sv, f->table);
        } else if (f && f->type == FT_CHOICE && dv->kind == NODE_MAP && sv->kind == NODE_MAP &&
                   dv->n == 1 && sv->n == 1 && !strcmp(dv->keys[0]->text, sv->keys[0]->text)) {
            const struct alternative *alt = schema_alt_by_word(f->choice, sv->keys[0]->text);
            const struct node *a = dv->vals[0], *b = sv->vals[0];
            if (alt && alt->value_field && alt->value_field->type == FT_MAP &&
                a->kind == NODE_MAP && b->kind == NODE_MAP)
                rc = merge(L, dv->vals[0], b, alt->value_field->table);
            else
                dv->vals[0] = sv->vals[0];
        } else {
            dst->keys[k] = sk;
            dst->vals[k] = sv;
        }
        if (rc) return rc;
    }
    return 0;
}

static int load_chain(struct loader *L, const char *path, const struct node *from,
                      struct node **out, const char **base_text)
{
    char *real = realpath(path, NULL);
    if (real) {
        for (int i = 0; i < L->depth; i++) {
            if (!strcmp(L->chain[i], real)) {
                free(real);
                return node_error_at(from->file, from->line, from->col,
                                     "base: '%s' is already being loaded (a base: cycle)", path);
            }
        }
        if (L->depth == MAX_BASE_DEPTH) {
            free(real);
            return node_error_at(from->file, from->line, from->col, "base: more than %d files deep",
                                 MAX_BASE_DEPTH);
        }
        L->chain[L->depth++] = real;
    }
    struct node *tree;
    int rc = load_file(L, path, from, &tree);
    int k = rc ? -1 : node_find(tree, "base");
    if (k >= 0) {
        struct node *b = tree->vals[k];
        if (b->kind != NODE_SCALAR || node_is_null(b) || !b->text[0]) {
            rc = node_error_at(b->file, b->line, b->col, "base: expected a file path, got %s",
                               node_kind_word(b));
        } else {
            if (base_text) *base_text = b->text;
            node_remove(tree, k);
            const char *slash = strrchr(path, '/');
            int dir_len = b->text[0] == '/' || !slash ? 0 : (int)(slash - path) + 1;
            size_t size = (size_t)dir_len + strlen(b->text) + 1;
            char *bpath = malloc(size);
            struct node *btree = NULL;
            if (!bpath)
                rc = clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
            else {
                snprintf(bpath, size, "%.*s%s", dir_len, path, b->text);
                rc = load_chain(L, bpath, b, &btree, NULL);
                free(bpath);
            }
            if (!rc) {
                int name = node_find(btree, "name"); /* a run is named by its own file */
                if (name >= 0) node_remove(btree, name);
                rc = merge(L, btree, tree, &schema_top);
                tree = btree;
            }
        }
    }
    if (real) free(L->chain[--L->depth]);
    if (!rc) *out = tree;
    return rc;
}

static int apply_set(struct loader *L, struct node *root, const char *arg)
{
    const char *label = pool_add(L, "--set ", arg);
    if (!label) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    return set_apply(&L->arena, root, label, arg);
}

static char *name_from_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml"))
        n -= 4;
    return n ? strndup(b, n) : strdup("experiment");
}

int config_load(struct experiment *e, const char *path, const char *const *sets, int n_sets)
{
    struct loader L = {.arena = {NULL}};
    struct node *root = NULL;
    const char *base = NULL;
    memset(e, 0, sizeof *e);
    int rc = load_chain(&L, path, NULL, &root, &base);
    for (int i = 0; i < n_sets && !rc; i++)
        rc = apply_set(&L, root, sets[i]);
    if (!rc) rc = schema_validate(e, &L.arena, root);
    if (!rc && !e->name && !(e->name = name_from_path(path)))
        rc = clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    const char *why = rc ? NULL : fs_name_problem(e->name);
    if (why)
        rc = clnet_errorf(CLNET_ERR_CONFIG, "%s: the run name taken from the file's name cannot "
                          "name a run folder (%s); set name:", path, why);
    if (!rc && (!(e->path = strdup(path)) || (base && !(e->base = strdup(base)))))
        rc = clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    e->src_names = L.names;
    e->n_src_names = L.n_names;
    arena_free(&L.arena);
    if (rc) {
        experiment_free(e);
        memset(e, 0, sizeof *e);
    }
    return rc;
}

int config_write_resolved(const struct experiment *e, FILE *f)
{
    if (schema_emit(e, f) != 0 || fflush(f) != 0)
        return clnet_errorf(CLNET_ERR_IO, "cannot write the resolved config: %s", strerror(errno));
    return 0;
}

int config_resolved_text(const struct experiment *e, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int rc = config_write_resolved(e, f);
    if (fclose(f) != 0 && rc == CLNET_OK)
        rc = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (rc != CLNET_OK) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

int config_resolved_hash(const struct experiment *e, uint64_t *hash)
{
    char *text;
    size_t len;
    int rc = config_resolved_text(e, &text, &len);
    *hash = rc == CLNET_OK ? hash_bytes(text, len, HASH_SEED) : 0;
    free(text);
    return rc;
}

int config_save_resolved(const struct experiment *e, const char *path)
{
    struct fs_atomic a;
    int rc = fs_atomic_open(&a, path);
    if (rc != CLNET_OK)
        return rc;
    if (schema_emit(e, a.f) != 0) {
        fs_atomic_abort(&a);
        return clnet_errorf(CLNET_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    return fs_atomic_commit(&a);
}

void config_print_help(FILE *f)
{
    schema_print_help(f);
}

int config_errorf_at(struct src_pos pos, const char *fmt, ...)
{
    char msg[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return node_error_at(pos.file, pos.line, pos.col, "%s", msg);
}
