/* Device listing and selection (device.h): every device of every platform with the fields
 * `clnet devices` shows, and the SPEC rules shared by --device, CLNET_DEVICE and the YAML
 * `device:` key. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/internal.h"
#include "runtime/quirks.h"
#include "util/status.h"

#define CLNET_PLATFORM_NOT_FOUND_KHR (-1001) /* cl_khr_icd: the loader found no platform */

const char *runtime_device_type_name(enum runtime_device_type type)
{
    switch (type) {
    case RUNTIME_DEVICE_CPU: return "CPU";
    case RUNTIME_DEVICE_GPU: return "GPU";
    case RUNTIME_DEVICE_ACCEL: return "ACCEL";
    case RUNTIME_DEVICE_OTHER: break;
    }
    return "OTHER";
}

void runtime_fp_flags_text(char *buf, size_t size, unsigned flags)
{
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {{RUNTIME_FP_DENORM, "denorms"},
                 {RUNTIME_FP_INF_NAN, "inf/nan"},
                 {RUNTIME_FP_ROUND_NEAREST, "round-to-nearest"},
                 {RUNTIME_FP_FMA, "fma"}};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && used < size; i++)
        if (flags & names[i].flag) {
            int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", names[i].name);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    if (!buf[0])
        snprintf(buf, size, "none");
}

int runtime_parse_opencl_c(const char *text)
{
    int major, minor;
    if (sscanf(text, "OpenCL C %d.%d", &major, &minor) != 2 || major < 1 || minor < 0 ||
        minor > 9)
        return 10;
    return major * 10 + minor;
}

int runtime_cl_std_option(char *buf, size_t size, const struct runtime_device_info *d)
{
    if (d->opencl_c < RUNTIME_MIN_OPENCL_C)
        return clnet_errorf(CLNET_ERR_DEVICE,
                            "%s supports OpenCL C %d.%d ('%s'); clnet's kernels need %d.%d or "
                            "later",
                            d->name, d->opencl_c / 10, d->opencl_c % 10,
                            d->opencl_c_version[0] ? d->opencl_c_version : "not reported",
                            RUNTIME_MIN_OPENCL_C / 10, RUNTIME_MIN_OPENCL_C % 10);
    int v = d->opencl_c >= 12 ? 12 : d->opencl_c;
    snprintf(buf, size, "-cl-std=CL%d.%d", v / 10, v % 10);
    return CLNET_OK;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t start = 0;
    while (s[start] && isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, n - start + 1);
}

/* A string query, truncated to fit buf; "" when the query fails. */
static void info_string(char *buf, size_t size, cl_device_id dev, cl_platform_id plat,
                        cl_uint param)
{
    size_t n = 0;
    cl_int err = dev ? clGetDeviceInfo(dev, param, 0, NULL, &n)
                     : clGetPlatformInfo(plat, param, 0, NULL, &n);
    buf[0] = '\0';
    if (err != CL_SUCCESS || n == 0)
        return;
    char *tmp = malloc(n + 1);
    if (!tmp)
        return;
    err = dev ? clGetDeviceInfo(dev, param, n, tmp, NULL)
              : clGetPlatformInfo(plat, param, n, tmp, NULL);
    if (err == CL_SUCCESS) {
        tmp[n] = '\0';
        snprintf(buf, size, "%s", tmp);
        trim(buf);
    }
    free(tmp);
}

/* CL_DEVICE_SINGLE_FP_CONFIG as enum runtime_fp_flag; a failed query reads as the minimum
 * the specification promises for a full profile (inf/nan, round to nearest). */
static unsigned fp_flags(cl_device_id dev)
{
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(dev, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) != CL_SUCCESS)
        fp = CL_FP_INF_NAN | CL_FP_ROUND_TO_NEAREST;
    return ((fp & CL_FP_DENORM) ? RUNTIME_FP_DENORM : 0u) |
           ((fp & CL_FP_INF_NAN) ? RUNTIME_FP_INF_NAN : 0u) |
           ((fp & CL_FP_ROUND_TO_NEAREST) ? RUNTIME_FP_ROUND_NEAREST : 0u) |
           ((fp & CL_FP_FMA) ? RUNTIME_FP_FMA : 0u);
}

