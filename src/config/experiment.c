/* Names of the experiment's enums (the canonical YAML words, as config_write_resolved
 * writes them) and experiment_free. */
#include "config/experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/status.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const activation_names[] = {"identity", "sigmoid", "relu", "tanh", "step"};
static const char *const layer_names[] = {
#define LAYER_KIND(ENUM, name, form, cl) #name,
#include "layers/kinds.def"
#undef LAYER_KIND
};
static const char *const init_names[] = {"unset",   "zeros",  "constant", "normal",
                                         "uniform", "xavier", "he",       "file"};
static const char *const loss_names[] = {"cross_entropy", "naive_softmax_log"};
static const char *const term_names[] = {"cross_entropy", "naive_softmax_log", "mse",
                                         "linear",        "l1",                "l2"};
static const char *const optim_names[] = {"sgd", "adam"};
static const char *const schedule_names[] = {"constant", "exp_decay", "step"};

_Static_assert(COUNT(activation_names) == ACTIVATION_COUNT, "activation names");
_Static_assert(COUNT(layer_names) == LAYER_TYPE_COUNT, "layer names");
_Static_assert(COUNT(init_names) == INIT_COUNT, "init names");
_Static_assert(COUNT(loss_names) == LOSS_COUNT, "loss names");
_Static_assert(COUNT(term_names) == TERM_KIND_COUNT, "loss term names");
_Static_assert(COUNT(optim_names) == OPTIM_COUNT, "optimizer names");
_Static_assert(COUNT(schedule_names) == SCHEDULE_COUNT, "schedule names");

#define NAME(table, v) ((unsigned)(v) < (unsigned)COUNT(table) ? (table)[v] : "unknown")

const char *activation_name(enum activation a)
{
    return NAME(activation_names, a);
}

const char *layer_type_name(enum layer_type t)
{
    return NAME(layer_names, t);
}

const char *init_kind_name(enum init_kind k)
{
    return NAME(init_names, k);
}

const char *loss_name(enum loss_kind k)
{
    return NAME(loss_names, k);
}

const char *loss_term_kind_name(enum loss_term_kind k)
{
    return NAME(term_names, k);
}

bool loss_term_classifies(enum loss_term_kind k)
{
    return k == TERM_CROSS_ENTROPY || k == TERM_NAIVE_SOFTMAX_LOG;
}

bool experiment_classifies(const struct experiment *e)
{
    bool any = e->train.n_terms == 0;
    for (int i = 0; i < e->train.n_terms; i++)
        any = any || loss_term_classifies(e->train.terms[i].kind);
    return any;
}

const char *experiment_loss_words(char *buf, size_t n, const struct experiment *e)
{
    if (e->train.n_terms == 0) {
        snprintf(buf, n, "%s", loss_name(e->train.loss));
        return buf;
    }
    size_t used = (size_t)snprintf(buf, n, "the weighted sum of");
    for (int i = 0; i < e->train.n_terms && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s %s", i ? "," : "", e->train.terms[i].name);
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

const char *optim_name(enum optim_kind k)
{
    return NAME(optim_names, k);
}

const char *schedule_name(enum schedule_kind k)
{
    return NAME(schedule_names, k);
}

void experiment_free(struct experiment *e)
{
    free(e->path);
    free(e->name);
    free(e->base);
    free(e->device);
    free(e->data.dir);
    free(e->data.dir_looked);
    free(e->report.title);
    free(e->report.label);
    for (int i = 0; i < e->n_layers; i++) {
        struct layer_spec *l = &e->layers[i];
        free(l->weight_init.path);
        free(l->bias_init.path);
        free(l->name);
        for (int k = 0; k < l->n_from; k++)
            free(l->from[k]);
        if (l->type == LAYER_DENSE) {
            free(l->dense.weights);
            free(l->dense.bias);
        }
    }
    free(e->layers);
    for (int i = 0; i < e->train.n_terms; i++) {
        struct loss_term *t = &e->train.terms[i];
        free(t->on);
        free(t->target);
        free(t->name);
        free(t->r.values);
        free(t->r.file);
        free(t->r.tensor);
    }
    free(e->train.terms);
    free(e->weight_init.path);
    free(e->bias_init.path);
    for (int i = 0; i < e->n_src_names; i++)
        free(e->src_names[i]);
    free(e->src_names);
    memset(e, 0, sizeof *e);
}

int experiment_check_data_dir(const struct experiment *e)
{
    struct stat st;
    const char *dir = e->data.dir;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return CLNET_OK;
    char cwd[4096] = "";
    if (dir[0] != '/' && !getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    const char *fetch = "run scripts/fetch-mnist to download MNIST, or set data.dir";
    if (e->data.dir_looked)
        return clnet_errorf(CLNET_ERR_DATA, "data.dir '%s': no such folder; looked in %s (next "
                            "to the config) and %s%s%s (the working folder); %s", dir,
                            e->data.dir_looked, cwd, cwd[0] ? "/" : "", dir, fetch);
    return clnet_errorf(CLNET_ERR_DATA, "data.dir: no such folder: %s%s%s; %s", cwd,
                        cwd[0] ? "/" : "", dir, fetch);
}
