/* The runtime: device listing and selection (SPEC forms and precedence), building the programs
 * from the embedded sources or a --cl-dir folder, build errors with their log, OpenCL status
 * names. The cache has its own file (test_cache.c). Runs without forking: OpenCL objects must
 * not cross a fork. */
#define _GNU_SOURCE /* asprintf */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/experiment.h"
#include "harness.h"
#include "ops/ops.h"
#include "runtime/cache.h"
#include "runtime/profile.h"
#include "runtime_tests.h"
#include "util/status.h"

char *runtime_tests_dir(const char *name)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/%s", harness_tmpdir(), name) < 0 || mkdir(dir, 0700) != 0)
        ck_abort_msg("cannot make %s", name);
    return dir;
}

void runtime_tests_check_gather(struct runtime *rt)
{
    enum { N = 4, F = 3, B = 5 };
    const unsigned char images[N * F] = {0, 1, 2, 10, 20, 30, 255, 128, 64, 7, 8, 9};
    const unsigned char labels[N] = {3, 1, 4, 1};
    const int index[B] = {2, 0, 3, 3, 1};
    cl_mem m_images, m_labels, m_index, m_x, m_y;
    ck_assert_int_eq(runtime_alloc(rt, &m_images, sizeof images, "a test buffer"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &m_labels, sizeof labels, "a test buffer"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &m_index, sizeof index, "a test buffer"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &m_x, B * F * sizeof(float), "a test buffer"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &m_y, B * sizeof(int), "a test buffer"), 0);
    ck_assert_int_eq(runtime_upload(rt, m_images, 0, images, sizeof images), 0);
    ck_assert_int_eq(runtime_upload(rt, m_labels, 0, labels, sizeof labels), 0);
    ck_assert_int_eq(runtime_upload(rt, m_index, 0, index, sizeof index), 0);
    ck_assert_int_eq(op_gather_batch(rt, m_x, m_y, m_images, m_labels, m_index, 0, B, F, N), 0);
    float x[B * F];
    int y[B];
    ck_assert_int_eq(runtime_download(rt, x, m_x, 0, sizeof x), 0);
    ck_assert_int_eq(runtime_download(rt, y, m_y, 0, sizeof y), 0);
    for (int b = 0; b < B; b++) {
        ck_assert_int_eq(y[b], labels[index[b]]);
        for (int f = 0; f < F; f++)
            ck_assert_float_eq(x[b * F + f], (float)images[index[b] * F + f] / 255.0f);
    }
    runtime_free(m_images);
    runtime_free(m_labels);
    runtime_free(m_index);
    runtime_free(m_x);
    runtime_free(m_y);
}

static struct runtime_device_info first_device(void)
{
    struct runtime_device_info *list;
    int n;
    ck_assert_int_eq(runtime_list_devices(&list, &n), 0);
    struct runtime_device_info d = list[0];
    free(list);
    return d;
}

START_TEST(list_devices)
{
    struct runtime_device_info *list;
    int n = 0;
    ck_assert_int_eq(runtime_list_devices(&list, &n), 0);
    ck_assert_int_gt(n, 0);
    for (int i = 0; i < n; i++) {
        const struct runtime_device_info *d = &list[i];
        ck_assert_int_ge(d->platform_index, 0);
        ck_assert_int_ge(d->device_index, 0);
        ck_assert_int_gt(strlen(d->name), 0);
        ck_assert_int_gt(strlen(d->platform_name), 0);
        ck_assert_int_gt(strlen(d->platform_version), 0);
        ck_assert_int_gt(strlen(d->driver_version), 0);
        ck_assert_ptr_nonnull(strstr(d->opencl_c_version, "OpenCL C"));
        ck_assert_ptr_nonnull(strstr(d->device_version, "OpenCL"));
        ck_assert_uint_gt(d->compute_units, 0);
        ck_assert_uint_gt(d->global_mem_bytes, 0);
        ck_assert_uint_gt(d->local_mem_bytes, 0);
        ck_assert_uint_gt(d->max_alloc_bytes, 0);
        ck_assert_uint_le(d->max_alloc_bytes, d->global_mem_bytes);
        ck_assert_uint_gt(d->max_work_group_size, 0);
        ck_assert_uint_gt(d->max_work_item_size[0], 0);
        ck_assert_uint_gt(d->mem_base_align_bytes, 0);
        const char *type = runtime_device_type_name(d->type);
        ck_assert(strcmp(type, "CPU") == 0 || strcmp(type, "GPU") == 0 ||
                  strcmp(type, "ACCEL") == 0 || strcmp(type, "OTHER") == 0);
        if (i > 0 && d->platform_index == d[-1].platform_index)
            ck_assert_int_eq(d->device_index, d[-1].device_index + 1);
    }
    free(list);
}
END_TEST

