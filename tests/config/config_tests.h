/* Shared helpers of the config suite: write a YAML text to a temporary file, load it, and
 * check the one recorded error message exactly. */
#ifndef CLNET_TESTS_CONFIG_TESTS_H
#define CLNET_TESTS_CONFIG_TESTS_H

#include "config/config.h"
#include "harness.h"
#include "util/status.h"

/* A model that validates, four lines long: tests append their keys from line 5. */
#define MODEL4 "model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\n"

/* harness_write into the suite's folder. */
char *cfg_write(const char *name, const char *text);

/* Loads text (written as name) with the given --set arguments, asserting success. */
void cfg_load_ok(struct experiment *e, const char *name, const char *text, const char *const *sets,
                 int n_sets);

/* Loads text and asserts CLNET_ERR_CONFIG with the message "<path>:<rest>", e being left
 * zeroed. */
void cfg_expect_error(const char *name, const char *text, const char *rest);

/* Same with --set arguments; the message is compared whole (it starts with "--set "). */
void cfg_expect_set_error(const char *text, const char *set, const char *message);

/* The resolved YAML of e (malloc'd). */
char *cfg_resolved(const struct experiment *e);

TCase *config_load_tcase(void);
TCase *config_inherit_tcase(void);
TCase *config_set_tcase(void);
TCase *config_errors_tcase(void);
TCase *config_yaml_tcase(void);
TCase *config_loss_tcase(void);

#endif
