/* The schema tables of an experiment file (see schema.h) and the word lists of its enums.
 * Adding a key is adding one row here (and its field in experiment.h): validation,
 * defaults, the resolved config and `clnet help config` follow from the row. A layer kind's
 * keys are rows in its own file (layers/NAME.c), named by the registry (layers/kinds.def). */
#include "config/schema.h"

#include "config/experiment.h"

#include <float.h>
#include <string.h>

_Static_assert(sizeof(enum activation) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum init_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum report_x_axis) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum watch_metric) == sizeof(int), "enums are stored as int");

/* The tables keep one row per key, compact, so they read as a table. */
/* clang-format off */

static const struct word activation_list[] = {
    {"identity", ACTIVATION_IDENTITY}, {"sigmoid", ACTIVATION_SIGMOID},
    {"relu", ACTIVATION_RELU},         {"tanh", ACTIVATION_TANH},
    {"step", ACTIVATION_STEP},         {"linear", ACTIVATION_IDENTITY},
    {"none", ACTIVATION_IDENTITY},
};
const struct words schema_activation_words = WORDS("activation", activation_list);

static const struct word loss_list[] = {
    {"cross_entropy", LOSS_CROSS_ENTROPY},
    {"naive_softmax_log", LOSS_NAIVE_SOFTMAX_LOG},
};
static const struct words loss_words = WORDS("loss", loss_list);

static const struct word eval_train_list[] = {{"none", EVAL_TRAIN_NONE}, {"full", EVAL_TRAIN_FULL}};
static const struct words eval_train_words = WORDS("eval_train mode", eval_train_list);

static const struct word parallel_list[] = {{"none", PARALLEL_NONE}, {"data", PARALLEL_DATA}};
static const struct words parallel_words = WORDS("parallel mode", parallel_list);

static const struct word watch_list[] = {{"val_acc", WATCH_VAL_ACC}, {"val_loss", WATCH_VAL_LOSS}};
static const struct words watch_words = WORDS("validation metric", watch_list);

static const struct word set_list[] = {{"mnist", DATA_MNIST}};
static const struct words set_words = WORDS("data set", set_list);

static const struct word format_list[] = {
    {"png", REPORT_PNG}, {"pdf", REPORT_PDF}, {"both", REPORT_BOTH}};
static const struct words format_words = WORDS("report format", format_list);

static const struct word x_axis_list[] = {
    {"iteration", REPORT_X_ITERATION}, {"epoch", REPORT_X_EPOCH}};
static const struct words x_axis_words = WORDS("x axis", x_axis_list);

/* ---- init specs: `zeros`, {constant: v}, {normal: {...}}, ... (base: struct init_spec) */

static const struct field normal_fields[] = {
    {.key = "mean", .type = FT_DOUBLE, .off = offsetof(struct init_spec, a), .def = "0",
     .doc = "mean of the normal distribution"},
    {.key = "std", .type = FT_DOUBLE, .off = offsetof(struct init_spec, b),
     .flags = FL_REQUIRED, NONNEG, .doc = "standard deviation"},
};
static const struct table normal_table = TABLE(normal_fields, NULL);

static const struct field uniform_fields[] = {
    {.key = "low", .type = FT_DOUBLE, .off = offsetof(struct init_spec, a),
     .flags = FL_REQUIRED, .doc = "lower bound"},
    {.key = "high", .type = FT_DOUBLE, .off = offsetof(struct init_spec, b),
     .flags = FL_REQUIRED, .doc = "upper bound (>= low)"},
};
static const struct table uniform_table = TABLE(uniform_fields, schema_check_uniform);

static const struct field init_constant = {.key = "constant", .type = FT_DOUBLE,
                                           .off = offsetof(struct init_spec, a),
                                           .flags = FL_REQUIRED, .doc = "every value"};
static const struct field init_normal = {.key = "normal", .type = FT_MAP, .table = &normal_table,
                                         .doc = "normal distribution"};
static const struct field init_uniform = {
    .key = "uniform", .type = FT_MAP, .table = &uniform_table, .doc = "uniform distribution"};
static const struct field init_file = {
    .key = "file", .type = FT_STR, .off = offsetof(struct init_spec, path),
    .flags = FL_REQUIRED | FL_PATH | FL_NONEMPTY,
    .doc = "safetensors file (tensors layers.I.weight, layers.I.bias)"};

