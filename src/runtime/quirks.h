/* Device quirks: what clnet does for one driver's sake and for speed alone, behind hooks that
 * the runtime and training cores call at fixed points with neutral names. The unit that fills
 * them in is runtime/quirks_pocl.c (PoCL's CPU device: spinning waits, the worker-count rule,
 * the cold start's compile helper, its own kernel cache); `meson setup -Dpocl_quirks=false`
 * builds runtime/quirks_none.c instead, where every hook does nothing. Removing the unit costs
 * speed on PoCL, never correctness: no hook changes what a kernel computes, and the tests pass
 * with it off (scripts/test builds it so). docs/DESIGN.md, "Device quirks", says how to add one. */
#ifndef CLNET_RUNTIME_QUIRKS_H
#define CLNET_RUNTIME_QUIRKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/device.h"
#include "util/options.h"

/* Whether this build has a quirks unit (1) or quirks_none.c (0): tests that check a quirk's
 * effect expect none without it. */
extern const bool quirks_built;

/* The settings the quirks read (spin_us, compile_helper, workers, the driver's variables);
 * main calls it once. Unconfigured, every setting is its default. */
void quirks_configure(const struct clnet_options *o);

/* Before this process's first OpenCL call: settings a driver reads once, at its start.
 * step_flops: the FLOPs of one training step (3x the forward's per image, times the batch),
 * 0 when the process will not train. CLNET_ERR_NOMEM when the environment cannot grow. */
int quirks_before_open(double step_flops);

/* The device d is open: starts what its driver's threads need (the spinning waits) and
 * returns their spin bound in microseconds, 0 when none. */
long quirks_device_opened(const struct runtime_device_info *d);

/* Whether d's driver keeps its own cache of built programs, so that clnet's binary cache
 * would only cost time (runtime.c then leaves it off). */
bool quirks_driver_caches_programs(const struct runtime_device_info *d);

/* Whether d's driver compiles each kernel at its first launch rather than at the build, so a
 * cold start's compile helper has work to share. */
bool quirks_compiles_at_launch(const struct runtime_device_info *d);

/* Why no device may have been listed although a driver is installed, as text to append to
 * the "no device" message (starting with a space), or "". */
const char *quirks_no_device_hint(char *buf, size_t size);

/* h continued over the driver's settings that change which kernels a run finds compiled in
 * its cache (the key of a cold start's record, train/compile_helper.h). */
uint64_t quirks_cache_key(uint64_t h);

/* Waits that spun and were signalled while spinning, and that spun out and slept, since the
 * process started (summary.json). */
struct quirks_wait_counts {
    uint64_t caught, spun_out;
};
struct quirks_wait_counts quirks_wait_counts(void);

/* ---- the cold start's compile helper --------------------------------------------------------
 * A process of its own (`clnet compile-helper`, hidden), started with posix_spawn: no copy of
 * the training process, so none of an MPI rank's either. It compiles, into the driver's cache,
 * the kernels the training process reaches last (train_warm_kernels). */

/* Whether a cold start should start one (--compile-helper, else two or more processors). */
bool quirks_helper_wanted(void);

/* Starts /proc/self/exe argv (argv[1] "compile-helper"; "--parent PID" is added) with its
 * standard streams on /dev/null and SIGINT/SIGTERM at their defaults. Returns its pid, or -1
 * with errno set (training goes on without one). */
pid_t quirks_helper_start(const char *const *argv);

/* In the helper: ends it with parent, however parent ends (SIGKILL; util/parent.h). False when
 * parent has gone already: the helper then ends. */
bool quirks_helper_tie(pid_t parent);

enum quirks_helper_end {
    QUIRKS_HELPER_NONE,    /* pid <= 0 */
    QUIRKS_HELPER_DONE,    /* it had finished */
    QUIRKS_HELPER_FAILED,  /* it had ended with an error (its messages went to /dev/null) */
    QUIRKS_HELPER_STOPPED, /* it was still running */
};

/* Ends and reaps the helper (SIGKILL: once the first step is done, what it still compiles is
 * of no use) and says what had become of it. */
enum quirks_helper_end quirks_helper_stop(pid_t pid);

#endif
