/* OpenCL platforms and devices as plain data: listing, and selection from a SPEC string
 * (`auto`, `P:D`, or a case-insensitive substring of the platform or device name). No OpenCL
 * types here, so the command line can list and choose devices without the OpenCL headers. */
#ifndef CLNET_RUNTIME_DEVICE_H
#define CLNET_RUNTIME_DEVICE_H

#include <stddef.h>
#include <stdint.h>

enum runtime_device_type {
    RUNTIME_DEVICE_CPU,
    RUNTIME_DEVICE_GPU,
    RUNTIME_DEVICE_ACCEL,
    RUNTIME_DEVICE_OTHER,
};

#define RUNTIME_INFO_STRING 256

/* One device as `clnet devices` shows it. Strings are truncated to fit and trimmed. */
struct runtime_device_info {
    int platform_index, device_index; /* P:D, in the ICD's enumeration order */
    char name[RUNTIME_INFO_STRING];
    char vendor[RUNTIME_INFO_STRING];
    char platform_name[RUNTIME_INFO_STRING];
    char platform_version[RUNTIME_INFO_STRING]; /* "OpenCL 3.0 PoCL 5.0 ..." */
    char device_version[RUNTIME_INFO_STRING];   /* "OpenCL 1.2 ..." */
    char opencl_c_version[RUNTIME_INFO_STRING]; /* "OpenCL C 1.2 ..." */
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

/* Every device of every platform, in P:D order, malloc'd into *devices (free() it). No
 * platform or no device at all is CLNET_ERR_DEVICE with a message saying so. */
int runtime_list_devices(struct runtime_device_info **devices, int *count);

/* The device SPEC selects (NULL or "" mean auto): `auto` is the first GPU, else the first
 * device; `P:D` an index pair as listed; anything else the first device whose device or
 * platform name contains SPEC, ignoring case. No match is CLNET_ERR_DEVICE with a message
 * that lists the devices inline. */
int runtime_find_device(struct runtime_device_info *info, const char *spec);

/* The spec in force: flag if non-NULL, else $CLNET_DEVICE if set and non-empty, else yaml if
 * non-NULL and non-empty, else "auto". */
const char *runtime_device_spec(const char *flag, const char *yaml);

#endif
