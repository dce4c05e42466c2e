/* summary.json's fields, gathered as the run goes: at its start (the device, the model's
 * plan, the start-up time), during it (evaluate.c, loop.c: results and times) and at its end
 * (status, rates, memory); and the lines that say what a run starts with. */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#include "data/epoch.h"
#include "runtime/quirks.h"
#include "util/status.h"

void summary_init(struct trainer *t)
{
    t->sum = (struct run_summary){.name = t->exp->name, .status = RUN_FAILED,
                                  .final_test_accuracy = NAN, .best_test_accuracy = NAN,
                                  .final_test_loss = NAN, .final_train_loss = NAN,
                                  .first_step_seconds = NAN, .best_on = evaluate_best_on(t->exp),
                                  .best_iteration = NAN, .best_test_loss = NAN,
                                  .validation_images = t->exp->data.validation,
                                  .final_val_accuracy = NAN, .final_val_loss = NAN,
                                  .best_val_accuracy = NAN, .best_val_loss = NAN,
                                  .stopped_early_at = NAN};
}

void summary_device(struct trainer *t)
{
    const struct runtime_device_info *d = runtime_device(t->s.rt);
    t->sum.device = d->name;
    t->sum.platform = d->platform_name;
    t->sum.device_compute_units = d->compute_units;
    t->sum.ops_path = runtime_ops_path_name(runtime_ops_path(t->s.rt));
    t->sum.sgd_fused = t->s.model.plan.sgd_fused.on;
    t->sum.dense_stack = t->s.model.plan.dense_stack.on;
    t->sum.parameters = (long long)t->s.model.n_params;
}

/* The fields known once the run has ended with status. */
void summary_fill(struct trainer *t, int status)
{
    t->sum.status = status == CLNET_OK                ? RUN_COMPLETED
                    : status == CLNET_ERR_DIVERGED    ? RUN_DIVERGED
                    : status == CLNET_ERR_INTERRUPTED ? RUN_INTERRUPTED
                                                      : RUN_FAILED;
    t->sum.message = status == CLNET_OK ? NULL : clnet_error_message();
    t->sum.config_hash = t->run.config_hash;
    t->sum.per_class_accuracy = t->plots.per_class_accuracy; /* NULL unless counted (plots.c) */
    t->sum.classes = t->plots.classes;
    /* Steps after the first: the first step's one-time costs (the driver loading or
     * compiling each kernel at its first launch, one wait) are first_step_seconds' part;
     * bench/torch_ref.py leaves out PyTorch's first step likewise. */
    double steps = (double)(t->sum.iterations - t->start), secs = t->sum.train_seconds;
    if (steps > 1 && secs > t->cold.first_step_train_seconds) {
        steps -= 1;
        secs -= t->cold.first_step_train_seconds;
    }
    t->sum.iterations_per_second = secs > 0 ? steps / secs : 0;
    struct rusage ru; /* this process's peak so far: a resumed run counts from its resume */
    t->sum.peak_host_rss_bytes = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss * 1024LL : 0;
    t->sum.device_bytes_allocated = t->s.rt ? (long long)runtime_bytes_allocated(t->s.rt) : 0;
    if (t->s.rt && runtime_stats(t->s.rt)->spin_us > 0) {
        struct quirks_wait_counts c = quirks_wait_counts();
        t->sum.spin_wait_us = runtime_stats(t->s.rt)->spin_us;
        t->sum.spin_waits_caught = (long long)c.caught;
        t->sum.spin_waits_spun_out = (long long)c.spun_out;
    }
    if (t->s.train.n > 0) /* the data was read */
        t->sum.epochs = epoch_count(t->sum.iterations, t->batch, t->s.train.n);
}

/* The run's first line: what trains, where, and question 4 (iv)'s numbers (the training set,
 * iterations per epoch, the epochs the run makes), or where a resumed run picks up. */
void summary_print_start(const struct trainer *t, long resume_at)
{
    const struct experiment *e = t->exp;
    const char *device = runtime_device(t->s.rt)->name;
    char epochs[256], at[48], total[48];
    int n = t->s.train.n;
    if (resume_at >= 0) {
        printf("%s: %s at iteration %ld of %ld (epoch %s of %s) from %s/checkpoint.bin on "
               "%s\n", e->name, t->run.continuing ? "continuing a run of fewer iterations"
                                                 : "resuming", resume_at, e->train.iterations,
               epoch_decimal(at, sizeof at, epoch_count(resume_at, t->batch, n), 2, EPOCH_TRIM),
               epoch_decimal(total, sizeof total, epoch_count(e->train.iterations, t->batch, n),
                             2, EPOCH_TRIM), t->run.dir, device);
        return;
    }
    epoch_line(epochs, sizeof epochs, n, t->batch, e->train.iterations);
    if (t->ranks.count > 1)
        printf("%s: %lld parameters, %ld iterations of %d (%d per rank on %d ranks) on %s; %s\n",
               e->name, t->sum.parameters, e->train.iterations, t->batch, t->ranks.rows,
               t->ranks.count, device, epochs);
    else
        printf("%s: %lld parameters, %ld iterations of %d on %s; %s\n", e->name,
               t->sum.parameters, e->train.iterations, t->batch, device, epochs);
}

/* summary.json's startup_seconds, and with --verbose where they went. */
void summary_startup(struct trainer *t)
{
    t->sum.startup_seconds = clock_seconds() - t->opt->process_start;
    if (!t->opt->verbose || t->opt->quiet)
        return;
    const struct runtime_stats *st = runtime_stats(t->s.rt);
    printf("%s: started in %.2f s; OpenCL %.2f s, of it %d kernel programs %.2f s (binary "
           "cache %s: %d loaded, %d built, %d rejected)\n", t->exp->name,
           t->sum.startup_seconds, st->open_seconds, st->programs, st->build_seconds,
           st->cache_enabled ? runtime_cache_dir(t->s.rt)
           : st->cache_driver ? "off, the driver caches itself"
                             : "off",
           st->cache_hits, st->cache_misses, st->cache_rejected);
    char split[512] = "";
    for (int i = 0, n = 0; i < PROGRAM_COUNT && n >= 0 && (size_t)n < sizeof split; i++)
        if (st->program_set & RUNTIME_PROGRAM(i))
            n += snprintf(split + n, sizeof split - (size_t)n, "%s%s %.2f s", n ? ", " : "",
                          program_file((enum program_id)i), st->program_seconds[i]);
    printf("%s: kernel programs: %s\n", t->exp->name, split);
    printf("%s: ops path %s (%s)\n", t->exp->name,
           runtime_ops_path_name(runtime_ops_path(t->s.rt)), runtime_ops_path_reason(t->s.rt));
    if (t->s.model.graph_run)
        printf("%s: a graph model (from:): the plain paths, without fused SGD, the dense stack "
               "or epilogues across layers (model/graph_run.c)\n", t->exp->name);
}
