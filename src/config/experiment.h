/* An experiment as plain data: what a YAML file (with its base: chain and --set overrides)
 * resolves to. No OpenCL types here, so config, shape and data code build and are tested
 * without a device. Every field has its default filled in once loading succeeds; the
 * defaults live in the schema table in config/schema.c, which also feeds `clnet help config`.
 *
 * Shapes are written (C, H, W) for images and (F) for flat vectors; N is the batch. */
#ifndef CLNET_CONFIG_EXPERIMENT_H
#define CLNET_CONFIG_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/nn.h" /* enum activation, enum loss_kind */

#define EXPERIMENT_MAX_RANK 3 /* input is (F) or (C, H, W) */

/* Where a value came from, for errors that are found after loading (shape errors). file
 * points at a string owned by the experiment (it outlives the loader). */
struct src_pos {
    const char *file;
    int line, col; /* 1-based; 0 when the value is a default */
};

enum init_kind {
    INIT_UNSET, /* per-layer: use the experiment's init; never left after resolution globally */
    INIT_ZEROS,
    INIT_CONSTANT, /* a = value */
    INIT_NORMAL,   /* a = mean, b = std */
    INIT_UNIFORM,  /* a = low, b = high */
    INIT_XAVIER,   /* uniform, limit sqrt(6 / (fan_in + fan_out)) */
    INIT_HE,       /* normal, std sqrt(2 / fan_in) */
    INIT_FILE,     /* path: safetensors file; tensor layers.I.weight / layers.I.bias */
    INIT_COUNT
};

struct init_spec {
    enum init_kind kind;
    double a, b;
    char *path; /* INIT_FILE only; relative paths are resolved against the config's folder */
};

/* One value per row of the kind registry (layers/kinds.def): LAYER_DENSE, LAYER_CONV2D, ... */
enum layer_type {
#define LAYER_KIND(ENUM, name, form, cl) LAYER_##ENUM,
#include "layers/kinds.def"
#undef LAYER_KIND
    LAYER_TYPE_COUNT
};

/* The settings of a kind that keeps them in layer_spec.args (a kind newer than the named
 * members of the union): its file maps its keys onto these slots (config/schema.h's
 * LAYER_ARG_INT, LAYER_ARG_REAL), so adding such a kind changes nothing here. */
/* The most inputs one layer reads (`from:` [a, b, ...]: add, concat). */
#define LAYER_MAX_INPUTS 8
/* The name of the model's input in `from:`. */
#define LAYER_INPUT_NAME "input"

#define LAYER_ARG_INTS 8
#define LAYER_ARG_REALS 4
struct layer_args {
    int i[LAYER_ARG_INTS];
    double r[LAYER_ARG_REALS];
};

struct layer_spec {
    enum layer_type type;
    struct src_pos pos;         /* the layer's list entry */
    enum activation activation; /* dense, conv2d, activation; default identity */
    struct init_spec weight_init, bias_init; /* `init:` inside the layer; INIT_UNSET if none */
    union {
        struct {
            int units;
            /* Inline weights (homework question 1): rows = units, cols = inputs, the
             * W x + b convention of the math; NULL when not given. */
            float *weights; /* (units, in) */
            int weight_rows, weight_cols;
            float *bias; /* (units) */
            int bias_len;
        } dense;
        struct {
            int filters;
            int size[2], stride[2], pad[2]; /* (rows, cols); a scalar in YAML sets both */
        } conv2d;
        struct {
            double p; /* probability of dropping, 0 <= p < 1 */
        } dropout;
        struct layer_args args; /* the kinds without a member of their own */
    };
    /* The graph (model/graph.h): `name:` (NULL when not given) and `from:`, the names of the
     * layers (or `input`) it reads; n_from 0 means the layer before it, or the input for
     * layer 0, so a config without them is the plain stack it always was. */
    char *name;
    int n_from;
    char *from[LAYER_MAX_INPUTS];
    struct src_pos name_pos, from_pos[LAYER_MAX_INPUTS];
};

