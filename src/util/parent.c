/* A child's life tied to its parent's (see parent.h). */
#include "util/parent.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* What the watching thread watches: one per process (it runs in a freshly forked child). */
static struct {
    pid_t parent;
    int sig;
} watched;

static void *watch(void *arg)
{
    (void)arg;
    while (getppid() == watched.parent)
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    kill(getpid(), watched.sig); /* to the process, as the kernel's PR_SET_PDEATHSIG does */
    return NULL;
}

bool parent_watch(pid_t parent, int sig)
{
    watched.parent = parent;
    watched.sig = sig;
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0)
        return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool started = pthread_create(&thread, &attr, watch, NULL) == 0;
    pthread_attr_destroy(&attr);
    return started;
}

bool parent_tie(pid_t parent, int sig)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, sig); /* fails only for an invalid signal */
#else
    parent_watch(parent, sig);
#endif
    /* A parent that ended before prctl sent nothing: the child was adopted already. */
    return getppid() == parent;
}
