/* SIGINT and SIGTERM as a request to stop cleanly: the first one sets a flag that long loops
 * poll between steps (training writes a checkpoint and exits 130); the handler then resets to
 * the default, so a second one ends the process at once. */
#ifndef CLNET_UTIL_INTERRUPT_H
#define CLNET_UTIL_INTERRUPT_H

#include <stdbool.h>

/* Installs the handlers (idempotent). Also ignores SIGXFSZ, so a file-size limit makes
 * write() fail with EFBIG, reported like a full disk, instead of killing the process, and
 * SIGPIPE, so a closed stdout (a pipe to `head`, a sweep that died) costs the progress lines,
 * not the run. */
void interrupt_install(void);

/* While on (from the start of `clnet train` until its first step has finished, where there is
 * nothing to checkpoint yet), SIGINT or SIGTERM ends the process at once: the handler removes
 * the temporary files registered below, writes one line and exits 130 (SIGINT) or 143
 * (SIGTERM), instead of waiting for the start-up (data, device, kernel compiles) to reach a
 * point that polls. Turning it on honours a signal already received. */
void interrupt_set_immediate(bool on);

/* The signal received (SIGINT or SIGTERM), or 0. */
int interrupt_requested(void);

/* 143 after SIGTERM, else 130: the exit code of an interrupted run. */
int interrupt_exit_code(void);

/* Registers a temporary file being written, for the handler to remove; returns a slot for
 * interrupt_temp_remove (called once the file is renamed or removed), or -1 when all slots
 * are taken (the file is then only left to the next run's clean-up). */
int interrupt_temp_add(const char *path);
void interrupt_temp_remove(int slot);

/* "SIGINT", "SIGTERM", or "a signal". */
const char *interrupt_signal_name(int sig);

#endif
