/* The config loader's intermediate form: a small YAML tree (map / seq / scalar) whose every
 * node remembers where it came from, built from libyaml's event API. All nodes and their
 * strings live in one arena that the loader frees at once, so merging base: files and
 * applying --set only relink pointers. Internal to src/config/. */
#ifndef CLNET_CONFIG_NODE_H
#define CLNET_CONFIG_NODE_H

#include <stdbool.h>
#include <stddef.h>

enum node_kind { NODE_SCALAR, NODE_MAP, NODE_SEQ };

struct node {
    enum node_kind kind;
    const char *file; /* pooled name; NULL for a built-in default */
    int line, col;    /* 1-based; 0 when the node has no position (--set value, default) */
    const char *text; /* scalar only */
    bool plain;       /* scalar written without quotes (so `null`, `~` and `` mean null) */
    int n, cap;
    struct node **keys; /* map only: scalar key nodes */
    struct node **vals; /* map values or sequence items */
};

struct arena_block;
struct arena {
    struct arena_block *head;
};

void *arena_alloc(struct arena *a, size_t size); /* zeroed; NULL on failure */
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

struct node *node_new(struct arena *a, enum node_kind kind, const char *file, int line, int col);
struct node *node_scalar(struct arena *a, const char *text, const char *file, int line, int col);
/* Appends a sequence item, or a map member when key is not NULL. 0 or CLNET_ERR_NOMEM. */
int node_append(struct arena *a, struct node *parent, struct node *key, struct node *val);
/* Index of key in map, or -1. */
int node_find(const struct node *map, const char *key);
void node_remove(struct node *map, int index);
bool node_is_null(const struct node *n);
const char *node_kind_word(const struct node *n); /* "a map", "a list", "'text'", "nothing" */

/* Parses one YAML document from buf (len bytes). file names the source in errors; with
 * positions false every node gets line 0 (a --set value). An empty stream gives *out NULL.
 * Rejects anchors, aliases, more than one document, duplicate and non-scalar keys. */
int node_parse(struct arena *a, struct node **out, const char *buf, size_t len, const char *file,
               bool positions);

/* Records "FILE:LINE:COL: msg" (or "FILE: msg" without a position) as CLNET_ERR_CONFIG. */
int node_error_at(const char *file, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
