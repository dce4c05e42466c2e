/* A resolved config as a flat, sorted list of `key.path = value` pairs (list items by index:
 * model.layers.0.dense.units = 100). What two runs differ in: a changed config refused on
 * resume names its keys, and a sweep's summary table has one column per key that varies. */
#ifndef CLNET_CONFIG_FLAT_H
#define CLNET_CONFIG_FLAT_H

#include <stdio.h>

#include "config/experiment.h"

struct config_flat {
    int n;
    char **keys;   /* sorted by strcmp */
    char **values; /* the scalar as written in the resolved YAML; "[]" / "{}" for empty ones */
};

/* e's resolved config flattened. 0 or CLNET_ERR_NOMEM/CLNET_ERR_INTERNAL. */
int config_flatten(const struct experiment *e, struct config_flat *out);

/* The same from a resolved YAML file (a run's config.yaml); CLNET_ERR_CONFIG if it does not
 * parse, CLNET_ERR_IO if it cannot be read. */
int config_flatten_file(const char *path, struct config_flat *out);

/* The same from a resolved YAML text of len bytes (a checkpoint's copy of its config); name
 * is used in messages. */
int config_flatten_text(const char *text, size_t len, const char *name, struct config_flat *out);

/* The value of key, or NULL. */
const char *config_flat_get(const struct config_flat *f, const char *key);

/* Writes the keys whose values differ (or that only one side has) into buf as
 * "key (a -> b), key2 (x -> absent), ..." at most max keys, then ", ..."; returns the number of
 * differing keys. */
int config_flat_diff(const struct config_flat *a, const struct config_flat *b, char *buf,
                     size_t size, int max);

void config_flat_free(struct config_flat *f);

#endif
