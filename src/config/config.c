/* config_load: read the file and its base: chain into node trees, merge them (maps key by
 * key, the including file winning; lists replaced), apply --set overrides on the tree, then
 * run the one validation pass (validate.c). Also the resolved-config writers. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config/config.h"

#include "config/node.h"
#include "config/schema.h"
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

static bool parse_index(const char *seg, int *out)
{
    long x = 0;
    if (!*seg) return false;
    for (const char *p = seg; *p; p++) {
        if (*p < '0' || *p > '9' || x > 1000000) return false;
        x = x * 10 + (*p - '0');
    }
    *out = (int)x;
    return true;
}

enum want { WANT_TABLE, WANT_FIELD, WANT_CHOICE, WANT_LIST };

/* The word a one-of choice holds now: the key of `{adam: {...}}`, a bare word (`constant`,
 * `flatten`), or, when the config left it out, the first word of the schema's default. */
static const char *choice_word(const struct node *cur, const struct field *f, char *buf,
                               size_t cap)
{
    if (cur->kind == NODE_MAP && cur->n == 1)
        return cur->keys[0]->text;
    if (cur->kind == NODE_SCALAR && cur->text[0])
        return cur->text;
    if (!f || !f->def)
        return NULL;
    const char *d = f->def + strspn(f->def, "{ ");
    snprintf(buf, cap, "%.*s", (int)strcspn(d, ":} "), d);
    return buf[0] ? buf : NULL;
}

/* A --set that names another alternative of a choice replaces the whole choice (its options
 * go with it): said on stderr, once a process, since the key alone does not show it. The
 * choice's path is the part of the --set key before `word`. */
static void note_switch(const char *label, size_t choice_len, const char *from, const char *to)
{
    static uint64_t said[16];
    static int n_said;
    const char *key = label + strlen("--set ");
    char line[600];
    int n = snprintf(line, sizeof line, "--set %.*s: switches %.*s from %s to %s",
                     (int)strcspn(key, "="), key, (int)choice_len, key, from, to);
    n = n < 0 ? 0 : n < (int)sizeof line ? n : (int)sizeof line - 1;
    uint64_t h = hash_bytes(line, (size_t)n, HASH_SEED);
    for (int i = 0; i < n_said; i++)
        if (said[i] == h)
            return;
    if (n_said < 16)
        said[n_said++] = h;
    fprintf(stderr, "clnet: %s\n", line);
}

/* Walks the tree along a --set path, following the schema so that unknown keys are
 * reported at once; creates missing keys; returns the slot the value goes into. */
