/* The one validation pass: merged YAML tree -> struct experiment, driven by the schema
 * tables. Every error names the file, line and column of the offending node and the key
 * path ("train.optimizer.adam", "layer 3 (dense)"), and suggests the nearest valid word. */
#include "config/validate.h"

#include "config/experiment.h"
#include "util/status.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vctx_error(struct vctx *v, const struct node *at, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (v->len) return node_error_at(at->file, at->line, at->col, "%s: %s", v->ctx, msg);
    return node_error_at(at->file, at->line, at->col, "%s", msg);
}

/* Appends a key to the context; returns the old length for ctx_pop. */
static size_t ctx_push(struct vctx *v, const char *fmt, const char *key)
{
    size_t old = v->len;
    const char *sep = !v->len || fmt[0] == ' ' ? "" : v->ctx[v->len - 1] == ')' ? ": " : ".";
    int n = snprintf(v->ctx + v->len, sizeof v->ctx - v->len, "%s", sep);
    if (n > 0) v->len += (size_t)n < sizeof v->ctx - v->len ? (size_t)n : 0;
    n = snprintf(v->ctx + v->len, sizeof v->ctx - v->len, fmt, key);
    if (n > 0 && (size_t)n < sizeof v->ctx - v->len) v->len += (size_t)n;
    v->ctx[v->len] = '\0';
    return old;
}

static void ctx_pop(struct vctx *v, size_t old)
{
    v->len = old;
    v->ctx[old] = '\0';
}

static void join_words(char *buf, size_t size, const char *const *w, int n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", w[i]);
        if (k < 0) break;
        used += (size_t)k;
    }
}

/* "unknown NOUN 'given' (did you mean 'x'?)" or "(expected one of: ...)". */
static int unknown_word(struct vctx *v, const struct node *at, const char *noun, const char *given,
                        const char *const *cands, int n, const char *list_label)
{
    const char *best = schema_suggest(given, cands, n);
    if (best) return vctx_error(v, at, "unknown %s '%s' (did you mean '%s'?)", noun, given, best);
    char list[1024];
    join_words(list, sizeof list, cands, n);
    return vctx_error(v, at, "unknown %s '%s' (%s: %s)", noun, given, list_label, list);
}

static int convert_table(struct vctx *v, const struct table *t, const struct node *map,
                         const struct node *at, void *base);
static int convert_choice(struct vctx *v, const struct choice *c, const struct node *n, void *base,
                          int layer);

static int convert_list(struct vctx *v, const struct node *n, const char *what)
{
    if (n->kind != NODE_SEQ) return vctx_error(v, n, "expected %s, got %s", what, node_kind_word(n));
    return 0;
}

static int convert_pair(struct vctx *v, const struct field *f, const struct node *n, int *out)
{
    long long x;
    int rc;
    if (n->kind == NODE_SEQ) {
        if (n->n != 2) return vctx_error(v, n, "expected [rows, cols], got %d numbers", n->n);
        for (int i = 0; i < 2; i++) {
            if ((rc = value_integer(v, f, n->vals[i], INT_MIN, INT_MAX, &x))) return rc;
            out[i] = (int)x;
        }
        return 0;
    }
    if (n->kind != NODE_SCALAR || node_is_null(n))
        return vctx_error(v, n, "expected a number or [rows, cols], got %s", node_kind_word(n));
    if ((rc = value_integer(v, f, n, INT_MIN, INT_MAX, &x))) return rc;
    out[0] = out[1] = (int)x;
    return 0;
}

static int convert_dims(struct vctx *v, const struct field *f, const struct node *n,
                        struct experiment *e)
{
    int rc = convert_list(v, n, "a list like [784] or [1, 28, 28]");
    if (rc) return rc;
    if (n->n != 1 && n->n != 3)
        return vctx_error(v, n, "expected 1 number (features) or 3 (channels, rows, cols), got %d", n->n);
    for (int i = 0; i < n->n; i++) {
        long long x;
        if ((rc = value_integer(v, f, n->vals[i], INT_MIN, INT_MAX, &x))) return rc;
        e->input[i] = (int)x;
    }
    e->input_rank = n->n;
    return 0;
}