static const struct alternative init_alts[] = {
    {"zeros", INIT_ZEROS, NULL, "all zeros"},
    {"constant", INIT_CONSTANT, &init_constant, NULL},
    {"normal", INIT_NORMAL, &init_normal, NULL},
    {"uniform", INIT_UNIFORM, &init_uniform, NULL},
    {"xavier", INIT_XAVIER, NULL, "uniform, limit sqrt(6 / (fan_in + fan_out))"},
    {"he", INIT_HE, NULL, "normal, std sqrt(2 / fan_in)"},
    {"file", INIT_FILE, &init_file, NULL},
};
static const struct choice init_choice = {"init", offsetof(struct init_spec, kind), init_alts,
                                          COUNT(init_alts)};

/* ---- layers (base: struct layer_spec): each kind's row is in its own file (layers/NAME.c);
 * the choice lists them in the registry's order (layers/kinds.def) */

static const struct field layer_init_fields[] = {
    {.key = "weights", .type = FT_CHOICE, .off = offsetof(struct layer_spec, weight_init),
     .choice = &init_choice, .doc = "this layer's weight init (default: the global one)"},
    {.key = "biases", .type = FT_CHOICE, .off = offsetof(struct layer_spec, bias_init),
     .choice = &init_choice, .doc = "this layer's bias init (default: the global one)"},
};
const struct table schema_layer_init_table = TABLE(layer_init_fields, NULL);

#define LAYER_ALT_VALUE(ENUM, name) {#name, LAYER_##ENUM, &layer_schema_##name, NULL},
#define LAYER_ALT_WORD(ENUM, name) {#name, LAYER_##ENUM, NULL, layer_doc_##name},
static const struct alternative layer_alts[] = {
#define LAYER_KIND(ENUM, name, form, cl) LAYER_ALT_##form(ENUM, name)
#include "layers/kinds.def"
#undef LAYER_KIND
};
_Static_assert(COUNT(layer_alts) == LAYER_TYPE_COUNT, "one alternative per layer kind");
static const struct choice layer_choice = {"layer kind", offsetof(struct layer_spec, type),
                                           layer_alts, COUNT(layer_alts)};

/* ---- train (base: struct train_spec; optimizer and schedule have their own bases) */

static const struct field sgd_fields[] = {
    {.key = "lr", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, lr),
     .flags = FL_REQUIRED, POSITIVE, .doc = "learning rate"},
    {.key = "momentum", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, momentum),
     .def = "0", UNIT_OPEN, .doc = "heavy-ball momentum"},
    {.key = "weight_decay", .type = FT_DOUBLE,
     .off = offsetof(struct optim_spec, weight_decay), .def = "0", NONNEG,
     .doc = "L2 penalty added to the gradient"},
};
static const struct table sgd_table = TABLE(sgd_fields, NULL);

static const struct field adam_fields[] = {
    {.key = "lr", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, lr),
     .flags = FL_REQUIRED, POSITIVE, .doc = "learning rate"},
    {.key = "beta1", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, beta1),
     .def = "0.9", UNIT_OPEN, .doc = "first-moment decay"},
    {.key = "beta2", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, beta2),
     .def = "0.999", UNIT_OPEN, .doc = "second-moment decay"},
    /* at least the smallest normal float: the kernel stores moments below it as 0 (cl/optim.cl),
     * so a smaller eps could meet a zero denominator */
    {.key = "eps", .type = FT_DOUBLE, .off = offsetof(struct optim_spec, eps), .def = "1e-08",
     .rng = RNG_MIN, .min = FLT_MIN, .doc = "added to the denominator"},
    {.key = "weight_decay", .type = FT_DOUBLE,
     .off = offsetof(struct optim_spec, weight_decay), .def = "0", NONNEG,
     .doc = "L2 penalty added to the gradient"},
};
static const struct table adam_table = TABLE(adam_fields, NULL);

static const struct field optim_sgd = {.key = "sgd", .type = FT_MAP, .table = &sgd_table,
                                       .doc = "stochastic gradient descent"};
static const struct field optim_adam = {.key = "adam", .type = FT_MAP, .table = &adam_table,
                                        .doc = "Adam (Kingma & Ba)"};
