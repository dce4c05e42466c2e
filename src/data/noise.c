/* Gaussian input noise (see noise.h): the table, the keys and the host reference. */
#include "data/noise.h"

#include <math.h>
#include <stddef.h>

#include "util/rng.h"

#define NOISE_PI 3.14159265358979323846 /* the double nearest pi, as Python's math.pi */

/* Acklam's rational approximation of the inverse normal CDF (relative error below 1.2e-9)
 * for p in (0, 1/2], then one Halley step on erfc, which leaves the error of erfc itself. */
static double inverse_normal_cdf(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * NOISE_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

/* The magnitude for tail index m (31 bits): -InverseNormalCDF((m + 1/2) / 2^32). */
static double magnitude(double m)
{
    return -inverse_normal_cdf((m + 0.5) / 4294967296.0);
}

void noise_table(float *table)
{
    for (int m = 0; m < NOISE_DIRECT; m++)
        table[m] = (float)magnitude(m);
    for (int o = 0; o < NOISE_OCTAVES; o++)
        for (int j = 0; j < NOISE_DIRECT; j++) {
            double start = ldexp(NOISE_DIRECT + j, o), end = ldexp(NOISE_DIRECT + j + 1, o);
            double za = magnitude(start), zb = magnitude(end);
            float *seg = table + NOISE_DIRECT + 2 * (o * NOISE_DIRECT + j);
            seg[0] = (float)za;
            seg[1] = (float)(zb - za);
        }
}

uint64_t noise_key(uint64_t seed)
{
    return rng_mix64(seed ^ NOISE_STREAM);
}

uint32_t noise_train_pass(uint64_t pos, int n)
{
    return (uint32_t)(pos / (uint64_t)n);
}

uint64_t noise_image_key(uint64_t key, enum noise_split split, uint32_t pass, uint32_t index)
{
    return rng_mix64(rng_mix64(key ^ ((uint64_t)split << 32 | pass)) + index);
}

/* a b + c with each operation rounded to float once: the product of two floats is exact in
 * double and so is rounded once; a sum of two floats rounded to double then to float is
 * rounded correctly (double has more than 2 x 24 + 2 bits). No contraction into an fma can
 * change that, as the device's FP_CONTRACT OFF. */
static float mul_add(float a, float b, float c)
{
    float ab = (float)((double)a * (double)b);
    return (float)((double)ab + (double)c);
}

float noise_from_bits(const float *table, uint32_t bits)
{
    uint32_t m = bits & UINT32_C(0x7fffffff);
    float z;
    if (m < NOISE_DIRECT) {
        z = table[m];
    } else {
        int width = 0; /* m's bit length, 7 .. 31 */
        while (width < 32 && (m >> width) != 0)
            width++;
        int o = width - (NOISE_SEGMENT_BITS + 1), j = (int)(m >> o) & (NOISE_DIRECT - 1);
        uint32_t rem = m & ((UINT32_C(1) << o) - 1);
        float t = (float)rem * ldexpf(1.0f, -o); /* rem < 2^24: both exact */
        const float *seg = table + NOISE_DIRECT + 2 * (o * NOISE_DIRECT + j);
        z = mul_add(seg[1], t, seg[0]);
    }
    return bits >> 31 ? -z : z;
}

float noise_normal(const float *table, uint64_t image_key, uint32_t f)
{
    return noise_from_bits(table, (uint32_t)(rng_mix64(image_key + f) >> 32));
}

float noise_apply(float clean, float sigma, float n)
{
    return mul_add(sigma, n, clean);
}

void noise_ref_batch(float *x, const uint8_t *images, const int32_t *index,
                     const uint32_t *pass, int rows, int features, const float *table,
                     uint64_t key, enum noise_split split, float sigma)
{
    for (int r = 0; r < rows; r++) {
        const uint8_t *img = images + (size_t)index[r] * (size_t)features;
        uint64_t ik = noise_image_key(key, split, pass[r], (uint32_t)index[r]);
        float *xr = x + (size_t)r * (size_t)features;
        for (int f = 0; f < features; f++)
            xr[f] = noise_apply((float)img[f] / 255.0f, sigma, noise_normal(table, ik, (uint32_t)f));
    }
}
