/* The ops suite's main and helpers: opens one runtime (exit 77 when there is no OpenCL
 * device) and runs every op family's tests on it without forking. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops_tests.h"
#include "runtime/cache.h"
#include "util/options.h"
#include "util/status.h"

extern char **environ;

struct runtime *ops_rt;

uint64_t ops_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545f4914f6cdd1d);
}

cl_mem ops_buffer(const void *data, size_t bytes)
{
    cl_mem m;
    ck_assert_msg(runtime_alloc(ops_rt, &m, bytes, "a test buffer") == 0, "%s",
                  clnet_error_message());
    if (data)
        ck_assert_msg(runtime_upload(ops_rt, m, 0, data, bytes) == 0, "%s",
                      clnet_error_message());
    return m;
}

long ops_first_difference(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
            return (long)i;
    return -1;
}

float ops_uniform(uint64_t *state, float scale)
{
    double u = (double)(ops_random(state) >> 11) * 0x1.0p-53; /* [0, 1) */
    return (float)((2.0 * u - 1.0) * (double)scale);
}

float *ops_random_floats(uint64_t *state, size_t n, float scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        v[i] = ops_uniform(state, scale);
    return v;
}

float *ops_download(cl_mem buf, size_t off, size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(runtime_download(ops_rt, v, buf, off * sizeof *v, n * sizeof *v) == 0, "%s",
                  clnet_error_message());
    return v;
}

static bool close_enough(float got, float want, double rel, double floor)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    double scale = fabs((double)want) > floor ? fabs((double)want) : floor;
    return fabs((double)got - (double)want) <= rel * scale;
}

void ops_check_close(const float *got, const float *want, size_t n, double rel, double floor,
                     const char *what, ...)
{
    size_t bad = 0, first = 0;
    char report[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (close_enough(got[i], want[i], rel, floor))
            continue;
        if (bad == 0)
            first = i;
        if (bad < 5 && used < sizeof report)
            used += (size_t)snprintf(report + used, sizeof report - used,
                                     "\n  [%zu] device %.9g host %.9g", i, (double)got[i],
                                     (double)want[i]);
        bad++;
    }
    if (bad == 0)
        return;
    char label[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(label, sizeof label, what, ap);
    va_end(ap);
    ck_abort_msg("%s: %zu of %zu values beyond relative error %g (floor %g), first at %zu:%s",
                 label, bad, n, rel, floor, first, report);
}

/* Unless told otherwise, cache program binaries next to this executable (the build folder):
 * warm across runs, and nothing written under the user's home. */
static void default_cache_dir(const char *argv0)
{
    const char *env = getenv("CLNET_CACHE_DIR");
    const char *slash = strrchr(argv0, '/');
    if (env && env[0]) {
        cache_set_dir(env);
        return;
    }
    if (!slash)
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s/clnet-cache", (int)(slash - argv0), argv0);
    cache_set_dir(dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    default_cache_dir(argv[0]);
    /* CLNET_OPS_PATH and CLNET_MAX_LOCAL as clnet's main hands them to the runtime (the
     * ops_gpu_path and ops_small_groups tests set them) */
    struct clnet_options settings;
    if (options_from_env(&settings, environ) != CLNET_OK) {
        fprintf(stderr, "%s\n", clnet_error_message());
        return EXIT_FAILURE;
    }
    runtime_configure(&settings);
    struct runtime_device_info *list;
    int n;
    if (runtime_list_devices(&list, &n) != CLNET_OK) {
        fprintf(stderr, "skipped: %s\n", clnet_error_message());
        return 77;
    }
    free(list);
    int status = runtime_open(&ops_rt, runtime_device_spec(NULL, NULL), NULL);
    if (status != CLNET_OK) {
        fprintf(stderr, "runtime_open: %s\n", clnet_error_message());
        return status == CLNET_ERR_DEVICE ? 77 : EXIT_FAILURE;
    }
    printf("ops on %s [%s], ops path %s (%s)\n", runtime_device(ops_rt)->name,
           runtime_device(ops_rt)->platform_name,
           runtime_ops_path_name(runtime_ops_path(ops_rt)), runtime_ops_path_reason(ops_rt));
    Suite *s = suite_create("ops");
    suite_add_tcase(s, ops_data_tcase());
    suite_add_tcase(s, ops_elementwise_tcase());
    suite_add_tcase(s, ops_loss_tcase());
    suite_add_tcase(s, ops_optim_tcase());
    suite_add_tcase(s, ops_conv2d_tcase());
    suite_add_tcase(s, ops_dropout_tcase());
    suite_add_tcase(s, ops_gemm_tcase());
    int rc = harness_run(s, false);
    runtime_close(ops_rt);
    return rc;
}
