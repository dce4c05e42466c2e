/* A layer's place in the graph: the `name:` and `from:` keys every kind takes beside its own
 * (`- dense: {units: 100, name: h}`, `- add: {from: [input, o]}`), or beside the kind in
 * the list entry, for a kind whose value is not a map (`- {activation: relu, name: a}`). They are read here and
 * taken out of the kind's map before the kind's table sees it, so no kind's schema row names
 * them; emit.c writes them back after the kind's keys. The names are only read here: what
 * they refer to (a layer, the input, a cycle) is model/graph.c's to check. */
#include "config/validate.h"

#include "config/experiment.h"
#include "util/status.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 63

/* A name is an identifier: a letter or '_', then letters, digits and '_'. */
int validate_name(struct vctx *v, const struct node *n, const char *what, char **out,
                  struct src_pos *pos)
{
    const char *t;
    int rc = value_scalar(v, n, "a layer's name", &t);
    if (rc) return rc;
    bool ok = (isalpha((unsigned char)t[0]) || t[0] == '_') && strlen(t) <= NAME_MAX_LEN;
    for (const char *p = t; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || *p == '_';
    if (!ok)
        return vctx_error(v, n, "%s: a name is a letter or '_' and then letters, digits or '_' "
                          "(at most %d), not '%s'", what, NAME_MAX_LEN, t);
    *out = strdup(t);
    if (!*out) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    *pos = (struct src_pos){n->file, n->line, n->col};
    return 0;
}

static int read_from(struct vctx *v, const struct node *n, struct layer_spec *l)
{
    if (n->kind != NODE_SEQ) {
        int rc = validate_name(v, n, "from", &l->from[0], &l->from_pos[0]);
        if (!rc) l->n_from = 1;
        return rc;
    }
    if (n->n < 1 || n->n > LAYER_MAX_INPUTS)
        return vctx_error(v, n, "from: expected 1 to %d names, got %d", LAYER_MAX_INPUTS, n->n);
    for (int k = 0; k < n->n; k++) {
        int rc = validate_name(v, n->vals[k], "from", &l->from[k], &l->from_pos[k]);
        if (rc) return rc;
        l->n_from = k + 1;
    }
    return 0;
}

int validate_layer_graph_keys(struct vctx *v, const struct node **value, struct layer_spec *l)
{
    const struct node *map = *value;
    if (!map || map->kind != NODE_MAP) return 0;
    int at_name = node_find(map, "name"), at_from = node_find(map, "from");
    if (at_name < 0 && at_from < 0) return 0;
    if ((at_name >= 0 && l->name) || (at_from >= 0 && l->n_from))
        return vctx_error(v, map->keys[at_name >= 0 && l->name ? at_name : at_from],
                          "'%s' is given twice, beside the kind and in its map",
                          map->keys[at_name >= 0 && l->name ? at_name : at_from]->text);
    if (at_name >= 0) {
        int rc = validate_name(v, map->vals[at_name], "name", &l->name, &l->name_pos);
        if (rc) return rc;
        if (!strcmp(l->name, LAYER_INPUT_NAME))
            return vctx_error(v, map->vals[at_name], "name: '%s' is the model's input; "
                              "choose another name", LAYER_INPUT_NAME);
    }
    if (at_from >= 0) {
        int rc = read_from(v, map->vals[at_from], l);
        if (rc) return rc;
    }
    /* The kind's own keys, in a map of their own. */
    struct node *rest = node_new(v->arena, NODE_MAP, map->file, map->line, map->col);
    if (!rest) return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    for (int i = 0; i < map->n; i++)
        if (i != at_name && i != at_from && node_append(v->arena, rest, map->keys[i], map->vals[i]))
            return clnet_errorf(CLNET_ERR_NOMEM, "out of memory");
    *value = rest;
    return 0;
}
