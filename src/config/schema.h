/* The experiment schema as data: one table per YAML map, one row per key with its type,
 * where it lands in struct experiment, its default (as YAML text), its range and a line of
 * documentation. Validation (validate.c), the resolved output and `clnet help config`
 * (emit.c), base: merging and --set (config.c) all walk these tables, so a key cannot be
 * half-added. Internal to src/config/ and to the layer kinds' files (layers/NAME.c), each of
 * which defines its kind's row (layer_schema_NAME or layer_doc_NAME, below). */
#ifndef CLNET_CONFIG_SCHEMA_H
#define CLNET_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum field_type {
    FT_INT,    /* int */
    FT_LONG,   /* long */
    FT_U64,    /* uint64_t, 0 .. INT64_MAX */
    FT_DOUBLE, /* double, finite */
    FT_BOOL,   /* bool: true / false */
    FT_STR,    /* char *, owned */
    FT_ENUM,   /* an enum (int-sized), from a word table */
    FT_PAIR,   /* int[2]: n or [rows, cols] */
    FT_DIMS,   /* experiment.input_rank + input[]: [F] or [C, H, W] */
    FT_MATRIX, /* dense inline weights: rows of floats */
    FT_VECTOR, /* dense inline bias: floats */
    FT_MAP,    /* a nested table; off is the offset of its base */
    FT_CHOICE, /* one of several words, each maybe with a value: `he`, {sgd: {lr: 0.1}} */
    FT_LAYERS, /* experiment.n_layers + layers: a list of layer choices */
    FT_LOSS,   /* train.loss: a word (words, the scalar form) or a list of term choices
                * (choice; config/loss_terms.c) */
    FT_LOSS_R, /* a linear term's r: a number, a list of floats or {file, tensor} */
};

enum {
    FL_REQUIRED = 1u << 0,
    FL_LOADER = 1u << 1,   /* handled by the loader (base:); not validated or written */
    FL_PATH = 1u << 2,     /* a file path relative to the YAML file's folder, made absolute */
    FL_PRESENT = 1u << 3,  /* FT_MAP: sets the bool at present_off when the key is given */
    FL_NONEMPTY = 1u << 4, /* FT_STR, FT_LAYERS: must not be empty */
    FL_SQUARE = 1u << 5,   /* FT_PAIR: written as one number when rows == cols */
    FL_NAME = 1u << 6,     /* FT_STR: one folder's name (fs_name_problem) */
    FL_DIR = 1u << 7,      /* FT_STR: a folder relative to the YAML file's, else the cwd's
                            * when only that one exists (resolve_dir) */
};

enum {
    RNG_MIN = 1u << 0,      /* value >= min */
    RNG_MIN_EXCL = 1u << 1, /* value > min */
    RNG_MAX = 1u << 2,      /* value <= max */
    RNG_MAX_EXCL = 1u << 3, /* value < max */
};

struct word {
    const char *word;
    int value;
};

struct words {
    const char *noun; /* "activation", in "unknown activation 'rleu'" */
    const struct word *list;
    int n; /* canonical spelling of each value first, aliases after */
};

struct table;
struct field;
struct experiment;

struct alternative {
    const char *word;
    int value;                       /* stored at choice.kind_off */
    const struct field *value_field; /* NULL: the word takes no value */
    const char *doc;                 /* for a word without a value (its field has one) */
};

struct choice {
    const char *noun; /* "optimizer", "layer kind" */
    size_t kind_off;  /* offset of the enum inside the choice's base */
    const struct alternative *alts;
    int n_alts;
};

struct field {
    const char *key;
    enum field_type type;
    size_t off;      /* inside the table's base struct */
    const char *def; /* default as YAML text; NULL: required or absent */
    unsigned flags;
    unsigned rng;
    double min, max;
    const struct words *words;   /* FT_ENUM */
    const struct table *table;   /* FT_MAP */
    const struct choice *choice; /* FT_CHOICE, FT_LAYERS (the entry choice) */
    size_t present_off;          /* FL_PRESENT */
    const char *doc;
};

/* Cross-field checks after a table's fields are filled; node is the map (may be NULL). */
struct vctx;
struct node;
typedef int (*table_check_fn)(struct vctx *v, const struct node *map, void *base);

struct table {
    const struct field *fields;
    int n;
    table_check_fn check;
};

extern const struct table schema_top; /* struct experiment */
extern const struct words schema_activation_words;
extern const struct table schema_layer_init_table; /* a layer's init: {weights, biases} */
extern const struct choice schema_term_choice;     /* a loss term (config/loss_terms.c) */

/* Each layer kind's row in the layer choice, defined in its file (layers/NAME.c): the field
 * of its value (base: struct layer_spec) for a kind that takes one, else a line of doc. */
#define LAYER_SCHEMA_VALUE(name) extern const struct field layer_schema_##name;
#define LAYER_SCHEMA_WORD(name) extern const char layer_doc_##name[];
#define LAYER_KIND(ENUM, name, form, cl) LAYER_SCHEMA_##form(name)
#include "layers/kinds.def"
#undef LAYER_KIND

/* Rows compact enough to read as a table. */
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define WORDS(noun_, arr) {noun_, arr, COUNT(arr)}
#define TABLE(arr, check_) {arr, COUNT(arr), check_}
#define POSITIVE .rng = RNG_MIN_EXCL, .min = 0
#define NONNEG .rng = RNG_MIN, .min = 0
#define UNIT_OPEN .rng = RNG_MIN | RNG_MAX_EXCL, .min = 0, .max = 1 /* [0, 1) */
/* The offset of slot k of a kind's settings in layer_spec.args (experiment.h). */
#define LAYER_ARG_INT(k) (offsetof(struct layer_spec, args) + offsetof(struct layer_args, i) + \
                          (size_t)(k) * sizeof(int))
#define LAYER_ARG_REAL(k) (offsetof(struct layer_spec, args) + offsetof(struct layer_args, r) + \
                           (size_t)(k) * sizeof(double))

/* Row of key in t, or NULL. */
const struct field *schema_find(const struct table *t, const char *key);
const struct alternative *schema_alt_by_word(const struct choice *c, const char *word);
const struct alternative *schema_alt_by_value(const struct choice *c, int value);
const char *schema_word_name(const struct words *w, int value);

/* Edit distance (with transpositions) for "did you mean"; the closest candidate when it is
 * near enough, else NULL. */
const char *schema_suggest(const char *given, const char *const *candidates, int n);

/* The checks the validator calls (validate.c). */
int schema_check_dense(struct vctx *v, const struct node *map, void *base);
int schema_check_uniform(struct vctx *v, const struct node *map, void *base);
int schema_check_exp_decay(struct vctx *v, const struct node *map, void *base);
int schema_check_data(struct vctx *v, const struct node *map, void *base);
int schema_check_experiment(struct vctx *v, const struct node *map, void *base);

/* Fills e (zeroed by the caller) from the merged tree root; defaults are parsed into a. */
struct arena;
int schema_validate(struct experiment *e, struct arena *a, const struct node *root);

/* Writes e as YAML in table order, and the schema as a table for `clnet help config`
 * (emit.c). */
int schema_emit(const struct experiment *e, FILE *f);
void schema_print_help(FILE *f);

#endif
