/* Internal to selfcheck: the comparisons (selfcheck_cases.c) and what they report through
 * (selfcheck.c). A case allocates with sc_host/sc_buffer (released by sc_release after it),
 * runs ops, downloads, and hands each result to sc_compare with the lines (kernel ids, or
 * KERNEL_COUNT + enum selfcheck_extra, or KERNEL_COUNT + SELFCHECK_EXTRA_COUNT + a layer
 * type) it checks. */
#ifndef CLNET_CHECK_SELFCHECK_CASES_H
#define CLNET_CHECK_SELFCHECK_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/selfcheck.h"

#define SC_LINE(id) (UINT64_C(1) << (id))
#define SC_EXTRA(x) SC_LINE(KERNEL_COUNT + (x))

/* Written around every device output: a write outside its range changes one. */
#define SC_CANARY (-77.0f)
#define SC_CANARIES 16

struct sc {
    struct runtime *rt;
    struct selfcheck_report *report;
    uint64_t rng; /* xorshift64* state */
    int status;   /* the first failure of an allocation or an op */
    bool denorms; /* the device keeps denormals (CL_FP_DENORM): cases feed it some */
    void *host[64];
    int n_host;
    cl_mem dev[32];
    int n_dev;
};

#define SC_TOL 1e-5     /* relative error of float arithmetic against its host twin */
#define SC_ELEMENT 1e-3 /* floor of elementwise comparisons */

/* Runs an op unless a failure came first; its status becomes c->status. */
#define SC_OP(c, call)                                                                             \
    do {                                                                                           \
        if ((c)->status == CLNET_OK) (c)->status = (call);                                         \
    } while (0)

/* Uniform in [-scale, scale). */
float sc_uniform(struct sc *c, float scale);

/* n floats: uniform in [-scale, scale) (scale > 0), or all `fill` (scale == 0). NULL after a
 * failure (recorded in c->status). Freed by sc_release. */
float *sc_host(struct sc *c, size_t n, float scale, float fill);

/* A device buffer holding bytes of data. NULL after a failure. Released by sc_release. */
cl_mem sc_buffer(struct sc *c, const void *data, size_t bytes);

/* Downloads n floats from buf into a new host array (NULL after a failure). */
float *sc_download(struct sc *c, cl_mem buf, size_t n);

void sc_release(struct sc *c);

/* Compares got with want over n floats: relative error |got - want| / max(|want|, floor), NaN
 * matching NaN and an infinity itself; the result counts for every line in `lines`. */
void sc_compare(struct sc *c, uint64_t lines, const char *what, const float *got, const float *want,
                size_t n, double floor, double tolerance);

/* Largest finite |v| over n values (at least 1e-30): the floor of a sum's comparison. */
double sc_scale(const float *v, size_t n);

/* A host copy of n values (NaN when src is NULL) followed by the canaries. */
float *sc_with_canaries(struct sc *c, const float *src, size_t n);

/* A device output of n values (NaN, or init) followed by the canaries. */
cl_mem sc_output(struct sc *c, const float *init, size_t n);

/* n values and the canaries after them, downloaded. */
float *sc_download_all(struct sc *c, cl_mem buf, size_t n);

/* Every comparison; returns c->status (OpenCL or allocation failures). */
int selfcheck_cases(struct sc *c);

/* The GEMM family's comparisons (selfcheck_gemm.c): both GEMM implementations, the own GEMM's
 * epilogues, dense_tail and the transpose. */
void selfcheck_gemm_cases(struct sc *c);
/* train.loss's list form's kernels (selfcheck_loss_terms.c). */
void selfcheck_loss_terms_cases(struct sc *c);

/* Every layer kind's examples against its host reference (selfcheck_layers.c); returns
 * c->status. */
int selfcheck_layers(struct sc *c);

#endif
