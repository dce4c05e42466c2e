/* Shared by the libFuzzer targets: a private scratch folder for inputs that the code under
 * test only reads from a path, and the checks every input must pass whatever it holds:
 * a rejected input fails with the expected bad-input status and exactly one non-empty line
 * of message; an accepted one leaves no message behind. A broken check aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#ifndef CLNET_FUZZ_UTIL_H
#define CLNET_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Aborts with the message when cond is false (kept in release builds, unlike assert). */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                               \
    } while (0)

void fuzz_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4), noreturn))
#endif
    ;

/* dir/name in the scratch folder (created on first use: /dev/shm when it exists, so the
 * writes and fsyncs cost little, else $TMPDIR or /tmp; removed at exit). The result is
 * malloc'd once per name and kept: call it with a handful of fixed names. */
const char *fuzz_path(const char *name);

/* Writes len bytes to path, replacing it; aborts when that fails (the harness is broken). */
void fuzz_write(const char *path, const void *data, size_t len);

/* The status of one call that must either succeed or reject its input as bad_code (or run
 * out of memory): checks the recorded message against it and clears it. */
void fuzz_check_status(int rc, int bad_code, const char *what);

#endif
