/* The kernel and program tables (kernels.h): designated initialisers keep each row next to its
 * enum value, and the static asserts make a half-added kernel or program a compile error. */
#include "runtime/kernels.h"

#include <assert.h>
#include <stddef.h>

struct program_desc {
    const char *file;
    const char *options;
};

struct kernel_desc {
    const char *name;
    enum program_id program;
};

static const struct program_desc programs[] = {
    [PROGRAM_DATA] = {"data.cl", ""},
};

static const struct kernel_desc kernels[] = {
    [KERNEL_GATHER_BATCH] = {"gather_batch", PROGRAM_DATA},
};

static_assert(sizeof programs / sizeof programs[0] == PROGRAM_COUNT,
              "every program_id needs a row in programs[]");
static_assert(sizeof kernels / sizeof kernels[0] == KERNEL_COUNT,
              "every kernel_id needs a row in kernels[]");

const char *kernel_name(enum kernel_id id)
{
    assert(id >= 0 && id < KERNEL_COUNT);
    return kernels[id].name; /* NULL for a skipped row: runtime_open reports it */
}

enum program_id kernel_program(enum kernel_id id)
{
    assert(id >= 0 && id < KERNEL_COUNT);
    return kernels[id].program;
}

const char *program_file(enum program_id id)
{
    assert(id >= 0 && id < PROGRAM_COUNT);
    return programs[id].file; /* NULL for a skipped row: runtime_open reports it */
}

const char *program_options(enum program_id id)
{
    assert(id >= 0 && id < PROGRAM_COUNT);
    return programs[id].options ? programs[id].options : "";
}
