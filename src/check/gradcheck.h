/* `clnet gradcheck`: the device's backward pass against finite differences. The model is built
 * on the device for a small batch, one forward + loss + backward gives every parameter
 * gradient, and each parameter tensor (layers.I.weight, layers.I.bias) is compared, element by
 * element, with central differences of the mean loss computed in double on the host
 * (check/host_model.h) at the same parameters and inputs.
 *
 * Inputs: GRADCHECK_BATCH training images of the config's data, drawn with its seed, when the
 * folder holds MNIST files that fit the model; otherwise uniform random inputs in [0, 1) and
 * random labels (a model of another width, such as question 1's, or no data fetched). The
 * report says which. Dropout layers run with p = 0, the identity: a mask would make the loss
 * a different function on each draw. Tensors of more than GRADCHECK_ELEMENTS values are
 * checked on a seeded random subset of that many.
 *
 * Kinks (ReLU at 0, the step's jump, the input a max pool chooses): a difference
 * whose stencil moves some unit across a kink is not the derivative. The host pass knows every
 * unit's side (its branch, layer_kind.host_forward), so such an element is
 * differenced one-sidedly on the side that keeps every unit where it was (second order,
 * points x, x +- h, x +- 2h), or skipped when both sides cross. Inputs are redrawn until the
 * device and the host put every unit on the same side (a pre-activation within float
 * rounding of 0 could differ).
 *
 * With --wrt input the gradient with respect to the batch's inputs (B, F) is checked the same
 * way, as one more tensor named "input": the model is built for it
 * (model_build_with's MODEL_INPUT_GRAD) and every layer is recomputed for each difference. */
#ifndef CLNET_CHECK_GRADCHECK_H
#define CLNET_CHECK_GRADCHECK_H

#include <stdio.h>

#include "config/experiment.h"

#define GRADCHECK_BATCH 4        /* rows of the batch */
#define GRADCHECK_ELEMENTS 200   /* values checked per tensor at most */
#define GRADCHECK_STEP 1e-5      /* h of the differences, in parameter units */
#define GRADCHECK_TOLERANCE 1e-3 /* largest relative error that passes */
/* Relative error = |device - fd| / max(|device|, |fd|, floor), floor = GRADCHECK_FLOOR times
 * the tensor's largest |fd| (at least 1e-9): a value 100 times smaller than its tensor's
 * largest is judged against float rounding at the tensor's scale, not its own (a float sum
 * that cancels down to a small value keeps the rounding of its large terms). Measured on
 * every configs/hw2 network through PoCL: at most 3e-5. */
#define GRADCHECK_FLOOR 1e-2

struct gradcheck_options {
    const char *device_flag; /* --device, or NULL */
    const char *cl_dir;      /* --cl-dir, or NULL */
    bool wrt_input;          /* --wrt input: also dL/dx, the tensor "input" [B, F] */
};

/* Checks e on the device and prints the report to out; e's dropout layers are set to p = 0.
 * CLNET_ERR_CHECK (exit 1) naming the failing tensors when any is beyond the tolerance. */
int gradcheck_run(struct experiment *e, const struct gradcheck_options *o, FILE *out);

#endif
