/* A forked child's life tied to its parent's, so that no process clnet starts (train's compile
 * helper, a sweep's runs) outlives the process that started it, however that one ended: a
 * SIGKILL of the parent runs no code of clnet's, so only the child itself can notice.
 *
 * On Linux the kernel does it: PR_SET_PDEATHSIG sends the child a signal when its parent ends.
 * Strictly, when the parent *thread* that forked ends: clnet forks only on the main thread,
 * which lives as long as the process (from a thread that ended earlier the child would get
 * its signal then). The setting survives execve (except of a set-user-ID program), so a
 * sweep's runs, which exec clnet, keep it; it is not inherited by the child's own children,
 * which are tied by their own parent_tie.
 *
 * Elsewhere there is no such call. parent_tie then starts a thread in the child that polls
 * getppid() every 0.1 s and sends the child the signal once the parent has gone (the child
 * is adopted by init, or a subreaper): the same, within 0.1 s, for a child that does not
 * exec (the compile helper). A thread does not survive execve, so there a sweep's runs are
 * not tied: a killed sweep's runs train on to their ends, or until stopped by hand. */
#ifndef CLNET_UTIL_PARENT_H
#define CLNET_UTIL_PARENT_H

#include <stdbool.h>
#include <sys/types.h>

/* Call in the child right after fork(), parent being getpid() read before the fork. Arranges
 * for sig to reach the child when the parent ends, then says whether the parent is still
 * there: it may have ended between the fork and the arrangement, and then no signal comes,
 * so on false the child must end itself. */
bool parent_tie(pid_t parent, int sig);

/* The fallback of other systems, built everywhere so that it is tested on Linux too: a
 * detached thread that sends the process sig once getppid() is no longer parent. False when
 * the thread could not be started (the child is then not tied). */
bool parent_watch(pid_t parent, int sig);

#endif