START_TEST(select_auto_and_index)
{
    struct runtime_device_info *list;
    int n;
    ck_assert_int_eq(runtime_list_devices(&list, &n), 0);
    int want = 0;
    for (int i = n - 1; i >= 0; i--)
        if (list[i].type == RUNTIME_DEVICE_GPU)
            want = i;
    struct runtime_device_info d;
    const char *autos[] = {"auto", "AUTO", "", NULL};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(runtime_find_device(&d, autos[i]), 0);
        ck_assert_str_eq(d.name, list[want].name);
        ck_assert_int_eq(d.platform_index, list[want].platform_index);
        ck_assert_int_eq(d.device_index, list[want].device_index);
    }
    ck_assert_int_eq(runtime_find_device(&d, "0:0"), 0);
    ck_assert_int_eq(d.platform_index, 0);
    ck_assert_int_eq(d.device_index, 0);
    free(list);
}
END_TEST

/* Upper-cases s in place. */
static char *upper(char *s)
{
    for (char *c = s; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return s;
}

START_TEST(select_by_name)
{
    struct runtime_device_info first = first_device(), d;
    /* PoCL's default device is "pthread-<cpu>"; other drivers are checked below. */
    if (strstr(first.name, "pthread")) {
        ck_assert_int_eq(runtime_find_device(&d, "pthread"), 0);
        ck_assert_str_eq(d.name, first.name);
        ck_assert_int_eq(runtime_find_device(&d, "PTHREAD"), 0);
        ck_assert_str_eq(d.name, first.name);
    }
    /* Any device: a middle part of its name, upper-cased, finds a device with that part. */
    char part[RUNTIME_INFO_STRING];
    size_t len = strlen(first.name);
    size_t from = len > 6 ? 2 : 0, n = len > 6 ? 4 : len;
    snprintf(part, sizeof part, "%.*s", (int)n, first.name + from);
    ck_assert_int_eq(runtime_find_device(&d, upper(part)), 0);
    ck_assert_ptr_nonnull(strcasestr(d.name, part));
    /* The platform name works too. */
    snprintf(part, sizeof part, "%s", first.platform_name);
    ck_assert_int_eq(runtime_find_device(&d, upper(part)), 0);
    ck_assert_str_eq(d.platform_name, first.platform_name);
}
END_TEST

/* An error for spec whose message lists the devices inline. */
static void assert_no_match(const char *spec)
{
    struct runtime_device_info first = first_device(), d;
    clnet_error_clear();
    ck_assert_int_eq(runtime_find_device(&d, spec), CLNET_ERR_DEVICE);
    const char *msg = clnet_error_message();
    char *want = NULL;
    ck_assert_int_gt(asprintf(&want, "no OpenCL device matches '%s' (devices: 0:0 %s [%s]", spec,
                              first.name, first.platform_name),
                     0);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "message: %s", msg);
    ck_assert_msg(!strchr(msg, '\n'), "one line: %s", msg);
    ck_assert_int_eq(clnet_exit_code(CLNET_ERR_DEVICE), 2);
    free(want);
    clnet_error_clear();
}

START_TEST(select_no_match)
{
    assert_no_match("nomatch");
    assert_no_match("99:0");
    assert_no_match("0:99");
    assert_no_match("99999999999999999999:0");
    /* Opening with such a spec fails the same way, before any context exists. */
    struct runtime *rt = (struct runtime *)1;
    ck_assert_int_eq(runtime_open(&rt, "nomatch", NULL), CLNET_ERR_DEVICE);
    ck_assert_ptr_null(rt);
    clnet_error_clear();
}
END_TEST

