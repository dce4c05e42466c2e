/* Status codes and the one error message of a failed call.
 *
 * Fallible functions return int: 0 on success, a negative code otherwise. OpenCL codes
 * (-1 .. -72) and CLBlast codes (-1024 .. -2048) pass through unchanged; clnet's own codes
 * sit at -10000 and below. The first failure records one message with its context
 * (file:line:col, the OpenCL call, the build log); later ones keep it, so the root cause is
 * what main prints. No exit() outside main.c. */
#ifndef CLNET_UTIL_STATUS_H
#define CLNET_UTIL_STATUS_H

enum clnet_status {
    CLNET_OK = 0,
    CLNET_ERR_USAGE = -10001,   /* bad command line (exit 2) */
    CLNET_ERR_CONFIG = -10002,  /* bad experiment file or --set (exit 2) */
    CLNET_ERR_DATA = -10003,    /* missing, truncated or corrupt data file (exit 2) */
    CLNET_ERR_DEVICE = -10004,  /* no device matches the spec, or none at all (exit 2) */
    CLNET_ERR_IO = -10005,      /* a file could not be read or written (exit 1) */
    CLNET_ERR_NOMEM = -10006,   /* host allocation failed (exit 1) */
    CLNET_ERR_BUILD = -10007,   /* a kernel did not compile (exit 1) */
    CLNET_ERR_DIVERGED = -10008, /* non-finite loss (exit 1) */
    CLNET_ERR_INTERNAL = -10009, /* a check that should not fail did (exit 1) */
    CLNET_ERR_INTERRUPTED = -10010, /* SIGINT/SIGTERM (exit 130) */
    CLNET_ERR_RUNS_FAILED = -10011, /* some runs of a sweep did not complete (exit 1) */
    CLNET_ERR_CHECK = -10012, /* gradcheck or selfcheck found a result beyond its tolerance
                                 (exit 1) */
};

/* Records msg (printf format) as the error message unless one is already recorded;
 * returns code, so `return clnet_errorf(CLNET_ERR_CONFIG, "...")` reads naturally. */
int clnet_errorf(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The recorded message, or "" when none. */
const char *clnet_error_message(void);

/* Forgets the recorded message (tests, and sweeps between runs). */
void clnet_error_clear(void);

/* Name of any status: "CL_OUT_OF_RESOURCES", "CLBlastInsufficientMemoryTemp",
 * "CLNET_ERR_CONFIG", or "unknown status -N". */
const char *clnet_status_name(int code);

/* Process exit code for a status: 0, 1 (run failed), 2 (bad usage, config or data), 130. */
int clnet_exit_code(int code);

#endif
