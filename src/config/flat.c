/* Flattening a resolved config (see flat.h): the resolved YAML is parsed back into the node
 * tree and walked, so the keys are exactly what config.yaml says. */
#define _GNU_SOURCE
#include "config/flat.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/node.h"
#include "util/fs.h"
#include "util/status.h"

static int add(struct config_flat *f, int *cap, const char *key, const char *value)
{
    if (f->n == *cap) {
        int c = *cap ? 2 * *cap : 32;
        char **k = realloc(f->keys, (size_t)c * sizeof *k);
        if (k)
            f->keys = k;
        char **v = k ? realloc(f->values, (size_t)c * sizeof *v) : NULL;
        if (!v)
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        f->values = v;
        *cap = c;
    }
    f->keys[f->n] = strdup(key);
    f->values[f->n] = strdup(value);
    if (!f->keys[f->n] || !f->values[f->n]) {
        free(f->keys[f->n]);
        free(f->values[f->n]);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    f->n++;
    return CLNET_OK;
}

static int walk(struct config_flat *f, int *cap, const struct node *n, char *key, size_t len,
                size_t size)
{
    if (n->kind == NODE_SCALAR)
        return add(f, cap, key, n->text);
    if (n->n == 0)
        return add(f, cap, key, n->kind == NODE_MAP ? "{}" : "[]");
    for (int i = 0; i < n->n; i++) {
        int w = n->kind == NODE_MAP
                    ? snprintf(key + len, size - len, "%s%s", len ? "." : "", n->keys[i]->text)
                    : snprintf(key + len, size - len, "%s%d", len ? "." : "", i);
        if (w < 0 || (size_t)w >= size - len)
            return clnet_errorf(CLNET_ERR_INTERNAL, "config key too long: %s...", key);
        int status = walk(f, cap, n->vals[i], key, len + (size_t)w, size);
        key[len] = '\0';
        if (status != CLNET_OK)
            return status;
    }
    return CLNET_OK;
}

static int by_key(const void *a, const void *b, void *values)
{
    (void)values;
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static int flatten_text(const char *text, size_t len, const char *name, struct config_flat *out)
{
    memset(out, 0, sizeof *out);
    struct arena a = {0};
    struct node *root = NULL;
    int status = node_parse(&a, &root, text, len, name, true);
    int cap = 0;
    char key[1024] = "";
    if (status == CLNET_OK && root)
        status = walk(out, &cap, root, key, 0, sizeof key);
    arena_free(&a);
    /* Sort keys and values together through an index of pointers into keys. */
    char ***order = status == CLNET_OK ? malloc(((size_t)out->n + 1) * sizeof *order) : NULL;
    char **keys = order ? malloc(((size_t)out->n + 1) * sizeof *keys) : NULL;
    char **values = keys ? malloc(((size_t)out->n + 1) * sizeof *values) : NULL;
    if (status == CLNET_OK && !values)
        status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK) {
        for (int i = 0; i < out->n; i++)
            order[i] = &out->keys[i];
        qsort_r(order, (size_t)out->n, sizeof *order, by_key, NULL);
        for (int i = 0; i < out->n; i++) {
            size_t j = (size_t)(order[i] - out->keys);
            keys[i] = out->keys[j];
            values[i] = out->values[j];
        }
        free(out->keys);
        free(out->values);
        out->keys = keys;
        out->values = values;
        keys = values = NULL;
    }
    free(order);
    free(keys);
    free(values);
    if (status != CLNET_OK)
        config_flat_free(out);
    return status;
}

int config_flatten(const struct experiment *e, struct config_flat *out)
{
    char *text;
    size_t len;
    int status = config_resolved_text(e, &text, &len);
    if (status == CLNET_OK)
        status = flatten_text(text, len, e->path, out);
    free(text);
    return status;
}

int config_flatten_text(const char *text, size_t len, const char *name, struct config_flat *out)
{
    return flatten_text(text, len, name, out);
}

int config_flatten_file(const char *path, struct config_flat *out)
{
    void *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int status = fs_read_file(&text, &len, path);
    if (status == CLNET_OK)
        status = flatten_text(text, len, path, out);
    free(text);
    return status;
}

const char *config_flat_get(const struct config_flat *f, const char *key)
{
    int lo = 0, hi = f->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(f->keys[mid], key);
        if (c == 0)
            return f->values[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void append(char *buf, size_t size, size_t *len, const char *key, const char *a,
                   const char *b)
{
    int w = snprintf(buf + *len, size - *len, "%s%s (%s -> %s)", *len ? ", " : "", key,
                     a ? a : "absent", b ? b : "absent");
    if (w > 0)
        *len = *len + (size_t)w < size ? *len + (size_t)w : size - 1;
}

int config_flat_diff(const struct config_flat *a, const struct config_flat *b, char *buf,
                     size_t size, int max)
{
    size_t len = 0;
    int i = 0, j = 0, n = 0;
    if (size)
        buf[0] = '\0';
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->keys[i], b->keys[j]);
        const char *key = c <= 0 ? a->keys[i] : b->keys[j];
        const char *va = c <= 0 ? a->values[i] : NULL, *vb = c >= 0 ? b->values[j] : NULL;
        if (c != 0 || strcmp(va, vb) != 0) {
            if (n < max && size)
                append(buf, size, &len, key, va, vb);
            else if (n == max && size && len + 5 < size)
                len += (size_t)snprintf(buf + len, size - len, ", ...");
            n++;
        }
        i += c <= 0;
        j += c >= 0;
    }
    return n;
}

void config_flat_free(struct config_flat *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->values[i]);
    }
    free(f->keys);
    free(f->values);
    memset(f, 0, sizeof *f);
}
