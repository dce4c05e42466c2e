/* Models against the device's limits. Every size here is derived from what the device in use
 * reports (runtime_find_device, the query clnet itself makes), so the tests mean the same on a
 * CPU that allows 8 GiB buffers, a GPU that allows 20, and PoCL told to allow 256 MiB
 * (POCL_MEMORY_LIMIT=1, which PoCL reads at its first call: each test runs in a fork of its own
 * and sets it before querying, and the clnet it starts inherits it). Also the dense stack's
 * int offsets at their boundary (host only). */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "ops/ops.h"
#include "runtime/device.h"
#include "synth.h"
#include "util/status.h"

/* _i 0: the device as it is; 1: PoCL's memory limited to 1 GiB (ignored by other platforms). */
static struct runtime_device_info device_for(int lowered)
{
    if (lowered)
        setenv("POCL_MEMORY_LIMIT", "1", 1);
    struct runtime_device_info d;
    ck_assert_int_eq(runtime_find_device(&d, runtime_device_spec(NULL, NULL)), CLNET_OK);
    ck_assert_uint_gt(d.max_alloc_bytes, 0);
    return d;
}

/* Appends printf-style text to a growing config body. */
__attribute__((format(printf, 3, 4))) static void add(char **body, size_t *len,
                                                      const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    *body = realloc(*body, *len + (size_t)n + 1);
    ck_assert_ptr_nonnull(*body);
    memcpy(*body + *len, line, (size_t)n + 1);
    *len += (size_t)n;
}

/* A refused run: exit 2, one line naming the file and containing what, quickly, and no run
 * directory made. */
static void assert_refused(const char *config, const char *name, const char *what)
{
    char *dir = run_dir(name);
    struct run_result r;
    const char *argv[] = {"train", config, "--out", dir, NULL};
    clnet(&r, argv);
    ck_assert_msg(r.exit_code == 2 && strstr(r.err, what) && strstr(r.err, name) &&
                      count_lines(r.err) == 1,
                  "exit %d: %s", r.exit_code, r.err);
    ck_assert_msg(r.seconds < harness_time_limit(10), "took %.1f s to refuse", r.seconds);
    ck_assert_msg(!exists(dir), "the run directory was created");
}

/* A first layer whose weights alone are twice the largest buffer the device allows. */
START_TEST(test_one_buffer_too_large)
{
    struct runtime_device_info d = device_for(_i);
    long long units = (long long)(2 * d.max_alloc_bytes / (784 * sizeof(float))) + 1;
    ck_assert_int_le(units, INT_MAX / 10); /* eval batch 10 stays within the index range */
    char *body = NULL, name[32];
    size_t len = 0;
    add(&body, &len, "model:\n  input: [784]\n  layers:\n    - dense: {units: %lld}\n", units);
    add(&body, &len, "    - dense: {units: 10}\n"
        "train: {iterations: 2, batch_size: 10, eval_batch_size: 10}\n");
    snprintf(name, sizeof name, "one_buffer_%d", _i);
    char yaml[40];
    snprintf(yaml, sizeof yaml, "%s.yaml", name);
    assert_refused(write_config(yaml, body), name, "one device buffer");
    free(body);
}
END_TEST

/* Every buffer within the device's largest, all of them past its memory: layers of `units`
 * outputs whose batch of eval rows takes at most half the largest buffer (and 2^30 floats),
 * each followed by a narrow one, enough of them that their outputs and input gradients pass
 * the global memory. */
START_TEST(test_all_buffers_too_large)
{
    struct runtime_device_info d = device_for(_i);
    const long long rows = 1000;
    long long floats = (long long)(d.max_alloc_bytes / 2 / sizeof(float));
    if (floats > (1LL << 30))
        floats = 1LL << 30;
    long long units = floats / rows, per_layer = 2 * rows * units * (long long)sizeof(float);
    long long wide = (long long)(d.global_mem_bytes / (uint64_t)per_layer) + 2;
    ck_assert_int_gt(units, 10);
    char *body = NULL, name[32], yaml[40];
    size_t len = 0;
    add(&body, &len, "model:\n  input: [784]\n  layers:\n");
    for (long long i = 0; i < wide; i++)
        add(&body, &len, "    - dense: {units: %lld}\n    - dense: {units: 16}\n", units);
    add(&body, &len, "    - dense: {units: 10}\n"
        "train: {iterations: 2, batch_size: 10, eval_batch_size: %lld}\n", rows);
    snprintf(name, sizeof name, "all_buffers_%d", _i);
    snprintf(yaml, sizeof yaml, "%s.yaml", name);
    assert_refused(write_config(yaml, body), name, "of device memory");
    free(body);
}
END_TEST

/* A batch of a layer's outputs past INT_MAX values: refused before the device (whatever its
 * memory), naming the layer and the settings to lower. */
START_TEST(test_batch_past_index_range)
{
    long long rows = 1000, units = INT_MAX / rows + 1;
    char body[300];
    snprintf(body, sizeof body,
             "model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\n"
             "    - dense: {units: %lld}\n    - dense: {units: 10}\n"
             "train: {iterations: 2, batch_size: 10, eval_batch_size: %lld}\n",
             units, rows);
    assert_refused(write_config("index_range.yaml", body), "index_range",
                   "layer 1 (dense): a batch of 1000 rows");
    snprintf(body, sizeof body,
             "model:\n  input: [784]\n  layers:\n    - dense: {units: 10}\n"
             "    - dense: {units: %lld}\n    - dense: {units: 10}\n"
             "train: {iterations: 2, batch_size: 10, eval_batch_size: %lld}\n",
             units - 1, rows);
    char *config = write_config("index_range_ok.yaml", body);
    const char *argv[] = {"summary", config, NULL};
    struct run_result r;
    clnet(&r, argv); /* one unit fewer is a model (summary opens no device) */
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
}
END_TEST

