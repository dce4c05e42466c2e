/* The program binary cache on disk (cache.h): paths, the entry format, and atomic writes.
 * Every failure here is quiet: a cache that cannot be read or written only costs a rebuild. */
#include "runtime/cache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char cache_magic[8] = {'C', 'L', 'N', 'E', 'T', 'B', 'I', 'N'};
#define CACHE_FORMAT 1u

uint64_t cache_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t cache_hash_string(uint64_t h, const char *s)
{
    if (!s)
        s = "";
    return cache_hash(h, s, strlen(s) + 1);
}

/* mkdir -p with mode 0700 for the folders it creates. */
static bool make_dirs(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return false;
        buf[i] = c;
    }
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
}

/* The folder cache_set_dir named, or NULL: no cache. */
static char *configured;

bool cache_set_dir(const char *dir)
{
    char *copy = dir ? strdup(dir) : NULL;
    if (dir && !copy)
        return false;
    free(configured);
    configured = copy;
    return true;
}

bool cache_dir(char *dir, size_t size)
{
    dir[0] = '\0';
    if (!configured)
        return false;
    int n = snprintf(dir, size, "%s", configured);
    if (n < 0 || (size_t)n >= size || !make_dirs(dir)) {
        dir[0] = '\0';
        return false;
    }
    return true;
}

void cache_path(char *path, size_t size, const char *dir, const char *file, uint64_t key)
{
    const char *dot = strrchr(file, '.');
    int stem = dot ? (int)(dot - file) : (int)strlen(file);
    snprintf(path, size, "%s/%.*s-%016llx.bin", dir, stem, file, (unsigned long long)key);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Header layout: magic[8], format u32, reserved u32, key u64, length u64, checksum u64. */
static void header_write(unsigned char *h, uint64_t key, const void *data, size_t len)
{
    memcpy(h, cache_magic, sizeof cache_magic);
    put_u32(h + 8, CACHE_FORMAT);
    put_u32(h + 12, 0);
    put_u64(h + 16, key);
    put_u64(h + 24, (uint64_t)len);
    put_u64(h + 32, cache_hash(CACHE_HASH_INIT, data, len));
}

enum cache_result cache_load(const char *path, uint64_t key, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CACHE_MISSING : CACHE_CORRUPT;
    enum cache_result result = CACHE_CORRUPT;
    unsigned char h[CACHE_HEADER_SIZE];
    unsigned char *payload = NULL;
    long end;
    if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, cache_magic, sizeof cache_magic) != 0 ||
        get_u32(h + 8) != CACHE_FORMAT || get_u64(h + 16) != key)
        goto done;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0)
        goto done;
    uint64_t n = get_u64(h + 24);
    if (n == 0 || n != (uint64_t)end - CACHE_HEADER_SIZE || fseek(f, CACHE_HEADER_SIZE, SEEK_SET))
        goto done;
    payload = malloc((size_t)n);
    if (!payload || fread(payload, 1, (size_t)n, f) != (size_t)n ||
        cache_hash(CACHE_HASH_INIT, payload, (size_t)n) != get_u64(h + 32))
        goto done;
    *data = payload;
    *len = (size_t)n;
    payload = NULL;
    result = CACHE_FOUND;
done:
    free(payload);
    fclose(f);
    return result;
}

bool cache_store(const char *path, uint64_t key, const void *data, size_t len)
{
    /* pid and a counter: processes of a sweep, and threads of one, may store the same entry. */
    static atomic_uint serial;
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                 atomic_fetch_add(&serial, 1u)) >= (int)sizeof tmp)
        return false;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return false;
    unsigned char h[CACHE_HEADER_SIZE];
    header_write(h, key, data, len);
    bool ok = fwrite(h, 1, sizeof h, f) == sizeof h && fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) == 0)
        return true;
    remove(tmp);
    return false;
}
