/* The execution plan (model/plan.h) for a few models on a few described devices: which fast
 * paths it takes, which it leaves off and why, each layer's part, and the steps a training
 * step runs. Host only: the devices are described, none is opened. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "harness.h"
#include "model/plan.h"
#include "util/status.h"

static const char *const dense3 = "model:\n"
                                  "  input: [784]\n"
                                  "  layers:\n"
                                  "    - dense: {units: 30, activation: sigmoid}\n"
                                  "    - dense: {units: 20, activation: relu}\n"
                                  "    - dense: {units: 10}\n"
                                  "train:\n"
                                  "  batch_size: 64\n"
                                  "  optimizer: {sgd: {lr: 0.1}}\n";

static const char *const cnn = "model:\n"
                               "  input: [1, 28, 28]\n"
                               "  layers:\n"
                               "    - conv2d: {filters: 4, size: 5, stride: 2, pad: 2}\n"
                               "    - conv2d: {filters: 6, size: 3, stride: 2, pad: 1}\n"
                               "    - flatten\n"
                               "    - dense: {units: 10}\n"
                               "train:\n"
                               "  batch_size: 16\n"
                               "  optimizer: {adam: {lr: 0.01}}\n";

static struct plan_device device(enum runtime_ops_path path, bool own_gemm)
{
    struct plan_device d = {.path = path, .own_gemm = own_gemm, .max_alloc_bytes = 1ull << 30};
    snprintf(d.name, sizeof d.name, "described");
    snprintf(d.path_why, sizeof d.path_why, path == RUNTIME_OPS_GPU ? "--ops-path" : "a CPU");
    snprintf(d.gemm_why, sizeof d.gemm_why, "the %s path", path == RUNTIME_OPS_GPU ? "GPU" : "CPU");
    return d;
}

struct planned {
    struct experiment e;
    struct model_shape shape;
    struct plan p;
};

/* The config text with `set` (key=value, or NULL) applied, planned on d for a run of `ranks`
 * ranks (0: evaluation's needs), with outputs_read_by set when `replay`. */
static struct planned *plan_of(const char *yaml, const char *set, const struct plan_device *d,
                               int ranks, bool replay)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "plan%d.yaml", n++);
    char *path = harness_write(harness_tmpdir(), name, yaml);
    struct planned *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    const char *sets[] = {set};
    clnet_error_clear();
    int status = config_load(&r->e, path, sets, set ? 1 : 0);
    if (status == CLNET_OK)
        status = shape_infer(&r->shape, &r->e);
    struct plan_needs needs = ranks ? plan_needs_train(&r->e, ranks, r->e.train.batch_size / ranks,
                                                       true, true)
                                    : plan_needs_eval;
    if (replay)
        needs.outputs_read_by = "the divergence replay";
    if (status == CLNET_OK)
        status = plan_build(&r->p, &r->e, &r->shape, d, &needs);
    ck_assert_msg(status == CLNET_OK, "%s", clnet_error_message());
    free(path);
    return r;
}

static void planned_free(struct planned *r)
{
    plan_free(&r->p);
    shape_free(&r->shape);
    experiment_free(&r->e);
    free(r);
}

static void off_because(const struct plan_choice *c, const char *why, const char *what)
{
    ck_assert_msg(!c->on, "%s is on", what);
    ck_assert_msg(strstr(c->why, why), "%s off because '%s', not '%s'", what, c->why, why);
}

/* The ops of the training step, in order, as letters: F forward, L loss, B backward, S stack,
 * U update, u fused update. */
static void steps_are(const struct plan *p, const char *want)
{
    char got[64] = "";
    for (int i = 0; i < p->n_train && i < 63; i++)
        got[i] = "FLBSUu"[p->train[i].op];
    ck_assert_str_eq(got, want);
}

START_TEST(all_dense_on_the_cpu_path_takes_every_fast_path)
{
    const struct plan_device cpu = device(RUNTIME_OPS_CPU, true);
    struct planned *r = plan_of(dense3, NULL, &cpu, 1, false);
    const struct plan *p = &r->p;
    ck_assert(p->epilogues.on && p->sgd_fused.on && p->dense_stack.on);
    steps_are(p, "Su");
    /* each dense layer's dz comes out of the GEMMs: the top's by identity, the others' from
     * the dx GEMM of the layer above, which the bottom layer does not run */
    for (int i = 0; i < 3; i++) {
        ck_assert(p->layers[i].own_gemm && p->layers[i].epilogue && p->layers[i].dz_ready);
        ck_assert(p->layers[i].sgd_fused);
        ck_assert_int_eq(p->layers[i].need_dx, i > 0);
        ck_assert_int_eq(p->layers[i].dx_act_grad, i > 0);
    }
    /* evaluation still runs the layers one by one */
    ck_assert_int_eq(p->n_forward, 3);
    ck_assert_int_eq(p->n_backward, 3);
    planned_free(r);
}
END_TEST

