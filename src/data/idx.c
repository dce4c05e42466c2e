/* IDX reader and writer (see idx.h). Plain files are checked against their size before
 * anything is allocated, then read into an anonymous mapping populated in one call: on the
 * virtual machines of bench/RESULTS.md every page faulted in one at a time cost about 19 us, so
 * a malloc'd buffer for the 47 MB of MNIST's training images took 0.21 s to read against 0.13 s;
 * gzip files go through zlib's gzread, growing a malloc'd buffer as data arrives so a corrupt
 * header cannot make us allocate 2 GiB for a small file. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_POPULATE */
#include "data/idx.h"

#include "util/fs.h"
#include "util/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* One open input, plain or gzip. */
struct input {
    const char *path;
    FILE *f;
    gzFile gz;
};

static int input_open(struct input *in, const char *path)
{
    in->path = path;
    in->gz = NULL;
    /* A regular file only: a FIFO or /dev/zero would hang or never end. */
    int fd;
    size_t size;
    int rc = fs_open_regular(path, &fd, &size);
    if (rc != CLNET_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", clnet_error_message());
        clnet_error_clear();
        return clnet_errorf(CLNET_ERR_DATA, "%s", why);
    }
    in->f = fdopen(fd, "rb");
    if (!in->f) {
        close(fd);
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: cannot open: %s", path, strerror(errno));
    }
    unsigned char magic[2];
    size_t n = fread(magic, 1, 2, in->f);
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        if (fseek(in->f, 0, SEEK_SET) != 0 || !(in->gz = gzdopen(dup(fileno(in->f)), "rb"))) {
            fclose(in->f);
            in->f = NULL;
            return clnet_errorf(CLNET_ERR_DATA, "%s: cannot open: %s", path,
                                errno ? strerror(errno) : "out of memory");
        }
        fclose(in->f);
        in->f = NULL;
        gzbuffer(in->gz, 1 << 17);
        return 0;
    }
    if (ferror(in->f) || fseek(in->f, 0, SEEK_SET) != 0) {
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: read error: %s", path, strerror(errno));
        fclose(in->f);
        in->f = NULL;
        return rc;
    }
    return 0;
}

static void input_close(struct input *in)
{
    if (in->f)
        fclose(in->f);
    if (in->gz)
        gzclose(in->gz);
    in->f = NULL;
    in->gz = NULL;
}

/* Reads up to len bytes; *got is how many arrived before the end of the file. */
static int input_read(struct input *in, void *buf, size_t len, size_t *got)
{
    *got = 0;
    if (in->f) {
        *got = fread(buf, 1, len, in->f);
        if (*got < len && ferror(in->f))
            return clnet_errorf(CLNET_ERR_DATA, "%s: read error: %s", in->path,
                                strerror(errno));
        return 0;
    }
    while (*got < len) {
        size_t want = len - *got;
        unsigned chunk = want > (1u << 30) ? 1u << 30 : (unsigned)want;
        int n = gzread(in->gz, (char *)buf + *got, chunk);
        if (n > 0)
            *got += (size_t)n;
        int err = Z_OK;
        const char *msg = gzerror(in->gz, &err);
        if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
            /* zlib's message repeats the path: "PATH: unexpected end of file". */
            size_t plen = strlen(in->path);
            if (strncmp(msg, in->path, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ')
                msg += plen + 2;
            return clnet_errorf(CLNET_ERR_DATA, "%s: %s gzip stream: %s", in->path,
                                err == Z_BUF_ERROR ? "truncated" : "corrupt",
                                err == Z_ERRNO ? strerror(errno) : msg);
        }
        if ((unsigned)n < chunk)
            break; /* end of the stream */
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0b: return "int16";
    case 0x0c: return "int32";
    case 0x0d: return "float32";
    case 0x0e: return "float64";
    default: return "unknown";
    }
}

/* Reads the header into a; returns 0 or an error. */
static int read_header(struct idx_array *a, struct input *in)
{
    unsigned char head[4 + 4 * IDX_MAX_RANK];
    size_t got;
    int rc = input_read(in, head, 4, &got);
    if (rc)
        return rc;
    if (got < 4)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: truncated: %zu bytes, too short for an IDX header", in->path,
                            got);
    if (head[0] != 0 || head[1] != 0)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: not an IDX file: starts with %02x %02x, expected 00 00",
                            in->path, head[0], head[1]);
    if (head[2] != 0x08)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: IDX data type 0x%02x (%s) is not supported; only 0x08 "
                            "(unsigned byte) is",
                            in->path, head[2], type_name(head[2]));
    int rank = head[3];
    if (rank < 1 || rank > IDX_MAX_RANK)
        return clnet_errorf(CLNET_ERR_DATA, "%s: IDX rank %d is outside 1..%d", in->path, rank,
                            IDX_MAX_RANK);
    rc = input_read(in, head + 4, 4 * (size_t)rank, &got);
    if (rc)
        return rc;
    if (got < 4 * (size_t)rank)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: truncated: header ends inside the %d dimensions", in->path,
                            rank);
    uint64_t size = 1;
    for (int i = 0; i < rank; i++) {
        uint32_t d = be32(head + 4 + 4 * i);
        if (d == 0)
            return clnet_errorf(CLNET_ERR_DATA, "%s: dimension %d is 0", in->path, i);
        /* Both factors are below 2^32 and size stays <= 2^31, so this cannot overflow. */
        size *= d;
        if (size > IDX_MAX_BYTES)
            return clnet_errorf(CLNET_ERR_DATA,
                                "%s: dimensions describe more than %zu bytes of data (corrupt "
                                "header?)",
                                in->path, IDX_MAX_BYTES);
        a->dims[i] = (int)d;
    }
    a->rank = rank;
    a->size = (size_t)size;
    return 0;
}

