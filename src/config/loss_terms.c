/* train.loss: the scalar form (one classification loss on the last layer, a word) or the list
 * form, one term `KIND: {options}` per item (docs/experiments.md):
 *     loss:
 *       - mse: {on: y, target: clean, name: S}
 *       - linear: {on: h, r: 0.001, name: R}
 * Each kind's options are a schema table (so unknown keys, --set paths and `clnet help config`
 * come from the tables); this file reads the list, each term's target and r, and gives every
 * term its name (the kind, or KIND_NODE when two terms share a kind), unique. What on: and a
 * target name refer to, and the sizes, are model/loss_terms.c's to check (they need shapes). */
#define _GNU_SOURCE /* asprintf */
#include "config/validate.h"

#include "config/experiment.h"
#include "util/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define TERM(m) offsetof(struct loss_term, m)
#define TERM_ON {.key = "on", .type = FT_STR, .off = TERM(on), .flags = FL_NONEMPTY, \
                 .doc = "the layer (its name:) whose output the term reads (default the last)"}
#define TERM_WEIGHT {.key = "weight", .type = FT_DOUBLE, .off = TERM(weight), .def = "1", \
                     .doc = "the term's factor in the sum"}
#define TERM_NAME {.key = "name", .type = FT_STR, .off = TERM(name), .flags = FL_NONEMPTY, \
                   .doc = "metrics columns train_loss_NAME (default the kind, or KIND_NODE)"}

static int check_term(struct vctx *v, const struct node *map, void *base);

static const struct field classify_fields[] = {TERM_ON, TERM_WEIGHT, TERM_NAME};
static const struct table classify_table = TABLE(classify_fields, check_term);

static const struct field mse_fields[] = {
    TERM_ON,
    {.key = "target", .type = FT_STR, .off = TERM(target), .flags = FL_REQUIRED | FL_NONEMPTY,
     .doc = "labels (one-hot), input (as fed), clean (before data.noise) or a layer's name"},
    TERM_WEIGHT, TERM_NAME,
};
static const struct table mse_table = TABLE(mse_fields, check_term);

static const struct field linear_fields[] = {
    TERM_ON,
    {.key = "r", .type = FT_LOSS_R, .off = TERM(r), .flags = FL_REQUIRED,
     .doc = "r of r^T v: a number (times ones), a list of the layer's size, or "
            "{file: F.safetensors, tensor: NAME}"},
    TERM_WEIGHT, TERM_NAME,
};
static const struct table linear_table = TABLE(linear_fields, check_term);

static const struct field activity_fields[] = {TERM_ON, TERM_WEIGHT, TERM_NAME};
static const struct table activity_table = TABLE(activity_fields, check_term);

static const struct field r_file_fields[] = {
    {.key = "file", .type = FT_STR, .off = offsetof(struct loss_r_spec, file),
     .flags = FL_REQUIRED | FL_PATH | FL_NONEMPTY,
     .doc = "safetensors file, relative to the config's folder"},
    {.key = "tensor", .type = FT_STR, .off = offsetof(struct loss_r_spec, tensor),
     .flags = FL_REQUIRED | FL_NONEMPTY, .doc = "the tensor's name: F32, the layer's size"},
};
static const struct table r_file_table = TABLE(r_file_fields, NULL);

static const struct field term_ce = {.key = "cross_entropy", .type = FT_MAP,
    .table = &classify_table, .doc = "softmax cross-entropy against the labels"};
static const struct field term_naive = {.key = "naive_softmax_log", .type = FT_MAP,
    .table = &classify_table, .doc = "softmax then log against the labels, can overflow"};
static const struct field term_mse = {.key = "mse", .type = FT_MAP, .table = &mse_table,
    .doc = "1/2 sum_j (v_j - t_j)^2"};
static const struct field term_linear = {.key = "linear", .type = FT_MAP,
    .table = &linear_table, .doc = "sum_j r_j v_j"};
static const struct field term_l1 = {.key = "l1", .type = FT_MAP, .table = &activity_table,
    .doc = "sum_j |v_j| (gradient sign(v), 0 at 0)"};
static const struct field term_l2 = {.key = "l2", .type = FT_MAP, .table = &activity_table,
    .doc = "sum_j v_j^2 (Keras's activity regularizer: no 1/2)"};

static const struct alternative term_alts[] = {
    {"cross_entropy", TERM_CROSS_ENTROPY, &term_ce, NULL},
    {"naive_softmax_log", TERM_NAIVE_SOFTMAX_LOG, &term_naive, NULL},
    {"mse", TERM_MSE, &term_mse, NULL},
    {"linear", TERM_LINEAR, &term_linear, NULL},
    {"l1", TERM_L1, &term_l1, NULL},
    {"l2", TERM_L2, &term_l2, NULL},
};
const struct choice schema_term_choice = {"loss term", offsetof(struct loss_term, kind),
                                          term_alts, COUNT(term_alts)};
/* clang-format on */

static struct src_pos pos_of(const struct node *n)
{
    return (struct src_pos){n->file, n->line, n->col};
}

/* mse's target: one of the words, else a layer's name. */
static int check_target(struct vctx *v, const struct node *n, struct loss_term *t)
{
    static const struct {
        const char *word;
        enum loss_target kind;
    } words[] = {{"labels", TARGET_LABELS}, {"input", TARGET_INPUT}, {"clean", TARGET_CLEAN}};
    t->target_pos = pos_of(n);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(t->target, words[i].word)) {
            t->target_kind = words[i].kind;
            return 0;
        }
    char *name = NULL;
    struct src_pos pos;
    int rc = validate_name(v, n, "target", &name, &pos);
    free(name);
    t->target_kind = TARGET_NODE;
    return rc;
}