static const struct alternative optim_alts[] = {
    {"sgd", OPTIM_SGD, &optim_sgd, NULL},
    {"adam", OPTIM_ADAM, &optim_adam, NULL},
};
static const struct choice optim_choice = {"optimizer", offsetof(struct optim_spec, kind),
                                           optim_alts, COUNT(optim_alts)};

static const struct field exp_decay_fields[] = {
    {.key = "lr_max", .type = FT_DOUBLE, .off = offsetof(struct schedule_spec, lr_max),
     .flags = FL_REQUIRED, POSITIVE, .doc = "learning rate at iteration 0"},
    {.key = "lr_min", .type = FT_DOUBLE, .off = offsetof(struct schedule_spec, lr_min),
     .flags = FL_REQUIRED, POSITIVE, .doc = "limit (<= lr_max)"},
    {.key = "tau", .type = FT_DOUBLE, .off = offsetof(struct schedule_spec, tau),
     .flags = FL_REQUIRED, POSITIVE, .doc = "decay time in iterations"},
};
static const struct table exp_decay_table = TABLE(exp_decay_fields, schema_check_exp_decay);

static const struct field step_fields[] = {
    {.key = "every", .type = FT_LONG, .off = offsetof(struct schedule_spec, every),
     .flags = FL_REQUIRED, POSITIVE, .doc = "iterations between steps"},
    {.key = "gamma", .type = FT_DOUBLE, .off = offsetof(struct schedule_spec, gamma),
     .def = "0.1", .rng = RNG_MIN_EXCL | RNG_MAX, .min = 0, .max = 1,
     .doc = "factor applied at each step"},
};
static const struct table step_table = TABLE(step_fields, NULL);

static const struct field sched_exp = {
    .key = "exp_decay", .type = FT_MAP, .table = &exp_decay_table,
    .doc = "lr_min + (lr_max - lr_min) exp(-t / tau)"};
static const struct field sched_step = {.key = "step", .type = FT_MAP, .table = &step_table,
                                        .doc = "lr gamma^floor(t / every)"};
static const struct alternative sched_alts[] = {
    {"constant", SCHEDULE_CONSTANT, NULL, "the optimizer's lr throughout"},
    {"exp_decay", SCHEDULE_EXP_DECAY, &sched_exp, NULL},
    {"step", SCHEDULE_STEP, &sched_step, NULL},
};
static const struct choice sched_choice = {"schedule", offsetof(struct schedule_spec, kind),
                                           sched_alts, COUNT(sched_alts)};

static const struct field early_stopping_fields[] = {
    {.key = "patience", .type = FT_INT, .off = offsetof(struct early_stopping_spec, patience),
     .def = "3", POSITIVE, .doc = "evaluations without a new best before stopping"},
    {.key = "metric", .type = FT_ENUM, .off = offsetof(struct early_stopping_spec, metric),
     .def = "val_acc", .words = &watch_words,
     .doc = "val_acc (highest) or val_loss (lowest): also what best.safetensors keeps"},
};
static const struct table early_stopping_table = TABLE(early_stopping_fields, NULL);