static int convert_floats(struct vctx *v, const struct node *n, float *out)
{
    for (int i = 0; i < n->n; i++) {
        int rc = value_float(v, n->vals[i], &out[i]);
        if (rc) return rc;
    }
    return 0;
}

static int convert_matrix(struct vctx *v, const struct node *n, struct layer_spec *l)
{
    int rc = convert_list(v, n, "a list of rows, one per unit");
    if (rc) return rc;
    if (n->n == 0) return vctx_error(v, n, "expected at least one row");
    int cols = 0;
    for (int r = 0; r < n->n; r++) {
        const struct node *row = n->vals[r];
        if (row->kind != NODE_SEQ)
            return vctx_error(v, row, "row %d: expected a list of numbers, got %s", r,
                        node_kind_word(row));
        if (r == 0 && row->n == 0) return vctx_error(v, row, "row 0 is empty");
        if (r == 0)
            cols = row->n;
        else if (row->n != cols)
            return vctx_error(v, row, "row %d has %d numbers, row 0 has %d", r, row->n, cols);
    }
    float *w = malloc(sizeof *w * (size_t)n->n * (size_t)cols);
    if (!w) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    free(l->dense.weights);
    l->dense.weights = w;
    l->dense.weight_rows = n->n;
    l->dense.weight_cols = cols;
    for (int r = 0; r < n->n; r++)
        if ((rc = convert_floats(v, n->vals[r], w + (size_t)r * (size_t)cols))) return rc;
    return 0;
}

static int convert_vector(struct vctx *v, const struct node *n, struct layer_spec *l)
{
    int rc = convert_list(v, n, "a list of numbers");
    if (rc) return rc;
    float *b = malloc(sizeof *b * (size_t)(n->n ? n->n : 1));
    if (!b) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    free(l->dense.bias);
    l->dense.bias = b;
    l->dense.bias_len = n->n;
    return convert_floats(v, n, b);
}

static int convert_enum(struct vctx *v, const struct words *w, const struct node *n, int *out)
{
    const char *t;
    char what[96];
    snprintf(what, sizeof what, "a %s name", w->noun);
    int rc = value_scalar(v, n, what, &t);
    if (rc) return rc;
    const char *cands[32];
    for (int i = 0; i < w->n; i++) {
        if (!strcmp(w->list[i].word, t)) {
            *out = w->list[i].value;
            return 0;
        }
        cands[i] = w->list[i].word;
    }
    return unknown_word(v, n, w->noun, t, cands, w->n, "expected one of");
}

static int convert_layers(struct vctx *v, const struct field *f, const struct node *n,
                          struct experiment *e)
{
    int rc = convert_list(v, n, "a list of layers");
    if (rc) return rc;
    if (n->n == 0) return vctx_error(v, n, "expected at least one layer");
    e->layers = calloc((size_t)n->n, sizeof *e->layers);
    if (!e->layers) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    e->n_layers = n->n;
    size_t old = v->len;
    for (int i = 0; i < n->n && !rc; i++) {
        const struct node *item = n->vals[i];
        struct layer_spec *l = &e->layers[i];
        l->pos = (struct src_pos){item->file, item->line, item->col};
        /* layers are named on their own: "layer 3 (dense): ..." */
        v->len = (size_t)snprintf(v->ctx, sizeof v->ctx, "layer %d", i);
        rc = convert_choice(v, f->choice, item, l, i);
    }
    ctx_pop(v, old);
    return rc;
}

static int convert_field(struct vctx *v, const struct field *f, const struct node *n,
                         const struct node *parent, void *base);

