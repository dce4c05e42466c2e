/* The activation gradients in double, for the finite-difference checks: the same formulas as
 * cl/common.h and ops/ref.c, one precision up (the activations themselves: host_act of
 * src/check/host_model.h). */
#include "act_double.h"

#include <math.h>

#include "config/experiment.h"

double act_grad_d(double dy, double y, int act)
{
    switch (act) {
    case ACTIVATION_SIGMOID:
        return dy * (1.0 - y) * y;
    case ACTIVATION_RELU:
        return y > 0.0 ? dy : 0.0;
    case ACTIVATION_TANH:
        return dy * (1.0 - y * y);
    case ACTIVATION_STEP:
        return 0.0;
    default:
        return dy;
    }
}
