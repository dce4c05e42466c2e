/* Loading an experiment file: YAML -> struct experiment with its base: chain merged, --set
 * overrides applied, every key validated against the schema and every default filled in;
 * and writing the resolved result back out (runs/NAME/config.yaml, `clnet help config`). */
#ifndef CLNET_CONFIG_CONFIG_H
#define CLNET_CONFIG_CONFIG_H

#include "config/experiment.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Loads path, merges its base: chain, applies sets ("key.path=value" strings, in order),
 * validates and fills defaults. On error records one message "FILE:LINE:COL: what (did you
 * mean 'x'?)" ("--set ARG: what" for an override) and returns CLNET_ERR_CONFIG (or
 * CLNET_ERR_NOMEM), leaving *e zeroed. On success free e with experiment_free. */
int config_load(struct experiment *e, const char *path, const char *const *sets, int n_sets);

/* Writes the fully resolved config (defaults filled, base merged, no base: key) as YAML;
 * loading it gives the same experiment and writing that again gives the same bytes.
 * 0 or CLNET_ERR_IO. */
int config_write_resolved(const struct experiment *e, FILE *f);

/* The resolved config's bytes (malloc'd; *text is NULL on failure). */
int config_resolved_text(const struct experiment *e, char **text, size_t *len);

/* hash_bytes of those bytes with HASH_SEED: what a checkpoint and summary.json record, so a
 * run directory is known to belong to a config. */
int config_resolved_hash(const struct experiment *e, uint64_t *hash);

/* The same into path, through a temporary file renamed into place. 0 or CLNET_ERR_IO. */
int config_save_resolved(const struct experiment *e, const char *path);

/* The schema as a table (key path, type, default, meaning) for `clnet help config`. */
void config_print_help(FILE *f);

/* Records a CLNET_ERR_CONFIG message located at pos: "FILE:LINE:COL: msg", or "FILE: msg"
 * when pos.line is 0 (a --set value or a default). For errors found after loading, such as
 * shape inference: config_errorf_at(l->pos, "layer %d (dense): ...", i). */
int config_errorf_at(struct src_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