/* A model too wide for the dense stack's one buffer trains on the per-layer path and says so.
 * Sized from the device: the stack's arena (about 536 floats a unit at batch 100) is past the
 * largest buffer while every layer's buffers stay within a third of it. Only where the device
 * allows 1 GiB or less per buffer (PoCL lowered): elsewhere the model would take minutes. */
START_TEST(test_wide_model_leaves_the_stack)
{
    struct runtime_device_info d = device_for(1);
    if (d.max_alloc_bytes > (1ULL << 30)) {
        printf("test_wide_model_leaves_the_stack: %s allows %llu-byte buffers and no "
               "POCL_MEMORY_LIMIT; not run\n", d.name, (unsigned long long)d.max_alloc_bytes);
        return;
    }
    long long units = (long long)(d.max_alloc_bytes / (4 * 300));
    char body[300];
    snprintf(body, sizeof body,
             "model:\n  input: [784]\n  layers:\n    - dense: {units: 16, activation: relu}\n"
             "    - dense: {units: %lld, activation: relu}\n    - dense: {units: 10}\n"
             "train: {iterations: 2, batch_size: 100, eval_batch_size: 100, eval_every: 2}\n",
             units);
    char *config = write_config("wide.yaml", body), *dir = run_dir("wide");
    const char *argv[] = {"train", config, "--out", dir, "--verbose", NULL};
    struct run_result r;
    clnet(&r, argv);
    char *summary = completed_summary(&r, dir);
    ck_assert_msg(strstr(summary, "\"dense_stack\": false"), "%s", summary);
    harness_unwrap(r.out); /* the plan's printout (--verbose) */
    ck_assert_msg(strstr(r.out, "dense stack (an all-dense step in 3 launches): off: its "
                                "buffer ("), "%s", r.out);
    free(summary);
}
END_TEST

/* The layout's ints at their boundary: an offset of INT_MAX fits, one more does not; the arena
 * as documented in ops.h (every layer's y and dz for the rows, the middle layer's dz in whole
 * panels of 32 units from 32 units on, then a scratch per 16 rows of two dz^T of the widest
 * layer and every layer's y^T), at its largest fitting width and one unit past it. */
static struct dense_tail_layout layout_of(int u, size_t w1, size_t b1, int rows)
{
    int units[] = {784, 16, u, 10}, act[] = {2, 2, 0};
    size_t w_off[] = {0, w1, 2}, b_off[] = {1, b1, 3};
    struct dense_tail_layout t;
    ck_assert_int_eq(dense_tail_layout(&t, 3, units, act, w_off, b_off, rows), CLNET_OK);
    return t;
}

static size_t documented_arena(long long u, long long rows)
{
    long long sum = 16 + u + 10, widest = u > 16 ? u : 16;
    long long dz_sum = 16 + (u >= 32 ? (u + 31) / 32 * 32 : u) + 10;
    return (size_t)(rows * (sum + dz_sum) + (rows + 15) / 16 * (32 * widest + 16 * sum));
}

START_TEST(test_dense_tail_int_boundary)
{
    struct dense_tail_layout t = layout_of(100, (size_t)INT_MAX, (size_t)INT_MAX, 100);
    ck_assert(t.fits);
    ck_assert_uint_eq(t.arena_floats, documented_arena(100, 100));
    dense_tail_layout_free(&t);
    t = layout_of(100, (size_t)INT_MAX + 1, 5, 100);
    ck_assert(!t.fits);
    dense_tail_layout_free(&t);
    t = layout_of(100, 5, (size_t)INT_MAX + 1, 100);
    ck_assert(!t.fits);
    dense_tail_layout_free(&t);
    long long u = 1; /* the widest layer whose arena fits INT_MAX floats, from the formula */
    while (documented_arena(2 * u, 100) <= (size_t)INT_MAX)
        u *= 2;
    for (long long step = u / 2; step > 0; step /= 2)
        if (documented_arena(u + step, 100) <= (size_t)INT_MAX)
            u += step;
    t = layout_of((int)u, 5, 5, 100);
    ck_assert_msg(t.fits && t.arena_floats == documented_arena(u, 100), "%lld units", u);
    dense_tail_layout_free(&t);
    t = layout_of((int)u + 1, 5, 5, 100);
    ck_assert_msg(!t.fits && t.arena_floats > (size_t)INT_MAX, "%lld units", u + 1);
    dense_tail_layout_free(&t);
}
END_TEST

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_one_buffer_too_large, 0, 2);
    tcase_add_loop_test(tc, test_all_buffers_too_large, 0, 2);
    tcase_add_test(tc, test_batch_past_index_range);
    tcase_add_test(tc, test_wide_model_leaves_the_stack);
    suite_add_tcase(s, tc);
    tc = tcase_create("layout");
    tcase_add_test(tc, test_dense_tail_int_boundary);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    synth_setup();
    return harness_run(limits_suite(), true);
}
