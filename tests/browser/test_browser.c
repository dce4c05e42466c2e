/* The pages in a real browser (suite "browser"): a 4-run sweep on the tiny synthetic set
 * (tests/train/synth_data.c), then tests/browser/pages.mjs drives Debian's chromium through
 * puppeteer-core over its index.html and the runs' pages, at 1280 and 800 pixels, with every
 * request but file:// blocked; its screenshots go to the folder given as argv[1] (the build
 * folder). Skipped (77) where node, chromium or puppeteer-core is missing: scripts/setup
 * installs them. CLNET_BROWSER_PLANT=script is passed on: pages.mjs then plants a script error
 * into the sweep's page, and this test must fail. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cli/run.h"
#include "../train/synth_data.h"
#include "harness.h"

static char data_dir[4200], cache_env[4300];
static const char *shots = ".";

static const char *const experiments[][2] = {
    {"alpha.yaml", "base: _base.yaml\n"},
    {"beta.yaml", "base: _base.yaml\n"
                  "train:\n  optimizer: {adam: {lr: 0.01}}\n"
                  "  schedule: {exp_decay: {lr_max: 0.01, lr_min: 0.001, tau: 30}}\n"},
    {"gamma.yaml", "base: _base.yaml\n"
                   "model:\n  layers:\n    - dense: {units: 24, activation: sigmoid}\n"
                   "    - dense: {units: 10}\n"
                   "train: {layer_stats: 20}\n"},
    /* train.loss's terms and no classification term: no accuracy, a chart of the terms */
    {"delta.yaml", "base: _base.yaml\n"
                   "model:\n  layers:\n    - dense: {units: 16, activation: relu, name: h}\n"
                   "    - dense: {units: 10}\n"
                   "train:\n  loss:\n    - mse: {target: labels, name: S}\n"
                   "    - l2: {on: h, weight: 0.001, name: R}\n"},
};

static void write_sweep(const char *dir)
{
    char base[8192];
    snprintf(base, sizeof base,
             "seed: 1\ndata: {dir: \"%s\"}\n"
             "model:\n  input: [784]\n  layers:\n    - dense: {units: 16, activation: relu}\n"
             "    - dense: {units: 10}\n"
             "train:\n  iterations: 60\n  batch_size: 16\n  optimizer: {sgd: {lr: 0.1}}\n"
             "  eval_every: 20\n  eval_batch_size: 100\n",
             data_dir);
    harness_write(dir, "_base.yaml", base);
    for (size_t i = 0; i < sizeof experiments / sizeof *experiments; i++)
        harness_write(dir, experiments[i][0], experiments[i][1]);
}

/* Runs cmd with stderr into stdout; prints what it said; returns its exit status. */
static int shell(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[4096];
    while (fgets(line, sizeof line, p))
        fputs(line, stdout);
    fflush(stdout);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_pages_in_chromium)
{
    char dir[4200], out[4200];
    snprintf(dir, sizeof dir, "%s/pages", harness_tmpdir());
    snprintf(out, sizeof out, "%s/runs", harness_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    write_sweep(dir);
    const char *argv[] = {"sweep", dir, "--out", out, "--quiet", NULL};
    const char *env[] = {cache_env, NULL};
    struct run_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    run_clnet(r, argv, env);
    ck_assert_msg(r->exit_code == 0, "sweep: exit %d: %s", r->exit_code, r->err);
    printf("sweep of 4: %.1f s\n", r->seconds);
    free(r);
    char *cmd = NULL;
    ck_assert_int_ge(asprintf(&cmd, "node '%s' '%s/pages' '%s' 4 2>&1",
                              harness_source_path("tests/browser/pages.mjs"), out, shots),
                     0);
    int code = shell(cmd);
    free(cmd);
    ck_assert_msg(code == 0, "pages.mjs failed (exit %d): see its lines above", code);
}
END_TEST

/* What the suite needs, or why it is skipped. */
static const char *missing(void)
{
    const char *chromium = getenv("CLNET_CHROMIUM") ? getenv("CLNET_CHROMIUM") : "/usr/bin/chromium";
    if (system("node --version >/dev/null 2>&1") != 0)
        return "node (Debian package nodejs)";
    if (access(chromium, X_OK) != 0)
        return "chromium (Debian package chromium)";
    if (access(harness_source_path("tests/browser/node_modules/puppeteer-core/package.json"),
               R_OK) != 0)
        return "tests/browser/node_modules/puppeteer-core (npm ci in tests/browser)";
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        shots = argv[1];
    const char *what = missing();
    if (what) {
        printf("skipped: no %s; scripts/setup installs it\n", what);
        return 77;
    }
    snprintf(data_dir, sizeof data_dir, "%s/mnist", harness_tmpdir());
    synth_data_write(data_dir);
    snprintf(cache_env, sizeof cache_env, "CLNET_CACHE_DIR=%s/cache", harness_tmpdir());
    Suite *s = suite_create("browser");
    TCase *tc = tcase_create("pages");
    tcase_set_timeout(tc, harness_time_limit(150));
    tcase_add_test(tc, test_pages_in_chromium);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
