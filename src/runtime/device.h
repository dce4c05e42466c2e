/* OpenCL platforms and devices as plain data: listing, and selection from a SPEC string
 * (`auto`, `P:D`, or a case-insensitive substring of the platform or device name). No OpenCL
 * types here, so the command line can list and choose devices without the OpenCL headers. */
#ifndef CLNET_RUNTIME_DEVICE_H
#define CLNET_RUNTIME_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum runtime_device_type {
    RUNTIME_DEVICE_CPU,
    RUNTIME_DEVICE_GPU,
    RUNTIME_DEVICE_ACCEL,
    RUNTIME_DEVICE_OTHER,
};

#define RUNTIME_INFO_STRING 256

/* CL_DEVICE_SINGLE_FP_CONFIG's bits that clnet cares about, as its own flags. */
enum runtime_fp_flag {
    RUNTIME_FP_DENORM = 1u << 0,        /* denormals kept, not flushed to zero */
    RUNTIME_FP_INF_NAN = 1u << 1,       /* infinities and NaNs supported */
    RUNTIME_FP_ROUND_NEAREST = 1u << 2, /* round to nearest even */
    RUNTIME_FP_FMA = 1u << 3,           /* fused multiply-add in hardware */
};

/* The oldest OpenCL C the kernels build with (cl/: 1.1's built-ins, no 1.2-only feature). */
#define RUNTIME_MIN_OPENCL_C 11 /* major * 10 + minor */

/* One device as `clnet devices` shows it. Strings are truncated to fit and trimmed. */
struct runtime_device_info {
    int platform_index, device_index; /* P:D, in the ICD's enumeration order */
    char name[RUNTIME_INFO_STRING];
    char vendor[RUNTIME_INFO_STRING];
    char platform_name[RUNTIME_INFO_STRING];
    char platform_version[RUNTIME_INFO_STRING]; /* "OpenCL 3.0 PoCL 5.0 ..." */
    char device_version[RUNTIME_INFO_STRING];   /* "OpenCL 1.2 ..." */
    char opencl_c_version[RUNTIME_INFO_STRING]; /* "OpenCL C 1.2 ..." */
    int opencl_c;      /* that version as major * 10 + minor; 10 when the device does not say */
    unsigned fp_flags; /* enum runtime_fp_flag, from CL_DEVICE_SINGLE_FP_CONFIG */
    char driver_version[RUNTIME_INFO_STRING];
    enum runtime_device_type type;
    unsigned compute_units;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    uint64_t max_alloc_bytes;     /* largest single buffer */
    size_t max_work_group_size;   /* device-wide; a kernel's own limit may be lower */
    size_t max_work_item_size[3]; /* per dimension */
    unsigned mem_base_align_bytes; /* alignment of sub-buffer origins */
};

/* "CPU", "GPU", "ACCEL" or "OTHER". */
const char *runtime_device_type_name(enum runtime_device_type type);

/* "denorms, inf/nan, round-to-nearest, fma" for the flags set (or "none"), into buf. */
void runtime_fp_flags_text(char *buf, size_t size, unsigned flags);

/* major * 10 + minor of "OpenCL C M.N ..."; 10 (OpenCL 1.0, which has no such query) when
 * text does not parse. */
int runtime_parse_opencl_c(const char *text);

/* The -cl-std option for a device's OpenCL C (CL1.2 from 1.2 on, so the kernels see one
 * language everywhere, else the device's own) into buf; CLNET_ERR_DEVICE with one line when
 * the device is below RUNTIME_MIN_OPENCL_C. */
int runtime_cl_std_option(char *buf, size_t size, const struct runtime_device_info *d);

/* Whether a device is a simulator or emulator (Oclgrind and the like), by its device or
 * platform name: `auto` never picks one, since a simulator is orders of magnitude slower. */
bool runtime_device_is_simulator(const struct runtime_device_info *d);

/* The index into list[0..n) that SPEC selects under runtime_find_device's rules, or -1;
 * pure, so the choice can be tested on made-up lists. */
int runtime_pick_device(const struct runtime_device_info *list, int n, const char *spec);

/* Every device of every platform, in P:D order, malloc'd into *devices (free() it). No
 * platform or no device at all is CLNET_ERR_DEVICE with a message saying so. */
int runtime_list_devices(struct runtime_device_info **devices, int *count);

/* The device SPEC selects (NULL or "" mean auto): `auto` is the first GPU, else the first
 * device, passing over simulators (none is picked when only simulators are found); `P:D` an index pair as listed; anything else the first device whose device or
 * platform name contains SPEC, ignoring case. No match is CLNET_ERR_DEVICE with a message
 * that lists the devices inline. */
int runtime_find_device(struct runtime_device_info *info, const char *spec);

/* The spec in force: flag (--device, else CLNET_DEVICE: the options' device) if non-NULL,
 * else yaml if non-NULL and non-empty, else "auto". */
const char *runtime_device_spec(const char *flag, const char *yaml);

#endif
