/* The cl/ sources a program is built from: the copies embedded at build time, or the files of
 * a --cl-dir folder (for editing kernels without rebuilding clnet). A file missing from that
 * folder is an error, never a silent fallback to the embedded copy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cache.h"
#include "runtime/embedded.h"
#include "runtime/internal.h"
#include "util/status.h"

static int load_embedded(struct cl_source *src, const char *file)
{
    for (size_t i = 0; i < cl_embedded_count; i++) {
        const struct cl_embedded_file *e = &cl_embedded_files[i];
        if (strcmp(e->name, file) != 0)
            continue;
        src->data = malloc(e->size + 1);
        if (!src->data)
            return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of host memory", src->display);
        memcpy(src->data, e->data, e->size);
        src->size = e->size;
        return CLNET_OK;
    }
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s is not embedded (add it to cl/meson.build)",
                        src->display);
}

static int load_file(struct cl_source *src)
{
    FILE *f = fopen(src->display, "rb");
    if (!f)
        return clnet_errorf(CLNET_ERR_IO, "%s: cannot read OpenCL source: %s", src->display,
                            strerror(errno));
    int status = CLNET_OK;
    long n = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        status = clnet_errorf(CLNET_ERR_IO, "%s: cannot read OpenCL source: %s", src->display,
                              strerror(errno));
        goto done;
    }
    src->data = malloc((size_t)n + 1);
    if (!src->data) {
        status = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of host memory", src->display);
        goto done;
    }
    if (fread(src->data, 1, (size_t)n, f) != (size_t)n) {
        status = clnet_errorf(CLNET_ERR_IO, "%s: short read", src->display);
        goto done;
    }
    src->size = (size_t)n;
done:
    fclose(f);
    return status;
}

int source_load(struct cl_source *src, const char *file, const char *cl_dir)
{
    memset(src, 0, sizeof *src);
    int n = cl_dir ? snprintf(src->display, sizeof src->display, "%s/%s", cl_dir, file)
                   : snprintf(src->display, sizeof src->display, "cl/%s", file);
    if (n < 0 || (size_t)n >= sizeof src->display)
        return clnet_errorf(CLNET_ERR_IO, "%s/%s: path too long", cl_dir ? cl_dir : "cl", file);
    int status = cl_dir ? load_file(src) : load_embedded(src, file);
    if (status != CLNET_OK)
        source_free(src);
    return status;
}

void source_free(struct cl_source *src)
{
    free(src->data);
    src->data = NULL;
    src->size = 0;
}

uint64_t runtime_sources_hash(uint64_t h)
{
    for (size_t i = 0; i < cl_embedded_count; i++) {
        h = cache_hash_string(h, cl_embedded_files[i].name);
        h = cache_hash(h, cl_embedded_files[i].data, cl_embedded_files[i].size);
    }
    return h;
}
