/* Selfcheck's layer cases (selfcheck_cases.h): every kind's examples (layer_kind.examples),
 * each built as a model of two layers, an identity activation and then the example, so that
 * the examined layer has a layer below it and makes its input gradient. Its forward (training
 * mode) and backward run on the device on seeded random inputs, parameters and output
 * gradients, and are compared with the kind's host reference in double: y, the state the
 * training forward updates, dx and the layer's parameter gradients (the gradient arena is
 * filled with NaN first, so a value the backward fails to write cannot pass), then y of a
 * forward in evaluation's mode, which reads that state. A kind's line ("layer NAME") counts
 * its cases; the kernels of a kind with a program of its own (OWN_CL in layers/kinds.def) are
 * counted by them as well. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/selfcheck_cases.h"
#include "model/model.h"
#include "ops/ops.h"
#include "util/status.h"

#define TOL 1e-5 /* relative to the output's largest |value|: float sums against double */
enum { BATCH = 3 };

/* The lines a kind's forward (backward false) or backward comparisons count for. */
static uint64_t kind_lines(enum layer_type t, bool backward)
{
    uint64_t lines = SC_EXTRA(SELFCHECK_EXTRA_COUNT + (int)t);
    switch (t) {
#define KIND_LINES_OWN_CL(ENUM)                                                                \
    case LAYER_##ENUM:                                                                         \
        return lines | SC_LINE(backward ? KERNEL_##ENUM##_BACKWARD : KERNEL_##ENUM##_FORWARD);
#define KIND_LINES_SHARED_CL(ENUM)
#define LAYER_KIND(ENUM, name, form, cl) KIND_LINES_##cl(ENUM)
#include "layers/kinds.def"
#undef LAYER_KIND
    default:
        return lines;
    }
}

/* n values widened to double (freed by the caller); NULL after a failure. */
static double *widen(struct sc *c, const float *v, size_t n)
{
    double *d = v && c->status == CLNET_OK ? malloc((n ? n : 1) * sizeof *d) : NULL;
    if (v && c->status == CLNET_OK && !d)
        c->status = clnet_errorf(CLNET_ERR_NOMEM, "selfcheck: out of host memory");
    for (size_t i = 0; d && i < n; i++)
        d[i] = v[i];
    return d;
}

/* want (double) narrowed into a host float array of n values. */
static float *narrow(struct sc *c, const double *want, size_t n)
{
    float *v = want ? sc_host(c, n, 0.0f, 0.0f) : NULL;
    for (size_t i = 0; v && i < n; i++)
        v[i] = (float)want[i];
    return v;
}

static void compare(struct sc *c, uint64_t lines, const char *what, const char *part,
                    const float *got, const double *want, size_t n)
{
    char label[96];
    float *w = narrow(c, want, n);
    snprintf(label, sizeof label, "%s %s", what, part);
    if (w) sc_compare(c, lines, label, got, w, n, sc_scale(w, n), TOL);
}

struct layer_run {
    struct model m;
    struct layer *l;
    float *params, *x, *dy;
    double *params_d, *x_d, *y_d, *dy_d, *dx_d, *grads_d, *state_d;
    cl_mem x_dev, dy_dev;
};

/* The state arena downloaded and widened (for the host reference); NULL when there is none. */
static double *state_now(struct sc *c, struct layer_run *r)
{
    float *got = r->m.n_state && c->status == CLNET_OK ?
                 sc_download(c, r->m.state, r->m.n_state) : NULL;
    return widen(c, got, r->m.n_state);
}

/* The forward in training mode: y, and the state it updates. */
static void run_forward(struct sc *c, struct layer_run *r, const char *what)
{
    struct layer *l = r->l;
    cl_mem y = NULL;
    size_t n_out = BATCH * l->out_size;
    if (c->status == CLNET_OK) c->status = model_upload_params(&r->m, r->params);
    r->state_d = state_now(c, r);
    if (c->status == CLNET_OK) c->status = l->kind->forward(l, &r->m, &y, r->x_dev, BATCH, true);
    float *got = c->status == CLNET_OK ? sc_download(c, y, n_out) : NULL;
    float *got_state = r->m.n_state && got ? sc_download(c, r->m.state, r->m.n_state) : NULL;
    r->params_d = widen(c, r->params, r->m.n_params);
    r->x_d = widen(c, r->x, BATCH * l->in_size);
    r->y_d = c->status == CLNET_OK ? malloc(n_out * sizeof *r->y_d) : NULL;
    if (!got || !r->params_d || !r->x_d || !r->y_d) return;
    l->kind->host_forward(l, &r->m, r->params_d, r->state_d, r->x_d, r->y_d, BATCH, true, NULL);
    compare(c, kind_lines(l->spec->type, false), what, "y", got, r->y_d, n_out);
    if (got_state && r->state_d)
        compare(c, kind_lines(l->spec->type, false), what, "state", got_state, r->state_d,
                r->m.n_state);
}

/* The forward in evaluation's mode, from the state the training forward left. */
static void run_eval(struct sc *c, struct layer_run *r, const char *what)
{
    struct layer *l = r->l;
    cl_mem y = NULL;
    size_t n_out = BATCH * l->out_size;
    if (c->status == CLNET_OK) c->status = l->kind->forward(l, &r->m, &y, r->x_dev, BATCH, false);
    float *got = c->status == CLNET_OK ? sc_download(c, y, n_out) : NULL;
    if (!got || !r->params_d || !r->x_d || !r->y_d || (r->m.n_state && !r->state_d)) return;
    l->kind->host_forward(l, &r->m, r->params_d, r->state_d, r->x_d, r->y_d, BATCH, false, NULL);
    compare(c, kind_lines(l->spec->type, false), what, "y (evaluation)", got, r->y_d, n_out);
}

static void run_backward(struct sc *c, struct layer_run *r, const char *what)
{
    struct layer *l = r->l;
    size_t n_out = BATCH * l->out_size, n_in = BATCH * l->in_size, p = r->m.n_params;
    cl_mem dx = NULL;
    if (p > 0 && c->status == CLNET_OK) c->status = op_fill(c->rt, r->m.grads, 0, p, NAN);
    if (c->status == CLNET_OK)
        c->status = l->kind->backward(l, &r->m, &dx, r->x_dev, r->dy_dev, BATCH, true);
    float *got_dx = c->status == CLNET_OK ? sc_download(c, dx, n_in) : NULL;
    float *got_g = p > 0 && got_dx ? sc_download(c, r->m.grads, p) : NULL;
    r->dy_d = widen(c, r->dy, n_out);
    r->dx_d = c->status == CLNET_OK ? malloc(n_in * sizeof *r->dx_d) : NULL;
    r->grads_d = c->status == CLNET_OK ? calloc(p ? p : 1, sizeof *r->grads_d) : NULL;
    if (!got_dx || !r->dy_d || !r->dx_d || !r->grads_d || !r->y_d) return;
    l->kind->host_backward(l, &r->m, r->params_d, r->x_d, r->y_d, r->dy_d, r->dx_d, r->grads_d,
                           BATCH);
    uint64_t lines = kind_lines(l->spec->type, true);
    compare(c, lines, what, "dx", got_dx, r->dx_d, n_in);
    if (got_g) compare(c, lines, what, "parameter gradients", got_g, r->grads_d, p);
}

static void check_example(struct sc *c, const struct layer_example *ex)
{
    struct layer_spec layers[2] = {{.type = LAYER_ACTIVATION}, ex->spec};
    struct experiment e = {.path = "selfcheck", .name = "selfcheck", .seed = 1,
                           .input_rank = ex->rank, .n_layers = 2, .layers = layers};
    memcpy(e.input, ex->input, sizeof e.input);
    struct layer_run r = {0};
    c->status = model_build(&r.m, c->rt, &e, BATCH);
    if (c->status != CLNET_OK) return;
    r.m.step = 7;
    r.l = &r.m.layers[1];
    r.params = sc_host(c, r.m.n_params, 1.0f, 0.0f);
    r.x = sc_host(c, BATCH * r.l->in_size, 1.0f, 0.0f);
    r.dy = sc_host(c, BATCH * r.l->out_size, 1.0f, 0.0f);
    r.x_dev = r.x ? sc_buffer(c, r.x, BATCH * r.l->in_size * sizeof *r.x) : NULL;
    r.dy_dev = r.dy ? sc_buffer(c, r.dy, BATCH * r.l->out_size * sizeof *r.dy) : NULL;
    char what[96];
    snprintf(what, sizeof what, "%s %s B=%d", ex->spec.type < LAYER_TYPE_COUNT ?
             layer_type_name(ex->spec.type) : "?", ex->what, BATCH);
    run_forward(c, &r, what);
    run_backward(c, &r, what);
    run_eval(c, &r, what); /* after the backward, which reads what the training forward kept */
    if (c->status == CLNET_OK) c->status = runtime_finish(c->rt);
    free(r.params_d), free(r.x_d), free(r.y_d), free(r.dy_d), free(r.dx_d), free(r.grads_d);
    free(r.state_d);
    model_free(&r.m);
    sc_release(c);
}

int selfcheck_layers(struct sc *c)
{
    for (int t = 0; t < LAYER_TYPE_COUNT && c->status == CLNET_OK; t++) {
        const struct layer_kind *k = layer_kind_find((enum layer_type)t);
        for (int i = 0; i < k->n_examples && c->status == CLNET_OK; i++)
            check_example(c, &k->examples[i]);
    }
    return c->status;
}