static int device_describe(struct device_entry *e)
{
    struct runtime_device_info *d = &e->info;
    cl_device_id dev = e->device;
    info_string(d->name, sizeof d->name, dev, NULL, CL_DEVICE_NAME);
    info_string(d->vendor, sizeof d->vendor, dev, NULL, CL_DEVICE_VENDOR);
    info_string(d->device_version, sizeof d->device_version, dev, NULL, CL_DEVICE_VERSION);
    info_string(d->opencl_c_version, sizeof d->opencl_c_version, dev, NULL,
                CL_DEVICE_OPENCL_C_VERSION);
    info_string(d->driver_version, sizeof d->driver_version, dev, NULL, CL_DRIVER_VERSION);
    info_string(d->platform_name, sizeof d->platform_name, NULL, e->platform, CL_PLATFORM_NAME);
    info_string(d->platform_version, sizeof d->platform_version, NULL, e->platform,
                CL_PLATFORM_VERSION);

    cl_device_type type = 0;
    cl_uint units = 0, align_bits = 0;
    cl_ulong global = 0, local = 0, alloc = 0;
    size_t wg = 0, items[3] = {0, 0, 0};
    cl_int err = clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL);
    if (!err)
        err = clGetDeviceInfo(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits,
                              NULL);
    if (err)
        return runtime_check(err, "clGetDeviceInfo", d->name);
    d->type = (type & CL_DEVICE_TYPE_GPU)           ? RUNTIME_DEVICE_GPU
              : (type & CL_DEVICE_TYPE_CPU)         ? RUNTIME_DEVICE_CPU
              : (type & CL_DEVICE_TYPE_ACCELERATOR) ? RUNTIME_DEVICE_ACCEL
                                                    : RUNTIME_DEVICE_OTHER;
    d->compute_units = units;
    d->global_mem_bytes = global;
    d->local_mem_bytes = local;
    d->max_alloc_bytes = alloc;
    d->max_work_group_size = wg;
    memcpy(d->max_work_item_size, items, sizeof items);
    d->mem_base_align_bytes = align_bits / 8;
    d->opencl_c = runtime_parse_opencl_c(d->opencl_c_version);
    d->fp_flags = fp_flags(dev);
    return CLNET_OK;
}

/* Every device, malloc'd into *list. */
static int device_enumerate(struct device_entry **list, int *count)
{
    *list = NULL;
    *count = 0;
    cl_uint n_plat = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &n_plat);
    if (err == CLNET_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && n_plat == 0))
        return clnet_errorf(CLNET_ERR_DEVICE,
                            "no OpenCL platform found (clGetPlatformIDs: %s): install an OpenCL "
                            "driver, e.g. pocl-opencl-icd for the CPU",
                            err ? clnet_status_name(err) : "0 platforms");
    if (err)
        return runtime_check(err, "clGetPlatformIDs", NULL);
    cl_platform_id *plats = calloc(n_plat, sizeof *plats);
    if (!plats)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory listing OpenCL platforms");
    int status = runtime_check(clGetPlatformIDs(n_plat, plats, NULL), "clGetPlatformIDs", NULL);
    struct device_entry *out = NULL;
    int n_out = 0;
    for (cl_uint p = 0; p < n_plat && status == CLNET_OK; p++) {
        cl_uint n_dev = 0;
        /* A platform without devices (CL_DEVICE_NOT_FOUND) or a broken one lists nothing;
         * the others keep their indices. */
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n_dev) != CL_SUCCESS ||
            n_dev == 0)
            continue;
        cl_device_id *devs = calloc(n_dev, sizeof *devs);
        struct device_entry *grown = realloc(out, (size_t)(n_out + (int)n_dev) * sizeof *out);
        if (!devs || !grown) {
            free(devs);
            status = clnet_errorf(CLNET_ERR_NOMEM, "out of host memory listing OpenCL devices");
            break;
        }
        out = grown;
        status = runtime_check(clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, n_dev, devs, NULL),
                               "clGetDeviceIDs", NULL);
        for (cl_uint d = 0; d < n_dev && status == CLNET_OK; d++) {
            struct device_entry *e = &out[n_out++];
            memset(e, 0, sizeof *e);
            e->platform = plats[p];
            e->device = devs[d];
            e->info.platform_index = (int)p;
            e->info.device_index = (int)d;
            status = device_describe(e);
        }
        free(devs);
    }
    free(plats);
    char hint[1400] = "";
    if (status == CLNET_OK && n_out == 0)
        status = clnet_errorf(CLNET_ERR_DEVICE, "no OpenCL device found on %u platform%s%s",
                              n_plat, n_plat == 1 ? "" : "s", quirks_no_device_hint(hint, sizeof hint));
    if (status != CLNET_OK) {
        free(out);
        return status;
    }
    *list = out;
    *count = n_out;
    return CLNET_OK;
}