#define TRAIN(m) offsetof(struct train_spec, m)
static const struct field train_fields[] = {
    {.key = "iterations", .type = FT_LONG, .off = TRAIN(iterations), .def = "2000", POSITIVE,
     .doc = "optimizer steps"},
    {.key = "batch_size", .type = FT_INT, .off = TRAIN(batch_size), .def = "100", POSITIVE,
     .doc = "images per step"},
    {.key = "loss", .type = FT_LOSS, .off = TRAIN(loss), .def = "cross_entropy",
     .words = &loss_words, .choice = &schema_term_choice,
     .doc = "one classification loss on the last layer (naive_softmax_log: softmax then log, "
            "can overflow), or a list of weighted terms on any layers, summed"},
    {.key = "optimizer", .type = FT_CHOICE, .off = TRAIN(optimizer), .def = "{sgd: {lr: 0.5}}",
     .choice = &optim_choice, .doc = "{sgd: {...}} or {adam: {...}}"},
    {.key = "schedule", .type = FT_CHOICE, .off = TRAIN(schedule), .def = "constant",
     .choice = &sched_choice, .doc = "learning-rate schedule"},
    {.key = "eval_every", .type = FT_LONG, .off = TRAIN(eval_every), .def = "100", POSITIVE,
     .doc = "test-set evaluation every N iterations"},
    {.key = "eval_batch_size", .type = FT_INT, .off = TRAIN(eval_batch_size), .def = "1000",
     POSITIVE, .doc = "images per evaluation batch"},
    {.key = "eval_train", .type = FT_ENUM, .off = TRAIN(eval_train), .def = "none",
     .words = &eval_train_words, .doc = "full: also evaluate the whole training set"},
    {.key = "log_every", .type = FT_LONG, .off = TRAIN(log_every), .def = "10", POSITIVE,
     .doc = "progress line every N iterations"},
    {.key = "checkpoint_every", .type = FT_LONG, .off = TRAIN(checkpoint_every), .def = "1000",
     NONNEG, .doc = "0: only at the end"},
    {.key = "layer_stats", .type = FT_LONG, .off = TRAIN(layer_stats), .def = "0", NONNEG,
     .doc = "per-layer statistics every N iterations; 0: off"},
    {.key = "parallel", .type = FT_ENUM, .off = TRAIN(parallel), .def = "none",
     .words = &parallel_words, .doc = "data: split batches over devices"},
    {.key = "early_stopping", .type = FT_MAP, .off = TRAIN(early_stopping),
     .flags = FL_PRESENT, .present_off = TRAIN(has_early_stopping),
     .table = &early_stopping_table,
     .doc = "optional: stop when the validation set stops improving (needs data.validation)"},
};
static const struct table train_table = TABLE(train_fields, NULL);

/* ---- the top level (base: struct experiment) */

/* sigma below 1e-20 would make sigma n subnormal, which some devices flush to zero; above
 * 1e20 it could overflow: either way the bits would differ by device. */
static const struct field noise_fields[] = {
    {.key = "gaussian", .type = FT_DOUBLE, .off = offsetof(struct noise_spec, gaussian),
     .def = "0", .rng = RNG_MIN | RNG_MAX, .min = 0, .max = 1e20, /* given: required */
     .doc = "sigma, required in data.noise: x = clean + sigma n, n ~ N(0, 1) per pixel, not "
            "clamped; 0 or >= 1e-20"},
};
static const struct table noise_table = TABLE(noise_fields, NULL);

static const struct field data_fields[] = {
    {.key = "set", .type = FT_ENUM, .off = offsetof(struct data_spec, set), .def = "mnist",
     .words = &set_words, .doc = "data set"},
    {.key = "dir", .type = FT_STR, .off = offsetof(struct data_spec, dir), .def = "data/mnist",
     .flags = FL_NONEMPTY | FL_DIR, .doc = "folder of the IDX files: relative to the config "
     "file's folder, or the working folder's when only that exists (default and --set: the "
     "working folder's)"},
    {.key = "shuffle", .type = FT_BOOL, .off = offsetof(struct data_spec, shuffle),
     .def = "true", .doc = "new permutation every epoch (a batch crossing an epoch's end "
                           "carries into the next: none short or dropped)"},
    {.key = "validation", .type = FT_INT, .off = offsetof(struct data_spec, validation),
     .def = "0", NONNEG, .doc = "training images held out as a validation set (chosen from "
     "the seed): best.safetensors and early stopping watch it; 0: none"},
    {.key = "noise", .type = FT_MAP, .off = offsetof(struct data_spec, noise),
     .flags = FL_PRESENT, .present_off = offsetof(struct data_spec, has_noise),
     .table = &noise_table, .doc = "optional: {gaussian: sigma}, noise added to every image "
     "the model reads (training and evaluation; not clnet eval --inputs)"},
};
static const struct table data_table = TABLE(data_fields, schema_check_data);

static const struct field model_fields[] = {
    {.key = "input", .type = FT_DIMS, .flags = FL_REQUIRED, POSITIVE,
     .doc = "[features] or [channels, rows, cols]"},
    {.key = "layers", .type = FT_LAYERS, .flags = FL_REQUIRED | FL_NONEMPTY,
     .choice = &layer_choice, .doc = "list of layers, numbered from 0"},
};
static const struct table model_table = TABLE(model_fields, NULL);