static int set_walk(struct loader *L, struct node *root, const char *label, char *path,
                    struct node ***slot_out)
{
    struct node *cur = root, **slot = NULL;
    const struct table *t = &schema_top;
    const struct field *f = NULL;
    const struct choice *c = NULL;
    enum want want = WANT_TABLE;
    char *save = NULL;
    for (char *seg = strtok_r(path, ".", &save); seg;) {
        int idx;
        switch (want) {
        case WANT_TABLE: {
            f = schema_find(t, seg);
            if (!f || (f->flags & FL_LOADER)) {
                const char *cands[32];
                int n = 0;
                for (int i = 0; i < t->n; i++)
                    if (!(t->fields[i].flags & FL_LOADER)) cands[n++] = t->fields[i].key;
                const char *best = schema_suggest(seg, cands, n);
                if (f) return node_error_at(label, 0, 0, "'%s' can only be set in a file", seg);
                if (best)
                    return node_error_at(label, 0, 0, "unknown key '%s' (did you mean '%s'?)", seg,
                                         best);
                return node_error_at(label, 0, 0, "unknown key '%s'", seg);
            }
            if (cur->kind != NODE_MAP) {
                if (!(cur = node_new(&L->arena, NODE_MAP, label, 0, 0)))
                    return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
                *slot = cur;
            }
            idx = node_find(cur, seg);
            if (idx < 0) {
                struct node *k = node_scalar(&L->arena, seg, label, 0, 0);
                struct node *v = node_scalar(&L->arena, "", label, 0, 0);
                int rc = k && v ? node_append(&L->arena, cur, k, v)
                                : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
                if (rc) return rc;
                idx = cur->n - 1;
            }
            slot = &cur->vals[idx];
            cur = *slot;
            want = WANT_FIELD;
            seg = strtok_r(NULL, ".", &save);
            continue;
        }
        case WANT_FIELD:
            if (f->type == FT_MAP) {
                t = f->table;
                want = WANT_TABLE;
            } else if (f->type == FT_CHOICE) {
                c = f->choice;
                want = WANT_CHOICE;
            } else if (f->type >= FT_PAIR && f->type <= FT_VECTOR) {
                want = WANT_LIST;
            } else if (f->type == FT_LAYERS) {
                c = f->choice;
                want = WANT_LIST;
            } else {
                return node_error_at(label, 0, 0, "'%s' is a single value, it has no key '%s'",
                                     f->key, seg);
            }
            continue; /* the same segment, read with the new expectation */
        case WANT_CHOICE: {
            const struct alternative *alt = schema_alt_by_word(c, seg);
            if (!alt) {
                const char *cands[16];
                for (int i = 0; i < c->n_alts; i++)
                    cands[i] = c->alts[i].word;
                const char *best = schema_suggest(seg, cands, c->n_alts);
                if (best)
                    return node_error_at(label, 0, 0, "unknown %s '%s' (did you mean '%s'?)",
                                         c->noun, seg, best);
                return node_error_at(label, 0, 0, "unknown %s '%s'", c->noun, seg);
            }
            if (!alt->value_field) return node_error_at(label, 0, 0, "'%s' takes no options", seg);
            /* Switching word replaces the choice; the same word keeps its other options. */
            if (!(cur->kind == NODE_MAP && cur->n == 1 && !strcmp(cur->keys[0]->text, seg))) {
                char def[64];
                const char *from = choice_word(cur, f, def, sizeof def);
                if (from && strcmp(from, seg) != 0)
                    note_switch(label, (size_t)(seg - path - 1), from, seg);
                struct node *m = node_new(&L->arena, NODE_MAP, label, 0, 0);
                struct node *k = node_scalar(&L->arena, seg, label, 0, 0);
                struct node *v = node_scalar(&L->arena, "", label, 0, 0);
                int rc = m && k && v ? node_append(&L->arena, m, k, v)
                                     : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
                if (rc) return rc;
                *slot = cur = m;
            }
            slot = &cur->vals[0];
            cur = *slot;
            f = alt->value_field;
            want = WANT_FIELD;
            seg = strtok_r(NULL, ".", &save);
            continue;
        }
        case WANT_LIST:
            if (!parse_index(seg, &idx))
                return node_error_at(label, 0, 0, "expected a list index, got '%s'", seg);
            if (cur->kind != NODE_SEQ)
                return node_error_at(label, 0, 0, "'%s' is not a list here, cannot index it",
                                     f->key);
            if (idx >= cur->n)
                return node_error_at(label, 0, 0, "index %d out of range (%s has %d entries)", idx,
                                     f->key, cur->n);
            slot = &cur->vals[idx];
            cur = *slot;
            want = c && f->type == FT_LAYERS ? WANT_CHOICE : WANT_LIST;
            seg = strtok_r(NULL, ".", &save);
            continue;
        }
    }
    *slot_out = slot;
    return 0;
}

static int apply_set(struct loader *L, struct node *root, const char *arg)
{
    const char *label = pool_add(L, "--set ", arg);
    if (!label) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return node_error_at(label, 0, 0, "expected key.path=value");
    size_t plen = (size_t)(eq - arg);
    char *path = arena_alloc(&L->arena, plen + 1);
    if (!path) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    memcpy(path, arg, plen);
    if (path[0] == '.' || path[plen - 1] == '.' || strstr(path, ".."))
        return node_error_at(label, 0, 0, "empty key in '%s'", path);
    struct node *val;
    int rc = node_parse(&L->arena, &val, eq + 1, strlen(eq + 1), label, false);
    if (rc) return rc;
    if (!val && !(val = node_scalar(&L->arena, "", label, 0, 0)))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    struct node **slot = NULL;
    if ((rc = set_walk(L, root, label, path, &slot))) return rc;
    *slot = val;
    return 0;
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
