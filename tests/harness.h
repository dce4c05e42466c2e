/* Shared pieces of the Check suites: running a suite, temporary folders and files, and the
 * source tree's location (CLNET_SOURCE_ROOT, set by meson). */
#ifndef CLNET_TESTS_HARNESS_H
#define CLNET_TESTS_HARNESS_H

#include <check.h>
#include <stdbool.h>

/* Runs the suite (forking per test unless fork is false: device suites create OpenCL
 * objects, which must not cross a fork) and returns the process exit code. */
int harness_run(Suite *s, bool fork);

/* A fresh folder under $TMPDIR, removed at exit; returns a static-lifetime path. */
const char *harness_tmpdir(void);

/* Writes text to dir/name (dir may be NULL for the harness folder); returns the full path
 * (malloc'd and kept until the process exits, see harness_keep: do not free it). */
char *harness_write(const char *dir, const char *name, const char *text);

/* Writes len bytes to dir/name; same conventions. */
char *harness_write_bytes(const char *dir, const char *name, const void *data, size_t len);

/* $CLNET_SOURCE_ROOT/rel (malloc'd and kept, like harness_write's paths). */
char *harness_source_path(const char *rel);

/* Keeps p (malloc'd) reachable until the process exits and returns it, so that strings a
 * test never frees are not leaks to LeakSanitizer or valgrind, which then report only the
 * library's own. */
void *harness_keep(void *p);

/* "ASAN_OPTIONS=<the current ones>:fast_unwind_on_malloc=0" (static storage), for a clnet run
 * on empty PoCL caches: PoCL's kernel compiler leaks 16 bytes there, and LeakSanitizer's
 * frame-pointer unwinder cuts that stack at operator new, so the libpocl/libLLVM frames that
 * tests/sanitizer/lsan.supp names are not seen; unwound fully they are. Ignored outside a
 * sanitizer build. */
const char *harness_asan_full_unwind(void);

/* Tests that need plots, in a build without PLplot (CLNET_HAVE_PLOTS 0, see report/plot.h):
 * harness_add_plot_test adds test to tc in a build with plots, and otherwise prints one line
 * "skipped NAME: <why>" instead; harness_skip_without_plots exits 77 (meson's "skipped") with
 * that line in such a build, for an executable whose every test draws. */
#ifndef CLNET_HAVE_PLOTS
#define CLNET_HAVE_PLOTS 0
#endif
#define harness_add_plot_test(tc, test) harness_add_plot_test_((tc), (test), #test)
void harness_add_plot_test_(TCase *tc, const TTest *test, const char *name);
void harness_skip_without_plots(const char *suite);

/* A time limit of seconds on an ordinary build, scaled by $CLNET_TEST_TIME_SCALE where the
 * build or the run is slower by design (sanitizers, valgrind; set in tests/meson.build). */
double harness_time_limit(double seconds);

/* Joins the lines a printout wrapped (a newline and 4 spaces become one space), in place:
 * clnet's plan (model/plan_steps.c) wraps its long lines so. */
void harness_unwrap(char *text);

#endif
