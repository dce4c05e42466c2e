/* A child tied to its parent ends within moments of the parent's end: with parent_tie (on
 * Linux PR_SET_PDEATHSIG) and with parent_watch, the polling fallback of other systems, which
 * is built and tested here too. A tie made after the parent is gone says so. */
#define _GNU_SOURCE
#include "util_tests.h"

#include "util/parent.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A child forks a grandchild that ties itself to the child (watch: by parent_watch) and then
 * sleeps 3 s holding a pipe's write end; the child exits once the tie is made. Returns the
 * seconds from the child's end to the pipe's end-of-file, which comes when the grandchild
 * has ended. */
static double grandchild_outlives_by(bool watch)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pid_t parent = getpid();
        if (fork() == 0) {
            signal(SIGTERM, SIG_DFL); /* Check's handler would pass it on to the test */
            bool tied = watch ? parent_watch(parent, SIGTERM) : parent_tie(parent, SIGTERM);
            if (!tied || write(fds[1], "t", 1) != 1)
                _exit(1);
            sleep(3);
            _exit(0);
        }
        char c;
        _exit(read(fds[0], &c, 1) == 1 ? 0 : 1); /* the tie is made */
    }
    close(fds[1]);
    int st = 0;
    waitpid(child, &st, 0);
    double t0 = now();
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the grandchild could not tie itself");
    char c;
    while (read(fds[0], &c, 1) > 0)
        ;
    close(fds[0]);
    return now() - t0;
}

START_TEST(tied_child_ends_with_parent)
{
    double late = grandchild_outlives_by(false);
    ck_assert_msg(late < 1.5, "parent_tie: the child outlived its parent by %.1f s", late);
}
END_TEST

START_TEST(watching_child_ends_with_parent)
{
    double late = grandchild_outlives_by(true);
    ck_assert_msg(late < 1.5, "parent_watch: the child outlived its parent by %.1f s", late);
}
END_TEST

START_TEST(tie_to_a_parent_gone_is_refused)
{
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) /* its own pid is not its parent's: as if the parent had gone */
        _exit(parent_tie(getpid(), SIGTERM) ? 1 : 0);
    int st = 0;
    waitpid(child, &st, 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "parent_tie: a gone parent not seen");
}
END_TEST

void add_parent_tests(Suite *s)
{
    TCase *tc = tcase_create("parent");
    tcase_add_test(tc, tied_child_ends_with_parent);
    tcase_add_test(tc, watching_child_ends_with_parent);
    tcase_add_test(tc, tie_to_a_parent_gone_is_refused);
    suite_add_tcase(s, tc);
}