START_TEST(spec_precedence)
{
    ck_assert_str_eq(runtime_device_spec(NULL, NULL), "auto");
    ck_assert_str_eq(runtime_device_spec(NULL, ""), "auto");
    ck_assert_str_eq(runtime_device_spec(NULL, "yaml"), "yaml");
    ck_assert_str_eq(runtime_device_spec("flag", "yaml"), "flag");
    /* CLNET_DEVICE reaches it as the options' device, which --device replaces. */
    struct clnet_options o;
    char *empty[] = {"CLNET_DEVICE=", NULL}, *set[] = {"CLNET_DEVICE=env", NULL};
    ck_assert_int_eq(options_from_env(&o, empty), CLNET_OK);
    ck_assert_str_eq(runtime_device_spec(o.device, "yaml"), "yaml");
    ck_assert_int_eq(options_from_env(&o, set), CLNET_OK);
    ck_assert_str_eq(runtime_device_spec(o.device, "yaml"), "env");
    ck_assert_str_eq(runtime_device_spec(o.device, NULL), "env");
    bool found;
    ck_assert_int_eq(options_set_flag(&o, "device", "flag", &found), CLNET_OK);
    ck_assert(found);
    ck_assert_str_eq(runtime_device_spec(o.device, "yaml"), "flag");
}
END_TEST

START_TEST(open_embedded)
{
    struct runtime *rt;
    int status = runtime_open(&rt, "auto", NULL);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    const struct runtime_stats *st = runtime_stats(rt);
    ck_assert_int_eq(st->programs, PROGRAM_COUNT);
    ck_assert_uint_eq(st->program_set, RUNTIME_PROGRAMS_ALL);
    ck_assert(st->open_seconds >= st->build_seconds && st->build_seconds > 0);
    ck_assert_ptr_nonnull(runtime_context(rt));
    ck_assert_ptr_nonnull(runtime_queue(rt));
    ck_assert_ptr_nonnull(runtime_device_id(rt));
    ck_assert_int_gt(strlen(runtime_device(rt)->name), 0);
    for (int k = 0; k < KERNEL_COUNT; k++) {
        ck_assert_ptr_nonnull(kernel_name((enum kernel_id)k));
        ck_assert_ptr_nonnull(runtime_kernel(rt, (enum kernel_id)k));
        size_t wg = runtime_kernel_work_group_size(rt, (enum kernel_id)k);
        size_t local = runtime_kernel_local_size(rt, (enum kernel_id)k);
        ck_assert_uint_gt(local, 0);
        ck_assert_uint_le(local, wg);
        ck_assert_uint_le(local, runtime_device(rt)->max_work_group_size);
    }
    runtime_tests_check_gather(rt);
    runtime_close(rt);
    runtime_close(NULL);
}
END_TEST

/* Only the programs asked for are built; a kernel of another is an internal error naming the
 * kernel and its file when used, never a crash; a set naming no program is refused. */
