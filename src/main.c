/* clnet: trains neural networks described in YAML on any OpenCL device. The only file
 * outside libclnet: it parses the command line, runs the command, prints the one error
 * message a failure recorded, and turns the status into the exit code. Under mpirun or srun
 * it is one rank of the job (src/dist/). */
#include <stdio.h>

#include "cli/cli.h"
#include "dist/dist.h"
#include "util/env.h"
#include "util/status.h"

int main(int argc, char **argv)
{
    int status = env_validate(); /* before MPI and OpenCL read any of it */
    if (status == CLNET_OK)
        status = dist_init(&argc, &argv);
    struct cli_args args;
    if (status == CLNET_OK)
        status = cli_parse(&args, argc, argv);
    if (status == CLNET_OK)
        status = cli_run(&args);
    if (status != CLNET_OK) {
        const char *msg = clnet_error_message();
        const struct dist *w = dist_world();
        if (w->size > 1)
            fprintf(stderr, "clnet: rank %d: error: %s\n", w->rank,
                    msg[0] ? msg : clnet_status_name(status));
        else
            fprintf(stderr, "clnet: error: %s\n", msg[0] ? msg : clnet_status_name(status));
    }
    /* A failure only this rank saw would leave the others waiting in a collective call:
     * end the job. Every rank agrees on an interruption or a divergence, and ends normally. */
    if (status != CLNET_OK && status != CLNET_ERR_INTERRUPTED && status != CLNET_ERR_DIVERGED)
        dist_abort(clnet_exit_code(status));
    dist_finalize();
    return clnet_exit_code(status);
}
