/* Activations in double for the gradient checks (act_double.c). */
#ifndef CLNET_TESTS_OPS_ACT_DOUBLE_H
#define CLNET_TESTS_OPS_ACT_DOUBLE_H

#include "check/host_model.h" /* host_act(z, act) */

/* dy * act'(z), written through y = act(z). */
double act_grad_d(double dy, double y, int act);

#endif
