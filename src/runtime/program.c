/* Building one program: the prelude and the program's cl/ file joined with #line markers (so
 * build logs name the real file and line), built with the device's -cl-std (CL1.2 where it
 * has it: runtime_cl_std_option) and its -D constants, or loaded from the binary cache when an entry for the exact same inputs exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cache.h"
#include "runtime/internal.h"
#include "util/status.h"

/* Appends `#line 1 "name"` with name's quotes and backslashes escaped. */
static size_t put_line_marker(char *out, const char *name)
{
    size_t n = 0;
    n += (size_t)sprintf(out + n, "#line 1 \"");
    for (const char *c = name; *c; c++) {
        if (*c == '"' || *c == '\\')
            out[n++] = '\\';
        out[n++] = (*c == '\n' || *c == '\r') ? '?' : *c;
    }
    n += (size_t)sprintf(out + n, "\"\n");
    return n;
}

/* prelude + file as one malloc'd, NUL-terminated text. */
static char *compose(const struct cl_source *prelude, const struct cl_source *file, size_t *len)
{
    size_t cap = prelude->size + file->size + 2 * (2 * RUNTIME_PATH_MAX + 16) + 4;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t n = put_line_marker(text, prelude->display);
    memcpy(text + n, prelude->data, prelude->size);
    n += prelude->size;
    text[n++] = '\n';
    n += put_line_marker(text + n, file->display);
    memcpy(text + n, file->data, file->size);
    n += file->size;
    text[n] = '\0';
    *len = n;
    return text;
}

/* Everything that changes the binary: clnet, the text, the options, the device and driver. */
static uint64_t program_key(const struct runtime *rt, const char *text, size_t len,
                            const char *options)
{
    const struct runtime_device_info *d = &rt->info;
    uint64_t h = cache_hash_string(CACHE_HASH_INIT, "clnet " CLNET_VERSION);
    h = cache_hash(h, text, len);
    h = cache_hash_string(h, options);
    h = cache_hash_string(h, d->name);
    h = cache_hash_string(h, d->vendor);
    h = cache_hash_string(h, d->device_version);
    h = cache_hash_string(h, d->driver_version);
    h = cache_hash_string(h, d->platform_name);
    h = cache_hash_string(h, d->platform_version);
    return h;
}

/* The build log; malloc'd, "" when there is none. */
static char *build_log(cl_program program, cl_device_id device)
{
    size_t n = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) == CL_SUCCESS)
        log = malloc(n + 1);
    if (log && clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, n, log, NULL) ==
                   CL_SUCCESS)
        log[n] = '\0';
    else if (log)
        log[0] = '\0';
    return log ? log : calloc(1, 1);
}

/* The first log line that mentions an error, else the first non-empty one, at most 300
 * characters, into buf. */
static void first_error_line(char *buf, size_t size, const char *log)
{
    const char *pick = NULL;
    const char *line = log;
    while (*line) {
        size_t len = strcspn(line, "\n");
        if (!pick && len > 0)
            pick = line;
        const char *hit = strstr(line, "error");
        if (hit && hit < line + len) {
            pick = line;
            break;
        }
        line += len;
        if (*line)
            line++;
    }
    if (!pick) {
        snprintf(buf, size, "empty build log");
        return;
    }
    int len = (int)strcspn(pick, "\n");
    snprintf(buf, size, "%.*s", len > 300 ? 300 : len, pick);
}

static int build_failed(const struct runtime *rt, cl_program program, cl_int err,
                        const char *display)
{
    if (err != CL_BUILD_PROGRAM_FAILURE && err != CL_INVALID_BUILD_OPTIONS)
        return runtime_check(err, "clBuildProgram", display);
    char *log = build_log(program, rt->device);
    fprintf(stderr, "clnet: build log of %s on %s:\n%s%s", display, rt->info.name, log,
            log[0] && log[strlen(log) - 1] != '\n' ? "\n" : "");
    char first[320];
    first_error_line(first, sizeof first, log);
    free(log);
    return clnet_errorf(CLNET_ERR_BUILD, "%s: build failed (%s) on %s: %s (full build log above)",
                        display, clnet_status_name(err), rt->info.name, first);
}

