/* Which kernel programs (cl/ files) a run needs, so runtime_open builds only those: a cold
 * start compiles each program once per machine, and a dense net has no use for conv2d.cl or
 * dropout.cl. Each kind names its programs (layer_kind.programs, next to the ops it launches). */
#include "model/model.h"
#include "util/status.h"

int model_programs(unsigned *programs, const struct experiment *e, bool training)
{
    /* The batch gather (data.cl) and the loss with its per-batch sums (loss.cl) serve every
     * step and every evaluation; the optimizer's update (optim.cl) only training. */
    unsigned set = RUNTIME_PROGRAM(PROGRAM_DATA) | RUNTIME_PROGRAM(PROGRAM_LOSS);
    if (training)
        set |= RUNTIME_PROGRAM(PROGRAM_OPTIM);
    for (int i = 0; i < e->n_layers; i++) {
        const struct layer_kind *k = layer_kind_find(e->layers[i].type);
        if (!k)
            return clnet_errorf(CLNET_ERR_INTERNAL, "layer %d: type %d is no kind of the "
                                "registry (layers/kinds.def)", i, (int)e->layers[i].type);
        set |= k->programs;
        if (e->layers[i].n_from) /* a graph sums a node's gradients with add's kernel */
            set |= RUNTIME_PROGRAM(PROGRAM_ADD);
    }
    if (e->train.n_terms > 0) /* a node with a loss term and a reader sums its slots */
        set |= RUNTIME_PROGRAM(PROGRAM_ADD);
    *programs = set;
    return CLNET_OK;
}
