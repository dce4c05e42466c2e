/* add (layers/add.c): the elementwise sum of k same-shaped inputs, packed row by row in x:
 * row b of x is [input 0's row b, input 1's row b, ...], o values each. The forward sums in
 * input order (one fixed order: the same bits on every run); the backward hands each input
 * the output's gradient. The graph's gradient sums (model.c) are this forward too. */

/* y (n / o, o) = sum over t < k of x's block t; one item per output. */
__kernel void add_forward(__global float *y, __global const float *x, const int o, const int k,
                          const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n)
        return;
    __global const float *r = x + (size_t)(i / o) * (size_t)k * (size_t)o + (size_t)(i % o);
    float sum = r[0];
    for (int t = 1; t < k; t++)
        sum += r[(size_t)t * (size_t)o];
    y[i] = sum;
}

/* dx (n / (k o), k o): every block a copy of dy's row; one item per input value. */
__kernel void add_backward(__global float *dx, __global const float *dy, const int o, const int k,
                           const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n)
        return;
    dx[i] = dy[(size_t)(i / (k * o)) * (size_t)o + (size_t)(i % o)];
}
