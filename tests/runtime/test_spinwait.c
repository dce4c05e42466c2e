/* runtime/spinwait.h (the PoCL quirks unit; CLNET_SPIN_US's parsing is util/options.c's, tested
 * in tests/util): condition-variable hand-offs that must never
 * lose a wake-up whether the waits spin and catch the signal, spin out and sleep, or do not
 * spin at all. The waits here are called from the test program itself, which spinwait_start
 * names with NULL. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/spinwait.h"
#include "runtime_tests.h"
#include "util/status.h"

/* Two threads hand a token back and forth `rounds` times, each waiting for its turn on its own
 * condition variable; a third condition variable, broadcast at the end, releases `sleepers`
 * threads waiting on it. Returns once everything finished; a lost wake-up hangs (the test's
 * timeout). */
struct pingpong {
    pthread_mutex_t mu;
    pthread_cond_t turn[2], done_cv;
    long token, rounds;
    int done, released;
    long delay_ns; /* each hand-off waits this long before it signals */
};

static void nap(long ns)
{
    if (ns > 0) {
        struct timespec t = {ns / 1000000000, ns % 1000000000};
        nanosleep(&t, NULL);
    }
}

static void play(struct pingpong *p, int me)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->token < p->rounds && p->token % 2 != me)
            pthread_cond_wait(&p->turn[me], &p->mu);
        if (p->token >= p->rounds)
            break;
        pthread_mutex_unlock(&p->mu);
        nap(p->delay_ns);
        pthread_mutex_lock(&p->mu);
        p->token++;
        pthread_cond_signal(&p->turn[1 - me]);
    }
    pthread_cond_signal(&p->turn[1 - me]);
    pthread_mutex_unlock(&p->mu);
}

static void *player_one(void *arg)
{
    play(arg, 1);
    return NULL;
}

static void *sleeper(void *arg)
{
    struct pingpong *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->done)
        pthread_cond_wait(&p->done_cv, &p->mu);
    p->released++;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static struct spinwait_counts pingpong(long rounds, long delay_ns)
{
    enum { SLEEPERS = 3 };
    struct pingpong p = {.rounds = rounds, .delay_ns = delay_ns};
    pthread_mutex_init(&p.mu, NULL);
    for (int i = 0; i < 2; i++)
        pthread_cond_init(&p.turn[i], NULL);
    pthread_cond_init(&p.done_cv, NULL);
    struct spinwait_counts before = spinwait_counts();
    pthread_t one, sleepers[SLEEPERS];
    for (int i = 0; i < SLEEPERS; i++)
        ck_assert_int_eq(pthread_create(&sleepers[i], NULL, sleeper, &p), 0);
    ck_assert_int_eq(pthread_create(&one, NULL, player_one, &p), 0);
    play(&p, 0);
    pthread_join(one, NULL);
    nap(delay_ns);
    pthread_mutex_lock(&p.mu);
    p.done = 1;
    pthread_cond_broadcast(&p.done_cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < SLEEPERS; i++)
        pthread_join(sleepers[i], NULL);
    ck_assert_int_eq(p.token, rounds);
    ck_assert_int_eq(p.released, SLEEPERS);
    struct spinwait_counts after = spinwait_counts();
    for (int i = 0; i < 2; i++)
        pthread_cond_destroy(&p.turn[i]);
    pthread_cond_destroy(&p.done_cv);
    pthread_mutex_destroy(&p.mu);
    return (struct spinwait_counts){after.caught - before.caught,
                                    after.spun_out - before.spun_out};
}

/* pingpong with waits spinning up to us microseconds; prints what they did. */
static struct spinwait_counts spun_pingpong(long us, long rounds, long delay_ns)
{
    ck_assert(spinwait_start(NULL, us));
    struct spinwait_counts c = pingpong(rounds, delay_ns);
    spinwait_stop();
    printf("spin wait, %ld us bound, %ld hand-offs %ld us apart: %llu caught, %llu spun out\n",
           us, rounds, delay_ns / 1000, (unsigned long long)c.caught,
           (unsigned long long)c.spun_out);
    return c;
}

/* Spinning long: most hand-offs are caught while spinning. */
START_TEST(spin_catches)
{
    struct spinwait_counts c = spun_pingpong(20000, 5000, 0);
    ck_assert_msg(c.caught > 0, "no wait caught a signal while spinning");
}
END_TEST

/* Spinning 2 us against hand-offs 2 ms apart: every wait spins out, then sleeps, and is woken. */
START_TEST(spin_outs_then_sleeps)
{
    struct spinwait_counts c = spun_pingpong(2, 40, 2000000);
    ck_assert_msg(c.spun_out >= 20, "only %llu waits spun out", (unsigned long long)c.spun_out);
}
END_TEST

/* Off (stopped, a bound of 0, or an object that is not loaded): nothing spins. */
START_TEST(spin_off)
{
    ck_assert(!spinwait_start("no-such-object-is-loaded", 50));
    struct spinwait_counts c = pingpong(2000, 0);
    ck_assert(!spinwait_start(NULL, 0));
    struct spinwait_counts z = pingpong(2000, 0);
    ck_assert(spinwait_start(NULL, 50));
    spinwait_stop();
    struct spinwait_counts s = pingpong(2000, 0);
    ck_assert_msg(c.caught + c.spun_out + z.caught + z.spun_out + s.caught + s.spun_out == 0,
                  "waits spun while off");
}
END_TEST

TCase *runtime_spinwait_tcase(void)
{
    TCase *tc = tcase_create("spinwait");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, spin_catches);
    tcase_add_test(tc, spin_outs_then_sleeps);
    tcase_add_test(tc, spin_off);
    return tc;
}