/* A field the config left out: required, its schema default, or a section of defaults. */
static int convert_absent(struct vctx *v, const struct field *f, const struct node *parent,
                          void *base)
{
    if (f->flags & FL_REQUIRED) return vctx_error(v, parent, "missing required key '%s'", f->key);
    int rc = 0;
    if (f->def) {
        struct node *d;
        if ((rc = node_parse(v->arena, &d, f->def, strlen(f->def), NULL, false))) return rc;
        return convert_field(v, f, d, parent, base);
    }
    if (f->type == FT_MAP) {
        size_t old = ctx_push(v, "%s", f->key);
        rc = convert_table(v, f->table, NULL, parent, (char *)base + f->off);
        ctx_pop(v, old);
    }
    return rc;
}

/* A single value: a number, a boolean or a string, into *p. */
static int convert_scalar(struct vctx *v, const struct field *f, const struct node *n, void *p)
{
    long long x = 0;
    int rc = 0;
    switch (f->type) {
    case FT_INT:
        if (!(rc = value_integer(v, f, n, INT_MIN, INT_MAX, &x))) *(int *)p = (int)x;
        return rc;
    case FT_LONG:
        if (!(rc = value_integer(v, f, n, LONG_MIN, LONG_MAX, &x))) *(long *)p = (long)x;
        return rc;
    case FT_U64:
        if (!(rc = value_integer(v, f, n, INT64_MIN, INT64_MAX, &x))) *(uint64_t *)p = (uint64_t)x;
        return rc;
    case FT_DOUBLE:
        return value_double(v, f, n, (double *)p);
    case FT_BOOL:
        return value_bool(v, n, (bool *)p);
    default: { /* FT_STR: convert_field passes only single values */
        char *s = NULL;
        if (!(rc = value_string(v, f, n, &s))) {
            free(*(char **)p);
            *(char **)p = s;
        }
        return rc;
    }
    }
}

static int convert_field(struct vctx *v, const struct field *f, const struct node *n,
                         const struct node *parent, void *base)
{
    if (!n) return convert_absent(v, f, parent, base);
    char *p = (char *)base + f->off;
    int rc = 0;
    size_t old = ctx_push(v, "%s", f->key);
    switch (f->type) {
    case FT_INT:
    case FT_LONG:
    case FT_U64:
    case FT_DOUBLE:
    case FT_BOOL:
    case FT_STR:
        rc = convert_scalar(v, f, n, p);
        break;
    case FT_ENUM:
        rc = convert_enum(v, f->words, n, (int *)p);
        break;
    case FT_PAIR:
        rc = convert_pair(v, f, n, (int *)p);
        break;
    case FT_DIMS:
        rc = convert_dims(v, f, n, base);
        break;
    case FT_MATRIX:
        rc = convert_matrix(v, n, base);
        break;
    case FT_VECTOR:
        rc = convert_vector(v, n, base);
        break;
    case FT_MAP:
        if (n->kind != NODE_MAP && !node_is_null(n)) {
            rc = vctx_error(v, n, "expected a map of settings, got %s", node_kind_word(n));
            break;
        }
        if (f->flags & FL_PRESENT) *(bool *)((char *)base + f->present_off) = true;
        rc = convert_table(v, f->table, n, n, p);
        break;
    case FT_CHOICE:
        rc = convert_choice(v, f->choice, n, p, -1);
        break;
    case FT_LAYERS:
        rc = convert_layers(v, f, n, base);
        break;
    case FT_LOSS:
        rc = validate_loss(v, f, n, base);
        break;
    case FT_LOSS_R:
        rc = validate_loss_r(v, n, p);
        break;
    }
    ctx_pop(v, old);
    return rc;
}

