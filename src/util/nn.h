/* The vocabulary the kernels, their host references and the configuration share: which
 * activation a layer applies and which loss the model is trained with. Plain enums with no
 * dependencies, so ops/ and cl/ take their codes from here rather than from config/ (which
 * maps YAML words onto them: config/schema.c, config/experiment.c). The numbers are the
 * kernels' too (cl/common.h's ACT_* and LOSS_* constants). */
#ifndef CLNET_UTIL_NN_H
#define CLNET_UTIL_NN_H

enum activation {
    ACTIVATION_IDENTITY,
    ACTIVATION_SIGMOID,
    ACTIVATION_RELU,
    ACTIVATION_TANH,
    ACTIVATION_STEP, /* 1 where z >= 0, else 0; gradient zero (homework question 1) */
    ACTIVATION_COUNT
};

enum loss_kind {
    LOSS_CROSS_ENTROPY,     /* from logits, stable log-sum-exp */
    LOSS_NAIVE_SOFTMAX_LOG, /* softmax then log in float32, as the homework's first code */
    LOSS_COUNT
};

/* A term of train.loss's list form (config/experiment.h's struct loss_term; cl/loss.cl's
 * TERM_* constants). */
enum loss_term_kind {
    TERM_CROSS_ENTROPY,
    TERM_NAIVE_SOFTMAX_LOG,
    TERM_MSE,
    TERM_LINEAR,
    TERM_L1,
    TERM_L2,
    TERM_KIND_COUNT
};

#endif