START_TEST(open_program_subset)
{
    struct runtime *rt;
    struct runtime_options o = {.programs = RUNTIME_PROGRAM(PROGRAM_DATA)};
    int status = runtime_open_with(&rt, "auto", NULL, &o);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    const struct runtime_stats *st = runtime_stats(rt);
    ck_assert_int_eq(st->programs, 1);
    ck_assert_uint_eq(st->program_set, RUNTIME_PROGRAM(PROGRAM_DATA));
    ck_assert(st->program_seconds[PROGRAM_DATA] > 0);
    ck_assert(st->program_seconds[PROGRAM_GEMM] == 0);
    ck_assert_ptr_nonnull(runtime_kernel(rt, KERNEL_GATHER_BATCH));
    ck_assert_ptr_null(runtime_kernel(rt, KERNEL_GEMM_NN_NARROW));
    ck_assert_ptr_null(runtime_kernel(rt, KERNEL_CONV2D_FORWARD));
    runtime_tests_check_gather(rt);

    cl_mem m;
    ck_assert_int_eq(runtime_alloc(rt, &m, 64 * sizeof(float), "a test buffer"), 0);
    clnet_error_clear();
    ck_assert_int_eq(op_gemm_own(rt, false, false, 2, 2, 2, 1.0f, m, 0, 2, m, 8, 2, 0.0f, m, 16,
                                 2),
                     CLNET_ERR_INTERNAL);
    ck_assert_str_eq(clnet_error_message(),
                     "kernel gemm_nn_narrow: its program cl/gemm.cl was not built for this run "
                     "(the model's program set, model_programs, lacks it)");
    clnet_error_clear();
    ck_assert_int_eq(runtime_launch_1d(rt, KERNEL_SGD_UPDATE, 10), CLNET_ERR_INTERNAL);
    ck_assert_msg(strstr(clnet_error_message(), "kernel sgd_update: its program cl/optim.cl"),
                  "%s", clnet_error_message());
    clnet_error_clear();
    /* A work-group size of 0 or past the kernel's is refused before any launch. */
    size_t max = runtime_kernel_local_size(rt, KERNEL_GATHER_BATCH);
    ck_assert_int_eq(runtime_launch_1d_local(rt, KERNEL_GATHER_BATCH, 10, 0), CLNET_ERR_INTERNAL);
    clnet_error_clear();
    ck_assert_int_eq(runtime_launch_1d_local(rt, KERNEL_GATHER_BATCH, 10, max + 1),
                     CLNET_ERR_INTERNAL);
    ck_assert_msg(strstr(clnet_error_message(), "gather_batch: work-group size"), "%s",
                  clnet_error_message());
    clnet_error_clear();
    ck_assert_int_eq(runtime_finish(rt), 0);
    runtime_free(m);
    runtime_close(rt);

    o.programs = RUNTIME_PROGRAMS_ALL + 1u;
    rt = (struct runtime *)1;
    ck_assert_int_eq(runtime_open_with(&rt, "auto", NULL, &o), CLNET_ERR_INTERNAL);
    ck_assert_ptr_null(rt);
    clnet_error_clear();
}
END_TEST

/* runtime/profile.h: on, the queue times launches and runtime_close reads each one's kernel,
 * step (the mark at its enqueue) and times, in launch order, keeping at most the cap and
 * counting the rest; off (the default), the queue is created without profiling and nothing is
 * kept. */
START_TEST(profile_launches)
{
    struct runtime *rt;
    struct runtime_options o = {.programs = RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE)};
    enum { N = 40 };
    float host[N] = {0};
    for (int on = 1; on >= 0; on--) {
        runtime_profile_enable(on, 3);
        ck_assert_msg(runtime_open_with(&rt, "auto", NULL, &o) == 0, "%s", clnet_error_message());
        cl_command_queue_properties props = 0;
        ck_assert_int_eq(clGetCommandQueueInfo(runtime_queue(rt), CL_QUEUE_PROPERTIES,
                                               sizeof props, &props, NULL), CL_SUCCESS);
        ck_assert_int_eq((props & CL_QUEUE_PROFILING_ENABLE) != 0, on);
        cl_mem x, y;
        ck_assert_int_eq(runtime_alloc_from(rt, &x, host, sizeof host, "x"), 0);
        ck_assert_int_eq(runtime_alloc(rt, &y, sizeof host, "y"), 0);
        runtime_profile_step(rt, 7);
        ck_assert_int_eq(op_act_forward(rt, y, x, N, ACTIVATION_IDENTITY), 0);
        ck_assert_int_eq(op_act_backward(rt, y, x, x, N, ACTIVATION_IDENTITY), 0);
        runtime_profile_step(rt, -1);
        ck_assert_int_eq(op_act_forward(rt, y, x, N, ACTIVATION_IDENTITY), 0);
        ck_assert_int_eq(op_act_forward(rt, y, x, N, ACTIVATION_IDENTITY), 0); /* past the cap */
        runtime_free(x);
        runtime_free(y);
        runtime_close(rt);
        size_t n, dropped;
        const struct profile_launch *l = runtime_profile_launches(&n, &dropped);
        ck_assert_uint_eq(n, on ? 3 : 0);
        ck_assert_uint_eq(dropped, on ? 1 : 0);
        const enum kernel_id want[] = {KERNEL_ACT_FORWARD, KERNEL_ACT_BACKWARD,
                                       KERNEL_ACT_FORWARD};
        const long step[] = {7, 7, -1};
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_eq(l[i].kernel, want[i]);
            ck_assert_int_eq(l[i].step, step[i]);
            ck_assert_uint_eq(l[i].dims, 1);
            ck_assert_uint_ge(l[i].global[0], N);
            ck_assert_msg(l[i].queued > 0 && l[i].queued <= l[i].start && l[i].start <= l[i].end,
                          "launch %zu: queued %llu start %llu end %llu", i,
                          (unsigned long long)l[i].queued, (unsigned long long)l[i].start,
                          (unsigned long long)l[i].end);
            ck_assert(i == 0 || l[i - 1].end <= l[i].start); /* an in-order queue */
        }
    }
}
END_TEST

