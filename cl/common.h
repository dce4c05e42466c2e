/* Prelude of every clnet program: the runtime prepends this file to each .cl source in cl/
 * before building it (with -cl-std=CL1.2), so helpers shared by several op families live
 * here. Plain OpenCL C 1.2, no extensions. */

/* b / 255.0f correctly rounded on any device: OpenCL's single-precision '/' may be 2.5 ulp off
 * (and is on some GPUs), while fma and '*' are exact-rounded everywhere. One residual step
 * recovers the correctly rounded quotient; tests/ops checks all 256 bytes against the host. */
float clnet_byte_unit(uchar b)
{
    const float v = (float)b;
    const float q = v * (1.0f / 255.0f);
    const float r = fma(-q, 255.0f, v);
    return fma(r, 1.0f / 255.0f, q);
}
