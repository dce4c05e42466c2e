/* A run's settings in a few words, for the tables people read (a sweep's summary.md, its
 * terminal table and its page): the model in one line (`784-200σ-10`,
 * `1×28×28-c4·5/1⁺-c8·5/2⁺-200⁺-drop0.25-10`), then the optimizer, learning rate and schedule,
 * init, loss and any other setting that matters to the result, each only where the run differs
 * from the sweep's most common choice. Built from the runs' flattened resolved configs. */
#ifndef CLNET_REPORT_SETTINGS_H
#define CLNET_REPORT_SETTINGS_H

#include "config/flat.h"

/* What the model's activation marks mean, for a caption. */
#define SETTINGS_LEGEND "σ sigmoid, ⁺ ReLU, tanh, step; c4·5/2: 4 filters 5×5, stride 2"

struct settings {
    int n;
    char **text;  /* (n) per run: the model, then what differs from the most common */
    char *common; /* the most common choices, "sgd, lr 0.5, init N(0, 0.1), bias 0, ..." */
};

/* flats (n): each run's resolved config; one with no keys (n == 0) is a run whose config is
 * unknown and gets an empty text. CLNET_OK or CLNET_ERR_NOMEM. */
int settings_describe(struct settings *s, const struct config_flat *flats, int n);
void settings_free(struct settings *s);

/* Display columns of UTF-8 text (every code point one column: the marks above are). */
int settings_columns(const char *text);

#endif
