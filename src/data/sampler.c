/* Seeded batch sampler (see sampler.h). */
#include "data/sampler.h"

#include "util/status.h"

#include <stdlib.h>
#include <string.h>

#define SAMPLER_STATE_MAGIC 0x31706d73u /* "smp1" little-endian */
#define SAMPLER_STATE_BYTES (4 + 4 + 4 + 4 + 4 + 8 + 4 * 8 + 8 + 4)

/* Draws the permutation of the epoch s->epoch from s->rng. */
static void draw_epoch(struct sampler *s)
{
    s->epoch_rng = s->rng;
    for (int i = 0; i < s->n; i++)
        s->perm[i] = i;
    if (s->shuffle) {
        for (int i = s->n - 1; i > 0; i--) {
            int j = (int)rng_below(&s->rng, (uint32_t)i + 1);
            int32_t t = s->perm[i];
            s->perm[i] = s->perm[j];
            s->perm[j] = t;
        }
    }
    s->pos = 0;
}

int sampler_init(struct sampler *s, int n, int batch, bool shuffle, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    if (n <= 0)
        return clnet_errorf(CLNET_ERR_CONFIG, "sampler: the data set has %d items", n);
    if (batch <= 0)
        return clnet_errorf(CLNET_ERR_CONFIG, "sampler: batch size %d must be positive", batch);
    s->perm = malloc((size_t)n * sizeof *s->perm);
    if (!s->perm)
        return clnet_errorf(CLNET_ERR_NOMEM, "sampler: out of memory for %d indices", n);
    s->n = n;
    s->batch = batch;
    s->shuffle = shuffle;
    rng_seed(&s->rng, seed);
    draw_epoch(s);
    return 0;
}

int sampler_next(struct sampler *s, int32_t *index)
{
    int k = 0;
    while (k < s->batch) {
        if (s->pos == s->n) {
            s->epoch++;
            draw_epoch(s);
        }
        int take = s->n - s->pos < s->batch - k ? s->n - s->pos : s->batch - k;
        memcpy(index + k, s->perm + s->pos, (size_t)take * sizeof *index);
        s->pos += take;
        k += take;
    }
    return 0;
}

void sampler_free(struct sampler *s)
{
    free(s->perm);
    memset(s, 0, sizeof *s);
}

size_t sampler_state_size(void)
{
    return SAMPLER_STATE_BYTES;
}

static unsigned char *put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

static const unsigned char *get(const unsigned char *p, uint64_t *v, int bytes)
{
    *v = 0;
    for (int i = 0; i < bytes; i++)
        *v |= (uint64_t)*p++ << (8 * i);
    return p;
}

void sampler_state_save(const struct sampler *s, void *buf)
{
    const struct rng *r = &s->epoch_rng;
    uint64_t spare;
    memcpy(&spare, &r->normal_spare, sizeof spare);
    unsigned char *p = buf;
    p = put(p, SAMPLER_STATE_MAGIC, 4);
    p = put(p, (uint32_t)s->n, 4);
    p = put(p, (uint32_t)s->batch, 4);
    p = put(p, s->shuffle, 4);
    p = put(p, (uint32_t)s->pos, 4);
    p = put(p, (uint64_t)s->epoch, 8);
    for (int i = 0; i < 4; i++)
        p = put(p, r->s[i], 8);
    p = put(p, spare, 8);
    put(p, r->has_spare, 4);
}

int sampler_state_load(struct sampler *s, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint64_t magic, n, batch, shuffle, pos, epoch, spare, has_spare;
    struct rng r = {{0}, 0.0, 0, 0};
    if (len != SAMPLER_STATE_BYTES)
        return clnet_errorf(CLNET_ERR_DATA, "sampler state: %zu bytes, expected %d", len,
                            SAMPLER_STATE_BYTES);
    p = get(p, &magic, 4);
    p = get(p, &n, 4);
    p = get(p, &batch, 4);
    p = get(p, &shuffle, 4);
    p = get(p, &pos, 4);
    p = get(p, &epoch, 8);
    for (int i = 0; i < 4; i++)
        p = get(p, &r.s[i], 8);
    p = get(p, &spare, 8);
    get(p, &has_spare, 4);
    memcpy(&r.normal_spare, &spare, sizeof spare);
    r.has_spare = (uint32_t)has_spare;
    if (magic != SAMPLER_STATE_MAGIC || pos > n || shuffle > 1 || has_spare > 1 ||
        (epoch >> 63) || !(r.s[0] | r.s[1] | r.s[2] | r.s[3]))
        return clnet_errorf(CLNET_ERR_DATA, "sampler state: not a valid saved state");
    if (n != (uint64_t)s->n || batch != (uint64_t)s->batch || shuffle != (uint64_t)s->shuffle)
        return clnet_errorf(CLNET_ERR_DATA,
                            "sampler state: saved for %d items, batch %d, shuffle %s; this run "
                            "has %d items, batch %d, shuffle %s",
                            (int)n, (int)batch, shuffle ? "on" : "off", s->n, s->batch,
                            s->shuffle ? "on" : "off");
    s->rng = r;
    s->epoch = (int64_t)epoch;
    draw_epoch(s); /* sets epoch_rng = r, redraws perm, advances rng as the first time */
    s->pos = (int)pos;
    return 0;
}