int runtime_list_devices(struct runtime_device_info **devices, int *count)
{
    struct device_entry *list;
    int status = device_enumerate(&list, count);
    *devices = NULL;
    if (status != CLNET_OK)
        return status;
    *devices = malloc((size_t)*count * sizeof **devices);
    if (!*devices) {
        free(list);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory listing OpenCL devices");
    }
    for (int i = 0; i < *count; i++)
        (*devices)[i] = list[i].info;
    free(list);
    return CLNET_OK;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* "P:D" with both parts decimal; false for anything else (then SPEC is a name). */
static bool parse_index(const char *spec, long *p, long *d)
{
    char *end;
    if (!isdigit((unsigned char)spec[0]))
        return false;
    *p = strtol(spec, &end, 10);
    if (*end != ':' || !isdigit((unsigned char)end[1]))
        return false;
    *d = strtol(end + 1, &end, 10);
    return *end == '\0';
}

/* "0:0 NAME [PLATFORM], ..." for messages, truncated to fit. */
static void device_list_text(char *buf, size_t size, const struct device_entry *list, int n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%d:%d %s [%s]", i ? ", " : "",
                         list[i].info.platform_index, list[i].info.device_index,
                         list[i].info.name, list[i].info.platform_name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

bool runtime_device_is_simulator(const struct runtime_device_info *d)
{
    static const char *const words[] = {"oclgrind", "simulator", "emulator"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (contains_nocase(d->name, words[i]) || contains_nocase(d->platform_name, words[i]))
            return true;
    return false;
}

/* auto: the first real GPU, else the first device that is not a simulator; -1 when there is
 * only simulators (a run on one takes hours: it must be asked for by name). */
static int pick_auto(const struct runtime_device_info *list, int n)
{
    int first = -1;
    for (int i = 0; i < n; i++) {
        if (runtime_device_is_simulator(&list[i]))
            continue;
        if (list[i].type == RUNTIME_DEVICE_GPU)
            return i;
        if (first < 0)
            first = i;
    }
    return first;
}

int runtime_pick_device(const struct runtime_device_info *list, int n, const char *spec)
{
    if (!spec || !spec[0] || strcasecmp(spec, "auto") == 0)
        return pick_auto(list, n);
    long p, d;
    if (parse_index(spec, &p, &d)) {
        for (int i = 0; i < n; i++)
            if (list[i].platform_index == p && list[i].device_index == d)
                return i;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (contains_nocase(list[i].name, spec) || contains_nocase(list[i].platform_name, spec))
            return i;
    return -1;
}

int device_select(struct device_entry *out, const char *spec)
{
    struct device_entry *list;
    int n;
    int status = device_enumerate(&list, &n);
    if (status != CLNET_OK)
        return status;
    if (!spec || !spec[0])
        spec = "auto";
    struct runtime_device_info *infos = malloc((size_t)n * sizeof *infos);
    if (!infos) {
        free(list);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory listing OpenCL devices");
    }
    for (int i = 0; i < n; i++)
        infos[i] = list[i].info;
    int found = runtime_pick_device(infos, n, spec);
    free(infos);
    if (found < 0) {
        char text[3000];
        device_list_text(text, sizeof text, list, n);
        bool is_auto = strcasecmp(spec, "auto") == 0;
        status = clnet_errorf(CLNET_ERR_DEVICE, "no OpenCL device matches '%s'%s (devices: %s)",
                              spec,
                              is_auto ? " (auto passes over simulators such as Oclgrind: name "
                                        "one with --device to use it)"
                                      : "",
                              text);
    } else {
        *out = list[found];
    }
    free(list);
    return status;
}

int runtime_find_device(struct runtime_device_info *info, const char *spec)
{
    struct device_entry e;
    int status = device_select(&e, spec);
    if (status == CLNET_OK)
        *info = e.info;
    return status;
}

const char *runtime_device_spec(const char *flag, const char *yaml)
{
    if (flag)
        return flag;
    if (yaml && yaml[0])
        return yaml;
    return "auto";
}