START_TEST(what_turns_fast_paths_off)
{
    const struct plan_device cpu = device(RUNTIME_OPS_CPU, true);
    struct planned *r = plan_of(dense3, "train.layer_stats=10", &cpu, 1, false);
    off_because(&r->p.dense_stack, "layer_stats reads the layers' outputs", "dense stack");
    off_because(&r->p.sgd_fused, "layer_stats reads the gradients", "fused SGD");
    ck_assert(r->p.epilogues.on);
    steps_are(&r->p, "FFFLBBBU");
    planned_free(r);

    r = plan_of(dense3, NULL, &cpu, 2, false); /* two MPI ranks average the gradients */
    off_because(&r->p.sgd_fused, "the ranks' averaging", "fused SGD");
    ck_assert(r->p.dense_stack.on);
    steps_are(&r->p, "SU");
    planned_free(r);

    r = plan_of(dense3, "train.optimizer.sgd.momentum=0.9", &cpu, 1, false);
    off_because(&r->p.sgd_fused, "SGD with momentum", "fused SGD");
    planned_free(r);

    r = plan_of(dense3, "model.layers.2.dense.activation=relu", &cpu, 1, false);
    off_because(&r->p.sgd_fused, "the top layer's relu", "fused SGD");
    off_because(&r->p.dense_stack, "the top layer's relu", "dense stack");
    ck_assert(!r->p.layers[2].dz_ready && r->p.layers[1].dz_ready);
    planned_free(r);

    r = plan_of(dense3, NULL, &cpu, 1, true); /* a divergence replay keeps the fused update */
    off_because(&r->p.dense_stack, "the divergence replay", "dense stack");
    ck_assert(r->p.sgd_fused.on);
    steps_are(&r->p, "FFFLBBBu");
    planned_free(r);

    r = plan_of(dense3, NULL, &cpu, 0, false);
    off_because(&r->p.dense_stack, "not training", "dense stack");
    off_because(&r->p.sgd_fused, "not training", "fused SGD");
    planned_free(r);

    struct plan_device small = cpu;
    small.max_alloc_bytes = 4096;
    r = plan_of(dense3, NULL, &small, 1, false);
    off_because(&r->p.dense_stack, "larger than the device allows", "dense stack");
    ck_assert(r->p.sgd_fused.on);
    planned_free(r);
}
END_TEST

/* --ops-path gpu: CLBlast, no epilogues, per-layer steps with the fusions valid on any device
 * (bias + activation in one 2-D kernel, the loss in one launch, the optimizer in one). */
START_TEST(the_gpu_path)
{
    const struct plan_device gpu = device(RUNTIME_OPS_GPU, false);
    struct planned *r = plan_of(dense3, NULL, &gpu, 1, false);
    const struct plan *p = &r->p;
    off_because(&p->epilogues, "CLBlast", "epilogues");
    off_because(&p->sgd_fused, "CLBlast", "fused SGD");
    off_because(&p->dense_stack, "CLBlast", "dense stack");
    steps_are(p, "FFFLBBBU");
    ck_assert_ptr_nonnull(strstr(p->train[0].what, "bias_act_forward_2d"));
    ck_assert_ptr_nonnull(strstr(p->train[3].what, "one launch"));
    ck_assert_ptr_nonnull(strstr(p->train[7].what, "sgd_update"));
    ck_assert_ptr_nonnull(strstr(p->train[7].what, "one launch"));
    for (int i = 0; i < 3; i++)
        ck_assert(!p->layers[i].own_gemm && !p->layers[i].dz_ready &&
                  !p->layers[i].dx_act_grad && !p->layers[i].sgd_fused);
    planned_free(r);

    /* --gemm own on the GPU path: the epilogues and the fused update ride in that GEMM, but
     * the dense stack's kernel is shaped for CPUs */
    const struct plan_device gpu_own = device(RUNTIME_OPS_GPU, true);
    r = plan_of(dense3, NULL, &gpu_own, 1, false);
    ck_assert(r->p.epilogues.on && r->p.sgd_fused.on);
    off_because(&r->p.dense_stack, "a shape for CPUs", "dense stack");
    steps_are(&r->p, "FFFLBBBu");
    planned_free(r);
}
END_TEST