static const struct field init_fields[] = {
    {.key = "weights", .type = FT_CHOICE, .off = offsetof(struct experiment, weight_init),
     .def = "{normal: {mean: 0, std: 0.1}}", .choice = &init_choice,
     .doc = "zeros, xavier, he, {constant: v}, {normal: {mean, std}}, {uniform: {low, high}}, "
            "{file: x.safetensors}"},
    {.key = "biases", .type = FT_CHOICE, .off = offsetof(struct experiment, bias_init),
     .def = "zeros", .choice = &init_choice, .doc = "same forms as weights"},
};
static const struct table init_table = TABLE(init_fields, NULL);

static const struct field report_fields[] = {
    {.key = "format", .type = FT_ENUM, .off = offsetof(struct report_spec, format),
     .def = "png", .words = &format_words, .doc = "plot files"},
    {.key = "x_axis", .type = FT_ENUM, .off = offsetof(struct report_spec, x_axis),
     .def = "iteration", .words = &x_axis_words,
     .doc = "accuracy, loss, lr plots against iterations or epochs (iterations x batch / "
            "training images)"},
    {.key = "title", .type = FT_STR, .off = offsetof(struct report_spec, title),
     .flags = FL_NONEMPTY, .doc = "the plots' title instead of the run's name; a sweep's "
            "comparison plots take it when every run has the same"},
    {.key = "label", .type = FT_STR, .off = offsetof(struct report_spec, label),
     .flags = FL_NONEMPTY, .doc = "a sweep's varying setting as its plots name it (default: "
            "the key's last part, momentum for train.optimizer.sgd.momentum)"},
};
static const struct table report_table = TABLE(report_fields, NULL);

static const struct field top_fields[] = {
    {.key = "name", .type = FT_STR, .off = offsetof(struct experiment, name),
     .flags = FL_NONEMPTY | FL_NAME, .doc = "run name (default: the file name without .yaml)"},
    {.key = "base", .type = FT_STR, .off = offsetof(struct experiment, base),
     .flags = FL_LOADER, .doc = "file to start from, relative to this file; keys here win"},
    {.key = "seed", .type = FT_U64, .off = offsetof(struct experiment, seed), .def = "1", NONNEG,
     .doc = "initial weights, shuffling, dropout"},
    {.key = "device", .type = FT_STR, .off = offsetof(struct experiment, device), .def = "auto",
     .flags = FL_NONEMPTY, .doc = "auto, P:D, or part of a platform/device name"},
    {.key = "data", .type = FT_MAP, .off = offsetof(struct experiment, data),
     .table = &data_table, .doc = "training and test data"},
    {.key = "model", .type = FT_MAP, .flags = FL_REQUIRED, .table = &model_table,
     .doc = "the network"},
    {.key = "init", .type = FT_MAP, .table = &init_table, .doc = "defaults for every layer"},
    {.key = "train", .type = FT_MAP, .off = offsetof(struct experiment, train),
     .flags = FL_PRESENT, .present_off = offsetof(struct experiment, has_train),
     .table = &train_table, .doc = "optional: without it the model is only evaluated"},
    {.key = "report", .type = FT_MAP, .off = offsetof(struct experiment, report),
     .table = &report_table, .doc = "plots"},
};
const struct table schema_top = TABLE(top_fields, schema_check_experiment);

/* clang-format on */

const struct field *schema_find(const struct table *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->fields[i].key, key)) return &t->fields[i];
    return NULL;
}

const struct alternative *schema_alt_by_word(const struct choice *c, const char *word)
{
    for (int i = 0; i < c->n_alts; i++)
        if (!strcmp(c->alts[i].word, word)) return &c->alts[i];
    return NULL;
}

const struct alternative *schema_alt_by_value(const struct choice *c, int value)
{
    for (int i = 0; i < c->n_alts; i++)
        if (c->alts[i].value == value) return &c->alts[i];
    return NULL;
}

const char *schema_word_name(const struct words *w, int value)
{
    for (int i = 0; i < w->n; i++)
        if (w->list[i].value == value) return w->list[i].word;
    return "?";
}

/* Optimal string alignment distance: Levenshtein plus adjacent transpositions. */
static int edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAXLEN || m >= MAXLEN) return MAXLEN;
    int d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *schema_suggest(const char *given, const char *const *candidates, int n)
{
    const char *best = NULL;
    int best_d = strlen(given) <= 3 ? 2 : 3; /* accept distance 1 for short words, else 2 */
    for (int i = 0; i < n; i++) {
        int d = edit_distance(given, candidates[i]);
        if (d < best_d && (size_t)d < strlen(candidates[i])) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}
