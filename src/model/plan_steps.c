/* The plan's steps (plan.h) from the choices plan.c made: each step's kernels and fusions in
 * words, the order of a training step, and the printout. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "model/plan.h"
#include "util/status.h"
#include "util/wrap.h"

/* Appends to step s's words. */
#define SAY(s, ...) wrap_append((s)->what, sizeof(s)->what, __VA_ARGS__)

static const char *layout(bool batch_minor)
{
    return batch_minor ? "batch-minor" : "NCHW";
}

static void dense_forward_what(struct plan_step *s, const struct plan *p, const char *act)
{
    if (p->layers[s->layer].epilogue) {
        SAY(s, "gemm_nn with bias + %s in its epilogue", act);
    } else {
        SAY(s, "CLBlast sgemm, then %s (bias + %s)",
            p->dev.path == RUNTIME_OPS_GPU ? "bias_act_forward_2d" : "bias_act_forward", act);
    }
}

static void forward_what(struct plan_step *s, const struct plan *p, const struct experiment *e)
{
    const struct layer_spec *ls = &e->layers[s->layer];
    const struct layer_plan *lp = &p->layers[s->layer];
    const char *act = activation_name(ls->activation);
    bool gpu = p->dev.path == RUNTIME_OPS_GPU;
    switch (ls->type) {
    case LAYER_DENSE:
        dense_forward_what(s, p, act);
        break;
    case LAYER_CONV2D:
        SAY(s, "%s%s with bias + %s, %s in%s, %s out%s",
            gpu ? "conv2d_gpu_forward (an output per work-item for 4 filters, weights in local "
                  "memory)"
                : lp->x_padded ? "" : "conv2d_pad, ",
            gpu ? "" : "conv2d_forward (16 images in the vector lanes)", act,
            layout(lp->x_batch_minor), lp->x_padded ? " (padded by the layer below)" : "",
            layout(lp->y_batch_minor), lp->y_padded ? " inside the layer above's padding" : "");
        break;
    case LAYER_FLATTEN:
        SAY(s, "none: a view of its input");
        break;
    case LAYER_ACTIVATION:
        SAY(s, "act_forward (%s)", act);
        break;
    case LAYER_DROPOUT:
        SAY(s, "dropout_forward (training; evaluation: a view)");
        break;
    case LAYER_CONCAT:
        SAY(s, "none: a view of its packed inputs");
        break;
    default:
        SAY(s, "%s_forward", layer_type_name(ls->type));
    }
}

static void dense_backward_what(struct plan_step *s, const struct plan *p,
                                const struct experiment *e)
{
    int i = s->layer;
    const struct layer_plan *lp = &p->layers[i];
    char *w = s->what;
    size_t n = sizeof s->what;
    /* the kernel op_bias_act_choice takes on this path */
    const char *bias_act = p->dev.path == RUNTIME_OPS_GPU ? "bias_act_backward_2d"
                                                          : "bias_act_backward";
    if (!lp->own_gemm) {
        wrap_append(w, n, "%s (dz, db), CLBlast sgemm for dW%s", bias_act,
                    lp->need_dx ? " and for dx" : "");
        return;
    }
    if (!lp->dz_ready)
        wrap_append(w, n, "%s (dz, db), ", bias_act);
    else if (e->layers[i].activation == ACTIVATION_IDENTITY)
        wrap_append(w, n, "dz = dy (identity), ");
    else
        wrap_append(w, n, "dz from layer %d's dx GEMM, ", i + 1);
    if (lp->need_dx)
        wrap_append(w, n, "gemm_transpose + gemm_nn for dx%s, ",
                    lp->dx_act_grad ? " with the act' of the layer below in its epilogue" : "");
    if (lp->dz_ready)
        wrap_append(w, n, "gemm_tn for dW with db%s in its epilogue",
                    lp->sgd_fused ? " and the SGD update" : "");
    else
        wrap_append(w, n, "gemm_tn for dW");
}