START_TEST(conv_layouts_and_backward_steps)
{
    const struct plan_device cpu = device(RUNTIME_OPS_CPU, true);
    struct planned *r = plan_of(cnn, NULL, &cpu, 1, false);
    const struct plan *p = &r->p;
    ck_assert(p->batch_minor.on);
    ck_assert(!p->layers[0].x_batch_minor && p->layers[0].y_batch_minor);
    ck_assert(p->layers[1].x_batch_minor && !p->layers[1].y_batch_minor);
    /* the fusions there: y into the padded x above, the dx above as dz below */
    ck_assert(!p->layers[0].x_padded && p->layers[0].y_padded && p->layers[0].dy_is_dz);
    ck_assert(p->layers[1].x_padded && !p->layers[1].y_padded && p->layers[1].dx_dz);
    ck_assert(!p->layers[0].dx_dz && !p->layers[1].dy_is_dz);
    off_because(&p->dense_stack, "layer 0 is conv2d", "dense stack");
    off_because(&p->sgd_fused, "adam", "fused SGD");
    ck_assert(p->layers[3].dz_ready && p->layers[3].own_gemm); /* identity on top */
    steps_are(p, "FFFFLBBBBU");
    ck_assert(!p->layers[0].need_dx && p->layers[1].need_dx);
    planned_free(r);

    r = plan_of(cnn, NULL, &cpu, 1, true);
    off_because(&r->p.batch_minor, "the divergence replay reads", "batch-minor");
    ck_assert(!r->p.layers[0].y_batch_minor && !r->p.layers[1].x_batch_minor);
    ck_assert(!r->p.layers[0].y_padded && !r->p.layers[1].x_padded);
    ck_assert(!r->p.layers[0].dy_is_dz && !r->p.layers[1].dx_dz);
    planned_free(r);

    /* the GPU path keeps the layouts but fuses nothing between the layers */
    const struct plan_device gpu = device(RUNTIME_OPS_GPU, false);
    r = plan_of(cnn, NULL, &gpu, 1, false);
    ck_assert(r->p.layers[0].y_batch_minor && r->p.layers[1].x_batch_minor);
    ck_assert(!r->p.layers[0].y_padded && !r->p.layers[1].x_padded);
    ck_assert(!r->p.layers[0].dy_is_dz && !r->p.layers[1].dx_dz);
    planned_free(r);

    /* nothing below a flatten-then-dense model has parameters: one backward step */
    r = plan_of("model:\n  input: [1, 28, 28]\n  layers:\n    - flatten\n"
                "    - dense: {units: 10}\n", NULL, &cpu, 1, false);
    steps_are(&r->p, "FFLBU");
    ck_assert_int_eq(r->p.backward[0].layer, 1);
    ck_assert(!r->p.layers[1].need_dx);
    off_because(&r->p.dense_stack, "layer 0 is flatten, not dense", "dense stack");
    off_because(&r->p.sgd_fused, "layer 0 is flatten, not dense", "fused SGD");
    planned_free(r);

    /* one dense layer: the fused update, not the stack */
    r = plan_of("model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\n", NULL, &cpu, 1,
                false);
    steps_are(&r->p, "FLBu");
    off_because(&r->p.dense_stack, "2 or more layers", "dense stack");
    planned_free(r);
}
END_TEST

/* A graph is planned as its nodes: forward in the graph's order (b is listed after the add
 * that reads it, so it runs before it), backward in reverse for the nodes the loss's gradient
 * reaches and needs (not the branch that leads nowhere), and no fusion across layers. */
static const char *const graph = "model:\n"
                                 "  input: [784]\n"
                                 "  layers:\n"
                                 "    - dense: {units: 16, activation: relu, name: a}\n"
                                 "    - add: {from: [a, b], name: s}\n"
                                 "    - dense: {units: 16, activation: tanh, from: a, name: b}\n"
                                 "    - dense: {units: 5, from: input}\n"
                                 "    - dense: {units: 10, from: s}\n"
                                 "train:\n"
                                 "  optimizer: {sgd: {lr: 0.1}}\n";

