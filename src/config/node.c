/* YAML text -> node tree through libyaml's event API, keeping every node's line:column.
 * Anchors and aliases are refused where they appear, so an entity-expansion file
 * ("billion laughs") fails at its first anchor instead of growing. */
#include "config/node.h"

#include "util/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define ARENA_BLOCK 65536
#define MAX_DEPTH 64

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->size = cap;
        b->used = 0;
        /* A big one-off block goes behind the current one so its free space stays usable. */
        if (a->head && cap > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(a, n);
    if (d) memcpy(d, s, n);
    return d;
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

struct node *node_new(struct arena *a, enum node_kind kind, const char *file, int line, int col)
{
    struct node *n = arena_alloc(a, sizeof *n);
    if (n) {
        n->kind = kind;
        n->file = file;
        n->line = line;
        n->col = col;
    }
    return n;
}

struct node *node_scalar(struct arena *a, const char *text, const char *file, int line, int col)
{
    struct node *n = node_new(a, NODE_SCALAR, file, line, col);
    if (n) {
        n->text = arena_strdup(a, text);
        n->plain = true;
        if (!n->text) return NULL;
    }
    return n;
}

int node_append(struct arena *a, struct node *parent, struct node *key, struct node *val)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? parent->cap * 2 : 4;
        struct node **vals = arena_alloc(a, sizeof *vals * (size_t)cap);
        struct node **keys = key ? arena_alloc(a, sizeof *keys * (size_t)cap) : NULL;
        if (!vals || (key && !keys))
            return clnet_errorf(CLNET_ERR_NOMEM, "out of memory while reading a config");
        if (parent->n) {
            memcpy(vals, parent->vals, sizeof *vals * (size_t)parent->n);
            if (keys) memcpy(keys, parent->keys, sizeof *keys * (size_t)parent->n);
        }
        parent->vals = vals;
        parent->keys = keys;
        parent->cap = cap;
    }
    if (key) parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return 0;
}

int node_find(const struct node *map, const char *key)
{
    if (!map || map->kind != NODE_MAP) return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0) return i;
    return -1;
}

void node_remove(struct node *map, int i)
{
    for (int j = i; j + 1 < map->n; j++) {
        map->keys[j] = map->keys[j + 1];
        map->vals[j] = map->vals[j + 1];
    }
    map->n--;
}

