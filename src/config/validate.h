/* Shared by the validation pass's two files and nothing else: validate.c walks the merged
 * tree along the schema tables, values.c reads one scalar into a typed value. Every error
 * names the node's file:line:col and the key path being converted. Internal to src/config/. */
#ifndef CLNET_CONFIG_VALIDATE_H
#define CLNET_CONFIG_VALIDATE_H

#include "config/node.h"
#include "config/schema.h"

#include <stdbool.h>
#include <stddef.h>

struct vctx {
    struct arena *arena;
    char ctx[512]; /* key path of the node being converted */
    size_t len;
    char *dir_looked; /* resolve_dir's config-relative folder that did not exist */
};

/* Records "FILE:LINE:COL: KEY.PATH: msg" for the node at as CLNET_ERR_CONFIG. */
int vctx_error(struct vctx *v, const struct node *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The scalar's text, or NULL for a map, a list or null. */
const char *value_text(const struct node *n);
/* The scalar's text in *out, or "expected WHAT, got ...". */
int value_scalar(struct vctx *v, const struct node *n, const char *what, const char **out);
/* An integer in [lo, hi] and in f's range. */
int value_integer(struct vctx *v, const struct field *f, const struct node *n, long long lo,
                  long long hi, long long *out);
/* A finite number, in f's range when f is not NULL. */
int value_double(struct vctx *v, const struct field *f, const struct node *n, double *out);
/* A finite number that fits a 32-bit float. */
int value_float(struct vctx *v, const struct node *n, float *out);
/* true/True/TRUE or false/False/FALSE. */
int value_bool(struct vctx *v, const struct node *n, bool *out);
/* A new string (the caller frees it) as f's flags want it: non-empty, a run name, or a path
 * or folder made absolute. */
int value_string(struct vctx *v, const struct field *f, const struct node *n, char **out);

struct src_pos;
/* The walk of validate.c for the loss terms' file (config/loss_terms.c): a table's keys into
 * base, a choice (a word, or a map of one word to its value) into base, a word from a list. */
int validate_table(struct vctx *v, const struct table *t, const struct node *map,
                   const struct node *at, void *base);
int validate_choice(struct vctx *v, const struct choice *c, const struct node *n, void *base);
int validate_enum(struct vctx *v, const struct words *w, const struct node *n, int *out);
/* An identifier, as a layer's name is (a letter or '_', then letters, digits or '_'). */
int validate_name(struct vctx *v, const struct node *n, const char *what, char **out,
                  struct src_pos *pos);

/* train.loss (FT_LOSS) into the struct train_spec base, and a linear term's r (FT_LOSS_R)
 * into the struct loss_r_spec at p (config/loss_terms.c). */
int validate_loss(struct vctx *v, const struct field *f, const struct node *n, void *base);
int validate_loss_r(struct vctx *v, const struct node *n, void *p);

/* A layer's `name:` and `from:` (config/layer_graph.c), read into l from the kind's map
 * *value, which is replaced by a map of the kind's own keys. */
struct layer_spec;
int validate_layer_graph_keys(struct vctx *v, const struct node **value, struct layer_spec *l);

#endif
