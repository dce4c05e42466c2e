/* The clnet_crc32 checksum of a safetensors file (ST_CRC_KEY in safetensors.h): zlib's crc32
 * over the whole file with the key's 8 digits read as "00000000", so the header is covered
 * too. The writer fills the digits in after building the header; the reader finds them in
 * the header's bytes, as written, and recomputes. */
#define _GNU_SOURCE /* memmem */
#include "model/safetensors_internal.h"

#include "util/status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib's crc32 over n bytes, in pieces its uInt length can take. */
static uint32_t crc_more(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}

/* After the one occurrence of "KEY":" (JSON's escapes keep a string's own quotes from forming
 * it; a header whose key is written another way has no such place). */
const char *st_crc_digits(const char *h, size_t n)
{
    static const char pat[] = "\"" ST_CRC_KEY "\":\"";
    const size_t k = sizeof pat - 1;
    const char *found = NULL;
    for (const char *p = h; (size_t)(h + n - p) >= k + 8;) {
        const char *q = memmem(p, (size_t)(h + n - p), pat, k);
        if (!q || (size_t)(h + n - q) < k + 8)
            break;
        if (found)
            return NULL;
        found = q + k;
        p = q + 1;
    }
    return found;
}

uint32_t st_file_crc(const unsigned char *len8, const char *header, size_t hlen,
                     const char *crc_at, const struct st_tensor *t, int n, const void *data,
                     size_t data_len)
{
    uint32_t crc = crc_more((uint32_t)crc32(0, Z_NULL, 0), len8, 8);
    size_t before = (size_t)(crc_at - header);
    crc = crc_more(crc, header, before);
    crc = crc_more(crc, "00000000", 8);
    crc = crc_more(crc, crc_at + 8, hlen - before - 8);
    for (int i = 0; i < n; i++)
        crc = crc_more(crc, t[i].data, t[i].bytes);
    return data ? crc_more(crc, data, data_len) : crc;
}

/* clnet wrote the key, so anything that does not match it is damage. */
int st_crc_verify(struct safetensors *st, const unsigned char *buf, size_t hlen,
                  size_t data_len)
{
    const char *want = safetensors_meta(st, ST_CRC_KEY);
    if (!want)
        return 0;
    const char *h = (const char *)buf + 8, *at = st_crc_digits(h, hlen);
    bool hex = strlen(want) == 8 && strspn(want, "0123456789abcdef") == 8;
    if (!at || !hex || memcmp(at, want, 8) != 0)
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged: its checksum entry (%s) is not as "
                            "clnet writes it", st->path, ST_CRC_KEY);
    uint32_t got = st_file_crc(buf, h, hlen, at, NULL, 0, h + hlen, data_len);
    if (strtoul(want, NULL, 16) != got)
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged: its contents do not match the "
                            "checksum it was written with (%s %s, contents %08x)",
                            st->path, ST_CRC_KEY, want, (unsigned)got);
    st->checked = true;
    return 0;
}