static int convert_table(struct vctx *v, const struct table *t, const struct node *map,
                         const struct node *at, void *base)
{
    if (map && map->kind == NODE_MAP) {
        const char *cands[32];
        int nc = 0;
        for (int i = 0; i < t->n; i++)
            if (!(t->fields[i].flags & FL_LOADER)) cands[nc++] = t->fields[i].key;
        for (int i = 0; i < map->n; i++) {
            const struct field *f = schema_find(t, map->keys[i]->text);
            if (!f || (f->flags & FL_LOADER))
                return unknown_word(v, map->keys[i], "key", map->keys[i]->text, cands, nc,
                                    "valid keys");
        }
    } else {
        map = NULL;
    }
    for (int i = 0; i < t->n; i++) {
        const struct field *f = &t->fields[i];
        if (f->flags & FL_LOADER) continue;
        int k = node_find(map, f->key);
        int rc = convert_field(v, f, k >= 0 ? map->vals[k] : NULL, at, base);
        if (rc) return rc;
    }
    return t->check ? t->check(v, map ? map : at, base) : 0;
}

/* The value of a choice's alternative (alt) given as n, value being what n maps alt to (NULL
 * for a bare word). */
static int convert_alt_value(struct vctx *v, const struct alternative *alt, const struct node *n,
                             const struct node *value, void *base, int layer)
{
    const struct field *vf = alt->value_field;
    if (!vf) {
        if (value && !node_is_null(value) && !(value->kind == NODE_MAP && value->n == 0))
            return vctx_error(v, value, "'%s' takes no options, got %s", alt->word,
                              node_kind_word(value));
        return 0;
    }
    if (vf->type == FT_MAP) {
        if (layer < 0) ctx_push(v, "%s", alt->word);
        if (value && value->kind != NODE_MAP && !node_is_null(value))
            return vctx_error(v, value, "expected a map of settings, got %s",
                              node_kind_word(value));
        return convert_table(v, vf->table, node_is_null(value) ? NULL : value, value ? value : n,
                             (char *)base + vf->off);
    }
    if (!value || node_is_null(value))
        return vctx_error(v, n, "'%s' needs a value, as in {%s: ...}", alt->word, alt->word);
    /* A single value ({constant: 0.1}, {activation: relu}): named by its word. */
    return convert_field(v, vf, value, n, base);
}

static int convert_choice(struct vctx *v, const struct choice *c, const struct node *n, void *base,
                          int layer)
{
    const char *cands[16];
    for (int i = 0; i < c->n_alts; i++)
        cands[i] = c->alts[i].word;
    char list[512];
    join_words(list, sizeof list, cands, c->n_alts);

    const struct node *word = n, *value = NULL;
    /* A layer's name: and from: may also sit beside its kind: {activation: relu, name: a}. */
    int rc = layer >= 0 && n->kind == NODE_MAP && n->n > 1 ? validate_layer_graph_keys(v, &n, base)
                                                           : 0;
    if (rc) return rc;
    if (n->kind == NODE_MAP && n->n == 1) {
        word = n->keys[0];
        value = n->vals[0];
    } else if (n->kind == NODE_MAP) {
        return vctx_error(v, n, "expected exactly one %s (one of: %s), got %d keys", c->noun, list, n->n);
    } else if (!value_text(n)) {
        return vctx_error(v, n, "expected %s %s (one of: %s), got %s",
                    strchr("aeiou", c->noun[0]) ? "an" : "a", c->noun, list, node_kind_word(n));
    }
    const struct alternative *alt = schema_alt_by_word(c, word->text);
    if (!alt)
        return unknown_word(v, word, c->noun, word->text, cands, c->n_alts, "expected one of");
    *(int *)((char *)base + c->kind_off) = alt->value;

    size_t old = v->len;
    if (layer >= 0) { /* "layer 3" becomes "layer 3 (dense)"; name: and from: are any kind's */
        ctx_push(v, " (%s)", alt->word);
        rc = validate_layer_graph_keys(v, &value, base);
    }
    if (!rc) rc = convert_alt_value(v, alt, n, value, base, layer);
    ctx_pop(v, old);
    return rc;
}