enum optim_kind { OPTIM_SGD, OPTIM_ADAM, OPTIM_COUNT };

struct optim_spec {
    enum optim_kind kind;
    double lr;
    double momentum;     /* sgd; default 0 */
    double weight_decay; /* both; default 0 */
    double beta1, beta2, eps; /* adam; defaults 0.9, 0.999, 1e-8 */
};

enum schedule_kind {
    SCHEDULE_CONSTANT,  /* the optimizer's lr */
    SCHEDULE_EXP_DECAY, /* lr_min + (lr_max - lr_min) * exp(-t / tau) */
    SCHEDULE_STEP,      /* lr * gamma ^ floor(t / every) */
    SCHEDULE_COUNT
};

struct schedule_spec {
    enum schedule_kind kind;
    double lr_max, lr_min, tau; /* exp_decay */
    long every;                 /* step */
    double gamma;               /* step */
};

enum eval_train { EVAL_TRAIN_NONE, EVAL_TRAIN_FULL, EVAL_TRAIN_COUNT };

/* What early stopping watches on the validation set, and what "best" means when there is one:
 * the highest accuracy or the lowest loss. */
enum watch_metric { WATCH_VAL_ACC, WATCH_VAL_LOSS, WATCH_METRIC_COUNT };

struct early_stopping_spec {
    int patience;             /* evaluations without a new best before the run stops */
    enum watch_metric metric; /* default val_acc */
};
enum parallel_kind { PARALLEL_NONE, PARALLEL_DATA, PARALLEL_COUNT };

/* train.loss's list form (docs/experiments.md): the loss is the sum over its terms of weight
 * times the batch's mean of the term's per-row value on a node's output v:
 * cross_entropy / naive_softmax_log (the labels), mse 1/2 sum (v - t)^2, linear r^T v,
 * l1 sum |v|, l2 sum v^2. What the node names refer to is model/loss_terms.c's to check. */
/* enum loss_term_kind: util/nn.h (the kernels' numbers too). */
/* mse's target: the label's one-hot, the model's input as fed, the image before data.noise,
 * or a node's output (no gradient flows into the target node). */
enum loss_target { TARGET_NONE, TARGET_LABELS, TARGET_INPUT, TARGET_CLEAN, TARGET_NODE };
/* linear's r: a constant times ones, an inline list, or a safetensors file's tensor. */
enum loss_r { LOSS_R_NONE, LOSS_R_CONSTANT, LOSS_R_LIST, LOSS_R_FILE };

struct loss_r_spec {
    enum loss_r kind;
    double constant;  /* LOSS_R_CONSTANT */
    float *values;    /* LOSS_R_LIST (n) */
    int n;
    char *file;       /* LOSS_R_FILE: absolute path */
    char *tensor;     /* LOSS_R_FILE: the tensor's name */
    struct src_pos pos;
};

/* The most terms train.loss's list may have. */
#define LOSS_MAX_TERMS 16

struct loss_term {
    enum loss_term_kind kind;
    struct src_pos pos; /* the list entry */
    char *on;           /* a layer's name, or NULL: the last layer */
    char *target;       /* mse: labels, input, clean or a layer's name; else NULL */
    enum loss_target target_kind;
    char *name;         /* as given, or the default (the kind, or KIND_NODE when two share it) */
    double weight;      /* default 1 */
    struct loss_r_spec r; /* linear */
    struct src_pos on_pos, target_pos, name_pos, weight_pos;
};