static void backward_what(struct plan_step *s, const struct plan *p, const struct experiment *e)
{
    const struct layer_spec *ls = &e->layers[s->layer];
    bool gpu = p->dev.path == RUNTIME_OPS_GPU, dx = p->layers[s->layer].need_dx;
    switch (ls->type) {
    case LAYER_DENSE:
        dense_backward_what(s, p, e);
        break;
    case LAYER_CONV2D:
        SAY(s, "%s%s%s",
            gpu ? "conv2d_gpu_dz, conv2d_gpu_weights_partial + _reduce (dW, db: 256 fixed "
                  "partial sums)"
            : p->layers[s->layer].dy_is_dz
                ? "dz from the layer above's conv2d_backward_data, conv2d_backward_weights (dW, db)"
                : "conv2d_backward_dz, conv2d_backward_weights (dW, db)",
            !dx ? "" : gpu ? ", conv2d_gpu_backward_data" : ", conv2d_backward_data",
            dx && p->layers[s->layer].dx_dz ? " storing the layer below's dz (its act')" : "");
        break;
    case LAYER_FLATTEN:
        SAY(s, "none: a view of dy");
        break;
    case LAYER_ACTIVATION:
        SAY(s, "act_backward");
        break;
    case LAYER_CONCAT:
        SAY(s, "none: dy is the packed inputs' gradients");
        break;
    default:
        SAY(s, "%s_backward", layer_type_name(ls->type));
    }
    if (!dx)
        SAY(s, p->graph.on ? "; no dx (none of its inputs needs a gradient)"
                           : "; no dx (no parameters below)");
}

/* A graph's forward and backward steps: its nodes in the graph's order, each saying what it
 * reads, and in reverse the nodes whose backward runs (layer_plan.backward). */
static void graph_steps(struct plan *p, const struct experiment *e, const struct graph *g)
{
    for (int o = 0; o < g->n; o++) {
        int i = g->order[o];
        struct plan_step *s = &p->forward[p->n_forward++];
        *s = (struct plan_step){.op = PLAN_FORWARD, .layer = i, .n_layers = 1};
        char in[128];
        graph_inputs_format(in, sizeof in, e, g, i);
        SAY(s, g->n_in[i] > 1 ? "copy_block packs %s, then " : "reads %s: ", in);
        forward_what(s, p, e);
    }
    for (int o = g->n - 1; o >= 0; o--) {
        int i = g->order[o];
        if (!p->layers[i].backward)
            continue;
        struct plan_step *s = &p->backward[p->n_backward++];
        *s = (struct plan_step){.op = PLAN_BACKWARD, .layer = i, .n_layers = 1};
        if (g->n_uses[i] > 1)
            SAY(s, "add_forward sums its readers' gradients in a fixed order, then ");
        backward_what(s, p, e);
    }
}

static void stack_step(struct plan_step *s, const struct plan *p, const struct experiment *e)
{
    *s = (struct plan_step){.op = PLAN_DENSE_STACK, .layer = 0, .n_layers = e->n_layers};
    char upper[32];
    snprintf(upper, sizeof upper, e->n_layers > 2 ? "layers 1-%d" : "layer %d", e->n_layers - 1);
    SAY(s, "gemm_nn (layer 0, bias + activation in its epilogue), "
        "dense_tail (%s forward, the loss, every dz), gemm_tn_layers (every layer's dW with "
        "db%s): 3 launches",
        upper, p->sgd_fused.on ? " and the SGD update" : "");
}

static void update_step(struct plan_step *s, const struct plan *p, const struct experiment *e)
{
    const struct optim_spec *o = &e->train.optimizer;
    if (p->sgd_fused.on) {
        *s = (struct plan_step){.op = PLAN_UPDATE_FUSED};
        SAY(s, "none: plain SGD ran in the dW GEMMs");
        return;
    }
    *s = (struct plan_step){.op = PLAN_UPDATE};
    SAY(s, "%s over the whole parameter arena, one launch",
        o->kind == OPTIM_ADAM ? "adam_update"
        : o->momentum > 0     ? "sgd_momentum_update"
                              : "sgd_update");
    wrap_append(s->why, sizeof s->why, "fused SGD off: %s", p->sgd_fused.why);
}