/* The plan of graph with its needs changed by `input_grad`, on the CPU path, for training. */
static struct planned *graph_plan(const struct plan_device *d, bool input_grad)
{
    struct planned *r = plan_of(graph, NULL, d, 1, false);
    struct plan_needs needs = r->p.needs;
    needs.input_grad = input_grad;
    plan_free(&r->p);
    ck_assert_int_eq(plan_build(&r->p, &r->e, &r->shape, d, &needs), CLNET_OK);
    return r;
}

START_TEST(a_graph_is_planned_as_its_nodes)
{
    const struct plan_device cpu = device(RUNTIME_OPS_CPU, true);
    struct planned *r = graph_plan(&cpu, false);
    const struct plan *p = &r->p;
    ck_assert(p->graph.on);
    ck_assert_ptr_nonnull(strstr(p->graph.why, "graph (from:)"));
    steps_are(p, "FFFFFLBBBBU");
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(p->forward[k].layer, r->shape.graph.order[k]);
    ck_assert_int_eq(p->forward[1].layer, 2); /* b before the add that reads it */
    ck_assert_ptr_nonnull(strstr(p->forward[2].what, "copy_block packs a, b"));
    static const int down[4] = {4, 1, 2, 0}; /* layer 3 leads nowhere */
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(p->backward[k].layer, down[k]);
    ck_assert(!p->layers[3].backward && !p->layers[3].need_dx && p->layers[3].dx_buffer);
    ck_assert(!p->layers[0].need_dx && p->layers[1].need_dx && p->layers[2].need_dx);
    ck_assert_ptr_nonnull(strstr(p->backward[3].what, "sums its readers' gradients"));
    off_because(&p->sgd_fused, "graph", "fused SGD");
    off_because(&p->dense_stack, "graph", "dense stack");
    off_because(&p->batch_minor, "graph", "batch-minor");
    ck_assert(p->epilogues.on && p->layers[4].dz_ready && !p->layers[2].dz_ready);
    for (int i = 0; i < 5; i++)
        ck_assert(!p->layers[i].dx_act_grad && !p->layers[i].sgd_fused);
    planned_free(r);

    r = graph_plan(&cpu, true); /* the input's gradient: layer 0 computes dx */
    ck_assert(r->p.layers[0].need_dx && !r->p.layers[3].backward);
    planned_free(r);

    /* a stack asked for every node's gradient runs on the graph's executor */
    r = plan_of(dense3, NULL, &cpu, 0, false);
    struct plan_needs needs = r->p.needs;
    needs.node_grads = true;
    plan_free(&r->p);
    ck_assert_int_eq(plan_build(&r->p, &r->e, &r->shape, &cpu, &needs), CLNET_OK);
    ck_assert(r->p.graph.on && !r->p.layers[1].dx_act_grad);
    ck_assert_ptr_nonnull(strstr(r->p.graph.why, "output gradient"));
    planned_free(r);

    r = plan_of(dense3, NULL, &cpu, 1, false);
    off_because(&r->p.graph, "a stack", "graph");
    planned_free(r);
}
END_TEST

START_TEST(the_printout_says_why)
{
    const struct plan_device cpu = device(RUNTIME_OPS_CPU, true);
    struct planned *r = plan_of(dense3, "train.layer_stats=10", &cpu, 1, false);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    plan_print(f, &r->p, &r->e);
    fclose(f);
    harness_unwrap(text);
    ck_assert_msg(strstr(text, "dense stack (an all-dense step in 3 launches): off: "
                               "layer_stats reads the layers' outputs\n"), "%s", text);
    ck_assert_msg(strstr(text, "  forward   layer 1 (dense 20 relu): gemm_nn with bias + relu "
                               "in its epilogue"), "%s", text);
    ck_assert_msg(strstr(text, "  backward  layer 1 (dense 20 relu): dz from layer 2's dx "
                               "GEMM"), "%s", text);
    ck_assert_msg(strstr(text, "  update    sgd_update over the whole parameter arena, one launch "
                               "[fused SGD off: layer_stats reads the gradients]\n"), "%s", text);
    ck_assert_msg(strstr(text, "evaluation: the forward steps above"), "%s", text);
    free(text);
    planned_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, all_dense_on_the_cpu_path_takes_every_fast_path);
    tcase_add_test(tc, what_turns_fast_paths_off);
    tcase_add_test(tc, the_gpu_path);
    tcase_add_test(tc, conv_layouts_and_backward_steps);
    tcase_add_test(tc, the_printout_says_why);
    tcase_add_test(tc, a_graph_is_planned_as_its_nodes);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