/* Launch modes (the compile helper's): RECORD enqueues nothing and notes the kernels in the
 * order of their first launch; SKIP_FIRST leaves out the launches of the first k noted and
 * enqueues the rest; ALL enqueues everything again. act_forward and act_backward (identity)
 * copy x into y and into dx, so the buffers show which ran. */
START_TEST(launch_modes)
{
    struct runtime *rt;
    struct runtime_options o = {.programs = RUNTIME_PROGRAM(PROGRAM_ELEMENTWISE)};
    int status = runtime_open_with(&rt, "auto", NULL, &o);
    ck_assert_msg(status == 0, "%s", clnet_error_message());
    enum { N = 40 };
    float host[N], y[N], dx[N];
    for (int i = 0; i < N; i++)
        host[i] = (float)i + 1.0f;
    cl_mem x, out_y, out_dx;
    ck_assert_int_eq(runtime_alloc_from(rt, &x, host, sizeof host, "x"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &out_y, sizeof host, "y"), 0);
    ck_assert_int_eq(runtime_alloc(rt, &out_dx, sizeof host, "dx"), 0);
    const int id = ACTIVATION_IDENTITY;
    struct { enum runtime_launch_mode mode; int skip; bool y, dx; } cases[] = {
        {RUNTIME_LAUNCH_RECORD, 0, false, false},
        {RUNTIME_LAUNCH_SKIP_FIRST, 1, false, true},
        {RUNTIME_LAUNCH_SKIP_FIRST, 2, false, false},
        {RUNTIME_LAUNCH_SKIP_FIRST, 0, true, true},
        {RUNTIME_LAUNCH_ALL, 0, true, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ck_assert_int_eq(op_fill(rt, out_y, 0, N, -1.0f), 0);
        ck_assert_int_eq(op_fill(rt, out_dx, 0, N, -1.0f), 0);
        runtime_set_launch_mode(rt, cases[c].mode, cases[c].skip);
        ck_assert_int_eq(op_act_forward(rt, out_y, x, N, id), 0);
        ck_assert_int_eq(op_act_backward(rt, out_dx, x, x, N, id), 0);
        runtime_set_launch_mode(rt, RUNTIME_LAUNCH_ALL, 0);
        ck_assert_int_eq(runtime_download(rt, y, out_y, 0, sizeof y), 0);
        ck_assert_int_eq(runtime_download(rt, dx, out_dx, 0, sizeof dx), 0);
        ck_assert_int_eq(runtime_kernels_launched(rt), 2);
        for (int i = 0; i < N; i++) {
            ck_assert_msg(y[i] == (cases[c].y ? host[i] : -1.0f), "case %zu: y[%d] = %g", c, i,
                          (double)y[i]);
            ck_assert_msg(dx[i] == (cases[c].dx ? host[i] : -1.0f), "case %zu: dx[%d] = %g", c,
                          i, (double)dx[i]);
        }
    }
    runtime_free(x);
    runtime_free(out_y);
    runtime_free(out_dx);
    runtime_close(rt);
}
END_TEST

START_TEST(open_cl_dir)
{
    /* The source tree's cl/ folder, by argument and by CLNET_CL_DIR (the options' cl_dir). */
    char *cl = harness_source_path("cl");
    struct runtime *rt;
    ck_assert_msg(runtime_open(&rt, "auto", cl) == 0, "%s", clnet_error_message());
    runtime_tests_check_gather(rt);
    runtime_close(rt);
    char *var = NULL;
    ck_assert_int_ne(asprintf(&var, "CLNET_CL_DIR=%s", cl), -1);
    char *env[] = {var, NULL};
    struct clnet_options o;
    ck_assert_int_eq(options_from_env(&o, env), CLNET_OK);
    ck_assert_str_eq(o.cl_dir, cl);
    ck_assert_msg(runtime_open(&rt, "auto", o.cl_dir) == 0, "%s", clnet_error_message());
    runtime_close(rt);
    free(var);
    free(cl);
}
END_TEST

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(missing_cl_file)
{
    char *dir = runtime_tests_dir("missing");
    struct runtime *rt;
    clnet_error_clear();
    ck_assert_int_eq(runtime_open(&rt, "auto", dir), CLNET_ERR_IO);
    char *want = NULL;
    ck_assert_int_gt(asprintf(&want, "%s/common.h: cannot read OpenCL source", dir), 0);
    ck_assert_msg(strstr(clnet_error_message(), want), "%s", clnet_error_message());
    free(want);

    char *prelude = harness_source_path("cl/common.h");
    harness_write(dir, "common.h", read_text(prelude));
    clnet_error_clear();
    ck_assert_int_eq(runtime_open(&rt, "auto", dir), CLNET_ERR_IO);
    ck_assert_ptr_null(rt);
    ck_assert_int_gt(asprintf(&want, "%s/data.cl: cannot read OpenCL source", dir), 0);
    ck_assert_msg(strstr(clnet_error_message(), want), "%s", clnet_error_message());
    clnet_error_clear();
    free(want);
    free(prelude);
    free(dir);
}
END_TEST

START_TEST(build_error)
{
    char *dir = runtime_tests_dir("broken");
    char *prelude = harness_source_path("cl/common.h");
    harness_write(dir, "common.h", read_text(prelude));
    harness_write(dir, "data.cl",
                  "/* line 1 */\n"
                  "__kernel void gather_batch(__global float *x)\n"
                  "{\n"
                  "    x[0] = undeclared_thing;\n"
                  "}\n");
    /* The full log goes to stderr: capture it. */
    char *log_path = NULL;
    ck_assert_int_gt(asprintf(&log_path, "%s/stderr.txt", dir), 0);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    struct runtime *rt;
    clnet_error_clear();
    int status = runtime_open(&rt, "auto", dir);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    const char *log = read_text(log_path);
    fprintf(stderr, "(captured build log)\n%s", log);

    ck_assert_int_eq(status, CLNET_ERR_BUILD);
    ck_assert_int_eq(clnet_exit_code(status), 1);
    const char *msg = clnet_error_message();
    char *file = NULL, *line = NULL;
    ck_assert_int_gt(asprintf(&file, "%s/data.cl: build failed (CL_BUILD_PROGRAM_FAILURE)", dir),
                     0);
    ck_assert_int_gt(asprintf(&line, "%s/data.cl:4:", dir), 0);
    ck_assert_msg(strncmp(msg, file, strlen(file)) == 0, "message: %s", msg);
    ck_assert_msg(strstr(msg, line), "message lacks the error line: %s", msg);
    ck_assert_msg(strstr(msg, "undeclared_thing"), "message: %s", msg);
    ck_assert_msg(!strchr(msg, '\n'), "one line: %s", msg);
    ck_assert_msg(strstr(log, line), "build log lacks the error line: %s", log);
    clnet_error_clear();
    free(file);
    free(line);
    free(log_path);
    free(prelude);
    free(dir);
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(clnet_status_name(CL_OUT_OF_RESOURCES), "CL_OUT_OF_RESOURCES");
    ck_assert_str_eq(clnet_status_name(CL_BUILD_PROGRAM_FAILURE), "CL_BUILD_PROGRAM_FAILURE");
    ck_assert_str_eq(clnet_status_name(CL_INVALID_WORK_GROUP_SIZE), "CL_INVALID_WORK_GROUP_SIZE");
    ck_assert_str_eq(clnet_status_name(CL_INVALID_KERNEL_NAME), "CL_INVALID_KERNEL_NAME");
    ck_assert_str_eq(clnet_status_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
    ck_assert_int_eq(clnet_exit_code(CL_OUT_OF_RESOURCES), 1);

    clnet_error_clear();
    ck_assert_int_eq(runtime_check(CL_SUCCESS, "clFinish", NULL), 0);
    ck_assert_str_eq(clnet_error_message(), "");
    ck_assert_int_eq(runtime_check(CL_OUT_OF_RESOURCES, "clCreateBuffer", NULL),
                     CL_OUT_OF_RESOURCES);
    ck_assert_str_eq(clnet_error_message(), "clCreateBuffer: CL_OUT_OF_RESOURCES");
    clnet_error_clear();
    ck_assert_int_eq(runtime_check(CL_INVALID_KERNEL_ARGS, "clEnqueueNDRangeKernel", "relu"),
                     CL_INVALID_KERNEL_ARGS);
    ck_assert_str_eq(clnet_error_message(), "clEnqueueNDRangeKernel (relu): CL_INVALID_KERNEL_ARGS");
    clnet_error_clear();
}
END_TEST

START_TEST(alloc_limits)
{
    struct runtime *rt;
    ck_assert_int_eq(runtime_open(&rt, "auto", NULL), 0);
    cl_mem m = (cl_mem)1;
    clnet_error_clear();
    ck_assert_int_eq(runtime_alloc(rt, &m, 0, "a test buffer"), CL_INVALID_BUFFER_SIZE);
    ck_assert_ptr_null(m);
    clnet_error_clear();
    size_t too_big = (size_t)runtime_device(rt)->max_alloc_bytes + 1;
    ck_assert_int_eq(runtime_alloc(rt, &m, too_big, "the parameters"), CL_INVALID_BUFFER_SIZE);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "clCreateBuffer for the parameters ("));
    clnet_error_clear();
    ck_assert_int_eq(runtime_alloc(rt, &m, 16, "a test buffer"), 0);
    /* A wrong argument size names the kernel and the argument. */
    char c = 0;
    const struct runtime_arg args[] = {RUNTIME_ARG(m), RUNTIME_ARG(c)};
    ck_assert_int_eq(runtime_set_args(rt, KERNEL_GATHER_BATCH, args, 2), CL_INVALID_ARG_SIZE);
    ck_assert_str_eq(clnet_error_message(),
                     "clSetKernelArg (gather_batch argument 1): CL_INVALID_ARG_SIZE");
    clnet_error_clear();
    runtime_free(m);
    runtime_free(NULL);
    ck_assert_int_eq(runtime_finish(rt), 0);
    runtime_close(rt);
}
END_TEST

