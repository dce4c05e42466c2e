/* FNV-1a 64 (Fowler, Noll, Vo; public domain): h ^= byte, h *= 0x100000001b3, per byte. */
#include "util/hash.h"

uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}
