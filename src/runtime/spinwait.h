/* Spin-then-sleep condition-variable waits for one shared library's threads (PoCL's).
 *
 * PoCL 3.1's pthread device hands every command to its workers through pthread_cond_broadcast,
 * and a worker with nothing to do sleeps in pthread_cond_wait at once. On the 2-core virtual
 * machine of bench/RESULTS.md a futex wake costs the waking thread ~30 us and the sleeper wakes
 * ~70 us later (build/bench/wake_latency), so a second worker cost more than it gave on the
 * dense homework nets. clnet's executables define pthread_cond_wait, _signal and _broadcast
 * (exported with the linker's --dynamic-list, src/runtime/spinwait.syms): calls made from the
 * library named to spinwait_start first spin up to a bound on a counter the signal functions
 * bump, the way OpenMP's and OpenBLAS's threads wait; everything else goes straight to the C
 * library. A spin that ends without a signal returns as a spurious wake-up (POSIX allows it;
 * callers re-check their predicate under the mutex) and the caller's next wait sleeps. */
#ifndef CLNET_RUNTIME_SPINWAIT_H
#define CLNET_RUNTIME_SPINWAIT_H

#include <stdbool.h>
#include <stdint.h>

/* How long a wait spins by default, in microseconds (--spin-us / CLNET_SPIN_US, checked by
 * util/options.c, sets it; 0 turns spinning off). Part of the PoCL quirks unit
 * (runtime/quirks_pocl.c): not built with -Dpocl_quirks=false. */
#define SPINWAIT_DEFAULT_US 50

/* Makes waits called from the code of every loaded object whose path contains library_part
 * (NULL: the main program, for tests) spin up to us microseconds. Returns true when such an
 * object is mapped and us > 0, else turns spinning off and returns false. */
bool spinwait_start(const char *library_part, long us);

/* Turns spinning off (waits already spinning finish their spin). */
void spinwait_stop(void);

/* Waits since the process started that spun and were signalled while spinning, and that
 * spun out their bound and then slept. */
struct spinwait_counts {
    uint64_t caught, spun_out;
};
struct spinwait_counts spinwait_counts(void);

#endif
