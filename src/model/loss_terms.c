/* train.loss's terms resolved against the model's shapes (loss_terms.h). */
#include "model/loss_terms.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "model/safetensors.h"
#include "util/status.h"

/* "FILE:LINE:COL: train.loss.I (kind): what" at pos, or at the term's entry. */
static int term_error(const struct experiment *e, int i, struct src_pos pos, const char *fmt,
                      ...)
{
    const struct loss_term *t = &e->train.terms[i];
    if (!pos.file) pos = t->pos;
    if (!pos.file) pos.file = e->path;
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return config_errorf_at(pos, "train.loss.%d (%s): %s", i, loss_term_kind_name(t->kind),
                            what);
}

/* The layer named want into *node, or the error naming every layer's name. */
static int find_node(const struct experiment *e, int i, const char *key, const char *want,
                     struct src_pos pos, int *node)
{
    for (int j = 0; j < e->n_layers; j++)
        if (e->layers[j].name && !strcmp(e->layers[j].name, want)) {
            *node = j;
            return CLNET_OK;
        }
    char names[512] = "";
    size_t used = 0;
    for (int j = 0; j < e->n_layers && used < sizeof names; j++)
        if (e->layers[j].name) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                             e->layers[j].name);
            used += w > 0 ? (size_t)w : 0;
        }
    return term_error(e, i, pos, "%s: no layer is named '%s' (%s%s)", key, want,
                      used ? "the layers' names: " : "no layer has a name:",
                      used ? names : "");
}

static int node_size(const struct model_shape *s, int node)
{
    return node == GRAPH_INPUT ? (int)tensor_shape_size(&s->input)
                               : (int)tensor_shape_size(&s->layers[node].out);
}

static const char *node_label(char *buf, size_t n, const struct experiment *e, int node)
{
    return graph_node_name(buf, n, e, node);
}

/* mse's target: its size against the node's. */
static int check_target(const struct experiment *e, const struct model_shape *s, int i,
                        struct term_node *tn)
{
    const struct loss_term *t = &e->train.terms[i];
    char name[80];
    int want = 0;
    const char *what = t->target;
    if (t->target_kind == TARGET_NODE) {
        int status = find_node(e, i, "target", t->target, t->target_pos, &tn->target);
        if (status != CLNET_OK) return status;
        want = node_size(s, tn->target);
        if (tn->target == tn->node)
            return term_error(e, i, t->target_pos, "target: '%s' is the layer the term reads "
                              "(on:); the term would be 0", t->target);
    } else if (t->target_kind == TARGET_LABELS) {
        want = SHAPE_CLASSES;
        what = "labels (one-hot, one value per class)";
    } else {
        want = node_size(s, GRAPH_INPUT);
        what = t->target_kind == TARGET_INPUT ? "input" : "clean (the input before noise)";
    }
    if (want == tn->size) return CLNET_OK;
    return term_error(e, i, t->target_pos, "target: %s has %d values a row, and %s gives %d",
                      what, want, node_label(name, sizeof name, e, tn->node), tn->size);
}

/* A linear term's r from its file's tensor: F32 of shape [size]. */
static int load_r(const struct experiment *e, int i, struct term_node *tn)
{
    const struct loss_r_spec *r = &e->train.terms[i].r;
    struct safetensors st;
    int status = safetensors_read(&st, r->file);
    if (status != CLNET_OK) { /* the reader's message, placed at r */
        char why[1024];
        snprintf(why, sizeof why, "%s", clnet_error_message());
        clnet_error_clear();
        return term_error(e, i, r->pos, "r: %s", why);
    }
    const struct st_entry *en = safetensors_find(&st, r->tensor);
    if (!en)
        status = term_error(e, i, r->pos, "r: %s has no tensor '%s'", r->file, r->tensor);
    else if (strcmp(en->dtype, "F32") != 0 || en->rank != 1 || en->shape[0] != tn->size)
        status = term_error(e, i, r->pos, "r: tensor '%s' of %s is %s of rank %d (%lld values); "
                            "r is F32 of shape [%d], the layer's size", r->tensor, r->file,
                            en->dtype, en->rank, (long long)en->count, tn->size);
    else
        memcpy(tn->r, en->data, sizeof *tn->r * (size_t)tn->size);
    safetensors_free(&st);
    return status;
}

static int resolve_r(const struct experiment *e, int i, struct term_node *tn)
{
    const struct loss_r_spec *r = &e->train.terms[i].r;
    tn->r = malloc(sizeof *tn->r * (size_t)tn->size);
    if (!tn->r) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory for r (%d)", tn->size);
    if (r->kind == LOSS_R_FILE) return load_r(e, i, tn);
    if (r->kind == LOSS_R_LIST && r->n != tn->size) {
        char name[80];
        return term_error(e, i, r->pos, "r has %d numbers, and %s gives %d values a row", r->n,
                          node_label(name, sizeof name, e, tn->node), tn->size);
    }
    for (int j = 0; j < tn->size; j++)
        tn->r[j] = r->kind == LOSS_R_LIST ? r->values[j] : (float)r->constant;
    return CLNET_OK;
}

static int resolve_term(const struct experiment *e, const struct model_shape *s, int i,
                        struct term_node *tn)
{
    const struct loss_term *t = &e->train.terms[i];
    tn->node = e->n_layers - 1;
    tn->target = -1;
    int status = t->on ? find_node(e, i, "on", t->on, t->on_pos, &tn->node) : CLNET_OK;
    if (status != CLNET_OK) return status;
    tn->size = node_size(s, tn->node);
    const struct tensor_shape *out = &s->layers[tn->node].out;
    if (loss_term_classifies(t->kind) && (out->rank != 1 || out->dim[0] != SHAPE_CLASSES)) {
        char name[80], shp[64];
        return term_error(e, i, t->on ? t->on_pos : t->pos, "%s needs one score per class "
                          "(%d for MNIST), and %s gives %s", loss_term_kind_name(t->kind),
                          SHAPE_CLASSES, node_label(name, sizeof name, e, tn->node),
                          tensor_shape_format(shp, sizeof shp, out));
    }
    if (t->kind == TERM_MSE) return check_target(e, s, i, tn);
    if (t->kind == TERM_LINEAR) return resolve_r(e, i, tn);
    return CLNET_OK;
}

int loss_terms_resolve(struct loss_terms *out, const struct experiment *e,
                       const struct model_shape *s)
{
    memset(out, 0, sizeof *out);
    out->classify = -1;
    int n = e->train.n_terms;
    if (n <= 0 || s->n_layers != e->n_layers || e->n_layers == 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "loss_terms_resolve: %d terms, %d layers", n,
                            e->n_layers);
    out->t = calloc((size_t)n, sizeof *out->t);
    if (!out->t) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory for %d loss terms", n);
    out->n = n;
    int status = CLNET_OK;
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        status = resolve_term(e, s, i, &out->t[i]);
        if (out->classify < 0 && loss_term_classifies(e->train.terms[i].kind)) out->classify = i;
    }
    if (status != CLNET_OK) loss_terms_free(out);
    return status;
}

int loss_term_node(const struct experiment *e, int i)
{
    const char *on = e->train.terms[i].on;
    if (!on) return e->n_layers - 1;
    for (int j = 0; j < e->n_layers; j++)
        if (e->layers[j].name && !strcmp(e->layers[j].name, on)) return j;
    return -1;
}

void loss_terms_free(struct loss_terms *t)
{
    for (int i = 0; t->t && i < t->n; i++)
        free(t->t[i].r);
    free(t->t);
    memset(t, 0, sizeof *t);
}
