/* Gaussian input noise (data.noise: {gaussian: SIGMA}): x = clean + SIGMA n, n ~ N(0, 1) per
 * pixel, drawn so that every device gives the same bits. n is a pure function of (the
 * experiment's seed, the split, the image's index in its split, the pass over the data, the
 * pixel): 32 uniform bits from a counter-based integer hash (exact everywhere), turned into a
 * normal value by a table of the inverse normal CDF that the host computes once in double and
 * the device reads, interpolated linearly with correctly rounded float + and * only (no log,
 * sqrt or divide, whose accuracy OpenCL leaves to the device). cl/data.cl's noise_batch is
 * the device twin, tests/interop/clnet_noise.py the numpy one; docs/experiments.md gives the
 * definition in words. Letters: F values per image. */
#ifndef CLNET_DATA_NOISE_H
#define CLNET_DATA_NOISE_H

#include <stdint.h>

/* Which split an image is read from: part of the key, so the same index in two splits gets
 * two draws. */
enum noise_split { NOISE_SPLIT_TRAIN = 0, NOISE_SPLIT_TEST = 1, NOISE_SPLIT_VALIDATION = 2 };

/* The pass evaluation reads with: one fixed draw per image, so every evaluation of a split
 * sees the same noisy images. Training's passes count from 0 and never reach it. */
#define NOISE_PASS_EVAL UINT32_C(0xffffffff)

/* Mixed into the seed so the noise is a stream of its own. */
#define NOISE_STREAM UINT64_C(0x6761757373696e6e) /* "gaussinn" */

/* The table: NOISE_DIRECT values for the 64 smallest tail indices m, then for each octave
 * o = 0 .. NOISE_OCTAVES - 1 (m in [2^(6+o), 2^(7+o))) 64 segments of (start value, slope
 * times the segment's width). Must match cl/data.cl and clnet_noise.py. */
#define NOISE_SEGMENT_BITS 6
#define NOISE_DIRECT 64
#define NOISE_OCTAVES 25
#define NOISE_TABLE_SIZE (NOISE_DIRECT + 2 * NOISE_OCTAVES * NOISE_DIRECT)

/* Fills table (NOISE_TABLE_SIZE floats); the same values on every machine whose libm's erfc
 * and exp are accurate (each is a double rounded once to float). */
void noise_table(float *table);

/* The device's key for a seed: splitmix64's finalizer of seed ^ NOISE_STREAM. */
uint64_t noise_key(uint64_t seed);

/* The pass a training read of the stream's item number pos is on (pos counts the sampler's
 * items from 0: step t's batch row r is item t B + r), for a split of n images: pos / n. */
uint32_t noise_train_pass(uint64_t pos, int n);

/* The hash of one image's draw: mix64(mix64(key ^ (split << 32 | pass)) + index). */
uint64_t noise_image_key(uint64_t key, enum noise_split split, uint32_t pass, uint32_t index);

/* n for pixel f of the image whose key is image_key. */
float noise_normal(const float *table, uint64_t image_key, uint32_t f);

/* The normal value of 32 uniform bits: the top bit is the sign, the other 31 (m) pick
 * p = (m + 1/2) / 2^32 and the magnitude -InverseNormalCDF(p), interpolated. */
float noise_from_bits(const float *table, uint32_t bits);

/* clean + sigma n, each operation rounded to float once, as the device does it. */
float noise_apply(float clean, float sigma, float n);

/* Host reference of cl/data.cl's noise_batch for rows of images (each F bytes): x (rows, F)
 * = byte / 255 + sigma n, row r's image index[r] with pass[r] (NOISE_PASS_EVAL: evaluation's). */
void noise_ref_batch(float *x, const uint8_t *images, const int32_t *index,
                     const uint32_t *pass, int rows, int features, const float *table,
                     uint64_t key, enum noise_split split, float sigma);

#endif
