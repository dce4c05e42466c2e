/* A run's settings in a few words (see settings.h). Every part of the description is a column
 * of texts, one per run: the optimizer, the learning rate with its schedule, the init, the
 * loss, then one column per other config key whose value is not the same in every run. A
 * column is shown in a run's text where the run differs from the column's most common text,
 * or in every run when two texts are equally common (sgd in one run, adam in the other). */
#define _GNU_SOURCE
#include "report/settings.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"
#include "util/wrap.h"

#define PART_CAP 160

enum { PART_OPTIM, PART_LR, PART_INIT, PART_LOSS, PART_FIXED };

/* The value of the key made by fmt, or NULL. */
static const char *get(const struct config_flat *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *get(const struct config_flat *f, const char *fmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    return config_flat_get(f, key);
}

static const char *activation_mark(const char *a)
{
    if (!a || !strcmp(a, "identity") || !strcmp(a, "linear") || !strcmp(a, "none"))
        return "";
    if (!strcmp(a, "sigmoid"))
        return "σ";
    if (!strcmp(a, "relu"))
        return "⁺";
    return a; /* tanh, step: their names */
}

/* A size or stride: "5", or "5×3" when it is a pair. */
static void pair(char *buf, size_t cap, const struct config_flat *f, int i, const char *key)
{
    const char *v = get(f, "model.layers.%d.conv2d.%s", i, key);
    const char *h = get(f, "model.layers.%d.conv2d.%s.0", i, key);
    const char *w = get(f, "model.layers.%d.conv2d.%s.1", i, key);
    if (v)
        wrap_append(buf, cap, "%s", v);
    else if (h && w)
        wrap_append(buf, cap, strcmp(h, w) ? "%s×%s" : "%s", h, w);
}

/* One layer's token, appended with its '-' (nothing for flatten). false past the last layer. */
static bool layer_token(char *buf, size_t cap, const struct config_flat *f, int i)
{
    const char *units = get(f, "model.layers.%d.dense.units", i);
    const char *filters = get(f, "model.layers.%d.conv2d.filters", i);
    const char *p = get(f, "model.layers.%d.dropout.p", i);
    const char *act = get(f, "model.layers.%d.activation", i);
    const char *bare = get(f, "model.layers.%d", i); /* "flatten" */
    if (units) {
        const char *a = get(f, "model.layers.%d.dense.activation", i);
        wrap_append(buf, cap, "-%s%s", units, activation_mark(a));
    } else if (filters) {
        wrap_append(buf, cap, "-c%s·", filters);
        pair(buf, cap, f, i, "size");
        wrap_append(buf, cap, "/");
        pair(buf, cap, f, i, "stride");
        const char *a = get(f, "model.layers.%d.conv2d.activation", i);
        wrap_append(buf, cap, "%s", activation_mark(a));
    } else if (p) {
        wrap_append(buf, cap, "-drop%s", p);
    } else if (act) {
        wrap_append(buf, cap, "%s", activation_mark(act)); /* marks the layer before it */
    } else if (!bare) {
        return false;
    }
    return true;
}

static void model_text(char *buf, size_t cap, const struct config_flat *f)
{
    for (int d = 0; d < 4 && get(f, "model.input.%d", d); d++)
        wrap_append(buf, cap, "%s%s", d ? "×" : "", get(f, "model.input.%d", d));
    if (!get(f, "model.input.0"))
        wrap_append(buf, cap, "?");
    for (int i = 0; layer_token(buf, cap, f, i); i++)
        ;
}

/* A number kept unless it is the default (def), as " NAME VALUE". */
static void unless(char *buf, size_t cap, const char *name, const char *v, const char *def)
{
    if (v && strcmp(v, def) != 0)
        wrap_append(buf, cap, " %s %s", name, v);
}

static void optim_text(char *buf, size_t cap, const struct config_flat *f)
{
    if (get(f, "train.optimizer.adam.lr")) {
        wrap_append(buf, cap, "adam");
        unless(buf, cap, "β1", get(f, "train.optimizer.adam.beta1"), "0.9");
        unless(buf, cap, "β2", get(f, "train.optimizer.adam.beta2"), "0.999");
        unless(buf, cap, "ε", get(f, "train.optimizer.adam.eps"), "1e-08");
        unless(buf, cap, "wd", get(f, "train.optimizer.adam.weight_decay"), "0");
    } else if (get(f, "train.optimizer.sgd.lr")) {
        wrap_append(buf, cap, "sgd");
        unless(buf, cap, "momentum", get(f, "train.optimizer.sgd.momentum"), "0");
        unless(buf, cap, "wd", get(f, "train.optimizer.sgd.weight_decay"), "0");
    }
}

static void lr_text(char *buf, size_t cap, const struct config_flat *f)
{
    const char *lr = get(f, "train.optimizer.adam.lr");
    lr = lr ? lr : get(f, "train.optimizer.sgd.lr");
    const char *hi = get(f, "train.schedule.exp_decay.lr_max");
    const char *every = get(f, "train.schedule.step.every");
    if (hi)
        wrap_append(buf, cap, "lr %s→%s τ %s", hi, get(f, "train.schedule.exp_decay.lr_min"),
                    get(f, "train.schedule.exp_decay.tau"));
    else if (every && lr)
        wrap_append(buf, cap, "lr %s ×%s every %s", lr, get(f, "train.schedule.step.gamma"),
                    every);
    else if (lr)
        wrap_append(buf, cap, "lr %s", lr);
}

/* One init choice under prefix (init.weights): "0", "N(0, 0.1)", "U(-1, 1)", "he", ... */
static void init_choice(char *buf, size_t cap, const struct config_flat *f, const char *prefix)
{
    const char *word = get(f, "%s", prefix);
    const char *c = get(f, "%s.constant", prefix);
    const char *mean = get(f, "%s.normal.mean", prefix);
    const char *low = get(f, "%s.uniform.low", prefix);
    const char *file = get(f, "%s.file", prefix);
    if (word)
        wrap_append(buf, cap, "%s", strcmp(word, "zeros") ? word : "0");
    else if (c)
        wrap_append(buf, cap, "%s", c);
    else if (mean)
        wrap_append(buf, cap, "N(%s, %s)", mean, get(f, "%s.normal.std", prefix));
    else if (low)
        wrap_append(buf, cap, "U(%s, %s)", low, get(f, "%s.uniform.high", prefix));
    else if (file)
        wrap_append(buf, cap, "file %s", file);
}

static void init_text(char *buf, size_t cap, const struct config_flat *f)
{
    wrap_append(buf, cap, "init ");
    init_choice(buf, cap, f, "init.weights");
    wrap_append(buf, cap, ", bias ");
    init_choice(buf, cap, f, "init.biases");
}

static void loss_text(char *buf, size_t cap, const struct config_flat *f)
{
    const char *loss = get(f, "train.loss");
    if (loss)
        wrap_append(buf, cap, "%s", loss);
}

/* Keys the fixed parts (or the model) describe, and keys that do not change what a run
 * learns (where it writes, how often it reports): never a column of their own. */
static bool covered(const char *key)
{
    static const char *const prefixes[] = {
        "name",           "device",          "data.dir",          "model",           "init",
        "train.optimizer", "train.schedule", "train.loss",        "report",
        "train.eval_",    "train.log_every", "train.layer_stats", "train.checkpoint_every",
        "train.parallel",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        bool partial = prefixes[i][n - 1] == '_'; /* train.eval_every, eval_train, ... */
        if (strncmp(key, prefixes[i], n) == 0 && (partial || key[n] == '\0' || key[n] == '.'))
            return true;
    }
    return false;
}

/* The keys not covered whose value is not the same in every known run (sorted, unique). */
static int other_keys(const char ***out, const struct config_flat *flats, int n)
{
    int total = 0;
    for (int r = 0; r < n; r++)
        total += flats[r].n;
    const char **keys = calloc((size_t)total + 1, sizeof *keys);
    if (!keys)
        return -1;
    int kept = 0;
    for (int r = 0; r < n; r++)
        for (int k = 0; k < flats[r].n; k++) {
            const char *key = flats[r].keys[k];
            bool seen = false;
            for (int j = 0; j < kept && !seen; j++)
                seen = strcmp(keys[j], key) == 0;
            if (seen || covered(key))
                continue;
            const char *first = NULL;
            bool differs = false;
            for (int q = 0; q < n && !differs; q++) {
                const char *v = flats[q].n ? config_flat_get(&flats[q], key) : first;
                v = v ? v : "";
                differs = first && strcmp(first, v) != 0;
                first = first ? first : v;
            }
            if (differs)
                keys[kept++] = key;
        }
    *out = keys;
    return kept;
}

/* The most common text of a column over the known runs; *clear: no other text is as common;
 * *uniform: every known run has it. */
static const char *mode_of(char (*col)[PART_CAP], const struct config_flat *flats, int n,
                           bool *clear, bool *uniform)
{
    int best = 0, known = 0;
    const char *mode = NULL;
    *clear = false;
    for (int r = 0; r < n; r++) {
        if (!flats[r].n)
            continue;
        known++;
        int count = 0;
        for (int q = 0; q < n; q++)
            count += flats[q].n && strcmp(col[q], col[r]) == 0;
        if (count > best)
            *clear = true;
        else if (count == best && strcmp(col[r], mode) != 0)
            *clear = false;
        if (count > best) {
            best = count;
            mode = col[r];
        }
    }
    *uniform = best == known;
    return mode;
}

/* Column p of every run into col. */
static void fill_column(char (*col)[PART_CAP], const struct config_flat *flats, int n, int p,
                        const char *key)
{
    static void (*const fixed[PART_FIXED])(char *, size_t, const struct config_flat *) = {
        optim_text, lr_text, init_text, loss_text};
    for (int r = 0; r < n; r++) {
        col[r][0] = '\0';
        if (!flats[r].n)
            continue;
        if (p < PART_FIXED) {
            fixed[p](col[r], PART_CAP, &flats[r]);
            continue;
        }
        const char *v = config_flat_get(&flats[r], key);
        const char *dot = strrchr(key, '.');
        if (v)
            snprintf(col[r], PART_CAP, "%s %s", dot ? dot + 1 : key, v);
    }
}

/* Adds column p's texts to the runs' texts and its common text to common. */
static void add_column(struct settings *s, char (*col)[PART_CAP], const struct config_flat *flats,
                       size_t cap, char *common)
{
    bool clear, uniform;
    const char *mode = mode_of(col, flats, s->n, &clear, &uniform);
    for (int r = 0; r < s->n && !uniform; r++)
        if (col[r][0] && (!clear || strcmp(col[r], mode) != 0))
            wrap_append(s->text[r], cap, ", %s", col[r]);
    if (clear && mode && mode[0])
        wrap_append(common, cap, "%s%s", common[0] ? ", " : "", mode);
}

int settings_describe(struct settings *s, const struct config_flat *flats, int n)
{
    enum { TEXT_CAP = 1024 };
    *s = (struct settings){.n = n};
    const char **keys = NULL;
    int n_keys = other_keys(&keys, flats, n);
    char(*col)[PART_CAP] = calloc((size_t)n + 1, sizeof *col);
    s->text = calloc((size_t)n + 1, sizeof *s->text);
    s->common = calloc(TEXT_CAP, 1);
    bool ok = n_keys >= 0 && col && s->text && s->common;
    for (int r = 0; r < n && ok; r++) {
        ok = (s->text[r] = calloc(TEXT_CAP, 1)) != NULL;
        if (ok && flats[r].n)
            model_text(s->text[r], TEXT_CAP, &flats[r]);
    }
    for (int p = 0; p < PART_FIXED + n_keys && ok; p++) {
        fill_column(col, flats, n, p, p < PART_FIXED ? NULL : keys[p - PART_FIXED]);
        add_column(s, col, flats, TEXT_CAP, s->common);
    }
    free(col);
    free(keys);
    if (ok)
        return CLNET_OK;
    settings_free(s);
    return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
}

void settings_free(struct settings *s)
{
    for (int r = 0; s->text && r < s->n; r++)
        free(s->text[r]);
    free(s->text);
    free(s->common);
    *s = (struct settings){0};
}

int settings_columns(const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}