struct train_spec {
    long iterations;      /* default 2000 */
    int batch_size;       /* default 100 */
    enum loss_kind loss;  /* default cross_entropy; the scalar form */
    /* The list form of train.loss; n_terms 0 and terms NULL for the scalar form (loss). */
    int n_terms;
    struct loss_term *terms;
    struct optim_spec optimizer; /* default sgd lr 0.5 */
    struct schedule_spec schedule; /* default constant */
    long eval_every;       /* full test-set evaluation every N iterations; default 100 */
    int eval_batch_size;   /* default 1000 */
    enum eval_train eval_train; /* default none */
    long log_every;        /* progress line every N iterations; default 10 */
    long checkpoint_every; /* default 1000; 0 = only at the end */
    long layer_stats;      /* per-layer statistics every N iterations; 0 = off */
    enum parallel_kind parallel; /* default none */
    bool has_early_stopping;     /* train.early_stopping given (needs data.validation) */
    struct early_stopping_spec early_stopping;
};

enum data_set { DATA_MNIST, DATA_SET_COUNT };

struct data_spec {
    enum data_set set; /* default mnist */
    char *dir;         /* as used: absolute when found next to the config or in the working
                        * folder; as written when neither (default data/mnist, --set: the
                        * working folder's) */
    char *dir_looked;  /* the config-relative folder also looked at when neither existed */
    bool shuffle;      /* default true: a new permutation every epoch */
    int validation;    /* training images held out for validation (data/split.h); 0: none */
    bool has_noise;    /* data.noise given: every image the model reads is noised */
    struct noise_spec {
        double gaussian; /* sigma: x = clean + sigma n, n ~ N(0, 1) per pixel (data/noise.h) */
    } noise;
};

enum report_format { REPORT_PNG, REPORT_PDF, REPORT_BOTH, REPORT_FORMAT_COUNT };

/* The x axis of a run's accuracy, loss and lr plots: metrics.csv's iteration or epoch column. */
enum report_x_axis { REPORT_X_ITERATION, REPORT_X_EPOCH, REPORT_X_AXIS_COUNT };

struct report_spec {
    enum report_format format; /* default png */
    enum report_x_axis x_axis; /* default iteration */
    char *title; /* the plots' title in place of the run's name, or NULL */
    char *label; /* a sweep's varying setting named in its plots, or NULL (the key's name) */
};

struct experiment {
    char *path;   /* the file it was loaded from, as given */
    char *name;   /* default: the file's name without .yaml */
    char *base;   /* as written in the top file, or NULL (the chain is already merged) */
    uint64_t seed; /* default 1 */
    char *device;  /* default "auto" */
    struct data_spec data;
    int input_rank;
    int input[EXPERIMENT_MAX_RANK]; /* (F) or (C, H, W) */
    int n_layers;
    struct layer_spec *layers;
    struct init_spec weight_init; /* default normal(0, 0.1) */
    struct init_spec bias_init;   /* default zeros */
    bool has_train; /* false for a model with no train: section (question 1) */
    struct train_spec train;
    struct report_spec report;
    /* Every string a src_pos.file points at (the files of the base: chain, "--set ARG"
     * labels); owned here so positions stay valid as long as the experiment lives. */
    char **src_names;
    int n_src_names;
};

const char *activation_name(enum activation a);
const char *layer_type_name(enum layer_type t);
const char *init_kind_name(enum init_kind k);
const char *loss_name(enum loss_kind k);
const char *loss_term_kind_name(enum loss_term_kind k);
/* Whether the term is a classification loss against the labels (cross_entropy, ...). */
bool loss_term_classifies(enum loss_term_kind k);
/* Whether e's loss classifies (the scalar form, or a list with a classification term): only
 * then are accuracies measured, and "best" may watch one. */
bool experiment_classifies(const struct experiment *e);
/* The loss in words: "cross_entropy", or "the weighted sum of S, R"; returns buf. */
const char *experiment_loss_words(char *buf, size_t n, const struct experiment *e);
const char *optim_name(enum optim_kind k);
const char *schedule_name(enum schedule_kind k);

/* Frees everything the experiment owns (not the struct itself); safe on a zeroed struct. */
void experiment_free(struct experiment *e);

/* CLNET_OK when data.dir is a folder; else CLNET_ERR_DATA naming every folder looked in (the
 * config's and the working folder's, made absolute), so a user sees where to put MNIST. */
int experiment_check_data_dir(const struct experiment *e);

#endif
