/* Weight and bias initialisation on the host: fills a layer's slice of the parameter arena
 * from its init_spec before the arena is copied to the device. Deterministic: the values
 * depend only on the rng state and the order of the calls. The model seeds one rng with the
 * experiment's seed and fills layer 0's weights, layer 0's bias, layer 1's weights, ... in
 * that order; zeros and constant draw nothing, so they do not shift later layers' values.
 *
 * Fans follow PyTorch: dense fan_in = inputs, fan_out = units; conv2d fan_in = Cin * rows *
 * cols, fan_out = Cout * rows * cols. */
#ifndef CLNET_MODEL_INIT_H
#define CLNET_MODEL_INIT_H

#include <stddef.h>

#include "config/experiment.h"
#include "util/rng.h"

/* Fills dst[0 .. n) in index order:
 *   INIT_ZEROS     0
 *   INIT_CONSTANT  a
 *   INIT_NORMAL    rng_normal(mean a, std b)
 *   INIT_UNIFORM   a + (b - a) * rng_uniform, in [a, b)
 *   INIT_XAVIER    uniform in [-L, L), L = sqrt(6 / (fan_in + fan_out))  (Glorot uniform)
 *   INIT_HE        rng_normal(0, sqrt(2 / fan_in))                       (Kaiming normal)
 * Each drawn value is computed in double and rounded to float once. INIT_FILE and
 * INIT_UNSET are not filled here (the model loads files from safetensors; UNSET must be
 * resolved first): CLNET_ERR_INTERNAL, as are fans that make xavier or he undefined. */
int init_fill(float *dst, size_t n, const struct init_spec *spec, int fan_in, int fan_out,
              struct rng *rng);

/* The spec that applies: the layer's own unless it is INIT_UNSET (or layer is NULL), else
 * the experiment's global one. */
const struct init_spec *init_resolve(const struct init_spec *layer, const struct init_spec *global);

#endif
