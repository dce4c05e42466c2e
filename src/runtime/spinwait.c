/* runtime/spinwait.h: the exported pthread_cond_wait/_signal/_broadcast of clnet's executables
 * and the switch that makes one library's waits spin first. */
#define _GNU_SOURCE
#include "runtime/spinwait.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


typedef int (*wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*signal_fn)(pthread_cond_t *);

/* The C library's functions (or a sanitizer's interceptors of them), found on first use. */
static _Atomic(wait_fn) real_wait;
static _Atomic(signal_fn) real_signal, real_broadcast;

/* Where the spinning callers' code lies (PoCL: libpocl and its device modules), and the bound;
 * spin_ns 0: off. */
#define MAX_RANGES 8
static struct {
    _Atomic uintptr_t lo, hi;
} ranges[MAX_RANGES];
static _Atomic int n_ranges;
static _Atomic long spin_ns;
static _Atomic uint64_t count_caught, count_spun_out;

/* Signals bump one counter per slot; a spinner watches its condition variable's slot. Two
 * variables sharing a slot only cost spurious wake-ups, which waits may have anyway. */
#define SLOTS 64
static struct {
    _Atomic unsigned long seq;
    char pad[64 - sizeof(unsigned long)];
} slots[SLOTS];

/* The variable this thread last spun out on: its next wait there sleeps at once. */
static _Thread_local const pthread_cond_t *spun_out;

static void *next_symbol(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f)
        abort(); /* the C library always has it: a broken link, not a run-time condition */
    return f;
}

static wait_fn get_wait(void)
{
    wait_fn f = atomic_load_explicit(&real_wait, memory_order_acquire);
    if (!f) {
        void *p = next_symbol("pthread_cond_wait");
        memcpy(&f, &p, sizeof f); /* POSIX's way from dlsym's void * to a function */
        atomic_store_explicit(&real_wait, f, memory_order_release);
    }
    return f;
}

static signal_fn get_signal(_Atomic(signal_fn) *slot, const char *name)
{
    signal_fn f = atomic_load_explicit(slot, memory_order_acquire);
    if (!f) {
        void *p = next_symbol(name);
        memcpy(&f, &p, sizeof f);
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}

static _Atomic unsigned long *seq_of(const pthread_cond_t *cond)
{
    uintptr_t a = (uintptr_t)cond;
    return &slots[((a >> 6) ^ (a >> 12)) % SLOTS].seq;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether *seq moved off seen within ns nanoseconds. */
static bool spin(_Atomic unsigned long *seq, unsigned long seen, long ns)
{
    int64_t end = now_ns() + ns;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(seq, memory_order_acquire) != seen)
                return true;
            cpu_relax();
        }
        if (now_ns() >= end)
            return atomic_load_explicit(seq, memory_order_acquire) != seen;
    }
}

static bool spinning_caller(uintptr_t from)
{
    int n = atomic_load_explicit(&n_ranges, memory_order_relaxed);
    for (int i = 0; i < n; i++)
        if (from >= atomic_load_explicit(&ranges[i].lo, memory_order_relaxed) &&
            from < atomic_load_explicit(&ranges[i].hi, memory_order_relaxed))
            return true;
    return false;
}

int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    wait_fn wait = get_wait();
    long ns = atomic_load_explicit(&spin_ns, memory_order_acquire);
    if (ns <= 0 || !spinning_caller((uintptr_t)__builtin_return_address(0)))
        return wait(cond, mutex);
    if (spun_out == cond) {
        /* the caller re-checked its predicate under the mutex since the spin: sleep */
        spun_out = NULL;
        return wait(cond, mutex);
    }
    _Atomic unsigned long *seq = seq_of(cond);
    unsigned long seen = atomic_load_explicit(seq, memory_order_acquire);
    int err = pthread_mutex_unlock(mutex);
    if (err != 0)
        return err;
    bool caught = spin(seq, seen, ns);
    err = pthread_mutex_lock(mutex);
    if (caught) {
        atomic_fetch_add_explicit(&count_caught, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&count_spun_out, 1, memory_order_relaxed);
        spun_out = cond;
    }
    return err; /* a wake-up, spurious or not: the caller re-checks */
}

int pthread_cond_signal(pthread_cond_t *cond)
{
    atomic_fetch_add_explicit(seq_of(cond), 1, memory_order_release);
    return get_signal(&real_signal, "pthread_cond_signal")(cond);
}

int pthread_cond_broadcast(pthread_cond_t *cond)
{
    atomic_fetch_add_explicit(seq_of(cond), 1, memory_order_release);
    return get_signal(&real_broadcast, "pthread_cond_broadcast")(cond);
}

struct find {
    const char *part;
    int n;
    uintptr_t lo[MAX_RANGES], hi[MAX_RANGES];
};

/* dl_iterate_phdr's callback: the executable span of each object f->part names. */
static int find_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if ((f->part ? !strstr(name, f->part) : name[0] != '\0') || f->n == MAX_RANGES)
        return 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    if (hi > lo)
        f->lo[f->n] = lo, f->hi[f->n++] = hi;
    return f->part ? 0 : 1; /* the main program is the first object */
}

bool spinwait_start(const char *library_part, long us)
{
    spinwait_stop();
    struct find f = {.part = library_part};
    if (us <= 0)
        return false;
    dl_iterate_phdr(find_objects, &f);
    if (f.n == 0)
        return false;
    get_wait(); /* resolved before any spinning caller needs it */
    for (int i = 0; i < f.n; i++) {
        atomic_store_explicit(&ranges[i].lo, f.lo[i], memory_order_relaxed);
        atomic_store_explicit(&ranges[i].hi, f.hi[i], memory_order_relaxed);
    }
    atomic_store_explicit(&n_ranges, f.n, memory_order_relaxed);
    atomic_store_explicit(&spin_ns, us * 1000, memory_order_release);
    return true;
}

void spinwait_stop(void)
{
    atomic_store_explicit(&spin_ns, 0, memory_order_release);
}

struct spinwait_counts spinwait_counts(void)
{
    return (struct spinwait_counts){atomic_load(&count_caught), atomic_load(&count_spun_out)};
}
