/* The cold start: the compile helper (runtime/quirks.h), started before the trainer opens, and
 * its work (train_warm_kernels), the file-size limit a first run's kernel cache needs, and the
 * first step's timing, after which the helper is of no more use. */
#include "train/trainer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dist/dist.h"
#include "runtime/quirks.h"
#include "train/compile_helper.h"
#include "train/train.h"
#include "util/interrupt.h"
#include "util/status.h"

/* The compile helper's process (`clnet compile-helper`, runtime/quirks.h), started before the
 * training process's trainer_open. It opens a trainer of its own as the training process does
 * (the same programs, model and launch sizes, so PoCL's kernel cache keys match), building the
 * programs in reverse order so that the training process finds the last ones in the cache.
 * It notes in what order one training step first launches its kernels, enqueueing nothing,
 * then runs the step enqueueing only the launches of the second half of those kernels. The
 * training process meanwhile compiles the first half at their first launches and finds the
 * rest in the cache, ready or nearly. Its step computes nothing that is read: the kernels
 * skipped leave their outputs as they are, and every kernel bounds its reads by its size
 * arguments, not by data (the gather kernel and the loss check indices and labels). On a
 * device that compiles at build time it ends once the trainer is open. */
int train_warm_kernels(const struct experiment *e, const struct train_options *o)
{
    struct trainer t = {.exp = e, .opt = o};
    runtime_build_reversed(true);
    int status = trainer_open(&t);
    if (status == CLNET_OK && quirks_compiles_at_launch(runtime_device(t.s.rt))) {
        runtime_set_launch_mode(t.s.rt, RUNTIME_LAUNCH_RECORD, 0);
        status = trainer_step(&t, t.start, 0);
        runtime_set_launch_mode(t.s.rt, RUNTIME_LAUNCH_SKIP_FIRST,
                                runtime_kernels_launched(t.s.rt) / 2);
        if (status == CLNET_OK)
            status = trainer_step(&t, t.start, 0);
        if (status == CLNET_OK)
            status = runtime_finish(t.s.rt);
    }
    trainer_close(&t);
    return status;
}

/* A cold start writes every kernel it compiles into the driver's cache (PoCL: files of up to
 * about 1 MB here); under a smaller file-size limit the compiler inside the driver (PoCL's LLVM)
 * ends the process itself with its own message, and clnet never regains control. So a run
 * whose kernels no earlier run recorded compiled is refused, with clnet's line, under a limit
 * below COLD_START_FSIZE, and any run below WARM_START_FSIZE (PoCL writes each program's
 * preprocessed source, up to 0.96 MB here, on every start). Above those a run keeps its limit:
 * a checkpoint past it fails the run as a full disk does, keeping the last good one. */
#define COLD_START_FSIZE ((rlim_t)16 << 20)
#define WARM_START_FSIZE ((rlim_t)2 << 20)

static int check_cold_start_fsize(const struct trainer *t, bool recorded)
{
    struct rlimit r;
    rlim_t need = recorded ? WARM_START_FSIZE : COLD_START_FSIZE;
    if (getrlimit(RLIMIT_FSIZE, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= need)
        return CLNET_OK;
    return clnet_errorf(CLNET_ERR_USAGE, "%s: the file-size limit (ulimit -f) of %llu KiB is "
                        "below the %llu MiB %s into the OpenCL driver's kernel cache; raise "
                        "it%s", t->exp->path, (unsigned long long)(r.rlim_cur >> 10),
                        (unsigned long long)(need >> 20),
                        recorded ? "any run writes" : "a first run may write",
                        recorded ? "" : " for this run (later runs of this config find their "
                                        "kernels compiled)");
}

/* Starts the compile helper when the device's quirks want one, this is one process (not MPI
 * ranks) and no earlier run recorded these kernels compiled. Called on the main thread (the
 * helper is tied to it: util/parent.h). Every run that finds no record writes one after its
 * first step, helper or not. */
int cold_start_begin(struct trainer *t)
{
    t->cold.key = compile_helper_key(
        t->run.config_hash, runtime_device_spec(t->opt->device_flag, t->exp->device),
        t->opt->cl_dir);
    bool recorded = compile_helper_recorded(t->cold.key);
    t->cold.record = !recorded;
    int status = check_cold_start_fsize(t, recorded);
    if (status != CLNET_OK || !t->opt->helper_argv || !quirks_helper_wanted() ||
        dist_world()->size > 1)
        return status;
    bool verbose = t->opt->verbose && !t->opt->quiet;
    if (recorded) {
        if (verbose)
            printf("%s: no compile helper: an earlier run of this config compiled its kernels\n",
                   t->exp->name);
        return CLNET_OK;
    }
    t->cold.helper = quirks_helper_start(t->opt->helper_argv);
    if (t->cold.helper < 0) {
        if (verbose)
            printf("%s: no compile helper: %s\n", t->exp->name, strerror(errno));
        t->cold.helper = 0;
    }
    return CLNET_OK;
}

/* summary.json's first_step_seconds: process start to this process's first step finished,
 * which includes what the driver compiles at a kernel's first launch (PoCL: each kernel's
 * work-group function for its local size). One wait, at this step only. From here on a
 * signal checkpoints. */
int cold_start_first_step(struct trainer *t, struct progress *p, double chunk_start)
{
    int status = runtime_finish(t->s.rt);
    double now = clock_seconds();
    enum quirks_helper_end helper = quirks_helper_stop(t->cold.helper);
    t->cold.helper = 0;
    if (status == CLNET_OK && t->cold.record)
        compile_helper_record(t->cold.key);
    t->sum.first_step_seconds = now - t->opt->process_start;
    t->cold.first_step_train_seconds = now - chunk_start;
    static const char *const end[] = {
        [QUIRKS_HELPER_NONE] = "", [QUIRKS_HELPER_DONE] = " (compile helper: done)",
        [QUIRKS_HELPER_FAILED] = " (compile helper: failed)",
        [QUIRKS_HELPER_STOPPED] = " (compile helper: stopped)"};
    if (status == CLNET_OK && t->opt->verbose)
        progress_note(p, "%s: first step done %.2f s after start%s", t->exp->name,
                      t->sum.first_step_seconds, end[helper]);
    interrupt_set_immediate(false);
    return status;
}
