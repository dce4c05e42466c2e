/* Per-launch timing (runtime/profile.h): the launches' events kept while a runtime is open,
 * read into plain records when it closes. One list for the process: bench/net_profile opens
 * one runtime at a time. */
#include "runtime/profile.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

struct pending {
    cl_event event;
    struct profile_launch launch;
};

static struct {
    bool on;
    size_t cap;
    long step; /* the step being enqueued, or -1 */
    struct pending *pending;
    size_t n_pending, pending_room;
    struct profile_launch *done;
    size_t n_done, done_room, dropped;
} prof = {.step = -1};

void runtime_profile_enable(bool on, size_t cap)
{
    free(prof.pending);
    free(prof.done);
    memset(&prof, 0, sizeof prof);
    prof.on = on;
    prof.cap = cap;
    prof.step = -1;
}

void runtime_profile_step(struct runtime *rt, long iteration)
{
    (void)rt;
    if (prof.on)
        prof.step = iteration;
}

const struct profile_launch *runtime_profile_launches(size_t *n, size_t *dropped)
{
    *n = prof.n_done;
    *dropped = prof.dropped;
    return prof.done;
}

cl_command_queue_properties profile_queue_properties(void)
{
    return prof.on ? CL_QUEUE_PROFILING_ENABLE : 0;
}

/* Room for one more entry of a growing array of `size`-byte entries; false: no memory. */
static bool grow(void **array, size_t *room, size_t n, size_t size)
{
    if (n < *room)
        return true;
    size_t more = *room ? 2 * *room : 4096;
    void *p = realloc(*array, more * size);
    if (!p)
        return false;
    *array = p;
    *room = more;
    return true;
}

cl_event *profile_launch_event(struct runtime *rt, enum kernel_id id, unsigned dims,
                               const size_t *global, const size_t *local)
{
    (void)rt;
    if (!prof.on)
        return NULL;
    if (prof.n_pending + prof.n_done >= prof.cap ||
        !grow((void **)&prof.pending, &prof.pending_room, prof.n_pending, sizeof *prof.pending)) {
        prof.dropped++;
        return NULL;
    }
    struct pending *p = &prof.pending[prof.n_pending++];
    memset(p, 0, sizeof *p);
    p->launch.kernel = id;
    p->launch.step = prof.step;
    p->launch.dims = dims;
    for (unsigned d = 0; d < dims && d < 3; d++) {
        p->launch.global[d] = global[d];
        p->launch.local[d] = local ? local[d] : 0;
    }
    return &p->event;
}

/* The event's time `what` (CL_PROFILING_COMMAND_*), or 0 when the driver has none. */
static cl_ulong event_time(cl_event e, cl_profiling_info what)
{
    cl_ulong t = 0;
    if (clGetEventProfilingInfo(e, what, sizeof t, &t, NULL) != CL_SUCCESS)
        return 0;
    return t;
}

void profile_collect(struct runtime *rt)
{
    (void)rt;
    for (size_t i = 0; i < prof.n_pending; i++) {
        struct pending *p = &prof.pending[i];
        if (!p->event) /* the enqueue failed: no launch to time */
            continue;
        clWaitForEvents(1, &p->event);
        p->launch.queued = event_time(p->event, CL_PROFILING_COMMAND_QUEUED);
        p->launch.start = event_time(p->event, CL_PROFILING_COMMAND_START);
        p->launch.end = event_time(p->event, CL_PROFILING_COMMAND_END);
        clReleaseEvent(p->event);
        if (grow((void **)&prof.done, &prof.done_room, prof.n_done, sizeof *prof.done))
            prof.done[prof.n_done++] = p->launch;
        else
            prof.dropped++;
    }
    prof.n_pending = 0;
}
