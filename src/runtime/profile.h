/* Per-launch timing of a run (bench/net_profile): when switched on before runtime_open, the
 * runtime's queue is created with CL_QUEUE_PROFILING_ENABLE and every runtime_launch keeps its
 * event; runtime_close (after its clFinish) reads each event's queued, start and end times into
 * the process's list of launches, with the training step the launch belongs to.
 *
 * Off (the default) it costs a flag test per launch and per step mark: the queue is created as
 * before and no event is asked for. The training loop marks its steps (runtime_profile_step);
 * launches outside a step (evaluation, a chunk's loss reduction) get step -1. */
#ifndef CLNET_RUNTIME_PROFILE_H
#define CLNET_RUNTIME_PROFILE_H

#include <CL/cl.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/kernels.h"

struct runtime;

/* One launch as the device timed it (nanoseconds on the device's profiling clock). */
struct profile_launch {
    enum kernel_id kernel;
    long step;         /* the iteration of the training step that launched it, or -1 */
    unsigned dims;
    size_t global[3], local[3];
    cl_ulong queued, start, end;
};

/* Switches profiling on or off for the runtimes opened from now on in this process; cap is the
 * most launches kept (those past it are counted in *dropped of runtime_profile_launches, never
 * silently lost). */
void runtime_profile_enable(bool on, size_t cap);

/* The training step of iteration `iteration` begins (>= 0), or the current one ends (-1):
 * launches until the next mark belong to it. Nothing when profiling is off. */
void runtime_profile_step(struct runtime *rt, long iteration);

/* The launches read so far (by runtime_close), in launch order; *dropped: launches past the
 * cap. The list stays until runtime_profile_enable is called again. */
const struct profile_launch *runtime_profile_launches(size_t *n, size_t *dropped);

/* runtime.c's hooks: the queue's properties, and an event pointer for a launch (NULL when
 * off; the launch then keeps the event); runtime_close reads and releases the events. */
cl_command_queue_properties profile_queue_properties(void);
cl_event *profile_launch_event(struct runtime *rt, enum kernel_id id, unsigned dims,
                               const size_t *global, const size_t *local);
void profile_collect(struct runtime *rt);

#endif