/* A term's keys once its table is read: where they are, and what on:, target: and name: say. */
static int check_term(struct vctx *v, const struct node *map, void *base)
{
    struct loss_term *t = base;
    int k = map && map->kind == NODE_MAP ? node_find(map, "on") : -1;
    int rc = 0;
    if (k >= 0) {
        t->on_pos = pos_of(map->vals[k]);
        char *name = NULL;
        struct src_pos pos;
        rc = validate_name(v, map->vals[k], "on", &name, &pos);
        free(name);
        if (!rc && !strcmp(t->on, LAYER_INPUT_NAME))
            rc = vctx_error(v, map->vals[k], "on: the model's input has no gradient path to "
                            "train; a term reads a layer's output (mse's target: input compares "
                            "with it)");
    }
    if (!rc && t->target) rc = check_target(v, map->vals[node_find(map, "target")], t);
    k = map && map->kind == NODE_MAP ? node_find(map, "name") : -1;
    if (!rc && k >= 0) {
        t->name_pos = pos_of(map->vals[k]);
        char *name = NULL;
        struct src_pos pos;
        rc = validate_name(v, map->vals[k], "name", &name, &pos);
        free(name);
    }
    k = map && map->kind == NODE_MAP ? node_find(map, "weight") : -1;
    if (k >= 0) t->weight_pos = pos_of(map->vals[k]);
    return rc;
}

int validate_loss_r(struct vctx *v, const struct node *n, void *p)
{
    struct loss_r_spec *r = p;
    r->pos = pos_of(n);
    if (n->kind == NODE_MAP) {
        r->kind = LOSS_R_FILE;
        return validate_table(v, &r_file_table, n, n, r);
    }
    if (n->kind != NODE_SEQ) {
        r->kind = LOSS_R_CONSTANT;
        return value_double(v, NULL, n, &r->constant);
    }
    if (n->n == 0) return vctx_error(v, n, "expected a list of the layer's size, got []");
    free(r->values);
    r->values = malloc(sizeof *r->values * (size_t)n->n);
    if (!r->values) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    r->kind = LOSS_R_LIST;
    r->n = n->n;
    for (int i = 0; i < n->n; i++) {
        int rc = value_float(v, n->vals[i], &r->values[i]);
        if (rc) return rc;
    }
    return 0;
}

/* The default name: the kind, or KIND_NODE when another term has the same kind. */
static int default_name(struct loss_term *terms, int n, int i)
{
    struct loss_term *t = &terms[i];
    const char *kind = loss_term_kind_name(t->kind);
    bool shared = false;
    for (int j = 0; j < n; j++)
        shared |= j != i && terms[j].kind == t->kind;
    int len = shared ? asprintf(&t->name, "%s_%s", kind, t->on ? t->on : "output")
                     : asprintf(&t->name, "%s", kind);
    if (len < 0) {
        t->name = NULL;
        return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Every term named, and no name twice. */
static int name_terms(struct vctx *v, const struct node *list, struct loss_term *terms, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = terms[i].name ? 0 : default_name(terms, n, i);
        if (rc) return rc;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            if (strcmp(terms[i].name, terms[j].name) != 0) continue;
            v->len = (size_t)snprintf(v->ctx, sizeof v->ctx, "train.loss.%d", i);
            const struct node *at = list->vals[i];
            if (terms[i].name_pos.line) {
                at = node_new(v->arena, NODE_SCALAR, terms[i].name_pos.file,
                              terms[i].name_pos.line, terms[i].name_pos.col);
                if (!at) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
            }
            return vctx_error(v, at, "the name '%s' is term %d's too: names are metrics "
                              "columns (train_loss_NAME); give %s a name: of its own",
                              terms[i].name, j, terms[i].name_pos.line ? "one" : "this term");
        }
    return 0;
}

static int validate_terms(struct vctx *v, const struct node *n, struct train_spec *t)
{
    if (n->n == 0)
        return vctx_error(v, n, "expected at least one term, as in [cross_entropy] or "
                          "[{mse: {target: input}}]");
    if (n->n > LOSS_MAX_TERMS)
        return vctx_error(v, n, "%d terms; at most %d", n->n, LOSS_MAX_TERMS);
    t->terms = calloc((size_t)n->n, sizeof *t->terms);
    if (!t->terms) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    t->n_terms = n->n;
    size_t old = v->len;
    int rc = 0;
    for (int i = 0; i < n->n && !rc; i++) {
        struct loss_term *term = &t->terms[i];
        term->pos = pos_of(n->vals[i]);
        v->len = (size_t)snprintf(v->ctx, sizeof v->ctx, "train.loss.%d", i);
        rc = validate_choice(v, &schema_term_choice, n->vals[i], term);
    }
    if (!rc) rc = name_terms(v, n, t->terms, t->n_terms);
    v->len = old;
    v->ctx[old] = '\0';
    return rc;
}

int validate_loss(struct vctx *v, const struct field *f, const struct node *n, void *base)
{
    if (n->kind == NODE_SEQ) return validate_terms(v, n, base);
    if (n->kind == NODE_MAP)
        return vctx_error(v, n, "expected a loss's name (cross_entropy, naive_softmax_log) or "
                          "a list of terms, got a map: write it as a list item, - KIND: {...}");
    return validate_enum(v, f->words, n, (int *)((char *)base + f->off));
}