START_TEST(devices_command)
{
    struct cli_args args;
    memset(&args, 0, sizeof args);
    ck_assert_int_eq(cli_devices(&args), 0);
    args.opt.device = "0:0";
    ck_assert_int_eq(cli_devices(&args), 0);
    args.opt.device = "nomatch";
    clnet_error_clear();
    ck_assert_int_eq(cli_devices(&args), CLNET_ERR_DEVICE);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "no OpenCL device matches 'nomatch'"));
    clnet_error_clear();
    fflush(stdout);
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("devices");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, list_devices);
    tcase_add_test(tc, select_auto_and_index);
    tcase_add_test(tc, select_by_name);
    tcase_add_test(tc, select_no_match);
    tcase_add_test(tc, spec_precedence);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, devices_command);
    suite_add_tcase(s, tc);
    tc = tcase_create("programs");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, open_embedded);
    tcase_add_test(tc, open_program_subset);
    tcase_add_test(tc, launch_modes);
    tcase_add_test(tc, profile_launches);
    tcase_add_test(tc, open_cl_dir);
    tcase_add_test(tc, missing_cl_file);
    tcase_add_test(tc, build_error);
    tcase_add_test(tc, alloc_limits);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, runtime_cache_tcase());
#ifdef CLNET_TEST_SPINWAIT
    suite_add_tcase(s, runtime_spinwait_tcase());
#endif
    return s;
}

int main(void)
{
    struct runtime_device_info *list;
    int n;
    if (runtime_list_devices(&list, &n) != CLNET_OK) {
        fprintf(stderr, "skipped: %s\n", clnet_error_message());
        return 77;
    }
    free(list);
    clnet_error_clear();
    /* Keep the user's cache out of it: every test here uses the harness folder. */
    char *cache = runtime_tests_dir("cache");
    cache_set_dir(cache);
    free(cache);
    return harness_run(runtime_suite(), false);
}
