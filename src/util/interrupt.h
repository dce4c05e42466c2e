/* SIGINT and SIGTERM as a request to stop cleanly: the first one sets a flag that long loops
 * poll between steps (training writes a checkpoint and exits 130); the handler then resets to
 * the default, so a second one ends the process at once. */
#ifndef CLNET_UTIL_INTERRUPT_H
#define CLNET_UTIL_INTERRUPT_H

/* Installs the handlers (idempotent). Also ignores SIGXFSZ, so a file-size limit makes
 * write() fail with EFBIG, reported like a full disk, instead of killing the process, and
 * SIGPIPE, so a closed stdout (a pipe to `head`, a sweep that died) costs the progress lines,
 * not the run. */
void interrupt_install(void);

/* The signal received (SIGINT or SIGTERM), or 0. */
int interrupt_requested(void);

/* "SIGINT", "SIGTERM", or "a signal". */
const char *interrupt_signal_name(int sig);

#endif
