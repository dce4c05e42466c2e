/* The device choice as a pure function (runtime_pick_device) on made-up device lists, so the
 * rules hold without drivers: `auto` prefers a real GPU, passes over simulators (Oclgrind
 * calls itself a GPU on some builds), and picks none when only simulators are there; and the
 * -cl-std derived from a device's OpenCL C version. Host only. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "runtime/device.h"
#include "util/status.h"

static struct runtime_device_info device(int p, int d, const char *name, const char *platform,
                                         enum runtime_device_type type)
{
    struct runtime_device_info info;
    memset(&info, 0, sizeof info);
    info.platform_index = p;
    info.device_index = d;
    snprintf(info.name, sizeof info.name, "%s", name);
    snprintf(info.platform_name, sizeof info.platform_name, "%s", platform);
    info.type = type;
    return info;
}

START_TEST(auto_passes_over_a_simulator_gpu)
{
    const struct runtime_device_info list[] = {
        device(0, 0, "Oclgrind Simulator", "Oclgrind", RUNTIME_DEVICE_GPU),
        device(1, 0, "cpu-haswell-Intel(R) Xeon", "Portable Computing Language",
               RUNTIME_DEVICE_CPU),
    };
    ck_assert_int_eq(runtime_pick_device(list, 2, "auto"), 1);
    ck_assert_int_eq(runtime_pick_device(list, 2, NULL), 1);
    ck_assert_int_eq(runtime_pick_device(list, 2, ""), 1);
    /* asked for by name or index, the simulator is chosen */
    ck_assert_int_eq(runtime_pick_device(list, 2, "oclgrind"), 0);
    ck_assert_int_eq(runtime_pick_device(list, 2, "0:0"), 0);
}
END_TEST

START_TEST(auto_prefers_a_real_gpu)
{
    const struct runtime_device_info list[] = {
        device(0, 0, "cpu-haswell", "Portable Computing Language", RUNTIME_DEVICE_CPU),
        device(1, 0, "Oclgrind Simulator", "Oclgrind", RUNTIME_DEVICE_GPU),
        device(2, 0, "NVIDIA H100", "NVIDIA CUDA", RUNTIME_DEVICE_GPU),
    };
    ck_assert_int_eq(runtime_pick_device(list, 3, "auto"), 2);
}
END_TEST

START_TEST(auto_finds_nothing_among_simulators)
{
    const struct runtime_device_info list[] = {
        device(0, 0, "Oclgrind Simulator", "Oclgrind", RUNTIME_DEVICE_CPU),
        device(1, 0, "Some Emulator", "Vendor", RUNTIME_DEVICE_ACCEL),
    };
    ck_assert(runtime_device_is_simulator(&list[0]) && runtime_device_is_simulator(&list[1]));
    ck_assert_int_eq(runtime_pick_device(list, 2, "auto"), -1);
    ck_assert_int_eq(runtime_pick_device(list, 2, "1:0"), 1);
    ck_assert_int_eq(runtime_pick_device(list, 2, "9:9"), -1);
}
END_TEST

START_TEST(cl_std_follows_the_device)
{
    struct runtime_device_info d = device(0, 0, "dev", "plat", RUNTIME_DEVICE_CPU);
    char std[32];
    const struct {
        const char *version, *want;
    } cases[] = {{"OpenCL C 3.0 PoCL", "-cl-std=CL1.2"},
                 {"OpenCL C 1.2 Oclgrind", "-cl-std=CL1.2"},
                 {"OpenCL C 1.1 ", "-cl-std=CL1.1"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(d.opencl_c_version, sizeof d.opencl_c_version, "%s", cases[i].version);
        d.opencl_c = runtime_parse_opencl_c(d.opencl_c_version);
        ck_assert_int_eq(runtime_cl_std_option(std, sizeof std, &d), CLNET_OK);
        ck_assert_str_eq(std, cases[i].want);
    }
    d.opencl_c_version[0] = '\0'; /* an OpenCL 1.0 device has no such query */
    d.opencl_c = runtime_parse_opencl_c(d.opencl_c_version);
    ck_assert_int_eq(d.opencl_c, 10);
    ck_assert_int_eq(runtime_cl_std_option(std, sizeof std, &d), CLNET_ERR_DEVICE);
    ck_assert_ptr_nonnull(strstr(clnet_error_message(), "need 1.1 or later"));
    clnet_error_clear();
}
END_TEST

START_TEST(fp_flags_read_as_words)
{
    char text[96];
    runtime_fp_flags_text(text, sizeof text, RUNTIME_FP_DENORM | RUNTIME_FP_FMA);
    ck_assert_str_eq(text, "denorms, fma");
    runtime_fp_flags_text(text, sizeof text, 0);
    ck_assert_str_eq(text, "none");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("device_pick");
    TCase *tc = tcase_create("pick");
    tcase_add_test(tc, auto_passes_over_a_simulator_gpu);
    tcase_add_test(tc, auto_prefers_a_real_gpu);
    tcase_add_test(tc, auto_finds_nothing_among_simulators);
    tcase_add_test(tc, cl_std_follows_the_device);
    tcase_add_test(tc, fp_flags_read_as_words);
    suite_add_tcase(s, tc);
    return harness_run(s, true);
}