/* The cache entry's program, built; false when it is refused (then it is rebuilt). */
static bool load_binary(const struct runtime *rt, cl_program *program,
                        const unsigned char *binary, size_t len, const char *options)
{
    cl_int err, binary_status = CL_SUCCESS;
    cl_program p = clCreateProgramWithBinary(rt->context, 1, &rt->device, &len, &binary,
                                             &binary_status, &err);
    if (err != CL_SUCCESS || binary_status != CL_SUCCESS) {
        if (p)
            clReleaseProgram(p);
        return false;
    }
    if (clBuildProgram(p, 1, &rt->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return false;
    }
    *program = p;
    return true;
}

/* Writes the built program's binary to the cache; failures only cost the next start. */
static void store_binary(cl_program program, const char *path, uint64_t key,
                         struct runtime_stats *st)
{
    size_t len = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) !=
            CL_SUCCESS ||
        len == 0)
        return;
    unsigned char *binary = malloc(len);
    if (binary &&
        clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) ==
            CL_SUCCESS &&
        cache_store(path, key, binary, len))
        st->cache_writes++;
    free(binary);
}

/* The program from the binary cache at path, counted in st; false when it is not there or
 * the device refuses it (then it is built from source and stored again). */
static bool from_cache(const struct runtime *rt, cl_program *program, const char *path,
                       uint64_t key, const char *options, struct runtime_stats *st)
{
    unsigned char *binary;
    size_t binary_len;
    enum cache_result r = cache_load(path, key, &binary, &binary_len);
    bool found = r == CACHE_FOUND && load_binary(rt, program, binary, binary_len, options);
    free(binary);
    if (found) {
        st->cache_hits++;
        return true;
    }
    if (r != CACHE_MISSING)
        st->cache_rejected++;
    st->cache_misses++;
    return false;
}

/* The program built from its composed source text; a failed build is its log. */
static int from_source(const struct runtime *rt, cl_program *program, const char *text,
                       size_t len, const char *options, const char *display)
{
    cl_int err;
    const char *texts[1] = {text};
    cl_program p = clCreateProgramWithSource(rt->context, 1, texts, &len, &err);
    int status = runtime_check(err, "clCreateProgramWithSource", display);
    if (status != CLNET_OK)
        return status;
    err = clBuildProgram(p, 1, &rt->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        status = build_failed(rt, p, err, display);
        clReleaseProgram(p);
        return status;
    }
    *program = p;
    return CLNET_OK;
}

int program_build(const struct runtime *rt, cl_program *program, enum program_id id,
                  struct runtime_stats *st)
{
    *program = NULL;
    const char *file = program_file(id);
    if (!file)
        return clnet_errorf(CLNET_ERR_INTERNAL, "program %d has no row in runtime/kernels.c",
                            (int)id);
    char options[1024], std[32];
    int status = runtime_cl_std_option(std, sizeof std, &rt->info);
    if (status != CLNET_OK)
        return status;
    snprintf(options, sizeof options, "%s %s", std, program_options(id));
    struct cl_source prelude = {0}, src = {0};
    char *text = NULL;
    status = source_load(&prelude, PROGRAM_PRELUDE, rt->cl_dir);
    if (status == CLNET_OK)
        status = source_load(&src, file, rt->cl_dir);
    size_t len = 0;
    if (status == CLNET_OK && !(text = compose(&prelude, &src, &len)))
        status = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of host memory", src.display);
    if (status != CLNET_OK)
        goto done;

    uint64_t key = program_key(rt, text, len, options);
    char path[RUNTIME_PATH_MAX + 64] = "";
    if (rt->cache_dir[0]) {
        cache_path(path, sizeof path, rt->cache_dir, file, key);
        if (from_cache(rt, program, path, key, options, st))
            goto done;
    }
    status = from_source(rt, program, text, len, options, src.display);
    if (status == CLNET_OK && path[0])
        store_binary(*program, path, key, st);
done:
    free(text);
    source_free(&prelude);
    source_free(&src);
    return status;
}