bool node_is_null(const struct node *n)
{
    if (!n) return true;
    if (n->kind != NODE_SCALAR || !n->plain) return false;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

const char *node_kind_word(const struct node *n)
{
    if (node_is_null(n)) return "nothing";
    return n->kind == NODE_MAP ? "a map" : n->kind == NODE_SEQ ? "a list" : "a single value";
}

int node_error_at(const char *file, int line, int col, const char *fmt, ...)
{
    char msg[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!file) file = "(built-in default)";
    if (line > 0) return clnet_errorf(CLNET_ERR_CONFIG, "%s:%d:%d: %s", file, line, col, msg);
    return clnet_errorf(CLNET_ERR_CONFIG, "%s: %s", file, msg);
}

struct frame {
    struct node *node;
    struct node *key; /* map: the key whose value comes next */
};

struct parse {
    struct arena *a;
    const char *file;
    bool positions;
    struct frame stack[MAX_DEPTH];
    int depth;
    struct node *root;
};

static int mark_line(const struct parse *p, yaml_mark_t m)
{
    return p->positions ? (int)m.line + 1 : 0;
}

static int mark_col(const struct parse *p, yaml_mark_t m)
{
    return p->positions ? (int)m.column + 1 : 0;
}

static int add_node(struct parse *p, struct node *n)
{
    if (p->depth == 0) {
        p->root = n;
        return 0;
    }
    struct frame *f = &p->stack[p->depth - 1];
    if (f->node->kind == NODE_SEQ) return node_append(p->a, f->node, NULL, n);
    if (!f->key) {
        if (n->kind != NODE_SCALAR)
            return node_error_at(p->file, n->line, n->col, "a key must be a single word, not %s",
                                 node_kind_word(n));
        int dup = node_find(f->node, n->text);
        if (dup >= 0) {
            const struct node *first = f->node->keys[dup];
            if (first->line > 0)
                return node_error_at(p->file, n->line, n->col,
                                     "duplicate key '%s' (first at line %d)", n->text, first->line);
            return node_error_at(p->file, n->line, n->col, "duplicate key '%s'", n->text);
        }
        f->key = n;
        return 0;
    }
    int rc = node_append(p->a, f->node, f->key, n);
    f->key = NULL;
    return rc;
}

static int yaml_problem(const struct parse *p, const yaml_parser_t *y, const char *buf, size_t len)
{
    if (y->error == YAML_MEMORY_ERROR)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory while parsing YAML", p->file);
    const char *problem = y->problem ? y->problem : "malformed YAML";
    if (y->error == YAML_READER_ERROR) {
        /* The reader reports a byte offset, not a mark: count lines ourselves. */
        int line = 1, col = 1;
        for (size_t i = 0; i < y->problem_offset && i < len; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        if (!p->positions) line = col = 0;
        if (y->problem_value != -1)
            return node_error_at(p->file, line, col, "invalid YAML: %s (byte 0x%02X)", problem,
                                 (unsigned)y->problem_value & 0xFFu);
        return node_error_at(p->file, line, col, "invalid YAML: %s", problem);
    }
    int line = mark_line(p, y->problem_mark), col = mark_col(p, y->problem_mark);
    if (y->context && p->positions)
        return node_error_at(p->file, line, col, "invalid YAML: %s (%s at line %d)", problem,
                             y->context, (int)y->context_mark.line + 1);
    if (y->context)
        return node_error_at(p->file, line, col, "invalid YAML: %s (%s)", problem, y->context);
    return node_error_at(p->file, line, col, "invalid YAML: %s", problem);
}

static int handle_event(struct parse *p, const yaml_event_t *ev, int *docs)
{
    int line = mark_line(p, ev->start_mark), col = mark_col(p, ev->start_mark);
    const unsigned char *anchor = NULL;
    struct node *n = NULL;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return node_error_at(p->file, line, col,
                                 "more than one YAML document (only one is allowed)");
        return 0;
    case YAML_ALIAS_EVENT:
        return node_error_at(
            p->file, line, col,
            "YAML anchors and aliases (*%s) are not supported; write the value out",
            (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        if (anchor) break;
        if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
            return node_error_at(p->file, line, col, "NUL byte inside a value");
        n = node_scalar(p->a, (const char *)ev->data.scalar.value, p->file, line, col);
        if (!n) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory while reading a config");
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return add_node(p, n);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (anchor) break;
        if (p->depth == MAX_DEPTH)
            return node_error_at(p->file, line, col, "nested deeper than %d levels", MAX_DEPTH);
        n = node_new(p->a, map ? NODE_MAP : NODE_SEQ, p->file, line, col);
        if (!n) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory while reading a config");
        int rc = add_node(p, n);
        if (rc) return rc;
        p->stack[p->depth].node = n;
        p->stack[p->depth].key = NULL;
        p->depth++;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        p->depth--;
        return 0;
    default:
        return 0;
    }
    return node_error_at(p->file, line, col,
                         "YAML anchors and aliases (&%s) are not supported; write the value out",
                         (const char *)anchor);
}

int node_parse(struct arena *a, struct node **out, const char *buf, size_t len, const char *file,
               bool positions)
{
    struct parse p = {.a = a, .file = file, .positions = positions};
    yaml_parser_t y;
    *out = NULL;
    if (!yaml_parser_initialize(&y))
        return clnet_errorf(CLNET_ERR_NOMEM, "out of memory while parsing YAML");
    yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
    int rc = 0, docs = 0;
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&y, &ev)) {
            rc = yaml_problem(&p, &y, buf, len);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle_event(&p, &ev, &docs);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&y);
    if (!rc) *out = p.root;
    return rc;
}
