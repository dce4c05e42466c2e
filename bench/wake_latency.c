/* How long a sleeping thread takes to wake on this machine: the cost PoCL's pthread device pays
 * whenever it hands a command to a worker that went to sleep (PoCL 3.1's workers wait on a
 * condition variable, bench/RESULTS.md). One thread on CPU 0 signals a condition variable every
 * 200 us; a thread on CPU 1 sleeps on it and records the time from the signal to its wake-up;
 * then the same with the waiter spinning on a flag instead (what OpenBLAS's and OpenMP's
 * threads do between jobs, and clnet's runtime/spinwait.c makes PoCL's do). Prints the median
 * and the 10th and 90th percentiles in us, and the median time the signalling thread spent in
 * pthread_cond_signal (the futex wake, paid on the signaller's own path):
 *     build/bench/wake_latency [ROUNDS]
 * This program does not link clnet's library, so its condition variables are the C library's. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_long seq, ack;
static _Atomic double sent;
static double *lat, *signal_cost;
static long rounds;
static int spin;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s); /* best effort: 1 CPU still runs */
}

static void *waiter(void *arg)
{
    (void)arg;
    pin(1);
    for (long seen = 0; seen < rounds;) {
        if (spin) {
            while (atomic_load(&seq) == seen)
                ;
        } else {
            pthread_mutex_lock(&mu);
            while (atomic_load(&seq) == seen)
                pthread_cond_wait(&cv, &mu);
            pthread_mutex_unlock(&mu);
        }
        seen = atomic_load(&seq);
        lat[seen - 1] = now() - atomic_load(&sent);
        atomic_store(&ack, seen);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 1000;
    if (rounds < 10) {
        fprintf(stderr, "usage: wake_latency [ROUNDS >= 10]\n");
        return 2;
    }
    lat = malloc((size_t)rounds * sizeof *lat);
    signal_cost = malloc((size_t)rounds * sizeof *signal_cost);
    if (!lat || !signal_cost) return 1;
    pin(0);
    for (spin = 0; spin < 2; spin++) {
        atomic_store(&seq, 0);
        atomic_store(&ack, 0);
        pthread_t t;
        if (pthread_create(&t, NULL, waiter, NULL) != 0) return 1;
        for (long i = 0; i < rounds; i++) {
            usleep(200);
            pthread_mutex_lock(&mu);
            atomic_store(&sent, now());
            atomic_store(&seq, i + 1);
            double t0 = now();
            pthread_cond_signal(&cv);
            signal_cost[i] = now() - t0;
            pthread_mutex_unlock(&mu);
            while (atomic_load(&ack) != i + 1)
                ;
        }
        pthread_join(t, NULL);
        qsort(lat, (size_t)rounds, sizeof *lat, cmp);
        qsort(signal_cost, (size_t)rounds, sizeof *signal_cost, cmp);
        printf("%-38s median %7.2f us, p10 %7.2f, p90 %7.2f (%ld wake-ups); "
               "pthread_cond_signal took %.2f us\n",
               spin ? "waiter spinning on a flag:" : "waiter asleep on a condition variable:",
               1e6 * lat[rounds / 2], 1e6 * lat[rounds / 10], 1e6 * lat[rounds * 9 / 10], rounds,
               1e6 * signal_cost[rounds / 2]);
    }
    free(lat);
    free(signal_cost);
    return 0;
}