/* Plain files: compare the data length with the header before reading anything. */
/* *plain: whether it is a regular file (its length known). */
static int check_plain_length(const struct idx_array *a, struct input *in, bool *plain)
{
    struct stat st;
    *plain = fstat(fileno(in->f), &st) == 0 && S_ISREG(st.st_mode);
    if (!*plain)
        return 0; /* not a regular file: let the reads find out */
    size_t header = 4 + 4 * (size_t)a->rank;
    size_t have = (size_t)st.st_size - header;
    if (have < a->size)
        return clnet_errorf(CLNET_ERR_DATA, "%s: truncated: expected %zu bytes of data, found %zu",
                            in->path, a->size, have);
    if (have > a->size)
        return clnet_errorf(CLNET_ERR_DATA,
                            "%s: %zu trailing bytes after the data: expected exactly %zu bytes "
                            "of data, found %zu",
                            in->path, have - a->size, a->size, have);
    return 0;
}

/* A plain file's data, a->size bytes (check_plain_length agreed), into a populated mapping. */
static int read_plain(struct idx_array *a, struct input *in)
{
    uint8_t *buf = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (buf == MAP_FAILED)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", in->path, a->size);
    size_t got;
    int rc = input_read(in, buf, a->size, &got);
    if (!rc && got < a->size)
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: truncated: expected %zu bytes of data, found %zu",
                          in->path, a->size, got);
    if (rc) {
        munmap(buf, a->size);
        return rc;
    }
    a->data = buf;
    a->mapped = true;
    return 0;
}

static int read_data(struct idx_array *a, struct input *in)
{
    size_t cap = a->size < ((size_t)1 << 24) ? a->size : (size_t)1 << 24;
    size_t n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", in->path, cap);
    int rc = 0;
    for (;;) {
        size_t got;
        rc = input_read(in, buf + n, cap - n, &got);
        if (rc)
            goto fail;
        n += got;
        if (n < cap || cap == a->size)
            break;
        size_t grow = cap * 2 < a->size ? cap * 2 : a->size;
        uint8_t *p = realloc(buf, grow);
        if (!p) {
            rc = clnet_errorf(CLNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", in->path, grow);
            goto fail;
        }
        buf = p;
        cap = grow;
    }
    if (n < a->size) {
        rc = clnet_errorf(CLNET_ERR_DATA, "%s: truncated: expected %zu bytes of data, found %zu",
                          in->path, a->size, n);
        goto fail;
    }
    /* Anything after the data is an error too; count it (up to a limit) for the message. */
    unsigned char extra[4096];
    size_t trailing = 0, got;
    do {
        rc = input_read(in, extra, sizeof extra, &got);
        if (rc)
            goto fail;
        trailing += got;
    } while (got == sizeof extra && trailing < ((size_t)1 << 20));
    if (trailing) {
        rc = clnet_errorf(CLNET_ERR_DATA,
                          "%s: %s%zu trailing bytes after the data: expected exactly %zu bytes "
                          "of data",
                          in->path, got == sizeof extra ? "more than " : "", trailing, a->size);
        goto fail;
    }
    a->data = buf;
    return 0;
fail:
    free(buf);
    return rc;
}

int idx_read(struct idx_array *out, const char *path)
{
    memset(out, 0, sizeof *out);
    struct input in;
    int rc = input_open(&in, path);
    if (rc)
        return rc;
    rc = read_header(out, &in);
    bool plain = false;
    if (!rc && in.f)
        rc = check_plain_length(out, &in, &plain);
    if (!rc)
        rc = plain ? read_plain(out, &in) : read_data(out, &in);
    input_close(&in);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

void idx_free(struct idx_array *a)
{
    if (a->mapped)
        munmap(a->data, a->size);
    else
        free(a->data);
    memset(a, 0, sizeof *a);
}

int idx_write(const char *path, const uint8_t *data, int rank, const int *dims)
{
    if (rank < 1 || rank > IDX_MAX_RANK)
        return clnet_errorf(CLNET_ERR_INTERNAL, "%s: idx_write: rank %d outside 1..%d", path,
                            rank, IDX_MAX_RANK);
    unsigned char head[4 + 4 * IDX_MAX_RANK] = {0, 0, 0x08, (unsigned char)rank};
    size_t size = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] <= 0)
            return clnet_errorf(CLNET_ERR_INTERNAL, "%s: idx_write: dimension %d is %d", path,
                                i, dims[i]);
        uint32_t d = (uint32_t)dims[i];
        head[4 + 4 * i] = (unsigned char)(d >> 24);
        head[5 + 4 * i] = (unsigned char)(d >> 16);
        head[6 + 4 * i] = (unsigned char)(d >> 8);
        head[7 + 4 * i] = (unsigned char)d;
        size *= (size_t)dims[i];
    }
    struct fs_atomic a;
    int rc = fs_atomic_open(&a, path);
    if (rc)
        return rc;
    size_t hlen = 4 + 4 * (size_t)rank;
    if (fwrite(head, 1, hlen, a.f) != hlen || fwrite(data, 1, size, a.f) != size) {
        rc = clnet_errorf(CLNET_ERR_IO, "%s: write error: %s", path, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}