int validate_table(struct vctx *v, const struct table *t, const struct node *map,
                   const struct node *at, void *base)
{
    return convert_table(v, t, map, at, base);
}

int validate_choice(struct vctx *v, const struct choice *c, const struct node *n, void *base)
{
    return convert_choice(v, c, n, base, -1);
}

int validate_enum(struct vctx *v, const struct words *w, const struct node *n, int *out)
{
    return convert_enum(v, w, n, out);
}

static const struct node *member(const struct node *map, const char *key)
{
    int k = node_find(map, key);
    return k >= 0 ? map->vals[k] : map;
}

int schema_check_dense(struct vctx *v, const struct node *map, void *base)
{
    const struct layer_spec *l = base;
    if (l->dense.weights && l->dense.weight_rows != l->dense.units)
        return vctx_error(v, member(map, "weights"), "weights has %d rows, but units is %d",
                    l->dense.weight_rows, l->dense.units);
    if (l->dense.bias && l->dense.bias_len != l->dense.units)
        return vctx_error(v, member(map, "bias"), "bias has %d numbers, but units is %d",
                    l->dense.bias_len, l->dense.units);
    return 0;
}

int schema_check_uniform(struct vctx *v, const struct node *map, void *base)
{
    const struct init_spec *s = base;
    if (s->a > s->b) return vctx_error(v, map, "low (%g) must be <= high (%g)", s->a, s->b);
    return 0;
}

int schema_check_exp_decay(struct vctx *v, const struct node *map, void *base)
{
    const struct schedule_spec *s = base;
    if (s->lr_min > s->lr_max)
        return vctx_error(v, map, "lr_min (%g) must be <= lr_max (%g)", s->lr_min, s->lr_max);
    return 0;
}

/* data.noise, when given, names its sigma (the default 0 only fills the struct when it is
 * absent), which stays out of the subnormal floats, where devices differ (schema.c). */
int schema_check_data(struct vctx *v, const struct node *map, void *base)
{
    const struct data_spec *d = base;
    if (!d->has_noise)
        return 0;
    const struct node *noise = member(map, "noise");
    if (noise->kind != NODE_MAP || node_find(noise, "gaussian") < 0)
        return vctx_error(v, noise, "noise: missing required key 'gaussian' (the noise's "
                          "sigma)");
    if (d->noise.gaussian > 0 && d->noise.gaussian < 1e-20)
        return vctx_error(v, member(noise, "gaussian"), "noise.gaussian: %g is below 1e-20: "
                          "noise that small would be subnormal floats, which devices round "
                          "differently; use 0 or at least 1e-20", d->noise.gaussian);
    return 0;
}

/* Early stopping watches the validation set, so it needs one; its accuracy needs a loss that
 * classifies. */
int schema_check_experiment(struct vctx *v, const struct node *map, void *base)
{
    const struct experiment *e = base;
    const struct node *es = member(member(map, "train"), "early_stopping");
    if (e->has_train && e->train.has_early_stopping && e->data.validation == 0)
        return vctx_error(v, es, "train.early_stopping watches a validation set, and "
                          "data.validation is 0: hold some training images out "
                          "(data.validation: 5000)");
    if (e->has_train && e->train.has_early_stopping &&
        e->train.early_stopping.metric == WATCH_VAL_ACC && !experiment_classifies(e))
        return vctx_error(v, es, "train.early_stopping watches val_acc, and no term of "
                          "train.loss classifies: watch val_loss (metric: val_loss)");
    return 0;
}

int schema_validate(struct experiment *e, struct arena *a, const struct node *root)
{
    struct vctx v = {.arena = a};
    int rc = convert_table(&v, &schema_top, root, root, e);
    if (rc == 0 && v.dir_looked && e->data.dir && e->data.dir[0] != '/') {
        e->data.dir_looked = v.dir_looked; /* for the error that names both folders */
        v.dir_looked = NULL;
    }
    free(v.dir_looked);
    return rc;
}
