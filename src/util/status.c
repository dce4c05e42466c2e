/* The recorded error message and the names of every status code (clnet's, OpenCL's and
 * CLBlast's), kept here rather than in runtime/ so host-only code can name codes too. */
#include "util/status.h"

#include "util/interrupt.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char error_message[4096];
static _Thread_local int error_set;

int clnet_errorf(int code, const char *fmt, ...)
{
    if (!error_set) {
        char raw[sizeof error_message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        /* One line whatever the input held: names taken from a file (a YAML key "a\nb", a
         * safetensors tensor name, a --set argument) may contain control characters; they
         * are shown as \n, \r, \t or \xHH. */
        size_t o = 0;
        for (const unsigned char *c = (const unsigned char *)raw;
             *c && o + 5 < sizeof error_message; c++) {
            if (*c >= 0x20 && *c != 0x7F)
                error_message[o++] = (char)*c;
            else if (*c == '\n' || *c == '\r' || *c == '\t')
                o += (size_t)snprintf(error_message + o, 3, "\\%c",
                                      *c == '\n' ? 'n' : *c == '\r' ? 'r' : 't');
            else
                o += (size_t)snprintf(error_message + o, 5, "\\x%02X", *c);
        }
        error_message[o] = '\0';
        error_set = 1;
    }
    return code;
}

const char *clnet_error_message(void)
{
    return error_set ? error_message : "";
}

void clnet_error_clear(void)
{
    error_set = 0;
    error_message[0] = '\0';
}

struct code_name {
    int code;
    const char *name;
};

static const struct code_name names[] = {
    {CLNET_OK, "CLNET_OK"},
    {CLNET_ERR_USAGE, "CLNET_ERR_USAGE"},
    {CLNET_ERR_CONFIG, "CLNET_ERR_CONFIG"},
    {CLNET_ERR_DATA, "CLNET_ERR_DATA"},
    {CLNET_ERR_DEVICE, "CLNET_ERR_DEVICE"},
    {CLNET_ERR_IO, "CLNET_ERR_IO"},
    {CLNET_ERR_NOMEM, "CLNET_ERR_NOMEM"},
    {CLNET_ERR_BUILD, "CLNET_ERR_BUILD"},
    {CLNET_ERR_DIVERGED, "CLNET_ERR_DIVERGED"},
    {CLNET_ERR_INTERNAL, "CLNET_ERR_INTERNAL"},
    {CLNET_ERR_INTERRUPTED, "CLNET_ERR_INTERRUPTED"},
    {CLNET_ERR_RUNS_FAILED, "CLNET_ERR_RUNS_FAILED"},
    {CLNET_ERR_CHECK, "CLNET_ERR_CHECK"},
    /* OpenCL 1.2 (CL/cl.h); numbers rather than macros so this file needs no OpenCL. */
    {-1, "CL_DEVICE_NOT_FOUND"},
    {-2, "CL_DEVICE_NOT_AVAILABLE"},
    {-3, "CL_COMPILER_NOT_AVAILABLE"},
    {-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
    {-5, "CL_OUT_OF_RESOURCES"},
    {-6, "CL_OUT_OF_HOST_MEMORY"},
    {-7, "CL_PROFILING_INFO_NOT_AVAILABLE"},
    {-8, "CL_MEM_COPY_OVERLAP"},
    {-9, "CL_IMAGE_FORMAT_MISMATCH"},
    {-10, "CL_IMAGE_FORMAT_NOT_SUPPORTED"},
    {-11, "CL_BUILD_PROGRAM_FAILURE"},
    {-12, "CL_MAP_FAILURE"},
    {-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET"},
    {-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"},
    {-15, "CL_COMPILE_PROGRAM_FAILURE"},
    {-16, "CL_LINKER_NOT_AVAILABLE"},
    {-17, "CL_LINK_PROGRAM_FAILURE"},
    {-18, "CL_DEVICE_PARTITION_FAILED"},
    {-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"},
    {-30, "CL_INVALID_VALUE"},
    {-31, "CL_INVALID_DEVICE_TYPE"},
    {-32, "CL_INVALID_PLATFORM"},
    {-33, "CL_INVALID_DEVICE"},
    {-34, "CL_INVALID_CONTEXT"},
    {-35, "CL_INVALID_QUEUE_PROPERTIES"},
    {-36, "CL_INVALID_COMMAND_QUEUE"},
    {-37, "CL_INVALID_HOST_PTR"},
    {-38, "CL_INVALID_MEM_OBJECT"},
    {-39, "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR"},
    {-40, "CL_INVALID_IMAGE_SIZE"},
    {-41, "CL_INVALID_SAMPLER"},
    {-42, "CL_INVALID_BINARY"},
    {-43, "CL_INVALID_BUILD_OPTIONS"},
    {-44, "CL_INVALID_PROGRAM"},
    {-45, "CL_INVALID_PROGRAM_EXECUTABLE"},
    {-46, "CL_INVALID_KERNEL_NAME"},
    {-47, "CL_INVALID_KERNEL_DEFINITION"},
    {-48, "CL_INVALID_KERNEL"},
    {-49, "CL_INVALID_ARG_INDEX"},
    {-50, "CL_INVALID_ARG_VALUE"},
    {-51, "CL_INVALID_ARG_SIZE"},
    {-52, "CL_INVALID_KERNEL_ARGS"},
    {-53, "CL_INVALID_WORK_DIMENSION"},
    {-54, "CL_INVALID_WORK_GROUP_SIZE"},
    {-55, "CL_INVALID_WORK_ITEM_SIZE"},
    {-56, "CL_INVALID_GLOBAL_OFFSET"},
    {-57, "CL_INVALID_EVENT_WAIT_LIST"},
    {-58, "CL_INVALID_EVENT"},
    {-59, "CL_INVALID_OPERATION"},
    {-60, "CL_INVALID_GL_OBJECT"},
    {-61, "CL_INVALID_BUFFER_SIZE"},
    {-62, "CL_INVALID_MIP_LEVEL"},
    {-63, "CL_INVALID_GLOBAL_WORK_SIZE"},
    {-64, "CL_INVALID_PROPERTY"},
    {-65, "CL_INVALID_IMAGE_DESCRIPTOR"},
    {-66, "CL_INVALID_COMPILER_OPTIONS"},
    {-67, "CL_INVALID_LINKER_OPTIONS"},
    {-68, "CL_INVALID_DEVICE_PARTITION_COUNT"},
    {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
    /* CLBlast's own codes (clblast_c.h, CLBlastStatusCode); its others are OpenCL's. */
    {-1024, "CLBlastNotImplemented"},
    {-1022, "CLBlastInvalidMatrixA"},
    {-1021, "CLBlastInvalidMatrixB"},
    {-1020, "CLBlastInvalidMatrixC"},
    {-1019, "CLBlastInvalidVectorX"},
    {-1018, "CLBlastInvalidVectorY"},
    {-1017, "CLBlastInvalidDimension"},
    {-1016, "CLBlastInvalidLeadDimA"},
    {-1015, "CLBlastInvalidLeadDimB"},
    {-1014, "CLBlastInvalidLeadDimC"},
    {-1013, "CLBlastInvalidIncrementX"},
    {-1012, "CLBlastInvalidIncrementY"},
    {-1011, "CLBlastInsufficientMemoryA"},
    {-1010, "CLBlastInsufficientMemoryB"},
    {-1009, "CLBlastInsufficientMemoryC"},
    {-1008, "CLBlastInsufficientMemoryX"},
    {-1007, "CLBlastInsufficientMemoryY"},
    {-2050, "CLBlastInsufficientMemoryTemp"},
    {-2049, "CLBlastInvalidBatchCount"},
    {-2048, "CLBlastInvalidOverrideKernel"},
    {-2047, "CLBlastMissingOverrideParameter"},
    {-2046, "CLBlastInvalidLocalMemUsage"},
    {-2045, "CLBlastNoHalfPrecision"},
    {-2044, "CLBlastNoDoublePrecision"},
    {-2043, "CLBlastInvalidVectorScalar"},
    {-2042, "CLBlastInsufficientMemoryScalar"},
    {-2041, "CLBlastDatabaseError"},
    {-2040, "CLBlastUnknownError"},
    {-2039, "CLBlastUnexpectedError"},
};

const char *clnet_status_name(int code)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "unknown status %d", code);
    return buf;
}

int clnet_exit_code(int code)
{
    switch (code) {
    case CLNET_OK:
        return 0;
    case CLNET_ERR_USAGE:
    case CLNET_ERR_CONFIG:
    case CLNET_ERR_DATA:
    case CLNET_ERR_DEVICE:
        return 2;
    case CLNET_ERR_INTERRUPTED:
        return interrupt_exit_code();
    default:
        return 1;
    }
}
