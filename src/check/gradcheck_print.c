/* gradcheck's report (gradcheck_internal.h): the header saying what was checked and how, a
 * row per tensor, the notes. */
#include "check/gradcheck_internal.h"

#include "runtime/device.h"

static void print_index(FILE *out, const struct tensor_result *t, size_t flat)
{
    int64_t idx[4];
    for (int k = t->rank - 1; k >= 0; k--) {
        idx[k] = (int64_t)flat % t->dims[k];
        flat /= (size_t)t->dims[k];
    }
    fprintf(out, "[");
    for (int k = 0; k < t->rank; k++)
        fprintf(out, "%s%lld", k ? ", " : "", (long long)idx[k]);
    fprintf(out, "]");
}

void gradcheck_print_row(FILE *out, const struct tensor_result *t)
{
    char checked[64];
    snprintf(checked, sizeof checked, "%zu of %zu", t->checked + t->skipped, t->total);
    fprintf(out, "  %-16s %-16s %-16s %5zu %5zu  %11.3g  %11.3g  %s\n", t->name, t->shape, checked,
            t->one_sided, t->skipped, t->max_abs, t->max_rel, t->ok ? "ok" : "FAIL");
    if (t->zero_inputs)
        fprintf(out,
                "      + %zu weights whose input is 0 in every row (gradient 0 by "
                "construction): compared with 0\n",
                t->zero_inputs);
    if (t->ok || t->worst == SIZE_MAX) return;
    fprintf(out, "      worst at ");
    print_index(out, t, t->worst);
    fprintf(out, ": device %.9g, finite difference %.9g\n", t->worst_device, t->worst_fd);
}

void gradcheck_print_header(struct gradcheck *g, int draw, size_t disagree)
{
    FILE *out = g->out;
    const struct runtime_device_info *d = runtime_device(g->rt);
    fprintf(out, "gradcheck %s on %s (%s)\n", g->e->name, d->name, d->platform_name);
    if (g->use_data) {
        fprintf(out, "inputs: %d training images of %s (", g->batch, g->e->data.dir);
        for (int b = 0; b < g->batch; b++)
            fprintf(out, "%s#%d label %d", b ? ", " : "", g->rows[b], g->labels[b]);
        fprintf(out, ")\n");
    } else {
        fprintf(out, "inputs: %d random rows, uniform in [0, 1), random labels (%s)\n", g->batch,
                g->source);
    }
    if (disagree > 0)
        fprintf(out,
                "inputs: warning: in all %d draws the device and the host put some units on "
                "different sides of a ReLU/step kink (%zu in the last): the device's forward "
                "pass differs from the host's, beyond rounding\n",
                MAX_DRAWS, disagree);
    else if (draw > 0)
        fprintf(out,
                "inputs: draw %d of %d: the earlier ones had a pre-activation within "
                "rounding of a ReLU/step kink\n",
                draw + 1, MAX_DRAWS);
    for (int i = 0; i < g->e->n_layers; i++)
        if (g->e->layers[i].type == LAYER_DROPOUT)
            fprintf(out, "dropout: layer %d runs with p = 0 (the identity) for the check\n", i);
    fprintf(out,
            "finite differences: in double on the host, central, h = %g; one-sided where "
            "the stencil would cross a ReLU/step kink or change a max pool's choice on one "
            "side, skipped where on both\n",
            GRADCHECK_STEP);
    fprintf(out,
            "relative error: |device - fd| / max(|device|, |fd|, %g x the tensor's largest "
            "|fd|); tolerance %g; tensors over %d values: %d of them, drawn with the "
            "config's seed\n",
            GRADCHECK_FLOOR, GRADCHECK_TOLERANCE, GRADCHECK_ELEMENTS, GRADCHECK_ELEMENTS);
}

void gradcheck_print_notes(struct gradcheck *g)
{
    for (int i = 0; i < g->e->n_layers; i++)
        if (g->h.layers[i].act == ACTIVATION_STEP)
            fprintf(g->out,
                    "note: layer %d uses the step activation: its derivative is 0 "
                    "wherever it exists, so no gradient flows through it\n",
                    i);
    if (g->classes == 1)
        fprintf(g->out,
                "note: the model has one output: %s over one class is the constant 0, "
                "so every gradient is 0\n",
                loss_name(g->e->train.loss));
}

