/* --set KEY.PATH=VALUE on the merged tree of a config: the path is walked along the schema
 * (so an unknown key is refused at once, with the nearest known one), missing keys are made,
 * and a word naming another alternative of a choice replaces the choice, said on stderr. */
#include "config/set.h"

#include "config/schema.h"
#include "util/hash.h"
#include "util/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* Where a --set path's walk stands: the node reached and the slot holding it, and what the
 * next segment must name (a key of table t, a word of choice c, or a list index). */
struct walk {
    struct arena *arena;
    const char *label; /* "--set KEY=VALUE", for messages */
    const char *path;  /* the key, split in place by strtok_r */
    struct node *cur, **slot;
    const struct table *t;
    const struct field *f;
    const struct choice *c;
    enum want want;
};

/* "unknown NOUN 'seg'", with the nearest of the n candidates when one is near enough. */
static int walk_unknown(const struct walk *w, const char *noun, const char *seg,
                        const char *const *cands, int n)
{
    const char *best = schema_suggest(seg, cands, n);
    if (best)
        return node_error_at(w->label, 0, 0, "unknown %s '%s' (did you mean '%s'?)", noun, seg,
                             best);
    return node_error_at(w->label, 0, 0, "unknown %s '%s'", noun, seg);
}

/* Appends key: "" to map; the walk puts the value in its place. */
static int walk_add_key(struct walk *w, struct node *map, const char *key)
{
    struct node *k = node_scalar(w->arena, key, w->label, 0, 0);
    struct node *v = node_scalar(w->arena, "", w->label, 0, 0);
    return k && v ? node_append(w->arena, map, k, v)
                  : clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
}

/* Puts a new empty map where the walk stands. */
static int walk_new_map(struct walk *w)
{
    if (!(w->cur = node_new(w->arena, NODE_MAP, w->label, 0, 0)))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    *w->slot = w->cur;
    return 0;
}

static int walk_table(struct walk *w, const char *seg)
{
    const struct field *f = schema_find(w->t, seg);
    if (f && (f->flags & FL_LOADER))
        return node_error_at(w->label, 0, 0, "'%s' can only be set in a file", seg);
    if (!f) {
        const char *cands[32];
        int n = 0;
        for (int i = 0; i < w->t->n && n < 32; i++)
            if (!(w->t->fields[i].flags & FL_LOADER)) cands[n++] = w->t->fields[i].key;
        return walk_unknown(w, "key", seg, cands, n);
    }
    w->f = f;
    int rc = w->cur->kind != NODE_MAP ? walk_new_map(w) : 0;
    int idx = rc ? -1 : node_find(w->cur, seg);
    if (!rc && idx < 0) {
        rc = walk_add_key(w, w->cur, seg);
        idx = w->cur->n - 1;
    }
    if (rc) return rc;
    w->slot = &w->cur->vals[idx];
    w->cur = *w->slot;
    w->want = WANT_FIELD;
    return 0;
}

/* What the field just reached expects of the same segment. */
static int walk_field(struct walk *w, const char *seg)
{
    const struct field *f = w->f;
    if (f->type == FT_MAP) {
        w->t = f->table;
        w->want = WANT_TABLE;
    } else if (f->type == FT_CHOICE) {
        w->c = f->choice;
        w->want = WANT_CHOICE;
    } else if (f->type >= FT_PAIR && f->type <= FT_VECTOR) {
        w->want = WANT_LIST;
    } else if (f->type == FT_LAYERS || f->type == FT_LOSS) {
        w->c = f->choice;
        w->want = WANT_LIST;
    } else {
        return node_error_at(w->label, 0, 0, "'%s' is a single value, it has no key '%s'",
                             f->key, seg);
    }
    return 0;
}

static int walk_choice(struct walk *w, const char *seg)
{
    const struct choice *c = w->c;
    const struct alternative *alt = schema_alt_by_word(c, seg);
    if (!alt) {
        const char *cands[16];
        for (int i = 0; i < c->n_alts; i++)
            cands[i] = c->alts[i].word;
        return walk_unknown(w, c->noun, seg, cands, c->n_alts);
    }
    if (!alt->value_field) return node_error_at(w->label, 0, 0, "'%s' takes no options", seg);
    /* Switching word replaces the choice; the same word keeps its other options. */
    struct node *cur = w->cur;
    if (!(cur->kind == NODE_MAP && cur->n == 1 && !strcmp(cur->keys[0]->text, seg))) {
        char def[64];
        const char *from = choice_word(cur, w->f, def, sizeof def);
        if (from && strcmp(from, seg) != 0)
            note_switch(w->label, (size_t)(seg - w->path - 1), from, seg);
        int rc = walk_new_map(w);
        if (!rc) rc = walk_add_key(w, w->cur, seg);
        if (rc) return rc;
        cur = w->cur;
    }
    w->slot = &cur->vals[0];
    w->cur = *w->slot;
    w->f = alt->value_field;
    w->want = WANT_FIELD;
    return 0;
}

static int walk_list(struct walk *w, const char *seg)
{
    int idx;
    if (!parse_index(seg, &idx))
        return node_error_at(w->label, 0, 0, "expected a list index, got '%s'", seg);
    if (w->cur->kind != NODE_SEQ)
        return node_error_at(w->label, 0, 0, "'%s' is not a list here, cannot index it",
                             w->f->key);
    if (idx >= w->cur->n)
        return node_error_at(w->label, 0, 0, "index %d out of range (%s has %d entries)", idx,
                             w->f->key, w->cur->n);
    w->slot = &w->cur->vals[idx];
    w->cur = *w->slot;
    w->want = w->c && (w->f->type == FT_LAYERS || w->f->type == FT_LOSS) ? WANT_CHOICE : WANT_LIST;
    return 0;
}

/* Walks the tree along a --set path, following the schema so that unknown keys are
 * reported at once; creates missing keys; returns the slot the value goes into. */
static int set_walk(struct arena *arena, struct node *root, const char *label, char *path,
                    struct node ***slot_out)
{
    struct walk w = {.arena = arena, .label = label, .path = path, .cur = root, .t = &schema_top};
    char *save = NULL;
    for (char *seg = strtok_r(path, ".", &save); seg;) {
        bool same = w.want == WANT_FIELD; /* the field's type says how its segment reads */
        int rc = w.want == WANT_TABLE    ? walk_table(&w, seg)
                 : w.want == WANT_FIELD  ? walk_field(&w, seg)
                 : w.want == WANT_CHOICE ? walk_choice(&w, seg)
                                         : walk_list(&w, seg);
        if (rc) return rc;
        if (!same) seg = strtok_r(NULL, ".", &save);
    }
    *slot_out = w.slot;
    return 0;
}

int set_apply(struct arena *arena, struct node *root, const char *label, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return node_error_at(label, 0, 0, "expected key.path=value");
    size_t plen = (size_t)(eq - arg);
    char *path = arena_alloc(arena, plen + 1);
    if (!path) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    memcpy(path, arg, plen);
    if (path[0] == '.' || path[plen - 1] == '.' || strstr(path, ".."))
        return node_error_at(label, 0, 0, "empty key in '%s'", path);
    struct node *val;
    int rc = node_parse(arena, &val, eq + 1, strlen(eq + 1), label, false);
    if (rc) return rc;
    if (!val && !(val = node_scalar(arena, "", label, 0, 0)))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    struct node **slot = NULL;
    if ((rc = set_walk(arena, root, label, path, &slot))) return rc;
    *slot = val;
    return 0;
}
