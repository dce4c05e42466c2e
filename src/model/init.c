/* Initialisation schemes (see init.h). */
#include "model/init.h"

#include "util/status.h"

#include <math.h>

static void fill_uniform(float *dst, size_t n, double low, double high, struct rng *rng)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)(low + (high - low) * rng_uniform(rng));
}

int init_fill(float *dst, size_t n, const struct init_spec *spec, int fan_in, int fan_out,
              struct rng *rng)
{
    double a = spec->a, b = spec->b;
    switch (spec->kind) {
    case INIT_ZEROS:
    case INIT_CONSTANT: {
        float v = spec->kind == INIT_ZEROS ? 0.0f : (float)a;
        for (size_t i = 0; i < n; i++)
            dst[i] = v;
        return 0;
    }
    case INIT_NORMAL:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)rng_normal(rng, a, b);
        return 0;
    case INIT_XAVIER:
        if (fan_in < 0 || fan_out < 0 || (double)fan_in + fan_out <= 0)
            return clnet_errorf(CLNET_ERR_INTERNAL,
                                "init: xavier needs fan_in + fan_out > 0 (got %d and %d)", fan_in,
                                fan_out);
        b = sqrt(6.0 / ((double)fan_in + fan_out));
        fill_uniform(dst, n, -b, b, rng);
        return 0;
    case INIT_UNIFORM:
        fill_uniform(dst, n, a, b, rng);
        return 0;
    case INIT_HE:
        if (fan_in <= 0)
            return clnet_errorf(CLNET_ERR_INTERNAL, "init: he needs fan_in > 0 (got %d)", fan_in);
        b = sqrt(2.0 / fan_in);
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)rng_normal(rng, 0.0, b);
        return 0;
    default:
        return clnet_errorf(CLNET_ERR_INTERNAL, "init: scheme '%s' is not filled by init_fill",
                            init_kind_name(spec->kind));
    }
}

const struct init_spec *init_resolve(const struct init_spec *layer, const struct init_spec *global)
{
    return layer && layer->kind != INIT_UNSET ? layer : global;
}
