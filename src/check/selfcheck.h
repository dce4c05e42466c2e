/* `clnet selfcheck` and `clnet train --selfcheck`: every kernel of the kernel table
 * (runtime/kernels.h), CLBlast's GEMM, and the fill and copy commands, run on the device on
 * small seeded random inputs and compared with the host references (ops/ref.h). Shapes are
 * chosen to hit edges: sizes that are not multiples of the GEMM tiles, the conv kernels' 4
 * filters x 8 columns, or the work-group size; non-zero offsets into the parameter arena;
 * canary values around every output, so a write outside its range shows; NaN where a kernel
 * must not read (GEMM's C with beta 0); NaN, infinities, denormals and saturating values
 * through the activations; and a softmax probability in the denormal range through the
 * homework's softmax-then-log loss.
 *
 * What it catches: a driver or compiler that miscompiles (fast-math or native exp/log/tanh,
 * finite-math-only folding of NaN tests, denormals flushed to zero where clnet relies on them),
 * kernels that read the wrong buffer or offset or write outside their range, work-item
 * indexing wrong at tile edges, and broken local-memory barriers in CLBlast's tiled GEMM
 * (clnet's own kernels use none).
 *
 * Every layer kind is also run whole, forward and backward, against its host reference
 * (layer_kind.host_forward, host_backward) on its examples (selfcheck_layers.c).
 *
 * Errors are relative: |device - host| / max(|host|, floor); the floor is per comparison
 * (1e-3 for elementwise results; the output's largest |value| for sums such as GEMM and
 * convolution, whose rounding scales with the whole sum). */
#ifndef CLNET_CHECK_SELFCHECK_H
#define CLNET_CHECK_SELFCHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "config/experiment.h"
#include "runtime/runtime.h"

/* What selfcheck reports on beyond the kernel table: line KERNEL_COUNT + extra. */
enum selfcheck_extra {
    SELFCHECK_CLBLAST, /* CLBlast's SGEMM (its own kernels) */
    SELFCHECK_FILL,    /* op_fill: clEnqueueFillBuffer */
    SELFCHECK_COPY,    /* op_copy: clEnqueueCopyBuffer */
    SELFCHECK_EXTRA_COUNT
};
/* and, after those, one line per layer kind: its examples against its host reference */
#define SELFCHECK_LINES (KERNEL_COUNT + SELFCHECK_EXTRA_COUNT + LAYER_TYPE_COUNT)

struct selfcheck_line {
    const char *name; /* the kernel's name, "gemm (CLBlast)", "fill", "copy" or "layer dense" */
    int cases;        /* comparisons that checked it */
    double max_abs;   /* largest |device - host| */
    double max_rel;   /* largest relative error */
    double tolerance; /* of the comparison with the largest error relative to its own */
    char worst[96];   /* that comparison */
    bool ok;
};

struct selfcheck_report {
    struct selfcheck_line lines[SELFCHECK_LINES];
    int covered; /* kernels of the table that at least one comparison checked */
    int failed;  /* lines beyond their tolerance */
    int denormal_skips; /* cases run without their denormal values (a device without
                         * CL_FP_DENORM may flush them, as the specification allows) */
    double seconds;
};

/* Runs every comparison on rt and, unless out is NULL, prints one line per kernel and extra
 * and a summary. Fills *report when not NULL. CLNET_ERR_CHECK (exit 1) naming the kernels
 * beyond their tolerance; CLNET_ERR_INTERNAL when a kernel of the table has no comparison;
 * OpenCL errors pass through. */
int selfcheck_run(struct runtime *rt, FILE *out, struct selfcheck_report *report);

#endif
