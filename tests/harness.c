/* Test harness shared by the Check suites (see harness.h). */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/plot.h"

static char tmp_root[4096];

static void remove_tmp(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (tmp_root[0] && system(cmd) != 0)
        fprintf(stderr, "harness: could not remove %s\n", tmp_root);
}

static pid_t tmp_owner;

static void remove_tmp_if_owner(void)
{
    if (getpid() == tmp_owner)
        remove_tmp();
}

const char *harness_tmpdir(void)
{
    if (!tmp_root[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_root, sizeof tmp_root, "%s/clnet-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmp_root)) {
            perror("mkdtemp");
            abort();
        }
        tmp_owner = getpid();
        atexit(remove_tmp_if_owner);
    }
    return tmp_root;
}

void *harness_keep(void *p)
{
    static void **kept;
    static size_t n_kept, cap_kept;
    if (n_kept == cap_kept) {
        cap_kept = cap_kept ? 2 * cap_kept : 64;
        if (!(kept = realloc(kept, cap_kept * sizeof *kept)))
            abort();
    }
    kept[n_kept++] = p;
    return p;
}

const char *harness_asan_full_unwind(void)
{
    static char env[1024];
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(env, sizeof env, "ASAN_OPTIONS=%s%sfast_unwind_on_malloc=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    return env;
}

double harness_time_limit(double seconds)
{
    const char *scale = getenv("CLNET_TEST_TIME_SCALE");
    double k = scale ? strtod(scale, NULL) : 1.0;
    return k >= 1.0 ? seconds * k : seconds;
}

char *harness_write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir ? dir : harness_tmpdir(), name) < 0)
        abort();
    harness_keep(path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

char *harness_write(const char *dir, const char *name, const char *text)
{
    return harness_write_bytes(dir, name, text, strlen(text));
}

char *harness_source_path(const char *rel)
{
    const char *root = getenv("CLNET_SOURCE_ROOT");
    char *path = NULL;
    if (asprintf(&path, "%s/%s", root ? root : ".", rel) < 0)
        abort();
    return harness_keep(path);
}

int harness_run(Suite *s, bool fork)
{
    SRunner *sr = srunner_create(s);
    if (!fork)
        srunner_set_fork_status(sr, CK_NOFORK);
    harness_tmpdir();
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void harness_add_plot_test_(TCase *tc, const TTest *test, const char *name)
{
    if (CLNET_HAVE_PLOTS)
        tcase_add_test(tc, test);
    else
        printf("skipped %s: %s\n", name, PLOT_NONE_MESSAGE);
}

void harness_skip_without_plots(const char *suite)
{
    if (CLNET_HAVE_PLOTS)
        return;
    printf("skipped %s: every test draws plots and %s\n", suite, PLOT_NONE_MESSAGE);
    exit(77);
}

void harness_unwrap(char *text)
{
    char *w = text;
    for (const char *r = text; *r; r++) {
        if (strncmp(r, "\n    ", 5) == 0) {
            *w++ = ' ';
            r += 4;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}
