/* The cl/ sources compiled into libclnet as byte arrays (cl/embed.py writes the table into
 * the build directory). */
#ifndef CLNET_RUNTIME_EMBEDDED_H
#define CLNET_RUNTIME_EMBEDDED_H

#include <stddef.h>

struct cl_embedded_file {
    const char *name; /* file name under cl/, "data.cl" */
    const unsigned char *data;
    size_t size;
};

extern const struct cl_embedded_file cl_embedded_files[];
extern const size_t cl_embedded_count;

#endif