int plan_steps(struct plan *p, const struct experiment *e, const struct model_shape *shape)
{
    if (p->graph.on)
        graph_steps(p, e, &shape->graph);
    for (int i = 0; !p->graph.on && i < e->n_layers; i++) {
        struct plan_step *s = &p->forward[p->n_forward++];
        *s = (struct plan_step){.op = PLAN_FORWARD, .layer = i, .n_layers = 1};
        forward_what(s, p, e);
    }
    for (int i = e->n_layers - 1; !p->graph.on && i >= 0; i--) {
        struct plan_step *s = &p->backward[p->n_backward++];
        *s = (struct plan_step){.op = PLAN_BACKWARD, .layer = i, .n_layers = 1};
        p->layers[i].backward = true;
        backward_what(s, p, e);
        if (!p->layers[i].need_dx)
            break;
    }
    if (p->dense_stack.on) {
        stack_step(&p->train[p->n_train++], p, e);
    } else {
        for (int i = 0; i < p->n_forward; i++)
            p->train[p->n_train++] = p->forward[i];
        struct plan_step *s = &p->train[p->n_train++];
        *s = (struct plan_step){.op = PLAN_LOSS};
        if (e->train.n_terms > 0)
            SAY(s, "%d loss terms, one launch each in the list's order (loss_term_classify, "
                "loss_term_rows) into their nodes' gradient slots, then loss_terms_total",
                e->train.n_terms);
        else
            SAY(s, "loss_forward_backward: softmax, %s and dz in one launch",
                loss_name(e->train.loss));
        for (int i = 0; i < p->n_backward; i++)
            p->train[p->n_train++] = p->backward[i];
    }
    update_step(&p->train[p->n_train++], p, e);
    return CLNET_OK;
}

enum { PLAN_COLUMNS = 96, PLAN_INDENT = 4 }; /* the printout's lines, continuations */

static void print_step(FILE *f, const struct plan_step *s, const struct experiment *e)
{
    static const char *const ops[] = {"forward", "loss", "backward", "forward+loss+backward",
                                      "update", "update"};
    char desc[96] = "", line[640] = "";
    if (s->n_layers == 1) {
        const struct layer_kind *k = layer_kind_find(e->layers[s->layer].type);
        if (k)
            k->describe(desc, sizeof desc, &e->layers[s->layer]);
        wrap_append(line, sizeof line, "layer %d (%s): ", s->layer,
                            desc[0] ? desc : layer_type_name(e->layers[s->layer].type));
    } else if (s->n_layers > 1) {
        wrap_append(line, sizeof line, "layers 0-%d (dense stack): ", s->n_layers - 1);
    }
    wrap_append(line, sizeof line, "%s", s->what);
    if (s->why[0])
        wrap_append(line, sizeof line, " [%s]", s->why);
    int col = fprintf(f, "  %-9s ", ops[s->op]);
    wrap_text(f, line, col, PLAN_INDENT, PLAN_COLUMNS);
}

static void print_choice(FILE *f, const char *name, const struct plan_choice *c)
{
    char line[512] = "";
    wrap_append(line, sizeof line, "%s: %s%s", name, c->on ? "on" : "off: ",
                        c->on ? "" : c->why);
    wrap_text(f, line, fprintf(f, "  "), PLAN_INDENT, PLAN_COLUMNS);
}

void plan_print(FILE *f, const struct plan *p, const struct experiment *e)
{
    char line[512] = "";
    wrap_append(line, sizeof line, "plan on %s: the %s path (%s), GEMM %s (%s)", p->dev.name,
                p->dev.path == RUNTIME_OPS_GPU ? "GPU" : "CPU", p->dev.path_why,
                p->dev.own_gemm ? "clnet's own" : "CLBlast", p->dev.gemm_why);
    wrap_text(f, line, 0, PLAN_INDENT, PLAN_COLUMNS);
    if (p->graph.on) { /* a stack's plan prints as it always did */
        line[0] = '\0';
        wrap_append(line, sizeof line, "graph: %s; model/graph_run.c runs each step's node "
                    "(a merge's inputs packed, a node's gradients summed in a fixed order)",
                    p->graph.why);
        wrap_text(f, line, 0, PLAN_INDENT, PLAN_COLUMNS);
    }
    if (p->needs.training) {
        fprintf(f, "training step (after the batch's gather):\n");
        for (int i = 0; i < p->n_train; i++)
            print_step(f, &p->train[i], e);
    }
    if (p->needs.training && !p->dense_stack.on) {
        fprintf(f, "evaluation: the forward steps above, in evaluation mode\n");
    } else {
        fprintf(f, "evaluation (forward only):\n");
        for (int i = 0; i < p->n_forward; i++)
            print_step(f, &p->forward[i], e);
    }
    fprintf(f, "fast paths:\n");
    print_choice(f, "bias + activation in the GEMM's epilogue", &p->epilogues);
    print_choice(f, "fused SGD (the update inside the dW GEMMs)", &p->sgd_fused);
    print_choice(f, "dense stack (an all-dense step in 3 launches)", &p->dense_stack);
    print_choice(f, "batch-minor tensors between conv layers", &p->batch_minor);
}
