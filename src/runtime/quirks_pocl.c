/* The device quirks of PoCL's CPU device (runtime/quirks.h): its own program cache, its
 * compiling each kernel at its first launch (hence the cold start's compile helper,
 * quirks_pocl_helper.c), its workers' sleeping waits (runtime/spinwait.c makes them spin
 * first) and the worker count for a small step. Built with -Dpocl_quirks=true (the default). */
#include "runtime/quirks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cache.h"
#include "runtime/quirks_pocl.h"
#include "runtime/spinwait.h"
#include "util/fs.h"
#include "util/status.h"

const bool quirks_built = true;

/* The settings (quirks_configure); unconfigured, the defaults. */
static struct {
    long spin_us;       /* the bound of a spinning wait; 0 off */
    bool workers_given; /* the user set POCL_MAX_PTHREAD_COUNT */
    const char *pocl_cache_dir, *pocl_devices, *xdg_cache_home, *home;
} cfg = {SPINWAIT_DEFAULT_US, false, NULL, NULL, NULL, NULL};

void quirks_configure(const struct clnet_options *o)
{
    cfg.spin_us = o->spin_us == OPTIONS_UNSET ? SPINWAIT_DEFAULT_US : o->spin_us;
    cfg.workers_given = o->workers != OPTIONS_UNSET;
    cfg.pocl_cache_dir = o->pocl_cache_dir;
    cfg.pocl_devices = o->pocl_devices;
    cfg.xdg_cache_home = o->xdg_cache_home;
    cfg.home = o->home;
    quirks_helper_configure(o->compile_helper);
}

/* PoCL names itself in its platform name and version. */
static bool is_pocl(const struct runtime_device_info *d)
{
    return strcmp(d->platform_name, "Portable Computing Language") == 0 ||
           strstr(d->platform_version, "PoCL") != NULL;
}

/* PoCL's worker threads for a run: one when a training step is small, else PoCL's default
 * (one per core). PoCL 3.1's pthread device wakes every worker for every command and splits
 * each kernel's work-groups among them, so on the 2-core machine of bench/RESULTS.md every
 * small kernel of a step ran slower on two workers than on one (bias_act_forward 14 -> 20 us,
 * sgd_update 28 -> 50 us at 784 -> 200), and a whole dense step back to back was as fast or
 * faster on one worker, with the host thread enqueueing on the other core: 784 -> 10 1.13x,
 * 784 -> 200 -> 10 1.0-1.1x, the five-layer relu net 1.2-1.3x, 784 -> 400 -> 10 even
 * (bench/step_profile with POCL_MAX_PTHREAD_COUNT=1 and 2). The CNN (258 MFLOP a step) and the
 * 750-unit layer (357) trained faster on two: their kernels are long enough to share. With
 * the dense layers' elementwise passes and SGD inside the GEMMs (fewer, longer commands),
 * `clnet train` interleaved, 1000 iterations: 784 -> 400 -> 10 (191 MFLOP) 1130-1186 it/s on
 * one worker, 1233-1254 on two; 784 -> 200 -> 10 (95) 1968-2012 against 1747-1793; the
 * five-layer relu net (111) 1423-1434 against 1143-1146. Hence a line at 150 MFLOP of
 * training (3x the forward FLOPs) per step.
 * Most of that cost was the workers' sleeping between commands (a futex wake costs ~30 us
 * here); with their waits spinning first (runtime/spinwait.h) two workers were as fast as one
 * from 784 -> 50 -> 10 (24 MFLOP: 5493-5579 it/s against 5358-5589) and faster from
 * 784 -> 100 -> 10 (48: 3927-3995 against 3535-3652), 784 -> 200 -> 10 2420-2536 against
 * 2148-2197, the five-layer relu net 2823-2850 against 1707-1747 (3 rounds interleaved): the
 * line moves to 35 MFLOP when waits spin. */
#define SMALL_STEP_FLOPS 1.5e8
#define SMALL_STEP_FLOPS_SPINNING 3.5e7

int quirks_before_open(double step_flops)
{
    double line = cfg.spin_us > 0 ? SMALL_STEP_FLOPS_SPINNING : SMALL_STEP_FLOPS;
    if (!(step_flops > 0) || step_flops >= line || cfg.workers_given)
        return CLNET_OK;
    /* PoCL reads it at its first call; it takes effect only if OpenCL has not started in
     * this process. Other platforms ignore it. */
    if (setenv("POCL_MAX_PTHREAD_COUNT", "1", 0) != 0)
        return clnet_errorf(CLNET_ERR_NOMEM, "setenv POCL_MAX_PTHREAD_COUNT: out of memory");
    return CLNET_OK;
}

long quirks_device_opened(const struct runtime_device_info *d)
{
    /* PoCL's workers hand each other every command (spinwait.h); with one worker only the
     * host thread waits on it, and spinning is no gain there. */
    if (is_pocl(d) && d->type == RUNTIME_DEVICE_CPU && d->compute_units >= 2 &&
        spinwait_start("libpocl", cfg.spin_us))
        return cfg.spin_us;
    return 0;
}

/* PoCL keeps its own cache of both the programs and the per-launch work-group functions
 * ($POCL_CACHE_DIR, else ~/.cache/pocl), and asking PoCL for a program's binary makes it
 * compile every kernel's generic work-group function first (measured on this 2-core machine:
 * 21-22 s of CPU for all programs while cl/gemm.cl's gemm_nn and gemm_tn held all three tile
 * paths each, 7-8 s with one kernel per path; a cold start compiles only the kernels it
 * launches). */
bool quirks_driver_caches_programs(const struct runtime_device_info *d)
{
    return is_pocl(d);
}

bool quirks_compiles_at_launch(const struct runtime_device_info *d)
{
    return is_pocl(d) && d->type == RUNTIME_DEVICE_CPU;
}

/* PoCL gives up its CPU device when it cannot create its kernel cache folder
 * (XDG_CACHE_HOME=/proc, a read-only HOME), which would otherwise read as "no device". Asked
 * only once no device was found: creating the folder is what PoCL tried anyway. */
const char *quirks_no_device_hint(char *buf, size_t size)
{
    char dir[1024];
    if (cfg.pocl_cache_dir)
        snprintf(dir, sizeof dir, "%s", cfg.pocl_cache_dir);
    else if (cfg.xdg_cache_home)
        snprintf(dir, sizeof dir, "%s/pocl", cfg.xdg_cache_home);
    else if (cfg.home)
        snprintf(dir, sizeof dir, "%s/.cache/pocl", cfg.home);
    else
        return "";
    if (fs_mkdir_p(dir) == CLNET_OK)
        return "";
    snprintf(buf, size, " (PoCL's kernel cache folder %s cannot be made: %s; set POCL_CACHE_DIR "
             "or XDG_CACHE_HOME to a writable folder)", dir, clnet_error_message());
    clnet_error_clear();
    return buf;
}

uint64_t quirks_cache_key(uint64_t h)
{
    const char *vars[] = {cfg.pocl_devices, cfg.pocl_cache_dir, cfg.xdg_cache_home};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        h = cache_hash_string(h, vars[i] ? vars[i] : "");
    return h;
}

struct quirks_wait_counts quirks_wait_counts(void)
{
    struct spinwait_counts c = spinwait_counts();
    return (struct quirks_wait_counts){c.caught, c.spun_out};
}
