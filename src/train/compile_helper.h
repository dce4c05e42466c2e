/* A second process for a cold start on a device that compiles each kernel at its first launch
 * (PoCL's CPU devices: runtime_compiles_at_launch). Such a driver compiles on the one host
 * thread that reaches the launch, one kernel after another, and PoCL 3.1 holds a process-wide
 * lock over each compile; a process of its own, forked before OpenCL starts, compiles on the
 * other core into the same on-disk kernel cache, where the training process then finds what
 * it has not reached yet. train/train.c says what the helper runs (the second half of the
 * first step's kernels). It changes no result: the kernels are the same either way.
 *
 * A run starts one only when no earlier run of the same config on the same device spec and
 * kernel sources recorded (compile_helper_record, in clnet's cache folder) that its first step
 * had compiled everything: on a warm start the helper would only take the other core (measured
 * 0.1 s more to q5_iii's first step). A driver cache emptied behind clnet's back then means a
 * cold start without the helper, no other harm.
 *
 * CLNET_COMPILE_HELPER=0 turns it off, =1 on; unset, it is on when the machine has two or
 * more online processors. */
#ifndef CLNET_TRAIN_COMPILE_HELPER_H
#define CLNET_TRAIN_COMPILE_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether to start one, from CLNET_COMPILE_HELPER and the processors online; any other value
 * of the variable is CLNET_ERR_USAGE. */
int compile_helper_wanted(bool *want);

/* The key of a run's record: the config's resolved hash, the device spec, the cl/ folder
 * (NULL: the embedded sources, hashed) and the environment that changes which kernels or
 * driver cache a run uses (CLNET_CL_DIR, POCL_DEVICES, POCL_CACHE_DIR, XDG_CACHE_HOME). */
uint64_t compile_helper_key(uint64_t config_hash, const char *device_spec, const char *cl_dir);

/* Whether a record of key is in clnet's cache folder (runtime/cache.h: cache_dir); false when
 * the cache is off. */
bool compile_helper_recorded(uint64_t key);

/* Writes the record of key (nothing when the cache is off; a failure is ignored: the next
 * run then starts a helper it does not need). */
void compile_helper_record(uint64_t key);

/* Forks; the child runs body(arg) with its standard streams on /dev/null and SIGINT/SIGTERM
 * at their defaults, and exits (_exit: 0 when body returned 0). The child ends with the
 * calling process however that one ends, SIGKILL included (util/parent.h: on Linux
 * PR_SET_PDEATHSIG; elsewhere a thread of the child polls getppid()). Call it on the main
 * thread (the signal comes when the thread that forked ends), while the process has one
 * thread and OpenCL has not started. Returns the child's pid, or -1 when fork failed (errno
 * set; training goes on without a helper). */
pid_t compile_helper_start(int (*body)(void *), void *arg);

enum compile_helper_end {
    COMPILE_HELPER_NONE,    /* pid <= 0 */
    COMPILE_HELPER_DONE,    /* it had finished */
    COMPILE_HELPER_FAILED,  /* it had ended with an error (its messages went to /dev/null) */
    COMPILE_HELPER_STOPPED, /* it was still running */
};

/* Ends and reaps the helper (SIGKILL: once the training process's first step is done, what
 * the helper is still compiling is of no use to it) and says what had become of it. */
enum compile_helper_end compile_helper_stop(pid_t pid);

#endif
